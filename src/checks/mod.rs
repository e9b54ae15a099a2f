//! Checks: pure functions of an object (or, later, of the whole inventory) that give verdicts
//! for one control each. The registry below lists every check once.

pub mod aks;
pub mod cluster;
pub mod image;
pub mod pod;
pub mod workload;

use std::sync::{Arc, LazyLock};

use crate::config::Config;
use crate::inventory::{Inventory, WORKLOADS};
use crate::k8s::Object;
use crate::k8s::workload::{PodSpec, pod_spec};
use crate::model::Status;
use crate::model::{Location, ObjectRef};
use crate::spans::Path;

/// What checks may read besides the object.
pub struct Ctx<'a> {
    pub config: &'a Config,
}

/// One verdict of a check on the object it was given.
#[derive(Debug)]
pub struct Verdict {
    pub status: Status,
    pub message: String,
    /// Field the verdict is about (None: the object itself).
    pub path: Option<Path>,
}

/// Collects the verdicts of one check on one object.
#[derive(Default)]
pub struct Verdicts {
    pub list: Vec<Verdict>,
}

impl Verdicts {
    pub fn fail(&mut self, path: Path, message: impl Into<String>) {
        self.list.push(Verdict {
            status: Status::Fail,
            message: message.into(),
            path: Some(path),
        });
    }

    pub fn pass(&mut self, message: impl Into<String>) {
        self.list.push(Verdict {
            status: Status::Pass,
            message: message.into(),
            path: None,
        });
    }

    pub fn not_evaluated(&mut self, path: Option<Path>, message: impl Into<String>) {
        self.list.push(Verdict {
            status: Status::NotEvaluated,
            message: message.into(),
            path,
        });
    }

    pub fn has_fail(&self) -> bool {
        self.list.iter().any(|v| v.status == Status::Fail)
    }

    /// Adds `pass` when nothing was reported.
    pub fn pass_if_clean(&mut self, message: impl Into<String>) {
        if self.list.is_empty() {
            self.pass(message);
        }
    }
}

/// A check that looks at one object at a time.
pub struct ObjectCheck {
    /// Control id in the catalogue.
    pub control: &'static str,
    /// Kinds the check judges (any API group; [`WORKLOADS`] for every kind with a pod spec).
    /// When a live cluster refuses to list one of them, the control is not evaluated.
    pub kinds: &'static [&'static str],
    pub run: fn(&Object, &Ctx, &mut Verdicts),
}

/// A check over everything scanned (RBAC resolution, network-policy coverage, ...).
pub struct InventoryCheck {
    /// Control id in the catalogue.
    pub control: &'static str,
    /// Kinds the check reads (any API group); [`crate::inventory::WORKLOADS`] for workload
    /// summaries, `<gatekeeper-constraints>` for Gatekeeper constraints. Only these are kept.
    pub kinds: &'static [&'static str],
    pub run: fn(&Inventory, &Ctx, &mut Vec<InvVerdict>),
}

/// One verdict of an inventory check: about an object, or a namespace as a whole.
#[derive(Debug)]
pub struct InvVerdict {
    pub status: Status,
    pub message: String,
    pub object: Arc<ObjectRef>,
    pub location: Option<Location>,
}

impl InvVerdict {
    /// A verdict on a field of an object (its line when known).
    pub fn on(
        obj: &Object,
        path: Option<&Path>,
        status: Status,
        message: impl Into<String>,
    ) -> InvVerdict {
        InvVerdict {
            status,
            message: message.into(),
            object: obj.reference.clone(),
            location: Some(match path {
                Some(p) => obj.location(p),
                None => obj.object_location(),
            }),
        }
    }

    /// A verdict on a namespace as a whole: object `{kind: Namespace, name}`, located at the
    /// Namespace object when it was scanned.
    pub fn namespace(
        inv: &Inventory,
        name: &str,
        status: Status,
        message: impl Into<String>,
    ) -> InvVerdict {
        let ns_obj = inv
            .objects
            .iter()
            .find(|o| o.kind() == "Namespace" && o.api_version() == "v1" && o.name() == name);
        InvVerdict {
            status,
            message: message.into(),
            object: Arc::new(ObjectRef {
                api_version: "v1".to_string(),
                kind: "Namespace".to_string(),
                namespace: None,
                name: name.to_string(),
                id: None,
            }),
            location: ns_obj.map(|o| o.location()),
        }
    }
}

/// The kinds [`WORKLOADS`] stands for: every built-in kind with a pod spec.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Whether a check that lists `kinds` reads objects of `kind`.
pub fn reads_kind(kinds: &[&str], kind: &str) -> bool {
    kinds
        .iter()
        .any(|k| *k == kind || (*k == WORKLOADS && WORKLOAD_KINDS.contains(&kind)))
}

/// Per-object checks of every family, one per control, in registry order.
pub fn object_checks() -> &'static [ObjectCheck] {
    static ALL: LazyLock<Vec<ObjectCheck>> = LazyLock::new(|| {
        WORKLOAD_CHECKS
            .iter()
            .chain(cluster::object_checks())
            .map(|c| ObjectCheck {
                control: c.control,
                kinds: c.kinds,
                run: c.run,
            })
            .collect()
    });
    &ALL
}

/// Inventory checks of every family.
pub fn inventory_checks() -> Vec<&'static InventoryCheck> {
    cluster::inventory_checks().collect()
}

/// Per-object checks of pod specs and images.
pub static WORKLOAD_CHECKS: &[ObjectCheck] = &[
    ObjectCheck {
        control: "WL-001",
        kinds: &[WORKLOADS],
        run: pod::run_as_non_root,
    },
    ObjectCheck {
        control: "WL-002",
        kinds: &[WORKLOADS],
        run: pod::privileged,
    },
    ObjectCheck {
        control: "WL-003",
        kinds: &[WORKLOADS],
        run: pod::privilege_escalation,
    },
    ObjectCheck {
        control: "WL-004",
        kinds: &[WORKLOADS],
        run: pod::capabilities_drop_all,
    },
    ObjectCheck {
        control: "WL-005",
        kinds: &[WORKLOADS],
        run: pod::dangerous_capabilities,
    },
    ObjectCheck {
        control: "WL-006",
        kinds: &[WORKLOADS],
        run: pod::read_only_root_filesystem,
    },
    ObjectCheck {
        control: "WL-007",
        kinds: &[WORKLOADS],
        run: pod::host_namespaces,
    },
    ObjectCheck {
        control: "WL-008",
        kinds: &[WORKLOADS],
        run: pod::host_path,
    },
    ObjectCheck {
        control: "WL-009",
        kinds: &[WORKLOADS],
        run: pod::host_ports,
    },
    ObjectCheck {
        control: "WL-010",
        kinds: &[WORKLOADS],
        run: pod::seccomp,
    },
    ObjectCheck {
        control: "WL-011",
        kinds: &[WORKLOADS],
        run: pod::apparmor_selinux,
    },
    ObjectCheck {
        control: "WL-012",
        kinds: &[WORKLOADS],
        run: pod::sysctls,
    },
    ObjectCheck {
        control: "WL-013",
        kinds: &[WORKLOADS],
        run: workload::resources,
    },
    ObjectCheck {
        control: "WL-014",
        kinds: &[WORKLOADS],
        run: workload::probes,
    },
    ObjectCheck {
        control: "WL-015",
        kinds: &[WORKLOADS],
        run: pod::pss_baseline,
    },
    ObjectCheck {
        control: "WL-016",
        kinds: &[WORKLOADS],
        run: pod::pss_restricted,
    },
    ObjectCheck {
        control: "WL-017",
        kinds: &[WORKLOADS],
        run: workload::default_namespace,
    },
    ObjectCheck {
        control: "ID-001",
        kinds: &[WORKLOADS],
        run: workload::token_automount,
    },
    ObjectCheck {
        control: "ID-002",
        kinds: &[WORKLOADS],
        run: workload::dedicated_service_account,
    },
    ObjectCheck {
        control: "SC-001",
        kinds: &[WORKLOADS],
        run: image::tag_pinned,
    },
    ObjectCheck {
        control: "SC-002",
        kinds: &[WORKLOADS],
        run: image::digest_pinned,
    },
    ObjectCheck {
        control: "SC-003",
        kinds: &[WORKLOADS],
        run: image::trusted_registries,
    },
];

/// Runs `f` on the pod spec of a workload; objects without one get no verdict.
pub fn with_pod<'o>(
    obj: &'o Object,
    out: &mut Verdicts,
    f: impl FnOnce(&PodSpec<'o>, &mut Verdicts),
) {
    if let Some(pod) = pod_spec(obj) {
        f(&pod, out);
    }
}

/// Runs one check on an object given as JSON (unit tests).
#[cfg(test)]
pub(crate) fn run_on(
    check: fn(&Object, &Ctx, &mut Verdicts),
    object: serde_json::Value,
) -> Vec<(Status, String)> {
    use std::sync::Arc;
    let serde_json::Value::Object(map) = object else {
        panic!("not an object: {object}");
    };
    let obj = Object::new(
        map,
        Arc::new(crate::spans::Spans::default()),
        Path::root(),
        crate::k8s::Provenance {
            file: Arc::from("test.yaml"),
            document: Some(0),
            line: Some(1),
        },
    );
    let config = Config::default();
    let mut out = Verdicts::default();
    check(&obj, &Ctx { config: &config }, &mut out);
    out.list
        .into_iter()
        .map(|v| (v.status, v.message))
        .collect()
}
