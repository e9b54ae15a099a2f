//! Cluster-wide checks: service mesh mTLS (Istio, including the AKS Istio add-on, and Linkerd).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck};
use crate::inventory::{Inventory, WORKLOADS, api_group};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[InventoryCheck {
    control: "NW-006",
    kinds: &["PeerAuthentication", "Namespace", WORKLOADS],
    run: mesh_mtls,
}];

/// Istio root namespaces: a PeerAuthentication without selector there applies mesh-wide
/// (`aks-istio-system` for the AKS Istio add-on).
const ROOT_NAMESPACES: &[&str] = &["istio-system", "aks-istio-system"];

/// Namespaces that run no application pods of their own.
const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "istio-system",
    "aks-istio-system",
    "aks-istio-ingress",
    "aks-istio-egress",
    "linkerd",
    "gatekeeper-system",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Weak,
    Unset,
}

/// `spec.mtls.mode` of a PeerAuthentication: STRICT, or PERMISSIVE / DISABLE (weak); UNSET and
/// absent inherit from the parent scope.
fn mode(p: &Object) -> (Mode, String) {
    let m = p
        .pointer("/spec/mtls/mode")
        .and_then(Value::as_str)
        .unwrap_or("UNSET")
        .to_ascii_uppercase();
    let mode = match m.as_str() {
        "STRICT" => Mode::Strict,
        "UNSET" => Mode::Unset,
        _ => Mode::Weak,
    };
    (mode, m)
}

fn has_selector(p: &Object) -> bool {
    p.pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
}

fn mesh_mtls(inv: &Inventory, _: &Ctx, out: &mut Vec<InvVerdict>) {
    let peer_auths: Vec<Object> = inv
        .of_kind(&["PeerAuthentication"])
        .filter(|p| api_group(p.api_version()) == "security.istio.io")
        .collect();
    let namespaces: Vec<Object> = inv.of_group_kind("", "Namespace").collect();

    // Mesh-wide and per-namespace modes (policies without a workload selector).
    let mut mesh_wide: Option<Mode> = None;
    let mut per_ns: BTreeMap<&str, Mode> = BTreeMap::new();
    for p in &peer_auths {
        let (m, shown) = mode(p);
        let ns = p.namespace().unwrap_or("");
        if m == Mode::Weak {
            out.push(InvVerdict::on(
                p,
                Some(&p.path(&["spec", "mtls", "mode"])),
                Status::Fail,
                format!("PeerAuthentication accepts plain-text traffic (mtls.mode {shown})"),
            ));
        } else if m == Mode::Strict {
            out.push(InvVerdict::on(
                p,
                None,
                Status::Pass,
                "PeerAuthentication requires mTLS (STRICT)",
            ));
        }
        if has_selector(p) {
            continue;
        }
        if ROOT_NAMESPACES.contains(&ns) {
            mesh_wide = Some(m);
        } else if !ns.is_empty() {
            per_ns.insert(ns, m);
        }
    }

    // Namespaces with a mesh: Istio sidecar or ambient injection, or Linkerd injection.
    let mut injected: BTreeMap<&str, &str> = BTreeMap::new();
    for ns in &namespaces {
        let labels = ns
            .metadata()
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        let ann = ns.annotations();
        let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        let istio = label("istio-injection") == Some("enabled")
            || label("istio.io/rev").is_some_and(|r| !r.is_empty())
            || label("istio.io/dataplane-mode") == Some("ambient");
        let how = if istio {
            Some("istio")
        } else if ann
            .and_then(|a| a.get("linkerd.io/inject"))
            .and_then(Value::as_str)
            == Some("enabled")
        {
            Some("linkerd")
        } else {
            None
        };
        if let Some(how) = how {
            injected.insert(ns.name(), how);
        }
    }

    // Without any mesh evidence among the inputs there is nothing to judge from files.
    if peer_auths.is_empty() && injected.is_empty() {
        return;
    }
    let app_namespaces: BTreeSet<&str> = inv
        .workloads
        .iter()
        .filter_map(|w| w.namespace())
        .chain(namespaces.iter().map(|n| n.name()))
        .filter(|ns| !SYSTEM_NAMESPACES.contains(ns))
        .collect();
    let declared: BTreeSet<&str> = namespaces.iter().map(|n| n.name()).collect();
    for ns in app_namespaces {
        let verdict = match injected.get(ns) {
            None if !declared.contains(ns) => (
                Status::NotEvaluated,
                format!(
                    "namespace {ns} has workloads but no Namespace object among the scanned inputs, so its mesh injection is unknown"
                ),
            ),
            None => (
                Status::Fail,
                format!(
                    "namespace {ns} has no mesh injection among the scanned inputs: its pods talk in plain text"
                ),
            ),
            Some(&"linkerd") => (
                Status::Pass,
                "namespace is meshed by Linkerd, which requires mTLS between meshed pods"
                    .to_string(),
            ),
            Some(_) => match per_ns
                .get(ns)
                .copied()
                .filter(|m| *m != Mode::Unset)
                .or(mesh_wide)
            {
                Some(Mode::Strict) => (
                    Status::Pass,
                    "namespace is meshed by Istio with STRICT mTLS".to_string(),
                ),
                Some(_) => (
                    Status::Fail,
                    format!(
                        "namespace {ns} is meshed by Istio but mTLS is not STRICT for it, so plain text is accepted"
                    ),
                ),
                None => (
                    Status::Fail,
                    format!(
                        "namespace {ns} is meshed by Istio but no STRICT PeerAuthentication covers it among the scanned inputs (Istio's default is PERMISSIVE)"
                    ),
                ),
            },
        };
        out.push(InvVerdict::namespace(inv, ns, verdict.0, verdict.1));
    }
}
