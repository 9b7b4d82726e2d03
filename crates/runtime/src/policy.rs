//! The tier policy: which tier compiles each function, decided before
//! compiling from the cost model's predictions
//! ([`brisk_environ::cost`]).

use crate::Strategy;
use brisk_environ::cost;
use brisk_environ::{DefinedFuncIndex, FuncCostFeatures};
use std::fmt;

/// The code a function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Interpreted bytecode.
    Interpreter,
    /// The single-pass baseline compiler's machine code.
    Baseline,
    /// The optimizing tier's (Cranelift's) machine code.
    Optimized,
}

impl Tier {
    /// The tier's name in options and reports.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Interpreter => "interp",
            Tier::Baseline => "baseline",
            Tier::Optimized => "optimized",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the policy chose a function's tier.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// The configuration forces the tier (`-C tier=...`).
    Forced,
    /// Every other function, for testing the tiers against each other.
    Alternating,
    /// The optimizing tier's predicted cost fits the limits.
    Fits,
    /// The optimizing tier's predicted time is over the most one
    /// function may take.
    OverTime {
        /// Predicted seconds.
        predicted: f64,
        /// The limit, in seconds.
        limit: f64,
    },
    /// The optimizing tier's predicted peak memory is over the limit.
    OverMemory {
        /// Predicted bytes.
        predicted: f64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The host has no native tier.
    NoNativeTier,
    /// Just-in-time mode: the function starts in the baseline tier and the
    /// optimizing tier takes over once it is hot.
    TierUp,
    /// Just-in-time mode, a dispatch loop (a loop and a `br_table` of many
    /// targets): it starts in the baseline tier too, and when it gets hot
    /// at its loop, the on-stack-replacement entry for that loop is
    /// compiled right behind the function, since the frame there may loop
    /// for the rest of the program.
    DispatchLoop,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Forced => f.write_str("forced by -C tier"),
            Reason::Alternating => f.write_str("every other function (testing configuration)"),
            Reason::Fits => f.write_str("optimizing tier's predicted cost fits"),
            Reason::OverTime { predicted, limit } => write!(
                f,
                "optimizing tier predicted {:.1} ms, over the {:.1} ms a function may take",
                predicted * 1e3,
                limit * 1e3
            ),
            Reason::OverMemory { predicted, limit } => write!(
                f,
                "optimizing tier predicted {:.0} MiB, over the compile memory limit of {} MiB",
                predicted / (1 << 20) as f64,
                limit >> 20
            ),
            Reason::NoNativeTier => f.write_str("no native tier for this host"),
            Reason::TierUp => f.write_str("starts in the baseline tier; optimized in the background once hot"),
            Reason::DispatchLoop => {
                f.write_str("a dispatch loop (loop + br_table): starts in the baseline tier; its loop moves to optimized code once hot")
            }
        }
    }
}

/// What bounds the optimizing tier's work on one function.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Predicted seconds above which `Auto` gives a function to the
    /// baseline tier.
    pub function_seconds: f64,
    /// Predicted peak bytes above which no function reaches Cranelift.
    pub memory_bytes: u64,
    /// Just-in-time mode: `Auto` starts every function in the baseline
    /// tier; those within the limits tier up when hot.
    pub jit: bool,
}

/// Fewest `br_table` targets (in a function with a loop) that make a
/// dispatch loop.
const DISPATCH_TARGETS: u32 = 256;

/// A function with a loop and a `br_table` of at least `DISPATCH_TARGETS`
/// targets: an interpreter's or a state machine's dispatch loop.
pub(crate) fn is_dispatch_loop(features: &FuncCostFeatures) -> bool {
    features.loops > 0 && features.br_table_targets >= DISPATCH_TARGETS
}

/// The tier of defined function `def`, with these cost features, under
/// `strategy`; `native` says whether the host has the baseline tier
/// (without it, only the optimizing tier and the interpreter exist).
pub(crate) fn choose(
    strategy: Strategy,
    def: DefinedFuncIndex,
    features: &FuncCostFeatures,
    limits: &Limits,
    native: bool,
) -> (Tier, Reason) {
    let estimate = &cost::estimate(features);
    // An interpreter's or a state machine's dispatch loop: entered once, it
    // may run for the rest of the program (see `Reason::DispatchLoop`).
    let dispatch_loop = is_dispatch_loop(features);
    let even = def.as_u32().is_multiple_of(2);
    // Wherever Cranelift would be given a function predicted to need more
    // memory than allowed, a cheaper tier takes it.
    let over_memory = estimate.optimized_peak_bytes > limits.memory_bytes as f64;
    let memory = Reason::OverMemory { predicted: estimate.optimized_peak_bytes, limit: limits.memory_bytes };
    let fallback = if native { Tier::Baseline } else { Tier::Interpreter };
    match strategy {
        Strategy::Interpreter => (Tier::Interpreter, Reason::Forced),
        Strategy::Baseline => (Tier::Baseline, Reason::Forced),
        Strategy::Mixed if even => (Tier::Interpreter, Reason::Alternating),
        Strategy::MixedBaseline if even => (Tier::Baseline, Reason::Alternating),
        Strategy::Mixed | Strategy::MixedBaseline | Strategy::Optimized if over_memory => (fallback, memory),
        Strategy::Mixed | Strategy::MixedBaseline => (Tier::Optimized, Reason::Alternating),
        Strategy::Optimized => (Tier::Optimized, Reason::Forced),
        Strategy::Auto if over_memory => (fallback, memory),
        Strategy::Auto if estimate.optimized_seconds > limits.function_seconds => (
            fallback,
            Reason::OverTime { predicted: estimate.optimized_seconds, limit: limits.function_seconds },
        ),
        Strategy::Auto if limits.jit && native && dispatch_loop => (Tier::Baseline, Reason::DispatchLoop),
        Strategy::Auto if limits.jit && native => (Tier::Baseline, Reason::TierUp),
        Strategy::Auto => (Tier::Optimized, Reason::Fits),
    }
}
