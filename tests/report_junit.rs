//! `--format junit`: snapshot of the demo (with waivers and hostile names), the counts of every
//! suite, testcase outcomes (failure, waived/not-evaluated/open skips, attestations), several
//! scans in one document, input errors; every document is validated against the Jenkins
//! junit-10.xsd (tests/fixtures/reports) with PyPI xmlschema.

#[path = "common/apiserver.rs"]
mod apiserver;
#[path = "common/reports.rs"]
mod reports;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aksguard::config::Config;
use aksguard::engine::{Input, scan};
use aksguard::model::Date;
use aksguard::policy::{Answer, Attestation, Policy};
use reports::{AS_OF, aksguard, python, snapshot, validators};

fn demo_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec![
        "scan",
        "demo/k8s",
        "demo/aks",
        "tests/fixtures/reports/input",
        "--as-of",
        AS_OF,
        "-f",
        "junit",
    ];
    args.extend_from_slice(extra);
    args
}

/// Validates against junit-10.xsd (when the validator is installed; required in CI).
fn validate(xml: &[u8], name: &str) {
    let Some(dir) = validators() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap();
    let xsd = reports::root().join("tests/fixtures/reports/junit-10.xsd");
    python(
        &dir,
        "import sys, xmlschema\n\
         schema = xmlschema.XMLSchema10(sys.argv[1])\n\
         errors = list(schema.iter_errors(sys.argv[2]))\n\
         for e in errors[:20]: print(e)\n\
         sys.exit(1 if errors else 0)\n",
        &[&xsd, &file],
    );
}

/// The value of attribute `name` in the start tag `tag` (escaped as written).
fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let start = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + key.len();
    let end = start + tag[start..].find('"').unwrap();
    &tag[start..end]
}

struct Suite<'a> {
    tag: &'a str,
    body: &'a str,
}

/// The `<testsuite>` elements: start tag and body.
fn suites(xml: &str) -> Vec<Suite<'_>> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<testsuite ") {
        let tag_end = i + rest[i..].find('>').unwrap() + 1;
        let close = tag_end + rest[tag_end..].find("</testsuite>").unwrap();
        out.push(Suite {
            tag: &rest[i..tag_end],
            body: &rest[tag_end..close],
        });
        rest = &rest[close..];
    }
    out
}

/// The `<testcase>` elements of a suite body (whole element text).
fn cases(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("<testcase ") {
        let tag_end = i + rest[i..].find('>').unwrap() + 1;
        let end = if rest[..tag_end].ends_with("/>") {
            tag_end
        } else {
            tag_end + rest[tag_end..].find("</testcase>").unwrap() + "</testcase>".len()
        };
        out.push(&rest[i..end]);
        rest = &rest[end..];
    }
    out
}

/// Checks that the counts of every suite and of the whole document match the testcases.
fn check_counts(xml: &str) -> (usize, usize, usize) {
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for s in suites(xml) {
        let cs = cases(s.body);
        let f = cs.iter().filter(|c| c.contains("<failure ")).count();
        let k = cs.iter().filter(|c| c.contains("<skipped ")).count();
        let e = cs.iter().filter(|c| c.contains("<error ")).count();
        assert_eq!(attr(s.tag, "tests"), cs.len().to_string(), "{}", s.tag);
        assert_eq!(attr(s.tag, "failures"), f.to_string(), "{}", s.tag);
        assert_eq!(attr(s.tag, "skipped"), k.to_string(), "{}", s.tag);
        assert_eq!(attr(s.tag, "errors"), e.to_string(), "{}", s.tag);
        tests += cs.len();
        failures += f;
        skipped += k;
    }
    let root = &xml[xml.find("<testsuites ").unwrap()..];
    let root = &root[..root.find('>').unwrap()];
    assert_eq!(attr(root, "tests"), tests.to_string());
    assert_eq!(attr(root, "failures"), failures.to_string());
    (tests, failures, skipped)
}

fn case<'a>(xml: &'a str, classname: &str, name: &str) -> &'a str {
    suites(xml)
        .into_iter()
        .flat_map(|s| cases(s.body))
        .find(|c| attr(c, "classname") == classname && attr(c, "name") == name)
        .unwrap_or_else(|| panic!("no testcase {classname} / {name}"))
}

#[test]
fn demo_document_is_stable_and_counts_right() {
    let (code, first, err) = aksguard(&demo_args(&[]));
    assert_eq!(code, 1, "{err}");
    let (_, second, _) = aksguard(&demo_args(&[]));
    assert_eq!(first, second, "same input, different bytes");
    snapshot("demo.junit.xml", &first);
    let xml = String::from_utf8(first.clone()).unwrap();

    // One suite per layer, in layer order.
    let names: Vec<&str> = suites(&xml).iter().map(|s| attr(s.tag, "name")).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    assert_eq!(names[0], "Azure tenant &amp; control plane");
    assert_eq!(names[5], "Workload security");
    let (tests, failures, skipped) = check_counts(&xml);
    assert!(
        tests > 130 && failures > 50 && skipped > 30,
        "{tests} {failures} {skipped}"
    );

    // A failing object: severity as type, every finding with its place in the text.
    let c = case(
        &xml,
        "aksguard.workload-security.WL-002",
        "WL-002 DaemonSet log-shipper",
    );
    assert!(c.contains("<failure message=\""), "{c}");
    assert!(c.contains("type=\"critical\""), "{c}");
    assert!(c.contains("at demo/k8s/legacy-worker.yaml:"), "{c}");

    // The waived object: skipped with reason, owner, expiry and where the waiver is.
    let c = case(
        &xml,
        "aksguard.workload-security.WL-002",
        "WL-002 Deployment ops/legacy-agent",
    );
    assert!(
        c.contains(
            "<skipped message=\"waived: vendor agent needs host access (owner team-ops, \
             expires 2030-01-01, waiver at tests/fixtures/reports/input/waived.yaml:8)\""
        ),
        "{c}"
    );

    // A control without objects: open manual controls are skipped with why.
    let c = case_prefix(&xml, "aksguard.organization.OR-002", "OR-002 ");
    assert!(c.contains("<skipped message=\"manual: open: "), "{c}");
    validate(&first, "demo");
}

/// `case` with a name prefix (control testcases are named `ID name`).
fn case_prefix<'a>(xml: &'a str, classname: &str, prefix: &str) -> &'a str {
    suites(xml)
        .into_iter()
        .flat_map(|s| cases(s.body))
        .find(|c| attr(c, "classname") == classname && attr(c, "name").starts_with(prefix))
        .unwrap_or_else(|| panic!("no testcase {classname} / {prefix}..."))
}

#[test]
fn hostile_names_make_valid_xml() {
    let (_, bytes, _) = aksguard(&demo_args(&["--include-passed"]));
    let xml = String::from_utf8(bytes.clone()).unwrap();
    // No raw control character; no CDATA end in content; markup escaped.
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{1b}'));
    assert!(!xml.contains("]]>"));
    let c = case(
        &xml,
        "aksguard.workload-security.WL-015",
        "WL-015 Deployment shop&lt;x&gt;/web&lt;&amp;&quot;&apos;]]&gt;\\u{0001}\\u{001b}[31m",
    );
    assert!(
        c.contains("waived: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; ]]&gt;"),
        "{c}"
    );
    check_counts(&xml);
    // With --include-passed, passing objects are testcases of their own.
    let passing = suites(&xml)
        .into_iter()
        .flat_map(|s| cases(s.body))
        .filter(|c| c.ends_with("/>"))
        .count();
    let (_, plain, _) = aksguard(&demo_args(&[]));
    let plain = String::from_utf8(plain).unwrap();
    let passing_plain = suites(&plain)
        .into_iter()
        .flat_map(|s| cases(s.body))
        .filter(|c| c.ends_with("/>"))
        .count();
    assert!(passing > passing_plain, "{passing} vs {passing_plain}");
    validate(&bytes, "hostile");
}

#[test]
fn unreadable_input_is_an_error_testcase() {
    let (code, bytes, _) = aksguard(&["scan", "tests/fixtures/reports/broken", "-f", "junit"]);
    assert_eq!(code, 2);
    let xml = String::from_utf8(bytes.clone()).unwrap();
    let c = case(
        &xml,
        "aksguard.inputs",
        "tests/fixtures/reports/broken/broken.yaml:9",
    );
    assert!(c.contains("<error message=\"YAML syntax error"), "{c}");
    let root = &xml[xml.find("<testsuites ").unwrap()..];
    assert_eq!(attr(&root[..root.find('>').unwrap()], "errors"), "1");
    check_counts(&xml);
    validate(&bytes, "broken");
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

#[test]
fn attestations_pass_or_fail_controls() {
    let attest = |id: &str, answer, line| {
        Arc::new(Attestation {
            id: id.to_string(),
            answer,
            owner: "alice".to_string(),
            date: Some(date("2025-11-01")),
            evidence: Some("https://wiki.example/runbook".to_string()),
            expires: None,
            note: Some("reviewed <quarterly> & logged".to_string()),
            file: Arc::from("attestations.yaml"),
            line: Some(line),
        })
    };
    let policy = Policy {
        attestations_file: Some(Arc::from("attestations.yaml")),
        attestations: vec![
            attest("OR-002", Answer::Yes, 3),
            attest("OR-004", Answer::No, 9),
        ],
        ..Policy::default()
    };
    let config = Config {
        policy: Arc::new(policy),
        as_of: Some(date(AS_OF)),
        ..Config::default()
    };
    let result = scan(&[Input::Path(PathBuf::from("demo/k8s"))], &config);
    let mut bytes = Vec::new();
    aksguard::report::junit::write(std::slice::from_ref(&result), &mut bytes).unwrap();
    let xml = String::from_utf8(bytes.clone()).unwrap();

    let yes = case_prefix(&xml, "aksguard.organization.OR-002", "OR-002 ");
    assert!(
        !yes.contains("<failure") && !yes.contains("<skipped"),
        "{yes}"
    );
    assert!(
        yes.contains("<system-out>attested yes by alice on 2025-11-01"),
        "{yes}"
    );
    assert!(
        yes.contains("note: reviewed &lt;quarterly&gt; &amp; logged"),
        "{yes}"
    );
    let no = case(
        &xml,
        "aksguard.organization.OR-004",
        "OR-004 attestations.yaml",
    );
    assert!(no.contains("<failure message="), "{no}");
    assert!(no.contains("at attestations.yaml:9"), "{no}");
    check_counts(&xml);
    validate(&bytes, "attestations");
}

const ADMIN: &str = "admin-token-0123";

#[test]
fn several_scans_prefix_the_suites() {
    let srv = apiserver::FakeApiServer::start(
        apiserver::Source::Recording(
            reports::root().join("tests/fixtures/apiserver/v1.28-400-objects"),
        ),
        apiserver::Options {
            tokens: vec![(ADMIN.to_string(), "admin".to_string())],
            anonymous: None,
            delay: Duration::ZERO,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kc = srv.kubeconfig("rec", Some(ADMIN)).replace(
        "contexts:\n",
        "contexts:\n- name: \"prod<&>\"\n  context:\n    cluster: \"rec\"\n    user: \"rec\"\n",
    );
    let kc_path = dir.path().join("kubeconfig");
    std::fs::write(&kc_path, kc).unwrap();
    let args = [
        "scan",
        "--kubeconfig",
        kc_path.to_str().unwrap(),
        "--context",
        "rec",
        "--context",
        "prod<&>",
        "--chunk-size",
        "50",
        "--as-of",
        AS_OF,
        "-f",
        "junit",
    ];
    let (code, first, err) = aksguard(&args);
    assert_eq!(code, 1, "{err}");
    let (_, second, _) = aksguard(&args);
    assert_eq!(first, second);
    let xml = String::from_utf8(first.clone()).unwrap();
    let names: Vec<String> = suites(&xml)
        .iter()
        .map(|s| attr(s.tag, "name").to_string())
        .collect();
    assert_eq!(names.len(), 22, "{names:?}");
    assert!(names[..11].iter().all(|n| n.starts_with("cluster rec: ")));
    assert!(
        names[11..]
            .iter()
            .all(|n| n.starts_with("cluster prod&lt;&amp;&gt;: "))
    );
    assert!(names.contains(&"cluster rec: Workload security".to_string()));
    let (tests, failures, _) = check_counts(&xml);
    assert!(tests > 200 && failures > 20, "{tests} {failures}");
    validate(&first, "live");
}
