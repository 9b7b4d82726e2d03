//! Brisk's one native ABI, as the baseline tier sees it: where a wasm
//! signature's arguments and results live. It is Cranelift's `tail`
//! calling convention on x86-64 (docs/architecture.md, "The one native
//! ABI"); `tests/all/baseline.rs` calls across both tiers with every shape
//! of signature to hold the two to it.

use crate::x64::{R8, R9, R10, RAX, RCX, RDI, RDX, RSI, Reg};
use brisk_environ::WasmValType;

/// Integer argument registers, in order.
pub const INT_ARGS: [Reg; 6] = [RDI, RSI, RDX, RCX, R8, R9];
/// Integer result registers, in order.
pub const INT_RETS: [Reg; 8] = [RAX, RCX, RDX, RSI, RDI, R8, R9, R10];
/// Float argument and result registers: xmm0-xmm7.
pub const FLOAT_REGS: u8 = 8;

/// Where one value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A general-purpose register.
    Int(Reg),
    /// An XMM register.
    Float(Reg),
    /// At this offset in the stack-argument area (arguments: from the
    /// caller's `rsp` at the call; results: from the return-area pointer).
    Stack(u32),
}

/// The locations of a signature's values.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Where each wasm parameter goes (not the two vmctx arguments).
    pub params: Vec<Place>,
    /// The two vmctx arguments (callee, caller).
    pub vmctx: [Reg; 2],
    /// The return-area pointer's register, if results overflow registers.
    pub ret_ptr: Option<Reg>,
    /// Bytes of stack arguments (a multiple of 16), popped by the callee.
    pub stack_args: u32,
    /// Where each result goes.
    pub results: Vec<Place>,
    /// Bytes of the return area (a multiple of 16; 0 without one).
    pub ret_area: u32,
}

fn is_float(t: WasmValType) -> bool {
    matches!(t, WasmValType::F32 | WasmValType::F64 | WasmValType::V128)
}

fn size(t: WasmValType) -> u32 {
    if t == WasmValType::V128 { 16 } else { 8 }
}

fn align16(v: u32) -> u32 {
    (v + 15) & !15
}

/// The layout of a function type's arguments and results.
#[cfg(test)]
pub fn layout(params: &[WasmValType], results: &[WasmValType]) -> Layout {
    let mut out = Layout::default();
    layout_into(&mut out, params, results);
    out
}

/// Computes the layout of a function type into `out`, reusing its buffers.
pub fn layout_into(out: &mut Layout, params: &[WasmValType], results: &[WasmValType]) {
    out.params.clear();
    out.results.clear();
    out.ret_ptr = None;
    // Results first: they decide whether a return-area pointer takes the
    // first integer argument register.
    out.ret_area = align16(assign(results, &INT_RETS, 0, &mut out.results));
    let mut ints = 0;
    if out.ret_area > 0 {
        out.ret_ptr = Some(INT_ARGS[0]);
        ints = 1;
    }
    out.vmctx = [INT_ARGS[ints], INT_ARGS[ints + 1]];
    out.stack_args = align16(assign(params, &INT_ARGS, ints + 2, &mut out.params));
}

/// Places values: floats and vectors in xmm0-7, integers in `int_regs`
/// from index `ints` on, the rest on the stack in order (aligned to their
/// size, at least 8). Returns the stack bytes used.
fn assign(types: &[WasmValType], int_regs: &[Reg], mut ints: usize, out: &mut Vec<Place>) -> u32 {
    let (mut floats, mut stack) = (0u8, 0u32);
    for &t in types {
        let place = if is_float(t) && floats < FLOAT_REGS {
            floats += 1;
            Place::Float(floats - 1)
        } else if !is_float(t) && ints < int_regs.len() {
            ints += 1;
            Place::Int(int_regs[ints - 1])
        } else {
            let sz = size(t);
            stack = stack.div_ceil(sz) * sz + sz;
            Place::Stack(stack - sz)
        };
        out.push(place);
    }
    stack
}

#[cfg(test)]
mod tests {
    use super::*;
    use WasmValType::*;

    #[test]
    fn registers_then_stack() {
        let l = layout(&[I32, F64, I64, I32, I32, I32, I64], &[I32, F32]);
        assert_eq!(l.vmctx, [RDI, RSI]);
        assert_eq!(
            l.params[..5],
            [
                Place::Int(RDX),
                Place::Float(0),
                Place::Int(RCX),
                Place::Int(R8),
                Place::Int(R9)
            ]
        );
        assert_eq!(l.params[5..], [Place::Stack(0), Place::Stack(8)]);
        assert_eq!(l.stack_args, 16);
        assert_eq!(l.results, [Place::Int(RAX), Place::Float(0)]);
        assert_eq!(l.ret_ptr, None);
    }

    #[test]
    fn return_area() {
        let results = [I32; 10];
        let l = layout(&[I64], &results);
        assert_eq!(l.ret_ptr, Some(RDI));
        assert_eq!(l.vmctx, [RSI, RDX]);
        assert_eq!(l.params, [Place::Int(RCX)]);
        assert_eq!(l.results[8..], [Place::Stack(0), Place::Stack(8)]);
        assert_eq!(l.ret_area, 16);
    }
}
