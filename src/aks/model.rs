//! The normalized AKS cluster model every input shape becomes.
//!
//! Whatever describes the cluster (an ARM REST resource, `az aks show` output, an ARM template or
//! `bicep build` output, a Terraform plan or Terraform HCL), it is turned into the shape of the
//! ARM REST `Microsoft.ContainerService/managedClusters` resource:
//!
//! ```json
//! { "name": "...", "id": "...", "location": "...",
//!   "sku": { "name": "Base", "tier": "Free" },
//!   "identity": { "type": "UserAssigned", "userAssignedIdentities": { "...": {} } },
//!   "properties": { "kubernetesVersion": "1.30", "enableRBAC": true,
//!                   "apiServerAccessProfile": { ... }, "agentPoolProfiles": [ { "name": ... } ],
//!                   ... } }
//! ```
//!
//! Property names are those of the REST API (camelCase, as in the managedClusters schema). Node
//! pools defined as separate resources (`managedClusters/agentPools`,
//! `azurerm_kubernetes_cluster_node_pool`) are appended to `properties.agentPoolProfiles`.
//!
//! Each value remembers where it came from ([`Origin`]: file, pointer or address in the source,
//! line), and a value that could not be worked out (a template `reference()`, a Terraform value
//! known only after apply, a variable without a value) is kept as [`Unresolved`] with its
//! expression. Lookups match property names case-insensitively, as ARM does.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::spans::{PathHash, Spans};

/// The input shape a cluster was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// An ARM REST resource (`az rest`, `az resource show`, a Resource Graph export).
    ArmResource,
    /// `az aks show -o json` (properties flattened to the top level).
    AzCli,
    /// An ARM template (also `bicep build` output).
    ArmTemplate,
    /// `terraform show -json` of a plan (or of the state).
    TerraformPlan,
    /// Terraform configuration files (`.tf`).
    TerraformHcl,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::ArmResource => "ARM resource",
            Shape::AzCli => "az aks show output",
            Shape::ArmTemplate => "ARM template",
            Shape::TerraformPlan => "Terraform plan",
            Shape::TerraformHcl => "Terraform configuration",
        }
    }

    /// Whether the input describes a desired configuration (a template or Terraform), where an
    /// absent property means the service default at deployment time, rather than the state of
    /// a running cluster as Azure reports it.
    pub fn is_desired_state(self) -> bool {
        matches!(
            self,
            Shape::ArmTemplate | Shape::TerraformPlan | Shape::TerraformHcl
        )
    }
}

/// Where a value of the model came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    /// JSON pointer in the source document (ARM, az, plan JSON), or a Terraform address such as
    /// `azurerm_kubernetes_cluster.main.network_profile[0].network_policy`.
    pub pointer: String,
    pub line: Option<u32>,
    /// How the value was obtained when it is not a literal: `from parameter clusterTier`,
    /// `from variable "sku_tier"`.
    pub note: Option<String>,
}

/// A value that could not be worked out from the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The expression as written (`[reference(...).id]`, `var.tier`, `(known after apply)`).
    pub expr: String,
    /// Why it could not be evaluated (`the parameter has no value`).
    pub reason: String,
}

/// One segment of a path into the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for Seg<'a> {
    fn from(k: &'a str) -> Self {
        Seg::Key(k)
    }
}

impl From<usize> for Seg<'_> {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Renders a path as a JSON pointer (`/properties/agentPoolProfiles/0/name`).
pub fn pointer(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        s.push('/');
        match seg {
            Seg::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

/// The key of a canonical pointer in the origin and unresolved maps (ARM names are
/// case-insensitive).
fn map_key(pointer: &str) -> String {
    pointer.to_ascii_lowercase()
}

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Prop<'a> {
    /// A value (JSON null counts as absent).
    Value(&'a Value),
    /// The value, or one of its parents, could not be worked out.
    Unresolved(&'a Unresolved),
    /// Not set in the inputs (the service or provider default applies).
    Absent,
    /// A value on the way is of the wrong type (`"properties": "yes"`, a list where an object
    /// belongs): what the input means cannot be told. Holds the pointer of that value and
    /// what it is.
    WrongType(String, &'static str),
}

impl<'a> Prop<'a> {
    pub fn value(self) -> Option<&'a Value> {
        match self {
            Prop::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// The document a cluster's values were copied from as written (an ARM resource, `az aks show`
/// output, an evaluated template resource): origins of values without one of their own are
/// worked out from it (source pointer and line).
#[derive(Debug, Clone)]
pub struct SourceDoc {
    pub spans: Arc<Spans>,
    /// Pointer of the resource inside its document (``, `/value/3`, `/resources/2`).
    pub root_pointer: String,
    pub root_hash: PathHash,
    /// `az aks show` output: the members of `properties` sit at the top level.
    pub flattened: bool,
}

/// One managed cluster, normalized.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub shape: Shape,
    /// The file the cluster (its main resource) was read from.
    pub file: Arc<str>,
    /// The ARM apiVersion of the resource or template, when known.
    pub api_version: Option<String>,
    /// The Terraform provider generation (`azurerm 3.x`, `azurerm 4.x`) when known or inferred.
    pub provider: Option<String>,
    /// The managedClusters resource in REST shape.
    pub doc: Value,
    /// The document the values were copied from, when they were copied as written.
    pub source: Option<SourceDoc>,
    /// Only node pools of this cluster are among the inputs (a pool defined on its own whose
    /// cluster is elsewhere): only per-pool controls judge it.
    pub pools_only: bool,
    origins: HashMap<String, Origin>,
    unresolved: HashMap<String, Unresolved>,
}

impl Cluster {
    /// An empty model; fill it with [`Cluster::set`] and friends.
    pub fn new(shape: Shape, file: Arc<str>) -> Cluster {
        Cluster {
            shape,
            file,
            api_version: None,
            provider: None,
            doc: Value::Object(Map::new()),
            source: None,
            pools_only: false,
            origins: HashMap::new(),
            unresolved: HashMap::new(),
        }
    }

    /// The cluster's name (`name` of the resource, or the Terraform resource's `name`).
    pub fn name(&self) -> &str {
        self.doc.get("name").and_then(Value::as_str).unwrap_or("")
    }

    /// The ARM resource id, when the input has one.
    pub fn id(&self) -> Option<&str> {
        self.doc
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Sets the value at `path` (creating parents; a list index may be the next free slot),
    /// remembering where it came from.
    pub fn set(&mut self, path: &[Seg], value: Value, origin: Option<Origin>) {
        let p = pointer(path);
        let slot = slot(&mut self.doc, path);
        *slot = value;
        if let Some(o) = origin {
            self.origins.insert(map_key(&p), o);
        }
    }

    /// Records that the value at `path` could not be worked out (the model holds null there).
    pub fn set_unresolved(&mut self, path: &[Seg], u: Unresolved, origin: Option<Origin>) {
        let p = pointer(path);
        *slot(&mut self.doc, path) = Value::Null;
        self.unresolved.insert(map_key(&p), u);
        if let Some(o) = origin {
            self.origins.insert(map_key(&p), o);
        }
    }

    /// Records where the value at `path` (and everything below it without its own origin)
    /// came from, without changing the value.
    pub fn set_origin(&mut self, path: &[Seg], origin: Origin) {
        self.origins.insert(map_key(&pointer(path)), origin);
    }

    /// Looks a value up (property names case-insensitively).
    pub fn prop(&self, path: &[Seg]) -> Prop<'_> {
        let mut cur = &self.doc;
        let mut p = String::new();
        for seg in path {
            if let Some(u) = self.unresolved.get(&p) {
                return Prop::Unresolved(u);
            }
            // Null and absent are the same; anything else must be a container to go through.
            let wrong = match seg {
                Seg::Key(_) => !cur.is_object() && !cur.is_null(),
                Seg::Index(_) => !cur.is_array() && !cur.is_null(),
            };
            if wrong {
                let what = match cur {
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    Value::Array(_) => "a list",
                    _ => "an object",
                };
                return Prop::WrongType(if p.is_empty() { "/".into() } else { p }, what);
            }
            let next = match seg {
                Seg::Key(k) => {
                    p.push('/');
                    p.push_str(&k.to_ascii_lowercase());
                    cur.as_object().and_then(|m| get_ci(m, k))
                }
                Seg::Index(i) => {
                    p.push('/');
                    p.push_str(&i.to_string());
                    cur.as_array().and_then(|a| a.get(*i))
                }
            };
            match next {
                Some(v) => cur = v,
                None => {
                    return match self.unresolved.get(&p) {
                        Some(u) => Prop::Unresolved(u),
                        None => Prop::Absent,
                    };
                }
            }
        }
        if let Some(u) = self.unresolved.get(&p) {
            return Prop::Unresolved(u);
        }
        if cur.is_null() {
            Prop::Absent
        } else {
            Prop::Value(cur)
        }
    }

    /// Where the value at `path` came from: its own recorded origin; else, for values copied
    /// from a source document, the place in that document (the nearest node that exists);
    /// else the origin of the nearest ancestor.
    pub fn origin(&self, path: &[Seg]) -> Option<Origin> {
        let mut keys = Vec::with_capacity(path.len() + 1);
        let mut p = String::new();
        keys.push(p.clone());
        for seg in path {
            p.push('/');
            match seg {
                Seg::Key(k) => p.push_str(&k.to_ascii_lowercase()),
                Seg::Index(i) => p.push_str(&i.to_string()),
            }
            keys.push(p.clone());
        }
        if let Some(o) = keys.last().and_then(|k| self.origins.get(k)) {
            return Some(o.clone());
        }
        if let Some(src) = &self.source {
            let ancestor = keys.iter().rev().find_map(|k| self.origins.get(k));
            return Some(self.source_origin(src, path, ancestor));
        }
        keys.iter().rev().find_map(|k| self.origins.get(k)).cloned()
    }

    /// The origin of `path` in the source document: the pointer as written there (keys in
    /// their source casing; `properties` dropped for flattened az output) and the line of the
    /// deepest node that exists.
    fn source_origin(&self, src: &SourceDoc, path: &[Seg], ancestor: Option<&Origin>) -> Origin {
        let mut pointer = src.root_pointer.clone();
        let mut hash = src.root_hash;
        let mut line = src.spans.get(hash);
        let mut cur = Some(&self.doc);
        for (i, seg) in path.iter().enumerate() {
            let (key, next): (String, Option<&Value>) = match seg {
                Seg::Key(k) => {
                    let found = cur
                        .and_then(Value::as_object)
                        .and_then(|m| m.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)));
                    match found {
                        Some((x, v)) => (x.clone(), Some(v)),
                        None => (k.to_string(), None),
                    }
                }
                Seg::Index(n) => (
                    n.to_string(),
                    cur.and_then(Value::as_array).and_then(|a| a.get(*n)),
                ),
            };
            cur = next;
            if src.flattened && i == 0 && key == "properties" {
                continue;
            }
            pointer.push('/');
            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            hash = match seg {
                Seg::Key(_) => hash.key(&key),
                Seg::Index(n) => hash.index(*n),
            };
            if let Some(l) = src.spans.get(hash) {
                line = Some(l);
            }
        }
        Origin {
            file: self.file.clone(),
            pointer,
            line,
            note: ancestor.and_then(|a| a.note.clone()),
        }
    }

    /// The node pools (`properties.agentPoolProfiles`).
    pub fn pools(&self) -> &[Value] {
        match self.prop(&[Seg::Key("properties"), Seg::Key("agentPoolProfiles")]) {
            Prop::Value(Value::Array(a)) => a,
            _ => &[],
        }
    }

    /// Appends a node pool (a separate agentPools resource) and returns its index.
    pub fn push_pool(&mut self, pool: Value, origin: Option<Origin>) -> usize {
        let i = self.pools().len();
        self.set(
            &[
                Seg::Key("properties"),
                Seg::Key("agentPoolProfiles"),
                Seg::Index(i),
            ],
            pool,
            origin,
        );
        i
    }

    /// Every unresolved value with its canonical pointer (lowercased), sorted.
    pub fn unresolved(&self) -> Vec<(&str, &Unresolved)> {
        let mut v: Vec<_> = self
            .unresolved
            .iter()
            .map(|(k, u)| (k.as_str(), u))
            .collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }
}

/// A member of an object by name, exact match first, then ignoring ASCII case.
pub fn get_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The slot at `path`, created on the way (objects for keys, arrays padded with nulls for
/// indexes); a key that exists with other casing is reused.
fn slot<'a>(root: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    let mut cur = root;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                let m = cur.as_object_mut().expect("object");
                let existing = m
                    .keys()
                    .find(|x| x.eq_ignore_ascii_case(k))
                    .cloned()
                    .unwrap_or_else(|| k.to_string());
                m.entry(existing).or_insert(Value::Null)
            }
            Seg::Index(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let a = cur.as_array_mut().expect("array");
                if a.len() <= *i {
                    a.resize(*i + 1, Value::Null);
                }
                &mut a[*i]
            }
        };
    }
    cur
}

/// Builds a path from string keys and indexes: `path!["properties", "agentPoolProfiles", 0]`.
#[macro_export]
macro_rules! aks_path {
    ($($seg:expr),* $(,)?) => {
        [$($crate::aks::model::Seg::from($seg)),*]
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_and_lookup_case_insensitively() {
        let mut c = Cluster::new(Shape::ArmResource, Arc::from("c.json"));
        let o = Origin {
            file: Arc::from("c.json"),
            pointer: "/properties/apiServerAccessProfile".into(),
            line: Some(7),
            note: None,
        };
        c.set(
            &aks_path!["properties", "apiServerAccessProfile"],
            json!({"enablePrivateCluster": true}),
            Some(o.clone()),
        );
        let p = aks_path![
            "Properties",
            "APIServerAccessProfile",
            "enablePrivateCluster"
        ];
        assert_eq!(c.prop(&p).value(), Some(&json!(true)));
        assert_eq!(c.origin(&p), Some(o));
        assert!(matches!(
            c.prop(&aks_path!["properties", "networkProfile", "networkPolicy"]),
            Prop::Absent
        ));
        c.set_unresolved(
            &aks_path!["properties", "networkProfile"],
            Unresolved {
                expr: "[variables('net')]".into(),
                reason: "x".into(),
            },
            None,
        );
        assert!(matches!(
            c.prop(&aks_path!["properties", "networkProfile", "networkPolicy"]),
            Prop::Unresolved(_)
        ));
        assert_eq!(c.push_pool(json!({"name": "a"}), None), 0);
        assert_eq!(c.push_pool(json!({"name": "b"}), None), 1);
        assert_eq!(c.pools().len(), 2);
    }
}
