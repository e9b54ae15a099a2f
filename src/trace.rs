//! Developer tracing of scan phases: with `AKSGUARD_TRACE=1`, each phase boundary prints the
//! elapsed time and the resident / peak memory to standard error (used by the benchmark work;
//! off by default and never part of the output contract).

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<&'static Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    START
        .get_or_init(|| {
            std::env::var_os("AKSGUARD_TRACE")
                .is_some_and(|v| v == "1")
                .then(Instant::now)
        })
        .as_ref()
}

/// Marks the end of a phase.
pub fn phase(name: &str) {
    let Some(t0) = start() else { return };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    eprintln!(
        "trace: {:>8.3}s {:<28} rss {:>10} peak {:>10}",
        t0.elapsed().as_secs_f64(),
        name,
        field("VmRSS:"),
        field("VmHWM:")
    );
}
