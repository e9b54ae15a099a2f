//! Peer conformance: checkov's own Kubernetes fixtures and expected verdicts
//! (`tests/fixtures/checkov/`), compared with aksguard's verdicts through `mapping.tsv`.
//!
//! Every disagreement must be listed, with the side that is wrong, in `disagreements.tsv`. The
//! test fails on a disagreement that is not listed and on a listed one that no longer occurs.
//! Run with `cargo test --test conformance_checkov -- --nocapture` to see the agreement table.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

mod common;
use common::checkov::{
    Disagreement, Listed, check_mapping, check_order, read_listed, read_mapping, relative, root,
};

/// One expected (check, resource) verdict from checkov.
struct Record {
    check: String,
    file: String,
    resource: String,
    kind: String,
    namespace: String,
    name: String,
    expected: String,
    scope_dir: String,
}

fn read_expected() -> Vec<Record> {
    let path = root().join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("expected.json: record without `{k}`: {v}"))
            .to_string()
    };
    list.iter()
        .map(|v| Record {
            check: s(v, "check_id"),
            file: s(v, "file"),
            resource: s(v, "resource"),
            kind: s(v, "kind"),
            namespace: s(v, "namespace"),
            name: s(v, "name"),
            expected: s(v, "expected"),
            scope_dir: s(v, "scope_dir"),
        })
        .collect()
}

/// One object as our report names it: file (relative to the fixtures root), document, kind,
/// namespace, name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ObjectKey {
    file: String,
    document: u64,
    kind: String,
    namespace: Option<String>,
    name: String,
}

/// Our findings on one scope directory: control → object → statuses.
#[derive(Default)]
struct Scan {
    objects: BTreeSet<ObjectKey>,
    verdicts: HashMap<(String, ObjectKey), BTreeSet<String>>,
    /// Input errors of the report (`file:line: message`).
    errors: Vec<String>,
}

fn scan(scope_dir: &str) -> Scan {
    let root = root();
    let out = Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .current_dir(&root)
        .args(["scan", scope_dir, "--format", "json", "--include-passed"])
        .output()
        .expect("cannot run aksguard");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "aksguard scan {scope_dir}: no JSON report ({e}); exit {:?}; stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut scan = Scan::default();
    for e in report["errors"].as_array().into_iter().flatten() {
        scan.errors.push(format!(
            "{}:{}: {}",
            e["file"].as_str().unwrap_or("?"),
            e["line"].as_u64().unwrap_or(0),
            e["message"].as_str().unwrap_or("?")
        ));
    }
    for f in report["findings"].as_array().expect("findings[]") {
        let (Some(obj), Some(loc)) = (f.get("object"), f.get("location")) else {
            continue;
        };
        let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let key = ObjectKey {
            file: relative(&str_of(loc, "file").unwrap_or_default(), &root),
            document: loc.get("document").and_then(Value::as_u64).unwrap_or(0),
            kind: str_of(obj, "kind").unwrap_or_default(),
            namespace: str_of(obj, "namespace"),
            name: str_of(obj, "name").unwrap_or_default(),
        };
        let control = str_of(f, "control").unwrap_or_default();
        let status = str_of(f, "status").unwrap_or_default();
        scan.objects.insert(key.clone());
        scan.verdicts
            .entry((control, key))
            .or_default()
            .insert(status);
    }
    scan
}

/// Our verdict for `control` on one object: fail if any finding fails, else pass if any passes,
/// else not-evaluated if we could not say, else none (the control did not apply). A record
/// whose object no finding of any control names gets `absent` (not read, or no control looks
/// at its kind).
fn verdict(scan: &Scan, control: &str, key: &ObjectKey) -> &'static str {
    let Some(statuses) = scan.verdicts.get(&(control.to_string(), key.clone())) else {
        return "none";
    };
    if statuses.contains("fail") {
        "fail"
    } else if statuses.contains("pass") {
        "pass"
    } else if statuses.contains("not-evaluated") {
        "not-evaluated"
    } else {
        "none"
    }
}

/// Combined verdict over several objects (an ambiguous record): the worst one.
fn worst<'a>(vs: impl IntoIterator<Item = &'a str>) -> &'a str {
    let vs: Vec<&str> = vs.into_iter().collect();
    ["fail", "pass", "not-evaluated"]
        .into_iter()
        .find(|w| vs.contains(w))
        .unwrap_or("none")
}

/// Kinds without a namespace. Our report gives them none; checkov writes whatever
/// `metadata.namespace` says (ignored by the API server for these kinds), else `default`.
const CLUSTER_SCOPED: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "CustomResourceDefinition",
    "CertificateSigningRequest",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

/// Kinds with a pod template (or a pod spec) from which checkov's graph derives `Pod` entities.
const POD_TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

fn same_namespace(k: &ObjectKey, r: &Record) -> bool {
    match k.namespace.as_deref() {
        Some(ns) => ns == r.namespace,
        None => r.namespace == "default" || CLUSTER_SCOPED.contains(&k.kind.as_str()),
    }
}

/// `roleRef` (kind, name) of a RoleBinding or ClusterRoleBinding, read from its file.
fn role_ref(k: &ObjectKey) -> Option<(String, String)> {
    let text = std::fs::read_to_string(root().join(&k.file)).ok()?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).ok()?;
    let doc = docs.iter().find(|d| {
        d["kind"].as_str() == Some(k.kind.as_str())
            && d["metadata"]["name"].as_str() == Some(k.name.as_str())
    })?;
    let r = &doc["roleRef"];
    Some((
        r["kind"].as_str()?.to_string(),
        r["name"].as_str()?.to_string(),
    ))
}

/// The objects of our scan that a checkov record names: same file, kind, name and namespace
/// (checkov writes `default` for a missing namespace, also on cluster-scoped kinds, where our
/// report gives none, and keeps a namespace a cluster-scoped object sets in vain).
///
/// checkov's graph checks name entities our report does not have; they are mapped to the
/// objects they derive from:
/// - a binding record (`RoleBinding`/`ClusterRoleBinding`) is judged on the role it grants:
///   our RBAC controls report on the Role or ClusterRole and on the binding only when its
///   `roleRef` is not among the inputs, so the record takes the binding and the roles its
///   `roleRef` names among the scanned objects (a ClusterRole by name, a Role by name in the
///   binding's namespace);
/// - a `Pod` record named `<workload>.<suffix>` that names no object is the pod that checkov
///   derives from the template of the workload `<workload>` in the same file and namespace.
fn matching<'s>(scan: &'s Scan, r: &Record) -> Vec<&'s ObjectKey> {
    let mut objects: Vec<&ObjectKey> = scan
        .objects
        .iter()
        .filter(|k| {
            k.file == r.file && k.kind == r.kind && k.name == r.name && same_namespace(k, r)
        })
        .collect();
    if matches!(r.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
        let mut roles = Vec::new();
        for b in &objects {
            let Some((kind, name)) = role_ref(b) else {
                continue;
            };
            roles.extend(scan.objects.iter().filter(|k| {
                k.kind == kind
                    && k.name == name
                    && (kind == "ClusterRole" || k.namespace == b.namespace)
            }));
        }
        objects.extend(roles);
    }
    if objects.is_empty() && r.kind == "Pod" {
        objects = scan
            .objects
            .iter()
            .filter(|k| {
                k.file == r.file
                    && POD_TEMPLATE_KINDS.contains(&k.kind.as_str())
                    && same_namespace(k, r)
                    && r.name
                        .strip_prefix(k.name.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .collect();
    }
    objects
}

#[derive(Default)]
struct Tally {
    records: usize,
    agree: usize,
    listed: usize,
    unlisted: usize,
}

#[test]
fn checkov_conformance() {
    let mapping = read_mapping("mapping.tsv");
    let records = read_expected();

    // The mapping covers exactly the checks of the expectations; mapped controls exist.
    let in_expected: BTreeSet<&str> = records.iter().map(|r| r.check.as_str()).collect();
    check_mapping(&mapping, &in_expected, "mapping.tsv", "expected.json");

    // Scan each scope directory once.
    let mut scans: BTreeMap<&str, Scan> = BTreeMap::new();
    for r in &records {
        if mapping[&r.check].control != "-" && !scans.contains_key(r.scope_dir.as_str()) {
            scans.insert(&r.scope_dir, scan(&r.scope_dir));
        }
    }

    // Records naming the same object more than once (two documents with one name) are paired
    // with our objects in document order when the counts agree.
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut found: Vec<Disagreement> = Vec::new();
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for r in &records {
        let m = &mapping[&r.check];
        if m.control == "-" {
            continue;
        }
        let scan = &scans[r.scope_dir.as_str()];
        let objects = matching(scan, r);
        let twins = records
            .iter()
            .filter(|o| o.check == r.check && o.file == r.file && o.resource == r.resource)
            .count();
        let nth = seen
            .entry((&r.check, &r.file, &r.resource))
            .and_modify(|n| *n += 1)
            .or_insert(0);
        let ours = if objects.is_empty() {
            // No finding of any control names the object: we did not read it.
            "absent"
        } else if objects.len() == twins && twins > 1 {
            verdict(scan, &m.control, objects[*nth])
        } else {
            worst(objects.iter().map(|k| verdict(scan, &m.control, k)))
        };
        let t = tally.entry(&r.check).or_default();
        t.records += 1;
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
    let listed = read_listed("disagreements.tsv", &mapping);
    let mut remaining: Vec<Option<&Listed>> = listed.iter().map(Some).collect();
    let mut unlisted: Vec<&Disagreement> = Vec::new();
    let mut by_side: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &found {
        match remaining.iter_mut().find(|l| l.is_some_and(|l| l.d == *d)) {
            Some(slot) => {
                let l = slot.take().unwrap();
                *by_side.entry(&l.side).or_default() += 1;
                tally.get_mut(d.check.as_str()).unwrap().listed += 1;
            }
            None => {
                unlisted.push(d);
                tally.get_mut(d.check.as_str()).unwrap().unlisted += 1;
            }
        }
    }
    let stale: Vec<&Listed> = remaining.into_iter().flatten().collect();

    // Agreement table.
    let mut checks: Vec<&&str> = tally.keys().collect();
    checks.sort_by_key(|c| check_order(c));
    println!("\ncheckov conformance (expected.json records of mapped checks)\n");
    println!(
        "{:<12} {:<7} {:<9} {:>7} {:>6} {:>9} {:>9}",
        "check", "control", "relation", "records", "agree", "disagree", "unlisted"
    );
    let mut total = Tally::default();
    for c in checks {
        let t = &tally[*c];
        let m = &mapping[*c];
        println!(
            "{:<12} {:<7} {:<9} {:>7} {:>6} {:>9} {:>9}",
            c,
            m.control,
            m.relation,
            t.records,
            t.agree,
            t.listed + t.unlisted,
            t.unlisted
        );
        total.records += t.records;
        total.agree += t.agree;
        total.listed += t.listed;
        total.unlisted += t.unlisted;
    }
    println!(
        "{:<30} {:>7} {:>6} {:>9} {:>9}",
        "total",
        total.records,
        total.agree,
        total.listed + total.unlisted,
        total.unlisted
    );
    let unmapped_records = records
        .iter()
        .filter(|r| mapping[&r.check].control == "-")
        .count();
    println!(
        "\n{} of {} records compared ({unmapped_records} are for checks without an equivalent); \
         agreement {:.1}%",
        total.records,
        records.len(),
        100.0 * total.agree as f64 / total.records.max(1) as f64
    );
    println!("listed disagreements by side: {by_side:?}");
    for (dir, scan) in &scans {
        for e in &scan.errors {
            println!("input error while scanning {dir}: {e}");
        }
    }

    let mut problems = String::new();
    if !unlisted.is_empty() {
        problems.push_str(&format!(
            "\n{} disagreement(s) not in tests/fixtures/checkov/disagreements.tsv \
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
            "\n{} listed disagreement(s) no longer occur (remove them from disagreements.tsv):\n",
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
