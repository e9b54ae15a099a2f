//! Runs the fake kube-apiserver of the tests (tests/common/apiserver.rs) for the benchmark and
//! manual use.
//!
//! ```text
//! cargo run --release --example fake_apiserver -- \
//!     --recording tests/fixtures/apiserver/v1.28-400-objects \
//!     --token admin-token=admin --token lowpriv-token=lowpriv --kubeconfig /tmp/fake.kubeconfig
//! cargo run --release --example fake_apiserver -- \
//!     --synthetic tests/fixtures/apiserver/v1.28-400-objects --objects objects.json \
//!     --token t=admin --kubeconfig /tmp/fake.kubeconfig --until-stdin-closes
//! ```
//!
//! Prints the URL on stdout once serving, then serves until killed (or until stdin closes).

#[path = "../tests/common/apiserver.rs"]
mod apiserver;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use apiserver::{FakeApiServer, Options, Source};
use clap::Parser;

/// A fake kube-apiserver on 127.0.0.1 (HTTPS, bearer tokens), from a recording or synthetic
/// objects.
#[derive(Parser)]
struct Args {
    /// Serve a recording directory (index.json and its files).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "synthetic",
        required_unless_present = "synthetic"
    )]
    recording: Option<PathBuf>,
    /// Serve discovery from this recording directory and every list from --objects.
    #[arg(long, value_name = "DIR", requires = "objects")]
    synthetic: Option<PathBuf>,
    /// JSON array of objects, or an object with `items` (`kind: List`), or a YAML stream
    /// (`.yaml`, `.yml`).
    #[arg(long, value_name = "FILE.json", requires = "synthetic")]
    objects: Option<PathBuf>,
    /// Accept bearer token T as IDENTITY (admin, lowpriv, ...); repeatable.
    #[arg(long = "token", value_name = "T=IDENTITY", value_parser = parse_token)]
    tokens: Vec<(String, String)>,
    /// Serve requests without credentials as IDENTITY (default: 401).
    #[arg(long, value_name = "IDENTITY")]
    anonymous: Option<String>,
    /// Delay every response by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay_ms: u64,
    /// Write a kubeconfig for the server (with the first --token) to this file.
    #[arg(long, value_name = "OUT")]
    kubeconfig: Option<PathBuf>,
    /// Context name in the kubeconfig.
    #[arg(long, value_name = "NAME", default_value = "fake-apiserver")]
    context: String,
    /// Stop when stdin closes instead of serving until killed.
    #[arg(long)]
    until_stdin_closes: bool,
}

fn parse_token(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((token, identity)) if !token.is_empty() && !identity.is_empty() => {
            Ok((token.to_string(), identity.to_string()))
        }
        _ => Err(format!("expected T=IDENTITY, got {s:?}")),
    }
}

fn read_objects(path: &PathBuf) -> Result<Vec<serde_json::Value>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    // A YAML stream (the benchmark corpus): every document with a kind, parsed by aksguard's
    // own loader.
    if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        let mut out = Vec::new();
        let mut error = None;
        aksguard::load::yaml::parse_stream(&text, 1, 0, |doc| match doc {
            // The items of a `kind: List` are objects of their own.
            Ok(d) if d.value.get("kind").and_then(|k| k.as_str()) == Some("List") => {
                if let Some(serde_json::Value::Array(items)) = d.value.get("items") {
                    out.extend(items.iter().cloned());
                }
            }
            Ok(d) if d.value.get("kind").is_some() => out.push(d.value),
            Ok(_) => {}
            Err(e) => error = Some(format!("{}:{}: {}", path.display(), e.line, e.message)),
        });
        return match error {
            Some(e) => Err(e),
            None => Ok(out),
        };
    }
    match serde_json::from_str(&text).map_err(|e| format!("parse {}: {e}", path.display()))? {
        serde_json::Value::Array(items) => Ok(items),
        serde_json::Value::Object(mut list) => match list.remove("items") {
            Some(serde_json::Value::Array(items)) => Ok(items),
            _ => Err(format!("{}: an object without items", path.display())),
        },
        _ => Err(format!("{}: expected an array or a List", path.display())),
    }
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let source = match (args.recording, args.synthetic, &args.objects) {
        (Some(dir), _, _) => Source::Recording(dir),
        (None, Some(discovery), Some(objects)) => Source::Synthetic {
            discovery,
            objects: read_objects(objects)?,
        },
        _ => return Err("give --recording DIR or --synthetic DIR --objects FILE.json".into()),
    };
    let token = args.tokens.first().map(|(t, _)| t.clone());
    let server = FakeApiServer::start(
        source,
        Options {
            tokens: args.tokens,
            anonymous: args.anonymous,
            delay: Duration::from_millis(args.delay_ms),
        },
    );
    if let Some(out) = &args.kubeconfig {
        std::fs::write(out, server.kubeconfig(&args.context, token.as_deref()))
            .map_err(|e| format!("write {}: {e}", out.display()))?;
    }
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", server.url)
        .and_then(|()| stdout.flush())
        .map_err(|e| e.to_string())?;
    if args.until_stdin_closes {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
    } else {
        loop {
            std::thread::park();
        }
    }
    eprintln!(
        "fake_apiserver: {} requests served",
        server.requests().len()
    );
    Ok(())
}
