//! Live clusters: read a cluster through the Kubernetes API and scan what it serves.
//!
//! Discovery (`/api/v1`, `/apis` and the preferred version of each group) decides which of the
//! kinds the checks read are served (policy engines, meshes and CSI drivers only when their
//! CRDs are). Each kind is listed cluster-wide page by page (`limit` and `continue`), several
//! kinds at a time; every page goes through a small bounded channel to the engine, which
//! parses and checks it on all cores and drops it, so a cluster is never held in memory whole.
//! Three answers only a live API gives are asked alongside: `/version`, an unauthenticated
//! `GET /api`, and `GET /logs/`.
//!
//! Provenance is `CONTEXT:API-PATH` of each object (no lines). A list the cluster refuses
//! (403) or that fails makes the controls that read that kind not evaluated, is reported as an
//! input error (exit code 2: the scan is partial), and the rest of the scan goes on.

pub mod discovery;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::aks::versions::{Calendar, Date};
use crate::checks::aks::AksCtx;
use crate::checks::cluster::nodes::live_version_verdict;
use crate::config::Config;
use crate::engine::{self, Batch, LiveFacts, LiveVerdict, ScanResult};
use crate::k8s::{Object, Provenance};
use crate::model::{InputError, Location, Note, ObjectRef, Status};
use crate::spans::{Path as ObjPath, Spans};
use discovery::Resource;

/// Controls that live-only probes answer (besides the checks on listed objects).
pub const PROBED: &[&str] = &["CP-006", "ID-015", "OB-007"];

/// A cluster to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A context of a kubeconfig (`None`: `$KUBECONFIG` or `~/.kube/config`; context `None`:
    /// its current context).
    Context {
        kubeconfig: Option<PathBuf>,
        context: Option<String>,
    },
    /// The service account of the pod aksguard runs in.
    InCluster,
}

/// How clusters are read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Objects per list page (`limit`).
    pub chunk_size: u32,
    /// Longest wait for one answer of the API server.
    pub timeout: Duration,
    /// Kinds listed at the same time, per cluster.
    pub concurrency: usize,
    /// Show a progress bar on standard error (only drawn on a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            chunk_size: 500,
            timeout: Duration::from_secs(30),
            concurrency: 4,
            progress: false,
        }
    }
}

/// The contexts of a kubeconfig, in file order (`--all-contexts`).
pub fn contexts(kubeconfig: Option<&Path>) -> Result<Vec<String>, String> {
    let kc = read_kubeconfig(kubeconfig)?;
    Ok(kc.contexts.into_iter().map(|c| c.name).collect())
}

fn read_kubeconfig(path: Option<&Path>) -> Result<Kubeconfig, String> {
    match path {
        Some(p) => Kubeconfig::read_from(p).map_err(|e| format!("{}: {}", p.display(), chain(&e))),
        None => Kubeconfig::read().map_err(|e| {
            format!(
                "no kubeconfig ($KUBECONFIG or ~/.kube/config): {}; use --kubeconfig FILE, or --in-cluster inside a pod",
                chain(&e)
            )
        }),
    }
}

/// An error with its causes (`a: b: c`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Scans every target, side by side; one result per target, in the order given.
pub fn scan(targets: &[Target], opts: &Options, config: &Config) -> Vec<ScanResult> {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("aksguard-api")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return targets
                .iter()
                .map(|t| {
                    failed(
                        t.label(),
                        String::new(),
                        format!("cannot start: {e}"),
                        config,
                    )
                })
                .collect();
        }
    };
    let progress = if opts.progress {
        MultiProgress::with_draw_target(ProgressDrawTarget::stderr())
    } else {
        MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    };
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .iter()
            .map(|t| {
                let (rt, progress) = (&rt, &progress);
                s.spawn(move || scan_one(rt, t, opts, config, progress))
            })
            .collect();
        handles
            .into_iter()
            .zip(targets)
            .map(|(h, t)| {
                h.join().unwrap_or_else(|_| {
                    failed(t.label(), String::new(), "the scan failed".into(), config)
                })
            })
            .collect()
    });
    let _ = progress.clear();
    rt.shutdown_timeout(Duration::from_millis(100));
    results
}

impl Target {
    /// How the target is named before its kubeconfig is read.
    fn label(&self) -> String {
        match self {
            Target::InCluster => "in-cluster".to_string(),
            Target::Context {
                context: Some(c), ..
            } => c.clone(),
            Target::Context { context: None, .. } => "current context".to_string(),
        }
    }
}

/// The result of a cluster that could not be read at all.
fn failed(context: String, server: String, message: String, config: &Config) -> ScanResult {
    let file: Arc<str> = Arc::from(format!("{context}:").as_str());
    let facts = LiveFacts {
        context,
        server,
        reachable: false,
        errors: vec![InputError {
            file,
            line: None,
            message,
        }],
        ..LiveFacts::default()
    };
    engine::scan_batches(std::iter::empty::<Page>(), convert_none, || facts, config)
}

fn convert_none(_: Page) -> Batch {
    Batch::default()
}

/// The kube client configuration of a target, and its context's name.
fn client_config(target: &Target) -> Result<(String, kube::Config), String> {
    match target {
        Target::InCluster => kube::Config::incluster()
            .map(|c| ("in-cluster".to_string(), c))
            .map_err(|e| format!("not running in a pod with a service account: {}", chain(&e))),
        Target::Context {
            kubeconfig,
            context,
        } => {
            let kc = read_kubeconfig(kubeconfig.as_deref())?;
            let name = match context.clone().or_else(|| kc.current_context.clone()) {
                Some(n) => n,
                None => {
                    return Err(
                        "the kubeconfig has no current context; name one with --context".into(),
                    );
                }
            };
            if !kc.contexts.iter().any(|c| c.name == name) {
                let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
                return Err(format!(
                    "no context `{name}` in the kubeconfig (contexts: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
            let options = KubeConfigOptions {
                context: Some(name.clone()),
                cluster: None,
                user: None,
            };
            // Building the configuration is async only for exec plugins' first token.
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(kube::Config::from_custom_kubeconfig(kc, &options))
                .map(|c| (name.clone(), c))
                .map_err(|e| format!("context `{name}`: {}", chain(&e)))
        }
    }
}

/// A page of a list, on its way to the engine.
pub struct Page {
    resource: Arc<Resource>,
    body: Bytes,
}

fn scan_one(
    rt: &tokio::runtime::Runtime,
    target: &Target,
    opts: &Options,
    config: &Config,
    progress: &MultiProgress,
) -> ScanResult {
    let (context, mut kconfig) = match client_config(target) {
        Ok(c) => c,
        Err(e) => return failed(target.label(), String::new(), e, config),
    };
    let server = kconfig.cluster_url.to_string();
    let server = server.trim_end_matches('/').to_string();
    kconfig.connect_timeout = Some(opts.timeout.min(Duration::from_secs(10)));
    kconfig.read_timeout = Some(opts.timeout);
    let bar = progress.add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix}: {msg} ({pos} objects, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(context.clone());
    bar.set_message("connecting");
    bar.enable_steady_tick(Duration::from_millis(120));

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Page>(2);
    let fetcher = Fetcher {
        context: context.clone(),
        server: server.clone(),
        opts: opts.clone(),
        bar: bar.clone(),
        calendar: config
            .aks_calendar
            .clone()
            .unwrap_or_else(|| Arc::new(Calendar::builtin())),
        as_of: config.as_of.unwrap_or_else(Date::today),
    };
    let task = rt.spawn(fetcher.run(kconfig, tx));
    let prefix: Arc<str> = Arc::from(format!("{context}:").as_str());
    let convert = |page: Page| {
        let batch = convert(&prefix, page);
        bar.inc(batch.objects.len() as u64 + batch.skipped);
        batch
    };
    let pages = std::iter::from_fn(move || rx.blocking_recv());
    let result = engine::scan_batches(
        pages,
        convert,
        || {
            rt.block_on(task).unwrap_or_else(|e| LiveFacts {
                context: context.clone(),
                server: server.clone(),
                errors: vec![InputError {
                    file: Arc::from(format!("{context}:").as_str()),
                    line: None,
                    message: format!("the scan of the cluster failed: {e}"),
                }],
                ..LiveFacts::default()
            })
        },
        config,
    );
    bar.finish_and_clear();
    result
}

/// Turns a page of a list into objects: `apiVersion` and `kind` set (list items omit them),
/// server bookkeeping dropped, and objects that a controller made from a template (pods of a
/// ReplicaSet, ReplicaSets of a Deployment, Jobs of a CronJob) left to their owner, whose
/// template the checks judge.
fn convert(prefix: &Arc<str>, page: Page) -> Batch {
    #[derive(Deserialize)]
    struct Items {
        #[serde(default)]
        items: Vec<Value>,
    }
    let res = &page.resource;
    let mut batch = Batch {
        bytes: page.body.len() as u64,
        ..Batch::default()
    };
    let items = match serde_json::from_slice::<Items>(&page.body) {
        Ok(i) => i.items,
        Err(e) => {
            batch.errors.push(InputError {
                file: Arc::from(format!("{prefix}{}/{}", res.group_path(), res.plural).as_str()),
                line: None,
                message: format!("the list is not valid JSON: {e}"),
            });
            return batch;
        }
    };
    for item in items {
        let Value::Object(mut map) = item else {
            continue;
        };
        map.insert("apiVersion".into(), Value::String(res.api_version.clone()));
        map.insert("kind".into(), Value::String(res.kind.clone()));
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            meta.remove("managedFields");
            if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
                // Holds the object as last applied, Secret values included.
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
        }
        if made_by_controller(&res.kind, &map) {
            batch.skipped += 1;
            continue;
        }
        let file = Arc::from(format!("{prefix}{}", object_path(res, &map)).as_str());
        let obj = Object::new(
            map,
            Arc::new(Spans::default()),
            ObjPath::root(),
            Provenance {
                file,
                document: None,
                line: None,
            },
        );
        batch.objects.push(obj);
    }
    batch
}

/// Owners whose pod template the checks judge in place of the objects they create.
const TEMPLATE_OWNERS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

fn made_by_controller(kind: &str, map: &Map<String, Value>) -> bool {
    if !matches!(kind, "Pod" | "ReplicaSet" | "Job") {
        return false;
    }
    let owners = map
        .get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array);
    owners.is_some_and(|os| {
        os.iter().any(|o| {
            o.get("controller").and_then(Value::as_bool) == Some(true)
                && o.get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| TEMPLATE_OWNERS.contains(&k))
        })
    })
}

/// The API path of an object (`/apis/apps/v1/namespaces/shop/deployments/web`).
fn object_path(res: &Resource, map: &Map<String, Value>) -> String {
    let meta = map.get("metadata");
    let s = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
    let name = s("name").unwrap_or("");
    match s("namespace").filter(|_| res.namespaced) {
        Some(ns) => format!("{}/namespaces/{ns}/{}/{name}", res.group_path(), res.plural),
        None => format!("{}/{}/{name}", res.group_path(), res.plural),
    }
}

/// Reads one cluster: discovery, probes and lists.
struct Fetcher {
    context: String,
    server: String,
    opts: Options,
    bar: ProgressBar,
    calendar: Arc<Calendar>,
    as_of: Date,
}

/// The answer to one request: status and body, or why there was none.
type Answer = Result<(StatusCode, Bytes), String>;

async fn get(client: &kube::Client, path: &str, accept: &str, timeout: Duration) -> Answer {
    let req = Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(kube::client::Body::from(Vec::new()))
        .map_err(|e| e.to_string())?;
    let call = async {
        let resp = client.send(req).await.map_err(|e| chain(&e))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| chain(&e))?
            .to_bytes();
        Ok((status, body))
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

/// The `message` of a Kubernetes Status body, or the status line.
fn status_message(status: StatusCode, body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct St {
        message: Option<String>,
    }
    let msg = serde_json::from_slice::<St>(body)
        .ok()
        .and_then(|s| s.message)
        .map(|m| m.trim().replace('\n', " "));
    match msg {
        Some(m) if !m.is_empty() => format!("{status}: {m}"),
        _ => status.to_string(),
    }
}

impl Fetcher {
    fn file(&self, path: &str) -> Arc<str> {
        Arc::from(format!("{}:{path}", self.context).as_str())
    }

    fn server_ref(&self) -> Arc<ObjectRef> {
        Arc::new(ObjectRef {
            api_version: String::new(),
            kind: "APIServer".to_string(),
            namespace: None,
            name: self.context.clone(),
            id: Some(self.server.clone()),
        })
    }

    fn verdict(
        &self,
        control: &'static str,
        status: Status,
        path: &str,
        message: String,
    ) -> LiveVerdict {
        LiveVerdict {
            control,
            status,
            message,
            object: self.server_ref(),
            location: Location {
                file: self.file(path),
                line: None,
                document: None,
                path: None,
            },
        }
    }

    async fn run(self, config: kube::Config, tx: tokio::sync::mpsc::Sender<Page>) -> LiveFacts {
        let mut facts = LiveFacts {
            context: self.context.clone(),
            server: self.server.clone(),
            ..LiveFacts::default()
        };
        let timeout = self.opts.timeout;
        let client = match kube::Client::try_from(config.clone()) {
            Ok(c) => c,
            Err(e) => {
                facts.errors.push(InputError {
                    file: self.file(""),
                    line: None,
                    message: format!("cannot set up a client for {}: {}", self.server, chain(&e)),
                });
                return facts;
            }
        };
        // 1. Is the server there, and who is it?
        self.bar.set_message("GET /version");
        match get(&client, "/version", "application/json", timeout).await {
            Ok((s, body)) if s.is_success() => {
                facts.reachable = true;
                #[derive(Deserialize)]
                struct Version {
                    #[serde(rename = "gitVersion")]
                    git_version: Option<String>,
                }
                facts.version = serde_json::from_slice::<Version>(&body)
                    .ok()
                    .and_then(|v| v.git_version);
            }
            Ok((s, body)) => {
                facts.errors.push(InputError {
                    file: self.file("/version"),
                    line: None,
                    message: format!(
                        "the API server at {} refused the scan: {}",
                        self.server,
                        status_message(s, &body)
                    ),
                });
                return facts;
            }
            Err(e) => {
                facts.errors.push(InputError {
                    file: self.file("/version"),
                    line: None,
                    message: format!("cannot reach the API server at {}: {e}", self.server),
                });
                return facts;
            }
        }
        let vctx = AksCtx {
            calendar: &self.calendar,
            as_of: self.as_of,
        };
        facts.verdicts.push(match &facts.version {
            Some(v) => {
                let (status, message) = live_version_verdict(&vctx, v, "API server: ");
                self.verdict("CP-006", status, "/version", message)
            }
            None => self.verdict(
                "CP-006",
                Status::NotEvaluated,
                "/version",
                "GET /version gave no gitVersion".to_string(),
            ),
        });

        // 2. Probes, discovery and lists, side by side.
        let probes = self.probes(&client, config);
        let this = &self;
        let list_client = client.clone();
        // The lists own the sender: the channel closes (and the engine's stream ends) when the
        // last list is done.
        let lists = async move {
            let client = list_client;
            this.bar.set_message("discovery");
            let plan = discovery::plan(&client, timeout, &this.context).await;
            let total = plan.resources.len();
            let done = AtomicU64::new(0);
            let results: Vec<ListOutcome> = futures::stream::iter(plan.resources)
                .map(|r| {
                    let tx = tx.clone();
                    let client = client.clone();
                    let done = &done;
                    async move {
                        let out = this.list(&client, r, tx).await;
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        this.bar.set_message(format!("listed {n} of {total} kinds"));
                        out
                    }
                })
                .buffer_unordered(this.opts.concurrency.max(1))
                .collect()
                .await;
            (plan.errors, plan.notes, results)
        };
        let (probe_verdicts, (d_errors, d_notes, results)) = futures::join!(probes, lists);
        facts.verdicts.extend(probe_verdicts);
        facts.errors.extend(d_errors);
        facts.notes.extend(d_notes);
        for r in results {
            match r {
                ListOutcome::Done => {}
                ListOutcome::NotServed { path, message } => facts.notes.push(Note {
                    file: self.file(&path),
                    line: None,
                    message,
                }),
                ListOutcome::Unavailable { kind, path, reason } => {
                    facts.errors.push(InputError {
                        file: self.file(&path),
                        line: None,
                        message: format!(
                            "partial scan: cannot list {kind}: {reason}; the controls that read {kind} are not evaluated"
                        ),
                    });
                    facts.unavailable.push((kind, reason));
                }
            }
        }
        facts.unavailable.sort();
        facts
    }

    /// ID-015 (anonymous `GET /api`) and OB-007 (`GET /logs/`).
    async fn probes(&self, client: &kube::Client, config: kube::Config) -> Vec<LiveVerdict> {
        let timeout = self.opts.timeout;
        let mut out = Vec::new();
        // An unauthenticated client: same server and CA, no credentials of any kind.
        let mut anon = config;
        anon.auth_info = Default::default();
        anon.headers.clear();
        let answer = match kube::Client::try_from(anon) {
            Ok(c) => get(&c, "/api", "application/json", timeout).await,
            Err(e) => Err(chain(&e)),
        };
        out.push(match answer {
            Ok((s, _)) if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN => self
                .verdict(
                    "ID-015",
                    Status::Pass,
                    "/api",
                    format!("an unauthenticated GET /api is refused ({s})"),
                ),
            Ok((s, _)) if s.is_success() => self.verdict(
                "ID-015",
                Status::Fail,
                "/api",
                format!(
                    "an unauthenticated GET /api is answered ({s}): anonymous requests reach the API beyond the health endpoints"
                ),
            ),
            Ok((s, body)) => self.verdict(
                "ID-015",
                Status::NotEvaluated,
                "/api",
                format!(
                    "an unauthenticated GET /api got {}, neither a refusal nor an answer",
                    status_message(s, &body)
                ),
            ),
            Err(e) => self.verdict(
                "ID-015",
                Status::NotEvaluated,
                "/api",
                format!("the unauthenticated GET /api failed: {e}"),
            ),
        });
        // The logs handler serves any media type; a server without it answers 404.
        let answer = get(client, "/logs/", "*/*", timeout).await;
        out.push(match answer {
            Ok((s, _)) if s.is_success() => self.verdict(
                "OB-007",
                Status::Fail,
                "/logs/",
                format!("GET /logs/ returns content ({s}): the API server serves its host's log files"),
            ),
            Ok((s, _)) if s == StatusCode::NOT_ACCEPTABLE => self.verdict(
                "OB-007",
                Status::Fail,
                "/logs/",
                "GET /logs/ answers 406 Not Acceptable: the logs handler is registered (a server with --enable-logs-handler=false answers 404)".to_string(),
            ),
            Ok((s, _)) if s == StatusCode::NOT_FOUND => self.verdict(
                "OB-007",
                Status::Pass,
                "/logs/",
                "GET /logs/ answers 404 Not Found: the logs handler is disabled".to_string(),
            ),
            Ok((s, body)) if s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED => self
                .verdict(
                    "OB-007",
                    Status::NotEvaluated,
                    "/logs/",
                    format!(
                        "GET /logs/ is refused for the scanning identity ({}), so whether the handler is enabled is unknown; grant it get on nonResourceURLs /logs/ (deploy/aksguard-reader.yaml does)",
                        status_message(s, &body)
                    ),
                ),
            Ok((s, body)) => self.verdict(
                "OB-007",
                Status::NotEvaluated,
                "/logs/",
                format!("GET /logs/ got {}", status_message(s, &body)),
            ),
            Err(e) => self.verdict(
                "OB-007",
                Status::NotEvaluated,
                "/logs/",
                format!("GET /logs/ failed: {e}"),
            ),
        });
        out
    }

    /// Lists one resource page by page, sending each page to the engine.
    async fn list(
        &self,
        client: &kube::Client,
        res: Arc<Resource>,
        tx: tokio::sync::mpsc::Sender<Page>,
    ) -> ListOutcome {
        #[derive(Deserialize, Default)]
        struct ListMeta {
            #[serde(rename = "continue")]
            next: Option<String>,
        }
        #[derive(Deserialize)]
        struct Head {
            #[serde(default)]
            metadata: ListMeta,
        }
        let base = format!("{}/{}", res.group_path(), res.plural);
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("{base}?limit={}", self.opts.chunk_size);
            if let Some(t) = &token {
                path.push_str("&continue=");
                path.push_str(&encode_query(t));
            }
            let (status, body) =
                match get(client, &path, "application/json", self.opts.timeout).await {
                    Ok(a) => a,
                    Err(e) => {
                        return ListOutcome::Unavailable {
                            kind: res.kind.clone(),
                            path: base,
                            reason: e,
                        };
                    }
                };
            if status == StatusCode::NOT_FOUND && token.is_none() {
                return ListOutcome::NotServed {
                    path: base,
                    message: format!(
                        "{} is in discovery but its list answered 404 Not Found; treated as not served",
                        res.kind
                    ),
                };
            }
            if !status.is_success() {
                let reason = if status == StatusCode::GONE {
                    "the list changed faster than it could be paged (410 Gone); scan again"
                        .to_string()
                } else if status == StatusCode::FORBIDDEN {
                    format!("forbidden ({})", status_message(status, &body))
                } else {
                    status_message(status, &body)
                };
                return ListOutcome::Unavailable {
                    kind: res.kind.clone(),
                    path: base,
                    reason,
                };
            }
            let next = match serde_json::from_slice::<Head>(&body) {
                Ok(h) => h.metadata.next.filter(|t| !t.is_empty()),
                Err(e) => {
                    return ListOutcome::Unavailable {
                        kind: res.kind.clone(),
                        path: base,
                        reason: format!("the answer is not a JSON list: {e}"),
                    };
                }
            };
            if tx
                .send(Page {
                    resource: res.clone(),
                    body,
                })
                .await
                .is_err()
            {
                return ListOutcome::Done;
            }
            match next {
                Some(t) => token = Some(t),
                None => return ListOutcome::Done,
            }
        }
    }
}

enum ListOutcome {
    Done,
    NotServed {
        path: String,
        message: String,
    },
    Unavailable {
        kind: String,
        path: String,
        reason: String,
    },
}

/// Percent-encodes a query value (continue tokens are base64, which has `+`, `/` and `=`).
fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(encode_query("eyJ2Ijo_-"), "eyJ2Ijo_-");
        assert_eq!(encode_query("a+b/c="), "a%2Bb%2Fc%3D");
    }

    #[test]
    fn controller_made_objects_are_left_to_their_owner() {
        let owned = serde_json::json!({"metadata": {"ownerReferences": [
            {"kind": "ReplicaSet", "name": "web-1", "controller": true}]}});
        let static_pod = serde_json::json!({"metadata": {"ownerReferences": [
            {"kind": "Node", "name": "n1", "controller": true}]}});
        let Value::Object(owned) = owned else {
            panic!()
        };
        let Value::Object(static_pod) = static_pod else {
            panic!()
        };
        assert!(made_by_controller("Pod", &owned));
        assert!(!made_by_controller("Pod", &static_pod));
        assert!(!made_by_controller("Deployment", &owned));
    }
}
