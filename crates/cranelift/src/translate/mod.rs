//! WebAssembly function bodies to Cranelift IR.
//!
//! One pass over the operators with an explicit operand stack of SSA values
//! and a control stack of frames. Locals are `cranelift_frontend`
//! variables; values that flow out of blocks are block parameters.
//!
//! * `control.rs`: blocks, loops, ifs, branches, calls' control flow.
//! * `ops.rs`: the operator dispatcher and the numeric operators.
//! * `simd.rs`: the fixed-width SIMD (`v128`) operators.
//! * this file: the translator state and everything that reads the vmctx
//!   (memories, globals, tables, calls).

mod budget;
mod bulk;
mod control;
mod ops;
mod simd;

use crate::abi::{self, builtin_signature, heap_flags, value_type, vm_flags, vm_readonly_flags, wasm_signature};
use crate::{CraneliftCompiler, FUNC_NAMESPACE, new_context};
use brisk_environ::{
    BuiltinFunction, DefinedFuncIndex, EntityRef, FuncIndex, GlobalIndex, MemoryIndex, Module,
    TableIndex, Trap, Tunables, TypeIndex, VMCTX_BUILTINS, VMCTX_RUNTIME_LIMITS, VMCTX_TYPE_IDS,
    VMOffsets, WasmError, WasmResult, WasmValType, func_ref, memory_def, runtime_limits, table_def,
};
use budget::Fuel;
use control::ControlFrame;
use cranelift_codegen::Context;
use cranelift_codegen::ir::{
    self, ExtFuncData, ExternalName, FuncRef, GlobalValueData, InstBuilder, SigRef, UserExternalName, UserFuncName,
    Value, condcodes::IntCC, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::HashMap;

/// Translates defined function `index` of `module`, whose body is `body`,
/// into a Cranelift context ready to compile. `interpreted` says which
/// defined functions are interpreted (empty: none). With `osr`, the
/// function's on-stack-replacement entry at that loop
/// ([`brisk_environ::Compiler::compile_osr_entry`]) instead.
#[allow(clippy::too_many_arguments, reason = "the translation's inputs, each used once")]
pub(crate) fn translate_function(
    compiler: &CraneliftCompiler,
    builder_ctx: &mut FunctionBuilderContext,
    module: &Module,
    interpreted: &[bool],
    body: &wasmparser::FunctionBody<'_>,
    index: DefinedFuncIndex,
    tunables: &Tunables,
    osr: Option<u32>,
) -> WasmResult<Context> {
    let func_index = module.func_index(index);
    let ty = module.func_type(func_index);
    let signature = match osr {
        None => wasm_signature(ty),
        Some(_) => abi::osr_signature(ty),
    };
    let mut ctx = new_context(UserFuncName::user(FUNC_NAMESPACE, func_index.as_u32()), signature);
    let offsets = VMOffsets::for_module(module);

    {
        let mut b = FunctionBuilder::new(&mut ctx.func, builder_ctx);
        set_stack_limit(&mut b);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let params = b.block_params(entry).to_vec();
        let vmctx = params[0];

        let mut t = FuncTranslator {
            b,
            module,
            interpreted,
            offsets: &offsets,
            tunables,
            vmctx,
            locals: Vec::new(),
            stack: Vec::new(),
            control: Vec::new(),
            reachable: true,
            unreachable_depth: 0,
            sigs: HashMap::new(),
            direct_funcs: HashMap::new(),
            builtin_sigs: HashMap::new(),
            results: ty.results.iter().map(|t| value_type(*t)).collect(),
            limits: None,
            fuel: None,
            bulk_per_unit: 0,
            osr: None,
        };

        // The locals: parameters, then the declared locals.
        let mut types: Vec<WasmValType> = ty.params.to_vec();
        let mut locals = body.get_locals_reader()?;
        for _ in 0..locals.get_count() {
            let offset = locals.original_position();
            let (count, wt) = locals.read()?;
            let wt = WasmValType::from_wasmparser(wt).map_err(|e| WasmError::unsupported(e, offset))?;
            types.extend(std::iter::repeat_n(wt, count as usize));
        }
        match osr {
            None => {
                // From the arguments, and zero-initialized.
                let mut args = params[2..].iter();
                for wt in &types {
                    let var = t.b.declare_var(value_type(*wt));
                    let value = match args.next() {
                        Some(p) => *p,
                        None => t.zero(value_type(*wt)),
                    };
                    t.b.def_var(var, value);
                    t.locals.push(var);
                }
            }
            Some(target) => {
                // From the baseline frame, then straight to the loop; the
                // code before it is translated as usual but never reached.
                osr_allowed(tunables)?;
                let frame = params[2];
                let mut at = 0i32;
                for wt in &types {
                    at += brisk_environ::osr_slot_size(*wt);
                    let var = t.b.declare_var(value_type(*wt));
                    let value = t.b.ins().load(value_type(*wt), cranelift_codegen::ir::MemFlagsData::new().with_notrap(), frame, -at);
                    t.b.def_var(var, value);
                    t.locals.push(var);
                }
                let header = t.b.create_block();
                t.b.ins().jump(header, &[]);
                let before = t.b.create_block();
                t.b.switch_to_block(before);
                t.b.seal_block(before);
                t.osr = Some(Osr { target, seen: 0, header: Some(header) });
            }
        }

        t.budget_prologue();
        t.push_function_frame();
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            if let (Some(osr), wasmparser::Operator::Loop { .. }) = (&mut t.osr, &op) {
                osr.seen += 1;
            }
            if t.reachable {
                if t.limits.is_some() {
                    t.bulk_per_unit = brisk_environ::fuel_per_unit(&op).unwrap_or(0);
                }
                if t.fuel.is_some() {
                    t.fuel_before_op(&op);
                    let reload = brisk_environ::fuel_reload_after(&op);
                    t.translate_operator(op, offset)?;
                    if reload {
                        t.fuel_after_call();
                    }
                } else {
                    t.translate_operator(op, offset)?;
                }
            } else {
                t.skip_unreachable_operator(&op, offset)?;
            }
        }
        reader.finish()?;
        if !t.control.is_empty() {
            return Err(WasmError::Invalid { message: "function body ends inside a block".into(), offset: 0 });
        }
        if t.osr.as_ref().is_some_and(|o| o.header.is_some()) {
            return Err(WasmError::unsupported("no reachable loop for the on-stack-replacement entry", 0));
        }
        t.b.finalize(compiler.isa().frontend_config());
    }
    Ok(ctx)
}

/// `func.stack_limit = load(load(vmctx + runtime_limits) + stack_limit)`:
/// Cranelift compares the stack pointer with it in every prologue.
fn set_stack_limit(b: &mut FunctionBuilder<'_>) {
    let flags = b.func.dfg.mem_flags.insert_unchecked(vm_readonly_flags());
    let vmctx = b.create_global_value(GlobalValueData::VMContext);
    let limits = b.create_global_value(GlobalValueData::Load {
        base: vmctx,
        offset: (VMCTX_RUNTIME_LIMITS as i32).into(),
        global_type: types::I64,
        flags,
    });
    let limit = b.create_global_value(GlobalValueData::Load {
        base: limits,
        offset: (runtime_limits::STACK_LIMIT as i32).into(),
        global_type: types::I64,
        flags,
    });
    b.func.stack_limit = Some(limit);
}

/// A vmctx offset as a Cranelift immediate. Offsets are u32 and a vmctx is
/// far smaller than 2 GiB for any module the validator accepts.
fn off(offset: u32) -> i32 {
    i32::try_from(offset).unwrap_or(i32::MAX)
}

/// The state of the translation of one function.
pub(crate) struct FuncTranslator<'a, 'f> {
    pub(crate) b: FunctionBuilder<'f>,
    module: &'a Module,
    /// Which defined functions are interpreted (called through funcrefs).
    interpreted: &'a [bool],
    offsets: &'a VMOffsets,
    tunables: &'a Tunables,
    /// This function's vmctx (the callee vmctx parameter).
    vmctx: Value,
    /// Every local (parameters first).
    locals: Vec<Variable>,
    /// The operand stack.
    pub(crate) stack: Vec<Value>,
    /// The control stack; the function body is the bottom frame.
    pub(crate) control: Vec<ControlFrame>,
    /// Is the current position reachable? If not, operators are skipped
    /// until the `else` or `end` that ends the unreachable stretch.
    pub(crate) reachable: bool,
    /// While unreachable: how many blocks were opened since.
    pub(crate) unreachable_depth: u32,
    sigs: HashMap<TypeIndex, SigRef>,
    direct_funcs: HashMap<FuncIndex, FuncRef>,
    builtin_sigs: HashMap<BuiltinFunction, SigRef>,
    /// The function's result types.
    pub(crate) results: Vec<ir::Type>,
    /// The store's `VMRuntimeLimits`, loaded at entry when fuel or epoch
    /// checks need it.
    limits: Option<Value>,
    /// Fuel accounting, when the engine counts fuel.
    fuel: Option<Fuel>,
    /// The current operator's `fuel_per_unit` (when fuel or epochs are on).
    bulk_per_unit: i64,
    /// Translating an on-stack-replacement entry: which loop it enters.
    pub(crate) osr: Option<Osr>,
}

/// The loop an on-stack-replacement entry enters, and how far the
/// translation is.
pub(crate) struct Osr {
    /// Its ordinal among the body's `loop`s.
    target: u32,
    /// `loop`s read so far.
    seen: u32,
    /// The loop's header, jumped to from the entry; taken when the loop
    /// is translated.
    header: Option<ir::Block>,
}

impl Osr {
    /// The header block to use for the `loop` just read, if it is the one
    /// the entry enters.
    pub(crate) fn take_header(&mut self) -> Option<ir::Block> {
        if self.seen == self.target + 1 { self.header.take() } else { None }
    }
}

/// On-stack-replacement entries run without the fuel and epoch state a
/// normal entry sets up: they are not made with either on.
fn osr_allowed(tunables: &Tunables) -> WasmResult<()> {
    if tunables.consume_fuel || tunables.epoch_interruption {
        return Err(WasmError::unsupported("on-stack replacement with fuel or epochs", 0));
    }
    Ok(())
}

impl FuncTranslator<'_, '_> {
    /// The zero value of a type.
    pub(crate) fn zero(&mut self, ty: ir::Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            types::I8X16 => {
                let c = self.b.func.dfg.constants.insert(vec![0u8; 16].into());
                self.b.ins().vconst(types::I8X16, c)
            }
            _ => self.b.ins().iconst(ty, 0),
        }
    }

    pub(crate) fn pop(&mut self, offset: u64) -> WasmResult<Value> {
        self.stack.pop().ok_or_else(|| stack_underflow(offset))
    }

    pub(crate) fn pop2(&mut self, offset: u64) -> WasmResult<(Value, Value)> {
        let b = self.pop(offset)?;
        let a = self.pop(offset)?;
        Ok((a, b))
    }

    /// Removes the top `n` values and returns them, bottom first.
    pub(crate) fn pop_n(&mut self, n: usize, offset: u64) -> WasmResult<Vec<Value>> {
        let at = self.stack.len().checked_sub(n).ok_or_else(|| stack_underflow(offset))?;
        Ok(self.stack.split_off(at))
    }

    /// The top `n` values, bottom first.
    pub(crate) fn peek_n(&self, n: usize, offset: u64) -> WasmResult<&[Value]> {
        let at = self.stack.len().checked_sub(n).ok_or_else(|| stack_underflow(offset))?;
        Ok(&self.stack[at..])
    }

    pub(crate) fn local(&self, index: u32, offset: u64) -> WasmResult<Variable> {
        self.locals.get(index as usize).copied().ok_or_else(|| invalid("local index out of range", offset))
    }

    pub(crate) fn trap(&mut self, trap: Trap) {
        self.b.ins().trap(abi::trap_code(trap));
    }

    pub(crate) fn trapnz(&mut self, cond: Value, trap: Trap) {
        self.b.ins().trapnz(cond, abi::trap_code(trap));
    }

    /// The parameter and result types of a block type.
    pub(crate) fn block_type(
        &self,
        ty: wasmparser::BlockType,
        offset: u64,
    ) -> WasmResult<(Vec<ir::Type>, Vec<ir::Type>)> {
        Ok(match ty {
            wasmparser::BlockType::Empty => (Vec::new(), Vec::new()),
            wasmparser::BlockType::Type(t) => (Vec::new(), vec![abi::wasmparser_type(t, offset)?]),
            wasmparser::BlockType::FuncType(i) => {
                let ft = self
                    .module
                    .types
                    .get(TypeIndex::from_u32(i))
                    .ok_or_else(|| invalid("block type index out of range", offset))?;
                (
                    ft.params.iter().map(|t| value_type(*t)).collect(),
                    ft.results.iter().map(|t| value_type(*t)).collect(),
                )
            }
        })
    }

    // ---- Memories ----

    fn memory_index(&self, mem: u32, offset: u64) -> WasmResult<MemoryIndex> {
        let index = MemoryIndex::from_u32(mem);
        let ty = self.module.memories.get(index).ok_or_else(|| invalid("memory index out of range", offset))?;
        if ty.memory64 {
            return Err(WasmError::unsupported("memory64 in the optimizing tier", offset));
        }
        Ok(index)
    }

    /// A pointer to memory `index`'s `VMMemoryDefinition` and the offset of
    /// the definition from it.
    fn memory_definition(&mut self, index: MemoryIndex) -> (Value, i32) {
        match self.module.defined_memory_index(index) {
            Some(def) => (self.vmctx, off(self.offsets.defined_memory(def))),
            None => {
                let at = off(self.offsets.imported_memory(index));
                let from = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at);
                (from, 0)
            }
        }
    }

    fn memory_length(&mut self, def: (Value, i32)) -> Value {
        self.b.ins().load(types::I64, vm_flags(), def.0, def.1 + memory_def::CURRENT_LENGTH as i32)
    }

    /// The native address of a wasm access of `size` bytes at `index`
    /// (an i32) plus `memarg`'s static offset, with a bounds check unless
    /// guard pages make it unnecessary. Returns a base value and an
    /// immediate offset to add to it.
    pub(crate) fn heap_address(
        &mut self,
        memarg: &wasmparser::MemArg,
        size: u32,
        index: Value,
        offset: u64,
    ) -> WasmResult<(Value, i32)> {
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            return Err(WasmError::unsupported("memory access to a GC array", offset));
        };
        if memarg.ordering.is_some() {
            return Err(WasmError::unsupported("ordered memory access", offset));
        }
        let mem = self.memory_index(mem, offset)?;
        let def = self.memory_definition(mem);
        let index = self.b.ins().uextend(types::I64, index);
        if !self.tunables.elide_bounds_check(false, memarg.offset, u64::from(size)) {
            // index < 2^32 and the offset < 2^32 for a 32-bit memory, so the
            // sum can't overflow 64 bits.
            let end_offset = memarg.offset.saturating_add(u64::from(size));
            let end = self.b.ins().iadd_imm_u(index, end_offset as i64);
            let len = self.memory_length(def);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.trapnz(oob, Trap::MemoryOutOfBounds);
        }
        let base = self.b.ins().load(types::I64, vm_readonly_flags(), def.0, def.1 + memory_def::BASE as i32);
        let addr = self.b.ins().iadd(base, index);
        match i32::try_from(memarg.offset) {
            Ok(imm) => Ok((addr, imm)),
            Err(_) => Ok((self.b.ins().iadd_imm_u(addr, memarg.offset as i64), 0)),
        }
    }

    /// `load` of `ty` from linear memory (the address on the stack).
    pub(crate) fn mem_load(
        &mut self,
        memarg: &wasmparser::MemArg,
        ty: ir::Type,
        size: u32,
        extend: Option<(bool, ir::Type)>,
        offset: u64,
    ) -> WasmResult<()> {
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, size, index, offset)?;
        let flags = heap_flags();
        let ins = self.b.ins();
        let value = match (size, extend) {
            (_, None) => ins.load(ty, flags, addr, imm),
            (1, Some((true, t))) => ins.sload8(t, flags, addr, imm),
            (1, Some((false, t))) => ins.uload8(t, flags, addr, imm),
            (2, Some((true, t))) => ins.sload16(t, flags, addr, imm),
            (2, Some((false, t))) => ins.uload16(t, flags, addr, imm),
            (4, Some((true, _))) => ins.sload32(flags, addr, imm),
            (4, Some((false, _))) => ins.uload32(flags, addr, imm),
            _ => return Err(invalid("bad extending load", offset)),
        };
        self.stack.push(value);
        Ok(())
    }

    /// `store` of the value on the stack, truncated to `size` bytes.
    pub(crate) fn mem_store(&mut self, memarg: &wasmparser::MemArg, size: u32, offset: u64) -> WasmResult<()> {
        let value = self.pop(offset)?;
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, size, index, offset)?;
        let flags = heap_flags();
        let full = self.b.func.dfg.value_type(value).bytes();
        let ins = self.b.ins();
        match size {
            s if s == full => ins.store(flags, value, addr, imm),
            1 => ins.istore8(flags, value, addr, imm),
            2 => ins.istore16(flags, value, addr, imm),
            4 => ins.istore32(flags, value, addr, imm),
            _ => return Err(invalid("bad truncating store", offset)),
        };
        Ok(())
    }

    pub(crate) fn memory_size(&mut self, mem: u32, offset: u64) -> WasmResult<()> {
        let mem = self.memory_index(mem, offset)?;
        let def = self.memory_definition(mem);
        let len = self.memory_length(def);
        let pages = self.b.ins().ushr_imm_u(len, 16);
        let pages = self.b.ins().ireduce(types::I32, pages);
        self.stack.push(pages);
        Ok(())
    }

    pub(crate) fn memory_grow(&mut self, mem: u32, offset: u64) -> WasmResult<()> {
        let mem = self.memory_index(mem, offset)?;
        let delta = self.pop(offset)?;
        let delta = self.b.ins().uextend(types::I64, delta);
        let index = self.b.ins().iconst(types::I32, i64::from(mem.as_u32()));
        let old = self.call_builtin(BuiltinFunction::MemoryGrow, &[delta, index]);
        self.trap_on_grow_error(old);
        let old = self.b.ins().ireduce(types::I32, old);
        self.stack.push(old);
        Ok(())
    }

    /// After `memory.grow` or `table.grow`: the store's limiter failed, and
    /// the runtime returns its error once the code traps.
    pub(crate) fn trap_on_grow_error(&mut self, old: Value) {
        let failed = self.b.ins().icmp_imm_s(IntCC::Equal, old, brisk_environ::GROW_ERROR);
        self.trapnz(failed, Trap::HostError);
    }

    /// Calls a builtin with the vmctx and `args`; returns its result.
    fn call_builtin(&mut self, builtin: BuiltinFunction, args: &[Value]) -> Value {
        let sig = match self.builtin_sigs.get(&builtin) {
            Some(s) => *s,
            None => {
                let s = self.b.import_signature(builtin_signature(builtin));
                self.builtin_sigs.insert(builtin, s);
                s
            }
        };
        let table = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, VMCTX_BUILTINS as i32);
        let f = self.b.ins().load(types::I64, vm_readonly_flags(), table, off(builtin.table_offset()));
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, f, &all);
        self.b.inst_results(call)[0]
    }

    // ---- Globals ----

    /// Address of global `index`'s value: (pointer, offset, is constant).
    fn global_address(&mut self, index: u32, offset: u64) -> WasmResult<(Value, i32, ir::Type, bool)> {
        let index = GlobalIndex::from_u32(index);
        let ty = *self.module.globals.get(index).ok_or_else(|| invalid("global index out of range", offset))?;
        let cl_ty = value_type(ty.content);
        Ok(match self.module.defined_global_index(index) {
            Some(def) => (self.vmctx, off(self.offsets.defined_global(def)), cl_ty, !ty.mutable),
            None => {
                let at = off(self.offsets.imported_global(index));
                let from = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at);
                (from, 0, cl_ty, !ty.mutable)
            }
        })
    }

    pub(crate) fn global_get(&mut self, index: u32, offset: u64) -> WasmResult<()> {
        let (ptr, at, ty, constant) = self.global_address(index, offset)?;
        let flags = if constant { vm_readonly_flags() } else { vm_flags() };
        let v = self.b.ins().load(ty, flags, ptr, at);
        self.stack.push(v);
        Ok(())
    }

    pub(crate) fn global_set(&mut self, index: u32, offset: u64) -> WasmResult<()> {
        let value = self.pop(offset)?;
        let (ptr, at, _, _) = self.global_address(index, offset)?;
        self.b.ins().store(vm_flags(), value, ptr, at);
        Ok(())
    }

    // ---- Tables ----

    /// A pointer to table `index`'s `VMTableDefinition` and its offset.
    fn table_definition(&mut self, index: u32, offset: u64) -> WasmResult<(Value, i32, WasmValType)> {
        let index = TableIndex::from_u32(index);
        let ty = self.module.tables.get(index).ok_or_else(|| invalid("table index out of range", offset))?;
        let element = ty.element;
        Ok(match self.module.defined_table_index(index) {
            Some(def) => (self.vmctx, off(self.offsets.defined_table(def)), element),
            None => {
                let at = off(self.offsets.imported_table(index));
                let from = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at);
                (from, 0, element)
            }
        })
    }

    /// The address of element `index` (an i32) of a table, after a bounds
    /// check that traps with [`Trap::TableOutOfBounds`].
    fn table_element_address(&mut self, table: u32, index: Value, offset: u64) -> WasmResult<Value> {
        let (ptr, at, _) = self.table_definition(table, offset)?;
        let index = self.b.ins().uextend(types::I64, index);
        let len = self.b.ins().load(types::I64, vm_flags(), ptr, at + table_def::CURRENT_ELEMENTS as i32);
        let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.trapnz(oob, Trap::TableOutOfBounds);
        let base = self.b.ins().load(types::I64, vm_flags(), ptr, at + table_def::BASE as i32);
        let scaled = self.b.ins().ishl_imm_u(index, 3);
        Ok(self.b.ins().iadd(base, scaled))
    }

    pub(crate) fn table_get(&mut self, table: u32, offset: u64) -> WasmResult<()> {
        let index = self.pop(offset)?;
        let addr = self.table_element_address(table, index, offset)?;
        let v = self.b.ins().load(types::I64, vm_flags(), addr, 0);
        self.stack.push(v);
        Ok(())
    }

    pub(crate) fn table_set(&mut self, table: u32, offset: u64) -> WasmResult<()> {
        let value = self.pop(offset)?;
        let index = self.pop(offset)?;
        let addr = self.table_element_address(table, index, offset)?;
        self.b.ins().store(vm_flags(), value, addr, 0);
        Ok(())
    }

    pub(crate) fn table_size(&mut self, table: u32, offset: u64) -> WasmResult<()> {
        let (ptr, at, _) = self.table_definition(table, offset)?;
        let len = self.b.ins().load(types::I64, vm_flags(), ptr, at + table_def::CURRENT_ELEMENTS as i32);
        let len = self.b.ins().ireduce(types::I32, len);
        self.stack.push(len);
        Ok(())
    }

    /// `ref.func`: the function's `VMFuncRef` in this instance's vmctx.
    pub(crate) fn ref_func(&mut self, index: u32, offset: u64) -> WasmResult<()> {
        let f = FuncIndex::from_u32(index);
        if self.module.functions.get(f).is_none() {
            return Err(invalid("function index out of range", offset));
        }
        let v = self.b.ins().iadd_imm_u(self.vmctx, i64::from(self.offsets.func_ref(f)));
        self.stack.push(v);
        Ok(())
    }

    // ---- Calls ----

    fn signature(&mut self, ty: TypeIndex, offset: u64) -> WasmResult<SigRef> {
        if let Some(s) = self.sigs.get(&ty) {
            return Ok(*s);
        }
        let ft = self.module.types.get(ty).ok_or_else(|| invalid("type index out of range", offset))?;
        let s = self.b.import_signature(wasm_signature(ft));
        self.sigs.insert(ty, s);
        Ok(s)
    }

    /// Pushes the results of a call.
    fn finish_call(&mut self, inst: ir::Inst) {
        let results = self.b.inst_results(inst);
        self.stack.extend_from_slice(results);
    }

    /// Pops the arguments of a call of type `ty` and returns the full
    /// argument list: callee vmctx, caller vmctx (this one), arguments.
    fn call_args(&mut self, ty: TypeIndex, callee_vmctx: Value, offset: u64) -> WasmResult<Vec<Value>> {
        let n = self.module.types.get(ty).ok_or_else(|| invalid("type index out of range", offset))?.params.len();
        let at = self.stack.len().checked_sub(n).ok_or_else(|| stack_underflow(offset))?;
        let mut args = Vec::with_capacity(n + 2);
        args.push(callee_vmctx);
        args.push(self.vmctx);
        args.extend(self.stack.drain(at..));
        Ok(args)
    }

    pub(crate) fn call(&mut self, function_index: u32, offset: u64) -> WasmResult<()> {
        let callee = FuncIndex::from_u32(function_index);
        let ty = *self.module.functions.get(callee).ok_or_else(|| invalid("function index out of range", offset))?;
        if self.module.is_imported_func(callee) {
            let at = off(self.offsets.imported_function(callee));
            let code = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at);
            let vmctx = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at + 8);
            let sig = self.signature(ty, offset)?;
            let args = self.call_args(ty, vmctx, offset)?;
            let inst = self.b.ins().call_indirect(sig, code, &args);
            self.finish_call(inst);
        } else if self.module.defined_func_index(callee).is_some_and(|d| self.interpreted.get(d.index()) == Some(&true)) {
            // An interpreted function: its funcref's native entry (the
            // trampoline into the interpreter) with its callee vmctx.
            let at = off(self.offsets.func_ref(callee));
            let code = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at + func_ref::NATIVE_CALL as i32);
            let vmctx = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, at + func_ref::VMCTX as i32);
            let sig = self.signature(ty, offset)?;
            let args = self.call_args(ty, vmctx, offset)?;
            let inst = self.b.ins().call_indirect(sig, code, &args);
            self.finish_call(inst);
        } else if self.tunables.indirect_calls {
            // Through the funcref's native entry, which tier-up rewrites
            // (so not a read-only load); the callee vmctx is this one.
            let at = off(self.offsets.func_ref(callee));
            let code = self.b.ins().load(types::I64, vm_flags(), self.vmctx, at + func_ref::NATIVE_CALL as i32);
            let sig = self.signature(ty, offset)?;
            let args = self.call_args(ty, self.vmctx, offset)?;
            let inst = self.b.ins().call_indirect(sig, code, &args);
            self.finish_call(inst);
        } else {
            let func = match self.direct_funcs.get(&callee) {
                Some(f) => *f,
                None => {
                    let sig = self.signature(ty, offset)?;
                    let name = self.b.func.declare_imported_user_function(UserExternalName::new(FUNC_NAMESPACE, function_index));
                    let f = self.b.import_function(ExtFuncData {
                        name: ExternalName::user(name),
                        signature: sig,
                        colocated: true,
                        patchable: false,
                    });
                    self.direct_funcs.insert(callee, f);
                    f
                }
            };
            let args = self.call_args(ty, self.vmctx, offset)?;
            let inst = self.b.ins().call(func, &args);
            self.finish_call(inst);
        }
        Ok(())
    }

    pub(crate) fn call_indirect(&mut self, type_index: u32, table_index: u32, offset: u64) -> WasmResult<()> {
        let ty = TypeIndex::from_u32(type_index);
        let sig = self.signature(ty, offset)?;
        let (_, _, element) = self.table_definition(table_index, offset)?;
        if element != WasmValType::FuncRef {
            return Err(invalid("call_indirect through a table that is not of funcref", offset));
        }
        let index = self.pop(offset)?;
        let addr = self.table_element_address(table_index, index, offset)?;
        let func_ref = self.b.ins().load(types::I64, vm_flags(), addr, 0);
        self.trapz_value(func_ref, Trap::IndirectCallToNull);

        let ids = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, VMCTX_TYPE_IDS as i32);
        let expected = self.b.ins().load(types::I32, vm_readonly_flags(), ids, off(type_index.saturating_mul(4)));
        let actual = self.b.ins().load(types::I32, vm_flags(), func_ref, func_ref::TYPE_INDEX as i32);
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, expected, actual);
        self.trapnz(mismatch, Trap::BadSignature);

        let code = self.b.ins().load(types::I64, vm_flags(), func_ref, func_ref::NATIVE_CALL as i32);
        let vmctx = self.b.ins().load(types::I64, vm_flags(), func_ref, func_ref::VMCTX as i32);
        let args = self.call_args(ty, vmctx, offset)?;
        let inst = self.b.ins().call_indirect(sig, code, &args);
        self.finish_call(inst);
        Ok(())
    }

    fn trapz_value(&mut self, value: Value, trap: Trap) {
        self.b.ins().trapz(value, abi::trap_code(trap));
    }
}

pub(crate) fn invalid(message: &str, offset: u64) -> WasmError {
    WasmError::Invalid { message: message.to_string(), offset }
}

fn stack_underflow(offset: u64) -> WasmError {
    invalid("operand stack underflow (the body should have been validated)", offset)
}
