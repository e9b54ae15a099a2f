//! Terraform to the AKS cluster model: `terraform show -json` plans and state, and the
//! `azurerm_kubernetes_cluster` -> ARM `managedClusters` mapping shared with [`super::hcl`].
//!
//! The mapping follows the azurerm provider documentation
//! (<https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/kubernetes_cluster>)
//! and the provider's own expand functions (`internal/services/containers/kubernetes_cluster_resource.go`,
//! `kubernetes_addons.go`, `kubernetes_nodepool.go`). Both provider generations' attribute names
//! are accepted everywhere (v4 `host_encryption_enabled`, v3 `enable_host_encryption`, ...).
//!
//! An attribute that the input does not state stays absent in the model (the checks apply the
//! provider and service defaults), except where the existence of a block is the setting
//! (`oms_agent { ... }` means the add-on is enabled).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::model::{Cluster, Origin, Seg, Shape, Unresolved};

/// The cluster resource type.
pub const CLUSTER_TYPE: &str = "azurerm_kubernetes_cluster";
/// The separate node pool resource type.
pub const POOL_TYPE: &str = "azurerm_kubernetes_cluster_node_pool";

/// How deep plan modules and values are walked (a real plan is far shallower).
const MAX_DEPTH: usize = 48;

/// The reason of every value a plan knows only after apply.
pub const AFTER_APPLY: &str = "(known after apply)";

/// Whether a JSON document is `terraform show -json` output (a plan or a state).
pub fn is_plan(v: &Value) -> bool {
    v.get("format_version").is_some_and(Value::is_string)
        && (v.get("planned_values").is_some()
            || v.get("values").is_some()
            || v.get("resource_changes").is_some())
}

/// One Terraform resource instance, in the plan's `values` shape (blocks are lists of objects).
#[derive(Debug, Clone)]
pub struct TfResource {
    /// The resource address (`module.aks.azurerm_kubernetes_cluster.main`).
    pub addr: String,
    pub values: Value,
    /// Values that could not be worked out, by attribute path (`network_profile.0.network_policy`).
    pub unresolved: Vec<(String, Unresolved)>,
    /// Lines of attributes and blocks, by attribute path (`""` is the resource itself).
    pub lines: Vec<(String, u32)>,
    pub file: Arc<str>,
}

// ------------------------------------------------------------------------------------------
// Plan and state
// ------------------------------------------------------------------------------------------

/// A managed resource found in a plan: its address, values and where they are.
struct PlanRes<'a> {
    addr: String,
    typ: String,
    values: &'a Value,
    /// JSON pointer of `values`.
    values_ptr: String,
}

/// Clusters of a `terraform show -json` plan (`planned_values`, recursing into `child_modules`)
/// or state (`values.root_module`). Node pools (`azurerm_kubernetes_cluster_node_pool`) are
/// attached to their cluster through `configuration` references (`kubernetes_cluster_id =
/// azurerm_kubernetes_cluster.x.id`), through the id value, or - when the plan has exactly one
/// cluster - to it (with a note); otherwise they are reported in a note. Values known only after
/// apply (`resource_changes[].change.after_unknown`) are `Unresolved("(known after apply)")`.
/// `line_of(pointer)` gives the line of a JSON pointer in the plan file.
pub fn clusters_from_plan(
    file: Arc<str>,
    plan: &Value,
    line_of: &dyn Fn(&str) -> Option<u32>,
) -> (Vec<Cluster>, Vec<String>) {
    let mut notes = Vec::new();
    let mut found: Vec<PlanRes> = Vec::new();
    let root = plan
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
        .map(|m| (m, "/planned_values/root_module"))
        .or_else(|| {
            plan.get("values")
                .and_then(|p| p.get("root_module"))
                .map(|m| (m, "/values/root_module"))
        });
    match root {
        Some((m, ptr)) => walk_module(m, ptr.to_string(), 0, &mut found, &mut notes),
        None => from_changes(plan, &mut found),
    }

    // after_unknown of each resource, by address.
    let mut unknown: HashMap<&str, (&Value, String)> = HashMap::new();
    if let Some(changes) = plan.get("resource_changes").and_then(Value::as_array) {
        for (i, ch) in changes.iter().enumerate() {
            let (Some(addr), Some(au)) = (
                ch.get("address").and_then(Value::as_str),
                ch.get("change").and_then(|c| c.get("after_unknown")),
            ) else {
                continue;
            };
            unknown.insert(
                addr,
                (au, format!("/resource_changes/{i}/change/after_unknown")),
            );
        }
    }

    // What the configuration sets, by (module, `type.name`): a value the plan knows only after
    // apply but that the configuration does not set is the provider's or the service's choice,
    // read as not set (the defaults apply), as when reading the configuration itself.
    let mut configured: HashMap<(String, String), &Value> = HashMap::new();
    if let Some(root) = plan.get("configuration").and_then(|c| c.get("root_module")) {
        config_expressions(root, String::new(), 0, &mut configured);
    }

    let to_res = |r: &PlanRes| -> TfResource {
        let mut lines = Vec::new();
        if let Some(l) = line_of(r.values_ptr.trim_end_matches("/values")) {
            lines.push((String::new(), l));
        }
        value_lines(r.values, "", &r.values_ptr, 0, line_of, &mut lines);
        let mut unresolved = Vec::new();
        if let Some((au, ptr)) = unknown.get(r.addr.as_str()) {
            let mut paths = Vec::new();
            unknown_paths(au, String::new(), ptr.clone(), 0, &mut paths);
            let (module, local) = split_module(&strip_instance_keys(&r.addr));
            let exprs = configured.get(&(module, local)).copied();
            for (path, ptr) in paths {
                // Not set: the configuration does not write it. When the configuration does
                // not mention its top-level block either, the plan must have nothing there
                // (a block the plan shows was configured, even when the configuration
                // section is incomplete).
                let top = path.split('.').next().unwrap_or("");
                let planned_empty = match r.values.get(top) {
                    None | Some(Value::Null) => true,
                    Some(Value::Array(a)) => a.is_empty(),
                    Some(Value::Object(o)) => o.is_empty(),
                    Some(_) => false,
                };
                let unset = exprs.is_some_and(|e| {
                    !configures(e, &path) && (e.get(top).is_some() || planned_empty)
                });
                if unset {
                    continue;
                }
                if let Some(l) = line_of(&ptr) {
                    lines.push((path.clone(), l));
                }
                unresolved.push((
                    path,
                    Unresolved {
                        expr: AFTER_APPLY.to_string(),
                        reason: "the plan knows this value only after apply".to_string(),
                    },
                ));
            }
        }
        TfResource {
            addr: r.addr.clone(),
            values: r.values.clone(),
            unresolved,
            lines,
            file: file.clone(),
        }
    };

    let clusters: Vec<&PlanRes> = found.iter().filter(|r| r.typ == CLUSTER_TYPE).collect();
    let pools: Vec<&PlanRes> = found.iter().filter(|r| r.typ == POOL_TYPE).collect();
    let refs = config_references(plan);
    let mut attached: Vec<Vec<usize>> = vec![Vec::new(); clusters.len()];
    let mut orphans = Vec::new();
    for (pi, p) in pools.iter().enumerate() {
        match attach_plan_pool(p, &clusters, &refs) {
            Some(ci) => attached[ci].push(pi),
            None if clusters.len() == 1 => {
                notes.push(format!(
                    "node pool {} is attached to {}, the only cluster in the plan (its kubernetes_cluster_id does not name it)",
                    p.addr, clusters[0].addr
                ));
                attached[0].push(pi);
            }
            None => {
                notes.push(format!(
                    "node pool {} belongs to no cluster of the plan; its own settings are checked",
                    p.addr
                ));
                orphans.push(pi);
            }
        }
    }

    let major = plan_provider_major(plan);
    let mut out = Vec::new();
    for (ci, c) in clusters.iter().enumerate() {
        let cres = to_res(c);
        let pres: Vec<TfResource> = attached[ci].iter().map(|&pi| to_res(pools[pi])).collect();
        out.push(cluster_from_azurerm_with(
            Shape::TerraformPlan,
            &cres,
            &pres,
            major,
        ));
    }
    for pi in orphans {
        let pool = to_res(pools[pi]);
        out.push(pools_only_cluster(Shape::TerraformPlan, pool, major));
    }
    (out, notes)
}

/// A node pool whose cluster is not among the inputs, as a cluster of which only that pool is
/// known (named after the `kubernetes_cluster_id` it gives, else after the pool).
pub fn pools_only_cluster(shape: Shape, pool: TfResource, major: Option<u32>) -> Cluster {
    let reference = pool
        .unresolved
        .iter()
        .find(|(p, _)| p == "kubernetes_cluster_id")
        .map(|(_, u)| u.expr.trim_end_matches(".id").to_string());
    let name = match (pool.values.get("kubernetes_cluster_id"), reference) {
        (Some(Value::String(id)), _) if !id.is_empty() => {
            id.rsplit('/').next().unwrap_or(id).to_string()
        }
        (_, Some(r)) if !r.is_empty() => r,
        _ => format!("(cluster of {})", pool.addr),
    };
    let empty = TfResource {
        addr: pool.addr.clone(),
        values: Value::Object(Map::new()),
        unresolved: Vec::new(),
        lines: pool
            .lines
            .iter()
            .filter(|(p, _)| p.is_empty())
            .cloned()
            .collect(),
        file: pool.file.clone(),
    };
    let mut c = cluster_from_azurerm_with(shape, &empty, &[pool], major);
    c.set(&[Seg::Key("name")], Value::String(name), None);
    c.pools_only = true;
    c
}

/// Collects the managed resources of a plan module and its children.
fn walk_module<'a>(
    m: &'a Value,
    ptr: String,
    depth: usize,
    out: &mut Vec<PlanRes<'a>>,
    notes: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        notes.push(format!("{ptr}: modules nested too deeply; not read"));
        return;
    }
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        for (i, r) in rs.iter().enumerate() {
            let mode = r.get("mode").and_then(Value::as_str).unwrap_or("managed");
            let (Some(addr), Some(typ), Some(values)) = (
                r.get("address").and_then(Value::as_str),
                r.get("type").and_then(Value::as_str),
                r.get("values").filter(|v| v.is_object()),
            ) else {
                continue;
            };
            if mode != "managed" || (typ != CLUSTER_TYPE && typ != POOL_TYPE) {
                continue;
            }
            out.push(PlanRes {
                addr: addr.to_string(),
                typ: typ.to_string(),
                values,
                values_ptr: format!("{ptr}/resources/{i}/values"),
            });
        }
    }
    if let Some(cs) = m.get("child_modules").and_then(Value::as_array) {
        for (i, c) in cs.iter().enumerate() {
            walk_module(c, format!("{ptr}/child_modules/{i}"), depth + 1, out, notes);
        }
    }
}

/// A plan without `planned_values`: the `after` values of the resources it creates or updates.
fn from_changes<'a>(plan: &'a Value, out: &mut Vec<PlanRes<'a>>) {
    let Some(changes) = plan.get("resource_changes").and_then(Value::as_array) else {
        return;
    };
    for (i, ch) in changes.iter().enumerate() {
        let mode = ch.get("mode").and_then(Value::as_str).unwrap_or("managed");
        let (Some(addr), Some(typ), Some(after)) = (
            ch.get("address").and_then(Value::as_str),
            ch.get("type").and_then(Value::as_str),
            ch.get("change")
                .and_then(|c| c.get("after"))
                .filter(|v| v.is_object()),
        ) else {
            continue;
        };
        if mode != "managed" || (typ != CLUSTER_TYPE && typ != POOL_TYPE) {
            continue;
        }
        out.push(PlanRes {
            addr: addr.to_string(),
            typ: typ.to_string(),
            values: after,
            values_ptr: format!("/resource_changes/{i}/change/after"),
        });
    }
}

fn escape_ptr(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn join_path(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}.{seg}")
    }
}

/// Lines of every member of `v` (objects and lists, down to [`MAX_DEPTH`]).
fn value_lines(
    v: &Value,
    path: &str,
    ptr: &str,
    depth: usize,
    line_of: &dyn Fn(&str) -> Option<u32>,
    out: &mut Vec<(String, u32)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut visit = |seg: String, ptr_seg: String, x: &Value| {
        let p = join_path(path, &seg);
        let q = format!("{ptr}/{ptr_seg}");
        if let Some(l) = line_of(&q) {
            out.push((p.clone(), l));
        }
        if x.is_object() || x.is_array() {
            value_lines(x, &p, &q, depth + 1, line_of, out);
        }
    };
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                visit(k.clone(), escape_ptr(k), x);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                visit(i.to_string(), i.to_string(), x);
            }
        }
        _ => {}
    }
}

/// Attribute paths (and their JSON pointers) marked `true` in an `after_unknown` tree.
fn unknown_paths(
    v: &Value,
    path: String,
    ptr: String,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Bool(true) if !path.is_empty() => out.push((path, ptr)),
        Value::Object(m) => {
            for (k, x) in m {
                unknown_paths(
                    x,
                    join_path(&path, k),
                    format!("{ptr}/{}", escape_ptr(k)),
                    depth + 1,
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                unknown_paths(
                    x,
                    join_path(&path, &i.to_string()),
                    format!("{ptr}/{i}"),
                    depth + 1,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Removes instance keys (`[0]`, `["a.b"]`) from a resource address.
pub(crate) fn strip_instance_keys(addr: &str) -> String {
    let mut out = String::with_capacity(addr.len());
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for ch in addr.chars() {
        if depth > 0 {
            if in_str {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    in_str = false;
                }
            } else if ch == '"' {
                in_str = true;
            } else if ch == '[' {
                depth += 1;
            } else if ch == ']' {
                depth -= 1;
            }
            continue;
        }
        if ch == '[' {
            depth = 1;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Splits a (stripped) resource address into its module path (`module.a.module.b`, or empty)
/// and the resource part (`type.name`, `data.type.name`).
fn split_module(addr: &str) -> (String, String) {
    let segs: Vec<&str> = addr.split('.').collect();
    let mut i = 0;
    while i + 1 < segs.len() && segs[i] == "module" && segs.len() - i > 2 {
        i += 2;
    }
    (segs[..i].join("."), segs[i..].join("."))
}

/// The `expressions` of every resource of the configuration, by (module path, `type.name`).
fn config_expressions<'a>(
    m: &'a Value,
    module: String,
    depth: usize,
    out: &mut HashMap<(String, String), &'a Value>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        for r in rs {
            if let (Some(addr), Some(e)) = (
                r.get("address").and_then(Value::as_str),
                r.get("expressions").filter(|e| e.is_object()),
            ) {
                out.insert((module.clone(), strip_instance_keys(addr)), e);
            }
        }
    }
    if let Some(calls) = m.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                let path = if module.is_empty() {
                    format!("module.{name}")
                } else {
                    format!("{module}.module.{name}")
                };
                config_expressions(child, path, depth + 1, out);
            }
        }
    }
}

/// Whether the configuration's `expressions` set the attribute at `path`
/// (`network_profile.0.outbound_type`). A block written with `dynamic` counts as set (its
/// contents are not listed), so only what is plainly absent is read as not set.
fn configures(expressions: &Value, path: &str) -> bool {
    if expressions
        .as_object()
        .is_some_and(|m| m.keys().any(|k| k.starts_with("dynamic")))
    {
        return true;
    }
    let mut cur = expressions;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let next = match seg.parse::<usize>() {
            Ok(i) => match cur {
                Value::Array(a) => a.get(i),
                // A block written once is an object in some Terraform versions.
                Value::Object(_) if i == 0 => Some(cur),
                _ => None,
            },
            Err(_) => cur.get(seg),
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    true
}

/// `configuration` references of every node pool's `kubernetes_cluster_id`, by
/// (module path, `type.name`).
fn config_references(plan: &Value) -> HashMap<(String, String), Vec<String>> {
    let mut out = HashMap::new();
    if let Some(root) = plan.get("configuration").and_then(|c| c.get("root_module")) {
        config_module(root, String::new(), 0, &mut out);
    }
    out
}

fn config_module(
    m: &Value,
    module: String,
    depth: usize,
    out: &mut HashMap<(String, String), Vec<String>>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        for r in rs {
            let Some(addr) = r.get("address").and_then(Value::as_str) else {
                continue;
            };
            let refs: Vec<String> = r
                .get("expressions")
                .and_then(|e| e.get("kubernetes_cluster_id"))
                .and_then(|e| e.get("references"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if !refs.is_empty() {
                out.insert((module.clone(), strip_instance_keys(addr)), refs);
            }
        }
    }
    if let Some(calls) = m.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                let path = if module.is_empty() {
                    format!("module.{name}")
                } else {
                    format!("{module}.module.{name}")
                };
                config_module(child, path, depth + 1, out);
            }
        }
    }
}

/// The cluster a plan node pool belongs to: by configuration reference, then by id value.
fn attach_plan_pool(
    pool: &PlanRes,
    clusters: &[&PlanRes],
    refs: &HashMap<(String, String), Vec<String>>,
) -> Option<usize> {
    let (module, local) = split_module(&strip_instance_keys(&pool.addr));
    if let Some(rs) = refs.get(&(module.clone(), local)) {
        for r in rs {
            let r = strip_instance_keys(r);
            let mut parts = r.split('.');
            if parts.next() != Some(CLUSTER_TYPE) {
                continue;
            }
            let Some(name) = parts.next() else { continue };
            let target = if module.is_empty() {
                format!("{CLUSTER_TYPE}.{name}")
            } else {
                format!("{module}.{CLUSTER_TYPE}.{name}")
            };
            let hits: Vec<usize> = clusters
                .iter()
                .enumerate()
                .filter(|(_, c)| strip_instance_keys(&c.addr) == target)
                .map(|(i, _)| i)
                .collect();
            if hits.len() == 1 {
                return Some(hits[0]);
            }
        }
    }
    let id = pool
        .values
        .get("kubernetes_cluster_id")
        .and_then(Value::as_str)?;
    let hits: Vec<usize> = clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.values
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|cid| !cid.is_empty() && cid.eq_ignore_ascii_case(id))
        })
        .map(|(i, _)| i)
        .collect();
    (hits.len() == 1).then(|| hits[0])
}

/// The azurerm major version the plan's configuration asks for.
fn plan_provider_major(plan: &Value) -> Option<u32> {
    let cfg = plan
        .get("configuration")
        .and_then(|c| c.get("provider_config"))
        .and_then(Value::as_object)?;
    let mut majors: Vec<u32> = cfg
        .iter()
        .filter(|(k, e)| {
            e.get("name").and_then(Value::as_str) == Some("azurerm")
                || k.as_str() == "azurerm"
                || k.ends_with(":azurerm")
        })
        .filter_map(|(_, e)| e.get("version_constraint").and_then(Value::as_str))
        .filter_map(major_from_constraint)
        .collect();
    majors.sort_unstable();
    majors.dedup();
    (majors.len() == 1).then(|| majors[0])
}

/// The major version a Terraform version constraint pins (`~> 4.0`, `=3.116.0`,
/// `>= 3.50, < 4.0`), when it pins exactly one.
pub fn major_from_constraint(s: &str) -> Option<u32> {
    let mut exact: Vec<u32> = Vec::new();
    let mut lower: Option<u32> = None;
    let mut upper: Option<u32> = None;
    for clause in s.split(',') {
        let c = clause.trim();
        if c.is_empty() {
            continue;
        }
        let (op, ver) = ["~>", ">=", "<=", "!=", "=", ">", "<"]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|rest| (*op, rest)))
            .unwrap_or(("", c));
        let ver = ver.trim().trim_start_matches('v');
        let mut nums = ver.split('.');
        let Some(major) = nums.next().and_then(|m| m.parse::<u32>().ok()) else {
            continue;
        };
        let rest_zero = nums.all(|n| n.parse::<u32>().is_ok_and(|n| n == 0));
        match op {
            "" | "=" | "~>" => exact.push(major),
            ">=" | ">" => lower = Some(lower.map_or(major, |l| l.max(major))),
            "<" if rest_zero && major > 0 => upper = Some(major - 1),
            "<" | "<=" => upper = Some(major),
            _ => {}
        }
    }
    if let Some(&first) = exact.first() {
        return exact.iter().all(|&m| m == first).then_some(first);
    }
    match (lower, upper) {
        (Some(l), Some(u)) if l == u => Some(l),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// The azurerm -> ARM mapping
// ------------------------------------------------------------------------------------------

/// Attribute names that exist in only one provider generation: of the cluster, of one of its
/// blocks (block, attribute), and of a node pool (`default_node_pool` or the pool resource).
/// Sources: the azurerm 4.0 upgrade guide and the resource documentation.
const V3_ONLY_CLUSTER: &[&str] = &[
    "api_server_authorized_ip_ranges",
    "automatic_channel_upgrade",
    "node_os_channel_upgrade",
    "public_network_access_enabled",
    "enable_pod_security_policy",
];
const V4_ONLY_CLUSTER: &[&str] = &["automatic_upgrade_channel", "node_os_upgrade_channel"];
const V3_ONLY_BLOCK: &[(&str, &str)] = &[
    ("api_server_access_profile", "vnet_integration_enabled"),
    (
        "azure_active_directory_role_based_access_control",
        "managed",
    ),
    (
        "azure_active_directory_role_based_access_control",
        "client_app_id",
    ),
    ("network_profile", "ebpf_data_plane"),
    ("network_profile", "docker_bridge_cidr"),
];
const V4_ONLY_BLOCK: &[(&str, &str)] = &[(
    "api_server_access_profile",
    "virtual_network_integration_enabled",
)];
const V3_ONLY_POOL: &[&str] = &[
    "enable_auto_scaling",
    "enable_host_encryption",
    "enable_node_public_ip",
];
const V4_ONLY_POOL: &[&str] = &[
    "auto_scaling_enabled",
    "host_encryption_enabled",
    "node_public_ip_enabled",
];

/// The provider generation (3 or 4) told by attribute names that exist in only one of them.
pub fn infer_generation(cluster: &TfResource, pools: &[TfResource]) -> Option<u32> {
    let (mut v3, mut v4) = (false, false);
    let has = |r: &TfResource, path: &str| -> bool {
        lookup(&r.values, path).is_some() || r.unresolved.iter().any(|(p, _)| p == path)
    };
    for a in V3_ONLY_CLUSTER {
        v3 |= has(cluster, a);
    }
    for a in V4_ONLY_CLUSTER {
        v4 |= has(cluster, a);
    }
    for (b, a) in V3_ONLY_BLOCK {
        v3 |= has(cluster, &format!("{b}.0.{a}"));
    }
    for (b, a) in V4_ONLY_BLOCK {
        v4 |= has(cluster, &format!("{b}.0.{a}"));
    }
    for a in V3_ONLY_POOL {
        v3 |= has(cluster, &format!("default_node_pool.0.{a}"));
        v3 |= pools.iter().any(|p| has(p, a));
    }
    for a in V4_ONLY_POOL {
        v4 |= has(cluster, &format!("default_node_pool.0.{a}"));
        v4 |= pools.iter().any(|p| has(p, a));
    }
    match (v3, v4) {
        (true, false) => Some(3),
        (false, true) => Some(4),
        _ => None,
    }
}

/// The member at a dotted attribute path (`network_profile.0.network_policy`), JSON null
/// included (a plan states every attribute of the schema, null when unset).
fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    if path.is_empty() {
        return Some(cur);
    }
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `network_profile.0.network_policy` -> `network_profile[0].network_policy`.
pub fn tf_address(addr: &str, path: &str) -> String {
    let mut s = addr.to_string();
    if path.is_empty() {
        return s;
    }
    for seg in path.split('.') {
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            s.push('[');
            s.push_str(seg);
            s.push(']');
        } else {
            s.push('.');
            s.push_str(seg);
        }
    }
    s
}

/// What an attribute lookup found.
#[derive(Debug, Clone, Copy)]
enum Got<'a> {
    Val(&'a Value),
    Unres(&'a Unresolved),
    Absent,
}

/// One resource being mapped: fast lookups of its values, unresolved paths and lines.
struct Src<'a> {
    r: &'a TfResource,
    unres: BTreeMap<&'a str, &'a Unresolved>,
    lines: HashMap<&'a str, u32>,
}

impl<'a> Src<'a> {
    fn new(r: &'a TfResource) -> Src<'a> {
        let mut unres = BTreeMap::new();
        for (p, u) in &r.unresolved {
            unres.entry(p.as_str()).or_insert(u);
        }
        let mut lines = HashMap::new();
        for (p, l) in &r.lines {
            lines.entry(p.as_str()).or_insert(*l);
        }
        Src { r, unres, lines }
    }

    /// The unresolved entry at `path` or at one of its ancestors.
    fn unres_at(&self, path: &str) -> Option<&'a Unresolved> {
        let mut end = 0;
        loop {
            let next = path[end..].find('.').map(|i| end + i);
            let prefix = &path[..next.unwrap_or(path.len())];
            if let Some(u) = self.unres.get(prefix) {
                return Some(u);
            }
            match next {
                Some(i) => end = i + 1,
                None => return None,
            }
        }
    }

    /// The first unresolved entry strictly below `path`.
    fn unres_below(&self, path: &str) -> Option<&'a Unresolved> {
        let prefix = format!("{path}.");
        self.unres
            .range::<str, _>((
                std::ops::Bound::Included(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, u)| *u)
    }

    /// The value at `path`; a value with an unresolved member (in a plan, a list whose items
    /// are known only after apply) counts as unresolved as a whole.
    fn get(&self, path: &str) -> Got<'a> {
        match self.get_raw(path) {
            Got::Unres(u) => Got::Unres(u),
            g => match self.unres_below(path) {
                Some(u) => Got::Unres(u),
                None => g,
            },
        }
    }

    /// The value at `path` (JSON null is absent), without looking at its members.
    fn get_raw(&self, path: &str) -> Got<'a> {
        if let Some(u) = self.unres_at(path) {
            return Got::Unres(u);
        }
        match lookup(&self.r.values, path) {
            Some(Value::Null) | None => Got::Absent,
            Some(v) => Got::Val(v),
        }
    }

    /// The first of `paths` that is not absent.
    fn first(&self, paths: &[String]) -> Option<(String, Got<'a>)> {
        paths.iter().find_map(|p| match self.get(p) {
            Got::Absent => None,
            g => Some((p.clone(), g)),
        })
    }

    fn line(&self, path: &str) -> Option<u32> {
        let mut p = path;
        loop {
            if let Some(l) = self.lines.get(p) {
                return Some(*l);
            }
            if p.is_empty() {
                return None;
            }
            p = p.rfind('.').map_or("", |i| &p[..i]);
        }
    }

    fn origin(&self, path: &str, note: Option<String>) -> Origin {
        Origin {
            file: self.r.file.clone(),
            pointer: tf_address(&self.r.addr, path),
            line: self.line(path),
            note,
        }
    }
}

/// How an attribute's value becomes a model value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Bool,
    Num,
    /// A bool written as the string `"true"` / `"false"` (add-on `config` values).
    BoolStr,
    /// The negation of a bool (`run_command_enabled` -> `disableRunCommand`).
    NotBool,
    /// A bool as `"Enabled"` / `"Disabled"`.
    EnabledStr,
    /// A list of strings.
    StrList,
    /// Anything, as is (maps of labels and tags).
    Any,
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn convert(v: &Value, kind: Kind) -> Result<Value, &'static str> {
    match kind {
        Kind::Any => Ok(v.clone()),
        Kind::Str => match v {
            Value::String(_) => Ok(v.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err("expected a string"),
        },
        Kind::Bool => as_bool(v).map(Value::Bool).ok_or("expected true or false"),
        Kind::NotBool => as_bool(v)
            .map(|b| Value::Bool(!b))
            .ok_or("expected true or false"),
        Kind::EnabledStr => as_bool(v)
            .map(|b| json!(if b { "Enabled" } else { "Disabled" }))
            .ok_or("expected true or false"),
        Kind::BoolStr => as_bool(v)
            .map(|b| Value::String(b.to_string()))
            .ok_or("expected true or false"),
        Kind::Num => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(num)
                .ok_or("expected a number"),
            _ => Err("expected a number"),
        },
        Kind::StrList => match v {
            Value::Array(a) => a
                .iter()
                .map(|x| convert(x, Kind::Str))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::String(_) => Ok(Value::Array(vec![v.clone()])),
            _ => Err("expected a list of strings"),
        },
    }
}

/// A JSON number, integral when the value is.
pub(crate) fn num(f: f64) -> Option<Value> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        Some(Value::from(f as i64))
    } else {
        serde_json::Number::from_f64(f).map(Value::Number)
    }
}

/// Builds a cluster from one resource and its pools.
struct Mapper {
    c: Cluster,
    generation: Option<u32>,
}

impl Mapper {
    /// Copies the first present attribute of `attrs` (alternative names) to `arm`.
    fn put(&mut self, s: &Src, attrs: &[String], arm: &[Seg], kind: Kind) -> bool {
        self.put_noted(s, attrs, arm, kind, None)
    }

    fn put_noted(
        &mut self,
        s: &Src,
        attrs: &[String],
        arm: &[Seg],
        kind: Kind,
        note: Option<&str>,
    ) -> bool {
        let Some((path, got)) = s.first(attrs) else {
            return false;
        };
        let origin = s.origin(&path, note.map(str::to_string));
        match got {
            Got::Val(v) => match convert(v, kind) {
                Ok(x) => self.c.set(arm, x, Some(origin)),
                Err(reason) => self.c.set_unresolved(
                    arm,
                    Unresolved {
                        expr: short(v),
                        reason: reason.to_string(),
                    },
                    Some(origin),
                ),
            },
            Got::Unres(u) => self.c.set_unresolved(arm, u.clone(), Some(origin)),
            Got::Absent => return false,
        }
        true
    }

    /// Sets `arm` to `value` because the block at `block_path` (`oms_agent.0`) exists.
    fn put_fixed(&mut self, s: &Src, block_path: &str, arm: &[Seg], value: Value, note: String) {
        let o = s.origin(block_path, Some(note));
        self.c.set(arm, value, Some(o));
    }

    fn unresolved(&mut self, s: &Src, path: &str, arm: &[Seg], u: &Unresolved) {
        let o = s.origin(path, None);
        self.c.set_unresolved(arm, u.clone(), Some(o));
    }
}

/// A JSON value as short text (for an Unresolved expression).
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        let mut t: String = s.chars().take(117).collect();
        t.push_str("...");
        t
    } else {
        s
    }
}

/// Whether a block exists: `Some(Ok(path_of_its_first_item))`, `Some(Err(unresolved))`, or
/// `None` when absent (an empty list or null).
fn block<'a>(s: &Src<'a>, path: &str) -> Option<Result<String, &'a Unresolved>> {
    match s.get_raw(path) {
        Got::Val(Value::Array(a)) if !a.is_empty() => {
            let first = format!("{path}.0");
            match s.get_raw(&first) {
                Got::Unres(u) => Some(Err(u)),
                Got::Val(Value::Object(_)) => Some(Ok(first)),
                _ => None,
            }
        }
        Got::Val(Value::Object(_)) => Some(Ok(path.to_string())),
        Got::Unres(u) => Some(Err(u)),
        _ => None,
    }
}

fn p(prefix: &str, attr: &str) -> String {
    join_path(prefix, attr)
}

fn ps(prefix: &str, attrs: &[&str]) -> Vec<String> {
    attrs.iter().map(|a| p(prefix, a)).collect()
}

/// Builds a model path: the static segments of `base` followed by `rest`.
fn path<'x>(base: &[Seg<'x>], rest: &[Seg<'x>]) -> Vec<Seg<'x>> {
    let mut v = base.to_vec();
    v.extend_from_slice(rest);
    v
}

/// The azurerm -> ARM mapping, shared by plan and HCL: one `azurerm_kubernetes_cluster`'s
/// attributes (the plan's `values` shape: blocks are lists of objects) and its node pools'
/// attributes become one Cluster. `addr` is the resource address used in `Origin.pointer`
/// (`<addr>.network_profile[0].network_policy`). The provider generation is inferred from
/// attribute names ([`infer_generation`]).
pub fn cluster_from_azurerm(shape: Shape, cluster: &TfResource, pools: &[TfResource]) -> Cluster {
    cluster_from_azurerm_with(shape, cluster, pools, None)
}

/// [`cluster_from_azurerm`] with the azurerm major version when the configuration pins it
/// (it takes precedence over the inference from attribute names).
pub fn cluster_from_azurerm_with(
    shape: Shape,
    cluster: &TfResource,
    pools: &[TfResource],
    major: Option<u32>,
) -> Cluster {
    let generation = major.or_else(|| infer_generation(cluster, pools));
    let mut c = Cluster::new(shape, cluster.file.clone());
    c.provider = generation.map(|g| format!("azurerm {g}.x"));
    let mut m = Mapper { c, generation };
    let s = Src::new(cluster);
    // What the resource does not set is judged at the resource itself.
    let root = s.origin("", None);
    m.c.set_origin(&[], root);
    map_cluster(&mut m, &s);

    // Node pools: the default pool first, then the separate resources in order.
    if let Some(r) = block(&s, "default_node_pool") {
        let arm = [
            Seg::Key("properties"),
            Seg::Key("agentPoolProfiles"),
            Seg::Index(0),
        ];
        match r {
            Ok(bp) => {
                let o = s.origin(&bp, None);
                m.c.set(&arm, Value::Object(Map::new()), Some(o));
                map_pool(&mut m, &s, &bp, 0);
                let mode = path(&arm, &[Seg::Key("mode")]);
                m.put_fixed(
                    &s,
                    &bp,
                    &mode,
                    json!("System"),
                    "default_node_pool is the System node pool".to_string(),
                );
            }
            Err(u) => m.unresolved(&s, "default_node_pool", &arm, u),
        }
    }
    for pool in pools {
        let ps_ = Src::new(pool);
        let o = ps_.origin("", None);
        let i = m.c.push_pool(Value::Object(Map::new()), Some(o));
        map_pool(&mut m, &ps_, "", i);
        let arm = [
            Seg::Key("properties"),
            Seg::Key("agentPoolProfiles"),
            Seg::Index(i),
            Seg::Key("mode"),
        ];
        if !m.put(&ps_, &["mode".to_string()], &arm, Kind::Str) {
            m.put_fixed(
                &ps_,
                "",
                &arm,
                json!("User"),
                "the azurerm default mode of azurerm_kubernetes_cluster_node_pool".to_string(),
            );
        }
    }
    m.c
}

fn map_cluster(m: &mut Mapper, s: &Src) {
    use Kind::*;
    const PROPS: Seg = Seg::Key("properties");
    let k = Seg::Key;
    let one = |a: &str| vec![a.to_string()];

    m.put(s, &one("name"), &[k("name")], Str);
    m.put(s, &one("id"), &[k("id")], Str);
    m.put(s, &one("location"), &[k("location")], Str);
    m.put(s, &one("tags"), &[k("tags")], Any);
    m.put(s, &one("sku_tier"), &[k("sku"), k("tier")], Str);
    for (a, arm) in [
        ("kubernetes_version", "kubernetesVersion"),
        ("dns_prefix", "dnsPrefix"),
        ("dns_prefix_private_cluster", "fqdnSubdomain"),
        ("node_resource_group", "nodeResourceGroup"),
        ("support_plan", "supportPlan"),
        ("disk_encryption_set_id", "diskEncryptionSetID"),
    ] {
        m.put(s, &one(a), &[PROPS, k(arm)], Str);
    }
    // azurerm 2.x wrote `role_based_access_control { enabled = ... }`.
    m.put(
        s,
        &[
            "role_based_access_control_enabled".to_string(),
            "role_based_access_control.0.enabled".to_string(),
        ],
        &[PROPS, k("enableRBAC")],
        Bool,
    );
    m.put(
        s,
        &one("local_account_disabled"),
        &[PROPS, k("disableLocalAccounts")],
        Bool,
    );
    // v3 only: publicNetworkAccess is an enum in the API.
    m.put(
        s,
        &one("public_network_access_enabled"),
        &[PROPS, k("publicNetworkAccess")],
        EnabledStr,
    );

    // API server access.
    let api = [PROPS, k("apiServerAccessProfile")];
    m.put(
        s,
        &one("private_cluster_enabled"),
        &path(&api, &[k("enablePrivateCluster")]),
        Bool,
    );
    m.put(
        s,
        &one("private_cluster_public_fqdn_enabled"),
        &path(&api, &[k("enablePrivateClusterPublicFQDN")]),
        Bool,
    );
    m.put(
        s,
        &one("private_dns_zone_id"),
        &path(&api, &[k("privateDNSZone")]),
        Str,
    );
    m.put_noted(
        s,
        &one("run_command_enabled"),
        &path(&api, &[k("disableRunCommand")]),
        NotBool,
        Some("the negation of run_command_enabled"),
    );
    match block(s, "api_server_access_profile") {
        Some(Ok(b)) => {
            if !m.put(
                s,
                &one(&p(&b, "authorized_ip_ranges")),
                &path(&api, &[k("authorizedIPRanges")]),
                StrList,
            ) {
                m.put(
                    s,
                    &one("api_server_authorized_ip_ranges"),
                    &path(&api, &[k("authorizedIPRanges")]),
                    StrList,
                );
            }
            m.put(
                s,
                &one(&p(&b, "subnet_id")),
                &path(&api, &[k("subnetId")]),
                Str,
            );
            m.put(
                s,
                &ps(
                    &b,
                    &[
                        "virtual_network_integration_enabled",
                        "vnet_integration_enabled",
                    ],
                ),
                &path(&api, &[k("enableVnetIntegration")]),
                Bool,
            );
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(
                s,
                "api_server_access_profile",
                &path(&api, &[k("authorizedIPRanges")]),
                &u,
            );
        }
        None => {
            m.put(
                s,
                &one("api_server_authorized_ip_ranges"),
                &path(&api, &[k("authorizedIPRanges")]),
                StrList,
            );
        }
    }

    // Azure AD (Entra ID) integration.
    let aad = [PROPS, k("aadProfile")];
    match block(s, "azure_active_directory_role_based_access_control") {
        Some(Ok(b)) => {
            let managed = p(&b, "managed");
            if !m.put(s, &one(&managed), &path(&aad, &[k("managed")]), Bool) {
                let legacy = ["client_app_id", "server_app_id"]
                    .iter()
                    .any(|a| matches!(s.get(&p(&b, a)), Got::Val(_)));
                if m.generation == Some(4) {
                    m.put_fixed(
                        s,
                        &b,
                        &path(&aad, &[k("managed")]),
                        json!(true),
                        "azurerm 4.x always uses AKS-managed Entra ID integration".to_string(),
                    );
                } else if legacy {
                    m.put_fixed(
                        s,
                        &b,
                        &path(&aad, &[k("managed")]),
                        json!(false),
                        "legacy (client_app_id / server_app_id) Entra ID integration".to_string(),
                    );
                }
            }
            m.put(
                s,
                &one(&p(&b, "azure_rbac_enabled")),
                &path(&aad, &[k("enableAzureRBAC")]),
                Bool,
            );
            m.put(
                s,
                &one(&p(&b, "admin_group_object_ids")),
                &path(&aad, &[k("adminGroupObjectIDs")]),
                StrList,
            );
            m.put(
                s,
                &one(&p(&b, "tenant_id")),
                &path(&aad, &[k("tenantID")]),
                Str,
            );
            m.put(
                s,
                &one(&p(&b, "client_app_id")),
                &path(&aad, &[k("clientAppID")]),
                Str,
            );
            m.put(
                s,
                &one(&p(&b, "server_app_id")),
                &path(&aad, &[k("serverAppID")]),
                Str,
            );
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(
                s,
                "azure_active_directory_role_based_access_control",
                &aad,
                &u,
            );
        }
        None => {}
    }

    // Identities.
    match block(s, "identity") {
        Some(Ok(b)) => {
            m.put(s, &one(&p(&b, "type")), &[k("identity"), k("type")], Str);
            let ids = p(&b, "identity_ids");
            match s.get(&ids) {
                Got::Val(Value::Array(a)) if !a.is_empty() => {
                    let mut uai = Map::new();
                    for id in a.iter().filter_map(Value::as_str) {
                        uai.insert(id.to_string(), json!({}));
                    }
                    let o = s.origin(&ids, None);
                    m.c.set(
                        &[k("identity"), k("userAssignedIdentities")],
                        Value::Object(uai),
                        Some(o),
                    );
                }
                Got::Unres(u) => {
                    let u = u.clone();
                    m.unresolved(s, &ids, &[k("identity"), k("userAssignedIdentities")], &u);
                }
                _ => {}
            }
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(s, "identity", &[k("identity")], &u);
        }
        None => {}
    }
    if let Some(r) = block(s, "service_principal") {
        let arm = [PROPS, k("servicePrincipalProfile"), k("clientId")];
        match r {
            // The client secret is never copied.
            Ok(b) => {
                m.put(s, &one(&p(&b, "client_id")), &arm, Str);
            }
            Err(u) => {
                let u = u.clone();
                m.unresolved(s, "service_principal", &arm, &u);
            }
        }
    }
    let kubelet = [PROPS, k("identityProfile"), k("kubeletidentity")];
    match block(s, "kubelet_identity") {
        Some(Ok(b)) => {
            for (a, arm) in [
                ("user_assigned_identity_id", "resourceId"),
                ("client_id", "clientId"),
                ("object_id", "objectId"),
            ] {
                m.put(s, &one(&p(&b, a)), &path(&kubelet, &[k(arm)]), Str);
            }
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(s, "kubelet_identity", &kubelet, &u);
        }
        None => {}
    }
    m.put(
        s,
        &one("oidc_issuer_enabled"),
        &[PROPS, k("oidcIssuerProfile"), k("enabled")],
        Bool,
    );

    // Security profile.
    let sec = [PROPS, k("securityProfile")];
    m.put(
        s,
        &one("workload_identity_enabled"),
        &path(&sec, &[k("workloadIdentity"), k("enabled")]),
        Bool,
    );
    m.put(
        s,
        &one("image_cleaner_enabled"),
        &path(&sec, &[k("imageCleaner"), k("enabled")]),
        Bool,
    );
    m.put(
        s,
        &one("image_cleaner_interval_hours"),
        &path(&sec, &[k("imageCleaner"), k("intervalHours")]),
        Num,
    );
    m.put(
        s,
        &one("custom_ca_trust_certificates_base64"),
        &path(&sec, &[k("customCATrustCertificates")]),
        StrList,
    );
    let kms = path(&sec, &[k("azureKeyVaultKms")]);
    if let Some(b) = present(m, s, "key_management_service", &path(&kms, &[k("enabled")])) {
        m.put(
            s,
            &one(&p(&b, "key_vault_key_id")),
            &path(&kms, &[k("keyId")]),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "key_vault_network_access")),
            &path(&kms, &[k("keyVaultNetworkAccess")]),
            Str,
        );
    }
    let def = path(&sec, &[k("defender")]);
    if let Some(b) = present(
        m,
        s,
        "microsoft_defender",
        &path(&def, &[k("securityMonitoring"), k("enabled")]),
    ) {
        m.put(
            s,
            &one(&p(&b, "log_analytics_workspace_id")),
            &path(&def, &[k("logAnalyticsWorkspaceResourceId")]),
            Str,
        );
    }

    // Network profile.
    let net = [PROPS, k("networkProfile")];
    match block(s, "network_profile") {
        Some(Ok(b)) => {
            for (attrs, arm, kind) in [
                (&["network_plugin"][..], "networkPlugin", Str),
                (&["network_plugin_mode"][..], "networkPluginMode", Str),
                (&["network_policy"][..], "networkPolicy", Str),
                (
                    &["network_data_plane", "ebpf_data_plane"][..],
                    "networkDataplane",
                    Str,
                ),
                (&["network_mode"][..], "networkMode", Str),
                (&["outbound_type"][..], "outboundType", Str),
                (&["load_balancer_sku"][..], "loadBalancerSku", Str),
                (&["pod_cidr"][..], "podCidr", Str),
                (&["service_cidr"][..], "serviceCidr", Str),
                (&["dns_service_ip"][..], "dnsServiceIP", Str),
                (&["docker_bridge_cidr"][..], "dockerBridgeCidr", Str),
                (&["pod_cidrs"][..], "podCidrs", StrList),
                (&["service_cidrs"][..], "serviceCidrs", StrList),
                (&["ip_versions"][..], "ipFamilies", StrList),
            ] {
                m.put(s, &ps(&b, attrs), &path(&net, &[k(arm)]), kind);
            }
            if let Some(Ok(lb)) = block(s, &p(&b, "load_balancer_profile")) {
                let lbp = path(&net, &[k("loadBalancerProfile")]);
                m.put(
                    s,
                    &one(&p(&lb, "managed_outbound_ip_count")),
                    &path(&lbp, &[k("managedOutboundIPs"), k("count")]),
                    Num,
                );
                m.put(
                    s,
                    &one(&p(&lb, "managed_outbound_ipv6_count")),
                    &path(&lbp, &[k("managedOutboundIPs"), k("countIPv6")]),
                    Num,
                );
                m.put(
                    s,
                    &one(&p(&lb, "outbound_ports_allocated")),
                    &path(&lbp, &[k("allocatedOutboundPorts")]),
                    Num,
                );
                m.put(
                    s,
                    &one(&p(&lb, "idle_timeout_in_minutes")),
                    &path(&lbp, &[k("idleTimeoutInMinutes")]),
                    Num,
                );
                m.put(
                    s,
                    &one(&p(&lb, "backend_pool_type")),
                    &path(&lbp, &[k("backendPoolType")]),
                    Str,
                );
                for (a, outer, inner) in [
                    ("outbound_ip_address_ids", "outboundIPs", "publicIPs"),
                    (
                        "outbound_ip_prefix_ids",
                        "outboundIPPrefixes",
                        "publicIPPrefixes",
                    ),
                ] {
                    let ap = p(&lb, a);
                    let arm = path(&lbp, &[k(outer), k(inner)]);
                    match s.get(&ap) {
                        Got::Val(Value::Array(ids)) if !ids.is_empty() => {
                            let list: Vec<Value> = ids
                                .iter()
                                .filter_map(Value::as_str)
                                .map(|id| json!({ "id": id }))
                                .collect();
                            let o = s.origin(&ap, None);
                            m.c.set(&arm, Value::Array(list), Some(o));
                        }
                        Got::Unres(u) => {
                            let u = u.clone();
                            m.unresolved(s, &ap, &arm, &u);
                        }
                        _ => {}
                    }
                }
            }
            if let Some(Ok(ng)) = block(s, &p(&b, "nat_gateway_profile")) {
                let ngp = path(&net, &[k("natGatewayProfile")]);
                m.put(
                    s,
                    &one(&p(&ng, "managed_outbound_ip_count")),
                    &path(&ngp, &[k("managedOutboundIPProfile"), k("count")]),
                    Num,
                );
                m.put(
                    s,
                    &one(&p(&ng, "idle_timeout_in_minutes")),
                    &path(&ngp, &[k("idleTimeoutInMinutes")]),
                    Num,
                );
            }
            if let Some(Ok(an)) = block(s, &p(&b, "advanced_networking")) {
                let anp = path(&net, &[k("advancedNetworking")]);
                m.put(
                    s,
                    &one(&p(&an, "observability_enabled")),
                    &path(&anp, &[k("observability"), k("enabled")]),
                    Bool,
                );
                m.put(
                    s,
                    &one(&p(&an, "security_enabled")),
                    &path(&anp, &[k("security"), k("enabled")]),
                    Bool,
                );
            }
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(s, "network_profile", &net, &u);
        }
        None => {}
    }

    // Add-ons.
    let addon = |name: &'static str| -> [Seg<'static>; 3] {
        [PROPS, Seg::Key("addonProfiles"), Seg::Key(name)]
    };
    m.put(
        s,
        &one("azure_policy_enabled"),
        &path(&addon("azurepolicy"), &[k("enabled")]),
        Bool,
    );
    m.put(
        s,
        &one("http_application_routing_enabled"),
        &path(&addon("httpApplicationRouting"), &[k("enabled")]),
        Bool,
    );
    m.put(
        s,
        &one("open_service_mesh_enabled"),
        &path(&addon("openServiceMesh"), &[k("enabled")]),
        Bool,
    );
    // azurerm 2.x: `addon_profile { kube_dashboard { enabled = ... } ... }`.
    for (block, name) in [
        ("kube_dashboard", "kubeDashboard"),
        ("http_application_routing", "httpApplicationRouting"),
        ("azure_policy", "azurepolicy"),
        ("oms_agent", "omsagent"),
        (
            "azure_keyvault_secrets_provider",
            "azureKeyvaultSecretsProvider",
        ),
        ("ingress_application_gateway", "ingressApplicationGateway"),
    ] {
        m.put(
            s,
            &[format!("addon_profile.0.{block}.0.enabled")],
            &path(&addon(name), &[k("enabled")]),
            Bool,
        );
    }
    let oms = addon("omsagent");
    if let Some(b) = present(m, s, "oms_agent", &path(&oms, &[k("enabled")])) {
        m.put(
            s,
            &one(&p(&b, "log_analytics_workspace_id")),
            &path(&oms, &[k("config"), k("logAnalyticsWorkspaceResourceID")]),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "msi_auth_for_monitoring_enabled")),
            &path(&oms, &[k("config"), k("useAADAuth")]),
            BoolStr,
        );
    }
    let kv = addon("azureKeyvaultSecretsProvider");
    if let Some(b) = present(
        m,
        s,
        "key_vault_secrets_provider",
        &path(&kv, &[k("enabled")]),
    ) {
        m.put(
            s,
            &one(&p(&b, "secret_rotation_enabled")),
            &path(&kv, &[k("config"), k("enableSecretRotation")]),
            BoolStr,
        );
        m.put(
            s,
            &one(&p(&b, "secret_rotation_interval")),
            &path(&kv, &[k("config"), k("rotationPollInterval")]),
            Str,
        );
    }
    let agic = addon("ingressApplicationGateway");
    if let Some(b) = present(
        m,
        s,
        "ingress_application_gateway",
        &path(&agic, &[k("enabled")]),
    ) {
        for (a, arm) in [
            ("gateway_id", "applicationGatewayId"),
            ("gateway_name", "applicationGatewayName"),
            ("subnet_cidr", "subnetCIDR"),
            ("subnet_id", "subnetId"),
        ] {
            m.put(
                s,
                &one(&p(&b, a)),
                &path(&agic, &[k("config"), k(arm)]),
                Str,
            );
        }
    }
    let aci = addon("aciConnectorLinux");
    if let Some(b) = present(m, s, "aci_connector_linux", &path(&aci, &[k("enabled")])) {
        m.put(
            s,
            &one(&p(&b, "subnet_name")),
            &path(&aci, &[k("config"), k("SubnetName")]),
            Str,
        );
    }
    let acc = addon("ACCSGXDevicePlugin");
    if let Some(b) = present(m, s, "confidential_computing", &path(&acc, &[k("enabled")])) {
        m.put(
            s,
            &one(&p(&b, "sgx_quote_helper_enabled")),
            &path(&acc, &[k("config"), k("ACCSGXQuoteHelperEnabled")]),
            BoolStr,
        );
    }

    // Azure Monitor managed Prometheus.
    let metrics = [PROPS, k("azureMonitorProfile"), k("metrics")];
    if let Some(b) = present(m, s, "monitor_metrics", &path(&metrics, &[k("enabled")])) {
        m.put(
            s,
            &one(&p(&b, "annotations_allowed")),
            &path(
                &metrics,
                &[k("kubeStateMetrics"), k("metricAnnotationsAllowList")],
            ),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "labels_allowed")),
            &path(
                &metrics,
                &[k("kubeStateMetrics"), k("metricLabelsAllowlist")],
            ),
            Str,
        );
    }
    m.put(
        s,
        &one("cost_analysis_enabled"),
        &[PROPS, k("metricsProfile"), k("costAnalysis"), k("enabled")],
        Bool,
    );

    // Upgrades.
    let up = [PROPS, k("autoUpgradeProfile")];
    m.put(
        s,
        &ps(
            "",
            &["automatic_upgrade_channel", "automatic_channel_upgrade"],
        ),
        &path(&up, &[k("upgradeChannel")]),
        Str,
    );
    m.put(
        s,
        &ps("", &["node_os_upgrade_channel", "node_os_channel_upgrade"]),
        &path(&up, &[k("nodeOSUpgradeChannel")]),
        Str,
    );
    if let Some(Ok(b)) = block(s, "upgrade_override") {
        let ov = [PROPS, k("upgradeSettings"), k("overrideSettings")];
        m.put(
            s,
            &one(&p(&b, "force_upgrade_enabled")),
            &path(&ov, &[k("forceUpgrade")]),
            Bool,
        );
        m.put(
            s,
            &one(&p(&b, "effective_until")),
            &path(&ov, &[k("until")]),
            Str,
        );
    }
    // Maintenance windows are separate `maintenanceConfigurations` resources in the API; the
    // model lists them by name at the top level (their schedules are not mapped).
    let mut mc = 0;
    for (a, name) in [
        ("maintenance_window", "default"),
        (
            "maintenance_window_auto_upgrade",
            "aksManagedAutoUpgradeSchedule",
        ),
        (
            "maintenance_window_node_os",
            "aksManagedNodeOSUpgradeSchedule",
        ),
    ] {
        if let Some(Ok(b)) = block(s, a) {
            let o = s.origin(&b, Some(format!("the {a} block is present")));
            m.c.set(
                &[k("maintenanceConfigurations"), Seg::Index(mc)],
                json!({ "name": name }),
                Some(o),
            );
            mc += 1;
        }
    }

    // Profiles.
    match block(s, "linux_profile") {
        Some(Ok(b)) => {
            let lp = [PROPS, k("linuxProfile")];
            m.put(
                s,
                &one(&p(&b, "admin_username")),
                &path(&lp, &[k("adminUsername")]),
                Str,
            );
            if let Some(Ok(key)) = block(s, &p(&b, "ssh_key")) {
                m.put(
                    s,
                    &one(&p(&key, "key_data")),
                    &path(
                        &lp,
                        &[k("ssh"), k("publicKeys"), Seg::Index(0), k("keyData")],
                    ),
                    Str,
                );
            }
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(s, "linux_profile", &[PROPS, k("linuxProfile")], &u);
        }
        None => {}
    }
    if let Some(Ok(b)) = block(s, "windows_profile") {
        // The admin password is never copied.
        let wp = [PROPS, k("windowsProfile")];
        m.put(
            s,
            &one(&p(&b, "admin_username")),
            &path(&wp, &[k("adminUsername")]),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "license")),
            &path(&wp, &[k("licenseType")]),
            Str,
        );
        if let Some(g) = present(
            m,
            s,
            &p(&b, "gmsa"),
            &path(&wp, &[k("gmsaProfile"), k("enabled")]),
        ) {
            m.put(
                s,
                &one(&p(&g, "dns_server")),
                &path(&wp, &[k("gmsaProfile"), k("dnsServer")]),
                Str,
            );
            m.put(
                s,
                &one(&p(&g, "root_domain")),
                &path(&wp, &[k("gmsaProfile"), k("rootDomainName")]),
                Str,
            );
        }
    }
    match block(s, "service_mesh_profile") {
        Some(Ok(b)) => {
            let sm = [PROPS, k("serviceMeshProfile")];
            m.put(s, &one(&p(&b, "mode")), &path(&sm, &[k("mode")]), Str);
            let istio = path(&sm, &[k("istio")]);
            m.put(
                s,
                &one(&p(&b, "revisions")),
                &path(&istio, &[k("revisions")]),
                StrList,
            );
            let mut gw = 0;
            for (a, mode) in [
                ("internal_ingress_gateway_enabled", "Internal"),
                ("external_ingress_gateway_enabled", "External"),
            ] {
                let ap = p(&b, a);
                let arm = path(
                    &istio,
                    &[k("components"), k("ingressGateways"), Seg::Index(gw)],
                );
                match s.get(&ap) {
                    Got::Val(v) => {
                        if let Some(en) = as_bool(v) {
                            let o = s.origin(&ap, None);
                            m.c.set(&arm, json!({ "mode": mode, "enabled": en }), Some(o));
                            gw += 1;
                        }
                    }
                    Got::Unres(u) => {
                        let u = u.clone();
                        m.unresolved(s, &ap, &arm, &u);
                        gw += 1;
                    }
                    Got::Absent => {}
                }
            }
            if let Some(Ok(ca)) = block(s, &p(&b, "certificate_authority")) {
                let plugin = path(&istio, &[k("certificateAuthority"), k("plugin")]);
                for (a, arm) in [
                    ("key_vault_id", "keyVaultId"),
                    ("root_cert_object_name", "rootCertObjectName"),
                    ("cert_chain_object_name", "certChainObjectName"),
                    ("cert_object_name", "certObjectName"),
                    ("key_object_name", "keyObjectName"),
                ] {
                    m.put(s, &one(&p(&ca, a)), &path(&plugin, &[k(arm)]), Str);
                }
            }
        }
        Some(Err(u)) => {
            let u = u.clone();
            m.unresolved(
                s,
                "service_mesh_profile",
                &[PROPS, k("serviceMeshProfile")],
                &u,
            );
        }
        None => {}
    }
    if let Some(Ok(b)) = block(s, "storage_profile") {
        for (a, arm) in [
            ("blob_driver_enabled", "blobCSIDriver"),
            ("disk_driver_enabled", "diskCSIDriver"),
            ("file_driver_enabled", "fileCSIDriver"),
            ("snapshot_controller_enabled", "snapshotController"),
        ] {
            m.put(
                s,
                &one(&p(&b, a)),
                &[PROPS, k("storageProfile"), k(arm), k("enabled")],
                Bool,
            );
        }
    }
    if let Some(Ok(b)) = block(s, "workload_autoscaler_profile") {
        let w = [PROPS, k("workloadAutoScalerProfile")];
        m.put(
            s,
            &one(&p(&b, "keda_enabled")),
            &path(&w, &[k("keda"), k("enabled")]),
            Bool,
        );
        m.put(
            s,
            &one(&p(&b, "vertical_pod_autoscaler_enabled")),
            &path(&w, &[k("verticalPodAutoscaler"), k("enabled")]),
            Bool,
        );
    }
    let war = [PROPS, k("ingressProfile"), k("webAppRouting")];
    if let Some(b) = present(m, s, "web_app_routing", &path(&war, &[k("enabled")])) {
        m.put(
            s,
            &one(&p(&b, "dns_zone_ids")),
            &path(&war, &[k("dnsZoneResourceIds")]),
            StrList,
        );
    }
    if let Some(Ok(b)) = block(s, "http_proxy_config") {
        let h = [PROPS, k("httpProxyConfig")];
        m.put(
            s,
            &one(&p(&b, "http_proxy")),
            &path(&h, &[k("httpProxy")]),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "https_proxy")),
            &path(&h, &[k("httpsProxy")]),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "no_proxy")),
            &path(&h, &[k("noProxy")]),
            StrList,
        );
        m.put(
            s,
            &one(&p(&b, "trusted_ca")),
            &path(&h, &[k("trustedCa")]),
            Str,
        );
    }
    if let Some(Ok(b)) = block(s, "bootstrap_profile") {
        let bp = [PROPS, k("bootstrapProfile")];
        m.put(
            s,
            &one(&p(&b, "artifact_source")),
            &path(&bp, &[k("artifactSource")]),
            Str,
        );
        m.put(
            s,
            &one(&p(&b, "container_registry_id")),
            &path(&bp, &[k("containerRegistryId")]),
            Str,
        );
    }
}

/// A block whose existence enables a feature: sets `enabled_arm` to true (or unresolved) and
/// returns the path of the block's item when it exists.
fn present(m: &mut Mapper, s: &Src, block_name: &str, enabled_arm: &[Seg]) -> Option<String> {
    match block(s, block_name)? {
        Ok(b) => {
            let leaf = block_name.rsplit('.').next().unwrap_or(block_name);
            m.put_fixed(
                s,
                &b,
                enabled_arm,
                json!(true),
                format!("the {leaf} block is present"),
            );
            Some(b)
        }
        Err(u) => {
            let u = u.clone();
            m.unresolved(s, block_name, enabled_arm, &u);
            None
        }
    }
}

/// Maps the attributes of a node pool (`prefix` is `default_node_pool.0` or empty for a
/// separate pool resource) to `properties.agentPoolProfiles[i]`.
fn map_pool(m: &mut Mapper, s: &Src, prefix: &str, i: usize) {
    use Kind::*;
    let k = Seg::Key;
    let base = [k("properties"), k("agentPoolProfiles"), Seg::Index(i)];
    for (attrs, arm, kind) in [
        (&["name"][..], "name", Str),
        (&["vm_size"][..], "vmSize", Str),
        (&["node_count"][..], "count", Num),
        (
            &["auto_scaling_enabled", "enable_auto_scaling"][..],
            "enableAutoScaling",
            Bool,
        ),
        (&["min_count"][..], "minCount", Num),
        (&["max_count"][..], "maxCount", Num),
        (&["max_pods"][..], "maxPods", Num),
        (&["zones"][..], "availabilityZones", StrList),
        (
            &["node_public_ip_enabled", "enable_node_public_ip"][..],
            "enableNodePublicIP",
            Bool,
        ),
        (
            &["node_public_ip_prefix_id"][..],
            "nodePublicIPPrefixID",
            Str,
        ),
        (
            &["host_encryption_enabled", "enable_host_encryption"][..],
            "enableEncryptionAtHost",
            Bool,
        ),
        (&["fips_enabled"][..], "enableFIPS", Bool),
        (&["ultra_ssd_enabled"][..], "enableUltraSSD", Bool),
        (&["os_disk_type"][..], "osDiskType", Str),
        (&["os_disk_size_gb"][..], "osDiskSizeGB", Num),
        (&["os_sku"][..], "osSKU", Str),
        (&["os_type"][..], "osType", Str),
        (&["orchestrator_version"][..], "orchestratorVersion", Str),
        (&["node_labels"][..], "nodeLabels", Any),
        (&["tags"][..], "tags", Any),
        (&["vnet_subnet_id"][..], "vnetSubnetID", Str),
        (&["pod_subnet_id"][..], "podSubnetID", Str),
        (&["type"][..], "type", Str),
        (&["kubelet_disk_type"][..], "kubeletDiskType", Str),
        (&["workload_runtime"][..], "workloadRuntime", Str),
        (&["host_group_id"][..], "hostGroupID", Str),
        (&["priority"][..], "scaleSetPriority", Str),
        (&["eviction_policy"][..], "scaleSetEvictionPolicy", Str),
        (&["spot_max_price"][..], "spotMaxPrice", Num),
        (
            &["proximity_placement_group_id"][..],
            "proximityPlacementGroupID",
            Str,
        ),
        (&["scale_down_mode"][..], "scaleDownMode", Str),
        (&["gpu_instance"][..], "gpuInstanceProfile", Str),
        (
            &["capacity_reservation_group_id"][..],
            "capacityReservationGroupID",
            Str,
        ),
        (&["message_of_the_day"][..], "messageOfTheDay", Str),
    ] {
        m.put(s, &ps(prefix, attrs), &path(&base, &[k(arm)]), kind);
    }
    m.put(
        s,
        &ps(prefix, &["snapshot_id"]),
        &path(&base, &[k("creationData"), k("sourceResourceId")]),
        Str,
    );

    // Taints: node_taints plus the one only_critical_addons_enabled implies.
    let taints_arm = path(&base, &[k("nodeTaints")]);
    let critical = p(prefix, "only_critical_addons_enabled");
    let mut taints = match s.get(&p(prefix, "node_taints")) {
        Got::Val(v) => match convert(v, StrList) {
            Ok(Value::Array(a)) => Some((a, p(prefix, "node_taints"))),
            _ => None,
        },
        Got::Unres(u) => {
            let u = u.clone();
            m.unresolved(s, &p(prefix, "node_taints"), &taints_arm, &u);
            return map_pool_blocks(m, s, prefix, &base);
        }
        Got::Absent => None,
    };
    match s.get(&critical) {
        Got::Val(v) if as_bool(v) == Some(true) => {
            let t = json!("CriticalAddonsOnly=true:NoSchedule");
            match &mut taints {
                Some((a, _)) => {
                    if !a.contains(&t) {
                        a.push(t);
                    }
                }
                None => taints = Some((vec![t], critical.clone())),
            }
        }
        Got::Unres(u) => {
            let u = u.clone();
            m.unresolved(s, &critical, &taints_arm, &u);
            return map_pool_blocks(m, s, prefix, &base);
        }
        _ => {}
    }
    if let Some((a, from)) = taints {
        let note = (from == critical)
            .then(|| "only_critical_addons_enabled = true taints the pool".to_string());
        let o = s.origin(&from, note);
        m.c.set(&taints_arm, Value::Array(a), Some(o));
    }
    map_pool_blocks(m, s, prefix, &base);
}

/// The nested blocks of a node pool.
fn map_pool_blocks(m: &mut Mapper, s: &Src, prefix: &str, base: &[Seg]) {
    use Kind::*;
    let k = Seg::Key;
    if let Some(Ok(b)) = block(s, &p(prefix, "upgrade_settings")) {
        for (a, arm, kind) in [
            ("max_surge", "maxSurge", Str),
            ("drain_timeout_in_minutes", "drainTimeoutInMinutes", Num),
            (
                "node_soak_duration_in_minutes",
                "nodeSoakDurationInMinutes",
                Num,
            ),
        ] {
            m.put(
                s,
                &[p(&b, a)],
                &path(base, &[k("upgradeSettings"), k(arm)]),
                kind,
            );
        }
    }
    if let Some(Ok(b)) = block(s, &p(prefix, "kubelet_config")) {
        for (a, arm, kind) in [
            ("allowed_unsafe_sysctls", "allowedUnsafeSysctls", StrList),
            ("cpu_manager_policy", "cpuManagerPolicy", Str),
            ("cpu_cfs_quota_enabled", "cpuCfsQuota", Bool),
            ("cpu_cfs_quota_period", "cpuCfsQuotaPeriod", Str),
            ("image_gc_high_threshold", "imageGcHighThreshold", Num),
            ("image_gc_low_threshold", "imageGcLowThreshold", Num),
            ("topology_manager_policy", "topologyManagerPolicy", Str),
            ("container_log_max_size_mb", "containerLogMaxSizeMB", Num),
            ("container_log_max_line", "containerLogMaxFiles", Num),
            ("pod_max_pid", "podMaxPids", Num),
        ] {
            m.put(
                s,
                &[p(&b, a)],
                &path(base, &[k("kubeletConfig"), k(arm)]),
                kind,
            );
        }
    }
    if let Some(Ok(b)) = block(s, &p(prefix, "linux_os_config")) {
        m.put(
            s,
            &[p(&b, "swap_file_size_mb")],
            &path(base, &[k("linuxOSConfig"), k("swapFileSizeMB")]),
            Num,
        );
        m.put(
            s,
            &ps(
                &b,
                &["transparent_huge_page", "transparent_huge_page_enabled"],
            ),
            &path(base, &[k("linuxOSConfig"), k("transparentHugePageEnabled")]),
            Str,
        );
        m.put(
            s,
            &[p(&b, "transparent_huge_page_defrag")],
            &path(base, &[k("linuxOSConfig"), k("transparentHugePageDefrag")]),
            Str,
        );
    }
    if let Some(Ok(b)) = block(s, &p(prefix, "node_network_profile")) {
        let np = path(base, &[k("networkProfile")]);
        m.put(
            s,
            &[p(&b, "application_security_group_ids")],
            &path(&np, &[k("applicationSecurityGroups")]),
            StrList,
        );
        let tags = p(&b, "node_public_ip_tags");
        match s.get(&tags) {
            Got::Val(Value::Object(t)) if !t.is_empty() => {
                let list: Vec<Value> = t
                    .iter()
                    .map(|(typ, tag)| json!({ "ipTagType": typ, "tag": tag }))
                    .collect();
                let o = s.origin(&tags, None);
                m.c.set(
                    &path(&np, &[k("nodePublicIPTags")]),
                    Value::Array(list),
                    Some(o),
                );
            }
            Got::Unres(u) => {
                let u = u.clone();
                m.unresolved(s, &tags, &path(&np, &[k("nodePublicIPTags")]), &u);
            }
            _ => {}
        }
        let ports = p(&b, "allowed_host_ports");
        if let Got::Val(Value::Array(items)) = s.get_raw(&ports) {
            for (j, _) in items.iter().enumerate() {
                let item = format!("{ports}.{j}");
                let arm = path(&np, &[k("allowedHostPorts"), Seg::Index(j)]);
                for (a, f, kind) in [
                    ("port_start", "portStart", Num),
                    ("port_end", "portEnd", Num),
                    ("protocol", "protocol", Str),
                ] {
                    m.put(s, &[p(&item, a)], &path(&arm, &[k(f)]), kind);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aks::model::Prop;
    use serde_json::json;

    const PLAN: &str = include_str!("../../tests/fixtures/aks/terraform/plan.json");

    /// Line of every JSON pointer of a document (a small scanner, for the tests only).
    fn json_lines(text: &str) -> HashMap<String, u32> {
        struct P<'a> {
            b: &'a [u8],
            i: usize,
            line: u32,
            out: HashMap<String, u32>,
        }
        impl P<'_> {
            fn ws(&mut self) {
                while let Some(&c) = self.b.get(self.i) {
                    if !c.is_ascii_whitespace() {
                        break;
                    }
                    if c == b'\n' {
                        self.line += 1;
                    }
                    self.i += 1;
                }
            }
            fn string(&mut self) -> String {
                self.i += 1;
                let mut s = Vec::new();
                while let Some(&c) = self.b.get(self.i) {
                    self.i += 1;
                    match c {
                        b'\\' => {
                            if let Some(&n) = self.b.get(self.i) {
                                s.push(n);
                                self.i += 1;
                            }
                        }
                        b'"' => break,
                        _ => s.push(c),
                    }
                }
                String::from_utf8_lossy(&s).into_owned()
            }
            fn value(&mut self, ptr: String, depth: usize) {
                self.ws();
                self.out.entry(ptr.clone()).or_insert(self.line);
                if depth > 200 {
                    return;
                }
                match self.b.get(self.i) {
                    Some(b'{') => {
                        self.i += 1;
                        loop {
                            self.ws();
                            match self.b.get(self.i) {
                                Some(b',') => self.i += 1,
                                Some(b'"') => {
                                    let line = self.line;
                                    let k = self.string();
                                    self.ws();
                                    self.i += 1;
                                    let p = format!("{ptr}/{}", escape_ptr(&k));
                                    self.out.insert(p.clone(), line);
                                    self.value(p, depth + 1);
                                }
                                Some(_) => {
                                    self.i += 1;
                                    break;
                                }
                                None => break,
                            }
                        }
                    }
                    Some(b'[') => {
                        self.i += 1;
                        let mut n = 0;
                        loop {
                            self.ws();
                            match self.b.get(self.i) {
                                Some(b']') => {
                                    self.i += 1;
                                    break;
                                }
                                Some(b',') => self.i += 1,
                                Some(_) => {
                                    self.value(format!("{ptr}/{n}"), depth + 1);
                                    n += 1;
                                }
                                None => break,
                            }
                        }
                    }
                    Some(b'"') => {
                        self.string();
                    }
                    Some(_) => {
                        while let Some(&c) = self.b.get(self.i) {
                            if matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace() {
                                break;
                            }
                            self.i += 1;
                        }
                    }
                    None => {}
                }
            }
        }
        let mut p = P {
            b: text.as_bytes(),
            i: 0,
            line: 1,
            out: HashMap::new(),
        };
        p.value(String::new(), 0);
        p.out
    }

    /// The line of a pointer, or of its nearest ancestor (as the loader's lookup does).
    fn line_in(lines: &HashMap<String, u32>, ptr: &str) -> Option<u32> {
        let mut p = ptr;
        loop {
            if let Some(l) = lines.get(p) {
                return Some(*l);
            }
            if p.is_empty() {
                return None;
            }
            p = p.rfind('/').map_or("", |i| &p[..i]);
        }
    }

    /// The 1-based line of the first occurrence of `needle` in `text`.
    fn line_of_text(text: &str, needle: &str) -> u32 {
        let at = text.find(needle).expect("needle in fixture");
        text[..at].matches('\n').count() as u32 + 1
    }

    fn segs(ptr: &str) -> Vec<Seg<'_>> {
        ptr.trim_start_matches('/')
            .split('/')
            .map(|s| match s.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(s),
            })
            .collect()
    }

    fn at(c: &Cluster, ptr: &str) -> Option<Value> {
        c.prop(&segs(ptr)).value().cloned()
    }

    fn unresolved_at(c: &Cluster, ptr: &str) -> Option<Unresolved> {
        match c.prop(&segs(ptr)) {
            Prop::Unresolved(u) => Some(u.clone()),
            _ => None,
        }
    }

    fn plan_clusters(plan: &Value, text: &str) -> (Vec<Cluster>, Vec<String>) {
        let lines = json_lines(text);
        let line_of = |p: &str| line_in(&lines, p);
        clusters_from_plan(Arc::from("plan.json"), plan, &line_of)
    }

    fn res(addr: &str, values: Value) -> TfResource {
        TfResource {
            addr: addr.to_string(),
            values,
            unresolved: Vec::new(),
            lines: Vec::new(),
            file: Arc::from("main.tf"),
        }
    }

    #[test]
    fn detects_plans_and_states() {
        assert!(is_plan(
            &json!({"format_version": "1.2", "planned_values": {}})
        ));
        assert!(is_plan(&json!({"format_version": "1.0", "values": {}})));
        assert!(!is_plan(&json!({"format_version": 1, "values": {}})));
        assert!(!is_plan(&json!({"$schema": "x", "resources": []})));
        assert!(!is_plan(&json!([1, 2])));
    }

    #[test]
    fn plan_fixture_becomes_one_cluster() {
        let plan: Value = serde_json::from_str(PLAN).expect("fixture parses");
        assert!(is_plan(&plan));
        let (cs, notes) = plan_clusters(&plan, PLAN);
        assert_eq!(cs.len(), 1, "{notes:?}");
        assert!(notes.is_empty(), "{notes:?}");
        let c = &cs[0];
        assert_eq!(c.shape, Shape::TerraformPlan);
        assert_eq!(c.provider.as_deref(), Some("azurerm 4.x"));
        assert_eq!(c.name(), "aks-prod");
        for (ptr, want) in [
            ("/sku/tier", json!("Standard")),
            ("/location", json!("eastus")),
            ("/identity/type", json!("UserAssigned")),
            ("/properties/kubernetesVersion", json!("1.30")),
            ("/properties/enableRBAC", json!(true)),
            ("/properties/disableLocalAccounts", json!(true)),
            (
                "/properties/apiServerAccessProfile/enablePrivateCluster",
                json!(false),
            ),
            (
                "/properties/apiServerAccessProfile/disableRunCommand",
                json!(true),
            ),
            (
                "/properties/apiServerAccessProfile/authorizedIPRanges",
                json!(["198.51.100.10/32", "203.0.113.0/24"]),
            ),
            ("/properties/aadProfile/managed", json!(true)),
            ("/properties/aadProfile/enableAzureRBAC", json!(true)),
            ("/properties/networkProfile/networkPlugin", json!("azure")),
            (
                "/properties/networkProfile/networkPluginMode",
                json!("overlay"),
            ),
            ("/properties/networkProfile/networkPolicy", json!("cilium")),
            (
                "/properties/networkProfile/networkDataplane",
                json!("cilium"),
            ),
            ("/properties/oidcIssuerProfile/enabled", json!(true)),
            (
                "/properties/securityProfile/workloadIdentity/enabled",
                json!(true),
            ),
            (
                "/properties/securityProfile/imageCleaner/intervalHours",
                json!(48),
            ),
            (
                "/properties/securityProfile/defender/securityMonitoring/enabled",
                json!(true),
            ),
            ("/properties/addonProfiles/azurepolicy/enabled", json!(true)),
            ("/properties/addonProfiles/omsagent/enabled", json!(true)),
            (
                "/properties/addonProfiles/omsagent/config/useAADAuth",
                json!("true"),
            ),
            (
                "/properties/addonProfiles/azureKeyvaultSecretsProvider/config/enableSecretRotation",
                json!("true"),
            ),
            (
                "/properties/autoUpgradeProfile/upgradeChannel",
                json!("patch"),
            ),
            (
                "/properties/autoUpgradeProfile/nodeOSUpgradeChannel",
                json!("NodeImage"),
            ),
            (
                "/properties/linuxProfile/adminUsername",
                json!("azureadmin"),
            ),
            (
                "/maintenanceConfigurations/0/name",
                json!("aksManagedAutoUpgradeSchedule"),
            ),
            ("/properties/agentPoolProfiles/0/name", json!("agentpool")),
            ("/properties/agentPoolProfiles/0/mode", json!("System")),
            ("/properties/agentPoolProfiles/0/count", json!(2)),
            (
                "/properties/agentPoolProfiles/0/enableEncryptionAtHost",
                json!(true),
            ),
            (
                "/properties/agentPoolProfiles/0/nodeTaints",
                json!(["CriticalAddonsOnly=true:NoSchedule"]),
            ),
            (
                "/properties/agentPoolProfiles/0/upgradeSettings/maxSurge",
                json!("10%"),
            ),
            ("/properties/agentPoolProfiles/1/name", json!("user")),
            ("/properties/agentPoolProfiles/1/mode", json!("User")),
            (
                "/properties/agentPoolProfiles/1/enableAutoScaling",
                json!(true),
            ),
            (
                "/properties/agentPoolProfiles/1/enableNodePublicIP",
                json!(false),
            ),
            (
                "/properties/agentPoolProfiles/1/osDiskType",
                json!("Ephemeral"),
            ),
            (
                "/properties/agentPoolProfiles/1/nodeTaints",
                json!(["workload=apps:NoSchedule"]),
            ),
        ] {
            assert_eq!(at(c, ptr), Some(want), "{ptr}");
        }
        assert_eq!(c.pools().len(), 2);
        // Values known only after apply.
        for ptr in [
            "/properties/dnsPrefix",
            "/identity/userAssignedIdentities",
            "/properties/linuxProfile/ssh/publicKeys/0/keyData",
            "/properties/securityProfile/defender/logAnalyticsWorkspaceResourceId",
            "/properties/addonProfiles/omsagent/config/logAnalyticsWorkspaceResourceID",
        ] {
            let u = unresolved_at(c, ptr).unwrap_or_else(|| panic!("{ptr} unresolved"));
            assert_eq!(u.expr, AFTER_APPLY, "{ptr}");
        }
        // Values known only after apply that the configuration does not set are the
        // provider's or the service's choice: absent, so the checks apply the defaults.
        // node_count of an autoscaled pool is not configured: the service's choice.
        assert!(unresolved_at(c, "/properties/agentPoolProfiles/1/count").is_none());
        assert_eq!(
            at(c, "/properties/identityProfile/kubeletidentity/clientId"),
            None
        );
        assert!(unresolved_at(c, "/properties/identityProfile/kubeletidentity/clientId").is_none());
        // pod_cidr is not written in the configured network_profile block: absent too.
        assert!(unresolved_at(c, "/properties/networkProfile/podCidr").is_none());
        assert_eq!(
            at(c, "/properties/addonProfiles/openServiceMesh/enabled"),
            None
        );
        assert_eq!(at(c, "/properties/storageProfile"), None);
        // Origins: the Terraform address and the line in the plan.
        let o = c
            .origin(&segs("/properties/networkProfile/networkPolicy"))
            .expect("origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster.k8s.network_profile[0].network_policy"
        );
        assert_eq!(
            o.line,
            Some(line_of_text(PLAN, "\"network_policy\": \"cilium\""))
        );
        assert_eq!(&*o.file, "plan.json");
        let o = c
            .origin(&segs("/properties/agentPoolProfiles/1/osDiskType"))
            .expect("pool origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster_node_pool.user.os_disk_type"
        );
        assert_eq!(
            o.line,
            Some(line_of_text(PLAN, "\"os_disk_type\": \"Ephemeral\""))
        );
        let o = c
            .origin(&segs("/properties/addonProfiles/omsagent/enabled"))
            .expect("block origin");
        assert_eq!(o.pointer, "azurerm_kubernetes_cluster.k8s.oms_agent[0]");
        assert!(o.note.as_deref().is_some_and(|n| n.contains("oms_agent")));
    }

    /// Every attribute of the mapping, with azurerm 4.x names.
    #[test]
    fn maps_every_v4_attribute() {
        let cluster = res(
            "azurerm_kubernetes_cluster.all",
            serde_json::from_str::<Value>(
                r#"{
                "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/all",
                "name": "all", "location": "westeurope", "tags": {"env": "prod"},
                "kubernetes_version": "1.31", "sku_tier": "Premium", "node_resource_group": "rg-nodes",
                "dns_prefix": "all", "dns_prefix_private_cluster": null, "support_plan": "AKSLongTermSupport",
                                "private_cluster_enabled": true, "private_cluster_public_fqdn_enabled": false,
                "private_dns_zone_id": "System", "run_command_enabled": true,
                "api_server_access_profile": [{"authorized_ip_ranges": ["10.0.0.0/8"], "subnet_id": "api-subnet",
                    "virtual_network_integration_enabled": true}],
                "role_based_access_control_enabled": true, "local_account_disabled": true,
                "azure_active_directory_role_based_access_control": [{"azure_rbac_enabled": false,
                    "admin_group_object_ids": ["g1", "g2"], "tenant_id": "t1"}],
                "identity": [{"type": "UserAssigned", "identity_ids": ["uai-1"]}],
                "kubelet_identity": [{"user_assigned_identity_id": "kid", "client_id": "kcid", "object_id": "koid"}],
                "oidc_issuer_enabled": true, "workload_identity_enabled": true,
                "network_profile": [{"network_plugin": "azure", "network_plugin_mode": "overlay",
                    "network_policy": "calico", "network_data_plane": "azure", "outbound_type": "userDefinedRouting",
                    "load_balancer_sku": "standard", "pod_cidr": "10.244.0.0/16", "service_cidr": "10.0.0.0/16",
                    "dns_service_ip": "10.0.0.10", "ip_versions": ["IPv4"],
                    "load_balancer_profile": [{"managed_outbound_ip_count": 2, "idle_timeout_in_minutes": 10,
                        "outbound_ip_address_ids": ["pip-1"]}],
                    "nat_gateway_profile": [], "advanced_networking": [{"observability_enabled": true, "security_enabled": false}]}],
                "disk_encryption_set_id": "des-id",
                "key_management_service": [{"key_vault_key_id": "https://kv/keys/k/1", "key_vault_network_access": "Private"}],
                "microsoft_defender": [{"log_analytics_workspace_id": "law-def"}],
                "image_cleaner_enabled": true, "image_cleaner_interval_hours": 24,
                "azure_policy_enabled": false,
                "oms_agent": [{"log_analytics_workspace_id": "law-oms", "msi_auth_for_monitoring_enabled": false}],
                "monitor_metrics": [{"annotations_allowed": "a", "labels_allowed": "b"}],
                "key_vault_secrets_provider": [{"secret_rotation_enabled": false, "secret_rotation_interval": "5m"}],
                "http_application_routing_enabled": false,
                "ingress_application_gateway": [{"gateway_id": "agw-1"}],
                "open_service_mesh_enabled": false,
                "aci_connector_linux": [{"subnet_name": "aci"}],
                "confidential_computing": [{"sgx_quote_helper_enabled": true}],
                "automatic_upgrade_channel": "stable", "node_os_upgrade_channel": "SecurityPatch",
                "maintenance_window": [{"allowed": []}], "maintenance_window_node_os": [{"frequency": "Daily"}],
                "linux_profile": [{"admin_username": "ops", "ssh_key": [{"key_data": "ssh-rsa AAAA"}]}],
                "windows_profile": [{"admin_username": "winadmin", "admin_password": "secret!", "license": "Windows_Server"}],
                "service_principal": [],
                "service_mesh_profile": [{"mode": "Istio", "revisions": ["asm-1-22"],
                    "internal_ingress_gateway_enabled": true, "external_ingress_gateway_enabled": false}],
                "storage_profile": [{"blob_driver_enabled": true, "disk_driver_enabled": true,
                    "file_driver_enabled": false, "snapshot_controller_enabled": true}],
                "workload_autoscaler_profile": [{"keda_enabled": true, "vertical_pod_autoscaler_enabled": false}],
                "web_app_routing": [{"dns_zone_ids": ["zone-1"]}],
                "cost_analysis_enabled": true,
                "http_proxy_config": [{"http_proxy": "http://proxy:3128", "no_proxy": ["localhost"]}],
                "default_node_pool": [{"name": "system", "vm_size": "Standard_D4s_v5", "node_count": 3,
                    "auto_scaling_enabled": true, "min_count": 3, "max_count": 6, "max_pods": 50,
                    "zones": ["1", "2"], "node_public_ip_enabled": false, "host_encryption_enabled": true,
                    "fips_enabled": true, "os_disk_type": "Ephemeral", "os_disk_size_gb": 128, "os_sku": "Ubuntu",
                    "orchestrator_version": "1.31", "only_critical_addons_enabled": true,
                    "node_labels": {"role": "system"}, "vnet_subnet_id": "nodes", "pod_subnet_id": "pods",
                    "type": "VirtualMachineScaleSets", "kubelet_disk_type": "OS", "workload_runtime": "OCIContainer",
                    "host_group_id": "hg", "ultra_ssd_enabled": false, "scale_down_mode": "Delete",
                    "upgrade_settings": [{"max_surge": "33%", "drain_timeout_in_minutes": 30}],
                    "kubelet_config": [{"allowed_unsafe_sysctls": ["net.core.somaxconn"], "pod_max_pid": 1024}],
                    "node_network_profile": [{"application_security_group_ids": ["asg-1"],
                        "node_public_ip_tags": {"RoutingPreference": "Internet"},
                        "allowed_host_ports": [{"port_start": 80, "port_end": 443, "protocol": "TCP"}]}]}]
            }"#,
            )
            .expect("valid JSON"),
        );
        let pool = res(
            "azurerm_kubernetes_cluster_node_pool.spot",
            json!({"name": "spot", "vm_size": "Standard_D8s_v5", "mode": "User", "os_type": "Windows",
                   "priority": "Spot", "eviction_policy": "Delete", "spot_max_price": 0.5,
                   "node_taints": ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"],
                   "kubernetes_cluster_id": "x"}),
        );
        let c = cluster_from_azurerm(Shape::TerraformHcl, &cluster, &[pool]);
        assert_eq!(c.provider.as_deref(), Some("azurerm 4.x"));
        let pp = "/properties";
        let cases: Vec<(String, Value)> = vec![
            (
                "/id".into(),
                json!(
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/all"
                ),
            ),
            ("/name".into(), json!("all")),
            ("/location".into(), json!("westeurope")),
            ("/tags".into(), json!({"env": "prod"})),
            ("/sku/tier".into(), json!("Premium")),
            (format!("{pp}/kubernetesVersion"), json!("1.31")),
            (format!("{pp}/nodeResourceGroup"), json!("rg-nodes")),
            (format!("{pp}/dnsPrefix"), json!("all")),
            (format!("{pp}/supportPlan"), json!("AKSLongTermSupport")),
            (format!("{pp}/diskEncryptionSetID"), json!("des-id")),
            (
                format!("{pp}/apiServerAccessProfile/enablePrivateCluster"),
                json!(true),
            ),
            (
                format!("{pp}/apiServerAccessProfile/enablePrivateClusterPublicFQDN"),
                json!(false),
            ),
            (
                format!("{pp}/apiServerAccessProfile/privateDNSZone"),
                json!("System"),
            ),
            (
                format!("{pp}/apiServerAccessProfile/disableRunCommand"),
                json!(false),
            ),
            (
                format!("{pp}/apiServerAccessProfile/authorizedIPRanges"),
                json!(["10.0.0.0/8"]),
            ),
            (
                format!("{pp}/apiServerAccessProfile/subnetId"),
                json!("api-subnet"),
            ),
            (
                format!("{pp}/apiServerAccessProfile/enableVnetIntegration"),
                json!(true),
            ),
            (format!("{pp}/enableRBAC"), json!(true)),
            (format!("{pp}/disableLocalAccounts"), json!(true)),
            (format!("{pp}/aadProfile/managed"), json!(true)),
            (format!("{pp}/aadProfile/enableAzureRBAC"), json!(false)),
            (
                format!("{pp}/aadProfile/adminGroupObjectIDs"),
                json!(["g1", "g2"]),
            ),
            (format!("{pp}/aadProfile/tenantID"), json!("t1")),
            ("/identity/type".into(), json!("UserAssigned")),
            (
                "/identity/userAssignedIdentities".into(),
                json!({"uai-1": {}}),
            ),
            (
                format!("{pp}/identityProfile/kubeletidentity"),
                json!({"resourceId": "kid", "clientId": "kcid", "objectId": "koid"}),
            ),
            (format!("{pp}/oidcIssuerProfile/enabled"), json!(true)),
            (
                format!("{pp}/securityProfile/workloadIdentity/enabled"),
                json!(true),
            ),
            (format!("{pp}/networkProfile/networkPlugin"), json!("azure")),
            (
                format!("{pp}/networkProfile/networkPluginMode"),
                json!("overlay"),
            ),
            (
                format!("{pp}/networkProfile/networkPolicy"),
                json!("calico"),
            ),
            (
                format!("{pp}/networkProfile/networkDataplane"),
                json!("azure"),
            ),
            (
                format!("{pp}/networkProfile/outboundType"),
                json!("userDefinedRouting"),
            ),
            (
                format!("{pp}/networkProfile/loadBalancerSku"),
                json!("standard"),
            ),
            (
                format!("{pp}/networkProfile/podCidr"),
                json!("10.244.0.0/16"),
            ),
            (
                format!("{pp}/networkProfile/serviceCidr"),
                json!("10.0.0.0/16"),
            ),
            (
                format!("{pp}/networkProfile/dnsServiceIP"),
                json!("10.0.0.10"),
            ),
            (format!("{pp}/networkProfile/ipFamilies"), json!(["IPv4"])),
            (
                format!("{pp}/networkProfile/loadBalancerProfile/managedOutboundIPs/count"),
                json!(2),
            ),
            (
                format!("{pp}/networkProfile/loadBalancerProfile/idleTimeoutInMinutes"),
                json!(10),
            ),
            (
                format!("{pp}/networkProfile/loadBalancerProfile/outboundIPs/publicIPs"),
                json!([{"id": "pip-1"}]),
            ),
            (
                format!("{pp}/networkProfile/advancedNetworking/observability/enabled"),
                json!(true),
            ),
            (
                format!("{pp}/networkProfile/advancedNetworking/security/enabled"),
                json!(false),
            ),
            (
                format!("{pp}/securityProfile/azureKeyVaultKms"),
                json!({"enabled": true, "keyId": "https://kv/keys/k/1", "keyVaultNetworkAccess": "Private"}),
            ),
            (
                format!("{pp}/securityProfile/defender"),
                json!({"securityMonitoring": {"enabled": true}, "logAnalyticsWorkspaceResourceId": "law-def"}),
            ),
            (
                format!("{pp}/securityProfile/imageCleaner"),
                json!({"enabled": true, "intervalHours": 24}),
            ),
            (
                format!("{pp}/addonProfiles/azurepolicy/enabled"),
                json!(false),
            ),
            (
                format!("{pp}/addonProfiles/omsagent"),
                json!({"enabled": true, "config": {"logAnalyticsWorkspaceResourceID": "law-oms", "useAADAuth": "false"}}),
            ),
            (
                format!("{pp}/azureMonitorProfile/metrics"),
                json!({"enabled": true, "kubeStateMetrics": {"metricAnnotationsAllowList": "a", "metricLabelsAllowlist": "b"}}),
            ),
            (
                format!("{pp}/addonProfiles/azureKeyvaultSecretsProvider"),
                json!({"enabled": true, "config": {"enableSecretRotation": "false", "rotationPollInterval": "5m"}}),
            ),
            (
                format!("{pp}/addonProfiles/httpApplicationRouting/enabled"),
                json!(false),
            ),
            (
                format!("{pp}/addonProfiles/ingressApplicationGateway"),
                json!({"enabled": true, "config": {"applicationGatewayId": "agw-1"}}),
            ),
            (
                format!("{pp}/addonProfiles/openServiceMesh/enabled"),
                json!(false),
            ),
            (
                format!("{pp}/addonProfiles/aciConnectorLinux"),
                json!({"enabled": true, "config": {"SubnetName": "aci"}}),
            ),
            (
                format!("{pp}/addonProfiles/ACCSGXDevicePlugin"),
                json!({"enabled": true, "config": {"ACCSGXQuoteHelperEnabled": "true"}}),
            ),
            (
                format!("{pp}/autoUpgradeProfile"),
                json!({"upgradeChannel": "stable", "nodeOSUpgradeChannel": "SecurityPatch"}),
            ),
            (
                "/maintenanceConfigurations".into(),
                json!([{"name": "default"}, {"name": "aksManagedNodeOSUpgradeSchedule"}]),
            ),
            (
                format!("{pp}/linuxProfile"),
                json!({"adminUsername": "ops", "ssh": {"publicKeys": [{"keyData": "ssh-rsa AAAA"}]}}),
            ),
            (
                format!("{pp}/windowsProfile"),
                json!({"adminUsername": "winadmin", "licenseType": "Windows_Server"}),
            ),
            (
                format!("{pp}/serviceMeshProfile"),
                json!({"mode": "Istio", "istio": {"revisions": ["asm-1-22"],
                "components": {"ingressGateways": [{"mode": "Internal", "enabled": true}, {"mode": "External", "enabled": false}]}}}),
            ),
            (
                format!("{pp}/storageProfile"),
                json!({"blobCSIDriver": {"enabled": true}, "diskCSIDriver": {"enabled": true},
                "fileCSIDriver": {"enabled": false}, "snapshotController": {"enabled": true}}),
            ),
            (
                format!("{pp}/workloadAutoScalerProfile"),
                json!({"keda": {"enabled": true}, "verticalPodAutoscaler": {"enabled": false}}),
            ),
            (
                format!("{pp}/ingressProfile/webAppRouting"),
                json!({"enabled": true, "dnsZoneResourceIds": ["zone-1"]}),
            ),
            (
                format!("{pp}/metricsProfile/costAnalysis/enabled"),
                json!(true),
            ),
            (
                format!("{pp}/httpProxyConfig"),
                json!({"httpProxy": "http://proxy:3128", "noProxy": ["localhost"]}),
            ),
            (
                format!("{pp}/agentPoolProfiles/0"),
                json!({
                    "name": "system", "mode": "System", "vmSize": "Standard_D4s_v5", "count": 3, "enableAutoScaling": true,
                    "minCount": 3, "maxCount": 6, "maxPods": 50, "availabilityZones": ["1", "2"],
                    "enableNodePublicIP": false, "enableEncryptionAtHost": true, "enableFIPS": true,
                    "osDiskType": "Ephemeral", "osDiskSizeGB": 128, "osSKU": "Ubuntu", "orchestratorVersion": "1.31",
                    "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"], "nodeLabels": {"role": "system"},
                    "vnetSubnetID": "nodes", "podSubnetID": "pods", "type": "VirtualMachineScaleSets",
                    "kubeletDiskType": "OS", "workloadRuntime": "OCIContainer", "hostGroupID": "hg",
                    "enableUltraSSD": false, "scaleDownMode": "Delete",
                    "upgradeSettings": {"maxSurge": "33%", "drainTimeoutInMinutes": 30},
                    "kubeletConfig": {"allowedUnsafeSysctls": ["net.core.somaxconn"], "podMaxPids": 1024},
                    "networkProfile": {"applicationSecurityGroups": ["asg-1"],
                        "nodePublicIPTags": [{"ipTagType": "RoutingPreference", "tag": "Internet"}],
                        "allowedHostPorts": [{"portStart": 80, "portEnd": 443, "protocol": "TCP"}]}
                }),
            ),
            (
                format!("{pp}/agentPoolProfiles/1"),
                json!({
                    "name": "spot", "vmSize": "Standard_D8s_v5", "mode": "User", "osType": "Windows",
                    "scaleSetPriority": "Spot", "scaleSetEvictionPolicy": "Delete", "spotMaxPrice": 0.5,
                    "nodeTaints": ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]
                }),
            ),
        ];
        for (ptr, want) in cases {
            assert_eq!(at(&c, &ptr), Some(want), "{ptr}");
        }
        // Secrets are never copied; unset attributes stay absent.
        let doc = c.doc.to_string();
        assert!(!doc.contains("secret!"));
        assert_eq!(at(&c, "/properties/fqdnSubdomain"), None);
        assert_eq!(at(&c, "/properties/servicePrincipalProfile"), None);
        assert_eq!(at(&c, "/properties/networkProfile/natGatewayProfile"), None);
        let o = c
            .origin(&segs(
                "/properties/apiServerAccessProfile/disableRunCommand",
            ))
            .expect("origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster.all.run_command_enabled"
        );
        assert!(o.note.is_some());
        let o = c
            .origin(&segs("/properties/agentPoolProfiles/1/scaleSetPriority"))
            .expect("origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster_node_pool.spot.priority"
        );
        assert_eq!(&*o.file, "main.tf");
    }

    /// azurerm 3.x names map to the same properties.
    #[test]
    fn maps_v3_names() {
        let cluster = res(
            "azurerm_kubernetes_cluster.old",
            json!({
                "name": "old", "api_server_authorized_ip_ranges": ["192.0.2.0/24"],
                "automatic_channel_upgrade": "rapid", "node_os_channel_upgrade": "Unmanaged",
                "public_network_access_enabled": false,
                "azure_active_directory_role_based_access_control": [{"managed": true, "azure_rbac_enabled": true}],
                "network_profile": [{"network_plugin": "azure", "ebpf_data_plane": "cilium"}],
                "api_server_access_profile": [{"vnet_integration_enabled": true}],
                "default_node_pool": [{"name": "default", "enable_auto_scaling": true, "enable_host_encryption": false,
                    "enable_node_public_ip": true, "node_taints": ["a=b:NoSchedule"], "only_critical_addons_enabled": true}]
            }),
        );
        let pool = res(
            "azurerm_kubernetes_cluster_node_pool.p",
            json!({"name": "p", "enable_node_public_ip": false, "enable_host_encryption": true, "enable_auto_scaling": false}),
        );
        let c = cluster_from_azurerm(Shape::TerraformHcl, &cluster, &[pool]);
        assert_eq!(c.provider.as_deref(), Some("azurerm 3.x"));
        for (ptr, want) in [
            (
                "/properties/apiServerAccessProfile/authorizedIPRanges",
                json!(["192.0.2.0/24"]),
            ),
            (
                "/properties/apiServerAccessProfile/enableVnetIntegration",
                json!(true),
            ),
            (
                "/properties/autoUpgradeProfile/upgradeChannel",
                json!("rapid"),
            ),
            (
                "/properties/autoUpgradeProfile/nodeOSUpgradeChannel",
                json!("Unmanaged"),
            ),
            ("/properties/publicNetworkAccess", json!("Disabled")),
            ("/properties/aadProfile/managed", json!(true)),
            (
                "/properties/networkProfile/networkDataplane",
                json!("cilium"),
            ),
            (
                "/properties/agentPoolProfiles/0/enableAutoScaling",
                json!(true),
            ),
            (
                "/properties/agentPoolProfiles/0/enableEncryptionAtHost",
                json!(false),
            ),
            (
                "/properties/agentPoolProfiles/0/enableNodePublicIP",
                json!(true),
            ),
            (
                "/properties/agentPoolProfiles/0/nodeTaints",
                json!(["a=b:NoSchedule", "CriticalAddonsOnly=true:NoSchedule"]),
            ),
            (
                "/properties/agentPoolProfiles/1/enableNodePublicIP",
                json!(false),
            ),
            (
                "/properties/agentPoolProfiles/1/enableEncryptionAtHost",
                json!(true),
            ),
            (
                "/properties/agentPoolProfiles/1/enableAutoScaling",
                json!(false),
            ),
            ("/properties/agentPoolProfiles/1/mode", json!("User")),
        ] {
            assert_eq!(at(&c, ptr), Some(want), "{ptr}");
        }
        // v3 without `managed`: not invented.
        let c = cluster_from_azurerm(
            Shape::TerraformHcl,
            &res(
                "azurerm_kubernetes_cluster.x",
                json!({"automatic_channel_upgrade": "patch",
                       "azure_active_directory_role_based_access_control": [{"azure_rbac_enabled": true}]}),
            ),
            &[],
        );
        assert_eq!(at(&c, "/properties/aadProfile/managed"), None);
        assert_eq!(
            at(&c, "/properties/aadProfile/enableAzureRBAC"),
            Some(json!(true))
        );
        // An explicit major version wins over the names.
        let c = cluster_from_azurerm_with(
            Shape::TerraformHcl,
            &res(
                "azurerm_kubernetes_cluster.x",
                json!({"azure_active_directory_role_based_access_control": [{}]}),
            ),
            &[],
            Some(4),
        );
        assert_eq!(c.provider.as_deref(), Some("azurerm 4.x"));
        assert_eq!(at(&c, "/properties/aadProfile/managed"), Some(json!(true)));
    }

    #[test]
    fn infers_the_generation_only_when_names_agree() {
        let r = |v: Value| res("azurerm_kubernetes_cluster.x", v);
        assert_eq!(infer_generation(&r(json!({"name": "x"})), &[]), None);
        assert_eq!(
            infer_generation(&r(json!({"automatic_upgrade_channel": null})), &[]),
            Some(4)
        );
        assert_eq!(
            infer_generation(
                &r(json!({"default_node_pool": [{"enable_host_encryption": true}]})),
                &[]
            ),
            Some(3)
        );
        assert_eq!(
            infer_generation(
                &r(json!({"automatic_upgrade_channel": "patch"})),
                &[res("p", json!({"enable_node_public_ip": true}))]
            ),
            None
        );
    }

    #[test]
    fn unresolved_values_and_blocks() {
        let mut r = res(
            "azurerm_kubernetes_cluster.u",
            json!({"name": "u", "sku_tier": null, "authorized": null,
                   "api_server_access_profile": [{"authorized_ip_ranges": ["1.2.3.4/32", null]}],
                   "network_profile": [], "default_node_pool": [{"name": "d", "enable_host_encryption": "maybe"}]}),
        );
        let u = |e: &str| Unresolved {
            expr: e.to_string(),
            reason: "r".to_string(),
        };
        r.unresolved = vec![
            ("sku_tier".into(), u("var.tier")),
            (
                "api_server_access_profile.0.authorized_ip_ranges.1".into(),
                u("var.extra"),
            ),
            ("network_profile".into(), u("dynamic \"network_profile\"")),
            ("oms_agent".into(), u("dynamic \"oms_agent\"")),
        ];
        r.lines = vec![("".into(), 10), ("sku_tier".into(), 12)];
        let c = cluster_from_azurerm(Shape::TerraformHcl, &r, &[]);
        assert_eq!(
            unresolved_at(&c, "/sku/tier").map(|u| u.expr),
            Some("var.tier".into())
        );
        assert_eq!(c.origin(&segs("/sku/tier")).and_then(|o| o.line), Some(12));
        assert_eq!(
            unresolved_at(&c, "/properties/apiServerAccessProfile/authorizedIPRanges")
                .map(|u| u.expr),
            Some("var.extra".into())
        );
        assert!(unresolved_at(&c, "/properties/networkProfile/networkPolicy").is_some());
        assert!(unresolved_at(&c, "/properties/addonProfiles/omsagent/enabled").is_some());
        // A value of the wrong type is unresolved, not guessed.
        let bad = unresolved_at(&c, "/properties/agentPoolProfiles/0/enableEncryptionAtHost")
            .expect("wrong type");
        assert_eq!(bad.expr, "\"maybe\"");
        // Lines fall back to the resource's own line.
        assert_eq!(c.origin(&segs("/name")).and_then(|o| o.line), Some(10));
    }

    #[test]
    fn pools_attach_by_reference_in_child_modules() {
        let plan = json!({
            "format_version": "1.2",
            "planned_values": {"root_module": {"child_modules": [
                {"address": "module.aks", "resources": [
                    {"address": "module.aks.azurerm_kubernetes_cluster.main", "mode": "managed",
                     "type": "azurerm_kubernetes_cluster", "name": "main", "values": {"name": "a"}},
                    {"address": "module.aks.azurerm_kubernetes_cluster_node_pool.np[\"x.y\"]", "mode": "managed",
                     "type": "azurerm_kubernetes_cluster_node_pool", "name": "np", "values": {"name": "np"}}]},
                {"address": "module.other", "resources": [
                    {"address": "module.other.azurerm_kubernetes_cluster.main", "mode": "managed",
                     "type": "azurerm_kubernetes_cluster", "name": "main", "values": {"name": "b"}}]}
            ]}},
            "configuration": {"root_module": {"module_calls": {
                "aks": {"source": "./aks", "module": {"resources": [
                    {"address": "azurerm_kubernetes_cluster_node_pool.np", "type": "azurerm_kubernetes_cluster_node_pool",
                     "expressions": {"kubernetes_cluster_id": {"references": ["azurerm_kubernetes_cluster.main.id", "azurerm_kubernetes_cluster.main"]}}}]}},
                "other": {"source": "./aks", "module": {"resources": []}}}}}
        });
        let text = plan.to_string();
        let (cs, notes) = plan_clusters(&plan, &text);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].name(), "a");
        assert_eq!(cs[0].pools().len(), 1);
        assert_eq!(cs[1].pools().len(), 0);
        assert_eq!(
            cs[0]
                .origin(&segs("/properties/agentPoolProfiles/0/name"))
                .map(|o| o.pointer),
            Some("module.aks.azurerm_kubernetes_cluster_node_pool.np[\"x.y\"].name".to_string())
        );
    }

    #[test]
    fn pools_attach_by_id_in_a_state() {
        let state = json!({
            "format_version": "1.0",
            "values": {"root_module": {"resources": [
                {"address": "azurerm_kubernetes_cluster.a", "mode": "managed", "type": "azurerm_kubernetes_cluster",
                 "values": {"name": "a", "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a"}},
                {"address": "azurerm_kubernetes_cluster.b", "mode": "managed", "type": "azurerm_kubernetes_cluster",
                 "values": {"name": "b", "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/b"}},
                {"address": "data.azurerm_kubernetes_cluster.b", "mode": "data", "type": "azurerm_kubernetes_cluster",
                 "values": {"name": "b"}},
                {"address": "azurerm_kubernetes_cluster_node_pool.p", "mode": "managed", "type": "azurerm_kubernetes_cluster_node_pool",
                 "values": {"name": "p", "kubernetes_cluster_id": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/B"}},
                {"address": "azurerm_kubernetes_cluster_node_pool.q", "mode": "managed", "type": "azurerm_kubernetes_cluster_node_pool",
                 "values": {"name": "q", "kubernetes_cluster_id": "/elsewhere"}}
            ]}}
        });
        let (all, notes) = plan_clusters(&state, &state.to_string());
        let lost: Vec<&Cluster> = all.iter().filter(|c| c.pools_only).collect();
        assert_eq!(lost.len(), 1, "q belongs to no cluster of the plan");
        assert_eq!(lost[0].name(), "elsewhere");
        let cs: Vec<Cluster> = all.into_iter().filter(|c| !c.pools_only).collect();
        assert_eq!(cs.len(), 2, "data sources are not clusters");
        assert_eq!(cs[0].pools().len(), 0);
        assert_eq!(cs[1].pools().len(), 1);
        assert_eq!(
            cs[1].id(),
            Some(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/b"
            )
        );
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("azurerm_kubernetes_cluster_node_pool.q"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_lone_cluster_takes_unattached_pools_with_a_note() {
        let plan = json!({
            "format_version": "1.2",
            "planned_values": {"root_module": {"resources": [
                {"address": "azurerm_kubernetes_cluster.a", "type": "azurerm_kubernetes_cluster", "values": {"name": "a"}},
                {"address": "azurerm_kubernetes_cluster_node_pool.p", "type": "azurerm_kubernetes_cluster_node_pool",
                 "values": {"name": "p"}}]}},
            "resource_changes": [{"address": "azurerm_kubernetes_cluster_node_pool.p",
                "change": {"after_unknown": {"kubernetes_cluster_id": true}}}]
        });
        let (cs, notes) = plan_clusters(&plan, &plan.to_string());
        assert_eq!(cs[0].pools().len(), 1);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("only cluster"));
    }

    #[test]
    fn reads_resource_changes_without_planned_values() {
        let plan = json!({
            "format_version": "1.2",
            "resource_changes": [
                {"address": "azurerm_kubernetes_cluster.a", "type": "azurerm_kubernetes_cluster", "mode": "managed",
                 "change": {"actions": ["create"], "after": {"name": "a", "local_account_disabled": true},
                            "after_unknown": {"id": true}}},
                {"address": "azurerm_kubernetes_cluster.gone", "type": "azurerm_kubernetes_cluster", "mode": "managed",
                 "change": {"actions": ["delete"], "after": null}}]
        });
        let (cs, _) = plan_clusters(&plan, &plan.to_string());
        assert_eq!(cs.len(), 1);
        assert_eq!(
            at(&cs[0], "/properties/disableLocalAccounts"),
            Some(json!(true))
        );
    }

    #[test]
    fn version_constraints() {
        for (c, want) in [
            ("~> 4.0", Some(4)),
            ("~>3.116", Some(3)),
            ("=3.116.0", Some(3)),
            ("4.7.0", Some(4)),
            (">= 3.50, < 4.0", Some(3)),
            (">= 4.0, < 5.0.0", Some(4)),
            (">= 3.0", None),
            (">= 3.0, < 5.0", None),
            ("~> 3.x", Some(3)),
            ("", None),
            ("banana", None),
        ] {
            assert_eq!(major_from_constraint(c), want, "{c}");
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(
            strip_instance_keys("module.a[0].x.y[\"k]\\\".z\"]"),
            "module.a.x.y"
        );
        assert_eq!(
            split_module("module.a.module.b.t.n"),
            ("module.a.module.b".into(), "t.n".into())
        );
        assert_eq!(split_module("data.t.n"), (String::new(), "data.t.n".into()));
        assert_eq!(tf_address("r.x", "a.0.b.12.c"), "r.x.a[0].b[12].c");
        assert_eq!(tf_address("r.x", ""), "r.x");
    }

    #[test]
    fn hostile_plans_do_not_panic() {
        let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        let deep_obj = format!("{}1{}", "{\"a\":".repeat(120), "}".repeat(120));
        for text in [
            format!(
                "{{\"format_version\":\"1.2\",\"planned_values\":{{\"root_module\":{{\"resources\":[{{\"address\":\"azurerm_kubernetes_cluster.x\",\"type\":\"azurerm_kubernetes_cluster\",\"values\":{{\"default_node_pool\":{deep},\"network_profile\":[{deep_obj}],\"tags\":{deep_obj}}}}}]}}}},\"resource_changes\":[{{\"address\":\"azurerm_kubernetes_cluster.x\",\"change\":{{\"after_unknown\":{deep_obj}}}}}]}}"
            ),
            r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":"x","child_modules":[1,{"resources":[{"address":5}]}]}},"configuration":{"provider_config":{"azurerm":{"version_constraint":7}},"root_module":{"module_calls":{"a":{"module":{"resources":[{"expressions":{"kubernetes_cluster_id":{"references":[1,"azurerm_kubernetes_cluster"]}}}]}}}}}}"#.to_string(),
            r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"azurerm_kubernetes_cluster_node_pool.p","type":"azurerm_kubernetes_cluster_node_pool","values":{"kubernetes_cluster_id":["x"],"node_taints":"a","zones":{"x":1},"only_critical_addons_enabled":"yes"}},{"address":"azurerm_kubernetes_cluster.x","type":"azurerm_kubernetes_cluster","values":{"identity":[1],"default_node_pool":{"name":[]},"network_profile":[[]],"api_server_access_profile":[null],"oms_agent":"on"}}]}}}"#.to_string(),
        ] {
            let v: Value = serde_json::from_str(&text).expect("valid JSON");
            let (cs, _) = plan_clusters(&v, &text);
            assert!(cs.len() <= 1);
        }
        // Deeply nested modules.
        let mut m = json!({"resources": []});
        for _ in 0..60 {
            m = json!({"child_modules": [m]});
        }
        let plan = json!({"format_version": "1.2", "planned_values": {"root_module": m}});
        let (cs, notes) = plan_clusters(&plan, "");
        assert!(cs.is_empty());
        assert!(notes.iter().any(|n| n.contains("too deeply")));
    }
}
