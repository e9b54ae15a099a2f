//! Workload settings that are not security contexts: resources, probes, namespace, service
//! account.

use serde_json::Value;

use super::{Ctx, Verdicts, with_pod};
use crate::k8s::Object;
use crate::k8s::quantity::Quantity;
use crate::k8s::workload::{ContainerKind, PodSpec};

/// Kinds whose pods run to completion (probes and restarts do not apply the same way).
fn runs_to_completion(obj: &Object, pod: &PodSpec) -> bool {
    match obj.kind() {
        "Job" | "CronJob" => true,
        "Pod" | "PodTemplate" => matches!(
            pod.field("restartPolicy").and_then(Value::as_str),
            Some("Never" | "OnFailure")
        ),
        _ => false,
    }
}

/// requests.cpu, requests.memory and limits.memory set (a limit alone sets the request to the
/// same value, as the API server defaults it), and limits.memory not above requests.memory.
pub fn resources(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        for c in pod.containers() {
            if c.kind == ContainerKind::Ephemeral {
                continue; // ephemeral containers cannot have resources
            }
            let res = c.value.get("resources");
            let get = |section: &str, name: &str| {
                res.and_then(|r| r.get(section)).and_then(|s| s.get(name))
            };
            let path = c.path.key("resources");
            let mut missing = Vec::new();
            for (section, name) in [
                ("requests", "cpu"),
                ("requests", "memory"),
                ("limits", "memory"),
            ] {
                let present = get(section, name).is_some_and(|v| !v.is_null())
                    || (section == "requests" && get("limits", name).is_some_and(|v| !v.is_null()));
                if !present {
                    missing.push(format!("{section}.{name}"));
                }
            }
            if !missing.is_empty() {
                out.fail(
                    path.clone(),
                    format!("{} does not set {}", c.describe(), missing.join(", ")),
                );
                continue;
            }
            let (Some(limit), Some(request)) = (
                get("limits", "memory"),
                get("requests", "memory").or(get("limits", "memory")),
            ) else {
                continue;
            };
            match (Quantity::from_value(limit), Quantity::from_value(request)) {
                (Some(l), Some(r)) if l > r => out.fail(
                    path.keys(&["limits", "memory"]),
                    format!(
                        "{} has a memory limit above its request (the node can run out of memory before the limit is reached)",
                        c.describe()
                    ),
                ),
                (Some(_), Some(_)) => {}
                _ => out.fail(
                    path.clone(),
                    format!("{} has a memory quantity that is not valid", c.describe()),
                ),
            }
        }
        out.pass_if_clean(
            "every container sets CPU and memory requests and a memory limit not above the request",
        );
    });
}

/// Long-running containers define liveness and readiness probes.
pub fn probes(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        if runs_to_completion(obj, pod) {
            return;
        }
        for c in pod.containers().into_iter().filter(|c| c.is_long_running()) {
            let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                .into_iter()
                .filter(|p| c.value.get(*p).is_none_or(Value::is_null))
                .collect();
            if !missing.is_empty() {
                out.fail(
                    c.path.clone(),
                    format!("{} has no {}", c.describe(), missing.join(" or ")),
                );
            }
        }
        out.pass_if_clean("every long-running container has liveness and readiness probes");
    });
}

/// Objects that Kubernetes itself creates in the `default` namespace (the first two in every
/// namespace), as (API group, kind, name). They cannot be moved elsewhere, and a manifest may
/// declare one to change it, such as the `default` ServiceAccount with
/// `automountServiceAccountToken: false`.
const BUILT_IN_OBJECTS: &[(&str, &str, &str)] = &[
    ("", "ServiceAccount", "default"),
    ("", "ConfigMap", "kube-root-ca.crt"),
    ("", "Service", "kubernetes"),
    ("", "Endpoints", "kubernetes"),
    ("discovery.k8s.io", "EndpointSlice", "kubernetes"),
];

fn is_built_in(obj: &Object) -> bool {
    let group = obj
        .api_version()
        .rsplit_once('/')
        .map_or("", |(group, _)| group);
    BUILT_IN_OBJECTS
        .iter()
        .any(|&(g, k, n)| g == group && k == obj.kind() && n == obj.name())
}

/// Namespaced objects name a namespace other than `default`.
pub fn default_namespace(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    if !obj.is_namespaced() || obj.kind().is_empty() {
        return;
    }
    let path = obj.path(&["metadata", "namespace"]);
    if matches!(obj.namespace(), None | Some("default")) && is_built_in(obj) {
        out.pass(format!(
            "is the built-in {} `{}` that Kubernetes keeps in the namespace, not a workload of its own",
            obj.kind(),
            obj.name()
        ));
        return;
    }
    match obj.namespace() {
        Some("default") => out.fail(path, "is in the default namespace"),
        Some(_) => out.pass("is in a dedicated namespace"),
        None => out.fail(
            path,
            "sets no namespace: it lands in the namespace of the kubectl context or Helm release, `default` unless one is given",
        ),
    }
}

/// automountServiceAccountToken: false on the pod spec.
pub fn token_automount(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        let path = pod.path.key("automountServiceAccountToken");
        match pod.field("automountServiceAccountToken").and_then(Value::as_bool) {
            Some(false) => out.pass("does not mount a service-account token"),
            Some(true) => out.fail(path, "mounts a service-account token (automountServiceAccountToken: true)"),
            None => out.fail(
                path,
                "mounts a service-account token: automountServiceAccountToken is not false (the default mounts it unless the ServiceAccount disables it)",
            ),
        }
    });
}

/// serviceAccountName set and not `default`.
pub fn dedicated_service_account(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        let name = pod
            .field("serviceAccountName")
            .or_else(|| pod.field("serviceAccount"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        match name {
            Some("default") => out.fail(
                pod.path.key("serviceAccountName"),
                "runs as the namespace's `default` service account",
            ),
            Some(_) => out.pass("runs as a dedicated service account"),
            None => out.fail(
                pod.path.key("serviceAccountName"),
                "sets no serviceAccountName, so it runs as the namespace's `default` service account",
            ),
        }
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::checks::run_on;
    use crate::model::Status;

    fn ns_verdict(api: &str, kind: &str, name: &str, ns: Option<&str>) -> Vec<Status> {
        let mut meta = json!({"name": name});
        if let Some(ns) = ns {
            meta["namespace"] = json!(ns);
        }
        let obj = json!({"apiVersion": api, "kind": kind, "metadata": meta});
        run_on(default_namespace, obj)
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    }

    #[test]
    fn built_in_objects_of_the_default_namespace_are_not_flagged() {
        for ns in [None, Some("default")] {
            assert_eq!(
                ns_verdict("v1", "ServiceAccount", "default", ns),
                [Status::Pass]
            );
            assert_eq!(
                ns_verdict("v1", "Service", "kubernetes", ns),
                [Status::Pass]
            );
            assert_eq!(
                ns_verdict("discovery.k8s.io/v1", "EndpointSlice", "kubernetes", ns),
                [Status::Pass]
            );
            // Anything else there is still flagged, a `kubernetes` Service of another API too.
            assert_eq!(
                ns_verdict("v1", "ServiceAccount", "app", ns),
                [Status::Fail]
            );
            assert_eq!(
                ns_verdict("serving.knative.dev/v1", "Service", "kubernetes", ns),
                [Status::Fail]
            );
        }
        assert_eq!(
            ns_verdict("v1", "ServiceAccount", "default", Some("apps")),
            [Status::Pass]
        );
    }
}
