//! `brisk-bench calibrate [OUT.csv]`: the data the cost model is fitted on
//! (`scripts/fit-cost-model.py`). For every function of the smith corpus,
//! the C programs and the stress families (one feature grown at a time,
//! 1 KiB up, until the optimizing tier takes more than a few seconds on a
//! family), its cost features and the measured compile time and peak
//! allocated memory of each native tier, compiled alone on one thread
//! (`brisk::explain` with measurements, this binary counting allocations).

use crate::inputs::{self, Input};
use crate::stress::peak_probe;
use anyhow::Result;
use brisk_corpus::stress::{Family, module_of_size};
use std::fmt::Write as _;
use std::path::Path;

const HEADER: &str = "source,func,body_bytes,operators,live_operators,locals,blocks,loops,max_nesting,max_loop_nesting,max_operand_stack,max_block_arity,br_table_targets,branches,calls,branch_values,optimized_seconds,optimized_peak_bytes,baseline_seconds,baseline_peak_bytes";

/// Stop growing a stress family once the optimizing tier took this long.
const FAMILY_STOP_SECONDS: f64 = 2.0;

pub fn run(root: &Path, out: &Path) -> Result<()> {
    let mut config = brisk::Config::new();
    config.parallel_compilation(false);
    let engine = brisk::Engine::new(&config)?;
    let probe = peak_probe;
    let options = brisk::explain::ExplainOptions { measure: true, measure_limit: None, peak_memory: Some(&probe) };
    let mut csv = String::from(HEADER);
    csv.push('\n');
    let mut rows = |source: &str, wasm: &[u8]| -> Result<f64> {
        let explanation = brisk::explain::explain(&engine, wasm, &options)?;
        let mut slowest: f64 = 0.0;
        for f in &explanation.functions {
            let x = &f.features;
            let (Some(o), Some(b)) = (f.optimized, f.baseline) else { continue };
            slowest = slowest.max(o.seconds);
            let _ = writeln!(
                csv,
                "{source},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.9},{},{:.9},{}",
                f.index,
                x.body_bytes,
                x.operators,
                x.live_operators,
                x.locals,
                x.blocks,
                x.loops,
                x.max_nesting,
                x.max_loop_nesting,
                x.max_operand_stack,
                x.max_block_arity,
                x.br_table_targets,
                x.branches,
                x.calls,
                x.branch_values,
                o.seconds,
                o.peak_bytes.unwrap_or(0),
                b.seconds,
                b.peak_bytes.unwrap_or(0),
            );
        }
        Ok(slowest)
    };
    let mut inputs: Vec<(String, Input)> = Vec::new();
    for m in inputs::smith_corpus(40).modules {
        inputs.push(("smith".into(), m));
    }
    for m in inputs::programs_corpus(root, &root.join("bench/target/programs"))?.modules {
        inputs.push(("programs".into(), m));
    }
    for (corpus, m) in &inputs {
        eprintln!("calibrate: {corpus}/{}", m.name);
        rows(&format!("{corpus}/{}", m.name), &m.wasm)?;
    }
    for family in Family::ALL {
        let mut size = 1 << 10;
        while size <= 1 << 20 {
            let wasm = module_of_size(family, size);
            let slowest = rows(&format!("stress/{family:?}/{size}"), &wasm)?;
            eprintln!("calibrate: stress {family:?} {size} B: optimizing tier {slowest:.3} s");
            if slowest > FAMILY_STOP_SECONDS {
                break;
            }
            size *= 2;
        }
    }
    std::fs::write(out, csv)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
