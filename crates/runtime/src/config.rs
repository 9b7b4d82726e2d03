//! Engine configuration.

use brisk_environ::Tunables;

/// Which compiler tier compiles a module's functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// Let Brisk choose per function, before compiling it, from the cost
    /// model's predictions (`brisk explain` shows them): the optimizing
    /// tier where its predicted time and memory fit the limits
    /// ([`Config::function_compile_limit`], [`Config::compile_memory_limit`]),
    /// the baseline tier elsewhere.
    #[default]
    Auto,
    /// The optimizing tier on Cranelift.
    Optimized,
    /// The interpreter: translation linear in every feature of a
    /// function, no native code (but the entry trampolines native callers
    /// use), explicit bounds checks.
    Interpreter,
    /// Every other function interpreted, the rest optimized: for testing
    /// the tiers against each other (calls, funcrefs, traps and backtraces
    /// crossing tiers in every module).
    Mixed,
    /// The baseline tier: one linear pass per function to x86-64 code, on
    /// the optimizing tier's ABI. Functions it does not compile yet
    /// (SIMD, fuel and epoch checks; see [`baseline_stats`](crate::baseline_stats))
    /// are compiled by the optimizing tier.
    Baseline,
    /// Every other function compiled by the baseline tier, the rest by the
    /// optimizing tier: for testing the two native tiers against each other.
    MixedBaseline,
}

pub use brisk_environ::{OptLevel, RegallocAlgorithm};

/// How instances get their linear memories.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum InstanceAllocationStrategy {
    /// A reservation per memory, made when one is needed; the few most
    /// recently freed are kept, reset as the pool's slots are (pages given
    /// back, the image left mapped), for the next memories, so that a
    /// steady stream of instances makes no `mmap` or `munmap` per memory.
    #[default]
    OnDemand,
    /// Slots of one reservation made with the engine, reused: see
    /// [`PoolingAllocationConfig`].
    Pooling(PoolingAllocationConfig),
}

/// The pooling allocator: the engine reserves address space for
/// `total_memories` memories up front (each slot as large as a memory's
/// reservation plus guard, 6 GiB by default: address space, not memory),
/// and instances take and give back slots without `mmap` or `munmap`. A
/// slot given back is reset with one `madvise`; a memory of the same module
/// and size in the same slot then starts with no system call. Instantiation
/// fails when every slot is in use. Tables and vmctxs come from the heap.
#[derive(Clone, Debug)]
pub struct PoolingAllocationConfig {
    pub(crate) total_memories: u32,
}

impl Default for PoolingAllocationConfig {
    fn default() -> Self {
        PoolingAllocationConfig { total_memories: 1000 }
    }
}

impl PoolingAllocationConfig {
    /// The default: 1,000 memories.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many linear memories can be live at once (default 1,000).
    pub fn total_memories(&mut self, count: u32) -> &mut Self {
        self.total_memories = count;
        self
    }
}

/// Global settings for an [`Engine`](crate::Engine).
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) strategy: Strategy,
    pub(crate) opt_level: OptLevel,
    pub(crate) regalloc: RegallocAlgorithm,
    pub(crate) parallel_compilation: bool,
    pub(crate) max_wasm_stack: usize,
    pub(crate) tunables: Tunables,
    pub(crate) features: wasmparser::WasmFeatures,
    pub(crate) compile_memory_limit: u64,
    pub(crate) function_compile_limit: std::time::Duration,
    pub(crate) tier_up_threshold: u32,
    pub(crate) compile_budget: Option<std::time::Duration>,
    pub(crate) allocation: InstanceAllocationStrategy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            strategy: Strategy::Auto,
            opt_level: OptLevel::Speed,
            regalloc: RegallocAlgorithm::Backtracking,
            parallel_compilation: true,
            max_wasm_stack: 512 * 1024,
            tunables: Tunables::default(),
            features: brisk_environ::wasm_features(),
            compile_memory_limit: 1 << 30,
            function_compile_limit: std::time::Duration::from_millis(150),
            tier_up_threshold: 1000,
            compile_budget: None,
            allocation: InstanceAllocationStrategy::OnDemand,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which tier compiles functions. Default: [`Strategy::Auto`].
    pub fn strategy(&mut self, strategy: Strategy) -> &mut Self {
        self.strategy = strategy;
        self
    }

    /// Optimization level of the optimizing tier. Default: [`OptLevel::Speed`].
    pub fn cranelift_opt_level(&mut self, level: OptLevel) -> &mut Self {
        self.opt_level = level;
        self
    }

    /// Register allocator of the optimizing tier. Default:
    /// [`RegallocAlgorithm::Backtracking`].
    pub fn cranelift_regalloc_algorithm(&mut self, algo: RegallocAlgorithm) -> &mut Self {
        self.regalloc = algo;
        self
    }

    /// Compile functions on several threads. The output is byte-identical
    /// either way. Default: on.
    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Self {
        self.parallel_compilation = enable;
        self
    }

    /// Most bytes of native stack that wasm may use, measured from the
    /// outermost host-to-wasm call; more traps with
    /// [`Trap::StackOverflow`](crate::Trap::StackOverflow). The limit is
    /// also capped so that 128 KiB of the thread's stack stay free for host
    /// functions: a value larger than the thread's stack still traps
    /// cleanly. Default: 512 KiB.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// Address space reserved per linear memory. At 4 GiB or more (the
    /// default, 4 GiB) 32-bit memories need no explicit bounds checks; less
    /// makes compiled code check every access.
    pub fn memory_reservation(&mut self, bytes: u64) -> &mut Self {
        self.tunables.memory_reservation = bytes;
        self
    }

    /// Guard region after each memory's reservation. Accesses whose static
    /// offset fits in it need no explicit check. Default: 2 GiB.
    pub fn memory_guard_size(&mut self, bytes: u64) -> &mut Self {
        self.tunables.memory_guard_size = bytes;
        self
    }

    /// Count fuel: every operator costs some (Wasmtime's costs, one table
    /// for every tier) and wasm traps with
    /// [`Trap::OutOfFuel`](crate::Trap::OutOfFuel) when its store's fuel
    /// ([`Store::set_fuel`](crate::Store::set_fuel)) runs out. Costs a few
    /// percent of run time. Default: off.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.tunables.consume_fuel = enable;
        self
    }

    /// Check the engine's epoch at function entries and loop headers, so
    /// [`Engine::increment_epoch`](crate::Engine::increment_epoch) can
    /// interrupt wasm that passed its store's deadline
    /// ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline))
    /// with [`Trap::Interrupt`](crate::Trap::Interrupt). Default: off.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.tunables.epoch_interruption = enable;
        self
    }

    /// Make modules compiled by this engine able to replace a function's
    /// code while they run ([`Module::tier_up`](crate::Module::tier_up)):
    /// calls between a module's functions, and from the host, reach the
    /// callee through the native entry of its funcref in the instance's
    /// vmctx instead of a direct `call` (one load more per call), and a
    /// module compiled from wasm keeps its bytes to compile functions
    /// again. Frames already running finish on the code they started
    /// with, which lives as long as the module.
    ///
    /// With [`Strategy::Auto`], this is also *just-in-time* mode: every
    /// function starts in the baseline tier, whose code counts calls and
    /// loop iterations per function; a function whose count reaches
    /// [`Config::tier_up_threshold`] is compiled by the optimizing tier on
    /// a background thread and swapped in while the module runs (unless
    /// the cost model predicts it over the limits, in which case it stays
    /// in the baseline tier). Default: off.
    pub fn tier_up(&mut self, enable: bool) -> &mut Self {
        self.tunables.indirect_calls = enable;
        self
    }

    /// How instances get their linear memories (default: on demand).
    pub fn allocation_strategy(&mut self, strategy: InstanceAllocationStrategy) -> &mut Self {
        self.allocation = strategy;
        self
    }

    /// Emits native unwind info (`.eh_frame`) for every function and
    /// trampoline and registers it with the system unwinder while the code
    /// is loaded, so that the system unwinder walks through wasm frames:
    /// for profilers, debuggers and host code that unwinds (`backtrace()`,
    /// `std::backtrace`, C++ exceptions). One registration per module,
    /// made when it loads and undone when its code is unmapped: in Brisk's
    /// own table, which libgcc's unwinder consults through Brisk's
    /// `_Unwind_Find_FDE`, where the dynamic linker lets it (dynamically
    /// linked glibc programs on x86-64; [`crate::unwind_lookup`] says), so
    /// that both take logarithmic time; else with `__register_frame`.
    /// Brisk's own backtraces walk frame pointers and do not need it.
    /// Default: off.
    pub fn native_unwind_info(&mut self, enable: bool) -> &mut Self {
        self.tunables.native_unwind_info = enable;
        self
    }

    /// Bounds the wall time of compiling a module: the optimizing tier's
    /// functions compile on worker threads, and those not done when the
    /// budget (counted from the start of the compile) runs out get the
    /// baseline tier's code instead, compiled then (linear in their size);
    /// their late Cranelift results are discarded. A module's code then
    /// depends on timing. Needs the baseline tier (x86-64). Default: none.
    pub fn compile_budget(&mut self, budget: Option<std::time::Duration>) -> &mut Self {
        self.compile_budget = budget;
        self
    }

    /// With [`Config::tier_up`] and [`Strategy::Auto`]: how many calls plus
    /// loop iterations make a function hot. Default: 1000.
    pub fn tier_up_threshold(&mut self, count: u32) -> &mut Self {
        self.tier_up_threshold = count;
        self
    }

    /// Just-in-time mode: automatic tier with tier-up.
    pub(crate) fn jit(&self) -> bool {
        self.strategy == Strategy::Auto && self.tunables.indirect_calls
    }

    /// The most memory the optimizing tier may be predicted to need for
    /// one function (by the cost model, `brisk explain`): a function over
    /// it is compiled by the baseline tier (or interpreted, on hosts
    /// without it) whatever the strategy, so that no module makes
    /// Cranelift exhaust memory. Default: 1 GiB.
    pub fn compile_memory_limit(&mut self, bytes: u64) -> &mut Self {
        self.compile_memory_limit = bytes;
        self
    }

    /// With [`Strategy::Auto`], the most time the optimizing tier may be
    /// predicted to take on one function; functions over it are compiled
    /// by the baseline tier. Default: 150 ms (sqlite3's largest function is
    /// predicted at 80 ms; a 1 MiB function of straight-line code at 2 s).
    pub fn function_compile_limit(&mut self, limit: std::time::Duration) -> &mut Self {
        self.function_compile_limit = limit;
        self
    }

    pub(crate) fn limits(&self) -> crate::policy::Limits {
        crate::policy::Limits {
            function_seconds: self.function_compile_limit.as_secs_f64(),
            memory_bytes: self.compile_memory_limit,
            jit: self.jit(),
        }
    }

    /// The WebAssembly features modules are validated against. Default:
    /// WebAssembly 2.0.
    pub fn wasm_features(&mut self, features: wasmparser::WasmFeatures) -> &mut Self {
        self.features = features;
        self
    }

    /// The WebAssembly features modules are validated against.
    pub fn enabled_wasm_features(&self) -> wasmparser::WasmFeatures {
        self.features
    }
}
