//! The result model every report renders: statuses, severities, findings, input errors.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::aks::versions::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity `{s}` (critical, high, medium, low, info)"))
    }
}

/// Status of a finding or of a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    Pass,
    NotEvaluated,
    NotApplicable,
    Waived,
    Manual,
    Attested,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Pass => "pass",
            Status::NotEvaluated => "not-evaluated",
            Status::NotApplicable => "not-applicable",
            Status::Waived => "waived",
            Status::Manual => "manual",
            Status::Attested => "attested",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Kubernetes (or Azure) object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// Azure resource id (AKS clusters), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{} ({})", self.kind, self.name, ns),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Where the evidence is: file and line, and the JSON pointer of the field inside the object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Index of the YAML document in its file (0-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<u32>,
    /// JSON pointer of the offending field inside the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Arc<str>>,
}

/// One verdict of one control on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub control: &'static str,
    pub status: Status,
    pub severity: Severity,
    pub message: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Arc<ObjectRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// How to fix a failure in the input's own terms (`az aks update ...`, the template
    /// property, the Terraform argument), when the check knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Arc<str>>,
    /// The waiver that accepted this failure (status `waived`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Arc<Waiver>>,
}

/// A waiver: a failure accepted by a person, with why, who and until when.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Waiver {
    /// The control it waives (catalogue id).
    pub control: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// Where it was granted: the configuration file, or an object's annotation.
    pub origin: WaiverOrigin,
}

/// Where a waiver comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WaiverOrigin {
    /// An entry of `waivers:` in the configuration file, with what it selects.
    Config {
        file: Arc<str>,
        line: Option<u32>,
        /// The objects it applies to, as written (`Deployment legacy/old-agent`, `all`).
        selects: String,
    },
    /// An `aksguard.io/waive.<control>` annotation on the object itself.
    Annotation {
        file: Arc<str>,
        line: Option<u32>,
        key: String,
        object: Arc<ObjectRef>,
    },
}

impl WaiverOrigin {
    /// `FILE:LINE` of the waiver.
    pub fn place(&self) -> String {
        let (file, line) = match self {
            WaiverOrigin::Config { file, line, .. }
            | WaiverOrigin::Annotation { file, line, .. } => (file, line),
        };
        place(file, *line)
    }
}

/// `FILE:LINE`, or `FILE` alone.
pub fn place(file: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    }
}

impl Finding {
    /// Sort key: control, file, document, line, object, status, message, field. It covers every
    /// field, so equal keys mean equal findings and any sort gives the same output.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.control,
            self.location
                .as_ref()
                .map(|l| (&*l.file, l.document, l.line, l.path.as_deref())),
            self.object.as_deref(),
            self.status,
            &self.message,
            self.severity,
            self.fix.as_deref(),
            self.waiver.as_deref(),
        )
    }
}

/// An input that could not be read or parsed (or a note about one that was skipped).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputError {
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
}

/// Something skipped on purpose that a user may want to know about (not an error).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
}
