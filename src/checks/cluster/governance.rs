//! Cluster-wide checks: governance of namespaces and workloads (required labels, quotas).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck, Verdicts, WORKLOAD_KINDS};
use crate::inventory::{Inventory, WORKLOADS};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[ObjectCheck {
    control: "AD-005",
    kinds: &["Namespace", WORKLOADS],
    run: required_labels,
}];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[InventoryCheck {
    control: "WL-019",
    kinds: &["ResourceQuota", "LimitRange", "Namespace", WORKLOADS],
    run: quotas_and_limits,
}];

/// Namespaces managed by Kubernetes or AKS, not by application teams.
const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "gatekeeper-system",
    "aks-istio-system",
    "calico-system",
    "tigera-operator",
];

/// Every configured label present with a non-empty value on namespaces and workloads.
fn required_labels(obj: &Object, ctx: &Ctx, out: &mut Verdicts) {
    if !(obj.kind() == "Namespace" || WORKLOAD_KINDS.contains(&obj.kind()))
        || ctx.config.required_labels.is_empty()
    {
        return;
    }
    if obj.kind() == "Namespace" && SYSTEM_NAMESPACES.contains(&obj.name()) {
        return;
    }
    let labels = obj
        .metadata()
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object);
    let missing: Vec<&str> = ctx
        .config
        .required_labels
        .iter()
        .map(String::as_str)
        .filter(|k| {
            labels
                .and_then(|l| l.get(*k))
                .is_none_or(|v| v.is_null() || v.as_str() == Some(""))
        })
        .collect();
    if missing.is_empty() {
        out.pass("carries every required label");
    } else {
        out.fail(
            obj.path(&["metadata", "labels"]),
            format!(
                "lacks required label{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        );
    }
}

/// What a ResourceQuota limits, by the resource names of `spec.hard`.
fn quota_gaps(hard: &serde_json::Map<String, Value>) -> Vec<&'static str> {
    let has = |names: &[&str]| names.iter().any(|n| hard.contains_key(*n));
    let mut gaps = Vec::new();
    if !has(&["requests.cpu", "cpu"]) {
        gaps.push("requests.cpu");
    }
    if !has(&["requests.memory", "memory"]) {
        gaps.push("requests.memory");
    }
    if !has(&["limits.cpu"]) {
        gaps.push("limits.cpu");
    }
    if !has(&["limits.memory"]) {
        gaps.push("limits.memory");
    }
    if !has(&["pods", "count/pods"]) {
        gaps.push("pods");
    }
    gaps
}

/// Every application namespace has a ResourceQuota bounding CPU, memory and pods, and a
/// LimitRange giving containers default requests and limits.
fn quotas_and_limits(inv: &Inventory, _: &Ctx, out: &mut Vec<InvVerdict>) {
    // Every namespace a scanned object names or declares, system namespaces excepted.
    let namespaces: BTreeSet<String> = inv
        .namespaces
        .iter()
        .filter(|n| !SYSTEM_NAMESPACES.contains(&n.as_str()))
        .cloned()
        .collect();
    if namespaces.is_empty() {
        return;
    }
    // Quota coverage per namespace: the union of what its quotas bound.
    let mut quota_gaps_by_ns: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for q in inv.of_group_kind("", "ResourceQuota") {
        let Some(ns) = q.namespace() else { continue };
        let gaps = q
            .pointer("/spec/hard")
            .and_then(Value::as_object)
            .map(quota_gaps)
            .unwrap_or_else(|| quota_gaps(&serde_json::Map::new()));
        let entry = quota_gaps_by_ns
            .entry(ns.to_string())
            .or_insert_with(|| gaps.clone());
        entry.retain(|g| gaps.contains(g));
    }
    let mut limit_defaults: BTreeSet<String> = BTreeSet::new();
    for l in inv.of_group_kind("", "LimitRange") {
        let Some(ns) = l.namespace() else { continue };
        let has_defaults = l
            .pointer("/spec/limits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|item| {
                item.get("type").and_then(Value::as_str) == Some("Container")
                    && item
                        .get("default")
                        .is_some_and(|d| d.get("memory").is_some())
                    && item
                        .get("defaultRequest")
                        .is_some_and(|d| d.get("cpu").is_some() || d.get("memory").is_some())
            });
        if has_defaults {
            limit_defaults.insert(ns.to_string());
        }
    }
    for ns in namespaces {
        let mut problems = Vec::new();
        match quota_gaps_by_ns.get(&ns) {
            None => problems.push("no ResourceQuota".to_string()),
            Some(gaps) if !gaps.is_empty() => problems.push(format!(
                "a ResourceQuota that does not bound {}",
                gaps.join(", ")
            )),
            Some(_) => {}
        }
        if !limit_defaults.contains(&ns) {
            problems.push(
                "no LimitRange with default container requests and memory limits".to_string(),
            );
        }
        let (status, message) = if problems.is_empty() {
            (
                Status::Pass,
                "namespace has a ResourceQuota and LimitRange defaults".to_string(),
            )
        } else {
            (
                Status::Fail,
                format!(
                    "namespace {ns} has {} among the scanned inputs",
                    problems.join(" and ")
                ),
            )
        };
        out.push(InvVerdict::namespace(inv, &ns, status, message));
    }
}
