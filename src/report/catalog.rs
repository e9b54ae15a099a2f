//! `aksguard controls`, `aksguard explain` and `aksguard checklist`.

use std::fmt::Write;

use serde::Serialize;

use super::Style;
use super::json::ControlInfo;
use crate::catalog::{Catalog, Control, Layer};
use crate::engine::ScanResult;
use crate::model::Status;

pub fn controls_table(cat: &Catalog, st: Style) -> String {
    let mut out = String::new();
    for layer in Layer::ALL {
        let list: Vec<&Control> = cat.controls.iter().filter(|c| c.layer == layer).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{}", st.bold(layer.title()));
        for c in list {
            let _ = writeln!(
                out,
                "  {} {:<9} {:<8} {}  {}",
                c.id,
                c.automation.as_str(),
                c.severity.as_str(),
                c.title,
                st.dim(&format!("[{}]", c.name)),
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} controls covering {} checklist items. `aksguard explain ID` documents one.",
        cat.controls.len(),
        cat.items.len()
    );
    out
}

pub fn controls_json(cat: &Catalog) -> String {
    let list: Vec<ControlInfo> = cat.controls.iter().map(ControlInfo::from).collect();
    let mut s = serde_json::to_string_pretty(&list).expect("serializes");
    s.push('\n');
    s
}

/// The documentation of one control (what it checks, why, how to fix, example, references).
pub fn explain(cat: &Catalog, c: &Control, st: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({})", st.bold(&c.id), st.bold(&c.title), c.name);
    let _ = writeln!(
        out,
        "Layer: {} · Severity: {} · Automation: {} · Evidence: {}",
        c.layer.title(),
        c.severity,
        c.automation.as_str(),
        c.evidence
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let section = |out: &mut String, title: &str, body: &str| {
        let _ = writeln!(out, "\n{}\n{}", st.bold(title), body.trim_end());
    };
    section(&mut out, "What it checks", &c.summary);
    section(&mut out, "Why it matters", &c.rationale);
    section(&mut out, "How to fix", &c.remediation);
    if let Some(q) = &c.question {
        section(&mut out, "What a person attests", q);
    }
    if let Some(e) = &c.example {
        section(&mut out, "Example (fails)", e);
    }
    if let Some(e) = &c.fixed {
        section(&mut out, "Use instead", e);
    }
    if !c.covers.is_empty() {
        let mut body = String::new();
        for id in &c.covers {
            if let Some(item) = cat.item(id) {
                let _ = writeln!(
                    body,
                    "  {id}  {} › {}: {}",
                    item.checklist, item.section, item.text
                );
            }
        }
        section(&mut out, "Checklist items", &body);
    }
    if !c.xref.is_empty() {
        let body: Vec<String> = c
            .xref
            .iter()
            .map(|(tool, ids)| format!("  {tool}: {}", ids.join(", ")))
            .collect();
        section(&mut out, "Same check elsewhere", &body.join("\n"));
    }
    if !c.references.is_empty() {
        let body: Vec<String> = c.references.iter().map(|r| format!("  {r}")).collect();
        section(&mut out, "References", &body.join("\n"));
    }
    out
}

#[derive(Serialize)]
struct ChecklistItemOut<'a> {
    id: &'a str,
    section: &'a str,
    item: &'a str,
    status: Option<Status>,
    controls: Vec<ItemControl<'a>>,
}

#[derive(Serialize)]
struct ItemControl<'a> {
    id: &'a str,
    title: &'a str,
    automation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
}

#[derive(Serialize)]
struct ChecklistOut<'a> {
    checklist: &'a str,
    items: Vec<ChecklistItemOut<'a>>,
}

fn build<'a>(
    cat: &'a Catalog,
    only: Option<&str>,
    scan: Option<&'a ScanResult>,
) -> Vec<ChecklistOut<'a>> {
    let status_of = |id: &str| {
        scan.and_then(|r| r.controls.iter().find(|c| c.control.id == id))
            .map(|c| c.status)
    };
    cat.checklists()
        .into_iter()
        .filter(|name| only.is_none_or(|o| name.to_lowercase().contains(&o.to_lowercase())))
        .map(|name| {
            let items = cat
                .items
                .iter()
                .filter(|i| i.checklist == name)
                .map(|i| {
                    let controls: Vec<ItemControl> = cat
                        .covering(&i.id)
                        .into_iter()
                        .map(|c| ItemControl {
                            id: &c.id,
                            title: &c.title,
                            automation: c.automation.as_str(),
                            status: status_of(&c.id),
                        })
                        .collect();
                    // The scan's own item status (attestations included).
                    let status =
                        scan.and_then(|r| r.items.iter().find(|x| x.id == i.id).map(|x| x.status));
                    ChecklistItemOut {
                        id: &i.id,
                        section: &i.section,
                        item: &i.text,
                        status,
                        controls,
                    }
                })
                .collect();
            ChecklistOut {
                checklist: name,
                items,
            }
        })
        .collect()
}

pub fn checklist_json(cat: &Catalog, only: Option<&str>, scan: Option<&ScanResult>) -> String {
    let mut s = serde_json::to_string_pretty(&build(cat, only, scan)).expect("serializes");
    s.push('\n');
    s
}

pub fn checklist_table(
    cat: &Catalog,
    only: Option<&str>,
    scan: Option<&ScanResult>,
    st: Style,
) -> String {
    let mut out = String::new();
    for list in build(cat, only, scan) {
        let _ = writeln!(out, "{}", st.bold(list.checklist));
        let mut section = "";
        for item in &list.items {
            if item.section != section {
                section = item.section;
                let _ = writeln!(out, "\n  {}", st.bold(section));
            }
            let status = item
                .status
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "not scanned".to_string());
            let _ = writeln!(out, "  {:<14} [{}] {}", item.id, status, item.item);
            for c in &item.controls {
                let st_s = c.status.map(|s| format!(" {s}")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {:<14}   {} {} ({}{})",
                    "",
                    st.dim("→"),
                    c.id,
                    c.automation,
                    st_s
                );
            }
        }
        out.push('\n');
    }
    out
}
