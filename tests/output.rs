//! Where reports go: standard output, `--output FILE`, several formats with `--output-dir`.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aksguard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("runs")
}

#[test]
fn output_file_holds_what_stdout_would() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json",
        "-o",
        file.to_str().unwrap(),
    ]);
    // The exit code is the scan's; nothing on standard output.
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stdout = run(&["scan", "demo/k8s", "-f", "json"]).stdout;
    assert_eq!(std::fs::read(&file).unwrap(), stdout);
    // A table written to a file has no colour, whatever --color says.
    let table = dir.path().join("report.txt");
    run(&[
        "scan",
        "demo/k8s",
        "--color",
        "always",
        "-o",
        table.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&table).unwrap();
    assert!(text.contains("Workload security"));
    assert!(!text.contains('\x1b'));
}

#[test]
fn several_formats_go_to_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("reports/nested");
    let out = run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json,sarif,junit,markdown,html,table",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "aksguard.json",
        "aksguard.sarif",
        "aksguard.junit.xml",
        "aksguard.md",
        "aksguard.html",
        "aksguard.txt",
    ] {
        let bytes = std::fs::read(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!bytes.is_empty(), "{name} is empty");
    }
    // Each file is what that format alone prints.
    let json = run(&["scan", "demo/k8s", "-f", "json"]).stdout;
    assert_eq!(std::fs::read(out_dir.join("aksguard.json")).unwrap(), json);
    let sarif = run(&["scan", "demo/k8s", "-f", "sarif"]).stdout;
    assert_eq!(
        std::fs::read(out_dir.join("aksguard.sarif")).unwrap(),
        sarif
    );
    // A format named twice is written once.
    let out = run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json,json",
        "-o",
        dir.path().join("once.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_errors_and_unwritable_places() {
    // Several formats need a directory.
    let out = run(&["scan", "demo/k8s", "-f", "json,sarif"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output-dir"));
    assert!(out.stdout.is_empty());
    // --output and --output-dir together.
    let out = run(&["scan", "demo/k8s", "-o", "x.json", "--output-dir", "y"]);
    assert_eq!(out.status.code(), Some(2));
    // An unknown format.
    let out = run(&["scan", "demo/k8s", "-f", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
    // A file that cannot be written.
    let out = run(&["scan", "demo/k8s", "-o", "/nonexistent/dir/report.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dir/report.json"));
    // A directory that cannot be created (a file is in the way).
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = run(&[
        "scan",
        "demo/k8s",
        "-f",
        "json,html",
        "--output-dir",
        blocker.join("sub").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create"));
}
