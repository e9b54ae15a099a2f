//! `--format table`: the default report for people, grouped by layer.

use std::fmt::Write;

use super::Style;
use crate::catalog::Layer;
use crate::engine::{ControlResult, ScanResult, Source};
use crate::model::{Finding, Status};

fn symbol(st: Style, s: Status) -> String {
    match s {
        Status::Fail => st.red("✗"),
        Status::Pass => st.green("✓"),
        Status::Waived | Status::Attested => st.green("~"),
        Status::NotEvaluated => st.yellow("?"),
        Status::NotApplicable => st.dim("-"),
        Status::Manual => st.dim("□"),
    }
}

fn location(f: &Finding) -> String {
    match &f.location {
        Some(l) => match (l.line, &l.path) {
            (Some(line), _) => format!("{}:{}", l.file, line),
            // Objects read from an API have no lines: name the field.
            (None, Some(p)) if l.document.is_none() => format!("{}#{}", l.file, p),
            (None, _) => l.file.to_string(),
        },
        None => String::new(),
    }
}

pub fn render(r: &ScanResult, st: Style) -> String {
    let mut out = String::new();
    let s = r.stats;
    if let Source::Cluster {
        context,
        server,
        version,
    } = &r.source
    {
        let _ = writeln!(
            out,
            "{} {} — cluster {} ({}{}), {} object{}",
            st.bold("aksguard"),
            env!("CARGO_PKG_VERSION"),
            st.bold(context),
            server,
            version
                .as_ref()
                .map(|v| format!(", Kubernetes {v}"))
                .unwrap_or_default(),
            s.objects,
            if s.objects == 1 { "" } else { "s" },
        );
    } else {
        let _ = writeln!(
            out,
            "{} {} — {} file{}, {} object{}{}",
            st.bold("aksguard"),
            env!("CARGO_PKG_VERSION"),
            s.files,
            if s.files == 1 { "" } else { "s" },
            s.objects,
            if s.objects == 1 { "" } else { "s" },
            match s.clusters {
                0 => String::new(),
                1 => ", 1 AKS cluster".to_string(),
                n => format!(", {n} AKS clusters"),
            },
        );
    }
    for layer in Layer::ALL {
        let controls: Vec<&ControlResult> = r
            .controls
            .iter()
            .filter(|c| c.control.layer == layer)
            .collect();
        if controls.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", st.bold(layer.title()));
        // Controls with a verdict, and not-evaluated controls whose findings say why (an
        // unresolved template expression, a value known only after apply).
        for c in controls.iter().filter(|c| {
            matches!(c.status, Status::Fail | Status::Pass)
                || (c.status == Status::NotEvaluated && c.counts.not_evaluated > 0)
        }) {
            let counts = if c.status == Status::NotEvaluated {
                format!("{} not evaluated", c.counts.not_evaluated)
            } else if c.counts.fail > 0 {
                format!("{} failed, {} passed", c.counts.fail, c.counts.pass)
            } else {
                format!("{} passed", c.counts.pass)
            };
            let _ = writeln!(
                out,
                "  {} {} {:<8} {}  {}",
                symbol(st, c.status),
                c.control.id,
                c.control.severity.as_str(),
                c.control.title,
                st.dim(&format!("({counts})")),
            );
            for f in r.findings.iter().filter(|f| f.control == c.control.id) {
                let obj = f.object.as_ref().map(|o| o.to_string()).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "      {} {}  {}: {}",
                    symbol(st, f.status),
                    st.dim(&location(f)),
                    obj,
                    f.message
                );
                if let Some(fix) = &f.fix {
                    let _ = writeln!(out, "          {}", st.dim(&format!("fix: {fix}")));
                }
            }
        }
        // Controls without a verdict, one line per reason.
        for status in [Status::NotEvaluated, Status::NotApplicable, Status::Manual] {
            let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
            for c in controls
                .iter()
                .filter(|c| c.status == status && c.counts.not_evaluated == 0)
            {
                let reason = c.reason.as_deref().unwrap_or("");
                match reasons.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, ids)) => ids.push(&c.control.id),
                    None => reasons.push((reason, vec![&c.control.id])),
                }
            }
            for (reason, ids) in reasons {
                let _ = writeln!(
                    out,
                    "  {} {} {}: {}",
                    symbol(st, status),
                    st.dim(&format!("{} {}", ids.len(), status.as_str())),
                    st.dim(&format!("({reason})")),
                    ids.join(" "),
                );
            }
        }
        // Findings that are not-evaluated on controls that otherwise passed or failed.
    }
    let sum = super::json::summary(r);
    let count = |s: Status| sum.controls.get(&s).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{} {} failed, {} passed, {} not evaluated, {} not applicable, {} manual",
        st.bold("Controls:"),
        count(Status::Fail),
        count(Status::Pass),
        count(Status::NotEvaluated),
        count(Status::NotApplicable),
        count(Status::Manual),
    );
    let sev: Vec<String> = sum
        .failed_by_severity
        .iter()
        .rev()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let _ = writeln!(
        out,
        "{} {} failed{}, {} passed",
        st.bold("Findings:"),
        sum.findings.fail,
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        sum.findings.pass,
    );
    if !r.notes.is_empty() {
        let _ = writeln!(out, "\n{}", st.bold("Notes:"));
        for n in &r.notes {
            let at = n.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "  {}{}: {}", n.file, at, n.message);
        }
    }
    if !r.errors.is_empty() {
        let _ = writeln!(out, "\n{}", st.red(&st.bold("Input errors:")));
        for e in &r.errors {
            let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "  {}{}: {}", e.file, at, e.message);
        }
    }
    out
}
