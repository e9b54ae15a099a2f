//! `--format json`: the stable machine-readable report (schema in the README).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{Automation, Control, Evidence, Layer};
use crate::engine::{ControlResult, Counts, InputStats, ScanResult, Source};
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
    #[serde(skip_serializing_if = "Option::is_none")]
    attestation: Option<&'a crate::policy::Attestation>,
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
        findings.waived += c.counts.waived;
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
    source: &'a Source,
    summary: Summary,
    scores: &'a crate::policy::Scores,
    inputs: InputStats,
    controls: Vec<ControlOut<'a>>,
    findings: &'a [Finding],
    errors: &'a [InputError],
    notes: &'a [Note],
    policy: &'a crate::policy::PolicyReport,
    items: &'a [crate::policy::ItemResult],
}

fn control_out(c: &ControlResult) -> ControlOut<'_> {
    let mut info = ControlInfo::from(c.control);
    info.severity = c.severity;
    ControlOut {
        info,
        status: c.status,
        reason: c.reason.as_deref(),
        counts: c.counts,
        attestation: c.attestation.as_deref(),
    }
}

/// Findings rendered per batch: each batch is serialized on all cores, then written in order,
/// so memory holds one batch of text, not the whole report.
const BATCH: usize = if cfg!(test) { 32 } else { 8192 };

/// Writes the report. Everything but the findings is small and is rendered first; the findings
/// (the bulk of a large report) are serialized in parallel batches and written in order, with
/// the same bytes `serde_json::to_writer_pretty` gives for the whole report.
pub fn write(r: &ScanResult, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;

    let report = Report {
        tool: Tool {
            name: "aksguard",
            version: env!("CARGO_PKG_VERSION"),
        },
        source: &r.source,
        summary: summary(r),
        scores: &r.scores,
        inputs: r.stats,
        controls: r.controls.iter().map(control_out).collect(),
        findings: &[],
        errors: &r.errors,
        notes: &r.notes,
        policy: &r.policy,
        items: &r.items,
    };
    let frame = serde_json::to_string_pretty(&report)?;
    // The top-level key is the only one indented by exactly two spaces; nested `findings`
    // keys (the summary's counts) are deeper.
    const KEY: &str = "\n  \"findings\": ";
    let at = frame
        .find(KEY)
        .map(|i| i + KEY.len())
        .filter(|&i| frame[i..].starts_with("[]"))
        .expect("the report has a top-level findings array");
    out.write_all(&frame.as_bytes()[..at])?;
    if r.findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[\n")?;
        for (b, batch) in r.findings.chunks(BATCH).enumerate() {
            let parts: Vec<Vec<u8>> = batch
                .par_chunks(BATCH / 16)
                .map(|chunk| {
                    let mut buf = Vec::with_capacity(chunk.len() * 512);
                    let mut one = Vec::with_capacity(1024);
                    for (i, f) in chunk.iter().enumerate() {
                        if i > 0 {
                            buf.extend_from_slice(b",\n");
                        }
                        one.clear();
                        serde_json::to_writer_pretty(&mut one, f).expect("findings serialize");
                        indent(&one, &mut buf);
                    }
                    buf
                })
                .collect();
            for (i, part) in parts.iter().enumerate() {
                if b > 0 || i > 0 {
                    out.write_all(b",\n")?;
                }
                out.write_all(part)?;
            }
        }
        out.write_all(b"\n  ]")?;
    }
    out.write_all(&frame.as_bytes()[at + 2..])?;
    out.write_all(b"\n")
}

/// Copies a value rendered at the top level as an item of the top-level findings array: every
/// line four spaces in.
fn indent(text: &[u8], out: &mut Vec<u8>) {
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(b"    ");
        out.extend_from_slice(line);
    }
}

/// Several reports (files and clusters scanned in one run): `{"tool", "exit_code", "scans":
/// [report, ...]}`, each report as [`write`] gives it, in the order of the scans.
pub fn write_many(results: &[ScanResult], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let exit_code = exit_code(results);
    write!(
        out,
        "{{\n  \"tool\": {{\n    \"name\": \"aksguard\",\n    \"version\": \"{}\"\n  }},\n  \"exit_code\": {exit_code},\n  \"scans\": [",
        env!("CARGO_PKG_VERSION")
    )?;
    for (i, r) in results.iter().enumerate() {
        let mut one = Vec::new();
        write(r, &mut one)?;
        while one.last() == Some(&b'\n') {
            one.pop();
        }
        let mut buf = Vec::with_capacity(one.len() + one.len() / 8);
        indent(&one, &mut buf);
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(&buf)?;
    }
    out.write_all(b"\n  ]\n}\n")
}

/// The exit code of several scans: 2 when any could not be read in full, else 1 when any
/// failed, else 0.
pub fn exit_code(results: &[ScanResult]) -> i32 {
    let codes: Vec<i32> = results.iter().map(ScanResult::exit_code).collect();
    if codes.contains(&2) {
        2
    } else {
        codes.into_iter().max().unwrap_or(0)
    }
}

/// The report as a string (tests and small outputs).
pub fn render(r: &ScanResult) -> String {
    let mut buf = Vec::new();
    write(r, &mut buf).expect("writing to memory does not fail");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::{Input, scan};

    /// The batched writer gives the bytes of serializing the whole report at once.
    fn same_as_whole(r: &ScanResult) {
        let whole = Report {
            tool: Tool {
                name: "aksguard",
                version: env!("CARGO_PKG_VERSION"),
            },
            source: &r.source,
            summary: summary(r),
            scores: &r.scores,
            inputs: r.stats,
            controls: r.controls.iter().map(control_out).collect(),
            findings: &r.findings,
            errors: &r.errors,
            notes: &r.notes,
            policy: &r.policy,
            items: &r.items,
        };
        let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
        assert_eq!(render(r), expected);
    }

    #[test]
    fn batched_findings_match_one_pass_serialization() {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/k8s");
        let config = Config {
            include_passed: true,
            ..Config::default()
        };
        let mut r = scan(&[Input::parse(demo)], &config);
        assert!(
            r.findings.len() > 2 * BATCH,
            "{} findings",
            r.findings.len()
        );
        same_as_whole(&r);
        r.findings.truncate(BATCH);
        same_as_whole(&r);
        r.findings.truncate(1);
        same_as_whole(&r);
        r.findings.clear();
        same_as_whole(&r);
    }
}
