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

// Builtins that can fail return an `i32`: 1 on success, 0 when compiled
// code must trap (the trap code is implied by the operation: memory
// operations trap with `MemoryOutOfBounds`, table operations with
// `TableOutOfBounds`).
builtins! {
    /// `memory.grow`: `(vmctx, delta_pages: i64, memory: i32) -> old_pages or -1`.
    MemoryGrow(Pointer, I64, I32) -> I64;
    /// `memory.copy`: `(vmctx, dst_memory, dst: i64, src_memory, src: i64, len: i64) -> ok`.
    MemoryCopy(Pointer, I32, I64, I32, I64, I64) -> I32;
    /// `memory.fill`: `(vmctx, memory, dst: i64, byte: i32, len: i64) -> ok`.
    MemoryFill(Pointer, I32, I64, I32, I64) -> I32;
    /// `memory.init`: `(vmctx, memory, data, dst: i64, src: i32, len: i32) -> ok`.
    MemoryInit(Pointer, I32, I32, I64, I32, I32) -> I32;
    /// `data.drop`: `(vmctx, data) -> 1`.
    DataDrop(Pointer, I32) -> I32;
    /// `table.copy`: `(vmctx, dst_table, src_table, dst: i64, src: i64, len: i64) -> ok`.
    TableCopy(Pointer, I32, I32, I64, I64, I64) -> I32;
    /// `table.init`: `(vmctx, table, elem, dst: i64, src: i32, len: i32) -> ok`.
    TableInit(Pointer, I32, I32, I64, I32, I32) -> I32;
    /// `elem.drop`: `(vmctx, elem) -> 1`.
    ElemDrop(Pointer, I32) -> I32;
    /// `table.grow`: `(vmctx, table, delta: i64, init: ref) -> old size or -1`.
    TableGrow(Pointer, I32, I64, Pointer) -> I64;
    /// `table.fill`: `(vmctx, table, dst: i64, value: ref, len: i64) -> ok`.
    TableFill(Pointer, I32, I64, Pointer, I64) -> I32;
    /// A baseline function's tier-up counter ran out: `(vmctx, defined
    /// function, loop) -> entry`; the runtime queues the function for the
    /// optimizing tier (tier-up with counters on). At a loop header (`loop`
    /// its ordinal, else `u32::MAX`) of a function already replaced, the
    /// result is the on-stack-replacement entry for that loop once it is
    /// compiled, which the frame then calls; otherwise 0.
    TierUpHot(Pointer, I32, I32) -> Pointer;
}

/// What `memory.grow` and `table.grow` return when the store's resource
/// limiter failed with an error: compiled code traps, and the runtime
/// returns the error kept aside.
pub const GROW_ERROR: i64 = -2;

impl BuiltinFunction {
    /// Byte offset of this builtin's entry in the builtin table.
    pub fn table_offset(self) -> u32 {
        self as u32 * 8
    }
}
