//! Builtin functions called by compiled code through `vmctx->builtins`.
//! They never unwind: failure is a sentinel the caller turns into a trap.

use super::instance::Instance;
use super::vmcontext::VMContext;
use brisk_environ::MemoryIndex;

/// The builtin table, in `BuiltinFunction` order.
#[repr(C)]
pub struct VMBuiltins {
    memory_grow: unsafe extern "C" fn(*mut VMContext, u64, u32) -> i64,
}

/// The one builtin table every vmctx points to.
pub static BUILTINS: VMBuiltins = VMBuiltins { memory_grow };

/// `memory.grow`: old size in pages, or -1.
///
/// # Safety
///
/// `vmctx` is the live vmctx of an instance, as compiled code passes it.
unsafe extern "C" fn memory_grow(vmctx: *mut VMContext, delta: u64, memory: u32) -> i64 {
    // SAFETY: compiled code passes its own live vmctx.
    let instance = unsafe { Instance::from_vmctx(vmctx) };
    match instance.memory_grow(MemoryIndex::from_u32(memory), delta) {
        Some(old) => i64::try_from(old).unwrap_or(-1),
        None => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brisk_environ::BuiltinFunction;

    #[test]
    fn table_order() {
        assert_eq!(std::mem::offset_of!(VMBuiltins, memory_grow), BuiltinFunction::MemoryGrow.table_offset() as usize);
        assert_eq!(std::mem::size_of::<VMBuiltins>(), BuiltinFunction::ALL.len() * 8);
    }
}
