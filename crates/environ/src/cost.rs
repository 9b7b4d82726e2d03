//! The per-function cost model: from the features the validation pass
//! computes ([`FuncCostFeatures`]), the compile time of each native tier
//! and the optimizing tier's peak memory, predicted before compiling.
//!
//! Each prediction is a sum of terms, a coefficient times a feature or a
//! product of two. The products are the optimizing tier's super-linear
//! behaviours (SSA construction and register allocation over many locals
//! and many blocks, deep loop nests, values carried on many edges); the
//! baseline tier has none. The coefficients are fitted by
//! `scripts/fit-cost-model.py` on `data/cost-model/calibration.csv`
//! (measured by `bench/examples/calibrate.rs` on the smith corpus, the C
//! programs and the stress families), which docs/cost-model.md describes.

use crate::FuncCostFeatures;

/// Predicted compile cost of one function.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostEstimate {
    /// Seconds the optimizing tier (Cranelift, default settings) takes.
    pub optimized_seconds: f64,
    /// Peak bytes the optimizing tier allocates while compiling it.
    pub optimized_peak_bytes: f64,
    /// Seconds the baseline tier takes.
    pub baseline_seconds: f64,
}

/// The terms of the model, each a function of the features.
pub const TERMS: [&str; 12] = [
    "1",
    "operators",
    "live_operators",
    "locals",
    "blocks",
    "br_table_targets",
    "branch_values",
    "locals*blocks",
    "locals*live_operators",
    "live_operators*max_loop_nesting",
    "max_operand_stack*live_operators",
    "locals*live_operators*has_loop",
];

/// The value of every term of [`TERMS`] for a function.
pub fn terms(f: &FuncCostFeatures) -> [f64; TERMS.len()] {
    let x = |v: u32| f64::from(v);
    [
        1.0,
        x(f.operators),
        x(f.live_operators),
        x(f.locals),
        x(f.blocks),
        x(f.br_table_targets),
        x(f.branch_values),
        x(f.locals) * x(f.blocks),
        x(f.locals) * x(f.live_operators),
        x(f.live_operators) * x(f.max_loop_nesting),
        x(f.max_operand_stack) * x(f.live_operators),
        // Locals carried around a loop: Cranelift's SSA construction and
        // register allocation over all of them at every header.
        if f.loops > 0 { x(f.locals) * x(f.live_operators) } else { 0.0 },
    ]
}

/// Coefficients of the optimizing tier's compile time, in seconds per
/// unit of each term (fitted; see the module docs).
pub const OPTIMIZED_SECONDS: [f64; TERMS.len()] = [9.941e-05, 4.015e-08, 3.159e-06, 4.105e-07, 6.249e-06, 1.646e-06, 0.000e+00, 0.000e+00, 4.141e-11, 5.395e-08, 5.261e-09, 7.739e-10];
/// Coefficients of the optimizing tier's peak memory, in bytes.
pub const OPTIMIZED_BYTES: [f64; TERMS.len()] = [3.145e+04, 0.000e+00, 6.426e+02, 1.657e+02, 4.317e+03, 1.581e+03, 0.000e+00, 0.000e+00, 0.000e+00, 5.860e+00, 6.979e-03, 0.000e+00];
/// Coefficients of the baseline tier's compile time, in seconds.
pub const BASELINE_SECONDS: [f64; TERMS.len()] = [3.946e-06, 4.317e-08, 8.752e-08, 3.872e-08, 5.478e-07, 1.920e-08, 0.000e+00, 0.000e+00, 0.000e+00, 0.000e+00, 0.000e+00, 0.000e+00];

fn dot(c: &[f64; TERMS.len()], t: &[f64; TERMS.len()]) -> f64 {
    c.iter().zip(t).map(|(c, t)| c * t).sum()
}

/// The predicted cost of compiling a function with these features.
pub fn estimate(f: &FuncCostFeatures) -> CostEstimate {
    let t = terms(f);
    CostEstimate {
        optimized_seconds: dot(&OPTIMIZED_SECONDS, &t),
        optimized_peak_bytes: dot(&OPTIMIZED_BYTES, &t),
        baseline_seconds: dot(&BASELINE_SECONDS, &t),
    }
}

/// The share of the optimizing tier's predicted time that its
/// super-linear terms (the products) make up, from 0 to 1.
pub fn superlinear_share(f: &FuncCostFeatures) -> f64 {
    let t = terms(f);
    let total = dot(&OPTIMIZED_SECONDS, &t);
    let products: f64 = (0..TERMS.len()).filter(|&i| TERMS[i].contains('*')).map(|i| OPTIMIZED_SECONDS[i] * t[i]).sum();
    if total > 0.0 { products / total } else { 0.0 }
}
