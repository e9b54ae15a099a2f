//! Cluster-wide checks: network (NetworkPolicy coverage, default deny, metadata endpoint).
//!
//! Only `networking.k8s.io` NetworkPolicies are read (Calico, Cilium and other CNI-specific
//! policies have other semantics and are not evaluated). Policy semantics follow the API server:
//! an absent `policyTypes` means `[Ingress]`, plus `Egress` when the policy has egress rules; an
//! absent `podSelector` decodes to the empty selector, which selects every pod of the namespace.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use serde_json::Value;

use super::super::{Ctx, InvVerdict, InventoryCheck, ObjectCheck};
use super::namespaces::is_system_namespace;
use crate::inventory::{Inventory, SelectorMatch, WORKLOADS, Workload, selector_matches};
use crate::k8s::Object;
use crate::model::Status;

/// Per-object checks of this family.
pub static OBJECT_CHECKS: &[ObjectCheck] = &[];

/// Checks over the whole inventory of this family.
pub static INVENTORY_CHECKS: &[InventoryCheck] = &[
    InventoryCheck {
        control: "NW-003",
        kinds: &["NetworkPolicy", WORKLOADS],
        run: default_deny,
    },
    InventoryCheck {
        control: "NW-002",
        kinds: &["NetworkPolicy", WORKLOADS],
        run: coverage,
    },
    InventoryCheck {
        control: "NW-004",
        kinds: &["NetworkPolicy", WORKLOADS],
        run: imds_egress,
    },
];

/// The Azure Instance Metadata Service address.
const IMDS: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// The port IMDS listens on (HTTP).
const IMDS_PORT: i64 = 80;

/// A NetworkPolicy as the API server sees it after defaulting.
struct Policy {
    obj: Object,
    /// `spec.podSelector` (Null when absent: the empty selector).
    selector: Value,
    ingress: bool,
    egress: bool,
    ingress_rules: Rules,
    egress_rules: Rules,
}

/// The rules of one direction, kept as compact JSON and parsed when a check reads them: the
/// model of every policy stays in memory while the network checks run, and parsed rules (small
/// maps nested in lists) take many times the space of their text.
struct Rules {
    len: usize,
    json: Box<str>,
}

impl Rules {
    fn new(rules: &[Value]) -> Rules {
        Rules {
            len: rules.len(),
            json: if rules.is_empty() {
                Box::from("")
            } else {
                serde_json::to_string(rules).unwrap_or_default().into()
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn values(&self) -> Vec<Value> {
        if self.len == 0 {
            return Vec::new();
        }
        serde_json::from_str(&self.json).unwrap_or_default()
    }
}

impl Policy {
    fn from_object(mut obj: Object) -> Policy {
        // Keep the rules; of the object only its name and lines are needed afterwards.
        let spec = obj.value.remove("spec").unwrap_or(Value::Null);
        obj.value = serde_json::Map::new();
        let rules = |k: &str| -> Rules {
            Rules::new(
                spec.get(k)
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            )
        };
        let ingress_rules = rules("ingress");
        let egress_rules = rules("egress");
        let types: Vec<&str> = spec
            .get("policyTypes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (ingress, egress) = if types.is_empty() {
            // SetDefaults_NetworkPolicy: Ingress always, Egress when there are egress rules.
            (true, !egress_rules.is_empty())
        } else {
            (types.contains(&"Ingress"), types.contains(&"Egress"))
        };
        Policy {
            selector: spec.get("podSelector").cloned().unwrap_or(Value::Null),
            obj,
            ingress,
            egress,
            ingress_rules,
            egress_rules,
        }
    }

    fn name(&self) -> &str {
        self.obj.name()
    }

    /// `podSelector: {}` (or absent): every pod of the namespace.
    fn selects_all(&self) -> bool {
        match &self.selector {
            Value::Null => true,
            Value::Object(m) => m.iter().all(|(k, v)| match k.as_str() {
                "matchLabels" => v.is_null() || v.as_object().is_some_and(|o| o.is_empty()),
                "matchExpressions" => v.is_null() || v.as_array().is_some_and(|a| a.is_empty()),
                _ => true,
            }),
            _ => false,
        }
    }

    fn denies_all_ingress(&self) -> bool {
        self.selects_all() && self.ingress && self.ingress_rules.is_empty()
    }

    fn denies_all_egress(&self) -> bool {
        self.selects_all() && self.egress && self.egress_rules.is_empty()
    }
}

/// NetworkPolicies (networking.k8s.io) by namespace; those without a namespace are left out
/// (the namespace they land in is chosen at apply time).
fn policies_by_namespace(inv: &Inventory) -> HashMap<String, Vec<Policy>> {
    let mut out: HashMap<String, Vec<Policy>> = HashMap::new();
    for obj in inv.of_group_kind("networking.k8s.io", "NetworkPolicy") {
        if let Some(ns) = obj.namespace() {
            out.entry(ns.to_string())
                .or_default()
                .push(Policy::from_object(obj));
        }
    }
    out
}

/// Application namespaces that have workloads, sorted, with their workloads; and the workloads
/// without a namespace.
fn workload_namespaces<'a>(
    inv: &'a Inventory,
    ctx: &Ctx,
) -> (BTreeMap<&'a str, Vec<&'a Workload>>, Vec<&'a Workload>) {
    let mut by_ns: BTreeMap<&str, Vec<&Workload>> = BTreeMap::new();
    let mut none = Vec::new();
    for w in &inv.workloads {
        match w.namespace() {
            Some(ns) if is_system_namespace(ctx, ns) => {}
            Some(ns) => by_ns.entry(ns).or_default().push(w),
            None => none.push(w),
        }
    }
    (by_ns, none)
}

fn on_workload(w: &Workload, status: Status, message: impl Into<String>) -> InvVerdict {
    InvVerdict {
        status,
        message: message.into(),
        object: w.reference.clone(),
        location: Some(w.location.clone()),
    }
}

/// One not-evaluated verdict for the workloads that set no namespace (at the first of them).
fn namespace_less(none: &[&Workload], what: &str, out: &mut Vec<InvVerdict>) {
    let Some(first) = none.first() else { return };
    let mut names: Vec<String> = none
        .iter()
        .take(3)
        .map(|w| format!("{} {}", w.reference.kind, w.reference.name))
        .collect();
    if none.len() > 3 {
        names.push(format!("and {} more", none.len() - 3));
    }
    out.push(on_workload(
        first,
        Status::NotEvaluated,
        format!(
            "{} workload(s) set no metadata.namespace ({}): the namespace they run in is chosen at \
             apply time (kubectl -n, Helm --namespace), so {what} cannot be judged from the scanned inputs",
            none.len(),
            names.join(", ")
        ),
    ));
}

/// NW-003: every application namespace with workloads has a default-deny ingress and egress
/// policy.
fn default_deny(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let policies = inv.cached(policies_by_namespace);
    let (by_ns, none) = workload_namespaces(inv, ctx);
    let empty = Vec::new();
    for ns in by_ns.keys() {
        let pols = policies.get(*ns).unwrap_or(&empty);
        let ing = pols.iter().find(|p| p.denies_all_ingress());
        let eg = pols.iter().find(|p| p.denies_all_egress());
        let (status, message) = match (ing, eg) {
            (Some(i), Some(e)) if i.name() == e.name() => (
                Status::Pass,
                format!(
                    "namespace {ns} has a default-deny ingress and egress NetworkPolicy ({}) among the scanned inputs",
                    i.name()
                ),
            ),
            (Some(i), Some(e)) => (
                Status::Pass,
                format!(
                    "namespace {ns} has default-deny NetworkPolicies for ingress ({}) and egress ({}) among the scanned inputs",
                    i.name(),
                    e.name()
                ),
            ),
            _ => {
                let missing: Vec<&str> = [(ing.is_none(), "ingress"), (eg.is_none(), "egress")]
                    .into_iter()
                    .filter_map(|(m, s)| m.then_some(s))
                    .collect();
                let what = if pols.is_empty() {
                    "no NetworkPolicy (networking.k8s.io) at all".to_string()
                } else {
                    format!(
                        "no default-deny {} NetworkPolicy (podSelector: {{}}, policyTypes including {}, no {} rules)",
                        missing.join(" or "),
                        missing
                            .iter()
                            .map(|m| if *m == "ingress" { "Ingress" } else { "Egress" })
                            .collect::<Vec<_>>()
                            .join(" and "),
                        missing.join(" / ")
                    )
                };
                (
                    Status::Fail,
                    format!("namespace {ns} has workloads but {what} among the scanned inputs"),
                )
            }
        };
        out.push(InvVerdict::namespace(inv, ns, status, message));
    }
    namespace_less(&none, "their default-deny NetworkPolicies", out);
    allow_all_rules(inv, ctx, out);
}

/// The ports part of a rule: every port of every protocol, every port of some protocols, or
/// narrower.
#[derive(Debug, PartialEq, Eq)]
enum PortScope {
    All,
    AllOf(Vec<&'static str>),
    Limited,
}

/// What a rule's `ports` admit. Absent or empty: every port of every protocol. An entry without
/// `port` (or with the range 1-65535) opens every port of its protocol (TCP by default); a named
/// port or a narrower number or range limits the rule.
fn port_scope(rule: &Value) -> PortScope {
    let Some(ports) = rule.get("ports").and_then(Value::as_array) else {
        return PortScope::All;
    };
    if ports.is_empty() {
        return PortScope::All;
    }
    let mut full = Vec::new();
    for proto in ["TCP", "UDP", "SCTP"] {
        let open = ports.iter().any(|p| {
            p.get("protocol").and_then(Value::as_str).unwrap_or("TCP") == proto
                && match p.get("port") {
                    None | Some(Value::Null) => true,
                    Some(v) => {
                        v.as_i64().is_some_and(|s| s <= 1)
                            && p.get("endPort")
                                .and_then(Value::as_i64)
                                .is_some_and(|e| e >= 65535)
                    }
                }
        });
        if open {
            full.push(proto);
        }
    }
    match full.len() {
        3 => PortScope::All,
        0 => PortScope::Limited,
        _ => PortScope::AllOf(full),
    }
}

/// Is a CIDR the whole IPv4 (`0.0.0.0/0`) or IPv6 (`::/0`) address space?
fn cidr_is_everything(cidr: &str) -> bool {
    let Some((addr, len)) = cidr.trim().split_once('/') else {
        return false;
    };
    len == "0" && addr.parse::<std::net::IpAddr>().is_ok()
}

/// A present selector that selects everything (`{}`, or empty matchLabels / matchExpressions).
fn empty_selector(v: Option<&Value>) -> bool {
    v.and_then(Value::as_object).is_some_and(|m| {
        m.iter().all(|(k, v)| match k.as_str() {
            "matchLabels" => v.is_null() || v.as_object().is_some_and(|o| o.is_empty()),
            "matchExpressions" => v.is_null() || v.as_array().is_some_and(|a| a.is_empty()),
            _ => true,
        })
    })
}

/// How broad the peers of a rule are.
#[derive(Debug, PartialEq, Eq)]
enum Peers {
    /// Admits every peer (the reasons, one per peer or one for a missing peer list).
    Everything(Vec<String>),
    /// An empty peer `{}`, which the API server rejects ("must specify a peer").
    Invalid(usize),
    Narrower,
}

/// The peers of a rule (`from` for ingress, `to` for egress). No list or an empty list admits
/// every pod and every address; a peer with `namespaceSelector: {}` and no podSelector or
/// `podSelector: {}` admits all pods in all namespaces; an ipBlock of `0.0.0.0/0` or `::/0`
/// without `except` admits every address of that family.
fn peer_scope(rule: &Value, key: &str) -> Peers {
    let peers = rule.get(key).and_then(Value::as_array);
    let Some(peers) = peers.filter(|p| !p.is_empty()) else {
        return Peers::Everything(vec![format!(
            "every pod in every namespace and every IP address (`{key}` absent or empty)"
        )]);
    };
    let mut why = Vec::new();
    for (i, peer) in peers.iter().enumerate() {
        let field = |k: &str| peer.get(k).filter(|v| !v.is_null());
        let (pods, nss, block) = (
            field("podSelector"),
            field("namespaceSelector"),
            field("ipBlock"),
        );
        if pods.is_none() && nss.is_none() && block.is_none() {
            return Peers::Invalid(i);
        }
        if nss.is_some() && empty_selector(nss) && (pods.is_none() || empty_selector(pods)) {
            why.push(format!("all pods in all namespaces ({key}[{i}])"));
        }
        if let Some(cidr) = block
            .and_then(|b| b.get("cidr"))
            .and_then(Value::as_str)
            .filter(|c| cidr_is_everything(c))
        {
            let except = block
                .and_then(|b| b.get("except"))
                .and_then(Value::as_array)
                .is_some_and(|e| !e.is_empty());
            if !except {
                why.push(format!(
                    "every address of ipBlock {cidr} without except ({key}[{i}])"
                ));
            }
        }
    }
    if why.is_empty() {
        Peers::Narrower
    } else {
        Peers::Everything(why)
    }
}

/// NW-003, per rule: ingress and egress rules (of the directions the policy's policyTypes
/// enable) that admit every peer on every port, or on every port of a protocol, fail, since
/// NetworkPolicies are additive and such a rule undoes the default deny for the pods the policy
/// selects. Rules narrowed to specific ports are not reported. Policies in system namespaces are
/// skipped; other policies without such a rule pass.
fn allow_all_rules(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    for obj in inv.of_group_kind("networking.k8s.io", "NetworkPolicy") {
        if obj
            .namespace()
            .is_some_and(|ns| is_system_namespace(ctx, ns))
        {
            continue;
        }
        let p = Policy::from_object(obj);
        let pods = if p.selects_all() {
            match p.obj.namespace() {
                Some(ns) => format!("every pod of namespace {ns}"),
                None => "every pod of its namespace".to_string(),
            }
        } else {
            "the pods it selects".to_string()
        };
        let mut reported = false;
        for (enabled, rules, field, key, dir, whence) in [
            (
                p.ingress,
                p.ingress_rules.values(),
                "ingress",
                "from",
                "ingress",
                "from",
            ),
            (
                p.egress,
                p.egress_rules.values(),
                "egress",
                "to",
                "egress",
                "to",
            ),
        ] {
            if !enabled {
                continue;
            }
            for (i, rule) in rules.iter().enumerate() {
                let path = p.obj.path(&["spec", field]).index(i);
                let ports = port_scope(rule);
                match peer_scope(rule, key) {
                    Peers::Narrower => {}
                    Peers::Invalid(j) => {
                        reported = true;
                        out.push(InvVerdict::on(
                            &p.obj,
                            Some(&path),
                            Status::NotEvaluated,
                            format!(
                                "{dir} rule {i} has an empty peer ({key}[{j}]: {{}}), which the API server rejects (a peer needs podSelector, namespaceSelector or ipBlock), so what the policy admits cannot be judged"
                            ),
                        ));
                    }
                    Peers::Everything(why) => {
                        let on = match &ports {
                            PortScope::Limited => continue,
                            PortScope::All => "on every port and protocol".to_string(),
                            PortScope::AllOf(protos) => {
                                format!("on every {} port", protos.join("/"))
                            }
                        };
                        reported = true;
                        out.push(InvVerdict::on(
                            &p.obj,
                            Some(&path),
                            Status::Fail,
                            format!(
                                "{dir} rule {i} admits traffic {on} {whence} {}, which undoes default deny for {pods}; name the expected peers and ports",
                                why.join(" and ")
                            ),
                        ));
                    }
                }
            }
        }
        if !reported {
            out.push(InvVerdict::on(
                &p.obj,
                None,
                Status::Pass,
                "has no ingress or egress rule that admits every peer on every port (among its enabled policyTypes)",
            ));
        }
    }
}

/// NW-002: every workload's pods are selected by an Ingress and an Egress policy of their
/// namespace.
fn coverage(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let policies = inv.cached(policies_by_namespace);
    let (by_ns, none) = workload_namespaces(inv, ctx);
    let empty = Vec::new();
    for (ns, workloads) in &by_ns {
        let pols = policies.get(*ns).unwrap_or(&empty);
        for w in workloads {
            let desc = format!("{} {}/{}", w.reference.kind, ns, w.reference.name);
            let mut ingress = None;
            let mut egress = None;
            let mut invalid = Vec::new();
            for p in pols {
                match selector_matches(&p.selector, &w.pod_labels) {
                    SelectorMatch::Matches => {
                        if p.ingress && ingress.is_none() {
                            ingress = Some(p.name());
                        }
                        if p.egress && egress.is_none() {
                            egress = Some(p.name());
                        }
                    }
                    SelectorMatch::NoMatch => {}
                    SelectorMatch::Invalid => invalid.push(p.name()),
                }
            }
            let v = match (ingress, egress) {
                (Some(i), Some(e)) => on_workload(
                    w,
                    Status::Pass,
                    format!(
                        "the pods of {desc} are selected by NetworkPolicy {i} for ingress and {e} for egress among the scanned inputs"
                    ),
                ),
                _ if !invalid.is_empty() => on_workload(
                    w,
                    Status::NotEvaluated,
                    format!(
                        "NetworkPolicy {} in namespace {ns} has a podSelector that is not a valid label selector, so whether it selects the pods of {desc} cannot be judged",
                        invalid.join(", ")
                    ),
                ),
                _ => {
                    let missing: Vec<&str> =
                        [(ingress.is_none(), "Ingress"), (egress.is_none(), "Egress")]
                            .into_iter()
                            .filter_map(|(m, s)| m.then_some(s))
                            .collect();
                    on_workload(
                        w,
                        Status::Fail,
                        format!(
                            "the pods of {desc} are not selected by any NetworkPolicy with policyTypes {} among the scanned inputs",
                            missing.join(" or ")
                        ),
                    )
                }
            };
            out.push(v);
        }
    }
    // A workload without a namespace runs wherever it is applied: beside the namespace-less
    // policies, or in any namespace. If no group of policies among the inputs would select it
    // for both directions, it is unprotected wherever it goes; otherwise it depends.
    let unset: Vec<Policy> = inv
        .of_group_kind("networking.k8s.io", "NetworkPolicy")
        .filter(|o| o.namespace().is_none())
        .map(Policy::from_object)
        .collect();
    for w in none {
        let groups = policies.values().chain(std::iter::once(&unset));
        let mut could_cover = false;
        for pols in groups {
            let (mut ingress, mut egress) = (false, false);
            for p in pols {
                match selector_matches(&p.selector, &w.pod_labels) {
                    SelectorMatch::Matches => {
                        ingress |= p.ingress;
                        egress |= p.egress;
                    }
                    SelectorMatch::NoMatch => {}
                    SelectorMatch::Invalid => could_cover = true,
                }
            }
            could_cover |= ingress && egress;
        }
        let v = if could_cover {
            on_workload(
                w,
                Status::NotEvaluated,
                format!(
                    "{} {} sets no metadata.namespace: whether the NetworkPolicies of the namespace it is applied to select it cannot be judged from the scanned inputs",
                    w.reference.kind, w.reference.name
                ),
            )
        } else {
            on_workload(
                w,
                Status::Fail,
                format!(
                    "the pods of {} {} are not selected for both Ingress and Egress by the NetworkPolicies of any namespace among the scanned inputs (it sets no metadata.namespace)",
                    w.reference.kind, w.reference.name
                ),
            )
        };
        out.push(v);
    }
}

/// Does an IPv4 CIDR (`a.b.c.d/n`) contain an address? None when it is not a valid IPv4 CIDR;
/// an IPv6 CIDR (even `::/0`) contains no IPv4 address.
pub fn cidr_contains(cidr: &str, ip: Ipv4Addr) -> Option<bool> {
    let (addr, len) = cidr.trim().split_once('/')?;
    if addr.contains(':') {
        let _: std::net::Ipv6Addr = addr.parse().ok()?;
        let len: u8 = len.parse().ok()?;
        return (len <= 128).then_some(false);
    }
    let addr: Ipv4Addr = addr.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if len > 32 {
        return None;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some(u32::from(addr) & mask == u32::from(ip) & mask)
}

/// What an egress rule lets through to the metadata endpoint.
#[derive(Debug, PartialEq, Eq)]
enum Admits {
    Yes(String),
    No,
    Unknown(String),
}

/// Do a rule's ports include TCP 80? (No ports: every port. A named port cannot be resolved for
/// an IP destination, so it counts as possibly 80.)
fn ports_admit_imds(rule: &Value) -> bool {
    let Some(ports) = rule.get("ports").and_then(Value::as_array) else {
        return true;
    };
    if ports.is_empty() {
        return true;
    }
    ports.iter().any(|p| {
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        if proto != "TCP" {
            return false;
        }
        match p.get("port") {
            None | Some(Value::Null) => true,
            Some(Value::String(_)) => true,
            Some(v) => match (v.as_i64(), p.get("endPort").and_then(Value::as_i64)) {
                (Some(start), Some(end)) => (start..=end).contains(&IMDS_PORT),
                (Some(start), None) => start == IMDS_PORT,
                _ => true,
            },
        }
    })
}

/// Does an egress rule admit traffic to 169.254.169.254?
fn rule_admits_imds(rule: &Value) -> Admits {
    if !ports_admit_imds(rule) {
        return Admits::No;
    }
    let to = rule.get("to").and_then(Value::as_array);
    let Some(to) = to.filter(|t| !t.is_empty()) else {
        return Admits::Yes("an egress rule without `to` (every destination)".to_string());
    };
    for peer in to {
        let Some(block) = peer.get("ipBlock") else {
            continue; // pod and namespace selectors select pods, not the metadata endpoint
        };
        let Some(cidr) = block.get("cidr").and_then(Value::as_str) else {
            return Admits::Unknown("an ipBlock without a cidr".to_string());
        };
        match cidr_contains(cidr, IMDS) {
            None => return Admits::Unknown(format!("ipBlock cidr {cidr} is not a valid CIDR")),
            Some(false) => continue,
            Some(true) => {}
        }
        let mut excluded = false;
        for e in block
            .get("except")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match e.as_str().and_then(|e| cidr_contains(e, IMDS)) {
                Some(true) => excluded = true,
                Some(false) => {}
                None => {
                    return Admits::Unknown(format!(
                        "an except entry of ipBlock {cidr} is not a valid CIDR"
                    ));
                }
            }
        }
        if !excluded {
            return Admits::Yes(format!(
                "an egress rule to ipBlock {cidr} without an `except` covering 169.254.169.254"
            ));
        }
    }
    Admits::No
}

/// NW-004: default-deny egress and no egress rule admitting 169.254.169.254, per namespace.
fn imds_egress(inv: &Inventory, ctx: &Ctx, out: &mut Vec<InvVerdict>) {
    let policies = inv.cached(policies_by_namespace);
    let (by_ns, none) = workload_namespaces(inv, ctx);
    let empty = Vec::new();
    for ns in by_ns.keys() {
        let pols = policies.get(*ns).unwrap_or(&empty);
        let mut admits = None;
        let mut unknown = None;
        for p in pols.iter().filter(|p| p.egress) {
            for r in &p.egress_rules.values() {
                match rule_admits_imds(r) {
                    Admits::Yes(why) if admits.is_none() => admits = Some((p.name(), why)),
                    Admits::Unknown(why) if unknown.is_none() => unknown = Some((p.name(), why)),
                    _ => {}
                }
            }
        }
        let deny = pols.iter().find(|p| p.denies_all_egress());
        let (status, message) = match (deny, admits, unknown) {
            (None, _, _) => (
                Status::Fail,
                format!(
                    "namespace {ns} has no default-deny egress NetworkPolicy among the scanned inputs, so its pods can reach the metadata endpoint 169.254.169.254 unless another policy restricts them"
                ),
            ),
            (Some(_), Some((p, why)), _) => (
                Status::Fail,
                format!(
                    "NetworkPolicy {p} in namespace {ns} has {why}, which lets the pods it selects reach the metadata endpoint 169.254.169.254"
                ),
            ),
            (Some(_), None, Some((p, why))) => (
                Status::NotEvaluated,
                format!(
                    "NetworkPolicy {p} in namespace {ns} has {why}, so whether it admits 169.254.169.254 cannot be judged"
                ),
            ),
            (Some(d), None, None) => (
                Status::Pass,
                format!(
                    "namespace {ns} has default-deny egress ({}) and no egress rule among the scanned inputs admits 169.254.169.254",
                    d.name()
                ),
            ),
        };
        out.push(InvVerdict::namespace(inv, ns, status, message));
    }
    namespace_less(&none, "their egress to the metadata endpoint", out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cidrs() {
        let c = |s: &str| cidr_contains(s, IMDS);
        assert_eq!(c("0.0.0.0/0"), Some(true));
        assert_eq!(c("169.254.169.254/32"), Some(true));
        assert_eq!(c("169.254.0.0/16"), Some(true));
        assert_eq!(c("169.254.169.255/32"), Some(false));
        assert_eq!(c("10.0.0.0/8"), Some(false));
        assert_eq!(c("128.0.0.0/1"), Some(true));
        assert_eq!(c("0.0.0.0/1"), Some(false));
        assert_eq!(c("::/0"), Some(false));
        assert_eq!(c("fd00::/8"), Some(false));
        assert_eq!(c("10.0.0.0/33"), None);
        assert_eq!(c("10.0.0/8"), None);
        assert_eq!(c("10.0.0.0"), None);
        assert_eq!(c("banana/8"), None);
    }

    #[test]
    fn ports_of_rules() {
        use PortScope::*;
        assert_eq!(port_scope(&json!({})), All);
        assert_eq!(port_scope(&json!({"ports": []})), All);
        assert_eq!(port_scope(&json!({"ports": [{"port": 443}]})), Limited);
        assert_eq!(port_scope(&json!({"ports": [{"port": "http"}]})), Limited);
        assert_eq!(
            port_scope(&json!({"ports": [{"protocol": "TCP"}]})),
            AllOf(vec!["TCP"])
        );
        assert_eq!(port_scope(&json!({"ports": [{}]})), AllOf(vec!["TCP"]));
        assert_eq!(
            port_scope(&json!({"ports": [{"port": 1, "endPort": 65535}]})),
            AllOf(vec!["TCP"])
        );
        assert_eq!(
            port_scope(&json!({"ports": [{"port": 1, "endPort": 1024}]})),
            Limited
        );
        assert_eq!(
            port_scope(
                &json!({"ports": [{"protocol": "TCP"}, {"protocol": "UDP"}, {"protocol": "SCTP"}]})
            ),
            All
        );
    }

    #[test]
    fn peers_of_rules() {
        let every = |r: Value, k: &str| matches!(peer_scope(&r, k), Peers::Everything(_));
        assert!(every(json!({}), "from"));
        assert!(every(json!({"from": []}), "from"));
        assert!(every(json!({"from": null}), "from"));
        assert!(every(json!({"to": [{"namespaceSelector": {}}]}), "to"));
        assert!(every(
            json!({"from": [{"namespaceSelector": {}, "podSelector": {}}]}),
            "from"
        ));
        assert!(every(
            json!({"from": [{"namespaceSelector": {"matchLabels": {}}, "podSelector": {"matchExpressions": []}}]}),
            "from"
        ));
        assert!(every(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}),
            "to"
        ));
        assert!(every(json!({"to": [{"ipBlock": {"cidr": "::/0"}}]}), "to"));
        assert!(every(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": []}}]}),
            "to"
        ));
        assert!(!every(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}),
            "to"
        ));
        assert!(!every(
            json!({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}),
            "to"
        ));
        assert!(!every(json!({"from": [{"podSelector": {}}]}), "from"));
        assert!(!every(
            json!({"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}]}),
            "from"
        ));
        assert!(!every(
            json!({"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}]}),
            "from"
        ));
        // `from` of an egress rule is not its peer list.
        assert!(!every(
            json!({"to": [{"podSelector": {}}], "from": []}),
            "to"
        ));
        assert_eq!(
            peer_scope(&json!({"from": [{}]}), "from"),
            Peers::Invalid(0)
        );
        assert_eq!(
            peer_scope(
                &json!({"from": [{"podSelector": {}}, {"podSelector": null}]}),
                "from"
            ),
            Peers::Invalid(1)
        );
        assert!(cidr_is_everything("0.0.0.0/0"));
        assert!(cidr_is_everything("::/0"));
        assert!(!cidr_is_everything("0.0.0.0/1"));
        assert!(!cidr_is_everything("nope/0"));
    }

    #[test]
    fn egress_rules_and_imds() {
        let yes = |r: Value| matches!(rule_admits_imds(&r), Admits::Yes(_));
        assert!(yes(json!({})));
        assert!(yes(json!({"to": []})));
        assert!(yes(json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})));
        assert!(yes(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]})
        ));
        assert!(!yes(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}]})
        ));
        assert!(!yes(json!({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]})));
        assert!(!yes(json!({"to": [{"podSelector": {}}]})));
        assert!(!yes(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]})
        ));
        assert!(!yes(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 53, "protocol": "UDP"}]})
        ));
        assert!(yes(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 1, "endPort": 1024}]})
        ));
        assert!(yes(
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "http"}]})
        ));
        assert!(matches!(
            rule_admits_imds(&json!({"to": [{"ipBlock": {"cidr": "nope"}}]})),
            Admits::Unknown(_)
        ));
    }
}
