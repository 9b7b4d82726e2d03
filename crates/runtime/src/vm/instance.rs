//! Instances: a vmctx plus the memories and tables the instance owns.

use super::libcalls::BUILTINS;
use super::limiter::{Growth, Limiter};
use super::memory::Memory;
use super::table::Table;
use super::vmbox::VmBox;
use super::vmcontext::*;
use crate::module::Module;
use brisk_environ::artifact::{self, ConstExprRef, ElemItem, ElemItemsRef, SegmentModeRef};
use brisk_environ::*;
use std::alloc::Layout;
use std::ptr::NonNull;

/// Resolved imports, in the module's import order per kind.
#[derive(Default)]
pub struct Imports {
    /// Function imports: the funcref to call.
    pub funcs: Vec<*const VMFuncRef>,
    /// Table imports.
    pub tables: Vec<VMTableImport>,
    /// Memory imports.
    pub memories: Vec<VMMemoryImport>,
    /// Global imports.
    pub globals: Vec<VMGlobalImport>,
}

/// The operand stack of a constant expression: on the stack for the
/// expressions compilers emit, on the heap beyond (extended constant
/// expressions nest without bound).
#[derive(Default)]
struct ConstStack {
    inline: [ValRaw; 8],
    len: usize,
    spill: Vec<ValRaw>,
}

impl ConstStack {
    fn push(&mut self, v: ValRaw) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = v,
            None => self.spill.push(v),
        }
        self.len += 1;
    }

    /// Pops a value; `None` on an empty stack (callers take zero: a
    /// malformed expression must not panic).
    fn pop(&mut self) -> Option<ValRaw> {
        self.len = self.len.checked_sub(1)?;
        match self.inline.get(self.len) {
            Some(v) => Some(*v),
            None => self.spill.pop(),
        }
    }
}

/// Evaluates a constant expression, with `global` and `func` for the
/// values of `global.get` and `ref.func` (`None`: the expression has none).
pub fn eval_const(
    expr: ConstExprRef<'_>,
    global: impl Fn(GlobalIndex) -> Option<ValRaw>,
    func: impl Fn(FuncIndex) -> Option<usize>,
) -> Option<ValRaw> {
    let mut stack = ConstStack::default();
    for op in expr.ops() {
        let v = match op {
            ConstOp::I32Const(v) => ValRaw::i32(v),
            ConstOp::I64Const(v) => ValRaw::i64(v),
            ConstOp::F32Const(v) => ValRaw::f32(v),
            ConstOp::F64Const(v) => ValRaw::f64(v),
            ConstOp::V128Const(v) => ValRaw::u128(v),
            ConstOp::GlobalGet(g) => global(g)?,
            ConstOp::RefNull => ValRaw::ptr(0),
            ConstOp::RefFunc(f) => ValRaw::ptr(func(f)?),
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let b = stack.pop().unwrap_or_default().get_i32();
                let a = stack.pop().unwrap_or_default().get_i32();
                ValRaw::i32(match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let b = stack.pop().unwrap_or_default().get_i64();
                let a = stack.pop().unwrap_or_default().get_i64();
                ValRaw::i64(match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
        };
        stack.push(v);
    }
    Some(stack.pop().unwrap_or_default())
}

/// An element write: (element index, offset of the funcref in the vmctx,
/// `u32::MAX` for null).
pub type ElementWrite = (u32, u32);

/// What instantiation knows of a module's segments before it starts,
/// worked out once per module: the defined tables whose element segments
/// are known at compile time (so that each instantiation only stores
/// values), and the data segments that memory images hold.
#[derive(Default)]
pub struct SegmentPlan {
    /// Per defined table that has them: the element writes of every active
    /// segment targeting it, in segment order, as `(element index, offset
    /// of the funcref in the vmctx)`, `u32::MAX` for null.
    pub tables: Vec<(DefinedTableIndex, Box<[ElementWrite]>)>,
    /// Per element segment: are its writes among those above?
    pub planned: Box<[bool]>,
    /// Per data segment: is it active and in its memory's image?
    pub in_image: Box<[bool]>,
    /// Per defined global: its initial value, if its initializer names no
    /// global or function.
    pub globals: Box<[Option<ValRaw>]>,
}

impl SegmentPlan {
    /// The plan for `module`: a defined table is planned if every active
    /// segment targeting it has a constant offset, function items (or
    /// `ref.func` / `ref.null` expressions) and lies in the table's
    /// initial size. The others are applied segment by segment as before.
    pub fn of(module: &Module) -> SegmentPlan {
        let info = module.info();
        let counts = info.counts();
        let mut planned = vec![false; info.num_elems()];
        let mut tables = Vec::new();
        for def in (counts.imported_tables..counts.tables).map(TableIndex::from_u32) {
            let Some(defined) = info.defined_table_index(def) else { continue };
            let size = info.table(def).minimum;
            let mut writes = Vec::new();
            let mut segments = Vec::new();
            let plan = (0..info.num_elems()).all(|e| {
                let seg = info.elem(ElemIndex::new(e));
                let SegmentModeRef::Active { index, offset } = seg.mode else { return true };
                if index != def {
                    return true;
                }
                segments.push(e);
                let Some(start) = eval_const(offset, |_| None, |_| None).map(|v| u64::from(v.get_i32() as u32)) else {
                    return false;
                };
                if start + seg.items.len() as u64 > size {
                    return false;
                }
                (0..seg.items.len()).all(|i| {
                    let value = match seg.items.get(i) {
                        ElemItem::Func(f) => match module.func_ref_offset(f) {
                            Some(off) => off,
                            None => return false,
                        },
                        ElemItem::Expr(e) => {
                            let func = |f: FuncIndex| module.func_ref_offset(f).map(|off| off as usize);
                            match eval_const(e, |_| None, func) {
                                Some(v) if v.get_ptr() == 0 => u32::MAX,
                                Some(v) => v.get_ptr() as u32,
                                None => return false,
                            }
                        }
                    };
                    writes.push(((start + i as u64) as u32, value));
                    true
                })
            });
            if plan && !writes.is_empty() {
                for e in segments {
                    planned[e] = true;
                }
                tables.push((defined, writes.into_boxed_slice()));
            }
        }
        let in_image = (0..info.num_data())
            .map(|d| match info.data(DataIndex::new(d)).mode {
                SegmentModeRef::Active { index, .. } => info.memory_image(index).is_some(),
                _ => false,
            })
            .collect();
        let globals = (counts.imported_globals..counts.globals)
            .map(|g| eval_const(info.global_init(GlobalIndex::from_u32(g)), |_| None, |_| None))
            .collect();
        SegmentPlan { tables, planned: planned.into_boxed_slice(), in_image, globals }
    }
}

/// An instance of a module.
pub struct Instance {
    module: Module,
    vmctx: NonNull<u8>,
    layout: Layout,
    // `VmBox`es: the vmctx, other instances' imports and the store point
    // at these.
    memories: PrimaryMap<DefinedMemoryIndex, VmBox<Memory>>,
    tables: PrimaryMap<DefinedTableIndex, VmBox<Table>>,
    /// Data segments dropped by `data.drop` or by instantiation (active ones).
    dropped_data: Vec<bool>,
    /// Element segments dropped by `elem.drop` or by instantiation.
    dropped_elems: Vec<bool>,
    /// Index of this instance in its store.
    pub store_index: usize,
    /// The callee vmctx of each defined function's funcref when it is
    /// interpreted (empty if the module has no interpreted function); the
    /// funcrefs point into it, so it is never resized.
    interp_ctxs: Box<[super::VMInterpFuncContext]>,
}

// SAFETY: an instance is owned by one store and moves with it; the raw
// pointers it holds point into memory owned by that store.
unsafe impl Send for Instance {}
// SAFETY: as above; `&Instance` gives out raw pointers only.
unsafe impl Sync for Instance {}

impl Drop for Instance {
    fn drop(&mut self) {
        // No swap writes to the vmctx once it is freed.
        self.module.unregister_instance(self.vmctx.as_ptr() as usize);
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.vmctx.as_ptr(), self.layout) };
    }
}

impl Instance {
    /// Allocates an instance and fills in its vmctx: imports, owned
    /// memories, tables and globals, and funcrefs. Segments and the start
    /// function are the caller's next steps ([`Instance::initialize`]).
    ///
    /// # Safety
    ///
    /// `imports` must match the module's imports in kind and type and stay
    /// valid as long as the instance; `store` and `limits` must outlive it.
    pub unsafe fn new(
        module: &Module,
        imports: Imports,
        store: *mut u8,
        limits: *const VMRuntimeLimits,
        store_index: usize,
    ) -> anyhow::Result<VmBox<Instance>> {
        let offsets = module.offsets();
        let info = module.info();
        let counts = info.counts();
        // The vmctx has a slot per import of each kind.
        let given = [imports.funcs.len(), imports.tables.len(), imports.memories.len(), imports.globals.len()];
        let expected = [counts.imported_funcs, counts.imported_tables, counts.imported_memories, counts.imported_globals];
        if given.iter().zip(expected).any(|(&g, e)| g != e as usize) {
            anyhow::bail!("imports of each kind: {given:?} given, the module has {expected:?}");
        }
        // Checks every defined function's type and code (the first time).
        let func_refs = module.func_ref_template()?;
        let layout = Layout::from_size_align(offsets.size().max(16) as usize, 16)?;
        // SAFETY: the layout has a non-zero size.
        let vmctx = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })
            .ok_or_else(|| anyhow::anyhow!("out of memory allocating an instance"))?;
        let mut memories = PrimaryMap::new();
        for index in (counts.imported_memories..counts.memories).map(MemoryIndex::from_u32) {
            // A memory image is mapped from the artifact's file.
            let image = match (info.memory_image(index), module.image_file()) {
                (Some(i), Some(f)) => Ok(Some(((module.id(), index.as_u32()), f, i))),
                (Some(_), None) => Err(super::MemoryError::Image(std::io::Error::other("no file to map it from"))),
                (None, _) => Ok(None),
            };
            // SAFETY: the artifact's file does not change (the contract of
            // loading it; an anonymous file is never written again), and the
            // mapping keeps the file itself alive.
            let memory = image
                .and_then(|image| unsafe {
                    Memory::for_instance(&info.memory(index), module.tunables(), module.engine().memory_pool(), image)
                })
                .map_err(|e| match e {
                    super::MemoryError::TooLarge => anyhow::anyhow!("memory {} is too large", index.index()),
                    super::MemoryError::Os(e) => anyhow::anyhow!("cannot reserve memory {}: {e}", index.index()),
                    super::MemoryError::PoolExhausted(n) => {
                        anyhow::anyhow!("memory {}: all {n} memory slots of the pooling allocator are in use", index.index())
                    }
                    super::MemoryError::Image(e) => anyhow::anyhow!("cannot map the image of memory {}: {e}", index.index()),
                });
            match memory {
                Ok(m) => {
                    memories.push(VmBox::new(m));
                }
                Err(e) => {
                    // SAFETY: allocated above with this layout, not yet shared.
                    unsafe { std::alloc::dealloc(vmctx.as_ptr(), layout) };
                    return Err(e);
                }
            }
        }
        let mut tables = PrimaryMap::new();
        for index in (counts.imported_tables..counts.tables).map(TableIndex::from_u32) {
            match Table::new(&info.table(index), 0) {
                Some(t) => {
                    tables.push(VmBox::new(t));
                }
                None => {
                    // SAFETY: as above.
                    unsafe { std::alloc::dealloc(vmctx.as_ptr(), layout) };
                    anyhow::bail!("table {} is too large (at most {} elements)", index.index(), super::MAX_TABLE_ELEMENTS);
                }
            }
        }
        let instance = VmBox::new(Instance {
            module: module.clone(),
            vmctx,
            layout,
            memories,
            tables,
            dropped_data: vec![false; info.num_data()],
            dropped_elems: vec![false; info.num_elems()],
            store_index,
            interp_ctxs: Box::new([]),
        });
        // SAFETY: the vmctx is freshly allocated with the module's layout;
        // the caller vouches for the imports and pointers, which are as
        // many as the module's imports (checked above); `func_refs` is the
        // module's, with an entry per defined function.
        unsafe {
            let ptr = instance.as_ptr();
            (*ptr).init_vmctx(imports, func_refs, store, limits, ptr);
        }
        Ok(instance)
    }

    /// The store index of the instance behind a vmctx, read without making
    /// a reference to the instance.
    ///
    /// # Safety
    ///
    /// `vmctx` is the vmctx of a live instance.
    pub unsafe fn store_index_of(vmctx: *mut VMContext) -> usize {
        // SAFETY: the header's instance field points at the instance; one
        // plain field is read through the raw pointer.
        unsafe {
            let instance = *vmctx.cast::<u8>().add(VMCTX_INSTANCE as usize).cast::<*const Instance>();
            (*instance).store_index
        }
    }

    /// The instance behind a vmctx.
    ///
    /// # Safety
    ///
    /// `vmctx` is the vmctx of a live instance, and no other reference to
    /// that instance is in use.
    pub unsafe fn from_vmctx<'a>(vmctx: *mut VMContext) -> &'a mut Instance {
        // SAFETY: the header's instance field holds the instance's canonical
        // pointer (its `VmBox`'s); exclusivity is the caller's contract.
        unsafe { &mut *(*(vmctx.cast::<u8>().add(VMCTX_INSTANCE as usize).cast::<*mut Instance>())) }
    }

    /// The vmctx.
    pub fn vmctx(&self) -> *mut VMContext {
        self.vmctx.as_ptr().cast()
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// A field of the vmctx. Callers pass offsets that `VMOffsets` computed
    /// from indices checked against the module's counts, so the field lies
    /// inside the vmctx; the assertion makes sure that no index, however it
    /// was checked, yields a pointer outside it.
    fn ptr<T>(&self, offset: u32) -> *mut T {
        assert!(
            (offset as usize).checked_add(size_of::<T>()).is_some_and(|end| end <= self.layout.size()),
            "vmctx field at {offset} of {} bytes lies outside the vmctx ({} bytes)",
            size_of::<T>(),
            self.layout.size(),
        );
        // SAFETY: checked above: the field lies inside the vmctx allocation.
        unsafe { self.vmctx.as_ptr().add(offset as usize).cast() }
    }

    /// # Safety
    ///
    /// Called once, from `new`, with as many imports of each kind as the
    /// module has and the module's funcref template.
    unsafe fn init_vmctx(
        &mut self,
        imports: Imports,
        func_refs: &crate::module::FuncRefs,
        store: *mut u8,
        limits: *const VMRuntimeLimits,
        self_ptr: *mut Instance,
    ) {
        let module = self.module.clone();
        let offsets = module.offsets();
        // SAFETY: each write goes to a field of the vmctx at an offset
        // VMOffsets computed for this module from an index below the count
        // of its kind (imports: as many as the module has, per the
        // contract; imports have the first funcref slots, in order), with
        // the type that offset is documented to hold (defined functions'
        // funcrefs at the slots `FuncRefs::read` found, `ptr` checking they
        // lie in the vmctx); the imports are valid per `new`'s contract.
        unsafe {
            *self.ptr::<u32>(VMCTX_MAGIC) = VMCONTEXT_MAGIC;
            *self.ptr::<*const VMRuntimeLimits>(VMCTX_RUNTIME_LIMITS) = limits;
            *self.ptr::<*const u8>(VMCTX_BUILTINS) = (&raw const BUILTINS).cast();
            *self.ptr::<*const u32>(VMCTX_TYPE_IDS) = module.type_ids().as_ptr();
            *self.ptr::<*mut u8>(VMCTX_STORE) = store;
            *self.ptr::<*mut Instance>(VMCTX_INSTANCE) = self_ptr;
            *self.ptr::<*mut i32>(VMCTX_TIER_UP_COUNTERS) = module.tier_up_counters();

            for (i, f) in imports.funcs.iter().enumerate() {
                let index = FuncIndex::new(i);
                let fr = VMFuncRef::read(*f);
                *self.ptr::<VMFunctionImport>(offsets.imported_function(index)) =
                    VMFunctionImport { native_call: fr.native_call, vmctx: fr.vmctx };
                // Imports have the first slots, in order.
                *self.ptr::<VMFuncRef>(offsets.func_ref_slot(index.as_u32())) = fr;
            }
            for (i, t) in imports.tables.into_iter().enumerate() {
                *self.ptr::<VMTableImport>(offsets.imported_table(TableIndex::new(i))) = t;
            }
            for (i, m) in imports.memories.into_iter().enumerate() {
                *self.ptr::<VMMemoryImport>(offsets.imported_memory(MemoryIndex::new(i))) = m;
            }
            for (i, g) in imports.globals.into_iter().enumerate() {
                *self.ptr::<VMGlobalImport>(offsets.imported_global(GlobalIndex::new(i))) = g;
            }
            // The memories and tables are new: nothing else refers to them.
            for (def, memory) in self.memories.iter() {
                let p = self.vmctx.as_ptr().add(offsets.defined_memory(def) as usize).cast();
                memory.get_mut().set_definition(p);
            }
            for (def, table) in self.tables.iter() {
                let p = self.vmctx.as_ptr().add(offsets.defined_table(def) as usize).cast();
                table.get_mut().set_definition(p);
            }
            if func_refs.any_interpreted {
                let code = module.bytecode().as_ptr().cast::<u32>();
                self.interp_ctxs = (0..func_refs.templates.len())
                    .map(|i| super::VMInterpFuncContext::new(self.vmctx(), code, i as u32))
                    .collect();
            }
            // A module that can tier up learns of the instance before its
            // funcrefs are copied, under the lock its swaps take: a swap
            // either happened before (the template has the new code) or
            // rewrites this vmctx too.
            let _swaps = module.register_instance(self.vmctx.as_ptr() as usize);
            // Only the funcrefs compiled code can read (see `FuncRefs`);
            // the others stay zero.
            if !func_refs.image.is_empty() || func_refs.read.is_empty() {
                let vmctx = self.vmctx();
                assert!(func_refs.image_end <= self.layout.size(), "funcrefs past the end of the vmctx");
                let base = self.vmctx.as_ptr();
                for f in &func_refs.image {
                    // In the vmctx: checked above for the furthest one.
                    let p = base.add(f.at as usize).cast::<VMFuncRef>();
                    p.write(VMFuncRef {
                        native_call: f.native_call,
                        array_call: f.array_call,
                        vmctx,
                        type_index: f.type_index,
                        _pad: 0,
                    });
                }
                return;
            }
            for &(i, at) in &func_refs.read {
                let (i, t) = (i as usize, &func_refs.templates[i as usize]);
                let vmctx = if t.interpreted {
                    (&raw mut self.interp_ctxs[i]).cast::<VMContext>()
                } else {
                    self.vmctx()
                };
                self.ptr::<VMFuncRef>(at).write(VMFuncRef {
                    native_call: t.native_call.load(std::sync::atomic::Ordering::Acquire),
                    array_call: t.array_call,
                    vmctx,
                    type_index: t.type_index,
                    _pad: 0,
                });
            }
        }
    }

    /// Evaluates a constant expression; `None` if it names a global or
    /// function the instance does not have (the loader refuses such
    /// artifacts).
    pub fn eval_const(&self, expr: ConstExprRef<'_>) -> Option<ValRaw> {
        eval_const(
            expr,
            |g| {
                let global = self.global_ptr(g)?;
                // SAFETY: the global's definition is live and 16 bytes.
                Some(unsafe { ValRaw::u128(u128::from_le_bytes((*global).storage)) })
            },
            |f| self.func_ref(f).map(|f| f as usize),
        )
    }

    /// The funcref of any function of the instance; `None` for an index
    /// out of range.
    pub fn func_ref(&self, index: FuncIndex) -> Option<*mut VMFuncRef> {
        Some(self.ptr(self.module.func_ref_offset(index)?))
    }

    /// The storage of any global; `None` for an index out of range.
    pub fn global_ptr(&self, index: GlobalIndex) -> Option<*mut VMGlobalDefinition> {
        let offsets = self.module.offsets();
        let info = self.module.info();
        if index.as_u32() >= info.counts().globals {
            return None;
        }
        Some(match info.defined_global_index(index) {
            Some(def) => self.ptr(offsets.defined_global(def)),
            // SAFETY: the import slot (below the number of imported
            // globals, as the index is not a defined one) was filled at
            // creation.
            None => unsafe { (*self.ptr::<VMGlobalImport>(offsets.imported_global(index))).from },
        })
    }

    /// The definition and runtime object of any memory; `None` for an
    /// index out of range.
    pub fn memory_import(&self, index: MemoryIndex) -> Option<VMMemoryImport> {
        let offsets = self.module.offsets();
        Some(match self.module.info().defined_memory_index(index) {
            Some(def) => {
                let memory = self.memories.get(def)?;
                // SAFETY: instance-owned memories are only reached through
                // their `VmBox` pointers; reading the definition pointer
                // makes no lasting reference.
                VMMemoryImport { from: unsafe { memory.get() }.definition(), memory: memory.as_ptr() }
            }
            // SAFETY: the import slot (below the number of imported
            // memories, as the index is not a defined one) was filled at
            // creation.
            None => unsafe {
                let i = &*self.ptr::<VMMemoryImport>(offsets.imported_memory(index));
                VMMemoryImport { from: i.from, memory: i.memory }
            },
        })
    }

    /// The definition and runtime object of any table; `None` for an index
    /// out of range.
    pub fn table_import(&self, index: TableIndex) -> Option<VMTableImport> {
        let offsets = self.module.offsets();
        Some(match self.module.info().defined_table_index(index) {
            Some(def) => {
                let table = self.tables.get(def)?;
                // SAFETY: as for memories above.
                VMTableImport { from: unsafe { table.get() }.definition(), table: table.as_ptr() }
            }
            // SAFETY: the import slot (below the number of imported tables,
            // as the index is not a defined one) was filled at creation.
            None => unsafe {
                let i = &*self.ptr::<VMTableImport>(offsets.imported_table(index));
                VMTableImport { from: i.from, table: i.table }
            },
        })
    }

    /// `memory.grow` on any memory of the instance, after asking the
    /// store's limiter: the old size in pages, `Ok(None)` when refused.
    ///
    /// # Errors
    ///
    /// The limiter's error.
    ///
    /// # Safety
    ///
    /// As [`Limiter::growing`]: called from a builtin.
    pub unsafe fn memory_grow(
        &mut self,
        index: MemoryIndex,
        delta: u64,
        limiter: Option<Limiter>,
    ) -> anyhow::Result<Option<u64>> {
        let Some(import) = self.memory_import(index) else { anyhow::bail!("no memory {}", index.as_u32()) };
        let memory = import.memory;
        // SAFETY: the memory is owned by this instance or by an instance or
        // store that outlives it; nothing else borrows it while wasm runs.
        let memory = unsafe { &mut *memory };
        let Some(desired) = memory.desired_bytes(delta) else { return Ok(None) };
        if let Some(l) = limiter
            && delta != 0
            // SAFETY: per the contract.
            && !unsafe { l.growing(Growth::Memory, memory.byte_size(), desired, memory.declared_maximum())? }
        {
            return Ok(None);
        }
        Ok(memory.grow(delta))
    }

    /// Initializes defined globals, then applies active element and data
    /// segments in order, as instantiation does. A segment out of bounds
    /// stops with its trap (the error is a [`Trap`]); earlier segments stay
    /// applied (WebAssembly 2.0).
    ///
    /// # Errors
    ///
    /// The trap, or an index the module does not have (the loader refuses
    /// artifacts with those, so this is a last line of defence).
    pub fn initialize(&mut self) -> anyhow::Result<()> {
        let module = self.module.clone();
        let info = module.info();
        let counts = info.counts();
        let corrupt = |what: String| anyhow::Error::new(artifact::ArtifactError::Corrupt(what));
        let plan = module.segment_plan();
        for (index, known) in (counts.imported_globals..counts.globals).map(GlobalIndex::from_u32).zip(&plan.globals) {
            let value = known
                .or_else(|| self.eval_const(info.global_init(index)))
                .ok_or_else(|| corrupt(format!("the initializer of global {} names an index out of range", index.as_u32())))?;
            let p = self.global_ptr(index).expect("a defined global is in range");
            // SAFETY: the defined global's storage lies inside the vmctx.
            unsafe { (*p).storage = value.get_u128().to_le_bytes() };
        }
        // The planned tables: defined, so their writes may go first (no
        // segment of another table can observe them, even if it traps).
        for (def, writes) in &plan.tables {
            let base = self.vmctx.as_ptr() as usize;
            let table = self.tables[*def].as_ptr();
            // SAFETY: the instance owns the table; nothing else borrows it.
            let elements = unsafe { (*table).elements_mut() };
            for &(i, off) in writes.iter() {
                // In range: planned writes lie in the table's initial size,
                // and the funcref offsets inside the vmctx.
                elements[i as usize] = if off == u32::MAX { 0 } else { base + off as usize };
            }
        }
        // One buffer for every other segment's values.
        let mut values = Vec::new();
        for elem in (0..info.num_elems()).map(ElemIndex::new) {
            if plan.planned[elem.index()] {
                self.dropped_elems[elem.index()] = true;
                continue;
            }
            let seg = info.elem(elem);
            let (index, offset) = match seg.mode {
                SegmentModeRef::Passive => continue,
                SegmentModeRef::Declared => {
                    self.dropped_elems[elem.index()] = true;
                    continue;
                }
                SegmentModeRef::Active { index, offset } => (index, offset),
            };
            self.dropped_elems[elem.index()] = true;
            let bad = || corrupt(format!("element segment {} names an index out of range", elem.index()));
            let start = u64::from(self.eval_const(offset).ok_or_else(bad)?.get_i32() as u32);
            self.elem_values_into(seg.items, 0, seg.items.len(), &mut values).ok_or_else(bad)?;
            let table = self.table_import(index).ok_or_else(bad)?.table;
            // SAFETY: see `memory_grow`.
            unsafe { (*table).init(start, &values) }.ok_or(Trap::TableOutOfBounds)?;
        }
        for data in (0..info.num_data()).map(DataIndex::new) {
            if plan.in_image[data.index()] {
                // Mapped with the memory.
                self.dropped_data[data.index()] = true;
                continue;
            }
            let seg = info.data(data);
            let SegmentModeRef::Active { index, offset } = seg.mode else { continue };
            self.dropped_data[data.index()] = true;
            let bad = || corrupt(format!("data segment {} names an index out of range", data.index()));
            let start = self.eval_const(offset).ok_or_else(bad)?.get_i32() as u32 as usize;
            let memory = self.memory_import(index).ok_or_else(bad)?.memory;
            // SAFETY: see `memory_grow`.
            let bytes = unsafe { (*memory).data_mut() };
            let dst = start
                .checked_add(seg.data.len())
                .and_then(|end| bytes.get_mut(start..end))
                .ok_or(Trap::MemoryOutOfBounds)?;
            dst.copy_from_slice(seg.data);
        }
        Ok(())
    }

    /// Items `start..start + len` of an element segment as table values;
    /// `None` if one names a function or global out of range.
    fn elem_values(&self, items: ElemItemsRef<'_>, start: usize, len: usize) -> Option<Vec<usize>> {
        let mut values = Vec::new();
        self.elem_values_into(items, start, len, &mut values)?;
        Some(values)
    }

    /// [`Instance::elem_values`] into `out`, cleared first.
    fn elem_values_into(&self, items: ElemItemsRef<'_>, start: usize, len: usize, out: &mut Vec<usize>) -> Option<()> {
        out.clear();
        out.reserve(len);
        for i in start..start + len {
            out.push(match items.get(i) {
                ElemItem::Func(f) => self.func_ref(f)? as usize,
                ElemItem::Expr(e) => self.eval_const(e)?.get_ptr(),
            });
        }
        Some(())
    }

    fn memory_mut(&mut self, index: u32) -> Option<&mut Memory> {
        let memory = self.memory_import(MemoryIndex::from_u32(index))?.memory;
        // SAFETY: see `memory_grow`.
        Some(unsafe { &mut *memory })
    }

    fn table_mut(&mut self, index: u32) -> Option<&mut Table> {
        let table = self.table_import(TableIndex::from_u32(index))?.table;
        // SAFETY: see `memory_grow`.
        Some(unsafe { &mut *table })
    }

    /// `memory.copy`; `None` means out of bounds.
    pub fn memory_copy(&mut self, dst_mem: u32, dst: u64, src_mem: u32, src: u64, len: u64) -> Option<()> {
        let src_base = self.memory_mut(src_mem)?.data().as_ptr();
        let src_len = self.memory_mut(src_mem)?.byte_size();
        let dst_data = self.memory_mut(dst_mem)?.data_mut();
        let (dst, src, len) = (usize::try_from(dst).ok()?, usize::try_from(src).ok()?, usize::try_from(len).ok()?);
        if src.checked_add(len)? > src_len || dst.checked_add(len)? > dst_data.len() {
            return None;
        }
        // SAFETY: both ranges were checked to lie inside their memories;
        // `copy` allows them to overlap (same memory).
        unsafe { std::ptr::copy(src_base.add(src), dst_data.as_mut_ptr().add(dst), len) };
        Some(())
    }

    /// `memory.fill`.
    pub fn memory_fill(&mut self, mem: u32, dst: u64, byte: u8, len: u64) -> Option<()> {
        let data = self.memory_mut(mem)?.data_mut();
        let dst = usize::try_from(dst).ok()?;
        let end = dst.checked_add(usize::try_from(len).ok()?)?;
        data.get_mut(dst..end)?.fill(byte);
        Some(())
    }

    /// `memory.init`.
    pub fn memory_init(&mut self, mem: u32, data: u32, dst: u64, src: u32, len: u32) -> Option<()> {
        let module = self.module.clone();
        let bytes: &[u8] = if self.dropped_data[data as usize] { &[] } else { module.info().data(DataIndex::from_u32(data)).data };
        let src = src as usize;
        let seg = bytes.get(src..src.checked_add(len as usize)?)?;
        let memory = self.memory_mut(mem)?.data_mut();
        let dst = usize::try_from(dst).ok()?;
        memory.get_mut(dst..dst.checked_add(seg.len())?)?.copy_from_slice(seg);
        Some(())
    }

    /// `data.drop`.
    pub fn data_drop(&mut self, data: u32) {
        self.dropped_data[data as usize] = true;
    }

    /// `elem.drop`.
    pub fn elem_drop(&mut self, elem: u32) {
        self.dropped_elems[elem as usize] = true;
    }

    /// `table.copy`.
    pub fn table_copy(&mut self, dst_table: u32, src_table: u32, dst: u64, src: u64, len: u64) -> Option<()> {
        let values = {
            let table = self.table_mut(src_table)?;
            let end = src.checked_add(len)?;
            if end > table.size() {
                return None;
            }
            (src..end).map(|i| table.get(i)).collect::<Option<Vec<_>>>()?
        };
        self.table_mut(dst_table)?.init(dst, &values)
    }

    /// `table.init`.
    pub fn table_init(&mut self, table: u32, elem: u32, dst: u64, src: u32, len: u32) -> Option<()> {
        let module = self.module.clone();
        let seg = module.info().elem(ElemIndex::from_u32(elem));
        let available = if self.dropped_elems[elem as usize] { 0 } else { seg.items.len() };
        let (src, len) = (src as usize, len as usize);
        if src.checked_add(len)? > available {
            return None;
        }
        // `init` checks the destination range and writes all or nothing.
        let values = self.elem_values(seg.items, src, len)?;
        self.table_mut(table)?.init(dst, &values)
    }

    /// `table.grow`, after asking the store's limiter: the old size, or
    /// `Ok(None)` when refused.
    ///
    /// # Errors
    ///
    /// The limiter's error.
    ///
    /// # Safety
    ///
    /// As [`Limiter::growing`]: called from a builtin.
    pub unsafe fn table_grow(
        &mut self,
        table: u32,
        delta: u64,
        init: usize,
        limiter: Option<Limiter>,
    ) -> anyhow::Result<Option<u64>> {
        let Some(t) = self.table_mut(table) else { anyhow::bail!("no table {table}") };
        let current = usize::try_from(t.size()).unwrap_or(usize::MAX);
        let Some(desired) = usize::try_from(delta).ok().and_then(|d| d.checked_add(current)) else { return Ok(None) };
        let maximum = t.declared_maximum().map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        if let Some(l) = limiter
            && delta != 0
            // SAFETY: per the contract.
            && !unsafe { l.growing(Growth::Table, current, desired, maximum)? }
        {
            return Ok(None);
        }
        Ok(self.table_mut(table).and_then(|t| t.grow(delta, init)))
    }

    /// `table.fill`.
    pub fn table_fill(&mut self, table: u32, dst: u64, value: usize, len: u64) -> Option<()> {
        let t = self.table_mut(table)?;
        if dst.checked_add(len)? > t.size() {
            return None;
        }
        let values = vec![value; usize::try_from(len).ok()?];
        t.init(dst, &values)
    }
}
