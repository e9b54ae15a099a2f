//! `--format json`: the stable machine-readable report (schema in the README).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{Automation, Control, Evidence, Layer};
use crate::engine::{ControlResult, Counts, InputStats, ScanResult};
use crate::model::{Finding, InputError, Note, Severity, Status};

/// Catalogue fields of a control, shared by `scan` and `controls --format json`.
#[derive(Serialize)]
pub struct ControlInfo<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub layer: Layer,
    pub severity: Severity,
    pub automation: Automation,
    pub evidence: &'a [Evidence],
    pub covers: &'a [String],
}

impl<'a> From<&'a Control> for ControlInfo<'a> {
    fn from(c: &'a Control) -> Self {
        ControlInfo {
            id: &c.id,
            name: &c.name,
            title: &c.title,
            layer: c.layer,
            severity: c.severity,
            automation: c.automation,
            evidence: &c.evidence,
            covers: &c.covers,
        }
    }
}

#[derive(Serialize)]
struct ControlOut<'a> {
    #[serde(flatten)]
    info: ControlInfo<'a>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    counts: Counts,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
pub struct Summary {
    /// Number of controls per status.
    pub controls: BTreeMap<Status, u64>,
    /// Number of findings per status (passing findings are counted even when not listed).
    pub findings: Counts,
    /// Failing findings per severity.
    pub failed_by_severity: BTreeMap<Severity, u64>,
    pub fail_on: Severity,
    pub exit_code: i32,
}

pub fn summary(r: &ScanResult) -> Summary {
    let mut controls = BTreeMap::new();
    let mut findings = Counts::default();
    for c in &r.controls {
        *controls.entry(c.status).or_insert(0) += 1;
        findings.pass += c.counts.pass;
        findings.fail += c.counts.fail;
        findings.not_evaluated += c.counts.not_evaluated;
    }
    let mut failed_by_severity: BTreeMap<Severity, u64> =
        Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for f in r.findings.iter().filter(|f| f.status == Status::Fail) {
        *failed_by_severity.entry(f.severity).or_insert(0) += 1;
    }
    Summary {
        controls,
        findings,
        failed_by_severity,
        fail_on: r.fail_on,
        exit_code: r.exit_code(),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    tool: Tool,
    summary: Summary,
    inputs: InputStats,
    controls: Vec<ControlOut<'a>>,
    findings: &'a [Finding],
    errors: &'a [InputError],
    notes: &'a [Note],
}

fn control_out(c: &ControlResult) -> ControlOut<'_> {
    ControlOut {
        info: ControlInfo::from(c.control),
        status: c.status,
        reason: c.reason.as_deref(),
        counts: c.counts,
    }
}

/// Writes the report as it is serialized, without building it in memory first.
pub fn write(r: &ScanResult, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let report = Report {
        tool: Tool {
            name: "aksguard",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: summary(r),
        inputs: r.stats,
        controls: r.controls.iter().map(control_out).collect(),
        findings: &r.findings,
        errors: &r.errors,
        notes: &r.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}

/// The report as a string (tests and small outputs).
pub fn render(r: &ScanResult) -> String {
    let mut buf = Vec::new();
    write(r, &mut buf).expect("writing to memory does not fail");
    String::from_utf8(buf).expect("JSON is UTF-8")
}
