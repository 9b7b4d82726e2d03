//! Host functions: dynamic (`func_new`) and typed (`func_wrap`), reaching
//! the caller's memory and the store's data, returning several values.

use brisk::{Caller, Engine, Extern, Func, FuncType, Linker, Memory, Module, Store, Val, ValType};

#[derive(Default)]
struct State {
    calls: u32,
    seen: Vec<String>,
}

const MODULE: &str = r#"
(module
  (import "host" "checksum" (func $checksum (param i32 i32) (result i32)))
  (import "host" "upcase" (func $upcase (param i32 i32)))
  (import "host" "record" (func $record (param i32 i32) (result i32)))
  (import "host" "triple" (func $triple (param i32) (result i32 i64 f64)))
  (import "host" "triple_dyn" (func $triple_dyn (param i32) (result i32 i64 f64)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello, world")
  (func (export "checksum") (result i32) (call $checksum (i32.const 100) (i32.const 12)))
  (func (export "upcase") (call $upcase (i32.const 100) (i32.const 5)))
  (func (export "record") (result i32) (call $record (i32.const 100) (i32.const 12)))
  (func (export "triple") (param i32) (result i32 i64 f64) (call $triple (local.get 0)))
  (func (export "triple_dyn") (param i32) (result i32 i64 f64) (call $triple_dyn (local.get 0)))
  ;; Uses the three results in wasm, so they must arrive in the right order.
  (func (export "combine") (param i32) (result f64)
    (local $a i32) (local $b i64) (local $c f64)
    (call $triple (local.get 0))
    (local.set $c) (local.set $b) (local.set $a)
    (f64.add (f64.add (f64.convert_i32_s (local.get $a)) (f64.convert_i64_s (local.get $b))) (local.get $c))))
"#;

fn memory_of(caller: &mut Caller<'_, State>) -> anyhow::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| anyhow::anyhow!("the caller exports no memory"))
}

fn linker(engine: &Engine) -> Linker<State> {
    let mut linker = Linker::new(engine);
    // Dynamic: reads the caller's memory through `data`.
    linker
        .func_new(
            "host",
            "checksum",
            FuncType::new([ValType::I32, ValType::I32], [ValType::I32]),
            |mut caller, params, results| {
                let (ptr, len) = (params[0].i32().unwrap() as usize, params[1].i32().unwrap() as usize);
                let memory = memory_of(&mut caller)?;
                let bytes = &memory.data(&mut caller)[ptr..ptr + len];
                let sum = bytes.iter().fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(*b)));
                caller.data_mut().calls += 1;
                results[0] = Val::I32(sum as i32);
                Ok(())
            },
        )
        .unwrap();
    // Typed: rewrites the caller's memory through `data_mut`.
    linker
        .func_wrap("host", "upcase", |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> anyhow::Result<()> {
            let memory = memory_of(&mut caller)?;
            let bytes = &mut memory.data_mut(&mut caller)[ptr as usize..(ptr + len) as usize];
            bytes.make_ascii_uppercase();
            caller.data_mut().calls += 1;
            Ok(())
        })
        .unwrap();
    // Typed: `Memory::read` and `Memory::write`, and the store's data.
    linker
        .func_wrap("host", "record", |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> anyhow::Result<i32> {
            let memory = memory_of(&mut caller)?;
            let mut buf = vec![0; len as usize];
            memory.read(&caller, ptr as usize, &mut buf)?;
            let text = String::from_utf8(buf)?;
            memory.write(&mut caller, 0, text.to_uppercase().as_bytes())?;
            // Out of bounds is an error, not a panic.
            assert!(memory.read(&caller, 65530, &mut [0; 7]).is_err());
            assert!(memory.write(&mut caller, usize::MAX, &[1]).is_err());
            let state = caller.data_mut();
            state.calls += 1;
            state.seen.push(text);
            Ok(state.seen.len() as i32)
        })
        .unwrap();
    linker
        .func_wrap("host", "triple", |mut caller: Caller<'_, State>, x: i32| -> (i32, i64, f64) {
            caller.data_mut().calls += 1;
            (x + 1, i64::from(x) << 40, f64::from(x) / 4.0)
        })
        .unwrap();
    linker
        .func_new(
            "host",
            "triple_dyn",
            FuncType::new([ValType::I32], [ValType::I32, ValType::I64, ValType::F64]),
            |_caller, params, results| {
                let x = params[0].i32().unwrap();
                results[0] = Val::I32(-x);
                results[1] = Val::I64(-(i64::from(x) << 33));
                results[2] = Val::F64((-0.5f64 * f64::from(x)).to_bits());
                Ok(())
            },
        )
        .unwrap();
    linker
}

#[test]
fn host_functions_use_caller_memory_and_store_data() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let linker = linker(&engine);
    let mut store = Store::new(&engine, State::default());
    let instance = linker.instantiate(&mut store, &module).unwrap();

    let checksum = instance.get_typed_func::<(), i32>(&mut store, "checksum").unwrap();
    let expected = b"hello, world".iter().fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(*b)));
    assert_eq!(checksum.call(&mut store, ()).unwrap(), expected as i32);
    assert_eq!(store.data().calls, 1);

    let upcase = instance.get_typed_func::<(), ()>(&mut store, "upcase").unwrap();
    upcase.call(&mut store, ()).unwrap();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert_eq!(&memory.data(&store)[100..112], b"HELLO, world");
    assert_eq!(store.data().calls, 2);

    let record = instance.get_typed_func::<(), i32>(&mut store, "record").unwrap();
    assert_eq!(record.call(&mut store, ()).unwrap(), 1);
    assert_eq!(record.call(&mut store, ()).unwrap(), 2);
    assert_eq!(&memory.data(&store)[0..12], b"HELLO, WORLD");
    assert_eq!(store.data().seen, ["HELLO, world", "HELLO, world"]);
    assert_eq!(store.data().calls, 4);

    // The host sees writes made by wasm and vice versa.
    memory.data_mut(&mut store)[100..105].copy_from_slice(b"abcde");
    let checksum2 = checksum.call(&mut store, ()).unwrap();
    assert_ne!(checksum2, expected as i32);
    assert_eq!(store.into_data().calls, 5);
}

#[test]
fn host_functions_return_several_values() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let linker = linker(&engine);
    let mut store = Store::new(&engine, State::default());
    let instance = linker.instantiate(&mut store, &module).unwrap();

    let triple = instance.get_typed_func::<i32, (i32, i64, f64)>(&mut store, "triple").unwrap();
    assert_eq!(triple.call(&mut store, 6).unwrap(), (7, 6 << 40, 1.5));
    assert_eq!(triple.call(&mut store, -2).unwrap(), (-1, -2 << 40, -0.5));
    let triple_dyn = instance.get_typed_func::<i32, (i32, i64, f64)>(&mut store, "triple_dyn").unwrap();
    assert_eq!(triple_dyn.call(&mut store, 3).unwrap(), (-3, -(3 << 33), -1.5));

    let combine = instance.get_typed_func::<i32, f64>(&mut store, "combine").unwrap();
    assert_eq!(combine.call(&mut store, 1).unwrap(), 2.0 + (1u64 << 40) as f64 + 0.25);

    // Untyped calls see the same results.
    let f = instance.get_func(&mut store, "triple").unwrap();
    let mut results = [Val::I32(0), Val::I32(0), Val::I32(0)];
    f.call(&mut store, &[Val::I32(8)], &mut results).unwrap();
    assert_eq!(results[0].i32(), Some(9));
    assert_eq!(results[1].i64(), Some(8 << 40));
    assert_eq!(results[2].f64(), Some(2.0));
    assert_eq!(store.data().calls, 4);
}

#[test]
fn host_function_result_of_wrong_type_is_an_error() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "host" "f" (func $f (result i32))) (func (export "run") (result i32) (call $f)))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_new("host", "f", FuncType::new([], [ValType::I32]), |_caller, _params, results| {
            results[0] = Val::I64(1);
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("host function returned"), "{err:#}");
}

#[test]
fn host_function_called_from_the_host() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, 10u64);
    let f = Func::wrap(&mut store, |mut caller: Caller<'_, u64>, x: i64, y: i64| -> i64 {
        assert!(caller.get_export("memory").is_none(), "no calling instance");
        *caller.data_mut() += 1;
        x * y + *caller.data() as i64
    });
    assert_eq!(f.ty(&store), FuncType::new([ValType::I64, ValType::I64], [ValType::I64]));
    let typed = f.typed::<(i64, i64), i64>(&store).unwrap();
    assert_eq!(typed.call(&mut store, (6, 7)).unwrap(), 53);
    let mut results = [Val::I64(0)];
    f.call(&mut store, &[Val::I64(2), Val::I64(3)], &mut results).unwrap();
    assert_eq!(results[0].i64(), Some(18));
    assert_eq!(*store.data(), 12);
}

#[test]
fn host_panic_propagates_and_store_survives() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "maybe_panic" (func $p (param i32) (result i32)))
             (func (export "run") (param i32) (result i32) (i32.add (call $p (local.get 0)) (i32.const 1))))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "maybe_panic", |x: i32| -> i32 {
            assert!(x >= 0, "host function panics on purpose");
            x * 2
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    for _ in 0..3 {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.call(&mut store, -1)));
        let panic = result.expect_err("the panic reaches the caller");
        let message = panic.downcast_ref::<String>().map(String::as_str).or(panic.downcast_ref::<&str>().copied());
        assert_eq!(message, Some("host function panics on purpose"));
        assert_eq!(run.call(&mut store, 20).unwrap(), 41);
    }
}

#[test]
fn imported_memory_shared_with_host() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "mem" (memory 1))
             (import "env" "peek" (func $peek (param i32) (result i32)))
             (func (export "poke_and_peek") (param i32 i32) (result i32)
               (i32.store (local.get 0) (local.get 1))
               (call $peek (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let memory =
        Memory::new(&mut store, brisk::MemoryType { minimum: 1, maximum: Some(2), memory64: false, shared: false })
            .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.define("env", "mem", memory).unwrap();
    // The calling instance does not export the memory, so the host uses
    // its own handle.
    linker
        .func_wrap("env", "peek", move |mut caller: Caller<'_, ()>, ptr: i32| -> i32 {
            assert!(caller.get_export("mem").is_none());
            let mut buf = [0u8; 4];
            memory.read(&mut caller, ptr as usize, &mut buf).unwrap();
            i32::from_le_bytes(buf)
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance.get_typed_func::<(i32, i32), i32>(&mut store, "poke_and_peek").unwrap();
    assert_eq!(f.call(&mut store, (1000, 0x1234_5678)).unwrap(), 0x1234_5678);
    assert_eq!(&memory.data(&store)[1000..1004], &0x1234_5678i32.to_le_bytes());
}

#[test]
fn host_error_when_called_from_the_host() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, 0u32);
    let f = Func::wrap(&mut store, |mut caller: Caller<'_, u32>, x: i32| -> anyhow::Result<i32> {
        *caller.data_mut() += 1;
        if x < 0 { Err(anyhow::anyhow!("boom")) } else { Ok(x) }
    });
    let typed = f.typed::<i32, i32>(&store).unwrap();
    for _ in 0..2 {
        let err = typed.call(&mut store, -1).expect_err("the host function's error is returned");
        assert_eq!(err.to_string(), "boom");
        let mut out = [Val::I32(0)];
        let err = f.call(&mut store, &[Val::I32(-1)], &mut out).expect_err("untyped too");
        assert_eq!(err.to_string(), "boom");
        assert_eq!(typed.call(&mut store, 5).unwrap(), 5);
    }
    assert_eq!(*store.data(), 6);
    // The same through a linker definition.
    let mut linker = Linker::<u32>::new(&engine);
    linker.func_new("env", "fail", FuncType::new([], []), |_, _, _| Err(anyhow::anyhow!("boom"))).unwrap();
    let fail = linker.get(&mut store, "env", "fail").and_then(Extern::into_func).unwrap();
    let err = fail.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(err.to_string(), "boom");
}

#[test]
fn many_parameters_and_results() {
    const PARAMS: usize = 20;
    const RESULTS: usize = 8;
    let engine = Engine::default();
    let params = " i64".repeat(PARAMS);
    let results = " i64".repeat(RESULTS);
    let body: String = (0..RESULTS).map(|i| format!("(i64.add (local.get {i}) (local.get {}))", i + 12)).collect();
    let args: String = (0..PARAMS).map(|i| format!("(local.get {i})")).collect();
    let wat = format!(
        r#"(module
             (import "env" "h" (func $h (param{params}) (result{results})))
             (func (export "direct") (param{params}) (result{results}) {body})
             (func (export "via_host") (param{params}) (result{results}) (call $h {args})))"#
    );
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let ty = FuncType::new(vec![ValType::I64; PARAMS], vec![ValType::I64; RESULTS]);
    let h = Func::new(&mut store, ty, |_caller, params, results| {
        for (i, r) in results.iter_mut().enumerate() {
            *r = Val::I64(params[i].i64().unwrap() * 1000 + params[i + 12].i64().unwrap());
        }
        Ok(())
    });
    let instance = brisk::Instance::new(&mut store, &module, &[h.into()]).unwrap();
    let args: Vec<Val> = (0..PARAMS).map(|i| Val::I64(i as i64 + 1)).collect();
    let mut out = vec![Val::I64(0); RESULTS];
    instance.get_func(&mut store, "direct").unwrap().call(&mut store, &args, &mut out).unwrap();
    let got: Vec<i64> = out.iter().map(|v| v.i64().unwrap()).collect();
    let expected: Vec<i64> = (0..RESULTS as i64).map(|i| (i + 1) + (i + 13)).collect();
    assert_eq!(got, expected);
    instance.get_func(&mut store, "via_host").unwrap().call(&mut store, &args, &mut out).unwrap();
    let got: Vec<i64> = out.iter().map(|v| v.i64().unwrap()).collect();
    let expected: Vec<i64> = (0..RESULTS as i64).map(|i| (i + 1) * 1000 + (i + 13)).collect();
    assert_eq!(got, expected);
    let typed = instance
        .get_typed_func::<(i64, i64, i64, i64, i64, i64, i64, i64), ()>(&mut store, "direct")
        .err()
        .expect("wrong arity is refused");
    assert!(typed.to_string().contains("type mismatch"), "{typed}");
}

/// WebAssembly 2.0 (multi-value) allows any number of results.
#[test]
fn wasm_function_with_nine_results() {
    let engine = Engine::default();
    let results = " i32".repeat(9);
    let consts: String = (0..9).map(|i| format!("(i32.const {i})")).collect();
    let wat = format!(r#"(module (func (export "f") (result{results}) {consts}))"#);
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = brisk::Instance::new(&mut store, &module, &[]).unwrap();
    let mut out = vec![Val::I32(-1); 9];
    instance.get_func(&mut store, "f").unwrap().call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out.iter().map(|v| v.i32().unwrap()).collect::<Vec<_>>(), (0..9).collect::<Vec<_>>());
}

#[test]
fn host_function_with_nine_results() {
    let engine = Engine::default();
    let results = " i32".repeat(9);
    let wat = format!(r#"(module (import "env" "h" (func (result{results}))) (export "h" (func 0)))"#);
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let h = Func::new(&mut store, FuncType::new([], vec![ValType::I32; 9]), |_, _, results| {
        for (i, r) in results.iter_mut().enumerate() {
            *r = Val::I32(i as i32);
        }
        Ok(())
    });
    brisk::Instance::new(&mut store, &module, &[h.into()]).unwrap();
}

#[test]
fn float_bits_survive_host_calls() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "flip32" (func $flip32 (param f32) (result f32)))
             (import "env" "flip64" (func $flip64 (param f64) (result f64)))
             (func (export "f32") (param i32) (result i32)
               (i32.reinterpret_f32 (call $flip32 (f32.reinterpret_i32 (local.get 0)))))
             (func (export "f64") (param i64) (result i64)
               (i64.reinterpret_f64 (call $flip64 (f64.reinterpret_i64 (local.get 0))))))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "flip32", |x: f32| f32::from_bits(x.to_bits() ^ 1)).unwrap();
    linker.func_wrap("env", "flip64", |x: f64| f64::from_bits(x.to_bits() ^ 1)).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f32_ = instance.get_typed_func::<i32, i32>(&mut store, "f32").unwrap();
    let f64_ = instance.get_typed_func::<i64, i64>(&mut store, "f64").unwrap();
    // Signalling NaNs keep their payload (no quieting on the way).
    assert_eq!(f32_.call(&mut store, 0x7fa0_0000).unwrap(), 0x7fa0_0001);
    assert_eq!(f64_.call(&mut store, 0x7ff4_0000_0000_0000).unwrap(), 0x7ff4_0000_0000_0001);
    assert_eq!(f32_.call(&mut store, 0).unwrap(), 1);
}

#[test]
fn one_linker_many_stores() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "f" (func $f (result i32))) (func (export "run") (result i32) (call $f)))"#,
    )
    .unwrap();
    let mut linker = Linker::<i32>::new(&engine);
    linker.func_wrap("env", "f", |caller: Caller<'_, i32>| *caller.data()).unwrap();
    for v in 0..5 {
        let mut store = Store::new(&engine, v * 11);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), v * 11, "each store's own data");
    }
}

#[test]
fn start_function_calls_host_that_reads_memory() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "h" (func $h))
             (memory (export "memory") 1)
             (data (i32.const 0) "xyz")
             (func $s (call $h))
             (start $s))"#,
    )
    .unwrap();
    let mut linker = Linker::<Vec<u8>>::new(&engine);
    linker
        .func_wrap("env", "h", |mut caller: Caller<'_, Vec<u8>>| {
            let memory = caller.get_export("memory").and_then(Extern::into_memory).expect("instance is visible");
            let bytes = memory.data(&mut caller)[..3].to_vec();
            *caller.data_mut() = bytes;
        })
        .unwrap();
    let mut store = Store::new(&engine, vec![]);
    linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(store.data(), b"xyz");
}

/// Wasm calls the host, which calls back into wasm, which calls the host
/// again, several levels deep; every level uses the store (its data, the
/// caller's memory, growing it) before and after the call it makes. No
/// reference into the store may survive a call into wasm, so each level
/// reborrows it afterwards and sees what the inner levels did.
#[test]
fn host_and_wasm_call_each_other_reentrantly() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "down" (func $down (param i32) (result i32)))
          (memory (export "memory") 1)
          ;; Records its depth in memory, then asks the host to go one deeper.
          (func (export "level") (param i32) (result i32)
            (i32.store8 (local.get 0) (i32.add (local.get 0) (i32.const 65)))
            (i32.add (call $down (local.get 0)) (i32.const 1))))"#,
    )
    .unwrap();
    let mut linker = Linker::<State>::new(&engine);
    linker
        .func_wrap("host", "down", |mut caller: Caller<'_, State>, depth: i32| -> anyhow::Result<i32> {
            caller.data_mut().calls += 1;
            let memory = memory_of(&mut caller)?;
            if depth >= 6 {
                memory.grow(&mut caller, 1)?;
                return Ok(0);
            }
            let level = caller.get_export("level").and_then(Extern::into_func).unwrap();
            let level = level.typed::<i32, i32>(&caller)?;
            let before = caller.data().calls;
            let r = level.call(&mut caller, depth + 1)?;
            // The inner levels' effects are visible through fresh borrows.
            assert!(caller.data().calls > before);
            assert_eq!(memory.size(&caller), 2, "grown by the innermost level");
            caller.data_mut().seen.push(format!("{depth}"));
            Ok(r)
        })
        .unwrap();
    let mut store = Store::new(&engine, State::default());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let level = instance.get_typed_func::<i32, i32>(&mut store, "level").unwrap();
    assert_eq!(level.call(&mut store, 0).unwrap(), 7);
    assert_eq!(store.data().calls, 7);
    assert_eq!(store.data().seen, ["5", "4", "3", "2", "1", "0"]);
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert_eq!(&memory.data(&store)[..7], b"ABCDEFG");
}
