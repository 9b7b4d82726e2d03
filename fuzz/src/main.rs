//! Brisk's fuzzing targets on stable Rust: a seed-driven loop around the
//! oracles of `brisk-fuzzing`, with Wasmtime as the outside oracle.
//!
//! ```text
//! brisk-fuzz TARGET [--seed S] [--iterations N] [--time SECONDS] [--workers W] [--brisk-only] [--baseline]
//! ```
//!
//! TARGET is `compile`, `differential`, `artifact` or `wast`. Seeds S,
//! S+1, ... are run (one input each) until N inputs or SECONDS have gone
//! by. With W >= 1 (default 1) inputs run in child processes, in batches,
//! W at a time: a crash (a signal) or a hang (no progress for 60 s) is
//! pinned on the seed that was running, recorded, and the run goes on
//! with the next seed. With `--workers 0` everything runs in this process
//! (for reproducing one seed in a debugger). Panics are caught per input.
//! Failing inputs go to `fuzz/artifacts/TARGET-SEED.wasm` with a `.txt`
//! saying what went wrong.

mod wasmtime_engine;

use brisk_fuzzing::artifact::{self, ArtifactOutcome};
use brisk_fuzzing::generate::{Rng, Shape, seed_bytes, smith_seed};
use brisk_fuzzing::oracle::{self, DiffStats, Mismatch, panic_message};
use brisk_fuzzing::tiers::{BriskEngine, TIERS};
use brisk_fuzzing::wast::{self as wast_target, WastOutcome};
use brisk_fuzzing::Engine;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TARGETS: [&str; 4] = ["compile", "differential", "artifact", "wast"];
/// Seeds per child process.
const BATCH: u64 = 250;
/// A child that reports nothing for this long is hung.
const HANG: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
struct Options {
    target: String,
    seed: u64,
    iterations: Option<u64>,
    time: Option<u64>,
    workers: usize,
    child: bool,
    brisk_only: bool,
    baseline: bool,
    flat_bulk_fuel: bool,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: brisk-fuzz compile|differential|artifact|wast [--seed S] [--iterations N] [--time SECONDS] [--workers W] [--brisk-only] [--flat-bulk-fuel] [--baseline]"
    );
    ExitCode::from(2)
}

fn parse() -> Option<Options> {
    let mut args = std::env::args().skip(1);
    let target = args.next().filter(|t| TARGETS.contains(&t.as_str()))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut o = Options {
        target,
        seed: nanos % 1_000_000_000,
        iterations: None,
        time: None,
        workers: 1,
        child: false,
        brisk_only: false,
        baseline: false,
        flat_bulk_fuel: false,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => o.seed = args.next()?.parse().ok()?,
            "--iterations" => o.iterations = Some(args.next()?.parse().ok()?),
            "--time" => o.time = Some(args.next()?.parse().ok()?),
            "--workers" => o.workers = args.next()?.parse().ok()?,
            "--child" => o.child = true,
            "--brisk-only" => o.brisk_only = true,
            "--baseline" => o.baseline = true,
            "--flat-bulk-fuel" => o.flat_bulk_fuel = true,
            _ => return None,
        }
    }
    if o.iterations.is_none() && o.time.is_none() {
        o.iterations = Some(1000);
    }
    Some(o)
}

/// Counters by name; every target reports some.
type Counters = BTreeMap<String, u64>;

fn artifacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts")
}

fn save(target: &str, seed: u64, bytes: &[u8], what: &str) -> PathBuf {
    let dir = artifacts_dir();
    let _ = std::fs::create_dir_all(&dir);
    let ext = if target == "artifact" { "bwasm" } else { "wasm" };
    let path = dir.join(format!("{target}-{seed}.{ext}"));
    let _ = std::fs::write(&path, bytes);
    let _ = std::fs::write(
        dir.join(format!("{target}-{seed}.txt")),
        format!("{what}\nreproduce: CARGO_TARGET_DIR=bench/target cargo run --release --manifest-path fuzz/Cargo.toml -- {target} --seed {seed} --iterations 1 --workers 0\n"),
    );
    path
}

/// One target's state in the process that runs inputs.
struct Runner {
    target: String,
    brisk: Vec<BriskEngine>,
    diff: Vec<Box<dyn Engine>>,
    wast_modules: Vec<(String, Vec<u8>)>,
}

impl Runner {
    fn new(o: &Options) -> Runner {
        let brisk: Vec<BriskEngine> = TIERS.iter().map(BriskEngine::new).collect();
        let mut diff = BriskEngine::all();
        if o.target == "differential" && !o.brisk_only {
            diff.push(Box::new(wasmtime_engine::WasmtimeEngine::new(o.flat_bulk_fuel)));
        }
        let wast_modules = if o.target == "wast" { wast_target::spec_modules() } else { Vec::new() };
        Runner { target: o.target.clone(), brisk, diff, wast_modules }
    }

    /// The input a crash or hang is blamed on, for saving.
    fn input(&self, seed: u64) -> Vec<u8> {
        match self.target.as_str() {
            "compile" => compile_input(seed).0,
            "wast" => self.wast_modules.get(self.wast_pick(seed)).map(|m| m.1.clone()).unwrap_or_default(),
            "artifact" => smith_seed(seed, Shape { no_start: true }).wasm,
            _ => smith_seed(seed, Shape::default()).wasm,
        }
    }

    fn wast_pick(&self, seed: u64) -> usize {
        Rng::new(seed).below(self.wast_modules.len() as u64) as usize
    }

    /// Runs one seed: counters, or the failing bytes and what failed.
    fn run(&mut self, seed: u64, c: &mut Counters) -> Result<(), (Vec<u8>, Mismatch)> {
        let mut bump = |k: &str, n: u64| *c.entry(k.to_string()).or_default() += n;
        match self.target.as_str() {
            "compile" => {
                let (wasm, expect_valid) = compile_input(seed);
                let valid = oracle::compile(&wasm, &self.brisk, expect_valid).map_err(|e| (wasm.clone(), e))?;
                bump("inputs", 1);
                bump(if valid { "valid" } else { "invalid" }, 1);
                bump("compilations", self.brisk.len() as u64);
            }
            "differential" => {
                let input = smith_seed(seed, Shape::default());
                let mut s = DiffStats::default();
                let r = oracle::differential(&input.wasm, &input.args, &mut self.diff, &mut s);
                add_diff(&mut bump, &s);
                r.map_err(|e| (input.wasm, e))?;
            }
            "artifact" => {
                let input = smith_seed(seed, Shape { no_start: true });
                let tier = &TIERS[(seed % TIERS.len() as u64) as usize];
                let mut s = DiffStats::default();
                let mut rng = Rng::new(seed ^ 0xa27f);
                let r = artifact::check(&input.wasm, &input.args, tier, &mut rng, &mut s);
                bump("executions", s.executions);
                let outcome = r.map_err(|(bytes, e)| (if bytes.is_empty() { input.wasm.clone() } else { bytes }, e))?;
                bump("inputs", 1);
                bump(
                    match outcome {
                        ArtifactOutcome::Refused => "refused",
                        ArtifactOutcome::Identical => "identical",
                        ArtifactOutcome::InstantiateRefused => "instantiate-refused",
                        ArtifactOutcome::Instantiated => "instantiated",
                    },
                    1,
                );
            }
            "wast" => {
                let (name, wasm) = self.wast_modules[self.wast_pick(seed)].clone();
                let mut rng = Rng::new(seed ^ 0x3a57);
                let mut s = DiffStats::default();
                let r = wast_target::check(&wasm, &mut rng, &self.brisk, &mut self.diff, &mut s);
                add_diff(&mut bump, &s);
                let outcome = r.map_err(|(m, e)| (m, Mismatch(format!("{name} mutated: {e}"))))?;
                bump("inputs", 1);
                bump(
                    match outcome {
                        WastOutcome::Refused => "refused",
                        WastOutcome::Compiled { ran: true } => "compiled+ran",
                        WastOutcome::Compiled { ran: false } => "compiled",
                    },
                    1,
                );
            }
            _ => unreachable!(),
        }
        Ok(())
    }
}

fn add_diff(bump: &mut impl FnMut(&str, u64), s: &DiffStats) {
    bump("modules", s.modules);
    bump("instantiated", s.instantiated);
    bump("executions", s.executions);
    bump("skipped", s.skipped);
    bump("stack-vs-fuel", s.stack_vs_fuel);
}

/// The compile target's input: raw bytes (half of them behind a valid
/// header), a wasm-smith module, or a mutated one.
fn compile_input(seed: u64) -> (Vec<u8>, bool) {
    let mut rng = Rng::new(seed ^ 0xc0de);
    match seed % 3 {
        0 => {
            let mut wasm = seed_bytes(seed);
            wasm.truncate(rng.below(2048) as usize);
            if rng.below(2) == 0 {
                wasm.splice(0..0, *b"\0asm\x01\0\0\0");
            }
            (wasm, false)
        }
        1 => (smith_seed(seed, Shape::default()).wasm, true),
        _ => {
            let mut wasm = smith_seed(seed, Shape::default()).wasm;
            brisk_fuzzing::mutate::mutate_some(&mut wasm, &mut rng);
            (wasm, false)
        }
    }
}

/// Runs `seeds` in this process, printing protocol lines for a parent
/// (`child`) or human lines.
fn run_seeds(o: &Options, seeds: std::ops::Range<u64>, deadline: Option<Instant>) -> (Counters, u64, u64) {
    let mut runner = Runner::new(o);
    let mut c = Counters::new();
    let (mut mismatches, mut crashes) = (0, 0);
    let out = std::io::stdout();
    for seed in seeds {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if o.child {
            let _ = writeln!(out.lock(), "start {seed}");
        }
        match catch_unwind(AssertUnwindSafe(|| runner.run(seed, &mut c))) {
            Ok(Ok(())) => {}
            Ok(Err((bytes, e))) => {
                mismatches += 1;
                let path = save(&o.target, seed, &bytes, &e.0);
                let _ = writeln!(out.lock(), "mismatch {seed} {} ({})", e.0.replace('\n', " "), path.display());
            }
            Err(p) => {
                crashes += 1;
                let msg = format!("panic: {}", panic_message(&*p));
                let path = save(&o.target, seed, &runner.input(seed), &msg);
                let _ = writeln!(out.lock(), "crash {seed} {msg} ({})", path.display());
                // The engines may be in any state after a panic.
                runner = Runner::new(o);
            }
        }
        *c.entry("seeds".into()).or_default() += 1;
    }
    (c, mismatches, crashes)
}

#[derive(Default)]
struct Totals {
    counters: Counters,
    mismatches: u64,
    crashes: u64,
    hangs: u64,
}

fn counters_text(c: &Counters) -> String {
    c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

fn summary(target: &str, t: &Totals, secs: f64) -> String {
    let get = |k: &str| t.counters.get(k).copied().unwrap_or(0);
    let head = match target {
        "differential" => format!("{} executions, {} modules", get("executions"), get("modules")),
        "compile" => format!("{} inputs, {} compilations", get("inputs"), get("compilations")),
        "artifact" => format!("{} artifacts, {} executions", get("inputs"), get("executions")),
        _ => format!("{} mutated modules, {} executions", get("inputs"), get("executions")),
    };
    format!(
        "{target}: {head}, {} mismatches, {} crashes, {} hangs in {secs:.0} s ({})",
        t.mismatches,
        t.crashes,
        t.hangs,
        counters_text(&t.counters)
    )
}

/// One worker: runs batches in child processes until the seeds or the
/// time run out.
fn worker(o: &Options, next: &AtomicU64, end: u64, deadline: Option<Instant>, totals: &Mutex<Totals>, stop: &AtomicBool) {
    let exe = std::env::current_exe().expect("the running executable");
    loop {
        let mut first = next.fetch_add(BATCH, Ordering::SeqCst);
        if first >= end || stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        let last = (first + BATCH).min(end);
        while first < last {
            let mut cmd = Command::new(&exe);
            cmd.arg(&o.target).args(["--child", "--seed", &first.to_string(), "--iterations", &(last - first).to_string()]);
            if let Some(d) = deadline {
                cmd.args(["--time", &d.saturating_duration_since(Instant::now()).as_secs().max(1).to_string()]);
            }
            if o.brisk_only {
                cmd.arg("--brisk-only");
            }
            if o.flat_bulk_fuel {
                cmd.arg("--flat-bulk-fuel");
            }
            let mut child = cmd.stdout(Stdio::piped()).spawn().expect("a child process");
            let stdout = child.stdout.take().expect("piped");
            let pid = child.id();
            let last_line = Arc::new(Mutex::new(Instant::now()));
            let done = Arc::new(AtomicBool::new(false));
            let hung = Arc::new(AtomicBool::new(false));
            let watchdog = {
                let (last_line, done, hung) = (last_line.clone(), done.clone(), hung.clone());
                std::thread::spawn(move || {
                    while !done.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(500));
                        if last_line.lock().expect("lock").elapsed() > HANG && !done.load(Ordering::SeqCst) {
                            hung.store(true, Ordering::SeqCst);
                            // SIGKILL our own child, by its id.
                            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                            return;
                        }
                    }
                })
            };
            let mut running: Option<u64> = None;
            let mut finished = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                *last_line.lock().expect("lock") = Instant::now();
                let mut parts = line.splitn(3, ' ');
                match parts.next() {
                    Some("start") => running = parts.next().and_then(|s| s.parse().ok()),
                    Some("mismatch") | Some("crash") => {
                        let mut t = totals.lock().expect("lock");
                        if line.starts_with("crash") {
                            t.crashes += 1;
                        } else {
                            t.mismatches += 1;
                        }
                        eprintln!("{line}");
                    }
                    Some("stats") => {
                        let mut t = totals.lock().expect("lock");
                        for kv in line.split(' ').skip(1) {
                            if let Some((k, v)) = kv.split_once('=') {
                                *t.counters.entry(k.to_string()).or_default() += v.parse::<u64>().unwrap_or(0);
                            }
                        }
                        finished = true;
                    }
                    _ => {}
                }
            }
            let status = child.wait().expect("wait for the child");
            done.store(true, Ordering::SeqCst);
            let _ = watchdog.join();
            // The child ends with a failure status when it found
            // mismatches; its stats line says it finished.
            if finished {
                break;
            }
            // A crash or a hang: blame the seed that was running, skip it
            // and go on with the rest of the batch.
            let seed = running.unwrap_or(first);
            let what = if hung.load(Ordering::SeqCst) {
                totals.lock().expect("lock").hangs += 1;
                format!("hang: no progress for {} s", HANG.as_secs())
            } else {
                totals.lock().expect("lock").crashes += 1;
                format!("crash: the process ended with {status}")
            };
            let path = save(&o.target, seed, &Runner::new(o).input(seed), &what);
            eprintln!("crash {seed} {what} ({})", path.display());
            *totals.lock().expect("lock").counters.entry("seeds".into()).or_default() += seed + 1 - first;
            first = seed + 1;
        }
    }
}

/// `brisk-fuzz inspect FILE.wasm [ARG-SEED]`: the module as text, then
/// every export called (twice, as the differential oracle does) on the
/// reference, one engine without fuel and Wasmtime, with the outcome and
/// the fuel left after each call.
fn inspect(path: &str) -> ExitCode {
    let wasm = std::fs::read(path).expect("a readable file");
    println!("{}", wasmprinter::print_bytes(&wasm).unwrap_or_else(|e| format!("(not printable: {e})")));
    let mut engines: Vec<Box<dyn Engine>> = vec![
        Box::new(BriskEngine::new(&TIERS[0])),
        Box::new(BriskEngine::new(&TIERS[1])),
        Box::new(wasmtime_engine::WasmtimeEngine::new(false)),
        Box::new(wasmtime_engine::WasmtimeEngine::new(true)),
    ];
    for e in &mut engines {
        println!("== {}", e.name());
        let mut inst = match e.instantiate(&wasm) {
            Ok(i) => i,
            Err(err) => {
                println!("instantiate: {err:?}");
                continue;
            }
        };
        println!("after instantiation: fuel left {:?}", inst.fuel_left());
        let funcs = inst.funcs();
        for (name, params, _) in funcs.iter().chain(funcs.iter()) {
            let args: Vec<brisk_fuzzing::DiffValue> = params.iter().map(|k| brisk_fuzzing::DiffValue::arbitrary(*k, &mut arbitrary::Unstructured::new(&[]))).collect();
            let out = inst.call(name, &args);
            println!("call {name:?} {args:?}: {out} (fuel left {:?})", inst.fuel_left());
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("inspect") {
        return match std::env::args().nth(2) {
            Some(p) => inspect(&p),
            None => usage(),
        };
    }
    let Some(o) = parse() else { return usage() };
    let start = Instant::now();
    let deadline = o.time.map(|t| start + Duration::from_secs(t));
    let end = o.seed.saturating_add(o.iterations.unwrap_or(u64::MAX - o.seed));
    if o.child {
        let (c, m, k) = brisk_fuzzing::tiers::on_big_stack(|| run_seeds(&o, o.seed..end, deadline));
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "stats {}", counters_text(&c));
        let _ = out.flush();
        return if m == 0 && k == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }

    let engines: Vec<String> = {
        let r = Runner::new(&Options { target: "differential".into(), ..o.clone() });
        r.diff.iter().map(|e| e.name()).collect()
    };
    println!("{}: seeds from {}, engines: {}", o.target, o.seed, engines.join(", "));
    let mut totals = Totals::default();
    if o.baseline && o.target == "wast" {
        for (i, tier) in TIERS.iter().enumerate() {
            let r = wast_target::baseline(i);
            println!("baseline {}: {} passed, {} failed", tier.name, r.passed, r.failed());
            for f in r.failures.iter().take(10) {
                println!("  {f}");
            }
            totals.mismatches += r.failed() as u64;
        }
    }
    if o.workers == 0 {
        let (c, m, k) = brisk_fuzzing::tiers::on_big_stack(|| run_seeds(&o, o.seed..end, deadline));
        totals.counters = c;
        totals.mismatches += m;
        totals.crashes += k;
    } else {
        let totals = Mutex::new(totals);
        let next = AtomicU64::new(o.seed);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..o.workers {
                s.spawn(|| worker(&o, &next, end, deadline, &totals, &stop));
            }
            // Progress every 30 s.
            s.spawn(|| {
                let mut shown = Instant::now();
                while next.load(Ordering::SeqCst) < end && deadline.is_none_or(|d| Instant::now() < d) {
                    std::thread::sleep(Duration::from_millis(200));
                    if shown.elapsed() >= Duration::from_secs(30) {
                        shown = Instant::now();
                        let t = totals.lock().expect("lock");
                        println!("progress: {}", summary(&o.target, &t, start.elapsed().as_secs_f64()));
                    }
                }
            });
        });
        let t = totals.into_inner().expect("lock");
        println!("{}", summary(&o.target, &t, start.elapsed().as_secs_f64()));
        return if t.mismatches == 0 && t.crashes == 0 && t.hangs == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    println!("{}", summary(&o.target, &totals, start.elapsed().as_secs_f64()));
    if totals.mismatches == 0 && totals.crashes == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
