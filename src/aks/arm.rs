//! ARM REST resources and `az aks show` output: detection and normalization into [`Cluster`].
//!
//! An ARM resource (`az rest`, `az resource show`, a Resource Graph row) has `type`
//! `Microsoft.ContainerService/managedClusters` (any casing) and its settings under
//! `properties`. `az aks show -o json` prints the same resource with `properties` flattened
//! to the top level (and adds `resourceGroup`). Lists (`{"value": [...]}` from `az rest`, a
//! Resource Graph export `{"data": [...]}` or a plain array) are read item by item.
//! Node pools read on their own (`managedClusters/agentPools` resources, `az aks nodepool
//! show`) are attached to their cluster by resource id.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::model::{Cluster, Origin, Shape, SourceDoc, get_ci};
use crate::spans::{PathHash, Spans};

pub const MANAGED_CLUSTERS: &str = "Microsoft.ContainerService/managedClusters";
pub const AGENT_POOLS: &str = "Microsoft.ContainerService/managedClusters/agentPools";

/// Top-level members of an ARM resource (everything else of `az` output belongs under
/// `properties`).
const ENVELOPE: &[&str] = &[
    "id",
    "name",
    "type",
    "location",
    "tags",
    "sku",
    "identity",
    "extendedLocation",
    "kind",
    "etag",
    "eTag",
    "systemData",
    "zones",
    "plan",
    "managedBy",
    "resourceGroup",
    "subscriptionId",
    "tenantId",
    "apiVersion",
];

/// Members only the REST shape of a managed cluster has at the top of `properties`; one of
/// them at the top level means `az` flattened the resource.
const CLUSTER_PROPERTIES: &[&str] = &[
    "agentPoolProfiles",
    "kubernetesVersion",
    "apiServerAccessProfile",
    "networkProfile",
    "addonProfiles",
    "enableRbac",
    "dnsPrefix",
    "nodeResourceGroup",
    "securityProfile",
    "aadProfile",
];

/// Pool members that tell a flattened pool (`az aks nodepool show`) from other objects.
const POOL_PROPERTIES: &[&str] = &["vmSize", "osType", "mode", "orchestratorVersion", "count"];

fn type_is(v: &Value, ty: &str) -> bool {
    v.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(ty))
}

fn has_any(m: &Map<String, Value>, keys: &[&str]) -> bool {
    keys.iter().any(|k| get_ci(m, k).is_some())
}

/// What an ARM JSON document holds.
pub enum ArmItem<'a> {
    Cluster {
        value: &'a Value,
        pointer: String,
        hash: PathHash,
        flattened: bool,
    },
    Pool {
        value: &'a Value,
        pointer: String,
        hash: PathHash,
        flattened: bool,
    },
}

/// Managed clusters and agent pools in a document (a resource, a list of resources, or a
/// list response). Empty when the document holds none.
pub fn items(doc: &Value) -> Vec<ArmItem<'_>> {
    let mut out = Vec::new();
    collect(doc, String::new(), PathHash::ROOT, 0, &mut out);
    out
}

fn collect<'a>(
    v: &'a Value,
    pointer: String,
    hash: PathHash,
    depth: u32,
    out: &mut Vec<ArmItem<'a>>,
) {
    match v {
        Value::Array(a) if depth < 2 => {
            for (i, item) in a.iter().enumerate() {
                collect(
                    item,
                    format!("{pointer}/{i}"),
                    hash.index(i),
                    depth + 1,
                    out,
                );
            }
        }
        Value::Object(m) => {
            if type_is(v, MANAGED_CLUSTERS)
                || (m.get("type").is_none() && looks_flattened_cluster(m))
            {
                let flattened = get_ci(m, "properties").is_none_or(Value::is_null);
                if flattened && !looks_flattened_cluster(m) {
                    return;
                }
                out.push(ArmItem::Cluster {
                    value: v,
                    pointer,
                    hash,
                    flattened,
                });
            } else if type_is(v, AGENT_POOLS) {
                let flattened = get_ci(m, "properties").is_none_or(Value::is_null);
                if flattened && !has_any(m, POOL_PROPERTIES) {
                    return;
                }
                out.push(ArmItem::Pool {
                    value: v,
                    pointer,
                    hash,
                    flattened,
                });
            } else if depth == 0 {
                // List responses: `az rest` (`value`), Resource Graph (`data`).
                for key in ["value", "data"] {
                    if let Some(list @ Value::Array(_)) = m.get(key) {
                        collect(list, format!("/{key}"), hash.key(key), depth + 1, out);
                    }
                }
                // The REST API specification's examples (`{"parameters": ..., "responses":
                // {"200": {"body": ...}}}`): the resource the service answers with.
                if let Some(Value::Object(responses)) = m.get("responses") {
                    let code = ["200", "201"]
                        .into_iter()
                        .find(|c| responses.get(*c).and_then(|r| r.get("body")).is_some());
                    if let Some(code) = code {
                        let body = &responses[code]["body"];
                        let h = hash.key("responses").key(code).key("body");
                        // A single resource, or a list response (`value`).
                        match body.get("value") {
                            Some(list @ Value::Array(_)) => collect(
                                list,
                                format!("/responses/{code}/body/value"),
                                h.key("value"),
                                depth + 1,
                                out,
                            ),
                            _ => {
                                collect(body, format!("/responses/{code}/body"), h, depth + 1, out)
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Whether a document is a managedClusters resource, with or without its settings.
pub fn mentions_cluster(doc: &Value) -> bool {
    type_is(doc, MANAGED_CLUSTERS)
}

fn looks_flattened_cluster(m: &Map<String, Value>) -> bool {
    m.contains_key("agentPoolProfiles")
        || (has_any(m, &["kubernetesVersion", "dnsPrefix"]) && has_any(m, CLUSTER_PROPERTIES))
}

/// The resource in REST shape: envelope members at the top, the rest under `properties`.
fn unflatten(m: &Map<String, Value>) -> Value {
    let mut top = Map::new();
    let mut props = Map::new();
    for (k, v) in m {
        if ENVELOPE.iter().any(|e| e.eq_ignore_ascii_case(k)) {
            top.insert(k.clone(), v.clone());
        } else {
            props.insert(k.clone(), v.clone());
        }
    }
    top.insert("properties".to_string(), Value::Object(props));
    Value::Object(top)
}

/// A cluster from an ARM resource or `az aks show` output.
pub fn cluster(
    file: Arc<str>,
    spans: Arc<Spans>,
    value: &Value,
    pointer: String,
    hash: PathHash,
    flattened: bool,
) -> Cluster {
    let shape = if flattened {
        Shape::AzCli
    } else {
        Shape::ArmResource
    };
    let mut c = Cluster::new(shape, file);
    c.doc = match (flattened, value) {
        (true, Value::Object(m)) => unflatten(m),
        _ => value.clone(),
    };
    c.api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    c.source = Some(SourceDoc {
        spans,
        root_pointer: pointer,
        root_hash: hash,
        flattened,
    });
    normalize_legacy(&mut c);
    c
}

/// Moves settings of older API versions to where current ones keep them, so checks read one
/// place: `properties.apiServerAuthorizedIPRanges` (API 2019-02-01 to 2019-06-01) is
/// `properties.apiServerAccessProfile.authorizedIPRanges` since 2019-08-01.
pub fn normalize_legacy(c: &mut Cluster) {
    use super::model::{Prop, Seg};
    let old = [
        Seg::Key("properties"),
        Seg::Key("apiServerAuthorizedIPRanges"),
    ];
    let new = [
        Seg::Key("properties"),
        Seg::Key("apiServerAccessProfile"),
        Seg::Key("authorizedIPRanges"),
    ];
    if !matches!(c.prop(&new), Prop::Absent) {
        return;
    }
    match c.prop(&old) {
        Prop::Value(v) => {
            let v = v.clone();
            let origin = c.origin(&old);
            c.set(&new, v, origin);
        }
        Prop::Unresolved(u) => {
            let u = u.clone();
            let origin = c.origin(&old);
            c.set_unresolved(&new, u, origin);
        }
        _ => {}
    }
}

/// A node pool read on its own, in the shape of an `agentPoolProfiles` item (`name` plus the
/// members of `properties`), with the id of the cluster it belongs to when known.
pub fn pool(value: &Value, flattened: bool) -> (Value, Option<String>) {
    let Some(m) = value.as_object() else {
        return (Value::Null, None);
    };
    let mut out = Map::new();
    if let Some(n) = m.get("name") {
        // `cluster/pool` in templates; the pool's own name elsewhere.
        let name = n
            .as_str()
            .map(|s| s.rsplit('/').next().unwrap_or(s).to_string());
        out.insert(
            "name".to_string(),
            name.map(Value::String).unwrap_or_else(|| n.clone()),
        );
    }
    let props = if flattened {
        Some(m)
    } else {
        get_ci(m, "properties").and_then(Value::as_object)
    };
    if let Some(p) = props {
        for (k, v) in p {
            if flattened && ENVELOPE.iter().any(|e| e.eq_ignore_ascii_case(k)) {
                continue;
            }
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let parent = m.get("id").and_then(Value::as_str).and_then(|id| {
        let lower = id.to_ascii_lowercase();
        lower.find("/agentpools/").map(|i| id[..i].to_string())
    });
    (Value::Object(out), parent)
}

/// The origin of a whole node pool read on its own.
pub fn pool_origin(file: &Arc<str>, spans: &Spans, pointer: &str, hash: PathHash) -> Origin {
    Origin {
        file: file.clone(),
        pointer: pointer.to_string(),
        line: spans.get(hash),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aks::model::Prop;
    use crate::aks_path;
    use serde_json::json;

    #[test]
    fn az_output_is_unflattened_and_points_at_its_source() {
        let az = json!({
            "id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
            "name": "aks1",
            "type": "Microsoft.ContainerService/ManagedClusters",
            "resourceGroup": "rg",
            "kubernetesVersion": "1.30.3",
            "enableRbac": true,
            "apiServerAccessProfile": {"enablePrivateCluster": true},
            "agentPoolProfiles": [{"name": "sys", "mode": "System"}]
        });
        let found = items(&az);
        assert_eq!(found.len(), 1);
        let ArmItem::Cluster {
            value,
            pointer,
            hash,
            flattened,
        } = &found[0]
        else {
            panic!("a cluster");
        };
        assert!(*flattened);
        let c = cluster(
            Arc::from("az.json"),
            Arc::new(Spans::default()),
            value,
            pointer.clone(),
            *hash,
            *flattened,
        );
        assert_eq!(c.shape, Shape::AzCli);
        assert_eq!(c.name(), "aks1");
        let p = aks_path!["properties", "enableRBAC"];
        assert!(matches!(c.prop(&p), Prop::Value(Value::Bool(true))));
        assert_eq!(c.origin(&p).unwrap().pointer, "/enableRbac");
        assert_eq!(c.pools().len(), 1);
    }

    #[test]
    fn lists_and_pools() {
        let list = json!({"value": [
            {"type": "microsoft.containerservice/managedclusters", "name": "a", "properties": {"kubernetesVersion": "1.31"}},
            {"type": "Microsoft.ContainerService/managedClusters/agentPools", "name": "user",
             "id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a/agentPools/user",
             "properties": {"vmSize": "Standard_D4s_v5", "mode": "User"}},
            {"type": "Microsoft.Storage/storageAccounts", "name": "s", "properties": {}}
        ]});
        let found = items(&list);
        assert_eq!(found.len(), 2);
        let ArmItem::Pool {
            value,
            flattened,
            pointer,
            ..
        } = &found[1]
        else {
            panic!("a pool");
        };
        assert_eq!(pointer, "/value/1");
        let (p, parent) = pool(value, *flattened);
        assert_eq!(p["name"], "user");
        assert_eq!(p["vmSize"], "Standard_D4s_v5");
        assert!(parent.unwrap().ends_with("/managedClusters/a"));
        assert!(items(&json!({"kind": "Deployment"})).is_empty());
        assert!(items(&json!([1, [2, [3]]])).is_empty());
    }
}
