//! The `spectest` module every spec script may import from.

use anyhow::Result;
use brisk::{Global, GlobalType, Linker, Memory, MemoryType, Store, Table, TableType, Val, ValType};

/// Defines `spectest`'s functions, globals, table and memory.
pub fn define(linker: &mut Linker<()>, store: &mut Store<()>) -> Result<()> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, content, value) in globals {
        let g = Global::new(&mut *store, GlobalType { content, mutable: false }, value)?;
        linker.define("spectest", name, g)?;
    }
    let table = Table::new(
        &mut *store,
        TableType { element: ValType::FuncRef, minimum: 10, maximum: Some(20) },
        Val::FuncRef(None),
    )?;
    linker.define("spectest", "table", table)?;
    let memory = Memory::new(&mut *store, MemoryType { minimum: 1, maximum: Some(2), memory64: false, shared: false })?;
    linker.define("spectest", "memory", memory)?;
    Ok(())
}
