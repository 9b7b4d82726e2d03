//! Artifact load: mapping a precompiled module, Brisk's
//! `Module::deserialize_file` beside wasmtime's, on a small module and a
//! large one.

use crate::report::{Figure, Group};
use crate::stats::{measure, timed};
use crate::{Setup, inputs, peer};
use anyhow::Result;

pub const BRISK: &str = "Brisk";
pub const WASMTIME: &str = "wasmtime cranelift (default configuration)";

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let brisk_engine = brisk::Engine::default();
    let wasmtime_engine = peer(wasmtime::Engine::new(&wasmtime::Config::new()))?;
    let large_funcs = if setup.quick { 2_000 } else { 5_000 };
    let cases = [("small", inputs::small_module(), 3), ("large", inputs::large_module(large_funcs), large_funcs)];
    let (rounds, iters) = if setup.quick { (9, 20) } else { (31, 50) };
    let mut figures = Vec::new();
    for (name, wat, funcs) in cases {
        let wasm = wat::parse_str(&wat)?;
        let brisk_path = setup.scratch.join(format!("{name}.bwasm"));
        let wasmtime_path = setup.scratch.join(format!("{name}.cwasm"));
        let brisk_bytes = brisk_engine.precompile_module(&wasm)?;
        let wasmtime_bytes = peer(wasmtime_engine.precompile_module(&wasm))?;
        std::fs::write(&brisk_path, &brisk_bytes)?;
        std::fs::write(&wasmtime_path, &wasmtime_bytes)?;
        let stats = measure(rounds, iters, 2, |c| match c {
            // SAFETY: artifacts this benchmark just wrote, left unmodified.
            0 => timed(|| unsafe { brisk::Module::deserialize_file(&brisk_engine, &brisk_path) }),
            // SAFETY: as above.
            _ => timed(|| peer(unsafe { wasmtime::Module::deserialize_file(&wasmtime_engine, &wasmtime_path) })),
        })?;
        let case = format!("{name}: {funcs} functions");
        figures.push(Figure::new(Group::Load, &case, BRISK, None, stats[0]).note("artifact", format!("{} KiB", brisk_bytes.len() / 1024)));
        figures.push(Figure::new(Group::Load, &case, WASMTIME, Some(BRISK), stats[1]).note("artifact", format!("{} KiB", wasmtime_bytes.len() / 1024)));
    }
    Ok(figures)
}
