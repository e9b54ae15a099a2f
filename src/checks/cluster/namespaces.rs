//! Cluster-wide checks: namespaces (Pod Security Admission labels).

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck};
use crate::inventory::{Inventory, WORKLOADS};
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[InventoryCheck {
    control: "AD-004",
    kinds: &["Namespace", WORKLOADS],
    run: pss_enforcement,
}];

/// Namespaces run by the platform (AKS, Gatekeeper/Azure Policy), which need privileged pods
/// and are exempt from the application-namespace controls.
pub const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "gatekeeper-system",
];

/// Whether a namespace is one of the platform's: the configuration's `system-namespaces`
/// (by default [`SYSTEM_NAMESPACES`]).
pub fn is_system_namespace(ctx: &Ctx, ns: &str) -> bool {
    ctx.config.system_namespaces.iter().any(|s| s == ns)
}

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";

/// `latest` or `v1.MINOR`, the versions Pod Security Admission accepts.
fn valid_version(v: &str) -> bool {
    if v == "latest" {
        return true;
    }
    v.strip_prefix("v1.").is_some_and(|minor| {
        !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'))
    })
}

/// AD-004: every application Namespace among the inputs enforces baseline or restricted.
/// Namespaces used by workloads without a Namespace object are not evaluated.
fn pss_enforcement(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let mut seen = BTreeSet::new();
    for obj in inv.of_group_kind("", "Namespace") {
        let name = obj.name().to_string();
        if !seen.insert(name.clone()) || is_system_namespace(ctx, &name) {
            continue;
        }
        let labels = obj
            .metadata()
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        let label = |k: &str| labels.and_then(|l| l.get(k));
        let labels_path = obj.path(&["metadata", "labels"]);
        let enforce_path = labels_path.key(ENFORCE);
        match label(ENFORCE) {
            None | Some(Value::Null) => {
                let others: Vec<&str> = ["warn", "audit"]
                    .into_iter()
                    .filter(|m| label(&format!("pod-security.kubernetes.io/{m}")).is_some())
                    .collect();
                let note = if others.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (it sets only {}, which report violations but do not block them)",
                        others.join(" and ")
                    )
                };
                out.push(InvVerdict::on(
                    &obj,
                    Some(&labels_path),
                    Status::Fail,
                    format!(
                        "Namespace {name} has no {ENFORCE} label{note}: Pod Security Admission admits any pod, privileged ones included"
                    ),
                ));
                continue;
            }
            Some(Value::String(level)) if level == "baseline" || level == "restricted" => {}
            Some(Value::String(level)) if level == "privileged" => {
                out.push(InvVerdict::on(
                    &obj,
                    Some(&enforce_path),
                    Status::Fail,
                    format!(
                        "Namespace {name} enforces the privileged level, which admits any pod (only system namespaces {} may)",
                        ctx.config.system_namespaces.join(", ")
                    ),
                ));
                continue;
            }
            Some(other) => {
                out.push(InvVerdict::on(
                    &obj,
                    Some(&enforce_path),
                    Status::Fail,
                    format!(
                        "Namespace {name} has {ENFORCE}: {other}, which is not a Pod Security level (privileged, baseline, restricted)"
                    ),
                ));
                continue;
            }
        }
        let level = label(ENFORCE).and_then(Value::as_str).unwrap_or_default();
        match label(ENFORCE_VERSION) {
            None | Some(Value::Null) => out.push(InvVerdict::on(
                &obj,
                Some(&enforce_path),
                Status::Pass,
                format!(
                    "Namespace {name} enforces the {level} Pod Security level (no {ENFORCE_VERSION}: the latest version applies)"
                ),
            )),
            Some(Value::String(v)) if valid_version(v) => out.push(InvVerdict::on(
                &obj,
                Some(&enforce_path),
                Status::Pass,
                format!("Namespace {name} enforces the {level} Pod Security level, version {v}"),
            )),
            Some(other) => out.push(InvVerdict::on(
                &obj,
                Some(&labels_path.key(ENFORCE_VERSION)),
                Status::Fail,
                format!(
                    "Namespace {name} has {ENFORCE_VERSION}: {other}, which is neither `latest` nor v1.MINOR"
                ),
            )),
        }
    }
    let mut missing = BTreeSet::new();
    for w in &inv.workloads {
        if let Some(ns) = w.namespace()
            && !seen.contains(ns)
            && !is_system_namespace(ctx, ns)
        {
            missing.insert(ns);
        }
    }
    for ns in missing {
        out.push(InvVerdict::namespace(
            inv,
            ns,
            Status::NotEvaluated,
            format!(
                "namespace {ns} is used by workloads but there is no Namespace object for it among the scanned inputs, so its Pod Security labels cannot be read"
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(valid_version("latest"));
        assert!(valid_version("v1.29"));
        assert!(!valid_version("1.29"));
        assert!(!valid_version("v1"));
        assert!(!valid_version("v1.29.1"));
        assert!(!valid_version("v1.x"));
        assert!(!valid_version("v2.1"));
        assert!(!valid_version("v1.029"));
    }
}
