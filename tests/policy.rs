//! Policy end to end: the configuration file (found upward, --config, --no-config, errors with
//! lines), waivers (configuration and annotations, expiry judged on --as-of), attestations
//! (answers, expiry, unknown ids), the templates of `config init` / `attest init`, scores.
//!
//! The fixture is a small repository: tests/fixtures/policy/repo/{.aksguard.yaml,
//! attestations.yaml, k8s/}.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const REPO: &str = "tests/fixtures/policy/repo";
const K8S: &str = "tests/fixtures/policy/repo/k8s";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("runs")
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

fn scan_as_of(date: &str, extra: &[&str]) -> (Value, i32) {
    let mut args = vec!["scan", K8S, "-f", "json", "--as-of", date];
    args.extend_from_slice(extra);
    let out = run(&args);
    (json(&out), out.status.code().unwrap())
}

/// A folder with the fixture's apps.yaml and this `.aksguard.yaml`.
fn repo_with(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(K8S).join("apps.yaml"),
        dir.path().join("apps.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join(".aksguard.yaml"), config).unwrap();
    dir
}

fn control<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

/// Findings of a control on an object (by name).
fn findings<'a>(r: &'a Value, id: &str, name: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control"] == id && f["object"]["name"] == name)
        .collect()
}

fn statuses(r: &Value, id: &str, name: &str) -> Vec<String> {
    findings(r, id, name)
        .iter()
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect()
}

fn waiver_state(r: &Value, control: &str) -> Vec<String> {
    r["policy"]["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["control"] == control)
        .map(|w| w["state"].as_str().unwrap().to_string())
        .collect()
}

fn attestation_state(r: &Value, id: &str) -> String {
    r["policy"]["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no attestation {id}"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

fn item<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

fn error_at(r: &Value, file_end: &str, line: u64, text: &str) -> bool {
    r["errors"].as_array().unwrap().iter().any(|e| {
        e["file"].as_str().unwrap().ends_with(file_end)
            && e["line"] == line
            && e["message"].as_str().unwrap().contains(text)
    })
}

#[test]
fn configuration_is_found_upward_and_applied() {
    let (r, code) = scan_as_of("2026-11-23", &[]);
    // Input errors in the attestations file and a malformed annotation: exit 2, scan complete.
    assert_eq!(code, 2);
    assert_eq!(
        r["policy"]["config"],
        "tests/fixtures/policy/repo/.aksguard.yaml"
    );
    assert_eq!(
        r["policy"]["attestations_file"],
        "tests/fixtures/policy/repo/attestations.yaml"
    );
    assert_eq!(r["summary"]["fail_on"], "medium");
    // Disabled: not evaluated, with the reason, and no findings.
    let sc2 = control(&r, "SC-002");
    assert_eq!(sc2["status"], "not-evaluated");
    assert!(sc2["reason"].as_str().unwrap().contains("disabled"));
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["control"] != "SC-002")
    );
    assert_eq!(r["policy"]["disabled"], serde_json::json!(["SC-002"]));
    // Severity override: on the control and on its findings.
    assert_eq!(control(&r, "WL-006")["severity"], "high");
    assert!(
        findings(&r, "WL-006", "web")
            .iter()
            .all(|f| f["severity"] == "high")
    );
    // Admin groups: the platform's group may hold cluster-admin, the team's may not.
    assert_eq!(statuses(&r, "ID-009", "shop-admins"), ["fail"]);
    assert!(statuses(&r, "ID-009", "platform-admins").is_empty());
}

#[test]
fn waivers_as_of_today() {
    let (r, _) = scan_as_of("2026-11-23", &[]);
    // Annotation waiver (expires 2027-06-30) on the DaemonSet only.
    let f = findings(&r, "WL-002", "node-agent");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["status"], "waived");
    let w = &f[0]["waiver"];
    assert_eq!(w["reason"], "the vendor agent reads host devices");
    assert_eq!(w["owner"], "platform-team");
    assert_eq!(w["expires"], "2027-06-30");
    assert_eq!(w["origin"]["kind"], "annotation");
    assert_eq!(w["origin"]["line"], 8);
    assert_eq!(statuses(&r, "WL-002", "web"), ["fail"]);
    // One failure left: the control still fails; the waived one is counted apart.
    let wl2 = control(&r, "WL-002");
    assert_eq!(wl2["status"], "fail");
    assert_eq!(wl2["counts"]["fail"], 1);
    assert_eq!(wl2["counts"]["waived"], 1);
    // Configuration waiver selecting namespace shop + kind Deployment.
    assert_eq!(statuses(&r, "WL-004", "web"), ["waived"]);
    assert_eq!(statuses(&r, "WL-004", "node-agent"), ["fail"]);
    let f = findings(&r, "WL-004", "web");
    assert_eq!(f[0]["waiver"]["origin"]["kind"], "config");
    assert_eq!(f[0]["waiver"]["origin"]["line"], 13);
    // Expired (configuration, 2026-03-01; annotation, 2026-01-31): the failures count.
    assert_eq!(statuses(&r, "WL-006", "web"), ["fail"]);
    assert_eq!(waiver_state(&r, "WL-006"), ["expired"]);
    assert_eq!(statuses(&r, "WL-001", "node-agent"), ["fail"]);
    assert_eq!(waiver_state(&r, "WL-001"), ["expired"]);
    // Unused, and forbidden for annotations by the configuration.
    assert_eq!(waiver_state(&r, "WL-005"), ["unused"]);
    assert_eq!(waiver_state(&r, "ID-009"), ["forbidden"]);
    // A waiver annotation without a reason is an input error at its line.
    assert!(error_at(&r, "k8s/apps.yaml", 30, "needs a reason"));
    // Waived findings are not failures: the summary counts them apart.
    assert_eq!(r["summary"]["findings"]["waived"], 2);
}

#[test]
fn waivers_expire_and_start_with_the_date() {
    // Later: every waiver of the fixture has expired.
    let (r, _) = scan_as_of("2028-01-01", &[]);
    assert_eq!(statuses(&r, "WL-002", "node-agent"), ["fail"]);
    assert_eq!(statuses(&r, "WL-004", "web"), ["fail"]);
    assert_eq!(waiver_state(&r, "WL-002"), ["expired"]);
    assert_eq!(r["summary"]["findings"]["waived"], 0);
    // Earlier: the ones that expired in 2026 still hold.
    let (r, _) = scan_as_of("2025-06-01", &[]);
    assert_eq!(statuses(&r, "WL-001", "node-agent"), ["waived"]);
    assert_eq!(statuses(&r, "WL-006", "web"), ["waived"]);
    assert_eq!(statuses(&r, "WL-006", "node-agent"), ["fail"]);
}

#[test]
fn a_control_whose_every_failure_is_waived_is_waived() {
    let dir = repo_with(
        "waivers:\n  - control: WL-003\n    reason: reviewed\n    owner: sec\n    expires: 2030-01-01\n",
    );
    let out = run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "-f",
        "json",
        "--as-of",
        "2026-11-23",
    ]);
    let r = json(&out);
    let wl3 = control(&r, "WL-003");
    assert_eq!(wl3["status"], "waived");
    assert_eq!(wl3["counts"]["fail"], 0);
    assert_eq!(wl3["counts"]["waived"], 2);
    // The waiver selects every finding of the control (no kind/namespace/name/file).
    let w = r["policy"]["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["control"] == "WL-003" && w["origin"]["kind"] == "config")
        .expect("the configuration's waiver");
    assert!(
        w["origin"]["selects"]
            .as_str()
            .unwrap()
            .contains("every finding")
    );
    assert_eq!(w["state"], "applied");
    assert_eq!(w["findings"], 2);
}

#[test]
fn attestations_answer_manual_items() {
    let (r, _) = scan_as_of("2026-11-23", &[]);
    // yes → attested, on the control and its item.
    assert_eq!(control(&r, "OR-007")["status"], "attested");
    assert_eq!(
        control(&r, "OR-007")["attestation"]["owner"],
        "security-lead@example.com"
    );
    assert_eq!(item(&r, "KSC-OPS-04")["status"], "attested");
    // no → a failing finding at the attestation, counted against the exit code.
    assert_eq!(control(&r, "OR-004")["status"], "fail");
    let f: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control"] == "OR-004")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["status"], "fail");
    assert!(
        f[0]["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("attestations.yaml")
    );
    assert_eq!(f[0]["location"]["line"], 8);
    assert_eq!(item(&r, "KSC-LOG-06")["status"], "fail");
    // Expired (2026-01-10): the control is open again, the state says why.
    assert_eq!(control(&r, "OR-005")["status"], "manual");
    assert!(
        control(&r, "OR-005")["reason"]
            .as_str()
            .unwrap()
            .contains("expired on 2026-01-10")
    );
    assert_eq!(attestation_state(&r, "OR-005"), "expired");
    // A `yes` on a control that fails on evidence does not turn it into a pass.
    assert_eq!(control(&r, "WL-002")["status"], "fail");
    assert_eq!(attestation_state(&r, "WL-002"), "contradicted");
    // Unknown id and a bad answer: input errors with their lines; an empty answer is open.
    assert!(error_at(&r, "attestations.yaml", 21, "unknown id `NOPE-1`"));
    assert!(error_at(&r, "attestations.yaml", 25, "answer `maybe`"));
    assert!(
        !r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["line"] == 28 || e["message"].as_str().unwrap().contains("KSC-AUTH-16"))
    );
    assert_eq!(control(&r, "OR-002")["status"], "manual");
    // Before OR-005's answer expired, it holds.
    let (r, _) = scan_as_of("2025-12-01", &[]);
    assert_eq!(control(&r, "OR-005")["status"], "attested");
    assert_eq!(attestation_state(&r, "OR-005"), "applied");
}

#[test]
fn scores_follow_the_statuses() {
    let (r, _) = scan_as_of("2026-11-23", &[]);
    let controls = r["controls"].as_array().unwrap();
    let count = |f: &dyn Fn(&str) -> bool| {
        controls
            .iter()
            .filter(|c| f(c["status"].as_str().unwrap()))
            .count() as u64
    };
    let overall = &r["scores"]["overall"];
    assert_eq!(overall["controls"], controls.len() as u64);
    assert_eq!(
        overall["passing"],
        count(&|s| s == "pass" || s == "attested")
    );
    assert_eq!(
        overall["evaluated"],
        count(&|s| matches!(s, "pass" | "attested" | "fail" | "waived"))
    );
    assert_eq!(
        overall["answered"],
        count(&|s| !matches!(s, "not-evaluated" | "manual"))
    );
    let layers: u64 = r["scores"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["controls"].as_u64().unwrap())
        .sum();
    assert_eq!(layers, controls.len() as u64);
    let items: u64 = r["scores"]["checklists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["items"].as_u64().unwrap())
        .sum();
    assert_eq!(items, r["items"].as_array().unwrap().len() as u64);
    // The table shows them too.
    let out = run(&["scan", K8S, "--as-of", "2026-11-23", "--color", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Score: "), "{text}");
    assert!(text.contains("items answered"));
    assert!(text.contains("expired waiver"));
}

#[test]
fn no_config_and_explicit_config() {
    let (r, _) = scan_as_of("2026-11-23", &["--no-config"]);
    assert!(r["policy"].get("config").is_none());
    assert_ne!(control(&r, "SC-002")["status"], "not-evaluated");
    assert_eq!(statuses(&r, "WL-002", "node-agent"), ["waived"]); // annotations still count
    assert_eq!(statuses(&r, "ID-009", "platform-admins"), ["fail"]);
    // --config names a file anywhere.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("policy.yaml");
    std::fs::write(&cfg, "controls:\n  disable: [\"WL-*\"]\n").unwrap();
    let (r, _) = scan_as_of("2026-11-23", &["--config", cfg.to_str().unwrap()]);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["control"].as_str().unwrap().starts_with("WL-"))
    );
    assert_eq!(control(&r, "WL-001")["status"], "not-evaluated");
    // --fail-on on the command line wins over the file's.
    let (r, _) = scan_as_of("2026-11-23", &["--fail-on", "critical"]);
    assert_eq!(r["summary"]["fail_on"], "critical");
}

#[test]
fn configuration_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(".aksguard.yaml");
    std::fs::write(
        &cfg,
        "version: 1\nfail-on: hihg\ncontrols:\n  disabel: [WL-001]\nwaivers:\n  - control: WL-002\n    reason: x\n  - control: NOPE\n    reason: y\n    expires: 2027-02-30\nunknown: 1\n",
    )
    .unwrap();
    let out = run(&["scan", "demo/k8s", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let f = cfg.display().to_string();
    for (line, text) in [
        (2, "unknown severity `hihg`"),
        (
            4,
            "unknown key `disabel` in controls (did you mean `disable`?)",
        ),
        (6, "a waiver needs `expires"),
        (8, "no control `NOPE`"),
        (10, "`2027-02-30` is not a date"),
        (11, "unknown key `unknown`"),
    ] {
        assert!(
            err.contains(&format!("{f}:{line}: ")) && err.contains(text),
            "line {line} `{text}` missing in:\n{err}"
        );
    }
    // Hostile: not a mapping, an alias bomb, a missing file.
    std::fs::write(&cfg, "- a\n- b\n").unwrap();
    let out = run(&["scan", "demo/k8s", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be a mapping"));
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    std::fs::write(&cfg, bomb).unwrap();
    let out = run(&["scan", "demo/k8s", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&f));
    let out = run(&[
        "scan",
        "demo/k8s",
        "--config",
        "/nonexistent/.aksguard.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = run(&["scan", "demo/k8s", "--attestations", "/nonexistent/a.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_init_writes_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(".aksguard.yaml");
    let out = run(&["config", "init", "-o", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    // Not over an existing file without --force.
    let again = run(&["config", "init", "-o", cfg.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        run(&["config", "init", "-o", cfg.to_str().unwrap(), "--force"])
            .status
            .code(),
        Some(0)
    );
    // The defaults change nothing: the same controls and findings as without a configuration.
    let with = json(&run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json",
        "--config",
        cfg.to_str().unwrap(),
    ]));
    let without = json(&run(&["scan", "demo/k8s", "-f", "json", "--no-config"]));
    assert_eq!(with["controls"], without["controls"]);
    assert_eq!(with["findings"], without["findings"]);
    assert_eq!(with["scores"], without["scores"]);
    // Standard output.
    let out = run(&["config", "init", "-o", "-"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("waiver-policy:") && text.contains("admin-groups:"));
}

#[test]
fn attest_init_lists_every_item_that_needs_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attestations.yaml");
    assert_eq!(
        run(&["attest", "init", "-o", file.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- id: "))
        .collect();
    // Every item whose checklist row is manual or partial is listed (items.tsv column 7).
    let tsv = std::fs::read_to_string("src/catalog/items.tsv").unwrap();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() > 6 && f[6] != "full" {
            assert!(ids.contains(&f[0]), "{} missing", f[0]);
        }
    }
    assert!(ids.contains(&"KSC-OPS-04"));
    // The template as written is valid: nothing answered, no errors, items stay open.
    let out = run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json",
        "--no-config",
        "--attestations",
        file.to_str().unwrap(),
    ]);
    let r = json(&out);
    assert_eq!(r["errors"], serde_json::json!([]), "{}", r["errors"]);
    assert_eq!(control(&r, "OR-007")["status"], "manual");
    assert_eq!(r["policy"]["attestations"], serde_json::json!([]));
    // Answer one and it counts.
    let answered = text.replacen(
        "- id: KSC-OPS-04\n    answer:\n    owner:",
        "- id: KSC-OPS-04\n    answer: yes\n    owner: me",
        1,
    );
    assert_ne!(answered, text);
    std::fs::write(&file, answered).unwrap();
    let r = json(&run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json",
        "--no-config",
        "--attestations",
        file.to_str().unwrap(),
    ]));
    assert_eq!(item(&r, "KSC-OPS-04")["status"], "attested");
    assert_eq!(control(&r, "OR-007")["status"], "attested");
}

#[test]
fn waiver_selectors_by_file_and_kind() {
    // `file` matches relative to any folder of the scanned path; `kind` in any case.
    let dir = repo_with(
        "waivers:\n  - control: WL-003\n    file: \"*/apps.yaml\"\n    kind: deployment\n    reason: r\n    owner: o\n    expires: 2030-01-01\n  - control: WL-004\n    file: other/*.yaml\n    reason: r\n    owner: o\n    expires: 2030-01-01\n",
    );
    let nested = dir.path().join("x");
    std::fs::create_dir(&nested).unwrap();
    std::fs::rename(dir.path().join("apps.yaml"), nested.join("apps.yaml")).unwrap();
    let r = json(&run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "-f",
        "json",
        "--as-of",
        "2026-11-23",
    ]));
    assert_eq!(statuses(&r, "WL-003", "web"), ["waived"]);
    assert_eq!(statuses(&r, "WL-003", "node-agent"), ["fail"]);
    assert_eq!(statuses(&r, "WL-004", "web"), ["fail"]);
    assert_eq!(waiver_state(&r, "WL-004"), ["unused"]);
}

#[test]
fn annotation_waivers_can_be_switched_off() {
    let dir = repo_with("waiver-policy:\n  annotations: false\n");
    let r = json(&run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "-f",
        "json",
        "--as-of",
        "2026-11-23",
    ]));
    assert_eq!(statuses(&r, "WL-002", "node-agent"), ["fail"]);
    assert_eq!(waiver_state(&r, "WL-002"), ["forbidden"]);
}

#[test]
fn system_namespaces_come_from_the_configuration() {
    let dir = repo_with("system-namespaces: [kube-system, monitoring]\n");
    let r = json(&run(&["scan", dir.path().to_str().unwrap(), "-f", "json"]));
    let on_ns = |id: &str, ns: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["control"] == id && f["object"]["name"] == ns)
    };
    assert!(on_ns("NW-003", "shop"));
    assert!(!on_ns("NW-003", "monitoring"));
    assert!(!on_ns("AD-004", "monitoring"));
    let _ = REPO;
}
