//! Bulk memory and table operators: calls to runtime builtins, which
//! return 0 when the operation is out of bounds and the code traps here.

use super::FuncTranslator;
use brisk_environ::{BuiltinFunction, Trap, WasmResult};
use cranelift_codegen::ir::{InstBuilder, Value, types};

impl FuncTranslator<'_, '_> {
    fn const_i32(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    fn index_i64(&mut self, v: Value) -> Value {
        self.b.ins().uextend(types::I64, v)
    }

    /// Calls a builtin that returns 1 on success and traps with `trap` on 0.
    fn checked_builtin(&mut self, builtin: BuiltinFunction, args: &[Value], trap: Trap) {
        let ok = self.call_builtin(builtin, args);
        self.trapz_value(ok, trap);
    }

    /// `memory.copy`: `[dst, src, len] -> []`.
    pub(crate) fn memory_copy(&mut self, dst_mem: u32, src_mem: u32, offset: u64) -> WasmResult<()> {
        self.memory_index(dst_mem, offset)?;
        self.memory_index(src_mem, offset)?;
        let len = self.pop(offset)?;
        self.bulk_budget(len);
        let (dst, src) = self.pop2(offset)?;
        let (dst, src, len) = (self.index_i64(dst), self.index_i64(src), self.index_i64(len));
        let (dm, sm) = (self.const_i32(dst_mem), self.const_i32(src_mem));
        self.checked_builtin(BuiltinFunction::MemoryCopy, &[dm, dst, sm, src, len], Trap::MemoryOutOfBounds);
        Ok(())
    }

    /// `memory.fill`: `[dst, byte, len] -> []`.
    pub(crate) fn memory_fill(&mut self, mem: u32, offset: u64) -> WasmResult<()> {
        self.memory_index(mem, offset)?;
        let len = self.pop(offset)?;
        self.bulk_budget(len);
        let (dst, byte) = self.pop2(offset)?;
        let (dst, len) = (self.index_i64(dst), self.index_i64(len));
        let m = self.const_i32(mem);
        self.checked_builtin(BuiltinFunction::MemoryFill, &[m, dst, byte, len], Trap::MemoryOutOfBounds);
        Ok(())
    }

    /// `memory.init`: `[dst, src, len] -> []`.
    pub(crate) fn memory_init(&mut self, data: u32, mem: u32, offset: u64) -> WasmResult<()> {
        self.memory_index(mem, offset)?;
        let len = self.pop(offset)?;
        self.bulk_budget(len);
        let (dst, src) = self.pop2(offset)?;
        let dst = self.index_i64(dst);
        let (m, d) = (self.const_i32(mem), self.const_i32(data));
        self.checked_builtin(BuiltinFunction::MemoryInit, &[m, d, dst, src, len], Trap::MemoryOutOfBounds);
        Ok(())
    }

    /// `data.drop` / `elem.drop`.
    pub(crate) fn segment_drop(&mut self, builtin: BuiltinFunction, segment: u32) {
        let s = self.const_i32(segment);
        self.call_builtin(builtin, &[s]);
    }

    /// `table.copy`: `[dst, src, len] -> []`.
    pub(crate) fn table_copy(&mut self, dst_table: u32, src_table: u32, offset: u64) -> WasmResult<()> {
        self.table_definition(dst_table, offset)?;
        self.table_definition(src_table, offset)?;
        let len = self.pop(offset)?;
        self.bulk_budget(len);
        let (dst, src) = self.pop2(offset)?;
        let (dst, src, len) = (self.index_i64(dst), self.index_i64(src), self.index_i64(len));
        let (dt, st) = (self.const_i32(dst_table), self.const_i32(src_table));
        self.checked_builtin(BuiltinFunction::TableCopy, &[dt, st, dst, src, len], Trap::TableOutOfBounds);
        Ok(())
    }

    /// `table.init`: `[dst, src, len] -> []`.
    pub(crate) fn table_init(&mut self, elem: u32, table: u32, offset: u64) -> WasmResult<()> {
        self.table_definition(table, offset)?;
        let len = self.pop(offset)?;
        self.bulk_budget(len);
        let (dst, src) = self.pop2(offset)?;
        let dst = self.index_i64(dst);
        let (t, e) = (self.const_i32(table), self.const_i32(elem));
        self.checked_builtin(BuiltinFunction::TableInit, &[t, e, dst, src, len], Trap::TableOutOfBounds);
        Ok(())
    }

    /// `table.grow`: `[init, delta] -> [old size or -1]`.
    pub(crate) fn table_grow(&mut self, table: u32, offset: u64) -> WasmResult<()> {
        self.table_definition(table, offset)?;
        let (init, delta) = self.pop2(offset)?;
        self.bulk_budget(delta);
        let delta = self.index_i64(delta);
        let t = self.const_i32(table);
        let old = self.call_builtin(BuiltinFunction::TableGrow, &[t, delta, init]);
        self.trap_on_grow_error(old);
        let old = self.b.ins().ireduce(types::I32, old);
        self.stack.push(old);
        Ok(())
    }

    /// `table.fill`: `[dst, value, len] -> []`.
    pub(crate) fn table_fill(&mut self, table: u32, offset: u64) -> WasmResult<()> {
        self.table_definition(table, offset)?;
        let len = self.pop(offset)?;
        self.bulk_budget(len);
        let (dst, value) = self.pop2(offset)?;
        let (dst, len) = (self.index_i64(dst), self.index_i64(len));
        let t = self.const_i32(table);
        self.checked_builtin(BuiltinFunction::TableFill, &[t, dst, value, len], Trap::TableOutOfBounds);
        Ok(())
    }
}
