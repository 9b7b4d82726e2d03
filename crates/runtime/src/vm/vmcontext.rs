//! The `#[repr(C)]` structures compiled code reads and writes. Their
//! layout is fixed by `brisk_environ::vmoffsets`; the tests at the bottom
//! check every offset.

use super::{Memory, Table};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Opaque type of a vmctx: an instance's, or a host function's context.
#[repr(C)]
pub struct VMContext {
    _opaque: [u8; 0],
}

/// Store-wide limits and bookkeeping that compiled code reads.
#[repr(C)]
#[derive(Debug)]
pub struct VMRuntimeLimits {
    /// Lowest address the stack pointer may reach; `usize::MAX` outside wasm.
    pub stack_limit: UnsafeCell<usize>,
    /// Fuel consumed (counting up to zero).
    pub fuel_consumed: UnsafeCell<i64>,
    /// Epoch deadline.
    pub epoch_deadline: UnsafeCell<u64>,
    /// The engine's epoch counter, which epoch checks compare with
    /// `epoch_deadline`; null until the store sets it.
    pub epoch_counter: UnsafeCell<*const AtomicU64>,
}

impl Default for VMRuntimeLimits {
    fn default() -> Self {
        VMRuntimeLimits {
            stack_limit: UnsafeCell::new(usize::MAX),
            fuel_consumed: UnsafeCell::new(0),
            epoch_deadline: UnsafeCell::new(0),
            epoch_counter: UnsafeCell::new(std::ptr::null()),
        }
    }
}

/// The array-ABI entry point: `(callee_vmctx, caller_vmctx, values, len)`.
/// Host functions return `false` when they failed (the error is kept in the
/// thread's call state).
pub type ArrayCallHostFn = unsafe extern "C" fn(*mut VMContext, *mut VMContext, *mut ValRaw, usize) -> bool;

/// What a funcref points to.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    /// Entry in the native wasm ABI.
    pub native_call: usize,
    /// Entry in the array ABI (a host-to-wasm trampoline or a host shim), or 0.
    pub array_call: usize,
    /// The callee's vmctx.
    pub vmctx: *mut VMContext,
    /// The engine-wide `SharedTypeIndex` of the function's type.
    pub type_index: u32,
    /// Padding.
    pub _pad: u32,
}

impl VMFuncRef {
    /// Reads the funcref at `p`. Its native entry may be rewritten by
    /// another thread at any time (tier-up, [`VMFuncRef::set_native_call`]),
    /// so it is read atomically; the other fields never change once the
    /// funcref is written.
    ///
    /// # Safety
    ///
    /// `p` points to a live, initialized funcref.
    pub unsafe fn read(p: *const VMFuncRef) -> VMFuncRef {
        // SAFETY: per the contract the fields are readable; the native
        // entry is a `usize`, aligned like an `AtomicUsize`, and written
        // only atomically once the funcref is shared.
        unsafe {
            let native_call = AtomicUsize::from_ptr((&raw const (*p).native_call).cast_mut()).load(Ordering::Acquire);
            VMFuncRef {
                native_call,
                array_call: (*p).array_call,
                vmctx: (*p).vmctx,
                type_index: (*p).type_index,
                _pad: 0,
            }
        }
    }

    /// Replaces the native entry of the funcref at `p` with one store that
    /// compiled code and [`VMFuncRef::read`] see whole, old or new.
    ///
    /// # Safety
    ///
    /// `p` points to a live, initialized funcref, and `code` is an entry
    /// point with its type in the native ABI that lives as long as any
    /// caller may reach it.
    pub unsafe fn set_native_call(p: *mut VMFuncRef, code: usize) {
        // SAFETY: per the contract the field is live; see `read`.
        unsafe { AtomicUsize::from_ptr(&raw mut (*p).native_call).store(code, Ordering::Release) }
    }
}

/// A linear memory as compiled code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    /// Base address; never changes.
    pub base: *mut u8,
    /// Current length in bytes.
    pub current_length: usize,
}

/// A table as compiled code sees it.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    /// The elements: pointers, null for a null reference.
    pub base: *mut usize,
    /// Number of elements.
    pub current_elements: usize,
}

/// A global's storage: room for a v128.
#[repr(C, align(16))]
#[derive(Debug, Default, Clone, Copy)]
pub struct VMGlobalDefinition {
    /// The value, little endian from the start.
    pub storage: [u8; 16],
}

/// An imported function.
#[repr(C)]
#[derive(Debug)]
pub struct VMFunctionImport {
    /// Native-ABI entry.
    pub native_call: usize,
    /// Callee vmctx.
    pub vmctx: *mut VMContext,
}

/// An imported table.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableImport {
    /// The owner's definition.
    pub from: *mut VMTableDefinition,
    /// The runtime table, for builtins that grow or fill it.
    pub table: *mut Table,
}

/// An imported memory.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryImport {
    /// The owner's definition.
    pub from: *mut VMMemoryDefinition,
    /// The runtime memory, for `memory.grow`.
    pub memory: *mut Memory,
}

/// An imported global.
#[repr(C)]
#[derive(Debug)]
pub struct VMGlobalImport {
    /// The owner's storage.
    pub from: *mut VMGlobalDefinition,
}

/// The vmctx of a host function: the callee vmctx that wasm passes when it
/// calls one.
#[repr(C)]
pub struct VMArrayCallHostFuncContext {
    /// `host_func_context::MAGIC_VALUE`.
    pub magic: u32,
    /// Padding.
    pub _pad: u32,
    /// The host shim.
    pub array_call: ArrayCallHostFn,
    /// The funcref of this host function.
    pub func_ref: VMFuncRef,
    /// The host closure, type-erased; the shim knows its real type.
    pub host_state: Box<dyn std::any::Any + Send + Sync>,
}

/// What an externref points to: a host value owned by the store.
pub struct VMExternData {
    /// The host value.
    pub value: Box<dyn std::any::Any + Send + Sync>,
}

/// One slot of the array ABI: any value, little endian from the start.
#[repr(C, align(16))]
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct ValRaw {
    bytes: [u8; 16],
}

impl std::fmt::Debug for ValRaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ValRaw({:#x})", self.get_u128())
    }
}

impl ValRaw {
    /// From an i32.
    pub fn i32(v: i32) -> Self {
        Self::u128(v as u32 as u128)
    }
    /// From an i64.
    pub fn i64(v: i64) -> Self {
        Self::u128(v as u64 as u128)
    }
    /// From f32 bits.
    pub fn f32(bits: u32) -> Self {
        Self::u128(u128::from(bits))
    }
    /// From f64 bits.
    pub fn f64(bits: u64) -> Self {
        Self::u128(u128::from(bits))
    }
    /// From a v128.
    pub fn u128(v: u128) -> Self {
        ValRaw { bytes: v.to_le_bytes() }
    }
    /// From a pointer-sized reference (0 = null).
    pub fn ptr(p: usize) -> Self {
        Self::u128(p as u128)
    }
    /// As an i32.
    pub fn get_i32(&self) -> i32 {
        self.get_u128() as u32 as i32
    }
    /// As an i64.
    pub fn get_i64(&self) -> i64 {
        self.get_u128() as u64 as i64
    }
    /// As f32 bits.
    pub fn get_f32(&self) -> u32 {
        self.get_u128() as u32
    }
    /// As f64 bits.
    pub fn get_f64(&self) -> u64 {
        self.get_u128() as u64
    }
    /// As a v128.
    pub fn get_u128(&self) -> u128 {
        u128::from_le_bytes(self.bytes)
    }
    /// As a pointer-sized reference.
    pub fn get_ptr(&self) -> usize {
        self.get_u128() as usize
    }
}

/// The callee vmctx of an interpreted function's funcref.
#[repr(C)]
#[derive(Debug)]
pub struct VMInterpFuncContext {
    /// `interp_func_context::MAGIC_VALUE`.
    pub magic: u32,
    /// Padding.
    pub _pad: u32,
    /// The interpreter's entry (`vm::interp_entry`).
    pub array_call: usize,
    /// The instance's vmctx.
    pub vmctx: *mut VMContext,
    /// The module's bytecode blob.
    pub code: *const u32,
    /// The function's defined index.
    pub func: u32,
    /// Padding.
    pub _pad2: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use brisk_environ::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_vmoffsets() {
        use brisk_environ::{func_ref as fr, memory_def as md, runtime_limits as rl, table_def as td};
        assert_eq!(offset_of!(VMRuntimeLimits, stack_limit), rl::STACK_LIMIT as usize);
        assert_eq!(offset_of!(VMRuntimeLimits, fuel_consumed), rl::FUEL_CONSUMED as usize);
        assert_eq!(offset_of!(VMRuntimeLimits, epoch_deadline), rl::EPOCH_DEADLINE as usize);
        assert_eq!(offset_of!(VMRuntimeLimits, epoch_counter), rl::EPOCH_COUNTER as usize);
        assert_eq!(size_of::<VMRuntimeLimits>(), rl::SIZE as usize);
        assert_eq!(offset_of!(VMFuncRef, native_call), fr::NATIVE_CALL as usize);
        assert_eq!(offset_of!(VMFuncRef, array_call), fr::ARRAY_CALL as usize);
        assert_eq!(offset_of!(VMFuncRef, vmctx), fr::VMCTX as usize);
        assert_eq!(offset_of!(VMFuncRef, type_index), fr::TYPE_INDEX as usize);
        assert_eq!(size_of::<VMFuncRef>(), fr::SIZE as usize);
        assert_eq!(offset_of!(VMMemoryDefinition, base), md::BASE as usize);
        assert_eq!(offset_of!(VMMemoryDefinition, current_length), md::CURRENT_LENGTH as usize);
        assert_eq!(size_of::<VMMemoryDefinition>(), md::SIZE as usize);
        assert_eq!(offset_of!(VMTableDefinition, base), td::BASE as usize);
        assert_eq!(offset_of!(VMTableDefinition, current_elements), td::CURRENT_ELEMENTS as usize);
        assert_eq!(size_of::<VMTableDefinition>(), td::SIZE as usize);
        assert_eq!(size_of::<VMGlobalDefinition>(), GLOBAL_DEF_SIZE as usize);
        assert_eq!(size_of::<VMFunctionImport>(), FUNCTION_IMPORT_SIZE as usize);
        assert_eq!(size_of::<VMTableImport>(), ENTITY_IMPORT_SIZE as usize);
        assert_eq!(size_of::<VMMemoryImport>(), ENTITY_IMPORT_SIZE as usize);
        assert_eq!(size_of::<VMGlobalImport>(), GLOBAL_IMPORT_SIZE as usize);
        assert_eq!(size_of::<ValRaw>(), VALRAW_SIZE as usize);
        assert_eq!(offset_of!(VMArrayCallHostFuncContext, magic), host_func_context::MAGIC as usize);
        assert_eq!(offset_of!(VMArrayCallHostFuncContext, array_call), host_func_context::ARRAY_CALL as usize);
        use interp_func_context as ic;
        assert_eq!(offset_of!(VMInterpFuncContext, magic), ic::MAGIC as usize);
        assert_eq!(offset_of!(VMInterpFuncContext, array_call), ic::ARRAY_CALL as usize);
        assert_eq!(offset_of!(VMInterpFuncContext, vmctx), ic::VMCTX as usize);
        assert_eq!(offset_of!(VMInterpFuncContext, code), ic::CODE as usize);
        assert_eq!(offset_of!(VMInterpFuncContext, func), ic::FUNC as usize);
        assert_eq!(size_of::<VMInterpFuncContext>(), ic::SIZE as usize);
        // Native code enters an interpreted function through the host
        // functions' trampoline, which reads the entry where a host
        // function's context has it.
        assert_eq!((ic::MAGIC, ic::ARRAY_CALL), (host_func_context::MAGIC, host_func_context::ARRAY_CALL));
    }
}
