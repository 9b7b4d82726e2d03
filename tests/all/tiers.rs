//! Tiers meeting in one module: with `Strategy::Mixed` the even defined
//! functions are interpreted and the odd ones native, with
//! `Strategy::MixedBaseline` the even ones are compiled by the baseline tier
//! and the odd ones by the optimizing tier, so every call below crosses
//! tiers, in both directions.

use brisk::{Caller, Config, Engine, Linker, Module, Store, Strategy, Trap, WasmBacktrace};

fn mixed() -> Vec<Engine> {
    [Strategy::Mixed, Strategy::MixedBaseline].into_iter().map(|s| Engine::new(Config::new().strategy(s)).unwrap()).collect()
}

/// `$f0` (interpreted) calls `$f1` (native) calls `$f2` (interpreted) calls
/// `$f3` (native) calls `$f4` (interpreted), which traps or calls the host.
const CHAIN: &str = r#"(module $chain
  (import "host" "poke" (func $poke (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $f0 (export "f0") (param i32) (result i32) (i32.add (call $f1 (local.get 0)) (i32.const 1)))
  (func $f1 (param i32) (result i32) (i32.add (call $f2 (local.get 0)) (i32.const 10)))
  (func $f2 (param i32) (result i32) (i32.add (call $f3 (local.get 0)) (i32.const 100)))
  (func $f3 (param i32) (result i32) (i32.add (call $f4 (local.get 0)) (i32.const 1000)))
  (func $f4 (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then unreachable))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (return (i32.div_u (i32.const 1) (i32.const 0)))))
    (call $poke (local.get 0)))
  (func $f5 (export "f5") (param i32) (result i32) (call $f0 (local.get 0)))
  (func $rec_even (export "rec") (param i32) (result i32) (call $rec_odd (i32.add (local.get 0) (i32.const 1))))
  (func $rec_odd (param i32) (result i32) (call $rec_even (i32.add (local.get 0) (i32.const 1)))))"#;

fn instantiate(engine: &Engine) -> (Store<Vec<i32>>, brisk::Instance) {
    let module = Module::new(engine, CHAIN).unwrap();
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "poke", |mut caller: Caller<'_, Vec<i32>>, x: i32| -> brisk::Result<i32> {
            // The caller is the interpreted function's instance: its memory
            // is reachable, and wasm can be re-entered from here.
            let memory = caller.get_export("memory").and_then(|e| e.into_memory()).expect("the caller's memory");
            memory.write(&mut caller, 0, &x.to_le_bytes())?;
            caller.data_mut().push(x);
            if x == 2 {
                anyhow::bail!("host refuses 2");
            }
            Ok(x * 2)
        })
        .unwrap();
    let mut store = Store::new(engine, Vec::new());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

fn names(e: &brisk::Error) -> Vec<String> {
    let bt = e.downcast_ref::<WasmBacktrace>().unwrap_or_else(|| panic!("no backtrace: {e:?}"));
    bt.frames().iter().map(|f| f.func_name.clone().unwrap_or_else(|| format!("#{}", f.func_index))).collect()
}

#[test]
fn calls_cross_tiers_both_ways() {
    for engine in mixed() {
        calls_cross_tiers_both_ways_on(&engine);
    }
}

fn calls_cross_tiers_both_ways_on(engine: &Engine) {
    let (mut store, instance) = instantiate(engine);
    let f0 = instance.get_typed_func::<i32, i32>(&mut store, "f0").unwrap();
    assert_eq!(f0.call(&mut store, 21).unwrap(), 42 + 1111);
    assert_eq!(store.data(), &[21]);
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let mut word = [0u8; 4];
    memory.read(&store, 0, &mut word).unwrap();
    assert_eq!(i32::from_le_bytes(word), 21);
    // From a native entry too.
    let f5 = instance.get_typed_func::<i32, i32>(&mut store, "f5").unwrap();
    assert_eq!(f5.call(&mut store, 4).unwrap(), 8 + 1111);
}

#[test]
fn backtraces_name_frames_of_both_tiers() {
    for engine in mixed() {
        backtraces_name_frames_of_both_tiers_on(&engine);
    }
}

fn backtraces_name_frames_of_both_tiers_on(engine: &Engine) {
    let (mut store, instance) = instantiate(engine);
    let f0 = instance.get_typed_func::<i32, i32>(&mut store, "f0").unwrap();
    let f5 = instance.get_typed_func::<i32, i32>(&mut store, "f5").unwrap();
    // The interpreter traps in $f4, under native and interpreted callers.
    let e = f0.call(&mut store, 0).unwrap_err();
    assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached), "{e:?}");
    assert_eq!(names(&e), ["f4", "f3", "f2", "f1", "f0"]);
    let e = f5.call(&mut store, 1).unwrap_err();
    assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::IntegerDivisionByZero), "{e:?}");
    assert_eq!(names(&e), ["f4", "f3", "f2", "f1", "f0", "f5"]);
    // A host error comes back as itself through both tiers.
    let e = f0.call(&mut store, 2).unwrap_err();
    assert!(e.to_string().contains("host refuses 2"), "{e:?}");
    // And the instance still works.
    assert_eq!(f0.call(&mut store, 3).unwrap(), 6 + 1111);
}

#[test]
fn mutual_recursion_across_tiers_overflows_cleanly() {
    for engine in mixed() {
        mutual_recursion_across_tiers_overflows_cleanly_on(&engine);
    }
}

fn mutual_recursion_across_tiers_overflows_cleanly_on(engine: &Engine) {
    let (mut store, instance) = instantiate(engine);
    let rec = instance.get_typed_func::<i32, i32>(&mut store, "rec").unwrap();
    let e = rec.call(&mut store, 0).unwrap_err();
    assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{e:?}");
    let f0 = instance.get_typed_func::<i32, i32>(&mut store, "f0").unwrap();
    assert_eq!(f0.call(&mut store, 5).unwrap(), 10 + 1111);
}

#[test]
fn interpreted_recursion_overflows_its_own_stack() {
    let engine = Engine::new(Config::new().strategy(Strategy::Interpreter)).unwrap();
    let (mut store, instance) = instantiate(&engine);
    let rec = instance.get_typed_func::<i32, i32>(&mut store, "rec").unwrap();
    let e = rec.call(&mut store, 0).unwrap_err();
    assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{e:?}");
    let bt = e.downcast_ref::<WasmBacktrace>().unwrap();
    assert!(!bt.frames().is_empty());
    let f0 = instance.get_typed_func::<i32, i32>(&mut store, "f0").unwrap();
    assert_eq!(f0.call(&mut store, 5).unwrap(), 10 + 1111);
}
