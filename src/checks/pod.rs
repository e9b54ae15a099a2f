//! Pod and container security settings, and the Pod Security Standards built from them.
//!
//! Each primitive returns the violations of one rule as (field, message); the single-rule
//! controls report them, and the PSS controls report the union for their level, field for
//! field as in the upstream `k8s.io/pod-security-admission` policy checks.

use serde_json::Value;

use super::{Ctx, Verdicts, with_pod};
use crate::k8s::Object;
use crate::k8s::workload::{ContainerKind, PodSpec};
use crate::spans::Path;

type Violations = Vec<(Path, String)>;

/// Capabilities the PSS baseline allows to be added.
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls the PSS baseline allows (namespaced and safe, up to Kubernetes 1.32).
pub const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// Volume types the PSS restricted level allows.
pub const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
    "image",
];

const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}

fn str_list(v: Option<&Value>) -> Vec<(usize, &str)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(i, s)| s.as_str().map(|s| (i, s)))
                .collect()
        })
        .unwrap_or_default()
}

/// Reports violations as failures, or a pass with `ok` when there are none.
fn report(out: &mut Verdicts, v: Violations, ok: &str) {
    if v.is_empty() {
        out.pass(ok);
    }
    for (p, m) in v {
        out.fail(p, m);
    }
}

// ---- primitives ------------------------------------------------------------------------------

pub fn host_namespace_violations(pod: &PodSpec) -> Violations {
    ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|k| pod.bool_field(k))
        .map(|k| {
            (
                pod.path.key(k),
                format!("{k}: true shares the node's namespace"),
            )
        })
        .collect()
}

pub fn host_process_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    if is_true(pod.sc("windowsOptions").and_then(|w| w.get("hostProcess"))) {
        v.push((
            pod.sc_path("windowsOptions").key("hostProcess"),
            "the pod runs as a Windows HostProcess (full host access)".to_string(),
        ));
    }
    for c in pod.containers() {
        if is_true(c.sc("windowsOptions").and_then(|w| w.get("hostProcess"))) {
            v.push((
                c.sc_path("windowsOptions").key("hostProcess"),
                format!("{} runs as a Windows HostProcess", c.describe()),
            ));
        }
    }
    v
}

pub fn privileged_violations(pod: &PodSpec) -> Violations {
    pod.containers()
        .into_iter()
        .filter(|c| is_true(c.sc("privileged")))
        .map(|c| {
            (
                c.sc_path("privileged"),
                format!("{} is privileged (full access to the node)", c.describe()),
            )
        })
        .collect()
}

/// How capability names are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapNames {
    /// As written, the way Pod Security admission compares them (`all` is not `ALL`).
    Admission,
    /// Case-insensitively, the way the container runtime applies them: containerd and CRI-O
    /// upper-case every name, so `drop: [all]` drops every capability and `add: [chown]` adds
    /// CHOWN.
    Runtime,
}

impl CapNames {
    fn same(self, written: &str, name: &str) -> bool {
        match self {
            CapNames::Admission => written == name,
            CapNames::Runtime => written.eq_ignore_ascii_case(name),
        }
    }
}

/// Added capabilities outside `allowed`.
pub fn capability_add_violations(pod: &PodSpec, allowed: &[&str], names: CapNames) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        let caps = c.sc("capabilities");
        for (i, cap) in str_list(caps.and_then(|c| c.get("add"))) {
            if !allowed.iter().any(|a| names.same(cap, a)) {
                v.push((
                    c.sc_path("capabilities").key("add").index(i),
                    format!("{} adds capability {cap}", c.describe()),
                ));
            }
        }
    }
    v
}

pub fn drop_all_violations(pod: &PodSpec, names: CapNames) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        let drops = str_list(c.sc("capabilities").and_then(|c| c.get("drop")));
        if drops.iter().any(|(_, d)| names.same(d, "ALL")) {
            continue;
        }
        let message = match drops.iter().find(|(_, d)| d.eq_ignore_ascii_case("ALL")) {
            Some((_, d)) => format!(
                "{} drops `{d}`: the runtime drops every capability, but Pod Security admission only accepts `ALL` in upper case",
                c.describe()
            ),
            None => format!("{} does not drop ALL capabilities", c.describe()),
        };
        v.push((c.sc_path("capabilities").key("drop"), message));
    }
    v
}

pub fn host_path_violations(pod: &PodSpec) -> Violations {
    pod.volumes()
        .into_iter()
        .filter_map(|(vol, path)| {
            let hp = vol.get("hostPath")?;
            let name = vol
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("<unnamed>");
            let target = hp.get("path").and_then(Value::as_str).unwrap_or("?");
            Some((
                path.key("hostPath"),
                format!("volume `{name}` mounts the node's path {target}"),
            ))
        })
        .collect()
}

pub fn host_port_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        let Some(ports) = c.value.get("ports").and_then(Value::as_array) else {
            continue;
        };
        for (i, p) in ports.iter().enumerate() {
            let hp = p.get("hostPort");
            let set = match hp {
                Some(Value::Number(n)) => n.as_f64() != Some(0.0),
                Some(Value::String(s)) => !s.is_empty() && s != "0",
                _ => false,
            };
            if set {
                v.push((
                    c.path.key("ports").index(i).key("hostPort"),
                    format!(
                        "{} binds host port {}",
                        c.describe(),
                        hp.map(|h| h.to_string().trim_matches('"').to_string())
                            .unwrap_or_default()
                    ),
                ));
            }
        }
    }
    v
}

/// AppArmor must not be unconfined (field `appArmorProfile` or the legacy annotation).
pub fn apparmor_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    let bad_type = |t: Option<&Value>| {
        t.and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|t| t != "RuntimeDefault" && t != "Localhost")
    };
    if bad_type(pod.sc("appArmorProfile")) {
        v.push((
            pod.sc_path("appArmorProfile").key("type"),
            "the pod's AppArmor profile is Unconfined".to_string(),
        ));
    }
    for c in pod.containers() {
        if bad_type(c.sc("appArmorProfile")) {
            v.push((
                c.sc_path("appArmorProfile").key("type"),
                format!("{} runs with AppArmor Unconfined", c.describe()),
            ));
        }
        let key = format!("container.apparmor.security.beta.kubernetes.io/{}", c.name);
        if let Some(a) = pod.annotation(&key)
            && a != "runtime/default"
            && !a.starts_with("localhost/")
        {
            v.push((
                c.path.clone(),
                format!(
                    "{} has AppArmor annotation `{a}` (unconfined)",
                    c.describe()
                ),
            ));
        }
    }
    v
}

pub fn selinux_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    let mut check = |opts: Option<&Value>, path: Path, who: String| {
        let Some(o) = opts.and_then(Value::as_object) else {
            return;
        };
        if let Some(t) = o.get("type").and_then(Value::as_str)
            && !t.is_empty()
            && !SELINUX_TYPES.contains(&t)
        {
            v.push((path.key("type"), format!("{who} sets SELinux type {t}")));
        }
        for k in ["user", "role"] {
            if o.get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
            {
                v.push((path.key(k), format!("{who} sets a custom SELinux {k}")));
            }
        }
    };
    check(
        pod.sc("seLinuxOptions"),
        pod.sc_path("seLinuxOptions"),
        "the pod".to_string(),
    );
    for c in pod.containers() {
        check(
            c.sc("seLinuxOptions"),
            c.sc_path("seLinuxOptions"),
            c.describe(),
        );
    }
    v
}

pub fn proc_mount_violations(pod: &PodSpec) -> Violations {
    pod.containers()
        .into_iter()
        .filter(|c| {
            c.sc("procMount")
                .and_then(Value::as_str)
                .is_some_and(|p| p != "Default")
        })
        .map(|c| {
            (
                c.sc_path("procMount"),
                format!("{} unmasks /proc (procMount: Unmasked)", c.describe()),
            )
        })
        .collect()
}

/// Seccomp explicitly Unconfined anywhere (baseline), including legacy annotations.
pub fn seccomp_unconfined_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    let unconfined = |p: Option<&Value>| {
        p.and_then(|p| p.get("type")).and_then(Value::as_str) == Some("Unconfined")
    };
    if unconfined(pod.sc("seccompProfile")) {
        v.push((
            pod.sc_path("seccompProfile").key("type"),
            "the pod's seccomp profile is Unconfined".to_string(),
        ));
    }
    if pod.annotation("seccomp.security.alpha.kubernetes.io/pod") == Some("unconfined") {
        v.push((
            pod.path.clone(),
            "the pod's seccomp annotation is unconfined".to_string(),
        ));
    }
    for c in pod.containers() {
        if unconfined(c.sc("seccompProfile")) {
            v.push((
                c.sc_path("seccompProfile").key("type"),
                format!("{} has seccomp profile Unconfined", c.describe()),
            ));
        }
        let key = format!("container.seccomp.security.alpha.kubernetes.io/{}", c.name);
        if pod.annotation(&key) == Some("unconfined") {
            v.push((
                c.path.clone(),
                format!("{} has seccomp annotation unconfined", c.describe()),
            ));
        }
    }
    v
}

/// Seccomp RuntimeDefault or Localhost must be in effect for every container (restricted).
pub fn seccomp_required_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        match pod.effective(&c, "seccompProfile") {
            Some((p, path)) => {
                let t = p.get("type").and_then(Value::as_str).unwrap_or("");
                if t != "RuntimeDefault" && t != "Localhost" {
                    let shown = if t.is_empty() { "<none>" } else { t };
                    v.push((
                        path.key("type"),
                        format!("{} has seccomp profile {shown}", c.describe()),
                    ));
                }
            }
            None => {
                let legacy = pod
                    .annotation("seccomp.security.alpha.kubernetes.io/pod")
                    .or_else(|| {
                        pod.annotation(&format!(
                            "container.seccomp.security.alpha.kubernetes.io/{}",
                            c.name
                        ))
                    });
                let note = match legacy {
                    Some(_) => {
                        "; the seccomp.security.alpha.kubernetes.io annotation is ignored since Kubernetes 1.27"
                    }
                    None => "",
                };
                v.push((
                    c.sc_path("seccompProfile"),
                    format!(
                        "{} has no seccomp profile (runs Unconfined unless the kubelet defaults it){note}",
                        c.describe()
                    ),
                ));
            }
        }
    }
    v
}

pub fn sysctl_violations(pod: &PodSpec) -> Violations {
    let Some(list) = pod.sc("sysctls").and_then(Value::as_array) else {
        return Violations::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = s.get("name").and_then(Value::as_str).unwrap_or("");
            (!SAFE_SYSCTLS.contains(&name)).then(|| {
                (
                    pod.sc_path("sysctls").index(i).key("name"),
                    format!("unsafe sysctl {name}"),
                )
            })
        })
        .collect()
}

/// Probes and lifecycle handlers must not target another host (PSS baseline, Kubernetes 1.34).
pub fn probe_host_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        let mut handlers: Vec<(Path, &Value)> = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(p) = c.value.get(probe) {
                handlers.push((c.path.key(probe), p));
            }
        }
        if let Some(l) = c.value.get("lifecycle") {
            for hook in ["postStart", "preStop"] {
                if let Some(h) = l.get(hook) {
                    handlers.push((c.path.keys(&["lifecycle", hook]), h));
                }
            }
        }
        for (path, h) in handlers {
            for action in ["httpGet", "tcpSocket"] {
                if h.get(action)
                    .and_then(|a| a.get("host"))
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
                {
                    v.push((
                        path.keys(&[action, "host"]),
                        format!(
                            "{} has a probe or hook that targets another host",
                            c.describe()
                        ),
                    ));
                }
            }
        }
    }
    v
}

pub fn escalation_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        match c.sc("allowPrivilegeEscalation").and_then(Value::as_bool) {
            Some(false) => {}
            Some(true) => v.push((
                c.sc_path("allowPrivilegeEscalation"),
                format!("{} allows privilege escalation", c.describe()),
            )),
            None => v.push((
                c.sc_path("allowPrivilegeEscalation"),
                format!(
                    "{} does not set allowPrivilegeEscalation: false (the default allows it)",
                    c.describe()
                ),
            )),
        }
    }
    v
}

/// runAsNonRoot must be true for every container. `strict` is the PSS restricted rule
/// ("Running as Non-root"), where a non-zero runAsUser does not replace runAsNonRoot.
pub fn non_root_violations(pod: &PodSpec, strict: bool) -> Violations {
    let mut v = Violations::new();
    for c in pod.containers() {
        match pod.effective(&c, "runAsNonRoot") {
            Some((Value::Bool(true), _)) => {}
            Some((_, path)) => v.push((path, format!("{} sets runAsNonRoot: false", c.describe()))),
            None => {
                // A non-zero runAsUser also keeps the container off UID 0.
                let uid = pod.effective(&c, "runAsUser").and_then(|(u, _)| u.as_i64());
                if strict || uid.is_none_or(|u| u <= 0) {
                    v.push((
                        c.sc_path("runAsNonRoot"),
                        format!(
                            "{} may run as root: runAsNonRoot is not true and no non-zero runAsUser is set",
                            c.describe()
                        ),
                    ));
                }
            }
        }
    }
    v
}

/// runAsUser 0 anywhere (restricted "Running as Non-root user").
pub fn root_uid_violations(pod: &PodSpec) -> Violations {
    let mut v = Violations::new();
    if pod.sc("runAsUser").and_then(Value::as_i64) == Some(0) {
        v.push((
            pod.sc_path("runAsUser"),
            "the pod sets runAsUser: 0".to_string(),
        ));
    }
    for c in pod.containers() {
        if c.sc("runAsUser").and_then(Value::as_i64) == Some(0) {
            v.push((
                c.sc_path("runAsUser"),
                format!("{} sets runAsUser: 0 (root)", c.describe()),
            ));
        }
    }
    v
}

pub fn volume_type_violations(pod: &PodSpec) -> Violations {
    pod.volumes()
        .into_iter()
        .filter_map(|(vol, path)| {
            let name = vol
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("<unnamed>");
            let kind = vol.keys().find(|k| *k != "name")?;
            (!RESTRICTED_VOLUMES.contains(&kind.as_str())).then(|| {
                (
                    path.key(kind),
                    format!("volume `{name}` has type {kind}, not allowed by the restricted level"),
                )
            })
        })
        .collect()
}

pub fn baseline_violations(pod: &PodSpec) -> Violations {
    let mut v = host_process_violations(pod);
    v.extend(host_namespace_violations(pod));
    v.extend(privileged_violations(pod));
    v.extend(capability_add_violations(
        pod,
        BASELINE_CAPABILITIES,
        CapNames::Admission,
    ));
    v.extend(host_path_violations(pod));
    v.extend(host_port_violations(pod));
    v.extend(apparmor_violations(pod));
    v.extend(selinux_violations(pod));
    v.extend(proc_mount_violations(pod));
    v.extend(seccomp_unconfined_violations(pod));
    v.extend(sysctl_violations(pod));
    v.extend(probe_host_violations(pod));
    v
}

pub fn restricted_violations(pod: &PodSpec) -> Violations {
    let mut v = baseline_violations(pod);
    v.extend(volume_type_violations(pod));
    v.extend(non_root_violations(pod, true));
    v.extend(root_uid_violations(pod));
    if !pod.is_windows() {
        v.extend(escalation_violations(pod));
        v.extend(seccomp_required_violations(pod));
        v.extend(drop_all_violations(pod, CapNames::Admission));
        v.extend(capability_add_violations(
            pod,
            &["NET_BIND_SERVICE"],
            CapNames::Admission,
        ));
    }
    // The same field can break two rules (a capability outside both lists): report it once.
    let mut seen = std::collections::HashSet::new();
    v.retain(|(p, _)| seen.insert(p.pointer()));
    v
}

// ---- controls --------------------------------------------------------------------------------

pub fn run_as_non_root(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        let mut v = non_root_violations(pod, false);
        v.extend(root_uid_violations(pod));
        report(out, v, "every container must run as a non-root user");
    });
}

pub fn privileged(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        let mut v = privileged_violations(pod);
        v.extend(host_process_violations(pod));
        report(out, v, "no privileged container");
    });
}

pub fn privilege_escalation(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        if pod.is_windows() {
            return; // exempt in the Pod Security Standards: Linux-only settings
        }
        report(
            out,
            escalation_violations(pod),
            "every container sets allowPrivilegeEscalation: false",
        );
    });
}

pub fn capabilities_drop_all(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        if pod.is_windows() {
            return; // exempt in the Pod Security Standards: Linux-only settings
        }
        report(
            out,
            drop_all_violations(pod, CapNames::Runtime),
            "every container drops ALL capabilities",
        );
    });
}

pub fn dangerous_capabilities(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(
            out,
            capability_add_violations(pod, BASELINE_CAPABILITIES, CapNames::Runtime),
            "no capability beyond the Pod Security baseline set is added",
        );
    });
}

pub fn read_only_root_filesystem(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        let v = pod
            .containers()
            .into_iter()
            .filter(|c| c.kind != ContainerKind::Ephemeral)
            .filter(|c| !is_true(c.sc("readOnlyRootFilesystem")))
            .map(|c| {
                (
                    c.sc_path("readOnlyRootFilesystem"),
                    format!("{} has a writable root filesystem", c.describe()),
                )
            })
            .collect();
        report(out, v, "every container has a read-only root filesystem");
    });
}

pub fn host_namespaces(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(
            out,
            host_namespace_violations(pod),
            "no host network, PID or IPC namespace",
        );
    });
}

pub fn host_path(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(out, host_path_violations(pod), "no hostPath volume");
    });
}

pub fn host_ports(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(out, host_port_violations(pod), "no host port");
    });
}

pub fn seccomp(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        if pod.is_windows() {
            return;
        }
        report(
            out,
            seccomp_required_violations(pod),
            "every container runs with seccomp RuntimeDefault or Localhost",
        );
    });
}

pub fn apparmor_selinux(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        let mut v = apparmor_violations(pod);
        v.extend(selinux_violations(pod));
        report(
            out,
            v,
            "AppArmor and SELinux are not disabled or overridden",
        );
    });
}

pub fn sysctls(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(out, sysctl_violations(pod), "only safe sysctls");
    });
}

pub fn pss_baseline(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(
            out,
            baseline_violations(pod),
            "meets the Pod Security Standards baseline",
        );
    });
}

pub fn pss_restricted(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        report(
            out,
            restricted_violations(pod),
            "meets the Pod Security Standards restricted level",
        );
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::checks::run_on;
    use crate::model::Status;

    fn pod_with_caps(caps: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "c", "image": "x:1",
                        "securityContext": {"capabilities": caps}}]}})
    }

    fn statuses(v: &[(Status, String)]) -> Vec<Status> {
        v.iter().map(|(s, _)| *s).collect()
    }

    #[test]
    fn drop_all_is_case_insensitive_at_run_time_but_not_for_admission() {
        // containerd and CRI-O drop every capability for `all`; Pod Security admission
        // compares the name as written and rejects it.
        let pod = pod_with_caps(json!({"drop": ["all"]}));
        assert_eq!(
            statuses(&run_on(capabilities_drop_all, pod.clone())),
            [Status::Pass]
        );
        let restricted = run_on(pss_restricted, pod);
        assert!(
            restricted
                .iter()
                .any(|(s, m)| *s == Status::Fail && m.contains("only accepts `ALL`")),
            "{restricted:?}"
        );
        let pod = pod_with_caps(json!({"drop": ["NET_RAW"]}));
        assert_eq!(
            statuses(&run_on(capabilities_drop_all, pod)),
            [Status::Fail]
        );
    }

    #[test]
    fn legacy_seccomp_annotations_do_not_count() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "annotations":
                {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}},
            "spec": {"containers": [{"name": "c", "image": "x:1"}]}});
        let v = run_on(seccomp, pod);
        assert_eq!(statuses(&v), [Status::Fail]);
        assert!(v[0].1.contains("ignored since Kubernetes 1.27"), "{v:?}");
    }

    #[test]
    fn added_capabilities_are_judged_by_what_the_runtime_adds() {
        let pod = pod_with_caps(json!({"add": ["chown", "NET_BIND_SERVICE"]}));
        assert_eq!(
            statuses(&run_on(dangerous_capabilities, pod.clone())),
            [Status::Pass]
        );
        // Pod Security admission rejects the lower-case name.
        assert_eq!(statuses(&run_on(pss_baseline, pod)), [Status::Fail]);
        let pod = pod_with_caps(json!({"add": ["sys_admin"]}));
        assert_eq!(
            statuses(&run_on(dangerous_capabilities, pod)),
            [Status::Fail]
        );
    }
}
