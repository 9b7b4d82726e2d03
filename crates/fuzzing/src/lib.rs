//! Brisk's fuzzing infrastructure: the logic behind the targets in `fuzz/`
//! and the smoke test in `cargo test`.
//!
//! - [`generate`]: wasm-smith modules (WebAssembly 2.0 with SIMD,
//!   reference types, bulk memory and multi-value, NaNs canonicalised) from
//!   arbitrary bytes, and seeded bytes for deterministic runs;
//! - [`engine`]: the [`Engine`](engine::Engine) / [`Instance`](engine::Instance)
//!   abstraction every runtime under test implements, and the values,
//!   outcomes and trap kinds they are compared in;
//! - [`tiers`]: Brisk's configurations ("tiers"), one line each;
//! - [`oracle`]: the `compile` and `differential` oracles;
//! - [`mutate`]: byte-level and section-level mutations;
//! - [`wast`] and [`artifact`]: the `wast` and `artifact` targets' oracles.
//!
//! Only Brisk is linked here; Wasmtime implements the same traits in
//! `fuzz/`, a workspace of its own.

pub mod artifact;
pub mod engine;
pub mod generate;
pub mod mutate;
pub mod oracle;
pub mod tiers;
pub mod wast;

pub use engine::{DiffValue, Engine, InstantiateError, Instance, Outcome, TrapKind, ValKind};
pub use generate::{Rng, seed_bytes};
pub use oracle::{DiffStats, Mismatch};
