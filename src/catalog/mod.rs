//! The control catalogue and the checklist items it answers.
//!
//! Controls are data (`controls.yaml`, compiled into the binary); checklist items come from the
//! five source checklists (`items.tsv`). A control `covers` the item ids it answers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

const CONTROLS_YAML: &str = include_str!("controls.yaml");
const ITEMS_TSV: &str = include_str!("items.tsv");

/// The outside-in layers of the hardening checklist, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    ControlPlane,
    NetworkEdge,
    AdmissionGovernance,
    ClusterNetworking,
    IdentityAccess,
    WorkloadSecurity,
    ObservabilityResponse,
    DataProtection,
    SupplyChain,
    SecretsHygiene,
    Organization,
}

impl Layer {
    pub const ALL: [Layer; 11] = [
        Layer::ControlPlane,
        Layer::NetworkEdge,
        Layer::AdmissionGovernance,
        Layer::ClusterNetworking,
        Layer::IdentityAccess,
        Layer::WorkloadSecurity,
        Layer::ObservabilityResponse,
        Layer::DataProtection,
        Layer::SupplyChain,
        Layer::SecretsHygiene,
        Layer::Organization,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Layer::ControlPlane => "control-plane",
            Layer::NetworkEdge => "network-edge",
            Layer::AdmissionGovernance => "admission-governance",
            Layer::ClusterNetworking => "cluster-networking",
            Layer::IdentityAccess => "identity-access",
            Layer::WorkloadSecurity => "workload-security",
            Layer::ObservabilityResponse => "observability-response",
            Layer::DataProtection => "data-protection",
            Layer::SupplyChain => "supply-chain",
            Layer::SecretsHygiene => "secrets-hygiene",
            Layer::Organization => "organization",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Layer::ControlPlane => "CP",
            Layer::NetworkEdge => "NE",
            Layer::AdmissionGovernance => "AD",
            Layer::ClusterNetworking => "NW",
            Layer::IdentityAccess => "ID",
            Layer::WorkloadSecurity => "WL",
            Layer::ObservabilityResponse => "OB",
            Layer::DataProtection => "DP",
            Layer::SupplyChain => "SC",
            Layer::SecretsHygiene => "SH",
            Layer::Organization => "OR",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Layer::ControlPlane => "Azure tenant & control plane",
            Layer::NetworkEdge => "Network edge",
            Layer::AdmissionGovernance => "Admission & governance",
            Layer::ClusterNetworking => "Cluster networking",
            Layer::IdentityAccess => "Identity & access",
            Layer::WorkloadSecurity => "Workload security",
            Layer::ObservabilityResponse => "Observability & response",
            Layer::DataProtection => "Data protection & recovery",
            Layer::SupplyChain => "Supply chain & registry",
            Layer::SecretsHygiene => "Access & secrets hygiene",
            Layer::Organization => "Organization & process",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Automation {
    Automated,
    Partial,
    Manual,
}

impl Automation {
    pub fn as_str(self) -> &'static str {
        match self {
            Automation::Automated => "automated",
            Automation::Partial => "partial",
            Automation::Manual => "manual",
        }
    }
}

/// Where a control's evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    Manifest,
    Cluster,
    Aks,
    Azure,
    Dockerfile,
    Repo,
    Attestation,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Manifest => "manifest",
            Evidence::Cluster => "cluster",
            Evidence::Aks => "aks",
            Evidence::Azure => "azure",
            Evidence::Dockerfile => "dockerfile",
            Evidence::Repo => "repo",
            Evidence::Attestation => "attestation",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Evidence::Manifest => "Kubernetes manifests",
            Evidence::Cluster => "a live cluster",
            Evidence::Aks => "AKS cluster configuration",
            Evidence::Azure => "Azure resources",
            Evidence::Dockerfile => "Dockerfiles",
            Evidence::Repo => "the source repository",
            Evidence::Attestation => "an attestation",
        }
    }
}

/// One control of the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub name: String,
    pub title: String,
    pub layer: Layer,
    pub severity: Severity,
    pub automation: Automation,
    pub evidence: Vec<Evidence>,
    pub concept: String,
    pub covers: Vec<String>,
    pub summary: String,
    pub rationale: String,
    pub remediation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xref: BTreeMap<String, Vec<String>>,
}

/// One item of a source checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    pub checklist: String,
    pub section: String,
    pub text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub severity_in_seed: String,
    pub evidence: Vec<String>,
    pub automation: String,
    /// How the item could be checked.
    pub how: String,
}

pub struct Catalog {
    pub controls: Vec<Control>,
    pub items: Vec<Item>,
    /// Index of each control by exact id (the engine looks a control up per finding).
    by_id: std::collections::HashMap<String, usize>,
}

impl Catalog {
    pub fn get() -> &'static Catalog {
        static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
            Catalog::parse(CONTROLS_YAML, ITEMS_TSV)
                .unwrap_or_else(|e| panic!("built-in catalogue is invalid: {e}"))
        });
        &CATALOG
    }

    pub fn parse(controls_yaml: &str, items_tsv: &str) -> Result<Catalog, String> {
        let controls: Vec<Control> =
            serde_saphyr::from_str(controls_yaml).map_err(|e| format!("controls.yaml: {e}"))?;
        let mut items = Vec::new();
        for (n, line) in items_tsv.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 8 {
                return Err(format!("items.tsv line {}: expected 9 columns", n + 1));
            }
            items.push(Item {
                id: f[0].to_string(),
                checklist: f[1].to_string(),
                section: f[2].to_string(),
                text: f[3].to_string(),
                severity_in_seed: f[4].to_string(),
                evidence: f[5]
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                automation: f[6].to_string(),
                how: f[7].to_string(),
            });
        }
        Ok(Catalog::new(controls, items))
    }

    pub fn new(controls: Vec<Control>, items: Vec<Item>) -> Catalog {
        let by_id = controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        Catalog {
            controls,
            items,
            by_id,
        }
    }

    pub fn control(&self, id_or_name: &str) -> Option<&Control> {
        if let Some(i) = self.by_id.get(id_or_name) {
            return self.controls.get(*i);
        }
        self.controls
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(id_or_name) || c.name == id_or_name)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id.eq_ignore_ascii_case(id))
    }

    /// Controls that cover an item.
    pub fn covering(&self, item_id: &str) -> Vec<&Control> {
        self.controls
            .iter()
            .filter(|c| c.covers.iter().any(|i| i == item_id))
            .collect()
    }

    /// The source checklists in the order of `items.tsv`.
    pub fn checklists(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for i in &self.items {
            if !out.contains(&i.checklist.as_str()) {
                out.push(&i.checklist);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_item_is_covered() {
        let cat = Catalog::get();
        assert_eq!(cat.items.len(), 241);
        let uncovered: Vec<&str> = cat
            .items
            .iter()
            .filter(|i| cat.covering(&i.id).is_empty())
            .map(|i| i.id.as_str())
            .collect();
        assert!(
            uncovered.is_empty(),
            "items not covered by any control: {uncovered:?}"
        );
    }

    #[test]
    fn covers_name_real_items() {
        let cat = Catalog::get();
        let ids: HashSet<&str> = cat.items.iter().map(|i| i.id.as_str()).collect();
        for c in &cat.controls {
            for i in &c.covers {
                assert!(ids.contains(i.as_str()), "{} covers unknown item {i}", c.id);
            }
        }
    }

    #[test]
    fn ids_are_unique_and_match_layer() {
        let cat = Catalog::get();
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for c in &cat.controls {
            assert!(ids.insert(&c.id), "duplicate id {}", c.id);
            assert!(names.insert(&c.name), "duplicate name {}", c.name);
            let (code, num) = c.id.split_once('-').expect("id format");
            assert_eq!(code, c.layer.code(), "{}", c.id);
            assert!(
                num.len() == 3 && num.chars().all(|d| d.is_ascii_digit()),
                "{}",
                c.id
            );
            if c.automation != Automation::Automated {
                assert!(
                    c.question.is_some(),
                    "{} needs a question for attestation",
                    c.id
                );
            }
        }
    }

    #[test]
    fn five_checklists() {
        assert_eq!(Catalog::get().checklists().len(), 5);
    }
}
