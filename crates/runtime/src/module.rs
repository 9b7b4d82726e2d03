//! Compiled modules.

use crate::engine::Engine;
use crate::vm::{CodeInfo, CodeMemory, FuncRange};
use anyhow::{Context, Result, bail};
use brisk_environ::{
    CompiledFunction, DefinedFuncIndex, EntityIndex, EntityType, FuncIndex, Module as ModuleEnv, PrimaryMap,
    RelocKind, SecondaryMap, Trap, Tunables, VMOffsets, WasmError,
};
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// A compiled WebAssembly module, ready to instantiate in any store of its
/// engine. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    engine: Engine,
    env: Arc<ModuleEnv>,
    offsets: VMOffsets,
    code: CodeMemory,
    func_offsets: PrimaryMap<DefinedFuncIndex, u32>,
    array_trampolines: SecondaryMap<DefinedFuncIndex, u32>,
    type_ids: Box<[u32]>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("name", &self.name()).finish_non_exhaustive()
    }
}

/// Turns `.wat` text into a binary; passes binaries through. Errors carry
/// a byte offset either way.
pub(crate) fn wat_to_wasm(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    if wat::Detect::from_bytes(bytes) != wat::Detect::WasmText {
        return Ok(bytes.into());
    }
    let text = std::str::from_utf8(bytes).expect("Detect::WasmText implies UTF-8");
    // The `wast` parser (behind `wat`) keeps the error's span, so the
    // offset comes straight from it.
    let parse = || -> Result<Vec<u8>, wast::Error> {
        let buf = wast::parser::ParseBuffer::new(text)?;
        wast::parser::parse::<wast::Wat<'_>>(&buf)?.encode()
    };
    parse().map(Into::into).map_err(|mut e| {
        let offset = e.span().offset() as u64;
        e.set_text(text);
        anyhow::Error::new(WasmError::Invalid { message: e.to_string(), offset })
    })
}

impl Module {
    /// Compiles a module from its binary or text form.
    ///
    /// # Errors
    ///
    /// A malformed or invalid module gives an error that downcasts to
    /// [`WasmError`], with the byte offset; a module using an unimplemented
    /// feature likewise.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let wasm = wat_to_wasm(bytes.as_ref())?;
        Self::from_binary(engine, &wasm)
    }

    /// Compiles a module from a file (binary or text).
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        Module::new(engine, bytes).with_context(|| format!("failed to compile {}", path.display()))
    }

    /// Validates a module without compiling it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        let wasm = wat_to_wasm(bytes)?;
        brisk_environ::translate_module(&wasm, engine.config().features)?;
        Ok(())
    }

    /// Compiles a binary module.
    pub fn from_binary(engine: &Engine, wasm: &[u8]) -> Result<Module> {
        let config = engine.config();
        let translation = brisk_environ::translate_module(wasm, config.features)?;
        let tunables = &config.tunables;
        let compiler = engine.compiler();
        let env = &translation.module;

        let compile = |i: DefinedFuncIndex| compiler.compile_function(&translation, i, tunables);
        let indices: Vec<DefinedFuncIndex> = translation.function_bodies.keys().collect();
        let funcs: Vec<CompiledFunction> = if config.parallel_compilation && indices.len() > 1 {
            indices.par_iter().map(|i| compile(*i)).collect::<Result<_, WasmError>>()?
        } else {
            indices.iter().map(|i| compile(*i)).collect::<Result<_, WasmError>>()?
        };
        let trampolines: Vec<(DefinedFuncIndex, CompiledFunction)> = translation
            .escaping_funcs
            .iter()
            .map(|&def| {
                let index = env.func_index(def);
                Ok((def, compiler.compile_array_to_wasm_trampoline(env.func_type(index), index)?))
            })
            .collect::<Result<_, WasmError>>()?;

        let type_ids = env.types.values().map(|ty| engine.register_type(ty).as_u32()).collect();
        let offsets = VMOffsets::new(env);
        let (text, func_offsets, array_trampolines, info) = link(env, &funcs, &trampolines)?;
        let env = Arc::new(translation.module);
        let info = CodeInfo { module: Some(env.clone()), ..info };
        let code = CodeMemory::new(&text, info).context("failed to map code memory")?;
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                env,
                offsets,
                code,
                func_offsets,
                array_trampolines,
                type_ids,
            }),
        })
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.env.name.as_deref()
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The machine code of all the module's functions, as laid out in
    /// memory (for inspection and determinism checks).
    pub fn text(&self) -> &[u8] {
        self.inner.code.text()
    }

    /// The module's imports: (module, name, type).
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &str, EntityType)> + '_ {
        let env = &self.inner.env;
        env.imports.iter().map(move |i| (i.module.as_str(), i.name.as_str(), env.entity_type(i.index)))
    }

    /// The module's exports: (name, type).
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, EntityType)> + '_ {
        let env = &self.inner.env;
        env.exports.iter().map(move |(name, index)| (name.as_str(), env.entity_type(*index)))
    }

    pub(crate) fn env(&self) -> &ModuleEnv {
        &self.inner.env
    }

    pub(crate) fn offsets(&self) -> &VMOffsets {
        &self.inner.offsets
    }

    pub(crate) fn tunables(&self) -> &Tunables {
        &self.inner.engine.config().tunables
    }

    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.inner.type_ids
    }

    /// Native-ABI entry of a defined function.
    pub(crate) fn native_call(&self, def: DefinedFuncIndex) -> usize {
        self.inner.code.base() + self.inner.func_offsets[def] as usize
    }

    /// Array-ABI entry of a defined function, or 0 if it cannot escape.
    pub(crate) fn array_call(&self, def: DefinedFuncIndex) -> usize {
        match self.inner.array_trampolines[def] {
            0 => 0,
            off => self.inner.code.base() + off as usize,
        }
    }

    /// The exported entity called `name`.
    pub(crate) fn export_index(&self, name: &str) -> Option<EntityIndex> {
        self.inner.env.export_names.get(name).copied()
    }
}

type Linked = (Vec<u8>, PrimaryMap<DefinedFuncIndex, u32>, SecondaryMap<DefinedFuncIndex, u32>, CodeInfo);

/// Lays out functions and trampolines in one text section and resolves the
/// calls between them. Everything is PC-relative inside the section, so
/// the text can be mapped anywhere without further relocation.
fn link(
    env: &ModuleEnv,
    funcs: &[CompiledFunction],
    trampolines: &[(DefinedFuncIndex, CompiledFunction)],
) -> Result<Linked> {
    let mut text = Vec::new();
    let mut ranges = Vec::new();
    let mut traps = Vec::new();
    let mut place = |text: &mut Vec<u8>, f: &CompiledFunction, func: Option<FuncIndex>| -> Result<u32> {
        let align = f.alignment.max(16) as usize;
        text.resize(text.len().next_multiple_of(align), 0xcc);
        let start = u32::try_from(text.len()).context("module code exceeds 4 GiB")?;
        text.extend_from_slice(&f.body);
        let end = u32::try_from(text.len()).context("module code exceeds 4 GiB")?;
        ranges.push(FuncRange { start, end, func });
        traps.extend(f.traps.iter().map(|t| (start + t.offset, t.trap)));
        Ok(start)
    };
    let mut func_offsets = PrimaryMap::new();
    for (i, f) in funcs.iter().enumerate() {
        let def = DefinedFuncIndex::from_u32(i as u32);
        func_offsets.push(place(&mut text, f, Some(env.func_index(def)))?);
    }
    let mut array_trampolines = SecondaryMap::new();
    let mut tramp_offsets = Vec::new();
    for (def, t) in trampolines {
        let off = place(&mut text, t, None)?;
        array_trampolines[*def] = off;
        tramp_offsets.push(off);
    }
    let all = funcs.iter().zip(func_offsets.values().copied()).chain(trampolines.iter().map(|(_, t)| t).zip(tramp_offsets));
    for (f, start) in all {
        for r in &f.relocs {
            let Some(target) = env.defined_func_index(r.target) else {
                bail!("relocation to imported function {}", r.target.as_u32());
            };
            let at = (start + r.offset) as usize;
            match r.kind {
                RelocKind::X86CallPcRel4 => {
                    let value = i64::from(func_offsets[target]) + r.addend - at as i64;
                    let value = i32::try_from(value).context("call displacement out of range")?;
                    text[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
            }
        }
    }
    traps.sort_by_key(|(o, _): &(u32, Trap)| *o);
    Ok((text, func_offsets, array_trampolines, CodeInfo { traps, funcs: ranges, module: None }))
}
