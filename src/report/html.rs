//! `--format html`: one self-contained file (no external assets): per scan a summary with a chart
//! of control statuses by layer, a filterable findings table and the filled-in checklists.
//!
//! The page is an askama template (`templates/report.html`, escaped by default) with inline CSS
//! and JavaScript (`templates/report.css`, `templates/report*.js`). A Content-Security-Policy
//! forbids every network access; the inline style and scripts are allowed by their SHA-256.
//!
//! The findings table is plain rows, so without JavaScript every row is visible. The script
//! adds the filters (status, severity, layer, control, free text; also from the URL fragment,
//! `#status=fail&severity=high&layer=WL&control=WL-002&q=text`) and shows the matching rows a
//! page at a time, which keeps the rendered table light for reports of 100,000 findings.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use askama::Template;

use super::markdown::{
    self as md, EVIDENCE_CAP, Index, OPEN_HINT, attestation_text, findings_text, inputs_text,
    is_web_link, location_text, mark, object_text, place, source_text,
};
use crate::catalog::Layer;
use crate::engine::{ScanResult, Source};
use crate::model::{Finding, Severity, Status};
use crate::policy::{Attestation, AttestationState, ItemResult};

const CSS: &str = include_str!("../../templates/report.css");
const HEAD_JS: &str = include_str!("../../templates/report-head.js");
const JS: &str = include_str!("../../templates/report.js");

/// The Content-Security-Policy of the page: nothing from the network, the inline style and the
/// two inline scripts by hash, images only as `data:` URLs (none today).
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src '{}' '{}'; style-src '{}'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        sha256_source(HEAD_JS),
        sha256_source(JS),
        sha256_source(CSS)
    )
});

fn sha256_source(text: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    format!("sha256-{}", base64(d.as_ref()))
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Writes the report of one or more scans.
pub fn write(results: &[ScanResult], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let scans: Vec<ScanView> = results
        .iter()
        .enumerate()
        .map(|(n, r)| scan_view(n + 1, r))
        .collect();
    let page = Page {
        csp: &CSP,
        css: CSS,
        head_js: HEAD_JS,
        js: JS,
        exit_code: super::json::exit_code(results),
        scans,
        legend: CHART_STATUSES
            .iter()
            .map(|s| (s.as_str(), chart_word(*s)))
            .collect(),
        open_hint: OPEN_HINT,
        chart_width: CHART_WIDTH,
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    page.write_into(&mut w)?;
    std::io::Write::flush(&mut w)
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    csp: &'a str,
    css: &'static str,
    head_js: &'static str,
    js: &'static str,
    exit_code: i32,
    scans: Vec<ScanView<'a>>,
    legend: Vec<(&'static str, &'static str)>,
    open_hint: &'static str,
    chart_width: u32,
    version: &'static str,
}

struct ScanView<'a> {
    n: usize,
    title: String,
    exit_code: i32,
    exit_why: String,
    fail_on: Severity,
    failing: u64,
    inputs: String,
    findings_text: String,
    overall: ScoreView,
    layers: Vec<ScoreView>,
    bars: Vec<Bar>,
    chart_height: u32,
    checklist_scores: Vec<ChecklistScoreView>,
    statuses: Vec<&'static str>,
    severities: Vec<&'static str>,
    layer_options: Vec<(&'static str, &'static str)>,
    control_options: Vec<(&'a str, &'a str)>,
    rows: Vec<Row<'a>>,
    checklists: Vec<ChecklistView<'a>>,
    controls: Vec<ControlView<'a>>,
    policy: PolicyView<'a>,
    errors: Vec<(String, &'a str)>,
    notes: Vec<(String, &'a str)>,
}

struct ScoreView {
    title: &'static str,
    controls: u64,
    evaluated: u64,
    passing: String,
    answered: String,
}

fn score_view(title: &'static str, s: &crate::policy::Score) -> ScoreView {
    let pct = |p: Option<f64>, n: u64| match p {
        Some(p) => format!("{p:.1} % ({n})"),
        None => "–".to_string(),
    };
    ScoreView {
        title,
        controls: s.controls,
        evaluated: s.evaluated,
        passing: pct(s.passing_percent, s.passing),
        answered: pct(s.answered_percent, s.answered),
    }
}

struct ChecklistScoreView {
    name: &'static str,
    items: u64,
    answered: String,
    passed: u64,
    failed: u64,
}

struct Row<'a> {
    control: &'a str,
    severity: &'static str,
    status: &'static str,
    object: String,
    location: String,
    path: Option<&'a str>,
    message: &'a str,
    fix: Option<&'a str>,
    waiver: Option<String>,
}

struct Bar {
    label: &'static str,
    y: u32,
    end: u32,
    total: u64,
    segs: Vec<Seg>,
}

struct Seg {
    class: &'static str,
    word: &'static str,
    n: u64,
    x: u32,
    w: u32,
}

struct ChecklistView<'a> {
    name: &'static str,
    score: String,
    sections: Vec<SectionView<'a>>,
}

struct SectionView<'a> {
    name: &'static str,
    counts: String,
    items: Vec<ItemView<'a>>,
}

struct ItemView<'a> {
    id: &'static str,
    text: &'static str,
    status: &'static str,
    word: &'static str,
    open: bool,
    attestation: Option<AttestationView>,
    controls: Vec<EvidenceView<'a>>,
}

struct EvidenceView<'a> {
    id: &'a str,
    title: &'a str,
    status: &'static str,
    word: &'static str,
    detail: String,
    attestation: Option<AttestationView>,
    findings: Vec<String>,
    more: usize,
}

struct AttestationView {
    text: String,
    link: Option<String>,
    place: String,
}

fn attestation_view(a: &Attestation) -> AttestationView {
    let link = a.evidence.as_deref().filter(|e| is_web_link(e));
    let mut a2 = a.clone();
    if link.is_some() {
        a2.evidence = None;
    }
    AttestationView {
        text: attestation_text(&a2),
        link: link.map(str::to_string),
        place: place(&a.file, a.line),
    }
}

struct ControlView<'a> {
    id: &'a str,
    title: &'a str,
    layer: &'static str,
    severity: &'static str,
    status: &'static str,
    fail: u64,
    pass: u64,
    waived: u64,
    not_evaluated: u64,
    reason: &'a str,
}

#[derive(Default)]
struct PolicyView<'a> {
    any: bool,
    config: Option<&'a str>,
    attestations_file: Option<&'a str>,
    attestations_applied: usize,
    disabled: Vec<&'static str>,
    overrides: Vec<(&'static str, Severity, Severity)>,
    waivers: Vec<WaiverView<'a>>,
    attestations: Vec<(&'a str, &'static str, AttestationView)>,
}

struct WaiverView<'a> {
    class: &'static str,
    state: &'static str,
    control: &'static str,
    reason: &'a str,
    owner: &'a str,
    expires: String,
    place: String,
    findings: u64,
}

/// Control statuses in the chart, in stacking order.
const CHART_STATUSES: [Status; 7] = [
    Status::Pass,
    Status::Attested,
    Status::Fail,
    Status::Waived,
    Status::Manual,
    Status::NotEvaluated,
    Status::NotApplicable,
];

/// Item statuses in the legend of the checklists.
const ITEM_STATUSES: [Status; 7] = CHART_STATUSES;

fn chart_word(s: Status) -> &'static str {
    match s {
        Status::Manual => "open",
        other => mark(other).1,
    }
}

const CHART_WIDTH: u32 = 900;
const CHART_LABEL: u32 = 230;
const CHART_BAR: u32 = 600;
const CHART_ROW: u32 = 24;

fn chart(r: &ScanResult) -> (Vec<Bar>, u32) {
    let mut per: BTreeMap<Layer, BTreeMap<Status, u64>> = BTreeMap::new();
    for c in &r.controls {
        *per.entry(c.control.layer)
            .or_default()
            .entry(c.status)
            .or_default() += 1;
    }
    let max = per
        .values()
        .map(|m| m.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut bars = Vec::new();
    for (i, layer) in Layer::ALL.iter().enumerate() {
        let counts = per.get(layer);
        let total: u64 = counts.map(|m| m.values().sum()).unwrap_or(0);
        let y = 4 + i as u32 * CHART_ROW;
        let mut x = CHART_LABEL;
        let mut acc = 0u64;
        let mut segs = Vec::new();
        for s in CHART_STATUSES {
            let n = counts.and_then(|m| m.get(&s)).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            acc += n;
            // Ends are rounded from the running total so that the bar's length is exact.
            let end = CHART_LABEL + (acc * u64::from(CHART_BAR) / max) as u32;
            segs.push(Seg {
                class: s.as_str(),
                word: chart_word(s),
                n,
                x,
                w: end - x,
            });
            x = end;
        }
        bars.push(Bar {
            label: layer.title(),
            y,
            end: x,
            total,
            segs,
        });
    }
    let height = 8 + Layer::ALL.len() as u32 * CHART_ROW;
    (bars, height)
}

fn finding_line(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(o) = &f.object {
        s.push_str(&object_text(o));
    }
    if let Some(l) = &f.location {
        if !s.is_empty() {
            s.push_str(" at ");
        }
        s.push_str(&location_text(l));
    }
    if !s.is_empty() {
        s.push_str(": ");
    }
    s.push_str(&f.message);
    if let Some(w) = &f.waiver {
        s.push_str(" — waived: ");
        s.push_str(&waiver_text(w));
    }
    s
}

fn waiver_text(w: &crate::model::Waiver) -> String {
    let mut s = w.reason.clone();
    if let Some(o) = &w.owner {
        s.push_str(", owner ");
        s.push_str(o);
    }
    match w.expires {
        Some(d) => s.push_str(&format!(", expires {d}")),
        None => s.push_str(", no expiry"),
    }
    s.push_str(&format!(" ({})", w.origin.place()));
    s
}

fn item_view<'a>(idx: &Index<'a>, item: &'a ItemResult) -> ItemView<'a> {
    ItemView {
        id: item.id,
        text: item.text,
        status: item.status.as_str(),
        word: mark(item.status).1,
        open: md::open_needs_hint(idx, item),
        attestation: item.attestation.as_deref().map(attestation_view),
        controls: item
            .controls
            .iter()
            .map(|c| {
                let ev = idx.evidence(c.id, c.status, EVIDENCE_CAP + 2);
                let attestation = ev.attestation.map(attestation_view);
                EvidenceView {
                    id: ev.id,
                    title: ev.title,
                    status: c.status.as_str(),
                    word: mark(c.status).1,
                    detail: ev.detail,
                    attestation,
                    findings: ev.findings.iter().map(|f| finding_line(f)).collect(),
                    more: ev.more,
                }
            })
            .collect(),
    }
}

fn checklists_view<'a>(r: &'a ScanResult, idx: &Index<'a>) -> Vec<ChecklistView<'a>> {
    md::checklists(r)
        .into_iter()
        .map(|name| {
            let score = r
                .scores
                .checklists
                .iter()
                .find(|c| c.checklist == name)
                .map(|c| {
                    format!(
                        "answered {}/{}{} · {} passed · {} failed",
                        c.answered,
                        c.items,
                        c.answered_percent
                            .map(|p| format!(" ({p:.1} %)"))
                            .unwrap_or_default(),
                        c.passed,
                        c.failed
                    )
                })
                .unwrap_or_default();
            let mut sections: Vec<SectionView> = Vec::new();
            for item in r.items.iter().filter(|i| i.checklist == name) {
                if sections.last().is_none_or(|s| s.name != item.section) {
                    sections.push(SectionView {
                        name: item.section,
                        counts: String::new(),
                        items: Vec::new(),
                    });
                }
                if let Some(s) = sections.last_mut() {
                    s.items.push(item_view(idx, item));
                }
            }
            for s in &mut sections {
                let mut by: BTreeMap<&str, usize> = BTreeMap::new();
                for i in &s.items {
                    *by.entry(i.word).or_default() += 1;
                }
                let parts: Vec<String> = ITEM_STATUSES
                    .iter()
                    .map(|st| mark(*st).1)
                    .filter_map(|w| by.get(w).map(|n| format!("{n} {w}")))
                    .collect();
                s.counts = format!("({})", parts.join(", "));
            }
            ChecklistView {
                name,
                score,
                sections,
            }
        })
        .collect()
}

fn scan_view(n: usize, r: &ScanResult) -> ScanView<'_> {
    let idx = Index::new(r);
    let exit_code = r.exit_code();
    let exit_why = match exit_code {
        2 => "some inputs, waiver annotations or attestations could not be read (see the errors)"
            .to_string(),
        1 => format!("failing findings at or above {}", r.fail_on),
        _ => format!("no failing finding at or above {}", r.fail_on),
    };
    let title = match &r.source {
        Source::Files => "Files".to_string(),
        other => {
            let t = source_text(other);
            let mut c = t.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or(t)
        }
    };
    let (bars, chart_height) = chart(r);
    let mut statuses: Vec<Status> = r.findings.iter().map(|f| f.status).collect();
    statuses.sort();
    statuses.dedup();
    let mut severities: Vec<Severity> = r.findings.iter().map(|f| f.severity).collect();
    severities.sort_by(|a, b| b.cmp(a));
    severities.dedup();
    let mut with_findings: BTreeMap<&str, ()> = BTreeMap::new();
    for f in &r.findings {
        with_findings.insert(f.control, ());
    }
    let control_options = r
        .controls
        .iter()
        .filter(|c| with_findings.contains_key(c.control.id.as_str()))
        .map(|c| (c.control.id.as_str(), c.control.title.as_str()))
        .collect();
    let layer_options = Layer::ALL
        .iter()
        .filter(|l| {
            r.controls.iter().any(|c| {
                c.control.layer == **l && with_findings.contains_key(c.control.id.as_str())
            })
        })
        .map(|l| (l.code(), l.title()))
        .collect();
    let rows = r
        .findings
        .iter()
        .map(|f| Row {
            control: f.control,
            severity: f.severity.as_str(),
            status: f.status.as_str(),
            object: f.object.as_deref().map(object_text).unwrap_or_default(),
            location: f
                .location
                .as_ref()
                .map(|l| place(&l.file, l.line))
                .unwrap_or_default(),
            path: f
                .location
                .as_ref()
                .and_then(|l| l.path.as_deref())
                .filter(|p| !p.is_empty()),
            message: &f.message,
            fix: f.fix.as_deref(),
            waiver: f.waiver.as_deref().map(waiver_text),
        })
        .collect();
    let checklist_scores = r
        .scores
        .checklists
        .iter()
        .map(|c| ChecklistScoreView {
            name: c.checklist,
            items: c.items,
            answered: match c.answered_percent {
                Some(p) => format!("{} ({p:.1} %)", c.answered),
                None => c.answered.to_string(),
            },
            passed: c.passed,
            failed: c.failed,
        })
        .collect();
    let controls = r
        .controls
        .iter()
        .map(|c| ControlView {
            id: &c.control.id,
            title: &c.control.title,
            layer: c.control.layer.title(),
            severity: c.severity.as_str(),
            status: c.status.as_str(),
            fail: c.counts.fail,
            pass: c.counts.pass,
            waived: c.counts.waived,
            not_evaluated: c.counts.not_evaluated,
            reason: c.reason.as_deref().unwrap_or(""),
        })
        .collect();
    let checklists = checklists_view(r, &idx);
    ScanView {
        n,
        title,
        exit_code,
        exit_why,
        fail_on: r.fail_on,
        failing: r.controls.iter().map(|c| c.counts.fail).sum(),
        inputs: inputs_text(r),
        findings_text: findings_text(r),
        overall: score_view("overall", &r.scores.overall),
        layers: r
            .scores
            .layers
            .iter()
            .map(|l| score_view(l.title, &l.score))
            .collect(),
        bars,
        chart_height,
        checklist_scores,
        statuses: statuses.into_iter().map(Status::as_str).collect(),
        severities: severities.into_iter().map(Severity::as_str).collect(),
        layer_options,
        control_options,
        rows,
        checklists,
        controls,
        policy: policy_view(r),
        errors: r
            .errors
            .iter()
            .map(|e| (place(&e.file, e.line), e.message.as_str()))
            .collect(),
        notes: r
            .notes
            .iter()
            .map(|e| (place(&e.file, e.line), e.message.as_str()))
            .collect(),
    }
}

fn policy_view(r: &ScanResult) -> PolicyView<'_> {
    let p = &r.policy;
    let attestations: Vec<_> = p
        .attestations
        .iter()
        .filter(|a| a.state != AttestationState::Applied)
        .map(|a| {
            let state = match a.state {
                AttestationState::Applied => "applied",
                AttestationState::Expired => "expired: the item is open again",
                AttestationState::Contradicted => {
                    "contradicted: the evidence fails, the answer does not count"
                }
                AttestationState::Superseded => "superseded by a later entry",
            };
            (
                a.attestation.id.as_str(),
                state,
                attestation_view(&a.attestation),
            )
        })
        .collect();
    PolicyView {
        any: p.config.is_some()
            || p.attestations_file.is_some()
            || !p.disabled.is_empty()
            || !p.severity_overrides.is_empty()
            || !p.waivers.is_empty()
            || !p.attestations.is_empty(),
        config: p.config.as_deref(),
        attestations_file: p.attestations_file.as_deref(),
        attestations_applied: p.attestations.len() - attestations.len(),
        disabled: p.disabled.clone(),
        overrides: p
            .severity_overrides
            .iter()
            .map(|o| (o.control, o.catalogue, o.severity))
            .collect(),
        waivers: p
            .waivers
            .iter()
            .map(|w| {
                let (_, state) = md::waiver_state(w.state);
                WaiverView {
                    class: match w.state {
                        crate::policy::WaiverState::Applied => "waived",
                        _ => "fail",
                    },
                    state,
                    control: w.waiver.control,
                    reason: &w.waiver.reason,
                    owner: w.waiver.owner.as_deref().unwrap_or(""),
                    expires: w
                        .waiver
                        .expires
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "never".to_string()),
                    place: match &w.waiver.origin {
                        crate::model::WaiverOrigin::Config { selects, .. } => {
                            format!("{} ({selects})", w.waiver.origin.place())
                        }
                        crate::model::WaiverOrigin::Annotation { key, object, .. } => {
                            format!("{} ({key} on {object})", w.waiver.origin.place())
                        }
                    },
                    findings: w.findings,
                }
            })
            .collect(),
        attestations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_digests() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // echo -n abc | openssl dgst -sha256 -binary | base64
        assert_eq!(
            sha256_source("abc"),
            "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }
}
