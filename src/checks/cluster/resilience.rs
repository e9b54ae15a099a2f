//! Cluster-wide checks: resilience.

use std::collections::HashMap;

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck};
use crate::inventory::{
    Inventory, SelectorMatch, WORKLOADS, Workload, api_group, selector_matches,
};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[InventoryCheck {
    control: "WL-018",
    kinds: &["PodDisruptionBudget", WORKLOADS],
    run: pod_disruption_budget,
}];

/// How many pods a PodDisruptionBudget lets the eviction API take down for a workload with
/// `replicas` pods, the way the disruption controller computes it (percentages round up).
#[derive(Debug, PartialEq, Eq)]
enum Allowance {
    /// Disruptions allowed when every replica is healthy.
    Allows(i64),
    /// Neither minAvailable nor maxUnavailable (policy/v1): nothing is protected.
    Unlimited,
    /// The PDB is not valid (the API server would reject it).
    Invalid(&'static str),
}

/// An IntOrString of a PDB: an integer, or a percent string (`"50%"`); a plain numeric string
/// is not valid for PDBs.
fn scaled(v: &Value, replicas: i64) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().filter(|n| *n >= 0),
        Value::String(s) => {
            let p: i64 = s.strip_suffix('%')?.parse().ok()?;
            if !(0..=100).contains(&p) {
                return None;
            }
            Some((p * replicas + 99) / 100)
        }
        _ => None,
    }
}

fn allowance(pdb: &Object, replicas: i64) -> Allowance {
    let spec = pdb.value.get("spec");
    let get = |k: &str| spec.and_then(|s| s.get(k)).filter(|v| !v.is_null());
    match (get("minAvailable"), get("maxUnavailable")) {
        (Some(_), Some(_)) => Allowance::Invalid("sets both minAvailable and maxUnavailable"),
        (Some(min), None) => match scaled(min, replicas) {
            Some(m) => Allowance::Allows((replicas - m).max(0)),
            None => Allowance::Invalid("has a minAvailable that is not valid"),
        },
        (None, Some(max)) => match scaled(max, replicas) {
            Some(m) => Allowance::Allows(m.min(replicas)),
            None => Allowance::Invalid("has a maxUnavailable that is not valid"),
        },
        // policy/v1beta1 defaulted minAvailable to 1.
        (None, None) if pdb.api_version() == "policy/v1beta1" => {
            Allowance::Allows((replicas - 1).max(0))
        }
        (None, None) => Allowance::Unlimited,
    }
}

/// Whether a PDB selects pods with these labels. policy/v1: a null selector selects nothing
/// and `{}` selects every pod of the namespace; policy/v1beta1: an empty selector selects
/// nothing.
fn pdb_selects(pdb: &Object, w: &Workload) -> bool {
    let Some(sel) = pdb
        .value
        .get("spec")
        .and_then(|s| s.get("selector"))
        .filter(|s| !s.is_null())
    else {
        return false;
    };
    let empty = sel.as_object().is_some_and(|m| {
        m.values().all(|v| {
            v.is_null()
                || v.as_object().is_some_and(|o| o.is_empty())
                || v.as_array().is_some_and(|a| a.is_empty())
        })
    });
    if empty && pdb.api_version() == "policy/v1beta1" {
        return false;
    }
    selector_matches(sel, &w.pod_labels) == SelectorMatch::Matches
}

fn verdict(w: &Workload, status: Status, message: String) -> InvVerdict {
    InvVerdict {
        status,
        message,
        object: w.reference.clone(),
        location: Some(w.location.clone()),
    }
}

/// WL-018: every workload with more than one replica is selected by exactly one
/// PodDisruptionBudget of its namespace that allows at least one disruption, and updates
/// with a rolling strategy.
pub fn pod_disruption_budget(inv: &Inventory, _: &Ctx, out: &mut Vec<InvVerdict>) {
    let pdbs: Vec<Object> = inv
        .of_kind(&["PodDisruptionBudget"])
        .filter(|o| api_group(o.api_version()) == "policy")
        .collect();
    let mut by_ns: HashMap<Option<&str>, Vec<&Object>> = HashMap::new();
    for p in &pdbs {
        let list = by_ns.entry(p.namespace()).or_default();
        // The same PDB scanned twice (a file and a rendered bundle) is one object in the API.
        if !list.iter().any(|q| q.name() == p.name()) {
            list.push(p);
        }
    }
    for w in &inv.workloads {
        let Some(replicas) = w.replicas.filter(|r| *r > 1) else {
            continue;
        };
        let mut problems = Vec::new();
        let selecting: Vec<&Object> = by_ns
            .get(&w.namespace())
            .into_iter()
            .flatten()
            .filter(|p| pdb_selects(p, w))
            .copied()
            .collect();
        let mut good = None;
        match selecting.as_slice() {
            [] => problems.push(format!(
                "has {replicas} replicas but no PodDisruptionBudget among the scanned inputs selects its pods, so a node drain can evict them all at once"
            )),
            [p] => match allowance(p, replicas) {
                Allowance::Allows(0) => problems.push(format!(
                    "PodDisruptionBudget `{}` allows no disruption of its {replicas} replicas, which blocks node drains and upgrades",
                    p.name()
                )),
                Allowance::Allows(n) => good = Some((p.name().to_string(), n)),
                Allowance::Unlimited => problems.push(format!(
                    "PodDisruptionBudget `{}` sets neither minAvailable nor maxUnavailable, so it does not limit evictions",
                    p.name()
                )),
                Allowance::Invalid(why) => problems.push(format!(
                    "PodDisruptionBudget `{}` {why} (the API server rejects it)",
                    p.name()
                )),
            },
            many => problems.push(format!(
                "{} PodDisruptionBudgets ({}) select its pods; the eviction API refuses to evict a pod covered by more than one, which blocks node drains",
                many.len(),
                many.iter()
                    .map(|p| format!("`{}`", p.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        match w.strategy.as_deref() {
            Some("Recreate") => problems.push(
                "updates with the Recreate strategy instead of RollingUpdate, so every replica stops before the new ones start"
                    .to_string(),
            ),
            Some("OnDelete") => problems.push(
                "updates with the OnDelete strategy instead of RollingUpdate, so pods keep the old version until someone deletes them"
                    .to_string(),
            ),
            _ => {}
        }
        if problems.is_empty() {
            let (name, n) = good.unwrap_or_default();
            out.push(verdict(
                w,
                Status::Pass,
                format!(
                    "PodDisruptionBudget `{name}` among the scanned inputs selects its {replicas} replicas and allows {n} disruption{} at a time; updates roll",
                    if n == 1 { "" } else { "s" }
                ),
            ));
        } else {
            for p in problems {
                out.push(verdict(w, Status::Fail, p));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn pdb(api: &str, spec: Value) -> Object {
        let serde_json::Value::Object(map) = json!({
            "apiVersion": api, "kind": "PodDisruptionBudget",
            "metadata": {"name": "p"}, "spec": spec,
        }) else {
            unreachable!()
        };
        Object::new(
            map,
            Arc::new(crate::spans::Spans::default()),
            crate::spans::Path::root(),
            crate::k8s::Provenance {
                file: Arc::from("t.yaml"),
                document: Some(0),
                line: Some(1),
            },
        )
    }

    #[test]
    fn allowances() {
        let v1 = |spec| allowance(&pdb("policy/v1", spec), 3);
        assert_eq!(v1(json!({"maxUnavailable": 1})), Allowance::Allows(1));
        assert_eq!(v1(json!({"maxUnavailable": 0})), Allowance::Allows(0));
        assert_eq!(v1(json!({"maxUnavailable": "0%"})), Allowance::Allows(0));
        // 10% of 3 rounds up to 1.
        assert_eq!(v1(json!({"maxUnavailable": "10%"})), Allowance::Allows(1));
        assert_eq!(v1(json!({"minAvailable": 2})), Allowance::Allows(1));
        assert_eq!(v1(json!({"minAvailable": 3})), Allowance::Allows(0));
        assert_eq!(v1(json!({"minAvailable": 5})), Allowance::Allows(0));
        // 50% of 3 rounds up to 2 → 1 allowed; 100% → none.
        assert_eq!(v1(json!({"minAvailable": "50%"})), Allowance::Allows(1));
        assert_eq!(v1(json!({"minAvailable": "100%"})), Allowance::Allows(0));
        assert_eq!(v1(json!({})), Allowance::Unlimited);
        assert!(matches!(
            v1(json!({"minAvailable": "1"})),
            Allowance::Invalid(_)
        ));
        assert!(matches!(
            v1(json!({"minAvailable": 1, "maxUnavailable": 1})),
            Allowance::Invalid(_)
        ));
        assert_eq!(
            allowance(&pdb("policy/v1beta1", json!({})), 3),
            Allowance::Allows(2)
        );
    }
}
