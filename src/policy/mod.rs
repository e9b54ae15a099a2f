//! Policy: what a team decided about the results, applied after the checks so that checks stay
//! simple. Enabled and disabled controls, severity overrides, waivers (configuration file and
//! `aksguard.io/waive.<control>` annotations) and attestations (answers of a person to the
//! manual and partial items). Then the per-item statuses of the source checklists and the
//! scores every report renders.

pub mod apply;
pub mod file;
pub mod init;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{Item, Layer};
use crate::model::{Date, InputError, ObjectRef, Severity, Status, Waiver};

pub use apply::apply;

/// An object's own waiver annotation, collected while the object is checked (objects are not
/// kept after that).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AnnotationWaiver {
    pub object: Arc<ObjectRef>,
    pub file: Arc<str>,
    pub document: Option<u32>,
    pub line: Option<u32>,
    /// The whole annotation key (`aksguard.io/waive.WL-002`).
    pub key: String,
    pub value: String,
}

/// The annotation key prefix of a waiver.
pub const WAIVE_PREFIX: &str = "aksguard.io/waive.";

/// The policy of a scan (the configuration file's decisions and the attestations).
#[derive(Debug, Clone)]
pub struct Policy {
    /// The configuration file these come from, if any.
    pub config_file: Option<Arc<str>>,
    /// Only these controls are checked (all when None).
    pub enable: Option<BTreeSet<&'static str>>,
    /// These controls are not checked.
    pub disable: BTreeSet<&'static str>,
    pub severity: BTreeMap<&'static str, Severity>,
    pub waivers: Vec<ConfigWaiver>,
    /// Waivers without an expiry date are refused.
    pub require_expiry: bool,
    /// Waiver annotations on objects are honoured.
    pub annotation_waivers: bool,
    /// Controls that annotation waivers may not waive.
    pub forbid_annotation: BTreeSet<&'static str>,
    /// The attestations file, if any.
    pub attestations_file: Option<Arc<str>>,
    pub attestations: Vec<Arc<Attestation>>,
    /// Problems of the attestations file (unknown ids, bad entries), reported with the scan.
    pub attestation_errors: Vec<InputError>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            config_file: None,
            enable: None,
            disable: BTreeSet::new(),
            severity: BTreeMap::new(),
            waivers: Vec::new(),
            require_expiry: true,
            annotation_waivers: true,
            forbid_annotation: BTreeSet::new(),
            attestations_file: None,
            attestations: Vec::new(),
            attestation_errors: Vec::new(),
        }
    }
}

impl Policy {
    pub fn is_enabled(&self, control: &str) -> bool {
        !self.disable.contains(control) && self.enable.as_ref().is_none_or(|e| e.contains(control))
    }
}

/// A waiver of the configuration file and the objects it selects (globs with `*`).
#[derive(Debug, Clone)]
pub struct ConfigWaiver {
    pub waiver: Arc<Waiver>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// A glob on the finding's file (or `CONTEXT:API-PATH` of a live cluster).
    pub file: Option<String>,
}

/// A person's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Yes,
    No,
    NotApplicable,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NotApplicable => "not-applicable",
        }
    }
}

/// One answer of the attestations file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Attestation {
    /// Checklist item id (ASC-12) or control id (OR-001), as the catalogue spells it.
    pub id: String,
    pub answer: Answer,
    pub owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// What became of a waiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    /// It waived at least one failing finding.
    Applied,
    /// Nothing it selects failed: it can be removed.
    Unused,
    /// Its expiry date has passed: the failures it selects fail again.
    Expired,
    /// An annotation waiver of a control the configuration reserves for itself.
    Forbidden,
    /// No expiry date while the configuration requires one.
    NoExpiry,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaiverUse {
    #[serde(flatten)]
    pub waiver: Arc<Waiver>,
    pub state: WaiverState,
    /// Failing findings it waived.
    pub findings: u64,
}

/// What became of an attestation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationState {
    /// It answers its item or control.
    Applied,
    /// Its expiry date has passed: the item is open again.
    Expired,
    /// The control failed on evidence: a `yes` does not turn that into a pass.
    Contradicted,
    /// A later entry for the same id replaces it.
    Superseded,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttestationUse {
    #[serde(flatten)]
    pub attestation: Arc<Attestation>,
    pub state: AttestationState,
}

/// What the policy did, for the reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestations_file: Option<Arc<str>>,
    /// Controls disabled by the configuration.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<&'static str>,
    /// Severities changed by the configuration (control, catalogue severity, new severity).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub severity_overrides: Vec<SeverityOverride>,
    pub waivers: Vec<WaiverUse>,
    pub attestations: Vec<AttestationUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityOverride {
    pub control: &'static str,
    pub catalogue: Severity,
    pub severity: Severity,
}

/// The status of one checklist item, from the controls that cover it and its attestation.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    #[serde(skip)]
    pub item: &'static Item,
    pub id: &'static str,
    pub checklist: &'static str,
    pub section: &'static str,
    pub text: &'static str,
    /// `manual` means open: a person has not answered it yet.
    pub status: Status,
    pub controls: Vec<ItemControl>,
    /// The attestation answering the item itself (or its only manual control).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Arc<Attestation>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemControl {
    pub id: &'static str,
    pub status: Status,
}

/// Scores of a set of controls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Score {
    /// Controls in the set.
    pub controls: u64,
    /// Controls with an answer on evidence or by a person: pass, fail, waived, attested.
    pub evaluated: u64,
    /// Of those, passing (pass, attested yes).
    pub passing: u64,
    /// Controls answered at all (everything but not-evaluated and open manual controls).
    pub answered: u64,
    /// `passing / evaluated` in percent (one decimal), absent when nothing was evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passing_percent: Option<f64>,
    /// `answered / controls` in percent (one decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerScore {
    pub layer: Layer,
    pub title: &'static str,
    #[serde(flatten)]
    pub score: Score,
}

/// How much of one source checklist the scan answered.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistScore {
    pub checklist: &'static str,
    pub items: u64,
    /// Items with an answer (passed, failed, waived, attested, not applicable).
    pub answered: u64,
    pub passed: u64,
    pub failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_percent: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    pub overall: Score,
    pub layers: Vec<LayerScore>,
    pub checklists: Vec<ChecklistScore>,
}

/// `part / whole` in percent with one decimal.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}
