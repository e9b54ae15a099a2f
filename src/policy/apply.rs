//! Applies a [`Policy`] to a scan's result: disabled controls, severity overrides, waivers,
//! attestations; then the checklist items' statuses and the scores.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{
    AnnotationWaiver, Answer, Attestation, AttestationState, AttestationUse, ChecklistScore,
    ItemControl, ItemResult, LayerScore, Policy, PolicyReport, Score, Scores, SeverityOverride,
    WAIVE_PREFIX, WaiverState, WaiverUse, percent,
};
use crate::catalog::{Automation, Catalog, Layer};
use crate::engine::{ControlResult, ScanResult};
use crate::model::{Date, Finding, InputError, Location, Status, Waiver, WaiverOrigin, place};

/// Applies `policy` to `r` as of `as_of`, with the waiver annotations found on the scanned
/// objects.
pub fn apply(r: &mut ScanResult, policy: &Policy, annotations: Vec<AnnotationWaiver>, as_of: Date) {
    let catalog = Catalog::get();
    let mut report = PolicyReport {
        config: policy.config_file.clone(),
        attestations_file: policy.attestations_file.clone(),
        ..PolicyReport::default()
    };

    // 1. Disabled controls: not evaluated, their findings dropped.
    let where_ = policy
        .config_file
        .as_deref()
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    for c in &mut r.controls {
        if !policy.is_enabled(&c.control.id) {
            report.disabled.push(c.control.id.as_str());
            c.status = Status::NotEvaluated;
            c.reason = Some(format!("disabled by the configuration{where_}"));
            c.counts = Default::default();
        }
    }
    if !report.disabled.is_empty() {
        r.findings.retain(|f| policy.is_enabled(f.control));
    }

    // 2. Severity overrides.
    for c in &mut r.controls {
        if let Some(&s) = policy.severity.get(c.control.id.as_str()) {
            if s != c.control.severity {
                report.severity_overrides.push(SeverityOverride {
                    control: c.control.id.as_str(),
                    catalogue: c.control.severity,
                    severity: s,
                });
            }
            c.severity = s;
        }
    }
    if !policy.severity.is_empty() {
        for f in &mut r.findings {
            if let Some(&s) = policy.severity.get(f.control) {
                f.severity = s;
            }
        }
    }

    // 3. Waivers: the configuration's first, then the objects' own annotations.
    let mut waivers: Vec<(Arc<Waiver>, Selector, WaiverState)> = Vec::new();
    for w in &policy.waivers {
        let state = waiver_state(&w.waiver, policy, as_of);
        waivers.push((
            w.waiver.clone(),
            Selector::Config {
                kind: w.kind.clone(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                file: w.file.clone(),
            },
            state,
        ));
    }
    for a in annotations {
        match parse_annotation(&a, catalog) {
            Ok(waiver) => {
                let waiver = Arc::new(waiver);
                let mut state = waiver_state(&waiver, policy, as_of);
                if state == WaiverState::Applied
                    && (!policy.annotation_waivers
                        || policy.forbid_annotation.contains(waiver.control))
                {
                    state = WaiverState::Forbidden;
                }
                if !policy.is_enabled(waiver.control) {
                    continue;
                }
                waivers.push((
                    waiver,
                    Selector::Object {
                        object: a.object.clone(),
                        file: a.file.clone(),
                        document: a.document,
                    },
                    state,
                ));
            }
            Err(message) => r.errors.push(InputError {
                file: a.file.clone(),
                line: a.line,
                message: format!("{}: {message}", a.key),
            }),
        }
    }
    let mut used = vec![0u64; waivers.len()];
    let mut waived_by_control: HashMap<&'static str, u64> = HashMap::new();
    if !waivers.is_empty() {
        for f in r.findings.iter_mut().filter(|f| f.status == Status::Fail) {
            let hit = waivers.iter().position(|(w, sel, state)| {
                *state == WaiverState::Applied && w.control == f.control && sel.selects(f)
            });
            if let Some(i) = hit {
                f.status = Status::Waived;
                f.waiver = Some(waivers[i].0.clone());
                used[i] += 1;
                *waived_by_control.entry(f.control).or_default() += 1;
            }
        }
        r.findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    for ((waiver, _, state), n) in waivers.into_iter().zip(used) {
        let state = if state == WaiverState::Applied && n == 0 {
            WaiverState::Unused
        } else {
            state
        };
        report.waivers.push(WaiverUse {
            waiver,
            state,
            findings: n,
        });
    }
    report.waivers.sort_by(|a, b| a.waiver.cmp(&b.waiver));
    for c in &mut r.controls {
        if let Some(&n) = waived_by_control.get(c.control.id.as_str()) {
            c.counts.fail -= n;
            c.counts.waived += n;
            if c.status == Status::Fail && c.counts.fail == 0 {
                c.status = Status::Waived;
                c.reason = Some(format!(
                    "every failure is waived ({n} finding{})",
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
    }

    // 4. Attestations: the last answer for an id counts; expired ones are reported, not used.
    r.errors.extend(policy.attestation_errors.iter().cloned());
    let mut latest: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, a) in policy.attestations.iter().enumerate() {
        latest.insert(a.id.as_str(), i);
    }
    let mut states: Vec<AttestationState> = policy
        .attestations
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if latest.get(a.id.as_str()) != Some(&i) {
                AttestationState::Superseded
            } else if a.expires.is_some_and(|e| e < as_of) {
                AttestationState::Expired
            } else {
                AttestationState::Applied
            }
        })
        .collect();
    let by_id: BTreeMap<&str, usize> = latest
        .iter()
        .filter(|(_, i)| states[**i] == AttestationState::Applied)
        .map(|(id, i)| (*id, *i))
        .collect();
    let expired: BTreeMap<&str, &Attestation> = policy
        .attestations
        .iter()
        .enumerate()
        .filter(|(i, _)| states[*i] == AttestationState::Expired)
        .map(|(_, a)| (a.id.as_str(), a.as_ref()))
        .collect();

    // Control attestations, and manual controls whose items are all answered.
    let mut extra: Vec<Finding> = Vec::new();
    for c in &mut r.controls {
        if !policy.is_enabled(&c.control.id) {
            continue;
        }
        let own = by_id.get(c.control.id.as_str()).copied();
        let answer: Option<(Answer, Arc<Attestation>, Option<usize>)> = match own {
            Some(i) => {
                let a = &policy.attestations[i];
                Some((a.answer, a.clone(), Some(i)))
            }
            None if c.control.automation == Automation::Manual && !c.control.covers.is_empty() => {
                // Every covered item answered: the worst answer counts.
                let answers: Option<Vec<&Arc<Attestation>>> = c
                    .control
                    .covers
                    .iter()
                    .map(|id| by_id.get(id.as_str()).map(|&i| &policy.attestations[i]))
                    .collect();
                answers.and_then(|list| {
                    let worst = list
                        .iter()
                        .max_by_key(|a| match a.answer {
                            Answer::No => 2,
                            Answer::Yes => 1,
                            Answer::NotApplicable => 0,
                        })
                        .map(|a| (*a).clone())?;
                    Some((worst.answer, worst, None))
                })
            }
            None => None,
        };
        let Some((answer, att, index)) = answer else {
            if let Some(a) = expired.get(c.control.id.as_str())
                && matches!(c.status, Status::Manual | Status::NotEvaluated)
            {
                c.reason = Some(format!(
                    "the attestation by {} expired on {} ({})",
                    a.owner,
                    a.expires.map(|d| d.to_string()).unwrap_or_default(),
                    place(&a.file, a.line)
                ));
            }
            continue;
        };
        let by = attested_by(&att);
        match (answer, c.status) {
            (_, Status::Fail) if answer != Answer::No => {
                if let Some(i) = index {
                    states[i] = AttestationState::Contradicted;
                }
            }
            (Answer::Yes, Status::Pass) => c.attestation = Some(att),
            (Answer::Yes, _) => {
                c.status = Status::Attested;
                c.reason = Some(by);
                c.attestation = Some(att);
            }
            (Answer::NotApplicable, _) => {
                if c.counts.fail + c.counts.waived == 0 {
                    c.status = Status::NotApplicable;
                    c.reason = Some(by);
                    c.attestation = Some(att);
                } else if let Some(i) = index {
                    states[i] = AttestationState::Contradicted;
                }
            }
            (Answer::No, _) => {
                // A known gap: a failing finding at the attestation, counted like any other.
                c.status = Status::Fail;
                c.reason = Some(by.clone());
                c.counts.fail += 1;
                extra.push(Finding {
                    control: c.control.id.as_str(),
                    status: Status::Fail,
                    severity: c.severity,
                    message: Arc::from(answer_text(&att)),
                    object: None,
                    location: Some(Location {
                        file: att.file.clone(),
                        line: att.line,
                        document: None,
                        path: None,
                    }),
                    fix: None,
                    waiver: None,
                });
                c.attestation = Some(att);
            }
        }
    }
    if !extra.is_empty() {
        r.findings.extend(extra);
        r.findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    // 5. Checklist items.
    let status_of: HashMap<&str, Status> = r
        .controls
        .iter()
        .map(|c| (c.control.id.as_str(), c.status))
        .collect();
    let evidence_fails: HashMap<&str, bool> = r
        .controls
        .iter()
        .map(|c| (c.control.id.as_str(), c.counts.fail + c.counts.waived > 0))
        .collect();
    r.items = catalog
        .items
        .iter()
        .map(|item| {
            let controls: Vec<ItemControl> = catalog
                .covering(&item.id)
                .into_iter()
                .map(|c| ItemControl {
                    id: c.id.as_str(),
                    status: status_of
                        .get(c.id.as_str())
                        .copied()
                        .unwrap_or(Status::NotEvaluated),
                })
                .collect();
            let statuses: Vec<Status> = controls.iter().map(|c| c.status).collect();
            let mut status = item_status(&statuses).unwrap_or(Status::Manual);
            let mut attestation = None;
            if let Some(&i) = by_id.get(item.id.as_str()) {
                let a = &policy.attestations[i];
                let failing = controls
                    .iter()
                    .any(|c| evidence_fails.get(c.id).copied().unwrap_or(false))
                    || status == Status::Fail;
                if failing && a.answer != Answer::No {
                    states[i] = AttestationState::Contradicted;
                } else {
                    status = match a.answer {
                        Answer::Yes => Status::Attested,
                        Answer::No => Status::Fail,
                        Answer::NotApplicable => Status::NotApplicable,
                    };
                    attestation = Some(a.clone());
                }
            }
            ItemResult {
                item,
                id: item.id.as_str(),
                checklist: item.checklist.as_str(),
                section: item.section.as_str(),
                text: item.text.as_str(),
                status,
                controls,
                attestation,
            }
        })
        .collect();
    report.attestations = policy
        .attestations
        .iter()
        .zip(states)
        .map(|(a, state)| AttestationUse {
            attestation: a.clone(),
            state,
        })
        .collect();

    // 6. Scores.
    r.scores = scores(&r.controls, &r.items, catalog);
    r.policy = report;
}

/// What the objects a waiver applies to are.
enum Selector {
    Config {
        kind: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
        file: Option<String>,
    },
    Object {
        object: Arc<crate::model::ObjectRef>,
        file: Arc<str>,
        document: Option<u32>,
    },
}

impl Selector {
    fn selects(&self, f: &Finding) -> bool {
        match self {
            Selector::Config {
                kind,
                namespace,
                name,
                file,
            } => {
                let obj = f.object.as_deref();
                let field = |pattern: &Option<String>, value: Option<&str>| match pattern {
                    None => true,
                    Some(p) => value.is_some_and(|v| glob(p, v)),
                };
                // Kinds as people write them (`deployment`); files relative to any folder of
                // the path the scan was given (`k8s/legacy/*` matches `./repo/k8s/legacy/a.yaml`).
                let kind_ok = match kind {
                    None => true,
                    Some(p) => obj.is_some_and(|o| {
                        glob(&p.to_ascii_lowercase(), &o.kind.to_ascii_lowercase())
                    }),
                };
                let file_ok = match file {
                    None => true,
                    Some(p) => f.location.as_ref().is_some_and(|l| {
                        let path = l.file.strip_prefix("./").unwrap_or(&l.file);
                        glob(p, path)
                            || path
                                .match_indices('/')
                                .any(|(i, _)| glob(p, &path[i + 1..]))
                    }),
                };
                kind_ok
                    && file_ok
                    && field(namespace, obj.and_then(|o| o.namespace.as_deref()))
                    && field(name, obj.map(|o| o.name.as_str()))
            }
            Selector::Object {
                object,
                file,
                document,
            } => {
                f.object.as_deref() == Some(object.as_ref())
                    && f.location
                        .as_ref()
                        .is_some_and(|l| l.file == *file && l.document == *document)
            }
        }
    }
}

/// `*` matches any run of characters (case-sensitive, as Kubernetes names are).
pub fn glob(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // Iterative wildcard match with backtracking to the last star.
    let (mut i, mut j, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while j < v.len() {
        if i < p.len() && p[i] != '*' && p[i] == v[j] {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

fn waiver_state(w: &Waiver, policy: &Policy, as_of: Date) -> WaiverState {
    match w.expires {
        Some(e) if e < as_of => WaiverState::Expired,
        None if policy.require_expiry => WaiverState::NoExpiry,
        _ => WaiverState::Applied,
    }
}

/// Parses `aksguard.io/waive.<control>: "reason=...; owner=...; expires=YYYY-MM-DD"`. A value
/// without `key=` parts is the reason alone.
pub fn parse_annotation(a: &AnnotationWaiver, catalog: &'static Catalog) -> Result<Waiver, String> {
    let key = a.key.strip_prefix(WAIVE_PREFIX).unwrap_or(&a.key);
    let control = catalog
        .control(key)
        .ok_or_else(|| format!("no control `{key}` (`aksguard controls` lists them)"))?;
    let fields = parse_fields(&a.value)?;
    let reason = fields
        .get("reason")
        .cloned()
        .filter(|r| !r.is_empty())
        .ok_or("a waiver needs a reason (`reason=...; owner=...; expires=YYYY-MM-DD`)")?;
    let expires = match fields.get("expires") {
        Some(d) => Some(Date::parse(d)?),
        None => None,
    };
    Ok(Waiver {
        control: control.id.as_str(),
        reason,
        owner: fields.get("owner").cloned().filter(|o| !o.is_empty()),
        expires,
        origin: WaiverOrigin::Annotation {
            file: a.file.clone(),
            line: a.line,
            key: a.key.clone(),
            object: a.object.clone(),
        },
    })
}

const FIELDS: &[&str] = &["reason", "owner", "expires"];

/// `reason=...; owner=...; expires=...`: parts separated by `;`; a part that does not start with
/// a known `key=` belongs to the part before it (so a reason may contain `;`).
fn parse_fields(value: &str) -> Result<BTreeMap<&'static str, String>, String> {
    let mut out: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut current: Option<&'static str> = None;
    for part in value.split(';') {
        let trimmed = part.trim();
        let known = trimmed.split_once('=').and_then(|(k, v)| {
            FIELDS
                .iter()
                .find(|f| f.eq_ignore_ascii_case(k.trim()))
                .map(|f| (*f, v.trim()))
        });
        match (known, current) {
            (Some((k, v)), _) => {
                if out.contains_key(k) {
                    return Err(format!("`{k}` given twice"));
                }
                out.insert(k, v.to_string());
                current = Some(k);
            }
            (None, Some(k)) => {
                let s = out.get_mut(k).expect("current key is present");
                s.push(';');
                s.push_str(part);
            }
            (None, None) if !trimmed.is_empty() => {
                out.insert("reason", trimmed.to_string());
                current = Some("reason");
            }
            (None, None) => {}
        }
    }
    for v in out.values_mut() {
        *v = v.trim().to_string();
    }
    Ok(out)
}

/// The answer without its place (a finding's location gives that).
fn answer_text(a: &Attestation) -> String {
    let mut s = format!("a person answered `{}`: {}", a.answer.as_str(), a.owner);
    if let Some(d) = a.date {
        s.push_str(&format!(" on {d}"));
    }
    if let Some(n) = &a.note {
        s.push_str(&format!(" ({n})"));
    }
    s
}

fn attested_by(a: &Attestation) -> String {
    let mut s = format!("attested `{}` by {}", a.answer.as_str(), a.owner);
    if let Some(d) = a.date {
        s.push_str(&format!(" on {d}"));
    }
    if let Some(e) = &a.evidence {
        s.push_str(&format!(", evidence {e}"));
    }
    if let Some(n) = &a.note {
        s.push_str(&format!(" ({n})"));
    }
    s.push_str(&format!(" [{}]", place(&a.file, a.line)));
    s
}

/// An item's status from its controls: fail if any fails, pass if all evaluated ones pass and at
/// least one passed, otherwise the most telling of the others.
pub fn item_status(statuses: &[Status]) -> Option<Status> {
    if statuses.is_empty() {
        return None;
    }
    [
        Status::Fail,
        Status::Pass,
        Status::Attested,
        Status::Waived,
        Status::NotEvaluated,
        Status::Manual,
        Status::NotApplicable,
    ]
    .into_iter()
    .find(|&s| statuses.contains(&s))
}

fn score<'a>(controls: impl Iterator<Item = &'a ControlResult>) -> Score {
    let mut s = Score::default();
    for c in controls {
        s.controls += 1;
        match c.status {
            Status::Pass | Status::Attested => {
                s.evaluated += 1;
                s.passing += 1;
                s.answered += 1;
            }
            Status::Fail | Status::Waived => {
                s.evaluated += 1;
                s.answered += 1;
            }
            Status::NotApplicable => s.answered += 1,
            Status::NotEvaluated | Status::Manual => {}
        }
    }
    s.passing_percent = percent(s.passing, s.evaluated);
    s.answered_percent = percent(s.answered, s.controls);
    s
}

fn scores(controls: &[ControlResult], items: &[ItemResult], catalog: &'static Catalog) -> Scores {
    let layers = Layer::ALL
        .iter()
        .filter(|l| controls.iter().any(|c| c.control.layer == **l))
        .map(|&layer| LayerScore {
            layer,
            title: layer.title(),
            score: score(controls.iter().filter(|c| c.control.layer == layer)),
        })
        .collect();
    let checklists = catalog
        .checklists()
        .into_iter()
        .map(|name| {
            let of: Vec<&ItemResult> = items.iter().filter(|i| i.item.checklist == name).collect();
            let count =
                |f: &dyn Fn(Status) -> bool| of.iter().filter(|i| f(i.status)).count() as u64;
            let answered = count(&|s| !matches!(s, Status::NotEvaluated | Status::Manual));
            ChecklistScore {
                checklist: name,
                items: of.len() as u64,
                answered,
                passed: count(&|s| matches!(s, Status::Pass | Status::Attested)),
                failed: count(&|s| s == Status::Fail),
                answered_percent: percent(answered, of.len() as u64),
            }
        })
        .collect();
    Scores {
        overall: score(controls.iter()),
        layers,
        checklists,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("legacy-*", "legacy-agent"));
        assert!(!glob("legacy-*", "agent-legacy"));
        assert!(glob("*agent*", "old-agent-1"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXbY"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
    }

    #[test]
    fn annotation_fields() {
        let f =
            parse_fields("reason=needs root; for now; owner=team-a; expires=2027-01-31").unwrap();
        assert_eq!(f["reason"], "needs root; for now");
        assert_eq!(f["owner"], "team-a");
        assert_eq!(f["expires"], "2027-01-31");
        let f = parse_fields("legacy agent, replaced in Q1").unwrap();
        assert_eq!(f["reason"], "legacy agent, replaced in Q1");
        assert!(parse_fields("reason=a; reason=b").is_err());
    }
}
