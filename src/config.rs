//! Settings that shape a scan. Issue #6 adds the `.aksguard.yaml` file; today they come from
//! the command line.

use std::sync::Arc;

use crate::aks::source::Options as AksOptions;
use crate::aks::versions::{Calendar, Date};
use crate::model::Severity;

#[derive(Debug, Clone)]
pub struct Config {
    /// Registry host patterns that images may come from (`*.azurecr.io`, `mcr.microsoft.com`).
    pub allowed_registries: Vec<String>,
    /// Lowest severity of a failing finding that makes the exit code 1.
    pub fail_on: Severity,
    /// Keep passing findings in the result (they are always counted).
    pub include_passed: bool,
    /// Labels every namespace and workload must carry (AD-005).
    pub required_labels: Vec<String>,
    /// Compute every subject's effective RBAC rights (`aksguard rbac`).
    pub rbac_inventory: bool,
    /// How AKS evidence is assembled (ARM parameter files given on the command line).
    pub aks: AksOptions,
    /// The Kubernetes version calendar (`--aks-versions`); the built-in one when None.
    pub aks_calendar: Option<Arc<Calendar>>,
    /// The date version support, waivers and attestations are judged on (`--as-of`); today
    /// when None.
    pub as_of: Option<Date>,
    /// Groups (and users) that hold cluster-admin rights by design (RBAC controls).
    pub admin_groups: Vec<String>,
    /// Namespaces run by the platform, exempt from the application-namespace controls.
    pub system_namespaces: Vec<String>,
    /// Waivers, overrides, enabled controls and attestations (`.aksguard.yaml`).
    pub policy: Arc<crate::policy::Policy>,
}

pub const DEFAULT_REGISTRIES: &[&str] = &["*.azurecr.io", "mcr.microsoft.com"];

/// Ownership labels required by default (AD-005).
pub const DEFAULT_REQUIRED_LABELS: &[&str] = &["app.kubernetes.io/name", "owner", "environment"];

impl Default for Config {
    fn default() -> Self {
        Config {
            allowed_registries: DEFAULT_REGISTRIES.iter().map(|s| s.to_string()).collect(),
            fail_on: Severity::Low,
            include_passed: false,
            required_labels: DEFAULT_REQUIRED_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rbac_inventory: false,
            aks: AksOptions::default(),
            aks_calendar: None,
            as_of: None,
            admin_groups: Vec::new(),
            system_namespaces: crate::checks::cluster::namespaces::SYSTEM_NAMESPACES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            policy: Arc::default(),
        }
    }
}
