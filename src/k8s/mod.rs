//! Kubernetes objects as the checks see them: the raw value, its provenance, and helpers.

pub mod quantity;
pub mod workload;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::model::{Location, ObjectRef};
use crate::spans::{Path, Spans};

/// Kinds that are not namespaced (a `metadata.namespace` on them is ignored by the API server).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "GatewayClass",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeSnapshotClass",
    // Policy engines
    "ClusterPolicy",
    "ClusterPolicyReport",
    "ConstraintTemplate",
];

/// Where a Kubernetes object came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The file, or for a live cluster `CONTEXT:API-PATH` of the object.
    pub file: Arc<str>,
    /// Index of the document in its file (None for objects read from an API).
    pub document: Option<u32>,
    pub line: Option<u32>,
}

/// One Kubernetes object (an item of a `List` is an object of its own).
#[derive(Debug)]
pub struct Object {
    pub value: Map<String, Value>,
    /// Lines of the document the object is in.
    pub spans: Arc<Spans>,
    /// Path of the object inside its document (root, or `/items/3` for a List item).
    pub root: Path,
    pub provenance: Provenance,
    pub reference: Arc<ObjectRef>,
}

impl Object {
    pub fn new(
        value: Map<String, Value>,
        spans: Arc<Spans>,
        root: Path,
        provenance: Provenance,
    ) -> Object {
        let s = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let meta = value.get("metadata").and_then(Value::as_object);
        let meta_s = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let kind = s("kind");
        let namespace = if is_cluster_scoped(&kind) {
            None
        } else {
            meta_s("namespace").filter(|n| !n.is_empty())
        };
        let name = meta_s("name")
            .or_else(|| meta_s("generateName").map(|g| format!("{g}*")))
            .unwrap_or_else(|| "<unnamed>".to_string());
        let reference = Arc::new(ObjectRef {
            api_version: s("apiVersion"),
            kind,
            namespace,
            name,
            id: None,
        });
        Object {
            value,
            spans,
            root,
            provenance,
            reference,
        }
    }

    pub fn kind(&self) -> &str {
        &self.reference.kind
    }

    pub fn name(&self) -> &str {
        &self.reference.name
    }

    pub fn api_version(&self) -> &str {
        &self.reference.api_version
    }

    /// The namespace written in the object, if any (None for cluster-scoped kinds).
    pub fn namespace(&self) -> Option<&str> {
        self.reference.namespace.as_deref()
    }

    pub fn is_namespaced(&self) -> bool {
        !is_cluster_scoped(self.kind())
    }

    /// A field by JSON pointer from the object's root (`/spec/template/spec`).
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        let rest = pointer.strip_prefix('/')?;
        let (first, tail) = rest.split_once('/').map_or((rest, ""), |(f, t)| (f, t));
        let v = self.value.get(first)?;
        if tail.is_empty() {
            Some(v)
        } else {
            v.pointer(&format!("/{tail}"))
        }
    }

    pub fn metadata(&self) -> Option<&Map<String, Value>> {
        self.value.get("metadata").and_then(Value::as_object)
    }

    pub fn annotations(&self) -> Option<&Map<String, Value>> {
        self.metadata()?.get("annotations")?.as_object()
    }

    /// Path of a field given by keys from the object's root.
    pub fn path(&self, keys: &[&str]) -> Path {
        self.root.keys(keys)
    }

    /// Location of a field (line of the field, or of its nearest present ancestor).
    pub fn location(&self, path: &Path) -> Location {
        Location {
            file: self.provenance.file.clone(),
            line: path.line(&self.spans).or(self.provenance.line),
            document: self.provenance.document,
            path: Some(path.pointer())
                .filter(|p| !p.is_empty())
                .map(Arc::from),
        }
    }

    /// Location of the object itself.
    pub fn object_location(&self) -> Location {
        self.location(&self.root)
    }
}

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// What a parsed YAML/JSON document is, decided from its content.
pub enum DocKind<'a> {
    /// apiVersion + kind + metadata: a Kubernetes object.
    Object,
    /// `kind: List` or `*List` with `items`.
    List(&'a Vec<Value>),
    /// Null or empty (Helm emits these between `---`).
    Empty,
    /// Something else, with a short description for the note.
    Other(String),
}

pub fn classify(value: &Value) -> DocKind<'_> {
    match value {
        Value::Null => DocKind::Empty,
        Value::Object(m) if m.is_empty() => DocKind::Empty,
        Value::Object(m) => {
            let kind = m.get("kind").and_then(Value::as_str);
            let api = m.get("apiVersion").and_then(Value::as_str);
            if let (Some(kind), Some(items)) = (kind, m.get("items").and_then(Value::as_array))
                && (kind == "List" || kind.ends_with("List"))
            {
                return DocKind::List(items);
            }
            match (api, kind) {
                (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => DocKind::Object,
                _ => {
                    if m.contains_key("$schema") && m.contains_key("resources") {
                        DocKind::Other("an ARM template (AKS configuration is not read yet)".into())
                    } else if m.contains_key("format_version")
                        && m.contains_key("terraform_version")
                    {
                        DocKind::Other("a Terraform plan (not read yet)".into())
                    } else if api.is_none() && kind.is_none() {
                        DocKind::Other("not a Kubernetes object (no apiVersion and kind)".into())
                    } else if api.is_none() {
                        DocKind::Other("not a Kubernetes object (no apiVersion)".into())
                    } else {
                        DocKind::Other("not a Kubernetes object (no kind)".into())
                    }
                }
            }
        }
        Value::Array(_) => DocKind::Other("a YAML/JSON list, not a Kubernetes object".into()),
        _ => DocKind::Other("a scalar, not a Kubernetes object".into()),
    }
}
