//! What the checkov conformance suites share: the fixture root, the TSV files (mapping and listed
//! disagreements) with their validation, and the check that the mapping fits the expectations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const RELATIONS: &[&str] = &["same", "stricter", "looser", "part"];
pub const SIDES: &[&str] = &["ours-stricter", "checkov-wrong", "ours-wrong", "by-design"];

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkov")
}

/// Rows of a TSV file with a header line; `#` lines and blank lines are skipped.
pub fn read_tsv(name: &str, columns: usize) -> Vec<Vec<String>> {
    let path = root().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        assert_eq!(
            cells.len(),
            columns,
            "{name}:{}: expected {columns} tab-separated columns, got {}",
            i + 1,
            cells.len()
        );
        rows.push(cells);
    }
    rows
}

pub struct Mapping {
    pub control: String,
    pub relation: String,
}

/// The mapping file: `check_id control relation note`.
pub fn read_mapping(name: &str) -> BTreeMap<String, Mapping> {
    let mut map = BTreeMap::new();
    for row in read_tsv(name, 4) {
        let [check, control, relation, note] = <[String; 4]>::try_from(row).expect("four columns");
        if control == "-" {
            assert_eq!(relation, "-", "{check}: unmapped checks have relation `-`");
        } else {
            assert!(
                RELATIONS.contains(&relation.as_str()),
                "{check}: relation `{relation}` is not one of {RELATIONS:?}"
            );
        }
        assert!(!note.trim().is_empty(), "{check}: the note is empty");
        let dup = map.insert(check.clone(), Mapping { control, relation });
        assert!(dup.is_none(), "{check} is mapped twice");
    }
    map
}

/// The mapping covers exactly the checks of the expectations, and every mapped control is one
/// `aksguard controls` lists.
pub fn check_mapping(
    mapping: &BTreeMap<String, Mapping>,
    in_expected: &BTreeSet<&str>,
    mapping_file: &str,
    expected_file: &str,
) {
    let unmapped: Vec<&&str> = in_expected
        .iter()
        .filter(|c| !mapping.contains_key(**c))
        .collect();
    assert!(
        unmapped.is_empty(),
        "checks missing from {mapping_file}: {unmapped:?}"
    );
    let extra: Vec<&String> = mapping
        .keys()
        .filter(|c| !in_expected.contains(c.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "{mapping_file} names checks not in {expected_file}: {extra:?}"
    );
    let controls = Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .arg("controls")
        .output()
        .expect("cannot run aksguard controls");
    let controls = String::from_utf8_lossy(&controls.stdout).to_string();
    for (check, m) in mapping {
        if m.control != "-" {
            assert!(
                controls.split_whitespace().any(|w| w == m.control),
                "{check} maps to {}, which `aksguard controls` does not list",
                m.control
            );
        }
    }
}

/// A path of our report relative to the fixture root, with `/` separators.
pub fn relative(file: &str, root: &Path) -> String {
    let p = Path::new(file);
    let p = p.strip_prefix(root).unwrap_or(p);
    let s = p.to_string_lossy().replace('\\', "/");
    s.trim_start_matches("./").to_string()
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Disagreement {
    pub check: String,
    pub file: String,
    pub resource: String,
    pub expected: String,
    pub ours: String,
}

pub struct Listed {
    pub d: Disagreement,
    pub side: String,
    pub reason: String,
}

/// The listed disagreements: `check_id file resource expected ours side reason`.
pub fn read_listed(name: &str, mapping: &BTreeMap<String, Mapping>) -> Vec<Listed> {
    read_tsv(name, 7)
        .into_iter()
        .map(|row| {
            let [check, file, resource, expected, ours, side, reason] =
                <[String; 7]>::try_from(row).expect("seven columns");
            assert!(
                SIDES.contains(&side.as_str()),
                "{name}: {check} {resource}: side `{side}` is not one of {SIDES:?}"
            );
            assert!(
                mapping.get(&check).is_some_and(|m| m.control != "-"),
                "{name}: {check} is not mapped to a control"
            );
            assert!(
                !reason.trim().is_empty(),
                "{name}: {check} {resource}: no reason"
            );
            Listed {
                d: Disagreement {
                    check,
                    file,
                    resource,
                    expected,
                    ours,
                },
                side,
                reason,
            }
        })
        .collect()
}

/// `CKV_K8S_8` before `CKV_K8S_10`, graph checks (`CKV2_`) last.
pub fn check_order(id: &str) -> (bool, u32) {
    let n = id
        .rsplit('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (id.starts_with("CKV2"), n)
}
