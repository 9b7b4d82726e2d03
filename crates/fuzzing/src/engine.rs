//! The runtimes under test, behind one interface.
//!
//! Brisk's configurations implement [`Engine`] in [`crate::tiers`];
//! Wasmtime implements it in `fuzz/`. Values and traps are mapped onto
//! the runtime-neutral [`DiffValue`] and [`TrapKind`].

use arbitrary::Unstructured;
use std::fmt;

/// A runtime (with its settings) that can instantiate modules.
pub trait Engine {
    /// A name for reports, e.g. `brisk/opt=speed/backtracking/fuel`.
    fn name(&self) -> String;
    /// Does this engine count fuel? Engines that do trap with
    /// [`TrapKind::OutOfFuel`] at the same point; the others only run a
    /// call once a fuel-counting engine has shown that it ends.
    fn fuel(&self) -> bool;
    /// Does this engine count fuel exactly as the reference for `wasm`?
    /// (An engine whose accounting differs on some modules says no for
    /// those; by default, [`Engine::fuel`].)
    fn fuel_for(&mut self, wasm: &[u8]) -> bool {
        let _ = wasm;
        self.fuel()
    }
    /// Compiles and instantiates `wasm` (no imports), running its start
    /// function with a full fuel budget.
    fn instantiate(&mut self, wasm: &[u8]) -> Result<Box<dyn Instance>, InstantiateError>;
}

/// Why a module gave no instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstantiateError {
    /// The module did not compile (invalid, or refused).
    Compile(String),
    /// Instantiation failed without a trap (e.g. a resource limit).
    Link(String),
    /// The start function (or a segment initialisation) trapped.
    Trap(TrapKind),
}

/// One instance of a module in one engine.
pub trait Instance {
    /// Exported functions in export order: name, parameters, results.
    fn funcs(&mut self) -> Vec<(String, Vec<ValKind>, Vec<ValKind>)>;
    /// Calls an exported function with the engine's fuel budget (if it
    /// counts fuel).
    fn call(&mut self, name: &str, args: &[DiffValue]) -> Outcome;
    /// Exported memories: name and contents.
    fn memories(&mut self) -> Vec<(String, Vec<u8>)>;
    /// Exported globals: name and value.
    fn globals(&mut self) -> Vec<(String, DiffValue)>;
    /// Exported tables: name and, per element, whether it is null.
    fn tables(&mut self) -> Vec<(String, Vec<bool>)>;
    /// The fuel left after the last call, if the engine counts fuel (for
    /// diagnosis).
    fn fuel_left(&mut self) -> Option<u64> {
        None
    }
}

/// A value type: Brisk's own, which the other engines' types map onto.
pub type ValKind = brisk::ValType;

/// A value as compared across runtimes. Floats are kept as bits; two
/// floats are equal when their bits are, or when both are NaN (the module
/// canonicalises NaNs, so this only forgives what the spec leaves open,
/// while NaN-ness is still compared). References compare by null-ness.
#[derive(Clone, Copy, Debug)]
pub enum DiffValue {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef { null: bool },
    ExternRef { null: bool },
}

impl PartialEq for DiffValue {
    fn eq(&self, other: &DiffValue) -> bool {
        use DiffValue::*;
        match (*self, *other) {
            (I32(a), I32(b)) => a == b,
            (I64(a), I64(b)) => a == b,
            (F32(a), F32(b)) => a == b || (f32::from_bits(a).is_nan() && f32::from_bits(b).is_nan()),
            (F64(a), F64(b)) => a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan()),
            (V128(a), V128(b)) => a == b,
            (FuncRef { null: a }, FuncRef { null: b }) => a == b,
            (ExternRef { null: a }, ExternRef { null: b }) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for DiffValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DiffValue::I32(v) => write!(f, "(i32.const {v})"),
            DiffValue::I64(v) => write!(f, "(i64.const {v})"),
            DiffValue::F32(v) => write!(f, "(f32.const {})", float_text(f64::from(f32::from_bits(v)), u64::from(v), 8)),
            DiffValue::F64(v) => write!(f, "(f64.const {})", float_text(f64::from_bits(v), v, 16)),
            DiffValue::V128(v) => write!(f, "(v128.const i64x2 {} {})", v as u64 as i64, (v >> 64) as u64 as i64),
            DiffValue::FuncRef { null: true } => write!(f, "(ref.null func)"),
            DiffValue::FuncRef { null: false } => write!(f, "(ref.func)"),
            DiffValue::ExternRef { null: true } => write!(f, "(ref.null extern)"),
            DiffValue::ExternRef { null: false } => write!(f, "(ref.extern)"),
        }
    }
}

/// A float as .wast text that keeps its bits (NaN payloads too).
fn float_text(v: f64, bits: u64, digits: usize) -> String {
    if v.is_nan() {
        let payload_bits = if digits == 8 { 23 } else { 52 };
        let sign = if bits >> (digits * 4 - 1) & 1 == 1 { "-" } else { "" };
        format!("{sign}nan:0x{:x}", bits & ((1u64 << payload_bits) - 1))
    } else if v.is_infinite() {
        if v < 0.0 { "-inf".into() } else { "inf".into() }
    } else if digits == 8 {
        format!("{:?}", f32::from_bits(bits as u32))
    } else {
        format!("{v:?}")
    }
}

impl DiffValue {
    /// An argument of type `kind` from fuzz bytes: often an interesting
    /// value (zero, extremes, NaN, infinities), otherwise any bits.
    pub fn arbitrary(kind: ValKind, u: &mut Unstructured<'_>) -> DiffValue {
        let special = u.ratio(1u8, 3).unwrap_or(false);
        match kind {
            ValKind::I32 => DiffValue::I32(if special {
                *u.choose(&[0, 1, -1, i32::MIN, i32::MAX, 0x7f, 0x80, 0xffff, 0x1_0000]).unwrap_or(&0)
            } else {
                u.arbitrary().unwrap_or(0)
            }),
            ValKind::I64 => DiffValue::I64(if special {
                *u.choose(&[0, 1, -1, i64::MIN, i64::MAX, 0xffff_ffff, 0x1_0000_0000]).unwrap_or(&0)
            } else {
                u.arbitrary().unwrap_or(0)
            }),
            ValKind::F32 => DiffValue::F32(if special {
                *u.choose(&[0, 0x8000_0000, 0x7fc0_0000, 0xffc0_0000, 0x7f80_0000, 0xff80_0000, 0x3f80_0000, 0x4f00_0000, 0x7fa0_0001, 1])
                    .unwrap_or(&0)
            } else {
                u.arbitrary().unwrap_or(0)
            }),
            ValKind::F64 => DiffValue::F64(if special {
                *u.choose(&[
                    0,
                    0x8000_0000_0000_0000,
                    0x7ff8_0000_0000_0000,
                    0xfff8_0000_0000_0000,
                    0x7ff0_0000_0000_0000,
                    0xfff0_0000_0000_0000,
                    0x3ff0_0000_0000_0000,
                    0x43e0_0000_0000_0000,
                    0x7ff4_0000_0000_0001,
                    1,
                ])
                .unwrap_or(&0)
            } else {
                u.arbitrary().unwrap_or(0)
            }),
            ValKind::V128 => DiffValue::V128(u.arbitrary().unwrap_or(0)),
            // Only null references can be made without a store.
            ValKind::FuncRef => DiffValue::FuncRef { null: true },
            ValKind::ExternRef => DiffValue::ExternRef { null: true },
        }
    }
}

/// A trap, in terms common to every runtime.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    StackOverflow,
    MemoryOutOfBounds,
    HeapMisaligned,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    UnreachableCodeReached,
    Interrupt,
    OutOfFuel,
    NullReference,
    /// A trap code only one runtime has.
    Other(String),
}

/// The result of one call.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The call returned these values.
    Values(Vec<DiffValue>),
    /// The call trapped.
    Trap(TrapKind),
    /// The call failed otherwise (an error that is not a trap).
    Error(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Values(v) => {
                write!(f, "[")?;
                for (i, v) in v.iter().enumerate() {
                    write!(f, "{}{v}", if i == 0 { "" } else { " " })?;
                }
                write!(f, "]")
            }
            Outcome::Trap(t) => write!(f, "trap {t:?}"),
            Outcome::Error(e) => write!(f, "error {e}"),
        }
    }
}
