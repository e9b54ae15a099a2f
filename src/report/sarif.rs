//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and Azure DevOps.
//!
//! One run per scan (files, each live cluster), each with its own `automationDetails.id` so that
//! GitHub keeps their alerts apart (the category is everything before the last `/`). The rules
//! of a run are the controls it reports on; its results are the failing findings and the waived
//! ones (as suppressed results). Findings whose evidence is not a file (live-cluster objects,
//! Azure resources without a file, standard input, namespace-level verdicts) carry a logical
//! location with the object's full name and, because GitHub and Azure DevOps only take results
//! with a `physicalLocation.artifactLocation.uri`, a relative pseudo-path that names the object
//! (`cluster/CONTEXT/namespaces/NS/pods/NAME`, `azure/subscriptions/...`, `k8s/NS/KIND/NAME`).
//!
//! Hand-written serde structs rather than `serde-sarif`: that crate generates its types from the
//! schema in a build script (schemafy, syn, prettyplease) for the few objects written here.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{Automation, Catalog, Control};
use crate::engine::{ScanResult, Source};
use crate::model::{Finding, Severity, Status, WaiverOrigin};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/aksguard/aksguard";
/// The key of aksguard's own fingerprint in `partialFingerprints` (GitHub's upload action
/// computes `primaryLocationLineHash` itself and warns about foreign values under that key).
pub const FINGERPRINT_KEY: &str = "aksguardFinding/v1";

/// Writes the report of one or more scans: one SARIF log, one run per scan.
pub fn write(results: &[ScanResult], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let log = log(results);
    serde_json::to_writer_pretty(&mut *out, &log).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

fn log(results: &[ScanResult]) -> Log<'_> {
    let mut categories = BTreeSet::new();
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: results.iter().map(|r| run(r, &mut categories)).collect(),
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    source: &'a Source,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    full_name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AutomationDetails {
    id: String,
    description: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
struct SuppressionProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    /// `config` (the configuration file) or `annotation` (on the object).
    origin: &'static str,
}

fn run<'a>(r: &'a ScanResult, categories: &mut BTreeSet<String>) -> Run<'a> {
    // Rules: the controls the run reports on, in catalogue order; findings of a control the run
    // does not list (not expected) get its catalogue entry appended.
    let mut controls: Vec<(&'a Control, Severity)> =
        r.controls.iter().map(|c| (c.control, c.severity)).collect();
    let mut index: BTreeMap<&str, usize> = controls
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (c.id.as_str(), i))
        .collect();
    for f in &r.findings {
        if !index.contains_key(f.control)
            && let Some(c) = Catalog::get().control(f.control)
        {
            index.insert(f.control, controls.len());
            controls.push((c, c.severity));
        }
    }

    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let (kept, left_out) = select(&r.findings);
    let results = kept
        .into_iter()
        .map(|f| {
            let rule_index = index.get(f.control).copied().unwrap_or(0);
            result(r, f, rule_index, &mut seen)
        })
        .collect();

    let mut notifications: Vec<Notification> = r
        .errors
        .iter()
        .map(|e| notification("error", &e.file, e.line, &e.message, &r.source))
        .collect();
    if left_out > 0 {
        notifications.push(notification(
            "warning",
            "",
            None,
            &format!(
                "{left_out} of {} results left out: GitHub code scanning rejects a run with more than {MAX_RESULTS} results; the run keeps the failures of the highest severity, then waived findings (the JSON and HTML reports list every finding)",
                left_out + MAX_RESULTS
            ),
            &r.source,
        ));
    }
    notifications.extend(
        r.notes
            .iter()
            .map(|n| notification("note", &n.file, n.line, &n.message, &r.source)),
    );

    Run {
        tool: Tool {
            driver: Driver {
                name: "aksguard",
                full_name: concat!("aksguard ", env!("CARGO_PKG_VERSION")),
                version: env!("CARGO_PKG_VERSION"),
                semantic_version: env!("CARGO_PKG_VERSION"),
                information_uri: INFORMATION_URI,
                rules: controls.iter().map(|(c, s)| rule(c, *s)).collect(),
            },
        },
        automation_details: automation_details(&r.source, categories),
        invocations: vec![Invocation {
            execution_successful: r.errors.is_empty(),
            tool_execution_notifications: notifications,
        }],
        results,
        properties: RunProperties { source: &r.source },
    }
}

/// Most results in one run: GitHub code scanning rejects a run with more.
pub const MAX_RESULTS: usize = 25_000;

/// The findings that become results (failing and waived), in report order; past
/// [`MAX_RESULTS`], the failures of the highest severity first, then waived findings. Returns
/// them with the number left out.
fn select(findings: &[Finding]) -> (Vec<&Finding>, usize) {
    let mut all: Vec<(usize, &Finding)> = findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Waived))
        .enumerate()
        .collect();
    if all.len() <= MAX_RESULTS {
        return (all.into_iter().map(|(_, f)| f).collect(), 0);
    }
    let total = all.len();
    all.sort_by_key(|(i, f)| (f.status != Status::Fail, std::cmp::Reverse(f.severity), *i));
    all.truncate(MAX_RESULTS);
    all.sort_by_key(|(i, _)| *i);
    (
        all.into_iter().map(|(_, f)| f).collect(),
        total - MAX_RESULTS,
    )
}

/// `aksguard/files/` or `aksguard/cluster/CONTEXT/`: the whole id is the category (it ends with
/// `/`), unique within the log.
fn automation_details(source: &Source, categories: &mut BTreeSet<String>) -> AutomationDetails {
    let (base, description) = match source {
        Source::Files => (
            "aksguard/files".to_string(),
            "aksguard scan of files".to_string(),
        ),
        Source::Cluster {
            context, server, ..
        } => (
            format!("aksguard/cluster/{}", encode(context, false)),
            format!("aksguard scan of the live cluster {context} ({server})"),
        ),
    };
    let mut id = format!("{base}/");
    let mut n = 2;
    while !categories.insert(id.clone()) {
        id = format!("{base}-{n}/");
        n += 1;
    }
    AutomationDetails {
        id,
        description: Text { text: description },
    }
}

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's numeric severity (critical 9.0+, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9); none
/// for info, which GitHub would otherwise show as a low alert.
pub fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

fn precision(c: &Control) -> &'static str {
    match c.automation {
        Automation::Automated => "high",
        Automation::Partial => "medium",
        Automation::Manual => "low",
    }
}

fn rule(c: &Control, severity: Severity) -> Rule<'_> {
    let mut tags = vec!["security".to_string(), c.layer.key().to_string()];
    tags.extend(c.covers.iter().cloned());
    let mut text = format!(
        "{}\n\nWhat it checks: {}\n\nWhy: {}\n\nHow to fix: {}\n",
        c.title, c.summary, c.rationale, c.remediation
    );
    let mut markdown = format!(
        "**{}** ({}, {})\n\n**What it checks.** {}\n\n**Why it matters.** {}\n\n**How to fix.** {}\n",
        c.title,
        c.id,
        c.layer.title(),
        c.summary,
        c.rationale,
        c.remediation
    );
    if let Some(example) = &c.example {
        markdown.push_str(&format!("\nFailing:\n\n{}", fence(example)));
    }
    if let Some(fixed) = &c.fixed {
        markdown.push_str(&format!("\nFixed:\n\n{}", fence(fixed)));
    }
    if !c.references.is_empty() {
        text.push_str("\nReferences:\n");
        markdown.push_str("\n**References**\n\n");
        for r in &c.references {
            text.push_str(&format!("- {r}\n"));
            markdown.push_str(&format!("- <{r}>\n"));
        }
    }
    Rule {
        id: &c.id,
        name: &c.name,
        short_description: Text {
            text: c.title.clone(),
        },
        full_description: Text {
            text: c.summary.clone(),
        },
        help_uri: c.references.first().map(String::as_str),
        help: Help { text, markdown },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            tags,
            security_severity: security_severity(severity),
            precision: precision(c),
        },
    }
}

/// A Markdown code block that the text cannot close.
fn fence(s: &str) -> String {
    let mut ticks = "```".to_string();
    while s.contains(&ticks) {
        ticks.push('`');
    }
    format!("{ticks}\n{}\n{ticks}\n", s.trim_end())
}

fn result(
    r: &ScanResult,
    f: &Finding,
    rule_index: usize,
    seen: &mut BTreeMap<String, u32>,
) -> SarifResult {
    let mut text = match &f.object {
        Some(o) => format!("{o}: {}", f.message),
        None => f.message.to_string(),
    };
    if let Some(fix) = &f.fix {
        text.push_str(&format!("\nFix: {fix}"));
    }
    let suppressions = match (&f.status, &f.waiver) {
        (Status::Waived, Some(w)) => {
            let mut justification = w.reason.clone();
            let mut extra = Vec::new();
            if let Some(o) = &w.owner {
                extra.push(format!("owner {o}"));
            }
            if let Some(e) = &w.expires {
                extra.push(format!("expires {e}"));
            }
            extra.push(format!("waiver at {}", w.origin.place()));
            justification.push_str(&format!(" ({})", extra.join(", ")));
            let (origin, file, line) = match &w.origin {
                WaiverOrigin::Config { file, line, .. } => ("config", file, *line),
                WaiverOrigin::Annotation { file, line, .. } => ("annotation", file, *line),
            };
            vec![Suppression {
                kind: "external",
                status: "accepted",
                justification,
                location: real_file(file, &r.source).then(|| Location {
                    physical_location: physical(file, line),
                    logical_locations: Vec::new(),
                }),
                properties: SuppressionProperties {
                    owner: w.owner.clone(),
                    expires: w.expires.map(|d| d.to_string()),
                    origin,
                },
            }]
        }
        _ => Vec::new(),
    };
    SarifResult {
        rule_id: f.control.to_string(),
        rule_index,
        level: level(f.severity),
        message: Text { text },
        locations: vec![location(f, &r.source)],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint(f, seen))]),
        suppressions,
    }
}

/// A stable hash of control, object, file and field pointer (not the line, so alerts survive
/// edits above them; the file because one object may be declared in several files, e.g.
/// overlays). Findings with the same key get an occurrence number.
fn fingerprint(f: &Finding, seen: &mut BTreeMap<String, u32>) -> String {
    let mut key = String::new();
    key.push_str(f.control);
    key.push('\0');
    if let Some(o) = &f.object {
        for part in [
            o.kind.as_str(),
            o.namespace.as_deref().unwrap_or(""),
            o.name.as_str(),
            o.id.as_deref().unwrap_or(""),
        ] {
            key.push_str(part);
            key.push('\0');
        }
    }
    if let Some(l) = &f.location {
        key.push_str(&l.file);
        key.push('\0');
        key.push_str(l.path.as_deref().unwrap_or(""));
    }
    let n = seen.entry(key.clone()).or_insert(0);
    *n += 1;
    if *n > 1 {
        key.push_str(&format!("\0{n}"));
    }
    format!("{:016x}", fnv1a(key.as_bytes()))
}

/// FNV-1a, 64 bits: stable across versions and platforms (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether a finding's `file` is a file in the file system (not standard input, not a live
/// cluster's `CONTEXT:API-PATH`).
fn real_file(file: &str, source: &Source) -> bool {
    file != "<stdin>" && live_path(file, source).is_none()
}

/// `CONTEXT:/API-PATH` of a live cluster → (context, API path).
fn live_path<'f>(file: &'f str, source: &Source) -> Option<(&'f str, &'f str)> {
    let Source::Cluster { context, .. } = source else {
        return None;
    };
    let rest = file.strip_prefix(context.as_str())?.strip_prefix(':')?;
    rest.starts_with('/')
        .then_some((&file[..context.len()], rest))
}

fn physical(file: &str, line: Option<u32>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: file_uri(file),
        },
        region: line
            .filter(|l| *l > 0)
            .map(|start_line| Region { start_line }),
    }
}

fn location(f: &Finding, source: &Source) -> Location {
    let logical = logical(f, source);
    let file = f.location.as_ref().map(|l| &*l.file);
    let physical_location = match file {
        Some(file) if real_file(file, source) => {
            physical(file, f.location.as_ref().and_then(|l| l.line))
        }
        _ => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: pseudo_uri(f, source),
            },
            region: None,
        },
    };
    Location {
        physical_location,
        logical_locations: logical.into_iter().collect(),
    }
}

/// The object as a logical location: `CONTEXT/namespaces/NS/pods/NAME` for a live cluster, the
/// resource id for Azure, `NS/KIND/NAME` otherwise.
fn logical(f: &Finding, source: &Source) -> Option<LogicalLocation> {
    let o = f.object.as_deref()?;
    let file = f.location.as_ref().map(|l| &*l.file).unwrap_or("");
    let fully_qualified_name = if let Some((context, api)) = live_path(file, source) {
        format!("{context}/{}", short_api_path(api))
    } else if let Some(id) = &o.id {
        id.clone()
    } else if let Source::Cluster { context, .. } = source {
        format!("{context}/{}", object_path(o))
    } else {
        object_path(o)
    };
    Some(LogicalLocation {
        name: o.name.clone(),
        fully_qualified_name,
        kind: "resource",
    })
}

fn object_path(o: &crate::model::ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{ns}/{}/{}", o.kind, o.name),
        None => format!("{}/{}", o.kind, o.name),
    }
}

/// `/api/v1/namespaces/a/pods/x` → `namespaces/a/pods/x`; `/apis/apps/v1/...` likewise.
fn short_api_path(api: &str) -> &str {
    let p = api.trim_start_matches('/');
    let skip = if p.starts_with("api/") {
        2
    } else if p.starts_with("apis/") {
        3
    } else {
        0
    };
    let mut rest = p;
    for _ in 0..skip {
        match rest.split_once('/') {
            Some((_, r)) => rest = r,
            None => return p,
        }
    }
    rest
}

/// The relative pseudo-path of evidence that is not a file (GitHub and Azure DevOps require a
/// physical location): `cluster/CONTEXT/API-PATH`, `azure/RESOURCE-ID`, `k8s/NS/KIND/NAME`,
/// `stdin`, `aksguard/CONTROL`.
fn pseudo_uri(f: &Finding, source: &Source) -> String {
    let file = f.location.as_ref().map(|l| &*l.file).unwrap_or("");
    if let Some((context, api)) = live_path(file, source) {
        return format!(
            "cluster/{}/{}",
            encode(context, false),
            encode(short_api_path(api), true)
        );
    }
    match f.object.as_deref() {
        Some(o) if o.id.is_some() => {
            let id = o.id.as_deref().unwrap_or("");
            format!("azure/{}", encode(id.trim_start_matches('/'), true))
        }
        Some(o) => {
            let mut parts = Vec::new();
            if let Source::Cluster { context, .. } = source {
                parts.push("cluster".to_string());
                parts.push(encode(context, false));
            } else {
                parts.push("k8s".to_string());
            }
            if let Some(ns) = &o.namespace {
                parts.push(encode(ns, false));
            }
            parts.push(encode(&o.kind, false));
            parts.push(encode(&o.name, false));
            parts.join("/")
        }
        None if file == "<stdin>" => "stdin".to_string(),
        None => format!("aksguard/{}", encode(f.control, false)),
    }
}

/// A file path as given → a URI reference: relative paths stay relative (`./` dropped, `/`
/// separators), absolute ones become `file:` URIs; everything outside the unreserved characters
/// is percent-encoded.
pub fn file_uri(file: &str) -> String {
    let file = if cfg!(windows) {
        std::borrow::Cow::Owned(file.replace('\\', "/"))
    } else {
        std::borrow::Cow::Borrowed(file)
    };
    let mut rel: &str = &file;
    while let Some(r) = rel.strip_prefix("./") {
        rel = r;
    }
    if let Some(abs) = rel.strip_prefix('/') {
        return format!("file:///{}", encode(abs, true));
    }
    let b = rel.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        return format!("file:///{}:/{}", &rel[..1], encode(&rel[3..], true));
    }
    encode(rel, true)
}

/// Percent-encodes every byte outside `A-Z a-z 0-9 - . _ ~` (and `/` when `keep_slash`).
pub fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn notification(
    level: &'static str,
    file: &str,
    line: Option<u32>,
    message: &str,
    source: &Source,
) -> Notification {
    let uri = if let Some((context, api)) = live_path(file, source) {
        format!(
            "cluster/{}/{}",
            encode(context, false),
            encode(api.trim_start_matches('/'), true)
        )
    } else if file == "<stdin>" {
        "stdin".to_string()
    } else if file.is_empty() {
        "aksguard".to_string()
    } else {
        file_uri(file)
    };
    let real = real_file(file, source) && !file.is_empty();
    Notification {
        level,
        message: Text {
            text: message.to_string(),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: if real {
                    line.filter(|l| *l > 0)
                        .map(|start_line| Region { start_line })
                } else {
                    None
                },
            },
            logical_locations: Vec::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_stay_within_githubs_result_limit() {
        use crate::model::{Finding, Severity, Status};
        let finding = |i: usize, status: Status, severity: Severity| Finding {
            control: "WL-002",
            status,
            severity,
            message: std::sync::Arc::from(format!("m{i}")),
            object: None,
            location: None,
            fix: None,
            waiver: None,
        };
        let mut findings: Vec<Finding> = (0..MAX_RESULTS)
            .map(|i| finding(i, Status::Fail, Severity::Low))
            .collect();
        findings.push(finding(MAX_RESULTS, Status::Waived, Severity::Critical));
        findings.push(finding(MAX_RESULTS + 1, Status::Fail, Severity::High));
        findings.push(finding(MAX_RESULTS + 2, Status::Pass, Severity::High));
        let (kept, left_out) = select(&findings);
        assert_eq!(kept.len(), MAX_RESULTS);
        assert_eq!(left_out, 2);
        // The high failure is kept, the waived one and one low failure are not; order holds.
        assert!(
            kept.iter()
                .any(|f| *f.message == format!("m{}", MAX_RESULTS + 1))
        );
        assert!(!kept.iter().any(|f| f.status == Status::Waived));
        assert!(kept.windows(2).all(|w| {
            let n = |f: &Finding| f.message[1..].parse::<usize>().unwrap();
            n(w[0]) < n(w[1])
        }));
        let (kept, left_out) = select(&findings[..10]);
        assert_eq!((kept.len(), left_out), (10, 0));
    }

    #[test]
    fn uris() {
        assert_eq!(file_uri("demo/k8s/a.yaml"), "demo/k8s/a.yaml");
        assert_eq!(file_uri("./demo/a b.yaml"), "demo/a%20b.yaml");
        assert_eq!(file_uri("/tmp/x:y#z.yaml"), "file:///tmp/x%3Ay%23z.yaml");
        assert_eq!(file_uri("../shared/é.yaml"), "../shared/%C3%A9.yaml");
        assert_eq!(file_uri("a%b"), "a%25b");
    }

    #[test]
    fn api_paths() {
        assert_eq!(
            short_api_path("/api/v1/namespaces/a/pods/x"),
            "namespaces/a/pods/x"
        );
        assert_eq!(short_api_path("/api/v1/nodes/n1"), "nodes/n1");
        assert_eq!(
            short_api_path("/apis/apps/v1/namespaces/a/deployments/web"),
            "namespaces/a/deployments/web"
        );
        assert_eq!(
            short_api_path("/apis/rbac.authorization.k8s.io/v1/clusterroles/x"),
            "clusterroles/x"
        );
        assert_eq!(short_api_path("/version"), "version");
    }

    #[test]
    fn levels_and_scores() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        for (s, lo, hi) in [
            (Severity::Critical, 9.0, 10.0),
            (Severity::High, 7.0, 8.9),
            (Severity::Medium, 4.0, 6.9),
            (Severity::Low, 0.1, 3.9),
        ] {
            let v: f64 = security_severity(s).unwrap().parse().unwrap();
            assert!(v >= lo && v <= hi, "{s}: {v}");
        }
    }

    #[test]
    fn fences_cannot_be_closed_by_the_text() {
        assert_eq!(fence("a"), "```\na\n```\n");
        assert_eq!(fence("x```y"), "````\nx```y\n````\n");
    }
}
