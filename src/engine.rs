//! The scan: find inputs, read and parse them in parallel, run the checks on every object as it
//! is parsed, and aggregate findings into control statuses.
//!
//! Objects are not kept: each document is parsed, checked and dropped, so memory stays close to
//! the size of the files being read. Large multi-document files are split at document markers
//! (`---` at the start of a line, which YAML forbids inside any scalar) so that one big
//! `helm template` output is parsed on all cores too.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::aks::source::{Evidence as AksEvidence, is_aks_document, is_terraform_file};
use crate::catalog::{Automation, Catalog, Control, Evidence};
use crate::checks::aks::{AKS_CHECKS, AksCtx, AksVerdict, POOL_CONTROLS};
use crate::checks::{Ctx, InventoryCheck, Verdicts, inventory_checks, object_checks};
use crate::config::Config;
use crate::inventory::Inventory;
use crate::k8s::{DocKind, Object, Provenance, classify};
use crate::load::yaml::{self, DocResult};
use crate::model::{Finding, InputError, Location, Note, ObjectRef, Severity, Status};
use crate::spans::{Path, PathHash};

/// Files larger than this are refused (a manifest of this size is not a manifest).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Streams larger than this are split into chunks parsed in parallel.
const CHUNK_BYTES: usize = 256 * 1024;

/// An input named on the command line.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

impl Input {
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// Counts of verdicts for one control.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub pass: u64,
    pub fail: u64,
    #[serde(rename = "not-evaluated")]
    pub not_evaluated: u64,
    /// Failures accepted by a waiver (not counted in `fail`).
    pub waived: u64,
}

impl Counts {
    /// Counts a verdict and tells whether it is listed as a finding: passes only when asked
    /// for, verdicts that do not apply never (nor are they counted).
    fn count(&mut self, status: Status, include_passed: bool) -> bool {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::NotApplicable => return false,
            _ => self.not_evaluated += 1,
        }
        status != Status::Pass || include_passed
    }
}

/// The status of one control after the scan.
#[derive(Debug, Clone, Serialize)]
pub struct ControlResult {
    #[serde(skip)]
    pub control: &'static Control,
    pub status: Status,
    /// The severity in force: the catalogue's, or the configuration's override.
    pub severity: Severity,
    /// Why the status is what it is, when it is not a plain pass or fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub counts: Counts,
    /// The attestation that answers this control, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Arc<crate::policy::Attestation>>,
}

/// What was read.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct InputStats {
    pub files: u64,
    pub documents: u64,
    pub objects: u64,
    pub bytes: u64,
    /// AKS clusters described by the inputs.
    pub clusters: u64,
}

/// What a scan read: files (and standard input), or a live cluster.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    Files,
    Cluster {
        /// The kubeconfig context (`in-cluster` inside a pod).
        context: String,
        server: String,
        /// The API server's version (`GET /version`), when it answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
}

/// Everything a report needs.
#[derive(Debug)]
pub struct ScanResult {
    pub source: Source,
    pub controls: Vec<ControlResult>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
    pub stats: InputStats,
    pub fail_on: Severity,
    /// Effective rights per RBAC subject, when asked for (`Config::rbac_inventory`).
    pub rbac: Option<Vec<crate::checks::cluster::rbac::model::SubjectRights>>,
    /// Every item of the source checklists with its status, in the checklists' own order.
    pub items: Vec<crate::policy::ItemResult>,
    /// Scores per layer, overall and per checklist.
    pub scores: crate::policy::Scores,
    /// What the configuration and attestations did (waivers, overrides, answers).
    pub policy: crate::policy::PolicyReport,
}

impl ScanResult {
    /// 2: some input could not be read; 1: a failing finding at or above `fail_on`; else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity >= self.fail_on)
        {
            1
        } else {
            0
        }
    }
}

/// A unit of parallel work: a whole file, or a chunk of a large one.
struct Unit {
    file: Arc<str>,
    text: Arc<String>,
    start: usize,
    end: usize,
    first_line: u32,
    first_index: usize,
}

/// What one unit produced.
#[derive(Default)]
struct Partial {
    findings: Vec<Finding>,
    counts: Vec<Counts>,
    errors: Vec<InputError>,
    notes: Vec<Note>,
    documents: u64,
    objects: u64,
    files: u64,
    bytes: u64,
    inventory: Inventory,
    strings: Interner,
    /// AKS configuration set aside for assembly once every file is read.
    aks: Vec<AksEvidence>,
    /// Waiver annotations of the objects checked.
    waivers: Vec<crate::policy::AnnotationWaiver>,
}

impl Partial {
    fn new(n: usize) -> Partial {
        Partial {
            counts: vec![Counts::default(); n],
            ..Partial::default()
        }
    }

    fn merge(mut self, mut other: Partial) -> Partial {
        // Append the smaller list to the larger one: less copying, smaller peaks.
        if self.findings.len() < other.findings.len() {
            std::mem::swap(&mut self.findings, &mut other.findings);
        }
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), Counts::default());
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            add_counts(a, b);
        }
        self.findings.extend(other.findings);
        self.errors.extend(other.errors);
        self.notes.extend(other.notes);
        self.documents += other.documents;
        self.objects += other.objects;
        self.files += other.files;
        self.bytes += other.bytes;
        self.inventory.merge(other.inventory);
        self.aks.extend(other.aks);
        self.waivers.extend(other.waivers);
        self
    }
}

/// Runs a scan of `inputs`.
pub fn scan(inputs: &[Input], config: &Config) -> ScanResult {
    crate::trace::phase("start");
    let catalog = Catalog::get();
    let mut errors = Vec::new();
    let notes = Vec::new();

    // 1. Find the files.
    let mut files: Vec<(Arc<str>, FileSource)> = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin => files.push((Arc::from("<stdin>"), FileSource::Stdin)),
            Input::Path(p) => discover(p, &mut files, &mut errors),
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);

    // 2. Read, parse and check every file in parallel. A file is read by the task that checks
    // it, so only the files being worked on are in memory; a large stream is cut into chunks
    // that are checked in parallel too.
    let ids: Vec<&'static str> = object_checks()
        .iter()
        .map(|c| control_id(catalog, c.control))
        .collect();
    let ctx = Ctx { config };
    // Results accumulate per worker (fold) and are merged once per worker pair (reduce), rather
    // than one partial result per file.
    let new_partial = || Partial::new(object_checks().len());
    let partial = files
        .into_par_iter()
        .fold(new_partial, |mut acc, (name, src)| {
            if is_terraform_file(&name) {
                match read_text(&name, src) {
                    Ok(text) => {
                        acc.files += 1;
                        acc.bytes += text.len() as u64;
                        acc.aks.push(AksEvidence::Hcl {
                            file: name,
                            text: Arc::unwrap_or_clone(text),
                        });
                    }
                    Err(e) => acc.errors.push(e),
                }
                return acc;
            }
            match read_units(&name, src) {
                Ok((units, bytes)) => {
                    acc.files += 1;
                    acc.bytes += bytes;
                    if units.len() == 1 {
                        run_unit(&units[0], &ids, &ctx, &mut acc);
                    } else {
                        let chunks = units
                            .into_par_iter()
                            .fold(new_partial, |mut a, u| {
                                run_unit(&u, &ids, &ctx, &mut a);
                                a
                            })
                            .reduce(new_partial, Partial::merge);
                        acc = acc.merge(chunks);
                    }
                }
                Err(e) => acc.errors.push(e),
            }
            acc
        })
        .reduce(new_partial, Partial::merge);

    crate::trace::phase("stream");
    finish(partial, errors, notes, config, None)
}

/// What a live-cluster scan adds to the objects it read (see [`scan_batches`]).
#[derive(Debug, Default)]
pub struct LiveFacts {
    /// Whether the API server answered at all (every cluster control is not evaluated if not).
    pub reachable: bool,
    pub context: String,
    pub server: String,
    pub version: Option<String>,
    /// Kinds the cluster did not let the scan list, and why: the controls that read them are
    /// not evaluated (unless they fail on what was read).
    pub unavailable: Vec<(String, String)>,
    /// Verdicts of checks only a live API answers (anonymous access, /logs, versions).
    pub verdicts: Vec<LiveVerdict>,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
}

/// One verdict of a live-only check.
#[derive(Debug)]
pub struct LiveVerdict {
    pub control: &'static str,
    pub status: Status,
    pub message: String,
    pub object: Arc<ObjectRef>,
    pub location: Location,
}

/// Objects read from an API, a batch (a page of a list) at a time.
#[derive(Debug, Default)]
pub struct Batch {
    pub objects: Vec<Object>,
    /// Objects read but not checked on their own (pods of a ReplicaSet, ...).
    pub skipped: u64,
    pub bytes: u64,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
}

/// Scans objects that arrive in batches from a live cluster: each batch is converted (in
/// parallel, as it arrives), checked and dropped, as a chunk of a file is; `facts` is asked
/// once every batch is in. Only controls that a live cluster is evidence for are judged.
pub fn scan_batches<B: Send>(
    batches: impl Iterator<Item = B> + Send,
    convert: impl Fn(B) -> Batch + Sync + Send,
    facts: impl FnOnce() -> LiveFacts,
    config: &Config,
) -> ScanResult {
    let catalog = Catalog::get();
    let live_evidence = |control: &str| {
        catalog
            .control(control)
            .is_none_or(|c| c.evidence.contains(&Evidence::Cluster))
    };
    let ids: Vec<&'static str> = object_checks()
        .iter()
        .map(|c| control_id(catalog, c.control))
        .collect();
    let active: Vec<bool> = object_checks()
        .iter()
        .map(|c| live_evidence(c.control))
        .collect();
    let ctx = Ctx { config };
    let new_partial = || Partial::new(object_checks().len());
    let partial = batches
        .par_bridge()
        .fold(new_partial, |mut acc, b| {
            let batch = convert(b);
            acc.bytes += batch.bytes;
            acc.documents += batch.objects.len() as u64 + batch.skipped;
            acc.errors.extend(batch.errors);
            acc.notes.extend(batch.notes);
            for obj in batch.objects {
                check_object_with(&obj, &ids, Some(&active), &ctx, &mut acc);
                acc.inventory.add(obj);
            }
            acc
        })
        .reduce(new_partial, Partial::merge);
    crate::trace::phase("stream");
    let facts = facts();
    finish(partial, Vec::new(), Vec::new(), config, Some(facts))
}

/// Checks over everything read, AKS assembly, and aggregation (both kinds of scan).
fn finish(
    partial: Partial,
    mut errors: Vec<InputError>,
    mut notes: Vec<Note>,
    config: &Config,
    live: Option<LiveFacts>,
) -> ScanResult {
    let catalog = Catalog::get();
    let mut stats = InputStats::default();
    let ctx = Ctx { config };
    stats.files = partial.files;
    stats.bytes = partial.bytes;
    stats.documents = partial.documents;
    stats.objects = partial.objects;
    errors.extend(partial.errors);
    notes.extend(partial.notes);
    errors.sort();
    notes.sort();

    // 4. Checks over everything scanned, in parallel.
    let mut inventory = partial.inventory;
    inventory.finish();
    let mut counts: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for (check, n) in object_checks().iter().zip(&partial.counts) {
        add_counts(counts.entry(check.control).or_default(), n);
    }
    let mut findings = partial.findings;
    // Checks of one family read the same kinds and share derived models (the resolved RBAC
    // bindings, NetworkPolicies by namespace), built by the family's first check. Families run
    // side by side; within a family the first check runs alone (it builds the models) and the
    // rest then run side by side on them. The models are lean (a few MB for 10,000 objects),
    // so holding every family's at once stays within the memory budget. Verdicts become
    // findings (with shared strings) in check order, so the result does not depend on
    // scheduling.
    let mut all = inventory_checks();
    // Controls a live cluster is not evidence for (Secrets committed to a repository, say)
    // are not judged from one, and the controls that read a kind the cluster would not list
    // are not evaluated (a failure among what was read still counts).
    let mut forced: BTreeMap<&'static str, String> = BTreeMap::new();
    if let Some(facts) = &live {
        for control in &catalog.controls {
            let checked = object_checks().iter().any(|c| c.control == control.id)
                || all.iter().any(|c| c.control == control.id);
            if checked && !control.evidence.contains(&Evidence::Cluster) {
                let needs: Vec<&str> = control.evidence.iter().map(|e| e.describe()).collect();
                forced.insert(
                    control.id.as_str(),
                    format!("not judged from a live cluster: needs {}", join_or(&needs)),
                );
            }
        }
        if !facts.reachable {
            for control in &catalog.controls {
                if control.evidence.contains(&Evidence::Cluster) {
                    forced.entry(control.id.as_str()).or_insert_with(|| {
                        "the cluster could not be read (see the errors)".to_string()
                    });
                }
            }
        }
        all.retain(|c| !forced.contains_key(c.control));
        let kinds_of = |control: &str| -> Vec<&'static str> {
            object_checks()
                .iter()
                .filter(|c| c.control == control)
                .flat_map(|c| c.kinds.iter().copied())
                .chain(
                    inventory_checks()
                        .into_iter()
                        .filter(|c| c.control == control)
                        .flat_map(|c| c.kinds.iter().copied()),
                )
                .collect()
        };
        for control in &catalog.controls {
            if forced.contains_key(control.id.as_str()) {
                continue;
            }
            let kinds = kinds_of(&control.id);
            let missing: Vec<String> = facts
                .unavailable
                .iter()
                .filter(|(kind, _)| {
                    crate::checks::reads_kind(&kinds, kind)
                        || (kinds.contains(&"<gatekeeper-constraints>")
                            && kind.starts_with("constraints.gatekeeper.sh"))
                })
                .map(|(kind, why)| format!("{kind}: {why}"))
                .collect();
            if !missing.is_empty() {
                forced.insert(
                    control.id.as_str(),
                    format!(
                        "the cluster did not let the scan list {}",
                        missing.join("; ")
                    ),
                );
            }
        }
    }
    let mut families: Vec<&[&InventoryCheck]> = Vec::new();
    let mut start = 0;
    while start < all.len() {
        let kinds = all[start].kinds;
        let len = all[start..].iter().take_while(|c| c.kinds == kinds).count();
        families.push(&all[start..start + len]);
        start += len;
    }
    // Each check's verdicts become findings (shared strings) as soon as it finishes, so only
    // the verdicts of the checks running at that moment are held. Findings are sorted by a key
    // that covers every field afterwards, so the order they are added in does not matter.
    let mut strings = Interner::default();
    // Added to the other findings once the models are gone (growing the large list while they
    // are in memory would raise the peak).
    let mut inv_findings: Vec<Finding> = Vec::new();
    let shared = std::sync::Mutex::new((&mut inv_findings, &mut counts, &mut strings));
    let run = |check: &&InventoryCheck| {
        let mut verdicts = Vec::new();
        (check.run)(&inventory, &ctx, &mut verdicts);
        crate::trace::phase(check.control);
        let control = check.control;
        let id = control_id(catalog, control);
        let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
        let (findings, counts, strings) = &mut *guard;
        let n = counts.entry(id).or_default();
        for v in verdicts {
            if !n.count(v.status, config.include_passed) {
                continue;
            }
            let mut location = v.location;
            if let Some(l) = &mut location {
                l.path = l.path.take().map(|p| strings.get(&p));
            }
            findings.push(Finding {
                control: id,
                status: v.status,
                severity: Severity::Info,
                message: strings.get(&v.message),
                object: Some(v.object),
                location,
                fix: None,
                waiver: None,
            });
        }
    };
    families.par_iter().for_each(|family| {
        run(&family[0]);
        family[1..].par_iter().for_each(run);
    });
    // The findings, counts and strings are the engine's again.
    let _ = shared.into_inner();
    inventory.clear_cache();
    let rbac = config
        .rbac_inventory
        .then(|| crate::checks::cluster::rbac::model::subject_rights(&inventory));
    drop(inventory);
    findings.append(&mut inv_findings);
    drop(inv_findings);
    crate::trace::phase("inventory checks");

    // 5. AKS clusters: assembled from every piece of evidence, then checked.
    let mut aks_controls = std::collections::BTreeSet::new();
    if !partial.aks.is_empty() {
        let assembled = crate::aks::source::assemble(partial.aks, &config.aks);
        for (file, line, message) in assembled.errors {
            errors.push(InputError {
                file,
                line,
                message,
            });
        }
        for (file, message) in assembled.notes {
            notes.push(Note {
                file,
                line: None,
                message,
            });
        }
        errors.sort();
        notes.sort();
        stats.clusters = assembled.clusters.len() as u64;
        let builtin;
        let calendar = match &config.aks_calendar {
            Some(c) => c.as_ref(),
            None => {
                builtin = crate::aks::versions::Calendar::builtin();
                &builtin
            }
        };
        let actx = AksCtx {
            calendar,
            as_of: config
                .as_of
                .unwrap_or_else(crate::aks::versions::Date::today),
        };
        let per_cluster: Vec<Vec<(&'static str, Vec<AksVerdict>)>> = assembled
            .clusters
            .par_iter()
            .map(|c| {
                AKS_CHECKS
                    .iter()
                    .filter(|check| !c.pools_only || POOL_CONTROLS.contains(&check.control))
                    .map(|check| {
                        let mut v = Vec::new();
                        (check.run)(c, &actx, &mut v);
                        (check.control, v)
                    })
                    .collect()
            })
            .collect();
        for (cluster, results) in assembled.clusters.iter().zip(per_cluster) {
            let object = Arc::new(ObjectRef {
                api_version: String::new(),
                kind: "ManagedCluster".to_string(),
                namespace: None,
                name: cluster.name().to_string(),
                id: cluster.id().map(str::to_string),
            });
            for (control, verdicts) in results {
                let id = control_id(catalog, control);
                aks_controls.insert(id);
                let n = counts.entry(id).or_default();
                for v in verdicts {
                    if !n.count(v.status, config.include_passed) {
                        continue;
                    }
                    let segs = crate::aks::source::to_segs(&v.path);
                    // Without a recorded place, the finding points at the cluster's file.
                    let origin = cluster.origin(&segs).or_else(|| {
                        Some(crate::aks::model::Origin {
                            file: cluster.file.clone(),
                            pointer: String::new(),
                            line: None,
                            note: None,
                        })
                    });
                    let location = origin.as_ref().map(|o| Location {
                        file: o.file.clone(),
                        line: o.line,
                        document: None,
                        path: Some(strings.get(&o.pointer)).filter(|p| !p.is_empty()),
                    });
                    let message = match origin.as_ref().and_then(|o| o.note.as_ref()) {
                        Some(note) => format!("{} ({note})", v.message),
                        None => v.message,
                    };
                    findings.push(Finding {
                        control: id,
                        status: v.status,
                        severity: Severity::Info,
                        message: strings.get(&message),
                        object: Some(object.clone()),
                        location,
                        fix: v.fix.map(|f| strings.get(&f)),
                        waiver: None,
                    });
                }
            }
        }
        crate::trace::phase("aks checks");
    }

    let mut source = Source::Files;
    if let Some(facts) = live {
        for v in facts.verdicts {
            let id = control_id(catalog, v.control);
            let n = counts.entry(id).or_default();
            if !n.count(v.status, config.include_passed) {
                continue;
            }
            findings.push(Finding {
                control: id,
                status: v.status,
                severity: Severity::Info,
                message: strings.get(&v.message),
                object: Some(v.object),
                location: Some(v.location),
                fix: None,
                waiver: None,
            });
        }
        errors.extend(facts.errors);
        notes.extend(facts.notes);
        errors.sort();
        notes.sort();
        source = Source::Cluster {
            context: facts.context,
            server: facts.server,
            version: facts.version,
        };
    }

    // 6. Aggregate into control statuses.
    let controls = aggregate(
        catalog,
        &counts,
        stats.objects,
        stats.clusters > 0,
        &aks_controls,
        &forced,
    );
    for f in &mut findings {
        if let Some(c) = catalog.control(f.control) {
            f.severity = c.severity;
        }
    }
    // The key covers every field, so an unstable (allocation-free) sort is deterministic.
    findings.par_sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    crate::trace::phase("aggregate");

    let mut result = ScanResult {
        source,
        controls,
        findings,
        errors,
        notes,
        stats,
        fail_on: config.fail_on,
        rbac,
        items: Vec::new(),
        scores: Default::default(),
        policy: Default::default(),
    };
    let mut annotations = partial.waivers;
    annotations.sort();
    annotations.dedup();
    crate::policy::apply(
        &mut result,
        &config.policy,
        annotations,
        config
            .as_of
            .unwrap_or_else(crate::aks::versions::Date::today),
    );
    result.errors.sort();
    crate::trace::phase("policy");
    result
}

enum FileSource {
    Path(PathBuf),
    Stdin,
}

/// Files of a path: a file as given (whatever its name), or the manifest-looking files of a
/// directory tree (hidden folders and files skipped).
fn discover(path: &FsPath, out: &mut Vec<(Arc<str>, FileSource)>, errors: &mut Vec<InputError>) {
    let display = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(InputError {
                file: Arc::from(display.as_str()),
                line: None,
                message: format!("cannot read: {}", io_reason(&e)),
            });
            return;
        }
    };
    if !meta.is_dir() {
        out.push((
            Arc::from(display.as_str()),
            FileSource::Path(path.to_path_buf()),
        ));
        return;
    }
    let walker = walkdir::WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_file() && is_manifest_name(e.path()) {
                    let name = e.path().display().to_string();
                    out.push((Arc::from(name.as_str()), FileSource::Path(e.into_path())));
                }
            }
            Err(e) => {
                let file = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| display.clone());
                let reason = e.io_error().map(io_reason).unwrap_or_else(|| e.to_string());
                errors.push(InputError {
                    file: Arc::from(file.as_str()),
                    line: None,
                    message: format!("cannot read: {reason}"),
                });
            }
        }
    }
}

fn is_manifest_name(p: &FsPath) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json" | "tf" | "tfvars")
    )
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn read_text(name: &Arc<str>, src: FileSource) -> Result<Arc<String>, InputError> {
    let err = |message: String| InputError {
        file: name.clone(),
        line: None,
        message,
    };
    let mut bytes = Vec::new();
    match src {
        FileSource::Stdin => {
            std::io::stdin()
                .lock()
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| err(format!("cannot read standard input: {}", io_reason(&e))))?;
        }
        FileSource::Path(p) => {
            let f = std::fs::File::open(&p)
                .map_err(|e| err(format!("cannot read: {}", io_reason(&e))))?;
            // Size the buffer once (read_to_end through `take` loses the size hint).
            if let Ok(m) = f.metadata() {
                bytes.reserve_exact((m.len().min(MAX_FILE_BYTES) + 1) as usize);
            }
            f.take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| err(format!("cannot read: {}", io_reason(&e))))?;
        }
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(err(format!(
            "larger than {} MiB; not read",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let probe = &bytes[..bytes.len().min(8192)];
    if probe.contains(&0) {
        return Err(err(
            "binary file (contains NUL bytes); not a manifest".into()
        ));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Arc::new(s)),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + 1;
            Err(InputError {
                file: name.clone(),
                line: Some(line),
                message: "not valid UTF-8 text; not read".into(),
            })
        }
    }
}

/// Whether a line (from its first byte) is a document-start marker `---`.
fn is_marker(line: &[u8]) -> bool {
    line.starts_with(b"---") && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

/// A piece of a stream: its bytes, the line of its first byte and the index of its first
/// document in the file.
struct Piece {
    bytes: Vec<u8>,
    first_line: u32,
    first_index: usize,
}

/// Cuts a byte stream into pieces of about `CHUNK_BYTES` at document-start lines as the bytes
/// arrive, so a large file is never held as one buffer: each piece is parsed and checked on
/// its own and freed as soon as it is done. A stream that starts with a directive (`%YAML`)
/// is not cut (the directive applies to the documents after it).
struct Splitter {
    pending: Vec<u8>,
    /// Start of the first line of `pending` not examined yet.
    scan: usize,
    /// End of the bytes searched for a newline (none after `scan` before it).
    searched: usize,
    /// Line number of `pending[0]` and of `pending[scan]`.
    line: u32,
    scan_line: u32,
    /// Documents before `pending[0]`.
    index: usize,
    /// Markers in `pending[..scan]`, and whether `pending` starts with one.
    markers: usize,
    first_marker_at_start: bool,
    /// None until the first byte is seen; false for directive streams.
    cutting: Option<bool>,
}

impl Splitter {
    fn new() -> Splitter {
        Splitter {
            pending: Vec::new(),
            scan: 0,
            searched: 0,
            line: 1,
            scan_line: 1,
            index: 0,
            markers: 0,
            first_marker_at_start: false,
            cutting: None,
        }
    }

    fn push(&mut self, data: &[u8], out: &mut Vec<Piece>) {
        if self.cutting.is_none() && !data.is_empty() {
            self.cutting = Some(data[0] != b'%');
        }
        self.pending.extend_from_slice(data);
        if self.cutting != Some(true) {
            return;
        }
        // Complete lines only: a line split between two reads is examined once it is whole.
        loop {
            // Bytes before `searched` hold no newline: a long line read in many blocks is
            // searched once, not once per block.
            let from = self.scan.max(self.searched);
            let Some(mut eol) = memchr_newline(&self.pending, from) else {
                self.searched = self.pending.len();
                break;
            };
            let pos = self.scan;
            if is_marker(&self.pending[pos..=eol]) {
                if pos >= CHUNK_BYTES {
                    // The marker line now starts the pending bytes.
                    self.cut(pos, out);
                    eol -= pos;
                    self.first_marker_at_start = true;
                } else if pos == 0 {
                    self.first_marker_at_start = true;
                }
                self.markers += 1;
            }
            self.scan = eol + 1;
            self.scan_line += 1;
        }
    }

    /// Emits `pending[..at]` (which ends where a line starts) as a piece.
    fn cut(&mut self, at: usize, out: &mut Vec<Piece>) {
        // An exact-size copy; the pending buffer keeps its capacity for the next piece.
        let bytes = self.pending[..at].to_vec();
        self.pending.drain(..at);
        let docs = docs_in_chunk(
            self.markers,
            self.first_marker_at_start,
            &String::from_utf8_lossy(&bytes),
        );
        out.push(Piece {
            bytes,
            first_line: self.line,
            first_index: self.index,
        });
        self.index += docs;
        self.line = self.scan_line;
        self.scan -= at;
        self.searched = self.searched.saturating_sub(at);
        self.markers = 0;
        self.first_marker_at_start = false;
    }

    /// The last piece (the whole stream when it was never cut).
    fn finish(self, out: &mut Vec<Piece>) {
        if !self.pending.is_empty() || out.is_empty() {
            out.push(Piece {
                bytes: self.pending,
                first_line: self.line,
                first_index: self.index,
            });
        }
    }
}

/// Reads a file (or standard input) as parse units: the whole text, or for a large stream
/// pieces cut at document markers while reading. Returns the units and the byte count.
fn read_units(name: &Arc<str>, src: FileSource) -> Result<(Vec<Unit>, u64), InputError> {
    let err = |message: String| InputError {
        file: name.clone(),
        line: None,
        message,
    };
    let mut reader: Box<dyn Read> = match src {
        FileSource::Stdin => Box::new(std::io::stdin().lock()),
        FileSource::Path(p) => Box::new(
            std::fs::File::open(&p).map_err(|e| err(format!("cannot read: {}", io_reason(&e))))?,
        ),
    };
    let what = if name.as_ref() == "<stdin>" {
        "cannot read standard input"
    } else {
        "cannot read"
    };
    let mut splitter = Splitter::new();
    let mut pieces = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(err(format!("{what}: {}", io_reason(&e)))),
        };
        // Binary files: a NUL byte in the first 8 KiB.
        if total < 8192 && buf[..n.min((8192 - total) as usize)].contains(&0) {
            return Err(err(
                "binary file (contains NUL bytes); not a manifest".into()
            ));
        }
        total += n as u64;
        if total > MAX_FILE_BYTES {
            return Err(err(format!(
                "larger than {} MiB; not read",
                MAX_FILE_BYTES / (1024 * 1024)
            )));
        }
        splitter.push(&buf[..n], &mut pieces);
    }
    splitter.finish(&mut pieces);
    let mut units = Vec::with_capacity(pieces.len());
    for p in pieces {
        let text = match String::from_utf8(p.bytes) {
            Ok(s) => s,
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + p.first_line;
                return Err(InputError {
                    file: name.clone(),
                    line: Some(line),
                    message: "not valid UTF-8 text; not read".into(),
                });
            }
        };
        let end = text.len();
        units.push(Unit {
            file: name.clone(),
            text: Arc::new(text),
            start: 0,
            end,
            first_line: p.first_line,
            first_index: p.first_index,
        });
    }
    Ok((units, total))
}

/// Documents in a chunk: one per `---` marker, plus a leading implicit document if the chunk
/// has content before its first marker.
fn docs_in_chunk(markers: usize, starts_with_marker: bool, chunk: &str) -> usize {
    if starts_with_marker {
        return markers;
    }
    let before_first = chunk
        .split_inclusive('\n')
        .take_while(|l| {
            !(l.starts_with("---")
                && matches!(
                    l.as_bytes().get(3),
                    None | Some(b' ' | b'\t' | b'\n' | b'\r')
                ))
        })
        .any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        });
    markers + usize::from(before_first)
}

fn memchr_newline(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| p + from)
}

fn run_unit(u: &Unit, ids: &[&'static str], ctx: &Ctx, part: &mut Partial) {
    let text = &u.text[u.start..u.end];
    yaml::parse_stream(text, u.first_line, u.first_index, |doc| {
        handle_doc(doc, u, ids, ctx, part)
    });
}

fn handle_doc(doc: DocResult, u: &Unit, ids: &[&'static str], ctx: &Ctx, part: &mut Partial) {
    part.documents += 1;
    let doc = match doc {
        Ok(d) => d,
        Err(e) => {
            part.errors.push(InputError {
                file: u.file.clone(),
                line: Some(e.line),
                message: e.message,
            });
            return;
        }
    };
    for (line, message) in doc.warnings {
        part.errors.push(InputError {
            file: u.file.clone(),
            line: Some(line),
            message,
        });
    }
    let spans = Arc::new(doc.spans);
    if is_aks_document(&doc.value) {
        part.aks.push(AksEvidence::Doc {
            file: u.file.clone(),
            value: doc.value,
            spans,
        });
        return;
    }
    let prov = |line: u32| Provenance {
        file: u.file.clone(),
        document: Some(doc.index as u32),
        line: Some(line),
    };
    match classify(&doc.value) {
        DocKind::Empty => {}
        DocKind::Other(what) => part.notes.push(Note {
            file: u.file.clone(),
            line: Some(doc.line),
            message: format!("skipped: {what}"),
        }),
        DocKind::Object => {
            if let Value::Object(map) = doc.value {
                let obj = Object::new(map, spans, Path::root(), prov(doc.line));
                check_object(&obj, ids, ctx, part);
                part.inventory.add(obj);
            }
        }
        DocKind::List(_) => {
            let Value::Object(mut map) = doc.value else {
                return;
            };
            let Some(Value::Array(items)) = map.remove("items") else {
                return;
            };
            let items_path = PathHash::ROOT.key("items");
            for (i, item) in items.into_iter().enumerate() {
                let hash = items_path.index(i);
                let line = spans.get(hash).unwrap_or(doc.line);
                match item {
                    Value::Object(m)
                        if m.get("kind").and_then(Value::as_str).is_some()
                            && m.get("apiVersion").and_then(Value::as_str).is_some() =>
                    {
                        let root = Path::at(hash, format!("/items/{i}"));
                        let obj = Object::new(m, spans.clone(), root, prov(line));
                        check_object(&obj, ids, ctx, part);
                        part.inventory.add(obj);
                    }
                    _ => part.notes.push(Note {
                        file: u.file.clone(),
                        line: Some(line),
                        message: format!(
                            "skipped: item {i} of the list is not a Kubernetes object"
                        ),
                    }),
                }
            }
        }
    }
}

fn check_object(obj: &Object, ids: &[&'static str], ctx: &Ctx, part: &mut Partial) {
    check_object_with(obj, ids, None, ctx, part)
}

/// Runs the per-object checks (those marked in `active`, or all) on one object.
fn check_object_with(
    obj: &Object,
    ids: &[&'static str],
    active: Option<&[bool]>,
    ctx: &Ctx,
    part: &mut Partial,
) {
    part.objects += 1;
    if let Some(annotations) = obj.annotations() {
        for (key, value) in annotations {
            if key.starts_with(crate::policy::WAIVE_PREFIX) {
                let path = obj.path(&["metadata", "annotations", key]);
                part.waivers.push(crate::policy::AnnotationWaiver {
                    object: obj.reference.clone(),
                    file: obj.provenance.file.clone(),
                    document: obj.provenance.document,
                    line: path.line(&obj.spans).or(obj.provenance.line),
                    key: key.clone(),
                    value: match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                });
            }
        }
    }
    let mut verdicts = Verdicts::default();
    for (i, check) in object_checks().iter().enumerate() {
        if active.is_some_and(|a| !a[i]) {
            continue;
        }
        verdicts.list.clear();
        (check.run)(obj, ctx, &mut verdicts);
        for v in verdicts.list.drain(..) {
            if !part.counts[i].count(v.status, ctx.config.include_passed) {
                continue;
            }
            // As `Object::location`, with the pointer shared.
            let path = v.path.as_ref().unwrap_or(&obj.root);
            let location = Location {
                file: obj.provenance.file.clone(),
                line: path.line(&obj.spans).or(obj.provenance.line),
                document: obj.provenance.document,
                path: part.strings.pointer(path),
            };
            part.findings.push(Finding {
                control: ids[i],
                status: v.status,
                severity: Severity::Info,
                message: part.strings.get(&v.message),
                object: Some(obj.reference.clone()),
                location: Some(location),
                fix: None,
                waiver: None,
            });
        }
    }
}

/// The catalogue's own copy of a check's control id (shared by every finding), or the check's.
fn control_id(catalog: &'static Catalog, control: &'static str) -> &'static str {
    catalog
        .control(control)
        .map(|c| c.id.as_str())
        .unwrap_or(control)
}

fn add_counts(a: &mut Counts, b: &Counts) {
    a.pass += b.pass;
    a.fail += b.fail;
    a.not_evaluated += b.not_evaluated;
    a.waived += b.waived;
}

/// Shares equal strings between findings: messages and field paths repeat across thousands of
/// objects, and a finding holding its own copies made them the largest part of a scan's memory.
#[derive(Default)]
struct Interner {
    strings: std::collections::HashSet<Arc<str>, foldhash::fast::FixedState>,
    /// JSON pointers by path hash: the same few paths recur in every object, so a finding's
    /// pointer is built once per distinct path rather than once per finding.
    pointers: std::collections::HashMap<
        u64,
        Option<Arc<str>>,
        std::hash::BuildHasherDefault<crate::spans::IdentityHasher>,
    >,
}

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(a.clone());
        a
    }

    /// The pointer of `path` below its object's root (None for the root itself). The path hash
    /// covers the object's place in its document and every segment, so equal hashes mean
    /// equal pointers (the same 64-bit identity the line lookups rely on).
    fn pointer(&mut self, path: &Path) -> Option<Arc<str>> {
        if let Some(p) = self.pointers.get(&path.hash().0) {
            return p.clone();
        }
        let p = Some(path.pointer())
            .filter(|p| !p.is_empty())
            .map(|p| self.get(&p));
        self.pointers.insert(path.hash().0, p.clone());
        p
    }
}

/// Control statuses. A control is only as good as its evidence: without a check that ran on
/// loaded evidence it is `not-evaluated` (or `manual`), never `pass`.
fn aggregate(
    catalog: &'static Catalog,
    by_id: &BTreeMap<&'static str, Counts>,
    objects: u64,
    has_aks: bool,
    aks_controls: &std::collections::BTreeSet<&str>,
    forced: &BTreeMap<&'static str, String>,
) -> Vec<ControlResult> {
    catalog
        .controls
        .iter()
        .map(|control| {
            let forced = forced.get(control.id.as_str());
            let (status, reason, counts) = match by_id.get(control.id.as_str()) {
                Some(n) if n.fail == 0 && forced.is_some() => {
                    (Status::NotEvaluated, forced.cloned(), *n)
                }
                None if forced.is_some() => {
                    (Status::NotEvaluated, forced.cloned(), Counts::default())
                }
                Some(n) => {
                    let n = *n;
                    if objects == 0 && !aks_controls.contains(control.id.as_str()) {
                        (
                            Status::NotEvaluated,
                            Some("no Kubernetes objects among the inputs".to_string()),
                            n,
                        )
                    } else if n.fail > 0 {
                        (Status::Fail, None, n)
                    } else if n.pass > 0 {
                        (Status::Pass, None, n)
                    } else if n.not_evaluated > 0 {
                        (
                            Status::NotEvaluated,
                            Some("the scanned objects do not say (see findings)".to_string()),
                            n,
                        )
                    } else {
                        (
                            Status::NotApplicable,
                            Some(
                                "no object this control applies to among the scanned inputs"
                                    .to_string(),
                            ),
                            n,
                        )
                    }
                }
                None if control.automation == Automation::Manual => (
                    Status::Manual,
                    Some(
                        "open: a person answers it in an attestations file (`aksguard attest init`)"
                            .to_string(),
                    ),
                    Counts::default(),
                ),
                None => (
                    Status::NotEvaluated,
                    Some(missing_evidence(control, has_aks)),
                    Counts::default(),
                ),
            };
            ControlResult {
                control,
                status,
                severity: control.severity,
                reason,
                counts,
                attestation: None,
            }
        })
        .collect()
}

fn missing_evidence(control: &Control, has_aks: bool) -> String {
    let unread: Vec<&str> = control
        .evidence
        .iter()
        .filter(|e| {
            !matches!(
                e,
                Evidence::Attestation | Evidence::Manifest | Evidence::Cluster
            )
        })
        .map(|e| e.describe())
        .collect();
    if control.evidence.contains(&Evidence::Aks) {
        let others: Vec<&str> = unread
            .iter()
            .copied()
            .filter(|e| *e != Evidence::Aks.describe())
            .collect();
        let checked = AKS_CHECKS.iter().any(|c| c.control == control.id);
        let mut reason = if has_aks && checked {
            "the inputs hold only node pools of their AKS clusters, not the clusters' own configuration".to_string()
        } else if has_aks {
            "not checked automatically from AKS configuration by this version".to_string()
        } else {
            "no AKS cluster configuration among the inputs (az aks show output, an ARM resource or template, bicep build output, a Terraform plan or configuration)".to_string()
        };
        let object_checked = object_checks().iter().any(|c| c.control == control.id)
            || inventory_checks().iter().any(|c| c.control == control.id);
        if control.evidence.contains(&Evidence::Manifest) && !object_checked {
            reason.push_str("; not checked automatically from manifests by this version yet");
        } else if !others.is_empty() {
            reason.push_str(&format!("; {} not read by this version", join_or(&others)));
        }
        if crate::live::PROBED.contains(&control.id.as_str()) {
            reason.push_str("; or scan the live cluster (`aksguard scan --cluster`)");
        }
        reason
    } else if crate::live::PROBED.contains(&control.id.as_str()) {
        "needs a live cluster (`aksguard scan --cluster`)".to_string()
    } else if control.evidence.contains(&Evidence::Manifest) {
        // The evidence is read, but this version has no check for the control yet.
        "not checked automatically by this version yet".to_string()
    } else if unread.is_empty() {
        "needs a person's answer in an attestations file (`aksguard attest init`)".to_string()
    } else {
        format!("needs {} (not read by this version)", join_or(&unread))
    }
}

fn join_or(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of `text` fed to the splitter `block` bytes at a time: (start, end, line, index).
    fn units_of_blocks(text: &str, block: usize) -> Vec<(usize, usize, u32, usize)> {
        let mut sp = Splitter::new();
        let mut pieces = Vec::new();
        for b in text.as_bytes().chunks(block) {
            sp.push(b, &mut pieces);
        }
        sp.finish(&mut pieces);
        let mut start = 0;
        pieces
            .iter()
            .map(|p| {
                let s = start;
                start += p.bytes.len();
                assert_eq!(&text.as_bytes()[s..start], &p.bytes[..]);
                (s, start, p.first_line, p.first_index)
            })
            .collect()
    }

    fn units_of(text: &str) -> Vec<(usize, usize, u32, usize)> {
        let units = units_of_blocks(text, 1 << 16);
        // However the bytes arrive, the pieces are the same.
        for block in [1, 7, 4096, text.len().max(1)] {
            assert_eq!(units_of_blocks(text, block), units, "block size {block}");
        }
        units
    }

    #[test]
    fn big_streams_split_at_markers_with_lines_and_indexes() {
        let doc = format!("kind: A\ndata: {}\n", "x".repeat(100_000));
        let text = format!("{doc}---\n{doc}---\n{doc}---\n{doc}");
        let units = units_of(&text);
        assert!(units.len() > 1);
        // Parse each unit; the documents must come out with the indexes and lines of the file.
        let mut seen = Vec::new();
        for (s, e, l, i) in &units {
            yaml::parse_stream(&text[*s..*e], *l, *i, |d| {
                let d = d.unwrap();
                seen.push((d.index, d.line));
            });
        }
        assert_eq!(seen, vec![(0, 1), (1, 4), (2, 7), (3, 10)]);
    }

    #[test]
    fn leading_markers_comments_and_directives() {
        let doc = format!("kind: A\ndata: {}\n", "x".repeat(100_000));
        // A leading marker and comment-only preambles: indexes still count documents.
        let text = format!("# c\n---\n{doc}---\n# only a comment\n---\n{doc}---\n{doc}---\n{doc}");
        let units = units_of(&text);
        assert!(units.len() > 1);
        let mut seen = Vec::new();
        for (s, e, l, i) in &units {
            yaml::parse_stream(&text[*s..*e], *l, *i, |d| {
                let d = d.unwrap();
                seen.push((d.index, d.line));
            });
        }
        let whole: Vec<(usize, u32)> = {
            let mut v = Vec::new();
            yaml::parse_stream(&text, 1, 0, |d| {
                let d = d.unwrap();
                v.push((d.index, d.line));
            });
            v
        };
        assert_eq!(seen, whole);
        // A directive stream is never cut; small and empty streams are one piece.
        let directive = format!("%YAML 1.1\n---\n{doc}---\n{doc}---\n{doc}");
        assert_eq!(units_of(&directive).len(), 1);
        assert_eq!(units_of("kind: A\n").len(), 1);
        assert_eq!(units_of_blocks("", 16), vec![(0, 0, 1, 0)]);
    }
}
