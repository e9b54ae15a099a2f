//! Cluster-wide checks: identity.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck, Verdicts, with_pod};
use super::secrets::{detect, is_secret};
use crate::inventory::{Inventory, WORKLOADS, Workload, api_group};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[ObjectCheck {
    control: "ID-008",
    kinds: &[
        "AzureIdentity",
        "AzureIdentityBinding",
        "AzurePodIdentityException",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        WORKLOADS,
    ],
    run: no_static_azure_credentials,
}];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[
    InventoryCheck {
        control: "ID-016",
        kinds: &["Secret", WORKLOADS],
        run: legacy_service_account_tokens,
    },
    InventoryCheck {
        control: "ID-008",
        kinds: &["ServiceAccount", WORKLOADS],
        run: workload_identity_service_accounts,
    },
];

/// The pod label the workload identity webhook selects pods by (objectSelector, value "true").
const WI_USE: &str = "azure.workload.identity/use";
/// The ServiceAccount annotation naming the managed identity (or app registration) to use.
const WI_CLIENT_ID: &str = "azure.workload.identity/client-id";
/// The pod label that binds a pod to an AzureIdentity under AAD Pod Identity (deprecated).
const AAD_POD_ID_BINDING: &str = "aadpodidbinding";

/// The non-empty `azure.workload.identity/client-id` annotation of a ServiceAccount.
fn client_id(sa: &Object) -> Option<&str> {
    sa.annotations()
        .and_then(|a| a.get(WI_CLIENT_ID))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// ID-008, across objects: a workload whose pods carry `azure.workload.identity/use: "true"`
/// passes when its ServiceAccount (serviceAccountName, else `default`, in the same namespace)
/// is among the inputs with a non-empty client-id annotation, fails when that ServiceAccount is
/// there without it, and is not evaluated when the ServiceAccount or the namespace is unknown.
pub fn workload_identity_service_accounts(inv: &Inventory, _: &Ctx, out: &mut Vec<InvVerdict>) {
    let mut sas: HashMap<(String, String), bool> = HashMap::new();
    for sa in inv.of_group_kind("", "ServiceAccount") {
        if let Some(ns) = sa.namespace() {
            sas.insert(
                (ns.to_string(), sa.name().to_string()),
                client_id(&sa).is_some(),
            );
        }
    }
    for w in &inv.workloads {
        if w.pod_labels.get(WI_USE).map(String::as_str) != Some("true") {
            continue;
        }
        let sa = w.service_account.as_deref().unwrap_or("default");
        let (status, message) = match w.namespace() {
            None => (
                Status::NotEvaluated,
                format!(
                    "is labelled {WI_USE}: \"true\" but sets no metadata.namespace, so its ServiceAccount `{sa}` cannot be found among the scanned inputs"
                ),
            ),
            Some(ns) => match sas.get(&(ns.to_string(), sa.to_string())) {
                Some(true) => (
                    Status::Pass,
                    format!(
                        "uses workload identity: labelled {WI_USE}: \"true\" and its ServiceAccount {ns}/{sa} is annotated with {WI_CLIENT_ID}"
                    ),
                ),
                Some(false) => (
                    Status::Fail,
                    format!(
                        "is labelled {WI_USE}: \"true\" but its ServiceAccount {ns}/{sa} has no {WI_CLIENT_ID} annotation among the scanned inputs, so the workload identity webhook injects no AZURE_CLIENT_ID and the pods are not tied to a managed identity; annotate the ServiceAccount"
                    ),
                ),
                None => (
                    Status::NotEvaluated,
                    format!(
                        "is labelled {WI_USE}: \"true\" but its ServiceAccount {ns}/{sa} is not among the scanned inputs, so whether it carries {WI_CLIENT_ID} cannot be judged"
                    ),
                ),
            },
        };
        out.push(InvVerdict {
            status,
            message,
            object: w.reference.clone(),
            location: Some(w.location.clone()),
        });
    }
}

/// Keys from the object's root to the pod metadata found by `pod_spec` (labels of a Pod, of a
/// PodTemplate's template, of a CronJob's job template, or of `spec.template`).
fn pod_meta_keys(obj: &Object) -> Vec<&'static str> {
    match obj.kind() {
        "Pod" => vec!["metadata"],
        "PodTemplate" => vec!["template", "metadata"],
        _ if obj
            .value
            .get("spec")
            .and_then(|s| s.pointer("/jobTemplate/spec"))
            .is_some_and(Value::is_object) =>
        {
            vec!["spec", "jobTemplate", "spec", "template", "metadata"]
        }
        _ => vec!["spec", "template", "metadata"],
    }
}

const SA_TOKEN: &str = "kubernetes.io/service-account-token";

/// Names of the Secrets a workload reads: secret volumes, secret sources of projected volumes,
/// and env / envFrom references.
fn secrets_read(w: &Workload) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for v in &w.volumes {
        if let Some(n) = v.pointer("/secret/secretName").and_then(Value::as_str) {
            out.push((n.to_string(), "mounts"));
        }
        for s in v
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = s.pointer("/secret/name").and_then(Value::as_str) {
                out.push((n.to_string(), "mounts"));
            }
        }
    }
    for n in &w.env_secret_refs {
        out.push((n.clone(), "reads in its environment"));
    }
    out
}

/// ID-016: Secrets of type kubernetes.io/service-account-token fail (a legacy token that never
/// expires), and so do workloads that mount or read such a Secret. Workloads that read no
/// Secret, or only scanned Secrets of other types, pass.
pub fn legacy_service_account_tokens(inv: &Inventory, _: &Ctx, out: &mut Vec<InvVerdict>) {
    let mut all: HashSet<(Option<String>, String)> = HashSet::new();
    let mut tokens: HashMap<(Option<String>, String), Option<String>> = HashMap::new();
    for s in inv.of_group_kind("", "Secret") {
        let key = (s.namespace().map(str::to_string), s.name().to_string());
        all.insert(key.clone());
        if s.value.get("type").and_then(Value::as_str) != Some(SA_TOKEN) {
            continue;
        }
        let sa = s
            .annotations()
            .and_then(|a| a.get("kubernetes.io/service-account.name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let path = s.path(&["type"]);
        out.push(InvVerdict::on(
            &s,
            Some(&path),
            Status::Fail,
            format!(
                "is a legacy service-account token Secret{}: its token never expires and is not bound to a pod; use projected or `kubectl create token` tokens instead",
                sa.as_deref()
                    .map(|n| format!(" for ServiceAccount `{n}`"))
                    .unwrap_or_default()
            ),
        ));
        tokens.insert(key, sa);
    }
    for w in &inv.workloads {
        let ns = w.namespace().map(str::to_string);
        let mut fails = Vec::new();
        let mut unknown = false;
        for (name, how) in secrets_read(w) {
            let key = (ns.clone(), name);
            if tokens.contains_key(&key) {
                fails.push(format!(
                    "{how} the legacy service-account token Secret `{}` instead of using a projected serviceAccountToken volume",
                    key.1
                ));
            } else if !all.contains(&key) {
                unknown = true;
            }
        }
        fails.dedup();
        let verdict = |status, message| InvVerdict {
            status,
            message,
            object: w.reference.clone(),
            location: Some(w.location.clone()),
        };
        if !fails.is_empty() {
            out.extend(fails.into_iter().map(|m| verdict(Status::Fail, m)));
        } else if !unknown {
            // A Secret that was not scanned could be a token Secret: no verdict then.
            out.push(verdict(
                Status::Pass,
                "reads no service-account token Secret among the scanned inputs".to_string(),
            ));
        }
    }
}

/// Names (of env variables, Secret or ConfigMap keys) that hold a static Azure credential,
/// compared after normalising to upper-case words joined by `_` (`clientSecret` →
/// `CLIENT_SECRET`). `clientsecret` is the key the Secrets Store CSI driver reads from a
/// nodePublishSecretRef Secret; `ARM_*` are the Terraform provider's variables.
const AZURE_CREDENTIAL_NAMES: &[&str] = &[
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_SERVICEBUS_CONNECTION_STRING",
    "AZURE_EVENTHUB_CONNECTION_STRING",
    "AZURE_COSMOS_KEY",
    "ARM_CLIENT_SECRET",
    "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "ARM_ACCESS_KEY",
    "CLIENTSECRET",
    "AZURESTORAGEACCOUNTKEY",
];

/// A name that holds a static Azure credential.
fn azure_credential_name(name: &str) -> bool {
    let norm = detect::words(name).join("_").to_ascii_uppercase();
    AZURE_CREDENTIAL_NAMES.contains(&norm.as_str())
}

/// Standard base64 (with or without padding); None when it is not valid.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for b in s.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// Keys of a Secret or ConfigMap that carry an Azure credential: by name (whatever the value),
/// or by value (an account key, shared access key or SAS in a connection string or URL).
/// `decode` decodes base64 values (Secret `data`).
fn credential_keys(map: Option<&Value>, decode: bool) -> Vec<String> {
    let Some(m) = map.and_then(Value::as_object) else {
        return Vec::new();
    };
    m.iter()
        .filter(|(k, v)| {
            if azure_credential_name(k) {
                return true;
            }
            let Some(text) = v.as_str() else {
                return false;
            };
            if decode {
                base64_decode(text)
                    .and_then(|b| String::from_utf8(b).ok())
                    .is_some_and(|t| detect::azure_key(&t))
            } else {
                detect::azure_key(text)
            }
        })
        .map(|(k, _)| k.clone())
        .collect()
}

fn keys_text(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ID-008: static Azure credentials in Secrets, ConfigMaps and container env; AAD Pod Identity
/// objects; ServiceAccounts federated with workload identity pass.
pub fn no_static_azure_credentials(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    let group = api_group(obj.api_version());
    match obj.kind() {
        "AzureIdentity" | "AzureIdentityBinding" | "AzurePodIdentityException"
            if group == "aadpodidentity.k8s.io" =>
        {
            out.fail(
                obj.path(&["kind"]),
                format!(
                    "is an {} of AAD Pod Identity, which is deprecated; federate a managed identity with the workload's ServiceAccount (workload identity) instead",
                    obj.kind()
                ),
            );
            return;
        }
        "ServiceAccount" if group.is_empty() => {
            if client_id(obj).is_some() {
                out.pass(
                    "is federated with a managed identity (azure.workload.identity/client-id)",
                );
            }
            return;
        }
        _ => {}
    }
    if is_secret(obj) || (obj.kind() == "ConfigMap" && obj.api_version() == "v1") {
        let what = obj.kind();
        for (field, decode) in [("data", is_secret(obj)), ("stringData", false)] {
            let keys = credential_keys(obj.value.get(field), decode);
            if !keys.is_empty() {
                out.fail(
                    obj.path(&[field]),
                    format!(
                        "{what} holds a static Azure credential in {field} (key{} {}): client secret, certificate, storage key or shared access key; use workload identity",
                        if keys.len() == 1 { "" } else { "s" },
                        keys_text(&keys)
                    ),
                );
            }
        }
        if obj.kind() == "ConfigMap" {
            let keys = credential_keys(obj.value.get("binaryData"), false);
            if !keys.is_empty() {
                out.fail(
                    obj.path(&["binaryData"]),
                    format!(
                        "ConfigMap holds a static Azure credential in binaryData (keys {})",
                        keys_text(&keys)
                    ),
                );
            }
        }
        out.pass_if_clean(format!("{what} holds no static Azure credential"));
        return;
    }
    with_pod(obj, out, |pod, out| {
        let labels = pod.meta.and_then(|m| m.get("labels"));
        if let Some(v) = labels.and_then(|l| l.get(AAD_POD_ID_BINDING)) {
            let mut keys = pod_meta_keys(obj);
            keys.extend(["labels", AAD_POD_ID_BINDING]);
            out.fail(
                obj.path(&keys),
                format!(
                    "pods are labelled {AAD_POD_ID_BINDING}: {} for AAD Pod Identity, which is deprecated; federate a managed identity with the ServiceAccount (workload identity) and label the pods {WI_USE}: \"true\" instead",
                    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
                ),
            );
        }
        for c in pod.containers() {
            let Some(env) = c.value.get("env").and_then(Value::as_array) else {
                continue;
            };
            for (i, e) in env.iter().enumerate() {
                let name = e.get("name").and_then(Value::as_str).unwrap_or("<unnamed>");
                let literal = e.get("value").and_then(Value::as_str);
                let by_name = azure_credential_name(name)
                    && (e.get("valueFrom").is_some_and(|v| !v.is_null())
                        || literal.is_some_and(|v| !v.trim().is_empty()));
                let by_value = literal.is_some_and(detect::azure_key);
                if by_name || by_value {
                    out.fail(
                        c.path.keys(&["env"]).index(i),
                        format!(
                            "{} gets a static Azure credential in env `{name}`{}; use workload identity (a federated ServiceAccount) instead",
                            c.describe(),
                            if by_value {
                                " (an account key, shared access key or SAS)"
                            } else {
                                ""
                            }
                        ),
                    );
                }
            }
        }
        let wi = labels.and_then(|l| l.get(WI_USE)).and_then(Value::as_str) == Some("true");
        // A workload labelled for workload identity is judged across objects instead
        // (workload_identity_service_accounts): its ServiceAccount decides pass or fail.
        if !out.has_fail() && !wi {
            out.pass(
                "gets no static Azure credential through container env and uses no AAD Pod Identity label",
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_names() {
        for n in [
            "AZURE_CLIENT_SECRET",
            "azure-client-secret",
            "azureClientSecret",
            "clientsecret",
            "AZURE_STORAGE_KEY",
            "ARM_CLIENT_SECRET",
        ] {
            assert!(azure_credential_name(n), "{n}");
        }
        for n in [
            "AZURE_CLIENT_ID",
            "AZURE_TENANT_ID",
            "clientid",
            "client_secret_name",
        ] {
            assert!(!azure_credential_name(n), "{n}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("not base64!").is_none());
    }
}
