//! What cross-object checks see: every scanned object that is small enough to keep, and a
//! summary of every workload. Built while the inputs stream through the per-object checks, so a
//! large scan never holds its workloads' full pod specs.
//!
//! Only what registered inventory checks declare they read is kept ([`InventoryCheck::kinds`]):
//! objects of those kinds, stored as compact JSON and parsed again when a check asks for them
//! (a parsed object costs about 7x its text), and workload summaries when a check reads
//! [`WORKLOADS`]. Secrets are kept with their key names and type only: values never enter the
//! inventory. `metadata.managedFields` and the last-applied-configuration annotation are dropped.
//!
//! [`InventoryCheck::kinds`]: crate::checks::InventoryCheck::kinds

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::k8s::workload::pod_spec;
use crate::k8s::{Object, Provenance};
use crate::model::{Location, ObjectRef};
use crate::spans::{Path, Spans};

/// The pseudo-kind a check lists in its `kinds` to receive workload summaries.
pub const WORKLOADS: &str = "<workloads>";

/// A kept object: its JSON text, lines and provenance. [`StoredObject::load`] parses it.
#[derive(Debug)]
pub struct StoredObject {
    json: Box<str>,
    spans: Arc<Spans>,
    root: Path,
    pub provenance: Provenance,
    pub reference: Arc<ObjectRef>,
}

impl StoredObject {
    fn store(obj: Object) -> StoredObject {
        let json = serde_json::to_string(&obj.value)
            .unwrap_or_default()
            .into_boxed_str();
        let mut spans = obj.spans;
        // Spans shared with other items of a List stay as they are.
        if let Some(s) = Arc::get_mut(&mut spans) {
            s.compact();
        }
        StoredObject {
            json,
            spans,
            root: obj.root,
            provenance: obj.provenance,
            reference: obj.reference,
        }
    }

    /// The object, parsed again (with the same lines and provenance as when it was scanned).
    pub fn load(&self) -> Object {
        let value = match serde_json::from_str(&self.json) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        Object {
            value,
            spans: self.spans.clone(),
            root: self.root.clone(),
            provenance: self.provenance.clone(),
            reference: self.reference.clone(),
        }
    }

    pub fn kind(&self) -> &str {
        &self.reference.kind
    }

    pub fn api_version(&self) -> &str {
        &self.reference.api_version
    }

    pub fn name(&self) -> &str {
        &self.reference.name
    }

    pub fn location(&self) -> Location {
        Location {
            file: self.provenance.file.clone(),
            line: self.provenance.line,
            document: self.provenance.document,
            path: None,
        }
    }
}

/// What the registered inventory checks read.
#[derive(Debug, Default)]
pub struct Wanted {
    pub kinds: BTreeSet<&'static str>,
    pub workloads: bool,
    /// Gatekeeper constraints (kinds defined by ConstraintTemplates).
    pub constraints: bool,
}

impl Wanted {
    pub fn of_checks() -> &'static Wanted {
        static WANTED: std::sync::LazyLock<Wanted> = std::sync::LazyLock::new(|| {
            let mut w = Wanted::default();
            for c in crate::checks::inventory_checks() {
                for k in c.kinds {
                    match *k {
                        WORKLOADS => w.workloads = true,
                        "<gatekeeper-constraints>" => w.constraints = true,
                        k => {
                            w.kinds.insert(k);
                        }
                    }
                }
            }
            w
        });
        &WANTED
    }
}

/// The parts of a workload that cross-object checks need.
#[derive(Debug, Clone)]
pub struct Workload {
    pub reference: Arc<ObjectRef>,
    pub location: Location,
    /// Labels of the pods it creates (template labels; a Pod's own labels).
    pub pod_labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    /// `spec.replicas` when the kind has it (None for DaemonSet, Job, CronJob, Pod).
    pub replicas: Option<i64>,
    /// `spec.strategy.type` (Deployment) or `spec.updateStrategy.type` (StatefulSet, DaemonSet).
    pub strategy: Option<String>,
    pub service_account: Option<String>,
    pub automount_token: Option<bool>,
    /// The pod spec's volumes, as written.
    pub volumes: Vec<Value>,
    /// Names of Secrets the containers read through env / envFrom.
    pub env_secret_refs: Vec<String>,
}

impl Workload {
    fn from_object(obj: &Object) -> Option<Workload> {
        let pod = pod_spec(obj)?;
        let strings = |v: Option<&Value>| -> BTreeMap<String, String> {
            v.and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let spec = obj.value.get("spec");
        let replicas = match obj.kind() {
            "Pod" | "DaemonSet" | "Job" | "CronJob" | "PodTemplate" => None,
            _ => Some(
                spec.and_then(|s| s.get("replicas"))
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
            ),
        };
        let strategy = spec
            .and_then(|s| s.get("strategy").or_else(|| s.get("updateStrategy")))
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut env_secret_refs = BTreeSet::new();
        for c in pod.containers() {
            for e in c
                .value
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = e
                    .pointer("/valueFrom/secretKeyRef/name")
                    .and_then(Value::as_str)
                {
                    env_secret_refs.insert(n.to_string());
                }
            }
            for e in c
                .value
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = e.pointer("/secretRef/name").and_then(Value::as_str) {
                    env_secret_refs.insert(n.to_string());
                }
            }
        }
        Some(Workload {
            reference: obj.reference.clone(),
            location: obj.object_location(),
            pod_labels: strings(pod.meta.and_then(|m| m.get("labels"))),
            pod_annotations: strings(pod.meta.and_then(|m| m.get("annotations"))),
            replicas,
            strategy,
            service_account: pod
                .field("serviceAccountName")
                .or_else(|| pod.field("serviceAccount"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            automount_token: pod
                .field("automountServiceAccountToken")
                .and_then(Value::as_bool),
            volumes: pod
                .field("volumes")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            env_secret_refs: env_secret_refs.into_iter().collect(),
        })
    }

    pub fn namespace(&self) -> Option<&str> {
        self.reference.namespace.as_deref()
    }
}

/// Objects and workload summaries collected during a scan.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Kept objects in input order (file, document, line).
    pub objects: Vec<StoredObject>,
    pub workloads: Vec<Workload>,
    /// Every namespace named by a scanned object (metadata.namespace or a Namespace object).
    pub namespaces: BTreeSet<String>,
    /// How many Kubernetes objects were scanned in all (kept or not).
    pub scanned: u64,
    /// Models derived from the inventory, built once and shared by the checks that read them.
    cache: Cache,
}

/// Derived models by type (the RBAC model, NetworkPolicies by namespace, ...).
#[derive(Default)]
struct Cache(std::sync::Mutex<HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>);

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cache")
    }
}

impl Inventory {
    /// Drops the derived models (the engine does so between checks that read different kinds).
    pub fn clear_cache(&self) {
        self.cache
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// A model derived from the inventory, built by `build` the first time any check asks for
    /// it and shared afterwards (several RBAC checks read the same resolved bindings).
    pub fn cached<T: std::any::Any + Send + Sync>(
        &self,
        build: impl FnOnce(&Inventory) -> T,
    ) -> Arc<T> {
        let key = std::any::TypeId::of::<T>();
        let hit = self
            .cache
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(v) = hit.and_then(|v| v.downcast::<T>().ok()) {
            return v;
        }
        let v = Arc::new(build(self));
        self.cache
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, v.clone());
        v
    }

    /// Records an object after its per-object checks ran.
    pub fn add(&mut self, obj: Object) {
        self.scanned += 1;
        if let Some(ns) = obj.namespace() {
            self.namespaces.insert(ns.to_string());
        }
        if obj.kind() == "Namespace" && obj.api_version() == "v1" {
            self.namespaces.insert(obj.name().to_string());
        }
        let wanted = Wanted::of_checks();
        if wanted.workloads
            && let Some(w) = Workload::from_object(&obj)
        {
            self.workloads.push(w);
            return;
        }
        // Gatekeeper constraints are instances of their ConstraintTemplates' kinds.
        let constraint =
            wanted.constraints && api_group(obj.api_version()) == "constraints.gatekeeper.sh";
        if !constraint && !wanted.kinds.contains(obj.kind()) {
            return;
        }
        let mut obj = slim(obj);
        if obj.kind() == "Secret" && obj.api_version() == "v1" {
            obj = strip_secret(obj);
        }
        self.objects.push(StoredObject::store(obj));
    }

    pub fn merge(&mut self, other: Inventory) {
        self.objects.extend(other.objects);
        self.workloads.extend(other.workloads);
        self.namespaces.extend(other.namespaces);
        self.scanned += other.scanned;
    }

    /// Puts objects and workloads in input order, so that results do not depend on threads.
    pub fn finish(&mut self) {
        let key = |l: &Location| (l.file.clone(), l.document, l.line);
        self.objects.sort_by_key(|o| key(&o.location()));
        self.workloads.sort_by_key(|w| key(&w.location));
    }

    /// Kept objects of one of these kinds (any API group), parsed.
    pub fn of_kind<'a>(&'a self, kinds: &'a [&'a str]) -> impl Iterator<Item = Object> + 'a {
        self.objects
            .iter()
            .filter(move |o| kinds.contains(&o.kind()))
            .map(StoredObject::load)
    }

    /// Kept objects of a kind in an API group (`""` for the core group), any version, parsed.
    pub fn of_group_kind<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
    ) -> impl Iterator<Item = Object> + 'a {
        self.objects
            .iter()
            .filter(move |o| o.kind() == kind && api_group(o.api_version()) == group)
            .map(StoredObject::load)
    }
}

/// The API group of an apiVersion (`apps/v1` → `apps`, `v1` → ``).
pub fn api_group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Drops what no check reads and what can be large: `metadata.managedFields` and the
/// `kubectl.kubernetes.io/last-applied-configuration` annotation (a full copy of the object).
fn slim(mut obj: Object) -> Object {
    if let Some(Value::Object(meta)) = obj.value.get_mut("metadata") {
        meta.remove("managedFields");
        if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    obj
}

/// A Secret without its values: data and stringData keep their keys, mapped to null.
fn strip_secret(mut obj: Object) -> Object {
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = obj.value.get_mut(field) {
            let keys: Map<String, Value> = m.keys().map(|k| (k.clone(), Value::Null)).collect();
            *m = keys;
        }
    }
    obj
}

/// Result of matching a label selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorMatch {
    Matches,
    NoMatch,
    /// The selector is not valid (unknown operator, wrong types): it cannot be judged.
    Invalid,
}

/// Kubernetes label-selector semantics (`matchLabels` and `matchExpressions` with In, NotIn,
/// Exists, DoesNotExist; all terms ANDed). An empty selector `{}` matches everything; a null or
/// absent one is treated the same by the caller's choice.
pub fn selector_matches(selector: &Value, labels: &BTreeMap<String, String>) -> SelectorMatch {
    let Some(sel) = selector.as_object() else {
        return if selector.is_null() {
            SelectorMatch::Matches
        } else {
            SelectorMatch::Invalid
        };
    };
    if let Some(ml) = sel.get("matchLabels") {
        let Some(ml) = ml.as_object() else {
            return if ml.is_null() {
                SelectorMatch::Matches
            } else {
                SelectorMatch::Invalid
            };
        };
        for (k, v) in ml {
            let want = match v {
                Value::String(s) => s.clone(),
                Value::Null => return SelectorMatch::Invalid,
                other => other.to_string(),
            };
            if labels.get(k) != Some(&want) {
                return SelectorMatch::NoMatch;
            }
        }
    }
    if let Some(exprs) = sel.get("matchExpressions") {
        let Some(exprs) = exprs.as_array() else {
            return if exprs.is_null() {
                SelectorMatch::Matches
            } else {
                SelectorMatch::Invalid
            };
        };
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str);
            let op = e.get("operator").and_then(Value::as_str);
            let values: Vec<String> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (Some(key), Some(op)) = (key, op) else {
                return SelectorMatch::Invalid;
            };
            let have = labels.get(key);
            let ok = match op {
                "In" => have.is_some_and(|h| values.contains(h)),
                "NotIn" => have.is_none_or(|h| !values.contains(h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => return SelectorMatch::Invalid,
            };
            if !ok {
                return SelectorMatch::NoMatch;
            }
        }
    }
    SelectorMatch::Matches
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn object(v: Value) -> Object {
        let Value::Object(m) = v else { panic!() };
        let prov = Provenance {
            file: Arc::from("f.yaml"),
            document: Some(2),
            line: Some(7),
        };
        Object::new(m, Arc::new(Spans::default()), Path::root(), prov)
    }

    #[test]
    fn stored_objects_round_trip_without_secret_values_or_noise() {
        let secret = object(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "x", "managedFields": [{"manager": "kubectl"}],
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "keep": "me"}},
            "type": "Opaque", "data": {"password": "c2VjcmV0"}, "stringData": {"token": "t0k3n"}
        }));
        let stored = StoredObject::store(strip_secret(slim(secret)));
        assert!(!stored.json.contains("c2VjcmV0") && !stored.json.contains("t0k3n"));
        let back = stored.load();
        assert_eq!(back.value["data"], json!({"password": null}));
        assert_eq!(back.value["stringData"], json!({"token": null}));
        assert_eq!(back.value["metadata"]["annotations"], json!({"keep": "me"}));
        assert!(back.value["metadata"].get("managedFields").is_none());
        assert_eq!(back.provenance.line, Some(7));
        assert_eq!(back.name(), "db");
    }

    #[test]
    fn label_selectors() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        assert_eq!(selector_matches(&json!({}), &l), SelectorMatch::Matches);
        assert_eq!(
            selector_matches(&json!({"matchLabels": {"app": "web"}}), &l),
            SelectorMatch::Matches
        );
        assert_eq!(
            selector_matches(&json!({"matchLabels": {"app": "db"}}), &l),
            SelectorMatch::NoMatch
        );
        let e = |op: &str, vals: Value| json!({"matchExpressions": [{"key": "tier", "operator": op, "values": vals}]});
        assert_eq!(
            selector_matches(&e("In", json!(["front", "x"])), &l),
            SelectorMatch::Matches
        );
        assert_eq!(
            selector_matches(&e("NotIn", json!(["front"])), &l),
            SelectorMatch::NoMatch
        );
        assert_eq!(
            selector_matches(&e("Exists", json!(null)), &l),
            SelectorMatch::Matches
        );
        assert_eq!(
            selector_matches(&e("DoesNotExist", json!(null)), &l),
            SelectorMatch::NoMatch
        );
        assert_eq!(
            selector_matches(&e("Near", json!(null)), &l),
            SelectorMatch::Invalid
        );
        // matchLabels and matchExpressions are ANDed.
        let both = json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]});
        assert_eq!(selector_matches(&both, &l), SelectorMatch::NoMatch);
        // NotIn matches when the label is absent.
        let absent =
            json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]});
        assert_eq!(selector_matches(&absent, &l), SelectorMatch::Matches);
    }
}
