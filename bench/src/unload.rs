//! Unload: dropping many loaded modules at once. The modules are loaded
//! from artifacts; what is timed is dropping all of them, given per module
//! (and, for Brisk, loading them too, per module). Native unwind info, when
//! a runtime registers it with libgcc before GCC 13, is what can make this
//! quadratic.
//!
//! Brisk unmaps dropped modules' code on a background thread: its figures
//! are the dropping thread's time, and, "until unmapped", the time until
//! that thread has unmapped (and deregistered) them all.

use crate::report::{Figure, Group};
use crate::stats::{Stats, turn_order};
use crate::{Setup, inputs, peer};
use anyhow::Result;
use std::time::Instant;

const BRISK: &str = "Brisk (no native unwind info)";
const BRISK_CONTENDERS: usize = 4;

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let wasm = wat::parse_str(inputs::large_module(20))?;
    let mut brisk_engines = Vec::new();
    for unwind in [false, true] {
        let engine = brisk::Engine::new(brisk::Config::new().native_unwind_info(unwind))?;
        let path = setup.scratch.join(format!("unload-{unwind}.bwasm"));
        std::fs::write(&path, engine.precompile_module(&wasm)?)?;
        brisk_engines.push((engine, path));
    }
    let mut wasmtime_engines = Vec::new();
    for unwind in [true, false] {
        let mut config = wasmtime::Config::new();
        config.native_unwind_info(unwind);
        let engine = peer(wasmtime::Engine::new(&config))?;
        let path = setup.scratch.join(format!("unload-{unwind}.cwasm"));
        std::fs::write(&path, peer(engine.precompile_module(&wasm))?)?;
        wasmtime_engines.push((engine, path));
    }
    let names = [
        BRISK,
        "Brisk, native unwind info on",
        "Brisk (no native unwind info), until unmapped",
        "Brisk, native unwind info on, until unmapped",
        "wasmtime, native unwind info on (default)",
        "wasmtime, native unwind info off",
    ];
    // Not contenders of their own: the loading that the first two Brisk
    // contenders do untimed, timed, so that growth in loading shows too.
    let loading = ["Brisk (no native unwind info), loading", "Brisk, native unwind info on, loading"];
    let counts: &[usize] = if setup.quick { &[100, 1_000] } else { &[100, 1_000, 5_000] };
    let mut figures = Vec::new();
    for &count in counts {
        // Rounds enough to drop some 35,000 modules per contender (at least
        // 7): a round of 100 takes a fraction of a millisecond, where one
        // late wake-up of a thread moves a sample by a microsecond per module.
        let rounds = if setup.quick { 3 } else { (35_000 / count).clamp(7, 101) };
        let mut samples = vec![Vec::new(); names.len() + loading.len()];
        for round in 0..rounds + 1 {
            for c in turn_order(names.len(), round) {
                let seconds = match c {
                    0..BRISK_CONTENDERS => {
                        let (engine, path) = &brisk_engines[c % 2];
                        // Earlier turns' unmapping is not this one's, and
                        // would compete with loading for the address space.
                        brisk::wait_for_unmapping();
                        // SAFETY: an artifact this benchmark just wrote.
                        let modules = (0..count).map(|_| unsafe { brisk::Module::deserialize_file(engine, path) });
                        let load = Instant::now();
                        let loaded = modules.collect::<Result<Vec<_>>>()?;
                        if c < 2 && round > 0 {
                            samples[names.len() + c].push(load.elapsed().as_secs_f64() / count as f64);
                        }
                        let start = Instant::now();
                        drop(loaded);
                        if c >= 2 {
                            brisk::wait_for_unmapping();
                        }
                        start.elapsed().as_secs_f64()
                    }
                    _ => {
                        let (engine, path) = &wasmtime_engines[c - BRISK_CONTENDERS];
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
            // Like with like: the dropping thread's time with unwind info
            // against without; the whole release against wasmtime's, which
            // unmaps on the dropping thread.
            let base = match c {
                0 | 2 => None,
                1 => Some(BRISK),
                _ => Some("Brisk (no native unwind info), until unmapped"),
            };
            figures.push(Figure::new(Group::Unload, &case, name, base, Stats::from_samples(&samples[c])));
        }
        for (i, name) in loading.iter().enumerate() {
            let base = (i == 1).then_some(loading[0]);
            figures.push(Figure::new(Group::Unload, &case, name, base, Stats::from_samples(&samples[names.len() + i])));
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
