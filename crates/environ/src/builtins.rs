//! Builtin functions: the runtime entry points compiled code may call.
//!
//! Compiled code finds them in the table that `vmctx->builtins` points to,
//! indexed by [`BuiltinFunction`], so calling one needs no relocation.
//! Every builtin takes the caller's vmctx first. Builtins never unwind: one
//! that fails returns a sentinel and the compiled code traps itself, so the
//! signal handler stays the only path out of wasm code.

/// The ABI type of a builtin parameter or result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinType {
    /// A pointer (the vmctx).
    Pointer,
    /// `i32`
    I32,
    /// `i64`
    I64,
}

macro_rules! builtins {
    ($($(#[$doc:meta])* $name:ident($($param:ident),*) -> $result:ident;)*) => {
        /// A builtin function, the index into the builtin table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum BuiltinFunction {
            $($(#[$doc])* $name,)*
        }

        impl BuiltinFunction {
            /// Every builtin, in table order.
            pub const ALL: &'static [BuiltinFunction] = &[$(BuiltinFunction::$name,)*];

            /// Parameter types (the vmctx first).
            pub fn params(self) -> &'static [BuiltinType] {
                match self {
                    $(BuiltinFunction::$name => &[$(BuiltinType::$param),*],)*
                }
            }

            /// Result type.
            pub fn result(self) -> BuiltinType {
                match self {
                    $(BuiltinFunction::$name => BuiltinType::$result,)*
                }
            }
        }
    };
}

builtins! {
    /// `memory.grow`: `(vmctx, delta_pages: i64, memory: i32) -> old_pages or -1`.
    MemoryGrow(Pointer, I64, I32) -> I64;
}

impl BuiltinFunction {
    /// Byte offset of this builtin's entry in the builtin table.
    pub fn table_offset(self) -> u32 {
        self as u32 * 8
    }
}
