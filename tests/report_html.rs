//! `--format html`: one self-contained page. It parses as HTML5 without errors, holds every finding
//! and checklist item, shows hostile names as text, loads nothing from the network (CSP with the
//! hashes of its inline style and scripts), gives the same bytes twice, and renders in headless
//! Chromium with its filters working (skipped with a notice when Chromium is missing, unless
//! `AKSGUARD_REQUIRE_CHROMIUM=1`, as in CI).

#[path = "common/report_fixture.rs"]
mod fixture;

use std::path::{Path, PathBuf};
use std::process::Command;

use aksguard::engine::{ScanResult, Source};
use aksguard::model::{Severity, Status};
use fixture::{HOSTILE_NAME, HOSTILE_NOTE, result};
use scraper::{ElementRef, Html, Selector};

fn render(results: &[ScanResult]) -> String {
    let mut out = Vec::new();
    aksguard::report::html::write(results, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text(e: ElementRef) -> String {
    e.text().collect()
}

fn parse(html: &str) -> Html {
    let doc = Html::parse_document(html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    doc
}

fn sha256(s: &str) -> String {
    use base64::Engine;
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(d.as_ref())
    )
}

#[test]
fn the_parser_reports_broken_html() {
    // The structural tests rely on this: html5ever records what it had to repair.
    assert!(
        !Html::parse_document("<!DOCTYPE html><p></div><td>")
            .errors
            .is_empty()
    );
}

#[test]
fn parses_and_holds_every_finding_and_item() {
    let r = result();
    let html = render(std::slice::from_ref(&r));
    let doc = parse(&html);
    assert_eq!(doc.select(&sel("section.scan")).count(), 1);
    let rows: Vec<ElementRef> = doc.select(&sel("table.findings tbody tr")).collect();
    assert_eq!(rows.len(), r.findings.len());
    for (row, f) in rows.iter().zip(&r.findings) {
        let cells: Vec<String> = row.select(&sel("td")).map(text).collect();
        assert_eq!(cells[0], f.control);
        assert_eq!(cells[1], f.severity.as_str());
        assert_eq!(cells[2], f.status.as_str());
        assert!(cells[5].starts_with(&*f.message), "{}", cells[5]);
    }
    // Every checklist item, in order, with its status.
    let items: Vec<(String, String)> = doc
        .select(&sel("details.cl ul.items > li"))
        .map(|li| {
            let id = text(li.select(&sel("span.id")).next().unwrap());
            (id, li.value().attr("data-status").unwrap().to_string())
        })
        .collect();
    let expected: Vec<(String, String)> = r
        .items
        .iter()
        .map(|i| (i.id.to_string(), i.status.as_str().to_string()))
        .collect();
    assert_eq!(items, expected);
    // One chart bar per layer, each as long as its share of controls.
    let bars = doc.select(&sel("svg.chart rect")).count();
    assert!(bars >= 11, "{bars} segments");
    // Scores per layer in the table.
    let layer_rows = doc.select(&sel("table.scores")).next().unwrap();
    assert_eq!(
        layer_rows.select(&sel("tbody tr")).count(),
        1 + r.scores.layers.len()
    );
    // The policy: every waiver with its state, the attestations that did not apply.
    let waivers: Vec<String> = doc
        .select(&sel(
            "section.scan > table:not(.scores):not(.findings) tbody tr td:first-child",
        ))
        .map(text)
        .collect();
    assert_eq!(waivers.len(), r.policy.waivers.len(), "{waivers:?}");
    assert!(html.contains("contradicted: the evidence fails"));
}

#[test]
fn hostile_text_is_text() {
    let r = result();
    let html = render(std::slice::from_ref(&r));
    let doc = parse(&html);
    // Two scripts: the page's own.
    let scripts: Vec<String> = doc.select(&sel("script")).map(text).collect();
    assert_eq!(scripts.len(), 2);
    for tag in ["img", "iframe", "object", "embed", "link", "base"] {
        assert_eq!(doc.select(&sel(tag)).count(), 0, "<{tag}> in the page");
    }
    // The waiver owner `team-<b>x</b>` is text, not a bold element.
    assert!(doc.select(&sel("td")).any(|td| text(td) == "team-<b>x</b>"));
    assert!(doc.select(&sel("b")).all(|b| text(b) != "x"));
    // The hostile name is the text of its cell.
    let object = format!("Deployment/{HOSTILE_NAME} (a|b)");
    assert!(
        doc.select(&sel("table.findings td"))
            .any(|td| text(td) == object)
    );
    // The attestation note and the waiver reason, as text.
    let note = HOSTILE_NOTE.replace('\n', " ");
    assert!(doc.select(&sel("li")).any(|li| text(li).contains(&note)));
    assert!(
        doc.select(&sel("td"))
            .any(|td| text(td)
                == "[click](javascript:alert(1)) <img src=x onerror=alert(1)> | `tick`")
    );
    // Links: in-page anchors, and the attestation evidence address.
    for a in doc.select(&sel("a")) {
        let href = a.value().attr("href").unwrap();
        assert!(
            href.starts_with('#') || href == "https://wiki.example/runbook",
            "{href}"
        );
    }
    assert!(!html.contains("javascript:alert(1)\""));
}

#[test]
fn self_contained_with_a_strict_csp() {
    let html = render(&[result()]);
    let doc = parse(&html);
    let csp = doc
        .select(&sel("meta[http-equiv=Content-Security-Policy]"))
        .next()
        .unwrap()
        .value()
        .attr("content")
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    // The hashes are those of the inline style and scripts as written.
    let style = text(doc.select(&sel("style")).next().unwrap());
    assert!(
        csp.contains(&format!("style-src {};", sha256(&style))),
        "{csp}"
    );
    for script in doc.select(&sel("script")) {
        assert!(csp.contains(&sha256(&text(script))), "{csp}");
    }
    // Nothing is loaded: no src attributes, no CSS imports or URLs, no style attributes.
    for e in doc.select(&sel("*")) {
        for attr in ["src", "srcset", "style", "action", "formaction"] {
            assert!(
                e.value().attr(attr).is_none(),
                "{attr} on <{}>",
                e.value().name()
            );
        }
    }
    assert!(!style.contains("url(") && !style.contains("@import"));
}

#[test]
fn several_scans_and_same_bytes_twice() {
    let mut live = fixture::plain(&["tests/fixtures/reports/md-html"]);
    live.source = Source::Cluster {
        context: "prod<x>".to_string(),
        server: "https://10.0.0.1:443".to_string(),
        version: Some("v1.33.2".to_string()),
    };
    let both = [result(), live];
    let html = render(&both);
    assert_eq!(html, render(&both), "same input, same bytes");
    let doc = parse(&html);
    let titles: Vec<String> = doc.select(&sel("section.scan > h2")).map(text).collect();
    assert_eq!(
        titles,
        ["Files", "Cluster prod<x> (https://10.0.0.1:443, v1.33.2)"]
    );
    assert_eq!(doc.select(&sel("section.fs")).count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium.

fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os("AKSGUARD_REQUIRE_CHROMIUM").is_some_and(|v| v == "1") {
            panic!("chromium not found (AKSGUARD_REQUIRE_CHROMIUM=1): apt-get install -y chromium");
        }
        eprintln!(
            "SKIPPED the headless Chromium check: chromium not installed (apt-get install -y chromium)"
        );
    }
    found
}

/// The DOM after the page's scripts ran on `file` with the URL fragment `fragment`.
fn dump_dom(browser: &Path, file: &Path, fragment: &str) -> Html {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}#{fragment}", file.display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Html::parse_document(&String::from_utf8(out.stdout).unwrap())
}

/// (matched, visible rows, "show more" visible) of each findings table.
fn table_state(doc: &Html) -> Vec<(usize, usize, bool)> {
    doc.select(&sel("section.fs"))
        .map(|sec| {
            let matched = sec
                .select(&sel("output"))
                .next()
                .and_then(|o| o.value().attr("data-matched"))
                .expect("the script set data-matched")
                .parse()
                .unwrap();
            let visible = sec
                .select(&sel("table.findings tbody tr"))
                .filter(|tr| tr.value().attr("hidden").is_none())
                .count();
            let more = sec
                .select(&sel("button.more"))
                .next()
                .unwrap()
                .value()
                .attr("hidden")
                .is_none();
            (matched, visible, more)
        })
        .collect()
}

#[test]
fn renders_in_headless_chromium_with_working_filters() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bulk = fixture::many_workloads(120);
    let big = fixture::plain(&[bulk.path().to_str().unwrap()]);
    let r = result();
    let results = [r, big];
    let file = dir.path().join("report.html");
    std::fs::write(&file, render(&results)).unwrap();

    // Filters from the URL fragment: failing findings of high severity.
    let doc = dump_dom(&browser, &file, "status=fail&severity=high");
    let body = doc.select(&sel("body")).next().unwrap();
    assert_eq!(body.value().attr("data-ready"), Some("2"), "the script ran");
    let expected: Vec<usize> = results
        .iter()
        .map(|r| {
            r.findings
                .iter()
                .filter(|f| f.status == Status::Fail && f.severity == Severity::High)
                .count()
        })
        .collect();
    assert!(expected[1] > 500, "the bulk scan pages: {}", expected[1]);
    let state = table_state(&doc);
    assert_eq!(
        state,
        [(expected[0], expected[0], false), (expected[1], 500, true)]
    );

    // Free text and control: the findings of one object.
    let doc = dump_dom(&browser, &file, "q=priv-3&control=WL-002");
    let state = table_state(&doc);
    assert_eq!(state[0], (1, 1, false));
    assert_eq!(state[1], (0, 0, false));

    // No filter: every row matches, the first page is shown.
    let doc = dump_dom(&browser, &file, "");
    let state = table_state(&doc);
    assert_eq!(state[0].0, results[0].findings.len());
    assert_eq!(state[1], (results[1].findings.len(), 500, true));
}
