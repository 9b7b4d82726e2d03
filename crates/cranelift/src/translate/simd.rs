//! Fixed-width SIMD: the `v128` operators of the WebAssembly SIMD proposal
//! (not relaxed SIMD), lowered to Cranelift's vector instructions.
//!
//! A `v128` lives on the operand stack, in locals, globals, block
//! parameters and signatures as one canonical Cranelift type, [`I8X16`].
//! Every operator reinterprets its operands as the lane type it works on
//! with a little-endian `bitcast` (free: all vector types share the same
//! registers) and reinterprets its result back to `I8X16`.
//!
//! Every operator maps to Cranelift vector instructions; a few are written
//! in the exact shape that Cranelift's x64 backend matches to a single
//! instruction sequence (`i32x4.trunc_sat_f64x2_*_zero`, `pmin`/`pmax`,
//! `dot`, `extadd_pairwise`, `extmul`, `convert_low`).

use super::FuncTranslator;
use crate::abi::heap_flags;
use brisk_environ::WasmResult;
use cranelift_codegen::ir::{
    self, ConstantData, Endianness, InstBuilder, MemFlagsData, Value,
    condcodes::{FloatCC, IntCC},
    types::{F32X4, F64X2, I8X16, I16X8, I32, I32X4, I64X2},
};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator};

/// The canonical type of a `v128` value.
pub(crate) const V128: ir::Type = I8X16;

/// Flags for a reinterpretation between vector types with different lane
/// counts: Cranelift requires an explicit byte order.
fn bitcast_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Reinterprets `v` as `ty` (no instruction if it already has that type).
pub(crate) fn bitcast_to(b: &mut FunctionBuilder<'_>, ty: ir::Type, v: Value) -> Value {
    if b.func.dfg.value_type(v) == ty { v } else { b.ins().bitcast(ty, bitcast_flags(), v) }
}

/// The scalar type of one lane of an integer vector type, as it is stored.
fn lane_type(ty: ir::Type) -> ir::Type {
    ty.lane_type()
}

/// Which scalar-to-vector load a `v128.loadN_*` operator is.
#[derive(Clone, Copy)]
enum ExtLoad {
    S8x8,
    U8x8,
    S16x4,
    U16x4,
    S32x2,
    U32x2,
}

/// Which widening conversion.
#[derive(Clone, Copy)]
enum Widen {
    SLow,
    SHigh,
    ULow,
    UHigh,
}

impl Widen {
    fn apply(self, b: &mut FunctionBuilder<'_>, x: Value) -> Value {
        match self {
            Widen::SLow => b.ins().swiden_low(x),
            Widen::SHigh => b.ins().swiden_high(x),
            Widen::ULow => b.ins().uwiden_low(x),
            Widen::UHigh => b.ins().uwiden_high(x),
        }
    }
}

/// Which shift.
#[derive(Clone, Copy)]
enum Shift {
    Shl,
    ShrS,
    ShrU,
}

impl FuncTranslator<'_, '_> {
    /// Pops a `v128` and reinterprets it as `ty`.
    fn pop_v(&mut self, ty: ir::Type, offset: u64) -> WasmResult<Value> {
        let v = self.pop(offset)?;
        Ok(bitcast_to(&mut self.b, ty, v))
    }

    /// Pops two `v128`s (the deeper one first) as `ty`.
    fn pop2_v(&mut self, ty: ir::Type, offset: u64) -> WasmResult<(Value, Value)> {
        let y = self.pop_v(ty, offset)?;
        let x = self.pop_v(ty, offset)?;
        Ok((x, y))
    }

    /// Pushes a vector of any type as a `v128`.
    fn push_v(&mut self, v: Value) {
        let v = bitcast_to(&mut self.b, V128, v);
        self.stack.push(v);
    }

    /// A unary operator on lanes of `ty`.
    fn v_unop(
        &mut self,
        ty: ir::Type,
        offset: u64,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value,
    ) -> WasmResult<()> {
        let x = self.pop_v(ty, offset)?;
        let r = f(&mut self.b, x);
        self.push_v(r);
        Ok(())
    }

    /// A binary operator on lanes of `ty`.
    fn v_binop(
        &mut self,
        ty: ir::Type,
        offset: u64,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value,
    ) -> WasmResult<()> {
        let (x, y) = self.pop2_v(ty, offset)?;
        let r = f(&mut self.b, x, y);
        self.push_v(r);
        Ok(())
    }

    /// A lane-wise integer comparison: all ones where true, else zeros.
    fn v_icmp(&mut self, ty: ir::Type, cc: IntCC, offset: u64) -> WasmResult<()> {
        self.v_binop(ty, offset, |b, x, y| b.ins().icmp(cc, x, y))
    }

    /// A lane-wise float comparison: all ones where true, else zeros.
    fn v_fcmp(&mut self, ty: ir::Type, cc: FloatCC, offset: u64) -> WasmResult<()> {
        self.v_binop(ty, offset, |b, x, y| b.ins().fcmp(cc, x, y))
    }

    /// A shift of every lane of `ty` by an i32 amount; Cranelift takes the
    /// amount modulo the lane width, as wasm does.
    fn v_shift(&mut self, ty: ir::Type, shift: Shift, offset: u64) -> WasmResult<()> {
        let amount = self.pop(offset)?;
        let x = self.pop_v(ty, offset)?;
        let ins = self.b.ins();
        let r = match shift {
            Shift::Shl => ins.ishl(x, amount),
            Shift::ShrS => ins.sshr(x, amount),
            Shift::ShrU => ins.ushr(x, amount),
        };
        self.push_v(r);
        Ok(())
    }

    /// `*.all_true`: 1 if no lane of `ty` is zero.
    fn v_all_true(&mut self, ty: ir::Type, offset: u64) -> WasmResult<()> {
        let x = self.pop_v(ty, offset)?;
        let t = self.b.ins().vall_true(x);
        let r = self.b.ins().uextend(I32, t);
        self.stack.push(r);
        Ok(())
    }

    /// `*.bitmask`: the top bit of every lane of `ty`, lane 0 in bit 0.
    fn v_bitmask(&mut self, ty: ir::Type, offset: u64) -> WasmResult<()> {
        let x = self.pop_v(ty, offset)?;
        let r = self.b.ins().vhigh_bits(I32, x);
        self.stack.push(r);
        Ok(())
    }

    /// `*.splat` of the scalar on the stack (an i32 for the narrow lanes).
    fn v_splat(&mut self, ty: ir::Type, offset: u64) -> WasmResult<()> {
        let x = self.pop(offset)?;
        let lane = lane_type(ty);
        let x = if self.b.func.dfg.value_type(x) == lane { x } else { self.b.ins().ireduce(lane, x) };
        let r = self.b.ins().splat(ty, x);
        self.push_v(r);
        Ok(())
    }

    /// `*.extract_lane[_s|_u]`; `extend` says how a narrow lane becomes an
    /// i32: `Some(true)` signed, `Some(false)` unsigned.
    fn v_extract_lane(&mut self, ty: ir::Type, lane: u8, extend: Option<bool>, offset: u64) -> WasmResult<()> {
        let x = self.pop_v(ty, offset)?;
        let v = self.b.ins().extractlane(x, lane);
        let r = match extend {
            Some(true) => self.b.ins().sextend(I32, v),
            Some(false) => self.b.ins().uextend(I32, v),
            None => v,
        };
        self.stack.push(r);
        Ok(())
    }

    /// `*.replace_lane`: the scalar is on top of the vector.
    fn v_replace_lane(&mut self, ty: ir::Type, lane: u8, offset: u64) -> WasmResult<()> {
        let x = self.pop(offset)?;
        let v = self.pop_v(ty, offset)?;
        let lane_ty = lane_type(ty);
        let x = if self.b.func.dfg.value_type(x) == lane_ty { x } else { self.b.ins().ireduce(lane_ty, x) };
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_v(r);
        Ok(())
    }

    /// A widening conversion of half the lanes of `from`.
    fn v_widen(&mut self, from: ir::Type, widen: Widen, offset: u64) -> WasmResult<()> {
        self.v_unop(from, offset, |b, x| widen.apply(b, x))
    }

    /// `extmul_{low,high}`: the products of half the lanes of `from`,
    /// widened first. Written as `imul(widen(x), widen(y))`, the shape the
    /// x64 backend turns into `pmull*`/`pmulh*`/`pmuldq` sequences.
    fn v_extmul(&mut self, from: ir::Type, widen: Widen, offset: u64) -> WasmResult<()> {
        self.v_binop(from, offset, |b, x, y| {
            let x = widen.apply(b, x);
            let y = widen.apply(b, y);
            b.ins().imul(x, y)
        })
    }

    /// `extadd_pairwise`: sums of adjacent lanes of `from`, widened. Written
    /// as `iadd_pairwise(widen_low(x), widen_high(x))`, which the x64
    /// backend turns into `pmaddubsw`/`pmaddwd`.
    fn v_extadd_pairwise(&mut self, from: ir::Type, signed: bool, offset: u64) -> WasmResult<()> {
        self.v_unop(from, offset, |b, x| {
            let (lo, hi) = if signed {
                (b.ins().swiden_low(x), b.ins().swiden_high(x))
            } else {
                (b.ins().uwiden_low(x), b.ins().uwiden_high(x))
            };
            b.ins().iadd_pairwise(lo, hi)
        })
    }

    /// `i32x4.dot_i16x8_s`: the shape the x64 backend turns into `pmaddwd`.
    fn v_dot(&mut self, offset: u64) -> WasmResult<()> {
        self.v_binop(I16X8, offset, |b, x, y| {
            let xl = b.ins().swiden_low(x);
            let yl = b.ins().swiden_low(y);
            let lo = b.ins().imul(xl, yl);
            let xh = b.ins().swiden_high(x);
            let yh = b.ins().swiden_high(y);
            let hi = b.ins().imul(xh, yh);
            b.ins().iadd_pairwise(lo, hi)
        })
    }

    /// `pmin` (`b < a ? b : a`) and `pmax` (`a < b ? b : a`): a compare and
    /// a select on the float type, which the x64 backend turns into
    /// `minp*`/`maxp*` (whose NaN and zero rules are exactly these).
    fn v_pminmax(&mut self, ty: ir::Type, max: bool, offset: u64) -> WasmResult<()> {
        self.v_binop(ty, offset, |b, x, y| {
            let cond = if max { b.ins().fcmp(FloatCC::LessThan, x, y) } else { b.ins().fcmp(FloatCC::LessThan, y, x) };
            let mask = b.ins().bitcast(ty, bitcast_flags(), cond);
            b.ins().bitselect(mask, y, x)
        })
    }

    /// A zero vector of type `ty`.
    fn v_zero(&mut self, ty: ir::Type) -> Value {
        let c = self.b.func.dfg.constants.insert(ConstantData::from(vec![0u8; 16]));
        self.b.ins().vconst(ty, c)
    }

    /// `i32x4.trunc_sat_f64x2_{s,u}_zero`: saturating conversion to two
    /// i64 lanes narrowed with a zero vector, the shape the x64 backend
    /// lowers to `cvttpd2dq` sequences.
    fn v_trunc_sat_f64x2_zero(&mut self, signed: bool, offset: u64) -> WasmResult<()> {
        let x = self.pop_v(F64X2, offset)?;
        let zero = self.v_zero(I64X2);
        let r = if signed {
            let wide = self.b.ins().fcvt_to_sint_sat(I64X2, x);
            self.b.ins().snarrow(wide, zero)
        } else {
            let wide = self.b.ins().fcvt_to_uint_sat(I64X2, x);
            self.b.ins().uunarrow(wide, zero)
        };
        self.push_v(r);
        Ok(())
    }

    // ---- Memory ----

    /// `v128.load{8x8,16x4,32x2}_{s,u}`: 8 bytes widened to a full vector.
    fn v_load_extend(&mut self, memarg: &MemArg, kind: ExtLoad, offset: u64) -> WasmResult<()> {
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, 8, index, offset)?;
        let flags = heap_flags();
        let ins = self.b.ins();
        let r = match kind {
            ExtLoad::S8x8 => ins.sload8x8(flags, addr, imm),
            ExtLoad::U8x8 => ins.uload8x8(flags, addr, imm),
            ExtLoad::S16x4 => ins.sload16x4(flags, addr, imm),
            ExtLoad::U16x4 => ins.uload16x4(flags, addr, imm),
            ExtLoad::S32x2 => ins.sload32x2(flags, addr, imm),
            ExtLoad::U32x2 => ins.uload32x2(flags, addr, imm),
        };
        self.push_v(r);
        Ok(())
    }

    /// `v128.loadN_splat`: one lane of `ty` loaded and copied to all.
    fn v_load_splat(&mut self, memarg: &MemArg, ty: ir::Type, offset: u64) -> WasmResult<()> {
        let lane = lane_type(ty);
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, lane.bytes(), index, offset)?;
        let x = self.b.ins().load(lane, heap_flags(), addr, imm);
        let r = self.b.ins().splat(ty, x);
        self.push_v(r);
        Ok(())
    }

    /// `v128.load{32,64}_zero`: one lane of `ty` loaded into lane 0, the
    /// other lanes zero.
    fn v_load_zero(&mut self, memarg: &MemArg, ty: ir::Type, offset: u64) -> WasmResult<()> {
        let lane = lane_type(ty);
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, lane.bytes(), index, offset)?;
        let x = self.b.ins().load(lane, heap_flags(), addr, imm);
        let r = self.b.ins().scalar_to_vector(ty, x);
        self.push_v(r);
        Ok(())
    }

    /// `v128.loadN_lane`: the vector is on top of the address.
    fn v_load_lane(&mut self, memarg: &MemArg, ty: ir::Type, lane: u8, offset: u64) -> WasmResult<()> {
        let lane_ty = lane_type(ty);
        let v = self.pop_v(ty, offset)?;
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, lane_ty.bytes(), index, offset)?;
        let x = self.b.ins().load(lane_ty, heap_flags(), addr, imm);
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_v(r);
        Ok(())
    }

    /// `v128.storeN_lane`: the vector is on top of the address.
    fn v_store_lane(&mut self, memarg: &MemArg, ty: ir::Type, lane: u8, offset: u64) -> WasmResult<()> {
        let lane_ty = lane_type(ty);
        let v = self.pop_v(ty, offset)?;
        let index = self.pop(offset)?;
        let (addr, imm) = self.heap_address(memarg, lane_ty.bytes(), index, offset)?;
        let x = self.b.ins().extractlane(v, lane);
        self.b.ins().store(heap_flags(), x, addr, imm);
        Ok(())
    }

    /// Translates `op` if it is a SIMD operator. Returns `Ok(false)`, having
    /// done nothing, for any other operator.
    pub(crate) fn translate_simd_operator(&mut self, op: &Operator<'_>, offset: u64) -> WasmResult<bool> {
        use Operator as O;
        let t = self;
        match *op {
            // ---- Memory ----
            O::V128Load { ref memarg } => t.mem_load(memarg, V128, 16, None, offset)?,
            O::V128Store { ref memarg } => t.mem_store(memarg, 16, offset)?,
            O::V128Load8x8S { ref memarg } => t.v_load_extend(memarg, ExtLoad::S8x8, offset)?,
            O::V128Load8x8U { ref memarg } => t.v_load_extend(memarg, ExtLoad::U8x8, offset)?,
            O::V128Load16x4S { ref memarg } => t.v_load_extend(memarg, ExtLoad::S16x4, offset)?,
            O::V128Load16x4U { ref memarg } => t.v_load_extend(memarg, ExtLoad::U16x4, offset)?,
            O::V128Load32x2S { ref memarg } => t.v_load_extend(memarg, ExtLoad::S32x2, offset)?,
            O::V128Load32x2U { ref memarg } => t.v_load_extend(memarg, ExtLoad::U32x2, offset)?,
            O::V128Load8Splat { ref memarg } => t.v_load_splat(memarg, I8X16, offset)?,
            O::V128Load16Splat { ref memarg } => t.v_load_splat(memarg, I16X8, offset)?,
            O::V128Load32Splat { ref memarg } => t.v_load_splat(memarg, I32X4, offset)?,
            O::V128Load64Splat { ref memarg } => t.v_load_splat(memarg, I64X2, offset)?,
            O::V128Load32Zero { ref memarg } => t.v_load_zero(memarg, I32X4, offset)?,
            O::V128Load64Zero { ref memarg } => t.v_load_zero(memarg, I64X2, offset)?,
            O::V128Load8Lane { ref memarg, lane } => t.v_load_lane(memarg, I8X16, lane, offset)?,
            O::V128Load16Lane { ref memarg, lane } => t.v_load_lane(memarg, I16X8, lane, offset)?,
            O::V128Load32Lane { ref memarg, lane } => t.v_load_lane(memarg, I32X4, lane, offset)?,
            O::V128Load64Lane { ref memarg, lane } => t.v_load_lane(memarg, I64X2, lane, offset)?,
            O::V128Store8Lane { ref memarg, lane } => t.v_store_lane(memarg, I8X16, lane, offset)?,
            O::V128Store16Lane { ref memarg, lane } => t.v_store_lane(memarg, I16X8, lane, offset)?,
            O::V128Store32Lane { ref memarg, lane } => t.v_store_lane(memarg, I32X4, lane, offset)?,
            O::V128Store64Lane { ref memarg, lane } => t.v_store_lane(memarg, I64X2, lane, offset)?,

            // ---- Constants, shuffles, lanes ----
            O::V128Const { value } => {
                let c = t.b.func.dfg.constants.insert(ConstantData::from(value.bytes().to_vec()));
                let v = t.b.ins().vconst(V128, c);
                t.stack.push(v);
            }
            O::I8x16Shuffle { lanes } => {
                let (x, y) = t.pop2_v(I8X16, offset)?;
                let mask = t.b.func.dfg.immediates.push(ConstantData::from(lanes.to_vec()));
                let r = t.b.ins().shuffle(x, y, mask);
                t.push_v(r);
            }
            O::I8x16Swizzle => t.v_binop(I8X16, offset, |b, x, y| b.ins().swizzle(x, y))?,
            O::I8x16ExtractLaneS { lane } => t.v_extract_lane(I8X16, lane, Some(true), offset)?,
            O::I8x16ExtractLaneU { lane } => t.v_extract_lane(I8X16, lane, Some(false), offset)?,
            O::I16x8ExtractLaneS { lane } => t.v_extract_lane(I16X8, lane, Some(true), offset)?,
            O::I16x8ExtractLaneU { lane } => t.v_extract_lane(I16X8, lane, Some(false), offset)?,
            O::I32x4ExtractLane { lane } => t.v_extract_lane(I32X4, lane, None, offset)?,
            O::I64x2ExtractLane { lane } => t.v_extract_lane(I64X2, lane, None, offset)?,
            O::F32x4ExtractLane { lane } => t.v_extract_lane(F32X4, lane, None, offset)?,
            O::F64x2ExtractLane { lane } => t.v_extract_lane(F64X2, lane, None, offset)?,
            O::I8x16ReplaceLane { lane } => t.v_replace_lane(I8X16, lane, offset)?,
            O::I16x8ReplaceLane { lane } => t.v_replace_lane(I16X8, lane, offset)?,
            O::I32x4ReplaceLane { lane } => t.v_replace_lane(I32X4, lane, offset)?,
            O::I64x2ReplaceLane { lane } => t.v_replace_lane(I64X2, lane, offset)?,
            O::F32x4ReplaceLane { lane } => t.v_replace_lane(F32X4, lane, offset)?,
            O::F64x2ReplaceLane { lane } => t.v_replace_lane(F64X2, lane, offset)?,
            O::I8x16Splat => t.v_splat(I8X16, offset)?,
            O::I16x8Splat => t.v_splat(I16X8, offset)?,
            O::I32x4Splat => t.v_splat(I32X4, offset)?,
            O::I64x2Splat => t.v_splat(I64X2, offset)?,
            O::F32x4Splat => t.v_splat(F32X4, offset)?,
            O::F64x2Splat => t.v_splat(F64X2, offset)?,

            // ---- Integer comparisons ----
            O::I8x16Eq => t.v_icmp(I8X16, IntCC::Equal, offset)?,
            O::I8x16Ne => t.v_icmp(I8X16, IntCC::NotEqual, offset)?,
            O::I8x16LtS => t.v_icmp(I8X16, IntCC::SignedLessThan, offset)?,
            O::I8x16LtU => t.v_icmp(I8X16, IntCC::UnsignedLessThan, offset)?,
            O::I8x16GtS => t.v_icmp(I8X16, IntCC::SignedGreaterThan, offset)?,
            O::I8x16GtU => t.v_icmp(I8X16, IntCC::UnsignedGreaterThan, offset)?,
            O::I8x16LeS => t.v_icmp(I8X16, IntCC::SignedLessThanOrEqual, offset)?,
            O::I8x16LeU => t.v_icmp(I8X16, IntCC::UnsignedLessThanOrEqual, offset)?,
            O::I8x16GeS => t.v_icmp(I8X16, IntCC::SignedGreaterThanOrEqual, offset)?,
            O::I8x16GeU => t.v_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual, offset)?,
            O::I16x8Eq => t.v_icmp(I16X8, IntCC::Equal, offset)?,
            O::I16x8Ne => t.v_icmp(I16X8, IntCC::NotEqual, offset)?,
            O::I16x8LtS => t.v_icmp(I16X8, IntCC::SignedLessThan, offset)?,
            O::I16x8LtU => t.v_icmp(I16X8, IntCC::UnsignedLessThan, offset)?,
            O::I16x8GtS => t.v_icmp(I16X8, IntCC::SignedGreaterThan, offset)?,
            O::I16x8GtU => t.v_icmp(I16X8, IntCC::UnsignedGreaterThan, offset)?,
            O::I16x8LeS => t.v_icmp(I16X8, IntCC::SignedLessThanOrEqual, offset)?,
            O::I16x8LeU => t.v_icmp(I16X8, IntCC::UnsignedLessThanOrEqual, offset)?,
            O::I16x8GeS => t.v_icmp(I16X8, IntCC::SignedGreaterThanOrEqual, offset)?,
            O::I16x8GeU => t.v_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual, offset)?,
            O::I32x4Eq => t.v_icmp(I32X4, IntCC::Equal, offset)?,
            O::I32x4Ne => t.v_icmp(I32X4, IntCC::NotEqual, offset)?,
            O::I32x4LtS => t.v_icmp(I32X4, IntCC::SignedLessThan, offset)?,
            O::I32x4LtU => t.v_icmp(I32X4, IntCC::UnsignedLessThan, offset)?,
            O::I32x4GtS => t.v_icmp(I32X4, IntCC::SignedGreaterThan, offset)?,
            O::I32x4GtU => t.v_icmp(I32X4, IntCC::UnsignedGreaterThan, offset)?,
            O::I32x4LeS => t.v_icmp(I32X4, IntCC::SignedLessThanOrEqual, offset)?,
            O::I32x4LeU => t.v_icmp(I32X4, IntCC::UnsignedLessThanOrEqual, offset)?,
            O::I32x4GeS => t.v_icmp(I32X4, IntCC::SignedGreaterThanOrEqual, offset)?,
            O::I32x4GeU => t.v_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual, offset)?,
            O::I64x2Eq => t.v_icmp(I64X2, IntCC::Equal, offset)?,
            O::I64x2Ne => t.v_icmp(I64X2, IntCC::NotEqual, offset)?,
            O::I64x2LtS => t.v_icmp(I64X2, IntCC::SignedLessThan, offset)?,
            O::I64x2GtS => t.v_icmp(I64X2, IntCC::SignedGreaterThan, offset)?,
            O::I64x2LeS => t.v_icmp(I64X2, IntCC::SignedLessThanOrEqual, offset)?,
            O::I64x2GeS => t.v_icmp(I64X2, IntCC::SignedGreaterThanOrEqual, offset)?,

            // ---- Float comparisons ----
            O::F32x4Eq => t.v_fcmp(F32X4, FloatCC::Equal, offset)?,
            O::F32x4Ne => t.v_fcmp(F32X4, FloatCC::NotEqual, offset)?,
            O::F32x4Lt => t.v_fcmp(F32X4, FloatCC::LessThan, offset)?,
            O::F32x4Gt => t.v_fcmp(F32X4, FloatCC::GreaterThan, offset)?,
            O::F32x4Le => t.v_fcmp(F32X4, FloatCC::LessThanOrEqual, offset)?,
            O::F32x4Ge => t.v_fcmp(F32X4, FloatCC::GreaterThanOrEqual, offset)?,
            O::F64x2Eq => t.v_fcmp(F64X2, FloatCC::Equal, offset)?,
            O::F64x2Ne => t.v_fcmp(F64X2, FloatCC::NotEqual, offset)?,
            O::F64x2Lt => t.v_fcmp(F64X2, FloatCC::LessThan, offset)?,
            O::F64x2Gt => t.v_fcmp(F64X2, FloatCC::GreaterThan, offset)?,
            O::F64x2Le => t.v_fcmp(F64X2, FloatCC::LessThanOrEqual, offset)?,
            O::F64x2Ge => t.v_fcmp(F64X2, FloatCC::GreaterThanOrEqual, offset)?,

            // ---- Bitwise ----
            O::V128Not => t.v_unop(V128, offset, |b, x| b.ins().bnot(x))?,
            O::V128And => t.v_binop(V128, offset, |b, x, y| b.ins().band(x, y))?,
            O::V128AndNot => t.v_binop(V128, offset, |b, x, y| b.ins().band_not(x, y))?,
            O::V128Or => t.v_binop(V128, offset, |b, x, y| b.ins().bor(x, y))?,
            O::V128Xor => t.v_binop(V128, offset, |b, x, y| b.ins().bxor(x, y))?,
            O::V128Bitselect => {
                let c = t.pop_v(V128, offset)?;
                let (x, y) = t.pop2_v(V128, offset)?;
                let r = t.b.ins().bitselect(c, x, y);
                t.push_v(r);
            }
            O::V128AnyTrue => {
                let x = t.pop_v(V128, offset)?;
                let any = t.b.ins().vany_true(x);
                let r = t.b.ins().uextend(I32, any);
                t.stack.push(r);
            }

            // ---- i8x16 ----
            O::I8x16Abs => t.v_unop(I8X16, offset, |b, x| b.ins().iabs(x))?,
            O::I8x16Neg => t.v_unop(I8X16, offset, |b, x| b.ins().ineg(x))?,
            O::I8x16Popcnt => t.v_unop(I8X16, offset, |b, x| b.ins().popcnt(x))?,
            O::I8x16AllTrue => t.v_all_true(I8X16, offset)?,
            O::I8x16Bitmask => t.v_bitmask(I8X16, offset)?,
            O::I8x16NarrowI16x8S => t.v_binop(I16X8, offset, |b, x, y| b.ins().snarrow(x, y))?,
            O::I8x16NarrowI16x8U => t.v_binop(I16X8, offset, |b, x, y| b.ins().unarrow(x, y))?,
            O::I8x16Shl => t.v_shift(I8X16, Shift::Shl, offset)?,
            O::I8x16ShrS => t.v_shift(I8X16, Shift::ShrS, offset)?,
            O::I8x16ShrU => t.v_shift(I8X16, Shift::ShrU, offset)?,
            O::I8x16Add => t.v_binop(I8X16, offset, |b, x, y| b.ins().iadd(x, y))?,
            O::I8x16AddSatS => t.v_binop(I8X16, offset, |b, x, y| b.ins().sadd_sat(x, y))?,
            O::I8x16AddSatU => t.v_binop(I8X16, offset, |b, x, y| b.ins().uadd_sat(x, y))?,
            O::I8x16Sub => t.v_binop(I8X16, offset, |b, x, y| b.ins().isub(x, y))?,
            O::I8x16SubSatS => t.v_binop(I8X16, offset, |b, x, y| b.ins().ssub_sat(x, y))?,
            O::I8x16SubSatU => t.v_binop(I8X16, offset, |b, x, y| b.ins().usub_sat(x, y))?,
            O::I8x16MinS => t.v_binop(I8X16, offset, |b, x, y| b.ins().smin(x, y))?,
            O::I8x16MinU => t.v_binop(I8X16, offset, |b, x, y| b.ins().umin(x, y))?,
            O::I8x16MaxS => t.v_binop(I8X16, offset, |b, x, y| b.ins().smax(x, y))?,
            O::I8x16MaxU => t.v_binop(I8X16, offset, |b, x, y| b.ins().umax(x, y))?,
            O::I8x16AvgrU => t.v_binop(I8X16, offset, |b, x, y| b.ins().avg_round(x, y))?,

            // ---- i16x8 ----
            O::I16x8ExtAddPairwiseI8x16S => t.v_extadd_pairwise(I8X16, true, offset)?,
            O::I16x8ExtAddPairwiseI8x16U => t.v_extadd_pairwise(I8X16, false, offset)?,
            O::I16x8Abs => t.v_unop(I16X8, offset, |b, x| b.ins().iabs(x))?,
            O::I16x8Neg => t.v_unop(I16X8, offset, |b, x| b.ins().ineg(x))?,
            O::I16x8Q15MulrSatS => t.v_binop(I16X8, offset, |b, x, y| b.ins().sqmul_round_sat(x, y))?,
            O::I16x8AllTrue => t.v_all_true(I16X8, offset)?,
            O::I16x8Bitmask => t.v_bitmask(I16X8, offset)?,
            O::I16x8NarrowI32x4S => t.v_binop(I32X4, offset, |b, x, y| b.ins().snarrow(x, y))?,
            O::I16x8NarrowI32x4U => t.v_binop(I32X4, offset, |b, x, y| b.ins().unarrow(x, y))?,
            O::I16x8ExtendLowI8x16S => t.v_widen(I8X16, Widen::SLow, offset)?,
            O::I16x8ExtendHighI8x16S => t.v_widen(I8X16, Widen::SHigh, offset)?,
            O::I16x8ExtendLowI8x16U => t.v_widen(I8X16, Widen::ULow, offset)?,
            O::I16x8ExtendHighI8x16U => t.v_widen(I8X16, Widen::UHigh, offset)?,
            O::I16x8Shl => t.v_shift(I16X8, Shift::Shl, offset)?,
            O::I16x8ShrS => t.v_shift(I16X8, Shift::ShrS, offset)?,
            O::I16x8ShrU => t.v_shift(I16X8, Shift::ShrU, offset)?,
            O::I16x8Add => t.v_binop(I16X8, offset, |b, x, y| b.ins().iadd(x, y))?,
            O::I16x8AddSatS => t.v_binop(I16X8, offset, |b, x, y| b.ins().sadd_sat(x, y))?,
            O::I16x8AddSatU => t.v_binop(I16X8, offset, |b, x, y| b.ins().uadd_sat(x, y))?,
            O::I16x8Sub => t.v_binop(I16X8, offset, |b, x, y| b.ins().isub(x, y))?,
            O::I16x8SubSatS => t.v_binop(I16X8, offset, |b, x, y| b.ins().ssub_sat(x, y))?,
            O::I16x8SubSatU => t.v_binop(I16X8, offset, |b, x, y| b.ins().usub_sat(x, y))?,
            O::I16x8Mul => t.v_binop(I16X8, offset, |b, x, y| b.ins().imul(x, y))?,
            O::I16x8MinS => t.v_binop(I16X8, offset, |b, x, y| b.ins().smin(x, y))?,
            O::I16x8MinU => t.v_binop(I16X8, offset, |b, x, y| b.ins().umin(x, y))?,
            O::I16x8MaxS => t.v_binop(I16X8, offset, |b, x, y| b.ins().smax(x, y))?,
            O::I16x8MaxU => t.v_binop(I16X8, offset, |b, x, y| b.ins().umax(x, y))?,
            O::I16x8AvgrU => t.v_binop(I16X8, offset, |b, x, y| b.ins().avg_round(x, y))?,
            O::I16x8ExtMulLowI8x16S => t.v_extmul(I8X16, Widen::SLow, offset)?,
            O::I16x8ExtMulHighI8x16S => t.v_extmul(I8X16, Widen::SHigh, offset)?,
            O::I16x8ExtMulLowI8x16U => t.v_extmul(I8X16, Widen::ULow, offset)?,
            O::I16x8ExtMulHighI8x16U => t.v_extmul(I8X16, Widen::UHigh, offset)?,

            // ---- i32x4 ----
            O::I32x4ExtAddPairwiseI16x8S => t.v_extadd_pairwise(I16X8, true, offset)?,
            O::I32x4ExtAddPairwiseI16x8U => t.v_extadd_pairwise(I16X8, false, offset)?,
            O::I32x4Abs => t.v_unop(I32X4, offset, |b, x| b.ins().iabs(x))?,
            O::I32x4Neg => t.v_unop(I32X4, offset, |b, x| b.ins().ineg(x))?,
            O::I32x4AllTrue => t.v_all_true(I32X4, offset)?,
            O::I32x4Bitmask => t.v_bitmask(I32X4, offset)?,
            O::I32x4ExtendLowI16x8S => t.v_widen(I16X8, Widen::SLow, offset)?,
            O::I32x4ExtendHighI16x8S => t.v_widen(I16X8, Widen::SHigh, offset)?,
            O::I32x4ExtendLowI16x8U => t.v_widen(I16X8, Widen::ULow, offset)?,
            O::I32x4ExtendHighI16x8U => t.v_widen(I16X8, Widen::UHigh, offset)?,
            O::I32x4Shl => t.v_shift(I32X4, Shift::Shl, offset)?,
            O::I32x4ShrS => t.v_shift(I32X4, Shift::ShrS, offset)?,
            O::I32x4ShrU => t.v_shift(I32X4, Shift::ShrU, offset)?,
            O::I32x4Add => t.v_binop(I32X4, offset, |b, x, y| b.ins().iadd(x, y))?,
            O::I32x4Sub => t.v_binop(I32X4, offset, |b, x, y| b.ins().isub(x, y))?,
            O::I32x4Mul => t.v_binop(I32X4, offset, |b, x, y| b.ins().imul(x, y))?,
            O::I32x4MinS => t.v_binop(I32X4, offset, |b, x, y| b.ins().smin(x, y))?,
            O::I32x4MinU => t.v_binop(I32X4, offset, |b, x, y| b.ins().umin(x, y))?,
            O::I32x4MaxS => t.v_binop(I32X4, offset, |b, x, y| b.ins().smax(x, y))?,
            O::I32x4MaxU => t.v_binop(I32X4, offset, |b, x, y| b.ins().umax(x, y))?,
            O::I32x4DotI16x8S => t.v_dot(offset)?,
            O::I32x4ExtMulLowI16x8S => t.v_extmul(I16X8, Widen::SLow, offset)?,
            O::I32x4ExtMulHighI16x8S => t.v_extmul(I16X8, Widen::SHigh, offset)?,
            O::I32x4ExtMulLowI16x8U => t.v_extmul(I16X8, Widen::ULow, offset)?,
            O::I32x4ExtMulHighI16x8U => t.v_extmul(I16X8, Widen::UHigh, offset)?,

            // ---- i64x2 ----
            O::I64x2Abs => t.v_unop(I64X2, offset, |b, x| b.ins().iabs(x))?,
            O::I64x2Neg => t.v_unop(I64X2, offset, |b, x| b.ins().ineg(x))?,
            O::I64x2AllTrue => t.v_all_true(I64X2, offset)?,
            O::I64x2Bitmask => t.v_bitmask(I64X2, offset)?,
            O::I64x2ExtendLowI32x4S => t.v_widen(I32X4, Widen::SLow, offset)?,
            O::I64x2ExtendHighI32x4S => t.v_widen(I32X4, Widen::SHigh, offset)?,
            O::I64x2ExtendLowI32x4U => t.v_widen(I32X4, Widen::ULow, offset)?,
            O::I64x2ExtendHighI32x4U => t.v_widen(I32X4, Widen::UHigh, offset)?,
            O::I64x2Shl => t.v_shift(I64X2, Shift::Shl, offset)?,
            O::I64x2ShrS => t.v_shift(I64X2, Shift::ShrS, offset)?,
            O::I64x2ShrU => t.v_shift(I64X2, Shift::ShrU, offset)?,
            O::I64x2Add => t.v_binop(I64X2, offset, |b, x, y| b.ins().iadd(x, y))?,
            O::I64x2Sub => t.v_binop(I64X2, offset, |b, x, y| b.ins().isub(x, y))?,
            O::I64x2Mul => t.v_binop(I64X2, offset, |b, x, y| b.ins().imul(x, y))?,
            O::I64x2ExtMulLowI32x4S => t.v_extmul(I32X4, Widen::SLow, offset)?,
            O::I64x2ExtMulHighI32x4S => t.v_extmul(I32X4, Widen::SHigh, offset)?,
            O::I64x2ExtMulLowI32x4U => t.v_extmul(I32X4, Widen::ULow, offset)?,
            O::I64x2ExtMulHighI32x4U => t.v_extmul(I32X4, Widen::UHigh, offset)?,

            // ---- f32x4 / f64x2 ----
            O::F32x4Ceil => t.v_unop(F32X4, offset, |b, x| b.ins().ceil(x))?,
            O::F32x4Floor => t.v_unop(F32X4, offset, |b, x| b.ins().floor(x))?,
            O::F32x4Trunc => t.v_unop(F32X4, offset, |b, x| b.ins().trunc(x))?,
            O::F32x4Nearest => t.v_unop(F32X4, offset, |b, x| b.ins().nearest(x))?,
            O::F32x4Abs => t.v_unop(F32X4, offset, |b, x| b.ins().fabs(x))?,
            O::F32x4Neg => t.v_unop(F32X4, offset, |b, x| b.ins().fneg(x))?,
            O::F32x4Sqrt => t.v_unop(F32X4, offset, |b, x| b.ins().sqrt(x))?,
            O::F32x4Add => t.v_binop(F32X4, offset, |b, x, y| b.ins().fadd(x, y))?,
            O::F32x4Sub => t.v_binop(F32X4, offset, |b, x, y| b.ins().fsub(x, y))?,
            O::F32x4Mul => t.v_binop(F32X4, offset, |b, x, y| b.ins().fmul(x, y))?,
            O::F32x4Div => t.v_binop(F32X4, offset, |b, x, y| b.ins().fdiv(x, y))?,
            // Cranelift's vector fmin/fmax have wasm's NaN and signed-zero
            // rules.
            O::F32x4Min => t.v_binop(F32X4, offset, |b, x, y| b.ins().fmin(x, y))?,
            O::F32x4Max => t.v_binop(F32X4, offset, |b, x, y| b.ins().fmax(x, y))?,
            O::F32x4PMin => t.v_pminmax(F32X4, false, offset)?,
            O::F32x4PMax => t.v_pminmax(F32X4, true, offset)?,
            O::F64x2Ceil => t.v_unop(F64X2, offset, |b, x| b.ins().ceil(x))?,
            O::F64x2Floor => t.v_unop(F64X2, offset, |b, x| b.ins().floor(x))?,
            O::F64x2Trunc => t.v_unop(F64X2, offset, |b, x| b.ins().trunc(x))?,
            O::F64x2Nearest => t.v_unop(F64X2, offset, |b, x| b.ins().nearest(x))?,
            O::F64x2Abs => t.v_unop(F64X2, offset, |b, x| b.ins().fabs(x))?,
            O::F64x2Neg => t.v_unop(F64X2, offset, |b, x| b.ins().fneg(x))?,
            O::F64x2Sqrt => t.v_unop(F64X2, offset, |b, x| b.ins().sqrt(x))?,
            O::F64x2Add => t.v_binop(F64X2, offset, |b, x, y| b.ins().fadd(x, y))?,
            O::F64x2Sub => t.v_binop(F64X2, offset, |b, x, y| b.ins().fsub(x, y))?,
            O::F64x2Mul => t.v_binop(F64X2, offset, |b, x, y| b.ins().fmul(x, y))?,
            O::F64x2Div => t.v_binop(F64X2, offset, |b, x, y| b.ins().fdiv(x, y))?,
            O::F64x2Min => t.v_binop(F64X2, offset, |b, x, y| b.ins().fmin(x, y))?,
            O::F64x2Max => t.v_binop(F64X2, offset, |b, x, y| b.ins().fmax(x, y))?,
            O::F64x2PMin => t.v_pminmax(F64X2, false, offset)?,
            O::F64x2PMax => t.v_pminmax(F64X2, true, offset)?,

            // ---- Conversions ----
            O::I32x4TruncSatF32x4S => t.v_unop(F32X4, offset, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x))?,
            O::I32x4TruncSatF32x4U => t.v_unop(F32X4, offset, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x))?,
            O::F32x4ConvertI32x4S => t.v_unop(I32X4, offset, |b, x| b.ins().fcvt_from_sint(F32X4, x))?,
            O::F32x4ConvertI32x4U => t.v_unop(I32X4, offset, |b, x| b.ins().fcvt_from_uint(F32X4, x))?,
            O::I32x4TruncSatF64x2SZero => t.v_trunc_sat_f64x2_zero(true, offset)?,
            O::I32x4TruncSatF64x2UZero => t.v_trunc_sat_f64x2_zero(false, offset)?,
            O::F64x2ConvertLowI32x4S => t.v_unop(I32X4, offset, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            })?,
            O::F64x2ConvertLowI32x4U => t.v_unop(I32X4, offset, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            })?,
            O::F32x4DemoteF64x2Zero => t.v_unop(F64X2, offset, |b, x| b.ins().fvdemote(x))?,
            O::F64x2PromoteLowF32x4 => t.v_unop(F32X4, offset, |b, x| b.ins().fvpromote_low(x))?,

            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::types::{F32, F64, I8, I16, I64};

    #[test]
    fn lane_types() {
        assert_eq!(lane_type(I8X16), I8);
        assert_eq!(lane_type(I16X8), I16);
        assert_eq!(lane_type(I32X4), I32);
        assert_eq!(lane_type(I64X2), I64);
        assert_eq!(lane_type(F32X4), F32);
        assert_eq!(lane_type(F64X2), F64);
    }
}
