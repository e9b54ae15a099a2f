//! Benchmark baseline: "the YAML parser alone".
//!
//! Reads the same inputs as `aksguard scan` (files, or directories searched recursively for
//! `.yaml`, `.yml` and `.json` files, hidden entries skipped) and parses them on one thread:
//!
//! * default (`--events`): `saphyr_parser::Parser::new_from_str(text)` drained with
//!   `next_event()`; events only, no tree. This is the baseline of the benchmark.
//! * `--build`: `aksguard::load::yaml::parse_stream`, the tree builder the scanner uses
//!   (serde_json values with line spans), still on one thread and without checks. For reference.
//!
//! Prints one JSON line: mode, files, bytes, documents, events (or nodes in `--build` mode),
//! read and parse seconds, MB/s
//! (MB = 10^6 bytes, over the parse time only) and MB/s over the whole run (read + parse).
//!
//!     cargo run --release --example parse_only -- [--events|--build] PATH...

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use saphyr_parser::{Event, Parser};

// The same allocator as the `aksguard` binary, so that the comparison is about the work done.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Events,
    Build,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Events => "events",
            Mode::Build => "build",
        }
    }
}

const USAGE: &str = "usage: parse_only [--events|--build] PATH...";

fn main() -> ExitCode {
    let mut mode = Mode::Events;
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--events" => mode = Mode::Events,
            "--build" => mode = Mode::Build,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with("--") => {
                eprintln!("parse_only: unknown option `{a}`\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }

    let start = Instant::now();
    let mut files = Vec::new();
    for p in &paths {
        if let Err(e) = collect(p, &mut files) {
            eprintln!("parse_only: {e}");
            return ExitCode::from(2);
        }
    }
    files.sort();
    let mut texts = Vec::with_capacity(files.len());
    for f in &files {
        match std::fs::read_to_string(f) {
            Ok(t) => texts.push(t),
            Err(e) => {
                eprintln!("parse_only: cannot read {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    let read_s = start.elapsed().as_secs_f64();

    let parse_start = Instant::now();
    let mut totals = Totals::default();
    for (file, text) in files.iter().zip(&texts) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let r = match mode {
            Mode::Events => events(text, &mut totals),
            Mode::Build => build(text, &mut totals),
        };
        if let Err(msg) = r {
            totals.errors += 1;
            if totals.errors <= 5 {
                eprintln!("parse_only: {}: {msg}", file.display());
            }
        }
    }
    let parse_s = parse_start.elapsed().as_secs_f64();
    let total_s = start.elapsed().as_secs_f64();

    let bytes: usize = texts.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "{{\"mode\":\"{}\",\"files\":{},\"bytes\":{},\"documents\":{},\"{}\":{},\"errors\":{},\
         \"read_s\":{:.4},\"parse_s\":{:.4},\"parse_mb_per_s\":{:.2},\"total_mb_per_s\":{:.2}}}",
        mode.name(),
        files.len(),
        bytes,
        totals.documents,
        match mode {
            Mode::Events => "events",
            Mode::Build => "nodes",
        },
        totals.items,
        totals.errors,
        read_s,
        parse_s,
        mb / parse_s.max(1e-9),
        mb / total_s.max(1e-9),
    );
    if totals.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Default)]
struct Totals {
    documents: u64,
    /// Events (events mode) or nodes with a line span (build mode).
    items: u64,
    errors: u64,
}

/// The saphyr-parser event stream, nothing else.
fn events(text: &str, totals: &mut Totals) -> Result<(), String> {
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, _span) = next.map_err(|e| {
            format!(
                "line {}: YAML syntax error: {}",
                e.marker().line(),
                e.info()
            )
        })?;
        totals.items += 1;
        match event {
            Event::DocumentStart(_) => totals.documents += 1,
            Event::StreamEnd => break,
            _ => {}
        }
    }
    Ok(())
}

/// The scanner's tree builder (values and spans), single-threaded, without checks.
fn build(text: &str, totals: &mut Totals) -> Result<(), String> {
    let mut first_error = None;
    aksguard::load::yaml::parse_stream(text, 1, 0, |doc| {
        totals.documents += 1;
        match doc {
            Ok(d) => {
                totals.items += d.spans.len() as u64;
                drop(d);
            }
            Err(e) => {
                first_error.get_or_insert(format!("line {}: {}", e.line, e.message));
            }
        }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A file as given, or the manifest files of a directory tree (hidden entries skipped), as
/// `aksguard scan` finds them.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let walker = walkdir::WalkDir::new(path)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if entry.file_type().is_file() && is_manifest_name(entry.path()) {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

fn is_manifest_name(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}
