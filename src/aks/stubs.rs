//! Temporary stand-ins until the template and Terraform readers land.
pub mod template {
    use serde_json::Value;
    use std::collections::BTreeMap;
    pub struct ParamValue {
        pub value: Option<Value>,
        pub source: String,
    }
    pub struct Resource {
        pub type_: String,
        pub name: Option<String>,
        pub name_expr: String,
        pub api_version: Option<String>,
        pub pointer: String,
        pub body: Value,
        pub unresolved: Vec<(String, String, String)>,
        pub notes: Vec<(String, String)>,
    }
    pub fn is_template(_: &Value) -> bool {
        false
    }
    pub fn is_parameters_file(_: &Value) -> bool {
        false
    }
    pub fn parameters_of(_: &Value) -> BTreeMap<String, Value> {
        BTreeMap::new()
    }
    pub fn evaluate(_: &Value, _: &BTreeMap<String, ParamValue>) -> (Vec<Resource>, Vec<String>) {
        (Vec::new(), Vec::new())
    }
}
pub mod terraform {
    use crate::aks::model::Cluster;
    use serde_json::Value;
    use std::sync::Arc;
    pub fn is_plan(_: &Value) -> bool {
        false
    }
    pub fn clusters_from_plan(
        _: Arc<str>,
        _: &Value,
        _: &dyn Fn(&str) -> Option<u32>,
    ) -> (Vec<Cluster>, Vec<String>) {
        (Vec::new(), Vec::new())
    }
}
pub mod hcl {
    use crate::aks::model::Cluster;
    use std::sync::Arc;
    #[allow(clippy::type_complexity)]
    pub fn clusters_from_hcl(
        _: &[(Arc<str>, String)],
        _: &[(Arc<str>, String)],
    ) -> (
        Vec<Cluster>,
        Vec<(Arc<str>, Option<u32>, String)>,
        Vec<String>,
    ) {
        (Vec::new(), Vec::new(), Vec::new())
    }
}
