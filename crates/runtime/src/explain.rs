//! Why a module compiles as it does: per function, its cost features, the
//! cost model's predictions, optionally the measured compile time of each
//! native tier, and the tier the policy picks with its reason. Behind
//! `brisk explain`, and the calibration of the cost model.

use crate::Engine;
use crate::policy::{self, Reason, Tier};
use anyhow::Result;
use brisk_environ::cost::{self, CostEstimate};
use brisk_environ::{DefinedFuncIndex, FuncCostFeatures, ModuleTranslation};
use std::time::{Duration, Instant};

/// What [`explain`] does besides predicting.
#[derive(Clone, Copy, Default)]
pub struct ExplainOptions<'a> {
    /// Compile each function with each native tier, alone, and time it.
    pub measure: bool,
    /// Do not measure a tier on a function whose predicted time is above
    /// this (the measurement is then missing).
    pub measure_limit: Option<Duration>,
    /// Reads the process's allocation peak: called with `true` to reset it
    /// before a compile and with `false` to read it after (bytes). Brisk
    /// does not count allocations itself; a calibration program that does
    /// passes this.
    pub peak_memory: Option<&'a dyn Fn(bool) -> u64>,
}

/// A measured compile of one function by one tier.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    /// Wall time.
    pub seconds: f64,
    /// Peak bytes allocated during the compile, if a probe was given.
    pub peak_bytes: Option<u64>,
}

/// One function's line of an explanation.
#[derive(Clone, Debug)]
pub struct FunctionExplanation {
    /// Index in the module's function space.
    pub index: u32,
    /// Name from the name section.
    pub name: Option<String>,
    /// What the validation pass measured.
    pub features: FuncCostFeatures,
    /// The cost model's predictions.
    pub predicted: CostEstimate,
    /// The optimizing tier's measured compile, if measured.
    pub optimized: Option<Measured>,
    /// The baseline tier's measured compile, if measured.
    pub baseline: Option<Measured>,
    /// The tier the engine's policy gives the function.
    pub tier: Tier,
    /// Why.
    pub reason: Reason,
}

/// A module's explanation: its functions, slowest (predicted for the
/// optimizing tier) first.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The module's name from its name section.
    pub module_name: Option<String>,
    /// One line per defined function.
    pub functions: Vec<FunctionExplanation>,
}

impl Explanation {
    /// How many functions each tier gets.
    pub fn per_tier(&self) -> [(Tier, usize); 3] {
        [Tier::Optimized, Tier::Baseline, Tier::Interpreter]
            .map(|t| (t, self.functions.iter().filter(|f| f.tier == t).count()))
    }
}

/// Explains how `engine` compiles the module `bytes` (binary or text).
///
/// # Errors
///
/// As [`Module::new`](crate::Module::new) for an invalid module, and an
/// error from a tier that fails to compile a function it measures.
pub fn explain(engine: &Engine, bytes: &[u8], options: &ExplainOptions<'_>) -> Result<Explanation> {
    let wasm = crate::text::wat_to_wasm(bytes, None)?;
    let config = engine.config();
    let translation = brisk_environ::translate_module(&wasm, config.features)?;
    let tunables = &config.tunables;
    let limits = config.limits();
    let env = &translation.module;
    let mut functions = Vec::with_capacity(translation.function_bodies.len());
    for (def, body) in translation.function_bodies.iter() {
        let predicted = cost::estimate(&body.features);
        let (tier, reason) = policy::choose(config.strategy, def, &body.features, &limits, engine.baseline().is_some());
        let mut line = FunctionExplanation {
            index: env.func_index(def).as_u32(),
            name: env.func_names.get(&env.func_index(def)).cloned(),
            features: body.features,
            predicted,
            optimized: None,
            baseline: None,
            tier,
            reason,
        };
        if options.measure {
            let allowed = |seconds: f64| options.measure_limit.is_none_or(|l| seconds <= l.as_secs_f64());
            if allowed(predicted.optimized_seconds) {
                line.optimized = Some(measure(options, || {
                    engine.compiler().compile_function(&translation, def, tunables).map(drop).map_err(Into::into)
                })?);
            }
            if let Some(b) = engine.baseline()
                && allowed(predicted.baseline_seconds)
            {
                line.baseline = Some(measure(options, || baseline(b, &translation, def, tunables))?);
            }
        }
        functions.push(line);
    }
    functions.sort_by(|a, b| b.predicted.optimized_seconds.total_cmp(&a.predicted.optimized_seconds));
    Ok(Explanation { module_name: env.name.clone(), functions })
}

fn baseline(
    b: &brisk_baseline::BaselineCompiler,
    translation: &ModuleTranslation<'_>,
    def: DefinedFuncIndex,
    tunables: &brisk_environ::Tunables,
) -> Result<()> {
    match b.compile_function(translation, def, tunables) {
        // A function the tier passes on still took this long to find out.
        Ok(_) | Err(brisk_baseline::BaselineError::Unsupported(_)) => Ok(()),
        Err(brisk_baseline::BaselineError::Wasm(e)) => Err(e.into()),
    }
}

fn measure(options: &ExplainOptions<'_>, compile: impl FnOnce() -> Result<()>) -> Result<Measured> {
    if let Some(probe) = options.peak_memory {
        probe(true);
    }
    let start = Instant::now();
    compile()?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measured { seconds, peak_bytes: options.peak_memory.map(|probe| probe(false)) })
}
