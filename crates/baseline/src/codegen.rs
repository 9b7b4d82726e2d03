//! One forward pass from wasm operators to x86-64.
//!
//! # State
//!
//! The *value stack* mirrors wasm's operand stack; each entry says where
//! its value is: a register, a constant, a local (not yet read), its own
//! frame slot (entry `p` has slot `p`), or the CPU flags of a comparison
//! just emitted (only ever the top entry, consumed or turned into a 0/1 by
//! the next operator). Registers are owned by exactly one entry, or by the
//! operator being compiled.
//!
//! # Linear in everything
//!
//! * *The spill cursor*: every entry below `cursor` is *stable* (a constant
//!   or in its slot). Running out of registers advances the cursor, making
//!   entries stable, until one register is free; a block entry, a call or a
//!   `local.set` of a local still referenced on the stack advances it to
//!   the top. An entry is passed by the cursor once per push, so all of it
//!   is linear in the number of operators.
//! * *Merges in fixed slots*: at a label (block end, loop header, else) the
//!   values the label carries are in the slots of their positions, every
//!   entry below the block's base is stable (it was made so when the block
//!   was entered, and nothing inside the block touches it), and no register
//!   is in use. A branch copies only the values it carries; nothing is
//!   per-local or per-live-value.
//! * *Branch paths do not change the state*: code emitted on one path only
//!   (a taken `br_if`, a `br_table` stub) writes slots and registers without
//!   changing the compile-time state the fall-through path continues with.
//! * `br_table`: one stub per distinct target, a jump table per entry.
//! * Locals live in the frame; declared locals are zeroed once at entry.

use crate::abi::{self, Layout, Place};
use crate::x64::{
    self, Alu, Asm, Cond, Label, Mem, R10, R11, R14, R15, RAX, RBP, RCX, RDI, RDX, RSP, Reg, Rm, Shift,
};
use crate::{BaselineError, Features};
use brisk_environ::unwind;
use brisk_environ::{
    BuiltinFunction, CompiledFunction, DefinedFuncIndex, EntityRef, FuncIndex, FuncReloc,
    GlobalIndex, MemoryIndex, Module, ModuleTranslation, RelocKind, TableIndex, Trap, TrapSite,
    Tunables, TypeIndex, VMCTX_BUILTINS, VMCTX_RUNTIME_LIMITS, VMCTX_TIER_UP_COUNTERS, VMCTX_TYPE_IDS,
    VMOffsets,
    WasmValType, func_ref, memory_def, runtime_limits, table_def,
};
use std::collections::HashMap;

#[path = "simd.rs"]
mod simd;
use wasmparser::{BlockType, MemArg, Operator};

type Result<T> = std::result::Result<T, BaselineError>;

fn unsupported<T>(what: impl Into<String>) -> Result<T> {
    Err(BaselineError::Unsupported(what.into()))
}

/// Registers the allocator hands out: the ABI's caller-saved registers but
/// the two scratch registers `r10` and `r11`. `r14` holds the vmctx.
const GPRS: u16 =
    1 << RAX | 1 << RCX | 1 << RDX | 1 << x64::RSI | 1 << RDI | 1 << x64::R8 | 1 << x64::R9;
/// XMM registers handed out: xmm0-xmm13 (xmm14 and xmm15 are scratch).
const XMMS: u16 = 0x3fff;
const XMM_SCRATCH: Reg = 15;
const XMM_SCRATCH2: Reg = 14;

/// Frame layout below `rbp`: the saved `r14`, the call scratch slot, the
/// return-area pointer, then the locals and the value-stack slots.
const SAVED_R14: i32 = -8;
/// r15 (memory 0's base, in functions of modules with a memory).
const SAVED_R15: i32 = -16;
const CALL_SCRATCH: i32 = -24;
const RET_PTR: i32 = -32;
const LOCALS_START: i32 = 32;
/// Bytes of a value-stack slot (a v128 fits).
const SLOT: i32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    I32,
    I64,
    F32,
    F64,
    /// funcref or externref: a pointer.
    Ref,
    V128,
}

impl Ty {
    fn of(t: WasmValType) -> Result<Ty> {
        Ok(match t {
            WasmValType::I32 => Ty::I32,
            WasmValType::I64 => Ty::I64,
            WasmValType::F32 => Ty::F32,
            WasmValType::F64 => Ty::F64,
            WasmValType::FuncRef | WasmValType::ExternRef => Ty::Ref,
            WasmValType::V128 => Ty::V128,
        })
    }

    fn from_parser(t: wasmparser::ValType) -> Result<Ty> {
        match WasmValType::from_wasmparser(t) {
            Ok(t) => Ty::of(t),
            Err(e) => unsupported(e),
        }
    }

    /// Kept in an XMM register (floats and v128).
    fn float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64 | Ty::V128)
    }

    /// Bytes in a frame slot or local.
    fn size(self) -> i32 {
        if self == Ty::V128 { 16 } else { 8 }
    }

    /// 64 bits wide.
    fn w(self) -> bool {
        matches!(self, Ty::I64 | Ty::F64 | Ty::Ref)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loc {
    Reg(Reg),
    Imm(u64),
    Local(u32),
    /// The slot of the entry's own position.
    Slot,
    /// The flags of a comparison: the value is 1 if the condition holds.
    Flags(Cond),
}

#[derive(Clone, Copy, Debug)]
struct Val {
    ty: Ty,
    loc: Loc,
}

/// A value taken off the stack for the operator being compiled.
#[derive(Clone, Copy, Debug)]
enum Op {
    Reg(Reg),
    Imm(u64),
    Mem(Mem),
    Flags(Cond),
}

#[derive(Clone, Copy, Debug)]
struct Opnd {
    ty: Ty,
    op: Op,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
    Func,
}

struct Frame {
    kind: Kind,
    /// Stack height below the block's parameters.
    height: usize,
    params: Vec<Ty>,
    results: Vec<Ty>,
    /// Branch target: the end (block, if) or the header (loop).
    label: Label,
    /// An `if`'s else arm.
    else_label: Option<Label>,
    /// Did a branch target `label` (block, if)?
    used: bool,
}

impl Frame {
    fn branch_types(&self) -> &[Ty] {
        if self.kind == Kind::Loop {
            &self.params
        } else {
            &self.results
        }
    }
}

struct Local {
    ty: Ty,
    disp: i32,
}

enum Callee {
    /// A defined, natively compiled function of this module: `call rel32`.
    Direct(FuncIndex),
    /// Through a `VMFuncRef`-shaped record at `[r14 + disp]` (interpreted
    /// callees, whose funcref holds their entry) or an import record.
    Record { code: i32, vmctx: i32 },
    /// The funcref whose pointer is in the call scratch slot.
    Indirect,
    /// A defined, natively compiled function of this module through the
    /// native entry of its funcref at `[r14 + code]`, which tier-up
    /// rewrites; the callee vmctx is this one.
    Own { code: i32 },
}

struct Gen<'a> {
    features: Features,
    module: &'a Module,
    offsets: VMOffsets,
    tunables: &'a Tunables,
    interpreted: &'a [bool],
    s: Scratch,
    cursor: usize,
    max_height: usize,
    gpr_free: u16,
    xmm_free: u16,
    /// The stack position owning each GPR (for eviction).
    gpr_owner: [u32; 16],
    /// For free GPRs: the local whose value the register still holds (it
    /// was just stored there), so `local.get` can use it without a load.
    gpr_local: [u32; 16],
    /// r15 holds memory 0's base.
    mem0_base: bool,
    /// Bytes of locals below `LOCALS_START`.
    locals_size: i32,
    reachable: bool,
    unreachable_depth: u32,
    /// Count fuel / check the epoch deadline.
    fuel: bool,
    epochs: bool,
    /// Fuel charged since the last flush.
    pending: i64,
    /// With tier-up counters: the function's counter, as an offset into
    /// the module's counter array.
    tier_up_counter: Option<i32>,
    /// Where an on-stack-replacement entry of this function takes its
    /// `(vmctx, caller_vmctx, locals)` arguments, if a long-running loop
    /// may call one (tier-up counters on, no fuel or epochs, results in
    /// registers).
    osr_args: Option<[Reg; 3]>,
    /// `loop` operators read so far, reachable or not: a loop's ordinal,
    /// which names it to the runtime and the optimizing tier.
    loops_seen: u32,
    /// The immediate of the stack check and of `sub rsp`, patched with the
    /// frame size at the end.
    frame_patches: [u32; 2],
    /// With native unwind info: the function's call frame program.
    cfi: Option<brisk_environ::unwind::CfiProgram>,
}

const NO_OWNER: u32 = u32::MAX;

/// The compiler's buffers, kept from one function to the next (per
/// thread), so that compiling a function allocates only its result.
#[derive(Default)]
pub(crate) struct Scratch {
    asm: Asm,
    relocs: Vec<FuncReloc>,
    traps: Vec<TrapSite>,
    trap_labels: Vec<(Trap, Label)>,
    jump_tables: Vec<(Label, Vec<Label>)>,
    stack: Vec<Val>,
    locals: Vec<Local>,
    local_refs: Vec<u32>,
    control: Vec<Frame>,
    layout: Layout,
    call_layout: Layout,
    /// Type lists of finished frames, for reuse.
    pool: Vec<Vec<Ty>>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

pub(crate) fn compile(
    features: Features,
    translation: &ModuleTranslation<'_>,
    index: DefinedFuncIndex,
    tunables: &Tunables,
) -> Result<CompiledFunction> {
    let module = &translation.module;
    let body = &translation
        .function_bodies
        .get(index)
        .ok_or_else(|| {
            BaselineError::Unsupported(format!("no body for defined function {}", index.index()))
        })?
        .body;
    let mut f = FunctionCompiler::new(
        features,
        module,
        &translation.interpreted,
        tunables,
        index,
        body,
    );
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() && f.error.is_none() {
        let op = ops.read()?;
        f.op(&op);
    }
    f.finish()
}

/// Compiles one function from its operators, pushed one at a time (by the
/// validator, or by [`compile`]'s own reader).
pub struct FunctionCompiler<'a> {
    g: Gen<'a>,
    /// The first thing the tier could not compile; operators after it are
    /// ignored.
    error: Option<BaselineError>,
}

impl<'a> FunctionCompiler<'a> {
    pub(crate) fn new(
        features: Features,
        module: &'a Module,
        interpreted: &'a [bool],
        tunables: &'a Tunables,
        index: DefinedFuncIndex,
        body: &wasmparser::FunctionBody<'_>,
    ) -> Self {
        let mut g = Gen::new(features, module, interpreted, tunables);
        g.fuel = tunables.consume_fuel;
        g.epochs = tunables.epoch_interruption;
        if g.fuel {
            // The entry's own cost, which the entry check adds first.
            g.pending = brisk_environ::FUNCTION_ENTRY_FUEL;
        }
        let error = g.begin(module.func_index(index), body).err();
        if g.fuel || g.epochs {
            g.budget_checks();
        }
        if tunables.tier_up_counters {
            g.tier_up_counter = i32::try_from(index.as_u32()).ok().and_then(|i| i.checked_mul(4));
            if !g.fuel && !g.epochs {
                let results = &module.func_type(module.func_index(index)).results;
                let mut osr = abi::Layout::default();
                abi::layout_into(&mut osr, &[WasmValType::I64], results);
                if let (None, [Place::Int(locals)]) = (osr.ret_ptr, &osr.params[..]) {
                    g.osr_args = Some([osr.vmctx[0], osr.vmctx[1], *locals]);
                }
            }
            g.count_for_tier_up(None);
        }
        FunctionCompiler { g, error }
    }

    /// A `loop` in unreachable code was read (not compiled, but numbered).
    pub fn count_dead_loop(&mut self) {
        self.g.loops_seen += 1;
    }

    /// Compiles the next operator.
    pub fn op(&mut self, op: &Operator<'_>) {
        if self.error.is_some() {
            return;
        }
        if let Operator::Loop { .. } = *op {
            self.g.loops_seen += 1;
        }
        let r = if self.g.reachable && !self.g.fuel { self.g.operator(op) } else { self.g.op_slow(op) };
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// The function's code, once every operator was pushed.
    ///
    /// # Errors
    ///
    /// The first [`BaselineError`] met.
    pub fn finish(mut self) -> Result<CompiledFunction> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.g.finish(),
        }
    }
}

impl Drop for FunctionCompiler<'_> {
    fn drop(&mut self) {
        let s = std::mem::take(&mut self.g.s);
        SCRATCH.with(|cell| *cell.borrow_mut() = s);
    }
}

impl<'a> Gen<'a> {
    fn new(
        features: Features,
        module: &'a Module,
        interpreted: &'a [bool],
        tunables: &'a Tunables,
    ) -> Self {
        let mut s = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        s.asm.clear();
        s.relocs.clear();
        s.traps.clear();
        s.trap_labels.clear();
        s.jump_tables.clear();
        s.stack.clear();
        s.locals.clear();
        s.local_refs.clear();
        while let Some(f) = s.control.pop() {
            s.pool.push(f.params);
            s.pool.push(f.results);
        }
        Gen {
            features,
            module,
            offsets: VMOffsets::for_module(module),
            tunables,
            interpreted,
            s,
            cursor: 0,
            max_height: 0,
            gpr_free: GPRS,
            xmm_free: XMMS,
            gpr_owner: [NO_OWNER; 16],
        gpr_local: [NO_OWNER; 16],
        mem0_base: module.memories.get(MemoryIndex::from_u32(0)).is_some_and(|m| !m.memory64),
            locals_size: 0,
            reachable: true,
            unreachable_depth: 0,
            fuel: false,
            epochs: false,
            pending: 0,
            tier_up_counter: None,
            osr_args: None,
            loops_seen: 0,
            frame_patches: [0; 2],
            cfi: tunables.native_unwind_info.then(Default::default),
        }
    }

    /// Reads the locals and emits the prologue.
    fn begin(&mut self, func_index: FuncIndex, body: &wasmparser::FunctionBody<'_>) -> Result<()> {
        let ty = self.module.func_type(func_index);
        abi::layout_into(&mut self.s.layout, &ty.params, &ty.results);
        let mut results = self.take_vec();
        for &t in ty.results.iter() {
            results.push(Ty::of(t)?);
        }
        for &t in ty.params.iter() {
            self.add_local(Ty::of(t)?);
        }
        let nparams = ty.params.len();
        let mut declared = 0u32;
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let (count, t) = reader.read()?;
            let t = Ty::from_parser(t)?;
            for _ in 0..count {
                self.add_local(t);
            }
            declared += count;
        }
        // Code is about 4-8 bytes per byte of wasm.
        let size = body.range().end - body.range().start;
        self.s
            .asm
            .code
            .reserve(usize::try_from(size).unwrap_or(0) * 6 + 64);
        self.prologue(nparams, declared);
        let label = self.s.asm.new_label();
        let params = self.take_vec();
        self.s.control.push(Frame {
            kind: Kind::Func,
            height: 0,
            params,
            results,
            label,
            else_label: None,
            used: false,
        });
        Ok(())
    }

    fn take_vec(&mut self) -> Vec<Ty> {
        let mut v = self.s.pool.pop().unwrap_or_default();
        v.clear();
        v
    }

    fn recycle(&mut self, f: Frame) {
        self.s.pool.push(f.params);
        self.s.pool.push(f.results);
    }

    // ---- Frame ----

    fn add_local(&mut self, ty: Ty) {
        self.locals_size += ty.size();
        self.s.locals.push(Local {
            ty,
            disp: -(LOCALS_START + self.locals_size),
        });
        self.s.local_refs.push(0);
    }

    fn local_mem(&self, i: u32) -> Mem {
        Mem::base(RBP, self.s.locals[i as usize].disp)
    }

    fn slot(&self, p: usize) -> Mem {
        Mem::base(
            RBP,
            -(LOCALS_START + self.locals_size + SLOT * (p as i32 + 1)),
        )
    }

    fn prologue(&mut self, nparams: usize, declared: u32) {
        let a = &mut self.s.asm;
        a.push(RBP);
        let push_end = a.len();
        a.mov_rr(true, RBP, RSP);
        let mov_end = a.len();
        a.push(R14);
        if let Some(cfi) = &mut self.cfi {
            cfi.frame_pointer(push_end, mov_end).advance_to(a.len()).offset(unwind::reg::R14, SAVED_R14 - 16);
        }
        a.mov_rr(true, R14, self.s.layout.vmctx[0]);
        // Stack check: rsp - frame >= the store's stack limit.
        a.load(true, R11, Mem::base(R14, VMCTX_RUNTIME_LIMITS as i32));
        a.load(
            true,
            R11,
            Mem::base(R11, runtime_limits::STACK_LIMIT as i32),
        );
        self.frame_patches[0] = a.add_placeholder(R11);
        a.alu(Alu::Cmp, true, RSP, Rm::Reg(R11));
        let overflow = self.trap_label(Trap::StackOverflow);
        self.s.asm.jcc(Cond::B, overflow);
        self.frame_patches[1] = self.s.asm.sub_rsp_placeholder();
        if self.mem0_base {
            self.s.asm.store(true, Mem::base(RBP, SAVED_R15), R15);
            if let Some(cfi) = &mut self.cfi {
                cfi.advance_to(self.s.asm.len()).offset(unwind::reg::R15, SAVED_R15 - 16);
            }
            let m = MemoryIndex::from_u32(0);
            match self.module.defined_memory_index(m) {
                Some(d) => {
                    let at = self.offsets.defined_memory(d) as i32 + memory_def::BASE as i32;
                    self.s.asm.load(true, R15, Mem::base(R14, at));
                }
                None => {
                    self.s.asm.load(true, R15, Mem::base(R14, self.offsets.imported_memory(m) as i32));
                    self.s.asm.load(true, R15, Mem::base(R15, memory_def::BASE as i32));
                }
            }
        }
        if let Some(r) = self.s.layout.ret_ptr {
            self.s.asm.store(true, Mem::base(RBP, RET_PTR), r);
        }
        for i in 0..nparams {
            let ty = self.s.locals[i].ty;
            let dst = self.local_mem(i as u32);
            match self.s.layout.params[i] {
                Place::Int(r) => self.s.asm.store(ty.w(), dst, r),
                Place::Float(x) => self.store_reg(ty, dst, x),
                Place::Stack(off) => self.copy_mem(ty, dst, Mem::base(RBP, 16 + off as i32)),
            }
        }
        // Zero the declared locals: they are contiguous, below the params.
        if declared > 0 {
            // From the last declared local (the lowest address) up to the
            // parameters, in quadwords.
            let last = self.local_mem(nparams as u32 + declared - 1);
            let params_end = -(LOCALS_START
                + self.s.locals[..nparams]
                    .iter()
                    .map(|l| l.ty.size())
                    .sum::<i32>());
            let qwords = (params_end - last.disp) / 8;
            if qwords <= 8 {
                self.s.asm.mov_ri(false, R11, 0);
                for q in 0..qwords {
                    self.s
                        .asm
                        .store(true, Mem::base(RBP, last.disp + 8 * q), R11);
                }
            } else {
                // rdi, rcx and rax are free: the parameters are stored.
                self.s.asm.lea(RDI, last);
                self.s.asm.mov_ri(false, RCX, qwords as u64);
                self.s.asm.mov_ri(false, RAX, 0);
                self.s.asm.rep_stosq();
            }
        }
    }

    fn finish(&mut self) -> Result<CompiledFunction> {
        if !self.s.control.is_empty() {
            return Err(BaselineError::Wasm(brisk_environ::WasmError::Invalid {
                message: "function body ends inside a block".into(),
                offset: 0,
            }));
        }
        // Out-of-line traps.
        for i in 0..self.s.trap_labels.len() {
            let (trap, label) = self.s.trap_labels[i];
            self.s.asm.bind(label);
            self.s.traps.push(TrapSite {
                offset: self.s.asm.len(),
                trap,
            });
            self.s.asm.ud2();
        }
        // Frame: saved r14 + the fixed slots + locals + stack slots, with
        // rsp 16-byte aligned after it.
        let below = LOCALS_START as i64
            + i64::from(self.locals_size)
            + i64::from(SLOT) * self.max_height as i64;
        let frame = (below + 15) & !15;
        let Ok(sub) = i32::try_from(frame - 8) else {
            return unsupported("a frame over 2 GiB");
        };
        self.s.asm.patch32(self.frame_patches[0], sub);
        self.s.asm.patch32(self.frame_patches[1], sub);
        if !self.s.asm.resolve() {
            return unsupported("internal error: a label was never bound");
        }
        for (table, targets) in &self.s.jump_tables {
            let base = self.s.asm.label_offset(*table);
            for (i, t) in targets.iter().enumerate() {
                let rel = self.s.asm.label_offset(*t) as i32 - base as i32;
                self.s.asm.code[(base as usize + 4 * i)..][..4].copy_from_slice(&rel.to_le_bytes());
            }
        }
        self.s.traps.sort_by_key(|t| t.offset);
        Ok(CompiledFunction {
            body: self.s.asm.code.clone(),
            relocs: self.s.relocs.clone(),
            traps: self.s.traps.clone(),
            alignment: 16,
            unwind: self.cfi.take().map(unwind::CfiProgram::into_bytes).unwrap_or_default(),
        })
    }

    fn trap_label(&mut self, trap: Trap) -> Label {
        if let Some((_, l)) = self.s.trap_labels.iter().find(|(t, _)| *t == trap) {
            return *l;
        }
        let l = self.s.asm.new_label();
        self.s.trap_labels.push((trap, l));
        l
    }

    fn trap_if(&mut self, cc: Cond, trap: Trap) {
        let l = self.trap_label(trap);
        self.s.asm.jcc(cc, l);
    }

    // ---- Registers ----

    fn alloc_gpr(&mut self) -> Result<Reg> {
        if self.gpr_free == 0 {
            self.spill_one(false)?;
        }
        let r = self.gpr_free.trailing_zeros() as Reg;
        self.gpr_free &= !(1 << r);
        self.gpr_local[r as usize] = NO_OWNER;
        Ok(r)
    }

    /// Forgets which free registers hold which locals: at control-flow
    /// merges, and where code writes free registers (calls).
    fn forget_locals(&mut self) {
        self.gpr_local = [NO_OWNER; 16];
    }

    /// A free register that still holds local `i`, taken for the operator.
    fn cached_local(&mut self, i: u32) -> Option<Reg> {
        // One mask of the registers holding it, without a branch per
        // register (the compares vectorize).
        let mut holding = 0u16;
        for (r, &owner) in self.gpr_local.iter().enumerate() {
            holding |= u16::from(owner == i) << r;
        }
        let held = holding & self.gpr_free;
        if held == 0 {
            return None;
        }
        let r = held.trailing_zeros() as u8;
        self.gpr_free &= !(1 << r);
        self.gpr_local[r as usize] = NO_OWNER;
        Some(r)
    }

    fn alloc_xmm(&mut self) -> Result<Reg> {
        if self.xmm_free == 0 {
            self.spill_one(true)?;
        }
        let r = self.xmm_free.trailing_zeros() as Reg;
        self.xmm_free &= !(1 << r);
        Ok(r)
    }

    fn alloc(&mut self, ty: Ty) -> Result<Reg> {
        if ty.float() {
            self.alloc_xmm()
        } else {
            self.alloc_gpr()
        }
    }

    fn release(&mut self, float: bool, r: Reg) {
        if float {
            self.xmm_free |= 1 << r;
        } else {
            self.gpr_free |= 1 << r;
        }
    }

    fn free(&mut self, o: Opnd) {
        if let Op::Reg(r) = o.op {
            self.release(o.ty.float(), r);
        }
    }

    /// Makes entries stable from the cursor up until a register of the
    /// class is free.
    fn spill_one(&mut self, float: bool) -> Result<()> {
        while self.cursor < self.s.stack.len() {
            let p = self.cursor;
            self.stabilize(p);
            self.cursor += 1;
            if (float && self.xmm_free != 0) || (!float && self.gpr_free != 0) {
                return Ok(());
            }
        }
        unsupported("internal error: out of registers")
    }

    /// Takes a specific GPR for the operator being compiled, making the
    /// entry that holds it stable first.
    fn take_gpr(&mut self, r: Reg) {
        if self.gpr_free & (1 << r) == 0 {
            let p = self.gpr_owner[r as usize];
            debug_assert!(p != NO_OWNER, "register taken by the operator itself");
            self.stabilize(p as usize);
        }
        self.gpr_free &= !(1 << r);
        self.gpr_local[r as usize] = NO_OWNER;
    }

    /// Puts entry `p` in its slot unless it is a constant or there already.
    fn stabilize(&mut self, p: usize) {
        let v = self.s.stack[p];
        let slot = self.slot(p);
        match v.loc {
            Loc::Imm(_) | Loc::Slot => return,
            Loc::Reg(r) => {
                self.store_reg(v.ty, slot, r);
                self.release(v.ty.float(), r);
                if !v.ty.float() {
                    self.gpr_owner[r as usize] = NO_OWNER;
                }
            }
            Loc::Local(i) => {
                let m = self.local_mem(i);
                self.copy_mem(v.ty, slot, m);
                self.s.local_refs[i as usize] -= 1;
            }
            Loc::Flags(cc) => {
                self.s.asm.set01(cc, R11);
                self.s.asm.store(false, slot, R11);
            }
        }
        self.s.stack[p].loc = Loc::Slot;
    }

    /// Makes every entry stable.
    fn stabilize_all(&mut self) {
        for p in self.cursor..self.s.stack.len() {
            self.stabilize(p);
        }
        self.cursor = self.s.stack.len();
    }

    fn store_reg(&mut self, ty: Ty, m: Mem, r: Reg) {
        match ty {
            Ty::V128 => self.s.asm.movdqu_store(m, r),
            Ty::F32 | Ty::F64 => self.s.asm.movs_store(ty == Ty::F64, m, r),
            // i32 values as 4 bytes: loads of them are 4 bytes, and a load
            // of the size of the store forwards (or is renamed) fastest.
            _ => self.s.asm.store(ty != Ty::I32, m, r),
        }
    }

    /// Copies a value between two frame (or other) locations through a
    /// scratch register.
    fn copy_mem(&mut self, ty: Ty, dst: Mem, src: Mem) {
        if ty == Ty::V128 {
            self.s.asm.movdqu_load(XMM_SCRATCH, src);
            self.s.asm.movdqu_store(dst, XMM_SCRATCH);
        } else {
            let w = !matches!(ty, Ty::I32 | Ty::F32);
            self.s.asm.load(w, R11, src);
            self.s.asm.store(w, dst, R11);
        }
    }

    // ---- The value stack ----

    fn push(&mut self, ty: Ty, loc: Loc) {
        let p = self.s.stack.len();
        match loc {
            Loc::Reg(r) if !ty.float() => self.gpr_owner[r as usize] = p as u32,
            Loc::Local(i) => self.s.local_refs[i as usize] += 1,
            _ => {}
        }
        self.s.stack.push(Val { ty, loc });
        self.max_height = self.max_height.max(p + 1);
    }

    fn pop(&mut self) -> Opnd {
        let v = self
            .s
            .stack
            .pop()
            .expect("validated: the operand stack has the operand");
        let p = self.s.stack.len();
        self.cursor = self.cursor.min(p);
        let op = match v.loc {
            Loc::Reg(r) => {
                if !v.ty.float() {
                    self.gpr_owner[r as usize] = NO_OWNER;
                }
                Op::Reg(r)
            }
            Loc::Imm(x) => Op::Imm(x),
            Loc::Local(i) => {
                self.s.local_refs[i as usize] -= 1;
                match v.ty.float() {
                    false => self.cached_local(i).map_or_else(|| Op::Mem(self.local_mem(i)), Op::Reg),
                    true => Op::Mem(self.local_mem(i)),
                }
            }
            Loc::Slot => Op::Mem(self.slot(p)),
            Loc::Flags(cc) => Op::Flags(cc),
        };
        Opnd { ty: v.ty, op }
    }

    /// Drops entries down to `height`, freeing their registers.
    fn truncate(&mut self, height: usize) {
        while self.s.stack.len() > height {
            let o = self.pop();
            self.free(o);
        }
    }

    /// An operand in a register of its own, which the caller may modify.
    fn in_reg(&mut self, o: Opnd) -> Result<Reg> {
        if let Op::Reg(r) = o.op {
            return Ok(r);
        }
        let r = self.alloc(o.ty)?;
        self.load_into(o, r);
        Ok(r)
    }

    /// Moves a non-register operand (or a register one, freeing it) into
    /// `r`, which the caller owns.
    fn load_into(&mut self, o: Opnd, r: Reg) {
        let a = &mut self.s.asm;
        match (o.op, o.ty.float()) {
            (Op::Reg(s), false) => {
                if s != r {
                    a.mov_rr(true, r, s);
                    self.release(false, s);
                }
            }
            (Op::Reg(s), true) => {
                if s != r {
                    a.movaps(r, s);
                    self.release(true, s);
                }
            }
            (Op::Imm(v), false) => a.mov_ri(o.ty.w(), r, v),
            (Op::Imm(v), true) => {
                if v == 0 {
                    a.sse(None, 0x57, r, Rm::Reg(r));
                } else {
                    a.mov_ri(o.ty.w(), R11, v);
                    a.movq_xr(o.ty.w(), r, R11);
                }
            }
            (Op::Mem(m), false) => a.load(o.ty.w(), r, m),
            (Op::Mem(m), true) if o.ty == Ty::V128 => a.movdqu_load(r, m),
            (Op::Mem(m), true) => a.movs_load(o.ty == Ty::F64, r, m),
            (Op::Flags(cc), _) => {
                a.set01(cc, r);
            }
        }
    }

    /// An operand as an r/m (register or memory); constants and flags are
    /// put in a register.
    fn in_rm(&mut self, o: Opnd) -> Result<Rm> {
        match o.op {
            Op::Reg(r) => Ok(Rm::Reg(r)),
            Op::Mem(m) => Ok(Rm::Mem(m)),
            _ => Ok(Rm::Reg(self.in_reg(o)?)),
        }
    }

    /// Turns a flags entry on top into a 0/1 register.
    fn materialize_flags(&mut self) -> Result<()> {
        if let Some(Val {
            loc: Loc::Flags(_), ..
        }) = self.s.stack.last()
        {
            let o = self.pop();
            let r = self.in_reg(o)?;
            self.push(Ty::I32, Loc::Reg(r));
        }
        Ok(())
    }

    /// Copies entry `src`'s value into slot `dst` without changing the
    /// state (branch paths).
    fn copy_to_slot(&mut self, src: usize, dst: usize) {
        let v = self.s.stack[src];
        let to = self.slot(dst);
        match v.loc {
            Loc::Slot if src == dst => {}
            Loc::Reg(r) => self.store_reg(v.ty, to, r),
            Loc::Imm(x) => self.store_imm(v.ty, to, x),
            Loc::Local(i) => {
                let m = self.local_mem(i);
                self.copy_mem(v.ty, to, m);
            }
            Loc::Slot => {
                let m = self.slot(src);
                self.copy_mem(v.ty, to, m);
            }
            Loc::Flags(cc) => {
                self.s.asm.set01(cc, R11);
                self.s.asm.store(false, to, R11);
            }
        }
    }

    /// Stores a constant of type `ty` (i32 and f32 as 4 bytes: a later
    /// 4-byte load of the same address forwards from it best).
    fn store_imm(&mut self, ty: Ty, m: Mem, x: u64) {
        if matches!(ty, Ty::I32 | Ty::F32) {
            self.s.asm.store_imm(false, m, x as u32 as i32);
        } else if let Ok(v) = i32::try_from(x as i64) {
            self.s.asm.store_imm(true, m, v);
        } else {
            self.s.asm.mov_ri(true, R11, x);
            self.s.asm.store(true, m, R11);
        }
    }

    // ---- Control ----

    fn block_types(&mut self, bt: BlockType) -> Result<(Vec<Ty>, Vec<Ty>)> {
        let (mut params, mut results) = (self.take_vec(), self.take_vec());
        match bt {
            BlockType::Empty => {}
            BlockType::Type(t) => results.push(Ty::from_parser(t)?),
            BlockType::FuncType(i) => {
                let ft = &self.module.types[TypeIndex::from_u32(i)];
                for t in ft.params.iter() {
                    params.push(Ty::of(*t)?);
                }
                for t in ft.results.iter() {
                    results.push(Ty::of(*t)?);
                }
            }
        }
        Ok((params, results))
    }

    /// Puts the top `n` entries in their slots (constants too).
    fn canonicalize_top(&mut self, n: usize) {
        let len = self.s.stack.len();
        for p in len - n..len {
            if let Loc::Imm(x) = self.s.stack[p].loc {
                let m = self.slot(p);
                self.store_imm(self.s.stack[p].ty, m, x);
                self.s.stack[p].loc = Loc::Slot;
            } else {
                self.stabilize(p);
            }
        }
    }

    fn enter(&mut self, kind: Kind, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_types(bt)?;
        self.stabilize_all();
        if kind != Kind::Block {
            self.canonicalize_top(params.len());
        }
        let label = self.s.asm.new_label();
        let height = self.s.stack.len() - params.len();
        self.s.control.push(Frame {
            kind,
            height,
            params,
            results,
            label,
            else_label: None,
            used: false,
        });
        Ok(())
    }

    /// Copies the values a branch to `depth` carries into the target's
    /// slots (state unchanged) and returns the target frame's index.
    fn branch_moves(&mut self, depth: u32) -> usize {
        let f = self.s.control.len() - 1 - depth as usize;
        let n = self.s.control[f].branch_types().len();
        let base = self.s.control[f].height;
        let len = self.s.stack.len();
        if self.s.control[f].kind != Kind::Func {
            for i in 0..n {
                self.copy_to_slot(len - n + i, base + i);
            }
        }
        f
    }

    /// A branch to `depth` on the current path (state unchanged).
    fn branch(&mut self, depth: u32) {
        let f = self.branch_moves(depth);
        if self.s.control[f].kind == Kind::Func {
            self.emit_return();
        } else {
            self.s.control[f].used = true;
            let l = self.s.control[f].label;
            self.s.asm.jmp(l);
        }
    }

    fn set_unreachable(&mut self) {
        let h = self.s.control.last().map_or(0, |f| f.height);
        self.truncate(h.min(self.s.stack.len()));
        self.reachable = false;
    }

    /// The return sequence (state unchanged): results in their ABI places,
    /// then the epilogue.
    fn emit_return(&mut self) {
        let n = self.s.layout.results.len();
        let len = self.s.stack.len();
        // One result in a register: a move (nothing else to overwrite).
        if n == 1
            && let Loc::Reg(r) = self.s.stack[len - 1].loc
        {
            match self.s.layout.results[0] {
                Place::Int(d) if d != r => self.s.asm.mov_rr(true, d, r),
                Place::Float(x) if x != r => self.s.asm.movaps(x, r),
                _ => {}
            }
            self.epilogue();
            return;
        }
        // Register values first into their own slots, so that loading the
        // result registers below cannot overwrite a value still to be read.
        for i in 0..n {
            if let Loc::Reg(_) = self.s.stack[len - n + i].loc {
                self.copy_to_slot(len - n + i, len - n + i);
            }
        }
        let place_of = |g: &Gen<'_>, i: usize| -> Opnd {
            let v = g.s.stack[len - n + i];
            let op = match v.loc {
                Loc::Imm(x) => Op::Imm(x),
                Loc::Local(l) => Op::Mem(g.local_mem(l)),
                Loc::Flags(cc) => Op::Flags(cc),
                Loc::Reg(_) | Loc::Slot => Op::Mem(g.slot(len - n + i)),
            };
            Opnd { ty: v.ty, op }
        };
        if self.s.layout.ret_area > 0 {
            self.s.asm.load(true, R10, Mem::base(RBP, RET_PTR));
            for i in 0..n {
                if let Place::Stack(off) = self.s.layout.results[i] {
                    let o = place_of(self, i);
                    self.store_operand(o, Mem::base(R10, off as i32));
                }
            }
        }
        for i in 0..n {
            let o = place_of(self, i);
            match self.s.layout.results[i] {
                Place::Int(r) => self.load_raw(o, r),
                Place::Float(x) => self.load_into(Opnd { ty: o.ty, op: o.op }, x),
                Place::Stack(_) => {}
            }
        }
        self.epilogue();
    }

    /// Writes a non-register operand to memory (through the scratch
    /// registers), without touching the allocator.
    fn store_operand(&mut self, o: Opnd, dst: Mem) {
        match o.op {
            Op::Mem(m) => self.copy_mem(o.ty, dst, m),
            Op::Reg(r) => self.store_reg(o.ty, dst, r),
            _ => {
                self.load_raw(o, R11);
                self.s.asm.store(true, dst, R11);
            }
        }
    }

    /// Loads a value's bits into a GPR without touching the allocator.
    fn load_raw(&mut self, o: Opnd, r: Reg) {
        match o.op {
            Op::Imm(x) => self.s.asm.mov_ri(true, r, x),
            Op::Mem(m) if o.ty == Ty::I32 || o.ty == Ty::F32 => self.s.asm.load(false, r, m),
            Op::Mem(m) => self.s.asm.load(true, r, m),
            Op::Reg(s) if o.ty.float() => self.s.asm.movq_rx(true, r, s),
            Op::Reg(s) => self.s.asm.mov_rr(true, r, s),
            Op::Flags(cc) => {
                self.s.asm.set01(cc, r);
            }
        }
    }

    fn epilogue(&mut self) {
        if self.mem0_base {
            self.s.asm.load(true, R15, Mem::base(RBP, SAVED_R15));
        }
        self.s.asm.load(true, R14, Mem::base(RBP, SAVED_R14));
        self.s.asm.mov_rr(true, RSP, RBP);
        self.s.asm.pop(RBP);
        self.s.asm.ret(self.s.layout.stack_args as u16);
    }

    fn end(&mut self) -> Result<()> {
        let frame = self
            .s
            .control
            .pop()
            .expect("validated: end matches a block");
        let r = self.end_frame(&frame);
        self.recycle(frame);
        r
    }

    fn end_frame(&mut self, frame: &Frame) -> Result<()> {
        match frame.kind {
            Kind::Func => {
                if self.reachable {
                    self.emit_return();
                }
                self.truncate(0);
            }
            Kind::Loop => {
                // Only the fall-through reaches the end: nothing to merge.
            }
            Kind::Block | Kind::If | Kind::Else => {
                let n = frame.results.len();
                let merge = frame.used || frame.kind == Kind::If;
                if merge {
                    if self.reachable {
                        self.canonicalize_top(n);
                    }
                    self.truncate(frame.height);
                    self.forget_locals();
                    if let Some(l) = frame.else_label
                        && !self.s.asm.is_bound(l)
                    {
                        // An if without else: the parameters, in their
                        // slots, are the results.
                        self.s.asm.bind(l);
                    }
                    self.s.asm.bind(frame.label);
                    for t in &frame.results {
                        self.push(*t, Loc::Slot);
                    }
                    self.cursor = self.s.stack.len();
                    self.reachable = true;
                } else {
                    self.s.asm.bind(frame.label);
                }
            }
        }
        Ok(())
    }

    /// An operator in unreachable code, or one that counts fuel: out of
    /// line, so that the common path stays small.
    #[inline(never)]
    fn op_slow(&mut self, op: &Operator<'_>) -> Result<()> {
        if !self.reachable {
            return self.skip(op);
        }
        self.pending += brisk_environ::fuel_cost(op);
        if brisk_environ::fuel_sync(op) != brisk_environ::FuelSync::None {
            self.flush_fuel();
        }
        self.operator(op)
    }

    /// Skips an operator in unreachable code, tracking nesting (of blocks
    /// the validator takes for reachable: it does not know, for one, that
    /// no branch reaches the end of a block).
    fn skip(&mut self, op: &Operator<'_>) -> Result<()> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.unreachable_depth += 1
            }
            Operator::End if self.unreachable_depth > 0 => self.unreachable_depth -= 1,
            Operator::End => {
                let f = self.s.control.last().expect("validated");
                let kind = f.kind;
                if kind == Kind::If || (matches!(kind, Kind::Block | Kind::Else) && f.used) {
                    // The label is reachable by a branch (or the else arm).
                    self.end()?;
                } else {
                    // No branch reaches the end (a loop's label is its
                    // header): what follows is unreachable too.
                    self.truncate(f.height);
                    let f = self.s.control.pop().expect("validated");
                    self.recycle(f);
                }
            }
            Operator::Else if self.unreachable_depth == 0 => self.else_()?,
            _ => {}
        }
        Ok(())
    }

    fn else_(&mut self) -> Result<()> {
        let reachable = self.reachable;
        let f = self.s.control.len() - 1;
        if reachable {
            let n = self.s.control[f].results.len();
            self.canonicalize_top(n);
            self.s.control[f].used = true;
            let l = self.s.control[f].label;
            self.s.asm.jmp(l);
        }
        let height = self.s.control[f].height;
        self.truncate(height);
        let else_label = self.s.control[f]
            .else_label
            .expect("validated: else follows if");
        self.s.asm.bind(else_label);
        self.forget_locals();
        let params = self.s.control[f].params.clone();
        for t in params {
            self.push(t, Loc::Slot);
        }
        self.cursor = self.s.stack.len();
        self.s.control[f].kind = Kind::Else;
        self.reachable = true;
        Ok(())
    }

    /// Jumps to `target` unless the condition operand holds (`jump_if`
    /// false) or if it holds (`jump_if` true).
    fn branch_on(&mut self, cond: Opnd, jump_if: bool, target: Label) -> Result<()> {
        let cc = match cond.op {
            Op::Flags(cc) => cc,
            Op::Reg(r) => {
                self.s.asm.test_rr(false, r, r);
                self.release(false, r);
                Cond::Ne
            }
            Op::Mem(m) => {
                self.s.asm.alu_ri(Alu::Cmp, false, Rm::Mem(m), 0);
                Cond::Ne
            }
            Op::Imm(v) => {
                if (v as u32 != 0) == jump_if {
                    self.s.asm.jmp(target);
                }
                return Ok(());
            }
        };
        self.s
            .asm
            .jcc(if jump_if { cc } else { cc.invert() }, target);
        Ok(())
    }

    fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Result<()> {
        let index = self.pop();
        let r = self.in_reg(index)?;
        let mut stubs: HashMap<u32, Label> = HashMap::new();
        let mut entries = Vec::with_capacity(targets.len() as usize);
        for t in targets.targets() {
            let t = t?;
            let l = *stubs.entry(t).or_insert_with(|| self.s.asm.new_label());
            entries.push(l);
        }
        let default = targets.default();
        let dl = *stubs
            .entry(default)
            .or_insert_with(|| self.s.asm.new_label());
        let n = entries.len() as u32;
        let Ok(n_imm) = i32::try_from(n) else {
            return unsupported("a br_table over 2^31 targets");
        };
        self.s.asm.alu_ri(Alu::Cmp, false, Rm::Reg(r), n_imm);
        self.s.asm.jcc(Cond::Ae, dl);
        let table = self.s.asm.new_label();
        self.s.asm.lea_label(R11, table);
        self.s.asm.load_ext(
            4,
            true,
            true,
            R10,
            Mem {
                base: R11,
                index: Some((r, 4)),
                disp: 0,
            },
        );
        self.s.asm.alu(Alu::Add, true, R10, Rm::Reg(R11));
        self.s.asm.jmp_r(R10);
        self.release(false, r);
        self.s.asm.bind(table);
        for _ in 0..n {
            self.s.asm.data32(0);
        }
        self.s.jump_tables.push((table, entries));
        let mut stubs: Vec<(u32, Label)> = stubs.into_iter().collect();
        stubs.sort_unstable_by_key(|(d, _)| *d);
        for (depth, l) in stubs {
            self.s.asm.bind(l);
            self.branch(depth);
        }
        self.set_unreachable();
        Ok(())
    }

    // ---- Calls ----

    /// Calls a function of type `ty` whose arguments are on top of the
    /// stack, and pushes its results.
    fn call(&mut self, ty: TypeIndex, callee: Callee) -> Result<()> {
        let module = self.module;
        let ft = &module.types[ty];
        let mut layout = std::mem::take(&mut self.s.call_layout);
        abi::layout_into(&mut layout, &ft.params, &ft.results);
        let r = self.call_with(ft, &layout, callee);
        self.s.call_layout = layout;
        r
    }

    fn call_with(
        &mut self,
        ft: &brisk_environ::FuncType,
        layout: &Layout,
        callee: Callee,
    ) -> Result<()> {
        let nargs = ft.params.len();
        self.stabilize_all();
        // The call writes argument registers and clobbers the rest.
        self.forget_locals();
        let total = layout.ret_area + layout.stack_args;
        if total > 0 {
            self.s
                .asm
                .alu_ri(Alu::Sub, true, Rm::Reg(RSP), total as i32);
        }
        let base = self.s.stack.len() - nargs;
        let arg = |g: &Gen<'_>, i: usize| -> Opnd {
            let v = g.s.stack[base + i];
            let op = match v.loc {
                Loc::Imm(x) => Op::Imm(x),
                _ => Op::Mem(g.slot(base + i)),
            };
            Opnd { ty: v.ty, op }
        };
        for i in 0..nargs {
            if let Place::Stack(off) = layout.params[i] {
                let o = arg(self, i);
                self.store_operand(o, Mem::base(RSP, off as i32));
            }
        }
        for i in 0..nargs {
            let o = arg(self, i);
            match layout.params[i] {
                Place::Int(r) => self.load_raw(o, r),
                Place::Float(x) => self.load_into(o, x),
                Place::Stack(_) => {}
            }
        }
        if let Some(r) = layout.ret_ptr {
            self.s.asm.lea(r, Mem::base(RSP, layout.stack_args as i32));
        }
        let [callee_vmctx, caller_vmctx] = layout.vmctx;
        match callee {
            Callee::Direct(f) => {
                self.s.asm.mov_rr(true, callee_vmctx, R14);
                self.s.asm.mov_rr(true, caller_vmctx, R14);
                let at = self.s.asm.call_rel32();
                self.s.relocs.push(FuncReloc {
                    offset: at,
                    kind: RelocKind::X86CallPcRel4,
                    target: f,
                    addend: -4,
                });
            }
            Callee::Own { code } => {
                self.s.asm.mov_rr(true, callee_vmctx, R14);
                self.s.asm.mov_rr(true, caller_vmctx, R14);
                self.s.asm.call_rm(Rm::Mem(Mem::base(R14, code)));
            }
            Callee::Record { code, vmctx } => {
                self.s.asm.load(true, callee_vmctx, Mem::base(R14, vmctx));
                self.s.asm.mov_rr(true, caller_vmctx, R14);
                self.s.asm.call_rm(Rm::Mem(Mem::base(R14, code)));
            }
            Callee::Indirect => {
                self.s.asm.load(true, R11, Mem::base(RBP, CALL_SCRATCH));
                self.s
                    .asm
                    .load(true, callee_vmctx, Mem::base(R11, func_ref::VMCTX as i32));
                self.s.asm.mov_rr(true, caller_vmctx, R14);
                self.s
                    .asm
                    .call_rm(Rm::Mem(Mem::base(R11, func_ref::NATIVE_CALL as i32)));
            }
        }
        // The arguments were constants or in slots: nothing to free.
        self.s.stack.truncate(base);
        self.cursor = self.cursor.min(base);
        debug_assert!(self.gpr_free == GPRS && self.xmm_free == XMMS);
        for (i, &t) in ft.results.iter().enumerate() {
            let t = Ty::of(t)?;
            match layout.results[i] {
                Place::Int(r) if GPRS & (1 << r) != 0 => {
                    self.gpr_free &= !(1 << r);
                    if t == Ty::I32 {
                        self.s.asm.mov_rr(false, r, r);
                    }
                    self.push(t, Loc::Reg(r));
                }
                Place::Int(r) => {
                    let m = self.slot(self.s.stack.len());
                    self.s.asm.store(true, m, r);
                    self.push(t, Loc::Slot);
                }
                Place::Float(x) => {
                    self.xmm_free &= !(1 << x);
                    self.push(t, Loc::Reg(x));
                }
                Place::Stack(off) => {
                    let m = self.slot(self.s.stack.len());
                    self.copy_mem(t, m, Mem::base(RSP, off as i32));
                    self.push(t, Loc::Slot);
                }
            }
        }
        if layout.ret_area > 0 {
            self.s
                .asm
                .alu_ri(Alu::Add, true, Rm::Reg(RSP), layout.ret_area as i32);
        }
        Ok(())
    }

    fn call_direct(&mut self, function_index: u32) -> Result<()> {
        let f = FuncIndex::from_u32(function_index);
        let ty = self.module.functions[f];
        if self.module.is_imported_func(f) {
            let at = self.offsets.imported_function(f) as i32;
            self.call(
                ty,
                Callee::Record {
                    code: at,
                    vmctx: at + 8,
                },
            )
        } else if self
            .module
            .defined_func_index(f)
            .is_some_and(|d| self.interpreted.get(d.index()) == Some(&true))
        {
            let at = self.offsets.func_ref(f) as i32;
            self.call(
                ty,
                Callee::Record {
                    code: at + func_ref::NATIVE_CALL as i32,
                    vmctx: at + func_ref::VMCTX as i32,
                },
            )
        } else if self.tunables.indirect_calls {
            let code = self.offsets.func_ref(f) as i32 + func_ref::NATIVE_CALL as i32;
            self.call(ty, Callee::Own { code })
        } else {
            self.call(ty, Callee::Direct(f))
        }
    }

    /// A table's definition: a base register and the offset of the
    /// `VMTableDefinition` from it (r11 holds an imported one's pointer).
    fn table_def(&mut self, table: u32) -> (Reg, i32) {
        let t = TableIndex::from_u32(table);
        match self.module.defined_table_index(t) {
            Some(d) => (R14, self.offsets.defined_table(d) as i32),
            None => {
                self.s.asm.load(
                    true,
                    R11,
                    Mem::base(R14, self.offsets.imported_table(t) as i32),
                );
                (R11, 0)
            }
        }
    }

    /// Pops an element index and leaves the element's address in `r10`,
    /// after the bounds check.
    fn table_element(&mut self, table: u32) -> Result<()> {
        let index = self.pop();
        let r = self.in_reg(index)?;
        let (base, off) = self.table_def(table);
        self.s.asm.alu(
            Alu::Cmp,
            true,
            r,
            Rm::Mem(Mem::base(base, off + table_def::CURRENT_ELEMENTS as i32)),
        );
        self.trap_if(Cond::Ae, Trap::TableOutOfBounds);
        self.s
            .asm
            .load(true, R10, Mem::base(base, off + table_def::BASE as i32));
        self.s.asm.lea(
            R10,
            Mem {
                base: R10,
                index: Some((r, 8)),
                disp: 0,
            },
        );
        self.release(false, r);
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table: u32) -> Result<()> {
        self.table_element(table)?;
        self.s.asm.load(true, R10, Mem::base(R10, 0));
        self.s.asm.test_rr(true, R10, R10);
        self.trap_if(Cond::E, Trap::IndirectCallToNull);
        self.s
            .asm
            .load(true, R11, Mem::base(R14, VMCTX_TYPE_IDS as i32));
        let Ok(disp) = i32::try_from(u64::from(type_index) * 4) else {
            return unsupported("a type index over 2^29");
        };
        self.s.asm.load(false, R11, Mem::base(R11, disp));
        self.s.asm.alu(
            Alu::Cmp,
            false,
            R11,
            Rm::Mem(Mem::base(R10, func_ref::TYPE_INDEX as i32)),
        );
        self.trap_if(Cond::Ne, Trap::BadSignature);
        self.s.asm.store(true, Mem::base(RBP, CALL_SCRATCH), R10);
        self.call(TypeIndex::from_u32(type_index), Callee::Indirect)
    }

    /// Calls a builtin (System V) with the vmctx and `args` (constants or
    /// operands popped after `stabilize_all`); the result is in rax, which
    /// the caller then owns.
    fn call_builtin(&mut self, builtin: BuiltinFunction, args: &[Opnd]) {
        const SYSV: [Reg; 6] = [RDI, x64::RSI, RDX, RCX, x64::R8, x64::R9];
        debug_assert!(self.gpr_free == GPRS && self.xmm_free == XMMS);
        self.forget_locals();
        self.s.asm.mov_rr(true, RDI, R14);
        for (i, a) in args.iter().enumerate() {
            let o = Opnd {
                ty: if a.ty == Ty::I32 { Ty::I32 } else { Ty::I64 },
                op: a.op,
            };
            self.load_raw(o, SYSV[i + 1]);
        }
        self.s
            .asm
            .load(true, R11, Mem::base(R14, VMCTX_BUILTINS as i32));
        self.s
            .asm
            .call_rm(Rm::Mem(Mem::base(R11, (builtin as u32 * 8) as i32)));
        self.gpr_free &= !(1 << RAX);
    }

    /// Pops `n` operands for a builtin after making the stack stable;
    /// returns them bottom first.
    /// `bulk`: the operator is a bulk operation whose count (the top
    /// operand) costs fuel per unit.
    fn builtin_args(&mut self, n: usize, bulk: bool) -> Vec<Opnd> {
        self.stabilize_all();
        let mut v: Vec<Opnd> = (0..n).map(|_| self.pop()).collect();
        if bulk {
            self.bulk_budget(v[0]);
        }
        v.reverse();
        v
    }

    // ---- Fuel and epochs (the shared scheme of `brisk_environ::fuel`) ----

    /// Adds the fuel charged since the last flush to the store's count
    /// (which always holds the count: no register keeps it). Moves and
    /// `lea` only: a comparison's flags may be live.
    fn flush_fuel(&mut self) {
        if self.pending == 0 {
            return;
        }
        let fuel = Mem::base(R11, runtime_limits::FUEL_CONSUMED as i32);
        self.s
            .asm
            .load(true, R11, Mem::base(R14, VMCTX_RUNTIME_LIMITS as i32));
        self.s.asm.load(true, R10, fuel);
        let mut left = std::mem::take(&mut self.pending);
        while left != 0 {
            let step = left.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
            self.s.asm.lea(R10, Mem::base(R10, step as i32));
            left -= step;
        }
        self.s.asm.store(true, fuel, R10);
    }

    /// The checks at function entry, loop headers and bulk operations: out
    /// of fuel, epoch deadline reached.
    fn budget_checks(&mut self) {
        let limits = Mem::base(R14, VMCTX_RUNTIME_LIMITS as i32);
        if self.fuel {
            self.flush_fuel();
            self.s.asm.load(true, R11, limits);
            self.s.asm.alu_ri(
                Alu::Cmp,
                true,
                Rm::Mem(Mem::base(R11, runtime_limits::FUEL_CONSUMED as i32)),
                0,
            );
            self.trap_if(Cond::Ge, Trap::OutOfFuel);
        }
        if self.epochs {
            self.s.asm.load(true, R11, limits);
            self.s.asm.load(
                true,
                R10,
                Mem::base(R11, runtime_limits::EPOCH_COUNTER as i32),
            );
            self.s.asm.load(true, R10, Mem::base(R10, 0));
            self.s.asm.alu(
                Alu::Cmp,
                true,
                R10,
                Rm::Mem(Mem::base(R11, runtime_limits::EPOCH_DEADLINE as i32)),
            );
            self.trap_if(Cond::Ae, Trap::Interrupt);
        }
    }

    /// At function entry and loop headers, with tier-up counters on: one
    /// off the function's counter, and when it goes negative, the
    /// `TierUpHot` builtin (which queues the function for the optimizing
    /// tier and resets the counter). Every value is in memory here (entry,
    /// loop headers). At a loop (`loop_ordinal`) with nothing on the
    /// operand stack, the builtin may return an on-stack-replacement entry
    /// for it (else 0): the frame then calls it with its locals, which are
    /// all in memory, and returns what it returns.
    fn count_for_tier_up(&mut self, loop_ordinal: Option<u32>) {
        let Some(at) = self.tier_up_counter else { return };
        if !self.reachable {
            return;
        }
        self.s
            .asm
            .load(true, R11, Mem::base(R14, VMCTX_TIER_UP_COUNTERS as i32));
        self.s
            .asm
            .alu_ri(Alu::Sub, false, Rm::Mem(Mem::base(R11, at)), 1);
        let done = self.s.asm.new_label();
        self.s.asm.jcc(Cond::Ns, done);
        let osr = match (loop_ordinal, self.osr_args) {
            (Some(n), Some(args)) if self.s.stack.is_empty() => Some((n, args)),
            _ => None,
        };
        let imm = |v: u32| Opnd {
            ty: Ty::I32,
            op: Op::Imm(u64::from(v)),
        };
        let args = [imm((at / 4) as u32), imm(osr.map_or(u32::MAX, |(n, _)| n))];
        self.call_builtin(BuiltinFunction::TierUpHot, &args);
        if let Some((_, [callee, caller, locals])) = osr {
            self.s.asm.test_rr(true, RAX, RAX);
            self.s.asm.jcc(Cond::E, done);
            self.s.asm.mov_rr(true, callee, R14);
            self.s.asm.mov_rr(true, caller, R14);
            self.s.asm.lea(locals, Mem::base(RBP, -LOCALS_START));
            self.s.asm.call_rm(Rm::Reg(RAX));
            // The results are where this function returns them.
            self.epilogue();
        }
        self.gpr_free |= 1 << RAX;
        self.s.asm.bind(done);
    }

    /// Before a bulk operation whose count is `count`: one unit of fuel per
    /// byte or element, then a check unless the count is a small constant.
    fn bulk_budget(&mut self, count: Opnd) {
        if !self.fuel && !self.epochs {
            return;
        }
        let constant = match count.op {
            Op::Imm(n) => Some(i64::from(n as u32)),
            _ => None,
        };
        if self.fuel {
            match (constant, count.op) {
                (Some(n), _) => self.pending += n,
                (None, op) => {
                    self.flush_fuel();
                    self.load_raw(Opnd { ty: Ty::I32, op }, R10);
                    self.s
                        .asm
                        .load(true, R11, Mem::base(R14, VMCTX_RUNTIME_LIMITS as i32));
                    let fuel = Rm::Mem(Mem::base(R11, runtime_limits::FUEL_CONSUMED as i32));
                    self.s.asm.alu_to_rm(Alu::Add, true, fuel, R10);
                }
            }
        }
        if constant.is_some_and(|n| n <= brisk_environ::SMALL_BULK_OP_FUEL) {
            return;
        }
        self.budget_checks();
    }

    /// A bulk operation: a builtin taking the constant indices `imms`, then
    /// the three operands (the last one the count), trapping with `trap`.
    fn bulk(&mut self, builtin: BuiltinFunction, imms: &[u32], trap: Trap) {
        let operands = self.builtin_args(3, true);
        let args: Vec<Opnd> = imms.iter().map(|i| Self::imm_i32(*i)).chain(operands).collect();
        self.checked_builtin(builtin, &args, trap);
    }

    fn imm_i32(v: u32) -> Opnd {
        Opnd {
            ty: Ty::I32,
            op: Op::Imm(u64::from(v)),
        }
    }

    /// A builtin returning 1 on success and 0 when the code must trap.
    fn checked_builtin(&mut self, builtin: BuiltinFunction, args: &[Opnd], trap: Trap) {
        self.call_builtin(builtin, args);
        self.s.asm.test_rr(false, RAX, RAX);
        self.trap_if(Cond::E, trap);
        self.release(false, RAX);
    }

    /// After `memory.grow` / `table.grow`: trap if the limiter failed, push
    /// the old size.
    fn grow_result(&mut self) {
        self.s.asm.alu_ri(
            Alu::Cmp,
            true,
            Rm::Reg(RAX),
            brisk_environ::GROW_ERROR as i32,
        );
        self.trap_if(Cond::E, Trap::HostError);
        self.s.asm.mov_rr(false, RAX, RAX);
        self.push(Ty::I32, Loc::Reg(RAX));
    }

    // ---- Memory ----

    /// The memory definition of `mem`: base register and offset (r11 holds
    /// an imported one's pointer).
    fn memory_def(&mut self, mem: u32) -> Result<(Reg, i32)> {
        let m = MemoryIndex::from_u32(mem);
        if self.module.memories[m].memory64 {
            return unsupported("memory64");
        }
        Ok(match self.module.defined_memory_index(m) {
            Some(d) => (R14, self.offsets.defined_memory(d) as i32),
            None => {
                self.s.asm.load(
                    true,
                    R11,
                    Mem::base(R14, self.offsets.imported_memory(m) as i32),
                );
                (R11, 0)
            }
        })
    }

    /// Pops an address and returns the memory operand of an access of
    /// `size` bytes, after its bounds check (unless guard pages make it
    /// unnecessary). The index register is returned to free afterwards.
    fn address(&mut self, memarg: &MemArg, size: u32) -> Result<(Mem, Reg)> {
        let addr = self.pop();
        let i = self.in_reg(addr)?;
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            return unsupported("memory access to a GC array");
        };
        if memarg.ordering.is_some() {
            return unsupported("ordered memory access");
        }
        // Memory 0's base is in r15 for the whole function (a memory never
        // moves); the definition is read only for a bounds check.
        let cached = mem == 0 && self.mem0_base;
        let check = !self.tunables.elide_bounds_check(false, memarg.offset, u64::from(size));
        if check || !cached {
            let (def, off) = self.memory_def(mem)?;
            if check {
                let end = memarg.offset + u64::from(size);
                match i32::try_from(end) {
                    Ok(e) => self.s.asm.lea(R10, Mem::base(i, e)),
                    Err(_) => {
                        self.s.asm.mov_ri(true, R10, end);
                        self.s.asm.alu(Alu::Add, true, R10, Rm::Reg(i));
                    }
                }
                let len = Mem::base(def, off + memory_def::CURRENT_LENGTH as i32);
                self.s.asm.alu(Alu::Cmp, true, R10, Rm::Mem(len));
                self.trap_if(Cond::A, Trap::MemoryOutOfBounds);
            }
            if !cached {
                self.s.asm.load(true, R10, Mem::base(def, off + memory_def::BASE as i32));
            }
        }
        let disp = match i32::try_from(memarg.offset) {
            Ok(d) => d,
            Err(_) => {
                self.s.asm.mov_ri(true, R11, memarg.offset);
                self.s.asm.alu(Alu::Add, true, i, Rm::Reg(R11));
                0
            }
        };
        Ok((
            Mem {
                base: if cached { R15 } else { R10 },
                index: Some((i, 1)),
                disp,
            },
            i,
        ))
    }

    fn record_trap(&mut self, at: u32, trap: Trap) {
        self.s.traps.push(TrapSite { offset: at, trap });
    }

    fn load(&mut self, memarg: &MemArg, ty: Ty, bytes: u8, signed: bool) -> Result<()> {
        // The destination first: allocating may spill through r11, which
        // the address computation uses.
        let x = if ty.float() {
            Some(self.alloc_xmm()?)
        } else {
            None
        };
        let (m, i) = self.address(memarg, u32::from(bytes))?;
        let at = self.s.asm.len();
        let dst = if let Some(x) = x {
            self.s.asm.movs_load(ty == Ty::F64, x, m);
            self.release(false, i);
            x
        } else {
            self.s.asm.load_ext(bytes, signed, ty.w(), i, m);
            i
        };
        self.record_trap(at, Trap::MemoryOutOfBounds);
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }

    fn store(&mut self, memarg: &MemArg, bytes: u8) -> Result<()> {
        let value = self.pop();
        let v = match value.op {
            Op::Imm(x) if bytes < 8 || i32::try_from(x as i64).is_ok() => Op::Imm(x),
            _ if value.ty.float() => Op::Reg(self.in_reg(value)?),
            _ => Op::Reg(self.in_reg(Opnd {
                ty: value.ty,
                op: value.op,
            })?),
        };
        let (m, i) = self.address(memarg, u32::from(bytes))?;
        let at = self.s.asm.len();
        match v {
            Op::Imm(x) => self.s.asm.store_imm_n(bytes, m, x as i32),
            Op::Reg(r) if value.ty.float() => self.s.asm.movs_store(bytes == 8, m, r),
            Op::Reg(r) => self.s.asm.store_n(bytes, m, r),
            _ => unreachable!(),
        }
        self.record_trap(at, Trap::MemoryOutOfBounds);
        self.release(false, i);
        if let Op::Reg(r) = v {
            self.release(value.ty.float(), r);
        }
        Ok(())
    }

    // ---- Globals ----

    /// The memory operand of global `index`'s value.
    fn global(&mut self, index: u32) -> (Mem, Ty) {
        let g = GlobalIndex::from_u32(index);
        let gt = self.module.globals[g];
        let ty = Ty::of(gt.content).unwrap_or(Ty::I64);
        match self.module.defined_global_index(g) {
            Some(d) => (Mem::base(R14, self.offsets.defined_global(d) as i32), ty),
            None => {
                self.s.asm.load(
                    true,
                    R11,
                    Mem::base(R14, self.offsets.imported_global(g) as i32),
                );
                (Mem::base(R11, 0), ty)
            }
        }
    }

    // ---- Integer operators ----

    fn fits32(ty: Ty, v: u64) -> Option<i32> {
        if ty.w() {
            i32::try_from(v as i64).ok()
        } else {
            Some(v as u32 as i32)
        }
    }

    fn int_binop(&mut self, ty: Ty, op: Alu, commutative: bool) -> Result<()> {
        let mut b = self.pop();
        let mut a = self.pop();
        if commutative && matches!(a.op, Op::Imm(_) | Op::Mem(_)) && matches!(b.op, Op::Reg(_)) {
            std::mem::swap(&mut a, &mut b);
        }
        let dst = self.in_reg(a)?;
        self.alu_operand(ty, op, dst, b)?;
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }

    /// `op dst, b` for any operand `b`; frees `b`.
    fn alu_operand(&mut self, ty: Ty, op: Alu, dst: Reg, b: Opnd) -> Result<()> {
        match b.op {
            Op::Imm(v) if Self::fits32(ty, v).is_some() => {
                self.s
                    .asm
                    .alu_ri(op, ty.w(), Rm::Reg(dst), Self::fits32(ty, v).unwrap_or(0));
            }
            Op::Mem(m) => match self.local_at(m) {
                // A local read through a free register, which then remembers
                // it: a second `local.get` of it (common in expressions)
                // reuses the register instead of reading the frame again,
                // which on this machine costs far more than the move.
                Some(i) if self.gpr_free != 0 => {
                    let r = self.alloc_gpr()?;
                    self.s.asm.load(ty.w(), r, m);
                    self.s.asm.alu(op, ty.w(), dst, Rm::Reg(r));
                    self.release(false, r);
                    self.gpr_local[r as usize] = i;
                }
                _ => self.s.asm.alu(op, ty.w(), dst, Rm::Mem(m)),
            },
            _ => {
                let r = self.in_reg(b)?;
                self.s.asm.alu(op, ty.w(), dst, Rm::Reg(r));
                self.release(false, r);
            }
        }
        Ok(())
    }

    /// The local at frame address `m`, if `m` is one's.
    fn local_at(&self, m: Mem) -> Option<u32> {
        if m.base != RBP || m.index.is_some() {
            return None;
        }
        // Locals are laid out at decreasing addresses.
        self.s.locals.binary_search_by(|l| m.disp.cmp(&l.disp)).ok().map(|i| i as u32)
    }

    fn compare(&mut self, ty: Ty, cc: Cond) -> Result<()> {
        let b = self.pop();
        let a = self.pop();
        let cc = match (a.op, b.op) {
            (Op::Mem(m), Op::Imm(v)) if Self::fits32(ty, v).is_some() => {
                self.s.asm.alu_ri(
                    Alu::Cmp,
                    ty.w(),
                    Rm::Mem(m),
                    Self::fits32(ty, v).unwrap_or(0),
                );
                cc
            }
            (Op::Imm(_) | Op::Mem(_), Op::Reg(r)) => {
                // b - a: the swapped condition.
                self.alu_operand(ty, Alu::Cmp, r, a)?;
                self.release(false, r);
                swap_cc(cc)
            }
            _ => {
                let r = self.in_reg(a)?;
                self.alu_operand(ty, Alu::Cmp, r, b)?;
                self.release(false, r);
                cc
            }
        };
        self.push(Ty::I32, Loc::Flags(cc));
        Ok(())
    }

    fn eqz(&mut self, ty: Ty) -> Result<()> {
        let a = self.pop();
        match a.op {
            Op::Flags(cc) => {
                self.push(Ty::I32, Loc::Flags(cc.invert()));
                return Ok(());
            }
            Op::Imm(v) => {
                let zero = if ty.w() { v == 0 } else { v as u32 == 0 };
                self.push(Ty::I32, Loc::Imm(u64::from(zero)));
                return Ok(());
            }
            Op::Mem(m) => self.s.asm.alu_ri(Alu::Cmp, ty.w(), Rm::Mem(m), 0),
            Op::Reg(r) => {
                self.s.asm.test_rr(ty.w(), r, r);
                self.release(false, r);
            }
        }
        self.push(Ty::I32, Loc::Flags(Cond::E));
        Ok(())
    }

    fn shift(&mut self, ty: Ty, op: Shift) -> Result<()> {
        let mask = if ty.w() { 63 } else { 31 };
        if let Some(Val {
            loc: Loc::Imm(c), ..
        }) = self.s.stack.last().copied()
        {
            self.pop();
            let a = self.pop();
            let r = self.in_reg(a)?;
            self.s.asm.shift_ri(op, ty.w(), r, (c & mask) as u8);
            self.push(ty, Loc::Reg(r));
            return Ok(());
        }
        self.take_gpr(RCX);
        let count = self.pop();
        self.load_into(count, RCX);
        // load_into released the count's own register if it had one; rcx
        // stays ours.
        self.gpr_free &= !(1 << RCX);
        let a = self.pop();
        let r = self.in_reg(a)?;
        self.s.asm.shift_cl(op, ty.w(), r);
        self.release(false, RCX);
        self.push(ty, Loc::Reg(r));
        Ok(())
    }

    fn div_rem(&mut self, ty: Ty, signed: bool, rem: bool) -> Result<()> {
        self.take_gpr(RAX);
        self.take_gpr(RDX);
        let b = self.pop();
        let d = self.in_reg(b)?;
        let a = self.pop();
        self.load_into(Opnd { ty, op: a.op }, RAX);
        self.gpr_free &= !(1 << RAX | 1 << RDX);
        let w = ty.w();
        self.s.asm.test_rr(w, d, d);
        self.trap_if(Cond::E, Trap::IntegerDivisionByZero);
        let done = self.s.asm.new_label();
        if signed {
            let normal = self.s.asm.new_label();
            self.s.asm.alu_ri(Alu::Cmp, w, Rm::Reg(d), -1);
            self.s.asm.jcc(Cond::Ne, normal);
            if rem {
                // x rem -1 = 0 (idiv would fault on INT_MIN).
                self.s.asm.mov_ri(false, RDX, 0);
                self.s.asm.jmp(done);
            } else {
                // INT_MIN / -1 overflows; everything else negates.
                self.s.asm.neg(w, RAX);
                self.trap_if(Cond::O, Trap::IntegerOverflow);
                self.s.asm.jmp(done);
            }
            self.s.asm.bind(normal);
            self.s.asm.sign_extend_rax(w);
        } else {
            self.s.asm.mov_ri(false, RDX, 0);
        }
        self.s.asm.div(w, signed, d);
        self.s.asm.bind(done);
        self.release(false, d);
        let (keep, other) = if rem { (RDX, RAX) } else { (RAX, RDX) };
        self.release(false, other);
        self.push(ty, Loc::Reg(keep));
        Ok(())
    }

    fn unop_in_place(&mut self, ty: Ty, f: impl FnOnce(&mut Asm, Reg)) -> Result<()> {
        let a = self.pop();
        let r = self.in_reg(a)?;
        f(&mut self.s.asm, r);
        self.push(ty, Loc::Reg(r));
        Ok(())
    }

    fn bit_count(&mut self, ty: Ty, kind: u8) -> Result<()> {
        let ok = match kind {
            0xbd => self.features.lzcnt,
            0xbc => self.features.bmi1,
            _ => self.features.popcnt,
        };
        if !ok {
            return unsupported("clz/ctz/popcnt without lzcnt/bmi1/popcnt");
        }
        let a = self.pop();
        let src = self.in_rm(a)?;
        let dst = match src {
            Rm::Reg(r) => r,
            Rm::Mem(_) => self.alloc_gpr()?,
        };
        self.s.asm.bit_count(kind, ty.w(), dst, src);
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }

    // ---- Float operators ----

    fn float_binop(&mut self, ty: Ty, opcode: u8) -> Result<()> {
        let b = self.pop();
        let a = self.pop();
        let dst = self.in_reg(a)?;
        let src = self.in_rm(b)?;
        self.s.asm.sse(Some(prefix(ty)), opcode, dst, src);
        if let Rm::Reg(r) = src {
            self.release(true, r);
        }
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }

    fn min_max(&mut self, ty: Ty, max: bool) -> Result<()> {
        let b = self.pop();
        let a = self.pop();
        let dst = self.in_reg(a)?;
        let src = self.in_reg(b)?;
        let (ne, nan, done) = (
            self.s.asm.new_label(),
            self.s.asm.new_label(),
            self.s.asm.new_label(),
        );
        let double = ty == Ty::F64;
        self.s
            .asm
            .sse(double.then_some(0x66), 0x2e, dst, Rm::Reg(src));
        self.s.asm.jcc(Cond::Ne, ne);
        self.s.asm.jcc(Cond::P, nan);
        // Equal: the sign bits decide between -0 and +0.
        self.s
            .asm
            .sse(None, if max { 0x54 } else { 0x56 }, dst, Rm::Reg(src));
        self.s.asm.jmp(done);
        self.s.asm.bind(nan);
        self.s.asm.sse(Some(prefix(ty)), 0x58, dst, Rm::Reg(src));
        self.s.asm.jmp(done);
        self.s.asm.bind(ne);
        self.s.asm.sse(
            Some(prefix(ty)),
            if max { 0x5f } else { 0x5d },
            dst,
            Rm::Reg(src),
        );
        self.s.asm.bind(done);
        self.release(true, src);
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }

    fn float_compare(&mut self, ty: Ty, cc: FCmp) -> Result<()> {
        let b = self.pop();
        let a = self.pop();
        let double = ty == Ty::F64;
        let (x, y) = match cc {
            FCmp::Lt | FCmp::Le => (b, a),
            _ => (a, b),
        };
        let xr = self.in_reg(x)?;
        let yr = self.in_rm(y)?;
        self.s.asm.sse(double.then_some(0x66), 0x2e, xr, yr);
        self.release(true, xr);
        if let Rm::Reg(r) = yr {
            self.release(true, r);
        }
        match cc {
            FCmp::Lt | FCmp::Gt => self.push(Ty::I32, Loc::Flags(Cond::A)),
            FCmp::Le | FCmp::Ge => self.push(Ty::I32, Loc::Flags(Cond::Ae)),
            FCmp::Eq | FCmp::Ne => {
                let r = self.alloc_gpr()?;
                let (c1, c2, op) = if cc == FCmp::Eq {
                    (Cond::E, Cond::Np, Alu::And)
                } else {
                    (Cond::Ne, Cond::P, Alu::Or)
                };
                self.s.asm.set01(c1, r);
                self.s.asm.set01(c2, R11);
                self.s.asm.alu(op, false, r, Rm::Reg(R11));
                self.push(Ty::I32, Loc::Reg(r));
            }
        }
        Ok(())
    }

    /// abs, neg, copysign: bit operations on the value in a GPR.
    fn float_bits(&mut self, ty: Ty, f: impl FnOnce(&mut Asm, bool)) -> Result<()> {
        let a = self.pop();
        let x = self.in_reg(a)?;
        let w = ty == Ty::F64;
        self.s.asm.movq_rx(w, R11, x);
        f(&mut self.s.asm, w);
        self.s.asm.movq_xr(w, x, R11);
        self.push(ty, Loc::Reg(x));
        Ok(())
    }

    fn copysign(&mut self, ty: Ty) -> Result<()> {
        let b = self.pop();
        let y = self.in_reg(b)?;
        let w = ty == Ty::F64;
        let bits = if w { 63 } else { 31 };
        self.s.asm.movq_rx(w, R10, y);
        self.release(true, y);
        self.s.asm.shift_ri(Shift::Shr, w, R10, bits);
        self.s.asm.shift_ri(Shift::Shl, w, R10, bits);
        self.float_bits(ty, |a, w| {
            a.shift_ri(Shift::Shl, w, R11, 1);
            a.shift_ri(Shift::Shr, w, R11, 1);
            a.alu(Alu::Or, w, R11, Rm::Reg(R10));
        })
    }

    fn round(&mut self, ty: Ty, mode: u8) -> Result<()> {
        let a = self.pop();
        let x = self.in_reg(a)?;
        self.s.asm.rounds(ty == Ty::F64, x, x, mode);
        self.push(ty, Loc::Reg(x));
        Ok(())
    }

    /// Float-to-float or int-to-float conversions with one SSE form.
    fn convert(&mut self, from: Ty, to: Ty, f: impl FnOnce(&mut Asm, Reg, Reg)) -> Result<()> {
        let a = self.pop();
        let src = self.in_reg(a)?;
        let dst = self.alloc(to)?;
        f(&mut self.s.asm, dst, src);
        self.release(from.float(), src);
        self.push(to, Loc::Reg(dst));
        Ok(())
    }

    fn convert_u64(&mut self, to: Ty) -> Result<()> {
        let a = self.pop();
        let src = self.in_reg(a)?;
        let dst = self.alloc_xmm()?;
        let double = to == Ty::F64;
        let (big, done) = (self.s.asm.new_label(), self.s.asm.new_label());
        self.s.asm.test_rr(true, src, src);
        self.s.asm.jcc(Cond::S, big);
        self.s.asm.cvtsi2s(double, true, dst, src);
        self.s.asm.jmp(done);
        self.s.asm.bind(big);
        // Halve (keeping the low bit for rounding), convert, double.
        self.s.asm.mov_rr(true, R11, src);
        self.s.asm.shift_ri(Shift::Shr, true, R11, 1);
        self.s.asm.alu_ri(Alu::And, true, Rm::Reg(src), 1);
        self.s.asm.alu(Alu::Or, true, R11, Rm::Reg(src));
        self.s.asm.cvtsi2s(double, true, dst, R11);
        self.s.asm.sse(Some(prefix(to)), 0x58, dst, Rm::Reg(dst));
        self.s.asm.bind(done);
        self.release(false, src);
        self.push(to, Loc::Reg(dst));
        Ok(())
    }

    fn float_const(&mut self, ty: Ty, value: f64, into: Reg) {
        let bits = if ty == Ty::F64 {
            value.to_bits()
        } else {
            u64::from((value as f32).to_bits())
        };
        self.s.asm.mov_ri(true, R11, bits);
        self.s.asm.movq_xr(ty == Ty::F64, into, R11);
    }

    /// Trapping float-to-int truncation.
    fn trunc(&mut self, from: Ty, to: Ty, signed: bool) -> Result<()> {
        let a = self.pop();
        let x = self.in_reg(a)?;
        let r = self.alloc_gpr()?;
        let double = from == Ty::F64;
        let ucomis =
            |asm: &mut Asm, a: Reg, b: Reg| asm.sse(double.then_some(0x66), 0x2e, a, Rm::Reg(b));
        ucomis(&mut self.s.asm, x, x);
        self.trap_if(Cond::P, Trap::BadConversionToInteger);
        let done = self.s.asm.new_label();
        match (to, signed) {
            (_, true) => {
                let w = to == Ty::I64;
                self.s.asm.cvtts2si(double, w, r, x);
                // INT_MIN is the CPU's "invalid" result: check the input.
                self.s.asm.alu_ri(Alu::Cmp, w, Rm::Reg(r), 1);
                self.s.asm.jcc(Cond::No, done);
                let (lo, strict) = if w {
                    (-9_223_372_036_854_775_808.0, false)
                } else if double {
                    (-2_147_483_649.0, true)
                } else {
                    (-2_147_483_648.0, false)
                };
                self.float_const(from, lo, XMM_SCRATCH);
                ucomis(&mut self.s.asm, x, XMM_SCRATCH);
                self.trap_if(
                    if strict { Cond::Be } else { Cond::B },
                    Trap::IntegerOverflow,
                );
                self.s
                    .asm
                    .sse(None, 0x57, XMM_SCRATCH, Rm::Reg(XMM_SCRATCH));
                ucomis(&mut self.s.asm, x, XMM_SCRATCH);
                self.trap_if(Cond::Ae, Trap::IntegerOverflow);
            }
            (Ty::I32, false) => {
                self.s.asm.cvtts2si(double, true, r, x);
                self.s.asm.mov_rr(true, R11, r);
                self.s.asm.shift_ri(Shift::Shr, true, R11, 32);
                self.trap_if(Cond::Ne, Trap::IntegerOverflow);
            }
            _ => {
                let big = self.s.asm.new_label();
                self.float_const(from, 9_223_372_036_854_775_808.0, XMM_SCRATCH);
                ucomis(&mut self.s.asm, x, XMM_SCRATCH);
                self.s.asm.jcc(Cond::Ae, big);
                self.s.asm.cvtts2si(double, true, r, x);
                self.s.asm.test_rr(true, r, r);
                self.trap_if(Cond::S, Trap::IntegerOverflow);
                self.s.asm.jmp(done);
                self.s.asm.bind(big);
                self.s.asm.movaps(XMM_SCRATCH2, x);
                self.s
                    .asm
                    .sse(Some(prefix(from)), 0x5c, XMM_SCRATCH2, Rm::Reg(XMM_SCRATCH));
                self.s.asm.cvtts2si(double, true, r, XMM_SCRATCH2);
                self.s.asm.test_rr(true, r, r);
                self.trap_if(Cond::S, Trap::IntegerOverflow);
                self.s.asm.mov_ri(true, R11, 1 << 63);
                self.s.asm.alu(Alu::Xor, true, r, Rm::Reg(R11));
            }
        }
        self.s.asm.bind(done);
        self.release(true, x);
        self.push(to, Loc::Reg(r));
        Ok(())
    }

    /// Saturating float-to-int truncation: NaN gives 0, out-of-range
    /// values the nearest bound.
    fn trunc_sat(&mut self, from: Ty, to: Ty, signed: bool) -> Result<()> {
        let a = self.pop();
        let x = self.in_reg(a)?;
        let r = self.alloc_gpr()?;
        let double = from == Ty::F64;
        let w = to == Ty::I64;
        let ucomis =
            |asm: &mut Asm, a: Reg, b: Reg| asm.sse(double.then_some(0x66), 0x2e, a, Rm::Reg(b));
        let (zero, done) = (self.s.asm.new_label(), self.s.asm.new_label());
        ucomis(&mut self.s.asm, x, x);
        self.s.asm.jcc(Cond::P, zero);
        if signed {
            self.s.asm.cvtts2si(double, w, r, x);
            // INT_MIN is the CPU's "invalid" result: positive inputs
            // saturate to INT_MAX, negative ones keep INT_MIN.
            self.s.asm.alu_ri(Alu::Cmp, w, Rm::Reg(r), 1);
            self.s.asm.jcc(Cond::No, done);
            self.s
                .asm
                .sse(None, 0x57, XMM_SCRATCH, Rm::Reg(XMM_SCRATCH));
            ucomis(&mut self.s.asm, x, XMM_SCRATCH);
            self.s.asm.jcc(Cond::B, done);
            self.s.asm.mov_ri(
                w,
                r,
                if w {
                    i64::MAX as u64
                } else {
                    u64::from(i32::MAX as u32)
                },
            );
            self.s.asm.jmp(done);
        } else if !w {
            let sign = self.s.asm.new_label();
            self.s.asm.cvtts2si(double, true, r, x);
            self.s.asm.test_rr(true, r, r);
            self.s.asm.jcc(Cond::S, sign);
            self.s.asm.mov_ri(false, R11, u64::from(u32::MAX));
            self.s.asm.alu(Alu::Cmp, true, r, Rm::Reg(R11));
            self.s.asm.jcc(Cond::Be, done);
            self.s.asm.mov_rr(false, r, R11);
            self.s.asm.jmp(done);
            self.s.asm.bind(sign);
            self.s
                .asm
                .sse(None, 0x57, XMM_SCRATCH, Rm::Reg(XMM_SCRATCH));
            ucomis(&mut self.s.asm, x, XMM_SCRATCH);
            self.s.asm.jcc(Cond::B, zero);
            self.s.asm.mov_ri(false, r, u64::from(u32::MAX));
            self.s.asm.jmp(done);
        } else {
            let (big, max) = (self.s.asm.new_label(), self.s.asm.new_label());
            self.s
                .asm
                .sse(None, 0x57, XMM_SCRATCH, Rm::Reg(XMM_SCRATCH));
            ucomis(&mut self.s.asm, x, XMM_SCRATCH);
            self.s.asm.jcc(Cond::Be, zero);
            self.float_const(from, 9_223_372_036_854_775_808.0, XMM_SCRATCH);
            ucomis(&mut self.s.asm, x, XMM_SCRATCH);
            self.s.asm.jcc(Cond::Ae, big);
            self.s.asm.cvtts2si(double, true, r, x);
            self.s.asm.jmp(done);
            self.s.asm.bind(big);
            self.s.asm.movaps(XMM_SCRATCH2, x);
            self.s
                .asm
                .sse(Some(prefix(from)), 0x5c, XMM_SCRATCH2, Rm::Reg(XMM_SCRATCH));
            self.s.asm.cvtts2si(double, true, r, XMM_SCRATCH2);
            self.s.asm.test_rr(true, r, r);
            self.s.asm.jcc(Cond::S, max);
            self.s.asm.mov_ri(true, R11, 1 << 63);
            self.s.asm.alu(Alu::Xor, true, r, Rm::Reg(R11));
            self.s.asm.jmp(done);
            self.s.asm.bind(max);
            self.s.asm.mov_ri(true, r, u64::MAX);
            self.s.asm.jmp(done);
        }
        self.s.asm.bind(zero);
        self.s.asm.mov_ri(false, r, 0);
        self.s.asm.bind(done);
        self.release(true, x);
        self.push(to, Loc::Reg(r));
        Ok(())
    }

    // ---- select ----

    fn select(&mut self) -> Result<()> {
        let cond = self.pop();
        let b = self.pop();
        let a = self.pop();
        if let Op::Imm(c) = cond.op {
            let (keep, drop) = if c as u32 != 0 { (a, b) } else { (b, a) };
            self.free(drop);
            let r = self.in_reg(keep)?;
            self.push(keep.ty, Loc::Reg(r));
            return Ok(());
        }
        let ty = a.ty;
        // Registers for the values first: moves keep the flags.
        let dst = self.in_reg(a)?;
        let src = if ty.float() {
            Rm::Reg(self.in_reg(b)?)
        } else {
            self.in_rm(b)?
        };
        let cc = match cond.op {
            Op::Flags(cc) => cc,
            Op::Reg(r) => {
                self.s.asm.test_rr(false, r, r);
                self.release(false, r);
                Cond::Ne
            }
            Op::Mem(m) => {
                self.s.asm.alu_ri(Alu::Cmp, false, Rm::Mem(m), 0);
                Cond::Ne
            }
            Op::Imm(_) => unreachable!(),
        };
        if ty.float() {
            let skip = self.s.asm.new_label();
            self.s.asm.jcc(cc, skip);
            if let Rm::Reg(s) = src {
                self.s.asm.movaps(dst, s);
            }
            self.s.asm.bind(skip);
        } else {
            self.s.asm.cmov(cc.invert(), ty.w(), dst, src);
        }
        if let Rm::Reg(s) = src {
            self.release(ty.float(), s);
        }
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }

    // ---- Locals ----

    fn local_set(&mut self, i: u32, tee: bool) -> Result<()> {
        let v = self.pop();
        if self.s.local_refs[i as usize] > 0 {
            self.stabilize_all();
        }
        let ty = self.s.locals[i as usize].ty;
        let m = self.local_mem(i);
        for tag in &mut self.gpr_local {
            if *tag == i {
                *tag = NO_OWNER;
            }
        }
        let v = match v.op {
            Op::Flags(_) => Opnd {
                ty,
                op: Op::Reg(self.in_reg(v)?),
            },
            _ => v,
        };
        match v.op {
            Op::Reg(r) => {
                self.store_reg(ty, m, r);
                if tee {
                    self.push(ty, Loc::Reg(r));
                } else {
                    self.release(ty.float(), r);
                    if !ty.float() {
                        self.gpr_local[r as usize] = i;
                    }
                }
            }
            Op::Imm(x) => {
                self.store_imm(ty, m, x);
                if tee {
                    self.push(ty, Loc::Imm(x));
                }
            }
            Op::Mem(src) => {
                if src != m {
                    self.copy_mem(ty, m, src);
                }
                if tee {
                    self.push(ty, Loc::Local(i));
                }
            }
            Op::Flags(_) => unreachable!(),
        }
        Ok(())
    }

    // ---- The operators ----

    fn operator(&mut self, op: &Operator<'_>) -> Result<()> {
        use Operator as O;
        if matches!(
            self.s.stack.last(),
            Some(Val {
                loc: Loc::Flags(_),
                ..
            })
        ) && !matches!(
            op,
            O::BrIf { .. } | O::If { .. } | O::Select | O::TypedSelect { .. } | O::I32Eqz
        ) {
            self.materialize_flags()?;
        }
        match *op {
            O::Nop => {}
            O::Unreachable => {
                let l = self.trap_label(Trap::UnreachableCodeReached);
                self.s.asm.jmp(l);
                self.set_unreachable();
            }
            O::Block { blockty } => self.enter(Kind::Block, blockty)?,
            O::Loop { blockty } => {
                self.enter(Kind::Loop, blockty)?;
                let l = self.s.control.last().expect("just pushed").label;
                self.s.asm.bind(l);
                self.forget_locals();
                if self.fuel || self.epochs {
                    self.budget_checks();
                }
                self.count_for_tier_up(Some(self.loops_seen - 1));
            }
            O::If { blockty } => {
                let cond = self.pop();
                self.enter(Kind::If, blockty)?;
                let else_label = self.s.asm.new_label();
                self.s.control.last_mut().expect("just pushed").else_label = Some(else_label);
                self.branch_on(cond, false, else_label)?;
            }
            O::Else => self.else_()?,
            O::End => self.end()?,
            O::Br { relative_depth } => {
                self.branch(relative_depth);
                self.set_unreachable();
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let f = self.s.control.len() - 1 - relative_depth as usize;
                let n = self.s.control[f].branch_types().len();
                let base = self.s.control[f].height;
                let len = self.s.stack.len();
                // Nothing to move: branch straight to the label.
                let in_place = self.s.control[f].kind != Kind::Func
                    && (n == 0
                        || (len - n == base
                            && self.s.stack[base..].iter().all(|v| v.loc == Loc::Slot)));
                if in_place {
                    self.s.control[f].used = true;
                    let l = self.s.control[f].label;
                    self.branch_on(cond, true, l)?;
                } else {
                    let skip = self.s.asm.new_label();
                    self.branch_on(cond, false, skip)?;
                    self.branch(relative_depth);
                    self.s.asm.bind(skip);
                }
            }
            O::BrTable { ref targets } => self.br_table(targets)?,
            O::Return => {
                self.emit_return();
                self.set_unreachable();
            }
            O::Call { function_index } => self.call_direct(function_index)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index)?,
            O::Drop => {
                let o = self.pop();
                self.free(o);
            }
            O::Select | O::TypedSelect { .. } => self.select()?,

            O::LocalGet { local_index } => {
                let ty = self.s.locals[local_index as usize].ty;
                self.push(ty, Loc::Local(local_index));
            }
            O::LocalSet { local_index } => self.local_set(local_index, false)?,
            O::LocalTee { local_index } => self.local_set(local_index, true)?,
            O::GlobalGet { global_index } => {
                let ty = Ty::of(self.module.globals[GlobalIndex::from_u32(global_index)].content)?;
                // Allocate before `global` loads r11.
                let r = self.alloc(ty)?;
                let (m, _) = self.global(global_index);
                self.load_into(Opnd { ty, op: Op::Mem(m) }, r);
                self.push(ty, Loc::Reg(r));
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let r = self.in_reg(v)?;
                let (m, ty) = self.global(global_index);
                self.store_reg(ty, m, r);
                self.release(ty.float(), r);
            }

            O::I32Load { memarg } => self.load(&memarg, Ty::I32, 4, false)?,
            O::I64Load { memarg } => self.load(&memarg, Ty::I64, 8, false)?,
            O::F32Load { memarg } => self.load(&memarg, Ty::F32, 4, false)?,
            O::F64Load { memarg } => self.load(&memarg, Ty::F64, 8, false)?,
            O::I32Load8S { memarg } => self.load(&memarg, Ty::I32, 1, true)?,
            O::I32Load8U { memarg } => self.load(&memarg, Ty::I32, 1, false)?,
            O::I32Load16S { memarg } => self.load(&memarg, Ty::I32, 2, true)?,
            O::I32Load16U { memarg } => self.load(&memarg, Ty::I32, 2, false)?,
            O::I64Load8S { memarg } => self.load(&memarg, Ty::I64, 1, true)?,
            O::I64Load8U { memarg } => self.load(&memarg, Ty::I64, 1, false)?,
            O::I64Load16S { memarg } => self.load(&memarg, Ty::I64, 2, true)?,
            O::I64Load16U { memarg } => self.load(&memarg, Ty::I64, 2, false)?,
            O::I64Load32S { memarg } => self.load(&memarg, Ty::I64, 4, true)?,
            O::I64Load32U { memarg } => self.load(&memarg, Ty::I64, 4, false)?,
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => {
                self.store(&memarg, 4)?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(&memarg, 8)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(&memarg, 1)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(&memarg, 2)?,
            O::MemorySize { mem } => {
                let r = self.alloc_gpr()?;
                let (def, off) = self.memory_def(mem)?;
                self.s.asm.load(
                    true,
                    r,
                    Mem::base(def, off + memory_def::CURRENT_LENGTH as i32),
                );
                self.s.asm.shift_ri(Shift::Shr, true, r, 16);
                self.push(Ty::I32, Loc::Reg(r));
            }
            O::MemoryGrow { mem } => {
                self.memory_def(mem)?;
                let args = self.builtin_args(1, false);
                self.call_builtin(BuiltinFunction::MemoryGrow, &[args[0], Self::imm_i32(mem)]);
                self.grow_result();
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                self.memory_def(dst_mem)?;
                self.memory_def(src_mem)?;
                let a = self.builtin_args(3, true);
                let args = [
                    Self::imm_i32(dst_mem),
                    a[0],
                    Self::imm_i32(src_mem),
                    a[1],
                    a[2],
                ];
                self.checked_builtin(BuiltinFunction::MemoryCopy, &args, Trap::MemoryOutOfBounds);
            }
            O::MemoryFill { mem } => {
                self.memory_def(mem)?;
                self.bulk(BuiltinFunction::MemoryFill, &[mem], Trap::MemoryOutOfBounds);
            }
            O::MemoryInit { data_index, mem } => {
                self.memory_def(mem)?;
                self.bulk(BuiltinFunction::MemoryInit, &[mem, data_index], Trap::MemoryOutOfBounds);
            }
            O::DataDrop { data_index } => {
                self.stabilize_all();
                self.call_builtin(BuiltinFunction::DataDrop, &[Self::imm_i32(data_index)]);
                self.release(false, RAX);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                self.bulk(BuiltinFunction::TableCopy, &[dst_table, src_table], Trap::TableOutOfBounds);
            }
            O::TableInit { elem_index, table } => {
                self.bulk(BuiltinFunction::TableInit, &[table, elem_index], Trap::TableOutOfBounds);
            }
            O::ElemDrop { elem_index } => {
                self.stabilize_all();
                self.call_builtin(BuiltinFunction::ElemDrop, &[Self::imm_i32(elem_index)]);
                self.release(false, RAX);
            }
            O::TableGrow { table } => {
                let a = self.builtin_args(2, true);
                self.call_builtin(
                    BuiltinFunction::TableGrow,
                    &[Self::imm_i32(table), a[1], a[0]],
                );
                self.grow_result();
            }
            O::TableFill { table } => {
                self.bulk(BuiltinFunction::TableFill, &[table], Trap::TableOutOfBounds);
            }
            O::TableGet { table } => {
                self.table_element(table)?;
                let r = self.alloc_gpr()?;
                self.s.asm.load(true, r, Mem::base(R10, 0));
                self.push(Ty::Ref, Loc::Reg(r));
            }
            O::TableSet { table } => {
                let v = self.pop();
                let r = self.in_reg(v)?;
                self.table_element(table)?;
                self.s.asm.store(true, Mem::base(R10, 0), r);
                self.release(false, r);
            }
            O::TableSize { table } => {
                let r = self.alloc_gpr()?;
                let (base, off) = self.table_def(table);
                self.s.asm.load(
                    false,
                    r,
                    Mem::base(base, off + table_def::CURRENT_ELEMENTS as i32),
                );
                self.push(Ty::I32, Loc::Reg(r));
            }
            O::RefNull { .. } => self.push(Ty::Ref, Loc::Imm(0)),
            O::RefIsNull => self.eqz(Ty::Ref)?,
            O::RefFunc { function_index } => {
                let r = self.alloc_gpr()?;
                let at = self.offsets.func_ref(FuncIndex::from_u32(function_index)) as i32;
                self.s.asm.lea(r, Mem::base(R14, at));
                self.push(Ty::Ref, Loc::Reg(r));
            }

            O::I32Const { value } => self.push(Ty::I32, Loc::Imm(u64::from(value as u32))),
            O::I64Const { value } => self.push(Ty::I64, Loc::Imm(value as u64)),
            O::F32Const { value } => self.push(Ty::F32, Loc::Imm(u64::from(value.bits()))),
            O::F64Const { value } => self.push(Ty::F64, Loc::Imm(value.bits())),

            O::I32Eqz => self.eqz(Ty::I32)?,
            O::I64Eqz => self.eqz(Ty::I64)?,
            O::I32Eq => self.compare(Ty::I32, Cond::E)?,
            O::I32Ne => self.compare(Ty::I32, Cond::Ne)?,
            O::I32LtS => self.compare(Ty::I32, Cond::L)?,
            O::I32LtU => self.compare(Ty::I32, Cond::B)?,
            O::I32GtS => self.compare(Ty::I32, Cond::G)?,
            O::I32GtU => self.compare(Ty::I32, Cond::A)?,
            O::I32LeS => self.compare(Ty::I32, Cond::Le)?,
            O::I32LeU => self.compare(Ty::I32, Cond::Be)?,
            O::I32GeS => self.compare(Ty::I32, Cond::Ge)?,
            O::I32GeU => self.compare(Ty::I32, Cond::Ae)?,
            O::I64Eq => self.compare(Ty::I64, Cond::E)?,
            O::I64Ne => self.compare(Ty::I64, Cond::Ne)?,
            O::I64LtS => self.compare(Ty::I64, Cond::L)?,
            O::I64LtU => self.compare(Ty::I64, Cond::B)?,
            O::I64GtS => self.compare(Ty::I64, Cond::G)?,
            O::I64GtU => self.compare(Ty::I64, Cond::A)?,
            O::I64LeS => self.compare(Ty::I64, Cond::Le)?,
            O::I64LeU => self.compare(Ty::I64, Cond::Be)?,
            O::I64GeS => self.compare(Ty::I64, Cond::Ge)?,
            O::I64GeU => self.compare(Ty::I64, Cond::Ae)?,

            O::I32Add => self.int_binop(Ty::I32, Alu::Add, true)?,
            O::I32Sub => self.int_binop(Ty::I32, Alu::Sub, false)?,
            O::I32And => self.int_binop(Ty::I32, Alu::And, true)?,
            O::I32Or => self.int_binop(Ty::I32, Alu::Or, true)?,
            O::I32Xor => self.int_binop(Ty::I32, Alu::Xor, true)?,
            O::I64Add => self.int_binop(Ty::I64, Alu::Add, true)?,
            O::I64Sub => self.int_binop(Ty::I64, Alu::Sub, false)?,
            O::I64And => self.int_binop(Ty::I64, Alu::And, true)?,
            O::I64Or => self.int_binop(Ty::I64, Alu::Or, true)?,
            O::I64Xor => self.int_binop(Ty::I64, Alu::Xor, true)?,
            O::I32Mul => self.mul(Ty::I32)?,
            O::I64Mul => self.mul(Ty::I64)?,
            O::I32DivS => self.div_rem(Ty::I32, true, false)?,
            O::I32DivU => self.div_rem(Ty::I32, false, false)?,
            O::I32RemS => self.div_rem(Ty::I32, true, true)?,
            O::I32RemU => self.div_rem(Ty::I32, false, true)?,
            O::I64DivS => self.div_rem(Ty::I64, true, false)?,
            O::I64DivU => self.div_rem(Ty::I64, false, false)?,
            O::I64RemS => self.div_rem(Ty::I64, true, true)?,
            O::I64RemU => self.div_rem(Ty::I64, false, true)?,
            O::I32Shl => self.shift(Ty::I32, Shift::Shl)?,
            O::I32ShrS => self.shift(Ty::I32, Shift::Sar)?,
            O::I32ShrU => self.shift(Ty::I32, Shift::Shr)?,
            O::I32Rotl => self.shift(Ty::I32, Shift::Rol)?,
            O::I32Rotr => self.shift(Ty::I32, Shift::Ror)?,
            O::I64Shl => self.shift(Ty::I64, Shift::Shl)?,
            O::I64ShrS => self.shift(Ty::I64, Shift::Sar)?,
            O::I64ShrU => self.shift(Ty::I64, Shift::Shr)?,
            O::I64Rotl => self.shift(Ty::I64, Shift::Rol)?,
            O::I64Rotr => self.shift(Ty::I64, Shift::Ror)?,
            O::I32Clz => self.bit_count(Ty::I32, 0xbd)?,
            O::I32Ctz => self.bit_count(Ty::I32, 0xbc)?,
            O::I32Popcnt => self.bit_count(Ty::I32, 0xb8)?,
            O::I64Clz => self.bit_count(Ty::I64, 0xbd)?,
            O::I64Ctz => self.bit_count(Ty::I64, 0xbc)?,
            O::I64Popcnt => self.bit_count(Ty::I64, 0xb8)?,
            O::I32Extend8S => {
                self.unop_in_place(Ty::I32, |a, r| a.extend_rr(1, true, false, r, r))?
            }
            O::I32Extend16S => {
                self.unop_in_place(Ty::I32, |a, r| a.extend_rr(2, true, false, r, r))?
            }
            O::I64Extend8S => {
                self.unop_in_place(Ty::I64, |a, r| a.extend_rr(1, true, true, r, r))?
            }
            O::I64Extend16S => {
                self.unop_in_place(Ty::I64, |a, r| a.extend_rr(2, true, true, r, r))?
            }
            O::I64Extend32S | O::I64ExtendI32S => {
                self.unop_in_place(Ty::I64, |a, r| a.extend_rr(4, true, true, r, r))?
            }
            O::I32WrapI64 => self.unop_in_place(Ty::I32, |a, r| a.mov_rr(false, r, r))?,
            O::I64ExtendI32U => {
                // i32 registers, slots and locals are read zero-extended.
                let a = self.pop();
                match a.op {
                    Op::Imm(v) => self.push(Ty::I64, Loc::Imm(v & 0xffff_ffff)),
                    _ => {
                        let r = self.in_reg(Opnd {
                            ty: Ty::I32,
                            op: a.op,
                        })?;
                        self.push(Ty::I64, Loc::Reg(r));
                    }
                }
            }

            O::F32Add => self.float_binop(Ty::F32, 0x58)?,
            O::F32Sub => self.float_binop(Ty::F32, 0x5c)?,
            O::F32Mul => self.float_binop(Ty::F32, 0x59)?,
            O::F32Div => self.float_binop(Ty::F32, 0x5e)?,
            O::F64Add => self.float_binop(Ty::F64, 0x58)?,
            O::F64Sub => self.float_binop(Ty::F64, 0x5c)?,
            O::F64Mul => self.float_binop(Ty::F64, 0x59)?,
            O::F64Div => self.float_binop(Ty::F64, 0x5e)?,
            O::F32Min => self.min_max(Ty::F32, false)?,
            O::F32Max => self.min_max(Ty::F32, true)?,
            O::F64Min => self.min_max(Ty::F64, false)?,
            O::F64Max => self.min_max(Ty::F64, true)?,
            O::F32Sqrt => {
                self.unop_in_place(Ty::F32, |a, r| a.sse(Some(0xf3), 0x51, r, Rm::Reg(r)))?
            }
            O::F64Sqrt => {
                self.unop_in_place(Ty::F64, |a, r| a.sse(Some(0xf2), 0x51, r, Rm::Reg(r)))?
            }
            O::F32Ceil => self.round(Ty::F32, 10)?,
            O::F32Floor => self.round(Ty::F32, 9)?,
            O::F32Trunc => self.round(Ty::F32, 11)?,
            O::F32Nearest => self.round(Ty::F32, 8)?,
            O::F64Ceil => self.round(Ty::F64, 10)?,
            O::F64Floor => self.round(Ty::F64, 9)?,
            O::F64Trunc => self.round(Ty::F64, 11)?,
            O::F64Nearest => self.round(Ty::F64, 8)?,
            O::F32Abs | O::F64Abs => {
                let ty = if matches!(op, O::F32Abs) {
                    Ty::F32
                } else {
                    Ty::F64
                };
                self.float_bits(ty, |a, w| {
                    a.shift_ri(Shift::Shl, w, R11, 1);
                    a.shift_ri(Shift::Shr, w, R11, 1);
                })?
            }
            O::F32Neg | O::F64Neg => {
                let ty = if matches!(op, O::F32Neg) {
                    Ty::F32
                } else {
                    Ty::F64
                };
                self.float_bits(ty, |a, w| {
                    a.mov_ri(true, R10, if w { 1 << 63 } else { 1 << 31 });
                    a.alu(Alu::Xor, true, R11, Rm::Reg(R10));
                })?
            }
            O::F32Copysign => self.copysign(Ty::F32)?,
            O::F64Copysign => self.copysign(Ty::F64)?,
            O::F32Eq => self.float_compare(Ty::F32, FCmp::Eq)?,
            O::F32Ne => self.float_compare(Ty::F32, FCmp::Ne)?,
            O::F32Lt => self.float_compare(Ty::F32, FCmp::Lt)?,
            O::F32Gt => self.float_compare(Ty::F32, FCmp::Gt)?,
            O::F32Le => self.float_compare(Ty::F32, FCmp::Le)?,
            O::F32Ge => self.float_compare(Ty::F32, FCmp::Ge)?,
            O::F64Eq => self.float_compare(Ty::F64, FCmp::Eq)?,
            O::F64Ne => self.float_compare(Ty::F64, FCmp::Ne)?,
            O::F64Lt => self.float_compare(Ty::F64, FCmp::Lt)?,
            O::F64Gt => self.float_compare(Ty::F64, FCmp::Gt)?,
            O::F64Le => self.float_compare(Ty::F64, FCmp::Le)?,
            O::F64Ge => self.float_compare(Ty::F64, FCmp::Ge)?,

            O::F32DemoteF64 => self.convert(Ty::F64, Ty::F32, |a, d, s| {
                a.sse(Some(0xf2), 0x5a, d, Rm::Reg(s))
            })?,
            O::F64PromoteF32 => self.convert(Ty::F32, Ty::F64, |a, d, s| {
                a.sse(Some(0xf3), 0x5a, d, Rm::Reg(s))
            })?,
            O::F32ConvertI32S => {
                self.convert(Ty::I32, Ty::F32, |a, d, s| a.cvtsi2s(false, false, d, s))?
            }
            O::F64ConvertI32S => {
                self.convert(Ty::I32, Ty::F64, |a, d, s| a.cvtsi2s(true, false, d, s))?
            }
            O::F32ConvertI64S => {
                self.convert(Ty::I64, Ty::F32, |a, d, s| a.cvtsi2s(false, true, d, s))?
            }
            O::F64ConvertI64S => {
                self.convert(Ty::I64, Ty::F64, |a, d, s| a.cvtsi2s(true, true, d, s))?
            }
            // Zero-extended i32: a non-negative i64.
            O::F32ConvertI32U => {
                self.convert(Ty::I32, Ty::F32, |a, d, s| a.cvtsi2s(false, true, d, s))?
            }
            O::F64ConvertI32U => {
                self.convert(Ty::I32, Ty::F64, |a, d, s| a.cvtsi2s(true, true, d, s))?
            }
            O::F32ConvertI64U => self.convert_u64(Ty::F32)?,
            O::F64ConvertI64U => self.convert_u64(Ty::F64)?,
            O::I32ReinterpretF32 => {
                self.convert(Ty::F32, Ty::I32, |a, d, s| a.movq_rx(false, d, s))?
            }
            O::I64ReinterpretF64 => {
                self.convert(Ty::F64, Ty::I64, |a, d, s| a.movq_rx(true, d, s))?
            }
            O::F32ReinterpretI32 => {
                self.convert(Ty::I32, Ty::F32, |a, d, s| a.movq_xr(false, d, s))?
            }
            O::F64ReinterpretI64 => {
                self.convert(Ty::I64, Ty::F64, |a, d, s| a.movq_xr(true, d, s))?
            }
            O::I32TruncF32S => self.trunc(Ty::F32, Ty::I32, true)?,
            O::I32TruncF32U => self.trunc(Ty::F32, Ty::I32, false)?,
            O::I32TruncF64S => self.trunc(Ty::F64, Ty::I32, true)?,
            O::I32TruncF64U => self.trunc(Ty::F64, Ty::I32, false)?,
            O::I64TruncF32S => self.trunc(Ty::F32, Ty::I64, true)?,
            O::I64TruncF32U => self.trunc(Ty::F32, Ty::I64, false)?,
            O::I64TruncF64S => self.trunc(Ty::F64, Ty::I64, true)?,
            O::I64TruncF64U => self.trunc(Ty::F64, Ty::I64, false)?,
            O::I32TruncSatF32S => self.trunc_sat(Ty::F32, Ty::I32, true)?,
            O::I32TruncSatF32U => self.trunc_sat(Ty::F32, Ty::I32, false)?,
            O::I32TruncSatF64S => self.trunc_sat(Ty::F64, Ty::I32, true)?,
            O::I32TruncSatF64U => self.trunc_sat(Ty::F64, Ty::I32, false)?,
            O::I64TruncSatF32S => self.trunc_sat(Ty::F32, Ty::I64, true)?,
            O::I64TruncSatF32U => self.trunc_sat(Ty::F32, Ty::I64, false)?,
            O::I64TruncSatF64S => self.trunc_sat(Ty::F64, Ty::I64, true)?,
            O::I64TruncSatF64U => self.trunc_sat(Ty::F64, Ty::I64, false)?,

            _ => {
                if !self.simd_operator(op)? {
                    return unsupported(format!("{op:?}"));
                }
            }
        }
        Ok(())
    }

    fn mul(&mut self, ty: Ty) -> Result<()> {
        let mut b = self.pop();
        let mut a = self.pop();
        if matches!(a.op, Op::Imm(_) | Op::Mem(_)) && matches!(b.op, Op::Reg(_)) {
            std::mem::swap(&mut a, &mut b);
        }
        if let Op::Imm(v) = b.op
            && let Some(imm) = Self::fits32(ty, v)
        {
            let src = self.in_rm(a)?;
            let dst = match src {
                Rm::Reg(r) => r,
                Rm::Mem(_) => self.alloc_gpr()?,
            };
            self.s.asm.imul_ri(ty.w(), dst, src, imm);
            self.push(ty, Loc::Reg(dst));
            return Ok(());
        }
        let dst = self.in_reg(a)?;
        let src = self.in_rm(b)?;
        self.s.asm.imul(ty.w(), dst, src);
        if let Rm::Reg(r) = src {
            self.release(false, r);
        }
        self.push(ty, Loc::Reg(dst));
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FCmp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The SSE scalar prefix of a float type.
fn prefix(ty: Ty) -> u8 {
    if ty == Ty::F64 { 0xf2 } else { 0xf3 }
}

/// The condition for `b ? a` given the one for `a ? b`.
fn swap_cc(cc: Cond) -> Cond {
    match cc {
        Cond::L => Cond::G,
        Cond::G => Cond::L,
        Cond::Le => Cond::Ge,
        Cond::Ge => Cond::Le,
        Cond::B => Cond::A,
        Cond::A => Cond::B,
        Cond::Be => Cond::Ae,
        Cond::Ae => Cond::Be,
        other => other,
    }
}
