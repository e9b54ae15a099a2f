//! `--format markdown`: the checklists filled in. Every item in checklist order with the mark of
//! its status and the evidence behind it; user text cannot break the Markdown (checked by
//! rendering it as GitHub does); evidence lists are capped; same input, same bytes.

#[path = "common/report_fixture.rs"]
mod fixture;

use aksguard::engine::{ScanResult, Source};
use aksguard::model::Status;
use aksguard::report::markdown;
use fixture::{HOSTILE_NAME, result};

fn render(results: &[ScanResult]) -> String {
    let mut out = Vec::new();
    markdown::write(results, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// HTML as GitHub would render it (GFM tables and strikethrough; raw HTML passes through, so any
/// escaping mistake shows up as a tag).
fn to_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, opts));
    out
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Waived => "🟡",
        Status::Attested => "📝",
        Status::Manual => "⏳",
        Status::NotEvaluated => "⚪",
        Status::NotApplicable => "➖",
    }
}

#[test]
fn snapshot_of_the_policy_scan() {
    let md = render(&[result()]);
    fixture::snapshot("markdown-policy.md", md.as_bytes());
}

#[test]
fn every_item_in_checklist_order_with_its_mark() {
    let r = result();
    let md = render(std::slice::from_ref(&r));
    // Item lines: `- MARK **ID** (word) text`.
    let items: Vec<(&str, &str)> = md
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| {
            let (m, rest) = l.split_once(" **")?;
            let (id, _) = rest.split_once("** (")?;
            Some((m, id))
        })
        .collect();
    assert_eq!(items.len(), r.items.len());
    for (item, (m, id)) in r.items.iter().zip(&items) {
        assert_eq!(item.id.replace('_', "\\_"), *id);
        assert_eq!(mark(item.status), *m, "{}", item.id);
    }
    // Checklist headings in the checklists' order, each once; the score under each.
    let mut checklists: Vec<&str> = Vec::new();
    for i in &r.items {
        if !checklists.contains(&i.checklist) {
            checklists.push(i.checklist);
        }
    }
    let headings: Vec<&str> = md
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter(|h| !["Summary", "Policy", "Notes", "Input errors"].contains(h))
        .collect();
    assert_eq!(headings, checklists);
    for c in &r.scores.checklists {
        assert!(md.contains(&format!("Answered {}/{}", c.answered, c.items)));
    }
    // Every status of this scan shows up: failed, passed, attested, open, not evaluated, n/a.
    for s in [
        Status::Fail,
        Status::Pass,
        Status::Attested,
        Status::NotEvaluated,
        Status::NotApplicable,
        Status::Manual,
    ] {
        assert!(
            r.items.iter().any(|i| i.status == s),
            "{s} missing from the fixture"
        );
    }
}

#[test]
fn evidence_behind_each_mark() {
    let r = result();
    let md = render(std::slice::from_ref(&r));
    // Failed: the failing findings (object, file:line, message), capped, with the rest counted.
    // WL-002 fails on the seven privileged workloads (the hostile one is waived).
    let wl002 = r
        .findings
        .iter()
        .filter(|f| f.control == "WL-002" && f.status == Status::Fail);
    assert_eq!(wl002.count(), 8);
    assert!(md.contains(
        "    - `Deployment/priv-1 (shop)` at `tests/fixtures/reports/md-html/privileged.yaml:18`: \
         container \\`app\\` is privileged (full access to the node)"
    ));
    assert!(md.contains("    - … and 5 more"));
    // Passed: the count of passing objects.
    assert!(md.contains(": passed on "));
    // Not evaluated: the reason.
    assert!(md.contains("needs Azure resources (not read by this version)"));
    // Attested item: owner, date, evidence (as text: not a web address), the note escaped.
    let line = md
        .lines()
        .find(|l| l.contains("📝 answered `yes` by alice on 2025-11-01, evidence ticket \\<OPS-1>"))
        .expect("the item attestation");
    assert!(line.contains("`attestations.yaml:30`"), "{line}");
    // Attested control: the evidence link as an autolink.
    assert!(md.contains("evidence <https://wiki.example/runbook>"));
    // Open items say how to answer them.
    assert!(
        md.contains(
            "⏳ open: a person answers it in the attestations file (`aksguard attest init`"
        )
    );
    // Policy: every waiver with its state; attestations that did not apply.
    for state in [
        "**applied** `SC-001`",
        "**unused** `WL-009`",
        "**expired** `AD-005`",
    ] {
        assert!(md.contains(state), "{state}");
    }
    assert!(md.contains("`WL-002` contradicted"));
    assert!(md.contains("`OR-005` expired"));
    // The annotation waiver: reason and owner escaped, origin as a code span.
    assert!(md.contains(
        "\\[click\\](javascript:alert(1)) \\<img src=x onerror=alert(1)> \\| \\`tick\\`, owner \
         team-\\<b>x\\</b>, expires 2030-01-01 (`tests/fixtures/reports/md-html/hostile.yaml:10`)"
    ));
}

#[test]
fn user_text_cannot_break_the_markdown() {
    let r = result();
    let md = render(std::slice::from_ref(&r));
    let html = to_html(&md);
    // No tag from user text survives: the only tags are Markdown's own.
    for bad in ["<script", "<img", "<b>", "href=\"javascript", "<del>"] {
        assert!(!html.contains(bad), "{bad} in the rendered Markdown");
    }
    // The hostile object name shows as text inside code.
    let name = format!(
        "<code>Deployment/{} (a|b)</code>",
        HOSTILE_NAME.replace('<', "&lt;").replace('>', "&gt;")
    );
    assert!(html.contains(&name), "{name}");
    // The only links: the attestation evidence address.
    let links: Vec<&str> = html
        .match_indices("<a href=\"")
        .map(|(i, _)| &html[i..])
        .collect();
    assert!(!links.is_empty());
    for l in links {
        assert!(
            l.starts_with("<a href=\"https://wiki.example/runbook\">"),
            "{}",
            &l[..60]
        );
    }
    // The note's newline did not end the list item, and the score table kept its rows.
    assert!(!md.contains("\nz"));
    let rows = html.matches("<tr>").count();
    assert_eq!(
        rows,
        1 + 1 + r.scores.layers.len(),
        "header, overall, one per layer"
    );
    // Every item is a list entry of its own (nothing merged into a paragraph or a table).
    let top_items = md.lines().filter(|l| l.starts_with("- ")).count();
    assert!(top_items >= r.items.len());
}

#[test]
fn several_scans_and_same_bytes_twice() {
    let mut live = fixture::plain(&["tests/fixtures/reports/md-html"]);
    live.source = Source::Cluster {
        context: "prod`|<x>".to_string(),
        server: "https://10.0.0.1:443".to_string(),
        version: Some("v1.33.2".to_string()),
    };
    let files = result();
    let both = [files, live];
    let md = render(&both);
    assert_eq!(md, render(&both), "same input, same bytes");
    assert!(md.contains("2 scans · exit code **1**"));
    assert!(md.contains("\n## Files\n"));
    assert!(md.contains("\n## Cluster ``prod`|<x>`` at `https://10.0.0.1:443` (v1.33.2)\n"));
    // Checklists one level down, once per scan.
    assert_eq!(
        md.matches("\n### Kubernetes Security Checklist\n").count(),
        2
    );
    assert_eq!(md.matches("\n### Summary\n").count(), 2);
}

#[test]
fn evidence_lists_are_capped_for_large_scans() {
    let small = fixture::many_workloads(10);
    let large = fixture::many_workloads(400);
    let a = render(&[fixture::plain(&[small.path().to_str().unwrap()])]);
    let b = render(&[fixture::plain(&[large.path().to_str().unwrap()])]);
    // 40 times the findings: the checklists list the same number of them.
    let tail = |s: &str| s.split_once("\n## ").map(|(_, t)| t.to_string()).unwrap();
    let (la, lb) = (tail(&a).lines().count(), tail(&b).lines().count());
    assert_eq!(la, lb, "same lines for 10 and 400 workloads");
    assert!(b.contains("… and 397 more"));
    assert!(b.len() < 200_000, "{} bytes", b.len());
}
