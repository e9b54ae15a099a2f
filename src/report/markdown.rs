//! `--format markdown`: the source checklists filled in, for a pull-request comment, a CI job
//! summary or a terminal.
//!
//! Per scan: a summary (exit code, inputs, scores by layer), then every checklist in its own
//! order and sections, each item marked and followed by the evidence behind the mark (failing
//! findings, passing counts, the reason it was not evaluated, the attestation or the waiver),
//! then the policy (waivers, attestations that did not apply) and the input errors.
//!
//! Everything the user controls (object names, messages, file names, attestation and waiver
//! text) is escaped so that it cannot break the Markdown: identifiers go into code spans,
//! free text is backslash-escaped, newlines become spaces. Evidence lists are capped per control
//! so that a large scan stays within GitHub's size limits.
//!
//! The item model (statuses, marks, evidence per control) is shared with the HTML report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::engine::{ControlResult, ScanResult, Source};
use crate::model::{Finding, Location, ObjectRef, Status};
use crate::policy::{Attestation, AttestationState, ItemResult, WaiverState};

/// Findings listed per control under one item; the rest are counted.
pub(crate) const EVIDENCE_CAP: usize = 3;

/// Writes the report of one or more scans.
pub fn write(results: &[ScanResult], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(render(results).as_bytes())
}

/// The whole report as a string.
pub fn render(results: &[ScanResult]) -> String {
    let mut s = String::new();
    s.push_str("# aksguard report\n\n");
    let several = results.len() > 1;
    if several {
        let _ = writeln!(
            s,
            "{} scans · exit code **{}**\n",
            results.len(),
            super::json::exit_code(results)
        );
    }
    s.push_str(LEGEND);
    s.push('\n');
    let depth = if several { 3 } else { 2 };
    for r in results {
        if several {
            let _ = writeln!(s, "## {}\n", source_md(&r.source));
        }
        scan(&mut s, r, depth);
    }
    s
}

const LEGEND: &str = "Marks: ✅ passed · ❌ failed · 🟡 waived · 📝 attested · ⏳ open (a person's answer \
is needed) · ⚪ not evaluated · ➖ not applicable\n";

fn heading(s: &mut String, depth: usize, text: &str) {
    let _ = writeln!(s, "{} {}\n", "#".repeat(depth.min(6)), text);
}

fn scan(s: &mut String, r: &ScanResult, depth: usize) {
    let idx = Index::new(r);
    summary(s, r, depth);
    for checklist in checklists(r) {
        let items: Vec<&ItemResult> = r
            .items
            .iter()
            .filter(|i| i.checklist == checklist)
            .collect();
        heading(s, depth, &md_text(checklist));
        if let Some(c) = r
            .scores
            .checklists
            .iter()
            .find(|c| c.checklist == checklist)
        {
            let _ = writeln!(
                s,
                "Answered {}/{}{} · {} passed · {} failed\n",
                c.answered,
                c.items,
                percent_suffix(c.answered_percent),
                c.passed,
                c.failed
            );
        }
        let mut section: Option<&str> = None;
        for item in items {
            if section != Some(item.section) {
                if section.is_some() {
                    s.push('\n');
                }
                heading(s, depth + 1, &md_text(item.section));
                section = Some(item.section);
            }
            item_md(s, &idx, item);
        }
        s.push('\n');
    }
    policy(s, r, depth);
    if !r.errors.is_empty() {
        heading(s, depth, "Input errors");
        for e in &r.errors {
            let _ = writeln!(
                s,
                "- {}: {}",
                md_code(&place(&e.file, e.line)),
                md_text(&e.message)
            );
        }
        s.push('\n');
    }
    if !r.notes.is_empty() {
        heading(s, depth, "Notes");
        for n in r.notes.iter().take(NOTES_CAP) {
            let _ = writeln!(
                s,
                "- {}: {}",
                md_code(&place(&n.file, n.line)),
                md_text(&n.message)
            );
        }
        if r.notes.len() > NOTES_CAP {
            let _ = writeln!(s, "- … and {} more", r.notes.len() - NOTES_CAP);
        }
        s.push('\n');
    }
}

const NOTES_CAP: usize = 50;

fn summary(s: &mut String, r: &ScanResult, depth: usize) {
    heading(s, depth, "Summary");
    let code = r.exit_code();
    let why = match code {
        2 => "some inputs, waiver annotations or attestations could not be read (see the errors)"
            .to_string(),
        1 => format!("failing findings at or above `{}`", r.fail_on),
        _ => format!("no failing finding at or above `{}`", r.fail_on),
    };
    let _ = writeln!(s, "Exit code **{code}**: {why}.\n");
    let _ = writeln!(s, "Source: {}\n", source_md(&r.source));
    let _ = writeln!(s, "Inputs: {}\n", inputs_text(r));
    let f = findings_text(r);
    let _ = writeln!(s, "Findings: {f}\n");
    s.push_str("| layer | controls | evaluated | passing | answered |\n|---|--:|--:|--:|--:|\n");
    let o = &r.scores.overall;
    let _ = writeln!(
        s,
        "| **overall** | {} | {} | {} | {} |",
        o.controls,
        o.evaluated,
        percent_cell(o.passing_percent, o.passing),
        percent_cell(o.answered_percent, o.answered)
    );
    for l in &r.scores.layers {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            md_text(l.title),
            l.score.controls,
            l.score.evaluated,
            percent_cell(l.score.passing_percent, l.score.passing),
            percent_cell(l.score.answered_percent, l.score.answered)
        );
    }
    s.push_str(
        "\nPassing: share of the evaluated controls that pass (or are attested). Answered: share \
         of all controls with an answer on evidence or by a person.\n\n",
    );
}

fn percent_cell(p: Option<f64>, n: u64) -> String {
    match p {
        Some(p) => format!("{p:.1} % ({n})"),
        None => "–".to_string(),
    }
}

fn percent_suffix(p: Option<f64>) -> String {
    p.map(|p| format!(" ({p:.1} %)")).unwrap_or_default()
}

/// `12 files, 10 documents, 10 objects, 2 AKS clusters, 18.0 kB read`.
pub(crate) fn inputs_text(r: &ScanResult) -> String {
    let st = &r.stats;
    let mut parts = Vec::new();
    if matches!(r.source, Source::Files) {
        parts.push(plural(st.files, "file"));
        parts.push(plural(st.documents, "document"));
    }
    parts.push(plural(st.objects, "object"));
    if st.clusters > 0 {
        parts.push(plural(st.clusters, "AKS cluster"));
    }
    if st.bytes > 0 {
        parts.push(format!("{} read", bytes_text(st.bytes)));
    }
    parts.join(", ")
}

/// `96 failing (2 critical, 24 high, …), 4 not evaluated, 1 waived, 99 passing`.
pub(crate) fn findings_text(r: &ScanResult) -> String {
    let sum = super::json::summary(r);
    let mut by_sev = Vec::new();
    for sev in crate::model::Severity::ALL {
        let n = sum.failed_by_severity.get(&sev).copied().unwrap_or(0);
        if n > 0 {
            by_sev.push(format!("{n} {sev}"));
        }
    }
    let mut s = format!("{} failing", sum.findings.fail);
    if !by_sev.is_empty() {
        let _ = write!(s, " ({})", by_sev.join(", "));
    }
    let _ = write!(
        s,
        ", {} waived, {} not evaluated, {} passing",
        sum.findings.waived, sum.findings.not_evaluated, sum.findings.pass
    );
    s
}

pub(crate) fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(crate) fn bytes_text(b: u64) -> String {
    if b < 1000 {
        format!("{b} B")
    } else if b < 1_000_000 {
        format!("{:.1} kB", b as f64 / 1e3)
    } else {
        format!("{:.1} MB", b as f64 / 1e6)
    }
}

/// The checklists of a result in the order of its items.
pub(crate) fn checklists(r: &ScanResult) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for i in &r.items {
        if !out.contains(&i.checklist) {
            out.push(i.checklist);
        }
    }
    out
}

/// Plain-text title of a scan's source.
pub(crate) fn source_text(src: &Source) -> String {
    match src {
        Source::Files => "files".to_string(),
        Source::Cluster {
            context,
            server,
            version,
        } => match version {
            Some(v) => format!("cluster {context} ({server}, {v})"),
            None => format!("cluster {context} ({server})"),
        },
    }
}

fn source_md(src: &Source) -> String {
    match src {
        Source::Files => "Files".to_string(),
        Source::Cluster {
            context,
            server,
            version,
        } => {
            let mut s = format!("Cluster {} at {}", md_code(context), md_code(server));
            if let Some(v) = version {
                let _ = write!(s, " ({})", md_text(v));
            }
            s
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The item model shared with the HTML report.

/// Controls and findings of one result by control id.
pub(crate) struct Index<'a> {
    controls: BTreeMap<&'a str, &'a ControlResult>,
    findings: BTreeMap<&'a str, Vec<&'a Finding>>,
}

impl<'a> Index<'a> {
    pub(crate) fn new(r: &'a ScanResult) -> Index<'a> {
        let controls = r
            .controls
            .iter()
            .map(|c| (c.control.id.as_str(), c))
            .collect();
        let mut findings: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &r.findings {
            findings.entry(f.control).or_default().push(f);
        }
        Index { controls, findings }
    }

    /// The evidence of one covering control, findings capped at `cap`.
    pub(crate) fn evidence(&self, id: &'a str, status: Status, cap: usize) -> Evidence<'a> {
        let result = self.controls.get(id).copied();
        let wanted = match status {
            Status::Fail => Some(Status::Fail),
            Status::Waived => Some(Status::Waived),
            Status::NotEvaluated => Some(Status::NotEvaluated),
            _ => None,
        };
        let all = self.findings.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let mut shown = Vec::new();
        let mut total = 0usize;
        if let Some(w) = wanted {
            for f in all.iter().filter(|f| f.status == w) {
                if shown.len() < cap {
                    shown.push(*f);
                }
                total += 1;
            }
        }
        Evidence {
            id,
            detail: result.map(|c| detail(c, status)).unwrap_or_else(|| {
                // A control the scan did not run (disabled).
                "not checked (disabled by the configuration)".to_string()
            }),
            title: result.map(|c| c.control.title.as_str()).unwrap_or(""),
            attestation: result.and_then(|c| c.attestation.as_deref()),
            more: total - shown.len(),
            findings: shown,
        }
    }
}

/// Why one covering control has its status.
pub(crate) struct Evidence<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// The person's answer for this control, shown after `detail`.
    pub attestation: Option<&'a Attestation>,
    /// Plain text: counts or reason (may be empty when there is an attestation).
    pub detail: String,
    /// The first findings behind the status.
    pub findings: Vec<&'a Finding>,
    /// Findings not listed.
    pub more: usize,
}

fn detail(c: &ControlResult, status: Status) -> String {
    let n = &c.counts;
    // An attestation is shown in full by the renderers; its summary in `reason` is not repeated.
    let reason = c.reason.as_deref().filter(|_| c.attestation.is_none());
    let mut s = match status {
        Status::Fail => {
            let mut s = format!("{} failing", n.fail);
            if n.waived > 0 {
                let _ = write!(s, ", {} waived", n.waived);
            }
            if n.pass > 0 {
                let _ = write!(s, ", {} passing", n.pass);
            }
            s
        }
        Status::Waived => format!("{} failing waived", n.waived),
        Status::Pass => match n.pass {
            0 => "passed".to_string(),
            p => format!("passed on {}", plural(p, "object")),
        },
        Status::Attested if c.attestation.is_some() => String::new(),
        Status::Attested => "attested".to_string(),
        Status::NotEvaluated => reason.unwrap_or("not evaluated").to_string(),
        Status::NotApplicable if c.attestation.is_some() => String::new(),
        Status::NotApplicable => reason.unwrap_or("not applicable").to_string(),
        Status::Manual => reason
            .map(str::to_string)
            .unwrap_or_else(|| format!("open: {OPEN_HINT}")),
    };
    if matches!(status, Status::Fail | Status::Waived | Status::Pass)
        && let Some(r) = reason
    {
        let _ = write!(s, "; {r}");
    }
    s
}

/// An open item says how to answer it, unless a covering control's reason says so already.
pub(crate) fn open_needs_hint(idx: &Index, item: &ItemResult) -> bool {
    item.attestation.is_none()
        && item.status == Status::Manual
        && !item.controls.iter().any(|c| {
            idx.controls
                .get(c.id)
                .and_then(|r| r.reason.as_deref())
                .is_some_and(|r| r.contains("aksguard attest"))
        })
}

/// How an open item gets answered.
pub(crate) const OPEN_HINT: &str = "a person answers it in the attestations file \
(`aksguard attest init` writes one)";

/// Mark and word of a status in the checklists (`manual` is an open item).
pub(crate) fn mark(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Pass => ("✅", "passed"),
        Status::Fail => ("❌", "failed"),
        Status::Waived => ("🟡", "waived"),
        Status::Attested => ("📝", "attested"),
        Status::Manual => ("⏳", "open"),
        Status::NotEvaluated => ("⚪", "not evaluated"),
        Status::NotApplicable => ("➖", "not applicable"),
    }
}

/// `attested `yes` by ops-team on 2026-01-10, evidence URL, expires 2027-01-10 (note)`.
pub(crate) fn attestation_text(a: &Attestation) -> String {
    let mut s = format!("answered `{}` by {}", a.answer.as_str(), one_line(&a.owner));
    if let Some(d) = a.date {
        let _ = write!(s, " on {d}");
    }
    if let Some(e) = &a.evidence {
        let _ = write!(s, ", evidence {}", one_line(e));
    }
    if let Some(x) = a.expires {
        let _ = write!(s, ", expires {x}");
    }
    if let Some(n) = &a.note {
        let _ = write!(s, " ({})", one_line(n));
    }
    s
}

pub(crate) use crate::model::place;

/// Where a finding is: `file:line` for inputs read from files; a live cluster's
/// `CONTEXT:API-PATH` (no line) with the field's JSON pointer.
pub(crate) fn location_text(l: &Location) -> String {
    match (l.line, &l.path) {
        (Some(n), _) => format!("{}:{n}", l.file),
        (None, Some(p)) if !p.is_empty() => format!("{} {p}", l.file),
        (None, _) => l.file.to_string(),
    }
}

pub(crate) fn object_text(o: &ObjectRef) -> String {
    o.to_string()
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Markdown rendering of items.

fn item_md(s: &mut String, idx: &Index, item: &ItemResult) {
    let (m, word) = mark(item.status);
    let _ = writeln!(
        s,
        "- {m} **{}** ({word}) {}",
        md_text(item.id),
        md_text(item.text)
    );
    if let Some(a) = &item.attestation {
        let _ = writeln!(s, "  - 📝 {}", attestation_md(a));
    } else if open_needs_hint(idx, item) {
        let _ = writeln!(s, "  - ⏳ open: {}", OPEN_HINT);
    }
    for c in &item.controls {
        let ev = idx.evidence(c.id, c.status, EVIDENCE_CAP);
        let (cm, _) = mark(c.status);
        let mut parts = Vec::new();
        if !ev.detail.is_empty() {
            parts.push(md_text(&ev.detail));
        }
        if let Some(a) = ev.attestation {
            parts.push(format!("📝 {}", attestation_md(a)));
        }
        let _ = writeln!(
            s,
            "  - {cm} {} {}: {}",
            md_code(ev.id),
            md_text(ev.title),
            parts.join("; ")
        );
        for f in &ev.findings {
            let _ = writeln!(s, "    - {}", finding_md(f));
        }
        if ev.more > 0 {
            let _ = writeln!(
                s,
                "    - … and {} more (`--format json` or `--format html` lists them all)",
                ev.more
            );
        }
    }
}

fn finding_md(f: &Finding) -> String {
    let mut parts = Vec::new();
    if let Some(o) = &f.object {
        parts.push(md_code(&object_text(o)));
    }
    if let Some(l) = &f.location {
        parts.push(md_code(&location_text(l)));
    }
    let mut s = parts.join(" at ");
    if !s.is_empty() {
        s.push_str(": ");
    }
    s.push_str(&md_text(&f.message));
    if let Some(w) = &f.waiver {
        let _ = write!(s, " — 🟡 waived: {}", waiver_md(w));
    }
    s
}

fn waiver_md(w: &crate::model::Waiver) -> String {
    let mut s = md_text(&w.reason);
    if let Some(o) = &w.owner {
        let _ = write!(s, ", owner {}", md_text(o));
    }
    match w.expires {
        Some(d) => {
            let _ = write!(s, ", expires {d}");
        }
        None => s.push_str(", no expiry"),
    }
    let _ = write!(s, " ({})", md_code(&w.origin.place()));
    s
}

fn attestation_md(a: &Attestation) -> String {
    let mut s = format!("answered `{}` by {}", a.answer.as_str(), md_text(&a.owner));
    if let Some(d) = a.date {
        let _ = write!(s, " on {d}");
    }
    if let Some(e) = &a.evidence {
        let _ = write!(s, ", evidence {}", md_link(e));
    }
    if let Some(x) = a.expires {
        let _ = write!(s, ", expires {x}");
    }
    if let Some(n) = &a.note {
        let _ = write!(s, " — {}", md_text(n));
    }
    let _ = write!(s, " ({})", md_code(&place(&a.file, a.line)));
    s
}

fn policy(s: &mut String, r: &ScanResult, depth: usize) {
    let p = &r.policy;
    let problems: Vec<_> = p
        .attestations
        .iter()
        .filter(|a| a.state != AttestationState::Applied)
        .collect();
    if p.config.is_none()
        && p.attestations_file.is_none()
        && p.disabled.is_empty()
        && p.severity_overrides.is_empty()
        && p.waivers.is_empty()
        && p.attestations.is_empty()
    {
        return;
    }
    heading(s, depth, "Policy");
    if let Some(c) = &p.config {
        let _ = writeln!(s, "- Configuration: {}", md_code(c));
    }
    if let Some(a) = &p.attestations_file {
        let applied = p.attestations.len() - problems.len();
        let _ = writeln!(s, "- Attestations: {} ({} applied)", md_code(a), applied);
    }
    if !p.disabled.is_empty() {
        let list: Vec<String> = p.disabled.iter().map(|d| md_code(d)).collect();
        let _ = writeln!(s, "- Disabled controls: {}", list.join(", "));
    }
    for o in &p.severity_overrides {
        let _ = writeln!(
            s,
            "- Severity of {}: {} → {}",
            md_code(o.control),
            o.catalogue,
            o.severity
        );
    }
    s.push('\n');
    if !p.waivers.is_empty() {
        heading(s, depth + 1, "Waivers");
        for w in &p.waivers {
            let (m, state) = waiver_state(w.state);
            let _ = writeln!(
                s,
                "- {m} **{state}** {}: {} — {}",
                md_code(w.waiver.control),
                waiver_md(&w.waiver),
                plural(w.findings, "finding")
                    + match w.state {
                        WaiverState::Applied => " waived",
                        _ => "",
                    }
            );
        }
        s.push('\n');
    }
    if !problems.is_empty() {
        heading(s, depth + 1, "Attestations not applied");
        for a in problems {
            let state = match a.state {
                AttestationState::Applied => "applied",
                AttestationState::Expired => "expired: the item is open again",
                AttestationState::Contradicted => {
                    "contradicted: the evidence fails, the answer does not count"
                }
                AttestationState::Superseded => "superseded by a later entry",
            };
            let _ = writeln!(
                s,
                "- ⚠️ {} {}: {}",
                md_code(&a.attestation.id),
                state,
                attestation_md(&a.attestation)
            );
        }
        s.push('\n');
    }
}

pub(crate) fn waiver_state(s: WaiverState) -> (&'static str, &'static str) {
    match s {
        WaiverState::Applied => ("🟡", "applied"),
        WaiverState::Unused => ("⚠️", "unused"),
        WaiverState::Expired => ("⚠️", "expired"),
        WaiverState::Forbidden => ("⛔", "forbidden"),
        WaiverState::NoExpiry => ("⛔", "refused: no expiry date"),
    }
}

// ---------------------------------------------------------------------------------------------
// Escaping.

/// Free text inside a line: every character that starts GitHub Markdown syntax there is
/// backslash-escaped (links and images, emphasis, code, HTML, entities, table cells, math,
/// strikethrough); control characters and newlines become spaces. Block syntax (`#`, `>`, `-`)
/// needs no escape: the text never starts a line.
pub fn md_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '~' | '$' => {
                o.push('\\');
                o.push(ch);
            }
            // Only `&name;` and `&#1;` are entity references.
            '&' if chars
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '#') =>
            {
                o.push_str("\\&");
            }
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// An identifier as a code span: the fence is longer than any run of backticks inside (not for
/// table cells: none of this report's tables holds user text).
pub fn md_code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.trim().is_empty() {
        return format!("\"{}\"", s);
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '));
    let sp = if pad { " " } else { "" };
    format!("{fence}{sp}{s}{sp}{fence}")
}

/// A link for an `https://` or `http://` address without characters that could end it early;
/// anything else as text.
fn md_link(s: &str) -> String {
    if is_web_link(s) {
        format!("<{s}>")
    } else {
        md_text(s)
    }
}

/// An `http(s)://` address made only of characters that are safe in a Markdown autolink and an
/// HTML attribute.
pub(crate) fn is_web_link(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && s.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\'' | '`' | '\\' | '|')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markdown() {
        assert_eq!(md_text("a|b"), "a\\|b");
        assert_eq!(md_text("[x](y)"), "\\[x\\](y)");
        assert_eq!(md_text("<script>"), "\\<script>");
        assert_eq!(md_text("a & b &amp;"), "a & b \\&amp;");
        assert_eq!(md_text("a\nb\r\tc"), "a b  c");
        assert_eq!(md_text("$x$ ~~y~~"), "\\$x\\$ \\~\\~y\\~\\~");
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(md_code("a"), "`a`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`a"), "`` `a ``");
        assert_eq!(md_code("x\ny"), "`x y`");
        assert_eq!(md_code(""), "\"\"");
    }

    #[test]
    fn links_only_for_plain_web_addresses() {
        assert!(is_web_link("https://example.com/a?b=c#d"));
        assert!(!is_web_link("https://example.com/<x>"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("https://a b"));
    }
}
