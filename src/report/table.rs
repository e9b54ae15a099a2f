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

/// `8 of 34 evaluated controls pass (23.5%); 45 of 130 answered (34.6%)`.
fn score_text(s: &crate::policy::Score) -> String {
    let passing = match s.passing_percent {
        Some(p) => format!(
            "{} of {} evaluated controls pass ({p}%)",
            s.passing, s.evaluated
        ),
        None => "no control evaluated".to_string(),
    };
    format!(
        "{passing}; {} of {} answered ({}%)",
        s.answered,
        s.controls,
        s.answered_percent.unwrap_or(0.0)
    )
}

/// `waived by OWNER until DATE: REASON [FILE:LINE]`.
fn waiver_text(w: &crate::model::Waiver) -> String {
    let mut s = "waived".to_string();
    if let Some(o) = &w.owner {
        s.push_str(&format!(" by {o}"));
    }
    if let Some(e) = w.expires {
        s.push_str(&format!(" until {e}"));
    }
    format!("{s}: {} [{}]", w.reason, w.origin.place())
}

/// The configuration's effects worth a person's attention: where it came from, disabled
/// controls, overrides, waivers and attestations that did not apply.
fn policy(out: &mut String, r: &ScanResult, st: Style) {
    use crate::policy::{AttestationState, WaiverState};
    let p = &r.policy;
    let mut lines: Vec<String> = Vec::new();
    if let Some(c) = &p.config {
        lines.push(format!("configuration {c}"));
    }
    if let Some(a) = &p.attestations_file {
        let applied = p
            .attestations
            .iter()
            .filter(|a| a.state == AttestationState::Applied)
            .count();
        lines.push(format!("attestations {a}: {applied} answers applied"));
    }
    if !p.disabled.is_empty() {
        lines.push(format!("disabled: {}", p.disabled.join(" ")));
    }
    for o in &p.severity_overrides {
        lines.push(format!(
            "{} severity {} (catalogue: {})",
            o.control, o.severity, o.catalogue
        ));
    }
    for w in &p.waivers {
        let what = match w.state {
            WaiverState::Applied => continue,
            WaiverState::Unused => "unused waiver (nothing it selects fails)",
            WaiverState::Expired => "expired waiver (its failures count again)",
            WaiverState::Forbidden => "annotation waiver not allowed for this control",
            WaiverState::NoExpiry => "waiver without an expiry date (not applied)",
        };
        lines.push(format!(
            "{}: {what}: {} {}",
            w.waiver.origin.place(),
            w.waiver.control,
            w.waiver
                .expires
                .map(|e| format!("(expires {e})"))
                .unwrap_or_default()
        ));
    }
    for a in &p.attestations {
        let what = match a.state {
            AttestationState::Applied | AttestationState::Superseded => continue,
            AttestationState::Expired => "expired attestation (the item is open again)",
            AttestationState::Contradicted => {
                "attestation contradicted by failing evidence (not applied)"
            }
        };
        lines.push(format!(
            "{}: {what}: {} by {}{}",
            crate::model::place(&a.attestation.file, a.attestation.line),
            a.attestation.id,
            a.attestation.owner,
            a.attestation
                .expires
                .map(|e| format!(", expires {e}"))
                .unwrap_or_default()
        ));
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", st.bold("Policy:"));
    for l in lines {
        let _ = writeln!(out, "  {}", l.trim_end());
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
        let score = r
            .scores
            .layers
            .iter()
            .find(|l| l.layer == layer)
            .map(|l| format!("  {}", st.dim(&score_text(&l.score))))
            .unwrap_or_default();
        let _ = writeln!(out, "\n{}{score}", st.bold(layer.title()));
        // Controls with a verdict, and not-evaluated controls whose findings say why (an
        // unresolved template expression, a value known only after apply).
        for c in controls.iter().filter(|c| {
            matches!(
                c.status,
                Status::Fail | Status::Pass | Status::Waived | Status::Attested
            ) || (c.status == Status::NotEvaluated && c.counts.not_evaluated > 0)
        }) {
            let mut counts = if c.status == Status::Attested && c.counts.pass == 0 {
                "attested".to_string()
            } else if c.status == Status::NotEvaluated {
                format!("{} not evaluated", c.counts.not_evaluated)
            } else if c.counts.fail > 0 {
                format!("{} failed, {} passed", c.counts.fail, c.counts.pass)
            } else {
                format!("{} passed", c.counts.pass)
            };
            if c.counts.waived > 0 {
                counts.push_str(&format!(", {} waived", c.counts.waived));
            }
            let _ = writeln!(
                out,
                "  {} {} {:<8} {}  {}",
                symbol(st, c.status),
                c.control.id,
                c.severity.as_str(),
                c.control.title,
                st.dim(&format!("({counts})")),
            );
            if let (Status::Attested | Status::Waived, Some(reason)) = (c.status, &c.reason) {
                let _ = writeln!(out, "      {}", st.dim(reason));
            }
            for f in r.findings.iter().filter(|f| f.control == c.control.id) {
                let obj = f
                    .object
                    .as_ref()
                    .map(|o| format!("{o}: "))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "      {} {}  {}{}",
                    symbol(st, f.status),
                    st.dim(&location(f)),
                    obj,
                    f.message
                );
                if let Some(fix) = &f.fix {
                    let _ = writeln!(out, "          {}", st.dim(&format!("fix: {fix}")));
                }
                if let Some(w) = &f.waiver {
                    let _ = writeln!(out, "          {}", st.dim(&waiver_text(w)));
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
        "\n{} {} failed, {} passed, {} waived, {} attested, {} not evaluated, {} not applicable, {} manual (open)",
        st.bold("Controls:"),
        count(Status::Fail),
        count(Status::Pass),
        count(Status::Waived),
        count(Status::Attested),
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
        "{} {} failed{}, {} passed, {} waived",
        st.bold("Findings:"),
        sum.findings.fail,
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        sum.findings.pass,
        sum.findings.waived,
    );
    let _ = writeln!(
        out,
        "{} {}",
        st.bold("Score:"),
        score_text(&r.scores.overall)
    );
    let items: u64 = r.scores.checklists.iter().map(|c| c.items).sum();
    let answered: u64 = r.scores.checklists.iter().map(|c| c.answered).sum();
    let _ = writeln!(
        out,
        "{} {answered} of {items} items answered{}",
        st.bold("Checklists:"),
        crate::policy::percent(answered, items)
            .map(|p| format!(" ({p}%)"))
            .unwrap_or_default()
    );
    policy(&mut out, r, st);
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
