//! Run time: the compute kernels in `bench/kernels/`, one call of
//! `run(arg)` per round on an instance made beforehand, after a warm-up
//! call. Every runtime must return the same result. The interpreters (Pulley,
//! wasmi) are compared with Brisk's interpreter, the others with its
//! optimizing tier.

use crate::node::{NodePeer, V8Tier};
use crate::report::{Figure, Group};
use crate::stats::{clock, measure};
use crate::{BRISK_BASELINE, BRISK_INTERP, Setup, Wasmtime, inputs, peer};
use anyhow::{Context, Result, bail};

const BRISK: &str = "Brisk cranelift speed";
pub const BRISK_TIER_UP: &str = "Brisk cranelift speed, tier-up calls";

enum Runner {
    Brisk(brisk::Store<()>, brisk::TypedFunc<i32, i64>),
    Wasmtime(wasmtime::Store<()>, wasmtime::TypedFunc<i32, i64>),
    Wasmi(Box<wasmi::Store<()>>, wasmi::TypedFunc<i32, i64>),
    V8(usize),
}

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let mut tier_up = brisk::Config::new();
    tier_up.strategy(brisk::Strategy::Optimized).tier_up(true);
    let brisk_engines = [
        (BRISK, crate::brisk_optimized()?),
        // The cost of calls through funcrefs, which lets code be replaced
        // while a module runs: against the same tier with direct calls.
        (BRISK_TIER_UP, brisk::Engine::new(&tier_up)?),
        (BRISK_BASELINE, crate::brisk_baseline(true)?),
        (BRISK_INTERP, crate::brisk_interpreter(true)?),
    ];
    let wasmtime_engines = [Wasmtime::CraneliftSpeed, Wasmtime::Winch, Wasmtime::Pulley]
        .map(|kind| kind.engine(true).map(|engine| (kind, engine)))
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let wasmi_engine = wasmi::Engine::default();
    let mut v8 = Vec::new();
    if setup.v8.is_some() {
        v8.push(("V8 TurboFan", NodePeer::start(&setup.root, V8Tier::TurboFan, false)?));
        v8.push(("V8 Liftoff", NodePeer::start(&setup.root, V8Tier::Liftoff, false)?));
    }
    let rounds = if setup.quick { 3 } else { 5 };
    let mut figures = Vec::new();
    for kernel in inputs::kernels() {
        let arg = if setup.quick { kernel.quick_arg } else { kernel.arg };
        let wasm = wat::parse_str(kernel.wat)?;
        let path = setup.scratch.join(format!("kernel-{}.wasm", kernel.name));
        std::fs::write(&path, &wasm)?;

        // (name, the Brisk contender it is compared with) of each runner.
        let mut names: Vec<(&str, Option<&'static str>)> = Vec::new();
        let mut runners = Vec::new();
        for (name, engine) in &brisk_engines {
            if !setup.wants(name) {
                continue;
            }
            let module = brisk::Module::new(engine, &wasm)?;
            let mut store = brisk::Store::new(engine, ());
            let instance = brisk::Instance::new(&mut store, &module, &[])?;
            let f = instance.get_typed_func::<i32, i64>(&mut store, "run")?;
            names.push((name, (*name == BRISK_TIER_UP).then_some(BRISK)));
            runners.push(Runner::Brisk(store, f));
        }
        for (kind, engine) in &wasmtime_engines {
            if !setup.wants(kind.name()) {
                continue;
            }
            let module = peer(wasmtime::Module::new(engine, &wasm))?;
            let mut store = wasmtime::Store::new(engine, ());
            let instance = peer(wasmtime::Instance::new(&mut store, &module, &[]))?;
            let f = peer(instance.get_typed_func::<i32, i64>(&mut store, "run"))?;
            names.push((kind.name(), Some(kind.versus(BRISK))));
            runners.push(Runner::Wasmtime(store, f));
        }
        if setup.wants("wasmi") {
            let module = peer(wasmi::Module::new(&wasmi_engine, &wasm))?;
            let mut store = wasmi::Store::new(&wasmi_engine, ());
            let instance = peer(wasmi::Instance::new(&mut store, &module, &[]))?;
            let f = peer(instance.get_typed_func::<i32, i64>(&store, "run"))?;
            names.push(("wasmi", Some(BRISK_INTERP)));
            runners.push(Runner::Wasmi(Box::new(store), f));
        }
        for (i, (name, _)) in v8.iter().enumerate() {
            if !setup.wants(name) {
                continue;
            }
            names.push((name, Some(if *name == "V8 Liftoff" { BRISK_BASELINE } else { BRISK })));
            runners.push(Runner::V8(i));
        }

        let mut expected: Option<i64> = None;
        let stats = measure(rounds, 1, runners.len(), |c| {
            let (seconds, result) = match &mut runners[c] {
                Runner::Brisk(store, f) => clock(|| f.call(&mut *store, arg))?,
                Runner::Wasmtime(store, f) => clock(|| peer(f.call(&mut *store, arg)))?,
                Runner::Wasmi(store, f) => clock(|| peer(f.call(&mut **store, arg)))?,
                Runner::V8(i) => {
                    let (seconds, result) = v8[*i].1.run(&path, "run", arg)?;
                    (seconds, result.parse::<i64>().with_context(|| format!("V8's result `{result}`"))?)
                }
            };
            match &expected {
                None => expected = Some(result),
                Some(e) if *e == result => {}
                Some(e) => bail!("{}({arg}): {} returned {result}, {} returned {e}", kernel.name, names[c].0, names[0].0),
            }
            Ok(seconds)
        })?;
        let case = format!("{}({arg})", kernel.name);
        for ((name, versus), stats) in names.iter().zip(stats) {
            figures.push(Figure::new(Group::Run, &case, name, *versus, stats));
        }
    }
    Ok(figures)
}
