//! The RBAC model the rbac checks share: Roles, ClusterRoles and their bindings among the
//! scanned inputs, roleRefs resolved (same-namespace Role, ClusterRole, aggregated ClusterRoles,
//! and the security-relevant rules of the built-in default ClusterRoles when they were not
//! scanned), and rule matching with the API server's semantics.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::inventory::{Inventory, SelectorMatch, api_group, selector_matches};
use crate::k8s::Object;

pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The kinds the rbac checks read.
pub const KINDS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// A string of a rule (verb, resource, API group, ...). Rules repeat the same few words, so
/// the model shares one copy of each ([`Interner`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(Arc<str>);

impl std::ops::Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Sym {
        Sym(Arc::from(s))
    }
}

impl Serialize for Sym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One shared copy of each rule string.
#[derive(Default)]
pub struct Interner(HashSet<Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Sym {
        if let Some(a) = self.0.get(s) {
            return Sym(a.clone());
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        Sym(a)
    }
}

/// One PolicyRule as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<Sym>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Sym>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<Sym>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<Sym>,
    pub verbs: Vec<Sym>,
}

fn strings(v: Option<&Value>, strings: &mut Interner) -> Vec<Sym> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| strings.get(s))
                .collect()
        })
        .unwrap_or_default()
}

fn syms(l: &[&str]) -> Vec<Sym> {
    l.iter().map(|x| Sym::from(*x)).collect()
}

impl Rule {
    pub fn from_value(v: &Value, s: &mut Interner) -> Rule {
        Rule {
            api_groups: strings(v.get("apiGroups"), s),
            resources: strings(v.get("resources"), s),
            resource_names: strings(v.get("resourceNames"), s),
            non_resource_urls: strings(v.get("nonResourceURLs"), s),
            verbs: strings(v.get("verbs"), s),
        }
    }

    fn new(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Rule {
        let s = syms;
        Rule {
            api_groups: s(groups),
            resources: s(resources),
            verbs: s(verbs),
            ..Rule::default()
        }
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    pub fn has_group(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == "*" || g == group)
    }

    /// The API server's `ResourceMatches`: `*` matches every resource and subresource,
    /// `*/sub` matches subresource `sub` of every resource, otherwise an exact match
    /// (`pods` does not match `pods/exec`).
    pub fn has_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| {
            r == "*"
                || r == resource
                || r.strip_prefix("*/").is_some_and(|sub| {
                    resource
                        .split_once('/')
                        .is_some_and(|(_, rsub)| rsub == sub)
                })
        })
    }

    /// Whether the rule allows `verb` on `resource` of `group` (for some resource name).
    pub fn grants(&self, group: &str, resource: &str, verb: &str) -> bool {
        self.has_group(group) && self.has_resource(resource) && self.has_verb(verb)
    }

    /// `*` verbs on `*` resources in `*` API groups: everything cluster-admin can do on resources.
    pub fn is_full_wildcard(&self) -> bool {
        self.api_groups.iter().any(|g| g == "*")
            && self.resources.iter().any(|r| r == "*")
            && self.verbs.iter().any(|v| v == "*")
            && self.resource_names.is_empty()
    }
}

/// A subject of a binding. A ServiceAccount without a namespace in a RoleBinding is given the
/// binding's namespace (the API server requires one; tools such as kustomize fill it in).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Subject {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl Subject {
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) if self.kind == "ServiceAccount" => {
                format!("ServiceAccount {ns}/{}", self.name)
            }
            _ => format!("{} {}", self.kind, self.name),
        }
    }

    /// Groups and users that stand for everyone (or every anonymous caller).
    pub fn broad_group(&self) -> Option<&'static str> {
        match (self.kind.as_str(), self.name.as_str()) {
            ("Group", "system:authenticated") => Some("every authenticated identity"),
            ("Group", "system:unauthenticated") => Some("every unauthenticated caller"),
            ("Group" | "User", "system:anonymous") => Some("anonymous callers"),
            _ => None,
        }
    }

    /// Kubernetes components: users named `system:*` such as system:kube-controller-manager or
    /// system:kube-scheduler, and the group system:masters (all-powerful already). Not
    /// components: system:anonymous, ServiceAccount user names (`system:serviceaccount:*`),
    /// node identities (`system:node:*`, group system:nodes: RBAC grants to them reach every node,
    /// beyond what the Node authorizer allows), and the other system groups
    /// (system:authenticated, system:serviceaccounts, system:bootstrappers...).
    pub fn is_system_component(&self) -> bool {
        let n = self.name.as_str();
        match self.kind.as_str() {
            "User" => {
                n.starts_with("system:")
                    && n != "system:anonymous"
                    && !n.starts_with("system:serviceaccount:")
                    && !n.starts_with("system:node:")
            }
            "Group" => n == "system:masters",
            _ => false,
        }
    }
}

/// The configured administrators (issue #6 will read them from `.aksguard.yaml`; until then the
/// list is empty and every subject is outside the admin groups).
#[derive(Debug, Clone, Default)]
pub struct Admins {
    pub groups: Vec<String>,
}

impl Admins {
    pub fn contains(&self, s: &Subject) -> bool {
        (s.kind == "Group" || s.kind == "User") && self.groups.iter().any(|g| g == &s.name)
    }
}

/// A Role or ClusterRole among the scanned inputs.
#[derive(Debug)]
pub struct RoleDef {
    pub object: usize,
    pub cluster: bool,
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `rules[]` as written, in order.
    pub rules: Vec<Rule>,
    /// `aggregationRule.clusterRoleSelectors` (ClusterRoles only).
    pub aggregation: Option<Vec<Value>>,
}

impl RoleDef {
    pub fn kind(&self) -> &'static str {
        if self.cluster { "ClusterRole" } else { "Role" }
    }

    /// Built-in roles: the default ClusterRoles (cluster-admin, admin, edit, view), the
    /// `system:` roles Kubernetes reserves for itself, roles of the bootstrap policy
    /// (`kubernetes.io/bootstrapping: rbac-defaults`) and AKS-managed roles (reconciled by the
    /// addon manager, `addonmanager.kubernetes.io/mode`). Their rules are by design; binding
    /// them is what is judged.
    pub fn is_builtin(&self) -> bool {
        self.name.starts_with("system:")
            || (self.cluster && DEFAULT_CLUSTER_ROLES.contains(&self.name.as_str()))
            || self
                .labels
                .get("kubernetes.io/bootstrapping")
                .map(String::as_str)
                == Some("rbac-defaults")
            || self.labels.contains_key("addonmanager.kubernetes.io/mode")
    }
}

/// Labels that mark objects Kubernetes or AKS manage.
const BUILTIN_LABELS: &[&str] = &[
    "kubernetes.io/bootstrapping",
    "addonmanager.kubernetes.io/mode",
];

pub const DEFAULT_CLUSTER_ROLES: &[&str] = &["cluster-admin", "admin", "edit", "view"];

/// A RoleBinding or ClusterRoleBinding among the scanned inputs.
#[derive(Debug)]
pub struct BindingDef {
    pub object: usize,
    pub cluster: bool,
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// roleRef kind and name (None when the roleRef is missing or not an RBAC role).
    pub role_ref: Option<(String, String)>,
    pub subjects: Vec<Subject>,
}

impl BindingDef {
    pub fn kind(&self) -> &'static str {
        if self.cluster {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        }
    }

    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind(), self.name),
            None => format!("{} {}", self.kind(), self.name),
        }
    }

    /// Where the binding grants: cluster-wide or in its namespace.
    pub fn scope(&self) -> String {
        if self.cluster {
            "cluster-wide".to_string()
        } else {
            match &self.namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "in the namespace it is applied to".to_string(),
            }
        }
    }

    /// Bootstrap-policy bindings Kubernetes creates itself (`system:*`, `cluster-admin`
    /// labelled `kubernetes.io/bootstrapping: rbac-defaults`).
    pub fn is_bootstrap(&self) -> bool {
        self.labels
            .get("kubernetes.io/bootstrapping")
            .map(String::as_str)
            == Some("rbac-defaults")
            && (self.name.starts_with("system:") || self.name == "cluster-admin")
    }
}

/// What a roleRef resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A role among the scanned inputs (index into [`Model::roles`]).
    Scanned(usize),
    /// A built-in default ClusterRole that was not scanned; its well-known rules are used.
    Builtin(&'static str),
    /// Not among the scanned inputs.
    Missing,
}

/// Roles and bindings among the scanned inputs, indexed.
pub struct Model {
    pub objects: Vec<Object>,
    pub roles: Vec<RoleDef>,
    pub bindings: Vec<BindingDef>,
    cluster_roles: HashMap<String, usize>,
    ns_roles: HashMap<(Option<String>, String), usize>,
    /// Effective rules of each aggregated ClusterRole: (source role, rule index) pairs.
    aggregated: HashMap<usize, Vec<(usize, usize)>>,
    /// For each ClusterRole, the scanned aggregated ClusterRoles that include its rules.
    included_in: HashMap<usize, Vec<usize>>,
    /// Bindings per resolved scanned role.
    bindings_of: HashMap<usize, Vec<usize>>,
    /// Scanned ClusterRoles aggregating into each built-in admin/edit/view that was not scanned.
    builtin_sources: HashMap<&'static str, Vec<usize>>,
    /// The reverse: built-in roles each scanned ClusterRole aggregates into.
    builtin_targets: HashMap<usize, Vec<&'static str>>,
}

/// Labels the model reads: all of them for ClusterRoles (aggregation selectors match any
/// label), only those that mark built-in objects for the others (most objects have a few
/// labels, and a map per object adds up).
fn labels_of(obj: &Object) -> BTreeMap<String, String> {
    let all = obj.kind() == "ClusterRole";
    obj.metadata()
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| all || BUILTIN_LABELS.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Model {
    pub fn from_inventory(inv: &Inventory) -> Model {
        // Parsed one at a time and reduced to rules as they come.
        Model::new(
            inv.of_kind(KINDS)
                .filter(|o| api_group(o.api_version()) == RBAC_GROUP),
        )
    }

    /// Builds the model from RBAC objects (objects of other kinds or groups are ignored).
    pub fn new(objects: impl IntoIterator<Item = Object>) -> Model {
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        let mut kept: Vec<Object> = Vec::new();
        let mut interner = Interner::default();
        for mut obj in objects {
            let i = kept.len();
            if api_group(obj.api_version()) != RBAC_GROUP {
                continue; // not kept: no verdict refers to it
            }
            let ns = obj.namespace().map(str::to_string);
            match obj.kind() {
                k @ ("Role" | "ClusterRole") => {
                    let cluster = k == "ClusterRole";
                    roles.push(RoleDef {
                        object: i,
                        cluster,
                        namespace: ns,
                        name: obj.name().to_string(),
                        labels: labels_of(&obj),
                        rules: obj
                            .value
                            .get("rules")
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .map(|r| Rule::from_value(r, &mut interner))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        aggregation: if cluster {
                            obj.value
                                .get("aggregationRule")
                                .filter(|a| a.is_object())
                                .map(|a| {
                                    a.get("clusterRoleSelectors")
                                        .and_then(Value::as_array)
                                        .cloned()
                                        .unwrap_or_default()
                                })
                        } else {
                            None
                        },
                    });
                }
                k @ ("RoleBinding" | "ClusterRoleBinding") => {
                    let cluster = k == "ClusterRoleBinding";
                    let role_ref = obj.value.get("roleRef").and_then(|r| {
                        let kind = r.get("kind").and_then(Value::as_str)?;
                        let name = r.get("name").and_then(Value::as_str)?;
                        let group = r.get("apiGroup").and_then(Value::as_str).unwrap_or("");
                        let kind_ok = kind == "ClusterRole" || (kind == "Role" && !cluster);
                        (group == RBAC_GROUP && kind_ok)
                            .then(|| (kind.to_string(), name.to_string()))
                    });
                    let subjects = obj
                        .value
                        .get("subjects")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|s| {
                                    let f = |k: &str| {
                                        s.get(k)
                                            .and_then(Value::as_str)
                                            .filter(|x| !x.is_empty())
                                            .map(str::to_string)
                                    };
                                    let kind = f("kind").unwrap_or_default();
                                    let namespace = if kind == "ServiceAccount" {
                                        f("namespace").or_else(|| ns.clone())
                                    } else {
                                        None
                                    };
                                    Subject {
                                        kind,
                                        name: f("name").unwrap_or_default(),
                                        namespace,
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    bindings.push(BindingDef {
                        object: i,
                        cluster,
                        namespace: ns,
                        name: obj.name().to_string(),
                        labels: labels_of(&obj),
                        role_ref,
                        subjects,
                    });
                }
                _ => {}
            }
            // Only provenance is needed from here on (verdict locations): drop the value, which
            // is several times larger than the rules extracted from it.
            obj.value = serde_json::Map::new();
            kept.push(obj);
        }
        let mut cluster_roles = HashMap::new();
        let mut ns_roles = HashMap::new();
        for (i, r) in roles.iter().enumerate() {
            if r.cluster {
                cluster_roles.entry(r.name.clone()).or_insert(i);
            } else {
                ns_roles
                    .entry((r.namespace.clone(), r.name.clone()))
                    .or_insert(i);
            }
        }
        let mut model = Model {
            objects: kept,
            roles,
            bindings,
            cluster_roles,
            ns_roles,
            aggregated: HashMap::new(),
            included_in: HashMap::new(),
            bindings_of: HashMap::new(),
            builtin_sources: HashMap::new(),
            builtin_targets: HashMap::new(),
        };
        model.aggregate();
        model.index_builtin_sources();
        for (b, binding) in model.bindings.iter().enumerate() {
            if let Resolved::Scanned(r) = model.resolve(binding) {
                model.bindings_of.entry(r).or_default().push(b);
            }
        }
        model
    }

    /// The ClusterRoles an aggregating ClusterRole selects directly (labels matched by any of
    /// its `clusterRoleSelectors`, as the clusterrole-aggregation-controller does).
    fn selected(&self, role: usize) -> Vec<usize> {
        let Some(selectors) = &self.roles[role].aggregation else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in self.roles.iter().enumerate() {
            if i == role || !r.cluster || self.cluster_roles.get(&r.name) != Some(&i) {
                continue;
            }
            if selectors
                .iter()
                .any(|s| selector_matches(s, &r.labels) == SelectorMatch::Matches)
            {
                out.push(i);
            }
        }
        out
    }

    /// Computes the rules of every aggregated ClusterRole: the controller replaces its rules
    /// with the union of the selected ClusterRoles' rules (theirs aggregated in turn).
    fn aggregate(&mut self) {
        let direct: HashMap<usize, Vec<usize>> = (0..self.roles.len())
            .filter(|&i| self.roles[i].aggregation.is_some())
            .map(|i| (i, self.selected(i)))
            .collect();
        let mut keys: Vec<usize> = direct.keys().copied().collect();
        keys.sort_unstable();
        for agg in keys {
            let mut seen = BTreeSet::from([agg]);
            let mut stack = direct[&agg].clone();
            let mut rules = Vec::new();
            let mut sources = BTreeSet::new();
            while let Some(r) = stack.pop() {
                if !seen.insert(r) {
                    continue;
                }
                sources.insert(r);
                match direct.get(&r) {
                    Some(next) => stack.extend(next.iter().copied()),
                    None => rules.extend((0..self.roles[r].rules.len()).map(|k| (r, k))),
                }
            }
            rules.sort_unstable();
            for s in sources {
                self.included_in.entry(s).or_default().push(agg);
            }
            self.aggregated.insert(agg, rules);
        }
    }

    pub fn object(&self, index: usize) -> &Object {
        &self.objects[index]
    }

    /// Resolves a binding's roleRef: a Role in the binding's namespace, or a ClusterRole.
    pub fn resolve(&self, b: &BindingDef) -> Resolved {
        let Some((kind, name)) = &b.role_ref else {
            return Resolved::Missing;
        };
        let found = if kind == "Role" {
            self.ns_roles.get(&(b.namespace.clone(), name.clone()))
        } else {
            self.cluster_roles.get(name)
        };
        match found {
            Some(&i) => Resolved::Scanned(i),
            None if kind == "ClusterRole" => {
                builtin_name(name).map_or(Resolved::Missing, Resolved::Builtin)
            }
            None => Resolved::Missing,
        }
    }

    /// The rules a role grants: its own, or for an aggregated ClusterRole the rules of the
    /// ClusterRoles it selects. Built-in default roles not scanned get their well-known rules
    /// plus the scanned ClusterRoles labelled to aggregate into them.
    pub fn effective_rules(&self, r: Resolved) -> Vec<Rule> {
        match r {
            Resolved::Scanned(i) => match self.aggregated.get(&i) {
                Some(list) => list
                    .iter()
                    .map(|&(role, k)| self.roles[role].rules[k].clone())
                    .collect(),
                None => self.roles[i].rules.clone(),
            },
            Resolved::Builtin(name) => {
                let mut rules = builtin_rules(name);
                for &i in self.aggregated_into_builtin(name) {
                    rules.extend(self.effective_rules(Resolved::Scanned(i)));
                }
                rules
            }
            Resolved::Missing => Vec::new(),
        }
    }

    /// Scanned ClusterRoles labelled to aggregate into a built-in default ClusterRole that was
    /// not scanned (`rbac.authorization.k8s.io/aggregate-to-admin: "true"` and so on).
    fn aggregated_into_builtin(&self, name: &str) -> &[usize] {
        self.builtin_sources.get(name).map_or(&[], Vec::as_slice)
    }

    fn index_builtin_sources(&mut self) {
        for name in ["admin", "edit", "view"] {
            if self.cluster_roles.contains_key(name) {
                continue;
            }
            let key = format!("{RBAC_GROUP}/aggregate-to-{name}");
            let list: Vec<usize> = self
                .roles
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    r.cluster
                        && self.cluster_roles.get(&r.name) == Some(i)
                        && r.labels.get(&key).map(String::as_str) == Some("true")
                })
                .map(|(i, _)| i)
                .collect();
            for &i in &list {
                self.builtin_targets.entry(i).or_default().push(name);
            }
            self.builtin_sources.insert(name, list);
        }
    }

    /// Rules an aggregated ClusterRole takes from built-in sources (the others' rules are
    /// judged on those roles).
    pub fn aggregated_builtin_rules(&self, role: usize) -> Vec<Rule> {
        self.aggregated
            .get(&role)
            .into_iter()
            .flatten()
            .filter(|&&(r, _)| self.roles[r].is_builtin())
            .map(|&(r, k)| self.roles[r].rules[k].clone())
            .collect()
    }

    /// Whether a role's rules are replaced by aggregation (its own `rules` do not count).
    pub fn is_aggregated(&self, role: usize) -> bool {
        self.aggregated.contains_key(&role)
    }

    /// Who holds a scanned role's rules: bindings of the role and of every aggregated
    /// ClusterRole that includes it, and the built-in roles (not scanned) it aggregates into.
    pub fn holders(&self, role: usize) -> Holders {
        let mut roles = vec![role];
        roles.extend(self.included_in.get(&role).into_iter().flatten().copied());
        let mut bindings: Vec<usize> = roles
            .iter()
            .flat_map(|r| self.bindings_of.get(r).into_iter().flatten().copied())
            .collect();
        bindings.sort_unstable();
        bindings.dedup();
        let mut builtin: Vec<&'static str> = roles
            .iter()
            .flat_map(|r| self.builtin_targets.get(r).into_iter().flatten().copied())
            .collect();
        builtin.sort_unstable();
        builtin.dedup();
        Holders { bindings, builtin }
    }
}

/// Who holds a role's rules.
#[derive(Debug, Default)]
pub struct Holders {
    /// Bindings (indexes into [`Model::bindings`]).
    pub bindings: Vec<usize>,
    /// Built-in default ClusterRoles (not scanned) the role aggregates into.
    pub builtin: Vec<&'static str>,
}

fn builtin_name(name: &str) -> Option<&'static str> {
    [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:discovery",
        "system:basic-user",
        "system:public-info-viewer",
    ]
    .into_iter()
    .find(|n| *n == name)
}

/// Rules of the built-in ClusterRoles of the Kubernetes bootstrap policy: complete for
/// cluster-admin and the discovery roles, the security-relevant rules for admin, edit and view
/// (secrets, exec/attach/proxy, impersonation, RBAC, workloads).
pub fn builtin_rules(name: &str) -> Vec<Rule> {
    const READ: &[&str] = &["get", "list", "watch"];
    const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
    let view = || {
        vec![
            Rule::new(
                &[""],
                &[
                    "configmaps",
                    "endpoints",
                    "persistentvolumeclaims",
                    "persistentvolumeclaims/status",
                    "pods",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "serviceaccounts",
                    "services",
                    "services/status",
                    "bindings",
                    "events",
                    "limitranges",
                    "namespaces/status",
                    "pods/log",
                    "pods/status",
                    "replicationcontrollers/status",
                    "resourcequotas",
                    "resourcequotas/status",
                    "namespaces",
                ],
                READ,
            ),
            Rule::new(
                &["apps"],
                &[
                    "controllerrevisions",
                    "daemonsets",
                    "deployments",
                    "replicasets",
                    "statefulsets",
                ],
                READ,
            ),
            Rule::new(&["batch"], &["cronjobs", "jobs"], READ),
        ]
    };
    let edit = || {
        let mut r = view();
        r.extend([
            Rule::new(
                &[""],
                &[
                    "pods/attach",
                    "pods/exec",
                    "pods/portforward",
                    "pods/proxy",
                    "secrets",
                    "services/proxy",
                ],
                READ,
            ),
            Rule::new(&[""], &["serviceaccounts"], &["impersonate"]),
            Rule::new(
                &[""],
                &[
                    "pods",
                    "pods/attach",
                    "pods/exec",
                    "pods/portforward",
                    "pods/proxy",
                ],
                WRITE,
            ),
            Rule::new(&[""], &["serviceaccounts/token"], &["create"]),
            Rule::new(
                &[""],
                &[
                    "configmaps",
                    "events",
                    "persistentvolumeclaims",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "secrets",
                    "serviceaccounts",
                    "services",
                    "services/proxy",
                ],
                WRITE,
            ),
            Rule::new(
                &["apps"],
                &[
                    "daemonsets",
                    "deployments",
                    "deployments/rollback",
                    "deployments/scale",
                    "replicasets",
                    "replicasets/scale",
                    "statefulsets",
                    "statefulsets/scale",
                ],
                WRITE,
            ),
            Rule::new(&["batch"], &["cronjobs", "jobs"], WRITE),
        ]);
        r
    };
    match name {
        "cluster-admin" => vec![
            Rule::new(&["*"], &["*"], &["*"]),
            Rule {
                non_resource_urls: syms(&["*"]),
                verbs: syms(&["*"]),
                ..Rule::default()
            },
        ],
        "admin" => {
            let mut r = edit();
            r.push(Rule::new(
                &[RBAC_GROUP],
                &["rolebindings", "roles"],
                &[
                    "create",
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "patch",
                    "update",
                    "watch",
                ],
            ));
            r.push(Rule::new(
                &["authorization.k8s.io"],
                &["localsubjectaccessreviews"],
                &["create"],
            ));
            r
        }
        "edit" => edit(),
        "view" => view(),
        "system:basic-user" => vec![
            Rule::new(
                &["authorization.k8s.io"],
                &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                &["create"],
            ),
            Rule::new(
                &["authentication.k8s.io"],
                &["selfsubjectreviews"],
                &["create"],
            ),
        ],
        "system:discovery" | "system:public-info-viewer" => {
            let urls: &[&str] = if name == "system:discovery" {
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ]
            } else {
                &["/healthz", "/livez", "/readyz", "/version", "/version/"]
            };
            vec![Rule {
                non_resource_urls: syms(urls),
                verbs: syms(&["get"]),
                ..Rule::default()
            }]
        }
        _ => Vec::new(),
    }
}

/// Where a subject's rights apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// True for a ClusterRoleBinding: the rules apply in every namespace and cluster-wide.
    pub cluster_wide: bool,
    /// The RoleBinding's namespace (None: cluster-wide, or a RoleBinding that sets none and
    /// applies to the namespace it is applied to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `ClusterRoleBinding name` or `RoleBinding namespace/name`.
    pub binding: String,
    /// `ClusterRole name` or `Role name`.
    pub role: String,
    /// `scanned` (among the inputs), `built-in` (well-known default ClusterRole) or `missing`
    /// (not among the scanned inputs: rules unknown).
    pub role_source: &'static str,
    /// Rules the binding grants (non-resource URLs only through a ClusterRoleBinding),
    /// deduplicated and sorted.
    pub rules: Vec<Rule>,
}

/// Effective rights of one subject among the scanned inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectRights {
    pub subject: Subject,
    pub grants: Vec<Grant>,
}

/// Every subject of every RoleBinding/ClusterRoleBinding among the scanned inputs with what it
/// may do: per binding, the scope (cluster-wide or a namespace) and the resolved rules of the
/// role. Sorted by subject (kind, name, namespace), then grants by scope and binding.
pub fn subject_rights(inv: &Inventory) -> Vec<SubjectRights> {
    rights_of(&inv.cached(Model::from_inventory))
}

/// [`subject_rights`] over an already built model.
pub fn rights_of(model: &Model) -> Vec<SubjectRights> {
    let mut by_subject: BTreeMap<Subject, Vec<Grant>> = BTreeMap::new();
    for b in &model.bindings {
        let Some((kind, name)) = &b.role_ref else {
            continue;
        };
        let resolved = model.resolve(b);
        let mut rules: Vec<Rule> = model
            .effective_rules(resolved)
            .into_iter()
            .filter(|r| b.cluster || r.non_resource_urls.is_empty())
            .collect();
        rules.sort();
        rules.dedup();
        let grant = Grant {
            cluster_wide: b.cluster,
            namespace: if b.cluster { None } else { b.namespace.clone() },
            binding: b.describe(),
            role: format!("{kind} {name}"),
            role_source: match resolved {
                Resolved::Scanned(_) => "scanned",
                Resolved::Builtin(_) => "built-in",
                Resolved::Missing => "missing",
            },
            rules,
        };
        for s in &b.subjects {
            by_subject.entry(s.clone()).or_default().push(grant.clone());
        }
    }
    by_subject
        .into_iter()
        .map(|(subject, mut grants)| {
            // Cluster-wide grants first, then by namespace and binding.
            grants.sort_by(|a, b| {
                (!a.cluster_wide, &a.namespace, &a.binding, &a.role).cmp(&(
                    !b.cluster_wide,
                    &b.namespace,
                    &b.binding,
                    &b.role,
                ))
            });
            grants.dedup();
            SubjectRights { subject, grants }
        })
        .collect()
}
