//! Interpreted functions on the runtime: their contexts, and the array-ABI
//! entry through which everything else calls them.
//!
//! An interpreted function's funcref has the interpreter's entry
//! ([`interp_entry`]) as its array-ABI entry, the engine's wasm-to-host
//! trampoline of its type as its native entry, and a
//! [`VMInterpFuncContext`] as its callee vmctx. Native code calls it like
//! a host function; host code calls it like any function.
//!
//! Traps inside the interpreter are reported through the thread's call
//! state as a [`TrapRecord`] whose frames are bytecode addresses (the
//! module registers its bytecode with the code registry, so backtraces
//! name interpreted frames like native ones). When native code called the
//! interpreter, the trampoline then traps and the signal handler appends
//! the native frames to that record.

use super::traphandlers::{CallError, TrapRecord, catch_traps, current_call_state};
use super::vmcontext::{VMContext, VMFuncRef, VMInterpFuncContext, ValRaw};
use crate::store::StoreOpaque;
use brisk_environ::{VMCTX_STORE, interp_func_context};
use brisk_interp::exec::{self, Stack, Unwind};
use std::panic::AssertUnwindSafe;

impl VMInterpFuncContext {
    /// The context of defined function `func` of the instance `vmctx`, whose
    /// module's bytecode is `code`.
    pub fn new(vmctx: *mut VMContext, code: *const u32, func: u32) -> Self {
        VMInterpFuncContext {
            magic: interp_func_context::MAGIC_VALUE,
            _pad: 0,
            array_call: interp_entry as *const () as usize,
            vmctx,
            code,
            func,
            _pad2: 0,
        }
    }
}

/// Slots of a store's interpreter value stack (16 bytes each: 8 MiB,
/// allocated zeroed so that only used pages cost memory).
pub const INTERP_STACK_SLOTS: usize = 1 << 19;
/// Most nested interpreted calls.
pub const INTERP_MAX_FRAMES: usize = 1 << 16;

/// A new interpreter stack for a store.
pub fn new_interp_stack() -> Stack {
    Stack::new(INTERP_STACK_SLOTS, INTERP_MAX_FRAMES)
}

/// The runtime's side of calls out of the interpreter.
struct RuntimeHost {
    limits: *const super::VMRuntimeLimits,
    max_wasm_stack: usize,
}

impl exec::Host for RuntimeHost {
    type Error = CallError;

    unsafe fn call(
        &mut self,
        func_ref: *const u8,
        caller_vmctx: *mut u8,
        values: *mut u128,
        len: usize,
    ) -> Result<(), CallError> {
        // SAFETY: per the trait's contract `func_ref` is a live funcref.
        let fr = unsafe { VMFuncRef::read(func_ref.cast::<VMFuncRef>()) };
        if fr.array_call == 0 {
            return Err(CallError::Host(anyhow::anyhow!("function has no entry for the interpreter")));
        }
        // SAFETY: the entry matches the funcref's type, which the
        // interpreter checked (or the module's validation did); `values`
        // holds `len` slots for its parameters and results; `ValRaw` is
        // 16 bytes like the interpreter's slots.
        unsafe {
            catch_traps(
                self.limits,
                self.max_wasm_stack,
                fr.array_call,
                fr.vmctx,
                caller_vmctx.cast(),
                values.cast::<ValRaw>(),
                len,
            )
        }
    }
}

/// The array-ABI entry of every interpreted function.
///
/// # Safety
///
/// `ctx` is a live [`VMInterpFuncContext`]; `values` holds `len` slots with
/// the arguments and room for the results; it runs inside `catch_traps`.
pub unsafe extern "C" fn interp_entry(
    ctx: *mut VMContext,
    _caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
    len: usize,
) -> bool {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: per the contract, `ctx` is an interpreted function's
        // context, whose instance's vmctx header points at its store; the
        // store outlives the call and no reference into it is live while
        // wasm runs, so reading two of its fields is sound.
        let (stack, limits, max_wasm_stack) = unsafe {
            let ictx = &*ctx.cast::<VMInterpFuncContext>();
            let store = *ictx.vmctx.cast::<u8>().add(VMCTX_STORE as usize).cast::<*const StoreOpaque>();
            let stack = (*store).interp.as_ref().map(|s| s.as_ptr());
            (stack, (*store).limits.as_ptr(), (*store).engine.config().max_wasm_stack)
        };
        let Some(stack) = stack else {
            return Err(CallError::Host(anyhow::anyhow!("interpreted function called in a store without an interpreter")));
        };
        let mut host = RuntimeHost { limits, max_wasm_stack };
        // SAFETY: the stack is the store's, used by this thread only; the
        // context and values are valid per the contract.
        let r = unsafe { exec::call(&*stack, &mut host, ctx.cast(), values.cast(), len) };
        r.map_err(|e| match e.unwind {
            Unwind::Trap(trap) => {
                let mut record = TrapRecord::new(trap);
                e.frames.iter().for_each(|pc| record.push(*pc));
                CallError::Trap(Box::new(record))
            }
            Unwind::Host(CallError::Trap(mut record)) => {
                e.frames.iter().for_each(|pc| record.push(*pc));
                CallError::Trap(record)
            }
            Unwind::Host(host) => host,
        })
    }));
    let state = current_call_state();
    // SAFETY: interpreted functions run inside `catch_traps`, whose call
    // state lives on the stack below this frame.
    let state = unsafe { &mut *state };
    match result {
        Ok(Ok(())) => true,
        Ok(Err(CallError::Trap(record))) => {
            state.set_pending_trap(*record);
            false
        }
        Ok(Err(CallError::Host(e))) => {
            state.host_error = Some(e);
            false
        }
        Err(panic) => {
            state.host_panic = Some(panic);
            false
        }
    }
}
