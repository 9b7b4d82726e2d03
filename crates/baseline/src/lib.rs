//! Internal to Brisk: the baseline tier.
//!
//! [`BaselineCompiler`] compiles a WebAssembly function to x86-64 machine
//! code in one forward pass over its operators, with no IR: a value stack
//! that keeps operands lazily (constants, locals and spill slots stay where
//! they are until an instruction needs them in a register), registers
//! allocated on the fly and spilled from the bottom of the stack when they
//! run out, and merges that put carried values in fixed frame slots. Branch
//! targets are patched once at the end. See `codegen` for the invariants
//! that keep every step linear in the function's size.
//!
//! The code uses Brisk's one native ABI (Cranelift's `tail` calling
//! convention, frame pointers, the stack-limit check, trap tables), so a
//! baseline function calls an optimized one directly and back, and the
//! artifact format, backtraces and trap handling need nothing new.
//!
//! Every operator of WebAssembly 2.0 and of the SIMD proposal compiles
//! (SSE4.1 is the floor, as for the optimizing tier). A function the tier
//! cannot compile on this host (`i64x2` ordered comparisons without
//! SSE4.2, bit counts without LZCNT/BMI1/POPCNT, memory64) is reported as
//! [`BaselineError::Unsupported`], and the runtime compiles it with the
//! optimizing tier instead, counting it (`brisk::baseline_stats`).

#![deny(missing_docs)]

mod abi;
mod codegen;
mod trampoline;
mod x64;

use brisk_environ::{
    CompiledFunction, DefinedFuncIndex, FuncIndex, FuncType, Module, ModuleTranslation, Tunables,
    WasmError,
};

pub use codegen::FunctionCompiler;

/// Why a function was not compiled.
#[derive(Debug)]
pub enum BaselineError {
    /// The function uses something this tier does not compile yet; the
    /// message says what. Compile it with another tier.
    Unsupported(String),
    /// The function is invalid (bodies are validated before they reach
    /// this tier, so this is an internal error).
    Wasm(WasmError),
}

impl From<WasmError> for BaselineError {
    fn from(e: WasmError) -> Self {
        BaselineError::Wasm(e)
    }
}

impl From<wasmparser::BinaryReaderError> for BaselineError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        BaselineError::Wasm(e.into())
    }
}

impl std::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaselineError::Unsupported(what) => {
                write!(f, "not supported by the baseline tier: {what}")
            }
            BaselineError::Wasm(e) => write!(f, "{e}"),
        }
    }
}

/// The host CPU features the generated code may use beyond the x86-64
/// baseline and SSE4.1 (which the runtime requires of every host).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Features {
    lzcnt: bool,
    bmi1: bool,
    popcnt: bool,
    sse42: bool,
}

/// The baseline tier for the host.
#[derive(Debug)]
pub struct BaselineCompiler {
    features: Features,
}

impl BaselineCompiler {
    /// A compiler for the host.
    ///
    /// # Errors
    ///
    /// The host is not x86-64 or lacks SSE4.1.
    pub fn new() -> Result<Self, String> {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::arch::is_x86_feature_detected!("sse4.1") {
                return Err("the baseline tier needs SSE4.1".into());
            }
            Ok(BaselineCompiler {
                features: Features {
                    lzcnt: std::arch::is_x86_feature_detected!("lzcnt"),
                    bmi1: std::arch::is_x86_feature_detected!("bmi1"),
                    popcnt: std::arch::is_x86_feature_detected!("popcnt"),
                    sse42: std::arch::is_x86_feature_detected!("sse4.2"),
                },
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        Err("the baseline tier compiles for x86-64 only".into())
    }

    /// A hash of everything that shapes this compiler's output (for
    /// artifact and cache keys).
    pub fn settings_hash(&self) -> u64 {
        let f = self.features;
        let bits = u64::from(f.lzcnt)
            | u64::from(f.bmi1) << 1
            | u64::from(f.popcnt) << 2
            | u64::from(f.sse42) << 3;
        // The tier's code-generation version: bump when output changes.
        const VERSION: u64 = 2;
        (VERSION << 32 | bits).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// Compiles defined function `index` of `translation`.
    ///
    /// # Errors
    ///
    /// [`BaselineError::Unsupported`] if the function uses what this tier
    /// does not compile yet.
    pub fn compile_function(
        &self,
        translation: &ModuleTranslation<'_>,
        index: DefinedFuncIndex,
        tunables: &Tunables,
    ) -> Result<CompiledFunction, BaselineError> {
        codegen::compile(self.features, translation, index, tunables)
    }

    /// Compiles the host-to-wasm trampoline of function `callee`, of type
    /// `ty` (the optimizing tier's contract: see
    /// [`brisk_environ::Compiler::compile_array_to_wasm_trampoline`]).
    ///
    /// # Errors
    ///
    /// [`BaselineError::Unsupported`] if `through_func_ref` is beyond a
    /// 32-bit displacement.
    pub fn compile_array_to_wasm_trampoline(
        &self,
        ty: &FuncType,
        callee: FuncIndex,
        through_func_ref: Option<u32>,
    ) -> Result<CompiledFunction, BaselineError> {
        trampoline::array_to_wasm(ty, callee, through_func_ref)
    }

    /// A compiler for defined function `index` whose operators the caller
    /// pushes (for example the validator, through
    /// [`brisk_environ::OperatorSink`]), so that each operator is decoded
    /// once for validation and compilation. `interpreted` says which defined
    /// functions are interpreted (empty: none).
    pub fn function_compiler<'a>(
        &self,
        module: &'a Module,
        interpreted: &'a [bool],
        tunables: &'a Tunables,
        index: DefinedFuncIndex,
        body: &wasmparser::FunctionBody<'_>,
    ) -> FunctionCompiler<'a> {
        FunctionCompiler::new(self.features, module, interpreted, tunables, index, body)
    }
}

impl<'a> brisk_environ::OperatorSink<'a> for FunctionCompiler<'_> {
    #[inline]
    fn operator(
        &mut self,
        op: &wasmparser::Operator<'a>,
        _offset: usize,
    ) -> brisk_environ::WasmResult<()> {
        self.op(op);
        Ok(())
    }

    #[inline]
    fn dead_loop(&mut self) {
        self.count_dead_loop();
    }
}
