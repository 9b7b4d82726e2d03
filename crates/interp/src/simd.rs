//! Portable semantics of the WebAssembly fixed-width SIMD operators (the
//! `v128` operators of WebAssembly 2.0; not relaxed-simd) for the interpreter.
//!
//! # Representation
//!
//! A `v128` is a [`u128`] whose little-endian bytes are the vector's bytes, so
//! lane `i` of width `W` bits is bits `i * W .. (i + 1) * W` (lane 0 is in the
//! low bits). Scalars are `u64` bit patterns: an `i32` or `f32` lives in the
//! low 32 bits (upper bits are ignored on input and zero on output), an `i64`
//! or `f64` uses all 64 bits.
//!
//! Every lane-wise operator is written with a few generic helpers over the
//! private `Lane` trait (read lane `i` by shifting, build a vector from a
//! per-lane function), so each operator is one line of [`unary`], [`binary`],
//! etc. All of it is safe, portable Rust: no `std::arch`.
//!
//! The translator numbers each operator with [`SimdOp`] and asks [`classify`]
//! how it uses its operands ([`SimdForm`]); the executor then calls the
//! matching function. A function called with an operator of another form
//! (say `unary(SimdOp::F32x4Add, ..)`) returns 0 and never panics; lane
//! indices are taken modulo the lane count (a validated module never has an
//! out-of-range index).
//!
//! NaN results follow the optimizing tier's x86-64 code, so that both tiers
//! compute the same bits: `sqrt`, rounding, promote/demote and the
//! arithmetic keep a NaN input's payload and set its quiet bit (as
//! `sqrtps`, `roundps`, `cvtps2pd` and `addps` do); `min` gives the
//! negative canonical NaN and `max` the canonical NaN (Cranelift's
//! lowering masks the payload); `abs`, `neg`, `pmin`, `pmax` only move
//! bits, exactly as the spec says.

use std::ops::{Add, Mul};

use wasmparser::Operator;

/// Defines [`SimdOp`] (densely numbered in list order), its table of all
/// operators and [`classify`] from the operator lists grouped by form.
macro_rules! simd_ops {
    (
        $( $form:ident [ $($op:ident)* ] )*
        $( @lane $lform:ident [ $($lop:ident)* ] )*
    ) => {
        /// A v128 operator other than memory accesses, `v128.const` and
        /// `i8x16.shuffle`, numbered densely (`repr(u16)`) so the translator
        /// can store it in one bytecode word. Variants are named as in
        /// [`wasmparser::Operator`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum SimdOp {
            $($(
                #[doc = concat!("`", stringify!($op), "` (", stringify!($form), ").")]
                $op,
            )*)*
            $($(
                #[doc = concat!("`", stringify!($lop), "` (", stringify!($lform), ").")]
                $lop,
            )*)*
        }

        impl SimdOp {
            /// Every operator, indexed by its number.
            const ALL: &'static [SimdOp] = &[$($(SimdOp::$op,)*)* $($(SimdOp::$lop,)*)*];
        }

        /// The form of `op` if it is a v128 operator that does not access
        /// memory; `None` otherwise (scalar operators, relaxed-simd, and
        /// `v128.load*`, `v128.store*`, `load*_splat`, `load*_zero`,
        /// `load*_lane`, `store*_lane`).
        pub fn classify(op: &Operator<'_>) -> Option<SimdForm> {
            Some(match op {
                $($( Operator::$op => SimdForm::$form(SimdOp::$op), )*)*
                $($( Operator::$lop { lane } => SimdForm::$lform(SimdOp::$lop, *lane), )*)*
                Operator::I8x16Shuffle { lanes } => SimdForm::Shuffle(*lanes),
                Operator::V128Const { value } => SimdForm::Const(u128::from(*value)),
                _ => return None,
            })
        }
    };
}

simd_ops! {
    Unary [
        V128Not
        I8x16Abs I8x16Neg I8x16Popcnt
        I16x8Abs I16x8Neg I32x4Abs I32x4Neg I64x2Abs I64x2Neg
        I16x8ExtAddPairwiseI8x16S I16x8ExtAddPairwiseI8x16U
        I32x4ExtAddPairwiseI16x8S I32x4ExtAddPairwiseI16x8U
        I16x8ExtendLowI8x16S I16x8ExtendHighI8x16S I16x8ExtendLowI8x16U I16x8ExtendHighI8x16U
        I32x4ExtendLowI16x8S I32x4ExtendHighI16x8S I32x4ExtendLowI16x8U I32x4ExtendHighI16x8U
        I64x2ExtendLowI32x4S I64x2ExtendHighI32x4S I64x2ExtendLowI32x4U I64x2ExtendHighI32x4U
        F32x4Ceil F32x4Floor F32x4Trunc F32x4Nearest F32x4Abs F32x4Neg F32x4Sqrt
        F64x2Ceil F64x2Floor F64x2Trunc F64x2Nearest F64x2Abs F64x2Neg F64x2Sqrt
        I32x4TruncSatF32x4S I32x4TruncSatF32x4U F32x4ConvertI32x4S F32x4ConvertI32x4U
        I32x4TruncSatF64x2SZero I32x4TruncSatF64x2UZero
        F64x2ConvertLowI32x4S F64x2ConvertLowI32x4U
        F32x4DemoteF64x2Zero F64x2PromoteLowF32x4
    ]
    Binary [
        I8x16Swizzle
        V128And V128AndNot V128Or V128Xor
        I8x16Eq I8x16Ne I8x16LtS I8x16LtU I8x16GtS I8x16GtU I8x16LeS I8x16LeU I8x16GeS I8x16GeU
        I16x8Eq I16x8Ne I16x8LtS I16x8LtU I16x8GtS I16x8GtU I16x8LeS I16x8LeU I16x8GeS I16x8GeU
        I32x4Eq I32x4Ne I32x4LtS I32x4LtU I32x4GtS I32x4GtU I32x4LeS I32x4LeU I32x4GeS I32x4GeU
        I64x2Eq I64x2Ne I64x2LtS I64x2GtS I64x2LeS I64x2GeS
        F32x4Eq F32x4Ne F32x4Lt F32x4Gt F32x4Le F32x4Ge
        F64x2Eq F64x2Ne F64x2Lt F64x2Gt F64x2Le F64x2Ge
        I8x16NarrowI16x8S I8x16NarrowI16x8U I16x8NarrowI32x4S I16x8NarrowI32x4U
        I8x16Add I8x16AddSatS I8x16AddSatU I8x16Sub I8x16SubSatS I8x16SubSatU
        I8x16MinS I8x16MinU I8x16MaxS I8x16MaxU I8x16AvgrU
        I16x8Add I16x8AddSatS I16x8AddSatU I16x8Sub I16x8SubSatS I16x8SubSatU I16x8Mul
        I16x8MinS I16x8MinU I16x8MaxS I16x8MaxU I16x8AvgrU I16x8Q15MulrSatS
        I16x8ExtMulLowI8x16S I16x8ExtMulHighI8x16S I16x8ExtMulLowI8x16U I16x8ExtMulHighI8x16U
        I32x4Add I32x4Sub I32x4Mul I32x4MinS I32x4MinU I32x4MaxS I32x4MaxU I32x4DotI16x8S
        I32x4ExtMulLowI16x8S I32x4ExtMulHighI16x8S I32x4ExtMulLowI16x8U I32x4ExtMulHighI16x8U
        I64x2Add I64x2Sub I64x2Mul
        I64x2ExtMulLowI32x4S I64x2ExtMulHighI32x4S I64x2ExtMulLowI32x4U I64x2ExtMulHighI32x4U
        F32x4Add F32x4Sub F32x4Mul F32x4Div F32x4Min F32x4Max F32x4PMin F32x4PMax
        F64x2Add F64x2Sub F64x2Mul F64x2Div F64x2Min F64x2Max F64x2PMin F64x2PMax
    ]
    Ternary [ V128Bitselect ]
    Shift [
        I8x16Shl I8x16ShrS I8x16ShrU I16x8Shl I16x8ShrS I16x8ShrU
        I32x4Shl I32x4ShrS I32x4ShrU I64x2Shl I64x2ShrS I64x2ShrU
    ]
    Test [
        V128AnyTrue
        I8x16AllTrue I8x16Bitmask I16x8AllTrue I16x8Bitmask
        I32x4AllTrue I32x4Bitmask I64x2AllTrue I64x2Bitmask
    ]
    Splat [ I8x16Splat I16x8Splat I32x4Splat I64x2Splat F32x4Splat F64x2Splat ]
    @lane ExtractLane [
        I8x16ExtractLaneS I8x16ExtractLaneU I16x8ExtractLaneS I16x8ExtractLaneU
        I32x4ExtractLane I64x2ExtractLane F32x4ExtractLane F64x2ExtractLane
    ]
    @lane ReplaceLane [
        I8x16ReplaceLane I16x8ReplaceLane I32x4ReplaceLane
        I64x2ReplaceLane F32x4ReplaceLane F64x2ReplaceLane
    ]
}

impl SimdOp {
    /// The operator with this number, if any (inverse of `self as u16`).
    pub fn from_u16(n: u16) -> Option<SimdOp> {
        Self::ALL.get(usize::from(n)).copied()
    }
}

/// How a (non-memory) SIMD operator uses its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdForm {
    /// `v128 -> v128`
    Unary(SimdOp),
    /// `(v128, v128) -> v128`
    Binary(SimdOp),
    /// `(v128, v128, v128) -> v128` (v128.bitselect)
    Ternary(SimdOp),
    /// `(v128, i32) -> v128` (the shifts)
    Shift(SimdOp),
    /// `v128 -> i32` (any_true, all_true, bitmask)
    Test(SimdOp),
    /// scalar -> v128 (the splats)
    Splat(SimdOp),
    /// `v128 -> scalar` with a lane index
    ExtractLane(SimdOp, u8),
    /// `(v128, scalar) -> v128` with a lane index
    ReplaceLane(SimdOp, u8),
    /// `i8x16.shuffle` with its 16 lane indices
    Shuffle([u8; 16]),
    /// `v128.const`
    Const(u128),
}

// ---------------------------------------------------------------------------
// Lanes

/// A lane type: an integer or float of `BITS` bits, read from and written to
/// the low bits of a `u128`.
trait Lane: Copy {
    const BITS: u32;
    /// The lane in the low `BITS` bits of `bits` (higher bits ignored).
    fn from_lane(bits: u128) -> Self;
    /// The lane's bits, zero-extended.
    fn to_lane(self) -> u128;
}

/// Implements [`Lane`] for each `type: unsigned type of its width`.
macro_rules! lanes {
    ($($t:ty: $u:ty),*) => {$(
        impl Lane for $t {
            const BITS: u32 = <$u>::BITS;
            fn from_lane(bits: u128) -> Self { <$t>::from_ne_bytes((bits as $u).to_ne_bytes()) }
            fn to_lane(self) -> u128 { u128::from(<$u>::from_ne_bytes(self.to_ne_bytes())) }
        }
    )*};
}
lanes!(u8: u8, i8: u8, u16: u16, i16: u16, u32: u32, i32: u32, u64: u64, i64: u64, f32: u32, f64: u64);

/// The number of lanes of type `T`.
fn count<T: Lane>() -> u32 {
    128 / T::BITS
}

/// Lane `i` (modulo the lane count) of `v`.
fn lane<T: Lane>(v: u128, i: u32) -> T {
    T::from_lane(v >> ((i % count::<T>()) * T::BITS))
}

/// The vector whose lane `i` is `f(i)`.
fn build<T: Lane>(mut f: impl FnMut(u32) -> T) -> u128 {
    (0..count::<T>()).fold(0, |v, i| v | f(i).to_lane() << (i * T::BITS))
}

/// Lane-wise `f` (`T` and `R` have the same width).
fn map<T: Lane, R: Lane>(a: u128, f: impl Fn(T) -> R) -> u128 {
    build(|i| f(lane(a, i)))
}

/// Lane-wise `f` of two vectors (`T` and `R` have the same width).
fn zip<T: Lane, R: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> R) -> u128 {
    build(|i| f(lane(a, i), lane(b, i)))
}

/// Lane-wise comparison: all ones where `f` holds, zeros elsewhere.
fn cmp<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> bool) -> u128 {
    let ones = u128::MAX >> (128 - T::BITS);
    build(|i| T::from_lane(if f(lane(a, i), lane(b, i)) { ones } else { 0 }))
}

/// Lane-wise `f` on the low (or high) half of `a`'s `T` lanes, widened to `R`.
fn half<T: Lane, R: Lane>(a: u128, high: bool, f: impl Fn(T) -> R) -> u128 {
    let base = if high { count::<R>() } else { 0 };
    build(|i| f(lane(a, base + i)))
}

/// `extend_low/high`: the low (or high) half of `a`'s lanes, widened.
fn extend<T: Lane, R: Lane + From<T>>(a: u128, high: bool) -> u128 {
    half(a, high, R::from)
}

/// `extmul_low/high`: products of the widened low (or high) halves.
fn extmul<T: Lane, R: Lane + From<T> + Mul<Output = R>>(a: u128, b: u128, high: bool) -> u128 {
    let base = if high { count::<R>() } else { 0 };
    build(|i| R::from(lane::<T>(a, base + i)) * R::from(lane::<T>(b, base + i)))
}

/// `extadd_pairwise`: sums of adjacent lanes, widened.
fn extadd<T: Lane, R: Lane + From<T> + Add<Output = R>>(a: u128) -> u128 {
    build(|i| R::from(lane::<T>(a, 2 * i)) + R::from(lane::<T>(a, 2 * i + 1)))
}

/// `narrow`: the lanes of `a` then `b`, each saturated by `f`.
fn narrow<T: Lane, R: Lane>(a: u128, b: u128, f: impl Fn(T) -> R) -> u128 {
    let n = count::<T>();
    build(|i| f(if i < n { lane(a, i) } else { lane(b, i - n) }))
}

/// Whether every `T` lane of `a` is non-zero (1 or 0).
fn all_true<T: Lane + PartialEq + Default>(a: u128) -> u32 {
    u32::from((0..count::<T>()).all(|i| lane::<T>(a, i) != T::default()))
}

/// The top bit of every `T` lane, lane 0 in bit 0.
fn bitmask<T: Lane>(a: u128) -> u32 {
    (0..count::<T>()).fold(0, |m, i| {
        m | (((a >> ((i + 1) * T::BITS - 1)) & 1) as u32) << i
    })
}

/// `replace_lane`: `a` with lane `i` (modulo the lane count) set to `x`.
fn replace<T: Lane>(a: u128, i: u8, x: T) -> u128 {
    let shift = (u32::from(i) % count::<T>()) * T::BITS;
    let mask = (u128::MAX >> (128 - T::BITS)) << shift;
    (a & !mask) | (x.to_lane() << shift)
}

// ---------------------------------------------------------------------------
// Floats

/// What the float operators need beyond [`Lane`].
trait Float: Lane + PartialOrd + Add<Output = Self> {
    /// The canonical NaN (positive, only the quiet bit set).
    const CANON: Self;
    /// The canonical NaN with its sign bit set.
    const NEG_CANON: Self;
    fn nan(self) -> bool;
}

impl Float for f32 {
    const CANON: f32 = f32::from_bits(0x7fc0_0000);
    const NEG_CANON: f32 = f32::from_bits(0xffc0_0000);
    fn nan(self) -> bool {
        self.is_nan()
    }
}

impl Float for f64 {
    const CANON: f64 = f64::from_bits(0x7ff8_0000_0000_0000);
    const NEG_CANON: f64 = f64::from_bits(0xfff8_0000_0000_0000);
    fn nan(self) -> bool {
        self.is_nan()
    }
}

/// Lane-wise `f` computing a new float: a NaN input comes out quieted,
/// its payload kept (`x + x`), as x86's `sqrtps` and `roundps` do.
fn fmap<F: Float>(a: u128, f: impl Fn(F) -> F) -> u128 {
    map(a, |x: F| if x.nan() { x + x } else { f(x) })
}

/// `fmin`: NaN if either is NaN, and -0 < +0.
fn fmin<F: Float>(a: F, b: F) -> F {
    if a.nan() || b.nan() {
        F::NEG_CANON
    } else if a == b {
        F::from_lane(a.to_lane() | b.to_lane()) // -0 if either is -0
    } else if a < b {
        a
    } else {
        b
    }
}

/// `fmax`: NaN if either is NaN, and -0 < +0.
fn fmax<F: Float>(a: F, b: F) -> F {
    if a.nan() || b.nan() {
        F::CANON
    } else if a == b {
        F::from_lane(a.to_lane() & b.to_lane()) // +0 if either is +0
    } else if a > b {
        a
    } else {
        b
    }
}

/// `f32.demote_f64`: a NaN keeps the top of its payload, quieted
/// (`cvtpd2ps`).
fn demote(x: f64) -> f32 {
    x as f32
}

/// `f64.promote_f32`: a NaN keeps its payload, quieted (`cvtps2pd`).
fn promote(x: f32) -> f64 {
    f64::from(x)
}

// ---------------------------------------------------------------------------
// The operators

/// `v128 -> v128` operators ([`SimdForm::Unary`]); 0 for any other operator.
pub fn unary(op: SimdOp, a: u128) -> u128 {
    use SimdOp::*;
    match op {
        V128Not => !a,
        I8x16Abs => map(a, i8::wrapping_abs),
        I8x16Neg => map(a, i8::wrapping_neg),
        I8x16Popcnt => map(a, |x: u8| x.count_ones() as u8),
        I16x8Abs => map(a, i16::wrapping_abs),
        I16x8Neg => map(a, i16::wrapping_neg),
        I32x4Abs => map(a, i32::wrapping_abs),
        I32x4Neg => map(a, i32::wrapping_neg),
        I64x2Abs => map(a, i64::wrapping_abs),
        I64x2Neg => map(a, i64::wrapping_neg),
        I16x8ExtAddPairwiseI8x16S => extadd::<i8, i16>(a),
        I16x8ExtAddPairwiseI8x16U => extadd::<u8, u16>(a),
        I32x4ExtAddPairwiseI16x8S => extadd::<i16, i32>(a),
        I32x4ExtAddPairwiseI16x8U => extadd::<u16, u32>(a),
        I16x8ExtendLowI8x16S => extend::<i8, i16>(a, false),
        I16x8ExtendHighI8x16S => extend::<i8, i16>(a, true),
        I16x8ExtendLowI8x16U => extend::<u8, u16>(a, false),
        I16x8ExtendHighI8x16U => extend::<u8, u16>(a, true),
        I32x4ExtendLowI16x8S => extend::<i16, i32>(a, false),
        I32x4ExtendHighI16x8S => extend::<i16, i32>(a, true),
        I32x4ExtendLowI16x8U => extend::<u16, u32>(a, false),
        I32x4ExtendHighI16x8U => extend::<u16, u32>(a, true),
        I64x2ExtendLowI32x4S => extend::<i32, i64>(a, false),
        I64x2ExtendHighI32x4S => extend::<i32, i64>(a, true),
        I64x2ExtendLowI32x4U => extend::<u32, u64>(a, false),
        I64x2ExtendHighI32x4U => extend::<u32, u64>(a, true),
        F32x4Ceil => fmap(a, f32::ceil),
        F32x4Floor => fmap(a, f32::floor),
        F32x4Trunc => fmap(a, f32::trunc),
        F32x4Nearest => fmap(a, f32::round_ties_even),
        F32x4Sqrt => fmap(a, f32::sqrt),
        F32x4Abs => map(a, |x: u32| x & !(1 << 31)),
        F32x4Neg => map(a, |x: u32| x ^ (1 << 31)),
        F64x2Ceil => fmap(a, f64::ceil),
        F64x2Floor => fmap(a, f64::floor),
        F64x2Trunc => fmap(a, f64::trunc),
        F64x2Nearest => fmap(a, f64::round_ties_even),
        F64x2Sqrt => fmap(a, f64::sqrt),
        F64x2Abs => map(a, |x: u64| x & !(1 << 63)),
        F64x2Neg => map(a, |x: u64| x ^ (1 << 63)),
        // Rust's float-to-int `as` is exactly trunc_sat: NaN -> 0, saturating.
        I32x4TruncSatF32x4S => map(a, |x: f32| x as i32),
        I32x4TruncSatF32x4U => map(a, |x: f32| x as u32),
        // Rust's int-to-float `as` rounds to nearest, ties to even.
        F32x4ConvertI32x4S => map(a, |x: i32| x as f32),
        F32x4ConvertI32x4U => map(a, |x: u32| x as f32),
        I32x4TruncSatF64x2SZero => build(|i| if i < 2 { lane::<f64>(a, i) as i32 } else { 0 }),
        I32x4TruncSatF64x2UZero => build(|i| if i < 2 { lane::<f64>(a, i) as u32 } else { 0 }),
        F64x2ConvertLowI32x4S => half::<i32, f64>(a, false, f64::from),
        F64x2ConvertLowI32x4U => half::<u32, f64>(a, false, f64::from),
        F32x4DemoteF64x2Zero => build(|i| if i < 2 { demote(lane(a, i)) } else { 0.0 }),
        F64x2PromoteLowF32x4 => half(a, false, promote),
        _ => 0,
    }
}

/// `(v128, v128) -> v128` operators ([`SimdForm::Binary`]); 0 for any other
/// operator.
pub fn binary(op: SimdOp, a: u128, b: u128) -> u128 {
    use SimdOp::*;
    match op {
        I8x16Swizzle => swizzle(a, b),
        V128And => a & b,
        V128AndNot => a & !b,
        V128Or => a | b,
        V128Xor => a ^ b,

        I8x16Eq => cmp(a, b, |x: u8, y| x == y),
        I8x16Ne => cmp(a, b, |x: u8, y| x != y),
        I8x16LtS => cmp(a, b, |x: i8, y| x < y),
        I8x16LtU => cmp(a, b, |x: u8, y| x < y),
        I8x16GtS => cmp(a, b, |x: i8, y| x > y),
        I8x16GtU => cmp(a, b, |x: u8, y| x > y),
        I8x16LeS => cmp(a, b, |x: i8, y| x <= y),
        I8x16LeU => cmp(a, b, |x: u8, y| x <= y),
        I8x16GeS => cmp(a, b, |x: i8, y| x >= y),
        I8x16GeU => cmp(a, b, |x: u8, y| x >= y),
        I16x8Eq => cmp(a, b, |x: u16, y| x == y),
        I16x8Ne => cmp(a, b, |x: u16, y| x != y),
        I16x8LtS => cmp(a, b, |x: i16, y| x < y),
        I16x8LtU => cmp(a, b, |x: u16, y| x < y),
        I16x8GtS => cmp(a, b, |x: i16, y| x > y),
        I16x8GtU => cmp(a, b, |x: u16, y| x > y),
        I16x8LeS => cmp(a, b, |x: i16, y| x <= y),
        I16x8LeU => cmp(a, b, |x: u16, y| x <= y),
        I16x8GeS => cmp(a, b, |x: i16, y| x >= y),
        I16x8GeU => cmp(a, b, |x: u16, y| x >= y),
        I32x4Eq => cmp(a, b, |x: u32, y| x == y),
        I32x4Ne => cmp(a, b, |x: u32, y| x != y),
        I32x4LtS => cmp(a, b, |x: i32, y| x < y),
        I32x4LtU => cmp(a, b, |x: u32, y| x < y),
        I32x4GtS => cmp(a, b, |x: i32, y| x > y),
        I32x4GtU => cmp(a, b, |x: u32, y| x > y),
        I32x4LeS => cmp(a, b, |x: i32, y| x <= y),
        I32x4LeU => cmp(a, b, |x: u32, y| x <= y),
        I32x4GeS => cmp(a, b, |x: i32, y| x >= y),
        I32x4GeU => cmp(a, b, |x: u32, y| x >= y),
        I64x2Eq => cmp(a, b, |x: u64, y| x == y),
        I64x2Ne => cmp(a, b, |x: u64, y| x != y),
        I64x2LtS => cmp(a, b, |x: i64, y| x < y),
        I64x2GtS => cmp(a, b, |x: i64, y| x > y),
        I64x2LeS => cmp(a, b, |x: i64, y| x <= y),
        I64x2GeS => cmp(a, b, |x: i64, y| x >= y),
        F32x4Eq => cmp(a, b, |x: f32, y| x == y),
        F32x4Ne => cmp(a, b, |x: f32, y| x != y),
        F32x4Lt => cmp(a, b, |x: f32, y| x < y),
        F32x4Gt => cmp(a, b, |x: f32, y| x > y),
        F32x4Le => cmp(a, b, |x: f32, y| x <= y),
        F32x4Ge => cmp(a, b, |x: f32, y| x >= y),
        F64x2Eq => cmp(a, b, |x: f64, y| x == y),
        F64x2Ne => cmp(a, b, |x: f64, y| x != y),
        F64x2Lt => cmp(a, b, |x: f64, y| x < y),
        F64x2Gt => cmp(a, b, |x: f64, y| x > y),
        F64x2Le => cmp(a, b, |x: f64, y| x <= y),
        F64x2Ge => cmp(a, b, |x: f64, y| x >= y),

        I8x16NarrowI16x8S => narrow(a, b, |x: i16| x.clamp(-0x80, 0x7f) as i8),
        I8x16NarrowI16x8U => narrow(a, b, |x: i16| x.clamp(0, 0xff) as u8),
        I16x8NarrowI32x4S => narrow(a, b, |x: i32| x.clamp(-0x8000, 0x7fff) as i16),
        I16x8NarrowI32x4U => narrow(a, b, |x: i32| x.clamp(0, 0xffff) as u16),

        I8x16Add => zip(a, b, u8::wrapping_add),
        I8x16AddSatS => zip(a, b, i8::saturating_add),
        I8x16AddSatU => zip(a, b, u8::saturating_add),
        I8x16Sub => zip(a, b, u8::wrapping_sub),
        I8x16SubSatS => zip(a, b, i8::saturating_sub),
        I8x16SubSatU => zip(a, b, u8::saturating_sub),
        I8x16MinS => zip(a, b, i8::min),
        I8x16MinU => zip(a, b, u8::min),
        I8x16MaxS => zip(a, b, i8::max),
        I8x16MaxU => zip(a, b, u8::max),
        I8x16AvgrU => zip(a, b, |x: u8, y: u8| {
            ((u16::from(x) + u16::from(y) + 1) >> 1) as u8
        }),

        I16x8Add => zip(a, b, u16::wrapping_add),
        I16x8AddSatS => zip(a, b, i16::saturating_add),
        I16x8AddSatU => zip(a, b, u16::saturating_add),
        I16x8Sub => zip(a, b, u16::wrapping_sub),
        I16x8SubSatS => zip(a, b, i16::saturating_sub),
        I16x8SubSatU => zip(a, b, u16::saturating_sub),
        I16x8Mul => zip(a, b, u16::wrapping_mul),
        I16x8MinS => zip(a, b, i16::min),
        I16x8MinU => zip(a, b, u16::min),
        I16x8MaxS => zip(a, b, i16::max),
        I16x8MaxU => zip(a, b, u16::max),
        I16x8AvgrU => zip(a, b, |x: u16, y: u16| {
            ((u32::from(x) + u32::from(y) + 1) >> 1) as u16
        }),
        I16x8Q15MulrSatS => zip(a, b, |x: i16, y: i16| {
            ((i32::from(x) * i32::from(y) + 0x4000) >> 15).clamp(-0x8000, 0x7fff) as i16
        }),
        I16x8ExtMulLowI8x16S => extmul::<i8, i16>(a, b, false),
        I16x8ExtMulHighI8x16S => extmul::<i8, i16>(a, b, true),
        I16x8ExtMulLowI8x16U => extmul::<u8, u16>(a, b, false),
        I16x8ExtMulHighI8x16U => extmul::<u8, u16>(a, b, true),

        I32x4Add => zip(a, b, u32::wrapping_add),
        I32x4Sub => zip(a, b, u32::wrapping_sub),
        I32x4Mul => zip(a, b, u32::wrapping_mul),
        I32x4MinS => zip(a, b, i32::min),
        I32x4MinU => zip(a, b, u32::min),
        I32x4MaxS => zip(a, b, i32::max),
        I32x4MaxU => zip(a, b, u32::max),
        I32x4DotI16x8S => build(|i| {
            let product = |j| i32::from(lane::<i16>(a, j)) * i32::from(lane::<i16>(b, j));
            product(2 * i).wrapping_add(product(2 * i + 1))
        }),
        I32x4ExtMulLowI16x8S => extmul::<i16, i32>(a, b, false),
        I32x4ExtMulHighI16x8S => extmul::<i16, i32>(a, b, true),
        I32x4ExtMulLowI16x8U => extmul::<u16, u32>(a, b, false),
        I32x4ExtMulHighI16x8U => extmul::<u16, u32>(a, b, true),

        I64x2Add => zip(a, b, u64::wrapping_add),
        I64x2Sub => zip(a, b, u64::wrapping_sub),
        I64x2Mul => zip(a, b, u64::wrapping_mul),
        I64x2ExtMulLowI32x4S => extmul::<i32, i64>(a, b, false),
        I64x2ExtMulHighI32x4S => extmul::<i32, i64>(a, b, true),
        I64x2ExtMulLowI32x4U => extmul::<u32, u64>(a, b, false),
        I64x2ExtMulHighI32x4U => extmul::<u32, u64>(a, b, true),

        F32x4Add => zip(a, b, |x: f32, y| x + y),
        F32x4Sub => zip(a, b, |x: f32, y| x - y),
        F32x4Mul => zip(a, b, |x: f32, y| x * y),
        F32x4Div => zip(a, b, |x: f32, y| x / y),
        F32x4Min => zip(a, b, fmin::<f32>),
        F32x4Max => zip(a, b, fmax::<f32>),
        F32x4PMin => zip(a, b, |x: f32, y| if y < x { y } else { x }),
        F32x4PMax => zip(a, b, |x: f32, y| if x < y { y } else { x }),
        F64x2Add => zip(a, b, |x: f64, y| x + y),
        F64x2Sub => zip(a, b, |x: f64, y| x - y),
        F64x2Mul => zip(a, b, |x: f64, y| x * y),
        F64x2Div => zip(a, b, |x: f64, y| x / y),
        F64x2Min => zip(a, b, fmin::<f64>),
        F64x2Max => zip(a, b, fmax::<f64>),
        F64x2PMin => zip(a, b, |x: f64, y| if y < x { y } else { x }),
        F64x2PMax => zip(a, b, |x: f64, y| if x < y { y } else { x }),
        _ => 0,
    }
}

/// `v128.bitselect` ([`SimdForm::Ternary`]): bits of `a` where `c` is set,
/// of `b` elsewhere; 0 for any other operator.
pub fn ternary(op: SimdOp, a: u128, b: u128, c: u128) -> u128 {
    match op {
        SimdOp::V128Bitselect => (a & c) | (b & !c),
        _ => 0,
    }
}

/// The shifts ([`SimdForm::Shift`]), `amount` taken modulo the lane width;
/// 0 for any other operator.
pub fn shift(op: SimdOp, a: u128, amount: u32) -> u128 {
    use SimdOp::*;
    // `wrapping_shl`/`wrapping_shr` take the amount modulo the lane width.
    let n = amount;
    match op {
        I8x16Shl => map(a, |x: u8| x.wrapping_shl(n)),
        I8x16ShrS => map(a, |x: i8| x.wrapping_shr(n)),
        I8x16ShrU => map(a, |x: u8| x.wrapping_shr(n)),
        I16x8Shl => map(a, |x: u16| x.wrapping_shl(n)),
        I16x8ShrS => map(a, |x: i16| x.wrapping_shr(n)),
        I16x8ShrU => map(a, |x: u16| x.wrapping_shr(n)),
        I32x4Shl => map(a, |x: u32| x.wrapping_shl(n)),
        I32x4ShrS => map(a, |x: i32| x.wrapping_shr(n)),
        I32x4ShrU => map(a, |x: u32| x.wrapping_shr(n)),
        I64x2Shl => map(a, |x: u64| x.wrapping_shl(n)),
        I64x2ShrS => map(a, |x: i64| x.wrapping_shr(n)),
        I64x2ShrU => map(a, |x: u64| x.wrapping_shr(n)),
        _ => 0,
    }
}

/// `v128 -> i32` operators ([`SimdForm::Test`]): `any_true`, `all_true`
/// (1 or 0) and `bitmask`; 0 for any other operator.
pub fn test(op: SimdOp, a: u128) -> u32 {
    use SimdOp::*;
    match op {
        V128AnyTrue => u32::from(a != 0),
        I8x16AllTrue => all_true::<u8>(a),
        I16x8AllTrue => all_true::<u16>(a),
        I32x4AllTrue => all_true::<u32>(a),
        I64x2AllTrue => all_true::<u64>(a),
        I8x16Bitmask => bitmask::<u8>(a),
        I16x8Bitmask => bitmask::<u16>(a),
        I32x4Bitmask => bitmask::<u32>(a),
        I64x2Bitmask => bitmask::<u64>(a),
        _ => 0,
    }
}

/// The splats ([`SimdForm::Splat`]): every lane is the low bits of `x`; 0 for
/// any other operator.
pub fn splat(op: SimdOp, x: u64) -> u128 {
    use SimdOp::*;
    match op {
        I8x16Splat => build(|_| x as u8),
        I16x8Splat => build(|_| x as u16),
        I32x4Splat | F32x4Splat => build(|_| x as u32),
        I64x2Splat | F64x2Splat => build(|_| x),
        _ => 0,
    }
}

/// `extract_lane` ([`SimdForm::ExtractLane`]): lane `lane` of `a` as a scalar
/// bit pattern (the `_s` forms sign-extend to i32, then zero-extend to u64);
/// 0 for any other operator.
pub fn extract_lane(op: SimdOp, a: u128, lane: u8) -> u64 {
    use SimdOp::*;
    let i = u32::from(lane);
    match op {
        I8x16ExtractLaneS => u64::from(i32::from(self::lane::<i8>(a, i)) as u32),
        I8x16ExtractLaneU => u64::from(self::lane::<u8>(a, i)),
        I16x8ExtractLaneS => u64::from(i32::from(self::lane::<i16>(a, i)) as u32),
        I16x8ExtractLaneU => u64::from(self::lane::<u16>(a, i)),
        I32x4ExtractLane | F32x4ExtractLane => u64::from(self::lane::<u32>(a, i)),
        I64x2ExtractLane | F64x2ExtractLane => self::lane::<u64>(a, i),
        _ => 0,
    }
}

/// `replace_lane` ([`SimdForm::ReplaceLane`]): `a` with lane `lane` set to the
/// low bits of `x`; 0 for any other operator.
pub fn replace_lane(op: SimdOp, a: u128, lane: u8, x: u64) -> u128 {
    use SimdOp::*;
    match op {
        I8x16ReplaceLane => replace(a, lane, x as u8),
        I16x8ReplaceLane => replace(a, lane, x as u16),
        I32x4ReplaceLane | F32x4ReplaceLane => replace(a, lane, x as u32),
        I64x2ReplaceLane | F64x2ReplaceLane => replace(a, lane, x),
        _ => 0,
    }
}

/// `i8x16.shuffle`: byte `i` of the result is byte `lanes[i]` of the 32-byte
/// concatenation `a ++ b` (an invalid index >= 32 gives 0).
pub fn shuffle(a: u128, b: u128, lanes: u128) -> u128 {
    let lanes = lanes.to_le_bytes();
    let mut ab = [0; 32];
    ab[..16].copy_from_slice(&a.to_le_bytes());
    ab[16..].copy_from_slice(&b.to_le_bytes());
    build(|i| ab.get(usize::from(lanes[i as usize])).copied().unwrap_or(0))
}

/// `i8x16.swizzle`: byte `i` of the result is byte `s[i]` of `a`, or 0 if
/// `s[i] >= 16`.
pub fn swizzle(a: u128, s: u128) -> u128 {
    let a = a.to_le_bytes();
    map(s, |x: u8| a.get(usize::from(x)).copied().unwrap_or(0))
}

/// How `v128.load8x8_s/u`, `load16x4_s/u`, `load32x2_s/u` widen their 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Widen {
    /// `v128.load8x8_s`
    I8x8S,
    /// `v128.load8x8_u`
    I8x8U,
    /// `v128.load16x4_s`
    I16x4S,
    /// `v128.load16x4_u`
    I16x4U,
    /// `v128.load32x2_s`
    I32x2S,
    /// `v128.load32x2_u`
    I32x2U,
}

/// The vector `v128.load*x*` produces from the 8 bytes it loaded (`raw`, little
/// endian): each lane sign- or zero-extended to twice its width.
pub fn widen(kind: Widen, raw: u64) -> u128 {
    let a = u128::from(raw);
    match kind {
        Widen::I8x8S => extend::<i8, i16>(a, false),
        Widen::I8x8U => extend::<u8, u16>(a, false),
        Widen::I16x4S => extend::<i16, i32>(a, false),
        Widen::I16x4U => extend::<u16, u32>(a, false),
        Widen::I32x2S => extend::<i32, i64>(a, false),
        Widen::I32x2U => extend::<u32, u64>(a, false),
    }
}

#[cfg(test)]
mod tests {
    use super::SimdOp::*;
    use super::*;

    /// A vector from its lanes.
    fn v<T: Lane>(lanes: &[T]) -> u128 {
        build(|i| lanes[i as usize])
    }

    /// The lanes of a vector.
    fn l<T: Lane>(a: u128) -> Vec<T> {
        (0..count::<T>()).map(|i| lane(a, i)).collect()
    }

    #[test]
    fn numbering() {
        for (i, &op) in SimdOp::ALL.iter().enumerate() {
            assert_eq!(op as u16 as usize, i);
            assert_eq!(SimdOp::from_u16(op as u16), Some(op));
        }
        assert_eq!(SimdOp::from_u16(SimdOp::ALL.len() as u16), None);
        assert_eq!(SimdOp::from_u16(u16::MAX), None);
    }

    #[test]
    fn wrong_form_gives_zero() {
        let x = u128::MAX;
        assert_eq!(unary(F32x4Add, x), 0);
        assert_eq!(binary(V128Not, x, x), 0);
        assert_eq!(ternary(V128And, x, x, x), 0);
        assert_eq!(shift(I8x16Add, x, 1), 0);
        assert_eq!(test(I8x16Add, x), 0);
        assert_eq!(splat(I8x16Add, 1), 0);
        assert_eq!(extract_lane(I8x16Add, x, 0), 0);
        assert_eq!(replace_lane(I8x16Add, x, 0, 1), 0);
    }

    #[test]
    fn classify_operators() {
        use wasmparser::{MemArg, Operator as O};
        assert_eq!(classify(&O::I8x16Add), Some(SimdForm::Binary(I8x16Add)));
        assert_eq!(classify(&O::V128Not), Some(SimdForm::Unary(V128Not)));
        assert_eq!(
            classify(&O::V128Bitselect),
            Some(SimdForm::Ternary(V128Bitselect))
        );
        assert_eq!(classify(&O::I64x2ShrS), Some(SimdForm::Shift(I64x2ShrS)));
        assert_eq!(
            classify(&O::I16x8Bitmask),
            Some(SimdForm::Test(I16x8Bitmask))
        );
        assert_eq!(classify(&O::F64x2Splat), Some(SimdForm::Splat(F64x2Splat)));
        assert_eq!(
            classify(&O::I8x16ExtractLaneS { lane: 7 }),
            Some(SimdForm::ExtractLane(I8x16ExtractLaneS, 7))
        );
        assert_eq!(
            classify(&O::F32x4ReplaceLane { lane: 3 }),
            Some(SimdForm::ReplaceLane(F32x4ReplaceLane, 3))
        );
        let lanes = [31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16];
        assert_eq!(
            classify(&O::I8x16Shuffle { lanes }),
            Some(SimdForm::Shuffle(lanes))
        );
        let value = wasmparser::V128::from(0x0102_i128);
        assert_eq!(
            classify(&O::V128Const { value }),
            Some(SimdForm::Const(0x0102))
        );
        let target = wasmparser::MemArgTarget::Memory(0);
        let memarg = MemArg {
            align: 4,
            max_align: 4,
            offset: 0,
            target,
            ordering: None,
        };
        assert_eq!(classify(&O::V128Load { memarg }), None);
        assert_eq!(classify(&O::V128Load32Zero { memarg }), None);
        assert_eq!(classify(&O::V128Store8Lane { memarg, lane: 0 }), None);
        assert_eq!(classify(&O::I32Add), None);
        assert_eq!(classify(&O::I8x16RelaxedSwizzle), None);
    }

    #[test]
    fn integer_arithmetic() {
        let a = v::<i8>(&[
            127, -128, 1, -1, 100, -100, 0, 5, 127, -128, 1, -1, 100, -100, 0, 5,
        ]);
        let b = v::<i8>(&[1, -1, 1, 1, 100, -100, 0, 5, 1, 1, -1, -1, 27, 28, 0, -5]);
        assert_eq!(l::<i8>(binary(I8x16Add, a, b))[..4], [-128, 127, 2, 0]);
        assert_eq!(
            l::<i8>(binary(I8x16AddSatS, a, b))[..6],
            [127, -128, 2, 0, 127, -128]
        );
        assert_eq!(l::<u8>(binary(I8x16AddSatU, a, b))[..2], [128, 255]);
        assert_eq!(l::<u8>(binary(I8x16SubSatU, b, a))[..3], [0, 127, 0]);
        assert_eq!(l::<i8>(binary(I8x16MinS, a, b))[..2], [1, -128]);
        assert_eq!(l::<u8>(binary(I8x16MinU, a, b))[..2], [1, 128]);
        assert_eq!(l::<u8>(binary(I8x16AvgrU, a, b))[..3], [64, 192, 1]);
        assert_eq!(l::<i8>(unary(I8x16Abs, a))[..4], [127, -128, 1, 1]);
        assert_eq!(l::<u8>(unary(I8x16Popcnt, a))[..4], [7, 1, 1, 8]);
        let x = v::<i64>(&[i64::MIN, 3]);
        assert_eq!(l::<i64>(binary(I64x2Mul, x, x)), [0, 9]);
        assert_eq!(l::<i64>(unary(I64x2Neg, x)), [i64::MIN, -3]);
    }

    #[test]
    fn narrow_and_extend() {
        let a = v::<i16>(&[-129, -128, 127, 128, 255, 256, -1, 0]);
        let b = v::<i16>(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let s = l::<i8>(binary(I8x16NarrowI16x8S, a, b));
        assert_eq!(
            s,
            [
                -128, -128, 127, 127, 127, 127, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8
            ]
        );
        let u = l::<u8>(binary(I8x16NarrowI16x8U, a, b));
        assert_eq!(u, [0, 0, 127, 128, 255, 255, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        let c = v::<i32>(&[70000, -70000, 65535, -1]);
        assert_eq!(
            l::<i16>(binary(I16x8NarrowI32x4S, c, 0))[..4],
            [32767, -32768, 32767, -1]
        );
        assert_eq!(
            l::<u16>(binary(I16x8NarrowI32x4U, c, 0))[..4],
            [65535, 0, 65535, 0]
        );

        let x = v::<i8>(&[-1, 2, -3, 4, 5, 6, 7, 8, -9, 10, 11, 12, 13, 14, 15, -128]);
        assert_eq!(
            l::<i16>(unary(I16x8ExtendLowI8x16S, x)),
            [-1, 2, -3, 4, 5, 6, 7, 8]
        );
        assert_eq!(
            l::<i16>(unary(I16x8ExtendHighI8x16U, x)),
            [247, 10, 11, 12, 13, 14, 15, 128]
        );
        assert_eq!(l::<i16>(unary(I16x8ExtAddPairwiseI8x16S, x))[..2], [1, 1]);
        assert_eq!(l::<u16>(unary(I16x8ExtAddPairwiseI8x16U, x))[..1], [257]);
        assert_eq!(
            l::<i64>(widen(Widen::I32x2S, 0xffff_ffff_0000_0005)),
            [5, -1]
        );
        assert_eq!(
            l::<u64>(widen(Widen::I32x2U, 0xffff_ffff_0000_0005)),
            [5, 0xffff_ffff]
        );
        assert_eq!(
            l::<i16>(widen(Widen::I8x8S, 0x80ff)),
            [-1, -128, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn multiplication_family() {
        let min = i16::MIN;
        let a = v::<i16>(&[min, min, 0x4000, -0x4000, 1, 3, 16384, 100]);
        let b = v::<i16>(&[min, 0x7fff, 0x4000, 0x4000, 1, -5, 1, 200]);
        let q = l::<i16>(binary(I16x8Q15MulrSatS, a, b));
        assert_eq!(q, [0x7fff, -0x7fff, 0x2000, -0x2000, 0, 0, 1, 1]);
        let d = l::<i32>(binary(I32x4DotI16x8S, a, a));
        assert_eq!(d, [i32::MIN, 0x2000_0000, 10, 16384 * 16384 + 10000]);
        let e = l::<i32>(binary(I32x4ExtMulHighI16x8S, a, b));
        assert_eq!(e, [1, -15, 16384, 20000]);
        let u = l::<u32>(binary(I32x4ExtMulLowI16x8U, a, b));
        assert_eq!(u[0], 0x8000 * 0x8000);
        let x = v::<i32>(&[-1, 2, i32::MIN, 4]);
        assert_eq!(
            l::<u64>(binary(I64x2ExtMulLowI32x4U, x, x)),
            [0xffff_fffe_0000_0001, 4]
        );
        assert_eq!(l::<i64>(binary(I64x2ExtMulHighI32x4S, x, x)), [1 << 62, 16]);
    }

    #[test]
    fn comparisons_and_tests() {
        let a = v::<i32>(&[-1, 0, 5, i32::MAX]);
        let b = v::<i32>(&[0, 0, 4, -1]);
        assert_eq!(l::<i32>(binary(I32x4LtS, a, b)), [-1, 0, 0, 0]);
        assert_eq!(l::<i32>(binary(I32x4LtU, a, b)), [0, 0, 0, -1]);
        assert_eq!(l::<i32>(binary(I32x4Eq, a, b)), [0, -1, 0, 0]);
        let f = v::<f32>(&[f32::NAN, 0.0, -0.0, 1.0]);
        let g = v::<f32>(&[f32::NAN, -0.0, 0.0, 2.0]);
        assert_eq!(l::<i32>(binary(F32x4Eq, f, g)), [0, -1, -1, 0]);
        assert_eq!(l::<i32>(binary(F32x4Ne, f, g)), [-1, 0, 0, -1]);
        assert_eq!(l::<i32>(binary(F32x4Lt, f, g)), [0, 0, 0, -1]);
        assert_eq!(test(I32x4Bitmask, a), 0b0001);
        assert_eq!(test(I8x16Bitmask, v::<i8>(&[-1; 16])), 0xffff);
        assert_eq!(test(I64x2Bitmask, v::<i64>(&[1, -1])), 0b10);
        assert_eq!(test(I32x4AllTrue, a), 0);
        assert_eq!(test(I32x4AllTrue, v::<i32>(&[1, 2, 3, i32::MIN])), 1);
        assert_eq!(
            test(I16x8AllTrue, 0x0100_0100_0100_0100_0100_0100_0100_0100),
            1
        );
        assert_eq!(
            test(I8x16AllTrue, 0x0100_0100_0100_0100_0100_0100_0100_0100),
            0
        );
        assert_eq!(test(V128AnyTrue, 1 << 127), 1);
        assert_eq!(test(V128AnyTrue, 0), 0);
    }

    #[test]
    fn float_min_max() {
        let nan = f32::from_bits(0x7fa0_0000); // signalling
        let a = v::<f32>(&[0.0, -0.0, nan, 1.0]);
        let b = v::<f32>(&[-0.0, 0.0, 1.0, f32::NAN]);
        let min = l::<u32>(binary(F32x4Min, a, b));
        assert_eq!(min[..2], [0x8000_0000, 0x8000_0000]);
        assert!(f32::from_bits(min[2]).is_nan() && min[2] & 0x40_0000 != 0);
        assert!(f32::from_bits(min[3]).is_nan());
        let max = l::<u32>(binary(F32x4Max, a, b));
        assert_eq!(max[..2], [0, 0]);
        assert!(f32::from_bits(max[2]).is_nan() && f32::from_bits(max[3]).is_nan());
        // pmin/pmax return an operand unchanged.
        assert_eq!(
            l::<u32>(binary(F32x4PMin, a, b)),
            [0, 0x8000_0000, nan.to_bits(), 0x3f80_0000]
        );
        assert_eq!(
            l::<u32>(binary(F32x4PMax, a, b)),
            [0, 0x8000_0000, nan.to_bits(), 0x3f80_0000]
        );
        let c = v::<f64>(&[1.0, -2.0]);
        let d = v::<f64>(&[2.0, -3.0]);
        assert_eq!(l::<f64>(binary(F64x2Min, c, d)), [1.0, -3.0]);
        assert_eq!(l::<f64>(binary(F64x2PMax, c, d)), [2.0, -2.0]);
        assert_eq!(
            l::<u64>(binary(F64x2Max, v::<f64>(&[-0.0, -0.0]), 0)),
            [0, 0]
        );
    }

    #[test]
    fn float_unary() {
        let a = v::<f32>(&[2.5, -2.5, 3.5, -0.4]);
        assert_eq!(l::<f32>(unary(F32x4Nearest, a)), [2.0, -2.0, 4.0, -0.0]);
        assert_eq!(l::<u32>(unary(F32x4Nearest, a))[3], 0x8000_0000);
        assert_eq!(l::<f32>(unary(F32x4Ceil, a)), [3.0, -2.0, 4.0, -0.0]);
        assert_eq!(l::<f32>(unary(F32x4Floor, a)), [2.0, -3.0, 3.0, -1.0]);
        assert_eq!(l::<f32>(unary(F32x4Trunc, a)), [2.0, -2.0, 3.0, -0.0]);
        assert_eq!(
            l::<f64>(unary(F64x2Nearest, v::<f64>(&[0.5, 1.5]))),
            [0.0, 2.0]
        );
        assert_eq!(
            l::<f64>(unary(F64x2Sqrt, v::<f64>(&[4.0, 2.25]))),
            [2.0, 1.5]
        );
        let snan = 0xff80_0001_u32; // negative signalling NaN: abs/neg keep the payload
        assert_eq!(
            l::<u32>(unary(F32x4Abs, v::<u32>(&[snan; 4])))[0],
            0x7f80_0001
        );
        assert_eq!(
            l::<u32>(unary(F32x4Neg, v::<u32>(&[snan; 4])))[0],
            0x7f80_0001
        );
        assert_eq!(l::<u64>(unary(F64x2Neg, 0))[1], 1 << 63);
        // A signalling NaN comes out quieted with its payload, as roundps.
        let r = l::<u32>(unary(F32x4Ceil, v::<u32>(&[0x7f80_0001; 4])));
        assert_eq!(r[0], 0x7fc0_0001);
    }

    #[test]
    fn conversions() {
        let f = v::<f32>(&[f32::NAN, -1.5, 3e9, -3e9]);
        assert_eq!(
            l::<i32>(unary(I32x4TruncSatF32x4S, f)),
            [0, -1, i32::MAX, i32::MIN]
        );
        assert_eq!(
            l::<u32>(unary(I32x4TruncSatF32x4U, f)),
            [0, 0, 3_000_000_000, 0]
        );
        let d = v::<f64>(&[-1e300, 4294967295.9]);
        assert_eq!(
            l::<i32>(unary(I32x4TruncSatF64x2SZero, d)),
            [i32::MIN, i32::MAX, 0, 0]
        );
        assert_eq!(
            l::<u32>(unary(I32x4TruncSatF64x2UZero, d)),
            [0, u32::MAX, 0, 0]
        );
        let i = v::<i32>(&[-1, 16777217, i32::MIN, 1]);
        assert_eq!(
            l::<f32>(unary(F32x4ConvertI32x4S, i)),
            [-1.0, 16777216.0, -2147483648.0, 1.0]
        );
        assert_eq!(l::<f32>(unary(F32x4ConvertI32x4U, i))[0], 4294967296.0);
        assert_eq!(
            l::<f64>(unary(F64x2ConvertLowI32x4S, i)),
            [-1.0, 16777217.0]
        );
        assert_eq!(
            l::<f64>(unary(F64x2ConvertLowI32x4U, i)),
            [4294967295.0, 16777217.0]
        );
        let p = v::<f64>(&[1e300, 0.1]);
        assert_eq!(
            l::<f32>(unary(F32x4DemoteF64x2Zero, p)),
            [f32::INFINITY, 0.1, 0.0, 0.0]
        );
        let q = v::<f32>(&[0.1, -0.0, 7.0, 8.0]);
        assert_eq!(
            l::<u64>(unary(F64x2PromoteLowF32x4, q)),
            [f64::from(0.1f32).to_bits(), 1 << 63]
        );
    }

    #[test]
    fn shifts() {
        let a = v::<i8>(&[-128, 64, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(l::<i8>(shift(I8x16ShrS, a, 9))[..4], [-64, 32, 0, -1]);
        assert_eq!(l::<u8>(shift(I8x16ShrU, a, 8))[..4], [128, 64, 1, 255]);
        assert_eq!(l::<u8>(shift(I8x16Shl, a, 15))[..4], [0, 0, 128, 128]);
        let b = v::<i64>(&[-8, 8]);
        assert_eq!(l::<i64>(shift(I64x2ShrS, b, 65)), [-4, 4]);
        assert_eq!(l::<i64>(shift(I64x2Shl, b, u32::MAX)), [0, 0]);
        assert_eq!(
            l::<i32>(shift(I32x4ShrU, v::<i32>(&[-1; 4]), 33)),
            [i32::MAX; 4]
        );
    }

    #[test]
    fn lanes_splats_and_bitwise() {
        let a = v::<i8>(&[0, -1, 2, -128, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        assert_eq!(extract_lane(I8x16ExtractLaneS, a, 1), 0xffff_ffff);
        assert_eq!(extract_lane(I8x16ExtractLaneU, a, 3), 0x80);
        assert_eq!(extract_lane(I16x8ExtractLaneS, a, 0), 0xffff_ff00);
        assert_eq!(extract_lane(I16x8ExtractLaneU, a, 0), 0xff00);
        assert_eq!(extract_lane(I32x4ExtractLane, a, 3), 0x0f0e_0d0c);
        assert_eq!(extract_lane(I64x2ExtractLane, a, 1), 0x0f0e_0d0c_0b0a_0908);
        assert_eq!(replace_lane(I8x16ReplaceLane, 0, 15, 0x1ff), 0xff << 120);
        assert_eq!(
            replace_lane(I32x4ReplaceLane, u128::MAX, 1, 0x1_0000_0000),
            !(0xffff_ffff << 32)
        );
        assert_eq!(
            replace_lane(F64x2ReplaceLane, 0, 0, 1.5f64.to_bits()),
            1.5f64.to_bits().into()
        );
        assert_eq!(
            splat(I8x16Splat, 0x1_2345),
            0x4545_4545_4545_4545_4545_4545_4545_4545
        );
        assert_eq!(
            splat(I32x4Splat, 0xffff_ffff_0000_0001),
            0x1_0000_0001_0000_0001_0000_0001
        );
        assert_eq!(splat(F64x2Splat, 2.0f64.to_bits()), v::<f64>(&[2.0, 2.0]));
        assert_eq!(binary(V128AndNot, 0b1100, 0b1010), 0b0100);
        assert_eq!(ternary(V128Bitselect, 0b1100, 0b1010, 0b0110), 0b1100);
        assert_eq!(unary(V128Not, 0), u128::MAX);
    }

    #[test]
    fn shuffle_and_swizzle() {
        let a = v::<u8>(&core::array::from_fn::<u8, 16, _>(|i| i as u8));
        let b = v::<u8>(&core::array::from_fn::<u8, 16, _>(|i| 0x10 + i as u8));
        let lanes = [31, 0, 16, 1, 17, 15, 30, 2, 2, 2, 2, 2, 2, 2, 2, 2];
        assert_eq!(l::<u8>(shuffle(a, b, u128::from_le_bytes(lanes))), lanes);
        let s = v::<u8>(&[15, 16, 255, 0, 1, 128, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
        let r = binary(I8x16Swizzle, b, s);
        assert_eq!(
            l::<u8>(r),
            [
                0x1f, 0, 0, 0x10, 0x11, 0, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
                0x13
            ]
        );
        assert_eq!(swizzle(b, s), r);
    }
}
