//! The same clusters in every input shape must get the same verdicts.
//!
//! tests/fixtures/aks/shapes/<cluster>/ holds one cluster written six ways: an ARM REST resource,
//! `az aks show` output, an ARM template with its parameters file, `bicep build` output, a
//! Terraform plan (`terraform show -json`) and Terraform configuration. Each shape is scanned on
//! its own; every AKS control must get the status listed in verdicts.tsv, in every shape, except
//! where exceptions.tsv names the shape and says why (a property that shape cannot express).

use std::collections::BTreeMap;
use std::path::PathBuf;

use aksguard::aks::versions::Date;
use aksguard::checks::aks::AKS_CHECKS;
use aksguard::config::Config;
use aksguard::engine::{Input, scan};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aks/shapes")
}

/// The shapes and the files that make each up.
const SHAPES: &[(&str, &[&str])] = &[
    ("arm-resource", &["arm-resource.json"]),
    ("az", &["az-aks-show.json"]),
    ("template", &["template.json", "template.parameters.json"]),
    ("bicep", &["bicep-build.json"]),
    ("plan", &["plan.json"]),
    ("hcl", &["main.tf", "variables.tf", "terraform.tfvars"]),
];

fn tsv(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(root().join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Status of every AKS control when scanning one shape of one cluster.
fn statuses(cluster: &str, files: &[&str]) -> BTreeMap<String, String> {
    let dir = root().join(cluster);
    let inputs: Vec<Input> = files
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .map(Input::Path)
        .collect();
    assert!(!inputs.is_empty(), "{cluster}: no files for {files:?}");
    let config = Config {
        as_of: Some(Date::parse("2025-12-01").unwrap()),
        ..Config::default()
    };
    let r = scan(&inputs, &config);
    assert!(r.errors.is_empty(), "{cluster} {files:?}: {:?}", r.errors);
    assert_eq!(
        r.stats.clusters, 1,
        "{cluster} {files:?}: one cluster expected"
    );
    let ids: Vec<&str> = AKS_CHECKS.iter().map(|c| c.control).collect();
    r.controls
        .iter()
        .filter(|c| ids.contains(&c.control.id.as_str()))
        .map(|c| (c.control.id.clone(), c.status.as_str().to_string()))
        .collect()
}

#[test]
fn every_shape_gives_the_same_verdicts() {
    let expected = tsv("verdicts.tsv");
    let exceptions = tsv("exceptions.tsv");
    let mut problems = Vec::new();
    let clusters: Vec<String> = {
        let mut v: Vec<String> = expected.iter().map(|r| r[0].clone()).collect();
        v.dedup();
        v
    };
    assert!(clusters.len() >= 3, "verdicts for at least three clusters");
    for cluster in &clusters {
        for (shape, files) in SHAPES {
            let got = statuses(cluster, files);
            for row in expected.iter().filter(|r| &r[0] == cluster) {
                let (control, want) = (&row[1], &row[2]);
                let exception = exceptions.iter().find(|e| {
                    &e[0] == cluster && &e[1] == control && e[2].split(',').any(|s| s == *shape)
                });
                let want = exception.map(|e| &e[3]).unwrap_or(want);
                match got.get(control) {
                    Some(s) if s == want => {}
                    other => problems.push(format!(
                        "{cluster} {shape} {control}: expected {want}, got {other:?}"
                    )),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
