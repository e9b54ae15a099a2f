//! `aksguard rbac`: every subject of the scanned RBAC bindings with what it may do.

use std::fmt::Write;

use serde::Serialize;

use super::Style;
use crate::checks::cluster::rbac::model::{Rule, SubjectRights};
use crate::model::InputError;

/// One rule as a person reads it: `get, list on secrets (core) [names: a, b]`.
pub fn describe_rule(r: &Rule) -> String {
    if !r.non_resource_urls.is_empty() {
        return format!(
            "{} on URLs {}",
            r.verbs.join(", "),
            r.non_resource_urls.join(", ")
        );
    }
    let groups: Vec<&str> = r
        .api_groups
        .iter()
        .map(|g| if g.is_empty() { "core" } else { &**g })
        .collect();
    let mut s = format!(
        "{} on {} ({})",
        r.verbs.join(", "),
        r.resources.join(", "),
        groups.join(", ")
    );
    if !r.resource_names.is_empty() {
        let _ = write!(s, " [names: {}]", r.resource_names.join(", "));
    }
    s
}

pub fn table(rights: &[SubjectRights], errors: &[InputError], st: Style) -> String {
    let mut out = String::new();
    if rights.is_empty() {
        out.push_str("No RoleBinding or ClusterRoleBinding among the scanned inputs.\n");
    }
    for s in rights {
        let _ = writeln!(out, "{}", st.bold(&s.subject.describe()));
        for g in &s.grants {
            let scope = if g.cluster_wide {
                "cluster-wide".to_string()
            } else {
                match &g.namespace {
                    Some(ns) => format!("in namespace {ns}"),
                    None => "in the namespace it is applied to".to_string(),
                }
            };
            let _ = writeln!(
                out,
                "  {scope}: {} → {} {}",
                g.binding,
                g.role,
                st.dim(&format!("({})", g.role_source))
            );
            if g.role_source == "missing" {
                let _ = writeln!(
                    out,
                    "      rules unknown: the role is not among the scanned inputs"
                );
            }
            for r in &g.rules {
                let _ = writeln!(out, "      {}", describe_rule(r));
            }
        }
    }
    if !errors.is_empty() {
        let _ = writeln!(out, "\n{}", st.red(&st.bold("Input errors:")));
        for e in errors {
            let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "  {}{}: {}", e.file, at, e.message);
        }
    }
    out
}

#[derive(Serialize)]
struct RbacReport<'a> {
    subjects: &'a [SubjectRights],
    errors: &'a [InputError],
}

pub fn json(rights: &[SubjectRights], errors: &[InputError]) -> String {
    let mut s = serde_json::to_string_pretty(&RbacReport {
        subjects: rights,
        errors,
    })
    .expect("serializes");
    s.push('\n');
    s
}
