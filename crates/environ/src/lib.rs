//! Internal to Brisk: not a stable API. Use the `brisk` crate instead.
//!
//! The module environment shared by every tier and by the runtime:
//!
//! * [`translate_module`] parses and validates a binary with wasmparser and
//!   produces a [`ModuleTranslation`]: the [`Module`] (types, imports,
//!   exports, index spaces, segments, names) plus the body of every defined
//!   function with its [`FuncCostFeatures`].
//! * [`VMOffsets`] fixes the layout of an instance's `vmctx`, the one runtime
//!   structure that interpreter, baseline and optimized code all address.
//! * [`Tunables`] are the settings that change generated code; they are
//!   hashed into every artifact.
//! * [`artifact`] is the ELF format of precompiled modules, read in place.
//! * [`Trap`] codes and [`BuiltinFunction`]s (the libcalls compiled code may
//!   make) are the other half of the one native ABI.

#![deny(missing_docs)]

pub mod artifact;
mod builtins;
mod compile;
pub mod cost;
mod error;
mod fuel;
mod module;
mod translate;
mod trap;
mod tunables;
mod types;
mod validate;
pub mod unwind;
mod vmoffsets;

pub use builtins::{BuiltinFunction, BuiltinType, GROW_ERROR};
pub use compile::*;
pub use error::{WasmError, WasmResult};
pub use fuel::{FUNCTION_ENTRY_FUEL, FuelSync, SMALL_BULK_OP_FUEL, fuel_cost, fuel_per_unit, fuel_reload_after, fuel_sync};
pub use module::*;
pub use translate::{
    BodyHook, FuncCostFeatures, FunctionBodyData, ModuleTranslation, OperatorSink, PARALLEL_CODE_BYTES, ValidatedOps, translate_module,
    translate_module_for, translate_module_with,
    wasm_features,
};
pub use trap::Trap;
pub use tunables::Tunables;
pub use types::*;
pub use validate::own_validator_rejections;
pub use vmoffsets::*;

pub use cranelift_entity::{EntityRef, PrimaryMap, SecondaryMap, packed_option};

/// WebAssembly page size in bytes (the default page size; custom page sizes
/// come with a later proposal).
pub const WASM_PAGE_SIZE: u64 = 0x1_0000;
/// Largest number of pages of a 32-bit memory.
pub const WASM32_MAX_PAGES: u64 = 1 << 16;
