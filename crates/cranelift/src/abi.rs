//! The native ABI shared with the baseline tier and the runtime: signatures,
//! value types, trap codes and memory flags for vmctx accesses.

use brisk_environ::{BuiltinFunction, BuiltinType, FuncType, Trap, WasmError, WasmResult, WasmValType};
use cranelift_codegen::ir::{self, AbiParam, ArgumentPurpose, MemFlagsData, Signature, TrapCode, types};
use cranelift_codegen::isa::CallConv;

/// The Cranelift type of a wasm value type.
pub(crate) fn value_type(ty: WasmValType) -> ir::Type {
    match ty {
        WasmValType::I32 => types::I32,
        WasmValType::I64 => types::I64,
        WasmValType::F32 => types::F32,
        WasmValType::F64 => types::F64,
        WasmValType::V128 => types::I8X16,
        WasmValType::FuncRef | WasmValType::ExternRef => types::I64,
    }
}

/// The Cranelift type of a wasmparser value type; `offset` is for errors.
pub(crate) fn wasmparser_type(ty: wasmparser::ValType, offset: u64) -> WasmResult<ir::Type> {
    WasmValType::from_wasmparser(ty).map(value_type).map_err(|m| WasmError::unsupported(m, offset))
}

/// The native wasm signature of a function type:
/// `(callee_vmctx, caller_vmctx, params...) -> results` in the tail
/// calling convention.
pub(crate) fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.extend(ty.params.iter().map(|t| AbiParam::new(value_type(*t))));
    sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(value_type(*t))));
    sig
}

/// The signature of an on-stack-replacement entry of a function of type
/// `ty`: `(vmctx, caller_vmctx, locals) -> results`.
pub(crate) fn osr_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.extend([AbiParam::new(types::I64); 2]);
    sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(value_type(*t))));
    sig
}

/// The signature of the array-ABI entry points:
/// `(callee_vmctx, caller_vmctx, values, len)` with the given result types.
pub(crate) fn array_call_signature(returns: &[ir::Type]) -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.extend([AbiParam::new(types::I64); 4]);
    sig.returns.extend(returns.iter().map(|t| AbiParam::new(*t)));
    sig
}

/// The signature of a builtin function.
pub(crate) fn builtin_signature(builtin: BuiltinFunction) -> Signature {
    let ty = |t: BuiltinType| match t {
        BuiltinType::Pointer | BuiltinType::I64 => types::I64,
        BuiltinType::I32 => types::I32,
    };
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.extend(builtin.params().iter().map(|t| AbiParam::new(ty(*t))));
    sig.returns.push(AbiParam::new(ty(builtin.result())));
    sig
}

/// The Cranelift trap code that stands for a Brisk trap.
pub(crate) fn trap_code(trap: Trap) -> TrapCode {
    match trap {
        Trap::StackOverflow => TrapCode::STACK_OVERFLOW,
        Trap::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
        Trap::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
        Trap::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
        Trap::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
        other => TrapCode::unwrap_user(other.code()),
    }
}

/// The Brisk trap a Cranelift trap code stands for, if any.
pub(crate) fn brisk_trap(code: TrapCode) -> Option<Trap> {
    Some(match code {
        TrapCode::STACK_OVERFLOW => Trap::StackOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => Trap::MemoryOutOfBounds,
        TrapCode::INTEGER_OVERFLOW => Trap::IntegerOverflow,
        TrapCode::INTEGER_DIVISION_BY_ZERO => Trap::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => Trap::BadConversionToInteger,
        other => {
            if TrapCode::non_user_traps().contains(&other) {
                return None;
            }
            Trap::from_code(other.as_raw().get())?
        }
    })
}

/// Flags for a load of a vmctx field (or of a structure the runtime keeps
/// alive while the code runs): aligned, cannot trap.
pub(crate) fn vm_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags for a load of a field that never changes while the code can
/// observe it: aligned, cannot trap, read-only, free to be hoisted.
pub(crate) fn vm_readonly_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Flags for an access to linear memory or to a `ValRaw` buffer: little
/// endian, possibly unaligned; a fault is a [`Trap::MemoryOutOfBounds`].
pub(crate) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(ir::Endianness::Little)
        .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_codes_round_trip() {
        for t in Trap::ALL {
            assert_eq!(brisk_trap(trap_code(t)), Some(t), "{t:?}");
        }
    }
}
