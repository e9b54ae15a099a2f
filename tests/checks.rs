//! Every check against its fixture: objects named `pass-*` must pass the control, `fail-*` must
//! fail it, `ne-*` must be not-evaluated, `na-*` must get no verdict. Fixtures: tests/fixtures/checks/<ID>.yaml (a file, or a
//! directory of files for cross-object checks). Verdicts on a namespace as a whole are keyed by
//! the namespace's name, so a fixture names its namespaces `pass-*` / `fail-*` too.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aksguard::checks::{inventory_checks, object_checks};
use aksguard::config::Config;
use aksguard::engine::{Input, scan};
use aksguard::model::Status;

fn fixture(control: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checks");
    let as_dir = dir.join(control);
    if as_dir.is_dir() {
        as_dir
    } else {
        dir.join(format!("{control}.yaml"))
    }
}

/// Every control that has a check, once.
fn checked_controls() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = object_checks().iter().map(|c| c.control).collect();
    ids.extend(inventory_checks().iter().map(|c| c.control));
    ids.sort();
    ids.dedup();
    ids
}

/// Verdict per object name for one control: fail if any finding fails, else pass if any passes.
fn verdicts(control: &str) -> (BTreeMap<String, Status>, Vec<String>) {
    let config = Config {
        include_passed: true,
        // Version support (CP-006 on Nodes) is judged on a fixed date, not on today.
        as_of: Some(aksguard::aks::versions::Date::parse("2026-06-01").unwrap()),
        ..Config::default()
    };
    let result = scan(&[Input::Path(fixture(control))], &config);
    assert!(
        result.errors.is_empty(),
        "{control}: input errors {:?}",
        result.errors
    );
    let mut out: BTreeMap<String, Status> = BTreeMap::new();
    let mut names = Vec::new();
    for f in &result.findings {
        let name = f.object.as_ref().unwrap().name.clone();
        if !names.contains(&name) {
            names.push(name.clone());
        }
        if f.control != control {
            continue;
        }
        let e = out.entry(name).or_insert(f.status);
        if f.status == Status::Fail {
            *e = Status::Fail;
        }
    }
    (out, names)
}

#[test]
fn every_check_matches_its_fixture() {
    let mut problems = Vec::new();
    for control in checked_controls() {
        assert!(fixture(control).exists(), "no fixture for {control}");
        let (verdicts, names) = verdicts(control);
        let (mut passes, mut fails) = (0, 0);
        for name in &names {
            let got = verdicts.get(name).copied();
            let want = if name.starts_with("pass-") {
                passes += 1;
                Some(Status::Pass)
            } else if name.starts_with("fail-") {
                fails += 1;
                Some(Status::Fail)
            } else if name.starts_with("na-") {
                None
            } else if name.starts_with("ne-") {
                Some(Status::NotEvaluated)
            } else {
                continue;
            };
            if got != want {
                problems.push(format!("{control} {name}: expected {want:?}, got {got:?}"));
            }
        }
        assert!(
            passes > 0 && fails > 0,
            "{control}: fixture needs pass-* and fail-* objects"
        );
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_registered_control_is_in_the_catalogue() {
    let cat = aksguard::catalog::Catalog::get();
    for id in checked_controls() {
        let c = cat
            .control(id)
            .unwrap_or_else(|| panic!("{id} not in catalogue"));
        assert!(
            c.evidence.contains(&aksguard::catalog::Evidence::Manifest),
            "{} is checked on manifests but its evidence does not list `manifest`",
            c.id
        );
    }
}
