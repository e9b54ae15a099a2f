//! Peer conformance for AKS infrastructure as code: checkov's ARM, Bicep and Terraform fixtures
//! and the verdicts checkov gives on them (`tests/fixtures/checkov/expected_aks_iac.json`),
//! compared with aksguard's verdicts through `mapping_aks.tsv`.
//!
//! Every disagreement must be listed, with the side that is wrong, in `disagreements_aks.tsv`.
//! The test fails on a disagreement that is not listed and on a listed one that no longer occurs.
//! Run with `cargo test --test conformance_checkov_aks -- --nocapture` to see the agreement
//! table.
//!
//! Each fixture directory (`scope_dir`) is scanned once, as its own input, with the real binary:
//! `aksguard scan DIR --format json --include-passed --as-of 2025-12-01` (a fixed date, so that
//! the Kubernetes version calendar gives the same answers every day). All `.tf` files of a
//! directory are one Terraform module, as for `terraform plan`.
//!
//! # How a checkov record finds our findings
//!
//! checkov and aksguard name clusters differently, so records are matched by *where* the
//! resource is, never by our object name:
//!
//! - **Terraform.** checkov names a resource by its address (`azurerm_kubernetes_cluster.pass`,
//!   `azurerm_kubernetes_cluster_node_pool.pass`); our report names the cluster by its `name`
//!   argument, which fixtures repeat (`example-aks1` four times in one file) or leave out. Every
//!   finding's `location.path` starts with the address of the resource it judges (the address
//!   itself, `azurerm_kubernetes_cluster.pass.default_node_pool[0].os_disk_type`,
//!   `azurerm_kubernetes_cluster_node_pool.user.host_encryption_enabled`), so a record takes the
//!   findings of its file whose path is the address or continues it with `.` or `[`
//!   (`...cluster.pass` does not take `...cluster.pass_new`). A pool resource attached to a
//!   cluster of the module carries its own address, as checkov's record does.
//! - **ARM.** checkov writes `<resource type>.<name>`, the name as written in the template or
//!   evaluated from parameter defaults (`[parameters('clusterName')]` becomes `aks101cluster`,
//!   `[split(parameters('aksResourceId'),'/')[8]]` stays as written). Our findings' path is the
//!   JSON pointer of the property in the template (`/resources/5/properties/enableRBAC`). The
//!   record is mapped to the index of the top-level resource of its type in its file: the only
//!   one of that type, else the one whose `name` as written is checkov's name, else the one our
//!   report names so; it takes the findings whose path is `/resources/N` or below it.
//! - **Bicep.** aksguard reads the ARM JSON that `bicep build` writes, not `.bicep` source.
//!   Bicep records are counted as `not-read`, never compared; the test scans their directories
//!   too and fails if aksguard reads anything there (then the records must be compared).
//!
//! Our verdict for the mapped control over the findings a record takes: `fail` if any fails,
//! else `pass` if any passes, else `not-evaluated` if we could not say, else `none` (the control
//! does not apply, such as CP-002 on a private cluster); `absent` when no finding of any control
//! names the resource (it was not read or not scanned, such as a node pool whose cluster is not
//! among the inputs).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

mod common;
use common::checkov::{
    Disagreement, Listed, check_mapping, check_order, read_listed, read_mapping, relative, root,
};

const FRAMEWORKS: &[&str] = &["arm", "bicep", "terraform"];
const AS_OF: &str = "2025-12-01";

/// One expected (check, resource) verdict from checkov.
struct Record {
    framework: String,
    check: String,
    file: String,
    resource: String,
    expected: String,
    scope_dir: String,
}

fn read_expected() -> Vec<Record> {
    let path = root().join("expected_aks_iac.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let list: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a JSON list: {e}", path.display()));
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("expected_aks_iac.json: record without `{k}`: {v}"))
            .to_string()
    };
    let records: Vec<Record> = list
        .iter()
        .map(|v| Record {
            framework: s(v, "framework"),
            check: s(v, "check_id"),
            file: s(v, "file"),
            resource: s(v, "resource"),
            expected: s(v, "expected"),
            scope_dir: s(v, "scope_dir"),
        })
        .collect();
    let mut seen = BTreeSet::new();
    for r in &records {
        assert!(
            FRAMEWORKS.contains(&r.framework.as_str()),
            "{} {}: framework `{}` is not one of {FRAMEWORKS:?}",
            r.check,
            r.resource,
            r.framework
        );
        assert!(
            seen.insert((&r.check, &r.file, &r.resource)),
            "expected_aks_iac.json names {} {} {} twice",
            r.check,
            r.file,
            r.resource
        );
    }
    records
}

/// One finding of our report.
struct Finding {
    control: String,
    status: String,
    /// Relative to the fixtures root.
    file: String,
    /// `location.path`: a Terraform address or a JSON pointer.
    path: String,
    /// `object.name` (the cluster's name as we evaluated it).
    name: String,
}

/// Our report on one scope directory.
#[derive(Default)]
struct Scan {
    findings: Vec<Finding>,
    files: u64,
    clusters: u64,
    /// Input errors (`file:line: message`) and notes, shown with `--nocapture`.
    errors: Vec<String>,
    notes: Vec<String>,
}

fn scan(scope_dir: &str) -> Scan {
    let root = root();
    let out = Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .current_dir(&root)
        .args([
            "scan",
            scope_dir,
            "--format",
            "json",
            "--include-passed",
            "--as-of",
            AS_OF,
        ])
        .output()
        .expect("cannot run aksguard");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "aksguard scan {scope_dir}: no JSON report ({e}); exit {:?}; stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let str_of = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut scan = Scan {
        files: report["inputs"]["files"].as_u64().unwrap_or(0),
        clusters: report["inputs"]["clusters"].as_u64().unwrap_or(0),
        ..Scan::default()
    };
    for e in report["errors"].as_array().into_iter().flatten() {
        scan.errors.push(format!(
            "{}:{}: {}",
            str_of(e, "file"),
            e["line"].as_u64().unwrap_or(0),
            str_of(e, "message")
        ));
    }
    for n in report["notes"].as_array().into_iter().flatten() {
        scan.notes.push(str_of(n, "message"));
    }
    for f in report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("aksguard scan {scope_dir}: report without findings[]"))
    {
        let loc = &f["location"];
        scan.findings.push(Finding {
            control: str_of(f, "control"),
            status: str_of(f, "status"),
            file: relative(&str_of(loc, "file"), &root),
            path: str_of(loc, "path"),
            name: str_of(&f["object"], "name"),
        });
    }
    scan
}

/// Where a record's resource is: its file and the prefix of our finding paths below it.
#[derive(Debug)]
enum Anchor {
    /// A Terraform resource address.
    Address(String),
    /// The JSON pointer of a top-level ARM template resource (`/resources/N`).
    Pointer(String),
}

impl Anchor {
    fn holds(&self, path: &str) -> bool {
        let (prefix, seps): (&str, &[char]) = match self {
            Anchor::Address(a) => (a, &['.', '[']),
            Anchor::Pointer(p) => (p, &['/']),
        };
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(seps))
    }
}

/// The top-level resource of an ARM template that checkov's `<type>.<name>` names (see the
/// module documentation).
fn arm_anchor(r: &Record, scan: &Scan) -> Anchor {
    let path = root().join(&r.file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let template: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    let resources = template["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Candidates: resources whose type, followed by `.`, begins checkov's id.
    let typed: Vec<(usize, &str)> = resources
        .iter()
        .enumerate()
        .filter_map(|(i, res)| {
            let ty = res["type"].as_str()?;
            let name = r.resource.get(ty.len()..)?.strip_prefix('.')?;
            r.resource[..ty.len()]
                .eq_ignore_ascii_case(ty)
                .then_some((i, name))
        })
        .collect();
    let pick = |found: Vec<usize>| (found.len() == 1).then(|| found[0]);
    let index = pick(typed.iter().map(|(i, _)| *i).collect())
        .or_else(|| {
            pick(
                typed
                    .iter()
                    .filter(|(i, name)| resources[*i]["name"].as_str() == Some(*name))
                    .map(|(i, _)| *i)
                    .collect(),
            )
        })
        .or_else(|| {
            pick(
                typed
                    .iter()
                    .filter(|(i, name)| {
                        let a = Anchor::Pointer(format!("/resources/{i}"));
                        scan.findings
                            .iter()
                            .any(|f| f.file == r.file && a.holds(&f.path) && f.name == *name)
                    })
                    .map(|(i, _)| *i)
                    .collect(),
            )
        });
    match index {
        Some(i) => Anchor::Pointer(format!("/resources/{i}")),
        None => panic!(
            "{}: cannot tell which resource checkov's `{}` is ({} of that type)",
            r.file,
            r.resource,
            typed.len()
        ),
    }
}

fn anchor(r: &Record, scan: &Scan) -> Anchor {
    match r.framework.as_str() {
        "terraform" => Anchor::Address(r.resource.clone()),
        "arm" => arm_anchor(r, scan),
        other => panic!("no anchor for framework {other}"),
    }
}

/// Our verdict for `control` on the record's resource (see the module documentation).
fn verdict(scan: &Scan, r: &Record, a: &Anchor, control: &str) -> &'static str {
    let mine: Vec<&Finding> = scan
        .findings
        .iter()
        .filter(|f| f.file == r.file && a.holds(&f.path))
        .collect();
    if mine.is_empty() {
        return "absent";
    }
    let statuses: BTreeSet<&str> = mine
        .iter()
        .filter(|f| f.control == control)
        .map(|f| f.status.as_str())
        .collect();
    ["fail", "pass", "not-evaluated"]
        .into_iter()
        .find(|s| statuses.contains(s))
        .unwrap_or("none")
}

#[derive(Default)]
struct Tally {
    records: usize,
    not_read: usize,
    agree: usize,
    by_side: BTreeMap<String, usize>,
    unlisted: usize,
}

impl Tally {
    fn side(&self, s: &str) -> usize {
        self.by_side.get(s).copied().unwrap_or(0)
    }
    fn disagree(&self) -> usize {
        self.by_side.values().sum::<usize>() + self.unlisted
    }
}

#[test]
fn checkov_aks_conformance() {
    let mapping = read_mapping("mapping_aks.tsv");
    let records = read_expected();

    // The mapping covers exactly the checks of the expectations; mapped controls exist.
    let in_expected: BTreeSet<&str> = records.iter().map(|r| r.check.as_str()).collect();
    check_mapping(
        &mapping,
        &in_expected,
        "mapping_aks.tsv",
        "expected_aks_iac.json",
    );

    // Scan each scope directory of a mapped check once (Bicep ones too: see below).
    let mut scans: BTreeMap<&str, Scan> = BTreeMap::new();
    for r in &records {
        if mapping[&r.check].control != "-" && !scans.contains_key(r.scope_dir.as_str()) {
            scans.insert(&r.scope_dir, scan(&r.scope_dir));
        }
    }

    let mut problems = String::new();
    let mut found: Vec<Disagreement> = Vec::new();
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for r in &records {
        let m = &mapping[&r.check];
        if m.control == "-" {
            continue;
        }
        let scan = &scans[r.scope_dir.as_str()];
        let t = tally.entry(&r.check).or_default();
        t.records += 1;
        if r.framework == "bicep" {
            // aksguard reads `bicep build` output, not .bicep: nothing may have been read here.
            if scan.files > 0 || scan.clusters > 0 || !scan.findings.is_empty() {
                problems.push_str(&format!(
                    "\n{}: aksguard now reads something in this Bicep fixture directory ({} files, \
                     {} clusters); compare its records instead of counting them as not-read\n",
                    r.scope_dir, scan.files, scan.clusters
                ));
            }
            t.not_read += 1;
            continue;
        }
        let a = anchor(r, scan);
        let ours = verdict(scan, r, &a, &m.control);
        if ours == r.expected {
            t.agree += 1;
        } else {
            found.push(Disagreement {
                check: r.check.clone(),
                file: r.file.clone(),
                resource: r.resource.clone(),
                expected: r.expected.clone(),
                ours: ours.to_string(),
            });
        }
    }

    // Compare with the list, as multisets.
    let listed = read_listed("disagreements_aks.tsv", &mapping);
    let mut remaining: Vec<Option<&Listed>> = listed.iter().map(Some).collect();
    let mut unlisted: Vec<&Disagreement> = Vec::new();
    for d in &found {
        let t = tally
            .get_mut(d.check.as_str())
            .expect("a disagreement's check has a tally");
        match remaining
            .iter_mut()
            .find(|l| l.is_some_and(|l| l.d == *d))
            .and_then(Option::take)
        {
            Some(l) => *t.by_side.entry(l.side.clone()).or_default() += 1,
            None => {
                unlisted.push(d);
                t.unlisted += 1;
            }
        }
    }
    let stale: Vec<&Listed> = remaining.into_iter().flatten().collect();

    // Agreement table.
    let mut checks: Vec<&&str> = tally.keys().collect();
    checks.sort_by_key(|c| check_order(c));
    println!("\ncheckov AKS IaC conformance (expected_aks_iac.json records of mapped checks)\n");
    let header = [
        "records",
        "not-read",
        "agree",
        "stricter",
        "ck-wrong",
        "ours-wrong",
        "design",
        "unlisted",
    ];
    print!("{:<14} {:<7} {:<9}", "check", "control", "relation");
    for h in header {
        print!(" {h:>10}");
    }
    println!();
    let mut total = Tally::default();
    for c in checks {
        let t = &tally[*c];
        let m = &mapping[*c];
        let row = [
            t.records,
            t.not_read,
            t.agree,
            t.side("ours-stricter"),
            t.side("checkov-wrong"),
            t.side("ours-wrong"),
            t.side("by-design"),
            t.unlisted,
        ];
        print!("{:<14} {:<7} {:<9}", c, m.control, m.relation);
        for n in row {
            print!(" {n:>10}");
        }
        println!();
        total.records += t.records;
        total.not_read += t.not_read;
        total.agree += t.agree;
        total.unlisted += t.unlisted;
        for (s, n) in &t.by_side {
            *total.by_side.entry(s.clone()).or_default() += n;
        }
    }
    let compared = total.records - total.not_read;
    println!(
        "{:<32} {:>10} {:>10} {:>10} (disagree {}, of which unlisted {})",
        "total",
        total.records,
        total.not_read,
        total.agree,
        total.disagree(),
        total.unlisted
    );
    let unmapped_records = records
        .iter()
        .filter(|r| mapping[&r.check].control == "-")
        .count();
    println!(
        "\n{compared} of {} records compared ({} Bicep records not read, {unmapped_records} for \
         checks without an equivalent); agreement {:.1}%",
        records.len(),
        total.not_read,
        100.0 * total.agree as f64 / compared.max(1) as f64
    );
    println!("listed disagreements by side: {:?}", total.by_side);
    for (dir, scan) in &scans {
        for e in &scan.errors {
            println!("input error while scanning {dir}: {e}");
        }
        for n in &scan.notes {
            println!("note while scanning {dir}: {n}");
        }
    }

    if !unlisted.is_empty() {
        problems.push_str(&format!(
            "\n{} disagreement(s) not in tests/fixtures/checkov/disagreements_aks.tsv \
             (decide which side is wrong, fix ours or list it; `?` marks the columns to fill):\n",
            unlisted.len()
        ));
        problems.push_str("check_id\tfile\tresource\texpected\tours\tside\treason\n");
        for d in &unlisted {
            problems.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t?\t?\n",
                d.check, d.file, d.resource, d.expected, d.ours
            ));
        }
    }
    if !stale.is_empty() {
        problems.push_str(&format!(
            "\n{} listed disagreement(s) no longer occur (remove them from \
             disagreements_aks.tsv):\n",
            stale.len()
        ));
        problems.push_str("check_id\tfile\tresource\texpected\tours\tside\treason\n");
        for l in &stale {
            problems.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                l.d.check, l.d.file, l.d.resource, l.d.expected, l.d.ours, l.side, l.reason
            ));
        }
    }
    assert!(problems.is_empty(), "{problems}");
}
