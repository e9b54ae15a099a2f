//! Nodes as a live cluster reports them (`kubectl get nodes -o yaml` gives the same objects):
//! the kubelet version of every node against the Kubernetes version calendar.

use std::sync::LazyLock;

use serde_json::Value;

use super::super::{Ctx, InventoryCheck, ObjectCheck, Verdicts};
use crate::aks::versions::{Calendar, Date, Support};
use crate::checks::aks::{AksCtx, version_verdict};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[ObjectCheck {
    control: "CP-006",
    kinds: &["Node"],
    run: kubelet_version,
}];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[];

static BUILTIN: LazyLock<Calendar> = LazyLock::new(Calendar::builtin);

/// The calendar and date version support is judged with (`--aks-versions`, `--as-of`).
pub fn version_ctx<'a>(ctx: &'a Ctx<'a>) -> AksCtx<'a> {
    AksCtx {
        calendar: ctx.config.aks_calendar.as_deref().unwrap_or(&BUILTIN),
        as_of: ctx.config.as_of.unwrap_or_else(Date::today),
    }
}

/// CP-006 on a version a live cluster reports (API server or kubelet). Whether the cluster has
/// the long-term support plan is not visible from the Kubernetes API, so a version in the LTS
/// window is not evaluated.
pub fn live_version_verdict(vctx: &AksCtx, version: &str, subject: &str) -> (Status, String) {
    let supported = vctx.calendar.supported_on(vctx.as_of).join(", ");
    if let Support::LongTermSupport {
        minor,
        since,
        until,
    } = vctx.calendar.support(version, vctx.as_of)
    {
        return (
            Status::NotEvaluated,
            format!(
                "{subject}Kubernetes {version} (minor {minor}) left standard support on {since}; it is supported until {until} only on clusters with the AKS long-term support plan, which the Kubernetes API does not show"
            ),
        );
    }
    version_verdict(vctx, version, false, subject, &supported)
}

/// CP-006 on a Node: `status.nodeInfo.kubeletVersion` within the supported window. The
/// message names the node's OS image, kernel and container runtime for the record.
pub fn kubelet_version(obj: &Object, ctx: &Ctx, out: &mut Verdicts) {
    if obj.kind() != "Node" || obj.api_version() != "v1" {
        return;
    }
    let info = obj.pointer("/status/nodeInfo");
    let field = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_str);
    let path = obj.path(&["status", "nodeInfo", "kubeletVersion"]);
    let Some(kubelet) = field("kubeletVersion") else {
        out.not_evaluated(
            Some(path),
            "the node reports no status.nodeInfo.kubeletVersion (a manifest, not a live Node?)",
        );
        return;
    };
    let details: Vec<String> = [
        ("OS image", "osImage"),
        ("kernel", "kernelVersion"),
        ("runtime", "containerRuntimeVersion"),
    ]
    .iter()
    .filter_map(|(label, key)| field(key).map(|v| format!("{label} {v}")))
    .collect();
    let subject = if details.is_empty() {
        "kubelet: ".to_string()
    } else {
        format!("kubelet ({}): ", details.join(", "))
    };
    let (status, message) = live_version_verdict(&version_ctx(ctx), kubelet, &subject);
    match status {
        Status::Fail => out.fail(path, message),
        Status::Pass => out.pass(message),
        _ => out.not_evaluated(Some(path), message),
    }
}
