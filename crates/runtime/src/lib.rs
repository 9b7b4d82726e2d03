//! Brisk: a WebAssembly runtime with predictable compile time.
//!
//! The API follows Wasmtime's shape: an [`Engine`] compiles [`Module`]s,
//! a [`Store`] owns runtime state, a [`Linker`] resolves imports, and
//! [`Instance`]s export [`Func`]s, [`Memory`]s, [`Table`]s and [`Global`]s.
//!
//! ```
//! use brisk::{Caller, Engine, Linker, Module, Store};
//!
//! # fn main() -> anyhow::Result<()> {
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "double" (func $double (param i32) (result i32)))
//!       (func (export "run") (param i32) (result i32)
//!         (i32.add (call $double (local.get 0)) (i32.const 1))))
//! "#)?;
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "double", |_caller: Caller<'_, u32>, x: i32| x * 2)?;
//! let mut store = Store::new(&engine, 0u32);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 20)?, 41);
//! # Ok(())
//! # }
//! ```
//!
//! Traps are errors that downcast to [`Trap`] and carry a
//! [`WasmBacktrace`] as context. Malformed or invalid modules give an
//! error that downcasts to [`WasmError`], which has the byte offset.
//!
//! [`Engine::precompile_module`] and [`Module::serialize`] give a module's
//! artifact, an ELF file that [`Module::deserialize_file`] loads by mapping
//! it; [`Cache`] keeps artifacts in a folder and verifies an entry whole
//! (code included) before using it. A refused artifact gives an
//! [`ArtifactError`].

#![deny(missing_docs)]

mod cache;
mod config;
mod engine;
pub mod explain;
mod externals;
mod externref;
mod func;
mod instance;
mod limits;
mod linker;
mod module;
mod policy;
mod store;
mod text;
mod trap;
mod values;
mod vm;

pub use anyhow::{Error, Result};
pub use wasmparser::WasmFeatures;
pub use brisk_environ::{
    FuncType, GlobalType, MemoryType, TableType, Trap, WasmError, WasmValType as ValType,
};
pub use cache::{Cache, CacheOutcome, CacheUsage};
pub use brisk_environ::artifact::{ArtifactError, EXTENSION as ARTIFACT_EXTENSION};
pub use config::{Config, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, RegallocAlgorithm, Strategy};
pub use engine::Engine;
pub use externals::{Extern, Global, Memory, Table};
pub use externref::ExternRef;
pub use func::{Caller, Func, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use instance::Instance;
pub use limits::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
pub use linker::Linker;
pub use module::{
    BaselineStats, Module, baseline_stats, compile_budget_fallbacks, on_stack_replacements, tier_up_counts, wait_for_tier_up,
    wait_for_unmapping,
};
pub use policy::{Reason, Tier};
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use trap::{FrameInfo, WasmBacktrace};
pub use values::Val;
pub use vm::{UnwindLookup, unwind_lookup};
