//! The `brisk` command line.

use anyhow::{Context, Result, anyhow, bail};
use brisk::{
    Cache, CacheOutcome, Config, Engine, Linker, Module, OptLevel, RegallocAlgorithm, Store, Strategy, Val, ValType,
};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Brisk: a WebAssembly runtime with predictable compile time.
#[derive(Parser)]
#[command(name = "brisk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WebAssembly module (.wasm or .wat) or a precompiled artifact.
    Run(RunArgs),
    /// Compile a module to an artifact that `brisk run` loads by mapping it.
    Compile(CompileArgs),
    /// Run .wast spec scripts and count passing directives.
    Wast(WastArgs),
    /// Manage the compilation cache of `brisk run`.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Print the cache folder.
    Path,
    /// Remove every cached artifact.
    Clear,
}

/// Options shared by every command that compiles code.
#[derive(Args, Clone, Default)]
struct CommonOptions {
    /// Codegen options, `-C key=value`:
    ///   tier=optimized|auto               compiler tier (interp and baseline come later);
    ///   regalloc-algorithm=backtracking|single-pass
    ///                                     register allocator of the optimizing tier;
    ///   parallel-compilation=y|n          compile functions on all cores (default y);
    ///   cache=y|n                         `brisk run`: reuse compiled artifacts from the
    ///                                     cache folder (`brisk cache path`; default y).
    #[arg(short = 'C', value_name = "KEY=VAL", verbatim_doc_comment)]
    codegen: Vec<String>,
    /// Optimization options, `-O key=value`:
    ///   opt-level=0|1|2|s                 0: none, 1 and 2: speed, s: speed and size (default 2).
    #[arg(short = 'O', value_name = "KEY=VAL", verbatim_doc_comment)]
    optimize: Vec<String>,
    /// WebAssembly options, `-W key=value`:
    ///   max-wasm-stack=BYTES              most native stack wasm may use (default 524288).
    #[arg(short = 'W', value_name = "KEY=VAL", verbatim_doc_comment)]
    wasm: Vec<String>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    options: CommonOptions,
    /// Say on stderr how the module was loaded: compiled, from the cache,
    /// or from an artifact, and how long it took.
    #[arg(short, long)]
    verbose: bool,
    /// Call this exported function instead of `_start`, and print its results.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    /// The module to run.
    file: PathBuf,
    /// Arguments for `--invoke`, parsed as the function's parameter types.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

#[derive(Args)]
struct CompileArgs {
    #[command(flatten)]
    options: CommonOptions,
    /// The module (.wasm or .wat).
    file: PathBuf,
    /// Where to write the artifact (default: FILE with extension .bwasm).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct WastArgs {
    #[command(flatten)]
    options: CommonOptions,
    /// Compile every module to an artifact file and load it with
    /// `Module::deserialize_file` before running its directives.
    #[arg(long)]
    round_trip: bool,
    /// With --round-trip: keep the artifacts in this folder.
    #[arg(long, value_name = "DIR", requires = "round_trip")]
    artifact_dir: Option<PathBuf>,
    /// Print every failing directive.
    #[arg(short, long)]
    verbose: bool,
    /// The scripts.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn split(opt: &str) -> Result<(&str, &str)> {
    opt.split_once('=').ok_or_else(|| anyhow!("option `{opt}` is not of the form KEY=VALUE"))
}

fn yes_no(key: &str, v: &str) -> Result<bool> {
    match v {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => bail!("`{key}` takes y or n, not `{v}`"),
    }
}

impl CommonOptions {
    fn config(&self) -> Result<Config> {
        let mut config = Config::new();
        for opt in &self.codegen {
            match split(opt)? {
                ("tier", "optimized") => {
                    config.strategy(Strategy::Optimized);
                }
                ("tier", "auto") => {
                    config.strategy(Strategy::Auto);
                }
                ("tier", t @ ("interp" | "baseline")) => bail!("tier `{t}` is not implemented yet"),
                ("tier", t) => bail!("unknown tier `{t}` (expected optimized or auto)"),
                ("regalloc-algorithm", "backtracking") => {
                    config.cranelift_regalloc_algorithm(RegallocAlgorithm::Backtracking);
                }
                ("regalloc-algorithm", "single-pass") => {
                    config.cranelift_regalloc_algorithm(RegallocAlgorithm::SinglePass);
                }
                ("regalloc-algorithm", a) => bail!("unknown register allocator `{a}` (backtracking or single-pass)"),
                ("parallel-compilation", v) => {
                    config.parallel_compilation(yes_no("parallel-compilation", v)?);
                }
                ("cache", v) => {
                    yes_no("cache", v)?;
                }
                (k, _) => bail!("unknown -C option `{k}`"),
            }
        }
        for opt in &self.optimize {
            match split(opt)? {
                ("opt-level", "0") => {
                    config.cranelift_opt_level(OptLevel::None);
                }
                ("opt-level", "1" | "2") => {
                    config.cranelift_opt_level(OptLevel::Speed);
                }
                ("opt-level", "s") => {
                    config.cranelift_opt_level(OptLevel::SpeedAndSize);
                }
                ("opt-level", l) => bail!("unknown opt-level `{l}` (0, 1, 2 or s)"),
                (k, _) => bail!("unknown -O option `{k}`"),
            }
        }
        for opt in &self.wasm {
            match split(opt)? {
                ("max-wasm-stack", v) => {
                    let bytes: usize = v.parse().with_context(|| format!("max-wasm-stack: `{v}` is not a number"))?;
                    config.max_wasm_stack(bytes);
                }
                (k, _) => bail!("unknown -W option `{k}`"),
            }
        }
        Ok(config)
    }

    /// `-C cache=y|n`, validated by [`CommonOptions::config`].
    fn cache(&self) -> bool {
        !self.codegen.iter().filter_map(|o| split(o).ok()).any(|(k, v)| k == "cache" && matches!(v, "n" | "no" | "false"))
    }
}

/// Is the file an artifact? Only its first bytes are read.
fn is_artifact_file(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 4];
    let mut file = std::fs::File::open(path).with_context(|| format!("failed to read {}", path.display()))?;
    let n = file.read(&mut head).with_context(|| format!("failed to read {}", path.display()))?;
    Ok(Engine::is_precompiled(&head[..n]))
}

/// Loads the module `brisk run` runs: an artifact by mapping it, else
/// through the cache, else by compiling it in memory.
#[allow(unsafe_code, reason = "an artifact the user names is loaded as native code, as any program they run")]
fn load_module(engine: &Engine, args: &RunArgs) -> Result<Module> {
    let path = &args.file;
    let started = std::time::Instant::now();
    let elapsed = || format!("{:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    if is_artifact_file(path)? {
        // SAFETY: the user asked to run this artifact; a damaged file is
        // refused by the loader's checks.
        let module = unsafe { Module::deserialize_file(engine, path)? };
        if args.verbose {
            eprintln!("brisk: loaded artifact {} in {}", path.display(), elapsed());
        }
        return Ok(module);
    }
    let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    let cache = if args.options.cache() { Cache::user_default() } else { None };
    let Some(cache) = cache else {
        let module = Module::new(engine, &bytes).with_context(|| format!("failed to compile {}", path.display()))?;
        if args.verbose {
            eprintln!("brisk: compiled {} in {} (cache off)", path.display(), elapsed());
        }
        return Ok(module);
    };
    let (module, outcome) =
        cache.load_or_compile(engine, &bytes).with_context(|| format!("failed to compile {}", path.display()))?;
    if args.verbose {
        match outcome {
            CacheOutcome::Hit(p) => eprintln!("brisk: cache hit, loaded {} in {} (no compilation)", p.display(), elapsed()),
            CacheOutcome::Compiled(p) => eprintln!("brisk: compiled in {}, cached as {}", elapsed(), p.display()),
            CacheOutcome::Replaced(p, why) => {
                eprintln!("brisk: cache entry {} unusable ({why}); compiled again in {}", p.display(), elapsed())
            }
            CacheOutcome::Uncached(why) => eprintln!("brisk: compiled in {}; not cached: {why}", elapsed()),
        }
    }
    Ok(module)
}

fn compile(args: CompileArgs) -> Result<()> {
    let engine = Engine::new(&args.options.config()?)?;
    let path = &args.file;
    let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    if Engine::is_precompiled(&bytes) {
        bail!("{} is already an artifact", path.display());
    }
    let artifact = engine.precompile_module(&bytes).with_context(|| format!("failed to compile {}", path.display()))?;
    let out = args.output.unwrap_or_else(|| path.with_extension(brisk::ARTIFACT_EXTENSION));
    std::fs::write(&out, artifact).with_context(|| format!("failed to write {}", out.display()))
}

fn cache(command: CacheCommand) -> Result<()> {
    let cache = Cache::user_default().ok_or_else(|| anyhow!("no cache folder: neither XDG_CACHE_HOME nor HOME is set"))?;
    match command {
        CacheCommand::Path => println!("{}", cache.dir().display()),
        CacheCommand::Clear => {
            let n = cache.clear()?;
            println!("removed {n} cached artifacts from {}", cache.dir().display());
        }
    }
    Ok(())
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

fn run(args: RunArgs) -> Result<()> {
    let engine = Engine::new(&args.options.config()?)?;
    let module = load_module(&engine, &args)?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let instance = linker.instantiate(&mut store, &module)?;
    let name = match &args.invoke {
        Some(name) => name.clone(),
        None => {
            if !args.args.is_empty() {
                bail!("arguments given without --invoke");
            }
            if instance.get_func(&mut store, "_start").is_none() {
                return Ok(());
            }
            "_start".to_string()
        }
    };
    let func = instance
        .get_func(&mut store, &name)
        .ok_or_else(|| anyhow!("module has no exported function `{name}`"))?;
    let ty = func.ty(&store);
    if args.args.len() != ty.params.len() {
        bail!("`{name}` takes {} arguments ({ty}), {} given", ty.params.len(), args.args.len());
    }
    let params = ty.params.iter().zip(&args.args).map(|(t, s)| parse_arg(*t, s)).collect::<Result<Vec<_>>>()?;
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t).unwrap_or(Val::FuncRef(None))).collect();
    func.call(&mut store, &params, &mut results)?;
    for r in &results {
        println!("{}", show(r));
    }
    Ok(())
}

fn wast(args: WastArgs) -> Result<bool> {
    let mut runner = brisk_wast::WastRunner::new(&args.options.config()?)?;
    runner.allow_precompiled(true);
    if args.round_trip {
        runner.round_trip(args.artifact_dir.clone())?;
    }
    let mut total = brisk_wast::Report::default();
    for file in &args.files {
        let report = match runner.run_file(file) {
            Ok(r) => r,
            Err(e) => brisk_wast::Report { passed: 0, failures: vec![format!("{e:#}")] },
        };
        println!("{}: {} passed, {} failed", file.display(), report.passed, report.failed());
        if args.verbose {
            for f in &report.failures {
                println!("  {f}");
            }
        }
        total.merge(report);
    }
    println!("{} passed, {} failed", total.passed, total.failed());
    Ok(total.failed() == 0)
}

/// A trap as its message and wasm backtrace; any other error as its chain
/// of causes on one line.
fn render_error(e: &anyhow::Error) -> String {
    match (e.downcast_ref::<brisk::Trap>(), e.downcast_ref::<brisk::WasmBacktrace>()) {
        (Some(trap), Some(bt)) => format!("wasm trap: {trap}\n{bt}"),
        (Some(trap), None) => format!("wasm trap: {trap}"),
        _ => format!("{e:#}"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args).map(|()| true),
        Command::Compile(args) => compile(args).map(|()| true),
        Command::Wast(args) => wast(args),
        Command::Cache { command } => cache(command).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", render_error(&e));
            ExitCode::FAILURE
        }
    }
}
