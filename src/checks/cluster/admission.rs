//! Cluster-wide checks: admission (webhook configurations, policy engines).

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck};
use crate::inventory::{Inventory, SelectorMatch, api_group, selector_matches};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[InventoryCheck {
    control: "AD-003",
    kinds: &[
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicyBinding",
        "ClusterPolicy",
        "Policy",
        "Namespace",
        "<gatekeeper-constraints>",
    ],
    run: admission_engine,
}];

/// Namespaces that admission policies commonly and legitimately exempt.
const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "gatekeeper-system",
    "kyverno",
    "calico-system",
    "tigera-operator",
];

/// Longest webhook timeout that does not stall API requests (the default is 10 s, max 30 s).
const MAX_TIMEOUT_SECONDS: i64 = 10;

fn admission_engine(inv: &Inventory, _: &Ctx, out: &mut Vec<InvVerdict>) {
    // Namespace labels, with the label the API server adds to every namespace.
    let namespaces: BTreeMap<String, BTreeMap<String, String>> = inv
        .of_group_kind("", "Namespace")
        .map(|ns| {
            let mut labels: BTreeMap<String, String> = ns
                .metadata()
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            labels.insert(
                "kubernetes.io/metadata.name".to_string(),
                ns.name().to_string(),
            );
            (ns.name().to_string(), labels)
        })
        .collect();

    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        for cfg in inv.of_group_kind("admissionregistration.k8s.io", kind) {
            webhook_configuration(&cfg, &namespaces, out);
        }
    }
    for obj in &inv.objects {
        let group = api_group(obj.api_version());
        if group == "constraints.gatekeeper.sh" {
            let c = obj.load();
            let action = c
                .pointer("/spec/enforcementAction")
                .and_then(Value::as_str)
                .unwrap_or("deny");
            let path = c.path(&["spec", "enforcementAction"]);
            if action.eq_ignore_ascii_case("deny") {
                out.push(InvVerdict::on(
                    &c,
                    None,
                    Status::Pass,
                    "Gatekeeper constraint enforces (deny)",
                ));
            } else {
                out.push(InvVerdict::on(
                    &c,
                    Some(&path),
                    Status::Fail,
                    format!("Gatekeeper constraint only reports (enforcementAction: {action}): violations are admitted"),
                ));
            }
        } else if group == "kyverno.io" && matches!(obj.kind(), "ClusterPolicy" | "Policy") {
            kyverno_policy(&obj.load(), out);
        } else if group == "admissionregistration.k8s.io"
            && obj.kind() == "ValidatingAdmissionPolicyBinding"
        {
            let b = obj.load();
            let actions: Vec<&str> = b
                .pointer("/spec/validationActions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if actions.contains(&"Deny") {
                out.push(InvVerdict::on(
                    &b,
                    None,
                    Status::Pass,
                    "ValidatingAdmissionPolicyBinding denies violations",
                ));
            } else {
                out.push(InvVerdict::on(
                    &b,
                    Some(&b.path(&["spec", "validationActions"])),
                    Status::Fail,
                    format!(
                        "ValidatingAdmissionPolicyBinding does not deny (validationActions: {}): violations are admitted",
                        if actions.is_empty() { "none".to_string() } else { actions.join(", ") }
                    ),
                ));
            }
        }
    }
}

/// Kyverno: `spec.validationFailureAction` (default Audit), or per rule `validate.failureAction`
/// (Kyverno 1.13+, which overrides the policy-wide setting).
fn kyverno_policy(p: &Object, out: &mut Vec<InvVerdict>) {
    let policy_action = p
        .pointer("/spec/validationFailureAction")
        .and_then(Value::as_str)
        .unwrap_or("Audit");
    let rules = p.pointer("/spec/rules").and_then(Value::as_array);
    let validating: Vec<(usize, &str)> = rules
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, r)| {
            let v = r.get("validate")?;
            Some((
                i,
                v.get("failureAction")
                    .and_then(Value::as_str)
                    .unwrap_or(policy_action),
            ))
        })
        .collect();
    if validating.is_empty() {
        return; // mutate/generate/verifyImages only: not a validation policy
    }
    let enforcing = validating
        .iter()
        .filter(|(_, a)| a.eq_ignore_ascii_case("enforce"))
        .count();
    if enforcing == validating.len() {
        out.push(InvVerdict::on(
            p,
            None,
            Status::Pass,
            "Kyverno policy enforces its validation rules",
        ));
        return;
    }
    for (i, action) in validating {
        if !action.eq_ignore_ascii_case("enforce") {
            let path = p.path(&["spec", "rules"]).index(i);
            out.push(InvVerdict::on(
                p,
                Some(&path),
                Status::Fail,
                format!("Kyverno validation rule {i} only audits (failure action {action}): violations are admitted"),
            ));
        }
    }
}

fn webhook_configuration(
    cfg: &Object,
    namespaces: &BTreeMap<String, BTreeMap<String, String>>,
    out: &mut Vec<InvVerdict>,
) {
    let validating = cfg.kind() == "ValidatingWebhookConfiguration";
    let Some(hooks) = cfg.value.get("webhooks").and_then(Value::as_array) else {
        return;
    };
    let mut failed = false;
    for (i, hook) in hooks.iter().enumerate() {
        let base = cfg.path(&["webhooks"]).index(i);
        let name = hook
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("<unnamed>");
        let mut fail = |path, message: String| {
            failed = true;
            out.push(InvVerdict::on(
                cfg,
                Some(&path),
                Status::Fail,
                format!("webhook {name}: {message}"),
            ));
        };
        let client = hook.get("clientConfig");
        if let Some(url) = client.and_then(|c| c.get("url")).and_then(Value::as_str) {
            if !url.to_ascii_lowercase().starts_with("https://") {
                fail(
                    base.keys(&["clientConfig", "url"]),
                    "calls a URL that is not HTTPS".to_string(),
                );
            }
            if client
                .and_then(|c| c.get("caBundle"))
                .is_none_or(|c| c.as_str().is_none_or(str::is_empty))
            {
                fail(
                    base.key("clientConfig"),
                    "calls a URL without a caBundle to verify the webhook's certificate"
                        .to_string(),
                );
            }
        }
        // admissionregistration.k8s.io/v1 defaults failurePolicy to Fail.
        if validating && hook.get("failurePolicy").and_then(Value::as_str) == Some("Ignore") {
            fail(
                base.key("failurePolicy"),
                "fails open (failurePolicy: Ignore): when the webhook is down, requests it should reject are admitted".to_string(),
            );
        }
        if let Some(t) = hook.get("timeoutSeconds").and_then(Value::as_i64)
            && t > MAX_TIMEOUT_SECONDS
        {
            fail(
                base.key("timeoutSeconds"),
                format!(
                    "waits up to {t}s per request (more than {MAX_TIMEOUT_SECONDS}s stalls the API server)"
                ),
            );
        }
        if let Some(s) = hook.get("sideEffects").and_then(Value::as_str)
            && !matches!(s, "None" | "NoneOnDryRun")
        {
            fail(
                base.key("sideEffects"),
                format!("declares side effects ({s})"),
            );
        }
        // Namespaces the selector leaves out, among the scanned Namespace objects.
        if let Some(sel) = hook.get("namespaceSelector") {
            let exempt: Vec<&str> = namespaces
                .iter()
                .filter(|(ns, _)| !SYSTEM_NAMESPACES.contains(&ns.as_str()))
                .filter(|(_, labels)| selector_matches(sel, labels) == SelectorMatch::NoMatch)
                .map(|(ns, _)| ns.as_str())
                .collect();
            if !exempt.is_empty() {
                fail(
                    base.key("namespaceSelector"),
                    format!(
                        "its namespaceSelector exempts application namespace{} {} (among the scanned Namespace objects)",
                        if exempt.len() == 1 { "" } else { "s" },
                        exempt.join(", ")
                    ),
                );
            }
        }
    }
    if !failed && !hooks.is_empty() {
        out.push(InvVerdict::on(
            cfg,
            None,
            Status::Pass,
            "webhooks use TLS, fail closed, time out quickly and cover the scanned namespaces",
        ));
    }
}
