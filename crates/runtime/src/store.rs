#![allow(unsafe_code, reason = "the store owns the raw runtime objects compiled code uses")]

//! Stores: the owners of all runtime state.

use crate::engine::Engine;
use crate::limits::ResourceLimiter;
use crate::vm::{self, StorePtr, VMArrayCallHostFuncContext, VMFuncRef, VMGlobalDefinition, VMRuntimeLimits, VmBox};
use brisk_environ::{EntityIndex, FuncType, GlobalType, MemoryType, TableType};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

/// The hasher of the handle table: its keys are addresses of the store's
/// own objects, so a multiply-rotate hash (FxHash's) is enough, and
/// host functions look exports up on every call (WASI's `memory`), where
/// SipHash showed up in profiles.
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Identifies a store, so that handles from one store are refused by
/// another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StoreId(u64);

impl StoreId {
    fn fresh() -> StoreId {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        StoreId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A handle's index into its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stored {
    pub(crate) store: StoreId,
    pub(crate) index: usize,
}

pub(crate) struct FuncData {
    pub(crate) func_ref: StorePtr<VMFuncRef>,
    pub(crate) ty: FuncType,
}

pub(crate) struct MemoryData {
    pub(crate) memory: StorePtr<vm::Memory>,
    pub(crate) ty: MemoryType,
}

pub(crate) struct TableData {
    pub(crate) table: StorePtr<vm::Table>,
    pub(crate) ty: TableType,
}

pub(crate) struct GlobalData {
    pub(crate) def: StorePtr<VMGlobalDefinition>,
    pub(crate) ty: GlobalType,
}

/// A memory created by the host, with the definition compiled code reads.
pub(crate) struct HostMemory {
    pub(crate) def: VmBox<vm::VMMemoryDefinition>,
    pub(crate) memory: VmBox<vm::Memory>,
}

/// A table created by the host.
pub(crate) struct HostTable {
    pub(crate) def: VmBox<vm::VMTableDefinition>,
    pub(crate) table: VmBox<vm::Table>,
}

/// The part of a store that does not depend on `T`.
pub struct StoreOpaque {
    pub(crate) id: StoreId,
    pub(crate) engine: Engine,
    // `VmBox`es: vmctx headers, funcrefs and tables point into these, so
    // they must not move when the vectors grow, and are only ever reached
    // through their raw pointers (see `vm::VmBox`).
    pub(crate) limits: VmBox<VMRuntimeLimits>,
    pub(crate) instances: Vec<VmBox<vm::Instance>>,
    pub(crate) host_funcs: Vec<VmBox<VMArrayCallHostFuncContext>>,
    pub(crate) host_memories: Vec<HostMemory>,
    pub(crate) host_tables: Vec<HostTable>,
    pub(crate) host_globals: Vec<VmBox<VMGlobalDefinition>>,
    /// Host values behind externrefs; freed with the store.
    pub(crate) extern_data: Vec<VmBox<vm::VMExternData>>,
    /// Externref handles: the data each points to.
    pub(crate) externrefs: Vec<StorePtr<vm::VMExternData>>,
    pub(crate) funcs: Vec<FuncData>,
    pub(crate) memories: Vec<MemoryData>,
    pub(crate) tables: Vec<TableData>,
    pub(crate) globals: Vec<GlobalData>,
    /// Dedupes handles: the address of the runtime object -> its index.
    pub(crate) handles: HashMap<(u8, usize), usize, BuildHasherDefault<AddrHasher>>,
    /// The embedder's resource limiter, as builtins call it.
    pub(crate) limiter: Option<vm::Limiter>,
    /// The interpreter's stack, made when the first module with
    /// interpreted functions is instantiated.
    pub(crate) interp: Option<VmBox<brisk_interp::exec::Stack>>,
}

// SAFETY: all raw pointers in a store point to memory the store owns (or
// to modules it keeps alive); the store moves between threads as a whole.
unsafe impl Send for StoreOpaque {}
// SAFETY: shared access to a store only reads.
unsafe impl Sync for StoreOpaque {}
// SAFETY: every `StorePtr` in the store's tables is made below, by the
// `add_*` and `push_*` functions, from objects the store owns (its `VmBox`es
// and its instances' memories, tables, globals and funcrefs); the API
// reaches them only through borrows of the store, never while its wasm runs.
unsafe impl vm::StoreOwner for StoreOpaque {}

impl StoreOpaque {
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn stored(&self, index: usize) -> Stored {
        Stored { store: self.id, index }
    }

    /// Panics unless `s` belongs to this store: using a handle with the
    /// wrong store is a programming error, as in Wasmtime.
    pub(crate) fn check(&self, s: Stored) -> usize {
        assert_eq!(s.store, self.id, "object used with the wrong store");
        s.index
    }

    fn dedupe(&mut self, kind: u8, addr: usize, push: impl FnOnce(&mut Self) -> usize) -> usize {
        if let Some(i) = self.handles.get(&(kind, addr)) {
            return *i;
        }
        let i = push(self);
        self.handles.insert((kind, addr), i);
        i
    }

    /// Records a funcref.
    ///
    /// # Safety
    ///
    /// `func_ref` points at a live funcref the store owns: in one of its
    /// instances' vmctxs or host-function contexts.
    pub(crate) unsafe fn push_func(&mut self, func_ref: *const VMFuncRef, ty: FuncType) -> Stored {
        // SAFETY: per the contract.
        let func_ref = unsafe { StorePtr::new(func_ref.cast_mut()) };
        let i = self.dedupe(0, func_ref.as_ptr() as usize, |s| {
            s.funcs.push(FuncData { func_ref, ty });
            s.funcs.len() - 1
        });
        self.stored(i)
    }

    /// Records a funcref of a type read from it.
    ///
    /// # Safety
    ///
    /// As [`StoreOpaque::push_func`].
    pub(crate) unsafe fn push_func_ref(&mut self, func_ref: *const VMFuncRef) -> Stored {
        // SAFETY: per the contract.
        let ptr = unsafe { StorePtr::new(func_ref.cast_mut()) };
        let ty = self.func_ref_type(ptr);
        // SAFETY: per the contract.
        unsafe { self.push_func(func_ref, ty) }
    }

    fn push_memory(&mut self, memory: StorePtr<vm::Memory>, ty: MemoryType) -> Stored {
        let i = self.dedupe(1, memory.as_ptr() as usize, |s| {
            s.memories.push(MemoryData { memory, ty });
            s.memories.len() - 1
        });
        self.stored(i)
    }

    fn push_table(&mut self, table: StorePtr<vm::Table>, ty: TableType) -> Stored {
        let i = self.dedupe(2, table.as_ptr() as usize, |s| {
            s.tables.push(TableData { table, ty });
            s.tables.len() - 1
        });
        self.stored(i)
    }

    fn push_global(&mut self, def: StorePtr<VMGlobalDefinition>, ty: GlobalType) -> Stored {
        let i = self.dedupe(3, def.as_ptr() as usize, |s| {
            s.globals.push(GlobalData { def, ty });
            s.globals.len() - 1
        });
        self.stored(i)
    }

    /// Records an externref.
    ///
    /// # Safety
    ///
    /// `data` is externref data the store owns (from one of its `VmBox`es,
    /// as wasm of this store can only hold those).
    pub(crate) unsafe fn push_externref(&mut self, data: *mut vm::VMExternData) -> Stored {
        // SAFETY: per the contract.
        let data = unsafe { StorePtr::new(data) };
        let i = self.dedupe(4, data.as_ptr() as usize, |s| {
            s.externrefs.push(data);
            s.externrefs.len() - 1
        });
        self.stored(i)
    }

    /// A memory created by the host, owned by the store.
    pub(crate) fn add_host_memory(&mut self, memory: vm::Memory, ty: MemoryType) -> Stored {
        let host = HostMemory {
            def: VmBox::new(vm::VMMemoryDefinition { base: std::ptr::null_mut(), current_length: 0 }),
            memory: VmBox::new(memory),
        };
        // SAFETY: the memory is new and unshared; the definition lives as
        // long as it, beside it in the store.
        unsafe { host.memory.get_mut().set_definition(host.def.as_ptr()) };
        // SAFETY: the store owns the memory from here on.
        let ptr = unsafe { StorePtr::new(host.memory.as_ptr()) };
        self.host_memories.push(host);
        self.push_memory(ptr, ty)
    }

    /// A table created by the host, owned by the store.
    pub(crate) fn add_host_table(&mut self, table: vm::Table, ty: TableType) -> Stored {
        let host = HostTable {
            def: VmBox::new(vm::VMTableDefinition { base: std::ptr::null_mut(), current_elements: 0 }),
            table: VmBox::new(table),
        };
        // SAFETY: as for memories.
        unsafe { host.table.get_mut().set_definition(host.def.as_ptr()) };
        // SAFETY: the store owns the table from here on.
        let ptr = unsafe { StorePtr::new(host.table.as_ptr()) };
        self.host_tables.push(host);
        self.push_table(ptr, ty)
    }

    /// A global created by the host, owned by the store.
    pub(crate) fn add_host_global(&mut self, def: VMGlobalDefinition, ty: GlobalType) -> Stored {
        let def = VmBox::new(def);
        // SAFETY: the store owns the definition from here on.
        let ptr = unsafe { StorePtr::new(def.as_ptr()) };
        self.host_globals.push(def);
        self.push_global(ptr, ty)
    }

    /// Externref data created by the host, owned by the store.
    pub(crate) fn add_extern_data(&mut self, data: vm::VMExternData) -> Stored {
        let data = VmBox::new(data);
        let ptr = data.as_ptr();
        self.extern_data.push(data);
        // SAFETY: the store owns the data from here on.
        unsafe { self.push_externref(ptr) }
    }

    /// A host function's context, owned by the store; its funcref points
    /// back at it.
    pub(crate) fn add_host_func(&mut self, ctx: VMArrayCallHostFuncContext, ty: FuncType) -> Stored {
        let ctx = VmBox::new(ctx);
        let ctx_ptr = ctx.as_ptr();
        // SAFETY: the context is new and unshared; its funcref points back
        // at it through the pointer every later access derives from.
        let func_ref: *const VMFuncRef = unsafe {
            (*ctx_ptr).func_ref.vmctx = ctx_ptr.cast();
            &raw const (*ctx_ptr).func_ref
        };
        self.host_funcs.push(ctx);
        // SAFETY: the funcref is in a context the store now owns.
        unsafe { self.push_func(func_ref, ty) }
    }

    /// The entity export `index` of instance `instance` names; `None` for
    /// an index out of range (which the loader refuses).
    pub(crate) fn export(&mut self, instance: usize, index: EntityIndex) -> Option<crate::Extern> {
        use crate::{Extern, Func, Global, Memory, Table};
        // SAFETY: the instance is owned by the store, borrowed here; the
        // pointers taken from it are to objects it (or, for imports, another
        // instance or the store) owns.
        let vm_instance = unsafe { self.instances.get(instance)?.get() };
        let module = vm_instance.module().clone();
        let info = module.info();
        Some(match index {
            EntityIndex::Function(f) => {
                let func_ref = vm_instance.func_ref(f)?;
                let ty = info.func_type(info.func_type_index(f));
                // SAFETY: a funcref in the instance's vmctx.
                Extern::Func(Func(unsafe { self.push_func(func_ref, ty) }))
            }
            EntityIndex::Memory(m) => {
                // SAFETY: see above.
                let ptr = unsafe { StorePtr::new(vm_instance.memory_import(m)?.memory) };
                Extern::Memory(Memory(self.push_memory(ptr, info.memory(m))))
            }
            EntityIndex::Table(t) => {
                // SAFETY: see above.
                let ptr = unsafe { StorePtr::new(vm_instance.table_import(t)?.table) };
                Extern::Table(Table(self.push_table(ptr, info.table(t))))
            }
            EntityIndex::Global(g) => {
                // SAFETY: see above.
                let ptr = unsafe { StorePtr::new(vm_instance.global_ptr(g)?) };
                Extern::Global(Global(self.push_global(ptr, info.global(g))))
            }
        })
    }

    /// The function type behind a funcref's shared type id.
    pub(crate) fn func_ref_type(&self, func_ref: StorePtr<VMFuncRef>) -> FuncType {
        let id = func_ref.get(self).type_index;
        self.engine.shared_type(id).expect("funcref type ids are registered with the engine")
    }
}

/// Everything a store holds: the `T`-independent part first, so a
/// `*mut StoreOpaque` taken from a vmctx can be cast back by code that
/// knows `T`.
#[repr(C)]
pub struct StoreInner<T> {
    pub(crate) opaque: StoreOpaque,
    pub(crate) data: T,
    limiter: Option<LimiterFn<T>>,
}

type LimiterFn<T> = Box<dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync>;

impl<T> StoreInner<T> {
    /// Asks the embedder's limiter whether `what` may grow.
    pub(crate) fn resource_growing(
        &mut self,
        what: vm::Growth,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> anyhow::Result<bool> {
        let Some(get) = self.limiter.as_mut() else { return Ok(true) };
        let limiter = get(&mut self.data);
        match what {
            vm::Growth::Memory => limiter.memory_growing(current, desired, maximum),
            vm::Growth::Table => limiter.table_growing(current, desired, maximum),
        }
    }
}

/// The limiter hook builtins call, monomorphized for the store's data.
///
/// # Safety
///
/// `store` is the `StoreInner<T>` the hook was installed in, alive, and no
/// reference into it is in use (builtins run while the host waits in a call
/// into wasm).
unsafe fn limiter_hook<T>(
    store: *mut u8,
    what: vm::Growth,
    current: usize,
    desired: usize,
    maximum: Option<usize>,
) -> anyhow::Result<bool> {
    // SAFETY: per the contract.
    let inner = unsafe { &mut *store.cast::<StoreInner<T>>() };
    inner.resource_growing(what, current, desired, maximum)
}

impl<T> std::ops::Deref for StoreInner<T> {
    type Target = StoreOpaque;
    fn deref(&self) -> &StoreOpaque {
        &self.opaque
    }
}

impl<T> std::ops::DerefMut for StoreInner<T> {
    fn deref_mut(&mut self) -> &mut StoreOpaque {
        &mut self.opaque
    }
}

/// All runtime state of a group of instances: their memories, tables,
/// globals and host functions, plus the embedder's data `T`. Dropping the
/// store frees everything in it.
///
/// # Aliasing across calls into wasm
///
/// While wasm runs, host functions and builtins reach the store through
/// raw pointers kept in vmctxs and funcrefs, and take their own `&mut` to
/// it. So the store lives in a [`VmBox`] whose pointer is the *canonical*
/// one: every pointer handed to compiled code is a copy of it, and every
/// access, from the API or from a host function, is a short reborrow of it
/// ([`StoreContextMut`] holds the pointer, not a reference). The rule that
/// makes this sound: no reference into the store is live across a call
/// into wasm. `Func::call_raw` takes the pointer, not a reference, so the
/// borrow checker enforces it for every caller.
pub struct Store<T> {
    inner: VmBox<StoreInner<T>>,
}

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("instances", &self.inner().instances.len()).finish_non_exhaustive()
    }
}

impl<T> Store<T> {
    /// A new store for `engine`, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let limits = VmBox::new(VMRuntimeLimits::default());
        // SAFETY: the limits are new and unshared; the counter lives in the
        // engine, which the store keeps alive, and compiled code only reads it.
        unsafe { *limits.get().epoch_counter.get() = engine.epoch_counter() };
        Store {
            inner: VmBox::new(StoreInner {
                opaque: StoreOpaque {
                    id: StoreId::fresh(),
                    engine: engine.clone(),
                    limits,
                    instances: Vec::new(),
                    host_funcs: Vec::new(),
                    host_memories: Vec::new(),
                    host_tables: Vec::new(),
                    host_globals: Vec::new(),
                    extern_data: Vec::new(),
                    externrefs: Vec::new(),
                    funcs: Vec::new(),
                    memories: Vec::new(),
                    tables: Vec::new(),
                    globals: Vec::new(),
                    handles: HashMap::default(),
                    limiter: None,
                    interp: None,
                },
                data,
                limiter: None,
            }),
        }
    }

    fn inner(&self) -> &StoreInner<T> {
        // SAFETY: `&self` excludes `&mut Store`, the only way to reach the
        // store mutably outside a call into wasm, and a call into wasm needs
        // `&mut Store`.
        unsafe { self.inner.get() }
    }

    fn inner_mut(&mut self) -> &mut StoreInner<T> {
        // SAFETY: `&mut self` is exclusive, and no reference into the store
        // outlives a call into wasm (see the type's docs).
        unsafe { self.inner.get_mut() }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.inner().data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner_mut().data
    }

    /// Consumes the store, returning the embedder's data.
    pub fn into_data(self) -> T {
        self.inner.into_inner().data
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner().engine
    }

    /// Sets the fuel left to `fuel`. Every operator costs fuel (see
    /// `brisk_environ::fuel_cost`: Wasmtime's costs); wasm that runs out
    /// traps with [`Trap::OutOfFuel`](crate::Trap::OutOfFuel). A new store
    /// has none.
    ///
    /// # Errors
    ///
    /// Fails unless the engine was configured with
    /// [`Config::consume_fuel`](crate::Config::consume_fuel).
    pub fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        self.check_fuel_enabled()?;
        let fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
        // SAFETY: no wasm of this store runs while the host holds `&mut self`.
        unsafe { *self.inner().limits.get().fuel_consumed.get() = -fuel };
        Ok(())
    }

    /// The fuel left.
    ///
    /// # Errors
    ///
    /// As [`Store::set_fuel`].
    pub fn get_fuel(&self) -> anyhow::Result<u64> {
        self.check_fuel_enabled()?;
        // SAFETY: as in `set_fuel`; read only.
        let consumed = unsafe { *self.inner().limits.get().fuel_consumed.get() };
        Ok(u64::try_from(consumed.saturating_neg()).unwrap_or(0))
    }

    fn check_fuel_enabled(&self) -> anyhow::Result<()> {
        if !self.inner().engine.config().tunables.consume_fuel {
            anyhow::bail!("fuel is not configured in this store: enable Config::consume_fuel");
        }
        Ok(())
    }

    /// Sets the epoch deadline `ticks` beyond the engine's current epoch:
    /// once [`Engine::increment_epoch`] has been called that often, wasm
    /// of this store traps with [`Trap::Interrupt`](crate::Trap::Interrupt)
    /// at its next function entry or loop header. Needs
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption);
    /// a new store's deadline is 0, so it traps at once until set.
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let deadline = self.inner().engine.current_epoch().saturating_add(ticks);
        // SAFETY: as in `set_fuel`.
        unsafe { *self.inner().limits.get().epoch_deadline.get() = deadline };
    }

    /// Installs a resource limiter: `get` returns it from the store's data,
    /// and it is asked before any memory or table of the store grows.
    pub fn limiter(&mut self, get: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static) {
        let store = self.inner.as_ptr();
        let inner = self.inner_mut();
        inner.limiter = Some(Box::new(get));
        inner.opaque.limiter = Some(vm::Limiter { hook: limiter_hook::<T>, store: store.cast() });
    }
}

/// A shared borrow of a store.
pub struct StoreContext<'a, T>(pub(crate) &'a StoreInner<T>);

/// An exclusive borrow of a store: its canonical pointer, reborrowed for
/// each access (see [`Store`] on aliasing across calls into wasm).
pub struct StoreContextMut<'a, T> {
    ptr: NonNull<StoreInner<T>>,
    _borrow: PhantomData<&'a mut StoreInner<T>>,
}

impl<'a, T> StoreContextMut<'a, T> {
    /// A context for the store at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is a store's canonical pointer, the store outlives `'a`, and
    /// for `'a` nothing else accesses it but through this context (or
    /// through contexts made while this one is lent to a call into wasm).
    pub(crate) unsafe fn from_raw(ptr: NonNull<StoreInner<T>>) -> Self {
        StoreContextMut { ptr, _borrow: PhantomData }
    }

    /// The canonical pointer, for a call into wasm.
    pub(crate) fn as_ptr(&self) -> NonNull<StoreInner<T>> {
        self.ptr
    }

    /// The store, for as long as the context is borrowed.
    pub(crate) fn inner(&mut self) -> &mut StoreInner<T> {
        // SAFETY: per `from_raw`; `&mut self` keeps this reborrow the only
        // one made through this context while it lives.
        unsafe { self.ptr.as_mut() }
    }

    /// The store, for all of `'a`: for results that borrow from it (such as
    /// a memory's bytes) and for code that makes no call into wasm.
    pub(crate) fn into_inner(self) -> &'a mut StoreInner<T> {
        // SAFETY: per `from_raw`, consuming the context.
        unsafe { &mut *self.ptr.as_ptr() }
    }

    /// The store's `T`-independent part.
    pub(crate) fn opaque(&mut self) -> &mut StoreOpaque {
        &mut self.inner().opaque
    }

    /// The canonical pointer to the `T`-independent part (the first field
    /// of a `#[repr(C)]` struct: the same address, the same provenance).
    pub(crate) fn opaque_ptr(&self) -> NonNull<StoreOpaque> {
        self.ptr.cast()
    }
}

impl<T> StoreContext<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.0.data
    }
}

impl<T> StoreContextMut<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        // SAFETY: a shared reborrow for the life of `&self`, per `from_raw`.
        unsafe { &self.ptr.as_ref().data }
    }
    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner().data
    }
}

/// Anything that can lend a store: `&Store<T>`, `Caller<T>`, ...
pub trait AsContext {
    /// The store's data type.
    type Data;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that can lend a store mutably.
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.inner())
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        let ptr = NonNull::new(self.inner.as_ptr()).expect("a VmBox pointer is not null");
        // SAFETY: the canonical pointer, with the store borrowed mutably
        // for the context's lifetime.
        unsafe { StoreContextMut::from_raw(ptr) }
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        // SAFETY: a shared reborrow for the life of `&self`, per `from_raw`.
        StoreContext(unsafe { self.ptr.as_ref() })
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        // SAFETY: the same canonical pointer, lent for the life of `&mut self`.
        unsafe { StoreContextMut::from_raw(self.ptr) }
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}
