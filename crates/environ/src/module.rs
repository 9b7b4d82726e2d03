//! The module environment: everything about a module except function bodies.

use crate::types::*;
use cranelift_entity::{EntityRef, PrimaryMap};
use std::collections::HashMap;

/// An import: `(import "module" "name" ...)`.
#[derive(Clone, Debug)]
pub struct Import {
    /// First-level name.
    pub module: String,
    /// Second-level name.
    pub name: String,
    /// The entity in the module's index space that the import defines.
    pub index: EntityIndex,
}

/// One instruction of a constant expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstOp {
    /// `i32.const`
    I32Const(i32),
    /// `i64.const`
    I64Const(i64),
    /// `f32.const`, as bits.
    F32Const(u32),
    /// `f64.const`, as bits.
    F64Const(u64),
    /// `v128.const`
    V128Const(u128),
    /// `global.get` of an (imported, in wasm 1.0) global.
    GlobalGet(GlobalIndex),
    /// `ref.null`
    RefNull,
    /// `ref.func`
    RefFunc(FuncIndex),
    /// `i32.add` (extended constant expressions)
    I32Add,
    /// `i32.sub`
    I32Sub,
    /// `i32.mul`
    I32Mul,
    /// `i64.add`
    I64Add,
    /// `i64.sub`
    I64Sub,
    /// `i64.mul`
    I64Mul,
}

/// A constant expression: a global initializer or a segment offset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConstExpr {
    /// The instructions, without the final `end`.
    pub ops: Vec<ConstOp>,
}

impl ConstExpr {
    /// Converts a wasmparser constant expression.
    pub fn from_wasmparser(expr: &wasmparser::ConstExpr<'_>) -> crate::WasmResult<ConstExpr> {
        use wasmparser::Operator as O;
        let mut ops = Vec::new();
        let mut reader = expr.get_operators_reader();
        while !reader.eof() {
            let offset = reader.original_position();
            let op = reader.read()?;
            ops.push(match op {
                O::I32Const { value } => ConstOp::I32Const(value),
                O::I64Const { value } => ConstOp::I64Const(value),
                O::F32Const { value } => ConstOp::F32Const(value.bits()),
                O::F64Const { value } => ConstOp::F64Const(value.bits()),
                O::V128Const { value } => ConstOp::V128Const(value.i128() as u128),
                O::GlobalGet { global_index } => ConstOp::GlobalGet(GlobalIndex::from_u32(global_index)),
                O::RefNull { .. } => ConstOp::RefNull,
                O::RefFunc { function_index } => ConstOp::RefFunc(FuncIndex::from_u32(function_index)),
                O::I32Add => ConstOp::I32Add,
                O::I32Sub => ConstOp::I32Sub,
                O::I32Mul => ConstOp::I32Mul,
                O::I64Add => ConstOp::I64Add,
                O::I64Sub => ConstOp::I64Sub,
                O::I64Mul => ConstOp::I64Mul,
                O::End => break,
                other => {
                    return Err(crate::WasmError::unsupported(
                        format!("constant expression operator {other:?}"),
                        offset,
                    ));
                }
            });
        }
        Ok(ConstExpr { ops })
    }

    /// The single `ref.func` or `ref.null` of an element item, if that is
    /// all the expression is.
    pub fn as_func_ref(&self) -> Option<Option<FuncIndex>> {
        match self.ops.as_slice() {
            [ConstOp::RefFunc(f)] => Some(Some(*f)),
            [ConstOp::RefNull] => Some(None),
            _ => None,
        }
    }
}

/// Where an element or data segment goes.
#[derive(Clone, Debug)]
pub enum SegmentMode<I> {
    /// Copied into the table or memory at instantiation.
    Active {
        /// Which table or memory.
        index: I,
        /// Where in it.
        offset: ConstExpr,
    },
    /// Used by `table.init` / `memory.init`.
    Passive,
    /// Only declares functions for `ref.func`; dropped at instantiation.
    Declared,
}

/// The items of an element segment.
#[derive(Clone, Debug)]
pub enum ElemItems {
    /// Function indices.
    Functions(Box<[FuncIndex]>),
    /// Constant expressions producing references.
    Exprs(Box<[ConstExpr]>),
}

impl ElemItems {
    /// Number of items.
    pub fn len(&self) -> usize {
        match self {
            ElemItems::Functions(f) => f.len(),
            ElemItems::Exprs(e) => e.len(),
        }
    }

    /// Is the segment empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct ElemSegment {
    /// Active, passive or declared.
    pub mode: SegmentMode<TableIndex>,
    /// Element type.
    pub element: WasmValType,
    /// The items.
    pub items: ElemItems,
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct DataSegment {
    /// Active or passive.
    pub mode: SegmentMode<MemoryIndex>,
    /// The bytes.
    pub data: Box<[u8]>,
}

/// Everything about a module that is not code: types, index spaces,
/// imports, exports, segments and names.
#[derive(Clone, Debug, Default)]
pub struct Module {
    /// Which functions have a `VMFuncRef` in the vmctx, and where: per
    /// function, its slot (`u32::MAX`: none), imports first in order, then
    /// the defined functions that can escape. `None`: every function has
    /// one, at its index (with tier-up or interpreted functions, whose
    /// calls go through funcrefs). See [`VMOffsets`](crate::VMOffsets).
    pub func_ref_slots: Option<crate::FuncRefSlotMap>,
    /// The name from the name section.
    pub name: Option<String>,
    /// Function types, by type index.
    pub types: PrimaryMap<TypeIndex, FuncType>,
    /// Imports, in order.
    pub imports: Vec<Import>,
    /// Exports, in order.
    pub exports: Vec<(String, EntityIndex)>,
    /// Exports by name.
    pub export_names: HashMap<String, EntityIndex>,
    /// The type of every function (imports first).
    pub functions: PrimaryMap<FuncIndex, TypeIndex>,
    /// Every table (imports first).
    pub tables: PrimaryMap<TableIndex, TableType>,
    /// Every memory (imports first).
    pub memories: PrimaryMap<MemoryIndex, MemoryType>,
    /// Every global (imports first).
    pub globals: PrimaryMap<GlobalIndex, GlobalType>,
    /// Initializers of defined globals.
    pub global_inits: PrimaryMap<DefinedGlobalIndex, ConstExpr>,
    /// Number of imported functions.
    pub num_imported_funcs: usize,
    /// Number of imported tables.
    pub num_imported_tables: usize,
    /// Number of imported memories.
    pub num_imported_memories: usize,
    /// Number of imported globals.
    pub num_imported_globals: usize,
    /// The start function.
    pub start: Option<FuncIndex>,
    /// Element segments.
    pub elems: PrimaryMap<ElemIndex, ElemSegment>,
    /// Data segments.
    pub data: PrimaryMap<DataIndex, DataSegment>,
    /// Function names from the name section.
    pub func_names: HashMap<FuncIndex, String>,
}

/// The sizes of a module's index spaces: all [`VMOffsets`](crate::VMOffsets)
/// needs to lay out a vmctx.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleCounts {
    /// Functions, imported ones included.
    pub funcs: u32,
    /// Imported functions.
    pub imported_funcs: u32,
    /// Tables, imported ones included.
    pub tables: u32,
    /// Imported tables.
    pub imported_tables: u32,
    /// Memories, imported ones included.
    pub memories: u32,
    /// Imported memories.
    pub imported_memories: u32,
    /// Globals, imported ones included.
    pub globals: u32,
    /// Imported globals.
    pub imported_globals: u32,
}

impl ModuleCounts {
    /// The most entities of one kind a module may have: the validator's
    /// limits are lower, and an artifact claiming more is refused, so a
    /// vmctx layout can never overflow.
    pub const MAX: u32 = 1 << 20;

    /// Are the counts consistent (imports within totals) and within
    /// [`ModuleCounts::MAX`]?
    pub fn is_valid(&self) -> bool {
        let pairs = [
            (self.funcs, self.imported_funcs),
            (self.tables, self.imported_tables),
            (self.memories, self.imported_memories),
            (self.globals, self.imported_globals),
        ];
        pairs.iter().all(|&(total, imported)| total <= Self::MAX && imported <= total)
    }
}

macro_rules! index_space {
    ($defined:ident, $is_imported:ident, $to_index:ident, $num:ident, $idx:ty, $def:ty) => {
        /// The defined index, or `None` for an import.
        pub fn $defined(&self, index: $idx) -> Option<$def> {
            index.index().checked_sub(self.$num).map(<$def>::new)
        }
        /// Is this index an import?
        pub fn $is_imported(&self, index: $idx) -> bool {
            index.index() < self.$num
        }
        /// The index-space index of a defined entity.
        pub fn $to_index(&self, index: $def) -> $idx {
            <$idx>::new(index.index() + self.$num)
        }
    };
}

impl Module {
    index_space!(defined_func_index, is_imported_func, func_index, num_imported_funcs, FuncIndex, DefinedFuncIndex);
    index_space!(defined_table_index, is_imported_table, table_index, num_imported_tables, TableIndex, DefinedTableIndex);
    index_space!(
        defined_memory_index,
        is_imported_memory,
        memory_index,
        num_imported_memories,
        MemoryIndex,
        DefinedMemoryIndex
    );
    index_space!(
        defined_global_index,
        is_imported_global,
        global_index,
        num_imported_globals,
        GlobalIndex,
        DefinedGlobalIndex
    );

    /// The sizes of the index spaces.
    pub fn counts(&self) -> ModuleCounts {
        let n = |x: usize| u32::try_from(x).expect("index space sizes are validated to fit in u32");
        ModuleCounts {
            funcs: n(self.functions.len()),
            imported_funcs: n(self.num_imported_funcs),
            tables: n(self.tables.len()),
            imported_tables: n(self.num_imported_tables),
            memories: n(self.memories.len()),
            imported_memories: n(self.num_imported_memories),
            globals: n(self.globals.len()),
            imported_globals: n(self.num_imported_globals),
        }
    }

    /// Number of defined functions.
    pub fn num_defined_funcs(&self) -> usize {
        self.functions.len() - self.num_imported_funcs
    }

    /// Number of defined tables.
    pub fn num_defined_tables(&self) -> usize {
        self.tables.len() - self.num_imported_tables
    }

    /// Number of defined memories.
    pub fn num_defined_memories(&self) -> usize {
        self.memories.len() - self.num_imported_memories
    }

    /// Number of defined globals.
    pub fn num_defined_globals(&self) -> usize {
        self.globals.len() - self.num_imported_globals
    }

    /// The type of a function.
    pub fn func_type(&self, func: FuncIndex) -> &FuncType {
        &self.types[self.functions[func]]
    }

    /// The type of an entity in the module.
    pub fn entity_type(&self, index: EntityIndex) -> EntityType {
        match index {
            EntityIndex::Function(f) => EntityType::Function(self.functions[f]),
            EntityIndex::Table(t) => EntityType::Table(self.tables[t]),
            EntityIndex::Memory(m) => EntityType::Memory(self.memories[m]),
            EntityIndex::Global(g) => EntityType::Global(self.globals[g]),
        }
    }

    /// A function's name: from the name section, else `func[N]`-style.
    pub fn func_name(&self, func: FuncIndex) -> Option<&str> {
        self.func_names.get(&func).map(|s| s.as_str())
    }
}
