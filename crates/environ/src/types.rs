//! Index spaces and value types of a module.

use cranelift_entity::entity_impl;
use std::fmt;

macro_rules! indices {
    ($($(#[$doc:meta])* $name:ident($prefix:literal);)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);
        entity_impl!($name, $prefix);
    )*};
}

indices! {
    /// Index of a function type in the module's type section.
    TypeIndex("type");
    /// Index in the function index space (imports first).
    FuncIndex("func");
    /// Index of a function defined (not imported) by the module.
    DefinedFuncIndex("defined_func");
    /// Index in the table index space.
    TableIndex("table");
    /// Index of a table defined by the module.
    DefinedTableIndex("defined_table");
    /// Index in the memory index space.
    MemoryIndex("memory");
    /// Index of a memory defined by the module.
    DefinedMemoryIndex("defined_memory");
    /// Index in the global index space.
    GlobalIndex("global");
    /// Index of a global defined by the module.
    DefinedGlobalIndex("defined_global");
    /// Index of an element segment.
    ElemIndex("elem");
    /// Index of a data segment.
    DataIndex("data");
    /// Engine-wide id of a canonicalized function type: equal ids mean
    /// equal types, which is what `call_indirect` compares.
    SharedTypeIndex("shared_type");
}

/// An entity in one of the module's index spaces.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum EntityIndex {
    /// A function.
    Function(FuncIndex),
    /// A table.
    Table(TableIndex),
    /// A memory.
    Memory(MemoryIndex),
    /// A global.
    Global(GlobalIndex),
}

/// A WebAssembly value type.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum WasmValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector.
    V128,
    /// Nullable function reference.
    FuncRef,
    /// Nullable external reference.
    ExternRef,
}

impl WasmValType {
    /// Every value type, in the order of their codes (artifacts store a
    /// type as its position here; Brisk's validator's types follow it).
    pub const ALL: [WasmValType; 7] = [
        WasmValType::I32,
        WasmValType::I64,
        WasmValType::F32,
        WasmValType::F64,
        WasmValType::V128,
        WasmValType::FuncRef,
        WasmValType::ExternRef,
    ];

    /// Converts a wasmparser value type, rejecting what Brisk doesn't
    /// implement yet.
    pub fn from_wasmparser(ty: wasmparser::ValType) -> Result<Self, String> {
        use wasmparser::ValType as V;
        Ok(match ty {
            V::I32 => WasmValType::I32,
            V::I64 => WasmValType::I64,
            V::F32 => WasmValType::F32,
            V::F64 => WasmValType::F64,
            V::V128 => WasmValType::V128,
            V::Ref(r) => Self::from_ref_type(r)?,
        })
    }

    /// Converts a wasmparser reference type.
    pub fn from_ref_type(r: wasmparser::RefType) -> Result<Self, String> {
        if r == wasmparser::RefType::FUNCREF {
            Ok(WasmValType::FuncRef)
        } else if r == wasmparser::RefType::EXTERNREF {
            Ok(WasmValType::ExternRef)
        } else {
            Err(format!("reference type {r} is not supported"))
        }
    }

    /// Is this a reference type?
    pub fn is_ref(self) -> bool {
        matches!(self, WasmValType::FuncRef | WasmValType::ExternRef)
    }
}

impl fmt::Display for WasmValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WasmValType::I32 => "i32",
            WasmValType::I64 => "i64",
            WasmValType::F32 => "f32",
            WasmValType::F64 => "f64",
            WasmValType::V128 => "v128",
            WasmValType::FuncRef => "funcref",
            WasmValType::ExternRef => "externref",
        })
    }
}

/// A function type.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FuncType {
    /// Parameter types.
    pub params: Box<[WasmValType]>,
    /// Result types.
    pub results: Box<[WasmValType]>,
}

impl FuncType {
    /// A function type from its parameters and results.
    pub fn new(
        params: impl IntoIterator<Item = WasmValType>,
        results: impl IntoIterator<Item = WasmValType>,
    ) -> Self {
        FuncType { params: params.into_iter().collect(), results: results.into_iter().collect() }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        if !self.params.is_empty() {
            f.write_str(" (param")?;
            for p in &self.params {
                write!(f, " {p}")?;
            }
            f.write_str(")")?;
        }
        if !self.results.is_empty() {
            f.write_str(" (result")?;
            for r in &self.results {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}

/// A table type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TableType {
    /// Element type (`FuncRef` or `ExternRef`).
    pub element: WasmValType,
    /// Initial number of elements.
    pub minimum: u64,
    /// Maximum number of elements.
    pub maximum: Option<u64>,
}

/// A linear memory type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MemoryType {
    /// Initial size in pages.
    pub minimum: u64,
    /// Maximum size in pages.
    pub maximum: Option<u64>,
    /// Is the index type i64?
    pub memory64: bool,
    /// Is the memory shared between threads?
    pub shared: bool,
}

impl MemoryType {
    /// The largest size in pages the memory can ever have.
    pub fn max_pages(&self) -> u64 {
        let absolute = if self.memory64 { 1 << 48 } else { crate::WASM32_MAX_PAGES };
        self.maximum.unwrap_or(absolute).min(absolute)
    }
}

/// A global's type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct GlobalType {
    /// The value type.
    pub content: WasmValType,
    /// May it be set?
    pub mutable: bool,
}

/// The type of an entity: what an import requires and an export provides.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum EntityType {
    /// A function of this type.
    Function(TypeIndex),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
}
