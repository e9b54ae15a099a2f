//! Cluster-wide checks: exposure (Services, Ingresses, Gateways).

use serde_json::Value;

use super::super::{Ctx, InventoryCheck, ObjectCheck, Verdicts};
use crate::inventory::api_group;
use crate::k8s::Object;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[
    ObjectCheck {
        control: "NE-004",
        kinds: &["Service"],
        run: service_exposure,
    },
    ObjectCheck {
        control: "NE-006",
        kinds: &["Ingress", "Gateway"],
        run: ingress_tls,
    },
];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[];

const AZURE_INTERNAL_LB: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";

/// NE-004: Services of type NodePort, public LoadBalancer (no Azure internal annotation), or with
/// externalIPs.
pub fn service_exposure(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    if obj.kind() != "Service" || obj.api_version() != "v1" {
        return;
    }
    let spec = obj.value.get("spec");
    // ClusterIP is the default type.
    let ty = spec
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    let type_path = obj.path(&["spec", "type"]);
    match ty {
        "NodePort" => out.fail(
            type_path,
            "Service is of type NodePort: its port is opened on every node",
        ),
        "LoadBalancer" => match obj.annotations().and_then(|a| a.get(AZURE_INTERNAL_LB)) {
            Some(Value::String(s)) if s == "true" => {}
            Some(Value::Bool(true)) => out.fail(
                obj.path(&["metadata", "annotations", AZURE_INTERNAL_LB]),
                format!(
                    "Service is of type LoadBalancer and its annotation {AZURE_INTERNAL_LB} is a YAML boolean, not the string \"true\" (annotation values must be strings; quote it)"
                ),
            ),
            Some(_) => out.fail(
                obj.path(&["metadata", "annotations", AZURE_INTERNAL_LB]),
                format!(
                    "Service is of type LoadBalancer and its annotation {AZURE_INTERNAL_LB} is not \"true\": Azure gives it a public IP"
                ),
            ),
            None => out.fail(
                type_path,
                format!(
                    "Service is of type LoadBalancer without the annotation {AZURE_INTERNAL_LB}: \"true\": Azure gives it a public IP"
                ),
            ),
        },
        _ => {}
    }
    if spec
        .and_then(|s| s.get("externalIPs"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        out.fail(
            obj.path(&["spec", "externalIPs"]),
            "Service sets spec.externalIPs: it takes traffic for those addresses (CVE-2020-8554)",
        );
    }
    out.pass_if_clean(match ty {
        "LoadBalancer" => {
            "Service is an internal Azure load balancer without externalIPs".to_string()
        }
        t => format!("Service is of type {t} without externalIPs"),
    });
}

/// Is `host` (an Ingress rule host, possibly `*.example.com`) covered by a TLS host?
/// A wildcard TLS host covers exactly one label; names compare case-insensitively.
pub fn tls_covers(tls_host: &str, host: &str) -> bool {
    let (t, h) = (tls_host.to_ascii_lowercase(), host.to_ascii_lowercase());
    if t == h {
        return true;
    }
    match (t.strip_prefix("*."), h.split_once('.')) {
        (Some(suffix), Some((label, rest))) => !label.is_empty() && label != "*" && rest == suffix,
        _ => false,
    }
}

/// NE-006: every Ingress host is in spec.tls; Gateway listeners are not plain HTTP.
pub fn ingress_tls(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    let group = api_group(obj.api_version());
    match (obj.kind(), group) {
        ("Ingress", "networking.k8s.io" | "extensions") => ingress(obj, out),
        ("Gateway", "gateway.networking.k8s.io") => gateway(obj, out),
        _ => {}
    }
}

fn ingress(obj: &Object, out: &mut Verdicts) {
    let Some(spec) = obj.value.get("spec") else {
        return;
    };
    let tls: Vec<&Value> = spec
        .get("tls")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let tls_hosts: Vec<&str> = tls
        .iter()
        .filter_map(|t| t.get("hosts").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // A tls entry without hosts covers the controller's default (wildcard) host.
    let default_tls = tls.iter().any(|t| {
        t.get("hosts")
            .and_then(Value::as_array)
            .is_none_or(|h| h.is_empty())
    });
    let rules = spec.get("rules").and_then(Value::as_array);
    let mut judged = false;
    for (i, rule) in rules.into_iter().flatten().enumerate() {
        judged = true;
        let path = obj.path(&["spec", "rules"]).index(i);
        match rule.get("host").and_then(Value::as_str).filter(|h| !h.is_empty()) {
            Some(host) if !tls_hosts.iter().any(|t| tls_covers(t, host)) => out.fail(
                path.key("host"),
                format!(
                    "Ingress host {host} is not listed in spec.tls: it is served over plain HTTP"
                ),
            ),
            Some(_) => {}
            None if !default_tls => out.fail(
                path,
                "Ingress rule has no host (it serves every host) and spec.tls has no entry without hosts: it is served over plain HTTP",
            ),
            None => {}
        }
    }
    // `backend` is the field's name in extensions/v1beta1.
    let backend = ["defaultBackend", "backend"]
        .into_iter()
        .find(|k| spec.get(*k).is_some_and(|b| !b.is_null()));
    if let (false, Some(backend)) = (judged, backend) {
        judged = true;
        if !default_tls {
            out.fail(
                obj.path(&["spec", backend]),
                "Ingress has only a default backend (every host) and spec.tls has no entry without hosts: it is served over plain HTTP",
            );
        }
    }
    if judged {
        out.pass_if_clean("every host of the Ingress is covered by spec.tls");
    }
}

fn gateway(obj: &Object, out: &mut Verdicts) {
    let Some(listeners) = obj
        .value
        .get("spec")
        .and_then(|s| s.get("listeners"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let mut judged = false;
    for (i, l) in listeners.iter().enumerate() {
        let proto = l.get("protocol").and_then(Value::as_str).unwrap_or("");
        match proto {
            "HTTP" => {
                judged = true;
                let name = l.get("name").and_then(Value::as_str).unwrap_or("?");
                out.fail(
                    obj.path(&["spec", "listeners"]).index(i).key("protocol"),
                    format!("Gateway listener {name} has protocol HTTP (plain text)"),
                );
            }
            "HTTPS" | "TLS" => judged = true,
            _ => {}
        }
    }
    if judged {
        out.pass_if_clean("every HTTP listener of the Gateway is HTTPS or TLS");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_hosts() {
        assert!(tls_covers("shop.example.com", "shop.example.com"));
        assert!(tls_covers("Shop.Example.com", "shop.example.COM"));
        assert!(tls_covers("*.example.com", "shop.example.com"));
        assert!(!tls_covers("*.example.com", "a.shop.example.com"));
        assert!(!tls_covers("*.example.com", "example.com"));
        assert!(tls_covers("*.example.com", "*.example.com"));
        assert!(!tls_covers("*.com", "*.example.com"));
        assert!(!tls_covers("shop.example.com", "*.example.com"));
        assert!(!tls_covers("other.example.com", "shop.example.com"));
    }
}
