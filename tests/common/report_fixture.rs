//! The scan the Markdown and HTML report tests render: demo/k8s and tests/fixtures/reports/md-html
//! (hostile object names, an annotation waiver, seven privileged workloads) with a policy built
//! in code: configuration waivers (applied, unused, expired) and attestations (yes, no, expired,
//! contradicted, and one on a checklist item with hostile text).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use aksguard::config::Config;
use aksguard::engine::{Input, ScanResult, scan};
use aksguard::model::{Date, Waiver, WaiverOrigin};
use aksguard::policy::{Answer, Attestation, ConfigWaiver, Policy};

/// Waivers and attestations are judged on this date.
pub const AS_OF: &str = "2025-12-01";

pub const HOSTILE_NAME: &str = "<script>alert(1)</script>";
pub const HOSTILE_NOTE: &str = "see <img src=x onerror=alert(1)> | [x](javascript:alert(1)) `y`\nz";

pub fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn config_waiver(control: &'static str, kind: &str, expires: &str, line: u32) -> ConfigWaiver {
    ConfigWaiver {
        waiver: Arc::new(Waiver {
            control,
            reason: format!("accepted for {kind}"),
            owner: Some("platform".to_string()),
            expires: Some(date(expires)),
            origin: WaiverOrigin::Config {
                file: Arc::from(".aksguard.yaml"),
                line: Some(line),
                selects: format!("{kind} *"),
            },
        }),
        kind: Some(kind.to_string()),
        namespace: None,
        name: None,
        file: None,
    }
}

fn attest(id: &str, answer: Answer, expires: Option<&str>, line: u32) -> Arc<Attestation> {
    Arc::new(Attestation {
        id: id.to_string(),
        answer,
        owner: "alice".to_string(),
        date: Some(date("2025-11-01")),
        evidence: Some("https://wiki.example/runbook".to_string()),
        expires: expires.map(date),
        note: None,
        file: Arc::from("attestations.yaml"),
        line: Some(line),
    })
}

pub fn policy() -> Policy {
    let mut item = (*attest("KSC-AUTH-05", Answer::Yes, None, 30)).clone();
    item.note = Some(HOSTILE_NOTE.to_string());
    item.evidence = Some("ticket <OPS-1>".to_string());
    Policy {
        config_file: Some(Arc::from(".aksguard.yaml")),
        waivers: vec![
            config_waiver("SC-001", "DaemonSet", "2030-06-30", 12),
            config_waiver("WL-009", "StatefulSet", "2030-06-30", 18),
            config_waiver("AD-005", "CronJob", "2025-01-01", 24),
        ],
        attestations_file: Some(Arc::from("attestations.yaml")),
        attestations: vec![
            attest("OR-002", Answer::Yes, None, 3),
            attest("OR-004", Answer::No, None, 9),
            attest("OR-005", Answer::Yes, Some("2025-06-01"), 15),
            attest("WL-002", Answer::Yes, None, 21),
            Arc::new(item),
        ],
        ..Policy::default()
    }
}

pub fn inputs(paths: &[&str]) -> Vec<Input> {
    paths
        .iter()
        .map(|p| Input::Path(PathBuf::from(p)))
        .collect()
}

/// The scan with the policy.
pub fn result() -> ScanResult {
    let config = Config {
        policy: Arc::new(policy()),
        as_of: Some(date(AS_OF)),
        ..Config::default()
    };
    scan(
        &inputs(&["demo/k8s", "tests/fixtures/reports/md-html"]),
        &config,
    )
}

/// A scan of `paths` without a policy.
pub fn plain(paths: &[&str]) -> ScanResult {
    let config = Config {
        as_of: Some(date(AS_OF)),
        ..Config::default()
    };
    scan(&inputs(paths), &config)
}

/// A directory of `n` privileged Deployments (many findings of a few controls).
pub fn many_workloads(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w-{i}\n  namespace: bulk\n\
             spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          \
             image: nginx:latest\n          securityContext:\n            privileged: true\n"
        ));
    }
    std::fs::write(dir.path().join("bulk.yaml"), text).unwrap();
    dir
}

/// Compares `actual` with `tests/fixtures/reports/NAME`; `AKSGUARD_UPDATE_SNAPSHOTS=1` writes it.
pub fn snapshot(name: &str, actual: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    if std::env::var_os("AKSGUARD_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with AKSGUARD_UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let tmp = std::env::temp_dir().join(format!("aksguard-actual-{name}"));
        std::fs::write(&tmp, actual).unwrap();
        panic!(
            "{} differs from this output (written to {}); if the change is intended, run with \
             AKSGUARD_UPDATE_SNAPSHOTS=1 and review the diff",
            path.display(),
            tmp.display()
        );
    }
}
