//! Live-cluster scans end to end: the aksguard binary against a fake kube-apiserver on
//! 127.0.0.1 (HTTPS, bearer tokens) that serves the responses recorded from a real v1.28
//! kube-apiserver (tests/fixtures/apiserver), through a generated kubeconfig.

#[path = "common/apiserver.rs"]
mod apiserver;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use apiserver::{FakeApiServer, Options, Source};
use serde_json::Value;

const ADMIN: &str = "admin-token-0123";
const LOWPRIV: &str = "lowpriv-token-4567";
/// Version support is judged on a fixed date.
const AS_OF: &str = "2025-12-01";

fn recording() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apiserver/v1.28-400-objects")
}

fn server(anonymous: Option<&str>) -> FakeApiServer {
    FakeApiServer::start(
        Source::Recording(recording()),
        Options {
            tokens: vec![
                (ADMIN.to_string(), "admin".to_string()),
                (LOWPRIV.to_string(), "lowpriv".to_string()),
            ],
            anonymous: anonymous.map(str::to_string),
            delay: Duration::ZERO,
        },
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs aksguard; (exit code, stdout, stderr).
fn aksguard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Scans the recorded cluster as `token`'s identity (pages of 50, as recorded).
fn scan_live(srv: &FakeApiServer, token: &str, extra: &[&str]) -> (i32, Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("rec", Some(token)),
    );
    let mut args = vec![
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--cluster",
        "--chunk-size",
        "50",
        "--as-of",
        AS_OF,
        "-f",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = aksguard(&args);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v, dir)
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

#[test]
fn recorded_cluster_is_scanned_page_by_page() {
    let srv = server(None);
    let (code, report, _dir) = scan_live(&srv, ADMIN, &[]);
    assert_eq!(
        code, 1,
        "failing findings, nothing unreadable: {}",
        report["errors"]
    );
    assert_eq!(report["source"]["kind"], "cluster");
    assert_eq!(report["source"]["context"], "rec");
    assert_eq!(report["source"]["version"], "v1.28.0");
    assert_eq!(report["errors"], serde_json::json!([]));
    // Every object the server listed: the 400 applied ones (less those only in the namespaces
    // and ServiceAccounts created beforehand) and the server's own (namespaces, roles, ...).
    let objects = report["inputs"]["objects"].as_u64().unwrap();
    assert!(objects > 400, "{objects} objects");
    // The lists were paged: each continue token of the recording was followed.
    let requests: Vec<String> = srv.requests().into_iter().map(|(_, p)| p).collect();
    for path in [
        "/api/v1/services?limit=50",
        "/api/v1/services?limit=50&continue=",
        "/apis/apps/v1/deployments?limit=50&continue=",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles?limit=50&continue=",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?limit=50&continue=",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?limit=50",
        "/api/v1/nodes?limit=50",
    ] {
        assert!(
            requests.iter().any(|r| r.starts_with(path)),
            "no request {path} in {requests:#?}"
        );
    }
    // Only GETs of discovery, lists and the three probes; nothing written.
    for r in &requests {
        assert!(
            r == "/version"
                || r == "/api"
                || r == "/apis"
                || r == "/logs/"
                || r.starts_with("/api/v1")
                || r.starts_with("/apis/"),
            "unexpected request {r}"
        );
    }
    // Live-only answers.
    assert_eq!(control(&report, "ID-015")["status"], "pass");
    assert_eq!(control(&report, "OB-007")["status"], "fail");
    // 1.28 is past standard support on the date, in the LTS window the API cannot see.
    assert_eq!(control(&report, "CP-006")["status"], "not-evaluated");
    // A control a cluster is not evidence for is not judged from one.
    let sh004 = control(&report, "SH-004");
    assert_eq!(sh004["status"], "not-evaluated");
    assert!(sh004["reason"].as_str().unwrap().contains("live cluster"));
    // Findings name the API path of their object and the field.
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == "WL-002" && f["status"] == "fail")
        .expect("a privileged container among the recorded objects");
    let file = f["location"]["file"].as_str().unwrap();
    assert!(
        file.starts_with("rec:/apis/apps/v1/namespaces/")
            || file.starts_with("rec:/apis/batch/v1/"),
        "{file}"
    );
    assert!(f["location"].get("line").is_none());
    assert!(
        f["location"]["path"]
            .as_str()
            .unwrap()
            .contains("securityContext")
    );
}

/// Per control and object: fail if any finding fails, else pass if any passes, else
/// not-evaluated; keyed by (control, kind, namespace, name).
type Verdicts = BTreeMap<(String, String, String, String), String>;

fn verdicts(report: &Value) -> (Verdicts, BTreeSet<(String, String, String, String)>) {
    let mut out: Verdicts = BTreeMap::new();
    let mut unresolved = BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        let o = &f["object"];
        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
        let key = (
            s(&f["control"]),
            s(&o["kind"]),
            s(&o["namespace"]),
            s(&o["name"]),
        );
        // Verdicts that depend on objects missing from the files (a ClusterRole the server
        // has built in and the files do not define).
        if f["message"]
            .as_str()
            .unwrap()
            .contains("not among the scanned inputs")
        {
            unresolved.insert(key.clone());
        }
        let status = s(&f["status"]);
        let e = out.entry(key).or_insert_with(|| status.clone());
        if status == "fail" || (status == "pass" && e != "fail") {
            *e = status;
        }
    }
    (out, unresolved)
}

#[test]
fn recorded_cluster_and_its_manifests_give_the_same_verdicts() {
    let srv = server(None);
    let (_, live, _dir) = scan_live(&srv, ADMIN, &["--include-passed"]);
    // The manifests that were applied to the recorded server, less the one field the v1.28
    // server dropped on admission (procMount, behind the disabled ProcMountType gate): the
    // cluster holds what the server kept, not what the file asked for.
    let applied = std::fs::read_to_string(recording().join("applied-manifests.yaml")).unwrap();
    let dropped = applied
        .lines()
        .filter(|l| l.trim_start().starts_with("procMount:"))
        .count();
    assert!(dropped > 0);
    let kept: String = applied
        .lines()
        .filter(|l| !l.trim_start().starts_with("procMount:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "applied.yaml", &kept);
    let (_, out, err) = aksguard(&[
        "scan",
        file.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--include-passed",
        "-f",
        "json",
    ]);
    let files: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(files["errors"], serde_json::json!([]));

    let (lv, _) = verdicts(&live);
    let (fv, unresolved) = verdicts(&files);
    // Controls both can evaluate: judged on both sides (SH-004 is judged on files only; the
    // live-only probes have no file side).
    let judged = |r: &Value, id: &str| {
        matches!(control(r, id)["status"].as_str(), Some("pass" | "fail"))
            && !control(r, id)["reason"]
                .as_str()
                .is_some_and(|s| s.contains("live cluster"))
    };
    let ids: Vec<String> = files["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .filter(|id| judged(&files, id) && judged(&live, id))
        .collect();
    assert!(
        ids.len() >= 25,
        "only {} controls judged on both sides",
        ids.len()
    );
    let mut compared = 0;
    let mut differences = Vec::new();
    for (key, want) in fv.iter().filter(|(k, _)| ids.contains(&k.0)) {
        if unresolved.contains(key) {
            // The live cluster resolves what the files could not: any verdict is fine, but
            // there must be one.
            assert!(lv.contains_key(key), "no live verdict for {key:?}");
            continue;
        }
        compared += 1;
        match lv.get(key) {
            Some(got) if got == want => {}
            got => differences.push(format!("{key:?}: files {want}, live {got:?}")),
        }
    }
    // The converse: every live verdict on an object of the files is the files' verdict.
    let file_objects: BTreeSet<_> = fv
        .keys()
        .map(|k| (k.1.clone(), k.2.clone(), k.3.clone()))
        .collect();
    for (key, got) in lv.iter().filter(|(k, _)| ids.contains(&k.0)) {
        let object = (key.1.clone(), key.2.clone(), key.3.clone());
        if !file_objects.contains(&object) || unresolved.contains(key) {
            continue; // the server's own objects (kube-system, built-in roles, namespaces)
        }
        if !fv.contains_key(key) {
            differences.push(format!("{key:?}: only live says {got}"));
        }
    }
    assert!(compared > 1000, "only {compared} verdicts compared");
    assert!(differences.is_empty(), "\n{}", differences.join("\n"));
}

#[test]
fn forbidden_lists_make_their_controls_not_evaluated_and_the_scan_partial() {
    let srv = server(None);
    // lowpriv may list everything but Secrets (the recorded 403 answer).
    let (code, report, _dir) = scan_live(&srv, LOWPRIV, &[]);
    assert_eq!(code, 2, "a partial scan exits 2");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("cannot list Secret") && msg.contains("forbidden"),
        "{msg}"
    );
    assert_eq!(errors[0]["file"], "rec:/api/v1/secrets");
    // ID-016 reads Secrets only to judge them: not evaluated, with the reason.
    let id016 = control(&report, "ID-016");
    assert_eq!(id016["status"], "not-evaluated");
    assert!(
        id016["reason"].as_str().unwrap().contains("Secret"),
        "{id016}"
    );
    // A control that reads Secrets and fails on what it could read still fails.
    assert_eq!(control(&report, "ID-008")["status"], "fail");
    // Everything else was still read and judged.
    assert_eq!(control(&report, "WL-002")["status"], "fail");
    assert_eq!(control(&report, "NE-004")["status"], "fail");
    assert!(report["inputs"]["objects"].as_u64().unwrap() > 300);
}

#[test]
fn anonymous_access_fails_id_015() {
    let srv = server(Some("admin"));
    let (_, report, _dir) = scan_live(&srv, ADMIN, &[]);
    let c = control(&report, "ID-015");
    assert_eq!(c["status"], "fail");
    assert!(c["counts"]["fail"] == 1, "{c}");
}

#[test]
fn several_clusters_side_by_side_and_an_unreachable_one_does_not_stop_them() {
    let srv = server(None);
    let dir = tempfile::tempdir().unwrap();
    // One kubeconfig, three contexts: the recorded cluster as two users, and a server that
    // does not listen.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("https://{}", closed.local_addr().unwrap());
    drop(closed);
    let kc = srv
        .kubeconfig("admin", Some(ADMIN))
        .replace("current-context", "#current-context");
    let mut doc: Value =
        serde_json::to_value(serde_saphyr::from_str::<serde_json::Value>(&kc).unwrap()).unwrap();
    let cluster = doc["clusters"][0].clone();
    let mut dead_cluster = cluster.clone();
    dead_cluster["name"] = "dead".into();
    dead_cluster["cluster"]["server"] = dead.clone().into();
    doc["clusters"].as_array_mut().unwrap().push(dead_cluster);
    doc["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "low", "user": {"token": LOWPRIV}}));
    let ctx = |name: &str, cluster: &str, user: &str| serde_json::json!({"name": name, "context": {"cluster": cluster, "user": user}});
    let user0 = doc["users"][0]["name"].clone();
    let cluster0 = doc["clusters"][0]["name"].clone();
    doc["contexts"] = serde_json::json!([
        ctx("admin", cluster0.as_str().unwrap(), user0.as_str().unwrap()),
        ctx("low", cluster0.as_str().unwrap(), "low"),
        ctx("dead", "dead", user0.as_str().unwrap()),
    ]);
    let kc = write(
        dir.path(),
        "kubeconfig",
        &serde_json::to_string(&doc).unwrap(),
    );
    let (code, out, err) = aksguard(&[
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--all-contexts",
        "--chunk-size",
        "50",
        "--request-timeout",
        "5",
        "--as-of",
        AS_OF,
        "-f",
        "json",
    ]);
    assert_eq!(code, 2, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["exit_code"], 2);
    let scans = v["scans"].as_array().unwrap();
    let contexts: Vec<&str> = scans
        .iter()
        .map(|s| s["source"]["context"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["admin", "low", "dead"]);
    assert_eq!(scans[0]["errors"], serde_json::json!([]));
    assert_eq!(scans[0]["summary"]["exit_code"], 1);
    assert_eq!(scans[1]["summary"]["exit_code"], 2);
    // The unreachable cluster: one clear error, every cluster control not evaluated.
    let dead_errors = scans[2]["errors"].as_array().unwrap();
    assert_eq!(dead_errors.len(), 1);
    let msg = dead_errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("cannot reach the API server") && msg.contains(&dead),
        "{msg}"
    );
    assert_eq!(control(&scans[2], "WL-002")["status"], "not-evaluated");
    assert!(
        control(&scans[2], "WL-002")["reason"]
            .as_str()
            .unwrap()
            .contains("could not be read")
    );
    // The table shows each cluster under its own heading.
    let (_, table, _) = aksguard(&[
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--context",
        "admin",
        "--context",
        "dead",
        "--request-timeout",
        "5",
        "--chunk-size",
        "50",
        "--color",
        "never",
    ]);
    assert!(table.contains("cluster admin ("), "{table}");
    assert!(table.contains("cluster dead ("), "{table}");
}

#[test]
fn a_slow_server_times_out() {
    let srv = FakeApiServer::start(
        Source::Recording(recording()),
        Options {
            tokens: vec![(ADMIN.to_string(), "admin".to_string())],
            anonymous: None,
            delay: Duration::from_secs(3),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("slow", Some(ADMIN)),
    );
    let (code, out, _) = aksguard(&[
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--cluster",
        "--request-timeout",
        "1",
        "-f",
        "json",
    ]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("no answer within 1 s"), "{msg}");
}

#[test]
fn bad_kubeconfigs_and_contexts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(None);
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("rec", Some(ADMIN)),
    );
    let (code, out, _) = aksguard(&[
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--context",
        "nope",
        "-f",
        "json",
    ]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("no context `nope`") && msg.contains("rec"),
        "{msg}"
    );
    // Not YAML at all.
    let bad = write(dir.path(), "bad", "clusters: [\n");
    let (code, _, err) = aksguard(&[
        "scan",
        "--kubeconfig",
        bad.to_str().unwrap(),
        "--all-contexts",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains(bad.to_str().unwrap()), "{err}");
    // A missing file.
    let (code, out, _) = aksguard(&[
        "scan",
        "--kubeconfig",
        dir.path().join("missing").to_str().unwrap(),
        "--cluster",
        "-f",
        "json",
    ]);
    assert_eq!(code, 2);
    assert!(out.contains("missing"), "{out}");
}

#[test]
fn secret_values_from_the_cluster_are_never_printed() {
    let srv = server(None);
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("rec", Some(ADMIN)),
    );
    // Every value of every Secret the server returned, encoded and decoded.
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(recording().join("index.json")).unwrap())
            .unwrap();
    let mut values = BTreeSet::new();
    for r in index.as_array().unwrap() {
        if r["path"].as_str().unwrap().starts_with("/api/v1/secrets") && r["status"] == 200 {
            let page: Value = serde_json::from_str(
                &std::fs::read_to_string(recording().join(r["file"].as_str().unwrap())).unwrap(),
            )
            .unwrap();
            for s in page["items"].as_array().unwrap() {
                for (_, v) in s["data"].as_object().into_iter().flatten() {
                    let enc = v.as_str().unwrap().to_string();
                    use base64::Engine;
                    if let Ok(dec) = base64::engine::general_purpose::STANDARD.decode(&enc)
                        && let Ok(text) = String::from_utf8(dec)
                        && text.len() >= 6
                    {
                        values.insert(text);
                    }
                    if enc.len() >= 8 {
                        values.insert(enc);
                    }
                }
            }
        }
    }
    // supersecret, a private key, a certificate, a docker config.
    assert!(
        values.len() >= 6,
        "the recording holds Secret values: {values:?}"
    );
    for format in ["json", "table"] {
        let (_, out, err) = aksguard(&[
            "scan",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--cluster",
            "--include-passed",
            "--chunk-size",
            "50",
            "-f",
            format,
        ]);
        for v in &values {
            assert!(
                !out.contains(v.as_str()),
                "{format} output prints a Secret value"
            );
            assert!(!err.contains(v.as_str()));
        }
    }
}

#[test]
fn same_cluster_same_bytes() {
    let srv = server(None);
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("rec", Some(ADMIN)),
    );
    let run = || {
        aksguard(&[
            "scan",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--cluster",
            "--include-passed",
            "--chunk-size",
            "50",
            "--as-of",
            AS_OF,
            "-f",
            "json",
        ])
        .1
    };
    let a = run();
    assert!(a.len() > 10_000);
    assert_eq!(a, run());
}

#[test]
fn hostile_objects_from_an_api_are_judged_or_skipped_never_a_crash() {
    let deep = (0..200).fold(serde_json::json!("x"), |v, _| serde_json::json!([v]));
    let objects = vec![
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "spec-is-a-string", "namespace": "a"}, "spec": "oops"}),
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": 5, "namespace": ["a"]}, "spec": {"containers": "none"}}),
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "deep", "namespace": "a"},
            "spec": {"containers": [{"name": "c", "image": "x", "args": deep}]}}),
        serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "a",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                    "{\"data\":{\"pw\":\"aHVudGVyMi1zdXBlci1zZWNyZXQ=\"}}"}},
            "type": "Opaque", "data": {"pw": "aHVudGVyMi1zdXBlci1zZWNyZXQ="}}),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "a"},
            "data": {"DB_PASSWORD": "hunter2-super-secret"}}),
    ];
    let srv = FakeApiServer::start(
        Source::Synthetic {
            discovery: recording(),
            objects,
        },
        Options {
            tokens: vec![(ADMIN.to_string(), "admin".to_string())],
            anonymous: None,
            delay: Duration::ZERO,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("hostile", Some(ADMIN)),
    );
    for format in ["json", "table"] {
        let (code, out, err) = aksguard(&[
            "scan",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--cluster",
            "--include-passed",
            "-f",
            format,
        ]);
        assert!(code == 0 || code == 1 || code == 2, "exit {code}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        for secret in ["hunter2-super-secret", "aHVudGVyMi1zdXBlci1zZWNyZXQ="] {
            assert!(
                !out.contains(secret),
                "{format} output prints a secret value"
            );
        }
        if format == "json" {
            let v: Value = serde_json::from_str(&out).unwrap();
            // The Deployment, the Secret and the ConfigMap are judged; the page of Pods holds
            // an object nested deeper than the JSON reader allows (128 levels), so the Pods
            // are reported as unreadable (with their API path), and the controls reading them
            // are not evaluated.
            assert_eq!(v["inputs"]["objects"], 3, "{}", v["inputs"]);
            assert_eq!(code, 2);
            let errors = v["errors"].to_string();
            assert!(
                errors.contains("hostile:/api/v1/pods") && errors.contains("recursion limit"),
                "{errors}"
            );
            // The ConfigMap's credential is reported by key, without its value.
            assert!(out.contains("DB_PASSWORD"));
        }
    }
}

#[test]
fn waiver_annotations_on_cluster_objects_apply_to_their_findings() {
    let privileged = |name: &str, waive: Option<&str>| {
        let mut meta = serde_json::json!({"name": name, "namespace": "ops"});
        if let Some(value) = waive {
            meta["annotations"] = serde_json::json!({ "aksguard.io/waive.WL-002": value });
        }
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "mcr.microsoft.com/x:1",
                    "securityContext": {"privileged": true}}]}}}})
    };
    let srv = FakeApiServer::start(
        Source::Synthetic {
            discovery: recording(),
            objects: vec![
                privileged(
                    "agent",
                    Some("reason=host access by design; owner=ops; expires=2027-01-01"),
                ),
                privileged("stale", Some("reason=old; owner=ops; expires=2026-01-01")),
                privileged("plain", None),
            ],
        },
        Options::token(ADMIN, "admin"),
    );
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "kubeconfig",
        &srv.kubeconfig("ops", Some(ADMIN)),
    );
    let (_, out, err) = aksguard(&[
        "scan",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--cluster",
        "--no-config",
        "--as-of",
        "2026-11-23",
        "-f",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let status = |name: &str| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["control"] == "WL-002" && f["object"]["name"] == name)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(status("agent"), ["waived"]);
    assert_eq!(status("stale"), ["fail"]); // expired on 2026-01-01
    assert_eq!(status("plain"), ["fail"]);
    let waived = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "waived")
        .unwrap();
    assert_eq!(waived["waiver"]["origin"]["kind"], "annotation");
    assert!(
        waived["waiver"]["origin"]["file"]
            .as_str()
            .unwrap()
            .starts_with("ops:/apis/apps/v1/namespaces/ops/deployments/agent")
    );
}
