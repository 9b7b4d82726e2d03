//! The oracles: `compile` (an error or a module, never a panic) and
//! `differential` (every engine computes the same thing).

use crate::engine::{DiffValue, Engine, InstantiateError, Instance, Outcome, TrapKind};
use crate::tiers::BriskEngine;
use arbitrary::Unstructured;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A disagreement (or a panic), described for a human.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch(pub String);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The message of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic".into())
}

/// Compiles `wasm` on every engine: each must give an error or a module,
/// never panic, and all must agree on which. With `expect_valid` (a
/// generated module), an error is a mismatch too. Returns whether the
/// module compiled.
pub fn compile(wasm: &[u8], engines: &[BriskEngine], expect_valid: bool) -> Result<bool, Mismatch> {
    let mut first: Option<(String, bool)> = None;
    for e in engines {
        let name = crate::engine::Engine::name(e);
        let ok = match catch_unwind(AssertUnwindSafe(|| e.module(wasm).map(drop))) {
            Ok(r) => r,
            Err(p) => return Err(Mismatch(format!("{name}: Module::new panicked: {}", panic_message(&*p)))),
        };
        if expect_valid && let Err(err) = &ok {
            return Err(Mismatch(format!("{name}: a valid module is refused: {err:#}")));
        }
        match &first {
            None => first = Some((name, ok.is_ok())),
            Some((n, v)) if *v != ok.is_ok() => {
                return Err(Mismatch(format!("{n} says {}, {name} says {ok:?}", if *v { "valid" } else { "invalid" })));
            }
            Some(_) => {}
        }
    }
    Ok(first.is_some_and(|(_, v)| v))
}

/// Counters of the differential harness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffStats {
    /// Modules run.
    pub modules: u64,
    /// Modules every engine instantiated.
    pub instantiated: u64,
    /// Exported-function calls made, on all engines together: one call of
    /// one function on one engine configuration is one execution.
    pub executions: u64,
    /// Calls not made on an engine without fuel, because the reference
    /// ran out of fuel (the call may not end); such an engine sits out
    /// the rest of its module.
    pub skipped: u64,
    /// Stack exhaustion met where another engine ran out of fuel (the
    /// engines' frames differ in size; see fuzz/README.md). The rest of
    /// the module is not compared.
    pub stack_vs_fuel: u64,
}

impl DiffStats {
    /// Adds another run's counters.
    pub fn add(&mut self, o: &DiffStats) {
        self.modules += o.modules;
        self.instantiated += o.instantiated;
        self.executions += o.executions;
        self.skipped += o.skipped;
        self.stack_vs_fuel += o.stack_vs_fuel;
    }
}

fn same_instantiation(a: &InstantiateError, b: &InstantiateError) -> bool {
    match (a, b) {
        (InstantiateError::Compile(_), InstantiateError::Compile(_)) => true,
        (InstantiateError::Link(_), InstantiateError::Link(_)) => true,
        (InstantiateError::Trap(x), InstantiateError::Trap(y)) => x == y,
        _ => false,
    }
}

/// Runs `wasm` on every engine and compares: instantiation, then every
/// exported function in export order with arguments drawn from `args`
/// (the same on every engine), then the final contents of exported
/// memories, globals and tables. `engines[0]` is the reference and must
/// count fuel.
pub fn differential(wasm: &[u8], args: &[u8], engines: &mut [Box<dyn Engine>], stats: &mut DiffStats) -> Result<(), Mismatch> {
    let fuel: Vec<bool> = engines.iter_mut().map(|e| e.fuel_for(wasm)).collect();
    assert!(fuel[0], "the reference engine counts fuel");
    stats.modules += 1;
    let names: Vec<String> = engines.iter().map(|e| e.name()).collect();
    let reference = engines[0].instantiate(wasm);
    let mut instances: Vec<Option<Box<dyn Instance>>> = Vec::with_capacity(engines.len());
    let ref_out_of_fuel = matches!(reference, Err(InstantiateError::Trap(TrapKind::OutOfFuel)));
    let ref_err = reference.as_ref().err().cloned();
    instances.push(reference.ok());
    for (i, e) in engines.iter_mut().enumerate().skip(1) {
        if ref_out_of_fuel && !fuel[i] {
            instances.push(None);
            continue;
        }
        let r = e.instantiate(wasm);
        match (&ref_err, &r) {
            (None, Ok(_)) => {}
            (Some(a), Err(b)) if same_instantiation(a, b) => {}
            (Some(InstantiateError::Trap(a)), Err(InstantiateError::Trap(b))) if resource_pair(a, b) => {
                stats.stack_vs_fuel += 1;
                return Ok(());
            }
            _ => {
                return Err(Mismatch(format!(
                    "instantiation: {} gives {}, {} gives {}",
                    names[0],
                    describe_inst(ref_err.as_ref()),
                    names[i],
                    describe_inst(r.as_ref().err())
                )));
            }
        }
        instances.push(r.ok());
    }
    if ref_err.is_some() {
        return Ok(());
    }
    stats.instantiated += 1;

    let funcs = instances[0].as_mut().expect("the reference instantiated").funcs();
    for (i, inst) in instances.iter_mut().enumerate().skip(1) {
        if let Some(inst) = inst {
            let f = inst.funcs();
            if f != funcs {
                return Err(Mismatch(format!("exports: {} has {funcs:?}, {} has {f:?}", names[0], names[i])));
            }
        }
    }

    let mut u = Unstructured::new(args);
    // Every export in order, then every export again with other arguments
    // (on the state the first round left).
    for (name, params, _) in funcs.iter().chain(funcs.iter()) {
        let args: Vec<DiffValue> = params.iter().map(|k| DiffValue::arbitrary(*k, &mut u)).collect();
        let expected = instances[0].as_mut().expect("the reference instantiated").call(name, &args);
        stats.executions += 1;
        let mut poisoned = matches!(expected, Outcome::Trap(TrapKind::StackOverflow));
        for i in 1..instances.len() {
            let Some(inst) = instances[i].as_mut() else { continue };
            if expected == Outcome::Trap(TrapKind::OutOfFuel) && !fuel[i] {
                stats.skipped += 1;
                instances[i] = None;
                continue;
            }
            let got = inst.call(name, &args);
            stats.executions += 1;
            match (&expected, &got) {
                (Outcome::Error(_), Outcome::Error(_)) => {}
                (a, b) if a == b => {}
                (Outcome::Trap(a), Outcome::Trap(b)) if resource_pair(a, b) => {
                    stats.stack_vs_fuel += 1;
                    poisoned = true;
                }
                _ => {
                    return Err(Mismatch(format!(
                        "call {name}{}: {} gives {expected}, {} gives {got}",
                        args.iter().map(|a| format!(" {a}")).collect::<String>(),
                        names[0],
                        names[i]
                    )));
                }
            }
        }
        if poisoned {
            // The engines' stacks hold different numbers of frames, so
            // they stopped at different points: nothing more compares.
            return Ok(());
        }
    }

    let reference = instances[0].as_mut().expect("the reference instantiated");
    let (mems, globals, tables) = (reference.memories(), reference.globals(), reference.tables());
    for (i, inst) in instances.iter_mut().enumerate().skip(1) {
        let Some(inst) = inst else { continue };
        let m = inst.memories();
        if m.len() != mems.len() {
            return Err(Mismatch(format!("memories: {} exports {}, {} exports {}", names[0], mems.len(), names[i], m.len())));
        }
        for ((name, a), (_, b)) in mems.iter().zip(&m) {
            if a.len() != b.len() {
                return Err(Mismatch(format!("memory {name}: {} has {} bytes, {} has {}", names[0], a.len(), names[i], b.len())));
            }
            if let Some(at) = a.iter().zip(b).position(|(x, y)| x != y) {
                return Err(Mismatch(format!(
                    "memory {name}[{at:#x}]: {} has {:#04x}, {} has {:#04x}",
                    names[0], a[at], names[i], b[at]
                )));
            }
        }
        let g = inst.globals();
        if g != globals {
            return Err(Mismatch(format!("globals: {} has {globals:?}, {} has {g:?}", names[0], names[i])));
        }
        let t = inst.tables();
        if t != tables {
            return Err(Mismatch(format!("tables (null-ness): {} has {tables:?}, {} has {t:?}", names[0], names[i])));
        }
    }
    Ok(())
}

/// Stack exhaustion on one side and fuel exhaustion on the other: the
/// engines' frames differ in size, so a deep recursion may exhaust one
/// resource on one engine and the other elsewhere.
fn resource_pair(a: &TrapKind, b: &TrapKind) -> bool {
    matches!(
        (a, b),
        (TrapKind::StackOverflow, TrapKind::OutOfFuel) | (TrapKind::OutOfFuel, TrapKind::StackOverflow)
    )
}

fn describe_inst(e: Option<&InstantiateError>) -> String {
    match e {
        None => "an instance".into(),
        Some(InstantiateError::Compile(m)) => format!("a compile error ({m})"),
        Some(InstantiateError::Link(m)) => format!("a link error ({m})"),
        Some(InstantiateError::Trap(t)) => format!("trap {t:?}"),
    }
}
