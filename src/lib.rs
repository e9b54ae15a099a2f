//! aksguard: evidence-based Kubernetes and AKS security checklist scanner.
//!
//! Data flows one way: inputs → [`load`] → objects ([`k8s`]) → [`checks`] → findings
//! ([`model`]) → aggregation ([`engine`]) → [`policy`] → [`report`].

pub mod aks;
pub mod catalog;
pub mod checks;
pub mod config;
pub mod engine;
pub mod inventory;
pub mod k8s;
pub mod live;
pub mod load;
pub mod model;
pub mod policy;
pub mod report;
pub mod spans;
pub mod trace;
