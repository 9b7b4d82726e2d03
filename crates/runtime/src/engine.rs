//! The engine: configuration, compiler and engine-wide registries.

use crate::config::Config;
use crate::vm::{CodeInfo, CodeMemory, FuncRange};
use anyhow::{Result, anyhow};
use brisk_cranelift::{CompilerSettings, CraneliftCompiler};
use brisk_environ::{Compiler, FuncType, SharedTypeIndex, Trap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A compilation environment shared by modules and stores: cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    compiler: Box<dyn Compiler>,
    types: Mutex<TypeRegistry>,
    host_trampolines: Mutex<HashMap<FuncType, CodeMemory>>,
}

#[derive(Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default()).expect("the default configuration is valid on this host")
    }
}

impl Engine {
    /// Creates an engine.
    ///
    /// # Errors
    ///
    /// Fails if the host is not supported by the configured tier (for
    /// example an x86-64 CPU without SSE4.1).
    pub fn new(config: &Config) -> Result<Engine> {
        let settings = CompilerSettings { opt_level: config.opt_level, regalloc: config.regalloc };
        let compiler = CraneliftCompiler::new(settings).map_err(|e| anyhow!("unsupported host: {e}"))?;
        crate::vm::init_traps();
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                compiler: Box::new(compiler),
                types: Mutex::default(),
                host_trampolines: Mutex::default(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn compiler(&self) -> &dyn Compiler {
        &*self.inner.compiler
    }

    /// Do two handles refer to the same engine?
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of a function type. Equal types get equal ids.
    pub(crate) fn register_type(&self, ty: &FuncType) -> SharedTypeIndex {
        let mut reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = reg.ids.get(ty) {
            return SharedTypeIndex::from_u32(*id);
        }
        let id = u32::try_from(reg.types.len()).expect("fewer than 2^32 distinct function types");
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        SharedTypeIndex::from_u32(id)
    }

    /// The type behind an id.
    pub(crate) fn shared_type(&self, id: u32) -> Option<FuncType> {
        self.inner.types.lock().unwrap_or_else(|e| e.into_inner()).types.get(id as usize).cloned()
    }

    /// The wasm-to-host trampoline for host functions of type `ty`: its
    /// native-ABI entry address, compiled once per engine and type and kept
    /// as long as the engine.
    pub(crate) fn host_trampoline(&self, ty: &FuncType) -> Result<usize> {
        let mut cache = self.inner.host_trampolines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(code) = cache.get(ty) {
            return Ok(code.base());
        }
        let compiled = self.compiler().compile_wasm_to_array_trampoline(ty)?;
        let traps: Vec<(u32, Trap)> = compiled.traps.iter().map(|t| (t.offset, t.trap)).collect();
        let len = u32::try_from(compiled.body.len())?;
        let info = CodeInfo { traps, funcs: vec![FuncRange { start: 0, end: len, func: None }], module: None };
        let code = CodeMemory::new(&compiled.body, info)?;
        let base = code.base();
        cache.insert(ty.clone(), code);
        Ok(base)
    }
}
