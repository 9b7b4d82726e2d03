//! Brisk's configurations under test ("tiers"): every compiler tier Brisk
//! has with each of its settings. Adding a tier (the interpreter, the
//! baseline compiler) is one line in [`TIERS`].

use crate::engine::{DiffValue, Engine, InstantiateError, Instance, Outcome, TrapKind, ValKind};
use brisk::{Config, Extern, Module, OptLevel, RegallocAlgorithm, Store, Strategy, Trap, Val};

/// The fuel every fuel-counting engine (Brisk's and Wasmtime's) gets for
/// each call and for instantiation: more than terminating generated code
/// needs, little enough that a runaway loop ends in well under a
/// millisecond.
pub const FUEL: u64 = 20_000;

/// Most native stack wasm may use, on every engine. Large enough that a
/// runaway recursion runs out of fuel long before it runs out of stack on
/// any engine (frames differ in size between engines and settings, so
/// stack exhaustion is not a comparable point); 2 MiB is the most Wasmtime
/// allows without async support (its `async_stack_size`). The harness runs inputs on
/// a thread with [`THREAD_STACK`] bytes of stack.
pub const MAX_WASM_STACK: usize = 2 << 20;

/// The stack of the threads that run inputs.
pub const THREAD_STACK: usize = 64 << 20;

/// Runs `f` on a thread with [`THREAD_STACK`] bytes of stack.
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        std::thread::Builder::new().stack_size(THREAD_STACK).spawn_scoped(s, f).expect("a thread").join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// One Brisk configuration.
#[derive(Clone, Copy, Debug)]
pub struct Tier {
    /// The name in reports.
    pub name: &'static str,
    /// The configuration.
    pub config: fn() -> Config,
    /// Counts fuel (and is given [`FUEL`] per call).
    pub fuel: bool,
    /// Checks epochs (with a deadline no run reaches).
    pub epochs: bool,
}

fn optimized(opt: OptLevel, regalloc: RegallocAlgorithm) -> Config {
    let mut c = tier(Strategy::Optimized);
    c.cranelift_opt_level(opt).cranelift_regalloc_algorithm(regalloc);
    c
}

fn fuel(mut c: Config) -> Config {
    c.consume_fuel(true);
    c
}

fn epochs(mut c: Config) -> Config {
    c.epoch_interruption(true);
    c
}

/// Every Brisk configuration, the reference first: it counts fuel, so it
/// decides whether a call ends (configurations without fuel run a call
/// only after it did). One line per configuration.
pub const TIERS: &[Tier] = &[
    Tier { name: "brisk/opt=speed/backtracking/fuel", config: || fuel(optimized(OptLevel::Speed, RegallocAlgorithm::Backtracking)), fuel: true, epochs: false },
    Tier { name: "brisk/opt=none/single-pass/fuel", config: || fuel(optimized(OptLevel::None, RegallocAlgorithm::SinglePass)), fuel: true, epochs: false },
    Tier { name: "brisk/opt=speed/backtracking/fuel+epochs", config: || epochs(fuel(optimized(OptLevel::Speed, RegallocAlgorithm::Backtracking))), fuel: true, epochs: true },
    Tier { name: "brisk/opt=speed/backtracking", config: || optimized(OptLevel::Speed, RegallocAlgorithm::Backtracking), fuel: false, epochs: false },
    Tier { name: "brisk/opt=speed/single-pass", config: || optimized(OptLevel::Speed, RegallocAlgorithm::SinglePass), fuel: false, epochs: false },
    Tier { name: "brisk/opt=none/backtracking", config: || optimized(OptLevel::None, RegallocAlgorithm::Backtracking), fuel: false, epochs: false },
    Tier { name: "brisk/opt=none/single-pass", config: || optimized(OptLevel::None, RegallocAlgorithm::SinglePass), fuel: false, epochs: false },
    Tier { name: "brisk/opt=speed_and_size/backtracking", config: || optimized(OptLevel::SpeedAndSize, RegallocAlgorithm::Backtracking), fuel: false, epochs: false },
    Tier { name: "brisk/interp/fuel", config: || fuel(tier(Strategy::Interpreter)), fuel: true, epochs: false },
    Tier { name: "brisk/interp", config: || tier(Strategy::Interpreter), fuel: false, epochs: false },
    Tier { name: "brisk/mixed/fuel+epochs", config: || epochs(fuel(tier(Strategy::Mixed))), fuel: true, epochs: true },
];

fn tier(strategy: Strategy) -> Config {
    let mut c = Config::new();
    c.strategy(strategy).parallel_compilation(false).max_wasm_stack(MAX_WASM_STACK);
    c
}

/// A Brisk engine for the differential harness.
pub struct BriskEngine {
    name: String,
    engine: brisk::Engine,
    fuel: bool,
    epochs: bool,
    /// Loads modules from this artifact instead of compiling (the artifact
    /// target's mutated artifacts).
    artifact: Option<Vec<u8>>,
}

impl BriskEngine {
    /// An engine for `tier`.
    pub fn new(tier: &Tier) -> BriskEngine {
        let config = (tier.config)();
        let engine = brisk::Engine::new(&config).expect("a configuration this host supports");
        BriskEngine { name: tier.name.to_string(), engine, fuel: tier.fuel, epochs: tier.epochs, artifact: None }
    }

    /// Every tier's engine, the reference first.
    pub fn all() -> Vec<Box<dyn Engine>> {
        TIERS.iter().map(|t| Box::new(BriskEngine::new(t)) as Box<dyn Engine>).collect()
    }

    /// The Brisk engine behind it.
    pub fn engine(&self) -> &brisk::Engine {
        &self.engine
    }

    /// An engine that ignores the module it is given and loads `artifact`
    /// with `Module::deserialize` instead.
    ///
    /// # Safety
    ///
    /// The artifact's code runs as it is: its `.text` must be Brisk's, as
    /// [`Module::deserialize`] requires.
    #[allow(unsafe_code, reason = "hands a caller-vouched artifact to Module::deserialize")]
    pub unsafe fn from_artifact(tier: &Tier, artifact: Vec<u8>, name: &str) -> BriskEngine {
        let mut e = BriskEngine::new(tier);
        e.name = name.to_string();
        e.artifact = Some(artifact);
        e
    }

    /// Compiles (or loads) a module.
    #[allow(unsafe_code, reason = "loads the artifact vouched for by `from_artifact`'s caller")]
    pub fn module(&self, wasm: &[u8]) -> brisk::Result<Module> {
        match &self.artifact {
            // SAFETY: `from_artifact`'s caller vouches that the artifact's
            // code is Brisk's own.
            Some(a) => unsafe { Module::deserialize(&self.engine, a) },
            None => Module::new(&self.engine, wasm),
        }
    }
}

impl Engine for BriskEngine {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn fuel(&self) -> bool {
        self.fuel
    }

    fn instantiate(&mut self, wasm: &[u8]) -> Result<Box<dyn Instance>, InstantiateError> {
        let module = self.module(wasm).map_err(|e| InstantiateError::Compile(format!("{e:#}")))?;
        let mut store = Store::new(&self.engine, ());
        if self.fuel {
            store.set_fuel(FUEL).expect("fuel is on");
        }
        if self.epochs {
            store.set_epoch_deadline(u64::MAX / 2);
        }
        match brisk::Instance::new(&mut store, &module, &[]) {
            Ok(instance) => Ok(Box::new(BriskInstance { store, instance, fuel: self.fuel })),
            Err(e) => Err(match e.downcast_ref::<Trap>() {
                Some(t) => InstantiateError::Trap(trap_kind(*t)),
                None => InstantiateError::Link(format!("{e:#}")),
            }),
        }
    }
}

/// Brisk's trap codes on the common enum.
pub fn trap_kind(t: Trap) -> TrapKind {
    match t {
        Trap::StackOverflow => TrapKind::StackOverflow,
        Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Trap::HeapMisaligned => TrapKind::HeapMisaligned,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::BadSignature,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        Trap::BadConversionToInteger => TrapKind::BadConversionToInteger,
        Trap::UnreachableCodeReached => TrapKind::UnreachableCodeReached,
        Trap::Interrupt => TrapKind::Interrupt,
        Trap::OutOfFuel => TrapKind::OutOfFuel,
        Trap::NullReference => TrapKind::NullReference,
        other => TrapKind::Other(format!("{other:?}")),
    }
}

fn to_diff(v: &Val) -> DiffValue {
    match v {
        Val::I32(x) => DiffValue::I32(*x),
        Val::I64(x) => DiffValue::I64(*x),
        Val::F32(x) => DiffValue::F32(*x),
        Val::F64(x) => DiffValue::F64(*x),
        Val::V128(x) => DiffValue::V128(*x),
        Val::FuncRef(f) => DiffValue::FuncRef { null: f.is_none() },
        Val::ExternRef(r) => DiffValue::ExternRef { null: r.is_none() },
    }
}

fn from_diff(v: &DiffValue) -> Val {
    match *v {
        DiffValue::I32(x) => Val::I32(x),
        DiffValue::I64(x) => Val::I64(x),
        DiffValue::F32(x) => Val::F32(x),
        DiffValue::F64(x) => Val::F64(x),
        DiffValue::V128(x) => Val::V128(x),
        DiffValue::FuncRef { .. } => Val::FuncRef(None),
        DiffValue::ExternRef { .. } => Val::ExternRef(None),
    }
}

struct BriskInstance {
    store: Store<()>,
    instance: brisk::Instance,
    fuel: bool,
}

impl Instance for BriskInstance {
    fn funcs(&mut self) -> Vec<(String, Vec<ValKind>, Vec<ValKind>)> {
        let mut out = Vec::new();
        for (name, ext) in self.instance.exports(&mut self.store) {
            if let Extern::Func(f) = ext {
                let ty = f.ty(&self.store);
                out.push((name, ty.params.to_vec(), ty.results.to_vec()));
            }
        }
        out
    }

    fn call(&mut self, name: &str, args: &[DiffValue]) -> Outcome {
        let Some(func) = self.instance.get_func(&mut self.store, name) else {
            return Outcome::Error(format!("no function export {name}"));
        };
        let ty = func.ty(&self.store);
        let params: Vec<Val> = args.iter().map(from_diff).collect();
        let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t).expect("every type has a default")).collect();
        if self.fuel {
            self.store.set_fuel(FUEL).expect("fuel is on");
        }
        match func.call(&mut self.store, &params, &mut results) {
            Ok(()) => Outcome::Values(results.iter().map(to_diff).collect()),
            Err(e) => match e.downcast_ref::<Trap>() {
                Some(t) => Outcome::Trap(trap_kind(*t)),
                None => Outcome::Error(format!("{e:#}")),
            },
        }
    }

    fn fuel_left(&mut self) -> Option<u64> {
        self.store.get_fuel().ok()
    }

    fn memories(&mut self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for (name, ext) in self.instance.exports(&mut self.store) {
            if let Extern::Memory(m) = ext {
                out.push((name, m.data(&self.store).to_vec()));
            }
        }
        out
    }

    fn globals(&mut self) -> Vec<(String, DiffValue)> {
        let mut out = Vec::new();
        for (name, ext) in self.instance.exports(&mut self.store) {
            if let Extern::Global(g) = ext {
                out.push((name, to_diff(&g.get(&mut self.store))));
            }
        }
        out
    }

    fn tables(&mut self) -> Vec<(String, Vec<bool>)> {
        let mut out = Vec::new();
        for (name, ext) in self.instance.exports(&mut self.store) {
            if let Extern::Table(t) = ext {
                let size = t.size(&self.store);
                let nulls = (0..size)
                    .map(|i| match t.get(&mut self.store, i) {
                        Some(Val::FuncRef(f)) => f.is_none(),
                        Some(Val::ExternRef(r)) => r.is_none(),
                        _ => true,
                    })
                    .collect();
                out.push((name, nulls));
            }
        }
        out
    }
}
