//! Unload: dropping many loaded modules at once. The modules are loaded
//! from artifacts (untimed); what is timed is dropping all of them, given
//! per module. Native unwind info, when a runtime registers it, is what can
//! make this quadratic.

use crate::report::{Figure, Group};
use crate::stats::{Stats, turn_order};
use crate::{Setup, inputs, peer};
use anyhow::Result;
use std::time::Instant;

const BRISK: &str = "Brisk (no native unwind info)";

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let wasm = wat::parse_str(inputs::large_module(20))?;
    let brisk_engine = brisk::Engine::default();
    let brisk_path = setup.scratch.join("unload.bwasm");
    std::fs::write(&brisk_path, brisk_engine.precompile_module(&wasm)?)?;
    let mut wasmtime_engines = Vec::new();
    for unwind in [true, false] {
        let mut config = wasmtime::Config::new();
        config.native_unwind_info(unwind);
        let engine = peer(wasmtime::Engine::new(&config))?;
        let path = setup.scratch.join(format!("unload-{unwind}.cwasm"));
        std::fs::write(&path, peer(engine.precompile_module(&wasm))?)?;
        wasmtime_engines.push((engine, path));
    }
    let names = [BRISK, "wasmtime, native unwind info on (default)", "wasmtime, native unwind info off"];
    let counts: &[usize] = if setup.quick { &[100, 1_000] } else { &[100, 1_000, 5_000] };
    let rounds = if setup.quick { 3 } else { 7 };
    let mut figures = Vec::new();
    for &count in counts {
        let mut samples = vec![Vec::new(); names.len()];
        for round in 0..rounds + 1 {
            for c in turn_order(names.len(), round) {
                let seconds = match c {
                    0 => drop_time((0..count).map(|_| {
                        // SAFETY: an artifact this benchmark just wrote.
                        unsafe { brisk::Module::deserialize_file(&brisk_engine, &brisk_path) }
                    }))?,
                    _ => {
                        let (engine, path) = &wasmtime_engines[c - 1];
                        // SAFETY: as above.
                        drop_time((0..count).map(|_| peer(unsafe { wasmtime::Module::deserialize_file(engine, path) })))?
                    }
                };
                // Round 0 warms up.
                if round > 0 {
                    samples[c].push(seconds / count as f64);
                }
            }
        }
        let case = format!("{count} modules of 20 functions");
        for (c, name) in names.iter().enumerate() {
            figures.push(Figure::new(Group::Unload, &case, name, (c > 0).then_some(BRISK), Stats::from_samples(&samples[c])));
        }
    }
    Ok(figures)
}

/// Loads every module, then times dropping them all.
fn drop_time<T>(modules: impl Iterator<Item = Result<T>>) -> Result<f64> {
    let loaded = modules.collect::<Result<Vec<T>>>()?;
    let start = Instant::now();
    drop(loaded);
    Ok(start.elapsed().as_secs_f64())
}
