//! The interface between the runtime and a compiling tier.

use crate::{DefinedFuncIndex, FuncIndex, FuncType, ModuleTranslation, Trap, Tunables, WasmResult};

/// Optimization level of the optimizing tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OptLevel {
    /// No optimizations: fastest compilation.
    None,
    /// Optimize for speed.
    #[default]
    Speed,
    /// Optimize for speed and size.
    SpeedAndSize,
}

/// Register allocator of the optimizing tier: one of regalloc2's two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RegallocAlgorithm {
    /// The backtracking allocator: slower, better code.
    #[default]
    Backtracking,
    /// The single-pass allocator: linear time, more spills.
    SinglePass,
}

/// How a relocation in a compiled function is to be patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocKind {
    /// x86-64 `call rel32`: `target + addend - place`, 4 bytes.
    X86CallPcRel4,
}

/// A reference from one compiled function to another in the same module,
/// resolved when the module's code is laid out (never at load).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncReloc {
    /// Offset in the function body.
    pub offset: u32,
    /// How to patch.
    pub kind: RelocKind,
    /// Which function is referenced.
    pub target: FuncIndex,
    /// Addend.
    pub addend: i64,
}

/// A machine instruction that may trap, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset of the instruction in the function body.
    pub offset: u32,
    /// What the trap means.
    pub trap: Trap,
}

/// The machine code of one function with what the runtime needs to know
/// about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledFunction {
    /// Machine code.
    pub body: Vec<u8>,
    /// Relocations to other functions of the module.
    pub relocs: Vec<FuncReloc>,
    /// Trap sites, sorted by offset.
    pub traps: Vec<TrapSite>,
    /// Required alignment of the body.
    pub alignment: u32,
    /// The body's call frame program for native unwind info
    /// ([`crate::unwind`]); empty when none was asked for.
    pub unwind: Vec<u8>,
}

/// The bytes local `t` takes in a baseline frame, as an
/// on-stack-replacement entry ([`Compiler::compile_osr_entry`]) reads it:
/// local `i` is at `locals - (osr_slot_size(t_0) + ... + osr_slot_size(t_i))`,
/// the locals' types taken in order, parameters first; a 32-bit value is
/// in the low 4 bytes of its slot.
pub fn osr_slot_size(t: crate::WasmValType) -> i32 {
    if t == crate::WasmValType::V128 { 16 } else { 8 }
}

/// A compiling tier.
pub trait Compiler: Send + Sync {
    /// Compiles one defined function of a translated module to the native
    /// wasm ABI.
    ///
    /// # Errors
    ///
    /// The function has no body in `translation`, or [`Compiler::compile_body`]'s.
    fn compile_function(
        &self,
        translation: &ModuleTranslation<'_>,
        index: DefinedFuncIndex,
        tunables: &Tunables,
    ) -> WasmResult<CompiledFunction> {
        let body = translation.function_bodies.get(index).ok_or_else(|| {
            crate::WasmError::unsupported(format!("no body for defined function {}", index.as_u32()), 0)
        })?;
        self.compile_body(&translation.module, &translation.interpreted, body, index, tunables)
    }

    /// Compiles defined function `index` of `module`, whose `body` is
    /// given on its own (work proportional to the body, not the module:
    /// tier-up compiles one function at a time). `interpreted` is
    /// [`ModuleTranslation::interpreted`].
    fn compile_body(
        &self,
        module: &crate::Module,
        interpreted: &[bool],
        body: &crate::FunctionBodyData<'_>,
        index: DefinedFuncIndex,
        tunables: &Tunables,
    ) -> WasmResult<CompiledFunction>;

    /// Compiles an on-stack-replacement entry of defined function `index`
    /// at its `loop_ordinal`-th `loop` (counting every `loop` of the body
    /// in order from 0, reachable or not): code in the native ABI with
    /// the signature `(vmctx, caller_vmctx, locals: i64) -> results` that
    /// takes every local from the baseline frame that `locals` points
    /// into (see [`osr_slot_size`]), enters the loop and runs the rest of
    /// the function. The loop must start with an empty operand stack and
    /// take no parameters. A baseline frame whose loop runs long calls it
    /// and returns its results as its own.
    ///
    /// # Errors
    ///
    /// The tier has no such entries (the default), the loop is not there
    /// or does not start with an empty operand stack, or compiling fails.
    fn compile_osr_entry(
        &self,
        module: &crate::Module,
        interpreted: &[bool],
        body: &crate::FunctionBodyData<'_>,
        index: DefinedFuncIndex,
        loop_ordinal: u32,
        tunables: &Tunables,
    ) -> WasmResult<CompiledFunction> {
        let _ = (module, interpreted, body, index, loop_ordinal, tunables);
        Err(crate::WasmError::unsupported("on-stack-replacement entries", 0))
    }

    /// Compiles the host-to-wasm trampoline of a defined function: an
    /// `extern "C" fn(callee_vmctx, caller_vmctx, values: *mut ValRaw, len)`
    /// that loads the arguments from `values`, calls the function (a
    /// relocation to it, or, with `through_func_ref`, through the native
    /// entry of the funcref at that offset of the callee vmctx) and stores
    /// the results back into `values`.
    fn compile_array_to_wasm_trampoline(
        &self,
        ty: &FuncType,
        callee: FuncIndex,
        through_func_ref: Option<u32>,
    ) -> WasmResult<CompiledFunction>;

    /// Compiles a wasm-to-host trampoline for a function type: a function in
    /// the native wasm ABI whose callee vmctx is a `VMArrayCallHostFuncContext`;
    /// it stores the arguments in a buffer, calls the host's array-ABI
    /// function and loads the results, trapping with [`Trap::HostError`] if
    /// the host function returns `false`.
    fn compile_wasm_to_array_trampoline(&self, ty: &FuncType) -> WasmResult<CompiledFunction>;

    /// A hash of every setting of this compiler that affects its output.
    fn settings_hash(&self) -> u64;
}

/// Layout of a `VMArrayCallHostFuncContext`, the vmctx of a host function.
pub mod host_func_context {
    /// Magic number (`u32`): distinguishes it from an instance's vmctx.
    pub const MAGIC: u32 = 0;
    /// The host's array-ABI entry point:
    /// `extern "C" fn(host_ctx, caller_vmctx, values: *mut ValRaw, len: usize) -> bool`.
    pub const ARRAY_CALL: u32 = 8;
    /// Magic value.
    pub const MAGIC_VALUE: u32 = u32::from_le_bytes(*b"bhst");
}

/// Size of one `ValRaw` slot in the array ABI.
pub const VALRAW_SIZE: u32 = 16;

/// Layout of a `VMInterpFuncContext`: the callee vmctx of an interpreted
/// function's funcref. Its first two fields are those of a host function's
/// context, so the wasm-to-array trampoline that native callers reach it
/// through is the host functions' one.
pub mod interp_func_context {
    /// Magic number (`u32`).
    pub const MAGIC: u32 = 0;
    /// The interpreter's array-ABI entry point (as for host functions).
    pub const ARRAY_CALL: u32 = 8;
    /// The instance's vmctx.
    pub const VMCTX: u32 = 16;
    /// The module's bytecode blob (`*const u32`).
    pub const CODE: u32 = 24;
    /// The function's `DefinedFuncIndex` (`u32`).
    pub const FUNC: u32 = 32;
    /// Size.
    pub const SIZE: u32 = 40;
    /// Magic value.
    pub const MAGIC_VALUE: u32 = u32::from_le_bytes(*b"bint");
}
