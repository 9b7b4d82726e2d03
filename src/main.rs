//! The `brisk` command line.

mod run;

use anyhow::{Context, Result, anyhow, bail};
use brisk::{Cache, CacheOutcome, Config, Engine, Module, OptLevel, RegallocAlgorithm, Strategy};
use clap::{Args, Parser, Subcommand};
use run::{Bounds, Outcome, RunArgs};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Brisk: a WebAssembly runtime with predictable compile time.
///
/// `brisk FILE [ARGS...]` is short for `brisk run FILE [ARGS...]`.
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
    /// Per function, slowest first: size and cost features, the predicted
    /// (and with --measure, measured) compile time of each native tier,
    /// and the tier Brisk picks and why.
    Explain(ExplainArgs),
    /// The host CPU features Brisk's tiers use, and the default of every
    /// -C, -O and -W option.
    Settings,
    /// Manage the compilation cache of `brisk run` (alone: `brisk cache size`).
    Cache {
        #[command(subcommand)]
        command: Option<CacheCommand>,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Print the cache folder.
    Path,
    /// Print the folder, the number of entries, their total size and the
    /// size limit (BRISK_CACHE_SIZE, default 1G; least recently used
    /// entries are removed beyond it).
    Size,
    /// Remove every cached artifact.
    Clear,
}

/// The environment variable that sets the cache's size limit.
const CACHE_SIZE_VAR: &str = "BRISK_CACHE_SIZE";

/// The user's cache with its size limit from [`CACHE_SIZE_VAR`]; `None`
/// if there is no folder for it.
fn user_cache() -> Result<Option<Cache>> {
    let Some(cache) = Cache::user_default() else { return Ok(None) };
    let Some(v) = std::env::var_os(CACHE_SIZE_VAR) else { return Ok(Some(cache)) };
    let v = v.to_string_lossy();
    let size = parse_size(&v)
        .ok_or_else(|| anyhow!("{CACHE_SIZE_VAR}=`{v}` is not a size (bytes, or a number with K, M or G)"))?;
    Ok(Some(cache.with_max_size(size)))
}

/// `123`, `64K`, `512M`, `2G` (powers of 1024; `KiB`, `MiB`, `GiB` too).
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..digits].parse().ok()?;
    let shift = match v[digits..].trim_start() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

/// A size for people: `812 B`, `12.0 KiB`, `1.0 GiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let (mut value, mut unit) = (bytes as f64 / 1024.0, 0);
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Options shared by every command that compiles code.
#[derive(Args, Clone, Default)]
struct CommonOptions {
    /// Codegen options, `-C key=value`:
    ///   tier=auto|optimized|baseline|interp|mixed|mixed-baseline
    ///                                     compiler tier (auto, the default: per function, the
    ///                                     optimizing tier where the cost model predicts it fits the
    ///                                     limits below, else the baseline tier; `brisk explain`
    ///                                     shows the choices; baseline: the single-pass compiler;
    ///                                     mixed, mixed-baseline: every other function interpreted /
    ///                                     baseline, for testing);
    ///   function-compile-limit=DURATION   auto: the most time the optimizing tier may be predicted
    ///                                     to take on one function (default 150ms);
    ///   compile-memory-limit=BYTES        the most memory the optimizing tier may be predicted to
    ///                                     need for one function, on any tier (default 1G);
    ///   compile-budget=DURATION           bound the wall time of compiling a module: functions whose
    ///                                     optimizing compile is not done by then get the baseline
    ///                                     tier's code (default: no budget);
    ///   tier-up=y|n                       with tier=auto: start every function in the baseline tier
    ///                                     and optimize hot ones in the background (default n);
    ///   tier-up-threshold=N               calls plus loop iterations that make a function hot
    ///                                     (default 1000);
    ///   native-unwind-info=y|n            emit .eh_frame and register it with the system unwinder,
    ///                                     which then walks through wasm frames (default n);
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
    ///   max-wasm-stack=BYTES              most native stack wasm may use (default 524288);
    ///   fuel=N                            run with N fuel (each operator costs 1, as in
    ///                                     Wasmtime); trap when it runs out;
    ///   timeout=DURATION                  interrupt wasm after DURATION (500ms, 2s, 1m);
    ///   max-memory-size=BYTES             most bytes any linear memory may grow to
    ///                                     (memory.grow returns -1 beyond it).
    #[arg(short = 'W', value_name = "KEY=VAL", verbatim_doc_comment)]
    wasm: Vec<String>,
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
struct ExplainArgs {
    #[command(flatten)]
    options: CommonOptions,
    /// The module (.wasm or .wat).
    file: PathBuf,
    /// Also compile each function alone with each native tier and time it
    /// (not where the prediction is over --measure-limit).
    #[arg(long)]
    measure: bool,
    /// With --measure: skip a tier on functions predicted to take longer.
    #[arg(long, value_name = "DURATION", default_value = "10s", requires = "measure")]
    measure_limit: String,
    /// Print JSON: one object per function, and a summary.
    #[arg(long)]
    json: bool,
    /// Print at most this many functions (the summary counts all).
    #[arg(long, value_name = "N")]
    top: Option<usize>,
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

/// A mistake in the command line: reported like clap's own, exit code 2.
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn usage(message: impl Into<String>) -> Usage {
    Usage(message.into())
}

fn split(opt: &str) -> Result<(&str, &str), Usage> {
    opt.split_once('=').ok_or_else(|| usage(format!("option `{opt}` is not of the form KEY=VALUE")))
}

fn yes_no(key: &str, v: &str) -> Result<bool, Usage> {
    match v {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => Err(usage(format!("`{key}` takes y or n, not `{v}`"))),
    }
}

impl CommonOptions {
    /// The engine's configuration, and the `-W` options that bound a run.
    fn config(&self) -> Result<(Config, Bounds), Usage> {
        let mut config = Config::new();
        let mut bounds = Bounds::default();
        for opt in &self.codegen {
            match split(opt)? {
                ("tier", "optimized") => {
                    config.strategy(Strategy::Optimized);
                }
                ("tier", "auto") => {
                    config.strategy(Strategy::Auto);
                }
                ("tier", "interp") => {
                    config.strategy(Strategy::Interpreter);
                }
                ("tier", "mixed") => {
                    config.strategy(Strategy::Mixed);
                }
                ("tier", "baseline") => {
                    config.strategy(Strategy::Baseline);
                }
                ("tier", "mixed-baseline") => {
                    config.strategy(Strategy::MixedBaseline);
                }
                ("tier", t) => {
                    return Err(usage(format!(
                        "unknown tier `{t}` (expected auto, optimized, baseline, interp, mixed or mixed-baseline)"
                    )));
                }
                ("regalloc-algorithm", "backtracking") => {
                    config.cranelift_regalloc_algorithm(RegallocAlgorithm::Backtracking);
                }
                ("regalloc-algorithm", "single-pass") => {
                    config.cranelift_regalloc_algorithm(RegallocAlgorithm::SinglePass);
                }
                ("regalloc-algorithm", a) => {
                    return Err(usage(format!("unknown register allocator `{a}` (backtracking or single-pass)")));
                }
                ("parallel-compilation", v) => {
                    config.parallel_compilation(yes_no("parallel-compilation", v)?);
                }
                ("cache", v) => {
                    yes_no("cache", v)?;
                }
                ("compile-memory-limit", v) => {
                    config.compile_memory_limit(run::parse_bytes("compile-memory-limit", v)? as u64);
                }
                ("function-compile-limit", v) => {
                    config.function_compile_limit(run::parse_duration(v)?);
                }
                ("compile-budget", v) => {
                    config.compile_budget(Some(run::parse_duration(v)?));
                }
                ("tier-up", v) => {
                    config.tier_up(yes_no("tier-up", v)?);
                }
                ("native-unwind-info", v) => {
                    config.native_unwind_info(yes_no("native-unwind-info", v)?);
                }
                ("tier-up-threshold", v) => {
                    let n = v.parse().map_err(|_| usage(format!("tier-up-threshold: `{v}` is not a number")))?;
                    config.tier_up_threshold(n);
                }
                (k, _) => return Err(usage(format!("unknown -C option `{k}`"))),
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
                ("opt-level", l) => return Err(usage(format!("unknown opt-level `{l}` (0, 1, 2 or s)"))),
                (k, _) => return Err(usage(format!("unknown -O option `{k}`"))),
            }
        }
        for opt in &self.wasm {
            match split(opt)? {
                ("max-wasm-stack", v) => {
                    config.max_wasm_stack(run::parse_bytes("max-wasm-stack", v)?);
                }
                ("fuel", v) => {
                    let fuel = v.parse().map_err(|_| usage(format!("fuel: `{v}` is not a number")))?;
                    config.consume_fuel(true);
                    bounds.fuel = Some(fuel);
                }
                ("timeout", v) => {
                    config.epoch_interruption(true);
                    bounds.timeout = Some(run::parse_duration(v)?);
                }
                ("max-memory-size", v) => bounds.max_memory_size = Some(run::parse_bytes("max-memory-size", v)?),
                (k, _) => return Err(usage(format!("unknown -W option `{k}`"))),
            }
        }
        Ok((config, bounds))
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
    let path = &args.file();
    let started = std::time::Instant::now();
    let elapsed = || format!("{:.2} ms", started.elapsed().as_secs_f64() * 1e3);
    if is_artifact_file(path)? {
        // SAFETY: the user asked to run this artifact and vouches for its
        // code, as for any program they run: the loader refuses damaged
        // metadata but does not read the code (the cache verifies it).
        let module = unsafe { Module::deserialize_file(engine, path)? };
        if args.verbose {
            eprint_line(&format!("brisk: loaded artifact {} in {}", path.display(), elapsed()));
        }
        return Ok(module);
    }
    let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    // The cache and `Module::new` see bytes without a name. A text module
    // that fails is compiled again from its file, whose errors name it with
    // a line and column; errors are the rare path.
    let compile_error = |e: anyhow::Error| match bytes.starts_with(b"\0asm") {
        false => Module::from_file(engine, path).err().unwrap_or(e),
        true => e.context(format!("failed to compile {}", path.display())),
    };
    // Tier-up compiles functions again from the module's wasm, which an
    // artifact from the cache does not keep: compile in memory (the
    // baseline tier is quick), and optimize hot code in the background.
    let tier_up = args.options.codegen.iter().filter_map(|o| split(o).ok()).any(|(k, v)| k == "tier-up" && yes_no(k, v).unwrap_or(false));
    let cache = if args.options.cache() && !tier_up { user_cache()? } else { None };
    let Some(cache) = cache else {
        let module = Module::new(engine, &bytes).map_err(compile_error)?;
        if args.verbose {
            eprint_line(&format!("brisk: compiled {} in {} (cache off)", path.display(), elapsed()));
        }
        return Ok(module);
    };
    let (module, outcome) = cache.load_or_compile(engine, &bytes).map_err(compile_error)?;
    if args.verbose {
        eprint_line(&match outcome {
            CacheOutcome::Hit(p) => {
                format!("brisk: cache hit, loaded and verified {} in {} (no compilation)", p.display(), elapsed())
            }
            CacheOutcome::Compiled(p) => format!("brisk: compiled in {}, cached as {}", elapsed(), p.display()),
            CacheOutcome::Replaced(p, why) => {
                format!("brisk: cache entry {} unusable ({why}); compiled again in {}", p.display(), elapsed())
            }
            CacheOutcome::Uncached(why) => format!("brisk: compiled in {}; not cached: {why}", elapsed()),
        });
    }
    Ok(module)
}

fn compile(args: CompileArgs) -> Result<()> {
    let engine = Engine::new(&args.options.config()?.0)?;
    let path = &args.file;
    let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    if Engine::is_precompiled(&bytes) {
        bail!("{} is already an artifact", path.display());
    }
    let artifact = engine.precompile_module(&bytes).with_context(|| format!("failed to compile {}", path.display()))?;
    let out = args.output.unwrap_or_else(|| path.with_extension(brisk::ARTIFACT_EXTENSION));
    std::fs::write(&out, artifact).with_context(|| format!("failed to write {}", out.display()))
}

fn explain(args: ExplainArgs) -> Result<()> {
    use brisk::explain::{ExplainOptions, Measured};
    let engine = Engine::new(&args.options.config()?.0)?;
    let path = &args.file;
    let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    if Engine::is_precompiled(&bytes) {
        bail!("{} is an artifact: explain needs the module", path.display());
    }
    let limit = run::parse_duration(&args.measure_limit)?;
    let options = ExplainOptions { measure: args.measure, measure_limit: Some(limit), peak_memory: None };
    let x = brisk::explain::explain(&engine, &bytes, &options).with_context(|| format!("failed to explain {}", path.display()))?;
    let shown = &x.functions[..args.top.unwrap_or(usize::MAX).min(x.functions.len())];
    let ms = |s: f64| s * 1e3;
    let measured = |m: Option<Measured>| m.map(|m| m.seconds);
    let predicted_total: f64 = x.functions.iter().map(|f| match f.tier {
        brisk::Tier::Optimized => f.predicted.optimized_seconds,
        _ => f.predicted.baseline_seconds,
    }).sum();
    let measured_total: Option<f64> = x.functions.iter().map(|f| match f.tier {
        brisk::Tier::Optimized => measured(f.optimized),
        _ => measured(f.baseline),
    }).sum();
    let per_tier = x.per_tier();
    let mut out = String::new();
    use std::fmt::Write as _;
    if args.json {
        let num = |v: Option<f64>| v.map_or_else(|| "null".to_string(), |v| format!("{v:.9}"));
        out.push_str("{\"functions\": [\n");
        for (i, f) in shown.iter().enumerate() {
            let x = &f.features;
            let _ = write!(
                out,
                "  {{\"index\": {}, \"name\": {}, \"tier\": \"{}\", \"reason\": {}, \"body_bytes\": {}, \"operators\": {}, \"live_operators\": {}, \"locals\": {}, \"blocks\": {}, \"loops\": {}, \"max_nesting\": {}, \"max_loop_nesting\": {}, \"max_operand_stack\": {}, \"br_table_targets\": {}, \"branches\": {}, \"calls\": {}, \"branch_values\": {}, \"predicted_optimized_seconds\": {:.9}, \"predicted_optimized_peak_bytes\": {:.0}, \"predicted_baseline_seconds\": {:.9}, \"measured_optimized_seconds\": {}, \"measured_baseline_seconds\": {}}}",
                f.index,
                f.name.as_deref().map_or_else(|| "null".to_string(), json_string),
                f.tier,
                json_string(&f.reason.to_string()),
                x.body_bytes, x.operators, x.live_operators, x.locals, x.blocks, x.loops, x.max_nesting, x.max_loop_nesting,
                x.max_operand_stack, x.br_table_targets, x.branches, x.calls, x.branch_values,
                f.predicted.optimized_seconds,
                f.predicted.optimized_peak_bytes,
                f.predicted.baseline_seconds,
                num(measured(f.optimized)),
                num(measured(f.baseline)),
            );
            out.push_str(if i + 1 < shown.len() { ",\n" } else { "\n" });
        }
        let _ = writeln!(
            out,
            "], \"summary\": {{\"functions\": {}, \"optimized\": {}, \"baseline\": {}, \"interp\": {}, \"predicted_seconds\": {predicted_total:.9}, \"measured_seconds\": {}}}}}",
            x.functions.len(), per_tier[0].1, per_tier[1].1, per_tier[2].1, num(measured_total),
        );
    } else {
        let _ = writeln!(out, "{:>6}  {:<24} {:>8} {:>8} {:>7} {:>6} {:>6} {:>10} {:>10} {:>10} {:>10}  {:<9} why",
            "func", "name", "bytes", "ops", "locals", "nest", "stack", "opt pred", "opt meas", "base pred", "base meas", "tier");
        let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{:.3} ms", ms(v)));
        for f in shown {
            let x = &f.features;
            let name = clip(f.name.as_deref().unwrap_or_default(), 24);
            let _ = writeln!(out, "{:>6}  {:<24} {:>8} {:>8} {:>7} {:>6} {:>6} {:>10} {:>10} {:>10} {:>10}  {:<9} {}",
                f.index, name, x.body_bytes, x.operators, x.locals, x.max_nesting, x.max_operand_stack,
                cell(Some(f.predicted.optimized_seconds)), cell(measured(f.optimized)),
                cell(Some(f.predicted.baseline_seconds)), cell(measured(f.baseline)), f.tier.name(), f.reason);
        }
        if shown.len() < x.functions.len() {
            let _ = writeln!(out, "  ... {} more functions", x.functions.len() - shown.len());
        }
        let _ = writeln!(
            out,
            "{} functions: {} optimized, {} baseline, {} interp; compile time of the chosen tiers predicted {:.1} ms{}",
            x.functions.len(), per_tier[0].1, per_tier[1].1, per_tier[2].1, ms(predicted_total),
            measured_total.map_or_else(String::new, |m| format!(", measured {:.1} ms (one thread)", ms(m))),
        );
    }
    print!("{out}");
    Ok(())
}

fn settings() {
    let mut out = String::from("host CPU features (x86-64) the native tiers use:\n");
    #[cfg(target_arch = "x86_64")]
    for (name, used_for, present) in [
        ("sse4.1", "required by both native tiers (SIMD, rounding)", std::is_x86_feature_detected!("sse4.1")),
        ("sse4.2", "baseline: i64x2 ordered compares", std::is_x86_feature_detected!("sse4.2")),
        ("popcnt", "population counts", std::is_x86_feature_detected!("popcnt")),
        ("lzcnt", "leading-zero counts", std::is_x86_feature_detected!("lzcnt")),
        ("bmi1", "trailing-zero counts", std::is_x86_feature_detected!("bmi1")),
        ("bmi2", "optimizing tier: shifts", std::is_x86_feature_detected!("bmi2")),
        ("avx", "optimizing tier: SIMD encodings", std::is_x86_feature_detected!("avx")),
        ("avx2", "optimizing tier: SIMD encodings", std::is_x86_feature_detected!("avx2")),
    ] {
        out.push_str(&format!("  {name:<8} {:<4} {used_for}\n", if present { "yes" } else { "no" }));
    }
    out.push_str(
        "defaults:\n  -C tier=auto\n  -C function-compile-limit=150ms\n  -C compile-memory-limit=1G\n  -C tier-up=n\n  -C compile-budget (none)\n  \
         -C tier-up-threshold=1000\n  -C native-unwind-info=n\n  \
         -C regalloc-algorithm=backtracking\n  -C parallel-compilation=y\n  -C cache=y\n  -O opt-level=2\n  \
         -W max-wasm-stack=524288\n  -W fuel (off: no fuel counting)\n  -W timeout (off: no epoch checks)\n  \
         -W max-memory-size (off: up to each memory's maximum)\n",
    );
    let unwind = match brisk::unwind_lookup() {
        brisk::UnwindLookup::BriskTable => "libgcc asks Brisk's _Unwind_Find_FDE (Brisk's table)",
        brisk::UnwindLookup::LibgccRegistration => "registered with libgcc's __register_frame",
        brisk::UnwindLookup::LibunwindRegistration => "registered with LLVM libunwind's __register_frame, per FDE",
    };
    out.push_str(&format!("native unwind info, when on: {unwind}\n"));
    print!("{out}");
}

/// `name`, cut to at most `width` characters with an ellipsis.
pub(crate) fn clip(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    name.chars().take(width - 1).collect::<String>() + "…"
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn cache(command: Option<CacheCommand>) -> Result<()> {
    let cache = user_cache()?.ok_or_else(|| anyhow!("no cache folder: neither XDG_CACHE_HOME nor HOME is set"))?;
    match command.unwrap_or(CacheCommand::Size) {
        CacheCommand::Path => print_line(&cache.dir().display().to_string()),
        CacheCommand::Size => {
            let usage = cache.usage()?;
            print_line(&format!(
                "{}: {} {}, {} ({} bytes); limit {} ({CACHE_SIZE_VAR})",
                cache.dir().display(),
                usage.entries,
                if usage.entries == 1 { "entry" } else { "entries" },
                human_size(usage.bytes),
                usage.bytes,
                human_size(cache.max_size()),
            ));
        }
        CacheCommand::Clear => {
            let n = cache.clear()?;
            print_line(&format!("removed {n} cached artifacts from {}", cache.dir().display()));
        }
    }
    Ok(())
}

fn wast(args: WastArgs) -> Result<bool> {
    let mut runner = brisk_wast::WastRunner::new(&args.options.config()?.0)?;
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
        print_line(&format!("{}: {} passed, {} failed", file.display(), report.passed, report.failed()));
        if args.verbose {
            for f in &report.failures {
                print_line(&format!("  {f}"));
            }
        }
        total.merge(report);
    }
    let stats = brisk::baseline_stats();
    if stats.compiled + stats.fell_back > 0 {
        let reasons: Vec<String> = stats.reasons.iter().take(8).map(|(r, n)| format!("{r} {n}")).collect();
        print_line(&format!(
            "baseline tier: {} functions compiled, {} passed to the optimizing tier ({})",
            stats.compiled,
            stats.fell_back,
            reasons.join(", ")
        ));
    }
    let (requested, replaced) = brisk::tier_up_counts();
    if requested > 0 || replaced > 0 {
        print_line(&format!(
            "tier-up: {requested} hot functions queued, {replaced} replaced by optimized code, {} on-stack replacements",
            brisk::on_stack_replacements()
        ));
    }
    print_line(&format!("{} passed, {} failed", total.passed, total.failed()));
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

/// A line on stdout. A closed stdout (`brisk ... | head`) is not worth a
/// panic: the line is dropped.
fn print_line(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// A line on stderr, likewise.
fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The exit code of a run that trapped: Wasmtime's on Unix (128 + SIGABRT).
const TRAP_EXIT: u8 = 134;
/// The exit code of a command-line mistake (clap's).
const USAGE_EXIT: u8 = 2;

/// `brisk FILE ...` means `brisk run FILE ...`: when the first argument is
/// not a command (nor a flag of `brisk` itself), `run` is put before it.
fn with_default_command(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const OWN: &[&str] = &["run", "compile", "wast", "explain", "settings", "cache", "help", "-h", "--help", "-V", "--version"];
    if let Some(first) = args.get(1)
        && !OWN.contains(&first.to_string_lossy().as_ref())
    {
        args.insert(1, "run".into());
    }
    args
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(with_default_command(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with code 0, mistakes to stderr
            // with code 2; a closed stream is ignored either way.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(USAGE_EXIT));
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Compile(args) => compile(args).map(|()| Outcome::Done),
        Command::Wast(args) => wast(args).map(|ok| if ok { Outcome::Done } else { Outcome::Exit(1) }),
        Command::Explain(args) => explain(args).map(|()| Outcome::Done),
        Command::Settings => {
            settings();
            Ok(Outcome::Done)
        }
        Command::Cache { command } => cache(command).map(|()| Outcome::Done),
    };
    let _ = std::io::stdout().flush();
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        // WASI exit statuses are below 126 (`proc_exit` refuses others).
        Ok(Outcome::Exit(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprint_line(&format!("error: {}", render_error(&e)));
            if e.downcast_ref::<brisk::Trap>().is_some() {
                ExitCode::from(TRAP_EXIT)
            } else if e.downcast_ref::<Usage>().is_some() {
                ExitCode::from(USAGE_EXIT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
