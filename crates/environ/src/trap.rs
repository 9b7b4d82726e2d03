use std::fmt;

/// Why WebAssembly execution stopped abnormally.
///
/// The discriminants are the codes stored in trap tables and passed from
/// compiled code to the runtime; they are part of the artifact format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Trap {
    /// The wasm stack exceeded its configured maximum.
    StackOverflow = 1,
    /// A load or store was out of bounds of its linear memory.
    MemoryOutOfBounds = 2,
    /// An atomic access was misaligned.
    HeapMisaligned = 3,
    /// A table access was out of bounds.
    TableOutOfBounds = 4,
    /// `call_indirect` found a null entry.
    IndirectCallToNull = 5,
    /// `call_indirect` found a function of another type.
    BadSignature = 6,
    /// Integer overflow (`i32.div_s` of `INT_MIN` by `-1`, or a
    /// float-to-int conversion out of range).
    IntegerOverflow = 7,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 8,
    /// Float-to-int conversion of NaN.
    BadConversionToInteger = 9,
    /// `unreachable` was executed.
    UnreachableCodeReached = 10,
    /// An epoch deadline or interrupt was reached.
    Interrupt = 11,
    /// The store ran out of fuel.
    OutOfFuel = 12,
    /// A null reference was dereferenced.
    NullReference = 13,
    /// Internal: a host function returned an error, which the runtime
    /// keeps aside and reports instead of this code.
    HostError = 14,
}

impl Trap {
    /// All trap codes, in discriminant order.
    pub const ALL: [Trap; 14] = [
        Trap::StackOverflow,
        Trap::MemoryOutOfBounds,
        Trap::HeapMisaligned,
        Trap::TableOutOfBounds,
        Trap::IndirectCallToNull,
        Trap::BadSignature,
        Trap::IntegerOverflow,
        Trap::IntegerDivisionByZero,
        Trap::BadConversionToInteger,
        Trap::UnreachableCodeReached,
        Trap::Interrupt,
        Trap::OutOfFuel,
        Trap::NullReference,
        Trap::HostError,
    ];

    /// The code stored in trap tables.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Decodes a trap table code.
    pub fn from_code(code: u8) -> Option<Trap> {
        Trap::ALL.get(usize::from(code).wrapping_sub(1)).copied()
    }

    /// The message the spec test suite expects for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::StackOverflow => "call stack exhausted",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::HeapMisaligned => "unaligned atomic",
            Trap::TableOutOfBounds => "undefined element: out of bounds table access",
            Trap::IndirectCallToNull => "uninitialized element",
            Trap::BadSignature => "indirect call type mismatch",
            Trap::IntegerOverflow => "integer overflow",
            Trap::IntegerDivisionByZero => "integer divide by zero",
            Trap::BadConversionToInteger => "invalid conversion to integer",
            Trap::UnreachableCodeReached => "unreachable",
            Trap::Interrupt => "interrupt",
            Trap::OutOfFuel => "all fuel consumed by WebAssembly",
            Trap::NullReference => "null reference",
            Trap::HostError => "host function error",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Trap {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in Trap::ALL {
            assert_eq!(Trap::from_code(t.code()), Some(t));
        }
        assert_eq!(Trap::from_code(0), None);
        assert_eq!(Trap::from_code(200), None);
    }
}
