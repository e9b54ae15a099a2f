//! Loading evidence. Today: Kubernetes manifests (YAML and JSON).

pub mod yaml;
