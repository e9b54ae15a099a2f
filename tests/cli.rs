//! End-to-end tests: the real binary on real files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aksguard"));
    c.env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p
}

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
  - name: app
    image: nginx:1.25
    securityContext:
      privileged: true
";

fn findings<'a>(report: &'a Value, control: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control"] == control)
        .collect()
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn demo_scan_reports_failures_with_file_and_line() {
    let out = run(&["scan", "demo/k8s", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let f = findings(&r, "WL-002");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["object"]["kind"], "DaemonSet");
    assert_eq!(f[0]["object"]["name"], "log-shipper");
    assert_eq!(f[0]["location"]["file"], "demo/k8s/legacy-worker.yaml");
    assert_eq!(f[0]["location"]["line"], 21);
    assert_eq!(
        f[0]["location"]["path"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(f[0]["severity"], "critical");
    assert_eq!(control(&r, "WL-002")["status"], "fail");
    // The hardened frontend passes everything it is subject to.
    for f in r["findings"].as_array().unwrap() {
        assert_ne!(f["object"]["name"], "frontend", "{f}");
    }
    // List items are objects of their own, with the line of the item.
    assert_eq!(r["inputs"]["objects"], 10);
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
}

#[test]
fn every_control_is_reported_and_missing_evidence_is_never_pass() {
    let r = json(&run(&["scan", "demo/k8s", "--format", "json"]));
    let cat = json(&run(&["controls", "--format", "json"]));
    assert_eq!(
        r["controls"].as_array().unwrap().len(),
        cat.as_array().unwrap().len()
    );
    for c in r["controls"].as_array().unwrap() {
        let evidence: Vec<&str> = c["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        if !evidence.contains(&"manifest") {
            assert!(
                ["not-evaluated", "manual"].contains(&c["status"].as_str().unwrap()),
                "{} has no manifest evidence but status {}",
                c["id"],
                c["status"]
            );
            assert!(c["reason"].is_string(), "{}", c["id"]);
        }
    }
}

#[test]
fn stdin_and_helm_style_streams() {
    let helm = format!("---\n# Source: chart/templates/a.yaml\n---\n{PRIVILEGED}---\n");
    let out = run_stdin(&["scan", "-", "--format", "json"], helm.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    let f = findings(&r, "WL-002");
    assert_eq!(f[0]["location"]["file"], "<stdin>");
    assert_eq!(f[0]["location"]["line"], 14);
    assert_eq!(f[0]["location"]["document"], 1);
}

#[test]
fn yaml_1_1_booleans_mean_what_kubectl_makes_of_them() {
    let text = PRIVILEGED.replace("privileged: true", "privileged: yes");
    let r = json(&run_stdin(
        &["scan", "-", "--format", "json"],
        text.as_bytes(),
    ));
    assert_eq!(findings(&r, "WL-002").len(), 1);
    let quoted = PRIVILEGED.replace("privileged: true", "privileged: \"yes\"");
    let r = json(&run_stdin(
        &["scan", "-", "--format", "json"],
        quoted.as_bytes(),
    ));
    assert_eq!(
        findings(&r, "WL-002").len(),
        0,
        "a quoted string is not a boolean"
    );
}

#[test]
fn exit_codes() {
    let dir = tmp();
    let file = write(dir.path(), "p.yaml", PRIVILEGED.as_bytes());
    let f = file.to_str().unwrap();
    assert_eq!(run(&["scan", f]).status.code(), Some(1));
    // Only critical findings count: the privileged container is critical.
    assert_eq!(
        run(&["scan", f, "--fail-on", "critical"]).status.code(),
        Some(1)
    );
    let clean = PRIVILEGED.replace("privileged: true", "privileged: false");
    let clean_file = write(dir.path(), "c.yaml", clean.as_bytes());
    assert_eq!(
        run(&[
            "scan",
            clean_file.to_str().unwrap(),
            "--fail-on",
            "critical"
        ])
        .status
        .code(),
        Some(0)
    );
    // Usage errors.
    assert_eq!(run(&["scan"]).status.code(), Some(2));
    assert_eq!(
        run(&["scan", f, "--fail-on", "severe"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["explain", "NOPE-999"]).status.code(), Some(2));
    // --help and --version succeed.
    assert_eq!(run(&["--help"]).status.code(), Some(0));
    assert_eq!(run(&["scan", "--help"]).status.code(), Some(0));
    assert_eq!(run(&["--version"]).status.code(), Some(0));
}

/// One test per class of bad input: each is an error naming file (and line), the good file
/// next to it is still scanned, the exit code is 2, and nothing panics.
#[test]
fn bad_inputs_are_errors_and_the_rest_is_scanned() {
    let dir = tmp();
    let d = dir.path();
    write(d, "good.yaml", PRIVILEGED.as_bytes());
    write(
        d,
        "syntax.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n  b: c\n",
    );
    write(d, "binary.yaml", b"\x7fELF\x00\x01\x02\x03 binary junk");
    write(
        d,
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    );
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n");
    bomb.push_str("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    write(d, "bomb.yaml", bomb.as_bytes());
    write(d, "deep.json", "[".repeat(50_000).as_bytes());
    write(
        d,
        "dupkey.yaml",
        PRIVILEGED
            .replace(
                "privileged: true",
                "privileged: false\n      privileged: true",
            )
            .as_bytes(),
    );
    write(
        d,
        "values.yaml",
        b"replicaCount: 3\nimage:\n  tag: latest\n",
    );
    let out = run(&["scan", d.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let errors = r["errors"].as_array().unwrap();
    let err_for = |name: &str| -> &Value {
        errors
            .iter()
            .find(|e| e["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no error for {name}: {errors:?}"))
    };
    assert!(err_for("syntax.yaml")["line"].as_u64().unwrap() >= 4);
    assert!(
        err_for("syntax.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("syntax")
    );
    assert!(
        err_for("binary.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    assert!(
        err_for("latin1.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert_eq!(err_for("latin1.yaml")["line"], 4);
    assert!(
        err_for("bomb.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("alias")
    );
    assert!(
        err_for("deep.json")["message"]
            .as_str()
            .unwrap()
            .contains("nesting")
    );
    let dup = err_for("dupkey.yaml");
    assert!(
        dup["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key `privileged`")
    );
    assert_eq!(dup["line"], 12);
    // The duplicate resolves to the last value, like kubectl: privileged.
    let priv_files: Vec<&str> = findings(&r, "WL-002")
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert!(priv_files.iter().any(|f| f.ends_with("good.yaml")));
    assert!(priv_files.iter().any(|f| f.ends_with("dupkey.yaml")));
    // Not a Kubernetes object: a note, not an error.
    let notes = r["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["file"].as_str().unwrap().ends_with("values.yaml"))
    );
}

#[test]
fn missing_files_are_errors_and_other_inputs_still_scan() {
    let dir = tmp();
    let good = write(dir.path(), "good.yaml", PRIVILEGED.as_bytes());
    let out = run(&[
        "scan",
        "/nonexistent/aksguard/x.yaml",
        good.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let r = json(&out);
    assert_eq!(r["errors"][0]["file"], "/nonexistent/aksguard/x.yaml");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no such file")
    );
    assert_eq!(findings(&r, "WL-002").len(), 1);
}

#[test]
fn huge_document_is_read_in_bounded_time() {
    // A 20 MB ConfigMap: read, no findings of its own, no error.
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: x}\ndata:\n",
    );
    for i in 0..200_000 {
        text.push_str(&format!("  key{i}: \"{}\"\n", "v".repeat(90)));
    }
    let out = run_stdin(&["scan", "-", "--format", "json"], text.as_bytes());
    let r = json(&out);
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
    assert_eq!(r["inputs"]["objects"], 1);
}

#[test]
fn directories_skip_hidden_folders_and_other_files() {
    let dir = tmp();
    let d = dir.path();
    write(d, "app/deploy.yml", PRIVILEGED.as_bytes());
    write(d, ".git/config.yaml", PRIVILEGED.as_bytes());
    write(d, "README.md", b"# not yaml: [");
    write(d, "chart/values.json", b"{\"replicas\": 2}");
    let out = run(&["scan", d.to_str().unwrap(), "--format", "json"]);
    let r = json(&out);
    assert_eq!(r["inputs"]["files"], 2, "{r}");
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
    assert_eq!(findings(&r, "WL-002").len(), 1);
}

#[test]
fn content_decides_not_the_extension() {
    let dir = tmp();
    let f = write(dir.path(), "manifest.txt", PRIVILEGED.as_bytes());
    let r = json(&run(&["scan", f.to_str().unwrap(), "--format", "json"]));
    assert_eq!(findings(&r, "WL-002").len(), 1);
}

/// Secret values never appear in any output, only keys and locations.
#[test]
fn secret_values_are_never_printed() {
    let secrets = [
        "c3VwZXItc2VjcmV0LXZhbHVl",
        "hunter2-plaintext-password",
        "AKIAZZZZZZZZZZZZZZZZ",
        "sk_live_abcdefghijklmnop",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    ];
    let text = format!(
        "apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: shop}}
data:
  password: {}
stringData:
  plain: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg, namespace: shop}}
data:
  AWS_KEY: {}
---
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: shop}}
spec:
  containers:
  - name: app
    image: nginx
    env:
    - name: STRIPE_KEY
      value: {}
    - name: CERT
      value: \"-----BEGIN PRIVATE KEY-----{}\"
---
apiVersion: v1
kind: Secret
metadata: {{name: broken, namespace: shop}}
stringData:
  token: \"{}
  other: [
",
        secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[1]
    );
    for format in ["table", "json"] {
        for extra in [&[][..], &["--include-passed"][..]] {
            let mut args = vec!["scan", "-", "--format", format, "--color", "always"];
            args.extend_from_slice(extra);
            let out = run_stdin(&args, text.as_bytes());
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for s in secrets {
                assert!(!all.contains(s), "{format} output leaks {s}:\n{all}");
            }
        }
    }
    // The checklist view with a scan too.
    let out = run_stdin(&["checklist", "-", "--format", "json"], text.as_bytes());
    let all = String::from_utf8_lossy(&out.stdout);
    for s in secrets {
        assert!(!all.contains(s));
    }
}

#[test]
fn output_is_deterministic() {
    let a = run(&[
        "scan",
        "demo/k8s",
        "tests/fixtures/checks",
        "--format",
        "json",
        "--include-passed",
    ]);
    let b = run(&[
        "scan",
        "tests/fixtures/checks",
        "demo/k8s",
        "--format",
        "json",
        "--include-passed",
    ]);
    assert_eq!(a.stdout, b.stdout);
    let c = run(&["scan", "demo/k8s", "--color", "never"]);
    let d = run(&["scan", "demo/k8s", "--color", "never"]);
    assert_eq!(c.stdout, d.stdout);
    assert!(!String::from_utf8_lossy(&c.stdout).contains('\x1b'));
}

/// A big stream is split and parsed in parallel; the result must equal parsing it whole
/// (every finding keeps its document index and line).
#[test]
fn big_streams_give_the_same_findings_as_small_ones() {
    let dir = tmp();
    let mut big = String::new();
    let mut n = 0;
    while big.len() < 1200 * 1024 {
        big.push_str(&format!("---\n# Source: chart/templates/pod-{n}.yaml\n"));
        big.push_str(&PRIVILEGED.replace("name: web", &format!("name: web-{n}")));
        if n % 7 == 0 {
            big.push_str("---\n");
        }
        n += 1;
    }
    let big_file = write(dir.path(), "big.yaml", big.as_bytes());
    let r = json(&run(&[
        "scan",
        big_file.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let f = findings(&r, "WL-002");
    assert_eq!(f.len(), n);
    // Recompute every expected line and document index independently.
    let mut expected = Vec::new();
    let mut doc = 0;
    for (i, line) in big.lines().enumerate() {
        if line == "---" {
            doc += 1;
        }
        if line.trim() == "privileged: true" {
            expected.push((doc - 1, i as u64 + 1));
        }
    }
    let mut got: Vec<(u64, u64)> = f
        .iter()
        .map(|f| {
            (
                f["location"]["document"].as_u64().unwrap(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(u64, u64)> = expected.into_iter().map(|(d, l)| (d as u64, l)).collect();
    assert_eq!(got, expected);
}

#[test]
fn catalogue_commands() {
    let out = run(&["controls"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("WL-002"));
    let out = run(&["explain", "WL-002"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("privileged-container"));
    let by_name = run(&["explain", "privileged-container"]);
    assert_eq!(by_name.stdout, out.stdout);
    let out = run(&["checklist", "--format", "json"]);
    let lists = json(&out);
    assert_eq!(lists.as_array().unwrap().len(), 5);
    let items: usize = lists
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["items"].as_array().unwrap().len())
        .sum();
    assert_eq!(items, 241);
    for l in lists.as_array().unwrap() {
        for i in l["items"].as_array().unwrap() {
            assert!(
                !i["controls"].as_array().unwrap().is_empty(),
                "{} uncovered",
                i["id"]
            );
        }
    }
    // With inputs, items carry statuses.
    let out = run(&[
        "checklist",
        "demo/k8s",
        "--format",
        "json",
        "--checklist",
        "Kubernetes Security Checklist",
    ]);
    let lists = json(&out);
    let pod10 = lists[0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "KSC-POD-10")
        .unwrap();
    assert_eq!(pod10["status"], "fail");
}

#[test]
fn rbac_prints_each_subjects_effective_rights() {
    let dir = tmp();
    write(
        dir.path(),
        "rbac.yaml",
        b"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: \"true\"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: read-metrics
  labels: {rbac.example.com/aggregate-to-monitoring: \"true\"}
rules:
- {apiGroups: [metrics.k8s.io], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects:
- {kind: ServiceAccount, name: prometheus, namespace: monitoring}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: Group, name: shop-devs}
",
    );
    let out = run(&["rbac", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let subjects = r["subjects"].as_array().unwrap();
    let prom = subjects
        .iter()
        .find(|s| s["subject"]["name"] == "prometheus")
        .expect("prometheus subject");
    assert_eq!(prom["subject"]["namespace"], "monitoring");
    let grant = &prom["grants"][0];
    assert_eq!(grant["clusterWide"], true);
    // The aggregated role's rules are those of the ClusterRoles it selects.
    assert_eq!(grant["rules"][0]["resources"][0], "pods");
    assert_eq!(grant["rules"][0]["apiGroups"][0], "metrics.k8s.io");
    let devs = subjects
        .iter()
        .find(|s| s["subject"]["name"] == "shop-devs")
        .expect("group subject");
    assert_eq!(devs["grants"][0]["namespace"], "shop");
    assert_eq!(devs["grants"][0]["roleSource"], "missing");
    let table = run(&["rbac", dir.path().to_str().unwrap(), "--color", "never"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("ServiceAccount monitoring/prometheus"),
        "{text}"
    );
    assert!(text.contains("rules unknown"), "{text}");
}

#[test]
fn aks_demo_scans_az_output_and_terraform_with_fixes() {
    let out = run(&[
        "scan",
        "demo/aks",
        "--format",
        "json",
        "--as-of",
        "2026-11-23",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    assert_eq!(r["inputs"]["clusters"], 2);
    assert!(
        r["errors"].as_array().unwrap().is_empty(),
        "{}",
        r["errors"]
    );
    let cp001 = findings(&r, "CP-001");
    assert_eq!(cp001.len(), 2, "both clusters are public");
    for f in &cp001 {
        assert_eq!(f["object"]["kind"], "ManagedCluster");
        assert!(f["fix"].is_string());
        assert!(f["location"]["line"].as_u64().unwrap() > 0);
    }
    let tf = cp001
        .iter()
        .find(|f| f["location"]["file"].as_str().unwrap().ends_with("main.tf"))
        .expect("a Terraform finding");
    assert_eq!(tf["fix"], "set private_cluster_enabled = true");
    // Kubernetes-only controls stay not-evaluated: there are no Kubernetes objects.
    assert_eq!(control(&r, "WL-002")["status"], "not-evaluated");
    // The same scan with a date before 1.30's end of life passes the Terraform cluster's version.
    let early = json(&run(&[
        "scan",
        "demo/aks/terraform",
        "--format",
        "json",
        "--as-of",
        "2025-01-15",
    ]));
    assert_eq!(control(&early, "CP-006")["status"], "pass");
    let bad = run(&["scan", "demo/aks", "--as-of", "2026-13-01"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a date"));
}

#[test]
fn aks_bad_inputs_are_errors_or_not_evaluated_never_panics() {
    let d = tmp();
    // Terraform that does not parse: an error naming the file and line.
    write(
        d.path(),
        "tf/main.tf",
        b"resource \"azurerm_kubernetes_cluster\" \"a\" {\n  name = \"a\"\n  location = \n}\n",
    );
    // az output with wrong types everywhere.
    write(
        d.path(),
        "az.json",
        br#"{"type": "Microsoft.ContainerService/ManagedClusters", "name": "weird", "kubernetesVersion": ["1.30"],
            "agentPoolProfiles": "none", "enableRbac": "maybe", "apiServerAccessProfile": 5,
            "networkProfile": {"networkPolicy": {"x": 1}}, "sku": [], "identity": null}"#,
    );
    // A template whose values come from a parameter without a value and from reference().
    write(
        d.path(),
        "tpl/template.json",
        br#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"private": {"type": "bool"}},
            "resources": [{"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-09-01",
              "name": "tpl", "location": "westeurope",
              "properties": {"apiServerAccessProfile": {"enablePrivateCluster": "[parameters('private')]"},
                             "diskEncryptionSetID": "[reference('des').id]",
                             "agentPoolProfiles": [{"name": "sys", "mode": "System", "count": 3}]}}]}"#,
    );
    let out = run(&[
        "scan",
        d.path().to_str().unwrap(),
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let errors = r["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["file"].as_str().unwrap().ends_with("main.tf")
                && e["line"].as_u64() == Some(3)),
        "{errors:?}"
    );
    assert_eq!(
        r["inputs"]["clusters"], 2,
        "the other inputs are still read"
    );
    let private = findings(&r, "CP-001");
    let tpl = private
        .iter()
        .find(|f| f["object"]["name"] == "tpl")
        .expect("a CP-001 finding for the template");
    assert_eq!(tpl["status"], "not-evaluated");
    assert!(
        tpl["message"]
            .as_str()
            .unwrap()
            .contains("parameters('private')"),
        "{tpl}"
    );
    let des = findings(&r, "DP-003");
    assert!(
        des.iter().any(|f| f["status"] == "not-evaluated"
            && f["message"].as_str().unwrap().contains("reference(")),
        "{des:?}"
    );
    let weird = findings(&r, "ID-005");
    assert!(
        weird
            .iter()
            .any(|f| f["object"]["name"] == "weird" && f["status"] == "not-evaluated")
    );
}

#[test]
fn aks_secrets_in_inputs_are_never_printed() {
    let d = tmp();
    write(
        d.path(),
        "cluster.json",
        br#"{"type": "Microsoft.ContainerService/managedClusters", "name": "c1",
            "properties": {"kubernetesVersion": "1.34.1",
              "servicePrincipalProfile": {"clientId": "11111111-2222-3333-4444-555555555555", "secret": "SP-SECRET-VALUE-1"},
              "windowsProfile": {"adminUsername": "azureuser", "adminPassword": "WIN-PASSWORD-VALUE-2"},
              "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": "ssh-rsa AAAAKEYDATA3"}]}},
              "agentPoolProfiles": [{"name": "sys", "mode": "System"}]}}"#,
    );
    write(
        d.path(),
        "tf/main.tf",
        b"resource \"azurerm_kubernetes_cluster\" \"a\" {\n  name = \"a\"\n  service_principal {\n    client_id = \"abc\"\n    client_secret = \"TF-SECRET-VALUE-4\"\n  }\n  windows_profile {\n    admin_username = \"u\"\n    admin_password = \"TF-PASSWORD-VALUE-5\"\n  }\n  default_node_pool {\n    name = \"sys\"\n  }\n}\n",
    );
    for format in ["json", "table"] {
        let out = run(&[
            "scan",
            d.path().to_str().unwrap(),
            "--format",
            format,
            "--include-passed",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("c1"), "{text}");
        for secret in [
            "SP-SECRET-VALUE-1",
            "WIN-PASSWORD-VALUE-2",
            "AAAAKEYDATA3",
            "TF-SECRET-VALUE-4",
            "TF-PASSWORD-VALUE-5",
        ] {
            assert!(!text.contains(secret), "{format} output prints {secret}");
        }
    }
}

#[test]
fn aks_node_pools_without_their_cluster_are_judged_by_the_pool_controls() {
    let d = tmp();
    write(
        d.path(),
        "pool.json",
        br#"{"type": "Microsoft.ContainerService/managedClusters/agentPools", "name": "gpu",
            "id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod/agentPools/gpu",
            "properties": {"vmSize": "Standard_NC6s_v3", "mode": "User", "enableNodePublicIP": true, "enableEncryptionAtHost": true}}"#,
    );
    let r = json(&run(&[
        "scan",
        d.path().to_str().unwrap(),
        "--format",
        "json",
        "--include-passed",
    ]));
    assert_eq!(r["inputs"]["clusters"], 1);
    let ne003 = findings(&r, "NE-003");
    assert_eq!(ne003.len(), 1);
    assert_eq!(ne003[0]["status"], "fail");
    assert_eq!(ne003[0]["object"]["name"], "prod");
    assert_eq!(control(&r, "DP-002")["status"], "pass");
    // Cluster-wide settings are not judged from a pool: no verdict, no default assumed.
    assert_eq!(control(&r, "CP-001")["status"], "not-evaluated");
    assert!(findings(&r, "CP-001").is_empty());
    let notes = r["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| {
        n["message"]
            .as_str()
            .unwrap()
            .contains("not among the inputs")
    }));
}

#[test]
fn aks_rest_api_specification_examples_are_read() {
    let r = json(&run(&[
        "scan",
        "tests/fixtures/aks/rest-examples/ManagedClustersCreate_SecurityProfile.json",
        "--format",
        "json",
        "--include-passed",
        "--as-of",
        "2025-01-01",
    ]));
    assert_eq!(r["inputs"]["clusters"], 1);
    assert_eq!(control(&r, "OB-004")["status"], "pass");
    assert_eq!(control(&r, "NE-005")["status"], "fail");
    assert_eq!(control(&r, "ID-006")["status"], "fail");
    let versions = findings(&r, "CP-006");
    assert!(
        versions.iter().all(|f| f["status"] == "fail"),
        "{versions:?}"
    );
    let ne003 = findings(&r, "NE-003");
    assert_eq!(
        ne003[0]["location"]["path"],
        "/responses/200/body/properties/agentPoolProfiles/0/enableNodePublicIP"
    );
}
