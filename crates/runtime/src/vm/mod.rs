//! The runtime's low level: memory mappings, vmctx structures, instances,
//! builtins and trap handling. All of Brisk's `unsafe` code outside the
//! code generators lives here.

#![allow(unsafe_code, reason = "the runtime core manipulates raw memory and machine state")]

mod code_memory;
mod instance;
mod interp;
mod libcalls;
mod limiter;
mod memory;
mod mmap;
mod pool;
mod table;
mod traphandlers;
mod unmapper;
mod unwind;
mod vmbox;
mod vmcontext;

pub use code_memory::{CodeLookup, Image, ImageBuffer, Registration, lookup_pc};
pub use instance::{Imports, Instance, SegmentPlan};
pub use interp::{interp_entry, new_interp_stack};
pub use limiter::{Growth, Limiter};
pub use memory::{Memory, MemoryError};
pub use mmap::page_size;
pub use pool::MemoryPool;
pub use table::{MAX_TABLE_ELEMENTS, Table};
pub use traphandlers::{CallError, TrapRecord, catch_traps, current_call_state, init_traps};
pub use unmapper::{drop_later, flush as flush_unmapper};
pub use unwind::{UnwindLookup, prepare as prepare_unwinding, unwind_lookup};
pub use vmbox::{StoreOwner, StorePtr, VmBox};
pub use vmcontext::*;
