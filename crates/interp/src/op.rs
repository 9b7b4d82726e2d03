//! The bytecode's instructions.
//!
//! Code is a sequence of little-endian `u32` words. An instruction is its
//! opcode word followed by its operands, each one word unless noted:
//! `dst`, `a`, `b`, `c` are frame slots (16 bytes each, indexed from the
//! frame pointer), `rel` a branch offset in words relative to the word that
//! holds it, `imm` an immediate. The length of every instruction is fixed
//! by its opcode ([`len`]).
//!
//! Numeric operators that only read slots and write one are listed once in
//! [`numeric_ops!`]: their opcodes, their wasm operators and their shapes
//! (`dst a` for unary, `dst a b` for binary) come from that list.

/// Defines opcode constants numbered from 0 in order.
macro_rules! opcodes {
    ($($(#[$doc:meta])* $name:ident = $len:expr;)*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum Numbering { $($name,)* LAST_FIXED }
        $($(#[$doc])* pub const $name: u32 = Numbering::$name as u32;)*
        /// First opcode of the numeric operators.
        pub const FIRST_NUMERIC: u32 = Numbering::LAST_FIXED as u32;
        /// Lengths in words of the opcodes below [`FIRST_NUMERIC`].
        const FIXED_LEN: [u8; FIRST_NUMERIC as usize] = [$($len,)*];
        /// Names of the opcodes below [`FIRST_NUMERIC`].
        const FIXED_NAME: [&str; FIRST_NUMERIC as usize] = [$(stringify!($name),)*];
    };
}

opcodes! {
    /// `trap code`: a trap (`unreachable`, or an operator that always traps).
    TRAP = 2;
    /// `br rel`
    BR = 2;
    /// `br_if_nez a rel`: branch if the i32 in `a` is not zero.
    BR_IF_NEZ = 3;
    /// `br_if_eqz a rel`: branch if the i32 in `a` is zero.
    BR_IF_EQZ = 3;
    /// `br_table a n rel*(n+1)`: the last target is the default (length
    /// `3 + n + 1`).
    BR_TABLE = 3;
    /// `ret`: results are in slots `0..n` of the frame.
    RET = 1;
    /// `ret1 a`: copy slot `a` to slot 0 (the one result), then `ret`.
    RET1 = 2;
    /// `br_and_nez a b rel`: branch if the i32s in `a` and `b` share a set
    /// bit (`br_if (i32.and a b)`).
    BR_AND_NEZ = 4;
    /// `br_and_eqz a b rel`: branch if they share none.
    BR_AND_EQZ = 4;
    /// `br_and_nez_i a imm rel`: as [`BR_AND_NEZ`] with an immediate.
    BR_AND_NEZ_I = 4;
    /// `br_and_eqz_i a imm rel`: as [`BR_AND_EQZ`] with an immediate.
    BR_AND_EQZ_I = 4;
    /// `copy2 dst a b`: `dst = a`, then `dst + 1 = b` (two consecutive
    /// slots, in that order).
    COPY2 = 4;
    /// `copy_pair dst a dst2 b`: `dst = a`, then `dst2 = b` (two copies
    /// one after the other).
    COPY_PAIR = 5;
    /// `i32_add_shl dst a b k`: `a + (b << k)` (an `i32.shl` by a
    /// constant fused into the `i32.add` that reads it: `p[i]`'s address).
    I32_ADD_SHL = 5;
    /// `i32_rsub_i dst a imm`: `imm - a` (`i32.sub` of a constant left
    /// operand).
    I32_RSUB_I = 4;
    /// `i64_rsub_i dst a imm`: `imm - a`, `imm` sign-extended.
    I64_RSUB_I = 4;
    /// `call def base`: call defined function `def` of this module, whose
    /// code is interpreted; its frame starts at slot `base`, where the
    /// arguments are and the results will be.
    CALL = 3;
    /// `call_ref off base len`: call the funcref at vmctx offset `off` (an
    /// imported function, or a defined one with native code); `len` is the
    /// larger of its parameter and result counts.
    CALL_REF = 4;
    /// `call_indirect table type a base len`: call element `a` of a table
    /// (`table` is a place word) checking its type against the module's
    /// type `type`.
    CALL_INDIRECT = 6;
    /// `fuel_add imm`: charge `imm` fuel.
    FUEL_ADD = 2;
    /// `fuel_check`: trap with `OutOfFuel` if fuel is exhausted.
    FUEL_CHECK = 1;
    /// `epoch_check`: trap with `Interrupt` past the epoch deadline.
    EPOCH_CHECK = 1;
    /// `fuel_bulk a imm`: charge `imm` fuel per unit of the i32 in `a`.
    FUEL_BULK = 3;
    /// `zero a b`: zero the slots from `a` up to `b` (operand words, `b`
    /// excluded). A function's first instruction when it may read some
    /// locals before writing them: the call instructions then leave the
    /// locals to the callee, and their handlers need no loop.
    ZERO = 3;
    /// `copy dst a`: all 16 bytes.
    COPY = 3;
    /// `const32 dst imm`
    CONST32 = 3;
    /// `const64 dst lo hi`
    CONST64 = 4;
    /// `const128 dst w0 w1 w2 w3`
    CONST128 = 6;
    /// `select dst cond a b`: `dst = cond != 0 ? a : b`.
    SELECT = 5;
    /// `select_ai dst cond imm b`: [`SELECT`] of an immediate `a`
    /// (zero-extended).
    SELECT_AI = 5;
    /// `select_bi dst cond a imm`: [`SELECT`] of an immediate `b`.
    SELECT_BI = 5;
    /// `select_ii dst cond imm imm`: [`SELECT`] of two immediates.
    SELECT_II = 5;
    /// `global_get32 dst place`: [`GLOBAL_GET`] of a 32-bit global (the
    /// scalars move as wide as they are: a wider load of a value just
    /// stored narrower cannot be forwarded from the store).
    GLOBAL_GET32 = 3;
    /// `global_get64 dst place`: of a 64-bit global (references included).
    GLOBAL_GET64 = 3;
    /// `global_set32 place a`
    GLOBAL_SET32 = 3;
    /// `global_set64 place a`
    GLOBAL_SET64 = 3;
    /// `ret1_32 a`: [`RET1`] of a 32-bit result.
    RET1_32 = 2;
    /// `ret1_64 a`: [`RET1`] of a 64-bit result.
    RET1_64 = 2;
    /// `global_get dst place`
    GLOBAL_GET = 3;
    /// `global_set place a`
    GLOBAL_SET = 3;
    /// Loads: `op dst addr offset` from memory 0. In every memory access,
    /// `offset` is the offset of the access's last byte (the wasm offset
    /// plus the access's width less one): the executor checks an address
    /// against the memory's length in one comparison.
    I32_LOAD = 4;
    /// See [`I32_LOAD`].
    I64_LOAD = 4;
    /// See [`I32_LOAD`].
    I32_LOAD8_S = 4;
    /// See [`I32_LOAD`].
    I32_LOAD8_U = 4;
    /// See [`I32_LOAD`].
    I32_LOAD16_S = 4;
    /// See [`I32_LOAD`].
    I32_LOAD16_U = 4;
    /// See [`I32_LOAD`].
    I64_LOAD8_S = 4;
    /// See [`I32_LOAD`].
    I64_LOAD8_U = 4;
    /// See [`I32_LOAD`].
    I64_LOAD16_S = 4;
    /// See [`I32_LOAD`].
    I64_LOAD16_U = 4;
    /// See [`I32_LOAD`].
    I64_LOAD32_S = 4;
    /// See [`I32_LOAD`].
    I64_LOAD32_U = 4;
    /// See [`I32_LOAD`].
    V128_LOAD = 4;
    /// Stores: `op addr value offset` to memory 0.
    STORE8 = 4;
    /// See [`STORE8`].
    STORE16 = 4;
    /// See [`STORE8`].
    STORE32 = 4;
    /// See [`STORE8`].
    STORE64 = 4;
    /// See [`STORE8`].
    STORE128 = 4;
    /// Stores of a constant: `op addr imm offset` to memory 0 (for
    /// `STORE64_I`, `imm` is sign-extended).
    STORE8_I = 4;
    /// See [`STORE8_I`].
    STORE16_I = 4;
    /// See [`STORE8_I`].
    STORE32_I = 4;
    /// See [`STORE8_I`].
    STORE64_I = 4;
    /// `use_memory place`: the next instruction accesses this memory
    /// instead of memory 0 (multi-memory; followed by `use_memory0`).
    USE_MEMORY = 2;
    /// `use_memory0`: back to memory 0.
    USE_MEMORY0 = 1;
    /// `memory_size dst`: of the memory in use.
    MEMORY_SIZE = 2;
    /// `memory_grow dst a mem`
    MEMORY_GROW = 4;
    /// `memory_fill dst value len mem`
    MEMORY_FILL = 5;
    /// `memory_copy dst src len dst_mem src_mem`
    MEMORY_COPY = 6;
    /// `memory_init data dst src len mem`
    MEMORY_INIT = 6;
    /// `data_drop data`
    DATA_DROP = 2;
    /// `table_get dst table a`
    TABLE_GET = 4;
    /// `table_set table a value`
    TABLE_SET = 4;
    /// `table_size dst table`
    TABLE_SIZE = 3;
    /// `table_grow dst table init len` (`table` is an index here)
    TABLE_GROW = 5;
    /// `table_fill table dst value len` (`table` is an index)
    TABLE_FILL = 5;
    /// `table_copy dst_table src_table dst src len` (indices)
    TABLE_COPY = 6;
    /// `table_init table elem dst src len` (index)
    TABLE_INIT = 6;
    /// `elem_drop elem`
    ELEM_DROP = 2;
    /// `ref_func dst off`: the funcref at vmctx offset `off`.
    REF_FUNC = 3;
    /// `ref_is_null dst a`
    REF_IS_NULL = 3;
    /// `simd_unary dst a op`
    SIMD_UNARY = 4;
    /// `simd_binary dst a b op`
    SIMD_BINARY = 5;
    /// `simd_ternary dst a b c op`
    SIMD_TERNARY = 6;
    /// `simd_shift dst a b op`
    SIMD_SHIFT = 5;
    /// `simd_test dst a op`
    SIMD_TEST = 4;
    /// `simd_splat dst a op`
    SIMD_SPLAT = 4;
    /// `simd_extract dst a op lane`
    SIMD_EXTRACT = 5;
    /// `simd_replace dst a b op lane`
    SIMD_REPLACE = 6;
    /// `simd_shuffle dst a b w0 w1 w2 w3`
    SIMD_SHUFFLE = 8;
    /// `v128_load_widen dst addr offset kind`
    V128_LOAD_WIDEN = 5;
    /// `v128_load_splat dst addr offset bytes`
    V128_LOAD_SPLAT = 5;
    /// `v128_load_zero dst addr offset bytes`
    V128_LOAD_ZERO = 5;
    /// `v128_load_lane dst addr a offset bytes lane`: `a` with one lane loaded.
    V128_LOAD_LANE = 7;
    /// `v128_store_lane addr a offset bytes lane`
    V128_STORE_LANE = 6;
}

/// The numeric operators: `wasm operator => OPCODE (arity)`.
macro_rules! numeric_ops {
    ($m:ident) => {
        $m! {
            I32Eqz => I32_EQZ 1, I32Eq => I32_EQ 2, I32Ne => I32_NE 2, I32LtS => I32_LT_S 2, I32LtU => I32_LT_U 2,
            I32GtS => I32_GT_S 2, I32GtU => I32_GT_U 2, I32LeS => I32_LE_S 2, I32LeU => I32_LE_U 2,
            I32GeS => I32_GE_S 2, I32GeU => I32_GE_U 2,
            I64Eqz => I64_EQZ 1, I64Eq => I64_EQ 2, I64Ne => I64_NE 2, I64LtS => I64_LT_S 2, I64LtU => I64_LT_U 2,
            I64GtS => I64_GT_S 2, I64GtU => I64_GT_U 2, I64LeS => I64_LE_S 2, I64LeU => I64_LE_U 2,
            I64GeS => I64_GE_S 2, I64GeU => I64_GE_U 2,
            F32Eq => F32_EQ 2, F32Ne => F32_NE 2, F32Lt => F32_LT 2, F32Gt => F32_GT 2, F32Le => F32_LE 2,
            F32Ge => F32_GE 2,
            F64Eq => F64_EQ 2, F64Ne => F64_NE 2, F64Lt => F64_LT 2, F64Gt => F64_GT 2, F64Le => F64_LE 2,
            F64Ge => F64_GE 2,
            I32Clz => I32_CLZ 1, I32Ctz => I32_CTZ 1, I32Popcnt => I32_POPCNT 1,
            I32Add => I32_ADD 2, I32Sub => I32_SUB 2, I32Mul => I32_MUL 2, I32DivS => I32_DIV_S 2,
            I32DivU => I32_DIV_U 2, I32RemS => I32_REM_S 2, I32RemU => I32_REM_U 2, I32And => I32_AND 2,
            I32Or => I32_OR 2, I32Xor => I32_XOR 2, I32Shl => I32_SHL 2, I32ShrS => I32_SHR_S 2,
            I32ShrU => I32_SHR_U 2, I32Rotl => I32_ROTL 2, I32Rotr => I32_ROTR 2,
            I64Clz => I64_CLZ 1, I64Ctz => I64_CTZ 1, I64Popcnt => I64_POPCNT 1,
            I64Add => I64_ADD 2, I64Sub => I64_SUB 2, I64Mul => I64_MUL 2, I64DivS => I64_DIV_S 2,
            I64DivU => I64_DIV_U 2, I64RemS => I64_REM_S 2, I64RemU => I64_REM_U 2, I64And => I64_AND 2,
            I64Or => I64_OR 2, I64Xor => I64_XOR 2, I64Shl => I64_SHL 2, I64ShrS => I64_SHR_S 2,
            I64ShrU => I64_SHR_U 2, I64Rotl => I64_ROTL 2, I64Rotr => I64_ROTR 2,
            F32Abs => F32_ABS 1, F32Neg => F32_NEG 1, F32Ceil => F32_CEIL 1, F32Floor => F32_FLOOR 1,
            F32Trunc => F32_TRUNC 1, F32Nearest => F32_NEAREST 1, F32Sqrt => F32_SQRT 1,
            F32Add => F32_ADD 2, F32Sub => F32_SUB 2, F32Mul => F32_MUL 2, F32Div => F32_DIV 2,
            F32Min => F32_MIN 2, F32Max => F32_MAX 2, F32Copysign => F32_COPYSIGN 2,
            F64Abs => F64_ABS 1, F64Neg => F64_NEG 1, F64Ceil => F64_CEIL 1, F64Floor => F64_FLOOR 1,
            F64Trunc => F64_TRUNC 1, F64Nearest => F64_NEAREST 1, F64Sqrt => F64_SQRT 1,
            F64Add => F64_ADD 2, F64Sub => F64_SUB 2, F64Mul => F64_MUL 2, F64Div => F64_DIV 2,
            F64Min => F64_MIN 2, F64Max => F64_MAX 2, F64Copysign => F64_COPYSIGN 2,
            I32WrapI64 => I32_WRAP_I64 1, I32TruncF32S => I32_TRUNC_F32_S 1, I32TruncF32U => I32_TRUNC_F32_U 1,
            I32TruncF64S => I32_TRUNC_F64_S 1, I32TruncF64U => I32_TRUNC_F64_U 1,
            I64ExtendI32S => I64_EXTEND_I32_S 1, I64ExtendI32U => I64_EXTEND_I32_U 1,
            I64TruncF32S => I64_TRUNC_F32_S 1, I64TruncF32U => I64_TRUNC_F32_U 1,
            I64TruncF64S => I64_TRUNC_F64_S 1, I64TruncF64U => I64_TRUNC_F64_U 1,
            F32ConvertI32S => F32_CONVERT_I32_S 1, F32ConvertI32U => F32_CONVERT_I32_U 1,
            F32ConvertI64S => F32_CONVERT_I64_S 1, F32ConvertI64U => F32_CONVERT_I64_U 1,
            F32DemoteF64 => F32_DEMOTE_F64 1,
            F64ConvertI32S => F64_CONVERT_I32_S 1, F64ConvertI32U => F64_CONVERT_I32_U 1,
            F64ConvertI64S => F64_CONVERT_I64_S 1, F64ConvertI64U => F64_CONVERT_I64_U 1,
            F64PromoteF32 => F64_PROMOTE_F32 1,
            I32Extend8S => I32_EXTEND8_S 1, I32Extend16S => I32_EXTEND16_S 1,
            I64Extend8S => I64_EXTEND8_S 1, I64Extend16S => I64_EXTEND16_S 1, I64Extend32S => I64_EXTEND32_S 1,
            I32TruncSatF32S => I32_TRUNC_SAT_F32_S 1, I32TruncSatF32U => I32_TRUNC_SAT_F32_U 1,
            I32TruncSatF64S => I32_TRUNC_SAT_F64_S 1, I32TruncSatF64U => I32_TRUNC_SAT_F64_U 1,
            I64TruncSatF32S => I64_TRUNC_SAT_F32_S 1, I64TruncSatF32U => I64_TRUNC_SAT_F32_U 1,
            I64TruncSatF64S => I64_TRUNC_SAT_F64_S 1, I64TruncSatF64U => I64_TRUNC_SAT_F64_U 1,
        }
    };
}

macro_rules! define_numeric {
    ($($wasm:ident => $name:ident $arity:literal),* $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum NumericNumbering { $($name,)* END }
        $(#[doc = concat!("`", stringify!($wasm), "`, ", stringify!($arity), "-ary.")]
          pub const $name: u32 = FIRST_NUMERIC + NumericNumbering::$name as u32;)*
        /// One past the last opcode.
        pub const END: u32 = FIRST_NUMERIC + NumericNumbering::END as u32;

        /// The opcode and arity of a numeric wasm operator.
        pub fn numeric(op: &wasmparser::Operator<'_>) -> Option<(u32, u32)> {
            use wasmparser::Operator as O;
            Some(match op {
                $(O::$wasm => ($name, $arity),)*
                _ => return None,
            })
        }

        const NUMERIC_ARITY: [u8; (END - FIRST_NUMERIC) as usize] = [$($arity,)*];
        const NUMERIC_NAME: [&str; (END - FIRST_NUMERIC) as usize] = [$(stringify!($name),)*];
    };
}

numeric_ops!(define_numeric);

/// Binary operators with an immediate right operand (`op dst a imm`; for
/// i64, `imm` is sign-extended): `BASE => NAME`, then the comparisons that
/// also exist as fused compare-and-branch instructions (`op a b rel`, and
/// with an immediate `op a imm rel`): `CMP => BRANCH BRANCH_IMM, inverse`,
/// then the loads whose address is a sum (an `i32.add` fused into the
/// load): `LOAD => INDEXED INDEXED_IMM`, `op dst a b offset` and
/// `op dst a imm offset`, at address `(a + b) mod 2^32 + offset`.
macro_rules! extra_ops {
    ($m:ident) => {
        $m! {
            imm: I32_ADD => I32_ADD_I, I32_SUB => I32_SUB_I, I32_MUL => I32_MUL_I, I32_AND => I32_AND_I,
                I32_OR => I32_OR_I, I32_XOR => I32_XOR_I, I32_SHL => I32_SHL_I, I32_SHR_S => I32_SHR_S_I,
                I32_SHR_U => I32_SHR_U_I, I32_EQ => I32_EQ_I, I32_NE => I32_NE_I, I32_LT_S => I32_LT_S_I,
                I32_LT_U => I32_LT_U_I, I32_GT_S => I32_GT_S_I, I32_GT_U => I32_GT_U_I, I32_LE_S => I32_LE_S_I,
                I32_LE_U => I32_LE_U_I, I32_GE_S => I32_GE_S_I, I32_GE_U => I32_GE_U_I,
                I64_ADD => I64_ADD_I, I64_SUB => I64_SUB_I, I64_MUL => I64_MUL_I, I64_AND => I64_AND_I,
                I64_OR => I64_OR_I, I64_XOR => I64_XOR_I, I64_SHL => I64_SHL_I, I64_SHR_S => I64_SHR_S_I,
                I64_SHR_U => I64_SHR_U_I, I64_EQ => I64_EQ_I, I64_NE => I64_NE_I, I64_LT_S => I64_LT_S_I,
                I64_LT_U => I64_LT_U_I, I64_GT_S => I64_GT_S_I, I64_GT_U => I64_GT_U_I, I64_LE_S => I64_LE_S_I,
                I64_LE_U => I64_LE_U_I, I64_GE_S => I64_GE_S_I, I64_GE_U => I64_GE_U_I;
            branch: I32_EQ => BR_I32_EQ BR_I32_EQ_I I32_NE, I32_NE => BR_I32_NE BR_I32_NE_I I32_EQ,
                I32_LT_S => BR_I32_LT_S BR_I32_LT_S_I I32_GE_S, I32_LT_U => BR_I32_LT_U BR_I32_LT_U_I I32_GE_U,
                I32_GT_S => BR_I32_GT_S BR_I32_GT_S_I I32_LE_S, I32_GT_U => BR_I32_GT_U BR_I32_GT_U_I I32_LE_U,
                I32_LE_S => BR_I32_LE_S BR_I32_LE_S_I I32_GT_S, I32_LE_U => BR_I32_LE_U BR_I32_LE_U_I I32_GT_U,
                I32_GE_S => BR_I32_GE_S BR_I32_GE_S_I I32_LT_S, I32_GE_U => BR_I32_GE_U BR_I32_GE_U_I I32_LT_U,
                I64_EQ => BR_I64_EQ BR_I64_EQ_I I64_NE, I64_NE => BR_I64_NE BR_I64_NE_I I64_EQ,
                I64_LT_S => BR_I64_LT_S BR_I64_LT_S_I I64_GE_S, I64_LT_U => BR_I64_LT_U BR_I64_LT_U_I I64_GE_U,
                I64_GT_S => BR_I64_GT_S BR_I64_GT_S_I I64_LE_S, I64_GT_U => BR_I64_GT_U BR_I64_GT_U_I I64_LE_U,
                I64_LE_S => BR_I64_LE_S BR_I64_LE_S_I I64_GT_S, I64_LE_U => BR_I64_LE_U BR_I64_LE_U_I I64_GT_U,
                I64_GE_S => BR_I64_GE_S BR_I64_GE_S_I I64_LT_S, I64_GE_U => BR_I64_GE_U BR_I64_GE_U_I I64_LT_U;
            load: I32_LOAD => I32_LOAD_X I32_LOAD_XI, I64_LOAD => I64_LOAD_X I64_LOAD_XI,
                I32_LOAD8_S => I32_LOAD8_S_X I32_LOAD8_S_XI, I32_LOAD8_U => I32_LOAD8_U_X I32_LOAD8_U_XI,
                I32_LOAD16_S => I32_LOAD16_S_X I32_LOAD16_S_XI, I32_LOAD16_U => I32_LOAD16_U_X I32_LOAD16_U_XI,
                I64_LOAD8_S => I64_LOAD8_S_X I64_LOAD8_S_XI, I64_LOAD8_U => I64_LOAD8_U_X I64_LOAD8_U_XI,
                I64_LOAD16_S => I64_LOAD16_S_X I64_LOAD16_S_XI, I64_LOAD16_U => I64_LOAD16_U_X I64_LOAD16_U_XI,
                I64_LOAD32_S => I64_LOAD32_S_X I64_LOAD32_S_XI, I64_LOAD32_U => I64_LOAD32_U_X I64_LOAD32_U_XI;
        }
    };
}

macro_rules! define_extra {
    (imm: $($base:ident => $imm:ident),*; branch: $($cmp:ident => $br:ident $bri:ident $inv:ident),*;
     load: $($ld:ident => $ldx:ident $ldxi:ident),*;) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum ExtraNumbering { $($imm,)* $($br, $bri,)* $($ldx, $ldxi,)* END }
        $(#[doc = concat!("`", stringify!($base), "` with an immediate right operand: `dst a imm`.")]
          pub const $imm: u32 = END + ExtraNumbering::$imm as u32;)*
        $(#[doc = concat!("Branch if `", stringify!($cmp), "` holds: `a b rel`.")]
          pub const $br: u32 = END + ExtraNumbering::$br as u32;
          #[doc = concat!("Branch if `", stringify!($cmp), "` holds with an immediate: `a imm rel`.")]
          pub const $bri: u32 = END + ExtraNumbering::$bri as u32;)*
        $(#[doc = concat!("`", stringify!($ld), "` at `a + b`: `dst a b offset`.")]
          pub const $ldx: u32 = END + ExtraNumbering::$ldx as u32;
          #[doc = concat!("`", stringify!($ld), "` at `a + imm`: `dst a imm offset`.")]
          pub const $ldxi: u32 = END + ExtraNumbering::$ldxi as u32;)*
        /// One past the last opcode.
        pub const END_EXTRA: u32 = END + ExtraNumbering::END as u32;
        const EXTRA_NAME: [&str; (END_EXTRA - END) as usize] =
            [$(stringify!($imm),)* $(stringify!($br), stringify!($bri),)* $(stringify!($ldx), stringify!($ldxi),)*];
        /// Lengths of the opcodes from [`END`].
        const EXTRA_LEN: [u8; (END_EXTRA - END) as usize] = [$({ let _ = $imm; 4 },)* $({ let _ = ($br, $bri); 4 }, 4,)* $({ let _ = ($ldx, $ldxi); 5 }, 5,)*];

        /// [`acc_sources`] of the opcodes from [`END`].
        const fn extra_acc_sources(op: u32) -> u8 {
            match op {
                $($imm)|* => 1 << 2,
                $($br)|* => 1 << 1 | 1 << 2,
                $($bri)|* => 1 << 1,
                $($ldx)|* => 1 << 2 | 1 << 3,
                $($ldxi)|* => 1 << 2,
                _ => 0,
            }
        }

        /// [`sets_acc`] of the opcodes from [`END`]: the immediate forms
        /// and the loads (not the branches).
        const fn extra_sets_acc(op: u32) -> bool {
            matches!(op, $($imm)|* | $($ldx)|* | $($ldxi)|*)
        }

        /// Whether an opcode from [`END`] is a compare-and-branch.
        const fn extra_branch(op: u32) -> bool {
            matches!(op, $($br)|* | $($bri)|*)
        }

        /// For a load: its forms at a sum address (`a + b`, `a + imm`).
        pub fn indexed_load(op: u32) -> Option<(u32, u32)> {
            Some(match op {
                $($ld => ($ldx, $ldxi),)*
                _ => return None,
            })
        }

        /// The register form of an immediate opcode, if it is one.
        pub fn without_immediate(op: u32) -> Option<u32> {
            Some(match op {
                $($imm => $base,)*
                _ => return None,
            })
        }

        /// The immediate form of a binary numeric opcode, if it has one.
        pub fn with_immediate(op: u32) -> Option<u32> {
            Some(match op {
                $($base => $imm,)*
                _ => return None,
            })
        }

        /// For a comparison: its fused branches (register and immediate
        /// forms) and the comparison that is its negation.
        pub fn branch_on(cmp: u32) -> Option<(u32, u32, u32)> {
            Some(match cmp {
                $($cmp => ($br, $bri, $inv),)*
                _ => return None,
            })
        }
    };
}

extra_ops!(define_extra);

/// Pairs of instructions that one handler runs, one after the other, where
/// the first falls through to the second (no label between them): `NAME =
/// A, B, k` runs A (or its accumulator variants, which the pair shares),
/// then B reading its operand word `k & 3` from the accumulator (0: none)
/// and, for a pass-through pair (`k >> 2` nonzero), its operand word
/// `k >> 2` from the accumulator as it was before A: the result of the
/// instruction just before A, which then reaches B in a register rather
/// than through its slot (a store and a reload on the way).
/// The pair's opcode replaces A's; B stays in the code as it was, its
/// opcode word skipped. A may itself be a pair (three instructions, run as
/// that pair then B). The pairs are the most frequent consecutive
/// instructions of the C programs (counted by a profiling build, see
/// `exec::profile`), the first never a branch. The executor builds each
/// pair's handler from the bodies of its parts.
macro_rules! pair_ops {
    ($m:ident $($pass:tt)*) => {
        $m! { $($pass)*
            P_ADD_I_ADD_I = I32_ADD_I, I32_ADD_I, 0;
            P_ADD_I_ADD_I_A = I32_ADD_I, I32_ADD_I, 2;
            P_LOAD_ADD_I = I32_LOAD, I32_ADD_I, 0;
            P_LOAD_ADD_I_A = I32_LOAD, I32_ADD_I, 2;
            P_LOAD_ADD_A2 = I32_LOAD, I32_ADD, 2;
            P_LOAD_ADD_A3 = I32_LOAD, I32_ADD, 3;
            P_ADD_SHL_LOAD_A = I32_ADD_SHL, I32_LOAD, 2;
            P_ADD_I_STORE32 = I32_ADD_I, STORE32, 0;
            P_ADD_I_STORE32_A1 = I32_ADD_I, STORE32, 1;
            P_ADD_I_STORE32_A2 = I32_ADD_I, STORE32, 2;
            P_STORE32_ADD_I = STORE32, I32_ADD_I, 0;
            P_LOAD_LOAD = I32_LOAD, I32_LOAD, 0;
            P_LOAD_LOAD_A = I32_LOAD, I32_LOAD, 2;
            P_LOAD_STORE32_A = I32_LOAD, STORE32, 2;
            P_STORE32_LOAD = STORE32, I32_LOAD, 0;
            P_STORE32_STORE32 = STORE32, STORE32, 0;
            P_LOAD8_U_X_LOAD8_U_X = I32_LOAD8_U_X, I32_LOAD8_U_X, 0;
            P_LOAD8_U_X_BR_NE_A = I32_LOAD8_U_X, BR_I32_NE, 2;
            P_ADD_I_BR_NE_A = I32_ADD_I, BR_I32_NE, 1;
            P_ADD_I_LOAD_A = I32_ADD_I, I32_LOAD, 2;
            P_ADD_ADD_I_A = I32_ADD, I32_ADD_I, 2;
            P_ADD_ADD = I32_ADD, I32_ADD, 0;
            P_ADD_ADD_A2 = I32_ADD, I32_ADD, 2;
            P_ADD_ADD_A3 = I32_ADD, I32_ADD, 3;
            P_ADD_ADD_SHL_A2 = I32_ADD, I32_ADD_SHL, 2;
            P_ADD_ADD_SHL_A3 = I32_ADD, I32_ADD_SHL, 3;
            P_LOAD8_U_XI_ADD_A2 = I32_LOAD8_U_XI, I32_ADD, 2;
            P_LOAD8_U_XI_ADD_A3 = I32_LOAD8_U_XI, I32_ADD, 3;
            P_MUL_I_ADD_A2 = I32_MUL_I, I32_ADD, 2;
            P_MUL_I_ADD_A3 = I32_MUL_I, I32_ADD, 3;
            P_STORE64_ADD_I = STORE64, I32_ADD_I, 0;
            P_ADD_I_STORE64 = I32_ADD_I, STORE64, 0;
            P_ADD_I_STORE64_A1 = I32_ADD_I, STORE64, 1;
            P_SHR_U_I_AND_I_A = I32_SHR_U_I, I32_AND_I, 2;
            P_ADD_I_BR_LT_U_A = I32_ADD_I, BR_I32_LT_U, 1;
            P_ADD_I_BR_LT_S_A = I32_ADD_I, BR_I32_LT_S, 1;
            P_ADD_BR_LT_U_A = I32_ADD, BR_I32_LT_U, 1;
            P_MUL_ADD_A2 = I32_MUL, I32_ADD, 2;
            P_ADD_SHL_I_A = I32_ADD, I32_SHL_I, 2;
            P_AND_I_SHL_I_A = I32_AND_I, I32_SHL_I, 2;
            P_SHL_I_LOAD_A = I32_SHL_I, I32_LOAD, 2;
            P_SHL_I_LOAD64_A = I32_SHL_I, I64_LOAD, 2;
            P_LOAD8_U_XOR_A3 = I32_LOAD8_U, I32_XOR, 3;
            P_F64_MUL_ADD_A2 = F64_MUL, F64_ADD, 2;
            P_F64_MUL_ADD_A3 = F64_MUL, F64_ADD, 3;
            P_AND_I_BR_EQZ_A = I32_AND_I, BR_IF_EQZ, 1;
            P_COPY_CALL = COPY, CALL, 0;
            P_ADD_I_BR_NEZ_A = I32_ADD_I, BR_IF_NEZ, 1;
            P_AND_ADD_SHL_A3 = I32_AND, I32_ADD_SHL, 3;
            P_ADD_SHL_LOAD16_U_A = I32_ADD_SHL, I32_LOAD16_U, 2;
            P_AND_I_BR_NE_A2 = I32_AND_I, BR_I32_NE, 2;
            P_LOAD8_U_AND_I = I32_LOAD8_U, I32_AND_I, 0;
            P_LOAD16_U_BR_GE_U_A2 = I32_LOAD16_U, BR_I32_GE_U, 2;
            P_COPY_BR = COPY, BR, 0;
            P_CONST_CONST = CONST32, CONST32, 0;
            P_ADD_I_COPY = I32_ADD_I, COPY, 0;
            P_COPY_PAIR_COPY = COPY_PAIR, COPY, 0;
            P_ADD_I_BR_TABLE_A = I32_ADD_I, BR_TABLE, 1;
            P_LOAD8_U_AND_I_A = I32_LOAD8_U, I32_AND_I, 2;
            P_CONST_COPY = CONST32, COPY, 0;
            P_ADD_I_BR = I32_ADD_I, BR, 0;
            P_COPY_PAIR_CALL = COPY_PAIR, CALL, 0;
            P_LOAD8_U_LOAD8_U = I32_LOAD8_U, I32_LOAD8_U, 0;
            P_GLOBAL_GET32_SUB_I_A = GLOBAL_GET32, I32_SUB_I, 2;
            P_SUB_I_GLOBAL_SET32_A = I32_SUB_I, GLOBAL_SET32, 2;
            P_LT_U_SELECT_A = I32_LT_U, SELECT, 2;
            P_STORE8_ADD_I = STORE8, I32_ADD_I, 0;
            P_LOAD8_U_STORE8_A = I32_LOAD8_U, STORE8, 2;
            P_CONST_BR = CONST32, BR, 0;
            P_LOAD8_U_BR_NE_A2 = I32_LOAD8_U, BR_I32_NE, 2;
            P_ADD_I_GLOBAL_SET32_A = I32_ADD_I, GLOBAL_SET32, 2;
            P_COPY_ADD_I = COPY, I32_ADD_I, 0;
            P_SUB_BR_NEZ_A = I32_SUB, BR_IF_NEZ, 1;
            P_ADD_SHL_LOAD_XI_A = I32_ADD_SHL, I32_LOAD_XI, 2;
            P_COPY_AND_I = COPY, I32_AND_I, 0;
            P_ADD_LOAD8_U_XI_A = I32_ADD, I32_LOAD8_U_XI, 2;
            P_LOAD8_U_X_SUB_A2 = I32_LOAD8_U_X, I32_SUB, 2;
            P_ADD_LOAD8_U_A = I32_ADD, I32_LOAD8_U, 2;
            P_LOAD8_U_BR_EQZ_A = I32_LOAD8_U, BR_IF_EQZ, 1;
            P_LOAD8_U_BR_NE_I_A = I32_LOAD8_U, BR_I32_NE_I, 1;
            P_ADD_I_BR_GT_U_I_A = I32_ADD_I, BR_I32_GT_U_I, 1;
            P_COPY_CONST = COPY, CONST32, 0;
            P_I64_LOAD8_U_SHL_I_A = I64_LOAD8_U, I64_SHL_I, 2;
            P_SELECT_ADD_I_A = SELECT, I32_ADD_I, 2;
            P_LOAD_ADD_SHL_A2 = I32_LOAD, I32_ADD_SHL, 2;
            P_SUB_LT_U = I32_SUB, I32_LT_U, 0;
            P_LOAD_BR_NEZ_A = I32_LOAD, BR_IF_NEZ, 1;
            P_LOAD_SUB_A3 = I32_LOAD, I32_SUB, 3;
            P_AND_I_BR_NEZ_A = I32_AND_I, BR_IF_NEZ, 1;
            P_ADD_I_LOAD8_U_XI = I32_ADD_I, I32_LOAD8_U_XI, 0;
            P_ADD_I_COPY_PAIR = I32_ADD_I, COPY_PAIR, 0;
            P_LOAD8_U_XI_STORE8_A = I32_LOAD8_U_XI, STORE8, 2;
            P_LOAD8_U_SHL_I_A = I32_LOAD8_U, I32_SHL_I, 2;
            P_GLOBAL_SET32_RET1_32 = GLOBAL_SET32, RET1_32, 0;
            // A table lookup's `c >> 8` then `t[...] ^ (c >> 8)` (CRC-32).
            P_SHR_U_I_XOR_A3 = I32_SHR_U_I, I32_XOR, 3;
            // The same with the table's word, loaded just before, passed
            // through (k = 3 | 2 << 2): the loop's chain then goes through
            // no slot.
            P_SHR_U_I_XOR_A3_P2 = I32_SHR_U_I, I32_XOR, 11;
            // From the counts after the calls' rework (2026-12): each at
            // least 0.8% of one program's dispatches or 0.15% of all.
            P_XOR_I_AND_A3 = I32_XOR_I, I32_AND, 3;
            P_CONST_SHL_A2 = CONST32, I32_SHL, 2;
            P_CONST_BR_EQZ = CONST32, BR_IF_EQZ, 0;
            P_ADD_SHL_GT_S = I32_ADD_SHL, I32_GT_S, 0;
            P_LOAD_BR_LT_U_A2 = I32_LOAD, BR_I32_LT_U, 2;
            P_LOAD8_U_BR_TABLE_A = I32_LOAD8_U, BR_TABLE, 1;
            P_I64_LOAD_STORE64_A = I64_LOAD, STORE64, 2;
            P_GT_U_SELECT_AI_A = I32_GT_U, SELECT_AI, 2;
            P_ADD_I_LOAD8_U_A = I32_ADD_I, I32_LOAD8_U, 2;
            P_CONST_LOAD = CONST32, I32_LOAD, 0;
            P_CONST_LOAD_A = CONST32, I32_LOAD, 2;
            P_LOAD8_U_BR_AND_NEZ_I_A = I32_LOAD8_U, BR_AND_NEZ_I, 1;
            P_COPY_I64_ADD_I = COPY, I64_ADD_I, 0;
            P_I64_ADD_I_LOAD8_U = I64_ADD_I, I32_LOAD8_U, 0;
            P_LOAD8_U_XI2 = I32_LOAD8_U_XI, I32_LOAD8_U_XI, 0;
            P_SELECT_AI_STORE16_A = SELECT_AI, STORE16, 2;
            P_XOR_SHR_U_I_A = I32_XOR, I32_SHR_U_I, 2;
            P_RSUB_I_AND_I_A = I32_RSUB_I, I32_AND_I, 2;
            P_LOAD_BR_EQZ_A = I32_LOAD, BR_IF_EQZ, 1;
            P_LOAD_BR_LT_S_I = I32_LOAD, BR_I32_LT_S_I, 0;
            P_RSUB_I_BR_GT_S_A2 = I32_RSUB_I, BR_I32_GT_S, 2;
            P_LOAD16_U_XI_XOR_A3 = I32_LOAD16_U_XI, I32_XOR, 3;
            P_ADD_I_BR_EQ_A = I32_ADD_I, BR_I32_EQ, 1;
            P_ADD_LOAD_X = I32_ADD, I32_LOAD_X, 0;
            // Pairs whose first part is a pair: three instructions.
            P_LOAD8_U_AND_I_BR_NE_A2 = P_LOAD8_U_AND_I, BR_I32_NE, 2;
            P_LOAD8_U_X2_BR_NE_A2 = P_LOAD8_U_X_LOAD8_U_X, BR_I32_NE, 2;
            P_COPY3_CALL = P_COPY_PAIR_COPY, CALL, 0;
            P_SP_SUB = P_GLOBAL_GET32_SUB_I_A, GLOBAL_SET32, 2;
            P_SHR_U_I_AND_I_ADD_A3 = P_SHR_U_I_AND_I_A, I32_ADD, 3;
            P_LOAD8_U2_BR_NE_A2 = P_LOAD8_U_LOAD8_U, BR_I32_NE, 2;
            P_LOAD8_U_X_SUB_BR_NEZ_A = P_LOAD8_U_X_SUB_A2, BR_IF_NEZ, 1;
            P_LOAD3 = P_LOAD_LOAD, I32_LOAD, 0;
            P_LOAD_ADD_I_STORE32_A = P_LOAD_ADD_I_A, STORE32, 2;
            P_LOAD8_U_AND_I_BR_EQZ_A = P_LOAD8_U_AND_I_A, BR_IF_EQZ, 1;
            P_AND_I_SHL_I_LOAD_XI_A = P_AND_I_SHL_I_A, I32_LOAD_XI, 2;
            // A table lookup: `t[(x & mask) << 2]` with the table at 0.
            P_AND_I_SHL_I_LOAD_A = P_AND_I_SHL_I_A, I32_LOAD, 2;
            P_ADD_I_GLOBAL_SET32_RET = P_ADD_I_GLOBAL_SET32_A, RET1_32, 0;
            P_SELECT_ADD_I_COPY = P_SELECT_ADD_I_A, COPY, 0;
            P_ADD_I2_BR_LT_S = P_ADD_I_ADD_I, BR_I32_LT_S, 0;
            P_I64_LOAD8_U_SHL_I_OR_A3 = P_I64_LOAD8_U_SHL_I_A, I64_OR, 3;
            P_ADD_I3 = P_ADD_I_ADD_I, I32_ADD_I, 0;
            P_ADD_I2_BR_NEZ_A = P_ADD_I_ADD_I, BR_IF_NEZ, 1;
            P_STORE32_ADD_I_ADD_I = P_STORE32_ADD_I, I32_ADD_I, 0;
            P_ADD_I_LOAD_BR_GE_U_A2 = P_ADD_I_LOAD_A, BR_I32_GE_U, 2;
            P_LOAD8_U_XI_ADD_ADD_A3 = P_LOAD8_U_XI_ADD_A3, I32_ADD, 3;
            P_CONST_COPY_CALL = P_CONST_COPY, CALL, 0;
            P_MUL_I_ADD_SHR_U_I = P_MUL_I_ADD_A3, I32_SHR_U_I, 0;
            P_ADD_ADD_I_LT_U_I = P_ADD_ADD_I_A, I32_LT_U_I, 0;
            P_ADD_LOAD8_U_XI_BR_NE_A2 = P_ADD_LOAD8_U_XI_A, BR_I32_NE, 2;
            P_LOAD8_U_XI2_BR_EQ_A2 = P_LOAD8_U_XI2, BR_I32_EQ, 2;
        }
    };
}

macro_rules! define_pairs {
    ($($name:ident = $a:ident, $b:ident, $k:literal;)*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum PairNumbering { $($name,)* END }
        $(#[doc = concat!("`", stringify!($a), "` then `", stringify!($b), "` (see [`pair_ops!`]).")]
          pub const $name: u32 = END_EXTRA + PairNumbering::$name as u32;)*
        /// How many pairs there are; each has twins (see [`dead_parts`]).
        const PAIRS: u32 = PairNumbering::END as u32;
        /// One past the pairs and their twins, where the singles' twins
        /// start (see [`single_twins!`]).
        const PAIR_TWINS_END: u32 = END_EXTRA + TWINS * PAIRS;
        /// Each pair's name, then its twins' (by [`dead_parts`]).
        const PAIR_NAME: [[&str; PAIRS as usize]; TWINS as usize] = [
            [$(stringify!($name),)*],
            [$(concat!(stringify!($name), "_D1"),)*],
            [$(concat!(stringify!($name), "_D2"),)*],
            [$(concat!(stringify!($name), "_D3"),)*],
            [$(concat!(stringify!($name), "_D4"),)*],
            [$(concat!(stringify!($name), "_D5"),)*],
            [$(concat!(stringify!($name), "_D6"),)*],
            [$(concat!(stringify!($name), "_D7"),)*],
        ];
        /// The parts of each pair: its first and second base opcodes and
        /// the second's accumulator word.
        const PAIR_PARTS: [(u32, u32, u32); PAIRS as usize] = [$(($a, $b, $k),)*];
    };
}

pair_ops!(define_pairs);

/// Single instructions that have a twin, `NAME_D`, which leaves out its
/// slot write as a pair's dead parts do (see [`dead_parts`]): the
/// translator chooses it when the next instruction, with which it makes no
/// pair, takes its result from the accumulator and nothing reads the slot
/// again. These are the singles most often followed by an instruction
/// that reads them from the accumulator in the C programs' profiles (at
/// least 0.05% of the dispatches, five programs weighted equally); each
/// writes one scalar, through `put!`.
macro_rules! single_twins {
    ($m:ident) => {
        $m! {
            I32_ADD_I, I32_LOAD, I32_AND_I, I32_LOAD8_U, I32_SUB, I32_SHL_I, CONST32, I32_LOAD8_U_XI, I32_ADD,
            I32_LOAD16_U, I32_XOR, I32_SHR_U_I, I64_LOAD, I32_AND, I32_RSUB_I, I32_ADD_SHL, I32_OR, I32_LOAD8_S,
            SELECT, I32_LOAD16_U_XI, I32_LOAD_XI, I32_GT_U, I32_SHL, I32_XOR_I, SELECT_AI, I32_SHR_S_I,
            I32_LOAD_X, I32_LOAD8_U_X, I32_OR_I, I32_GT_S, SELECT_BI, I32_LT_U_I, I64_EXTEND_I32_U, CONST64,
            I64_OR, I32_SHR_U, I64_AND_I, I64_ADD, I64_LOAD_XI, I32_WRAP_I64, I64_LOAD32_U, I32_LT_S, I32_MUL_I,
            I32_REM_U, I64_LOAD8_U
        }
    };
}
pub(crate) use single_twins;

macro_rules! define_single_twins {
    ($($name:ident),*) => {
        /// The singles that have twins, in the order of [`single_twins!`]:
        /// the twin of the `i`th is opcode `PAIR_TWINS_END + i`.
        const SINGLE_TWIN_OF: [u32; [$($name),*].len()] = [$($name),*];
        /// Their twins' names.
        const SINGLE_TWIN_NAME: [&str; SINGLE_TWIN_OF.len()] = [$(concat!(stringify!($name), "_D")),*];
    };
}

single_twins!(define_single_twins);

/// One past the singles' twins, the last opcodes.
const TWINS_END: u32 = PAIR_TWINS_END + SINGLE_TWIN_OF.len() as u32;

/// The numbers of the base opcodes are below this: the single
/// instructions, the pairs, the pairs' twins, then the singles' twins,
/// and up to the next power of two no opcode, so that [`base`] and
/// [`acc_word`], which the translator asks of every instruction it looks
/// at, are a mask and a shift.
pub const LAST: u32 = TWINS_END.next_power_of_two();

/// Per single instruction, its twin (see [`single_twins!`]), or 0.
const SINGLE_TWINS: [u32; END_EXTRA as usize] = {
    let mut twins = [0; END_EXTRA as usize];
    let mut i = 0;
    while i < SINGLE_TWIN_OF.len() {
        twins[SINGLE_TWIN_OF[i] as usize] = PAIR_TWINS_END + i as u32;
        i += 1;
    }
    twins
};

/// The twin of single instruction `op` (a base opcode) that leaves out its
/// slot write, if it has one (see [`single_twins!`]).
pub const fn single_twin(op: u32) -> Option<u32> {
    if op >= END_EXTRA || SINGLE_TWINS[op as usize] == 0 { None } else { Some(SINGLE_TWINS[op as usize]) }
}

/// Whether base opcode `op` is a single instruction's twin.
const fn is_single_twin(op: u32) -> bool {
    op >= PAIR_TWINS_END && op < TWINS_END
}

/// Pairs by first part, for [`pair_of`]: the first pair whose first part
/// is each base opcode, and after each pair the next with the same first
/// part (`u16::MAX`: none), in the order of [`pair_ops!`].
const PAIR_CHAINS: ([u16; LAST as usize], [u16; PAIR_PARTS.len()]) = {
    let mut first = [u16::MAX; LAST as usize];
    let mut next = [u16::MAX; PAIR_PARTS.len()];
    let mut i = PAIR_PARTS.len();
    while i > 0 {
        i -= 1;
        let a = PAIR_PARTS[i].0 as usize;
        next[i] = first[a];
        first[a] = i as u16;
    }
    (first, next)
};

/// A bit per hash of the first and second parts (base opcodes) of each
/// pair: most instructions the translator emits start no pair with the
/// one before, which a clear bit tells without walking the pairs that
/// start with the first (a dozen for `i32.load`).
const PAIR_FILTER: [u64; 64] = {
    let mut bits = [0; 64];
    let mut i = 0;
    while i < PAIR_PARTS.len() {
        let h = pair_hash(PAIR_PARTS[i].0, PAIR_PARTS[i].1);
        bits[h / 64] |= 1 << (h % 64);
        i += 1;
    }
    bits
};

/// [`PAIR_FILTER`]'s bit for a first and a second part.
const fn pair_hash(a: u32, b: u32) -> usize {
    ((a.wrapping_mul(0x9e37_79b1) ^ b).wrapping_mul(0x85eb_ca6b) >> 20) as usize % (64 * 64)
}

/// The pair that runs base opcode `a` then `b` reading its operand word
/// `k` from the accumulator, if there is one. Asked once per emitted
/// instruction: one bit of [`PAIR_FILTER`] when no pair has these parts
/// (nearly always), else a walk over the few pairs that start with `a`.
#[inline]
pub fn pair_of(a: u32, b: u32, k: u32) -> Option<u32> {
    if !has_bit(&PAIR_FILTER, pair_hash(a, b)) {
        return None;
    }
    let mut i = *PAIR_CHAINS.0.get(a as usize)?;
    while i != u16::MAX {
        let (_, pb, pk) = PAIR_PARTS[i as usize];
        if (pb, pk) == (b, k) {
            return Some(END_EXTRA + u32::from(i));
        }
        i = PAIR_CHAINS.1[i as usize];
    }
    None
}
pub(crate) use pair_ops;

/// The first parts of pass-through pairs (see [`pair_ops!`]), a bit per
/// base opcode: the translator looks for a pass-through only after one.
const PASS_THROUGH_FIRSTS: [u64; LAST.div_ceil(64) as usize] = {
    let mut bits = [0; LAST.div_ceil(64) as usize];
    let mut i = 0;
    while i < PAIR_PARTS.len() {
        let (a, _, k) = PAIR_PARTS[i];
        if k >> 2 != 0 {
            bits[a as usize / 64] |= 1 << (a % 64);
        }
        i += 1;
    }
    bits
};

/// Whether some pass-through pair has first part `a` (a base opcode).
pub fn starts_pass_through(a: u32) -> bool {
    has_bit(&PASS_THROUGH_FIRSTS, a as usize)
}

/// Bit `i` of a bit set of words (clear past its end).
fn has_bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0)
}

/// Twins per pair, the pair included: one per set of its parts (a pair of
/// three instructions has eight, one of two the first four numbers).
const TWINS: u32 = 8;

/// For a pair opcode (or a twin's): its parts (see [`pair_of`]).
pub const fn pair_parts(op: u32) -> Option<(u32, u32, u32)> {
    if op < END_EXTRA || op >= PAIR_TWINS_END || PARTS[op as usize] == 1 {
        return None;
    }
    Some(PAIR_PARTS[((op - END_EXTRA) % PAIRS) as usize])
}

/// How many single instructions the first part of pair `i` (of
/// [`pair_ops!`]) runs: a pair's first part is a single instruction or a
/// pair (never a twin).
const fn first_parts(i: u32) -> u32 {
    let a = PAIR_PARTS[i as usize].0;
    if a >= END_EXTRA && a < END_EXTRA + PAIRS { 1 + first_parts(a - END_EXTRA) } else { 1 }
}

/// [`parts`] of every base opcode, computed once: the translator asks it
/// for each pair it makes or looks into. 1 also for the numbers of twins
/// that do not exist (a pair of two uses only the first four of its eight).
const PARTS: [u8; LAST as usize] = {
    let mut parts = [1; LAST as usize];
    let mut op = END_EXTRA;
    while op < PAIR_TWINS_END {
        let first = first_parts((op - END_EXTRA) % PAIRS);
        if (op - END_EXTRA) / PAIRS < 1 << (first + 1) {
            parts[op as usize] = first as u8 + 1;
        }
        op += 1;
    }
    parts
};

/// Of a twin, the parts whose slot writes it leaves out (bit `i` for the
/// pair's `i`th single instruction, 0 for the first; 1 for a single
/// instruction's twin); 0 for anything else.
/// The translator chooses a twin when nothing reads those slots again: the
/// next part (or for the last, the next instruction) takes each value from
/// the accumulator and then overwrites its slot or leaves it above the
/// operand stack. The values still go to the accumulator.
pub const fn dead_parts(op: u32) -> u32 {
    if op < END_EXTRA || op >= TWINS_END {
        0
    } else if op < PAIR_TWINS_END {
        (op - END_EXTRA) / PAIRS
    } else {
        1
    }
}

/// The twin of pair `op` (not a twin) that leaves out the writes of
/// `dead` (see [`dead_parts`]), a set of its parts.
pub const fn twin(op: u32, dead: u32) -> u32 {
    op + PAIRS * dead
}

/// The pair or single instruction whose twin `op` is, or `op` itself: a
/// base opcode.
pub const fn without_dead(op: u32) -> u32 {
    if op < END_EXTRA || op >= TWINS_END {
        op
    } else if op < PAIR_TWINS_END {
        END_EXTRA + (op - END_EXTRA) % PAIRS
    } else {
        SINGLE_TWIN_OF[(op - PAIR_TWINS_END) as usize]
    }
}

/// How many instructions base opcode `op` runs: 1, or a pair's parts.
pub const fn parts(op: u32) -> usize {
    if op < LAST { PARTS[op as usize] as usize } else { 1 }
}

/// Opcodes in all: the base opcodes (below [`LAST`]) and their
/// accumulator variants.
///
/// Every instruction that computes a scalar into its `dst` also leaves it
/// in the executor's accumulator, a register that travels from handler to
/// handler. When the next instruction reads that value (the translator
/// knows: nothing was bound in between), it is emitted as a variant that
/// takes that operand from the accumulator instead of its slot: opcode
/// `op + LAST * k` reads operand word `k` (1 to 3) from it. The operand
/// word stays (the variant has the base opcode's length and layout), and
/// the slot is still written (unless a twin pair leaves it out, see
/// [`dead_parts`]): mostly only the reload is saved, which is what
/// carries a dependency chain from one instruction to the next (a store
/// then a load of one slot costs a store-to-load forwarding, several
/// cycles, on top of the operation).
pub const ALL: u32 = LAST * 4;

/// The base opcode of `op`, an opcode or an accumulator variant.
pub const fn base(op: u32) -> u32 {
    op % LAST
}

/// The operand word variant `op` reads from the accumulator (0: none).
pub const fn acc_word(op: u32) -> u32 {
    op / LAST
}

/// The variant of base opcode `op` that reads operand word `k` from the
/// accumulator; `k` is one of [`acc_sources`]`(op)`.
pub const fn with_acc(op: u32, k: u32) -> u32 {
    op + LAST * k
}

/// The operand words (bit `k` for word `k`) of base opcode `op` that are
/// scalar slots a variant may read from the accumulator instead.
pub const fn acc_sources(op: u32) -> u8 {
    if op < LAST { INFO[op as usize] & INFO_ACC_SOURCES } else { 0 }
}

/// Per base opcode, what the translator asks of each instruction it
/// emits: [`acc_sources`] (bits 1 to 3), [`sets_acc`] and
/// [`preserves_acc`], computed once. A pair answers as its first single
/// instruction does: the later parts follow it in the code as
/// instructions of their own.
const INFO: [u8; LAST as usize] = {
    let mut info = [0; LAST as usize];
    let mut op = 0;
    while op < LAST {
        let mut first = without_dead(op);
        while let Some((a, _, _)) = pair_parts(first) {
            first = a;
        }
        info[op as usize] = compute_acc_sources(first)
            | if compute_sets_acc(first) { INFO_SETS_ACC } else { 0 }
            | if compute_preserves_acc(first) { INFO_PRESERVES_ACC } else { 0 };
        op += 1;
    }
    info
};
const INFO_ACC_SOURCES: u8 = 0b1110;
const INFO_SETS_ACC: u8 = 1 << 4;
const INFO_PRESERVES_ACC: u8 = 1 << 5;

/// [`acc_sources`] of a single instruction (not a pair).
const fn compute_acc_sources(op: u32) -> u8 {
    if op >= FIRST_NUMERIC && op < END {
        return if NUMERIC_ARITY[(op - FIRST_NUMERIC) as usize] == 1 { 1 << 2 } else { 1 << 2 | 1 << 3 };
    }
    if op >= END && op < END_EXTRA {
        return extra_acc_sources(op);
    }
    match op {
        I32_LOAD..=V128_LOAD | SELECT | SELECT_AI | SELECT_BI | SELECT_II | I32_RSUB_I | I64_RSUB_I => 1 << 2,
        GLOBAL_SET32 | GLOBAL_SET64 => 1 << 2,
        RET1_32 | RET1_64 => 1 << 1,
        I32_ADD_SHL => 1 << 2 | 1 << 3,
        STORE8 | STORE16 | STORE32 | STORE64 | BR_AND_NEZ | BR_AND_EQZ => 1 << 1 | 1 << 2,
        STORE128 | STORE8_I | STORE16_I | STORE32_I | STORE64_I => 1 << 1,
        BR_IF_NEZ | BR_IF_EQZ | BR_TABLE | BR_AND_NEZ_I | BR_AND_EQZ_I => 1 << 1,
        _ => 0,
    }
}

/// Whether base opcode `op` writes its result (a scalar, or for `copy`,
/// `select` and `global_get` a whole slot whose low 64 bits are its
/// scalar) to its first operand word and to the accumulator, and nothing
/// else.
pub const fn sets_acc(op: u32) -> bool {
    op < LAST && INFO[op as usize] & INFO_SETS_ACC != 0
}

/// [`sets_acc`] of a single instruction (not a pair).
const fn compute_sets_acc(op: u32) -> bool {
    if op >= FIRST_NUMERIC && op < END {
        return true;
    }
    if op >= END && op < END_EXTRA {
        return extra_sets_acc(op);
    }
    matches!(
        op,
        I32_LOAD..=I64_LOAD32_U
            | CONST32
            | CONST64
            | COPY
            | SELECT
            | SELECT_AI
            | SELECT_BI
            | SELECT_II
            | GLOBAL_GET
            | GLOBAL_GET32
            | GLOBAL_GET64
            | I32_ADD_SHL
            | I32_RSUB_I
            | I64_RSUB_I
    )
}

/// Whether base opcode `op` leaves the accumulator as it was
/// and writes no frame slot: stores to memory, `global.set`, branches
/// and fuel and epoch checks. The slot the accumulator held before it, it
/// holds after (where a branch goes, and where a conditional one falls
/// through). For a pair, as for [`sets_acc`], its first part's: the later
/// parts follow it in the code as instructions of their own.
pub const fn preserves_acc(op: u32) -> bool {
    op < LAST && INFO[op as usize] & INFO_PRESERVES_ACC != 0
}

/// [`preserves_acc`] of a single instruction (not a pair).
const fn compute_preserves_acc(op: u32) -> bool {
    if op >= END && op < END_EXTRA {
        return extra_branch(op);
    }
    matches!(
        op,
        STORE8
            | STORE16
            | STORE32
            | STORE64
            | STORE128
            | STORE8_I
            | STORE16_I
            | STORE32_I
            | STORE64_I
            | GLOBAL_SET
            | GLOBAL_SET32
            | GLOBAL_SET64
            | BR
            | BR_TABLE
            | BR_IF_NEZ
            | BR_IF_EQZ
            | BR_AND_NEZ
            | BR_AND_EQZ
            | BR_AND_NEZ_I
            | BR_AND_EQZ_I
            | FUEL_ADD
            | FUEL_CHECK
            | EPOCH_CHECK
    )
}

/// The comparison equal to `cmp` with its operands swapped, for moving a
/// constant left operand to the right.
pub fn swapped(cmp: u32) -> Option<u32> {
    Some(match cmp {
        I32_EQ | I32_NE | I64_EQ | I64_NE => cmp,
        I32_ADD | I32_MUL | I32_AND | I32_OR | I32_XOR => cmp,
        I64_ADD | I64_MUL | I64_AND | I64_OR | I64_XOR => cmp,
        I32_LT_S => I32_GT_S,
        I32_GT_S => I32_LT_S,
        I32_LT_U => I32_GT_U,
        I32_GT_U => I32_LT_U,
        I32_LE_S => I32_GE_S,
        I32_GE_S => I32_LE_S,
        I32_LE_U => I32_GE_U,
        I32_GE_U => I32_LE_U,
        I64_LT_S => I64_GT_S,
        I64_GT_S => I64_LT_S,
        I64_LT_U => I64_GT_U,
        I64_GT_U => I64_LT_U,
        I64_LE_S => I64_GE_S,
        I64_GE_S => I64_LE_S,
        I64_LE_U => I64_GE_U,
        I64_GE_U => I64_LE_U,
        _ => return None,
    })
}

/// A fingerprint of the instruction set (every opcode's name and length,
/// in order) and of the function records' layout, stored in each bytecode
/// blob: bytecode from a build with
/// other opcodes is refused rather than misread.
pub const FINGERPRINT: u32 = {
    const fn mix(h: u32, b: u8) -> u32 {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    }
    const fn mix_name(mut h: u32, name: &str, len: u8) -> u32 {
        let bytes = name.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            h = mix(h, bytes[i]);
            i += 1;
        }
        mix(mix(h, 0), len)
    }
    // What the function records hold (see `layout`), named so that a blob
    // whose records mean something else is refused too.
    let mut h = mix_name(0x811c_9dc5, "records: code frame params locals results zero_start zero_end", 0);
    h = mix_name(h, "memory accesses: the offset of the last byte", 0);
    let mut i = 0;
    while i < FIXED_NAME.len() {
        h = mix_name(h, FIXED_NAME[i], FIXED_LEN[i]);
        i += 1;
    }
    i = 0;
    while i < NUMERIC_NAME.len() {
        h = mix_name(h, NUMERIC_NAME[i], NUMERIC_ARITY[i]);
        i += 1;
    }
    i = 0;
    while i < EXTRA_NAME.len() {
        h = mix_name(h, EXTRA_NAME[i], EXTRA_LEN[i]);
        i += 1;
    }
    i = 0;
    while i < PAIRS as usize {
        let (a, b, k) = PAIR_PARTS[i];
        h = mix(mix(mix(mix_name(h, PAIR_NAME[0][i], 0), a as u8), b as u8), k as u8);
        i += 1;
    }
    h = mix_name(h, "twins: the pairs again, with the slot writes of any of their parts left out", TWINS as u8);
    i = 0;
    while i < SINGLE_TWIN_NAME.len() {
        h = mix_name(h, SINGLE_TWIN_NAME[i], 0);
        i += 1;
    }
    // The accumulator variants: which operands each opcode may take from it.
    i = 0;
    while i < LAST as usize {
        h = mix(h, acc_sources(i as u32));
        i += 1;
    }
    h
};

/// The name of opcode `op` (as in this module), `None` for an unknown one.
pub fn name(op: u32) -> Option<&'static str> {
    let op = base_of_known(op)?;
    if op < FIRST_NUMERIC {
        Some(FIXED_NAME[op as usize])
    } else if op < END {
        Some(NUMERIC_NAME[(op - FIRST_NUMERIC) as usize])
    } else if op < END_EXTRA {
        Some(EXTRA_NAME[(op - END) as usize])
    } else if pair_parts(op).is_some() {
        Some(PAIR_NAME[dead_parts(op) as usize][((op - END_EXTRA) % PAIRS) as usize])
    } else if is_single_twin(op) {
        Some(SINGLE_TWIN_NAME[(op - PAIR_TWINS_END) as usize])
    } else {
        None
    }
}

/// A listing of `code` (one function's instructions), one instruction per
/// line: its word offset, name and operand words. Words that do not decode
/// end the listing with a note.
pub fn disassemble(code: &[u32]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut at = 0;
    while at < code.len() {
        let op = code[at];
        let (Some(name), Some(n)) = (name(op), instruction_len(code, at)) else {
            let _ = writeln!(out, "{at:5}: <bad opcode {op}>");
            break;
        };
        let _ = write!(out, "{at:5}: {name}");
        if acc_word(op) != 0 {
            let _ = write!(out, "@acc{}", acc_word(op));
        }
        for w in code.iter().skip(at + 1).take(n - 1) {
            let _ = write!(out, " {}", *w as i32);
        }
        out.push('\n');
        at += n;
    }
    out
}

/// The base opcode of `op` if it is an opcode or one of its accumulator
/// variants that exists.
fn base_of_known(op: u32) -> Option<u32> {
    let b = base(op);
    let k = acc_word(op);
    (k == 0 || (k < 4 && acc_sources(b) & 1 << k != 0)).then_some(b)
}

/// Length in words of the instruction at word `at` of `code`, `BR_TABLE`'s
/// targets included; `None` for an unknown opcode.
pub fn instruction_len(code: &[u32], at: usize) -> Option<usize> {
    let op = *code.get(at)?;
    let n = len(op)?;
    Some(if base(op) == BR_TABLE { n + code.get(at + 2).map_or(0, |&k| k as usize + 1) } else { n })
}

/// Length in words of an instruction with opcode `op` (for `BR_TABLE`, of
/// its fixed part); `None` for an unknown opcode.
pub fn len(op: u32) -> Option<usize> {
    let op = base_of_known(op)?;
    if op < FIRST_NUMERIC {
        Some(usize::from(FIXED_LEN[op as usize]))
    } else if op < END {
        Some(2 + usize::from(NUMERIC_ARITY[(op - FIRST_NUMERIC) as usize]))
    } else if op < END_EXTRA {
        Some(usize::from(EXTRA_LEN[(op - END) as usize]))
    } else if let Some((a, _, _)) = pair_parts(op) {
        len(a)
    } else if is_single_twin(op) {
        len(without_dead(op))
    } else {
        None
    }
}
