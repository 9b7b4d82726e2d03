//! The operator dispatcher and the numeric operators.

use super::{FuncTranslator, invalid};
use brisk_environ::{BuiltinFunction, WasmError, WasmResult};
use cranelift_codegen::ir::{
    self, InstBuilder, MemFlagsData,
    condcodes::{FloatCC, IntCC},
    types::{F32, F64, I8, I16, I32, I64},
};

/// Short names for the operand-stack shapes of most operators.
macro_rules! unop {
    ($t:ident, $offset:ident, |$b:ident, $x:ident| $e:expr) => {{
        let $x = $t.pop($offset)?;
        let $b = $t.b.ins();
        let r = $e;
        $t.stack.push(r);
    }};
}

macro_rules! binop {
    ($t:ident, $offset:ident, |$b:ident, $x:ident, $y:ident| $e:expr) => {{
        let ($x, $y) = $t.pop2($offset)?;
        let $b = $t.b.ins();
        let r = $e;
        $t.stack.push(r);
    }};
}

impl FuncTranslator<'_, '_> {
    fn icmp(&mut self, cc: IntCC, offset: u64) -> WasmResult<()> {
        let (x, y) = self.pop2(offset)?;
        let c = self.b.ins().icmp(cc, x, y);
        let r = self.b.ins().uextend(I32, c);
        self.stack.push(r);
        Ok(())
    }

    fn fcmp(&mut self, cc: FloatCC, offset: u64) -> WasmResult<()> {
        let (x, y) = self.pop2(offset)?;
        let c = self.b.ins().fcmp(cc, x, y);
        let r = self.b.ins().uextend(I32, c);
        self.stack.push(r);
        Ok(())
    }

    fn eqz(&mut self, offset: u64) -> WasmResult<()> {
        let x = self.pop(offset)?;
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, x, 0);
        let r = self.b.ins().uextend(I32, c);
        self.stack.push(r);
        Ok(())
    }

    /// Sign-extends the low `from` bits of the value on the stack in place.
    fn sign_extend(&mut self, from: ir::Type, to: ir::Type, offset: u64) -> WasmResult<()> {
        let x = self.pop(offset)?;
        let narrow = self.b.ins().ireduce(from, x);
        let r = self.b.ins().sextend(to, narrow);
        self.stack.push(r);
        Ok(())
    }

    fn bitcast(&mut self, to: ir::Type, offset: u64) -> WasmResult<()> {
        let x = self.pop(offset)?;
        let r = self.b.ins().bitcast(to, MemFlagsData::new(), x);
        self.stack.push(r);
        Ok(())
    }

    /// Translates one reachable operator.
    pub(crate) fn translate_operator(&mut self, op: wasmparser::Operator<'_>, offset: u64) -> WasmResult<()> {
        use wasmparser::Operator as O;
        let t = self;
        match op {
            // ---- Control ----
            O::Unreachable => t.translate_unreachable(),
            O::Nop => {}
            O::Block { blockty } => t.translate_block(blockty, offset)?,
            O::Loop { blockty } => t.translate_loop(blockty, offset)?,
            O::If { blockty } => t.translate_if(blockty, offset)?,
            O::Else => t.translate_else(offset)?,
            O::End => t.translate_end(offset)?,
            O::Br { relative_depth } => t.translate_br(relative_depth, offset)?,
            O::BrIf { relative_depth } => t.translate_br_if(relative_depth, offset)?,
            O::BrTable { targets } => t.translate_br_table(&targets, offset)?,
            O::Return => t.translate_return(offset)?,
            O::Call { function_index } => t.call(function_index, offset)?,
            O::CallIndirect { type_index, table_index } => t.call_indirect(type_index, table_index, offset)?,

            // ---- Parametric ----
            O::Drop => {
                t.pop(offset)?;
            }
            O::Select | O::TypedSelect { .. } => {
                let cond = t.pop(offset)?;
                let (x, y) = t.pop2(offset)?;
                let r = t.b.ins().select(cond, x, y);
                t.stack.push(r);
            }

            // ---- Variables ----
            O::LocalGet { local_index } => {
                let var = t.local(local_index, offset)?;
                let v = t.b.use_var(var);
                t.stack.push(v);
            }
            O::LocalSet { local_index } => {
                let var = t.local(local_index, offset)?;
                let v = t.pop(offset)?;
                t.b.def_var(var, v);
            }
            O::LocalTee { local_index } => {
                let var = t.local(local_index, offset)?;
                let v = *t.stack.last().ok_or_else(|| invalid("stack underflow", offset))?;
                t.b.def_var(var, v);
            }
            O::GlobalGet { global_index } => t.global_get(global_index, offset)?,
            O::GlobalSet { global_index } => t.global_set(global_index, offset)?,

            // ---- Memory ----
            O::I32Load { memarg } => t.mem_load(&memarg, I32, 4, None, offset)?,
            O::I64Load { memarg } => t.mem_load(&memarg, I64, 8, None, offset)?,
            O::F32Load { memarg } => t.mem_load(&memarg, F32, 4, None, offset)?,
            O::F64Load { memarg } => t.mem_load(&memarg, F64, 8, None, offset)?,
            O::I32Load8S { memarg } => t.mem_load(&memarg, I32, 1, Some((true, I32)), offset)?,
            O::I32Load8U { memarg } => t.mem_load(&memarg, I32, 1, Some((false, I32)), offset)?,
            O::I32Load16S { memarg } => t.mem_load(&memarg, I32, 2, Some((true, I32)), offset)?,
            O::I32Load16U { memarg } => t.mem_load(&memarg, I32, 2, Some((false, I32)), offset)?,
            O::I64Load8S { memarg } => t.mem_load(&memarg, I64, 1, Some((true, I64)), offset)?,
            O::I64Load8U { memarg } => t.mem_load(&memarg, I64, 1, Some((false, I64)), offset)?,
            O::I64Load16S { memarg } => t.mem_load(&memarg, I64, 2, Some((true, I64)), offset)?,
            O::I64Load16U { memarg } => t.mem_load(&memarg, I64, 2, Some((false, I64)), offset)?,
            O::I64Load32S { memarg } => t.mem_load(&memarg, I64, 4, Some((true, I64)), offset)?,
            O::I64Load32U { memarg } => t.mem_load(&memarg, I64, 4, Some((false, I64)), offset)?,
            O::I32Store { memarg } | O::F32Store { memarg } => t.mem_store(&memarg, 4, offset)?,
            O::I64Store { memarg } | O::F64Store { memarg } => t.mem_store(&memarg, 8, offset)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => t.mem_store(&memarg, 1, offset)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => t.mem_store(&memarg, 2, offset)?,
            O::I64Store32 { memarg } => t.mem_store(&memarg, 4, offset)?,
            O::MemorySize { mem } => t.memory_size(mem, offset)?,
            O::MemoryGrow { mem } => t.memory_grow(mem, offset)?,

            // ---- Constants ----
            O::I32Const { value } => {
                let v = t.b.ins().iconst(I32, i64::from(value as u32));
                t.stack.push(v);
            }
            O::I64Const { value } => {
                let v = t.b.ins().iconst(I64, value);
                t.stack.push(v);
            }
            O::F32Const { value } => {
                let v = t.b.ins().f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                t.stack.push(v);
            }
            O::F64Const { value } => {
                let v = t.b.ins().f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                t.stack.push(v);
            }

            // ---- Comparisons ----
            O::I32Eqz | O::I64Eqz => t.eqz(offset)?,
            O::I32Eq | O::I64Eq => t.icmp(IntCC::Equal, offset)?,
            O::I32Ne | O::I64Ne => t.icmp(IntCC::NotEqual, offset)?,
            O::I32LtS | O::I64LtS => t.icmp(IntCC::SignedLessThan, offset)?,
            O::I32LtU | O::I64LtU => t.icmp(IntCC::UnsignedLessThan, offset)?,
            O::I32GtS | O::I64GtS => t.icmp(IntCC::SignedGreaterThan, offset)?,
            O::I32GtU | O::I64GtU => t.icmp(IntCC::UnsignedGreaterThan, offset)?,
            O::I32LeS | O::I64LeS => t.icmp(IntCC::SignedLessThanOrEqual, offset)?,
            O::I32LeU | O::I64LeU => t.icmp(IntCC::UnsignedLessThanOrEqual, offset)?,
            O::I32GeS | O::I64GeS => t.icmp(IntCC::SignedGreaterThanOrEqual, offset)?,
            O::I32GeU | O::I64GeU => t.icmp(IntCC::UnsignedGreaterThanOrEqual, offset)?,
            O::F32Eq | O::F64Eq => t.fcmp(FloatCC::Equal, offset)?,
            O::F32Ne | O::F64Ne => t.fcmp(FloatCC::NotEqual, offset)?,
            O::F32Lt | O::F64Lt => t.fcmp(FloatCC::LessThan, offset)?,
            O::F32Gt | O::F64Gt => t.fcmp(FloatCC::GreaterThan, offset)?,
            O::F32Le | O::F64Le => t.fcmp(FloatCC::LessThanOrEqual, offset)?,
            O::F32Ge | O::F64Ge => t.fcmp(FloatCC::GreaterThanOrEqual, offset)?,

            // ---- Integer arithmetic ----
            O::I32Clz | O::I64Clz => unop!(t, offset, |b, x| b.clz(x)),
            O::I32Ctz | O::I64Ctz => unop!(t, offset, |b, x| b.ctz(x)),
            O::I32Popcnt | O::I64Popcnt => unop!(t, offset, |b, x| b.popcnt(x)),
            O::I32Add | O::I64Add => binop!(t, offset, |b, x, y| b.iadd(x, y)),
            O::I32Sub | O::I64Sub => binop!(t, offset, |b, x, y| b.isub(x, y)),
            O::I32Mul | O::I64Mul => binop!(t, offset, |b, x, y| b.imul(x, y)),
            // Cranelift's division traps on a zero divisor
            // (INTEGER_DIVISION_BY_ZERO) and `sdiv` on MIN / -1
            // (INTEGER_OVERFLOW); `srem` of MIN by -1 is 0, as wasm wants.
            O::I32DivS | O::I64DivS => binop!(t, offset, |b, x, y| b.sdiv(x, y)),
            O::I32DivU | O::I64DivU => binop!(t, offset, |b, x, y| b.udiv(x, y)),
            O::I32RemS | O::I64RemS => binop!(t, offset, |b, x, y| b.srem(x, y)),
            O::I32RemU | O::I64RemU => binop!(t, offset, |b, x, y| b.urem(x, y)),
            O::I32And | O::I64And => binop!(t, offset, |b, x, y| b.band(x, y)),
            O::I32Or | O::I64Or => binop!(t, offset, |b, x, y| b.bor(x, y)),
            O::I32Xor | O::I64Xor => binop!(t, offset, |b, x, y| b.bxor(x, y)),
            // Cranelift masks shift and rotate amounts to the type's width,
            // as wasm does.
            O::I32Shl | O::I64Shl => binop!(t, offset, |b, x, y| b.ishl(x, y)),
            O::I32ShrS | O::I64ShrS => binop!(t, offset, |b, x, y| b.sshr(x, y)),
            O::I32ShrU | O::I64ShrU => binop!(t, offset, |b, x, y| b.ushr(x, y)),
            O::I32Rotl | O::I64Rotl => binop!(t, offset, |b, x, y| b.rotl(x, y)),
            O::I32Rotr | O::I64Rotr => binop!(t, offset, |b, x, y| b.rotr(x, y)),

            // ---- Float arithmetic ----
            O::F32Abs | O::F64Abs => unop!(t, offset, |b, x| b.fabs(x)),
            O::F32Neg | O::F64Neg => unop!(t, offset, |b, x| b.fneg(x)),
            O::F32Ceil | O::F64Ceil => unop!(t, offset, |b, x| b.ceil(x)),
            O::F32Floor | O::F64Floor => unop!(t, offset, |b, x| b.floor(x)),
            O::F32Trunc | O::F64Trunc => unop!(t, offset, |b, x| b.trunc(x)),
            O::F32Nearest | O::F64Nearest => unop!(t, offset, |b, x| b.nearest(x)),
            O::F32Sqrt | O::F64Sqrt => unop!(t, offset, |b, x| b.sqrt(x)),
            O::F32Add | O::F64Add => binop!(t, offset, |b, x, y| b.fadd(x, y)),
            O::F32Sub | O::F64Sub => binop!(t, offset, |b, x, y| b.fsub(x, y)),
            O::F32Mul | O::F64Mul => binop!(t, offset, |b, x, y| b.fmul(x, y)),
            O::F32Div | O::F64Div => binop!(t, offset, |b, x, y| b.fdiv(x, y)),
            // Cranelift's fmin/fmax have wasm's semantics (NaN propagation,
            // -0 < +0).
            O::F32Min | O::F64Min => binop!(t, offset, |b, x, y| b.fmin(x, y)),
            O::F32Max | O::F64Max => binop!(t, offset, |b, x, y| b.fmax(x, y)),
            O::F32Copysign | O::F64Copysign => binop!(t, offset, |b, x, y| b.fcopysign(x, y)),

            // ---- Conversions ----
            O::I32WrapI64 => unop!(t, offset, |b, x| b.ireduce(I32, x)),
            O::I64ExtendI32S => unop!(t, offset, |b, x| b.sextend(I64, x)),
            O::I64ExtendI32U => unop!(t, offset, |b, x| b.uextend(I64, x)),
            // Trapping conversions: NaN is BAD_CONVERSION_TO_INTEGER, out of
            // range INTEGER_OVERFLOW.
            O::I32TruncF32S | O::I32TruncF64S => unop!(t, offset, |b, x| b.fcvt_to_sint(I32, x)),
            O::I32TruncF32U | O::I32TruncF64U => unop!(t, offset, |b, x| b.fcvt_to_uint(I32, x)),
            O::I64TruncF32S | O::I64TruncF64S => unop!(t, offset, |b, x| b.fcvt_to_sint(I64, x)),
            O::I64TruncF32U | O::I64TruncF64U => unop!(t, offset, |b, x| b.fcvt_to_uint(I64, x)),
            O::I32TruncSatF32S | O::I32TruncSatF64S => unop!(t, offset, |b, x| b.fcvt_to_sint_sat(I32, x)),
            O::I32TruncSatF32U | O::I32TruncSatF64U => unop!(t, offset, |b, x| b.fcvt_to_uint_sat(I32, x)),
            O::I64TruncSatF32S | O::I64TruncSatF64S => unop!(t, offset, |b, x| b.fcvt_to_sint_sat(I64, x)),
            O::I64TruncSatF32U | O::I64TruncSatF64U => unop!(t, offset, |b, x| b.fcvt_to_uint_sat(I64, x)),
            O::F32ConvertI32S | O::F32ConvertI64S => unop!(t, offset, |b, x| b.fcvt_from_sint(F32, x)),
            O::F32ConvertI32U | O::F32ConvertI64U => unop!(t, offset, |b, x| b.fcvt_from_uint(F32, x)),
            O::F64ConvertI32S | O::F64ConvertI64S => unop!(t, offset, |b, x| b.fcvt_from_sint(F64, x)),
            O::F64ConvertI32U | O::F64ConvertI64U => unop!(t, offset, |b, x| b.fcvt_from_uint(F64, x)),
            O::F32DemoteF64 => unop!(t, offset, |b, x| b.fdemote(F32, x)),
            O::F64PromoteF32 => unop!(t, offset, |b, x| b.fpromote(F64, x)),
            O::I32ReinterpretF32 => t.bitcast(I32, offset)?,
            O::I64ReinterpretF64 => t.bitcast(I64, offset)?,
            O::F32ReinterpretI32 => t.bitcast(F32, offset)?,
            O::F64ReinterpretI64 => t.bitcast(F64, offset)?,
            O::I32Extend8S => t.sign_extend(I8, I32, offset)?,
            O::I32Extend16S => t.sign_extend(I16, I32, offset)?,
            O::I64Extend8S => t.sign_extend(I8, I64, offset)?,
            O::I64Extend16S => t.sign_extend(I16, I64, offset)?,
            O::I64Extend32S => t.sign_extend(I32, I64, offset)?,

            // ---- References (no runtime support needed) ----
            O::RefNull { .. } => {
                let v = t.b.ins().iconst(I64, 0);
                t.stack.push(v);
            }
            O::RefIsNull => {
                let x = t.pop(offset)?;
                let c = t.b.ins().icmp_imm_u(IntCC::Equal, x, 0);
                let r = t.b.ins().uextend(I32, c);
                t.stack.push(r);
            }
            O::RefFunc { function_index } => t.ref_func(function_index, offset)?,
            O::TableGet { table } => t.table_get(table, offset)?,
            O::TableSet { table } => t.table_set(table, offset)?,
            O::TableSize { table } => t.table_size(table, offset)?,

            // ---- Bulk memory and table operations (builtins) ----
            O::MemoryCopy { dst_mem, src_mem } => t.memory_copy(dst_mem, src_mem, offset)?,
            O::MemoryFill { mem } => t.memory_fill(mem, offset)?,
            O::MemoryInit { data_index, mem } => t.memory_init(data_index, mem, offset)?,
            O::DataDrop { data_index } => t.segment_drop(BuiltinFunction::DataDrop, data_index),
            O::TableCopy { dst_table, src_table } => t.table_copy(dst_table, src_table, offset)?,
            O::TableInit { elem_index, table } => t.table_init(elem_index, table, offset)?,
            O::ElemDrop { elem_index } => t.segment_drop(BuiltinFunction::ElemDrop, elem_index),
            O::TableGrow { table } => t.table_grow(table, offset)?,
            O::TableFill { table } => t.table_fill(table, offset)?,

            // ---- Fixed-width SIMD (simd.rs) ----
            other if t.translate_simd_operator(&other, offset)? => {}
            other => {
                return Err(WasmError::unsupported(
                    format!("operator {} in the optimizing tier", operator_name(&other)),
                    offset,
                ));
            }
        }
        Ok(())
    }
}

/// The name of an operator for error messages: its variant name.
fn operator_name(op: &wasmparser::Operator<'_>) -> String {
    let debug = format!("{op:?}");
    let end = debug.find([' ', '{', '(']).unwrap_or(debug.len());
    debug[..end].to_string()
}
