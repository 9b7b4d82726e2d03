//! Traps: every trap code is reported with a backtrace naming the wasm
//! functions, and the instance stays usable afterwards.

use anyhow::anyhow;
use brisk::{Caller, Config, Engine, Instance, Linker, Module, Store, Trap, TypedFunc, WasmBacktrace};

/// A module whose `run` export calls `$inner` (with the argument) and adds
/// one; `$inner` has the body under test. `ok` returns normally.
fn trap_module(inner_body: &str) -> String {
    format!(
        r#"
        (module $m
          (type $ret_i32 (func (result i32)))
          (memory (export "memory") 1)
          (table 3 funcref)
          (elem (i32.const 0) $seven $takes_i64)
          (func $seven (type $ret_i32) (i32.const 7))
          (func $takes_i64 (param i64) (result i32) (i32.wrap_i64 (local.get 0)))
          (func $ok (export "ok") (result i32) (i32.const 42))
          (func $inner (param $x i32) (result i32)
            {inner_body})
          (func $outer (export "run") (param i32) (result i32)
            (i32.add (call $inner (local.get 0)) (i32.const 1))))
        "#
    )
}

struct Fixture {
    store: Store<()>,
    run: TypedFunc<i32, i32>,
    ok: TypedFunc<(), i32>,
}

fn instantiate(engine: &Engine, wat: &str) -> Fixture {
    let module = Module::new(engine, wat).expect("test module compiles");
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    let ok = instance.get_typed_func::<(), i32>(&mut store, "ok").unwrap();
    Fixture { store, run, ok }
}

/// Every test runs on the optimizing tier, the interpreter, the baseline
/// tier and the two mixed configurations (where `$inner` is interpreted or
/// baseline-compiled and `$outer` optimized, so traps and backtraces cross
/// tiers).
fn engines() -> Vec<Engine> {
    use brisk::Strategy::*;
    [Optimized, Interpreter, Mixed, Baseline, MixedBaseline]
        .into_iter()
        .map(|s| Engine::new(Config::new().strategy(s)).unwrap())
        .collect()
}

fn func_names(bt: &WasmBacktrace) -> Vec<Option<&str>> {
    bt.frames().iter().map(|f| f.func_name.as_deref()).collect()
}

/// Calls `run(arg)`, expects `expected`, checks the backtrace is
/// `inner, outer` and that the instance still works afterwards.
fn expect_trap(fx: &mut Fixture, arg: i32, expected: Trap) {
    let err = fx.run.call(&mut fx.store, arg).expect_err("the call traps");
    let trap = err.downcast_ref::<Trap>().unwrap_or_else(|| panic!("not a trap: {err:?}"));
    assert_eq!(*trap, expected, "arg {arg}: {err:?}");
    let bt = err.downcast_ref::<WasmBacktrace>().unwrap_or_else(|| panic!("no backtrace: {err:?}"));
    assert_eq!(func_names(bt), [Some("inner"), Some("outer")], "arg {arg}: {bt}");
    assert!(bt.frames().iter().all(|f| f.module_name.as_deref() == Some("m")), "{bt}");
    assert_eq!(bt.frames()[0].func_index, 3, "$inner is function 3");
    assert_eq!(bt.frames()[1].func_index, 4, "$outer is function 4");
    // The trap's message is in the error's rendering.
    assert!(format!("{err:#}").contains(expected.message()), "{err:#}");
    // The same instance still works.
    assert_eq!(fx.ok.call(&mut fx.store, ()).unwrap(), 42);
}

#[test]
fn out_of_bounds_load() {
    for engine in engines() {
        out_of_bounds_load_on(&engine);
    }
}

fn out_of_bounds_load_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(i32.load (local.get $x))"));
    for addr in [65536, 65533, -1, i32::MIN] {
        expect_trap(&mut fx, addr, Trap::MemoryOutOfBounds);
    }
    assert_eq!(fx.run.call(&mut fx.store, 65532).unwrap(), 1, "last in-bounds word reads 0");
}

#[test]
fn out_of_bounds_load_with_offset() {
    for engine in engines() {
        out_of_bounds_load_with_offset_on(&engine);
    }
}

fn out_of_bounds_load_with_offset_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(i32.load offset=0xffff0000 (local.get $x))"));
    expect_trap(&mut fx, 0x10000, Trap::MemoryOutOfBounds);
    expect_trap(&mut fx, -1, Trap::MemoryOutOfBounds);
}

#[test]
fn out_of_bounds_store() {
    for engine in engines() {
        out_of_bounds_store_on(&engine);
    }
}

fn out_of_bounds_store_on(engine: &Engine) {
    let mut fx = instantiate(
        engine,
        &trap_module("(i32.store (local.get $x) (i32.const 0x01020304)) (i32.load8_u (i32.const 65535))"),
    );
    // 65533..65537 straddles the end of memory: it must trap...
    expect_trap(&mut fx, 65533, Trap::MemoryOutOfBounds);
    expect_trap(&mut fx, 65536, Trap::MemoryOutOfBounds);
    expect_trap(&mut fx, -4, Trap::MemoryOutOfBounds);
    // ... and an in-bounds store works (little-endian: byte 65535 = 0x01).
    assert_eq!(fx.run.call(&mut fx.store, 65532).unwrap(), 2);
}

#[test]
fn integer_division_by_zero() {
    for engine in engines() {
        integer_division_by_zero_on(&engine);
    }
}

fn integer_division_by_zero_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(i32.div_s (i32.const 100) (local.get $x))"));
    expect_trap(&mut fx, 0, Trap::IntegerDivisionByZero);
    assert_eq!(fx.run.call(&mut fx.store, 7).unwrap(), 15);
}

#[test]
fn integer_division_overflow() {
    for engine in engines() {
        integer_division_overflow_on(&engine);
    }
}

fn integer_division_overflow_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(i32.div_s (i32.const 0x80000000) (local.get $x))"));
    expect_trap(&mut fx, -1, Trap::IntegerOverflow);
    assert_eq!(fx.run.call(&mut fx.store, 1).unwrap(), i32::MIN + 1);
}

#[test]
fn i64_rem_u_by_zero() {
    for engine in engines() {
        i64_rem_u_by_zero_on(&engine);
    }
}

fn i64_rem_u_by_zero_on(engine: &Engine) {
    let mut fx = instantiate(
        engine,
        &trap_module("(i32.wrap_i64 (i64.rem_u (i64.const 1000000000007) (i64.extend_i32_u (local.get $x))))"),
    );
    expect_trap(&mut fx, 0, Trap::IntegerDivisionByZero);
    assert_eq!(fx.run.call(&mut fx.store, 10).unwrap(), 8);
}

#[test]
fn unreachable() {
    for engine in engines() {
        unreachable_on(&engine);
    }
}

fn unreachable_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(if (local.get $x) (then unreachable)) (i32.const 5)"));
    expect_trap(&mut fx, 1, Trap::UnreachableCodeReached);
    assert_eq!(fx.run.call(&mut fx.store, 0).unwrap(), 6);
}

#[test]
fn call_indirect_traps() {
    for engine in engines() {
        call_indirect_traps_on(&engine);
    }
}

fn call_indirect_traps_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(call_indirect (type $ret_i32) (local.get $x))"));
    // Slot 1 holds a function of another type, slot 2 is null, 3 is past
    // the end; slot 0 is callable.
    expect_trap(&mut fx, 1, Trap::BadSignature);
    expect_trap(&mut fx, 2, Trap::IndirectCallToNull);
    expect_trap(&mut fx, 3, Trap::TableOutOfBounds);
    expect_trap(&mut fx, -1, Trap::TableOutOfBounds);
    assert_eq!(fx.run.call(&mut fx.store, 0).unwrap(), 8);
}

#[test]
fn float_to_int_conversions() {
    for engine in engines() {
        float_to_int_conversions_on(&engine);
    }
}

fn float_to_int_conversions_on(engine: &Engine) {
    let mut fx = instantiate(engine, &trap_module("(i32.trunc_f32_s (f32.reinterpret_i32 (local.get $x)))"));
    expect_trap(&mut fx, f32::NAN.to_bits() as i32, Trap::BadConversionToInteger);
    expect_trap(&mut fx, 1e10f32.to_bits() as i32, Trap::IntegerOverflow);
    expect_trap(&mut fx, (-1e10f32).to_bits() as i32, Trap::IntegerOverflow);
    expect_trap(&mut fx, f32::INFINITY.to_bits() as i32, Trap::IntegerOverflow);
    assert_eq!(fx.run.call(&mut fx.store, (-2.75f32).to_bits() as i32).unwrap(), -1);
}

const RECURSIVE: &str = r#"
    (module $m
      (func $rec (param i32) (result i32)
        (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
      (func $countdown (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 0))
          (else (i32.add (call $countdown (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
      (func (export "rec") (param i32) (result i32) (call $rec (local.get 0)))
      (func (export "countdown") (param i32) (result i32) (call $countdown (local.get 0))))
"#;

#[test]
fn unbounded_recursion() {
    for engine in engines() {
        unbounded_recursion_on(&engine);
    }
}

fn unbounded_recursion_on(engine: &Engine) {
    let module = Module::new(engine, RECURSIVE).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let rec = instance.get_typed_func::<i32, i32>(&mut store, "rec").unwrap();
    let countdown = instance.get_typed_func::<i32, i32>(&mut store, "countdown").unwrap();
    for _ in 0..3 {
        let err = rec.call(&mut store, 0).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{err:?}");
        let bt = err.downcast_ref::<WasmBacktrace>().expect("backtrace");
        assert!(!bt.frames().is_empty());
        assert_eq!(bt.frames()[0].func_name.as_deref(), Some("rec"), "{bt}");
        // The kept frames are all the recursive function (the bottom
        // export frame is past the backtrace's cap).
        assert!(bt.frames().len() > 1, "{bt}");
        assert!(bt.frames().iter().all(|f| f.func_name.as_deref() == Some("rec")), "{bt}");
        assert!(format!("{bt}").contains("more frames"), "deep stacks are truncated: {bt}");
        // Recursion of moderate depth still works after the overflow.
        assert_eq!(countdown.call(&mut store, 1000).unwrap(), 1000);
    }
}

#[test]
fn max_wasm_stack_is_honoured() {
    // Every frame takes at least 16 bytes (return address and saved frame
    // pointer), so 5000 frames need more than 78 KiB: beyond 64 KiB, and
    // well within the default 512 KiB.
    const DEPTH: i32 = 5000;
    let mut config = Config::new();
    config.max_wasm_stack(64 * 1024);
    let small = Engine::new(&config).unwrap();
    let module = Module::new(&small, RECURSIVE).unwrap();
    let mut store = Store::new(&small, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let countdown = instance.get_typed_func::<i32, i32>(&mut store, "countdown").unwrap();
    assert_eq!(countdown.call(&mut store, 10).unwrap(), 10);
    let err = countdown.call(&mut store, DEPTH).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{err:?}");
    let bt = err.downcast_ref::<WasmBacktrace>().expect("backtrace");
    assert_eq!(bt.frames()[0].func_name.as_deref(), Some("countdown"), "{bt}");
    assert_eq!(countdown.call(&mut store, 10).unwrap(), 10, "works after the overflow");

    // The default limit (512 KiB) allows that depth.
    let default = Engine::default();
    let module = Module::new(&default, RECURSIVE).unwrap();
    let mut store = Store::new(&default, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let countdown = instance.get_typed_func::<i32, i32>(&mut store, "countdown").unwrap();
    assert_eq!(countdown.call(&mut store, DEPTH).unwrap(), DEPTH);
}

/// wasm -> host -> wasm, where the innermost wasm traps.
const NESTED: &str = r#"
    (module $nested
      (import "host" "reenter" (func $reenter (param i32) (result i32)))
      (func $boom (export "boom") (param i32) (result i32)
        (if (local.get 0) (then unreachable))
        (i32.const 100))
      (func $via_host (export "via_host") (param i32) (result i32)
        (i32.add (call $reenter (local.get 0)) (i32.const 1)))
      (func (export "ok") (result i32) (i32.const 42)))
"#;

#[test]
fn trap_in_nested_wasm_is_reported() {
    for engine in engines() {
        trap_in_nested_wasm_is_reported_on(&engine);
    }
}

fn trap_in_nested_wasm_is_reported_on(engine: &Engine) {
    let module = Module::new(engine, NESTED).unwrap();
    let mut linker = Linker::<u32>::new(engine);
    linker
        .func_wrap("host", "reenter", |mut caller: Caller<'_, u32>, x: i32| -> anyhow::Result<i32> {
            *caller.data_mut() += 1;
            let boom = caller.get_export("boom").and_then(|e| e.into_func()).expect("boom export");
            let boom = boom.typed::<i32, i32>(&caller)?;
            boom.call(&mut caller, x)
        })
        .unwrap();
    let mut store = Store::new(engine, 0u32);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let via_host = instance.get_typed_func::<i32, i32>(&mut store, "via_host").unwrap();
    let ok = instance.get_typed_func::<(), i32>(&mut store, "ok").unwrap();

    assert_eq!(via_host.call(&mut store, 0).unwrap(), 101);
    for _ in 0..3 {
        let err = via_host.call(&mut store, 1).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached), "{err:?}");
        let bt = err.downcast_ref::<WasmBacktrace>().expect("backtrace");
        assert_eq!(bt.frames().first().and_then(|f| f.func_name.as_deref()), Some("boom"), "{bt}");
        assert_eq!(ok.call(&mut store, ()).unwrap(), 42);
        assert_eq!(via_host.call(&mut store, 0).unwrap(), 101);
    }
    assert_eq!(*store.data(), 7);
}

#[test]
fn host_can_swallow_a_nested_trap() {
    for engine in engines() {
        host_can_swallow_a_nested_trap_on(&engine);
    }
}

fn host_can_swallow_a_nested_trap_on(engine: &Engine) {
    let module = Module::new(engine, NESTED).unwrap();
    let mut linker = Linker::<()>::new(engine);
    linker
        .func_wrap("host", "reenter", |mut caller: Caller<'_, ()>, x: i32| -> i32 {
            let boom = caller.get_export("boom").and_then(|e| e.into_func()).unwrap();
            let boom = boom.typed::<i32, i32>(&caller).unwrap();
            match boom.call(&mut caller, x) {
                Ok(v) => v,
                Err(e) => {
                    assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached));
                    -1
                }
            }
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let via_host = instance.get_typed_func::<i32, i32>(&mut store, "via_host").unwrap();
    for _ in 0..3 {
        assert_eq!(via_host.call(&mut store, 1).unwrap(), 0);
        assert_eq!(via_host.call(&mut store, 0).unwrap(), 101);
    }
    // A trap after the swallowed one is still caught by the outer call.
    let boom = instance.get_typed_func::<i32, i32>(&mut store, "boom").unwrap();
    let err = boom.call(&mut store, 1).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached));
}

#[test]
fn host_error_is_returned() {
    for engine in engines() {
        host_error_is_returned_on(&engine);
    }
}

fn host_error_is_returned_on(engine: &Engine) {
    let module = Module::new(
        engine,
        r#"
        (module $m
          (import "host" "check" (func $check (param i32) (result i32)))
          (func $inner (param i32) (result i32) (call $check (local.get 0)))
          (func (export "run") (param i32) (result i32)
            (i32.mul (call $inner (local.get 0)) (i32.const 2))))
        "#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(engine);
    linker
        .func_wrap("host", "check", |x: i32| -> anyhow::Result<i32> {
            if x < 0 { Err(anyhow!("boom")) } else { Ok(x + 1) }
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    for _ in 0..3 {
        let err = run.call(&mut store, -1).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(err.root_cause().to_string(), "boom");
        assert!(err.downcast_ref::<Trap>().is_none(), "a host error is not a trap: {err:?}");
        assert_eq!(run.call(&mut store, 20).unwrap(), 42);
    }
}

#[test]
fn host_error_from_func_new() {
    for engine in engines() {
        host_error_from_func_new_on(&engine);
    }
}

fn host_error_from_func_new_on(engine: &Engine) {
    let module = Module::new(
        engine,
        r#"(module
             (import "host" "fail" (func $fail))
             (func (export "run") (result i32) (call $fail) (i32.const 1)))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(engine);
    linker
        .func_new("host", "fail", brisk::FuncType::new([], []), |_caller, _params, _results| Err(anyhow!("boom")))
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert_eq!(err.to_string(), "boom");
}

#[test]
fn start_function_trap_fails_instantiation() {
    for engine in engines() {
        start_function_trap_fails_instantiation_on(&engine);
    }
}

fn start_function_trap_fails_instantiation_on(engine: &Engine) {
    let module = Module::new(
        engine,
        r#"(module $m
             (func $init (i32.store (i32.const 65536) (i32.const 1)))
             (memory 1)
             (start $init))"#,
    )
    .unwrap();
    let mut store = Store::new(engine, ());
    let err = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds), "{err:?}");
    let bt = err.downcast_ref::<WasmBacktrace>().expect("backtrace");
    assert_eq!(bt.frames().first().and_then(|f| f.func_name.as_deref()), Some("init"), "{bt}");
}

#[test]
fn traps_on_other_threads() {
    for engine in engines() {
        traps_on_other_threads_on(&engine);
    }
}

fn traps_on_other_threads_on(engine: &Engine) {
    let module = Module::new(engine, trap_module("(i32.load (local.get $x))")).unwrap();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let engine = engine.clone();
            let module = module.clone();
            std::thread::spawn(move || {
                let mut store = Store::new(&engine, ());
                let instance = Instance::new(&mut store, &module, &[]).unwrap();
                let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
                for i in 0..200 {
                    let err = run.call(&mut store, 65536 + i).unwrap_err();
                    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
                    assert_eq!(run.call(&mut store, 0).unwrap(), 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Loads and stores of every width at addresses and static offsets around
/// the end of memory trap exactly when the access does not fit, with and
/// without guard regions (explicit bounds checks), before and after growth.
#[test]
fn bounds_checks_match_the_spec() {
    // (name, bytes accessed, static offset)
    let accesses: &[(&str, u64, u64)] = &[
        ("i32.load8_u", 1, 0),
        ("i32.load16_s", 2, 0),
        ("i32.load", 4, 0),
        ("i64.load", 8, 0),
        ("i64.load offset=1", 8, 1),
        ("i32.load offset=65535", 4, 65535),
        ("i32.load offset=0x7fffffff", 4, 0x7fff_ffff),
        ("i64.load32_u offset=0xfffffffc", 4, 0xffff_fffc),
        ("f64.load offset=4", 8, 4),
    ];
    let mut funcs = String::new();
    for (i, (op, _, _)) in accesses.iter().enumerate() {
        let result = if op.starts_with("i32") {
            "(i64.extend_i32_u)"
        } else if op.starts_with("f64") {
            "(i64.reinterpret_f64)"
        } else {
            ""
        };
        funcs.push_str(&format!(
            "(func $load{i} (export \"load{i}\") (param i32) (result i64) ({op} (local.get 0)) {result})\n"
        ));
        let store_op = op
            .replacen("load8_u", "store8", 1)
            .replacen("load16_s", "store16", 1)
            .replacen("load32_u", "store32", 1)
            .replacen("load", "store", 1);
        let value = if op.starts_with("i32") {
            "(i32.wrap_i64 (local.get 1))"
        } else if op.starts_with("f64") {
            "(f64.reinterpret_i64 (local.get 1))"
        } else {
            "(local.get 1)"
        };
        funcs.push_str(&format!("(func (export \"store{i}\") (param i32 i64) ({store_op} (local.get 0) {value}))\n"));
    }
    let wat = format!("(module (memory (export \"memory\") 1 3) {funcs})");

    let mut configs = vec![Config::new()];
    let mut explicit = Config::new();
    explicit.memory_reservation(4 << 20).memory_guard_size(0);
    configs.push(explicit);
    let mut small_guard = Config::new();
    small_guard.memory_reservation(1 << 20).memory_guard_size(64 << 10);
    configs.push(small_guard);

    let mut rng = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (c, config) in configs.iter().enumerate() {
        let engine = Engine::new(config).unwrap();
        let module = Module::new(&engine, &wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        let loads: Vec<TypedFunc<i32, i64>> =
            (0..accesses.len()).map(|i| instance.get_typed_func(&mut store, &format!("load{i}")).unwrap()).collect();
        let stores: Vec<TypedFunc<(i32, i64), ()>> =
            (0..accesses.len()).map(|i| instance.get_typed_func(&mut store, &format!("store{i}")).unwrap()).collect();
        for pages in 1..=3u64 {
            if pages > 1 {
                memory.grow(&mut store, 1).unwrap();
            }
            for (j, byte) in memory.data_mut(&mut store).iter_mut().enumerate() {
                *byte = (j as u8).wrapping_mul(7).wrapping_add(1);
            }
            let len = pages * 65536;
            for (i, &(op, size, offset)) in accesses.iter().enumerate() {
                // Addresses where the access ends right at, before and after
                // the end of memory, plus random ones.
                let mut addrs: Vec<u64> = Vec::new();
                for end in [len, len - 1, len + 1, len + 7, 0, 65536, 2 * 65536, 3 * 65536] {
                    let base = end.wrapping_sub(size).wrapping_sub(offset);
                    for delta in [0u64, 1, 2, 3, u64::MAX] {
                        addrs.push(base.wrapping_add(delta) & 0xffff_ffff);
                    }
                }
                addrs.extend([0, 0xffff_ffff, 0x8000_0000, 0xffff_fff0]);
                for _ in 0..20 {
                    addrs.push(next() & 0xffff_ffff);
                    addrs.push((len - (next() % 64)) & 0xffff_ffff);
                }
                for addr in addrs {
                    let ea = addr + offset;
                    let fits = ea + size <= len;
                    let what = || format!("config {c}, {pages} pages, {op} at {addr:#x}");
                    match loads[i].call(&mut store, addr as i32) {
                        Ok(v) => {
                            assert!(fits, "{}: should trap", what());
                            let mut bytes = [0u8; 8];
                            memory.read(&store, ea as usize, &mut bytes[..size as usize]).unwrap();
                            let mut expected = u64::from_le_bytes(bytes);
                            if op.starts_with("i32.load16_s") {
                                expected = (expected as u16 as i16 as i32 as u32) as u64;
                            }
                            assert_eq!(v as u64, expected, "{}", what());
                        }
                        Err(e) => {
                            assert!(!fits, "{}: unexpected {e:?}", what());
                            assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds), "{}", what());
                        }
                    }
                    let before = memory.data(&store).to_vec();
                    match stores[i].call(&mut store, (addr as i32, 0x0102_0304_0506_0708)) {
                        Ok(()) => {
                            assert!(fits, "{}: store should trap", what());
                            let got = &memory.data(&store)[ea as usize..(ea + size) as usize];
                            assert_eq!(got, &0x0102_0304_0506_0708u64.to_le_bytes()[..size as usize], "{}", what());
                            memory.write(&mut store, ea as usize, &before[ea as usize..(ea + size) as usize]).unwrap();
                        }
                        Err(e) => {
                            assert!(!fits, "{}: unexpected {e:?}", what());
                            assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds), "{}", what());
                            assert!(memory.data(&store) == &before[..], "{}: a trapping store wrote memory", what());
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn stack_overflow_in_nested_wasm() {
    for engine in engines() {
        stack_overflow_in_nested_wasm_on(&engine);
    }
}

fn stack_overflow_in_nested_wasm_on(engine: &Engine) {
    let module = Module::new(
        engine,
        r#"(module
             (import "env" "reenter" (func $reenter (result i32)))
             (func $down (export "down") (param i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0))
                 (then (call $reenter))
                 (else (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
             (func $forever (export "forever") (result i32)
               (i32.add (call $forever) (i32.const 1))))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(engine);
    linker
        .func_wrap("env", "reenter", |mut caller: Caller<'_, ()>| -> anyhow::Result<i32> {
            let forever = caller.get_export("forever").and_then(|e| e.into_func()).unwrap();
            forever.typed::<(), i32>(&caller)?.call(&mut caller, ())
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let down = instance.get_typed_func::<i32, i32>(&mut store, "down").unwrap();
    // The host-to-wasm chain shares one stack budget, however deep the
    // outer wasm already is.
    for depth in [0, 100, 2000] {
        let err = down.call(&mut store, depth).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{err:?}");
        let bt = err.downcast_ref::<WasmBacktrace>().expect("backtrace");
        assert_eq!(bt.frames()[0].func_name.as_deref(), Some("forever"), "{bt}");
    }
}

#[test]
fn deep_wasm_host_ping_pong_overflows_cleanly() {
    for engine in engines() {
        deep_wasm_host_ping_pong_overflows_cleanly_on(&engine);
    }
}

fn deep_wasm_host_ping_pong_overflows_cleanly_on(engine: &Engine) {
    let module = Module::new(
        engine,
        r#"(module
             (import "env" "pong" (func $pong (param i32) (result i32)))
             (func (export "ping") (param i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0))
                 (then (i32.const 0))
                 (else (i32.add (call $pong (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))"#,
    )
    .unwrap();
    let mut linker = Linker::<u32>::new(engine);
    linker
        .func_wrap("env", "pong", |mut caller: Caller<'_, u32>, x: i32| -> anyhow::Result<i32> {
            *caller.data_mut() += 1;
            let ping = caller.get_export("ping").and_then(|e| e.into_func()).unwrap();
            ping.typed::<i32, i32>(&caller)?.call(&mut caller, x)
        })
        .unwrap();
    let mut store = Store::new(engine, 0);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let ping = instance.get_typed_func::<i32, i32>(&mut store, "ping").unwrap();
    assert_eq!(ping.call(&mut store, 50).unwrap(), 50);
    let err = ping.call(&mut store, i32::MAX).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{err:?}");
    assert!(*store.data() > 100, "{} nested host calls before the overflow", store.data());
    assert_eq!(ping.call(&mut store, 50).unwrap(), 50);
}

#[test]
fn segments_out_of_bounds_trap_at_instantiation() {
    for engine in engines() {
        segments_out_of_bounds_trap_at_instantiation_on(&engine);
    }
}

fn segments_out_of_bounds_trap_at_instantiation_on(engine: &Engine) {
    let mut store = Store::new(engine, ());
    let module = Module::new(engine, "(module (table 1 funcref) (func $f) (elem (i32.const 1) $f))").unwrap();
    let err = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::TableOutOfBounds), "{err:?}");
    let module = Module::new(engine, r#"(module (memory 1) (data (i32.const 65535) "ab"))"#).unwrap();
    let err = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds), "{err:?}");
    // The store is still usable.
    let module = Module::new(engine, r#"(module (memory 1) (data (i32.const 65534) "ab"))"#).unwrap();
    Instance::new(&mut store, &module, &[]).unwrap();
}

/// A stack overflow can hit any function's prologue; the backtrace must
/// still list each caller, in call-graph order, without skipping one.
/// Stack limits a few bytes apart make different functions overflow.
#[test]
fn stack_overflow_backtrace_follows_the_call_graph() {
    const WAT: &str = r#"(module $m
        (func $probe (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
        (func $mid (param i32) (result i32)
          (i32.add (call $probe (local.get 0)) (call $r (local.get 0))))
        (func $r (param i32) (result i32)
          (i32.add (call $mid (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
        (func (export "run") (param i32) (result i32) (call $r (local.get 0))))"#;
    let mut innermost = std::collections::BTreeSet::new();
    for extra in (0..64).map(|i| i * 16) {
        let mut config = Config::new();
        config.max_wasm_stack(64 * 1024 + extra);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, WAT).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let err = run.call(&mut store, 0).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow), "{err:?}");
        let bt = err.downcast_ref::<WasmBacktrace>().expect("backtrace");
        let names: Vec<&str> = bt.frames().iter().map(|f| f.func_name.as_deref().unwrap_or("?")).collect();
        assert!(names.len() > 10, "{bt}");
        for pair in names.windows(2) {
            let caller_ok = match pair[0] {
                "probe" | "r" => pair[1] == "mid",
                "mid" => pair[1] == "r",
                _ => false,
            };
            assert!(caller_ok, "limit +{extra}: {} cannot be called by {}: {names:?}", pair[0], pair[1]);
        }
        innermost.insert(names[0].to_string());
    }
    println!("overflowing functions seen: {innermost:?}");
    assert!(innermost.len() >= 2, "the limits should make different functions overflow: {innermost:?}");
}

/// A `max_wasm_stack` larger than the thread's stack still traps cleanly:
/// the runtime never lets wasm reach the thread's guard page.
#[test]
fn max_wasm_stack_larger_than_the_thread_stack_traps() {
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut config = Config::new();
            config.max_wasm_stack(1 << 30);
            let engine = Engine::new(&config).unwrap();
            let module = Module::new(
                &engine,
                r#"(module (func $r (export "r") (param i64) (result i64)
                     (i64.add (call $r (local.get 0)) (i64.const 1))))"#,
            )
            .unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let r = instance.get_typed_func::<i64, i64>(&mut store, "r").unwrap();
            let err = r.call(&mut store, 0).unwrap_err();
            assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::StackOverflow));
        })
        .unwrap();
    handle.join().expect("the thread survives and the trap is reported");
}

/// Trap sites are looked up by 64 KiB block of code: in a module whose
/// code spans several blocks, every site reports its own trap, and code
/// next to a site does not.
#[test]
fn traps_are_found_in_every_block_of_a_large_module() {
    let funcs: i32 = 3000;
    let mut wat = String::from("(module (memory 1)\n");
    for i in 0..funcs {
        wat.push_str(&format!(
            "(func (export \"div{i}\") (param i32) (result i32) (i32.div_u (i32.const {i}) (local.get 0)))
             (func (export \"load{i}\") (param i32) (result i32) (i32.load offset={} (local.get 0)))\n",
            i * 4
        ));
    }
    wat.push(')');
    let engine = Engine::default();
    let module = Module::new(&engine, &wat).unwrap();
    assert!(module.text().len() > 3 * 65536, "code spans several blocks: {} bytes", module.text().len());
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    for i in (0..funcs).step_by(101).chain([funcs - 1]) {
        let div = instance.get_typed_func::<i32, i32>(&mut store, &format!("div{i}")).unwrap();
        let load = instance.get_typed_func::<i32, i32>(&mut store, &format!("load{i}")).unwrap();
        assert_eq!(div.call(&mut store, 1).unwrap(), i);
        assert_eq!(load.call(&mut store, 0).unwrap(), 0);
        let err = div.call(&mut store, 0).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::IntegerDivisionByZero), "div{i}: {err:#}");
        let err = load.call(&mut store, -8).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds), "load{i}: {err:#}");
        let frames = err.downcast_ref::<WasmBacktrace>().unwrap().frames().to_vec();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].func_index, 2 * i as u32 + 1, "load{i}");
    }
}

