//! Internal to Brisk: the optimizing tier.
//!
//! [`CraneliftCompiler`] translates WebAssembly function bodies to Cranelift
//! IR and compiles them to x86-64 machine code in Brisk's one native ABI
//! (the same one the baseline tier uses), together with the trampolines that
//! connect the host's array ABI to it.
//!
//! The ABI in short (see the crate's `abi` module and `brisk_environ`):
//!
//! * Every wasm function uses Cranelift's `tail` calling convention with the
//!   signature `(callee_vmctx, caller_vmctx, params...) -> results`.
//! * Calls to functions of the same module are `call rel32` relocations
//!   ([`brisk_environ::RelocKind::X86CallPcRel4`]); everything else goes
//!   through the vmctx.
//! * Every instruction that may trap is listed in the function's trap table.

#![deny(missing_docs)]

mod abi;
mod trampolines;
mod translate;

use brisk_environ::{
    CompiledFunction, Compiler, DefinedFuncIndex, FuncIndex, FuncReloc, FuncType, FunctionBodyData, Module, RelocKind,
    TrapSite, Tunables, WasmError, WasmResult,
};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, ExternalName, UserExternalName, UserFuncName};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use cranelift_frontend::FunctionBuilderContext;

/// The exact Cranelift version this crate is built against (pinned in the
/// workspace); part of [`CraneliftCompiler::settings_hash`].
const CRANELIFT_VERSION: &str = "0.135.8";

/// The x86-64 features the optimizing tier requires of the host: the
/// Cranelift ISA flag and the feature's name.
pub const REQUIRED_X64_FEATURES: &[(&str, &str)] = &[("has_ssse3", "SSSE3"), ("has_sse41", "SSE4.1")];

/// Namespace of the [`UserExternalName`]s that name wasm functions (by
/// [`FuncIndex`]).
pub(crate) const FUNC_NAMESPACE: u32 = 0;

pub use brisk_environ::{OptLevel, RegallocAlgorithm};

/// The settings of the optimizing tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CompilerSettings {
    /// Optimization level.
    pub opt_level: OptLevel,
    /// Register allocator.
    pub regalloc: RegallocAlgorithm,
    /// Give every function its call frame program, for native unwind
    /// info.
    pub unwind_info: bool,
}

/// The optimizing tier: compiles functions and trampolines with Cranelift
/// for the host.
pub struct CraneliftCompiler {
    isa: OwnedTargetIsa,
    settings: CompilerSettings,
    hash: u64,
}

impl std::fmt::Debug for CraneliftCompiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CraneliftCompiler")
            .field("settings", &self.settings)
            .field("isa", &self.isa.name())
            .finish()
    }
}

impl CraneliftCompiler {
    /// A compiler for the host with these settings.
    ///
    /// # Errors
    ///
    /// A message if the host is not supported: not an ISA Cranelift has a
    /// backend for, or an x86-64 without the features in
    /// [`REQUIRED_X64_FEATURES`]: SSE4.1 (which `nearest`, `floor`, `ceil`
    /// and `trunc` need to compile without libcalls, and Cranelift's
    /// lowering of wasm SIMD assumes) and SSSE3 (`pshufb`: without it
    /// `i8x16.swizzle` and most `i8x16.shuffle`s become libcalls, which
    /// Brisk's code has no relocation for).
    pub fn new(settings: CompilerSettings) -> Result<Self, String> {
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name: &str, value: &str| {
            flags.set(name, value).map_err(|e| format!("cranelift setting {name}={value}: {e}"))
        };
        let opt = match settings.opt_level {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        };
        set(&mut flags, "opt_level", opt)?;
        let regalloc = match settings.regalloc {
            RegallocAlgorithm::Backtracking => "backtracking",
            RegallocAlgorithm::SinglePass => "single_pass",
        };
        set(&mut flags, "regalloc_algorithm", regalloc)?;
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "enable_probestack", "false")?;
        set(&mut flags, "is_pic", "false")?;
        set(&mut flags, "unwind_info", if settings.unwind_info { "true" } else { "false" })?;
        // Multi-value: results beyond the return registers go through a
        // return area the caller passes, so any number of results works.
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
        set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;

        let isa_builder = cranelift_native::builder().map_err(|e| format!("unsupported host: {e}"))?;
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| format!("cannot configure Cranelift for the host: {e}"))?;
        if isa.name() != "x64" {
            return Err(format!("unsupported host architecture {}", isa.triple()));
        }
        for (flag, name) in REQUIRED_X64_FEATURES {
            if !isa.isa_flags().iter().any(|v| v.name == *flag && v.as_bool() == Some(true)) {
                return Err(format!("the host CPU lacks {name}, which the optimizing tier requires"));
            }
        }
        let hash = hash_settings(&settings, &*isa);
        Ok(CraneliftCompiler { isa, settings, hash })
    }

    /// The settings this compiler was built with.
    pub fn settings(&self) -> CompilerSettings {
        self.settings
    }

    /// Compiles a function built by `build` and converts the result.
    ///
    /// Errors point at `offset`, the function body's offset in the module
    /// (0 for trampolines, which have none).
    pub(crate) fn finish(&self, mut ctx: Context, offset: u64) -> WasmResult<CompiledFunction> {
        let mut ctrl = ControlPlane::default();
        let names = ctx.func.params.user_named_funcs().clone();
        let code = ctx.compile(&*self.isa, &mut ctrl).map_err(|e| WasmError::ImplLimitExceeded {
            message: format!("cranelift failed to compile: {:?}", e.inner),
            offset,
        })?;
        let body = code.code_buffer().to_vec();
        let buffer = &code.buffer;
        let mut relocs = Vec::with_capacity(buffer.relocs().len());
        for r in buffer.relocs() {
            let bug = |what: String| WasmError::ImplLimitExceeded {
                message: format!("internal error: unexpected relocation {what}"),
                offset,
            };
            if r.kind != Reloc::X86CallPCRel4 {
                return Err(bug(format!("kind {:?}", r.kind)));
            }
            let target = match &r.target {
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    let UserExternalName { namespace, index } = names[*name].clone();
                    if namespace != FUNC_NAMESPACE {
                        return Err(bug(format!("to namespace {namespace}")));
                    }
                    FuncIndex::from_u32(index)
                }
                other => return Err(bug(format!("target {other:?}"))),
            };
            relocs.push(FuncReloc { offset: r.offset, kind: RelocKind::X86CallPcRel4, target, addend: r.addend });
        }
        let mut traps = Vec::with_capacity(buffer.traps().len());
        for t in buffer.traps() {
            let trap = abi::brisk_trap(t.code).ok_or_else(|| WasmError::ImplLimitExceeded {
                message: format!("internal error: unexpected trap code {}", t.code),
                offset,
            })?;
            traps.push(TrapSite { offset: t.offset, trap });
        }
        traps.sort_by_key(|t| t.offset);
        let alignment = self.isa.function_alignment().minimum.max(16);
        let unwind = if self.settings.unwind_info { self.call_frame_program(code, offset)? } else { Vec::new() };
        Ok(CompiledFunction { body, relocs, traps, alignment, unwind })
    }

    /// The call frame program of compiled code, under Brisk's CIE
    /// ([`brisk_environ::unwind`], the same as Cranelift's for x86-64):
    /// Cranelift's FDE, written by gimli with absolute 8-byte addresses and
    /// no augmentation, less its 24-byte header.
    fn call_frame_program(&self, code: &cranelift_codegen::CompiledCode, offset: u64) -> WasmResult<Vec<u8>> {
        use cranelift_codegen::gimli::write::{Address, EhFrame, EndianVec, FrameTable};
        use cranelift_codegen::isa::unwind::UnwindInfo;
        let bug = |what: String| WasmError::ImplLimitExceeded { message: format!("internal error: unwind info: {what}"), offset };
        let info = code.create_unwind_info(&*self.isa).map_err(|e| bug(format!("{e:?}")))?;
        let Some(UnwindInfo::SystemV(info)) = info else { return Err(bug("no System V unwind info".into())) };
        let cie = self.isa.create_systemv_cie().ok_or_else(|| bug("no CIE".into()))?;
        let mut table = FrameTable::default();
        let cie = table.add_cie(cie);
        table.add_fde(cie, info.to_fde(Address::Constant(0)));
        let mut eh = EhFrame(EndianVec::new(cranelift_codegen::gimli::RunTimeEndian::Little));
        table.write_eh_frame(&mut eh).map_err(|e| bug(format!("{e:?}")))?;
        let bytes = eh.0.into_vec();
        let word = |at: usize| bytes.get(at..at + 4).map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes")) as usize);
        let fde = word(0).ok_or_else(|| bug("empty".into()))? + 4;
        let end = word(fde).ok_or_else(|| bug("no FDE".into()))? + fde + 4;
        bytes.get(fde + 24..end).map(<[u8]>::to_vec).ok_or_else(|| bug("short FDE".into()))
    }

    pub(crate) fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }
}

/// A fresh Cranelift context for a function named by `name`.
pub(crate) fn new_context(name: UserFuncName, sig: ir::Signature) -> Context {
    Context::for_function(ir::Function::with_name_signature(name, sig))
}

impl Compiler for CraneliftCompiler {
    fn compile_body(
        &self,
        module: &Module,
        interpreted: &[bool],
        body: &FunctionBodyData<'_>,
        index: DefinedFuncIndex,
        tunables: &Tunables,
    ) -> WasmResult<CompiledFunction> {
        let mut builder_ctx = FunctionBuilderContext::new();
        let ctx = translate::translate_function(self, &mut builder_ctx, module, interpreted, &body.body, index, tunables, None)?;
        self.finish(ctx, body.body.range().start)
    }

    fn compile_osr_entry(
        &self,
        module: &Module,
        interpreted: &[bool],
        body: &FunctionBodyData<'_>,
        index: DefinedFuncIndex,
        loop_ordinal: u32,
        tunables: &Tunables,
    ) -> WasmResult<CompiledFunction> {
        let mut builder_ctx = FunctionBuilderContext::new();
        let osr = Some(loop_ordinal);
        let ctx = translate::translate_function(self, &mut builder_ctx, module, interpreted, &body.body, index, tunables, osr)?;
        self.finish(ctx, body.body.range().start)
    }

    fn compile_array_to_wasm_trampoline(
        &self,
        ty: &FuncType,
        callee: FuncIndex,
        through_func_ref: Option<u32>,
    ) -> WasmResult<CompiledFunction> {
        let ctx = trampolines::array_to_wasm(self, ty, callee, through_func_ref);
        self.finish(ctx, 0)
    }

    fn compile_wasm_to_array_trampoline(&self, ty: &FuncType) -> WasmResult<CompiledFunction> {
        let ctx = trampolines::wasm_to_array(self, ty);
        self.finish(ctx, 0)
    }

    fn settings_hash(&self) -> u64 {
        self.hash
    }
}

/// FNV-1a, 64 bits: a fixed hasher, so the hash is the same in every
/// process and on every run.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Writes a length-prefixed string, so that concatenations can't
    /// collide.
    fn write_str(&mut self, s: &str) {
        self.write(&(s.len() as u64).to_le_bytes());
        self.write(s.as_bytes());
    }
}

fn hash_settings(settings: &CompilerSettings, isa: &dyn TargetIsa) -> u64 {
    let mut h = Fnv1a::new();
    h.write_str("brisk-cranelift");
    h.write_str(CRANELIFT_VERSION);
    h.write_str(&format!("{:?}", settings.opt_level));
    h.write_str(&format!("{:?}", settings.regalloc));
    h.write_str(&format!("unwind-info={}", settings.unwind_info));
    h.write_str(isa.name());
    h.write_str(&isa.triple().to_string());
    h.write_str(&isa.flags().to_string());
    for value in isa.isa_flags() {
        h.write_str(&value.to_string());
    }
    h.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_value() {
        let mut h = Fnv1a::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn settings_hash_distinguishes_settings() {
        let a = CraneliftCompiler::new(CompilerSettings::default()).unwrap();
        let b = CraneliftCompiler::new(CompilerSettings::default()).unwrap();
        assert_eq!(a.settings_hash(), b.settings_hash());
        let c = CraneliftCompiler::new(CompilerSettings { opt_level: OptLevel::None, ..Default::default() }).unwrap();
        let d = CraneliftCompiler::new(CompilerSettings {
            regalloc: RegallocAlgorithm::SinglePass,
            ..Default::default()
        })
        .unwrap();
        assert_ne!(a.settings_hash(), c.settings_hash());
        assert_ne!(a.settings_hash(), d.settings_hash());
        assert_ne!(c.settings_hash(), d.settings_hash());
    }
}
