//! `brisk run`: a module's `_start` (a WASI command) or an export given
//! with `--invoke`, with Wasmtime's options and exit codes.

use crate::{CommonOptions, Usage, load_module, usage};
use anyhow::{Context, Result, anyhow, bail};
use brisk::{Engine, Linker, Store, StoreLimits, StoreLimitsBuilder, Val, ValType};
use brisk_wasi::{DirPerms, FilePerms, WasiCtx, WasiCtxBuilder};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) options: CommonOptions,
    /// Say on stderr how the module was loaded (compiled, from the cache, or
    /// from an artifact) and how long it took, and the fuel left after the run.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// After the run, print on stderr `brisk explain`'s table for the
    /// module's slowest functions with whether each tiered up during the
    /// run (with -C tier-up=y), and the summary.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Call this exported function instead of `_start`, with ARGS as its
    /// arguments (parsed as its parameter types), and print its results.
    #[arg(long, value_name = "NAME")]
    pub(crate) invoke: Option<String>,
    /// Give the guest the host directory HOST, as GUEST (default: HOST);
    /// with `::ro`, read-only (the guest can read and list, not change).
    #[arg(long = "dir", value_name = "HOST[::GUEST][::ro]")]
    dirs: Vec<String>,
    /// Set an environment variable of the guest; `--env NAME` passes the
    /// host's value.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,
    /// The guest's `argv[0]` (default: FILE as given).
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,
    /// WASI options, `-S key[=value]`:
    ///   inherit-env[=y|n]                 give the guest the host's whole environment.
    #[arg(short = 'S', value_name = "KEY[=VAL]", verbatim_doc_comment)]
    wasi: Vec<String>,
    /// The module (.wasm, .wat or an artifact), then the guest's arguments:
    /// everything after FILE goes to the guest, even what looks like an option.
    #[arg(value_name = "FILE", required = true, trailing_var_arg = true)]
    module_and_args: Vec<String>,
}

impl RunArgs {
    pub(crate) fn file(&self) -> PathBuf {
        PathBuf::from(&self.module_and_args[0])
    }

    fn args(&self) -> &[String] {
        &self.module_and_args[1..]
    }
}

/// What the store holds for a run.
struct Host {
    wasi: WasiCtx,
    limits: StoreLimits,
}

/// How `brisk run` ended, for the process's exit code.
pub(crate) enum Outcome {
    /// Returned normally.
    Done,
    /// The guest called `proc_exit`.
    Exit(i32),
}

/// `-W` options that bound a run (`fuel`, `timeout`, `max-memory-size`);
/// `CommonOptions::config` enables the code they need.
#[derive(Default)]
pub(crate) struct Bounds {
    pub(crate) fuel: Option<u64>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_memory_size: Option<usize>,
}

/// `1s`, `500ms`, `2.5s`, `1m`: a number and a unit (ns, us, ms, s, m, h).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, Usage> {
    let bad = || usage(format!("`{s}` is not a duration (a number and a unit: 500ms, 1s, 2m)"));
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit.trim() {
        "ns" => n / 1e9,
        "us" | "µs" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| bad())
}

fn wasi_ctx(args: &RunArgs) -> Result<WasiCtx> {
    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio();
    let argv0 = args.argv0.clone().unwrap_or_else(|| args.module_and_args[0].clone());
    builder.arg(argv0).args(args.args());
    for opt in &args.wasi {
        let (key, value) = opt.split_once('=').map_or((opt.as_str(), None), |(k, v)| (k, Some(v)));
        match (key, value) {
            ("inherit-env", v) => {
                if crate::yes_no("inherit-env", v.unwrap_or("y"))? {
                    builder.inherit_env();
                }
            }
            (k, _) => return Err(usage(format!("unknown -S option `{k}` (expected inherit-env)")).into()),
        }
    }
    for env in &args.envs {
        match env.split_once('=') {
            Some((name, value)) => {
                builder.env(name, value);
            }
            None => {
                // Like Wasmtime: pass the host's value, if it has one.
                if let Ok(value) = std::env::var(env) {
                    builder.env(env, value);
                }
            }
        }
    }
    for dir in &args.dirs {
        let (spec, read_only) = match dir.strip_suffix("::ro") {
            Some(spec) => (spec, true),
            None => (dir.as_str(), false),
        };
        let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
        if host.is_empty() || guest.is_empty() {
            return Err(usage(format!("`--dir {dir}`: expected HOST, HOST::GUEST or HOST::GUEST::ro")).into());
        }
        let (dir_perms, file_perms) =
            if read_only { (DirPerms::READ, FilePerms::READ) } else { (DirPerms::all(), FilePerms::all()) };
        builder.preopened_dir(host, guest, dir_perms, file_perms)?;
    }
    Ok(builder.build())
}

/// `brisk run --explain`: the explanation of the module's compile, with
/// what tiered up during the run.
fn explain_run(engine: &Engine, module: &brisk::Module, args: &RunArgs) -> Result<()> {
    let path = args.file();
    let bytes = std::fs::read(&path).with_context(|| format!("failed to read {}", path.display()))?;
    if Engine::is_precompiled(&bytes) {
        crate::eprint_line("brisk: --explain needs a module, not an artifact");
        return Ok(());
    }
    let x = brisk::explain::explain(engine, &bytes, &Default::default())?;
    let tiered: std::collections::HashSet<u32> = module.tiered_up().into_iter().collect();
    let entries = module.on_stack_entries();
    // "yes", and how many loops got an entry for frames to move over.
    let tiered_up = |f: u32| match (tiered.contains(&f), entries.iter().filter(|(g, _)| *g == f).count()) {
        (false, _) => "no".to_string(),
        (true, 0) => "yes".to_string(),
        (true, n) => format!("yes, {n} osr"),
    };
    crate::eprint_line(&format!("{:>6}  {:<32} {:>8} {:>10}  {:<9} {:<10} why", "func", "name", "ops", "opt pred", "tier", "tiered up"));
    for f in x.functions.iter().take(20) {
        let name = crate::clip(f.name.as_deref().unwrap_or_default(), 32);
        crate::eprint_line(&format!(
            "{:>6}  {:<32} {:>8} {:>7.3} ms  {:<9} {:<10} {}",
            f.index,
            name,
            f.features.operators,
            f.predicted.optimized_seconds * 1e3,
            f.tier.name(),
            tiered_up(f.index),
            f.reason
        ));
    }
    let [(_, optimized), (_, baseline), (_, interp)] = x.per_tier();
    crate::eprint_line(&format!(
        "{} functions: {optimized} optimized, {baseline} baseline, {interp} interp at start; {} tiered up during the run, \
         {} on-stack-replacement entries for frames still looping on baseline code",
        x.functions.len(),
        tiered.len(),
        entries.len()
    ));
    Ok(())
}

pub(crate) fn run(args: RunArgs) -> Result<Outcome> {
    let (config, bounds) = args.options.config()?;
    let engine = Engine::new(&config)?;
    let module = load_module(&engine, &args)?;
    let mut limits = StoreLimitsBuilder::new();
    if let Some(bytes) = bounds.max_memory_size {
        limits = limits.memory_size(bytes);
    }
    let host = Host { wasi: wasi_ctx(&args)?, limits: limits.build() };
    let mut store = Store::new(&engine, host);
    store.limiter(|h| &mut h.limits);
    if let Some(fuel) = bounds.fuel {
        store.set_fuel(fuel)?;
    }
    let _timer = bounds.timeout.map(|t| {
        store.set_epoch_deadline(1);
        Timer::start(&engine, t)
    });
    let mut linker = Linker::new(&engine);
    brisk_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi)?;
    let instance = linker.instantiate(&mut store, &module)?;
    let name = match &args.invoke {
        Some(name) => name.clone(),
        // A command's entry point; a module without one (a reactor, or a
        // module whose start function did the work) has run already.
        None if instance.get_func(&mut store, "_start").is_none() => {
            if !args.args().is_empty() {
                return Err(usage(format!(
                    "arguments given, but the module exports no `_start` to run (to call an export: \
                     brisk run --invoke NAME {} ARGS...)",
                    args.module_and_args[0]
                ))
                .into());
            }
            return Ok(Outcome::Done);
        }
        None => "_start".to_string(),
    };
    let func = instance
        .get_func(&mut store, &name)
        .ok_or_else(|| anyhow!("module has no exported function `{name}`"))?;
    let ty = func.ty(&store);
    let given = if args.invoke.is_some() { args.args() } else { &[] };
    if given.len() != ty.params.len() {
        bail!("`{name}` takes {} arguments ({ty}), {} given", ty.params.len(), given.len());
    }
    let params = ty.params.iter().zip(given).map(|(t, s)| parse_arg(*t, s)).collect::<Result<Vec<_>>>()?;
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t).unwrap_or(Val::FuncRef(None))).collect();
    let result = func.call(&mut store, &params, &mut results);
    if args.explain {
        explain_run(&engine, &module, &args)?;
    }
    if args.verbose && bounds.fuel.is_some() {
        let left = store.get_fuel()?;
        crate::eprint_line(&format!("brisk: fuel left {left} (consumed {})", bounds.fuel.unwrap_or(0) - left));
    }
    if let Err(e) = result {
        return match e.downcast_ref::<brisk_wasi::I32Exit>() {
            Some(exit) => Ok(Outcome::Exit(exit.0)),
            None => Err(e),
        };
    }
    let mut out = std::io::stdout().lock();
    for r in &results {
        // A closed stdout (`| head`) is not an error of the run.
        if writeln!(out, "{}", show(r)).is_err() {
            break;
        }
    }
    Ok(Outcome::Done)
}

/// Advances the engine's epoch once after the timeout; dropped (and its
/// thread told to stop) when the run ends.
struct Timer {
    stop: std::sync::mpsc::Sender<()>,
}

impl Timer {
    fn start(engine: &Engine, timeout: Duration) -> Timer {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let engine = engine.clone();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(timeout) {
                engine.increment_epoch();
            }
        });
        Timer { stop }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}

fn parse_arg(ty: ValType, s: &str) -> Result<Val> {
    let bad = || anyhow!("`{s}` is not a valid {ty}");
    Ok(match ty {
        ValType::I32 => Val::I32(match s.parse::<i32>() {
            Ok(v) => v,
            Err(_) => s.parse::<u32>().map_err(|_| bad())? as i32,
        }),
        ValType::I64 => Val::I64(match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => s.parse::<u64>().map_err(|_| bad())? as i64,
        }),
        ValType::F32 => Val::F32(s.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().map_err(|_| bad())?.to_bits()),
        ValType::V128 => {
            let hex = s.strip_prefix("0x").ok_or_else(bad)?;
            Val::V128(u128::from_str_radix(hex, 16).map_err(|_| bad())?)
        }
        ValType::FuncRef | ValType::ExternRef if s != "null" => bail!("only `null` can be passed as a {ty}"),
        ValType::FuncRef => Val::FuncRef(None),
        ValType::ExternRef => Val::ExternRef(None),
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(x) => f32::from_bits(*x).to_string(),
        Val::F64(x) => f64::from_bits(*x).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "funcref".to_string(),
        Val::ExternRef(None) => "null".to_string(),
        Val::ExternRef(Some(_)) => "externref".to_string(),
    }
}

/// `max-memory-size=BYTES`.
pub(crate) fn parse_bytes(key: &str, v: &str) -> Result<usize, Usage> {
    v.parse().map_err(|_| usage(format!("{key}: `{v}` is not a number of bytes")))
}
