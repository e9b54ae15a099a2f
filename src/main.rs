//! The `aksguard` command line: argument parsing and wiring only.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use aksguard::catalog::Catalog;
use aksguard::config::Config;
use aksguard::engine::{self, Input};
use aksguard::model::Severity;
use aksguard::report::{self, ColorChoice, Style};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Evidence-based Kubernetes and AKS security checks, one honest answer per checklist item.
#[derive(Parser)]
#[command(name = "aksguard", version, about, long_about = None, after_help = "\
Exit codes:
  0  no failing finding at or above --fail-on
  1  a failing finding at or above --fail-on
  2  an input could not be read or parsed, or a cluster could not be read in full (a list was
     forbidden, a cluster was unreachable; the rest was still scanned), an attestation or waiver
     annotation was invalid, or a usage error or an invalid configuration file (nothing scanned)

Examples:
  aksguard scan ./k8s
  helm template my-chart | aksguard scan -
  kustomize build overlays/prod | aksguard scan - --format json
  az aks show -g rg -n prod -o json > prod.json && aksguard scan prod.json
  terraform show -json tfplan > plan.json && aksguard scan plan.json
  aksguard scan infra/ k8s/     (Terraform, ARM templates and manifests in one run)
  aksguard scan --cluster       (the current kubeconfig context, through the Kubernetes API)
  aksguard scan --context prod --context staging -f json
  aksguard scan --all-contexts --kubeconfig ~/.kube/fleet.yaml
  aksguard scan ./k8s -f sarif -o aksguard.sarif            (GitHub code scanning)
  aksguard scan ./k8s -f json,junit,markdown,html --output-dir reports/
  aksguard config init && aksguard attest init      (.aksguard.yaml, attestations.yaml)
  aksguard explain WL-002")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan Kubernetes manifests and AKS cluster configuration (files, directories, `-` for
    /// stdin), or live clusters through the Kubernetes API, and report per control.
    Scan(Box<ScanArgs>),
    /// List the control catalogue.
    Controls(ControlsArgs),
    /// Print the documentation of one control (by id such as WL-002, or name).
    Explain {
        /// Control id or name.
        control: String,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print the source checklists item by item with the controls that cover them; with inputs,
    /// scan them and show each item's status.
    Checklist(ChecklistArgs),
    /// Write a commented default configuration file (`aksguard config init`).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write an attestations template listing every checklist item that needs a person
    /// (`aksguard attest init`).
    #[command(subcommand)]
    Attest(AttestCommand),
    /// Print every subject of the scanned RoleBindings and ClusterRoleBindings with its effective
    /// rights (roles resolved, aggregated ClusterRoles expanded), for a person to review.
    Rbac(RbacArgs),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Write `.aksguard.yaml` with every setting at its default, commented.
    Init(InitArgs),
}

#[derive(Subcommand)]
enum AttestCommand {
    /// Write an attestations file with an empty answer for every item that needs a person.
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// File to write (`-` for standard output). Default: `.aksguard.yaml` for `config init`,
    /// `attestations.yaml` for `attest init`, in the current folder.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

/// Where the policy comes from: the configuration file and the attestations.
#[derive(Args)]
struct PolicyArgs {
    /// Configuration file (default: the first `.aksguard.yaml` or `.aksguard.yml` in the folder of
    /// the first scanned path or any folder above it; the current folder for `-` and clusters).
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    config: Option<std::path::PathBuf>,
    /// Do not look for a configuration file.
    #[arg(long, conflicts_with = "config", help_heading = "Policy")]
    no_config: bool,
    /// Attestations file: a person's answers to manual and partial items (replaces the
    /// configuration's `attestations:`). `aksguard attest init` writes a template.
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    attestations: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct RbacArgs {
    /// Inputs to read, as for `aksguard scan`.
    #[arg(value_name = "PATH", required = true)]
    inputs: Vec<String>,
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// The formats of a scan report.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScanFormat {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

impl ScanFormat {
    /// The file name of this format in --output-dir.
    fn file_name(self) -> &'static str {
        match self {
            ScanFormat::Table => "aksguard.txt",
            ScanFormat::Json => "aksguard.json",
            ScanFormat::Sarif => "aksguard.sarif",
            ScanFormat::Junit => "aksguard.junit.xml",
            ScanFormat::Markdown => "aksguard.md",
            ScanFormat::Html => "aksguard.html",
        }
    }

    fn write(
        self,
        results: &[engine::ScanResult],
        style: Style,
        w: &mut dyn Write,
    ) -> std::io::Result<()> {
        match (self, results) {
            (ScanFormat::Json, [one]) => report::json::write(one, w),
            (ScanFormat::Json, many) => report::json::write_many(many, w),
            (ScanFormat::Table, many) => {
                for (i, r) in many.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b"\n")?;
                    }
                    w.write_all(report::table::render(r, style).as_bytes())?;
                }
                Ok(())
            }
            (ScanFormat::Sarif, many) => report::sarif::write(many, w),
            (ScanFormat::Junit, many) => report::junit::write(many, w),
            (ScanFormat::Markdown, many) => report::markdown::write(many, w),
            (ScanFormat::Html, many) => report::html::write(many, w),
        }
    }
}

#[derive(Args)]
#[command(override_usage = "aksguard scan [OPTIONS] <PATH>...\n       \
    aksguard scan [OPTIONS] --cluster | --context NAME... | --all-contexts | --in-cluster")]
struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input. Directories are searched
    /// recursively for .yaml, .yml, .json, .tf and .tfvars files (hidden folders are skipped); a
    /// file named explicitly is read whatever its extension. What a file holds is told from its
    /// content: Kubernetes objects, `az aks show` output, ARM resources, ARM templates (and
    /// `bicep build` output) with their parameter files, Terraform plans (`terraform show
    /// -json`); `.tf` files are Terraform configuration (one module per directory).
    #[arg(
        value_name = "PATH",
        required_unless_present_any = ["cluster", "context", "all_contexts", "in_cluster"]
    )]
    inputs: Vec<String>,
    /// Scan the live cluster of the current kubeconfig context (read-only: discovery, lists,
    /// and three probes: /version, an unauthenticated GET /api, GET /logs/).
    #[arg(long, help_heading = "Live clusters")]
    cluster: bool,
    /// Scan the cluster of this kubeconfig context (repeatable; clusters are scanned side by
    /// side and reported one after the other).
    #[arg(long = "context", value_name = "NAME", help_heading = "Live clusters")]
    context: Vec<String>,
    /// Scan the cluster of every context of the kubeconfig.
    #[arg(long, help_heading = "Live clusters")]
    all_contexts: bool,
    /// Kubeconfig to read (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE", help_heading = "Live clusters")]
    kubeconfig: Option<std::path::PathBuf>,
    /// Scan the cluster aksguard runs in, with its pod's service account.
    #[arg(long, help_heading = "Live clusters")]
    in_cluster: bool,
    /// Objects per list request (the API's `limit`).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Live clusters")]
    chunk_size: u32,
    /// Seconds to wait for each answer of an API server before giving up on it.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Live clusters")]
    request_timeout: u64,
    /// Output format; several separated by commas (`json,sarif,html`) with --output-dir.
    /// table: for a terminal; json: the full result (schema in the README); sarif: SARIF 2.1.0
    /// for GitHub code scanning and Azure DevOps; junit: JUnit XML for CI test reports;
    /// markdown: the source checklists filled in; html: one self-contained page.
    #[arg(
        long,
        short = 'f',
        value_enum,
        value_delimiter = ',',
        default_value = "table"
    )]
    format: Vec<ScanFormat>,
    /// Write the report to this file instead of standard output (one format).
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "output_dir")]
    output: Option<std::path::PathBuf>,
    /// Write one file per format into this directory (created if missing): aksguard.txt,
    /// aksguard.json, aksguard.sarif, aksguard.junit.xml, aksguard.md, aksguard.html.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<std::path::PathBuf>,
    /// ARM deployment parameters file applied to every scanned ARM template (repeatable).
    /// Without it, `NAME.parameters.json` next to `NAME.json` is used, or the only parameters
    /// file of a directory that holds one template.
    #[arg(long = "parameters", value_name = "FILE")]
    parameters: Vec<String>,
    /// Judge Kubernetes version support and the expiry of waivers and attestations as of this
    /// date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<aksguard::aks::versions::Date>,
    /// Replace the built-in AKS Kubernetes version calendar with this YAML file (same format as
    /// `src/aks/versions.yaml`: versions with minor, aks_ga, end_of_life, lts_end).
    #[arg(long, value_name = "FILE")]
    aks_versions: Option<String>,
    /// Lowest severity of a failing finding that makes the exit code 1: critical, high, medium,
    /// low or info (default: the configuration's `fail-on`, else low).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// List passing findings too (they are always counted).
    #[arg(long)]
    include_passed: bool,
    /// Registry allowed for images (repeatable; replaces the default list). A host, a host glob
    /// such as `*.azurecr.io`, or a host with a repository prefix such as `docker.io/library`.
    #[arg(long = "allowed-registry", value_name = "PATTERN")]
    allowed_registries: Vec<String>,
    /// Label every namespace and workload must carry (repeatable; replaces the default
    /// app.kubernetes.io/name, owner, environment).
    #[arg(long = "required-label", value_name = "KEY")]
    required_labels: Vec<String>,
    /// Colour in table output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Args)]
struct ControlsArgs {
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Only controls of this layer (e.g. workload-security).
    #[arg(long)]
    layer: Option<String>,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Args)]
struct ChecklistArgs {
    /// Only the checklist whose title contains this text (e.g. "Hardening").
    #[arg(long)]
    checklist: Option<String>,
    /// Inputs to scan, as for `aksguard scan`; without them, statuses are not shown.
    #[arg(value_name = "PATH")]
    inputs: Vec<String>,
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    policy: PolicyArgs,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// mimalloc keeps freed pages for a while to reuse them; aksguard streams its input, so give
/// them back at once (peak memory about halves at the same speed).
fn tune_allocator() {
    // Numbers of `mi_option_e` in mimalloc v3 (libmimalloc-sys 0.1.49, pinned in Cargo.toml).
    const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting allocator options is thread-safe and takes plain integers.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

/// Run `tune_allocator` before the Rust runtime allocates anything: an ELF constructor runs
/// before `main`'s runtime setup, so the first arena is already created with these options.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = {
    extern "C" fn tune() {
        tune_allocator();
    }
    tune
};

fn main() -> ExitCode {
    #[cfg(not(target_os = "linux"))]
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let catalog = Catalog::get();
    let (text, code) = match cli.command {
        Command::Scan(args) => {
            let formats = match output_plan(&args) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("aksguard: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut config = match load_config(&args.policy, &args.inputs) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(f) = args.fail_on {
                config.fail_on = f;
            }
            config.include_passed = args.include_passed;
            if !args.allowed_registries.is_empty() {
                config.allowed_registries = args.allowed_registries.clone();
            }
            if !args.required_labels.is_empty() {
                config.required_labels = args.required_labels.clone();
            }
            config.as_of = args.as_of;
            if let Some(path) = &args.aks_versions {
                let parsed = std::fs::read_to_string(path)
                    .map_err(|e| e.to_string())
                    .and_then(|t| aksguard::aks::versions::Calendar::parse(&t));
                match parsed {
                    Ok(c) => config.aks_calendar = Some(std::sync::Arc::new(c)),
                    Err(e) => {
                        eprintln!("aksguard: --aks-versions {path}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            for path in &args.parameters {
                match read_parameters(path) {
                    Ok(v) => config
                        .aks
                        .parameters
                        .push((std::sync::Arc::from(path.as_str()), v)),
                    Err(e) => {
                        eprintln!("aksguard: --parameters {path}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            let targets = match live_targets(&args) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("aksguard: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut results = Vec::new();
            if !args.inputs.is_empty() {
                let inputs: Vec<Input> = args.inputs.iter().map(|s| Input::parse(s)).collect();
                results.push(engine::scan(&inputs, &config));
            }
            if !targets.is_empty() {
                use std::io::IsTerminal;
                let options = aksguard::live::Options {
                    chunk_size: args.chunk_size,
                    timeout: std::time::Duration::from_secs(args.request_timeout),
                    progress: std::io::stderr().is_terminal(),
                    ..aksguard::live::Options::default()
                };
                results.extend(aksguard::live::scan(&targets, &options, &config));
            }
            let exit = report::json::exit_code(&results);
            let code = write_reports(&args, &formats, &results, exit);
            aksguard::trace::phase("report");
            return code;
        }
        Command::Controls(args) => {
            let mut controls = catalog.controls.clone();
            if let Some(layer) = &args.layer {
                controls.retain(|c| {
                    c.layer.key() == layer || c.layer.code().eq_ignore_ascii_case(layer)
                });
                if controls.is_empty() {
                    eprintln!("aksguard: no layer `{layer}`; layers: {}", layer_keys());
                    return ExitCode::from(2);
                }
            }
            let cat = Catalog::new(controls, catalog.items.clone());
            let text = match args.format {
                Format::Json => report::catalog::controls_json(&cat),
                Format::Table => report::catalog::controls_table(
                    &cat,
                    Style {
                        on: args.color.enabled(),
                    },
                ),
            };
            (text, 0)
        }
        Command::Config(ConfigCommand::Init(args)) => {
            return write_template(
                &args,
                ".aksguard.yaml",
                &aksguard::policy::init::config_template(),
            );
        }
        Command::Attest(AttestCommand::Init(args)) => {
            return write_template(
                &args,
                "attestations.yaml",
                &aksguard::policy::init::attest_template(catalog),
            );
        }
        Command::Explain { control, color } => match catalog.control(&control) {
            Some(c) => (
                report::catalog::explain(
                    catalog,
                    c,
                    Style {
                        on: color.enabled(),
                    },
                ),
                0,
            ),
            None => {
                eprintln!("aksguard: no control `{control}`; `aksguard controls` lists them");
                return ExitCode::from(2);
            }
        },
        Command::Rbac(args) => {
            let mut config = match load_config(&args.policy, &args.inputs) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            config.rbac_inventory = true;
            let inputs: Vec<Input> = args.inputs.iter().map(|s| Input::parse(s)).collect();
            let result = engine::scan(&inputs, &config);
            let rights = result.rbac.unwrap_or_default();
            let text = match args.format {
                Format::Json => report::rbac::json(&rights, &result.errors),
                Format::Table => report::rbac::table(
                    &rights,
                    &result.errors,
                    Style {
                        on: args.color.enabled(),
                    },
                ),
            };
            // An inventory, not a verdict: 2 when an input could not be read, else 0.
            (text, if result.errors.is_empty() { 0 } else { 2 })
        }
        Command::Checklist(args) => {
            let scan = if args.inputs.is_empty() {
                None
            } else {
                let config = match load_config(&args.policy, &args.inputs) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::from(2);
                    }
                };
                let inputs: Vec<Input> = args.inputs.iter().map(|s| Input::parse(s)).collect();
                Some(engine::scan(&inputs, &config))
            };
            if let Some(name) = &args.checklist
                && !catalog
                    .checklists()
                    .iter()
                    .any(|c| c.to_lowercase().contains(&name.to_lowercase()))
            {
                eprintln!(
                    "aksguard: no checklist matches `{name}`; checklists: {}",
                    catalog.checklists().join("; ")
                );
                return ExitCode::from(2);
            }
            let only = args.checklist.as_deref();
            let text = match args.format {
                Format::Json => report::catalog::checklist_json(catalog, only, scan.as_ref()),
                Format::Table => report::catalog::checklist_table(
                    catalog,
                    only,
                    scan.as_ref(),
                    Style {
                        on: args.color.enabled(),
                    },
                ),
            };
            let code = scan.as_ref().map(|s| s.exit_code()).unwrap_or(0);
            (text, code)
        }
    };
    emit(code, |w| w.write_all(text.as_bytes()))
}

/// Writes the output through a buffer; a closed pipe (`| head`) is not an error.
fn emit(code: i32, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if let Err(e) = f(&mut out).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("aksguard: cannot write output: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(code as u8)
}

/// The configuration of a run: defaults, then the configuration file (found upward from the
/// first scanned path, or --config), then the attestations.
fn load_config(args: &PolicyArgs, inputs: &[String]) -> Result<Config, String> {
    use aksguard::policy::file;
    let mut config = Config::default();
    let path = if args.no_config {
        None
    } else if let Some(p) = &args.config {
        Some(p.clone())
    } else {
        let start = inputs
            .iter()
            .find(|i| i.as_str() != "-")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from("."));
        file::find_config(&start)
    };
    let mut attestations = args.attestations.clone();
    if let Some(path) = path {
        let parsed = file::read_config(&path).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("aksguard: {e}")).collect();
            lines.join("\n")
        })?;
        if let Some(f) = parsed.fail_on {
            config.fail_on = f;
        }
        if let Some(v) = parsed.registries {
            config.allowed_registries = v;
        }
        if let Some(v) = parsed.required_labels {
            config.required_labels = v;
        }
        if let Some(v) = parsed.admin_groups {
            config.admin_groups = v;
        }
        if let Some(v) = parsed.system_namespaces {
            config.system_namespaces = v;
        }
        if attestations.is_none() {
            attestations = parsed.attestations;
        }
        config.policy = std::sync::Arc::new(parsed.policy);
    }
    if let Some(path) = attestations {
        let (answers, problems) =
            file::read_attestations(&path).map_err(|e| format!("aksguard: {e}"))?;
        let policy = std::sync::Arc::make_mut(&mut config.policy);
        policy.attestations_file = Some(std::sync::Arc::from(path.display().to_string()));
        policy.attestations = answers;
        policy.attestation_errors = problems;
    }
    Ok(config)
}

/// Writes a template to a file (not over an existing one unless --force) or standard output.
fn write_template(args: &InitArgs, default: &str, text: &str) -> ExitCode {
    let target = args.output.as_deref().unwrap_or(default);
    if target == "-" {
        return emit(0, |w| w.write_all(text.as_bytes()));
    }
    let path = std::path::Path::new(target);
    if path.exists() && !args.force {
        eprintln!("aksguard: {target} exists; use --force to replace it, or -o - to print");
        return ExitCode::from(2);
    }
    match std::fs::write(path, text) {
        Ok(()) => {
            eprintln!("aksguard: wrote {target}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("aksguard: cannot write {target}: {e}");
            ExitCode::from(2)
        }
    }
}

/// The formats of a scan, each once, checked against --output and --output-dir.
fn output_plan(args: &ScanArgs) -> Result<Vec<ScanFormat>, String> {
    let mut formats: Vec<ScanFormat> = Vec::new();
    for f in &args.format {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    if formats.len() > 1 && args.output_dir.is_none() {
        return Err(
            "several formats need --output-dir DIR (one file per format); --output and standard output take one"
                .to_string(),
        );
    }
    Ok(formats)
}

/// Writes the reports: to standard output, to --output FILE, or one file per format in
/// --output-dir. Files get no colour. The exit code is the scan's unless a report cannot be
/// written (2).
fn write_reports(
    args: &ScanArgs,
    formats: &[ScanFormat],
    results: &[engine::ScanResult],
    exit: i32,
) -> ExitCode {
    let to_file = |path: &std::path::Path, format: ScanFormat| -> Result<(), String> {
        let file = std::fs::File::create(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
        format
            .write(results, Style { on: false }, &mut w)
            .and_then(|_| w.flush())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    if let Some(dir) = &args.output_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("aksguard: cannot create {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for &format in formats {
            if let Err(e) = to_file(&dir.join(format.file_name()), format) {
                eprintln!("aksguard: {e}");
                return ExitCode::from(2);
            }
        }
        return ExitCode::from(exit as u8);
    }
    let format = formats.first().copied().unwrap_or(ScanFormat::Table);
    if let Some(path) = &args.output {
        if let Err(e) = to_file(path, format) {
            eprintln!("aksguard: {e}");
            return ExitCode::from(2);
        }
        return ExitCode::from(exit as u8);
    }
    let style = Style {
        on: args.color.enabled(),
    };
    emit(exit, |w| format.write(results, style, w))
}

/// The clusters named by `--cluster`, `--context`, `--all-contexts` and `--in-cluster`, each
/// once, in the order given.
fn live_targets(args: &ScanArgs) -> Result<Vec<aksguard::live::Target>, String> {
    use aksguard::live::Target;
    let kubeconfig = args.kubeconfig.clone();
    if kubeconfig.is_some() && !(args.cluster || args.all_contexts || !args.context.is_empty()) {
        return Err(
            "--kubeconfig names the clusters to scan: add --cluster, --context NAME or --all-contexts"
                .to_string(),
        );
    }
    let mut targets = Vec::new();
    if args.in_cluster {
        targets.push(Target::InCluster);
    }
    if args.cluster {
        targets.push(Target::Context {
            kubeconfig: kubeconfig.clone(),
            context: None,
        });
    }
    let mut names = args.context.clone();
    if args.all_contexts {
        let all = aksguard::live::contexts(kubeconfig.as_deref())?;
        if all.is_empty() {
            return Err("--all-contexts: the kubeconfig has no contexts".to_string());
        }
        names.extend(all);
    }
    for name in names {
        let t = Target::Context {
            kubeconfig: kubeconfig.clone(),
            context: Some(name),
        };
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    Ok(targets)
}

fn parse_date(s: &str) -> Result<aksguard::aks::versions::Date, String> {
    aksguard::aks::versions::Date::parse(s)
}

/// An ARM deployment parameters file (`{"parameters": {"x": {"value": ...}}}`).
fn read_parameters(path: &str) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    if !v
        .get("parameters")
        .is_some_and(serde_json::Value::is_object)
    {
        return Err("not an ARM parameters file (no `parameters` object)".to_string());
    }
    Ok(v)
}

fn layer_keys() -> String {
    aksguard::catalog::Layer::ALL
        .iter()
        .map(|l| l.key())
        .collect::<Vec<_>>()
        .join(", ")
}
