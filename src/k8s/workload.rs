//! The pod spec of every workload kind, its containers, and their effective settings
//! (container overrides pod; Kubernetes defaults when unset).

use serde_json::{Map, Value};

use super::Object;
use crate::spans::Path;

/// A pod spec found in an object, with where it is.
pub struct PodSpec<'a> {
    pub spec: &'a Map<String, Value>,
    pub path: Path,
    /// Pod metadata: the template's for controllers, the object's own for a Pod.
    pub meta: Option<&'a Map<String, Value>>,
}

/// Pod spec, pod metadata, and the keys leading to the spec.
type Found<'a> = (
    Option<&'a Map<String, Value>>,
    Option<&'a Map<String, Value>>,
    Vec<&'static str>,
);

/// The pod spec of a workload: Pod (`spec`), PodTemplate (`template.spec`), CronJob
/// (`spec.jobTemplate.spec.template.spec`), and any object with a pod template at
/// `spec.template.spec` (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
/// Job, and CRDs such as Argo Rollouts or OpenShift DeploymentConfigs).
pub fn pod_spec(obj: &Object) -> Option<PodSpec<'_>> {
    let v = &obj.value;
    let kind = obj.kind();
    let (spec, meta, keys): Found = match kind {
        "Pod" => (
            v.get("spec").and_then(Value::as_object),
            v.get("metadata").and_then(Value::as_object),
            vec!["spec"],
        ),
        "PodTemplate" => {
            let t = v.get("template").and_then(Value::as_object);
            (
                t.and_then(|t| t.get("spec")).and_then(Value::as_object),
                t.and_then(|t| t.get("metadata")).and_then(Value::as_object),
                vec!["template", "spec"],
            )
        }
        _ => {
            let spec = v.get("spec").and_then(Value::as_object)?;
            if let Some(jt) = spec
                .get("jobTemplate")
                .and_then(Value::as_object)
                .and_then(|j| j.get("spec"))
                .and_then(Value::as_object)
            {
                let t = jt.get("template").and_then(Value::as_object);
                (
                    t.and_then(|t| t.get("spec")).and_then(Value::as_object),
                    t.and_then(|t| t.get("metadata")).and_then(Value::as_object),
                    vec!["spec", "jobTemplate", "spec", "template", "spec"],
                )
            } else {
                let t = spec.get("template").and_then(Value::as_object);
                (
                    t.and_then(|t| t.get("spec")).and_then(Value::as_object),
                    t.and_then(|t| t.get("metadata")).and_then(Value::as_object),
                    vec!["spec", "template", "spec"],
                )
            }
        }
    };
    let spec = spec?;
    // A pod spec has containers; anything else at that path is not one.
    if !spec.get("containers").is_some_and(Value::is_array) && kind != "Pod" {
        return None;
    }
    Some(PodSpec {
        spec,
        path: obj.path(&keys),
        meta,
    })
}

/// Which list a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of a pod spec.
pub struct Container<'a> {
    pub kind: ContainerKind,
    pub value: &'a Map<String, Value>,
    pub path: Path,
    pub name: &'a str,
}

impl<'a> Container<'a> {
    /// "container `nginx`", "init container `setup`".
    pub fn describe(&self) -> String {
        format!("{} `{}`", self.kind.label(), self.name)
    }

    pub fn security_context(&self) -> Option<&'a Map<String, Value>> {
        self.value.get("securityContext")?.as_object()
    }

    /// A field of the container's securityContext.
    pub fn sc(&self, key: &str) -> Option<&'a Value> {
        self.security_context()?.get(key)
    }

    pub fn sc_path(&self, key: &str) -> Path {
        self.path.keys(&["securityContext", key])
    }

    /// `true` for a regular or init container that keeps running (a sidecar: init container
    /// with `restartPolicy: Always`).
    pub fn is_long_running(&self) -> bool {
        match self.kind {
            ContainerKind::Container => true,
            ContainerKind::Init => {
                self.value.get("restartPolicy").and_then(Value::as_str) == Some("Always")
            }
            ContainerKind::Ephemeral => false,
        }
    }

    pub fn image(&self) -> Option<&'a str> {
        self.value.get("image").and_then(Value::as_str)
    }
}

impl<'a> PodSpec<'a> {
    /// Every container: containers, initContainers, ephemeralContainers.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for kind in [
            ContainerKind::Container,
            ContainerKind::Init,
            ContainerKind::Ephemeral,
        ] {
            let Some(list) = self.spec.get(kind.field()).and_then(Value::as_array) else {
                continue;
            };
            let list_path = self.path.key(kind.field());
            for (i, c) in list.iter().enumerate() {
                if let Some(map) = c.as_object() {
                    out.push(Container {
                        kind,
                        value: map,
                        path: list_path.index(i),
                        name: map
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("<unnamed>"),
                    });
                }
            }
        }
        out
    }

    pub fn security_context(&self) -> Option<&'a Map<String, Value>> {
        self.spec.get("securityContext")?.as_object()
    }

    /// A field of the pod securityContext.
    pub fn sc(&self, key: &str) -> Option<&'a Value> {
        self.security_context()?.get(key)
    }

    pub fn sc_path(&self, key: &str) -> Path {
        self.path.keys(&["securityContext", key])
    }

    pub fn field(&self, key: &str) -> Option<&'a Value> {
        self.spec.get(key)
    }

    pub fn bool_field(&self, key: &str) -> bool {
        self.spec.get(key).and_then(Value::as_bool) == Some(true)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.meta?
            .get("annotations")?
            .as_object()?
            .get(key)?
            .as_str()
    }

    /// Effective value of a securityContext field that exists on both levels (container wins),
    /// with the path where it was found.
    pub fn effective(&self, c: &Container<'a>, key: &str) -> Option<(&'a Value, Path)> {
        if let Some(v) = c.sc(key).filter(|v| !v.is_null()) {
            return Some((v, c.sc_path(key)));
        }
        self.sc(key)
            .filter(|v| !v.is_null())
            .map(|v| (v, self.sc_path(key)))
    }

    /// Windows pods are judged by other rules (PSS skips some Linux-only fields for them).
    pub fn is_windows(&self) -> bool {
        self.spec
            .get("os")
            .and_then(|o| o.get("name"))
            .and_then(Value::as_str)
            == Some("windows")
    }

    /// Volumes with their paths.
    pub fn volumes(&self) -> Vec<(&'a Map<String, Value>, Path)> {
        let Some(list) = self.spec.get("volumes").and_then(Value::as_array) else {
            return Vec::new();
        };
        let base = self.path.key("volumes");
        list.iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_object().map(|m| (m, base.index(i))))
            .collect()
    }
}
