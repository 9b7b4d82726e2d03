//! Memories, tables, globals, and the `Extern` that holds any of them.

use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreOpaque, Stored};
use crate::values::Val;
use crate::vm::{self, VMGlobalDefinition};
use anyhow::{Result, anyhow, bail};
use brisk_environ::{GlobalType, MemoryType, TableType};

/// Anything an instance can import or export.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self { Some(f) } else { None }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self { Some(g) } else { None }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self { Some(t) } else { None }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self { Some(m) } else { None }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

/// A linear memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory(pub(crate) Stored);

impl Memory {
    /// A new memory owned by the store.
    ///
    /// # Errors
    ///
    /// Fails if the minimum is larger than the maximum or than Brisk
    /// supports, or if the OS refuses the reservation.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        if ty.maximum.is_some_and(|max| max < ty.minimum) {
            bail!("memory minimum exceeds its maximum");
        }
        let tunables = store.engine.config().tunables.clone();
        let memory = vm::Memory::new(&ty, &tunables).map_err(|e| anyhow!("cannot create memory: {e:?}"))?;
        Ok(Memory(store.add_host_memory(memory, ty)))
    }

    fn vm<'a>(&self, store: &'a StoreOpaque) -> &'a vm::Memory {
        store.memories[store.check(self.0)].memory.get(store)
    }

    fn vm_mut<'a>(&self, store: &'a mut StoreOpaque) -> &'a mut vm::Memory {
        let memory = store.memories[store.check(self.0)].memory;
        memory.get_mut(store)
    }

    /// The memory's type (with its declared minimum).
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let store = store.as_context().0;
        store.memories[store.check(self.0)].ty
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.vm(store.as_context().0).pages()
    }

    /// Current size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.vm(store.as_context().0).byte_size()
    }

    /// The memory's contents.
    pub fn data<'a, T: 'a>(&self, store: impl Into<crate::StoreContext<'a, T>>) -> &'a [u8] {
        let store = store.into().0;
        self.vm(store).data()
    }

    /// The memory's contents, mutably.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<crate::StoreContextMut<'a, T>>) -> &'a mut [u8] {
        let store = store.into().into_inner();
        self.vm_mut(store).data_mut()
    }

    /// The memory's contents and the embedder's data, both mutably: what a
    /// host function needs to serve a guest's buffers from its own state.
    pub fn data_and_store_mut<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContextMut<'a, T>>,
    ) -> (&'a mut [u8], &'a mut T) {
        let inner = store.into().into_inner();
        // The store's runtime part and its data are separate fields, so the
        // two borrows are disjoint (and the bytes live in their own mapping).
        (self.vm_mut(&mut inner.opaque).data_mut(), &mut inner.data)
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    ///
    /// # Errors
    ///
    /// Fails if the range is out of bounds.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let data = self.vm(store.as_context().0).data();
        let src = offset.checked_add(buf.len()).and_then(|end| data.get(offset..end));
        buf.copy_from_slice(src.ok_or_else(|| anyhow!("out of bounds memory access"))?);
        Ok(())
    }

    /// Copies `buf` into memory at `offset`.
    ///
    /// # Errors
    ///
    /// Fails if the range is out of bounds.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let data = self.vm_mut(store.as_context_mut().into_inner()).data_mut();
        let dst = offset.checked_add(buf.len()).and_then(|end| data.get_mut(offset..end));
        dst.ok_or_else(|| anyhow!("out of bounds memory access"))?.copy_from_slice(buf);
        Ok(())
    }

    /// Grows by `delta` pages, returning the old size.
    ///
    /// # Errors
    ///
    /// Fails if the memory would exceed its maximum.
    /// Asks the store's [`ResourceLimiter`](crate::ResourceLimiter) first.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let inner = store.as_context_mut().into_inner();
        let refused = || anyhow!("failed to grow memory by {delta} pages");
        if delta != 0 {
            let memory = self.vm(&inner.opaque);
            let (current, maximum) = (memory.byte_size(), memory.declared_maximum());
            let desired = memory.desired_bytes(delta).ok_or_else(refused)?;
            if !inner.resource_growing(vm::Growth::Memory, current, desired, maximum)? {
                return Err(refused());
            }
        }
        self.vm_mut(&mut inner.opaque).grow(delta).ok_or_else(refused)
    }

    pub(crate) fn vm_size(&self, store: &StoreOpaque) -> u64 {
        self.vm(store).pages()
    }

    pub(crate) fn vm_import(&self, store: &StoreOpaque) -> vm::VMMemoryImport {
        let memory = store.memories[store.check(self.0)].memory.as_ptr();
        vm::VMMemoryImport { from: self.vm(store).definition(), memory }
    }
}

impl<'a, T> From<&'a crate::Store<T>> for crate::StoreContext<'a, T> {
    fn from(s: &'a crate::Store<T>) -> Self {
        s.as_context()
    }
}
impl<'a, T> From<&'a mut crate::Store<T>> for crate::StoreContext<'a, T> {
    fn from(s: &'a mut crate::Store<T>) -> Self {
        let s: &'a crate::Store<T> = s;
        s.as_context()
    }
}
impl<'a, T> From<&'a mut crate::Store<T>> for crate::StoreContextMut<'a, T> {
    fn from(s: &'a mut crate::Store<T>) -> Self {
        s.as_context_mut()
    }
}
impl<'a, T> From<&'a mut crate::Caller<'_, T>> for crate::StoreContext<'a, T> {
    fn from(s: &'a mut crate::Caller<'_, T>) -> Self {
        let s: &'a crate::Caller<'_, T> = s;
        s.as_context()
    }
}
impl<'a, T> From<&'a mut crate::Caller<'_, T>> for crate::StoreContextMut<'a, T> {
    fn from(s: &'a mut crate::Caller<'_, T>) -> Self {
        s.as_context_mut()
    }
}
/// A table of references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(pub(crate) Stored);

impl Table {
    /// A new table owned by the store, every element `init`.
    ///
    /// # Errors
    ///
    /// Fails if `init` does not match the element type or the table is too
    /// large.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        if init.ty() != ty.element {
            bail!("table initial value is a {}, expected {}", init.ty(), ty.element);
        }
        let raw = init.to_raw(store).get_ptr();
        let table = vm::Table::new(&ty, raw).ok_or_else(|| anyhow!("table is too large"))?;
        Ok(Table(store.add_host_table(table, ty)))
    }

    fn vm<'a>(&self, store: &'a StoreOpaque) -> &'a vm::Table {
        store.tables[store.check(self.0)].table.get(store)
    }

    fn vm_mut<'a>(&self, store: &'a mut StoreOpaque) -> &'a mut vm::Table {
        let table = store.tables[store.check(self.0)].table;
        table.get_mut(store)
    }

    /// The table's type.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let store = store.as_context().0;
        store.tables[store.check(self.0)].ty
    }

    /// Number of elements.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.vm(store.as_context().0).size()
    }

    /// Element `index`, or `None` if out of bounds.
    pub fn get(&self, mut store: impl AsContextMut, index: u64) -> Option<Val> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        let raw = self.vm(store).get(index)?;
        let ty = store.tables[store.check(self.0)].ty;
        Some(Val::from_raw(store, vm::ValRaw::ptr(raw), ty.element))
    }

    /// Sets element `index`.
    ///
    /// # Errors
    ///
    /// Fails if out of bounds or of the wrong type.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, val: Val) -> Result<()> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        let ty = store.tables[store.check(self.0)].ty;
        if val.ty() != ty.element {
            bail!("value is a {}, table holds {}", val.ty(), ty.element);
        }
        let raw = val.to_raw(store).get_ptr();
        self.vm_mut(store).set(index, raw).ok_or_else(|| anyhow!("table index out of bounds"))
    }

    /// Grows by `delta` elements of `init`, returning the old size.
    ///
    /// # Errors
    ///
    /// Fails beyond the maximum or on a type mismatch.
    /// Asks the store's [`ResourceLimiter`](crate::ResourceLimiter) first.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let inner = store.as_context_mut().into_inner();
        let refused = || anyhow!("failed to grow table by {delta}");
        let ty = inner.opaque.tables[inner.opaque.check(self.0)].ty;
        if init.ty() != ty.element {
            bail!("value is a {}, table holds {}", init.ty(), ty.element);
        }
        if delta != 0 {
            let table = self.vm(&inner.opaque);
            let current = usize::try_from(table.size()).unwrap_or(usize::MAX);
            let desired = usize::try_from(delta).ok().and_then(|d| d.checked_add(current)).ok_or_else(refused)?;
            let maximum = table.declared_maximum().map(|m| usize::try_from(m).unwrap_or(usize::MAX));
            if !inner.resource_growing(vm::Growth::Table, current, desired, maximum)? {
                return Err(refused());
            }
        }
        let store = &mut inner.opaque;
        let raw = init.to_raw(store).get_ptr();
        self.vm_mut(store).grow(delta, raw).ok_or_else(refused)
    }

    pub(crate) fn vm_size(&self, store: &StoreOpaque) -> u64 {
        self.vm(store).size()
    }

    pub(crate) fn vm_import(&self, store: &StoreOpaque) -> vm::VMTableImport {
        let table = store.tables[store.check(self.0)].table.as_ptr();
        vm::VMTableImport { from: self.vm(store).definition(), table }
    }
}

/// A global variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Global(pub(crate) Stored);

impl Global {
    /// A new global owned by the store.
    ///
    /// # Errors
    ///
    /// Fails if `val` does not match the type.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        if val.ty() != ty.content {
            bail!("global value is a {}, expected {}", val.ty(), ty.content);
        }
        let storage = val.to_raw(store).get_u128().to_le_bytes();
        Ok(Global(store.add_host_global(VMGlobalDefinition { storage }, ty)))
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let store = store.as_context().0;
        store.globals[store.check(self.0)].ty
    }

    /// The current value.
    pub fn get(&self, mut store: impl AsContextMut) -> Val {
        let store = &mut store.as_context_mut().into_inner().opaque;
        let data = &store.globals[store.check(self.0)];
        let ty = data.ty.content;
        let raw = vm::ValRaw::u128(u128::from_le_bytes(data.def.get(store).storage));
        Val::from_raw(store, raw, ty)
    }

    /// Sets the value.
    ///
    /// # Errors
    ///
    /// Fails if the global is immutable or `val` has the wrong type.
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<()> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        let data = &store.globals[store.check(self.0)];
        if !data.ty.mutable {
            bail!("immutable global cannot be set");
        }
        if val.ty() != data.ty.content {
            bail!("value is a {}, global holds {}", val.ty(), data.ty.content);
        }
        let bytes = val.to_raw(store).get_u128().to_le_bytes();
        let def = store.globals[store.check(self.0)].def;
        def.get_mut(store).storage = bytes;
        Ok(())
    }

    pub(crate) fn vm_import(&self, store: &StoreOpaque) -> vm::VMGlobalImport {
        vm::VMGlobalImport { from: store.globals[store.check(self.0)].def.as_ptr() }
    }
}

