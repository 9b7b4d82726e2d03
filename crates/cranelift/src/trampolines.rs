//! Trampolines between the host's array ABI and the native wasm ABI.
//!
//! The array ABI passes values in a buffer of `ValRaw` slots
//! ([`VALRAW_SIZE`] bytes each, the value little endian at the start of its
//! slot): `extern "C" fn(callee_vmctx, caller_vmctx, values, len)`.

use crate::abi::{self, array_call_signature, value_type, wasm_signature};
use crate::{CraneliftCompiler, FUNC_NAMESPACE, new_context};
use brisk_environ::{FuncIndex, FuncType, Trap, VALRAW_SIZE, func_ref, host_func_context};
use cranelift_codegen::Context;
use cranelift_codegen::ir::{
    self, ExtFuncData, ExternalName, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, UserExternalName,
    UserFuncName, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Namespace of trampoline names (only for readability of the IR).
const TRAMPOLINE_NAMESPACE: u32 = 1;

/// Flags for accesses to a `ValRaw` buffer: host memory that is valid,
/// little endian, and possibly less aligned than a v128 wants.
fn valraw_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap().with_endianness(ir::Endianness::Little)
}

fn slot_offset(i: usize) -> i32 {
    // Function types have at most a few thousand values (validation limits),
    // far below i32::MAX / 16.
    i32::try_from(i).unwrap_or(i32::MAX / 16) * VALRAW_SIZE as i32
}

/// Starts the function at an entry block and returns its parameters.
fn entry_block(b: &mut FunctionBuilder<'_>) -> Vec<ir::Value> {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    b.block_params(entry).to_vec()
}

/// Builds the host-to-wasm trampoline of `callee` (of type `ty`).
/// With `through_func_ref`, it calls the native entry of the funcref at
/// that offset of the callee vmctx (code that can be replaced while the
/// module runs) rather than the function directly.
pub(crate) fn array_to_wasm(
    compiler: &CraneliftCompiler,
    ty: &FuncType,
    callee: FuncIndex,
    through_func_ref: Option<u32>,
) -> Context {
    let mut ctx = new_context(UserFuncName::user(TRAMPOLINE_NAMESPACE, callee.as_u32()), array_call_signature(&[]));
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let params = entry_block(&mut b);
    let (callee_vmctx, caller_vmctx, values) = (params[0], params[1], params[2]);

    let mut args = Vec::with_capacity(ty.params.len() + 2);
    args.push(callee_vmctx);
    args.push(caller_vmctx);
    for (i, t) in ty.params.iter().enumerate() {
        args.push(b.ins().load(value_type(*t), valraw_flags(), values, slot_offset(i)));
    }
    let sig = b.import_signature(wasm_signature(ty));
    let call = match through_func_ref {
        Some(at) => {
            let at = i32::try_from(at).unwrap_or(i32::MAX) + func_ref::NATIVE_CALL as i32;
            // Not read-only: tier-up rewrites it.
            let code = b.ins().load(types::I64, abi::vm_flags(), callee_vmctx, at);
            b.ins().call_indirect(sig, code, &args)
        }
        None => {
            let name = b.func.declare_imported_user_function(UserExternalName::new(FUNC_NAMESPACE, callee.as_u32()));
            let func = b.import_function(ExtFuncData {
                name: ExternalName::user(name),
                signature: sig,
                colocated: true,
                patchable: false,
            });
            b.ins().call(func, &args)
        }
    };
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        b.ins().store(valraw_flags(), r, values, slot_offset(i));
    }
    b.ins().return_(&[]);
    b.finalize(compiler.isa().frontend_config());
    ctx
}

/// Builds the wasm-to-host trampoline for functions of type `ty`.
pub(crate) fn wasm_to_array(compiler: &CraneliftCompiler, ty: &FuncType) -> Context {
    let mut ctx = new_context(UserFuncName::user(TRAMPOLINE_NAMESPACE + 1, 0), wasm_signature(ty));
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let params = entry_block(&mut b);
    let (callee_vmctx, caller_vmctx) = (params[0], params[1]);

    let len = ty.params.len().max(ty.results.len());
    let slot_bytes = u32::try_from(len.max(1)).unwrap_or(u32::MAX / VALRAW_SIZE) * VALRAW_SIZE;
    let slot = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, slot_bytes, 4));
    for (i, p) in params[2..].iter().enumerate() {
        b.ins().stack_store(types::I64, *p, slot, slot_offset(i));
    }

    let host = b.ins().load(types::I64, abi::vm_readonly_flags(), callee_vmctx, host_func_context::ARRAY_CALL as i32);
    let values = b.ins().stack_addr(types::I64, slot, 0);
    let len = b.ins().iconst(types::I64, i64::try_from(len).unwrap_or(i64::MAX));
    let sig = b.import_signature(array_call_signature(&[types::I8]));
    let call = b.ins().call_indirect(sig, host, &[callee_vmctx, caller_vmctx, values, len]);
    let ok = b.inst_results(call)[0];
    b.ins().trapz(ok, abi::trap_code(Trap::HostError));

    let mut results = Vec::with_capacity(ty.results.len());
    for (i, t) in ty.results.iter().enumerate() {
        results.push(b.ins().stack_load(types::I64, value_type(*t), slot, slot_offset(i)));
    }
    b.ins().return_(&results);
    b.finalize(compiler.isa().frontend_config());
    ctx
}
