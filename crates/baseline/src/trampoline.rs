//! The host-to-wasm trampoline of a function, in the baseline tier: an
//! `extern "C" fn(callee_vmctx, caller_vmctx, values: *mut ValRaw, len)`
//! that loads the arguments from `values`, calls the function in the native
//! ABI and stores its results back (each at the start of its
//! [`VALRAW_SIZE`]-byte slot). The same contract as the optimizing tier's,
//! a few instructions per value and no Cranelift compile per escaping
//! function.

use crate::BaselineError;
use crate::abi::{self, Layout, Place};
use crate::x64::{Alu, Asm, Mem, R10, R11, RBP, RDI, RDX, RSI, RSP, Rm};
use brisk_environ::unwind::CfiProgram;
use brisk_environ::{
    CompiledFunction, FuncIndex, FuncReloc, FuncType, RelocKind, VALRAW_SIZE, WasmValType, func_ref,
};

pub(crate) fn array_to_wasm(
    ty: &FuncType,
    callee: FuncIndex,
    through_func_ref: Option<u32>,
) -> Result<CompiledFunction, BaselineError> {
    let mut l = Layout::default();
    abi::layout_into(&mut l, &ty.params, &ty.results);
    let slot = |i: usize| -> Mem { Mem::base(R10, (i as u32 * VALRAW_SIZE) as i32) };
    let narrow = |t: WasmValType| matches!(t, WasmValType::I32 | WasmValType::F32);
    let mut a = Asm::default();
    a.push(RBP);
    let push_end = a.len();
    a.mov_rr(true, RBP, RSP);
    let mut cfi = CfiProgram::default();
    cfi.frame_pointer(push_end, a.len());
    // `values` stays in the frame across the call; rsp is 16-byte aligned
    // after the two pushes and the outgoing area (a multiple of 16).
    a.push(RDX);
    a.push(RDX);
    let outgoing = l.ret_area + l.stack_args;
    if outgoing > 0 {
        a.alu_ri(Alu::Sub, true, Rm::Reg(RSP), outgoing as i32);
    }
    a.mov_rr(true, R10, RDX);
    // The vmctx arguments arrive in rdi and rsi; with a return area they
    // move one register up.
    if l.vmctx != [RDI, RSI] {
        a.mov_rr(true, R11, RSI);
        a.mov_rr(true, l.vmctx[0], RDI);
        a.mov_rr(true, l.vmctx[1], R11);
    }
    for (i, (&t, place)) in ty.params.iter().zip(&l.params).enumerate() {
        match *place {
            Place::Stack(off) if t == WasmValType::V128 => {
                a.movdqu_load(15, slot(i));
                a.movdqu_store(Mem::base(RSP, off as i32), 15);
            }
            Place::Stack(off) => {
                a.load(true, R11, slot(i));
                a.store(true, Mem::base(RSP, off as i32), R11);
            }
            Place::Int(r) => a.load(!narrow(t), r, slot(i)),
            Place::Float(x) if t == WasmValType::V128 => a.movdqu_load(x, slot(i)),
            Place::Float(x) => a.movs_load(t == WasmValType::F64, x, slot(i)),
        }
    }
    if let Some(r) = l.ret_ptr {
        a.lea(r, Mem::base(RSP, l.stack_args as i32));
    }
    // Directly, or through the native entry of the callee's funcref in
    // its vmctx (which tier-up rewrites).
    let reloc = match through_func_ref {
        None => Some(a.call_rel32()),
        Some(off) => {
            let disp = i32::try_from(off + func_ref::NATIVE_CALL).map_err(|_| {
                BaselineError::Unsupported("a vmctx over 2 GiB".to_string())
            })?;
            a.call_rm(Rm::Mem(Mem::base(l.vmctx[0], disp)));
            None
        }
    };
    // Results may be in every integer register up to r10 and in xmm0-7:
    // `values` goes to r11, stack results move through xmm15.
    a.load(true, R11, Mem::base(RBP, -8));
    let slot = |i: usize| -> Mem { Mem::base(R11, (i as u32 * VALRAW_SIZE) as i32) };
    for (i, (&t, place)) in ty.results.iter().zip(&l.results).enumerate() {
        match *place {
            Place::Int(r) => a.store(true, slot(i), r),
            Place::Float(x) if t == WasmValType::V128 => a.movdqu_store(slot(i), x),
            Place::Float(x) => a.movs_store(t == WasmValType::F64, slot(i), x),
            // The callee popped its stack arguments: the return area is at
            // rsp.
            Place::Stack(off) if t == WasmValType::V128 => {
                a.movdqu_load(15, Mem::base(RSP, off as i32));
                a.movdqu_store(slot(i), 15);
            }
            Place::Stack(off) => {
                a.movs_load(true, 15, Mem::base(RSP, off as i32));
                a.movs_store(true, slot(i), 15);
            }
        }
    }
    a.mov_rr(true, RSP, RBP);
    a.pop(RBP);
    a.ret(0);
    Ok(CompiledFunction {
        body: a.code,
        relocs: reloc
            .map(|at| FuncReloc {
                offset: at,
                kind: RelocKind::X86CallPcRel4,
                target: callee,
                addend: -4,
            })
            .into_iter()
            .collect(),
        traps: Vec::new(),
        alignment: 16,
        // A few bytes: kept whether or not unwind info is asked for.
        unwind: cfi.into_bytes(),
    })
}
