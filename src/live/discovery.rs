//! Which resources to list: the kinds the checks read, in the version the cluster prefers, and
//! only when the cluster serves them.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;

use super::{get, status_message};
use crate::catalog::{Catalog, Evidence};
use crate::checks::{WORKLOAD_KINDS, inventory_checks, object_checks};
use crate::inventory::WORKLOADS;
use crate::model::{InputError, Note};

/// A resource to list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resource {
    /// `v1`, `apps/v1`.
    pub api_version: String,
    pub kind: String,
    /// The resource name in paths (`deployments`).
    pub plural: String,
    pub namespaced: bool,
}

impl Resource {
    /// `/api/v1` or `/apis/GROUP/VERSION`.
    pub fn group_path(&self) -> String {
        if self.api_version.contains('/') {
            format!("/apis/{}", self.api_version)
        } else {
            format!("/api/{}", self.api_version)
        }
    }
}

/// The API groups each kind the checks read is taken from, with its resource name (kinds of
/// the same name in other groups, such as Istio's `Gateway`, are not the ones the checks
/// judge). `deploy/aksguard-reader.yaml` grants exactly these (a test keeps them in step).
pub const RESOURCES: &[(&str, &str, &str)] = &[
    ("Namespace", "", "namespaces"),
    ("Node", "", "nodes"),
    ("Pod", "", "pods"),
    ("ReplicationController", "", "replicationcontrollers"),
    ("Service", "", "services"),
    ("ServiceAccount", "", "serviceaccounts"),
    ("ConfigMap", "", "configmaps"),
    ("Secret", "", "secrets"),
    ("ResourceQuota", "", "resourcequotas"),
    ("LimitRange", "", "limitranges"),
    ("Deployment", "apps", "deployments"),
    ("StatefulSet", "apps", "statefulsets"),
    ("DaemonSet", "apps", "daemonsets"),
    ("ReplicaSet", "apps", "replicasets"),
    ("Job", "batch", "jobs"),
    ("CronJob", "batch", "cronjobs"),
    ("Ingress", "networking.k8s.io", "ingresses"),
    ("NetworkPolicy", "networking.k8s.io", "networkpolicies"),
    ("PodDisruptionBudget", "policy", "poddisruptionbudgets"),
    ("Role", "rbac.authorization.k8s.io", "roles"),
    ("RoleBinding", "rbac.authorization.k8s.io", "rolebindings"),
    ("ClusterRole", "rbac.authorization.k8s.io", "clusterroles"),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
    ),
    (
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "ValidatingAdmissionPolicyBinding",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("ClusterPolicy", "kyverno.io", "clusterpolicies"),
    ("Policy", "kyverno.io", "policies"),
    (
        "PeerAuthentication",
        "security.istio.io",
        "peerauthentications",
    ),
    (
        "SecretProviderClass",
        "secrets-store.csi.x-k8s.io",
        "secretproviderclasses",
    ),
    ("Gateway", "gateway.networking.k8s.io", "gateways"),
    ("AzureIdentity", "aadpodidentity.k8s.io", "azureidentities"),
    (
        "AzureIdentityBinding",
        "aadpodidentity.k8s.io",
        "azureidentitybindings",
    ),
    (
        "AzurePodIdentityException",
        "aadpodidentity.k8s.io",
        "azurepodidentityexceptions",
    ),
];

/// Whether the checks read `kind` of `group`.
fn wanted_in(kinds: &BTreeSet<&str>, group: &str, kind: &str) -> bool {
    kinds.contains(kind)
        && RESOURCES.iter().any(|(k, g, _)| {
            *k == kind && (*g == group || (kind == "Ingress" && group == "extensions"))
        })
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Plan {
    pub resources: Vec<Arc<Resource>>,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
}

/// The kinds that the checks a live cluster is evidence for read; `true` when they read
/// Gatekeeper constraints (every kind of `constraints.gatekeeper.sh`).
pub fn wanted() -> &'static (BTreeSet<&'static str>, bool) {
    static WANTED: LazyLock<(BTreeSet<&'static str>, bool)> = LazyLock::new(|| {
        let catalog = Catalog::get();
        let live = |control: &str| {
            catalog
                .control(control)
                .is_some_and(|c| c.evidence.contains(&Evidence::Cluster))
        };
        let mut kinds = BTreeSet::new();
        let mut constraints = false;
        let all = object_checks()
            .iter()
            .filter(|c| live(c.control))
            .flat_map(|c| c.kinds.iter())
            .chain(
                inventory_checks()
                    .into_iter()
                    .filter(|c| live(c.control))
                    .flat_map(|c| c.kinds.iter()),
            );
        for k in all {
            match *k {
                WORKLOADS => kinds.extend(WORKLOAD_KINDS.iter().copied()),
                "<gatekeeper-constraints>" => constraints = true,
                k => {
                    kinds.insert(k);
                }
            }
        }
        // Namespaces as they are: every check that looks at namespaces needs the real list.
        kinds.insert("Namespace");
        (kinds, constraints)
    });
    &WANTED
}

#[derive(Deserialize)]
struct ResourceList {
    #[serde(default)]
    resources: Vec<ApiResource>,
}

#[derive(Deserialize)]
struct ApiResource {
    name: String,
    kind: String,
    #[serde(default)]
    namespaced: bool,
    #[serde(default)]
    verbs: Vec<String>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    #[serde(rename = "preferredVersion")]
    preferred: Option<GroupVersion>,
    #[serde(default)]
    versions: Vec<GroupVersion>,
}

#[derive(Deserialize)]
struct GroupVersion {
    #[serde(rename = "groupVersion")]
    group_version: String,
}

/// One discovery document, parsed; an error names the path.
async fn fetch<T: for<'de> Deserialize<'de>>(
    client: &kube::Client,
    path: &str,
    timeout: Duration,
) -> Result<T, String> {
    match get(client, path, "application/json", timeout).await {
        Ok((s, body)) if s.is_success() => {
            serde_json::from_slice(&body).map_err(|e| format!("not a discovery document: {e}"))
        }
        Ok((s, body)) => Err(status_message(s, &body)),
        Err(e) => Err(e),
    }
}

/// Discovery: the core group and the preferred version of every other group.
pub async fn plan(client: &kube::Client, timeout: Duration, context: &str) -> Plan {
    let mut plan = Plan::default();
    let file = |path: &str| -> Arc<str> { Arc::from(format!("{context}:{path}").as_str()) };
    let mut versions: Vec<String> = vec!["v1".to_string()];
    match fetch::<GroupList>(client, "/apis", timeout).await {
        Ok(groups) => {
            for g in groups.groups {
                match g.preferred.or_else(|| g.versions.into_iter().next()) {
                    Some(v) => versions.push(v.group_version),
                    None => plan.notes.push(Note {
                        file: file("/apis"),
                        line: None,
                        message: format!("group {} lists no version", g.name),
                    }),
                }
            }
        }
        Err(e) => plan.errors.push(InputError {
            file: file("/apis"),
            line: None,
            message: format!(
                "partial scan: API group discovery failed: {e}; only the core group is read"
            ),
        }),
    }
    let docs: Vec<(String, Result<ResourceList, String>)> = futures::stream::iter(versions)
        .map(|gv| async move {
            let path = if gv.contains('/') {
                format!("/apis/{gv}")
            } else {
                format!("/api/{gv}")
            };
            let r = fetch::<ResourceList>(client, &path, timeout).await;
            (gv, r)
        })
        .buffered(8)
        .collect()
        .await;
    let (kinds, constraints) = wanted();
    let mut seen = BTreeSet::new();
    for (gv, doc) in docs {
        let group = gv.rsplit_once('/').map_or("", |(g, _)| g);
        let list = match doc {
            Ok(l) => l,
            Err(e) => {
                // An aggregated API that is down (metrics-server, say) is common and only
                // matters when it serves a kind the checks read, which is then unknown.
                let path = if gv.contains('/') {
                    format!("/apis/{gv}")
                } else {
                    format!("/api/{gv}")
                };
                let is_core = gv == "v1";
                let known_group = kinds_of_group(group);
                if is_core || known_group {
                    plan.errors.push(InputError {
                        file: file(&path),
                        line: None,
                        message: format!("partial scan: discovery of {gv} failed: {e}"),
                    });
                } else {
                    plan.notes.push(Note {
                        file: file(&path),
                        line: None,
                        message: format!("discovery of {gv} failed ({e}); none of its kinds is read by the checks"),
                    });
                }
                continue;
            }
        };
        for r in list.resources {
            if r.name.contains('/') || !r.verbs.iter().any(|v| v == "list") {
                continue;
            }
            let want = wanted_in(kinds, group, &r.kind)
                || (*constraints && group == "constraints.gatekeeper.sh");
            if want && seen.insert((group.to_string(), r.kind.clone())) {
                plan.resources.push(Arc::new(Resource {
                    api_version: gv.clone(),
                    kind: r.kind,
                    plural: r.name,
                    namespaced: r.namespaced,
                }));
            }
        }
    }
    plan.resources.sort();
    plan
}

/// Groups whose kinds the checks read when served (a failed discovery there loses evidence).
fn kinds_of_group(group: &str) -> bool {
    matches!(
        group,
        "apps"
            | "batch"
            | "networking.k8s.io"
            | "policy"
            | "rbac.authorization.k8s.io"
            | "admissionregistration.k8s.io"
            | "constraints.gatekeeper.sh"
            | "templates.gatekeeper.sh"
            | "kyverno.io"
            | "security.istio.io"
            | "secrets-store.csi.x-k8s.io"
            | "gateway.networking.k8s.io"
            | "aadpodidentity.k8s.io"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_the_checks_read_has_its_group() {
        let (kinds, constraints) = wanted();
        assert!(*constraints);
        for k in kinds {
            assert!(
                RESOURCES.iter().any(|(kind, _, _)| kind == k),
                "{k} is read by a check but not in RESOURCES (nor granted by deploy/aksguard-reader.yaml)"
            );
        }
    }

    /// deploy/aksguard-reader.yaml grants list on every resource the scan may list, and no
    /// verb that writes.
    #[test]
    fn the_shipped_cluster_role_grants_what_the_scan_lists() {
        let text = include_str!("../../deploy/aksguard-reader.yaml");
        let role = text.split("\n---\n").next().unwrap();
        let role: serde_json::Value = serde_saphyr::from_str(role).unwrap();
        assert_eq!(role["kind"], "ClusterRole");
        let rules = role["rules"].as_array().unwrap();
        let grants = |group: &str, resource: &str| {
            rules.iter().any(|r| {
                let has = |key: &str, v: &str| {
                    r[key]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == v || x == "*"))
                };
                has("apiGroups", group) && has("resources", resource) && has("verbs", "list")
            })
        };
        for (kind, group, plural) in RESOURCES {
            assert!(
                grants(group, plural),
                "{kind}: {group}/{plural} not granted"
            );
        }
        assert!(grants("constraints.gatekeeper.sh", "k8srequiredlabels"));
        for r in rules {
            for v in r["verbs"].as_array().unwrap() {
                assert!(v == "get" || v == "list", "verb {v} in {r}");
            }
        }
    }
}
