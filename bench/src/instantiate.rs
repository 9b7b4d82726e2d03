//! Instantiation: a fresh store and instance of an already compiled
//! module, for modules of few and many functions and one with many
//! segments.

use crate::node::{NodePeer, V8Tier};
use crate::report::{Figure, Group};
use crate::stats::{measure, timed};
use crate::{Setup, inputs, peer};
use anyhow::Result;

const BRISK: &str = "Brisk";
const BRISK_POOLING: &str = "Brisk, pooling allocator";

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let brisk_engine = brisk::Engine::default();
    let wasmtime_engine = peer(wasmtime::Engine::new(&wasmtime::Config::new()))?;
    let brisk_pooling = brisk::Engine::new(brisk::Config::new().allocation_strategy(
        brisk::InstanceAllocationStrategy::Pooling(brisk::PoolingAllocationConfig::new()),
    ))?;
    let wasmtime_pooling = {
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(wasmtime::PoolingAllocationConfig::default()));
        peer(wasmtime::Engine::new(&config))?
    };
    let wasmi_engine = wasmi::Engine::default();
    let mut v8 = match setup.v8 {
        Some(_) => Some(NodePeer::start(&setup.root, V8Tier::TurboFan, false)?),
        None => None,
    };
    let large_funcs = if setup.quick { 2_000 } else { 5_000 };
    let cases = [
        ("small: 3 functions".to_string(), inputs::small_module()),
        (format!("large: {large_funcs} functions"), inputs::large_module(large_funcs)),
        ("segments: 64 data and 64 element segments, 64 globals".to_string(), inputs::segments_module()),
    ];
    let (rounds, iters) = if setup.quick { (9, 20) } else { (31, 50) };
    let mut names = vec![
        BRISK,
        "wasmtime cranelift (default configuration)",
        "wasmi (default configuration)",
        BRISK_POOLING,
        "wasmtime cranelift, pooling allocator",
    ];
    if v8.is_some() {
        names.push("V8 TurboFan");
    }
    let mut figures = Vec::new();
    for (i, (case, wat)) in cases.iter().enumerate() {
        let wasm = wat::parse_str(wat)?;
        let path = setup.scratch.join(format!("instantiate-{i}.wasm"));
        std::fs::write(&path, &wasm)?;
        let brisk_module = brisk::Module::new(&brisk_engine, &wasm)?;
        let wasmtime_module = peer(wasmtime::Module::new(&wasmtime_engine, &wasm))?;
        let brisk_pooled_module = brisk::Module::new(&brisk_pooling, &wasm)?;
        let wasmtime_pooled_module = peer(wasmtime::Module::new(&wasmtime_pooling, &wasm))?;
        let wasmi_module = peer(wasmi::Module::new(&wasmi_engine, &wasm))?;
        let stats = measure(rounds, iters, names.len(), |c| match c {
            0 => brisk_instance(&brisk_engine, &brisk_module),
            1 => wasmtime_instance(&wasmtime_engine, &wasmtime_module),
            2 => timed(|| {
                let mut store = wasmi::Store::new(&wasmi_engine, ());
                let instance = peer(wasmi::Instance::new(&mut store, &wasmi_module, &[]))?;
                Ok((store, instance))
            }),
            3 => brisk_instance(&brisk_pooling, &brisk_pooled_module),
            4 => wasmtime_instance(&wasmtime_pooling, &wasmtime_pooled_module),
            _ => v8.as_mut().expect("V8 is a contender").instantiate(&path),
        })?;
        for (c, name) in names.iter().enumerate() {
            // The pooling allocators against each other.
            let base = match c {
                0 | 3 => None,
                4 => Some(BRISK_POOLING),
                _ => Some(BRISK),
            };
            figures.push(Figure::new(Group::Instantiate, case, name, base, stats[c]));
        }
    }
    Ok(figures)
}

/// Times a store and an instance of `module` in it (dropped untimed).
fn brisk_instance(engine: &brisk::Engine, module: &brisk::Module) -> Result<f64> {
    timed(|| {
        let mut store = brisk::Store::new(engine, ());
        let instance = brisk::Instance::new(&mut store, module, &[])?;
        Ok((store, instance))
    })
}

/// As [`brisk_instance`], for wasmtime.
fn wasmtime_instance(engine: &wasmtime::Engine, module: &wasmtime::Module) -> Result<f64> {
    timed(|| {
        let mut store = wasmtime::Store::new(engine, ());
        let instance = peer(wasmtime::Instance::new(&mut store, module, &[]))?;
        Ok((store, instance))
    })
}
