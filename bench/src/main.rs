//! `brisk-bench`: Brisk beside its peers, in release mode, in one run.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--quick] [--no-docs] [--only GROUP,...] [--runtimes NAME,...]
//! cargo run --release --manifest-path bench/Cargo.toml -- calibrate [OUT.csv]
//! ```
//!
//! Groups: compile, load, instantiate, unload, run, programs, stress, jit. Prints a table, writes
//! `bench/results.json` and regenerates `docs/benchmarks.md` (unless
//! `--no-docs`, which `--only` and `--runtimes` imply). `--runtimes` keeps
//! the runtimes whose names contain one of the given words (`interp,wasmi`:
//! Brisk's interpreter and wasmi) in the run, programs and compile groups.

mod calibrate;
mod compile;
mod inputs;
mod instantiate;
mod load;
mod node;
mod programs;
mod report;
mod run;
mod stats;
mod stress;
mod unload;

#[global_allocator]
static ALLOCATOR: stress::Counting = stress::Counting;

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::Instant;

/// A peer's result as ours (the peers have error types of their own).
pub fn peer<T, E: std::fmt::Debug>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// What every group needs to know about the run.
pub struct Setup {
    pub root: PathBuf,
    /// A folder for the run's files, removed at the end.
    pub scratch: PathBuf,
    pub quick: bool,
    pub cores: usize,
    /// Node.js's version, when it is installed (V8 is then a peer).
    pub v8: Option<String>,
    /// `--runtimes`: measure only the runtimes whose names contain one of
    /// these (case-insensitive); all when empty.
    pub runtimes: Vec<String>,
}

impl Setup {
    /// Whether the runtime (or Brisk configuration) `name` is measured.
    pub fn wants(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        self.runtimes.is_empty() || self.runtimes.iter().any(|r| name.contains(r.as_str()))
    }
}

/// Brisk's interpreter tier, measured against the peers' interpreters
/// (wasmi, wasmtime's Pulley).
pub const BRISK_INTERP: &str = "Brisk interpreter";

/// Brisk's baseline tier, measured against V8's Liftoff and wasmtime's Winch.
pub const BRISK_BASELINE: &str = "Brisk baseline";

/// An engine of Brisk's optimizing tier alone (the default, automatic tier
/// may give some functions to the baseline tier), compiling on all cores.
pub fn brisk_optimized() -> Result<brisk::Engine> {
    let mut c = brisk::Config::new();
    c.strategy(brisk::Strategy::Optimized);
    brisk::Engine::new(&c)
}

/// An engine of Brisk's baseline tier, compiling on one thread or on all.
pub fn brisk_baseline(parallel: bool) -> Result<brisk::Engine> {
    let mut c = brisk::Config::new();
    c.strategy(brisk::Strategy::Baseline).parallel_compilation(parallel);
    brisk::Engine::new(&c)
}

/// An engine of Brisk's interpreter tier, translating on one thread or on all.
pub fn brisk_interpreter(parallel: bool) -> Result<brisk::Engine> {
    let mut c = brisk::Config::new();
    c.strategy(brisk::Strategy::Interpreter).parallel_compilation(parallel);
    brisk::Engine::new(&c)
}

/// The wasmtime configurations Brisk is measured against.
#[derive(Clone, Copy, Debug)]
pub enum Wasmtime {
    CraneliftQuick,
    CraneliftSpeed,
    Winch,
    Pulley,
}

impl Wasmtime {
    pub fn name(self) -> &'static str {
        match self {
            Wasmtime::CraneliftQuick => "wasmtime cranelift none + single-pass",
            Wasmtime::CraneliftSpeed => "wasmtime cranelift speed + backtracking",
            Wasmtime::Winch => "wasmtime winch",
            Wasmtime::Pulley => "wasmtime pulley",
        }
    }

    /// The Brisk configuration this one is compared with: the interpreter
    /// for Pulley (wasmtime's interpreter), the baseline tier for Winch
    /// (wasmtime's baseline compiler), else `native`.
    pub fn versus(self, native: &'static str) -> &'static str {
        match self {
            Wasmtime::Pulley => BRISK_INTERP,
            Wasmtime::Winch => BRISK_BASELINE,
            _ => native,
        }
    }

    /// An engine of this configuration, compiling on one thread or on all.
    pub fn engine(self, parallel: bool) -> Result<wasmtime::Engine> {
        use wasmtime::{OptLevel, RegallocAlgorithm, Strategy};
        let mut c = wasmtime::Config::new();
        c.parallel_compilation(parallel);
        match self {
            Wasmtime::CraneliftQuick => {
                c.strategy(Strategy::Cranelift).cranelift_opt_level(OptLevel::None).cranelift_regalloc_algorithm(RegallocAlgorithm::SinglePass);
            }
            Wasmtime::CraneliftSpeed => {
                c.strategy(Strategy::Cranelift).cranelift_opt_level(OptLevel::Speed).cranelift_regalloc_algorithm(RegallocAlgorithm::Backtracking);
            }
            Wasmtime::Winch => {
                c.strategy(Strategy::Winch);
            }
            Wasmtime::Pulley => {
                peer(c.target("pulley64"))?;
            }
        }
        peer(wasmtime::Engine::new(&c))
    }
}

const GROUPS: [&str; 8] = ["compile", "load", "instantiate", "unload", "run", "programs", "stress", "jit"];

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
    let mut only: Vec<String> = GROUPS.iter().map(|g| g.to_string()).collect();
    let mut runtimes = Vec::new();
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("calibrate") {
        args.next();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ is in the repository").to_path_buf();
        let out = args.next().map_or_else(|| root.join("data/cost-model/calibration.csv"), PathBuf::from);
        return calibrate::run(&root, &out);
    }
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--no-docs" => docs = false,
            "--only" => {
                let list = args.next().context("--only needs a list of groups")?;
                only = list.split(',').map(str::to_string).collect();
                if let Some(g) = only.iter().find(|g| !GROUPS.contains(&g.as_str())) {
                    bail!("unknown group `{g}` (groups: {})", GROUPS.join(", "));
                }
                docs = false;
            }
            "--runtimes" => {
                let list = args.next().context("--runtimes needs a list of names")?;
                runtimes = list.split(',').map(str::to_lowercase).collect();
                docs = false;
            }
            other => bail!("unknown argument `{other}` (expected --quick, --no-docs, --only GROUP,... or --runtimes NAME,...)"),
        }
    }
    if cfg!(debug_assertions) {
        bail!("benchmarks run in release mode: cargo run --release --manifest-path bench/Cargo.toml");
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ is in the repository").to_path_buf();
    let scratch = std::env::temp_dir().join(format!("brisk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let setup = Setup {
        root: root.clone(),
        scratch: scratch.clone(),
        quick,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        v8: node::node_version(),
        runtimes,
    };
    let mut remarks = Vec::new();
    if setup.v8.is_none() {
        remarks.push("V8: Node.js is not installed, so V8 is not a peer in this run.".to_string());
    }
    let started = Instant::now();
    let result = run_groups(&setup, &only, &mut remarks);
    let _ = std::fs::remove_dir_all(&scratch);
    let figures = result?;
    eprintln!("all groups: {:.0} s", started.elapsed().as_secs_f64());

    let mut command = String::from("cargo run --release --manifest-path bench/Cargo.toml");
    if quick {
        command.push_str(" -- --quick");
    }
    let peers = format!(
        "wasmtime 48.0.8 (cranelift, winch, pulley; wasmtime-wasi 48.0.8 for WASI), wasmi 2.0.0 (wasmi_wasi 2.0.0 for WASI), {}",
        setup.v8.as_ref().map_or_else(|| "no V8 (Node.js not installed)".to_string(), |v| format!("V8 {} (Node.js {v})", v8_version())),
    );
    let report = report::Report { figures, remarks, machine: machine(), date: date(), command, peers, quick };
    report.print_table();
    if docs {
        std::fs::write(root.join("bench/results.json"), report.json())?;
        std::fs::write(root.join("docs/benchmarks.md"), report.markdown())?;
        println!("wrote docs/benchmarks.md and bench/results.json");
    }
    Ok(())
}

fn run_groups(setup: &Setup, only: &[String], remarks: &mut Vec<String>) -> Result<Vec<report::Figure>> {
    let mut figures = Vec::new();
    let wants = |g: &str| only.iter().any(|o| o == g);
    if wants("compile") {
        let mut corpora = vec![inputs::smith_corpus(if setup.quick { 12 } else { 40 })];
        match inputs::programs_corpus(&setup.root, &setup.root.join("bench/target/programs")) {
            Ok(c) => corpora.push(c),
            Err(e) => remarks.push(format!("Compile time of the C programs: they could not be built ({e:#}).")),
        }
        figures.extend(compile::run(setup, &corpora)?);
    }
    for (group, f) in [
        ("load", load::run as fn(&Setup) -> Result<Vec<report::Figure>>),
        ("instantiate", instantiate::run),
        ("unload", unload::run),
        ("run", run::run),
        ("programs", programs::run),
        ("stress", stress::run),
        ("jit", programs::time_to_result),
    ] {
        if wants(group) {
            let t = Instant::now();
            figures.extend(f(setup).with_context(|| format!("benchmark group {group}"))?);
            eprintln!("{group}: {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    Ok(figures)
}

/// V8's version, as Node.js reports it.
fn v8_version() -> String {
    std::process::Command::new("node")
        .args(["-p", "process.versions.v8"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
