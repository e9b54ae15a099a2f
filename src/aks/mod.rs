//! AKS cluster configuration: every input shape becomes one normalized [`model::Cluster`].
//!
//! - [`arm`]: ARM REST resources and `az aks show` output.
//! - [`template`]: ARM templates and `bicep build` output, evaluated with their parameters.
//! - [`terraform`] and [`hcl`]: Terraform plans and configuration (azurerm provider).
//! - [`source`]: the evidence found among the inputs and its assembly into clusters.
//! - [`versions`]: the Kubernetes version calendar of AKS.

pub mod arm;
pub mod expr;
pub mod hcl;
pub mod model;
pub mod source;
pub mod template;
pub mod terraform;
pub mod versions;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use model::{Cluster, Origin, Shape, SourceDoc, Unresolved};
use source::{LoosePool, field_origins, line_of_pointer, to_segs, walk_pointer};

use crate::spans::Spans;

fn pointer_segments(p: &str) -> Vec<String> {
    if p.is_empty() {
        return Vec::new();
    }
    p.trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Clusters and node pools of an ARM template (or `bicep build` output), evaluated with
/// `params`; with remarks.
pub fn template_clusters(
    file: &Arc<str>,
    tpl: &Value,
    spans: &Arc<Spans>,
    params: &BTreeMap<String, template::ParamValue>,
) -> (Vec<Cluster>, Vec<LoosePool>, Vec<String>) {
    let (resources, warnings) = template::evaluate(tpl, params);
    let mut clusters = Vec::new();
    let mut pools = Vec::new();
    let mut notes = warnings;
    for r in resources {
        let origin_at = |ptr: &str, note: Option<String>| Origin {
            file: file.clone(),
            pointer: ptr.to_string(),
            line: line_of_pointer(spans, ptr),
            note,
        };
        if r.type_.eq_ignore_ascii_case(arm::MANAGED_CLUSTERS) {
            let mut c = Cluster::new(Shape::ArmTemplate, file.clone());
            c.doc = r.body.clone();
            if !c.doc.is_object() {
                notes.push(format!("{}: the resource is not an object", r.pointer));
                continue;
            }
            match &r.name {
                Some(n) => c.doc["name"] = Value::String(n.clone()),
                None => {
                    c.doc["name"] = Value::String(r.name_expr.clone());
                }
            }
            c.api_version = r.api_version.clone();
            c.source = Some(SourceDoc {
                spans: spans.clone(),
                root_pointer: r.pointer.clone(),
                root_hash: walk_pointer(spans, &r.pointer).0,
                flattened: false,
            });
            for (ptr, expr, reason) in &r.unresolved {
                let segs = pointer_segments(ptr);
                c.set_unresolved(
                    &to_segs(&segs),
                    Unresolved {
                        expr: expr.clone(),
                        reason: reason.clone(),
                    },
                    Some(origin_at(&format!("{}{ptr}", r.pointer), None)),
                );
            }
            for (ptr, note) in &r.notes {
                let segs = pointer_segments(ptr);
                c.set_origin(
                    &to_segs(&segs),
                    origin_at(&format!("{}{ptr}", r.pointer), Some(note.clone())),
                );
            }
            arm::normalize_legacy(&mut c);
            clusters.push(c);
        } else if r.type_.eq_ignore_ascii_case(arm::AGENT_POOLS) {
            let (value, _) = arm::pool(&r.body, false);
            let parent = r
                .name
                .as_deref()
                .and_then(|n| n.rsplit_once('/'))
                .map(|(cluster, _)| cluster.to_string());
            let unresolved = r
                .unresolved
                .iter()
                .filter_map(|(ptr, expr, reason)| {
                    let segs = pointer_segments(ptr);
                    // Members of `properties` become members of the pool.
                    let rest = match segs.first().map(String::as_str) {
                        Some("properties") => segs[1..].to_vec(),
                        Some("name") => vec!["name".to_string()],
                        _ => return None,
                    };
                    Some((
                        rest,
                        Unresolved {
                            expr: expr.clone(),
                            reason: reason.clone(),
                        },
                    ))
                })
                .collect();
            pools.push(LoosePool {
                parent,
                value,
                origin: origin_at(&r.pointer, None),
                fields: field_origins(file, spans, &r.pointer, &r.body, false),
                unresolved,
                shape: Shape::ArmTemplate,
            });
        }
    }
    (clusters, pools, notes)
}
