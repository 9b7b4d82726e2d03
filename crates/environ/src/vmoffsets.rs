//! The layout of `vmctx`, the per-instance structure every tier addresses.
//!
//! ```text
//!   vmctx -> +--------------------------------+ 0
//!            | magic: u32, pad                |
//!            | runtime_limits: *VMRuntimeLimits (store-wide)
//!            | builtins: *[fn ptr]            |
//!            | type_ids: *[u32]  (TypeIndex -> SharedTypeIndex)
//!            | store: *mut StoreOpaque        |
//!            | instance: *mut Instance        |
//!            | tier_up_counters: *mut [i32] (per module, or null)
//!            +--------------------------------+ header_size
//!            | imported functions  [VMFunctionImport; n]  {native_call, vmctx}
//!            | imported tables     [VMTableImport; n]     {from, vmctx}
//!            | imported memories   [VMMemoryImport; n]    {from, vmctx}
//!            | imported globals    [VMGlobalImport; n]    {from}
//!            | defined tables      [VMTableDefinition; n] {base, current_elements}
//!            | defined memories    [VMMemoryDefinition; n]{base, current_length}
//!            | defined globals     [VMGlobalDefinition; n] (16 bytes, 16-aligned)
//!            | func refs           [VMFuncRef; every function]
//!            +--------------------------------+ size
//! ```
//!
//! The runtime's `#[repr(C)]` structs are checked against these offsets by
//! tests beside their definitions.

use crate::ModuleCounts;
use crate::types::*;

/// Magic number in the first word of every vmctx.
pub const VMCONTEXT_MAGIC: u32 = u32::from_le_bytes(*b"bvmc");

/// Offsets of fields in `VMRuntimeLimits`, the store-wide block of limits
/// and bookkeeping that compiled code reads.
pub mod runtime_limits {
    /// Lowest address the stack pointer may reach (`usize`).
    pub const STACK_LIMIT: u32 = 0;
    /// Fuel consumed so far, counting up to zero (`i64`).
    pub const FUEL_CONSUMED: u32 = 8;
    /// Epoch deadline (`u64`).
    pub const EPOCH_DEADLINE: u32 = 16;
    /// The engine's epoch counter (`*const u64`), read at epoch checks.
    pub const EPOCH_COUNTER: u32 = 24;
    /// Size of the struct.
    pub const SIZE: u32 = 32;
}

/// Offsets of fields in `VMFuncRef`, what a funcref points to.
pub mod func_ref {
    /// Entry point in the native wasm ABI.
    pub const NATIVE_CALL: u32 = 0;
    /// Entry point in the array ABI (`fn(callee_vmctx, caller_vmctx, *mut ValRaw, len)`).
    pub const ARRAY_CALL: u32 = 8;
    /// The callee's vmctx.
    pub const VMCTX: u32 = 16;
    /// The function's `SharedTypeIndex` (`u32`).
    pub const TYPE_INDEX: u32 = 24;
    /// Size of the struct.
    pub const SIZE: u32 = 32;
}

/// Offsets of the fields of a `VMMemoryDefinition`.
pub mod memory_def {
    /// Base address (`*mut u8`); never changes for a memory's lifetime.
    pub const BASE: u32 = 0;
    /// Current length in bytes (`usize`).
    pub const CURRENT_LENGTH: u32 = 8;
    /// Size.
    pub const SIZE: u32 = 16;
}

/// Offsets of the fields of a `VMTableDefinition`.
pub mod table_def {
    /// Base address of the elements (`*mut *mut u8`).
    pub const BASE: u32 = 0;
    /// Current number of elements (`usize`).
    pub const CURRENT_ELEMENTS: u32 = 8;
    /// Size.
    pub const SIZE: u32 = 16;
}

/// Size of a `VMGlobalDefinition`: enough for a v128, 16-aligned.
pub const GLOBAL_DEF_SIZE: u32 = 16;
/// Size of a `VMFunctionImport` (`native_call`, `vmctx`).
pub const FUNCTION_IMPORT_SIZE: u32 = 16;
/// Size of a `VMTableImport` / `VMMemoryImport` (`from`, `vmctx`).
pub const ENTITY_IMPORT_SIZE: u32 = 16;
/// Size of a `VMGlobalImport` (`from`).
pub const GLOBAL_IMPORT_SIZE: u32 = 8;
/// Size of a table element (a pointer; null is 0).
pub const TABLE_ELEMENT_SIZE: u32 = 8;

/// Offsets into a module's `vmctx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Number of imported tables.
    pub num_imported_tables: u32,
    /// Number of imported memories.
    pub num_imported_memories: u32,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Number of defined tables.
    pub num_defined_tables: u32,
    /// Number of defined memories.
    pub num_defined_memories: u32,
    /// Number of defined globals.
    pub num_defined_globals: u32,
    /// Number of functions (imported and defined).
    pub num_funcs: u32,

    imported_functions: u32,
    imported_tables: u32,
    imported_memories: u32,
    imported_globals: u32,
    defined_tables: u32,
    defined_memories: u32,
    defined_globals: u32,
    func_refs: u32,
    size: u32,
    /// Where functions' funcrefs are (see `Module::func_ref_slots`).
    slots: FuncRefSlots,
}

/// Which functions have a funcref in the vmctx, and where: per function,
/// its slot or `u32::MAX` (see `Module::func_ref_slots`), with how many
/// have one (so that a layout is made without a pass over the functions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncRefSlotMap {
    slots: std::sync::Arc<[u32]>,
    count: u32,
}

impl FuncRefSlotMap {
    /// The map of `slots` (per function, its slot or `u32::MAX`).
    pub fn new(slots: std::sync::Arc<[u32]>) -> Self {
        let count = slots.iter().filter(|s| **s != u32::MAX).count() as u32;
        FuncRefSlotMap { slots, count }
    }

    /// Per function, its slot or `u32::MAX`.
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// How many functions have a slot.
    pub fn count(&self) -> u32 {
        self.count
    }
}

/// Which functions have a funcref in the vmctx.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FuncRefSlots {
    /// Every function, at its index.
    All,
    /// Per function, its slot or `u32::MAX`.
    Map(FuncRefSlotMap),
    /// So many slots, whose map the runtime reads from the artifact:
    /// [`VMOffsets::func_ref`] must not be asked.
    Counted,
}

/// Header field: magic.
pub const VMCTX_MAGIC: u32 = 0;
/// Header field: `*const VMRuntimeLimits`.
pub const VMCTX_RUNTIME_LIMITS: u32 = 8;
/// Header field: `*const [usize]`, the builtin function table.
pub const VMCTX_BUILTINS: u32 = 16;
/// Header field: `*const [u32]`, `TypeIndex` to `SharedTypeIndex`.
pub const VMCTX_TYPE_IDS: u32 = 24;
/// Header field: the store.
pub const VMCTX_STORE: u32 = 32;
/// Header field: the instance.
pub const VMCTX_INSTANCE: u32 = 40;
/// Header field: `*mut [i32]`, the module's tier-up counters by defined
/// function (null unless the module tiers up with counters).
pub const VMCTX_TIER_UP_COUNTERS: u32 = 48;
const HEADER_SIZE: u32 = 56;

fn align(offset: u32, to: u32) -> u32 {
    offset.div_ceil(to) * to
}

impl VMOffsets {
    /// The layout of a module's vmctx, with its funcref slots.
    pub fn for_module(module: &crate::Module) -> Self {
        match &module.func_ref_slots {
            None => Self::new(&module.counts()),
            Some(map) => {
                let mut o = Self::with_slots(&module.counts(), map.count());
                o.slots = FuncRefSlots::Map(map.clone());
                o
            }
        }
    }

    /// The layout for a module with these index spaces and `slots`
    /// funcrefs, whose places the caller knows (the runtime, from the
    /// artifact): then [`VMOffsets::func_ref`] is not to be called, and
    /// [`VMOffsets::func_ref_slot`] gives a slot's offset.
    pub fn with_slots(counts: &ModuleCounts, slots: u32) -> Self {
        let mut o = Self::layout(counts, slots);
        o.slots = FuncRefSlots::Counted;
        o
    }

    /// The layout for a module with these index spaces, a funcref per
    /// function.
    pub fn new(counts: &ModuleCounts) -> Self {
        Self::layout(counts, counts.funcs)
    }

    fn layout(counts: &ModuleCounts, slots: u32) -> Self {
        let mut o = VMOffsets {
            num_imported_funcs: counts.imported_funcs,
            num_imported_tables: counts.imported_tables,
            num_imported_memories: counts.imported_memories,
            num_imported_globals: counts.imported_globals,
            num_defined_tables: counts.tables - counts.imported_tables,
            num_defined_memories: counts.memories - counts.imported_memories,
            num_defined_globals: counts.globals - counts.imported_globals,
            num_funcs: counts.funcs,
            imported_functions: 0,
            imported_tables: 0,
            imported_memories: 0,
            imported_globals: 0,
            defined_tables: 0,
            defined_memories: 0,
            defined_globals: 0,
            func_refs: 0,
            size: 0,
            slots: FuncRefSlots::All,
        };
        // Sizes are u64 while computing so that absurd counts can't wrap;
        // the validator bounds every index space far below this.
        let mut at = u64::from(HEADER_SIZE);
        let mut field = |count: u32, size: u32, alignment: u32| -> u32 {
            at = at.div_ceil(u64::from(alignment)) * u64::from(alignment);
            let start = at;
            at += u64::from(count) * u64::from(size);
            u32::try_from(start).expect("vmctx larger than 4 GiB")
        };
        o.imported_functions = field(o.num_imported_funcs, FUNCTION_IMPORT_SIZE, 8);
        o.imported_tables = field(o.num_imported_tables, ENTITY_IMPORT_SIZE, 8);
        o.imported_memories = field(o.num_imported_memories, ENTITY_IMPORT_SIZE, 8);
        o.imported_globals = field(o.num_imported_globals, GLOBAL_IMPORT_SIZE, 8);
        o.defined_tables = field(o.num_defined_tables, table_def::SIZE, 8);
        o.defined_memories = field(o.num_defined_memories, memory_def::SIZE, 8);
        o.defined_globals = field(o.num_defined_globals, GLOBAL_DEF_SIZE, 16);
        o.func_refs = field(slots, func_ref::SIZE, 16);
        o.size = field(0, 0, 16);
        let _ = align;
        o
    }

    /// Total size of the vmctx in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// The `VMFunctionImport` of an imported function.
    pub fn imported_function(&self, index: FuncIndex) -> u32 {
        debug_assert!(index.as_u32() < self.num_imported_funcs);
        self.imported_functions + index.as_u32() * FUNCTION_IMPORT_SIZE
    }

    /// The `VMTableImport` of an imported table.
    pub fn imported_table(&self, index: TableIndex) -> u32 {
        self.imported_tables + index.as_u32() * ENTITY_IMPORT_SIZE
    }

    /// The `VMMemoryImport` of an imported memory.
    pub fn imported_memory(&self, index: MemoryIndex) -> u32 {
        self.imported_memories + index.as_u32() * ENTITY_IMPORT_SIZE
    }

    /// The `VMGlobalImport` of an imported global.
    pub fn imported_global(&self, index: GlobalIndex) -> u32 {
        self.imported_globals + index.as_u32() * GLOBAL_IMPORT_SIZE
    }

    /// The `VMTableDefinition` of a defined table.
    pub fn defined_table(&self, index: DefinedTableIndex) -> u32 {
        self.defined_tables + index.as_u32() * table_def::SIZE
    }

    /// The `VMMemoryDefinition` of a defined memory.
    pub fn defined_memory(&self, index: DefinedMemoryIndex) -> u32 {
        self.defined_memories + index.as_u32() * memory_def::SIZE
    }

    /// The `VMGlobalDefinition` of a defined global.
    pub fn defined_global(&self, index: DefinedGlobalIndex) -> u32 {
        self.defined_globals + index.as_u32() * GLOBAL_DEF_SIZE
    }

    /// The `VMFuncRef` of a function. Compiled code asks only for those
    /// of functions that have one: imports, functions that can escape
    /// (`ref.func`), and every function when all have one.
    ///
    /// # Panics
    ///
    /// If the function has no funcref, or the layout came from
    /// [`VMOffsets::with_slots`].
    pub fn func_ref(&self, index: FuncIndex) -> u32 {
        let slot = match &self.slots {
            FuncRefSlots::All => index.as_u32(),
            FuncRefSlots::Map(map) => map.slots()[index.as_u32() as usize],
            FuncRefSlots::Counted => panic!("the runtime reads funcref slots from the artifact"),
        };
        assert!(slot != u32::MAX, "function {} has no funcref in the vmctx", index.as_u32());
        self.func_ref_slot(slot)
    }

    /// The `VMFuncRef` in slot `slot`.
    pub fn func_ref_slot(&self, slot: u32) -> u32 {
        self.func_refs + slot * func_ref::SIZE
    }
}

/// Bump when compiled code and the runtime start to disagree in a way the
/// layout constants below do not show (a builtin's meaning, how fuel is
/// counted, a trampoline's contract): old artifacts are then refused.
pub const ABI_VERSION: u32 = 2;

/// A fingerprint of everything compiled code assumes about the runtime:
/// [`ABI_VERSION`], the vmctx header and the layouts of the structures code
/// reads (limits, funcrefs, definitions, imports), the builtins' table and
/// signatures, the trap codes and the growth-error sentinel. It is part of an
/// artifact's settings, so an artifact (or a cache entry) from a build with
/// another ABI is refused instead of run.
pub fn abi_fingerprint() -> u64 {
    use crate::{BuiltinFunction, BuiltinType, GROW_ERROR, Trap};
    let mut words: Vec<u64> = vec![
        u64::from(ABI_VERSION),
        u64::from(VMCTX_MAGIC),
        u64::from(VMCTX_RUNTIME_LIMITS),
        u64::from(VMCTX_BUILTINS),
        u64::from(VMCTX_TYPE_IDS),
        u64::from(VMCTX_STORE),
        u64::from(VMCTX_INSTANCE),
        u64::from(runtime_limits::STACK_LIMIT),
        u64::from(runtime_limits::FUEL_CONSUMED),
        u64::from(runtime_limits::EPOCH_DEADLINE),
        u64::from(runtime_limits::EPOCH_COUNTER),
        u64::from(runtime_limits::SIZE),
        u64::from(func_ref::NATIVE_CALL),
        u64::from(func_ref::ARRAY_CALL),
        u64::from(func_ref::VMCTX),
        u64::from(func_ref::TYPE_INDEX),
        u64::from(func_ref::SIZE),
        u64::from(memory_def::BASE),
        u64::from(memory_def::CURRENT_LENGTH),
        u64::from(table_def::BASE),
        u64::from(table_def::CURRENT_ELEMENTS),
        u64::from(GLOBAL_DEF_SIZE),
        u64::from(FUNCTION_IMPORT_SIZE),
        u64::from(ENTITY_IMPORT_SIZE),
        u64::from(GLOBAL_IMPORT_SIZE),
        u64::from(TABLE_ELEMENT_SIZE),
        GROW_ERROR as u64,
    ];
    for b in BuiltinFunction::ALL {
        words.push(u64::from(b.table_offset()));
        let code = |t: BuiltinType| t as u64;
        words.extend(b.params().iter().map(|t| code(*t)));
        words.push(code(b.result()) | 0x100);
    }
    words.extend(Trap::ALL.iter().map(|t| *t as u64));
    // FNV-1a over the words: fixed, so the same in every process.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for byte in w.to_le_bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}
