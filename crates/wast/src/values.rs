//! Arguments and expected results of `.wast` directives.

use anyhow::{Result, bail};
use brisk::{ExternRef, Store, Val};
use wast::core::{HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::WastRet;

/// An argument as a [`Val`]; `ref.extern N` becomes an externref holding `N: u32`.
pub fn arg(store: &mut Store<()>, arg: &WastArgCore<'_>) -> Result<Val> {
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract { ty: wast::core::AbstractHeapType::Func, .. }) => Val::FuncRef(None),
        WastArgCore::RefNull(HeapType::Abstract { ty: wast::core::AbstractHeapType::Extern, .. }) => {
            Val::ExternRef(None)
        }
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(store, *n)?)),
        other => bail!("unsupported argument {other:?}"),
    })
}

/// Checks `actual` against the expected results.
pub fn check_results(store: &mut Store<()>, actual: &[Val], expected: &[WastRet<'_>]) -> Result<()> {
    if actual.len() != expected.len() {
        bail!("expected {} results, got {}", expected.len(), actual.len());
    }
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let WastRet::Core(e) = e else { bail!("unsupported expected result") };
        if !matches(store, a, e)? {
            bail!("result {i}: expected {e:?}, got {}", show(a));
        }
    }
    Ok(())
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32 {x} ({:#x})", *x as u32),
        Val::I64(x) => format!("i64 {x} ({:#x})", *x as u64),
        Val::F32(x) => format!("f32 {} ({x:#x})", f32::from_bits(*x)),
        Val::F64(x) => format!("f64 {} ({x:#x})", f64::from_bits(*x)),
        Val::V128(x) => format!("v128 {x:#034x}"),
        Val::FuncRef(f) => format!("funcref {}", if f.is_some() { "non-null" } else { "null" }),
        Val::ExternRef(e) => format!("externref {}", if e.is_some() { "non-null" } else { "null" }),
    }
}

fn f32_matches(bits: u32, p: &NanPattern<wast::token::F32>) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => f32::from_bits(bits).is_nan() && bits & 0x0040_0000 != 0,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(bits: u64, p: &NanPattern<wast::token::F64>) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => f64::from_bits(bits).is_nan() && bits & 0x0008_0000_0000_0000 != 0,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn lanes<const N: usize>(v: u128) -> [u128; N] {
    let width = 128 / N;
    let mask = if width == 128 { u128::MAX } else { (1u128 << width) - 1 };
    std::array::from_fn(|i| (v >> (i * width)) & mask)
}

fn matches(store: &mut Store<()>, actual: &Val, expected: &WastRetCore<'_>) -> Result<bool> {
    Ok(match (actual, expected) {
        (Val::I32(a), WastRetCore::I32(e)) => a == e,
        (Val::I64(a), WastRetCore::I64(e)) => a == e,
        (Val::F32(a), WastRetCore::F32(p)) => f32_matches(*a, p),
        (Val::F64(a), WastRetCore::F64(p)) => f64_matches(*a, p),
        (Val::V128(a), WastRetCore::V128(p)) => match p {
            V128Pattern::I8x16(e) => lanes::<16>(*a).iter().zip(e).all(|(a, e)| *a as u8 == *e as u8),
            V128Pattern::I16x8(e) => lanes::<8>(*a).iter().zip(e).all(|(a, e)| *a as u16 == *e as u16),
            V128Pattern::I32x4(e) => lanes::<4>(*a).iter().zip(e).all(|(a, e)| *a as u32 == *e as u32),
            V128Pattern::I64x2(e) => lanes::<2>(*a).iter().zip(e).all(|(a, e)| *a as u64 == *e as u64),
            V128Pattern::F32x4(e) => lanes::<4>(*a).iter().zip(e).all(|(a, e)| f32_matches(*a as u32, e)),
            V128Pattern::F64x2(e) => lanes::<2>(*a).iter().zip(e).all(|(a, e)| f64_matches(*a as u64, e)),
        },
        (Val::FuncRef(f), WastRetCore::RefNull(_)) => f.is_none(),
        (Val::FuncRef(f), WastRetCore::RefFunc(_)) => f.is_some(),
        (Val::ExternRef(e), WastRetCore::RefNull(_)) => e.is_none(),
        (Val::ExternRef(e), WastRetCore::RefExtern(None)) => e.is_some(),
        (Val::ExternRef(e), WastRetCore::RefExtern(Some(n))) => {
            e.is_some_and(|e| e.data(&*store).downcast_ref::<u32>() == Some(n))
        }
        (_, e) => bail!("unsupported expected result {e:?}"),
    })
}
