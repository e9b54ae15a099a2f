//! Cluster-wide checks: rbac.
//!
//! Every RoleBinding/ClusterRoleBinding is resolved to its role's rules (a Role in the binding's
//! namespace or a ClusterRole, aggregated ClusterRoles included; see [`model`]).
//!
//! Where verdicts go:
//! - A problem in a rule (ID-010 wildcards, ID-011 escalation rights, ID-012 secret reads,
//!   ID-013 exec/attach/nodes-proxy) is reported on the Role/ClusterRole at `rules[i]`, with the
//!   subjects that hold it. A role that is not bound among the scanned inputs still fails (it can
//!   be bound later, and often is by another chart or by hand): the message says so. For ID-011
//!   to ID-013 a role held only by Kubernetes components and the admin groups passes; ID-012
//!   also accepts reads within one namespace (RoleBinding) except list/watch by ServiceAccounts,
//!   as its catalogue text says ("reading Secrets across namespaces").
//! - Built-in roles (the default ClusterRoles cluster-admin, admin, edit and view, `system:`
//!   roles, bootstrap-policy and AKS-managed roles) and aggregated ClusterRoles (whose rules are
//!   their sources') are not judged on their rules: ID-011 to ID-013 judge the bindings of
//!   built-in roles instead, on the binding at `subjects[i]` (bindings of cluster-admin are
//!   ID-009's).
//! - ID-009 judges every binding: cluster-admin or an equivalent role (`*` verbs on `*`
//!   resources in `*` API groups) to anyone outside the admin groups, and any binding naming
//!   system:masters or a broad group.
//! - ID-014 judges every binding by who holds write rights (create, update, patch, delete,
//!   deletecollection) on workloads: it fails per ServiceAccount subject and per user or group
//!   outside the deployment identities (none configurable yet), on the binding at `subjects[i]`.
//!   It leaves to ID-009 the bindings of cluster-admin or an equivalent role and the subjects
//!   system:masters and broad groups (no verdict), so the two never report the same subject.
//! - A binding whose role is not among the scanned inputs (and is not a built-in default
//!   ClusterRole, whose rules are known) is not-evaluated, never passed (ID-014 passes it when
//!   every subject is a Kubernetes component, kube-system controller or deployment identity).

#[path = "rbac_model.rs"]
pub mod model;

use std::collections::BTreeSet;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck};
use crate::inventory::Inventory;
use crate::model::Status;
pub use model::{
    Admins, Grant, Model, Resolved, Rule, Subject, SubjectRights, rights_of, subject_rights,
};

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[
    InventoryCheck {
        control: "ID-009",
        kinds: model::KINDS,
        run: cluster_admin_bindings,
    },
    InventoryCheck {
        control: "ID-010",
        kinds: model::KINDS,
        run: wildcards,
    },
    InventoryCheck {
        control: "ID-011",
        kinds: model::KINDS,
        run: escalation,
    },
    InventoryCheck {
        control: "ID-012",
        kinds: model::KINDS,
        run: secrets_read,
    },
    InventoryCheck {
        control: "ID-013",
        kinds: model::KINDS,
        run: pods_exec,
    },
    InventoryCheck {
        control: "ID-014",
        kinds: model::KINDS,
        run: workload_writers,
    },
];

/// The admin groups (and users) of the configuration (`admin-groups`); none by default, so
/// every subject is outside.
fn admins(ctx: &Ctx) -> Admins {
    Admins {
        groups: ctx.config.admin_groups.clone(),
    }
}

/// ClusterRoles anyone may be granted: discovery, self-review and public health/version info.
const DISCOVERY_ROLES: &[&str] = &[
    "system:discovery",
    "system:basic-user",
    "system:public-info-viewer",
];

/// `a, b, c and N more`.
fn list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

// ---------------------------------------------------------------------------------------------
// What each control looks for in a rule.

/// ID-010: `*` in verbs, resources (`*` or `*/subresource`) or apiGroups.
pub fn wildcard_fields(r: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    if r.verbs.iter().any(|v| v == "*") {
        out.push("verbs".to_string());
    }
    if r.resources.iter().any(|x| x == "*" || x.starts_with("*/")) {
        out.push("resources".to_string());
    }
    if r.api_groups.iter().any(|g| g == "*") {
        out.push("apiGroups".to_string());
    }
    out
}

/// ID-011: escalate/bind on roles, impersonation, CSR approval, webhook configuration writes.
pub fn escalation_rights(r: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    let rbac = model::RBAC_GROUP;
    for verb in ["escalate", "bind"] {
        let on: Vec<&str> = ["roles", "clusterroles"]
            .into_iter()
            .filter(|res| r.grants(rbac, res, verb))
            .collect();
        if !on.is_empty() {
            out.push(format!("{verb} on {}", on.join("/")));
        }
    }
    let mut imp: Vec<&str> = ["users", "groups", "serviceaccounts"]
        .into_iter()
        .filter(|res| r.grants("", res, "impersonate"))
        .collect();
    if r.grants("authentication.k8s.io", "uids", "impersonate") {
        imp.push("uids");
    }
    if r.has_group("authentication.k8s.io")
        && r.has_verb("impersonate")
        && r.resources
            .iter()
            .any(|x| x == "*" || x == "*/*" || x.starts_with("userextras/"))
    {
        imp.push("userextras");
    }
    if !imp.is_empty() {
        out.push(format!("impersonate on {}", imp.join("/")));
    }
    let approval: Vec<&str> = ["update", "patch"]
        .into_iter()
        .filter(|v| {
            r.grants(
                "certificates.k8s.io",
                "certificatesigningrequests/approval",
                v,
            )
        })
        .collect();
    if !approval.is_empty() {
        out.push(format!(
            "{} on certificatesigningrequests/approval",
            approval.join("/")
        ));
    }
    if r.grants("certificates.k8s.io", "signers", "approve") {
        out.push("approve on signers".to_string());
    }
    for res in [
        "validatingwebhookconfigurations",
        "mutatingwebhookconfigurations",
    ] {
        let verbs: Vec<&str> = ["create", "update", "patch", "delete", "deletecollection"]
            .into_iter()
            .filter(|v| r.grants("admissionregistration.k8s.io", res, v))
            .collect();
        if !verbs.is_empty() {
            out.push(format!("{} on {res}", verbs.join("/")));
        }
    }
    out
}

/// ID-012: get/list/watch on secrets of the core group, not restricted to named Secrets.
pub fn secret_reads(r: &Rule) -> Vec<String> {
    if !r.resource_names.is_empty() {
        return Vec::new();
    }
    let verbs: Vec<&str> = ["get", "list", "watch"]
        .into_iter()
        .filter(|v| r.grants("", "secrets", v))
        .collect();
    if verbs.is_empty() {
        Vec::new()
    } else {
        vec![format!("{} on secrets", verbs.join("/"))]
    }
}

/// ID-013: create or get on pods/exec and pods/attach, any access (get, create, update, patch,
/// delete) to nodes/proxy.
pub fn exec_rights(r: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    for res in ["pods/exec", "pods/attach"] {
        let verbs: Vec<&str> = ["create", "get"]
            .into_iter()
            .filter(|v| r.grants("", res, v))
            .collect();
        if !verbs.is_empty() {
            out.push(format!("{} on {res}", verbs.join("/")));
        }
    }
    // The verbs the API server proxy and the kubelet authorize nodes/proxy requests with.
    let verbs: Vec<&str> = ["get", "create", "update", "patch", "delete"]
        .into_iter()
        .filter(|v| r.grants("", "nodes/proxy", v))
        .collect();
    if !verbs.is_empty() {
        out.push(format!("{} on nodes/proxy", verbs.join("/")));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Rule-level and binding-level reporting shared by ID-010 to ID-013.

struct RuleControl {
    find: fn(&Rule) -> Vec<String>,
    /// What the control is about, for messages ("escalation rights").
    what: &'static str,
    /// Fail only when a holder is outside the admin groups and system components (ID-011 to
    /// ID-013); ID-010 fails on the rule whoever holds it.
    by_holder: bool,
    /// Whether holding this (offending) rule through a binding counts: (cluster-wide?, subject,
    /// rule). Admin groups and system components never count.
    counts: fn(bool, &Subject, &Rule) -> bool,
    /// Whether the rule fails in a role that is not bound among the scanned inputs.
    counts_unbound: fn(&model::RoleDef, &Rule) -> bool,
    /// What holders are accepted besides system components and admin groups (for messages).
    accepted: &'static str,
}

fn always(_: bool, _: &Subject, _: &Rule) -> bool {
    true
}

fn always_unbound(_: &model::RoleDef, _: &Rule) -> bool {
    true
}

/// One holder of a role's rules among the scanned inputs.
struct Holder<'m> {
    cluster_wide: bool,
    subject: &'m Subject,
    text: String,
}

fn holders<'m>(model: &'m Model, role: usize) -> (Vec<Holder<'m>>, Vec<String>) {
    let h = model.holders(role);
    let mut list = Vec::new();
    for &b in &h.bindings {
        let binding = &model.bindings[b];
        for s in &binding.subjects {
            list.push(Holder {
                cluster_wide: binding.cluster,
                subject: s,
                text: format!(
                    "{} via {} ({})",
                    s.describe(),
                    binding.describe(),
                    binding.scope()
                ),
            });
        }
    }
    let builtin = h
        .builtin
        .iter()
        .map(|name| {
            format!("everyone bound to the built-in ClusterRole {name}, into which it aggregates by label")
        })
        .collect();
    (list, builtin)
}

/// Verdict on one offending rule: (fail?, note on who holds it).
fn judge_rule(
    c: &RuleControl,
    admins: &Admins,
    role: &model::RoleDef,
    rule: &Rule,
    holders: &[Holder],
    builtin: &[String],
) -> (bool, String) {
    if holders.is_empty() && builtin.is_empty() {
        let fail = !c.by_holder || (c.counts_unbound)(role, rule);
        let note = if fail {
            "; not bound among the scanned inputs (it can be bound later)".to_string()
        } else {
            format!(
                "; not bound among the scanned inputs, and accepted whoever it is bound to in its namespace ({})",
                c.accepted
            )
        };
        return (fail, note);
    }
    if !c.by_holder {
        let mut all: Vec<String> = holders.iter().map(|h| h.text.clone()).collect();
        all.extend(builtin.iter().cloned());
        return (
            true,
            format!(
                "; among the scanned inputs it is granted to {}",
                list(&all, 3)
            ),
        );
    }
    let (mut outside, mut inside) = (Vec::new(), Vec::new());
    for h in holders {
        if !admins.contains(h.subject)
            && !h.subject.is_system_component()
            && (c.counts)(h.cluster_wide, h.subject, rule)
        {
            outside.push(h.text.clone());
        } else {
            inside.push(h.text.clone());
        }
    }
    outside.extend(builtin.iter().cloned());
    if outside.is_empty() {
        (
            false,
            format!(
                "; among the scanned inputs it is held only where this control accepts it ({}): {}",
                c.accepted,
                list(&inside, 3)
            ),
        )
    } else {
        (
            true,
            format!(
                "; among the scanned inputs it is granted to {}",
                list(&outside, 3)
            ),
        )
    }
}

fn rule_level(model: &Model, admins: &Admins, c: &RuleControl, out: &mut Vec<InvVerdict>) {
    for (i, role) in model.roles.iter().enumerate() {
        if role.is_builtin() || model.is_aggregated(i) {
            continue;
        }
        let obj = model.object(role.object);
        let label = format!("{} {}", role.kind(), role.name);
        let (holders, builtin) = holders(model, i);
        let mut accepted = Vec::new();
        let mut failed = false;
        for (k, rule) in role.rules.iter().enumerate() {
            let found = (c.find)(rule);
            if found.is_empty() {
                continue;
            }
            let (fail, note) = judge_rule(c, admins, role, rule, &holders, &builtin);
            if !fail {
                accepted.push(format!("rules[{k}] grants {}{note}", found.join(", ")));
                continue;
            }
            failed = true;
            let path = obj.path(&["rules"]).index(k);
            let msg = if c.by_holder {
                format!("{label} rules[{k}] grants {}{note}", found.join(", "))
            } else {
                format!(
                    "{label} rules[{k}] uses `*` in {}: it grants every current and future match{note}",
                    found.join(", ")
                )
            };
            out.push(InvVerdict::on(obj, Some(&path), Status::Fail, msg));
        }
        if failed {
            continue;
        }
        let msg = if accepted.is_empty() {
            format!("{label} grants no {} in its rules", c.what)
        } else {
            format!("{label}: {}", accepted.join("; "))
        };
        out.push(InvVerdict::on(obj, None, Status::Pass, msg));
    }
}

/// Rules of a built-in role that the control judges at its bindings: a built-in default role
/// not scanned, or a scanned built-in role (own rules, or for an aggregated one the rules of its
/// built-in sources; rules of non-built-in sources are judged on those roles).
fn builtin_rules_of(model: &Model, r: Resolved) -> Vec<Rule> {
    match r {
        Resolved::Builtin(name) => model::builtin_rules(name),
        Resolved::Scanned(i) => {
            if model.is_aggregated(i) {
                model.aggregated_builtin_rules(i)
            } else {
                model.roles[i].rules.clone()
            }
        }
        Resolved::Missing => Vec::new(),
    }
}

fn binding_level(model: &Model, admins: &Admins, c: &RuleControl, out: &mut Vec<InvVerdict>) {
    for b in &model.bindings {
        if b.is_bootstrap() {
            continue;
        }
        let obj = model.object(b.object);
        let resolved = model.resolve(b);
        let role_label = b
            .role_ref
            .as_ref()
            .map(|(k, n)| format!("{k} {n}"))
            .unwrap_or_default();
        match resolved {
            Resolved::Missing => {
                let msg = if b.role_ref.is_none() {
                    format!(
                        "{} has no valid roleRef (kind Role or ClusterRole in {}): what it grants cannot be judged",
                        b.describe(),
                        model::RBAC_GROUP
                    )
                } else {
                    format!(
                        "{} binds {role_label}, which is not among the scanned inputs: whether it grants {} cannot be judged",
                        b.describe(),
                        c.what
                    )
                };
                out.push(InvVerdict::on(
                    obj,
                    Some(&obj.path(&["roleRef"])),
                    Status::NotEvaluated,
                    msg,
                ));
                continue;
            }
            Resolved::Scanned(i) if !model.roles[i].is_builtin() => continue,
            _ => {}
        }
        if b.role_ref
            .as_ref()
            .is_some_and(|(k, n)| k == "ClusterRole" && n == "cluster-admin")
        {
            // Judged by ID-009 (rbac-cluster-admin-bindings).
            continue;
        }
        let rules: Vec<(Rule, Vec<String>)> = builtin_rules_of(model, resolved)
            .into_iter()
            .map(|r| {
                let f = (c.find)(&r);
                (r, f)
            })
            .filter(|(_, f)| !f.is_empty())
            .collect();
        if rules.is_empty() {
            out.push(InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!(
                    "{} binds {role_label}, which grants no {}",
                    b.describe(),
                    c.what
                ),
            ));
            continue;
        }
        let mut failed = false;
        for (k, s) in b.subjects.iter().enumerate() {
            if admins.contains(s) || s.is_system_component() {
                continue;
            }
            let found: BTreeSet<&str> = rules
                .iter()
                .filter(|(r, _)| (c.counts)(b.cluster, s, r))
                .flat_map(|(_, f)| f.iter().map(String::as_str))
                .collect();
            if found.is_empty() {
                continue;
            }
            failed = true;
            let found: Vec<String> = found.into_iter().map(str::to_string).collect();
            let path = obj.path(&["subjects"]).index(k);
            out.push(InvVerdict::on(
                obj,
                Some(&path),
                Status::Fail,
                format!(
                    "{} grants {role_label} ({}: {}) {} to {}, outside the admin groups",
                    b.describe(),
                    c.what,
                    list(&found, 4),
                    b.scope(),
                    s.describe()
                ),
            ));
        }
        if !failed {
            out.push(InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!(
                    "{} grants {role_label} ({}) only where this control accepts it ({})",
                    b.describe(),
                    c.what,
                    c.accepted
                ),
            ));
        }
    }
}

fn run_rule_control(inv: &Inventory, ctx: &Ctx, c: &RuleControl, out: &mut Vec<InvVerdict>) {
    let model = inv.cached(Model::from_inventory);
    let admins = admins(ctx);
    rule_level(&model, &admins, c, out);
    if c.by_holder {
        binding_level(&model, &admins, c, out);
    }
}

const ACCEPTED: &str = "system components and admin groups";

/// ID-010 rbac-wildcards.
pub fn wildcards(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let c = RuleControl {
        find: wildcard_fields,
        what: "wildcard (`*` in verbs, resources or apiGroups)",
        by_holder: false,
        counts: always,
        counts_unbound: always_unbound,
        accepted: ACCEPTED,
    };
    run_rule_control(inv, ctx, &c, out);
}

/// ID-011 rbac-escalation-verbs.
pub fn escalation(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let c = RuleControl {
        find: escalation_rights,
        what: "escalation rights (escalate, bind, impersonate, CSR approval, webhook configuration writes)",
        by_holder: true,
        counts: always,
        counts_unbound: always_unbound,
        accepted: ACCEPTED,
    };
    run_rule_control(inv, ctx, &c, out);
}

/// ID-012: reading Secrets counts cluster-wide (a ClusterRoleBinding) for anyone, and in one
/// namespace (a RoleBinding) when a ServiceAccount (or a ServiceAccount group) may list or watch
/// them; `get` of Secrets in one namespace is accepted.
fn secrets_count(cluster_wide: bool, s: &Subject, r: &Rule) -> bool {
    cluster_wide
        || ((s.kind == "ServiceAccount"
            || (s.kind == "Group" && s.name.starts_with("system:serviceaccounts")))
            && (r.grants("", "secrets", "list") || r.grants("", "secrets", "watch")))
}

/// An unbound ClusterRole can be bound cluster-wide; an unbound Role only matters if it lets a
/// ServiceAccount list or watch.
fn secrets_count_unbound(role: &model::RoleDef, r: &Rule) -> bool {
    role.cluster || r.grants("", "secrets", "list") || r.grants("", "secrets", "watch")
}

/// ID-012 rbac-secrets-read.
pub fn secrets_read(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let c = RuleControl {
        find: secret_reads,
        what: "read access to Secrets (get/list/watch not limited to named Secrets)",
        by_holder: true,
        counts: secrets_count,
        counts_unbound: secrets_count_unbound,
        accepted: "system components, admin groups, and reads within one namespace except list/watch by ServiceAccounts",
    };
    run_rule_control(inv, ctx, &c, out);
}

/// ID-013 rbac-pods-exec.
pub fn pods_exec(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let c = RuleControl {
        find: exec_rights,
        what: "exec, attach or node proxy rights",
        by_holder: true,
        counts: always,
        counts_unbound: always_unbound,
        accepted: ACCEPTED,
    };
    run_rule_control(inv, ctx, &c, out);
}

// ---------------------------------------------------------------------------------------------
// ID-009 rbac-cluster-admin-bindings.

/// ID-009: bindings of cluster-admin or an equivalent role outside the admin groups, and any
/// binding naming system:masters or a broad group (other than to the discovery roles).
pub fn cluster_admin_bindings(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let model = inv.cached(Model::from_inventory);
    let admins = admins(ctx);
    for b in &model.bindings {
        if b.is_bootstrap() {
            continue;
        }
        let obj = model.object(b.object);
        let resolved = model.resolve(b);
        let role_label = b
            .role_ref
            .as_ref()
            .map(|(k, n)| format!("{k} {n}"))
            .unwrap_or_else(|| "an invalid roleRef".to_string());
        let is_cluster_role = |names: &[&str]| {
            b.role_ref
                .as_ref()
                .is_some_and(|(k, n)| k == "ClusterRole" && names.contains(&n.as_str()))
        };
        let equivalent = match resolved {
            Resolved::Builtin(n) => n == "cluster-admin",
            Resolved::Scanned(_) => model
                .effective_rules(resolved)
                .iter()
                .any(Rule::is_full_wildcard),
            Resolved::Missing => false,
        };
        let role_desc = if is_cluster_role(&["cluster-admin"]) {
            role_label.clone()
        } else {
            format!(
                "{role_label} (equivalent to cluster-admin: `*` verbs on `*` resources in `*` API groups)"
            )
        };
        let power = if b.cluster {
            "full control of the cluster".to_string()
        } else {
            format!("full control of the namespace ({})", b.scope())
        };
        let discovery = is_cluster_role(DISCOVERY_ROLES);
        let mut failed = false;
        for (k, s) in b.subjects.iter().enumerate() {
            let path = obj.path(&["subjects"]).index(k);
            let msg = if s.kind == "Group" && s.name == "system:masters" {
                Some(format!(
                    "{} names the group system:masters, whose members are authorized for everything before RBAC is consulted (membership comes from client certificates and cannot be revoked by deleting a binding)",
                    b.describe()
                ))
            } else if let Some(who) = s.broad_group().filter(|_| !discovery) {
                Some(format!(
                    "{} grants {role_label} {} to {who} ({} {}); only the discovery roles ({}) may be granted to broad groups",
                    b.describe(),
                    b.scope(),
                    s.kind,
                    s.name,
                    DISCOVERY_ROLES.join(", ")
                ))
            } else if equivalent && !admins.contains(s) && !s.is_system_component() {
                Some(format!(
                    "{} grants {role_desc}, {power}, to {}, outside the admin groups",
                    b.describe(),
                    s.describe()
                ))
            } else {
                None
            };
            if let Some(msg) = msg {
                failed = true;
                out.push(InvVerdict::on(obj, Some(&path), Status::Fail, msg));
            }
        }
        if failed {
            continue;
        }
        let v = if b.subjects.is_empty() {
            InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!("{} binds no subject", b.describe()),
            )
        } else if resolved == Resolved::Missing {
            let msg = if b.role_ref.is_none() {
                format!(
                    "{} has no valid roleRef (kind Role or ClusterRole in {})",
                    b.describe(),
                    model::RBAC_GROUP
                )
            } else {
                format!(
                    "{} binds {role_label}, which is not among the scanned inputs: whether it is equivalent to cluster-admin cannot be judged",
                    b.describe()
                )
            };
            InvVerdict::on(
                obj,
                Some(&obj.path(&["roleRef"])),
                Status::NotEvaluated,
                msg,
            )
        } else if equivalent {
            InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!(
                    "{} grants {role_desc} only to system components and admin groups",
                    b.describe()
                ),
            )
        } else {
            InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!(
                    "{} binds {role_label}, which is not equivalent to cluster-admin{}, and names neither system:masters nor a broad group",
                    b.describe(),
                    match resolved {
                        Resolved::Scanned(i) if model.is_aggregated(i) =>
                            " (with the rules it aggregates from the ClusterRoles among the scanned inputs)",
                        _ => "",
                    }
                ),
            )
        };
        out.push(v);
    }
}

// ---------------------------------------------------------------------------------------------
// ID-014 rbac-role-model: who may create, change or delete workloads.

/// Workload resources by API group: (group, resource).
pub const WORKLOAD_RESOURCES: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// Verbs that create, change or delete a workload.
const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// The deployment (CD/GitOps) identities, users or groups by name. None can be configured yet
/// (they will be read from `.aksguard.yaml`): every user and group other than Kubernetes
/// components is outside them.
const DEPLOYMENT_IDENTITIES: &[&str] = &[];

fn is_deployment_identity(s: &Subject) -> bool {
    (s.kind == "User" || s.kind == "Group") && DEPLOYMENT_IDENTITIES.contains(&s.name.as_str())
}

/// ID-014: write verbs on workload resources a rule grants, as `(resource, verb)` pairs. A rule
/// limited by resourceNames cannot allow create or deletecollection (those requests carry no
/// object name), only update, patch and delete of the named objects.
pub fn workload_writes(r: &Rule) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for &(group, res) in WORKLOAD_RESOURCES {
        for &verb in WRITE_VERBS {
            if !r.resource_names.is_empty() && (verb == "create" || verb == "deletecollection") {
                continue;
            }
            if r.grants(group, res, verb) {
                out.push((res, verb));
            }
        }
    }
    out
}

/// `create/update on pods, deployments; delete on jobs`: resources grouped by their verb set.
fn describe_writes(pairs: &BTreeSet<(&'static str, &'static str)>) -> String {
    let mut by_res: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(_, res) in WORKLOAD_RESOURCES {
        let verbs: Vec<&str> = WRITE_VERBS
            .iter()
            .copied()
            .filter(|&v| pairs.contains(&(res, v)))
            .collect();
        if !verbs.is_empty() {
            by_res.push((res, verbs));
        }
    }
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for (res, verbs) in by_res {
        let v = verbs.join("/");
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, list)) => list.push(res),
            None => groups.push((v, vec![res])),
        }
    }
    groups
        .into_iter()
        .map(|(v, res)| format!("{v} on {}", res.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How ID-014 treats one subject of a binding that grants workload writes.
#[derive(Debug, PartialEq, Eq)]
enum WorkloadHolder {
    /// Kubernetes components, kube-system controllers, configured deployment identities.
    Accepted,
    /// system:masters and broad groups: reported by ID-009 whatever the role.
    Id009,
    /// A ServiceAccount (or ServiceAccount user name or group).
    ServiceAccount,
    /// A user or group that is not a configured deployment identity.
    Person,
}

/// kube-system controllers: ServiceAccounts in kube-system bound through a Kubernetes- or
/// AKS-managed binding or role (`system:*` names, addon-manager label, bootstrap policy).
fn kube_system_controller(model: &Model, b: &model::BindingDef, s: &Subject) -> bool {
    let in_kube_system = match s.kind.as_str() {
        "ServiceAccount" => s.namespace.as_deref() == Some("kube-system"),
        "User" => s.name.starts_with("system:serviceaccount:kube-system:"),
        _ => false,
    };
    if !in_kube_system {
        return false;
    }
    let managed_binding =
        b.name.starts_with("system:") || b.labels.contains_key("addonmanager.kubernetes.io/mode");
    let managed_role = match model.resolve(b) {
        Resolved::Scanned(i) => {
            let r = &model.roles[i];
            r.is_builtin()
                && !(r.cluster && model::DEFAULT_CLUSTER_ROLES.contains(&r.name.as_str()))
        }
        Resolved::Builtin(name) => !model::DEFAULT_CLUSTER_ROLES.contains(&name),
        Resolved::Missing => false,
    };
    managed_binding || managed_role
}

fn classify_workload_holder(model: &Model, b: &model::BindingDef, s: &Subject) -> WorkloadHolder {
    if s.is_system_component() || kube_system_controller(model, b, s) || is_deployment_identity(s) {
        WorkloadHolder::Accepted
    } else if (s.kind == "Group" && s.name == "system:masters") || s.broad_group().is_some() {
        WorkloadHolder::Id009
    } else if s.kind == "ServiceAccount"
        || (s.kind == "User" && s.name.starts_with("system:serviceaccount:"))
        || (s.kind == "Group" && s.name.starts_with("system:serviceaccounts"))
    {
        WorkloadHolder::ServiceAccount
    } else {
        WorkloadHolder::Person
    }
}

/// ID-014: per binding, who holds write rights on workloads. Bindings of cluster-admin or an
/// equivalent role are left to ID-009, which fails them outside the admin groups.
pub fn workload_writers(inv: &Inventory, _ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let model = inv.cached(Model::from_inventory);
    for b in &model.bindings {
        if b.is_bootstrap() {
            continue;
        }
        let obj = model.object(b.object);
        let resolved = model.resolve(b);
        let role_label = b
            .role_ref
            .as_ref()
            .map(|(k, n)| format!("{k} {n}"))
            .unwrap_or_default();
        let all_accepted = !b.subjects.is_empty()
            && b.subjects
                .iter()
                .all(|s| classify_workload_holder(&model, b, s) == WorkloadHolder::Accepted);
        if resolved == Resolved::Missing && all_accepted {
            let who: Vec<String> = b.subjects.iter().map(Subject::describe).collect();
            out.push(InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!(
                    "{} binds {role_label}, which is not among the scanned inputs, only to Kubernetes components, kube-system controllers or deployment identities: {}",
                    b.describe(),
                    list(&who, 3)
                ),
            ));
            continue;
        }
        if resolved == Resolved::Missing {
            let msg = if b.role_ref.is_none() {
                format!(
                    "{} has no valid roleRef (kind Role or ClusterRole in {}): whether it grants write rights on workloads cannot be judged",
                    b.describe(),
                    model::RBAC_GROUP
                )
            } else {
                format!(
                    "{} binds {role_label}, which is not among the scanned inputs: whether it grants write rights on workloads cannot be judged",
                    b.describe()
                )
            };
            out.push(InvVerdict::on(
                obj,
                Some(&obj.path(&["roleRef"])),
                Status::NotEvaluated,
                msg,
            ));
            continue;
        }
        let rules = model.effective_rules(resolved);
        let cluster_admin = match resolved {
            Resolved::Builtin(n) => n == "cluster-admin",
            _ => rules.iter().any(Rule::is_full_wildcard),
        };
        if cluster_admin {
            // Full control, workloads included: ID-009 (rbac-cluster-admin-bindings) judges it.
            continue;
        }
        let writes: BTreeSet<(&'static str, &'static str)> =
            rules.iter().flat_map(workload_writes).collect();
        if writes.is_empty() {
            out.push(InvVerdict::on(
                obj,
                None,
                Status::Pass,
                format!(
                    "{} binds {role_label}, which grants no create, update, patch or delete on workloads (pods, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers)",
                    b.describe()
                ),
            ));
            continue;
        }
        let rights = describe_writes(&writes);
        let (mut failed, mut deferred, mut accepted) = (false, false, Vec::new());
        for (k, s) in b.subjects.iter().enumerate() {
            let why = match classify_workload_holder(&model, b, s) {
                WorkloadHolder::Accepted => {
                    accepted.push(s.describe());
                    continue;
                }
                WorkloadHolder::Id009 => {
                    deferred = true;
                    continue;
                }
                WorkloadHolder::ServiceAccount if s.kind == "Group" => {
                    "so any pod running as one of these ServiceAccounts, once compromised, can deploy or replace workloads (and run them with any ServiceAccount and Secret of the namespace)"
                }
                WorkloadHolder::ServiceAccount => {
                    "so a pod running as this ServiceAccount, once compromised, can deploy or replace workloads (and run them with any ServiceAccount and Secret of the namespace)"
                }
                WorkloadHolder::Person => {
                    "which is not a configured deployment (CD/GitOps) identity (deployment identities are configured later and none is configured yet, so every user and group other than Kubernetes components counts): workloads should be changed only through the deployment pipeline"
                }
            };
            failed = true;
            let path = obj.path(&["subjects"]).index(k);
            out.push(InvVerdict::on(
                obj,
                Some(&path),
                Status::Fail,
                format!(
                    "{} grants {role_label} ({rights}) {} to {}, {why}",
                    b.describe(),
                    b.scope(),
                    s.describe()
                ),
            ));
        }
        if failed || deferred {
            // Broad groups and system:masters are ID-009's failures.
            continue;
        }
        let msg = if accepted.is_empty() {
            format!(
                "{} binds {role_label} ({rights}) but names no subject",
                b.describe()
            )
        } else {
            format!(
                "{} grants {role_label} ({rights}) {} only to Kubernetes components, kube-system controllers or deployment identities: {}",
                b.describe(),
                b.scope(),
                list(&accepted, 3)
            )
        };
        out.push(InvVerdict::on(obj, None, Status::Pass, msg));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::{Object, Provenance};
    use crate::spans::{Path, Spans};
    use serde_json::{Value, json};
    use std::sync::Arc;

    fn obj(v: Value) -> Object {
        let Value::Object(m) = v else { panic!() };
        Object::new(
            m,
            Arc::new(Spans::default()),
            Path::root(),
            Provenance {
                file: Arc::from("t.yaml"),
                document: Some(0),
                line: Some(1),
            },
        )
    }

    fn rule(v: Value) -> Rule {
        Rule::from_value(&v, &mut model::Interner::default())
    }

    fn cluster_role(name: &str, labels: Value, rules: Value) -> Object {
        obj(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels}, "rules": rules}),
        )
    }

    fn binding(
        kind: &str,
        ns: Option<&str>,
        name: &str,
        role: (&str, &str),
        subjects: Value,
    ) -> Object {
        let mut meta = json!({"name": name});
        if let Some(ns) = ns {
            meta["namespace"] = json!(ns);
        }
        obj(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role.0, "name": role.1},
            "subjects": subjects}),
        )
    }

    #[test]
    fn resource_matching_follows_the_api_server() {
        let r = rule(json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}));
        assert!(r.grants("", "pods", "get"));
        assert!(
            !r.grants("", "pods/exec", "create"),
            "pods does not cover pods/exec"
        );
        assert!(!r.grants("apps", "pods", "get"));
        let r = rule(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}));
        assert!(r.grants("", "pods/exec", "get"), "* covers subresources");
        assert!(!r.grants("", "pods/exec", "create"));
        let r = rule(json!({"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}));
        assert!(r.grants("", "pods/exec", "create"));
        assert!(!r.grants("", "pods/attach", "create"));
        assert!(!r.grants("", "pods", "create"));
    }

    #[test]
    fn rule_finders() {
        let all = rule(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}));
        assert_eq!(wildcard_fields(&all), ["verbs", "resources", "apiGroups"]);
        assert!(all.is_full_wildcard());
        assert_eq!(secret_reads(&all), ["get/list/watch on secrets"]);
        assert_eq!(exec_rights(&all).len(), 3);
        assert_eq!(escalation_rights(&all).len(), 7);
        let named = rule(
            json!({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["db"], "verbs": ["get"]}),
        );
        assert!(secret_reads(&named).is_empty());
        let other_group =
            rule(json!({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]}));
        assert!(secret_reads(&other_group).is_empty());
        let imp = rule(
            json!({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}),
        );
        assert_eq!(escalation_rights(&imp), ["impersonate on serviceaccounts"]);
        let read_roles = rule(
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["get", "list"]}),
        );
        assert!(escalation_rights(&read_roles).is_empty());
        let log = rule(
            json!({"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}),
        );
        assert!(exec_rights(&log).is_empty());
        let exec_get =
            rule(json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]}));
        assert_eq!(exec_rights(&exec_get), ["get on pods/exec"]);
    }

    #[test]
    fn aggregation_and_builtin_roles() {
        // The model keeps only provenance of its objects, so build each model from fresh inputs.
        let inputs = || {
            vec![
                cluster_role("agg", json!({}), json!([])),
                cluster_role(
                    "part",
                    json!({"team": "a"}),
                    json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]),
                ),
                cluster_role(
                    "to-edit",
                    json!({"rbac.authorization.k8s.io/aggregate-to-edit": "true"}),
                    json!([{"apiGroups": ["x.io"], "resources": ["widgets"], "verbs": ["get"]}]),
                ),
                binding(
                    "ClusterRoleBinding",
                    None,
                    "b1",
                    ("ClusterRole", "agg"),
                    json!([{"kind": "User", "name": "alice"}]),
                ),
                binding(
                    "RoleBinding",
                    Some("shop"),
                    "b2",
                    ("ClusterRole", "edit"),
                    json!([{"kind": "ServiceAccount", "name": "ci"}]),
                ),
                binding(
                    "RoleBinding",
                    Some("shop"),
                    "b3",
                    ("Role", "nope"),
                    json!([{"kind": "Group", "name": "devs"}]),
                ),
            ]
        };
        let model = Model::new(inputs());
        // Without an aggregationRule "agg" is a plain role.
        assert!(!model.is_aggregated(0));
        let mut with_rule = inputs();
        with_rule[0].value.insert(
            "aggregationRule".into(),
            json!({"clusterRoleSelectors": [{"matchLabels": {"team": "a"}}]}),
        );
        let model = Model::new(with_rule);
        assert!(model.is_aggregated(0));
        let agg = model.resolve(&model.bindings[0]);
        assert_eq!(agg, Resolved::Scanned(0));
        assert_eq!(model.effective_rules(agg).len(), 1);
        let h = model.holders(1);
        assert_eq!(h.bindings, [0]);
        // Built-in edit: its known rules plus the scanned role labelled to aggregate into it.
        let edit = model.resolve(&model.bindings[1]);
        assert_eq!(edit, Resolved::Builtin("edit"));
        let rules = model.effective_rules(edit);
        assert!(rules.iter().any(|r| r.grants("x.io", "widgets", "get")));
        assert!(rules.iter().any(|r| r.grants("", "pods/exec", "create")));
        assert_eq!(model.holders(2).builtin, ["edit"]);
        assert_eq!(model.resolve(&model.bindings[2]), Resolved::Missing);
        // A ServiceAccount subject without a namespace takes the RoleBinding's.
        assert_eq!(
            model.bindings[1].subjects[0].namespace.as_deref(),
            Some("shop")
        );
    }

    #[test]
    fn subject_rights_are_sorted_and_scoped() {
        let model = Model::new(vec![
            obj(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "reader", "namespace": "shop"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "get"]}]}),
            ),
            binding(
                "RoleBinding",
                Some("shop"),
                "read",
                ("Role", "reader"),
                json!([{"kind": "User", "name": "bob"}, {"kind": "Group", "name": "devs"}]),
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "ca",
                ("ClusterRole", "cluster-admin"),
                json!([{"kind": "User", "name": "bob"}]),
            ),
            binding(
                "RoleBinding",
                Some("shop"),
                "disc",
                ("ClusterRole", "system:discovery"),
                json!([{"kind": "User", "name": "bob"}]),
            ),
            binding(
                "RoleBinding",
                Some("web"),
                "gone",
                ("ClusterRole", "custom"),
                json!([{"kind": "ServiceAccount", "name": "app"}]),
            ),
            // Not RBAC: ignored.
            obj(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})),
        ]);
        let rights = rights_of(&model);
        let subjects: Vec<String> = rights.iter().map(|r| r.subject.describe()).collect();
        assert_eq!(
            subjects,
            ["Group devs", "ServiceAccount web/app", "User bob"]
        );
        let bob = &rights[2];
        assert_eq!(bob.grants.len(), 3);
        assert!(bob.grants[0].cluster_wide);
        assert_eq!(bob.grants[0].role_source, "built-in");
        assert_eq!(
            bob.grants[0].rules.len(),
            2,
            "cluster-admin has resource and URL rules"
        );
        assert_eq!(bob.grants[1].binding, "RoleBinding shop/disc");
        assert!(
            bob.grants[1].rules.is_empty(),
            "non-resource URLs need a ClusterRoleBinding"
        );
        assert_eq!(bob.grants[2].namespace.as_deref(), Some("shop"));
        assert_eq!(bob.grants[2].rules[0].verbs, ["list", "get"]);
        assert_eq!(rights[1].grants[0].role_source, "missing");
        let json = serde_json::to_value(&rights[0]).unwrap();
        assert_eq!(json["subject"], json!({"kind": "Group", "name": "devs"}));
        assert_eq!(json["grants"][0]["roleSource"], "scanned");
    }

    #[test]
    fn subjects() {
        let s = |kind: &str, name: &str| Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
        };
        assert!(s("User", "system:kube-scheduler").is_system_component());
        assert!(!s("User", "system:anonymous").is_system_component());
        assert!(!s("Group", "system:authenticated").is_system_component());
        assert!(!s("Group", "system:serviceaccounts:ci").is_system_component());
        assert!(!s("Group", "system:nodes").is_system_component());
        assert!(!s("User", "system:serviceaccount:ci:deployer").is_system_component());
        assert!(!s("User", "system:node:aks-node-1").is_system_component());
        assert!(s("Group", "system:unauthenticated").broad_group().is_some());
        assert!(!s("ServiceAccount", "system:x").is_system_component());
    }

    fn run(
        check: fn(&Inventory, &Ctx, &mut Vec<InvVerdict>),
        objects: Vec<Object>,
    ) -> Vec<(Status, String, String)> {
        let mut inv = Inventory::default();
        for o in objects {
            inv.add(o);
        }
        let config = crate::config::Config::default();
        let mut out = Vec::new();
        check(&inv, &Ctx { config: &config }, &mut out);
        out.into_iter()
            .map(|v| (v.status, v.object.name.clone(), v.message))
            .collect()
    }

    #[test]
    fn bootstrap_bindings_and_missing_roles() {
        let bootstrap = {
            let mut b = binding(
                "ClusterRoleBinding",
                None,
                "cluster-admin",
                ("ClusterRole", "cluster-admin"),
                json!([{"kind": "Group", "name": "system:masters"}]),
            );
            b.value["metadata"]["labels"] = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
            b
        };
        // The same binding without the bootstrap label is judged.
        let copy = binding(
            "ClusterRoleBinding",
            None,
            "copy",
            ("ClusterRole", "cluster-admin"),
            json!([{"kind": "Group", "name": "system:masters"}]),
        );
        let missing = binding(
            "RoleBinding",
            Some("shop"),
            "missing",
            ("Role", "gone"),
            json!([{"kind": "User", "name": "bob"}]),
        );
        let v = run(cluster_admin_bindings, vec![bootstrap, copy, missing]);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!((v[0].0, v[0].1.as_str()), (Status::Fail, "copy"));
        assert!(v[0].2.contains("system:masters"));
        assert_eq!((v[1].0, v[1].1.as_str()), (Status::NotEvaluated, "missing"));
        assert!(v[1].2.contains("not among the scanned inputs"));
        for check in [escalation, secrets_read, pods_exec] {
            let missing = binding(
                "RoleBinding",
                Some("shop"),
                "missing",
                ("Role", "gone"),
                json!([{"kind": "User", "name": "bob"}]),
            );
            let v = run(check, vec![missing]);
            assert_eq!(v.len(), 1);
            assert_eq!(v[0].0, Status::NotEvaluated);
        }
        // ID-010 judges roles only.
        let missing = binding(
            "RoleBinding",
            Some("shop"),
            "missing",
            ("Role", "gone"),
            json!([{"kind": "User", "name": "bob"}]),
        );
        assert!(run(wildcards, vec![missing]).is_empty());
    }

    #[test]
    fn rules_are_reported_on_the_role_with_their_holders() {
        let role = obj(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
                      {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}),
        );
        let v = run(pods_exec, vec![role]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, Status::Fail);
        assert!(
            v[0].2.contains("rules[1]") && v[0].2.contains("not bound among the scanned inputs")
        );
        let role = obj(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}),
        );
        let b = binding(
            "RoleBinding",
            Some("shop"),
            "b",
            ("Role", "r"),
            json!([{"kind": "ServiceAccount", "name": "app"}]),
        );
        // Same name in another namespace: not the role the binding refers to.
        let other = binding(
            "RoleBinding",
            Some("web"),
            "b2",
            ("Role", "r"),
            json!([{"kind": "User", "name": "eve"}]),
        );
        let v = run(pods_exec, vec![role, b, other]);
        let fail = v.iter().find(|x| x.0 == Status::Fail).unwrap();
        assert!(
            fail.2
                .contains("ServiceAccount shop/app via RoleBinding shop/b"),
            "{}",
            fail.2
        );
        assert!(!fail.2.contains("eve"));
        assert!(v.iter().any(|x| x.0 == Status::NotEvaluated && x.1 == "b2"));
    }

    #[test]
    fn workload_writes_and_their_description() {
        let r =
            rule(json!({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["create", "get"]}));
        let w: BTreeSet<_> = workload_writes(&r).into_iter().collect();
        assert_eq!(
            describe_writes(&w),
            "create on deployments, replicasets, statefulsets, daemonsets"
        );
        let r = rule(json!({"apiGroups": ["*"], "resources": ["pods", "jobs"], "verbs": ["*"]}));
        let w: BTreeSet<_> = workload_writes(&r).into_iter().collect();
        assert_eq!(
            describe_writes(&w),
            "create/update/patch/delete/deletecollection on pods, jobs"
        );
        // Named objects: no create or deletecollection (those requests carry no name).
        let r = rule(
            json!({"apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"], "verbs": ["*"]}),
        );
        assert_eq!(
            workload_writes(&r),
            [("pods", "update"), ("pods", "patch"), ("pods", "delete")]
        );
        // Subresources and other groups do not count.
        let r = rule(
            json!({"apiGroups": ["apps", "extensions"], "resources": ["deployments/scale", "pods"], "verbs": ["*"]}),
        );
        assert!(workload_writes(&r).is_empty());
    }

    #[test]
    fn workload_writers_by_subject() {
        let view = binding(
            "RoleBinding",
            Some("shop"),
            "view",
            ("ClusterRole", "view"),
            json!([{"kind": "ServiceAccount", "name": "reader"}]),
        );
        let edit = binding(
            "RoleBinding",
            Some("shop"),
            "edit",
            ("ClusterRole", "edit"),
            json!([{"kind": "ServiceAccount", "name": "app"},
                   {"kind": "User", "name": "system:kube-scheduler"},
                   {"kind": "User", "name": "alice"}]),
        );
        let ca = binding(
            "ClusterRoleBinding",
            None,
            "ca",
            ("ClusterRole", "cluster-admin"),
            json!([{"kind": "User", "name": "alice"}]),
        );
        let bootstrap = {
            let mut b = binding(
                "ClusterRoleBinding",
                None,
                "system:controller:job-controller",
                ("ClusterRole", "system:controller:job-controller"),
                json!([{"kind": "ServiceAccount", "name": "job-controller", "namespace": "kube-system"}]),
            );
            b.value["metadata"]["labels"] = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
            b
        };
        let unlabelled = binding(
            "ClusterRoleBinding",
            None,
            "system:controller:cronjob-controller",
            ("ClusterRole", "system:controller:cronjob-controller"),
            json!([{"kind": "ServiceAccount", "name": "cronjob-controller", "namespace": "kube-system"}]),
        );
        let v = run(
            workload_writers,
            vec![view, edit, ca, bootstrap, unlabelled],
        );
        assert_eq!(v.len(), 4, "{v:?}");
        assert_eq!((v[0].0, v[0].1.as_str()), (Status::Pass, "view"));
        assert_eq!((v[1].0, v[1].1.as_str()), (Status::Fail, "edit"));
        assert!(v[1].2.contains("ServiceAccount shop/app"), "{}", v[1].2);
        assert!(v[1].2.contains("on pods"), "{}", v[1].2);
        assert_eq!((v[2].0, v[2].1.as_str()), (Status::Fail, "edit"));
        assert!(v[2].2.contains("User alice") && v[2].2.contains("configured later"));
        // A kube-system controller binding whose role is not scanned: accepted whatever it grants.
        assert_eq!(v[3].0, Status::Pass, "{v:?}");
    }
}
