//! Templates: `aksguard config init` (a commented default configuration) and `aksguard attest
//! init` (every checklist item that needs a person, ready to be answered).

use std::fmt::Write;

use crate::catalog::{Automation, Catalog, Item};
use crate::checks::cluster::namespaces::SYSTEM_NAMESPACES;
use crate::config::{DEFAULT_REGISTRIES, DEFAULT_REQUIRED_LABELS};

/// A YAML flow list of quoted strings.
fn flow(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", items.join(", "))
}

/// The commented default configuration: every setting with its default value.
pub fn config_template() -> String {
    format!(
        r#"# aksguard configuration. aksguard finds it as `.aksguard.yaml` in the scanned folder or a
# folder above it (or use `aksguard scan --config FILE`). Unknown keys are errors.
version: 1

# Lowest severity of a failing finding that makes the exit code 1 (critical, high, medium,
# low, info). `--fail-on` on the command line wins.
fail-on: low

controls:
  # Only these controls are checked (ids, names or globs such as "WL-*"); all when empty.
  enable: []
  # These controls are not checked (reported as not evaluated, "disabled by the configuration").
  disable: []
  # Severity overrides: control id -> critical | high | medium | low | info.
  severity: {{}}
  #   WL-013: critical

# Registries images may come from (SC-002): hosts, host globs, or host/repository prefixes.
registries: {registries}

# Labels every namespace and workload must carry (AD-005).
required-labels: {labels}

# Groups and users (as RBAC subjects name them, e.g. Entra ID group object ids) that hold
# cluster-admin rights by design; every other holder of such rights fails ID-009 to ID-014.
admin-groups: []

# Namespaces run by the platform, exempt from the application-namespace controls (AD-004,
# NW-002, NW-003, NW-004).
system-namespaces: {system}

# Answers of a person to the manual and partial checklist items (`aksguard attest init` writes
# a template); relative to this file.
# attestations: attestations.yaml

waiver-policy:
  # Waivers need an `expires` date (YYYY-MM-DD).
  require-expiry: true
  # Honour `aksguard.io/waive.<control>` annotations on objects, e.g.
  #   aksguard.io/waive.WL-002: "reason=vendor agent needs root; owner=team-a; expires=2027-03-31"
  annotations: true
  # Controls that annotations may not waive (only this file can).
  forbid-annotations: []

# Accepted failures, each with a reason, an owner and an expiry date. A waiver selects the
# findings of one control, optionally by object kind, namespace, name and file (globs with *).
# Waived findings stay in the reports as `waived`; expired and unused waivers are reported.
waivers: []
#  - control: WL-002
#    kind: DaemonSet
#    namespace: monitoring
#    name: node-exporter*
#    reason: the node exporter reads host metrics
#    owner: platform-team
#    expires: 2027-03-31
"#,
        registries = flow(DEFAULT_REGISTRIES),
        labels = flow(DEFAULT_REQUIRED_LABELS),
        system = flow(SYSTEM_NAMESPACES),
    )
}

/// Whether an item needs a person: the checklist marks it manual or partial, or a control that
/// covers it is not fully automated.
pub fn needs_person(catalog: &Catalog, item: &Item) -> bool {
    item.automation != "full"
        || catalog
            .covering(&item.id)
            .iter()
            .any(|c| c.automation != Automation::Automated)
}

/// YAML comment text on one line.
fn comment(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The attestations template: every item that needs a person, by checklist and section, with
/// what the covering controls ask.
pub fn attest_template(catalog: &Catalog) -> String {
    let mut out = String::from(
        "# aksguard attestations: a person's answers to the checklist items a scan cannot settle.\n\
         # Fill in `answer` (yes, no or not-applicable), `owner`, `date` and ideally `evidence`\n\
         # (a link) and `expires` (YYYY-MM-DD, when the answer must be given again). Entries\n\
         # without an answer stay open. `id` may also be a control id (e.g. OR-001).\n\
         # Use: aksguard scan PATH --attestations THIS-FILE (or `attestations:` in .aksguard.yaml).\n\
         attestations:\n",
    );
    let mut checklist = "";
    let mut section = "";
    for item in catalog.items.iter().filter(|i| needs_person(catalog, i)) {
        if item.checklist != checklist {
            checklist = &item.checklist;
            section = "";
            let _ = writeln!(out, "\n  # ===== {} =====", comment(checklist));
        }
        if item.section != section {
            section = &item.section;
            let _ = writeln!(out, "\n  # --- {} ---", comment(section));
        }
        let _ = writeln!(out, "\n  # {}", comment(&item.text));
        for c in catalog.covering(&item.id) {
            let ask = c.question.as_deref().unwrap_or(&c.summary);
            let _ = writeln!(
                out,
                "  # {} {} ({}): {}",
                c.id,
                c.title,
                c.automation.as_str(),
                comment(ask)
            );
        }
        let _ = write!(
            out,
            "  - id: {}\n    answer:\n    owner:\n    date:\n    evidence:\n    expires:\n",
            item.id
        );
    }
    out
}
