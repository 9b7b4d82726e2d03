//! `brisk-bench`: Brisk beside its peers, in release mode, in one run.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--quick] [--no-docs]
//! ```
//!
//! Prints a table, writes `bench/results.json` and regenerates
//! `docs/benchmarks.md` (unless `--no-docs`).

mod inputs;
mod load;
mod report;
mod stats;

use anyhow::{Result, bail};
use std::path::PathBuf;

/// A peer's result as ours (wasmtime has its own error type).
pub fn peer<T, E: std::fmt::Debug>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e:?}"))
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(String::new, |kb| format!(", {:.0} GiB", kb / 1024.0 / 1024.0));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{model}, {cores} cores{mem_gib}, Linux {}", kernel.trim())
}

/// Today's date (UTC) from the system clock.
fn date() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn main() -> Result<()> {
    let mut quick = false;
    let mut docs = true;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "--no-docs" => docs = false,
            other => bail!("unknown argument `{other}` (expected --quick or --no-docs)"),
        }
    }
    if cfg!(debug_assertions) {
        bail!("benchmarks run in release mode: cargo run --release --manifest-path bench/Cargo.toml");
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ is in the repository").to_path_buf();
    let scratch = std::env::temp_dir().join(format!("brisk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;

    let mut rows = Vec::new();
    rows.extend(load::run(quick, &scratch)?);
    let _ = std::fs::remove_dir_all(&scratch);

    let command = format!("cargo run --release --manifest-path bench/Cargo.toml --{}", if quick { " --quick" } else { "" });
    let (machine, date) = (machine(), date());
    report::print_table(&rows);
    std::fs::write(root.join("bench/results.json"), report::json(&rows, &machine, &date, &command))?;
    if docs {
        std::fs::write(root.join("docs/benchmarks.md"), report::markdown(&rows, &machine, &date, &command, quick))?;
        println!("wrote docs/benchmarks.md and bench/results.json");
    }
    Ok(())
}
