//! Cluster-wide Kubernetes controls: checks that need several objects at once (or objects
//! other than workloads). Each family lists its checks in its own module.

pub mod admission;
pub mod exposure;
pub mod governance;
pub mod identity;
pub mod mesh;
pub mod namespaces;
pub mod network;
pub mod nodes;
pub mod rbac;
pub mod resilience;
pub mod secrets;

use super::{InventoryCheck, ObjectCheck};

macro_rules! families {
    ($list:ident) => {
        [
            rbac::$list,
            network::$list,
            exposure::$list,
            namespaces::$list,
            secrets::$list,
            identity::$list,
            admission::$list,
            mesh::$list,
            governance::$list,
            resilience::$list,
            nodes::$list,
        ]
    };
}

pub fn object_checks() -> impl Iterator<Item = &'static ObjectCheck> {
    families!(OBJECT_CHECKS).into_iter().flatten()
}

pub fn inventory_checks() -> impl Iterator<Item = &'static InventoryCheck> {
    families!(INVENTORY_CHECKS).into_iter().flatten()
}
