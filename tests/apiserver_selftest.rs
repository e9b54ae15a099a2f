//! Tests of the fake kube-apiserver itself (tests/common/apiserver.rs), with a minimal HTTPS
//! client (rustls from tokio-rustls, synchronous) that trusts only the server's CA. They do not
//! run aksguard.

#[path = "common/apiserver.rs"]
mod apiserver;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apiserver::{FakeApiServer, Options, Source};
use serde_json::{Value, json};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

fn recording() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apiserver/v1.28-400-objects")
}

fn fixture(file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(recording().join(file)).unwrap()).unwrap()
}

fn tokens() -> Options {
    Options {
        tokens: vec![
            ("admin-token".into(), "admin".into()),
            ("lowpriv-token".into(), "lowpriv".into()),
        ],
        ..Options::default()
    }
}

/// An HTTP response: status, header block (lower-cased) and body.
struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        })
    }
}

/// `GET path` on the server at 127.0.0.1.
fn get(server: &FakeApiServer, path: &str, token: Option<&str>) -> Reply {
    get_from(server, "127.0.0.1", path, token)
}

/// `GET path` over TLS verified for `server_name`, trusting only `server.ca_pem` (rustls of
/// tokio-rustls, used synchronously: one request, `Connection: close`).
fn get_from(server: &FakeApiServer, server_name: &str, path: &str, token: Option<&str>) -> Reply {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(server.ca_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from(server_name.to_string()).unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let address = server.url.strip_prefix("https://").unwrap();
    let tcp = TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\n{auth}Connection: close\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).unwrap();
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    let mut raw = Vec::new();
    // The server closes the connection after the response (with close_notify or not).
    let _ = tls.read_to_end(&mut raw);
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the headers");
    let headers = String::from_utf8(raw[..split].to_vec())
        .unwrap()
        .to_ascii_lowercase();
    let status = headers.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if headers.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    } else {
        let length: usize = header(&headers, "content-length")
            .expect("content-length")
            .parse()
            .unwrap();
        assert_eq!(body.len(), length, "body length");
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        (n.trim() == name).then(|| v.trim())
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = std::str::from_utf8(&data[..line]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line + 2..line + 2 + size]);
        data = &data[line + 2 + size + 2..];
    }
}

#[test]
fn recording_serves_discovery() {
    let server = FakeApiServer::start(Source::Recording(recording()), tokens());
    assert!(server.url.starts_with("https://127.0.0.1:"));
    for (path, file) in [
        ("/version", "000.json"),
        ("/api", "001.json"),
        ("/apis", "002.json"),
    ] {
        let reply = get(&server, path, Some("admin-token"));
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            header(&reply.headers, "content-type"),
            Some("application/json")
        );
        assert_eq!(reply.json(), fixture(file), "{path}");
    }
    let reply = get(&server, "/apis/apps/v1", Some("lowpriv-token"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["groupVersion"], "apps/v1");
    // Recorded non-200 answers keep their status.
    let reply = get(&server, "/logs/", Some("admin-token"));
    assert_eq!(reply.status, 406);
    assert_eq!(reply.json()["reason"], "NotAcceptable");
    // The certificate is valid for localhost too.
    assert_eq!(
        get_from(&server, "localhost", "/version", Some("admin-token")).status,
        200
    );
}

#[test]
fn unauthenticated_requests_get_401() {
    let server = FakeApiServer::start(Source::Recording(recording()), tokens());
    let expected = json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
        "message":"Unauthorized","reason":"Unauthorized","code":401});
    for token in [None, Some("wrong-token")] {
        let reply = get(&server, "/version", token);
        assert_eq!(reply.status, 401, "{token:?}");
        assert_eq!(reply.json(), expected);
    }
    assert_eq!(
        server.requests(),
        vec![
            ("anonymous".to_string(), "/version".to_string()),
            ("anonymous".to_string(), "/version".to_string()),
        ]
    );
}

#[test]
fn anonymous_identity_is_used_without_a_token() {
    let options = Options {
        anonymous: Some("lowpriv".into()),
        ..Options::default()
    };
    let server = FakeApiServer::start(Source::Recording(recording()), options);
    let reply = get(&server, "/api/v1/secrets?limit=50", None);
    assert_eq!(reply.status, 403);
    assert_eq!(get(&server, "/version", Some("unknown")).status, 401);
    assert_eq!(server.requests()[0].0, "lowpriv");
}

#[test]
fn lowpriv_forbidden_as_recorded_else_admin_answers() {
    let server = FakeApiServer::start(Source::Recording(recording()), tokens());
    let reply = get(&server, "/api/v1/secrets?limit=50", Some("lowpriv-token"));
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json(), fixture("051.json"));
    assert_eq!(
        reply.body,
        std::fs::read(recording().join("051.json")).unwrap(),
        "the recorded bytes"
    );

    let reply = get(&server, "/api/v1/secrets?limit=50", Some("admin-token"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), fixture("029.json"));

    let reply = get(&server, "/api/v1/services?limit=50", Some("lowpriv-token"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), fixture("025.json"));
    let token = reply.json()["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = get(
        &server,
        &format!("/api/v1/services?limit=50&continue={token}"),
        Some("lowpriv-token"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), fixture("026.json"));
    // kube-rs sends `?&limit=50`; parameter order does not matter either.
    let reply = get(
        &server,
        &format!("/api/v1/services?&continue={token}&limit=50"),
        Some("lowpriv-token"),
    );
    assert_eq!(reply.json(), fixture("026.json"));
    let reply = get(&server, "/api/v1/secrets?&limit=50", Some("lowpriv-token"));
    assert_eq!(reply.status, 403);

    assert_eq!(
        server.requests(),
        vec![
            (
                "lowpriv".to_string(),
                "/api/v1/secrets?limit=50".to_string()
            ),
            ("admin".to_string(), "/api/v1/secrets?limit=50".to_string()),
            (
                "lowpriv".to_string(),
                "/api/v1/services?limit=50".to_string()
            ),
            (
                "lowpriv".to_string(),
                format!("/api/v1/services?limit=50&continue={token}")
            ),
            (
                "lowpriv".to_string(),
                format!("/api/v1/services?&continue={token}&limit=50")
            ),
            (
                "lowpriv".to_string(),
                "/api/v1/secrets?&limit=50".to_string()
            ),
        ]
    );
}

#[test]
fn unknown_paths_get_404() {
    let server = FakeApiServer::start(Source::Recording(recording()), tokens());
    // Not recorded: another path, or a recorded path with another query.
    for path in [
        "/apis/example.com/v1/widgets",
        "/api/v1/services",
        "/api/v1/pods?limit=7",
    ] {
        let reply = get(&server, path, Some("admin-token"));
        assert_eq!(reply.status, 404, "{path}");
        let status = reply.json();
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "NotFound");
        assert_eq!(
            status["message"],
            "the server could not find the requested resource"
        );
        assert_eq!(status["code"], 404);
    }
}

#[test]
fn delay_holds_every_response() {
    let options = Options {
        delay: Duration::from_millis(300),
        ..tokens()
    };
    let server = FakeApiServer::start(Source::Recording(recording()), options);
    let started = Instant::now();
    assert_eq!(get(&server, "/version", Some("admin-token")).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

fn config_map(n: usize, namespace: Option<&str>) -> Value {
    let mut object = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": format!("cm-{n}")},
        "data": {"n": n.to_string()},
    });
    if let Some(namespace) = namespace {
        object["metadata"]["namespace"] = json!(namespace);
    }
    object
}

fn synthetic() -> FakeApiServer {
    let mut objects: Vec<Value> = (0..7)
        .map(|n| config_map(n, (n.is_multiple_of(2)).then_some("team-a")))
        .collect();
    objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}));
    objects.push(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "team-a"}, "spec": {}}),
    );
    objects.push(
        json!({"apiVersion": "example.com/v1", "kind": "WidgetPolicy",
        "metadata": {"name": "w"}}),
    );
    FakeApiServer::start(
        Source::Synthetic {
            discovery: recording(),
            objects,
        },
        tokens(),
    )
}

#[test]
fn synthetic_lists_paginate() {
    let server = synthetic();
    let mut names = Vec::new();
    let mut path = "/api/v1/configmaps?limit=3".to_string();
    let mut pages = 0;
    loop {
        let reply = get(&server, &path, Some("admin-token"));
        assert_eq!(reply.status, 200, "{path}");
        let list = reply.json();
        pages += 1;
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(list["apiVersion"], "v1");
        assert_eq!(list["metadata"]["resourceVersion"], "1");
        let items = list["items"].as_array().unwrap();
        for item in items {
            assert!(
                item.get("kind").is_none() && item.get("apiVersion").is_none(),
                "{item}"
            );
            let n: usize = item["data"]["n"].as_str().unwrap().parse().unwrap();
            let namespace = if n.is_multiple_of(2) {
                "team-a"
            } else {
                "default"
            };
            assert_eq!(item["metadata"]["namespace"], namespace, "{item}");
            names.push(item["metadata"]["name"].as_str().unwrap().to_string());
        }
        match list["metadata"]["continue"].as_str() {
            Some(token) => {
                assert_eq!(items.len(), 3);
                path = format!("/api/v1/configmaps?limit=3&continue={token}");
            }
            None => {
                assert_eq!(items.len(), 1);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|n| format!("cm-{n}")).collect();
    assert_eq!(names, expected);

    // Without a limit, everything at once.
    let list = get(&server, "/api/v1/configmaps", Some("admin-token")).json();
    assert_eq!(list["items"].as_array().unwrap().len(), 7);
    assert!(list["metadata"].get("continue").is_none());
    // The request log.
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|(who, _)| who == "admin"));
    assert_eq!(requests[0].1, "/api/v1/configmaps?limit=3");
}

#[test]
fn synthetic_kinds_scopes_and_discovery() {
    let server = synthetic();
    // Cluster-scoped kinds get no namespace; plural and list kind from discovery.
    let list = get(&server, "/api/v1/namespaces?limit=500", Some("admin-token")).json();
    assert_eq!(list["kind"], "NamespaceList");
    assert_eq!(list["items"][0]["metadata"], json!({"name": "team-a"}));
    let list = get(
        &server,
        "/apis/networking.k8s.io/v1/networkpolicies",
        Some("lowpriv-token"),
    )
    .json();
    assert_eq!(list["kind"], "NetworkPolicyList");
    assert_eq!(list["apiVersion"], "networking.k8s.io/v1");
    assert_eq!(list["items"][0]["metadata"]["name"], "deny");
    // A kind discovery lacks: the Kubernetes plural.
    let list = get(
        &server,
        "/apis/example.com/v1/widgetpolicies",
        Some("admin-token"),
    )
    .json();
    assert_eq!(list["kind"], "WidgetPolicyList");
    assert_eq!(list["items"][0]["metadata"], json!({"name": "w"}));
    // A listable resource without objects: an empty list.
    let reply = get(
        &server,
        "/apis/apps/v1/deployments?limit=50",
        Some("admin-token"),
    );
    assert_eq!(reply.status, 200);
    let list = reply.json();
    assert_eq!(list["kind"], "DeploymentList");
    assert_eq!(list["items"], json!([]));
    // Discovery from the recording; unknown paths 404; no credentials 401.
    let reply = get(&server, "/apis/apps/v1", Some("admin-token"));
    assert_eq!(reply.json(), fixture("005.json"));
    assert_eq!(
        get(&server, "/version", Some("admin-token")).json(),
        fixture("000.json")
    );
    assert_eq!(get(&server, "/logs/", Some("admin-token")).status, 406);
    let reply = get(
        &server,
        "/api/v1/namespaces/team-a/configmaps",
        Some("admin-token"),
    );
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["reason"], "NotFound");
    assert_eq!(get(&server, "/api/v1/configmaps", None).status, 401);
}

#[test]
fn synthetic_rejects_malformed_continue() {
    let server = synthetic();
    for token in ["not*base64", "eHl6", "OTk5"] {
        // "eHl6" is "xyz", "OTk5" is "999" (past the end)
        let reply = get(
            &server,
            &format!("/api/v1/configmaps?limit=3&continue={token}"),
            Some("admin-token"),
        );
        assert!(
            matches!(reply.status, 400 | 410),
            "{token}: {}",
            reply.status
        );
        let status = reply.json();
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["status"], "Failure");
    }
}

#[test]
fn synthetic_streams_large_lists() {
    let objects: Vec<Value> = (0..5000).map(|n| config_map(n, Some("bulk"))).collect();
    let server = FakeApiServer::start(
        Source::Synthetic {
            discovery: recording(),
            objects,
        },
        tokens(),
    );
    let list = get(&server, "/api/v1/configmaps", Some("admin-token")).json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5000);
    assert_eq!(items[4999]["metadata"]["name"], "cm-4999");
}

#[test]
fn kubeconfig_points_at_the_server() {
    let server = FakeApiServer::start(Source::Recording(recording()), tokens());
    let ca = base64_encode(server.ca_pem.as_bytes());
    let text = server.kubeconfig("fake", Some("admin-token"));
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for line in [
        "apiVersion: v1".to_string(),
        "kind: Config".to_string(),
        format!("server: {}", server.url),
        format!("certificate-authority-data: {ca}"),
        "token: \"admin-token\"".to_string(),
        "current-context: \"fake\"".to_string(),
        "- name: \"fake\"".to_string(),
    ] {
        assert!(lines.contains(&line.as_str()), "{line} in\n{text}");
    }
    assert!(server.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let text = server.kubeconfig("fake", None);
    assert!(!text.contains("token"), "{text}");
    assert!(text.contains("user: {}"), "{text}");
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
