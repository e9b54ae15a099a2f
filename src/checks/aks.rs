//! AKS cluster configuration checks: one function per control, each reading the normalized
//! cluster model ([`crate::aks::model::Cluster`]) so it gives the same verdict whichever input
//! shape the cluster came from.
//!
//! Absent is not false: when the input does not state a property, the check applies the
//! default AKS (or the azurerm provider) uses and says so in the finding; when a value could
//! not be worked out (a template expression, a Terraform value known after apply), the
//! verdict is `not-evaluated` and shows the expression.

use serde_json::Value;

use crate::aks::model::{Cluster, Prop, Seg, Shape};
use crate::aks::versions::{Calendar, Date, Support};
use crate::model::Status;

/// What AKS checks read besides the cluster.
pub struct AksCtx<'a> {
    pub calendar: &'a Calendar,
    pub as_of: Date,
}

/// One verdict of an AKS check.
#[derive(Debug)]
pub struct AksVerdict {
    pub status: Status,
    pub message: String,
    /// The property judged (canonical path in the model), for the location.
    pub path: Vec<String>,
    /// How to fix it in the cluster's own shape (az command, template property, Terraform
    /// argument), for failures.
    pub fix: Option<String>,
}

pub struct AksCheck {
    pub control: &'static str,
    pub run: fn(&Cluster, &AksCtx, &mut Vec<AksVerdict>),
}

/// How to change a setting, per input shape.
struct Fix {
    az: &'static str,
    arm: &'static str,
    tf: &'static str,
}

impl Fix {
    fn for_shape(&self, shape: Shape) -> Option<String> {
        let s = match shape {
            Shape::AzCli | Shape::ArmResource => {
                if self.az.is_empty() {
                    self.arm
                } else {
                    self.az
                }
            }
            Shape::ArmTemplate => self.arm,
            Shape::TerraformPlan | Shape::TerraformHcl => self.tf,
        };
        (!s.is_empty()).then(|| s.to_string())
    }
}

/// A property as read: set in the input, assumed from the default, or not known.
enum Read<'a> {
    Set(&'a Value),
    Default(Value, &'static str),
    Unresolved(String),
    /// Absent and no default is known.
    Unknown,
}

fn segs<'a>(path: &'a [&'a str]) -> Vec<Seg<'a>> {
    path.iter()
        .map(|p| match p.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(p),
        })
        .collect()
}

fn read<'a>(c: &'a Cluster, path: &[&str], default: Option<(Value, &'static str)>) -> Read<'a> {
    match c.prop(&segs(path)) {
        Prop::Value(v) => Read::Set(v),
        Prop::Unresolved(u) => Read::Unresolved(format!("`{}` ({})", u.expr, u.reason)),
        Prop::WrongType(at, what) => Read::Unresolved(format!(
            "`{at}` is {what} where the API expects {}",
            if what == "a list" {
                "an object"
            } else {
                "an object or a list"
            }
        )),
        Prop::Absent => match default {
            Some((v, why)) => Read::Default(v, why),
            None => Read::Unknown,
        },
    }
}

/// `properties.x.y` → `x.y` (how people name AKS properties).
fn display(path: &[&str]) -> String {
    let p = match path {
        ["properties", "agentPoolProfiles", i, rest @ ..]
            if i.parse::<usize>().is_ok() && !rest.is_empty() =>
        {
            rest
        }
        _ => path.strip_prefix(&["properties"]).unwrap_or(path),
    };
    let mut s = String::new();
    for seg in p {
        if seg.parse::<usize>().is_ok() {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(seg);
        }
    }
    s
}

fn owned(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| s.to_string()).collect()
}

fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::Array(a) if a.is_empty() => "none".to_string(),
        Value::String(s) if s.is_empty() => "empty".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The recurring shape of a check: read one property, judge its value.
struct Judge<'a> {
    c: &'a Cluster,
    out: &'a mut Vec<AksVerdict>,
    fix: &'a Fix,
}

impl Judge<'_> {
    fn verdict(&mut self, status: Status, path: &[&str], message: String) {
        let fix = (status == Status::Fail)
            .then(|| self.fix.for_shape(self.c.shape))
            .flatten();
        self.out.push(AksVerdict {
            status,
            message,
            path: owned(path),
            fix,
        });
    }

    /// Judges the property at `path` with `ok` (true = secure). `default` is what applies when
    /// the input does not state it.
    fn property(
        &mut self,
        path: &[&str],
        default: Option<(Value, &'static str)>,
        ok: impl Fn(&Value) -> Option<bool>,
        what: (&str, &str),
    ) {
        self.property_or(path, default, ok, what, "its default is not known");
    }

    /// As [`Judge::property`]; `unknown` says why an absent value without a default cannot be
    /// judged.
    fn property_or(
        &mut self,
        path: &[&str],
        default: Option<(Value, &'static str)>,
        ok: impl Fn(&Value) -> Option<bool>,
        (good, bad): (&str, &str),
        unknown: &str,
    ) {
        let name = display(path);
        let subject = subject(self.c, path);
        match read(self.c, path, default) {
            Read::Set(v) => match ok(v) {
                Some(true) => self.verdict(
                    Status::Pass,
                    path,
                    format!("{subject}{name} is {}, so {good}", shown(v)),
                ),
                Some(false) => self.verdict(
                    Status::Fail,
                    path,
                    format!("{subject}{name} is {}, so {bad}", shown(v)),
                ),
                None => self.verdict(
                    Status::NotEvaluated,
                    path,
                    format!("{subject}{name} has an unexpected value {v}"),
                ),
            },
            Read::Default(v, why) => match ok(&v) {
                Some(true) => self.verdict(
                    Status::Pass,
                    path,
                    format!(
                        "{subject}{name} is not set and the default ({}) applies ({why}), so {good}",
                        shown(&v)
                    ),
                ),
                _ => self.verdict(
                    Status::Fail,
                    path,
                    format!(
                        "{subject}{name} is not set and the default ({}) applies ({why}), so {bad}",
                        shown(&v)
                    ),
                ),
            },
            Read::Unresolved(expr) => self.verdict(
                Status::NotEvaluated,
                path,
                format!("{subject}{name} cannot be evaluated: {expr}"),
            ),
            Read::Unknown => self.verdict(
                Status::NotEvaluated,
                path,
                format!("{subject}{name} is not set and {unknown}"),
            ),
        }
    }
}

/// The subject of a message about `path`: `node pool user: ` for a pool's property, nothing for
/// the cluster (the finding names it).
fn subject(c: &Cluster, path: &[&str]) -> String {
    if let ["properties", "agentPoolProfiles", i, ..] = path
        && let Ok(i) = i.parse::<usize>()
    {
        let name = c
            .pools()
            .get(i)
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        return format!("node pool {name}: ");
    }
    String::new()
}

fn is_true(v: &Value) -> Option<bool> {
    truthy(v)
}

fn is_false(v: &Value) -> Option<bool> {
    truthy(v).map(|b| !b)
}

fn one_of(allowed: &'static [&'static str]) -> impl Fn(&Value) -> Option<bool> {
    move |v| {
        v.as_str()
            .map(|s| allowed.iter().any(|a| a.eq_ignore_ascii_case(s)))
    }
}

fn desired(c: &Cluster) -> bool {
    c.shape.is_desired_state()
}

/// The state of a running cluster reports every property it has; an absent flag there is off.
fn absent_means(
    c: &Cluster,
    value: Value,
    template_default: &'static str,
) -> (Value, &'static str) {
    if desired(c) {
        (value, template_default)
    } else {
        (value, "Azure omits the setting when it is off")
    }
}

fn pools(c: &Cluster) -> Vec<String> {
    (0..c.pools().len()).map(|i| i.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// Control plane

fn private_cluster(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-apiserver-vnet-integration --apiserver-subnet-id SUBNET_ID --enable-private-cluster (or redeploy with az aks create --enable-private-cluster)",
        arm: "set properties.apiServerAccessProfile.enablePrivateCluster to true",
        tf: "set private_cluster_enabled = true",
    };
    Judge { c, out, fix: &fix }.property(
        &[
            "properties",
            "apiServerAccessProfile",
            "enablePrivateCluster",
        ],
        Some(absent_means(
            c,
            Value::Bool(false),
            "a public API server unless asked",
        )),
        is_true,
        (
            "the API server is reachable only through a private endpoint",
            "the API server has a public endpoint",
        ),
    );
}

fn private(c: &Cluster) -> Option<bool> {
    match c.prop(&segs(&[
        "properties",
        "apiServerAccessProfile",
        "enablePrivateCluster",
    ])) {
        Prop::Value(v) => truthy(v),
        Prop::Absent => Some(false),
        Prop::Unresolved(_) | Prop::WrongType(..) => None,
    }
}

/// Whether a CIDR admits every address (`0.0.0.0/0`, `::/0`, `*`, `Internet`).
fn whole_internet(range: &str) -> bool {
    let r = range.trim();
    if r == "*" || r.eq_ignore_ascii_case("internet") || r.eq_ignore_ascii_case("any") {
        return true;
    }
    match r.split_once('/') {
        Some((_, bits)) => bits.trim() == "0",
        None => false,
    }
}

fn authorized_ip_ranges(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let path = ["properties", "apiServerAccessProfile", "authorizedIPRanges"];
    let fix = Fix {
        az: "az aks update --api-server-authorized-ip-ranges CIDR[,CIDR...] (only your networks)",
        arm: "list your networks in properties.apiServerAccessProfile.authorizedIPRanges",
        tf: "set api_server_access_profile { authorized_ip_ranges = [...] } to your networks",
    };
    let mut j = Judge { c, out, fix: &fix };
    match private(c) {
        Some(true) => {
            j.verdict(
                Status::NotApplicable,
                &path,
                "the API server is private, so it has no public endpoint to restrict".into(),
            );
            return;
        }
        None => {
            j.verdict(
                Status::NotEvaluated,
                &path,
                "whether the API server is private cannot be evaluated, so its public access cannot be judged".into(),
            );
            return;
        }
        Some(false) => {}
    }
    match read(c, &path, None) {
        Read::Set(Value::Array(ranges)) if !ranges.is_empty() => {
            let strs: Vec<&str> = ranges.iter().filter_map(Value::as_str).collect();
            if let Some(open) = strs.iter().find(|r| whole_internet(r)) {
                j.verdict(
                    Status::Fail,
                    &path,
                    format!("the public API server's authorizedIPRanges include {open}, which admits the whole Internet"),
                );
            } else {
                j.verdict(
                    Status::Pass,
                    &path,
                    format!(
                        "the public API server admits only {} authorized range(s): {}",
                        strs.len(),
                        strs.join(", ")
                    ),
                );
            }
        }
        Read::Unresolved(e) => j.verdict(
            Status::NotEvaluated,
            &path,
            format!("authorizedIPRanges cannot be evaluated: {e}"),
        ),
        _ => j.verdict(
            Status::Fail,
            &path,
            "the API server is public and apiServerAccessProfile.authorizedIPRanges is empty or not set, so any address on the Internet can reach it".into(),
        ),
    }
}

fn private_public_fqdn(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let path = [
        "properties",
        "apiServerAccessProfile",
        "enablePrivateClusterPublicFQDN",
    ];
    let fix = Fix {
        az: "az aks update --disable-public-fqdn",
        arm: "set properties.apiServerAccessProfile.enablePrivateClusterPublicFQDN to false",
        tf: "set private_cluster_public_fqdn_enabled = false",
    };
    let mut j = Judge { c, out, fix: &fix };
    match private(c) {
        Some(true) => j.property(
            &path,
            Some((
                Value::Bool(false),
                "AKS publishes no public name unless asked",
            )),
            is_false,
            (
                "the private API server's name is not published in public DNS",
                "the private API server's name is published in public DNS",
            ),
        ),
        Some(false) => j.verdict(
            Status::NotApplicable,
            &path,
            "the API server is public, so a public FQDN is expected (CP-001 judges the endpoint)"
                .into(),
        ),
        None => j.verdict(
            Status::NotEvaluated,
            &path,
            "whether the API server is private cannot be evaluated".into(),
        ),
    }
}

fn run_command_disabled(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --disable-run-command",
        arm: "set properties.apiServerAccessProfile.disableRunCommand to true",
        tf: "set run_command_enabled = false",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "apiServerAccessProfile", "disableRunCommand"],
        Some(absent_means(
            c,
            Value::Bool(false),
            "run command is enabled unless disabled",
        )),
        is_true,
        (
            "run command is disabled",
            "anyone with cluster credentials can run commands through the AKS run command API",
        ),
    );
}

fn auto_upgrade_channel(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --auto-upgrade-channel patch (or stable)",
        arm: "set properties.autoUpgradeProfile.upgradeChannel to patch or stable",
        tf: "set automatic_upgrade_channel = \"patch\" (azurerm 3.x: automatic_channel_upgrade)",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "autoUpgradeProfile", "upgradeChannel"],
        Some((
            Value::String("none".into()),
            "no automatic upgrades unless a channel is chosen",
        )),
        one_of(&["patch", "stable", "rapid", "node-image"]),
        (
            "the cluster follows an automatic upgrade channel",
            "the cluster is not upgraded automatically",
        ),
    );
}

fn node_os_upgrade_channel(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --node-os-upgrade-channel NodeImage (or SecurityPatch)",
        arm: "set properties.autoUpgradeProfile.nodeOSUpgradeChannel to NodeImage or SecurityPatch",
        tf: "set node_os_upgrade_channel = \"NodeImage\" (azurerm 3.x: node_os_channel_upgrade)",
    };
    // NodeImage has been the default since API version 2023-06-01 (Unmanaged before).
    let old_api = c.api_version.as_deref().is_some_and(|v| v < "2023-06-01");
    let default = if old_api {
        (
            Value::String("Unmanaged".into()),
            "API versions before 2023-06-01 leave node OS updates unmanaged",
        )
    } else {
        (
            Value::String("NodeImage".into()),
            "AKS applies NodeImage to clusters created without a channel (API 2023-06-01 and later)",
        )
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "autoUpgradeProfile", "nodeOSUpgradeChannel"],
        Some(default),
        one_of(&["NodeImage", "SecurityPatch"]),
        (
            "node OS security patches are applied automatically",
            "node OS security patches are not applied automatically",
        ),
    );
}

/// The verdict of CP-006 on one Kubernetes version (`1.30.4`, `v1.30.4`): supported, in
/// long-term support (`lts`: the cluster has the plan), or not.
pub fn version_verdict(
    ctx: &AksCtx,
    text: &str,
    lts: bool,
    subject: &str,
    supported: &str,
) -> (Status, String) {
    match ctx.calendar.support(text, ctx.as_of) {
        Support::Supported { minor, until } => (
            Status::Pass,
            format!(
                "{subject}Kubernetes {text} (minor {minor}) is supported on AKS as of {}{}",
                ctx.as_of,
                until.map(|u| format!(" until {u}")).unwrap_or_default()
            ),
        ),
        Support::LongTermSupport {
            minor,
            since,
            until,
        } if lts => (
            Status::Pass,
            format!(
                "{subject}Kubernetes {text} (minor {minor}) left standard support on {since} and is covered by the cluster's long-term support plan until {until}",
            ),
        ),
        Support::LongTermSupport {
            minor,
            since,
            until,
        } => (
            Status::Fail,
            format!(
                "{subject}Kubernetes {text} (minor {minor}) left standard support on {since}; only clusters on the Premium tier with supportPlan AKSLongTermSupport are supported until {until}; supported minor versions as of {}: {supported}",
                ctx.as_of
            ),
        ),
        Support::EndOfLife { minor, since } => (
            Status::Fail,
            format!(
                "{subject}Kubernetes {text} (minor {minor}) reached its AKS end of life on {since}; supported minor versions as of {}: {supported}",
                ctx.as_of
            ),
        ),
        Support::NotYetGa { minor } => (
            Status::Fail,
            format!(
                "{subject}Kubernetes {text} (minor {minor}) is not generally available on AKS as of {} (preview versions are not supported for production)",
                ctx.as_of
            ),
        ),
        Support::OlderThanCalendar {
            minor,
            oldest,
            since,
        } => (
            Status::Fail,
            format!(
                "{subject}Kubernetes {text} (minor {minor}) is older than {oldest}, the oldest version of the calendar{}; supported minor versions as of {}: {supported}",
                since
                    .map(|s| format!(", which reached its AKS end of life on {s}"))
                    .unwrap_or_default(),
                ctx.as_of
            ),
        ),
        Support::Unknown { minor } => (
            Status::NotEvaluated,
            format!(
                "{subject}Kubernetes minor version {minor} is not in the version calendar (replace it with --aks-versions)"
            ),
        ),
        Support::Unparsable => (
            Status::NotEvaluated,
            format!("{subject}`{text}` is not a Kubernetes version"),
        ),
    }
}

fn version_support(c: &Cluster, ctx: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks upgrade --kubernetes-version VERSION (a supported minor version)",
        arm: "set properties.kubernetesVersion (and each pool's orchestratorVersion) to a supported version",
        tf: "set kubernetes_version (and each pool's orchestrator_version) to a supported version",
    };
    let supported = ctx.calendar.supported_on(ctx.as_of).join(", ");
    let lts = matches!(
        read(c, &["properties", "supportPlan"], None),
        Read::Set(Value::String(p)) if p.eq_ignore_ascii_case("AKSLongTermSupport")
    );
    let mut j = Judge { c, out, fix: &fix };
    let judge = |j: &mut Judge, subject: String, path: Vec<&str>, fallback: Option<Vec<&str>>| {
        let current = match read(j.c, &path, None) {
            Read::Unknown => fallback.as_ref().map(|f| (read(j.c, f, None), f.clone())),
            r => Some((r, path.clone())),
        };
        match current {
            None | Some((Read::Unknown, _)) => j.verdict(
                Status::Pass,
                &path,
                format!(
                    "{subject}no Kubernetes version is pinned, so AKS deploys its default version, which is supported when deployed (as of {}: {supported})",
                    ctx.as_of
                ),
            ),
            Some((Read::Unresolved(e), p)) => j.verdict(
                Status::NotEvaluated,
                &p,
                format!("{subject}the Kubernetes version cannot be evaluated: {e}"),
            ),
            // `read` without a default never assumes one.
            Some((Read::Default(..), _)) => {}
            Some((Read::Set(v), p)) => {
                let text = shown(v);
                let (status, message) = version_verdict(ctx, &text, lts, &subject, &supported);
                j.verdict(status, &p, message);
            }
        }
    };
    if !c.pools_only {
        judge(
            &mut j,
            String::new(),
            vec!["properties", "currentKubernetesVersion"],
            Some(vec!["properties", "kubernetesVersion"]),
        );
    }
    for i in pools(c) {
        let name = c.pools()[i.parse::<usize>().unwrap_or(0)]
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let cur = [
            "properties",
            "agentPoolProfiles",
            i.as_str(),
            "currentOrchestratorVersion",
        ];
        let set = [
            "properties",
            "agentPoolProfiles",
            i.as_str(),
            "orchestratorVersion",
        ];
        // A pool without a version of its own runs the control plane's version.
        if matches!(read(c, &cur, None), Read::Unknown)
            && matches!(read(c, &set, None), Read::Unknown)
        {
            continue;
        }
        judge(
            &mut j,
            format!("node pool {name}: "),
            cur.to_vec(),
            Some(set.to_vec()),
        );
    }
}

/// Whether the cluster has no node pools among the inputs (then says so, not-evaluated).
fn no_pools(c: &Cluster, out: &mut Vec<AksVerdict>) -> bool {
    if !c.pools().is_empty() {
        return false;
    }
    out.push(AksVerdict {
        status: Status::NotEvaluated,
        message: "no node pools among the inputs".into(),
        path: owned(&["properties", "agentPoolProfiles"]),
        fix: None,
    });
    true
}

/// Judges one property of every node pool (`key` is its path inside the pool).
fn each_pool(
    c: &Cluster,
    out: &mut Vec<AksVerdict>,
    fix: &Fix,
    key: &[&str],
    default: Option<(Value, &'static str)>,
    ok: impl Fn(&Value) -> Option<bool>,
    what: (&str, &str),
) {
    if no_pools(c, out) {
        return;
    }
    for i in pools(c) {
        let mut path = vec!["properties", "agentPoolProfiles", i.as_str()];
        path.extend_from_slice(key);
        Judge { c, out, fix }.property(&path, default.clone(), &ok, what);
    }
}

fn node_ssh_access(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks nodepool update --cluster-name CLUSTER --name POOL --ssh-access disabled",
        arm: "set securityProfile.sshAccess to Disabled on every agent pool",
        tf: "not exposed by azurerm: run az aks nodepool update --ssh-access disabled (or azapi_update_resource)",
    };
    each_pool(
        c,
        out,
        &fix,
        &["securityProfile", "sshAccess"],
        Some((
            Value::String("LocalUser".into()),
            "nodes accept SSH with the cluster's key unless disabled",
        )),
        one_of(&["Disabled", "EntraId"]),
        (
            "SSH access to the nodes is disabled or goes through Entra ID",
            "the nodes accept SSH with a local key",
        ),
    );
}

fn host_os_image(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks nodepool update --os-sku AzureLinux (or Ubuntu) / upgrade the node image",
        arm: "set osSKU to Ubuntu or AzureLinux on every agent pool",
        tf: "set os_sku = \"AzureLinux\" (or \"Ubuntu\") on every pool",
    };
    // CBLMariner is Azure Linux 2.0, and Windows Server 2019 pools: both retired by AKS.
    each_pool(
        c,
        out,
        &fix,
        &["osSKU"],
        Some((
            Value::String("Ubuntu".into()),
            "AKS uses its Ubuntu image for Linux pools",
        )),
        |v| {
            v.as_str().map(|s| {
                !["CBLMariner", "Mariner", "Windows2019"]
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(s))
            })
        },
        (
            "the nodes run a maintained AKS node image",
            "the nodes run a node image AKS has retired",
        ),
    );
}

fn system_node_pool(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks nodepool add --mode User ... and az aks nodepool update --name SYSTEM_POOL --node-taints CriticalAddonsOnly=true:NoSchedule",
        arm: "add a pool with mode User and give the System pool nodeTaints [\"CriticalAddonsOnly=true:NoSchedule\"]",
        tf: "set only_critical_addons_enabled = true in default_node_pool and add an azurerm_kubernetes_cluster_node_pool for applications",
    };
    let path = ["properties", "agentPoolProfiles"];
    let pools = c.pools();
    if no_pools(c, out) {
        return;
    }
    let mut j = Judge { c, out, fix: &fix };
    let mode = |p: &Value| {
        p.get("mode")
            .and_then(Value::as_str)
            .unwrap_or("User")
            .to_string()
    };
    // The first pool of a cluster is its system pool when no mode is given.
    let is_system = |i: usize, p: &Value| {
        let m = mode(p);
        m.eq_ignore_ascii_case("System") || (i == 0 && p.get("mode").is_none())
    };
    let system: Vec<(usize, &Value)> = pools
        .iter()
        .enumerate()
        .filter(|(i, p)| is_system(*i, p))
        .collect();
    let user = pools.len() - system.len();
    if user == 0 {
        let all_tainted = system.iter().all(|(_, p)| {
            p.get("nodeTaints")
                .and_then(Value::as_array)
                .is_some_and(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .any(|t| t.starts_with("CriticalAddonsOnly"))
                })
        });
        let message = if all_tainted {
            format!(
                "every node pool ({}) is a system pool tainted CriticalAddonsOnly, so there is no user pool for application pods",
                pools.len()
            )
        } else {
            format!(
                "every node pool ({}) is a system pool, so application pods share nodes with critical system components",
                pools.len()
            )
        };
        j.verdict(Status::Fail, &path, message);
        return;
    }
    for (i, p) in system {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let taints: Vec<&str> = p
            .get("nodeTaints")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let tainted = taints
            .iter()
            .any(|t| t.starts_with("CriticalAddonsOnly") && t.ends_with(":NoSchedule"));
        let i = i.to_string();
        let tpath = ["properties", "agentPoolProfiles", i.as_str(), "nodeTaints"];
        if tainted {
            j.verdict(
                Status::Pass,
                &tpath,
                format!("node pool {name}: the system pool is tainted CriticalAddonsOnly=true:NoSchedule and {user} user pool(s) run the applications"),
            );
        } else {
            j.verdict(
                Status::Fail,
                &tpath,
                format!("node pool {name}: the system pool has no CriticalAddonsOnly=true:NoSchedule taint, so application pods can be scheduled next to critical system components"),
            );
        }
    }
}

fn risky_addons(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    for (addon, fix) in [
        (
            "kubeDashboard",
            Fix {
                az: "az aks disable-addons --addons kube-dashboard",
                arm: "set properties.addonProfiles.kubeDashboard.enabled to false",
                tf: "remove the kube_dashboard block (azurerm 2.x addon_profile)",
            },
        ),
        (
            "httpApplicationRouting",
            Fix {
                az: "az aks disable-addons --addons http_application_routing",
                arm: "set properties.addonProfiles.httpApplicationRouting.enabled to false",
                tf: "set http_application_routing_enabled = false",
            },
        ),
    ] {
        let path = ["properties", "addonProfiles", addon, "enabled"];
        Judge { c, out, fix: &fix }.property(
            &path,
            Some((Value::Bool(false), "add-ons are off unless enabled")),
            is_false,
            (
                &format!("the {addon} add-on is disabled"),
                &format!("the {addon} add-on is enabled"),
            ),
        );
    }
}

fn sku_tier(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --tier standard",
        arm: "set sku.tier to Standard (or Premium)",
        tf: "set sku_tier = \"Standard\"",
    };
    Judge { c, out, fix: &fix }.property(
        &["sku", "tier"],
        Some((
            Value::String("Free".into()),
            "clusters are created on the Free tier",
        )),
        one_of(&["Standard", "Premium", "Paid"]),
        (
            "the cluster has the financially backed uptime SLA of the Standard or Premium tier",
            "the control plane has no uptime SLA",
        ),
    );
}

fn availability_zones(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "zones are set when a pool is created: az aks nodepool add --zones 1 2 3, then move workloads",
        arm: "set availabilityZones [\"1\", \"2\", \"3\"] on every agent pool (new pools)",
        tf: "set zones = [\"1\", \"2\", \"3\"] on every pool",
    };
    each_pool(
        c,
        out,
        &fix,
        &["availabilityZones"],
        Some((
            Value::Array(vec![]),
            "pools are zonal only when zones are given",
        )),
        |v| v.as_array().map(|a| a.len() >= 2),
        (
            "the pool spans at least two availability zones",
            "a zone outage takes the pool down",
        ),
    );
}

fn ephemeral_os_disk(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    // azurerm sends `Managed` when os_disk_type is not set.
    let default = matches!(c.shape, Shape::TerraformPlan | Shape::TerraformHcl).then(|| {
        (
            Value::String("Managed".into()),
            "the azurerm provider asks for managed OS disks unless os_disk_type is set",
        )
    });
    let fix = Fix {
        az: "az aks nodepool add --node-osdisk-type Ephemeral (on a VM size with a large enough cache or temp disk)",
        arm: "set osDiskType to Ephemeral on every agent pool",
        tf: "set os_disk_type = \"Ephemeral\" on every pool",
    };
    if no_pools(c, out) {
        return;
    }
    for i in pools(c) {
        // Without osDiskType AKS picks Ephemeral when the VM size's cache or temporary disk
        // can hold the OS disk, which depends on the size: not judged (azurerm: Managed).
        Judge { c, out, fix: &fix }.property_or(
            &["properties", "agentPoolProfiles", i.as_str(), "osDiskType"],
            default.clone(),
            one_of(&["Ephemeral"]),
            (
                "the pool uses ephemeral OS disks",
                "the pool's OS disks are remote managed disks",
            ),
            "AKS chooses Ephemeral only when the VM size can hold the OS disk",
        );
    }
}

/// VM sizes isolated to one customer's hardware (Azure "isolated" sizes).
const ISOLATED_SIZES: &[&str] = &[
    "Standard_E80ids_v4",
    "Standard_E80is_v4",
    "Standard_E104i_v5",
    "Standard_E104is_v5",
    "Standard_E104id_v5",
    "Standard_E104ids_v5",
    "Standard_M192is_v2",
    "Standard_M192ims_v2",
    "Standard_M192ids_v2",
    "Standard_M192idms_v2",
    "Standard_F72s_v2",
    "Standard_M128ms",
];

fn isolated_vm_sizes(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks nodepool add --node-vm-size <isolated size> or --host-group-id HOST_GROUP_ID for sensitive workloads",
        arm: "use an isolated vmSize or hostGroupID for pools of sensitive workloads",
        tf: "use an isolated vm_size or host_group_id for pools of sensitive workloads",
    };
    if c.pools().is_empty() {
        return;
    }
    for (i, p) in c.pools().iter().enumerate() {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let i = i.to_string();
        let host = p
            .get("hostGroupID")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let size = p.get("vmSize").and_then(Value::as_str);
        let isolated =
            size.is_some_and(|s| ISOLATED_SIZES.iter().any(|x| x.eq_ignore_ascii_case(s)));
        let (status, path, message) = if host.is_some() {
            (
                Status::Pass,
                "hostGroupID",
                format!("node pool {name}: runs on an Azure dedicated host group"),
            )
        } else if isolated {
            (
                Status::Pass,
                "vmSize",
                format!(
                    "node pool {name}: {} is an isolated VM size",
                    size.unwrap_or("")
                ),
            )
        } else {
            (
                Status::Fail,
                "vmSize",
                format!(
                    "node pool {name}: {} shares physical hosts with other customers (informational: isolate pools of sensitive workloads where required)",
                    size.unwrap_or("the VM size")
                ),
            )
        };
        Judge { c, out, fix: &fix }.verdict(
            status,
            &["properties", "agentPoolProfiles", i.as_str(), path],
            message,
        );
    }
}

// ---------------------------------------------------------------------------------------
// Network edge

fn private_vnet(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "create pools in your own subnet: az aks nodepool add --vnet-subnet-id SUBNET_ID (the cluster's subnet is set at creation)",
        arm: "set vnetSubnetID on every agent pool to a subnet of your VNet",
        tf: "set vnet_subnet_id on default_node_pool and every node pool",
    };
    each_pool(
        c,
        out,
        &fix,
        &["vnetSubnetID"],
        Some((Value::Null, "AKS creates and manages its own VNet")),
        |v| v.as_str().map(|s| !s.is_empty()),
        (
            "the pool runs in your own VNet subnet",
            "the pool runs in a VNet AKS manages, outside your network controls",
        ),
    );
}

fn egress_firewall(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --outbound-type userDefinedRouting (with a route table sending 0.0.0.0/0 to Azure Firewall)",
        arm: "set properties.networkProfile.outboundType to userDefinedRouting",
        tf: "set network_profile { outbound_type = \"userDefinedRouting\" }",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "networkProfile", "outboundType"],
        Some((
            Value::String("loadBalancer".into()),
            "egress leaves through the cluster load balancer's public IP",
        )),
        // `none`/`block`: network-isolated clusters with no outbound path at all.
        one_of(&["userDefinedRouting", "none", "block"]),
        (
            "outbound traffic leaves through user-defined routing (a firewall)",
            "outbound traffic does not pass a firewall",
        ),
    );
}

fn node_public_ip(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "recreate the pool without --enable-node-public-ip (az aks nodepool add, then delete the old pool)",
        arm: "set enableNodePublicIP to false on every agent pool",
        tf: "set node_public_ip_enabled = false (azurerm 3.x: enable_node_public_ip)",
    };
    each_pool(
        c,
        out,
        &fix,
        &["enableNodePublicIP"],
        Some((Value::Bool(false), "nodes get no public IP unless asked")),
        is_false,
        (
            "the nodes have no public IP addresses",
            "the nodes have public IP addresses",
        ),
    );
}

fn load_balancer_sku(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "the SKU is fixed at creation: recreate the cluster with --load-balancer-sku standard",
        arm: "set properties.networkProfile.loadBalancerSku to standard",
        tf: "set network_profile { load_balancer_sku = \"standard\" }",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "networkProfile", "loadBalancerSku"],
        Some((
            Value::String("standard".into()),
            "AKS uses the Standard load balancer by default",
        )),
        one_of(&["standard"]),
        (
            "the cluster uses the Standard load balancer",
            "the cluster uses the Basic load balancer",
        ),
    );
}

// ---------------------------------------------------------------------------------------
// Governance, networking, identity

fn addon_enabled(
    c: &Cluster,
    out: &mut Vec<AksVerdict>,
    fix: &Fix,
    addon: &str,
    what: (&str, &str),
) {
    Judge { c, out, fix }.property(
        &["properties", "addonProfiles", addon, "enabled"],
        Some((Value::Bool(false), "add-ons are off unless enabled")),
        is_true,
        what,
    );
}

fn azure_policy_addon(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks enable-addons --addons azure-policy",
        arm: "set properties.addonProfiles.azurepolicy.enabled to true",
        tf: "set azure_policy_enabled = true",
    };
    addon_enabled(
        c,
        out,
        &fix,
        "azurepolicy",
        (
            "the Azure Policy add-on is enabled",
            "Azure Policy does not govern the cluster",
        ),
    );
}

fn network_policy_engine(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --network-policy azure|calico|cilium",
        arm: "set properties.networkProfile.networkPolicy to azure, calico or cilium",
        tf: "set network_profile { network_policy = \"cilium\" } (or azure, calico)",
    };
    let path = ["properties", "networkProfile", "networkPolicy"];
    let dataplane = read(
        c,
        &["properties", "networkProfile", "networkDataplane"],
        None,
    );
    let cilium =
        matches!(dataplane, Read::Set(Value::String(s)) if s.eq_ignore_ascii_case("cilium"));
    let default = if cilium {
        (
            Value::String("cilium".into()),
            "Azure CNI powered by Cilium enforces network policies with Cilium",
        )
    } else {
        (
            Value::String("none".into()),
            "no network policy engine unless one is chosen",
        )
    };
    Judge { c, out, fix: &fix }.property(
        &path,
        Some(default),
        one_of(&["azure", "calico", "cilium"]),
        (
            "a network policy engine enforces NetworkPolicies",
            "NetworkPolicies are not enforced",
        ),
    );
}

fn entra_id_azure_rbac(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-aad --enable-azure-rbac",
        arm: "set properties.aadProfile {managed: true, enableAzureRBAC: true}",
        tf: "add azure_active_directory_role_based_access_control { azure_rbac_enabled = true }",
    };
    let aad = ["properties", "aadProfile"];
    let mut j = Judge { c, out, fix: &fix };
    match read(c, &aad, None) {
        Read::Unresolved(e) => j.verdict(
            Status::NotEvaluated,
            &aad,
            format!("aadProfile cannot be evaluated: {e}"),
        ),
        Read::Set(Value::Object(_)) => j.property(
            &["properties", "aadProfile", "enableAzureRBAC"],
            Some((Value::Bool(false), "Kubernetes RBAC alone authorizes Entra ID users unless Azure RBAC is enabled")),
            is_true,
            ("Entra ID users are authorized with Azure RBAC", "Entra ID users are authorized by Kubernetes RBAC alone, outside Azure role assignments"),
        ),
        _ => j.verdict(
            Status::Fail,
            &aad,
            "aadProfile is not set, so users do not authenticate with Entra ID (client certificates and local accounts only)".into(),
        ),
    }
}

fn local_accounts_disabled(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --disable-local-accounts (requires Entra ID integration)",
        arm: "set properties.disableLocalAccounts to true",
        tf: "set local_account_disabled = true",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "disableLocalAccounts"],
        Some(absent_means(
            c,
            Value::Bool(false),
            "local accounts (the clusterAdmin certificate) exist unless disabled",
        )),
        is_true,
        (
            "local accounts are disabled",
            "the local clusterAdmin credential bypasses Entra ID",
        ),
    );
}

fn kubernetes_rbac(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "RBAC cannot be turned on in place: recreate the cluster (RBAC is on by default)",
        arm: "set properties.enableRBAC to true",
        tf: "set role_based_access_control_enabled = true",
    };
    // `enableRBAC` came with API version 2018-03-31: clusters of older API versions have no
    // Kubernetes RBAC.
    let old_api = c.api_version.as_deref().is_some_and(|v| v < "2018-03-31");
    let default = if old_api {
        (
            Value::Bool(false),
            "API versions before 2018-03-31 create clusters without Kubernetes RBAC",
        )
    } else {
        (Value::Bool(true), "AKS enables Kubernetes RBAC by default")
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "enableRBAC"],
        Some(default),
        is_true,
        ("Kubernetes RBAC is enabled", "Kubernetes RBAC is disabled"),
    );
}

/// The client id of the cluster's service principal (`msi` means a managed identity).
fn service_principal(c: &Cluster) -> Option<String> {
    match read(
        c,
        &["properties", "servicePrincipalProfile", "clientId"],
        None,
    ) {
        Read::Set(Value::String(s)) if !s.eq_ignore_ascii_case("msi") && !s.is_empty() => {
            Some(s.clone())
        }
        _ => None,
    }
}

fn managed_identity(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-managed-identity --assign-identity IDENTITY_RESOURCE_ID",
        arm: "set identity {type: UserAssigned, userAssignedIdentities: {...}} and drop servicePrincipalProfile",
        tf: "use identity { type = \"UserAssigned\", identity_ids = [...] } instead of service_principal",
    };
    let path = ["identity", "type"];
    let sp = service_principal(c);
    let mut j = Judge { c, out, fix: &fix };
    match read(c, &path, None) {
        Read::Set(Value::String(t)) if t.to_ascii_lowercase().contains("userassigned") => j.verdict(
            Status::Pass,
            &path,
            format!("the cluster uses a user-assigned managed identity ({t})"),
        ),
        Read::Set(Value::String(t)) if t.eq_ignore_ascii_case("SystemAssigned") => j.verdict(
            Status::Pass,
            &path,
            "the cluster uses a system-assigned managed identity (no secret to leak; a user-assigned identity is preferred so that its role assignments survive the cluster)".into(),
        ),
        Read::Unresolved(e) => j.verdict(
            Status::NotEvaluated,
            &path,
            format!("identity.type cannot be evaluated: {e}"),
        ),
        _ if sp.is_some() => j.verdict(
            Status::Fail,
            &["properties", "servicePrincipalProfile", "clientId"],
            "the cluster authenticates to Azure with a service principal and its client secret, which must be stored and rotated".into(),
        ),
        Read::Set(v) => j.verdict(
            Status::Fail,
            &path,
            format!("identity.type is {}, not a managed identity", shown(v)),
        ),
        _ if desired(c) => j.verdict(
            Status::Pass,
            &path,
            "no identity or service principal is given, so AKS creates a system-assigned managed identity (a user-assigned identity is preferred)".into(),
        ),
        _ => j.verdict(
            Status::NotEvaluated,
            &path,
            "the input shows neither a managed identity nor a service principal".into(),
        ),
    }
}

fn workload_identity(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-oidc-issuer --enable-workload-identity",
        arm: "set properties.oidcIssuerProfile.enabled and properties.securityProfile.workloadIdentity.enabled to true",
        tf: "set oidc_issuer_enabled = true and workload_identity_enabled = true",
    };
    let mut j = Judge { c, out, fix: &fix };
    j.property(
        &[
            "properties",
            "securityProfile",
            "workloadIdentity",
            "enabled",
        ],
        Some((
            Value::Bool(false),
            "workload identity is off unless enabled",
        )),
        is_true,
        (
            "workload identity is enabled",
            "pods cannot use workload identity",
        ),
    );
    j.property(
        &["properties", "oidcIssuerProfile", "enabled"],
        Some((Value::Bool(false), "the OIDC issuer is off unless enabled")),
        is_true,
        (
            "the OIDC issuer workload identity needs is enabled",
            "the OIDC issuer workload identity needs is off",
        ),
    );
}

// ---------------------------------------------------------------------------------------
// Observability, data protection, supply chain, secrets

fn container_monitoring(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks enable-addons --addons monitoring (Container Insights) or az aks update --enable-azure-monitor-metrics",
        arm: "set properties.addonProfiles.omsagent.enabled or properties.azureMonitorProfile.metrics.enabled to true",
        tf: "add an oms_agent block or a monitor_metrics block",
    };
    let oms = ["properties", "addonProfiles", "omsagent", "enabled"];
    let prom = ["properties", "azureMonitorProfile", "metrics", "enabled"];
    let on = |p: &[&str]| matches!(read(c, p, None), Read::Set(v) if truthy(v) == Some(true));
    let unresolved = |p: &[&str]| matches!(read(c, p, None), Read::Unresolved(_));
    let mut j = Judge { c, out, fix: &fix };
    if on(&oms) {
        j.verdict(
            Status::Pass,
            &oms,
            "Container Insights (omsagent) collects container logs and metrics".into(),
        );
    } else if on(&prom) {
        j.verdict(
            Status::Pass,
            &prom,
            "Azure Monitor managed Prometheus collects metrics".into(),
        );
    } else if unresolved(&oms) || unresolved(&prom) {
        j.verdict(Status::NotEvaluated, &oms, "whether monitoring is enabled cannot be evaluated (an add-on setting is an unresolved expression)".into());
    } else {
        j.verdict(Status::Fail, &oms, "neither Container Insights (addonProfiles.omsagent) nor managed Prometheus (azureMonitorProfile.metrics) is enabled".into());
    }
}

fn defender(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-defender",
        arm: "set properties.securityProfile.defender.securityMonitoring.enabled to true (with logAnalyticsWorkspaceResourceId)",
        tf: "add a microsoft_defender { log_analytics_workspace_id = ... } block",
    };
    Judge { c, out, fix: &fix }.property(
        &[
            "properties",
            "securityProfile",
            "defender",
            "securityMonitoring",
            "enabled",
        ],
        Some((
            Value::Bool(false),
            "the Defender sensor is deployed only when enabled",
        )),
        is_true,
        (
            "the Defender for Containers sensor is enabled",
            "Defender for Containers does not watch the nodes at runtime",
        ),
    );
}

fn kms(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-azure-keyvault-kms --azure-keyvault-kms-key-id KEY_ID",
        arm: "set properties.securityProfile.azureKeyVaultKms {enabled: true, keyId: ...}",
        tf: "add a key_management_service { key_vault_key_id = ... } block",
    };
    Judge { c, out, fix: &fix }.property(
        &[
            "properties",
            "securityProfile",
            "azureKeyVaultKms",
            "enabled",
        ],
        Some((
            Value::Bool(false),
            "etcd is encrypted with platform-managed keys only unless KMS is enabled",
        )),
        is_true,
        (
            "Secrets are envelope-encrypted with a Key Vault key (KMS)",
            "Secrets in etcd are encrypted with platform keys only",
        ),
    );
}

fn encryption_at_host(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks nodepool update --enable-encryption-at-host (or a new pool with it)",
        arm: "set enableEncryptionAtHost to true on every agent pool",
        tf: "set host_encryption_enabled = true (azurerm 3.x: enable_host_encryption) on every pool",
    };
    each_pool(
        c,
        out,
        &fix,
        &["enableEncryptionAtHost"],
        Some((
            Value::Bool(false),
            "encryption at host is off unless enabled",
        )),
        is_true,
        (
            "temporary disks, caches and data flows to storage are encrypted at the host",
            "temporary disks and caches are not encrypted at the host",
        ),
    );
}

fn disk_encryption_set(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "set at creation: az aks create --node-osdisk-diskencryptionset-id DES_ID",
        arm: "set properties.diskEncryptionSetID",
        tf: "set disk_encryption_set_id",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "diskEncryptionSetID"],
        Some((
            Value::Null,
            "disks are encrypted with platform-managed keys",
        )),
        |v| v.as_str().map(|s| !s.is_empty()),
        (
            "node disks are encrypted with a customer-managed key (disk encryption set)",
            "node disks are encrypted with platform-managed keys only",
        ),
    );
}

fn fips(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks nodepool add --enable-fips-image (or az aks nodepool update --enable-fips-image)",
        arm: "set enableFIPS to true on every agent pool",
        tf: "set fips_enabled = true on every pool",
    };
    each_pool(
        c,
        out,
        &fix,
        &["enableFIPS"],
        Some((Value::Bool(false), "FIPS images are used only when asked")),
        is_true,
        (
            "the pool runs a FIPS 140-validated image",
            "the pool does not run a FIPS 140-validated image",
        ),
    );
}

fn acr_kubelet_identity(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --attach-acr ACR_NAME (grants AcrPull to the kubelet identity)",
        arm: "use a managed identity cluster (identityProfile.kubeletidentity) and assign it AcrPull on the registry",
        tf: "use a managed identity and an azurerm_role_assignment AcrPull for kubelet_identity[0].object_id",
    };
    let path = ["properties", "identityProfile", "kubeletidentity"];
    let mut j = Judge { c, out, fix: &fix };
    let managed = matches!(read(c, &["identity", "type"], None), Read::Set(Value::String(t)) if !t.eq_ignore_ascii_case("None"));
    if !managed && service_principal(c).is_some() {
        j.verdict(
            Status::Fail,
            &["properties", "servicePrincipalProfile", "clientId"],
            "the nodes authenticate to ACR with the cluster's service principal and its client secret, not a kubelet managed identity".into(),
        );
        return;
    }
    match read(c, &path, None) {
        Read::Set(Value::Object(_)) => j.verdict(
            Status::Pass,
            &path,
            "nodes have a kubelet managed identity that pulls from ACR without registry passwords (its AcrPull role assignment is not visible here)".into(),
        ),
        Read::Unresolved(e) => j.verdict(Status::NotEvaluated, &path, format!("the kubelet identity cannot be evaluated: {e}")),
        _ if managed => j.verdict(
            Status::Pass,
            &["identity", "type"],
            "a managed identity cluster gets a kubelet identity that pulls from ACR without registry passwords".into(),
        ),
        _ => j.verdict(
            Status::NotEvaluated,
            &path,
            "the input shows no kubelet identity".into(),
        ),
    }
}

fn image_cleaner(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-image-cleaner",
        arm: "set properties.securityProfile.imageCleaner.enabled to true",
        tf: "set image_cleaner_enabled = true (with image_cleaner_interval_hours)",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "securityProfile", "imageCleaner", "enabled"],
        Some((Value::Bool(false), "Image Cleaner is off unless enabled")),
        is_true,
        (
            "Image Cleaner removes unused, vulnerable images from the nodes",
            "unused, possibly vulnerable images stay on the nodes",
        ),
    );
}

fn image_integrity(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks update --enable-image-integrity (with an Azure Policy image-integrity assignment)",
        arm: "set properties.securityProfile.imageIntegrity.enabled to true",
        tf: "not exposed by azurerm: use azapi_update_resource for securityProfile.imageIntegrity",
    };
    Judge { c, out, fix: &fix }.property(
        &["properties", "securityProfile", "imageIntegrity", "enabled"],
        Some((Value::Bool(false), "image integrity is off unless enabled")),
        is_true,
        (
            "image signatures are verified at admission (Image Integrity)",
            "image signatures are not verified at admission",
        ),
    );
}

fn keyvault_secrets_provider(c: &Cluster, _: &AksCtx, out: &mut Vec<AksVerdict>) {
    let fix = Fix {
        az: "az aks enable-addons --addons azure-keyvault-secrets-provider --enable-secret-rotation",
        arm: "set properties.addonProfiles.azureKeyvaultSecretsProvider {enabled: true, config: {enableSecretRotation: \"true\"}}",
        tf: "add key_vault_secrets_provider { secret_rotation_enabled = true }",
    };
    let base = [
        "properties",
        "addonProfiles",
        "azureKeyvaultSecretsProvider",
    ];
    let enabled = [base[0], base[1], base[2], "enabled"];
    let on = matches!(read(c, &enabled, None), Read::Set(v) if truthy(v) == Some(true));
    let mut j = Judge { c, out, fix: &fix };
    if !on {
        j.property(
            &enabled,
            Some((Value::Bool(false), "add-ons are off unless enabled")),
            is_true,
            (
                "the Key Vault secrets provider add-on is enabled",
                "workloads cannot mount secrets from Key Vault through the CSI driver",
            ),
        );
        return;
    }
    j.property(
        &[base[0], base[1], base[2], "config", "enableSecretRotation"],
        Some((
            Value::String("false".into()),
            "rotation is off unless enabled",
        )),
        is_true,
        (
            "the Key Vault secrets provider is enabled and refreshes secrets when they rotate",
            "mounted secrets are not refreshed when they rotate in Key Vault",
        ),
    );
}

/// Controls that judge node pools one by one: the only ones run for pools whose cluster is not
/// among the inputs.
pub const POOL_CONTROLS: &[&str] = &[
    "CP-006", "CP-008", "CP-009", "CP-013", "CP-014", "CP-015", "NE-001", "NE-003", "DP-002",
    "DP-006",
];

/// Every AKS check, one per control.
pub static AKS_CHECKS: &[AksCheck] = &[
    AksCheck {
        control: "CP-001",
        run: private_cluster,
    },
    AksCheck {
        control: "CP-002",
        run: authorized_ip_ranges,
    },
    AksCheck {
        control: "CP-003",
        run: private_public_fqdn,
    },
    AksCheck {
        control: "CP-004",
        run: run_command_disabled,
    },
    AksCheck {
        control: "CP-005",
        run: auto_upgrade_channel,
    },
    AksCheck {
        control: "CP-006",
        run: version_support,
    },
    AksCheck {
        control: "CP-007",
        run: node_os_upgrade_channel,
    },
    AksCheck {
        control: "CP-008",
        run: node_ssh_access,
    },
    AksCheck {
        control: "CP-009",
        run: host_os_image,
    },
    AksCheck {
        control: "CP-010",
        run: system_node_pool,
    },
    AksCheck {
        control: "CP-011",
        run: risky_addons,
    },
    AksCheck {
        control: "CP-012",
        run: sku_tier,
    },
    AksCheck {
        control: "CP-013",
        run: availability_zones,
    },
    AksCheck {
        control: "CP-014",
        run: ephemeral_os_disk,
    },
    AksCheck {
        control: "CP-015",
        run: isolated_vm_sizes,
    },
    AksCheck {
        control: "NE-001",
        run: private_vnet,
    },
    AksCheck {
        control: "NE-002",
        run: egress_firewall,
    },
    AksCheck {
        control: "NE-003",
        run: node_public_ip,
    },
    AksCheck {
        control: "NE-005",
        run: load_balancer_sku,
    },
    AksCheck {
        control: "AD-001",
        run: azure_policy_addon,
    },
    AksCheck {
        control: "NW-001",
        run: network_policy_engine,
    },
    AksCheck {
        control: "ID-003",
        run: entra_id_azure_rbac,
    },
    AksCheck {
        control: "ID-004",
        run: local_accounts_disabled,
    },
    AksCheck {
        control: "ID-005",
        run: kubernetes_rbac,
    },
    AksCheck {
        control: "ID-006",
        run: managed_identity,
    },
    AksCheck {
        control: "ID-007",
        run: workload_identity,
    },
    AksCheck {
        control: "OB-002",
        run: container_monitoring,
    },
    AksCheck {
        control: "OB-004",
        run: defender,
    },
    AksCheck {
        control: "DP-001",
        run: kms,
    },
    AksCheck {
        control: "DP-002",
        run: encryption_at_host,
    },
    AksCheck {
        control: "DP-003",
        run: disk_encryption_set,
    },
    AksCheck {
        control: "DP-006",
        run: fips,
    },
    AksCheck {
        control: "SC-004",
        run: acr_kubelet_identity,
    },
    AksCheck {
        control: "SC-008",
        run: image_cleaner,
    },
    AksCheck {
        control: "SC-009",
        run: image_integrity,
    },
    AksCheck {
        control: "SH-001",
        run: keyvault_secrets_provider,
    },
];
