//! Smoke tests of the embedding API: globals, tables, memories, exports,
//! start functions, linker errors and call type checks.

use brisk::{
    Config, Engine, Extern, Func, FuncType, Global, GlobalType, Instance, Linker, Memory, MemoryType, Module, Store,
    Table, TableType, Trap, Val, ValType,
};

fn instance(engine: &Engine, store: &mut Store<()>, wat: &str) -> Instance {
    let module = Module::new(engine, wat).unwrap();
    Instance::new(store, &module, &[]).unwrap()
}

#[test]
fn globals() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &engine,
        &mut store,
        r#"(module
             (global $m (export "mutable") (mut i32) (i32.const 7))
             (global $c (export "const") i64 (i64.const -3))
             (global $f (export "float") (mut f64) (f64.const 0.5))
             (func (export "get_m") (result i32) (global.get $m))
             (func (export "inc_m") (global.set $m (i32.add (global.get $m) (i32.const 1)))))"#,
    );
    let m = inst.get_global(&mut store, "mutable").unwrap();
    let c = inst.get_global(&mut store, "const").unwrap();
    let f = inst.get_global(&mut store, "float").unwrap();
    assert_eq!(m.ty(&store), GlobalType { content: ValType::I32, mutable: true });
    assert_eq!(c.ty(&store), GlobalType { content: ValType::I64, mutable: false });
    assert_eq!(m.get(&mut store).i32(), Some(7));
    assert_eq!(c.get(&mut store).i64(), Some(-3));
    assert_eq!(f.get(&mut store).f64(), Some(0.5));

    m.set(&mut store, Val::I32(100)).unwrap();
    let get_m = inst.get_typed_func::<(), i32>(&mut store, "get_m").unwrap();
    assert_eq!(get_m.call(&mut store, ()).unwrap(), 100, "wasm sees the host's write");
    inst.get_typed_func::<(), ()>(&mut store, "inc_m").unwrap().call(&mut store, ()).unwrap();
    assert_eq!(m.get(&mut store).i32(), Some(101), "the host sees wasm's write");
    f.set(&mut store, Val::from(-1.25f64)).unwrap();
    assert_eq!(f.get(&mut store).f64(), Some(-1.25));

    // Immutable globals and wrong types are errors.
    assert!(c.set(&mut store, Val::I64(1)).is_err());
    assert_eq!(c.get(&mut store).i64(), Some(-3));
    assert!(m.set(&mut store, Val::I64(1)).is_err());
    assert!(m.set(&mut store, Val::F32(0)).is_err());
    assert_eq!(m.get(&mut store).i32(), Some(101));

    // The same export gives the same handle.
    assert_eq!(inst.get_global(&mut store, "mutable").unwrap(), m);
}

#[test]
fn host_globals_are_imported() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "counter" (global $g (mut i32)))
             (import "env" "base" (global $b i32))
             (func (export "bump") (result i32)
               (global.set $g (i32.add (global.get $g) (global.get $b)))
               (global.get $g)))"#,
    )
    .unwrap();
    let counter = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: true }, Val::I32(1)).unwrap();
    let base = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: false }, Val::I32(10)).unwrap();
    assert!(Global::new(&mut store, GlobalType { content: ValType::I32, mutable: false }, Val::I64(10)).is_err());
    let instance = Instance::new(&mut store, &module, &[counter.into(), base.into()]).unwrap();
    let bump = instance.get_typed_func::<(), i32>(&mut store, "bump").unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 11);
    assert_eq!(bump.call(&mut store, ()).unwrap(), 21);
    assert_eq!(counter.get(&mut store).i32(), Some(21));

    // Mutability must match.
    assert!(Instance::new(&mut store, &module, &[base.into(), counter.into()]).is_err());
    // Imports in the wrong order or of the wrong kind fail, not panic.
    let f = Func::wrap(&mut store, || {});
    assert!(Instance::new(&mut store, &module, &[f.into(), base.into()]).is_err());
    assert!(Instance::new(&mut store, &module, &[counter.into()]).is_err());
}

const TABLE_MODULE: &str = r#"
(module
  (type $unary (func (param i32) (result i32)))
  (table $t (export "table") 2 5 funcref)
  (elem (i32.const 0) $double $negate)
  (func $double (export "double") (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $negate (type $unary) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect (type $unary) (local.get 1) (local.get 0)))
  (func (export "size") (result i32) (table.size $t)))
"#;

#[test]
fn tables() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(&engine, &mut store, TABLE_MODULE);
    let table = inst.get_table(&mut store, "table").unwrap();
    let call = inst.get_typed_func::<(i32, i32), i32>(&mut store, "call").unwrap();
    let size = inst.get_typed_func::<(), i32>(&mut store, "size").unwrap();
    assert_eq!(table.ty(&store), TableType { element: ValType::FuncRef, minimum: 2, maximum: Some(5) });
    assert_eq!(table.size(&store), 2);

    // Elements are functions that can be called from the host.
    let Some(Val::FuncRef(Some(first))) = table.get(&mut store, 0) else { panic!("slot 0 holds a function") };
    assert_eq!(first, inst.get_func(&mut store, "double").unwrap());
    let mut out = [Val::I32(0)];
    first.call(&mut store, &[Val::I32(21)], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(42));
    assert!(table.get(&mut store, 2).is_none());
    assert!(table.get(&mut store, u64::MAX).is_none());

    // A host function stored in the table is callable from wasm.
    let host = Func::wrap(&mut store, |x: i32| x + 1000);
    table.set(&mut store, 1, Val::FuncRef(Some(host))).unwrap();
    assert_eq!(call.call(&mut store, (1, 5)).unwrap(), 1005);
    assert!(table.set(&mut store, 2, Val::FuncRef(Some(host))).is_err(), "out of bounds");
    assert!(table.set(&mut store, 0, Val::I32(5)).is_err(), "wrong type");

    // Grow: new slots are null until set.
    assert_eq!(table.grow(&mut store, 2, Val::FuncRef(None)).unwrap(), 2);
    assert_eq!(table.size(&store), 4);
    assert_eq!(size.call(&mut store, ()).unwrap(), 4, "wasm sees the new size");
    assert!(matches!(table.get(&mut store, 3), Some(Val::FuncRef(None))));
    let err = call.call(&mut store, (3, 1)).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::IndirectCallToNull));
    table.set(&mut store, 3, Val::FuncRef(Some(first))).unwrap();
    assert_eq!(call.call(&mut store, (3, 8)).unwrap(), 16);
    // Grow with an initial function; then past the maximum fails.
    assert_eq!(table.grow(&mut store, 1, Val::FuncRef(Some(host))).unwrap(), 4);
    assert_eq!(call.call(&mut store, (4, 1)).unwrap(), 1001);
    assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
    assert_eq!(table.size(&store), 5);
    assert_eq!(table.grow(&mut store, 0, Val::FuncRef(None)).unwrap(), 5);

    // A function of the wrong type in the table is a signature trap.
    let wrong = Func::wrap(&mut store, |x: i64| x);
    table.set(&mut store, 0, Val::FuncRef(Some(wrong))).unwrap();
    let err = call.call(&mut store, (0, 1)).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::BadSignature));
}

#[test]
fn table_grow_rejects_wrong_type() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(&engine, &mut store, TABLE_MODULE);
    let table = inst.get_table(&mut store, "table").unwrap();
    // Documented: "Fails beyond the maximum or on a type mismatch."
    assert!(table.grow(&mut store, 1, Val::I32(5)).is_err());
    assert_eq!(table.size(&store), 2, "a failed grow changes nothing");
}

#[test]
fn host_tables() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = TableType { element: ValType::FuncRef, minimum: 3, maximum: None };
    let f = Func::wrap(&mut store, |x: i32| x * 3);
    let table = Table::new(&mut store, ty, Val::FuncRef(Some(f))).unwrap();
    assert!(Table::new(&mut store, ty, Val::I32(0)).is_err());
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "t" (table 3 funcref))
             (func (export "call") (param i32 i32) (result i32)
               (call_indirect (param i32) (result i32) (local.get 1) (local.get 0))))"#,
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[table.into()]).unwrap();
    let call = instance.get_typed_func::<(i32, i32), i32>(&mut store, "call").unwrap();
    assert_eq!(call.call(&mut store, (2, 5)).unwrap(), 15);
    // Growing the host table is visible to the instance that imported it.
    assert_eq!(table.grow(&mut store, 10, Val::FuncRef(None)).unwrap(), 3);
    let err = call.call(&mut store, (12, 1)).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::IndirectCallToNull));
    let err = call.call(&mut store, (13, 1)).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::TableOutOfBounds));
}

#[test]
fn memories() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &engine,
        &mut store,
        r#"(module
             (memory (export "memory") 1 4)
             (func (export "size") (result i32) (memory.size))
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
             (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))"#,
    );
    let memory = inst.get_memory(&mut store, "memory").unwrap();
    let size = inst.get_typed_func::<(), i32>(&mut store, "size").unwrap();
    let grow = inst.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    let load = inst.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    let store_fn = inst.get_typed_func::<(i32, i32), ()>(&mut store, "store").unwrap();
    assert_eq!(memory.ty(&store), MemoryType { minimum: 1, maximum: Some(4), memory64: false, shared: false });
    assert_eq!(memory.size(&store), 1);
    assert_eq!(memory.data_size(&store), 65536);
    assert_eq!(memory.data(&store).len(), 65536);

    let err = load.call(&mut store, 65536).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));

    // Grow from the host.
    assert_eq!(memory.grow(&mut store, 1).unwrap(), 1);
    assert_eq!(memory.size(&store), 2);
    assert_eq!(size.call(&mut store, ()).unwrap(), 2, "wasm sees the host's growth");
    store_fn.call(&mut store, (65536, 77)).unwrap();
    assert_eq!(load.call(&mut store, 65536).unwrap(), 77);
    assert_eq!(memory.data(&store)[65536], 77);
    let err = load.call(&mut store, 2 * 65536 - 2).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));

    // Grow from wasm.
    assert_eq!(grow.call(&mut store, 1).unwrap(), 2);
    assert_eq!(size.call(&mut store, ()).unwrap(), 3);
    assert_eq!(memory.size(&store), 3, "the host sees wasm's growth");
    assert_eq!(memory.data_size(&store), 3 * 65536);
    assert_eq!(load.call(&mut store, 3 * 65536 - 4).unwrap(), 0, "new pages are zero");
    assert_eq!(grow.call(&mut store, 0).unwrap(), 3);
    assert_eq!(grow.call(&mut store, 2).unwrap(), -1, "past the maximum");
    assert_eq!(grow.call(&mut store, -1).unwrap(), -1);
    assert!(memory.grow(&mut store, 2).is_err());
    assert_eq!(memory.size(&store), 3);
    assert_eq!(grow.call(&mut store, 1).unwrap(), 3);
    assert_eq!(memory.size(&store), 4);
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(memory.grow(&mut store, 0).unwrap(), 4);
    assert_eq!(memory.data(&store)[65536], 77, "contents survive growth");
}

#[test]
fn memory_without_maximum_grows_from_host_and_wasm() {
    let mut config = Config::new();
    // A small reservation forces explicit bounds checks.
    config.memory_reservation(1 << 20).memory_guard_size(64 << 10);
    let engine = Engine::new(&config).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &engine,
        &mut store,
        r#"(module
             (memory (export "memory") 0)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
    );
    let memory = inst.get_memory(&mut store, "memory").unwrap();
    let grow = inst.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    let load = inst.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    assert_eq!(memory.size(&store), 0);
    let err = load.call(&mut store, 0).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    assert_eq!(grow.call(&mut store, 1).unwrap(), 0);
    assert_eq!(memory.grow(&mut store, 2).unwrap(), 1);
    assert_eq!(load.call(&mut store, 3 * 65536 - 4).unwrap(), 0);
    let err = load.call(&mut store, 3 * 65536 - 3).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    // The reservation (16 pages) caps growth.
    assert_eq!(grow.call(&mut store, 14).unwrap(), -1);
    assert_eq!(grow.call(&mut store, 13).unwrap(), 3);
    assert_eq!(load.call(&mut store, 16 * 65536 - 4).unwrap(), 0);
    let err = load.call(&mut store, 16 * 65536).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
}

#[test]
fn host_memory_rejects_bad_types() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let bad = MemoryType { minimum: 2, maximum: Some(1), memory64: false, shared: false };
    assert!(Memory::new(&mut store, bad).is_err());
    let too_big = MemoryType { minimum: 70_000, maximum: None, memory64: false, shared: false };
    assert!(Memory::new(&mut store, too_big).is_err());
}

#[test]
fn exports_listing() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module $listing
             (import "env" "f" (func (param i32)))
             (import "env" "g" (global i64))
             (func (export "first") (param i32) (result i32) (local.get 0))
             (memory (export "mem") 1)
             (table (export "tab") 1 funcref)
             (global (export "glob") i32 (i32.const 3))
             (export "again" (func 1)))"#,
    )
    .unwrap();
    assert_eq!(module.name(), Some("listing"));
    let names: Vec<&str> = module.exports().map(|(n, _)| n).collect();
    assert_eq!(names, ["first", "mem", "tab", "glob", "again"]);
    let imports: Vec<(&str, &str)> = module.imports().map(|(m, n, _)| (m, n)).collect();
    assert_eq!(imports, [("env", "f"), ("env", "g")]);

    let mut store = Store::new(&engine, ());
    let f = Func::wrap(&mut store, |_: i32| {});
    let g = Global::new(&mut store, GlobalType { content: ValType::I64, mutable: false }, Val::I64(0)).unwrap();
    let instance = Instance::new(&mut store, &module, &[f.into(), g.into()]).unwrap();
    let exports = instance.exports(&mut store);
    let kinds: Vec<(&str, &str)> = exports
        .iter()
        .map(|(n, e)| {
            let kind = match e {
                Extern::Func(_) => "func",
                Extern::Memory(_) => "memory",
                Extern::Table(_) => "table",
                Extern::Global(_) => "global",
            };
            (n.as_str(), kind)
        })
        .collect();
    assert_eq!(kinds, [("first", "func"), ("mem", "memory"), ("tab", "table"), ("glob", "global"), ("again", "func")]);
    let first = instance.get_func(&mut store, "first").unwrap();
    assert_eq!(first.ty(&store), FuncType::new([ValType::I32], [ValType::I32]));
    assert_eq!(instance.get_func(&mut store, "again"), Some(first), "both name function 1");
    assert!(instance.get_export(&mut store, "missing").is_none());
    assert!(instance.get_func(&mut store, "mem").is_none(), "wrong kind");
    assert!(instance.get_memory(&mut store, "first").is_none(), "wrong kind");
}

#[test]
fn start_function_runs_at_instantiation() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "hello" (func $hello))
             (global $g (export "g") (mut i32) (i32.const 0))
             (memory (export "memory") 1)
             (data (i32.const 0) "\05")
             (func $start
               (call $hello)
               (global.set $g (i32.add (i32.load8_u (i32.const 0)) (i32.const 37))))
             (start $start))"#,
    )
    .unwrap();
    let mut linker = Linker::<u32>::new(&engine);
    linker.func_wrap("env", "hello", |mut caller: brisk::Caller<'_, u32>| *caller.data_mut() += 1).unwrap();
    let mut store = Store::new(&engine, 0u32);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(*store.data(), 1, "start ran once");
    let g = instance.get_global(&mut store, "g").unwrap();
    assert_eq!(g.get(&mut store).i32(), Some(42), "start ran after data segments");
    linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(*store.data(), 2);
}

#[test]
fn linker_errors() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "f", |x: i32| x).unwrap();
    let err = linker.func_wrap("env", "f", |x: i32| x).err().expect("duplicate definition");
    assert!(err.to_string().contains("env::f"), "{err}");
    assert!(linker.func_new("env", "f", FuncType::new([], []), |_, _, _| Ok(())).is_err());
    let mut store = Store::new(&engine, ());
    let g = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: false }, Val::I32(1)).unwrap();
    assert!(linker.define("env", "f", g).is_err());
    linker.define("env", "g", g).unwrap();
    assert!(linker.define("env", "g", g).is_err());
    // Other names in the same module, or the same name in another module, are fine.
    linker.func_wrap("env", "f2", |x: i32| x).unwrap();
    linker.func_wrap("other", "f", |x: i32| x).unwrap();

    // Shadowing replaces.
    linker.allow_shadowing(true);
    linker.func_wrap("env", "f", |x: i32| x + 1).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "f" (func $f (param i32) (result i32)))
             (func (export "run") (param i32) (result i32) (call $f (local.get 0))))"#,
    )
    .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 1).unwrap(), 2);

    // Unknown imports and type mismatches.
    let needs_h = Module::new(&engine, r#"(module (import "env" "h" (func)))"#).unwrap();
    let err = linker.instantiate(&mut store, &needs_h).unwrap_err();
    assert!(err.to_string().contains("unknown import"), "{err}");
    let wrong_sig = Module::new(&engine, r#"(module (import "env" "f" (func (param i64))))"#).unwrap();
    let err = linker.instantiate(&mut store, &wrong_sig).unwrap_err();
    assert!(err.to_string().contains("incompatible import type"), "{err}");
    let wrong_kind = Module::new(&engine, r#"(module (import "env" "g" (memory 1)))"#).unwrap();
    assert!(linker.instantiate(&mut store, &wrong_kind).is_err());

    // Instance exports can be defined under a module name.
    let mut linker2 = Linker::<()>::new(&engine);
    linker2.instance(&mut store, "inst", instance).unwrap();
    assert!(linker2.get(&mut store, "inst", "run").is_some());
    assert!(linker2.instance(&mut store, "inst", instance).is_err(), "duplicates");
}

#[test]
fn modules_and_stores_of_different_engines() {
    let a = Engine::default();
    let b = Engine::default();
    let module = Module::new(&a, "(module (func (export \"f\")))").unwrap();
    let mut store = Store::new(&b, ());
    assert!(Instance::new(&mut store, &module, &[]).is_err());
}

/// `add(i32, i64) -> i64`, for the signature checks.
const ADD_I32_I64: &str = r#"(module (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))))"#;

#[test]
fn typed_func_mismatch() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &engine,
        &mut store,
        ADD_I32_I64,
    );
    let add = inst.get_func(&mut store, "add").unwrap();
    assert!(add.typed::<(i32, i64), i64>(&store).is_ok());
    assert!(add.typed::<(i64, i32), i64>(&store).is_err());
    assert!(add.typed::<(i32, i64), i32>(&store).is_err());
    assert!(add.typed::<(i32, i64), ()>(&store).is_err());
    assert!(add.typed::<i32, i64>(&store).is_err());
    assert!(add.typed::<(i32, i64, i32), i64>(&store).is_err());
    assert!(add.typed::<(u32, u64), u64>(&store).is_ok(), "unsigned Rust types map to the same wasm types");
    assert!(inst.get_typed_func::<(), ()>(&mut store, "add").is_err());
    assert!(inst.get_typed_func::<(), ()>(&mut store, "missing").is_err());
    let typed = add.typed::<(i32, i64), i64>(&store).unwrap();
    assert_eq!(typed.call(&mut store, (-1, 10)).unwrap(), 9);
}

#[test]
fn untyped_call_checks_arguments() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &engine,
        &mut store,
        ADD_I32_I64,
    );
    let add = inst.get_func(&mut store, "add").unwrap();
    let mut one = [Val::I64(0)];
    assert!(add.call(&mut store, &[Val::I32(1)], &mut one).is_err(), "too few arguments");
    assert!(add.call(&mut store, &[Val::I32(1), Val::I64(2), Val::I32(3)], &mut one).is_err(), "too many");
    assert!(add.call(&mut store, &[Val::I64(1), Val::I64(2)], &mut one).is_err(), "wrong type");
    assert!(add.call(&mut store, &[Val::I32(1), Val::FuncRef(None)], &mut one).is_err(), "wrong type");
    assert!(add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut []).is_err(), "no room for results");
    assert!(add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut [Val::I64(0), Val::I64(0)]).is_err());
    add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut one).unwrap();
    assert_eq!(one[0].i64(), Some(3));
    // A function of another store is refused.
    let mut other = Store::new(&engine, ());
    let foreign = Func::wrap(&mut other, || {});
    let takes_ref = instance(
        &engine,
        &mut store,
        r#"(module (func (export "f") (param funcref) (result i32) (ref.is_null (local.get 0))))"#,
    );
    let f = takes_ref.get_func(&mut store, "f").unwrap();
    let mut out = [Val::I32(0)];
    assert!(f.call(&mut store, &[Val::FuncRef(Some(foreign))], &mut out).is_err());
    f.call(&mut store, &[Val::FuncRef(None)], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(1));
    let local = Func::wrap(&mut store, || {});
    f.call(&mut store, &[Val::FuncRef(Some(local))], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(0));
}

#[test]
fn funcref_globals() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(
        &engine,
        r#"(module
             (type $t (func (result i32)))
             (import "env" "hg" (global $hg funcref))
             (table 1 funcref)
             (func $nine (result i32) (i32.const 9))
             (global $gf (export "gf") (mut funcref) (ref.func $nine))
             (func (export "call_hg") (result i32)
               (table.set (i32.const 0) (global.get $hg))
               (call_indirect (type $t) (i32.const 0)))
             (func (export "call_gf") (result i32)
               (table.set (i32.const 0) (global.get $gf))
               (call_indirect (type $t) (i32.const 0)))
             (func (export "get_ref") (result funcref) (ref.func $nine)))"#,
    )
    .unwrap();
    let host = Func::wrap(&mut store, || 77i32);
    let ty = GlobalType { content: ValType::FuncRef, mutable: false };
    let hg = Global::new(&mut store, ty, Val::FuncRef(Some(host))).unwrap();
    let inst = Instance::new(&mut store, &module, &[hg.into()]).unwrap();
    let call_hg = inst.get_typed_func::<(), i32>(&mut store, "call_hg").unwrap();
    assert_eq!(call_hg.call(&mut store, ()).unwrap(), 77);

    let gf = inst.get_global(&mut store, "gf").unwrap();
    let Val::FuncRef(Some(nine)) = gf.get(&mut store) else { panic!("gf holds a function") };
    let mut out = [Val::I32(0)];
    nine.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(9));
    gf.set(&mut store, Val::FuncRef(Some(host))).unwrap();
    let call_gf = inst.get_typed_func::<(), i32>(&mut store, "call_gf").unwrap();
    assert_eq!(call_gf.call(&mut store, ()).unwrap(), 77);
    gf.set(&mut store, Val::FuncRef(None)).unwrap();
    let err = call_gf.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::IndirectCallToNull));

    let get_ref = inst.get_typed_func::<(), Option<Func>>(&mut store, "get_ref").unwrap();
    let returned = get_ref.call(&mut store, ()).unwrap().expect("non-null");
    assert_eq!(returned, nine, "the same function gives the same handle");
}

#[test]
fn memory_and_table_shared_between_instances() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let exporter = instance(
        &engine,
        &mut store,
        r#"(module
             (memory (export "m") 1 10)
             (table (export "t") 1 funcref)
             (type $t (func (result i32)))
             (func (export "size") (result i32) (memory.size))
             (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
             (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))"#,
    );
    let importer = Module::new(
        &engine,
        r#"(module
             (import "a" "m" (memory 1))
             (import "a" "t" (table 1 funcref))
             (func $g (result i32) (i32.const 55))
             (elem (i32.const 0) $g)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let m = exporter.get_memory(&mut store, "m").unwrap();
    let t = exporter.get_table(&mut store, "t").unwrap();
    let imp = Instance::new(&mut store, &importer, &[m.into(), t.into()]).unwrap();
    let grow = imp.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    let store_fn = imp.get_typed_func::<(i32, i32), ()>(&mut store, "store").unwrap();
    let size = exporter.get_typed_func::<(), i32>(&mut store, "size").unwrap();
    let load = exporter.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    let call = exporter.get_typed_func::<i32, i32>(&mut store, "call").unwrap();

    assert_eq!(call.call(&mut store, 0).unwrap(), 55, "the importer's segment wrote the shared table");
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(size.call(&mut store, ()).unwrap(), 3, "growth by the importer is seen by the exporter");
    assert_eq!(m.size(&store), 3);
    store_fn.call(&mut store, (3 * 65536 - 4, 5)).unwrap();
    assert_eq!(load.call(&mut store, 3 * 65536 - 4).unwrap(), 5);
    m.grow(&mut store, 1).unwrap();
    store_fn.call(&mut store, (4 * 65536 - 4, 6)).unwrap();
    assert_eq!(load.call(&mut store, 4 * 65536 - 4).unwrap(), 6);
}

#[test]
fn largest_memory() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(
        &engine,
        &mut store,
        r#"(module (memory (export "m") 65536)
             (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let load = inst.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    let grow = inst.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    assert_eq!(load.call(&mut store, -4).unwrap(), 0);
    let err = load.call(&mut store, -3).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    assert_eq!(grow.call(&mut store, 0).unwrap(), 65536);
}

#[test]
fn empty_memory() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let m = Memory::new(&mut store, MemoryType { minimum: 0, maximum: None, memory64: false, shared: false }).unwrap();
    assert!(m.data(&store).is_empty());
    assert!(m.read(&store, 0, &mut [0]).is_err());
    assert!(m.read(&store, 0, &mut []).is_ok());
    assert_eq!(m.grow(&mut store, 1).unwrap(), 0);
    assert_eq!(m.data(&store).len(), 65536);
}

#[test]
fn store_moves_between_threads() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "f" (func $f (result i32)))
             (memory 1)
             (func (export "run") (param i32) (result i32) (i32.add (call $f) (i32.load (local.get 0)))))"#,
    )
    .unwrap();
    let mut linker = Linker::<i32>::new(&engine);
    linker.func_wrap("env", "f", |caller: brisk::Caller<'_, i32>| *caller.data()).unwrap();
    let mut store = Store::new(&engine, 3);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let run = inst.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 0).unwrap(), 3);
    let mut store = std::thread::spawn(move || {
        assert_eq!(run.call(&mut store, 0).unwrap(), 3);
        let err = run.call(&mut store, 70000).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
        *store.data_mut() = 4;
        store
    })
    .join()
    .unwrap();
    assert_eq!(run.call(&mut store, 0).unwrap(), 4);
}
