//! `--format sarif`: snapshot of the demo (with waivers and hostile names), properties of the
//! log (rules, levels, locations, suppressions, fingerprints, runs), live-cluster logical
//! locations, input errors, configuration waivers and attestations; every log is validated
//! against the SARIF 2.1.0 schema (PyPI jsonschema) and by Microsoft's SARIF multitool
//! (schema + SARIF, GitHub and Azure DevOps ingestion rules).

#[path = "common/apiserver.rs"]
mod apiserver;
#[path = "common/reports.rs"]
mod reports;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aksguard::config::Config;
use aksguard::engine::{Input, scan};
use aksguard::model::{Date, Waiver, WaiverOrigin};
use aksguard::policy::{Answer, Attestation, ConfigWaiver, Policy};
use reports::{AS_OF, aksguard, offline, python, snapshot, validators};
use serde_json::Value;

const DEMO: &[&str] = &["demo/k8s", "demo/aks", "tests/fixtures/reports/input"];

fn demo_args(format: &str) -> Vec<&str> {
    let mut args = vec!["scan"];
    args.extend_from_slice(DEMO);
    args.extend_from_slice(&["--as-of", AS_OF, "-f", format]);
    args
}

fn sarif_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// Validates a log with both validators (when installed; required in CI).
fn validate(bytes: &[u8], name: &str) {
    let Some(dir) = validators() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(format!("{name}.sarif"));
    std::fs::write(&file, bytes).unwrap();
    let schema = dir.join("node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json");
    assert!(schema.is_file(), "{} missing", schema.display());

    // 1. The JSON schema, by jsonschema (no network: the schema is local, no $ref leaves it).
    python(
        &dir,
        "import json, sys, jsonschema\n\
         schema = json.load(open(sys.argv[1]))\n\
         log = json.load(open(sys.argv[2]))\n\
         cls = jsonschema.validators.validator_for(schema)\n\
         cls.check_schema(schema)\n\
         errors = list(cls(schema).iter_errors(log))\n\
         for e in errors[:20]: print('/'.join(map(str, e.absolute_path)), e.message[:300])\n\
         sys.exit(1 if errors else 0)\n",
        &[&schema, &file],
    );

    // 2. The multitool: schema and ingestion rules of SARIF, GitHub (GHAS), Azure DevOps.
    let report = tmp.path().join("validation.sarif");
    let tool = dir.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    let args = [
        "validate",
        "-j",
        schema.to_str().unwrap(),
        "--rule-kind",
        "Sarif;Ghas;Ado",
        "-o",
        report.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let Some(out) = offline(&tool, &args) else {
        if std::env::var_os("AKSGUARD_REQUIRE_VALIDATORS").is_some_and(|v| v == "1") {
            panic!("cannot run the SARIF multitool without network (unshare -n failed)");
        }
        eprintln!("SKIPPED SARIF multitool: unshare -n is not available");
        return;
    };
    assert!(
        out.status.success() && report.is_file(),
        "multitool failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut problems = Vec::new();
    for run in arr(&v["runs"]) {
        for r in run["results"].as_array().into_iter().flatten() {
            let rule = r["ruleId"].as_str().unwrap_or("");
            let level = r["level"].as_str().unwrap_or("warning");
            let accepted = match (rule, level) {
                (_, "note" | "none") => true,
                // GitHub Advanced Security for Azure DevOps: its publish task supplies the
                // pipeline's build details (definition, phase) and the `azuredevops/...`
                // automation id; a tool cannot know them.
                ("GHAzDO1019" | "GHAzDO1020", "error") => true,
                // No region: object-level evidence without a line (namespace verdicts, live
                // objects, Azure resources); a region would be invented.
                ("SARIF2017", "warning") => true,
                _ => false,
            };
            if !accepted {
                problems.push(format!("{rule} {level}: {}", r["message"]));
            }
        }
        for n in run["invocations"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| {
                i["toolExecutionNotifications"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
        {
            if n["level"].as_str() == Some("error") {
                problems.push(format!("tool error: {}", n["message"]));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{name}: SARIF multitool reports:\n{}",
        problems.join("\n")
    );
}

/// The level SARIF gives a severity.
fn level(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

#[test]
fn demo_log_is_stable_and_says_what_the_scan_found() {
    let (code, first, err) = aksguard(&demo_args("sarif"));
    assert_eq!(code, 1, "{err}");
    let (_, second, _) = aksguard(&demo_args("sarif"));
    assert_eq!(first, second, "same input, different bytes");
    snapshot("demo.sarif", &first);

    let log = sarif_of(&first);
    assert_eq!(log["version"], "2.1.0");
    let runs = arr(&log["runs"]);
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["automationDetails"]["id"], "aksguard/files/");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "aksguard");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));

    // Rules: every control of the catalogue, each with what GitHub shows.
    let rules = arr(&driver["rules"]);
    assert_eq!(rules.len(), 130);
    let json: Value = serde_json::from_slice(&aksguard(&demo_args("json")).1).unwrap();
    let severity_of: BTreeMap<&str, &str> = arr(&json["controls"])
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["severity"].as_str().unwrap()))
        .collect();
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let sev = severity_of[id];
        assert_eq!(r["defaultConfiguration"]["level"], level(sev), "{id}");
        let control = arr(&json["controls"])
            .iter()
            .find(|c| c["id"] == id)
            .unwrap();
        let mut tags = vec![Value::from("security"), control["layer"].clone()];
        tags.extend(arr(&control["covers"]).iter().cloned());
        assert_eq!(arr(&r["properties"]["tags"]), &tags, "{id}");
        let score = r["properties"]["security-severity"].as_str();
        let range = match sev {
            "critical" => Some(9.0..=10.0),
            "high" => Some(7.0..=8.9),
            "medium" => Some(4.0..=6.9),
            "low" => Some(0.1..=3.9),
            _ => None,
        };
        match range {
            Some(range) => {
                let v: f64 = score.unwrap().parse().unwrap();
                assert!(range.contains(&v), "{id} {sev}: {v}");
            }
            None => assert!(score.is_none(), "{id}"),
        }
        for key in ["shortDescription", "fullDescription"] {
            assert!(!r[key]["text"].as_str().unwrap().is_empty(), "{id} {key}");
        }
        let md = r["help"]["markdown"].as_str().unwrap();
        assert!(md.contains("**How to fix.**"), "{id}");
    }

    // Results: the failing and the waived findings of the JSON report, nothing else.
    let results = arr(&run["results"]);
    let expected: Vec<&Value> = arr(&json["findings"])
        .iter()
        .filter(|f| f["status"] == "fail" || f["status"] == "waived")
        .collect();
    assert_eq!(results.len(), expected.len());
    let mut fingerprints = BTreeSet::new();
    for (res, f) in results.iter().zip(&expected) {
        assert_eq!(res["ruleId"], f["control"]);
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        assert_eq!(res["level"], level(f["severity"].as_str().unwrap()));
        let fp = res["partialFingerprints"]["aksguardFinding/v1"]
            .as_str()
            .unwrap();
        assert!(
            fingerprints.insert(fp.to_string()),
            "duplicate fingerprint {fp}"
        );
        let locs = arr(&res["locations"]);
        assert_eq!(locs.len(), 1, "GitHub needs exactly one primary location");
        let uri = locs[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        match f["location"]["file"].as_str() {
            Some(file) => {
                assert_eq!(uri, file.replace(' ', "%20").replace('#', "%23"));
                assert_eq!(
                    locs[0]["physicalLocation"]["region"]["startLine"],
                    f["location"]["line"]
                );
            }
            None => {
                // Namespace-level verdicts: a pseudo-path and the object's logical location.
                assert!(uri.starts_with("k8s/"), "{uri}");
                assert!(locs[0]["physicalLocation"].get("region").is_none());
                assert_eq!(locs[0]["logicalLocations"][0]["kind"], "resource");
            }
        }
        assert_eq!(
            res.get("suppressions").is_some(),
            f["status"] == "waived",
            "{res}"
        );
    }

    // The annotation waiver: an accepted external suppression with why, who, until when.
    let waived: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(
        waived.len(),
        2,
        "WL-002 legacy-agent and WL-015 of the hostile object"
    );
    let s = &waived.iter().find(|r| r["ruleId"] == "WL-002").unwrap()["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    let j = s["justification"].as_str().unwrap();
    assert!(
        j.starts_with("vendor agent needs host access (owner team-ops, expires 2030-01-01"),
        "{j}"
    );
    assert_eq!(
        s["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "tests/fixtures/reports/input/waived.yaml"
    );
    assert_eq!(s["location"]["physicalLocation"]["region"]["startLine"], 8);

    // AKS: the Azure resource id as the logical location.
    let aks = results
        .iter()
        .find(|r| r["ruleId"] == "CP-002")
        .expect("CP-002 fails on the demo");
    assert!(
        aks["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("/subscriptions/")
    );
    validate(&first, "demo");
}

#[test]
fn hostile_names_stay_data() {
    let (_, bytes, _) = aksguard(&demo_args("sarif"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    // JSON escapes control characters; nothing raw reaches a terminal or a parser.
    assert!(!text.contains('\u{1}') && !text.contains('\u{1b}'));
    let log = sarif_of(&bytes);
    let name = "web<&\"']]>\u{1}\u{1b}[31m";
    let hostile: Vec<&Value> = arr(&log["runs"][0]["results"])
        .iter()
        .filter(|r| r["locations"][0]["logicalLocations"][0]["name"] == name)
        .collect();
    assert!(hostile.len() > 5, "{}", hostile.len());
    for r in &hostile {
        assert_eq!(
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            format!("shop<x>/Deployment/{name}")
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "tests/fixtures/reports/input/odd%20name%20%231.yaml"
        );
    }
    let waived = hostile
        .iter()
        .find(|r| r["ruleId"] == "WL-015")
        .expect("WL-015 waived");
    assert!(
        waived["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("<script>alert(1)</script> & \"quoted\" ]]> (owner team <a>")
    );
}

#[test]
fn unreadable_input_makes_an_unsuccessful_invocation() {
    let (code, bytes, _) = aksguard(&["scan", "tests/fixtures/reports/broken", "-f", "sarif"]);
    assert_eq!(code, 2);
    let log = sarif_of(&bytes);
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert!(n["message"]["text"].as_str().unwrap().contains("YAML"));
    let loc = &n["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "tests/fixtures/reports/broken/broken.yaml"
    );
    assert_eq!(loc["region"]["startLine"], 9);
    validate(&bytes, "broken");
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

#[test]
fn configuration_waivers_and_attestations() {
    let waiver = Arc::new(Waiver {
        control: "SC-001",
        reason: "tags are pinned by the mirror".to_string(),
        owner: Some("platform".to_string()),
        expires: Some(date("2030-06-30")),
        origin: WaiverOrigin::Config {
            file: Arc::from(".aksguard.yaml"),
            line: Some(12),
            selects: "DaemonSet *".to_string(),
        },
    });
    let attest = |id: &str, answer, line| {
        Arc::new(Attestation {
            id: id.to_string(),
            answer,
            owner: "alice".to_string(),
            date: Some(date("2025-11-01")),
            evidence: Some("https://wiki.example/runbook".to_string()),
            expires: None,
            note: None,
            file: Arc::from("attestations.yaml"),
            line: Some(line),
        })
    };
    let policy = Policy {
        config_file: Some(Arc::from(".aksguard.yaml")),
        waivers: vec![ConfigWaiver {
            waiver,
            kind: Some("DaemonSet".to_string()),
            namespace: None,
            name: None,
            file: None,
        }],
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
    aksguard::report::sarif::write(std::slice::from_ref(&result), &mut bytes).unwrap();
    let log = sarif_of(&bytes);
    let results = arr(&log["runs"][0]["results"]);

    let sc001: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "SC-001").collect();
    assert!(!sc001.is_empty());
    for r in &sc001 {
        if !r["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("DaemonSet/")
        {
            continue;
        }
        let s = &r["suppressions"][0];
        assert_eq!(s["properties"]["origin"], "config");
        assert_eq!(s["properties"]["owner"], "platform");
        assert_eq!(s["properties"]["expires"], "2030-06-30");
        assert_eq!(
            s["location"]["physicalLocation"]["artifactLocation"]["uri"],
            ".aksguard.yaml"
        );
        assert_eq!(s["location"]["physicalLocation"]["region"]["startLine"], 12);
    }
    assert!(
        sc001.iter().any(|r| r.get("suppressions").is_some()),
        "the waiver applies to the DaemonSet"
    );

    // `no` is a failing result at the attestation; `yes` is none.
    let no: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "OR-004").collect();
    assert_eq!(no.len(), 1);
    let loc = &no[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "attestations.yaml");
    assert_eq!(loc["region"]["startLine"], 9);
    assert!(!results.iter().any(|r| r["ruleId"] == "OR-002"));
    validate(&bytes, "policy");
}

const ADMIN: &str = "admin-token-0123";

fn recording() -> PathBuf {
    reports::root().join("tests/fixtures/apiserver/v1.28-400-objects")
}

/// A kubeconfig with two contexts on the recorded cluster: `rec` and a hostile name.
fn two_contexts(srv: &apiserver::FakeApiServer, dir: &Path) -> PathBuf {
    let kc = srv.kubeconfig("rec", Some(ADMIN)).replace(
        "contexts:\n",
        "contexts:\n- name: \"prod<&>/x\"\n  context:\n    cluster: \"rec\"\n    user: \"rec\"\n",
    );
    let p = dir.join("kubeconfig");
    std::fs::write(&p, kc).unwrap();
    p
}

#[test]
fn live_clusters_are_runs_with_logical_locations() {
    let srv = apiserver::FakeApiServer::start(
        apiserver::Source::Recording(recording()),
        apiserver::Options {
            tokens: vec![(ADMIN.to_string(), "admin".to_string())],
            anonymous: None,
            delay: Duration::ZERO,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kc = two_contexts(&srv, dir.path());
    let args = [
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--context",
        "rec",
        "--context",
        "prod<&>/x",
        "--chunk-size",
        "50",
        "--as-of",
        AS_OF,
        "-f",
        "sarif",
    ];
    let (code, first, err) = aksguard(&args);
    assert_eq!(code, 1, "{err}");
    let (_, second, _) = aksguard(&args);
    assert_eq!(first, second, "same cluster, different bytes");

    let log = sarif_of(&first);
    let runs = arr(&log["runs"]);
    assert_eq!(runs.len(), 2);
    let ids: Vec<&str> = runs
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "aksguard/cluster/rec/",
            "aksguard/cluster/prod%3C%26%3E%2Fx/"
        ]
    );
    for (run, context, prefix) in [
        (&runs[0], "rec", "cluster/rec/"),
        (&runs[1], "prod<&>/x", "cluster/prod%3C%26%3E%2Fx/"),
    ] {
        assert_eq!(run["properties"]["source"]["context"], context);
        let results = arr(&run["results"]);
        assert!(results.len() > 20, "{}", results.len());
        let mut pods = 0;
        for r in results {
            let loc = &r["locations"][0];
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(uri.starts_with(prefix), "{uri}");
            assert!(loc["physicalLocation"].get("region").is_none(), "{uri}");
            if let Some(l) = loc["logicalLocations"].get(0) {
                let fq = l["fullyQualifiedName"].as_str().unwrap();
                assert!(fq.starts_with(&format!("{context}/")), "{fq}");
                if fq.contains("/pods/") || fq.contains("/deployments/") {
                    assert!(fq.starts_with(&format!("{context}/namespaces/")), "{fq}");
                    pods += 1;
                }
            }
        }
        assert!(pods > 0, "workload results in {context}");
    }
    // Same findings in both runs (same cluster), told apart by the category.
    assert_eq!(
        arr(&runs[0]["results"]).len(),
        arr(&runs[1]["results"]).len()
    );
    validate(&first, "live");
}
