//! `--format json` against its published schema (schema/report.schema.json, JSON Schema 2020-12)
//! with PyPI jsonschema (tools/install-report-validators.sh): files and AKS inputs, passing
//! findings, waivers and attestations, several scans in one run (files and an unreachable
//! cluster). A report broken on purpose must be refused, so the check can fail.

#[path = "common/reports.rs"]
mod reports;

use std::path::Path;

use reports::{aksguard, python, root, validators};

const CHECK: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
expect = sys.argv[2]
for f in sys.argv[3:]:
    errors = list(cls(schema).iter_errors(json.load(open(f))))
    for e in errors[:10]:
        print(f, "/".join(map(str, e.absolute_path)), e.message[:300])
    if (expect == "valid") != (not errors):
        sys.exit(f + ": expected " + expect)
"#;

fn validate(files: &[&Path], expect: &str) {
    let Some(dir) = validators() else { return };
    let schema = root().join("schema/report.schema.json");
    let mut args: Vec<&Path> = vec![&schema, Path::new(expect)];
    args.extend_from_slice(files);
    python(&dir, CHECK, &args);
}

#[test]
fn reports_match_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    // A cluster that is not there: the run reports it as a second scan.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("files", vec!["scan", "demo/k8s", "demo/aks", "-f", "json"]),
        (
            "passed",
            vec!["scan", "demo/k8s", "--include-passed", "-f", "json"],
        ),
        (
            "policy",
            vec![
                "scan",
                "tests/fixtures/policy/repo/k8s",
                "--as-of",
                "2026-11-23",
                "-f",
                "json",
            ],
        ),
        (
            "many",
            vec![
                "scan",
                "demo/k8s",
                "--context",
                "gone",
                "--kubeconfig",
                kubeconfig.to_str().unwrap(),
                "--request-timeout",
                "2",
                "-f",
                "json",
            ],
        ),
    ];
    let mut files = Vec::new();
    for (name, args) in &runs {
        let (code, out, err) = aksguard(args);
        assert!(code == 1 || code == 2, "{name}: exit {code}: {err}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        // The shapes the schema's two branches describe.
        if *name == "many" {
            assert_eq!(v["scans"].as_array().unwrap().len(), 2);
            assert_eq!(v["scans"][1]["source"]["kind"], "cluster");
        } else {
            assert!(v["controls"].is_array());
        }
        if *name == "policy" {
            assert!(
                v["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["status"] == "waived")
            );
        }
        let file = tmp.path().join(format!("{name}.json"));
        std::fs::write(&file, &out).unwrap();
        files.push(file);
    }
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    validate(&paths, "valid");

    // Broken on purpose: an unknown status, a waived finding without its waiver, a missing
    // section. Each must be refused.
    let good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[2]).unwrap()).unwrap();
    let mut broken = Vec::new();
    for (i, edit) in [
        |v: &mut serde_json::Value| v["controls"][0]["status"] = "maybe".into(),
        |v: &mut serde_json::Value| {
            let f = v["findings"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|f| f["status"] == "waived")
                .unwrap();
            f.as_object_mut().unwrap().remove("waiver");
        },
        |v: &mut serde_json::Value| {
            v.as_object_mut().unwrap().remove("items");
        },
    ]
    .into_iter()
    .enumerate()
    {
        let mut v = good.clone();
        edit(&mut v);
        let file = tmp.path().join(format!("broken-{i}.json"));
        std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
        broken.push(file);
    }
    for b in &broken {
        validate(&[b.as_path()], "invalid");
    }
}
