//! Cluster-wide checks: exposure.

use super::super::{InventoryCheck, ObjectCheck};

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[];
