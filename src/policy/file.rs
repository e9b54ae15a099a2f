//! The configuration file (`.aksguard.yaml`) and the attestations file, read with the scanner's
//! own YAML loader (bounded aliases and depth, a line for every node) so that every mistake is
//! reported with its line. Unknown keys are errors: a misspelt `disable:` silently ignored would
//! check what the team meant to switch off.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::{Answer, Attestation, ConfigWaiver, Policy};
use crate::catalog::Catalog;
use crate::load::yaml;
use crate::model::{Date, InputError, Severity, Waiver, WaiverOrigin};
use crate::spans::{PathHash, Spans};

/// Names the configuration file is found under.
pub const CONFIG_NAMES: &[&str] = &[".aksguard.yaml", ".aksguard.yml"];

/// Largest configuration or attestations file read (they are written by people).
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The settings of a configuration file (those the command line can also give are `None` when
/// the file does not set them).
#[derive(Debug, Default)]
pub struct FileConfig {
    pub fail_on: Option<Severity>,
    pub registries: Option<Vec<String>>,
    pub required_labels: Option<Vec<String>>,
    pub admin_groups: Option<Vec<String>>,
    pub system_namespaces: Option<Vec<String>>,
    /// The attestations file named by the configuration (relative to the configuration's
    /// folder).
    pub attestations: Option<PathBuf>,
    pub policy: Policy,
}

/// A problem of a configuration or attestations file: `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: Arc<str>,
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The configuration file for a scan of `start`: the first `.aksguard.yaml` (or `.yml`) in its
/// folder or any folder above it.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = if start.is_dir() {
        start.to_path_buf()
    } else {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let start = if start.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        start
    };
    let abs = std::fs::canonicalize(&start).unwrap_or(start);
    let mut dir: Option<&Path> = Some(&abs);
    while let Some(d) = dir {
        for name in CONFIG_NAMES {
            let candidate = d.join(name);
            if candidate.is_file() {
                // Shown relative to the current folder when it is inside it (reports name it).
                let cwd = std::env::current_dir()
                    .ok()
                    .and_then(|c| std::fs::canonicalize(c).ok());
                if let Some(rel) =
                    cwd.and_then(|c| candidate.strip_prefix(&c).ok().map(Path::to_path_buf))
                {
                    return Some(rel);
                }
                return Some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

/// A YAML node with its place, for reading typed values with lines.
#[derive(Clone, Copy)]
struct Node<'a> {
    value: &'a Value,
    hash: PathHash,
    spans: &'a Spans,
    fallback: u32,
}

impl<'a> Node<'a> {
    fn line(&self) -> Option<u32> {
        Some(self.spans.get(self.hash).unwrap_or(self.fallback))
    }
    fn key(&self, k: &str) -> Option<Node<'a>> {
        self.value.get(k).map(|v| Node {
            value: v,
            hash: self.hash.key(k),
            ..*self
        })
    }
    fn items(&self) -> Vec<Node<'a>> {
        match self.value {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| Node {
                    value: v,
                    hash: self.hash.index(i),
                    ..*self
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Collects errors with their lines.
struct Errors {
    file: Arc<str>,
    list: Vec<FileError>,
}

impl Errors {
    fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.list.push(FileError {
            file: self.file.clone(),
            line: node.line(),
            message: message.into(),
        });
    }

    /// Reports every key of a mapping that is not in `known`; false when not a mapping.
    fn keys(&mut self, node: &Node, what: &str, known: &[&str]) -> bool {
        let Value::Object(map) = node.value else {
            self.at(node, format!("{what} must be a mapping"));
            return false;
        };
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                let n = node.key(k).expect("key exists");
                let hint = closest(k, known)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                self.at(
                    &n,
                    format!(
                        "unknown key `{k}` in {what}{hint}; known keys: {}",
                        known.join(", ")
                    ),
                );
            }
        }
        true
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.value {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::String(_) => {
                self.at(node, format!("{what} is empty"));
                None
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Null => {
                self.at(node, format!("{what} is empty"));
                None
            }
            _ => {
                self.at(node, format!("{what} must be a string"));
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        if !node.value.is_array() {
            self.at(node, format!("{what} must be a list of strings"));
            return None;
        }
        let mut out = Vec::new();
        for item in node.items() {
            if let Some(s) = self.string(&item, &format!("an entry of {what}")) {
                out.push(s);
            }
        }
        Some(out)
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.at(node, format!("{what} must be true or false"));
                None
            }
        }
    }

    fn date(&mut self, node: &Node, what: &str) -> Option<Date> {
        let s = self.string(node, what)?;
        match Date::parse(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.at(node, format!("{what}: {e}"));
                None
            }
        }
    }

    fn severity(&mut self, node: &Node, what: &str) -> Option<Severity> {
        let s = self.string(node, what)?;
        match s.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.at(node, format!("{what}: {e}"));
                None
            }
        }
    }

    /// Control ids, names or globs on ids (`WL-*`), resolved against the catalogue.
    fn controls(&mut self, node: &Node, what: &str) -> Option<BTreeSet<&'static str>> {
        let mut out = BTreeSet::new();
        if !node.value.is_array() {
            self.at(node, format!("{what} must be a list of control ids"));
            return None;
        }
        for item in node.items() {
            let Some(s) = self.string(&item, &format!("an entry of {what}")) else {
                continue;
            };
            let found = resolve_controls(&s);
            if found.is_empty() {
                self.at(
                    &item,
                    format!("no control `{s}` (`aksguard controls` lists them)"),
                );
            }
            out.extend(found);
        }
        Some(out)
    }
}

/// The controls an id, name or id glob names.
pub fn resolve_controls(s: &str) -> Vec<&'static str> {
    let catalog = Catalog::get();
    if s.contains('*') {
        let upper = s.to_ascii_uppercase();
        catalog
            .controls
            .iter()
            .filter(|c| super::apply::glob(&upper, &c.id))
            .map(|c| c.id.as_str())
            .collect()
    } else {
        catalog
            .control(s)
            .map(|c| c.id.as_str())
            .into_iter()
            .collect()
    }
}

/// The known key nearest to a misspelt one (edit distance at most 2).
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let cost = usize::from(ca != *cb);
                cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    known
        .iter()
        .map(|k| (distance(&key.to_ascii_lowercase().replace('_', "-"), k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Reads a YAML file of one document into a value with lines.
fn read_yaml(path: &Path, name: &Arc<str>) -> Result<(Value, Spans, u32), FileError> {
    let err = |line: Option<u32>, message: String| FileError {
        file: name.clone(),
        line,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(err(None, "is a directory, not a file".into()));
    }
    if meta.len() > MAX_BYTES {
        return Err(err(
            None,
            format!("larger than {} MiB", MAX_BYTES / (1024 * 1024)),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| err(None, "not UTF-8 text".into()))?;
    let mut docs = Vec::new();
    let mut first_error = None;
    yaml::parse_stream(&text, 1, 0, |d| match d {
        Ok(doc) => docs.push(doc),
        Err(e) => {
            first_error.get_or_insert(err(Some(e.line), e.message));
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }
    let docs: Vec<_> = docs.into_iter().filter(|d| !d.value.is_null()).collect();
    match docs.len() {
        0 => Ok((Value::Object(Default::default()), Spans::default(), 1)),
        1 => {
            let doc = docs.into_iter().next().expect("one document");
            if let Some((line, message)) = doc.warnings.first() {
                return Err(err(Some(*line), message.clone()));
            }
            Ok((doc.value, doc.spans, doc.line))
        }
        _ => Err(err(
            Some(docs[1].line),
            "holds several YAML documents; expected one".into(),
        )),
    }
}

/// The root node of a file and an empty error list for it.
fn start<'a>(value: &'a Value, spans: &'a Spans, line: u32, name: &Arc<str>) -> (Node<'a>, Errors) {
    let root = Node {
        value,
        hash: PathHash::ROOT,
        spans,
        fallback: line,
    };
    let errors = Errors {
        file: name.clone(),
        list: Vec::new(),
    };
    (root, errors)
}

const CONFIG_KEYS: &[&str] = &[
    "version",
    "fail-on",
    "controls",
    "registries",
    "required-labels",
    "admin-groups",
    "system-namespaces",
    "attestations",
    "waiver-policy",
    "waivers",
];

/// Reads a configuration file. All problems are returned together.
pub fn read_config(path: &Path) -> Result<FileConfig, Vec<FileError>> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let (value, spans, line) = read_yaml(path, &name).map_err(|e| vec![e])?;
    let (root, mut errors) = start(&value, &spans, line, &name);
    let mut out = FileConfig::default();
    out.policy.config_file = Some(name.clone());
    if !errors.keys(&root, "the configuration", CONFIG_KEYS) {
        return Err(errors.list);
    }
    if let Some(n) = root.key("version")
        && !matches!(n.value.as_u64(), Some(1))
    {
        errors.at(&n, "version must be 1");
    }
    if let Some(n) = root.key("fail-on") {
        out.fail_on = errors.severity(&n, "fail-on");
    }
    for (key, slot) in [
        ("registries", &mut out.registries),
        ("required-labels", &mut out.required_labels),
        ("admin-groups", &mut out.admin_groups),
        ("system-namespaces", &mut out.system_namespaces),
    ] {
        if let Some(n) = root.key(key) {
            *slot = errors.strings(&n, key);
        }
    }
    if let Some(n) = root.key("attestations")
        && let Some(s) = errors.string(&n, "attestations")
    {
        let base = path.parent().unwrap_or(Path::new("."));
        out.attestations = Some(base.join(s));
    }
    if let Some(c) = root.key("controls")
        && errors.keys(&c, "controls", &["enable", "disable", "severity"])
    {
        if let Some(n) = c.key("enable") {
            // An empty list is the default: every control.
            out.policy.enable = errors
                .controls(&n, "controls.enable")
                .filter(|e| !e.is_empty());
        }
        if let Some(n) = c.key("disable") {
            out.policy.disable = errors.controls(&n, "controls.disable").unwrap_or_default();
        }
        if let Some(n) = c.key("severity") {
            if let Value::Object(map) = n.value {
                for k in map.keys() {
                    let entry = n.key(k).expect("key exists");
                    let ids = resolve_controls(k);
                    if ids.is_empty() {
                        errors.at(
                            &entry,
                            format!("no control `{k}` (`aksguard controls` lists them)"),
                        );
                    }
                    if let Some(sev) = errors.severity(&entry, &format!("controls.severity.{k}")) {
                        for id in ids {
                            out.policy.severity.insert(id, sev);
                        }
                    }
                }
            } else {
                errors.at(&n, "controls.severity must map control ids to severities");
            }
        }
    }
    if let Some(w) = root.key("waiver-policy")
        && errors.keys(
            &w,
            "waiver-policy",
            &["require-expiry", "annotations", "forbid-annotations"],
        )
    {
        if let Some(n) = w.key("require-expiry")
            && let Some(b) = errors.boolean(&n, "waiver-policy.require-expiry")
        {
            out.policy.require_expiry = b;
        }
        if let Some(n) = w.key("annotations")
            && let Some(b) = errors.boolean(&n, "waiver-policy.annotations")
        {
            out.policy.annotation_waivers = b;
        }
        if let Some(n) = w.key("forbid-annotations") {
            out.policy.forbid_annotation = errors
                .controls(&n, "waiver-policy.forbid-annotations")
                .unwrap_or_default();
        }
    }
    if let Some(list) = root.key("waivers") {
        if !list.value.is_array() {
            errors.at(&list, "waivers must be a list");
        }
        for item in list.items() {
            if let Some(w) = read_waiver(&item, &name, out.policy.require_expiry, &mut errors) {
                out.policy.waivers.push(w);
            }
        }
    }
    if errors.list.is_empty() {
        Ok(out)
    } else {
        Err(errors.list)
    }
}

const WAIVER_KEYS: &[&str] = &[
    "control",
    "kind",
    "namespace",
    "name",
    "file",
    "reason",
    "owner",
    "expires",
];

fn read_waiver(
    node: &Node,
    file: &Arc<str>,
    require_expiry: bool,
    errors: &mut Errors,
) -> Option<ConfigWaiver> {
    if !errors.keys(node, "a waiver", WAIVER_KEYS) {
        return None;
    }
    let before = errors.list.len();
    let field = |errors: &mut Errors, k: &str| {
        node.key(k)
            .and_then(|n| errors.string(&n, &format!("waiver {k}")))
    };
    let control = match node.key("control") {
        Some(n) => errors.string(&n, "waiver control").and_then(|s| {
            let found = Catalog::get().control(&s).map(|c| c.id.as_str());
            if found.is_none() {
                errors.at(
                    &n,
                    format!("no control `{s}` (`aksguard controls` lists them)"),
                );
            }
            found
        }),
        None => {
            errors.at(node, "a waiver needs `control`");
            None
        }
    };
    let reason = field(errors, "reason");
    if node.key("reason").is_none() {
        errors.at(node, "a waiver needs `reason`");
    }
    let expires = node
        .key("expires")
        .and_then(|n| errors.date(&n, "waiver expires"));
    if node.key("expires").is_none() && require_expiry {
        errors.at(
            node,
            "a waiver needs `expires: YYYY-MM-DD` (or `waiver-policy: {require-expiry: false}`)",
        );
    }
    let owner = field(errors, "owner");
    let kind = field(errors, "kind");
    let namespace = field(errors, "namespace");
    let name = field(errors, "name");
    let glob_file = field(errors, "file");
    if errors.list.len() > before {
        return None;
    }
    let mut selects: Vec<String> = Vec::new();
    if let Some(k) = &kind {
        selects.push(format!("kind {k}"));
    }
    if let Some(n) = &namespace {
        selects.push(format!("namespace {n}"));
    }
    if let Some(n) = &name {
        selects.push(format!("name {n}"));
    }
    if let Some(f) = &glob_file {
        selects.push(format!("file {f}"));
    }
    let selects = if selects.is_empty() {
        "every finding of the control".to_string()
    } else {
        selects.join(", ")
    };
    Some(ConfigWaiver {
        waiver: Arc::new(Waiver {
            control: control?,
            reason: reason?,
            owner,
            expires,
            origin: WaiverOrigin::Config {
                file: file.clone(),
                line: node.line(),
                selects,
            },
        }),
        kind,
        namespace,
        name,
        file: glob_file,
    })
}

const ATTESTATION_KEYS: &[&str] = &[
    "id", "answer", "owner", "date", "evidence", "expires", "note",
];

/// Reads an attestations file: the answers that can be used, and the problems of the others
/// (each with its line; they are reported with the scan, whose other results still stand).
pub fn read_attestations(
    path: &Path,
) -> Result<(Vec<Arc<Attestation>>, Vec<InputError>), FileError> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let (value, spans, line) = read_yaml(path, &name)?;
    let (root, mut errors) = start(&value, &spans, line, &name);
    let list = match (&value, root.key("attestations")) {
        (Value::Object(map), Some(list)) if map.len() == 1 && list.value.is_array() => list,
        (Value::Object(map), None) if map.is_empty() => {
            return Ok((Vec::new(), Vec::new()));
        }
        _ => {
            return Err(FileError {
                file: name,
                line: Some(line),
                message: "expected `attestations:` with a list of answers (`aksguard attest init` writes a template)".into(),
            });
        }
    };
    let catalog = Catalog::get();
    let mut out = Vec::new();
    for item in list.items() {
        let before = errors.list.len();
        if !errors.keys(&item, "an attestation", ATTESTATION_KEYS) {
            continue;
        }
        let id = match item.key("id") {
            Some(n) => errors.string(&n, "id").and_then(|s| {
                let found = catalog
                    .item(&s)
                    .map(|i| i.id.clone())
                    .or_else(|| catalog.control(&s).map(|c| c.id.clone()));
                if found.is_none() {
                    errors.at(
                        &n,
                        format!("unknown id `{s}`: not a checklist item nor a control (`aksguard checklist`, `aksguard controls`)"),
                    );
                }
                found
            }),
            None => {
                errors.at(&item, "an attestation needs `id` (an item or control id)");
                None
            }
        };
        // An entry without an answer is a question not answered yet (the template's state).
        let unanswered = item.key("answer").is_none_or(|n| n.value.is_null());
        let answer = match item.key("answer") {
            _ if unanswered => None,
            Some(n) => match n.value {
                Value::Bool(true) => Some(Answer::Yes),
                Value::Bool(false) => Some(Answer::No),
                Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "yes" => Some(Answer::Yes),
                    "no" => Some(Answer::No),
                    "not-applicable" | "n/a" | "na" => Some(Answer::NotApplicable),
                    "" => {
                        errors.at(&n, "answer is empty: yes, no or not-applicable");
                        None
                    }
                    other => {
                        errors.at(
                            &n,
                            format!("answer `{other}`: expected yes, no or not-applicable"),
                        );
                        None
                    }
                },
                Value::Null => {
                    errors.at(&n, "answer is empty: yes, no or not-applicable");
                    None
                }
                _ => {
                    errors.at(&n, "answer must be yes, no or not-applicable");
                    None
                }
            },
            None => None,
        };
        let owner = match item.key("owner") {
            _ if unanswered => None,
            Some(n) => errors.string(&n, "owner"),
            None => {
                errors.at(&item, "an attestation needs `owner` (who answers for it)");
                None
            }
        };
        let some = |n: &Node<'_>| !n.value.is_null();
        let date = item
            .key("date")
            .filter(some)
            .and_then(|n| errors.date(&n, "date"));
        let expires = item
            .key("expires")
            .filter(some)
            .and_then(|n| errors.date(&n, "expires"));
        let text = |errors: &mut Errors, k: &str| {
            item.key(k)
                .filter(|n| !n.value.is_null())
                .and_then(|n| errors.string(&n, k))
        };
        let evidence = text(&mut errors, "evidence");
        let note = text(&mut errors, "note");
        if errors.list.len() > before {
            continue;
        }
        if let (Some(id), Some(answer), Some(owner)) = (id, answer, owner) {
            out.push(Arc::new(Attestation {
                id,
                answer,
                owner,
                date,
                evidence,
                expires,
                note,
                file: name.clone(),
                line: item.line(),
            }));
        }
    }
    let problems = errors
        .list
        .into_iter()
        .map(|e| InputError {
            file: e.file,
            line: e.line,
            message: e.message,
        })
        .collect();
    Ok((out, problems))
}
