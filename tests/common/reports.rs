//! Helpers of the SARIF and JUnit report tests: running aksguard, snapshots, and the external
//! validators that tools/install-report-validators.sh installs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Version support, waivers and attestations are judged on a fixed date.
pub const AS_OF: &str = "2025-12-01";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs aksguard in the repository root (so paths are relative, as a user gives them); (exit
/// code, stdout bytes, stderr).
pub fn aksguard(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .args(args)
        .current_dir(root())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Compares `actual` with the snapshot `tests/fixtures/reports/NAME`; with
/// `AKSGUARD_UPDATE_SNAPSHOTS=1` writes it instead.
pub fn snapshot(name: &str, actual: &[u8]) {
    let path = root().join("tests/fixtures/reports").join(name);
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
            "{} differs from this output (written to {}); if the change is intended, run the \
             test with AKSGUARD_UPDATE_SNAPSHOTS=1 and review the diff",
            path.display(),
            tmp.display()
        );
    }
}

/// Where the validators are, or None when they are not installed. In CI (.ci/run sets
/// `AKSGUARD_REQUIRE_VALIDATORS=1`) a missing validator fails the test.
pub fn validators() -> Option<PathBuf> {
    let dir = std::env::var_os("AKSGUARD_VALIDATORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/report-validators"));
    let ok = dir
        .join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
        .is_file()
        && dir.join("python/xmlschema").is_dir()
        && dir.join("python/jsonschema").is_dir();
    if ok {
        return Some(dir);
    }
    if std::env::var_os("AKSGUARD_REQUIRE_VALIDATORS").is_some_and(|v| v == "1") {
        panic!(
            "report validators missing in {} (AKSGUARD_REQUIRE_VALIDATORS=1): run \
             tools/install-report-validators.sh",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED external validation: validators not installed in {} (run \
         tools/install-report-validators.sh)",
        dir.display()
    );
    None
}

/// Runs python3 with the validators' packages on the path; panics with its output on failure.
pub fn python(dir: &Path, script: &str, args: &[&Path]) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .env("PYTHONPATH", dir.join("python"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `cmd` without network access (the SARIF multitool looks up the URIs it reads): in a
/// new network namespace (`unshare -rn`, or `unshare -n` as root). None when neither works.
pub fn offline(cmd: &Path, args: &[&str]) -> Option<std::process::Output> {
    for flags in [&["-rn"][..], &["-n"][..]] {
        let probe = Command::new("unshare").args(flags).arg("true").output();
        if probe.is_ok_and(|o| o.status.success()) {
            return Some(
                Command::new("unshare")
                    .args(flags)
                    .arg(cmd)
                    .args(args)
                    .output()
                    .expect("unshare"),
            );
        }
    }
    None
}
