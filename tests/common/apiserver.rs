//! A fake kube-apiserver for the live-cluster tests and the benchmark.
//!
//! [`FakeApiServer::start`] serves HTTPS (HTTP/1.1) on `127.0.0.1` on an ephemeral port, from its
//! own thread and tokio runtime, so synchronous tests can point a child process at it through
//! [`FakeApiServer::kubeconfig`]. The certificate is issued by a fresh CA ([`FakeApiServer::ca_pem`])
//! for `127.0.0.1` and `localhost`. Dropping the server stops it.
//!
//! Two sources of answers ([`Source`]):
//! - a recording (`tests/fixtures/apiserver/*/index.json` and its files), replayed exactly per
//!   identity, method, path and query (parameters in any order, empty ones ignored); an identity
//!   without a recording of a request gets the `admin` recording;
//! - synthetic lists of given objects (paginated with `limit` and `continue`), with discovery
//!   from a recording.
//!
//! Include it from an integration test with `#[path = "common/apiserver.rs"] mod apiserver;`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::{Request, Response};
use serde_json::Value;
use tokio_rustls::rustls;

/// A running fake kube-apiserver; dropping it stops the server.
pub struct FakeApiServer {
    /// `https://127.0.0.1:PORT`
    pub url: String,
    /// PEM of the CA that issued the server certificate (the only certificate to trust).
    pub ca_pem: String,
    log: Arc<Mutex<Vec<(String, String)>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Authentication and timing of a [`FakeApiServer`]; `Options::default()` has no tokens, no
/// anonymous access and no delay.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// bearer token -> identity ("admin", "lowpriv", ...)
    pub tokens: Vec<(String, String)>,
    /// identity used for requests without an Authorization header; None => 401 Unauthorized
    pub anonymous: Option<String>,
    /// artificial delay before every response (to test timeouts), default zero
    pub delay: Duration,
}

impl Options {
    /// Options accepting `token` as `identity`, e.g. `Options::token("t0k3n", "admin")`.
    pub fn token(token: &str, identity: &str) -> Options {
        Options {
            tokens: vec![(token.to_string(), identity.to_string())],
            ..Options::default()
        }
    }
}

/// Where the answers come from.
pub enum Source {
    /// serve index.json + files of a recording directory
    ///
    /// Queries match whatever the order of their parameters, ignoring empty ones (`?&limit=50`
    /// of kube-rs matches a recorded `?limit=50`); anything not recorded gets 404.
    Recording(PathBuf),
    /// discovery answers (/version, /api, /apis, /api/v1, /apis/G/V, /logs/) from a recording
    /// directory, but every LIST answered from these objects, paginated
    ///
    /// Each object needs `apiVersion` and `kind`; its list path and scope come from the
    /// discovery documents (or, for kinds they lack, from the Kubernetes plural of the kind and
    /// whether the object has a namespace). Lists are cluster-wide only
    /// (`GET /api/v1/<plural>`, `GET /apis/<group>/<version>/<plural>`), items in the given order.
    Synthetic {
        discovery: PathBuf,
        objects: Vec<Value>,
    },
}

impl FakeApiServer {
    /// Loads `source`, binds 127.0.0.1:0 and serves until dropped. Panics on a bad source.
    pub fn start(source: Source, options: Options) -> FakeApiServer {
        let routes = match source {
            Source::Recording(dir) => Routes::Recording(load_recording(&dir)),
            Source::Synthetic { discovery, objects } => {
                Routes::Synthetic(Synthetic::new(&discovery, objects))
            }
        };
        let (ca_pem, tls) = tls_config();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let url = format!("https://{}", listener.local_addr().expect("local address"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            routes,
            tokens: options.tokens.into_iter().collect(),
            anonymous: options.anonymous,
            delay: options.delay,
            log: Arc::clone(&log),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fake-apiserver".into())
            .spawn(move || serve(listener, tls, state, stop))
            .expect("spawn the fake apiserver thread");
        FakeApiServer {
            url,
            ca_pem,
            log,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// A complete kubeconfig (YAML) with one cluster (this server, trusting [`Self::ca_pem`]),
    /// one user (bearer `token`, or no credentials) and one context `context`, the current one.
    pub fn kubeconfig(&self, context: &str, token: Option<&str>) -> String {
        let name = quote(context);
        let user = match token {
            Some(token) => format!("\n    token: {}", quote(token)),
            None => " {}".to_string(),
        };
        format!(
            "apiVersion: v1\n\
             kind: Config\n\
             clusters:\n\
             - name: {name}\n  \
               cluster:\n    \
                 server: {url}\n    \
                 certificate-authority-data: {ca}\n\
             users:\n\
             - name: {name}\n  \
               user:{user}\n\
             contexts:\n\
             - name: {name}\n  \
               context:\n    \
                 cluster: {name}\n    \
                 user: {name}\n\
             current-context: {name}\n\
             preferences: {{}}\n",
            url = self.url,
            ca = STANDARD.encode(&self.ca_pem),
        )
    }

    /// Every request so far, in order: (identity, path with query). The identity is the one the
    /// request was served as, or "anonymous" when it was not authenticated (401).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Sources

/// A recorded answer: status and body.
type Answer = (u16, Bytes);

enum Routes {
    /// (identity, method, path with query) -> answer
    Recording(HashMap<(String, String, String), Answer>),
    Synthetic(Synthetic),
}

/// One entry of a recording's index.json.
struct Entry {
    method: String,
    path: String,
    identity: String,
    status: u16,
    file: String,
}

fn read_index(dir: &Path) -> Vec<Entry> {
    let index = dir.join("index.json");
    let text =
        std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("read {}: {e}", index.display()));
    let entries: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", index.display()));
    entries
        .iter()
        .map(|e| {
            let field = |name: &str| {
                e[name]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: entry without {name}: {e}", index.display()))
                    .to_string()
            };
            Entry {
                method: field("method"),
                path: field("path"),
                identity: field("as"),
                status: e["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or_else(|| panic!("{}: bad status in {e}", index.display())),
                file: field("file"),
            }
        })
        .collect()
}

fn read_body(dir: &Path, file: &str) -> Bytes {
    let path = dir.join(file);
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

fn load_recording(dir: &Path) -> HashMap<(String, String, String), Answer> {
    read_index(dir)
        .into_iter()
        .map(|e| {
            let body = read_body(dir, &e.file);
            ((e.identity, e.method, normalize(&e.path)), (e.status, body))
        })
        .collect()
}

/// `path?query` with the query parameters sorted and empty ones dropped, so that requests match
/// recordings whatever the client's parameter order (kube-rs sends `?&limit=50`, kubectl
/// `?limit=50`). Values are compared as sent (not percent-decoded).
fn normalize(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_string();
    };
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if params.is_empty() {
        return path.to_string();
    }
    params.sort_unstable();
    format!("{path}?{}", params.join("&"))
}

/// Synthetic lists plus a recording's discovery documents.
struct Synthetic {
    /// GET path (without query) -> answer: the admin recordings without a query.
    discovery: HashMap<String, Answer>,
    /// list path (`/api/v1/pods`) -> its objects
    lists: HashMap<String, Arc<List>>,
}

/// The objects of one resource, each serialized without `apiVersion` and `kind`.
struct List {
    /// `v1`, `apps/v1`
    api_version: String,
    /// `PodList`
    list_kind: String,
    items: Vec<String>,
}

/// A resource of the discovery documents: its list path and scope.
struct Resource {
    path: String,
    namespaced: bool,
}

impl Synthetic {
    fn new(dir: &Path, objects: Vec<Value>) -> Synthetic {
        let mut discovery = HashMap::new();
        let mut resources: HashMap<(String, String), Resource> = HashMap::new();
        let mut lists: HashMap<String, List> = HashMap::new();
        for e in read_index(dir) {
            if e.identity != "admin" || e.method != "GET" || e.path.contains('?') {
                continue;
            }
            let body = read_body(dir, &e.file);
            if e.status == 200 {
                register_resources(&body, &mut resources, &mut lists);
            }
            discovery.insert(e.path, (e.status, body));
        }
        for (n, mut object) in objects.into_iter().enumerate() {
            let map = object
                .as_object_mut()
                .unwrap_or_else(|| panic!("object {n} is not a JSON object"));
            let mut take = |field: &str| match map.remove(field) {
                Some(Value::String(s)) => s,
                _ => panic!("object {n} has no {field}"),
            };
            let api_version = take("apiVersion");
            let kind = take("kind");
            let key = (api_version, kind);
            let resource = resources.entry(key.clone()).or_insert_with(|| {
                let (api_version, kind) = &key;
                let root = if api_version.contains('/') {
                    "apis"
                } else {
                    "api"
                };
                Resource {
                    path: format!("/{root}/{api_version}/{}", plural(kind)),
                    namespaced: map
                        .get("metadata")
                        .and_then(|m| m.get("namespace"))
                        .is_some(),
                }
            });
            if resource.namespaced {
                let metadata = map
                    .entry("metadata")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(metadata) = metadata.as_object_mut() {
                    metadata
                        .entry("namespace")
                        .or_insert_with(|| Value::String("default".into()));
                }
            }
            let list = lists.entry(resource.path.clone()).or_insert_with(|| List {
                api_version: key.0.clone(),
                list_kind: format!("{}List", key.1),
                items: Vec::new(),
            });
            list.items.push(serde_json::to_string(&object).unwrap());
        }
        Synthetic {
            discovery,
            lists: lists.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
        }
    }
}

/// Records the listable resources of a discovery document (`/api/v1`, `/apis/G/V`), if it is one.
fn register_resources(
    body: &[u8],
    resources: &mut HashMap<(String, String), Resource>,
    lists: &mut HashMap<String, List>,
) {
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let (Some("APIResourceList"), Some(group_version)) =
        (doc["kind"].as_str(), doc["groupVersion"].as_str())
    else {
        return;
    };
    let root = if group_version.contains('/') {
        "apis"
    } else {
        "api"
    };
    for r in doc["resources"].as_array().into_iter().flatten() {
        let (Some(name), Some(kind)) = (r["name"].as_str(), r["kind"].as_str()) else {
            continue;
        };
        let listable = r["verbs"]
            .as_array()
            .is_some_and(|v| v.iter().any(|v| v == "list"));
        if name.contains('/') || !listable {
            continue;
        }
        let path = format!("/{root}/{group_version}/{name}");
        lists.entry(path.clone()).or_insert_with(|| List {
            api_version: group_version.to_string(),
            list_kind: format!("{kind}List"),
            items: Vec::new(),
        });
        resources
            .entry((group_version.to_string(), kind.to_string()))
            .or_insert(Resource {
                path,
                namespaced: r["namespaced"].as_bool().unwrap_or(false),
            });
    }
}

/// The resource name Kubernetes gives a kind (for kinds the discovery documents lack).
fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        return lower;
    }
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with(['s', 'x', 'z']) || lower.ends_with("ch") || lower.ends_with("sh") {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

// ---------------------------------------------------------------------------------------------
// Serving

struct State {
    routes: Routes,
    tokens: HashMap<String, String>,
    anonymous: Option<String>,
    delay: Duration,
    log: Arc<Mutex<Vec<(String, String)>>>,
}

type ResponseBody = BoxBody<Bytes, Infallible>;

fn serve(
    listener: std::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: Arc<State>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fake-apiserver-worker")
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        loop {
            let (tcp, _) = tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(_) => continue,
                },
            };
            let acceptor = acceptor.clone();
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                // A client that rejects the certificate or hangs up is not the server's problem.
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(handle(&state, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    // Dropping the runtime cancels the connections still open.
}

async fn handle(state: &State, request: Request<Incoming>) -> Response<ResponseBody> {
    let method = request.method().as_str().to_string();
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let identity = authenticate(state, &request);
    let logged = identity.clone().unwrap_or_else(|| "anonymous".to_string());
    state.log.lock().unwrap().push((logged, target.clone()));
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let Some(identity) = identity else {
        return full(
            401,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#.into(),
        );
    };
    match &state.routes {
        Routes::Recording(answers) => {
            let target = normalize(&target);
            let key = |who: &str| (who.to_string(), method.clone(), target.clone());
            match answers
                .get(&key(&identity))
                .or_else(|| answers.get(&key("admin")))
            {
                Some((status, body)) => full(*status, body.clone()),
                None => not_found(),
            }
        }
        Routes::Synthetic(synthetic) => {
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            if method == "GET"
                && let Some(list) = synthetic.lists.get(path)
            {
                return list_page(list, query);
            }
            match synthetic.discovery.get(path) {
                Some((status, body)) if method == "GET" => full(*status, body.clone()),
                _ => not_found(),
            }
        }
    }
}

/// The identity of a request, or None for 401.
fn authenticate(state: &State, request: &Request<Incoming>) -> Option<String> {
    match request.headers().get(hyper::header::AUTHORIZATION) {
        None => state.anonymous.clone(),
        Some(value) => {
            let token = value.to_str().ok()?.strip_prefix("Bearer ")?.trim();
            state.tokens.get(token).cloned()
        }
    }
}

fn full(status: u16, body: Bytes) -> Response<ResponseBody> {
    respond(status, Full::new(body).boxed())
}

fn respond(status: u16, body: ResponseBody) -> Response<ResponseBody> {
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap()
}

/// A Kubernetes Status (failure) body.
fn status_body(code: u16, reason: &str, message: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":{},"reason":"{reason}","details":{{}},"code":{code}}}"#,
        quote(message)
    ))
}

fn not_found() -> Response<ResponseBody> {
    full(
        404,
        status_body(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    )
}

/// One page of `list`, per the `limit` and `continue` parameters of `query`.
fn list_page(list: &Arc<List>, query: &str) -> Response<ResponseBody> {
    let mut limit = 0usize;
    let mut start = 0usize;
    for (name, value) in query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
    {
        let value = percent_decode(value);
        match name {
            "limit" => limit = value.parse().unwrap_or(0),
            "continue" if !value.is_empty() => match decode_continue(&value) {
                Some(offset) if offset <= list.items.len() => start = offset,
                _ => {
                    let message = format!("continue key is not valid: {value:?}");
                    return full(400, status_body(400, "BadRequest", &message));
                }
            },
            _ => {}
        }
    }
    let end = if limit == 0 {
        list.items.len()
    } else {
        start.saturating_add(limit).min(list.items.len())
    };
    let mut head = format!(
        r#"{{"kind":{},"apiVersion":{},"metadata":{{"resourceVersion":"1""#,
        quote(&list.list_kind),
        quote(&list.api_version)
    );
    if end < list.items.len() {
        head += &format!(r#","continue":"{}""#, encode_continue(end));
    }
    head += r#"},"items":["#;
    respond(
        200,
        PageBody::new(Arc::clone(list), head, start, end).boxed(),
    )
}

/// The continue token of the page starting at `offset`.
fn encode_continue(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(offset.to_string())
}

fn decode_continue(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The body of a list page, rendered chunk by chunk from the serialized items.
struct PageBody {
    list: Arc<List>,
    head: Option<Bytes>,
    start: usize,
    next: usize,
    end: usize,
    tail: Option<Bytes>,
    remaining: u64,
}

impl PageBody {
    /// Bytes per frame (a few items, unless one is bigger).
    const CHUNK: usize = 64 * 1024;

    fn new(list: Arc<List>, head: String, start: usize, end: usize) -> PageBody {
        let tail = "]}";
        let items: usize = list.items[start..end].iter().map(|i| i.len() + 1).sum();
        let remaining = (head.len() + items.saturating_sub(1) + tail.len()) as u64;
        PageBody {
            list,
            head: Some(Bytes::from(head)),
            start,
            next: start,
            end,
            tail: Some(Bytes::from_static(tail.as_bytes())),
            remaining,
        }
    }
}

impl Body for PageBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let chunk = if let Some(head) = this.head.take() {
            head
        } else if this.next < this.end {
            let mut buf = Vec::with_capacity(Self::CHUNK);
            while this.next < this.end && buf.len() < Self::CHUNK {
                if this.next > this.start {
                    buf.push(b',');
                }
                buf.extend_from_slice(this.list.items[this.next].as_bytes());
                this.next += 1;
            }
            Bytes::from(buf)
        } else if let Some(tail) = this.tail.take() {
            tail
        } else {
            return Poll::Ready(None);
        };
        this.remaining -= chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

// ---------------------------------------------------------------------------------------------
// TLS

/// A fresh CA (returned as PEM) and a server configuration with a certificate it issued for
/// `127.0.0.1` and `localhost`.
fn tls_config() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "aksguard fake apiserver CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("self-sign the CA");
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().expect("server key");
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&key, &issuer)
        .expect("issue the server certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca_cert.pem(), Arc::new(config))
}
