//! The engine: configuration, compiler and engine-wide registries.

use crate::Strategy;

/// How many free memory reservations the on-demand allocator keeps for
/// the next instances (address space only: their pages are given back).
const WARM_MEMORIES: usize = 4;
use crate::config::Config;
use crate::trap::FrameInfo;
use crate::vm::{CodeLookup, Image, Registration};
use anyhow::{Result, anyhow};
use brisk_baseline::BaselineCompiler;
use brisk_cranelift::{CompilerSettings, CraneliftCompiler};
use brisk_environ::artifact::{self, ArtifactSettings};
use brisk_environ::{OptLevel, RegallocAlgorithm};
use brisk_environ::{Compiler, FuncType, SharedTypeIndex, Trap};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A compilation environment shared by modules and stores: cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    compiler: Box<dyn Compiler>,
    /// The baseline tier, if the strategy uses it.
    baseline: Option<BaselineCompiler>,
    artifact_settings: ArtifactSettings,
    types: Mutex<TypeRegistry>,
    host_trampolines: Mutex<HashMap<FuncType, HostTrampoline>>,
    /// The epoch, which stores' deadlines are measured against.
    epoch: AtomicU64,
    /// Memory slots: the pooling allocator's, or the on-demand
    /// allocator's warm reservations.
    memory_pool: Arc<crate::vm::MemoryPool>,
}

/// A wasm-to-host trampoline's code, registered with the trap handler.
struct HostTrampoline {
    _registration: Registration,
    code: Arc<TrampolineCode>,
}

struct TrampolineCode {
    image: Image,
    /// Trap sites as (offset, trap), sorted.
    traps: Vec<(u32, Trap)>,
}

impl CodeLookup for TrampolineCode {
    fn trap_at(&self, offset: u32) -> Option<Trap> {
        self.traps.binary_search_by_key(&offset, |(o, _)| *o).ok().map(|i| self.traps[i].1)
    }

    fn frame_at(&self, _offset: u32) -> Option<FrameInfo> {
        None
    }
}

fn opt_level_name(level: OptLevel) -> &'static str {
    match level {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
        OptLevel::SpeedAndSize => "speed-and-size",
    }
}

fn regalloc_name(algo: RegallocAlgorithm) -> &'static str {
    match algo {
        RegallocAlgorithm::Backtracking => "backtracking",
        RegallocAlgorithm::SinglePass => "single-pass",
    }
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
        let settings = CompilerSettings {
            opt_level: config.opt_level,
            regalloc: config.regalloc,
            unwind_info: config.tunables.native_unwind_info,
        };
        let compiler = CraneliftCompiler::new(settings).map_err(|e| anyhow!("unsupported host: {e}"))?;
        crate::vm::init_traps();
        crate::vm::prepare_unwinding();
        let tunables = &config.tunables;
        let tier = match config.strategy {
            Strategy::Auto => "auto",
            Strategy::Optimized => "optimized",
            Strategy::Interpreter => "interp",
            Strategy::Mixed => "mixed",
            Strategy::Baseline => "baseline",
            Strategy::MixedBaseline => "mixed-baseline",
        };
        let baseline = match config.strategy {
            Strategy::Baseline | Strategy::MixedBaseline => {
                Some(BaselineCompiler::new().map_err(|e| anyhow!("unsupported host: {e}"))?)
            }
            // Where the host has it, the baseline tier takes what the
            // policy keeps from Cranelift.
            Strategy::Auto | Strategy::Optimized => BaselineCompiler::new().ok(),
            Strategy::Interpreter | Strategy::Mixed => None,
        };
        let codegen = match &baseline {
            Some(b) => format!("{:016x}-{:016x}", compiler.settings_hash(), b.settings_hash()),
            None => format!("{:016x}", compiler.settings_hash()),
        };
        let artifact_settings = ArtifactSettings::new([
            ("tier", tier.to_string()),
            ("opt-level", opt_level_name(config.opt_level).to_string()),
            ("regalloc", regalloc_name(config.regalloc).to_string()),
            ("memory-reservation", tunables.memory_reservation.to_string()),
            ("memory-guard-size", tunables.memory_guard_size.to_string()),
            ("wasm-features", format!("{:#x}", config.features.bits())),
            ("consume-fuel", tunables.consume_fuel.to_string()),
            ("epoch-interruption", tunables.epoch_interruption.to_string()),
            ("tier-up", tunables.indirect_calls.to_string()),
            ("native-unwind-info", tunables.native_unwind_info.to_string()),
            ("tier-up-threshold", config.tier_up_threshold.to_string()),
            ("compile-budget", format!("{:?}", config.compile_budget)),
            // They decide which functions Cranelift compiles.
            ("compile-memory-limit", config.compile_memory_limit.to_string()),
            ("function-compile-limit", format!("{:?}", config.function_compile_limit)),
            // What compiled code assumes of the runtime: another build's
            // artifacts and cache entries are refused if it differs.
            ("abi", format!("{:016x}", brisk_environ::abi_fingerprint())),
            // Everything else that shapes the code: the Cranelift version,
            // its flags and the host CPU features it may use.
            (artifact::CODEGEN_KEY, codegen),
        ]);
        let slot = tunables.memory_reservation.saturating_add(tunables.memory_guard_size);
        let slot = usize::try_from(slot).map_err(|_| anyhow!("memory reservation too large for a pool"))?;
        let memory_pool = match &config.allocation {
            crate::InstanceAllocationStrategy::Pooling(p) => crate::vm::MemoryPool::new(p.total_memories, slot)
                .map_err(|e| anyhow!("cannot reserve the memory pool ({} slots of {slot} bytes): {e}", p.total_memories))?,
            crate::InstanceAllocationStrategy::OnDemand => {
                crate::vm::MemoryPool::warm(WARM_MEMORIES, slot).map_err(|e| anyhow!("memory slots of {slot} bytes: {e}"))?
            }
        };
        let memory_pool = Arc::new(memory_pool);
        // Just-in-time mode: baseline code counts towards tier-up.
        let mut config = config.clone();
        config.tunables.tier_up_counters = config.jit();
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config,
                compiler: Box::new(compiler),
                baseline,
                artifact_settings,
                types: Mutex::default(),
                host_trampolines: Mutex::default(),
                epoch: AtomicU64::new(0),
                memory_pool,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Advances the epoch by one. Wasm running in a store whose deadline
    /// this reaches traps with [`Trap::Interrupt`] at its next function
    /// entry or loop header (with [`Config::epoch_interruption`]). Cheap and
    /// safe to call from any thread, for example a timer.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Relaxed)
    }

    /// The counter compiled code reads.
    pub(crate) fn epoch_counter(&self) -> *const AtomicU64 {
        &self.inner.epoch
    }

    pub(crate) fn compiler(&self) -> &dyn Compiler {
        &*self.inner.compiler
    }

    /// The engine's memory slots (see [`crate::vm::MemoryPool`]).
    pub(crate) fn memory_pool(&self) -> &Arc<crate::vm::MemoryPool> {
        &self.inner.memory_pool
    }

    pub(crate) fn baseline(&self) -> Option<&BaselineCompiler> {
        self.inner.baseline.as_ref()
    }

    /// Do these bytes look like an artifact (an ELF file) rather than a
    /// module? Only the header is looked at: loading checks the rest.
    pub fn is_precompiled(bytes: &[u8]) -> bool {
        bytes.starts_with(b"\x7fELF")
    }

    /// The settings recorded in, and required of, artifacts.
    pub(crate) fn artifact_settings(&self) -> &ArtifactSettings {
        &self.inner.artifact_settings
    }

    /// Compiles a module (binary or text) to an artifact for this engine,
    /// without loading it: the bytes [`Module::deserialize`](crate::Module::deserialize)
    /// accepts, or to write to a file for
    /// [`Module::deserialize_file`](crate::Module::deserialize_file).
    ///
    /// # Errors
    ///
    /// As [`Module::new`](crate::Module::new).
    pub fn precompile_module(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        let wasm = crate::text::wat_to_wasm(bytes, None)?;
        crate::module::compile_artifact(self, &wasm)
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
        if let Some(t) = cache.get(ty) {
            return Ok(t.code.image.base());
        }
        let compiled = self.compiler().compile_wasm_to_array_trampoline(ty)?;
        let traps = compiled.traps.iter().map(|t| (t.offset, t.trap)).collect();
        let image = Image::code(&compiled.body, &compiled.unwind)?;
        let len = compiled.body.len();
        let code = Arc::new(TrampolineCode { image, traps });
        let base = code.image.base();
        let registration = Registration::new(base, len, code.clone());
        cache.insert(ty.clone(), HostTrampoline { _registration: registration, code });
        Ok(base)
    }
}
