//! Compilation is deterministic: the same module gives byte-identical
//! machine code with and without parallel compilation, and across runs.

use crate::util::XorShift;
use brisk::{Config, Engine, Instance, Module, Store, Strategy};
use std::fmt::Write;

const FUNCS: usize = 300;

/// A module of 300 functions (`FUNCS`) as [`generate_n`] makes them.
fn generate() -> String {
    generate_n(FUNCS)
}

/// A module of `funcs` functions `(param i32 i32) (result i32)` with
/// varied bodies; each may call earlier ones. All are exported as `f{i}`.
fn generate_n(funcs: usize) -> String {
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    let mut wat = String::from(
        "(module\n  (type $sig (func (param i32 i32) (result i32)))\n  (memory 1)\n  (global $g (mut i32) (i32.const 1))\n",
    );
    wat.push_str(&format!("  (table {funcs} funcref)\n  (elem (i32.const 0)"));
    for i in 0..funcs {
        write!(wat, " $f{i}").unwrap();
    }
    wat.push_str(")\n");
    for i in 0..funcs {
        let body = match (i, rng.below(7)) {
            (0, _) | (_, 0) => {
                // Straight-line arithmetic.
                let (c1, c2, s) = (rng.i32(), rng.i32(), rng.below(31) + 1);
                format!(
                    "(i32.xor (i32.rotl (i32.mul (local.get 0) (i32.const {c1})) (i32.const {s}))
                              (i32.sub (i32.add (local.get 1) (i32.const {c2})) (i32.shr_s (local.get 0) (i32.const 3))))"
                )
            }
            (_, 1) => {
                // A counted loop with a local accumulator.
                let c = rng.i32();
                format!(
                    "(local $i i32) (local $acc i32)
                     (local.set $i (i32.and (local.get 0) (i32.const 63)))
                     (local.set $acc (local.get 1))
                     (block $done
                       (loop $next
                         (br_if $done (i32.eqz (local.get $i)))
                         (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 33)) (i32.const {c})))
                         (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                         (br $next)))
                     (local.get $acc)"
                )
            }
            (_, 2) => {
                // Calls to earlier functions.
                let (a, b) = (rng.below(i as u64), rng.below(i as u64));
                format!(
                    "(i32.add (call $f{a} (local.get 1) (local.get 0))
                              (call $f{b} (i32.const {}) (local.get 1)))",
                    rng.i32()
                )
            }
            (_, 3) => {
                // Memory traffic, addresses masked into the first page.
                let off = rng.below(1024) * 4;
                format!(
                    "(i32.store offset={off} (i32.and (local.get 0) (i32.const 0xff0)) (local.get 1))
                     (i64.store (i32.and (local.get 1) (i32.const 0xff8)) (i64.extend_i32_s (local.get 0)))
                     (i32.add (i32.load offset={off} (i32.and (local.get 0) (i32.const 0xff0)))
                              (i32.load8_u (i32.and (local.get 1) (i32.const 0xfff))))"
                )
            }
            (_, 4) => {
                // Floats and conversions.
                format!(
                    "(i32.trunc_sat_f64_s
                       (f64.add (f64.mul (f64.convert_i32_s (local.get 0)) (f64.const {}))
                                (f64.sqrt (f64.abs (f64.convert_i32_u (local.get 1))))))",
                    rng.below(1000) as f64 / 7.0
                )
            }
            (_, 5) => {
                // br_table and a global.
                format!(
                    "(global.set $g (i32.add (global.get $g) (local.get 1)))
                     (block $d (block $c (block $b (block $a
                       (br_table $a $b $c $d (i32.and (local.get 0) (i32.const 3))))
                       (return (i32.const {})))
                       (return (global.get $g)))
                       (return (i32.clz (local.get 1))))
                     (select (local.get 0) (local.get 1) (i32.lt_s (local.get 0) (local.get 1)))",
                    rng.i32()
                )
            }
            _ => {
                // An indirect call to an earlier function, and an if/else.
                let target = rng.below(i as u64);
                format!(
                    "(if (result i32) (i32.and (local.get 0) (i32.const 1))
                       (then (call_indirect (type $sig) (local.get 1) (local.get 0) (i32.const {target})))
                       (else (i32.popcnt (local.get 1))))"
                )
            }
        };
        writeln!(wat, "  (func $f{i} (export \"f{i}\") (type $sig)\n    {body})").unwrap();
    }
    wat.push_str(")\n");
    wat
}

fn compile(parallel: bool, wasm: &[u8]) -> (Engine, Module) {
    let mut config = Config::new();
    config.parallel_compilation(parallel);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wasm).unwrap();
    (engine, module)
}

/// Calls a sample of the exports, to check the code is not only identical
/// but also runs.
fn run_some(engine: &Engine, module: &Module) -> Vec<i32> {
    run_sample(engine, module, FUNCS, 7)
}

/// Calls every `step`th of the first `funcs` exports.
fn run_sample(engine: &Engine, module: &Module, funcs: usize, step: usize) -> Vec<i32> {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    (0..funcs)
        .step_by(step)
        .map(|i| {
            let f = instance.get_typed_func::<(i32, i32), i32>(&mut store, &format!("f{i}")).unwrap();
            f.call(&mut store, (i as i32 * 7919, 12345 - i as i32)).unwrap()
        })
        .collect()
}

#[test]
fn parallel_and_serial_compilation_agree() {
    let wasm = wat::parse_str(generate()).expect("generated module parses");
    let (parallel_engine, parallel) = compile(true, &wasm);
    let (serial_engine, serial) = compile(false, &wasm);
    assert!(parallel.text().len() > 10_000, "300 functions make a sizable text: {}", parallel.text().len());
    assert_eq!(parallel.text().len(), serial.text().len());
    assert!(parallel.text() == serial.text(), "parallel and serial machine code differ");
    assert_eq!(run_some(&parallel_engine, &parallel), run_some(&serial_engine, &serial));
}

/// A module with enough code to be validated on several threads
/// (`brisk_environ::PARALLEL_CODE_BYTES`) is translated by the interpreter
/// on each, into one bytecode blob per thread joined afterwards: its
/// functions compute what the serial translation's and the optimizing
/// tier's do.
#[test]
fn parallel_and_serial_translation_agree() {
    let funcs = 8000;
    let wasm = wat::parse_str(generate_n(funcs)).expect("generated module parses");
    assert!(wasm.len() > brisk_environ::PARALLEL_CODE_BYTES, "{} bytes", wasm.len());
    let engine = |strategy: Strategy, parallel: bool| {
        let engine = Engine::new(Config::new().strategy(strategy).parallel_compilation(parallel)).unwrap();
        let module = Module::new(&engine, &wasm).unwrap();
        run_sample(&engine, &module, funcs, 13)
    };
    let expected = engine(Strategy::Optimized, true);
    assert_eq!(engine(Strategy::Interpreter, true), expected, "parallel translation");
    assert_eq!(engine(Strategy::Interpreter, false), expected, "serial translation");
    assert_eq!(engine(Strategy::Mixed, true), expected, "mixed, in parallel");
}

#[test]
fn repeated_compilation_agrees() {
    let wasm = wat::parse_str(generate()).expect("generated module parses");
    for parallel in [true, false] {
        let (engine, first) = compile(parallel, &wasm);
        // Same engine, and a fresh engine with the same config.
        let again = Module::new(&engine, &wasm).unwrap();
        let (_, other) = compile(parallel, &wasm);
        assert!(first.text() == again.text(), "same engine, parallel={parallel}: code differs");
        assert!(first.text() == other.text(), "fresh engine, parallel={parallel}: code differs");
    }
}
