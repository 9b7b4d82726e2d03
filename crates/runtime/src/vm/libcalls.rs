//! Builtin functions called by compiled code through `vmctx->builtins`.
//! They never unwind: failure is a sentinel the caller turns into a trap.

use super::instance::Instance;
use super::limiter::Limiter;
use super::traphandlers::current_call_state;
use super::vmcontext::VMContext;
use crate::store::StoreOpaque;
use brisk_environ::{GROW_ERROR, MemoryIndex, VMCTX_STORE};

/// The builtin table, in `BuiltinFunction` order.
#[repr(C)]
pub struct VMBuiltins {
    memory_grow: unsafe extern "C" fn(*mut VMContext, u64, u32) -> i64,
    memory_copy: unsafe extern "C" fn(*mut VMContext, u32, u64, u32, u64, u64) -> u32,
    memory_fill: unsafe extern "C" fn(*mut VMContext, u32, u64, u32, u64) -> u32,
    memory_init: unsafe extern "C" fn(*mut VMContext, u32, u32, u64, u32, u32) -> u32,
    data_drop: unsafe extern "C" fn(*mut VMContext, u32) -> u32,
    table_copy: unsafe extern "C" fn(*mut VMContext, u32, u32, u64, u64, u64) -> u32,
    table_init: unsafe extern "C" fn(*mut VMContext, u32, u32, u64, u32, u32) -> u32,
    elem_drop: unsafe extern "C" fn(*mut VMContext, u32) -> u32,
    table_grow: unsafe extern "C" fn(*mut VMContext, u32, u64, usize) -> i64,
    table_fill: unsafe extern "C" fn(*mut VMContext, u32, u64, usize, u64) -> u32,
    tier_up_hot: unsafe extern "C" fn(*mut VMContext, u32, u32) -> usize,
}

/// The one builtin table every vmctx points to.
pub static BUILTINS: VMBuiltins = VMBuiltins {
    memory_grow,
    memory_copy,
    memory_fill,
    memory_init,
    data_drop,
    table_copy,
    table_init,
    elem_drop,
    table_grow,
    table_fill,
    tier_up_hot,
};

/// The instance behind a vmctx that compiled code passed to a builtin.
///
/// # Safety
///
/// `vmctx` is the live vmctx of an instance.
unsafe fn instance<'a>(vmctx: *mut VMContext) -> &'a mut Instance {
    // SAFETY: per the contract; compiled code passes its own vmctx, and no
    // other reference to the instance is live while wasm runs.
    unsafe { Instance::from_vmctx(vmctx) }
}

fn ok(r: Option<()>) -> u32 {
    u32::from(r.is_some())
}

macro_rules! builtin {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// `vmctx` is the live vmctx of an instance, as compiled code passes it.
        unsafe extern "C" fn $name(vmctx: *mut VMContext, $($arg: $ty),*) -> $ret {
            // SAFETY: per the function's contract.
            let i = unsafe { instance(vmctx) };
            #[allow(clippy::redundant_closure_call, reason = "the body is a closure over the instance")]
            ($body)(i)
        }
    };
}

builtin! {
    /// A baseline function's tier-up counter ran out: queue it for the
    /// optimizing tier. At a loop header (`lp` the loop's ordinal, else
    /// `u32::MAX`): the on-stack-replacement entry for the loop, if one is
    /// ready, else 0.
    fn tier_up_hot(def: u32, lp: u32) -> usize {
        |i: &mut Instance| i.module().hot(def, lp)
    }
}
builtin! {
    /// `memory.copy`: 1, or 0 to trap.
    fn memory_copy(dst_mem: u32, dst: u64, src_mem: u32, src: u64, len: u64) -> u32 {
        |i: &mut Instance| ok(i.memory_copy(dst_mem, dst, src_mem, src, len))
    }
}
builtin! {
    /// `memory.fill`: 1, or 0 to trap.
    fn memory_fill(mem: u32, dst: u64, byte: u32, len: u64) -> u32 {
        |i: &mut Instance| ok(i.memory_fill(mem, dst, byte as u8, len))
    }
}
builtin! {
    /// `memory.init`: 1, or 0 to trap.
    fn memory_init(mem: u32, data: u32, dst: u64, src: u32, len: u32) -> u32 {
        |i: &mut Instance| ok(i.memory_init(mem, data, dst, src, len))
    }
}
builtin! {
    /// `data.drop`.
    fn data_drop(data: u32) -> u32 {
        |i: &mut Instance| {
            i.data_drop(data);
            1
        }
    }
}
builtin! {
    /// `table.copy`: 1, or 0 to trap.
    fn table_copy(dst_table: u32, src_table: u32, dst: u64, src: u64, len: u64) -> u32 {
        |i: &mut Instance| ok(i.table_copy(dst_table, src_table, dst, src, len))
    }
}
builtin! {
    /// `table.init`: 1, or 0 to trap.
    fn table_init(table: u32, elem: u32, dst: u64, src: u32, len: u32) -> u32 {
        |i: &mut Instance| ok(i.table_init(table, elem, dst, src, len))
    }
}
builtin! {
    /// `elem.drop`.
    fn elem_drop(elem: u32) -> u32 {
        |i: &mut Instance| {
            i.elem_drop(elem);
            1
        }
    }
}
/// `table.grow`: the old size, -1 when it cannot grow, or
/// [`GROW_ERROR`] when the store's limiter failed.
///
/// # Safety
///
/// `vmctx` is the live vmctx of an instance, as compiled code passes it.
unsafe extern "C" fn table_grow(vmctx: *mut VMContext, table: u32, delta: u64, init: usize) -> i64 {
    // SAFETY: compiled code passes its own live vmctx.
    let limiter = unsafe { store_limiter(vmctx) };
    // SAFETY: as above.
    let instance = unsafe { instance(vmctx) };
    // SAFETY: a builtin, entered from compiled code.
    grow_result(unsafe { instance.table_grow(table, delta, init, limiter) })
}

builtin! {
    /// `table.fill`: 1, or 0 to trap.
    fn table_fill(table: u32, dst: u64, value: usize, len: u64) -> u32 {
        |i: &mut Instance| ok(i.table_fill(table, dst, value, len))
    }
}

/// `memory.grow`: old size in pages, -1 when it cannot grow, or
/// [`GROW_ERROR`] when the store's limiter failed.
///
/// # Safety
///
/// `vmctx` is the live vmctx of an instance, as compiled code passes it.
unsafe extern "C" fn memory_grow(vmctx: *mut VMContext, delta: u64, memory: u32) -> i64 {
    // SAFETY: compiled code passes its own live vmctx.
    let limiter = unsafe { store_limiter(vmctx) };
    // SAFETY: as above.
    let instance = unsafe { instance(vmctx) };
    // SAFETY: a builtin, entered from compiled code.
    grow_result(unsafe { instance.memory_grow(MemoryIndex::from_u32(memory), delta, limiter) })
}

/// The limiter of the store that owns `vmctx`, if one is installed.
///
/// # Safety
///
/// `vmctx` is the live vmctx of an instance.
unsafe fn store_limiter(vmctx: *mut VMContext) -> Option<Limiter> {
    // SAFETY: the header's store field points at the owning store, which
    // outlives its instances; the limiter is only read.
    unsafe {
        let store = *vmctx.cast::<u8>().add(VMCTX_STORE as usize).cast::<*const StoreOpaque>();
        (*store).limiter
    }
}

/// The builtin result of a growth: the old size, -1, or `GROW_ERROR` with
/// the limiter's error kept for the outermost call to return.
fn grow_result(r: anyhow::Result<Option<u64>>) -> i64 {
    match r {
        Ok(Some(old)) => i64::try_from(old).unwrap_or(-1),
        Ok(None) => -1,
        Err(e) => {
            let state = current_call_state();
            // SAFETY: builtins run inside `catch_traps`, whose call state
            // lives on the stack below this frame.
            unsafe { (*state).host_error = Some(e) };
            GROW_ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brisk_environ::BuiltinFunction;

    #[test]
    fn table_order() {
        use std::mem::offset_of;
        let fields = [
            (BuiltinFunction::MemoryGrow, offset_of!(VMBuiltins, memory_grow)),
            (BuiltinFunction::MemoryCopy, offset_of!(VMBuiltins, memory_copy)),
            (BuiltinFunction::MemoryFill, offset_of!(VMBuiltins, memory_fill)),
            (BuiltinFunction::MemoryInit, offset_of!(VMBuiltins, memory_init)),
            (BuiltinFunction::DataDrop, offset_of!(VMBuiltins, data_drop)),
            (BuiltinFunction::TableCopy, offset_of!(VMBuiltins, table_copy)),
            (BuiltinFunction::TableInit, offset_of!(VMBuiltins, table_init)),
            (BuiltinFunction::ElemDrop, offset_of!(VMBuiltins, elem_drop)),
            (BuiltinFunction::TableGrow, offset_of!(VMBuiltins, table_grow)),
            (BuiltinFunction::TableFill, offset_of!(VMBuiltins, table_fill)),
            (BuiltinFunction::TierUpHot, offset_of!(VMBuiltins, tier_up_hot)),
        ];
        for (b, off) in fields {
            assert_eq!(b.table_offset() as usize, off, "{b:?}");
        }
        assert_eq!(std::mem::size_of::<VMBuiltins>(), BuiltinFunction::ALL.len() * 8);
    }
}
