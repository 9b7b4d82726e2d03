//! The `brisk` command line.

use anyhow::{Context, Result, anyhow, bail};
use brisk::{Config, Engine, Linker, Module, OptLevel, RegallocAlgorithm, Store, Strategy, Val, ValType};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
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
    /// Run a WebAssembly module (.wasm or .wat).
    Run(RunArgs),
    /// Run .wast spec scripts and count passing directives.
    Wast(WastArgs),
}

/// Options shared by every command that compiles code.
#[derive(Args, Clone, Default)]
struct CommonOptions {
    /// Codegen options, `-C key=value`:
    ///   tier=optimized|auto               compiler tier (interp and baseline come later);
    ///   regalloc-algorithm=backtracking|single-pass
    ///                                     register allocator of the optimizing tier;
    ///   parallel-compilation=y|n          compile functions on all cores (default y).
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
struct WastArgs {
    #[command(flatten)]
    options: CommonOptions,
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
    let module = Module::from_file(&engine, &args.file)?;
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
    let runner = brisk_wast::WastRunner::new(&args.options.config()?)?;
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
        Command::Wast(args) => wast(args),
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
