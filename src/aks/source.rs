//! AKS evidence among the scanned inputs, and its assembly into clusters.
//!
//! Files are read in parallel; what describes an AKS cluster is set aside as [`Evidence`]
//! while Kubernetes objects are checked. Once every file is read, [`assemble`] builds the
//! clusters: ARM resources and `az` output directly; node pools read on their own joined to
//! their cluster; ARM templates evaluated with their parameter files; Terraform plans; and
//! Terraform configuration per directory (a module) with its variable files.

use std::collections::BTreeMap;
use std::path::Path as FsPath;
use std::sync::Arc;

use serde_json::Value;

use super::arm::{self, ArmItem};
use super::model::{Cluster, Origin, Seg};
use crate::spans::Spans;

/// One document or file that describes AKS configuration.
#[derive(Debug)]
pub enum Evidence {
    /// A JSON (or YAML) document: ARM resource(s), `az` output, an ARM template, a template
    /// parameters file or a Terraform plan.
    Doc {
        file: Arc<str>,
        value: Value,
        spans: Arc<Spans>,
    },
    /// A Terraform configuration file (`.tf`) or variables file (`.tfvars`).
    Hcl { file: Arc<str>, text: String },
}

/// Whether a parsed document is AKS configuration (not a Kubernetes object).
pub fn is_aks_document(v: &Value) -> bool {
    !arm::items(v).is_empty()
        || arm::mentions_cluster(v)
        || super::template::is_template(v)
        || super::template::is_parameters_file(v)
        || super::terraform::is_plan(v)
}

/// Whether a file is Terraform configuration or variables, by name.
pub fn is_terraform_file(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tfvars")
}

/// Settings of the assembly.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Parameter files given on the command line: applied to every template.
    pub parameters: Vec<(Arc<str>, Value)>,
}

/// What the assembly produced.
#[derive(Debug, Default)]
pub struct Assembled {
    pub clusters: Vec<Cluster>,
    /// Problems with a file: (file, line, message).
    pub errors: Vec<(Arc<str>, Option<u32>, String)>,
    /// Remarks (a pool without its cluster, a template without managed clusters): (file, message).
    pub notes: Vec<(Arc<str>, String)>,
}

fn dir_of(file: &str) -> String {
    FsPath::new(file)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn stem_of(file: &str) -> String {
    let name = FsPath::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".json")
        .or_else(|| name.strip_suffix(".yaml"))
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(&name)
        .to_string()
}

/// Builds the clusters from every piece of evidence, in a deterministic order.
pub fn assemble(mut evidence: Vec<Evidence>, opts: &Options) -> Assembled {
    evidence.sort_by(|a, b| file_of(a).cmp(file_of(b)));
    let mut out = Assembled::default();
    // Pools read on their own, attached once every cluster is known.
    let mut loose_pools: Vec<LoosePool> = Vec::new();
    let mut templates: Vec<(Arc<str>, Value, Arc<Spans>)> = Vec::new();
    let mut param_files: Vec<(Arc<str>, Value)> = Vec::new();
    let mut hcl: BTreeMap<String, Vec<(Arc<str>, String)>> = BTreeMap::new();
    let mut tfvars: BTreeMap<String, Vec<(Arc<str>, String)>> = BTreeMap::new();

    for ev in evidence {
        match ev {
            Evidence::Doc { file, value, spans } => {
                if super::template::is_parameters_file(&value) {
                    param_files.push((file, value));
                } else if super::template::is_template(&value) {
                    templates.push((file, value, spans));
                } else if super::terraform::is_plan(&value) {
                    let line_of = |p: &str| line_of_pointer(&spans, p);
                    let (clusters, notes) =
                        super::terraform::clusters_from_plan(file.clone(), &value, &line_of);
                    if clusters.is_empty() && notes.is_empty() {
                        out.notes.push((
                            file.clone(),
                            "Terraform plan without azurerm_kubernetes_cluster resources".into(),
                        ));
                    }
                    out.clusters.extend(clusters);
                    out.notes
                        .extend(notes.into_iter().map(|n| (file.clone(), n)));
                } else {
                    let items = arm::items(&value);
                    if items.is_empty() {
                        out.notes.push((
                            file.clone(),
                            "skipped: a Microsoft.ContainerService/managedClusters resource without its settings (a resource list?); scan `az aks show` output or the ARM resource".into(),
                        ));
                    }
                    for item in items {
                        match item {
                            ArmItem::Cluster {
                                value: v,
                                pointer,
                                hash,
                                flattened,
                            } => out.clusters.push(arm::cluster(
                                file.clone(),
                                spans.clone(),
                                v,
                                pointer,
                                hash,
                                flattened,
                            )),
                            ArmItem::Pool {
                                value: v,
                                pointer,
                                hash,
                                flattened,
                            } => {
                                let (value, parent) = arm::pool(v, flattened);
                                let origin = arm::pool_origin(&file, &spans, &pointer, hash);
                                let fields = field_origins(&file, &spans, &pointer, v, flattened);
                                loose_pools.push(LoosePool {
                                    parent,
                                    value,
                                    origin,
                                    fields,
                                    unresolved: Vec::new(),
                                    shape: if flattened {
                                        super::model::Shape::AzCli
                                    } else {
                                        super::model::Shape::ArmResource
                                    },
                                });
                            }
                        }
                    }
                }
            }
            Evidence::Hcl { file, text } => {
                let dir = dir_of(&file);
                if file.ends_with(".tfvars") {
                    tfvars.entry(dir).or_default().push((file, text));
                } else {
                    hcl.entry(dir).or_default().push((file, text));
                }
            }
        }
    }

    // ARM templates with their parameters: files given with --parameters apply to every
    // template; `X.parameters.json` applies to `X.json` in the same directory; otherwise a
    // lone parameters file in a directory with a lone template applies to it.
    for (file, template, spans) in &templates {
        let mut params: BTreeMap<String, super::template::ParamValue> = BTreeMap::new();
        let stem = stem_of(file);
        let dir = dir_of(file);
        let same_dir: Vec<&(Arc<str>, Value)> = param_files
            .iter()
            .filter(|(f, _)| dir_of(f) == dir)
            .collect();
        let templates_here = templates
            .iter()
            .filter(|(f, _, _)| dir_of(f) == dir)
            .count();
        let paired: Vec<&(Arc<str>, Value)> = same_dir
            .iter()
            .copied()
            .filter(|(f, _)| {
                let s = stem_of(f);
                s == format!("{stem}.parameters") || s == format!("{stem}.params")
            })
            .collect();
        let chosen: Vec<&(Arc<str>, Value)> = if !paired.is_empty() {
            paired
        } else if same_dir.len() == 1 && templates_here == 1 {
            same_dir
        } else {
            Vec::new()
        };
        for (pf, pv) in chosen.into_iter().chain(opts.parameters.iter()) {
            // Key Vault references stay without a value (unresolved), not the default.
            params.extend(super::template::param_values(pv, pf));
        }
        let (clusters, pools, notes) = super::template_clusters(file, template, spans, &params);
        if clusters.is_empty() && pools.is_empty() {
            out.notes.push((
                file.clone(),
                "ARM template without Microsoft.ContainerService/managedClusters resources".into(),
            ));
        }
        out.clusters.extend(clusters);
        loose_pools.extend(pools);
        out.notes
            .extend(notes.into_iter().map(|n| (file.clone(), n)));
    }

    // Terraform: one module per directory.
    for (dir, files) in &hcl {
        let vars = tfvars.get(dir).cloned().unwrap_or_default();
        let (clusters, errors, notes) = super::hcl::clusters_from_hcl(files, &vars);
        out.clusters.extend(clusters);
        out.errors.extend(errors);
        let first = files[0].0.clone();
        out.notes
            .extend(notes.into_iter().map(|n| (first.clone(), n)));
    }

    // Loose pools join their cluster by resource id (or by name for templates: `cluster/pool`).
    // Pools whose cluster is not among the inputs, by cluster: judged by the per-pool controls.
    let mut orphans: BTreeMap<(String, Option<String>), Cluster> = BTreeMap::new();
    for LoosePool {
        parent,
        value: pool,
        origin,
        fields,
        unresolved,
        shape,
    } in loose_pools
    {
        let target = parent.as_deref().and_then(|p| {
            let p = p.to_ascii_lowercase();
            out.clusters.iter().position(|c| {
                c.id().is_some_and(|id| id.to_ascii_lowercase() == p)
                    || (p.rsplit('/').next() == Some(&c.name().to_ascii_lowercase())
                        && c.file == origin.file)
            })
        });
        let target = target.or_else(|| {
            let same_file: Vec<usize> = out
                .clusters
                .iter()
                .enumerate()
                .filter(|(_, c)| c.file == origin.file)
                .map(|(i, _)| i)
                .collect();
            (same_file.len() == 1).then(|| same_file[0])
        });
        let orphan_key = (origin.file.to_string(), parent.clone());
        let target_cluster = match target {
            Some(i) => Some(&mut out.clusters[i]),
            None => {
                out.notes.push((
                    origin.file.clone(),
                    format!(
                        "node pool at {} belongs to a cluster that is not among the inputs{}; its own settings are checked",
                        if origin.pointer.is_empty() {
                            "/"
                        } else {
                            &origin.pointer
                        },
                        parent
                            .as_ref()
                            .map(|p| format!(" ({p})"))
                            .unwrap_or_default()
                    ),
                ));
                let c = orphans.entry(orphan_key).or_insert_with(|| {
                    let mut c = Cluster::new(shape, origin.file.clone());
                    let name = parent
                        .as_deref()
                        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                        .unwrap_or_else(|| "(unknown cluster)".to_string());
                    c.set(&[Seg::Key("name")], Value::String(name), None);
                    if let Some(id) = parent.as_deref().filter(|p| p.starts_with('/')) {
                        c.set(&[Seg::Key("id")], Value::String(id.to_string()), None);
                    }
                    c.set_origin(&[], origin.clone());
                    c.pools_only = true;
                    c
                });
                Some(c)
            }
        };
        if let Some(c) = target_cluster {
            let name = pool.get("name").cloned();
            // A pool listed in the cluster too (`az aks show` lists every pool) is replaced
            // by its own, fuller resource.
            let existing = c
                .pools()
                .iter()
                .position(|p| name.is_some() && p.get("name") == name.as_ref());
            let j = match existing {
                Some(j) => {
                    c.set(
                        &[
                            Seg::Key("properties"),
                            Seg::Key("agentPoolProfiles"),
                            Seg::Index(j),
                        ],
                        pool,
                        Some(origin.clone()),
                    );
                    j
                }
                None => c.push_pool(pool, Some(origin.clone())),
            };
            let base = |rest: &[String]| -> Vec<String> {
                let mut p = vec![
                    "properties".to_string(),
                    "agentPoolProfiles".to_string(),
                    j.to_string(),
                ];
                p.extend(rest.iter().cloned());
                p
            };
            for (key, o) in fields {
                let p = base(&[key]);
                c.set_origin(&to_segs(&p), o);
            }
            for (rest, u) in unresolved {
                let p = base(&rest);
                c.set_unresolved(&to_segs(&p), u, Some(origin.clone()));
            }
        }
    }
    out.clusters.extend(orphans.into_values());
    out.clusters
        .sort_by(|a, b| (a.file.as_ref(), a.name()).cmp(&(b.file.as_ref(), b.name())));
    out
}

/// A node pool read on its own (ARM agentPools resource, template resource), waiting for its
/// cluster.
pub struct LoosePool {
    /// The cluster's resource id, or its name for template resources (`cluster/pool`).
    pub parent: Option<String>,
    /// The pool in `agentPoolProfiles` item shape.
    pub value: Value,
    /// Where the pool resource is.
    pub origin: Origin,
    /// Where each member of the pool is (member name → origin).
    pub fields: Vec<(String, Origin)>,
    /// Members that could not be evaluated (path inside the pool value).
    pub unresolved: Vec<(Vec<String>, super::model::Unresolved)>,
    /// The shape the pool was read from.
    pub shape: super::model::Shape,
}

/// Origins of the members of a pool resource: `properties/<member>` (or `<member>` when
/// flattened), one level deep.
pub fn field_origins(
    file: &Arc<str>,
    spans: &Spans,
    pointer: &str,
    resource: &Value,
    flattened: bool,
) -> Vec<(String, Origin)> {
    let props = if flattened {
        resource.as_object()
    } else {
        resource
            .as_object()
            .and_then(|m| super::model::get_ci(m, "properties"))
            .and_then(Value::as_object)
    };
    let Some(props) = props else {
        return Vec::new();
    };
    props
        .keys()
        .map(|k| {
            let p = if flattened {
                format!("{pointer}/{}", escape(k))
            } else {
                format!("{pointer}/properties/{}", escape(k))
            };
            let line = line_of_pointer(spans, &p);
            (
                k.clone(),
                Origin {
                    file: file.clone(),
                    pointer: p,
                    line,
                    note: None,
                },
            )
        })
        .collect()
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

pub fn to_segs(p: &[String]) -> Vec<Seg<'_>> {
    p.iter()
        .map(|s| match s.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(s),
        })
        .collect()
}

fn file_of(e: &Evidence) -> &str {
    match e {
        Evidence::Doc { file, .. } | Evidence::Hcl { file, .. } => file,
    }
}

/// The line of a JSON pointer in a parsed document (of its deepest node that exists).
pub fn line_of_pointer(spans: &Spans, pointer: &str) -> Option<u32> {
    walk_pointer(spans, pointer).1
}

/// The path hash of a JSON pointer in a parsed document, and the line of its deepest node that
/// exists. Segments that are numbers are list indexes in every shape aksguard reads; a key that
/// looks like a number falls back to the key lookup.
pub fn walk_pointer(spans: &Spans, pointer: &str) -> (crate::spans::PathHash, Option<u32>) {
    let mut hash = crate::spans::PathHash::ROOT;
    let mut line = spans.get(hash);
    if pointer.is_empty() {
        return (hash, line);
    }
    for seg in pointer.trim_start_matches('/').split('/') {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let by_index = seg.parse::<usize>().ok().map(|i| hash.index(i));
        hash = match by_index {
            Some(h) if spans.get(h).is_some() => h,
            _ => hash.key(&seg),
        };
        if let Some(l) = spans.get(hash) {
            line = Some(l);
        }
    }
    (hash, line)
}
