//! `--format junit`: JUnit XML for Azure Pipelines (PublishTestResults, JUnit) and GitLab
//! (`artifacts:reports:junit`), valid against the Jenkins/Surefire `junit-10.xsd`.
//!
//! One `<testsuites>`; one `<testsuite>` per layer (prefixed with the source when a run has
//! several scans); one `<testcase>` per control and object:
//! - failing findings of an object → `<failure message type=SEVERITY>` with every finding's
//!   message, location and fix in the text;
//! - waived findings → `<skipped message="waived: ...">` (a waived failure is neither a pass nor
//!   a failure: it stays visible among the skipped tests with its reason, owner and expiry);
//! - not-evaluated findings → `<skipped>` with the message;
//! - passing findings (listed with `--include-passed`) → a passing testcase per object;
//! - a control without such testcases gets one for itself: pass → passed, attested → passed
//!   with the attestation in `<system-out>`, fail → failure, not-evaluated / manual (open) /
//!   not-applicable / waived → skipped with the reason.
//!
//! Inputs that could not be read make an extra suite of `<error>` testcases. Written by hand:
//! the format is small, and the text goes through one escaping function that also replaces the
//! characters XML 1.0 cannot carry at all (most control characters).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::catalog::Layer;
use crate::engine::{ControlResult, ScanResult, Source};
use crate::model::{Finding, ObjectRef, Severity, Status};

/// Writes the report of one or more scans.
pub fn write(results: &[ScanResult], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(render(results).as_bytes())
}

/// The outcome of one testcase.
enum Outcome {
    Passed,
    Failure {
        message: String,
        severity: Severity,
        text: String,
    },
    Skipped {
        message: String,
        text: String,
    },
    Error {
        message: String,
    },
}

struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
    system_out: Option<String>,
}

struct Suite {
    name: String,
    package: String,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
    fn failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failure { .. }))
    }
    fn errors(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Error { .. }))
    }
    fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped { .. }))
    }
}

/// The whole document.
pub fn render(results: &[ScanResult]) -> String {
    let several = results.len() > 1;
    let suites: Vec<Suite> = results.iter().flat_map(|r| suites(r, several)).collect();
    let total = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"aksguard\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"0\">",
        total(|s| s.cases.len()),
        total(Suite::failures),
        total(Suite::errors),
    );
    for s in &suites {
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" package=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">",
            attr(&s.name),
            attr(&s.package),
            s.cases.len(),
            s.failures(),
            s.errors(),
            s.skipped(),
        );
        if !s.properties.is_empty() {
            x.push_str("    <properties>\n");
            for (k, v) in &s.properties {
                let _ = writeln!(
                    x,
                    "      <property name=\"{}\" value=\"{}\"/>",
                    attr(k),
                    attr(v)
                );
            }
            x.push_str("    </properties>\n");
        }
        for c in &s.cases {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                attr(&c.classname),
                attr(&c.name)
            );
            if matches!(c.outcome, Outcome::Passed) && c.system_out.is_none() {
                x.push_str("/>\n");
                continue;
            }
            x.push_str(">\n");
            match &c.outcome {
                Outcome::Passed => {}
                Outcome::Failure {
                    message,
                    severity,
                    text,
                } => {
                    let _ = writeln!(
                        x,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        attr(message),
                        severity,
                        text_content(text)
                    );
                }
                Outcome::Skipped { message, text } if text.is_empty() => {
                    let _ = writeln!(x, "      <skipped message=\"{}\"/>", attr(message));
                }
                Outcome::Skipped { message, text } => {
                    let _ = writeln!(
                        x,
                        "      <skipped message=\"{}\">{}</skipped>",
                        attr(message),
                        text_content(text)
                    );
                }
                Outcome::Error { message } => {
                    let _ = writeln!(
                        x,
                        "      <error message=\"{}\" type=\"input\">{}</error>",
                        attr(message),
                        text_content(message)
                    );
                }
            }
            if let Some(out) = &c.system_out {
                let _ = writeln!(x, "      <system-out>{}</system-out>", text_content(out));
            }
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

fn source_label(source: &Source) -> String {
    match source {
        Source::Files => "files".to_string(),
        Source::Cluster { context, .. } => format!("cluster {context}"),
    }
}

fn suites(r: &ScanResult, several: bool) -> Vec<Suite> {
    let prefix = if several {
        format!("{}: ", source_label(&r.source))
    } else {
        String::new()
    };
    let mut properties = vec![("source", source_label(&r.source))];
    if let Source::Cluster {
        server, version, ..
    } = &r.source
    {
        properties.push(("server", server.clone()));
        if let Some(v) = version {
            properties.push(("version", v.clone()));
        }
    }
    let mut by_control: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        by_control.entry(f.control).or_default().push(f);
    }
    let mut out = Vec::new();
    for layer in Layer::ALL {
        let controls: Vec<&ControlResult> = r
            .controls
            .iter()
            .filter(|c| c.control.layer == layer)
            .collect();
        if controls.is_empty() {
            continue;
        }
        let mut cases = Vec::new();
        for c in controls {
            let findings = by_control.get(c.control.id.as_str());
            cases.extend(control_cases(c, findings.map(Vec::as_slice).unwrap_or(&[])));
        }
        out.push(Suite {
            name: format!("{prefix}{}", layer.title()),
            package: format!("aksguard.{}", layer.key()),
            properties: properties.clone(),
            cases,
        });
    }
    if !r.errors.is_empty() {
        out.push(Suite {
            name: format!("{prefix}Inputs"),
            package: "aksguard.inputs".to_string(),
            properties,
            cases: r
                .errors
                .iter()
                .map(|e| Case {
                    classname: "aksguard.inputs".to_string(),
                    name: match e.line {
                        Some(l) => format!("{}:{l}", e.file),
                        None => e.file.to_string(),
                    },
                    outcome: Outcome::Error {
                        message: e.message.clone(),
                    },
                    system_out: None,
                })
                .collect(),
        });
    }
    out
}

/// `Deployment shop/web`, `Namespace prod`.
fn object_label(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

fn place(f: &Finding) -> Option<String> {
    let l = f.location.as_ref()?;
    let mut s = l.file.to_string();
    if let Some(line) = l.line {
        let _ = write!(s, ":{line}");
    }
    if let Some(p) = &l.path {
        let _ = write!(s, " {p}");
    }
    Some(s)
}

fn describe(f: &Finding) -> String {
    let mut s = format!("[{}] {}", f.severity, f.message);
    if let Some(p) = place(f) {
        let _ = write!(s, "\n  at {p}");
    }
    if let Some(fix) = &f.fix {
        let _ = write!(s, "\n  fix: {fix}");
    }
    s
}

fn waiver_text(f: &Finding) -> String {
    let Some(w) = &f.waiver else {
        return "waived".to_string();
    };
    let mut s = format!("waived: {}", w.reason);
    let mut extra = Vec::new();
    if let Some(o) = &w.owner {
        extra.push(format!("owner {o}"));
    }
    if let Some(e) = &w.expires {
        extra.push(format!("expires {e}"));
    }
    extra.push(format!("waiver at {}", w.origin.place()));
    let _ = write!(s, " ({})", extra.join(", "));
    s
}

fn control_cases(c: &ControlResult, findings: &[&Finding]) -> Vec<Case> {
    let ctl = c.control;
    let classname = format!("aksguard.{}.{}", ctl.layer.key(), ctl.id);
    // Findings per object (or per file for findings without one), in finding order.
    let mut groups: Vec<(String, Vec<&Finding>)> = Vec::new();
    for f in findings {
        let key = match (&f.object, &f.location) {
            (Some(o), _) => object_label(o),
            (None, Some(l)) => l.file.to_string(),
            (None, None) => ctl.name.clone(),
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => groups.push((key, vec![f])),
        }
    }
    let mut cases = Vec::new();
    let mut passed = false;
    for (label, fs) in &groups {
        let name = format!("{} {label}", ctl.id);
        let of = |s: Status| fs.iter().filter(move |f| f.status == s).copied();
        let outcome = if let Some(first) = of(Status::Fail).next() {
            let fails: Vec<&Finding> = of(Status::Fail).collect();
            let severity = fails.iter().map(|f| f.severity).max().unwrap_or(c.severity);
            let mut message = first.message.to_string();
            if fails.len() > 1 {
                let _ = write!(message, " (and {} more)", fails.len() - 1);
            }
            let mut text: Vec<String> = fails.iter().map(|f| describe(f)).collect();
            text.extend(
                of(Status::Waived).map(|f| format!("{}\n  {}", describe(f), waiver_text(f))),
            );
            Outcome::Failure {
                message,
                severity,
                text: text.join("\n"),
            }
        } else if let Some(first) = of(Status::Waived).next() {
            let mut text: Vec<String> = of(Status::Waived)
                .map(|f| format!("{}\n  {}", describe(f), waiver_text(f)))
                .collect();
            text.extend(of(Status::NotEvaluated).map(describe));
            Outcome::Skipped {
                message: waiver_text(first),
                text: text.join("\n"),
            }
        } else if let Some(first) = of(Status::NotEvaluated).next() {
            Outcome::Skipped {
                message: format!("not evaluated: {}", first.message),
                text: of(Status::NotEvaluated)
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        } else {
            passed = true;
            Outcome::Passed
        };
        cases.push(Case {
            classname: classname.clone(),
            name,
            outcome,
            system_out: None,
        });
    }
    let wants_own_case =
        cases.is_empty() || (!passed && matches!(c.status, Status::Pass | Status::Attested));
    if wants_own_case {
        cases.push(control_case(c, classname));
    }
    cases
}

/// The testcase of a control itself (no object testcase says it all).
fn control_case(c: &ControlResult, classname: String) -> Case {
    let ctl = c.control;
    let reason = c.reason.clone();
    let attestation = c.attestation.as_ref().map(|a| {
        let mut s = format!("attested {} by {}", a.answer.as_str(), a.owner);
        if let Some(d) = &a.date {
            let _ = write!(s, " on {d}");
        }
        if let Some(e) = &a.expires {
            let _ = write!(s, ", expires {e}");
        }
        if let Some(e) = &a.evidence {
            let _ = write!(s, "\nevidence: {e}");
        }
        if let Some(n) = &a.note {
            let _ = write!(s, "\nnote: {n}");
        }
        let _ = write!(s, "\nat {}", a.file);
        if let Some(l) = a.line {
            let _ = write!(s, ":{l}");
        }
        s
    });
    let outcome = match c.status {
        Status::Pass | Status::Attested => Outcome::Passed,
        Status::Fail => Outcome::Failure {
            message: reason
                .clone()
                .unwrap_or_else(|| format!("{} fails", ctl.id)),
            severity: c.severity,
            text: [Some(ctl.title.clone()), reason, attestation.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n"),
        },
        s => {
            let what = match s {
                Status::Manual => "manual",
                Status::NotApplicable => "not applicable",
                Status::Waived => "waived",
                _ => "not evaluated",
            };
            Outcome::Skipped {
                message: match &reason {
                    Some(r) => format!("{what}: {r}"),
                    None => what.to_string(),
                },
                text: ctl.question.clone().unwrap_or_default(),
            }
        }
    };
    Case {
        classname,
        name: format!("{} {}", ctl.id, ctl.name),
        outcome,
        system_out: attestation,
    }
}

/// An attribute value: markup characters and whitespace that attribute normalisation would
/// eat become references; characters XML cannot carry become visible escapes.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => push_char(&mut out, c),
        }
    }
    out
}

/// Element text: `&`, `<` and `>` escaped (so `]]>` cannot occur); line breaks kept.
pub fn text_content(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\t' => out.push(ch),
            '\r' => out.push_str("&#13;"),
            c => push_char(&mut out, c),
        }
    }
    out
}

/// Characters outside XML 1.0's `Char` production (C0 controls but tab, LF, CR; U+FFFE,
/// U+FFFF) cannot appear even as references: they are written as `\u{..}`.
fn push_char(out: &mut String, c: char) {
    let allowed = matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}';
    if allowed {
        out.push(c);
    } else {
        let _ = write!(out, "\\u{{{:04x}}}", c as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            attr("a<b>&\"c'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;\\u{0001}"
        );
        assert_eq!(text_content("x]]>y\u{1b}[31m"), "x]]&gt;y\\u{001b}[31m");
        assert_eq!(text_content("\u{fffe}é"), "\\u{fffe}é");
    }
}
