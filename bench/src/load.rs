//! Artifact load: mapping a precompiled module, Brisk's
//! `Module::deserialize_file` against wasmtime's, on a small module and a
//! large one.

use crate::inputs;
use crate::report::Row;
use crate::stats::alternate;
use anyhow::Result;
use std::path::Path;

pub fn run(quick: bool, dir: &Path) -> Result<Vec<Row>> {
    let brisk_engine = brisk::Engine::default();
    let wasmtime_engine = crate::peer(wasmtime::Engine::new(&wasmtime::Config::new()))?;
    let large_funcs = if quick { 2_000 } else { 5_000 };
    let cases = [("small", inputs::small_module(), 3), ("large", inputs::large_module(large_funcs), large_funcs)];
    let (rounds, iters) = if quick { (9, 20) } else { (31, 50) };
    let mut rows = Vec::new();
    for (name, wat, funcs) in cases {
        let wasm = wat::parse_str(&wat)?;
        let brisk_path = dir.join(format!("{name}.bwasm"));
        let wasmtime_path = dir.join(format!("{name}.cwasm"));
        let brisk_bytes = brisk_engine.precompile_module(&wasm)?;
        let wasmtime_bytes = crate::peer(wasmtime_engine.precompile_module(&wasm))?;
        std::fs::write(&brisk_path, &brisk_bytes)?;
        std::fs::write(&wasmtime_path, &wasmtime_bytes)?;
        let (b, w) = alternate(
            rounds,
            iters,
            // SAFETY: artifacts this benchmark just wrote, left unmodified.
            || unsafe { brisk::Module::deserialize_file(&brisk_engine, &brisk_path) }.expect("brisk loads"),
            // SAFETY: as above.
            || unsafe { wasmtime::Module::deserialize_file(&wasmtime_engine, &wasmtime_path) }.expect("wasmtime loads"),
        );
        rows.push(Row {
            group: "load",
            case: format!("{name}: {funcs} functions; artifacts {} KiB (Brisk), {} KiB (wasmtime)", brisk_bytes.len() / 1024, wasmtime_bytes.len() / 1024),
            brisk: b,
            peer_name: "wasmtime 48.0.8 (cranelift)".into(),
            peer: w,
        });
    }
    Ok(rows)
}
