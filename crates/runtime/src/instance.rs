#![allow(unsafe_code, reason = "instantiation hands raw store pointers to the vm layer")]

//! Instances: a module's functions, memories, tables and globals, linked
//! to its imports.

use crate::externals::{Extern, Global, Memory, Table};
use crate::func::{Func, TypedFunc, WasmParams, WasmResults};
use crate::module::Module;
use crate::store::{AsContextMut, StoreOpaque, Stored};
use crate::trap::WasmBacktrace;
use crate::vm;
use anyhow::{Result, anyhow, bail};
use std::ptr::NonNull;
use brisk_environ::{EntityIndex, EntityType, MemoryIndex, TableIndex, TableType, WASM_PAGE_SIZE};

/// An instantiated module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance(pub(crate) Stored);

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(max) => actual_max.is_some_and(|am| am <= max),
        }
}

impl Instance {
    /// Instantiates `module` with `imports`, given in the module's import
    /// order, and runs its start function.
    ///
    /// # Errors
    ///
    /// Fails if an import is missing or of the wrong type ("incompatible
    /// import type"), if a segment is out of bounds, or if the start
    /// function traps. On a trap after segments were written, the instance
    /// stays in the store (tables it wrote to may refer to it), as the
    /// spec requires.
    pub fn new(mut store: impl AsContextMut, module: &Module, imports: &[Extern]) -> Result<Instance> {
        let mut cx = store.as_context_mut();
        let inner = cx.inner();
        // The store's limiter decides on the initial sizes of the memories
        // and tables the instance defines, as on any growth.
        let info = module.info();
        let counts = info.counts();
        for index in (counts.imported_memories..counts.memories).map(MemoryIndex::from_u32) {
            let ty = info.memory(index);
            let bytes = |pages: u64| pages.checked_mul(WASM_PAGE_SIZE).and_then(|b| usize::try_from(b).ok());
            let minimum = bytes(ty.minimum).unwrap_or(usize::MAX);
            let maximum = ty.maximum.map(|m| bytes(m).unwrap_or(usize::MAX));
            if !inner.resource_growing(vm::Growth::Memory, 0, minimum, maximum)? {
                bail!("memory minimum size of {} pages exceeds memory limits", ty.minimum);
            }
        }
        for index in (counts.imported_tables..counts.tables).map(TableIndex::from_u32) {
            let ty = info.table(index);
            let elements = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
            if !inner.resource_growing(vm::Growth::Table, 0, elements(ty.minimum), ty.maximum.map(elements))? {
                bail!("table minimum size of {} elements exceeds table limits", ty.minimum);
            }
        }
        let store_ptr = cx.opaque_ptr();
        let (handle, start) = Self::create(store_ptr, cx.opaque(), module, imports)?;
        if let Some(start) = start {
            // SAFETY: start functions take and return nothing; the pointer
            // is the context's, and no reference into the store is live.
            unsafe { start.call_raw(cx.opaque_ptr(), &mut [])? };
        }
        Ok(handle)
    }

    /// Creates and initializes the instance in `store` (whose canonical
    /// pointer is `store_ptr`); returns it and its start function, which
    /// the caller runs with no reference into the store live.
    fn create(
        store_ptr: NonNull<StoreOpaque>,
        store: &mut StoreOpaque,
        module: &Module,
        imports: &[Extern],
    ) -> Result<(Instance, Option<Func>)> {
        if !crate::Engine::same(module.engine(), store.engine()) {
            bail!("module and store come from different engines");
        }
        let info = module.info();
        if imports.len() != info.imports().len() {
            bail!("expected {} imports, got {}", info.imports().len(), imports.len());
        }
        let mut resolved = vm::Imports::default();
        for (import, ext) in info.imports().zip(imports) {
            let what = || format!("incompatible import type for `{}::{}`", import.module, import.name);
            match (info.entity_type(import.index), ext) {
                (EntityType::Function(ty), Extern::Func(f)) => {
                    let expected = module.func_type(ty);
                    if store.funcs[store.check(f.0)].ty != expected {
                        bail!("{}: expected {}, found {}", what(), expected, store.funcs[store.check(f.0)].ty);
                    }
                    resolved.funcs.push(f.func_ref(store));
                }
                (EntityType::Table(ty), Extern::Table(t)) => {
                    let actual: TableType = store.tables[store.check(t.0)].ty;
                    let size = t.vm_size(store);
                    if actual.element != ty.element || !limits_match(size, actual.maximum, ty.minimum, ty.maximum) {
                        bail!("{}: table types differ", what());
                    }
                    resolved.tables.push(t.vm_import(store));
                }
                (EntityType::Memory(ty), Extern::Memory(m)) => {
                    let actual = store.memories[store.check(m.0)].ty;
                    let size = m.vm_size(store);
                    if actual.memory64 != ty.memory64
                        || actual.shared != ty.shared
                        || !limits_match(size, actual.maximum, ty.minimum, ty.maximum)
                    {
                        bail!("{}: memory types differ", what());
                    }
                    resolved.memories.push(m.vm_import(store));
                }
                (EntityType::Global(ty), Extern::Global(g)) => {
                    if store.globals[store.check(g.0)].ty != ty {
                        bail!("{}: global types differ", what());
                    }
                    resolved.globals.push(g.vm_import(store));
                }
                _ => bail!("{}: wrong kind of item", what()),
            }
        }
        let index = store.instances.len();
        if module.has_bytecode() && store.interp.is_none() {
            store.interp = Some(vm::VmBox::new(vm::new_interp_stack()));
        }
        // SAFETY: the imports were type-checked above and are owned by this
        // store, which also owns the new instance; the store pointer is the
        // canonical one.
        let instance = unsafe { vm::Instance::new(module, resolved, store_ptr.as_ptr().cast(), store.limits.as_ptr(), index)? };
        store.instances.push(instance);
        let handle = Instance(store.stored(index));
        // SAFETY: the instance is new: nothing else refers to it yet.
        let vm_instance = unsafe { store.instances[index].get_mut() };
        vm_instance
            .initialize()
            .map_err(|e| if e.is::<brisk_environ::Trap>() { e.context(WasmBacktrace::default()) } else { e })?;
        let Some(start) = info.start() else { return Ok((handle, None)) };
        // In range: the loader checks the start function.
        let func_ref =
            vm_instance.func_ref(start).ok_or_else(|| anyhow!("start function {} out of range", start.as_u32()))?;
        // SAFETY: the funcref is in the instance's vmctx, owned by the store.
        let func = unsafe { Func::from_func_ref(store, func_ref) };
        Ok((handle, Some(func)))
    }

    fn vm<'a>(&self, store: &'a StoreOpaque) -> &'a vm::Instance {
        // SAFETY: the store is borrowed for 'a, and references into an
        // instance are only made through its store.
        unsafe { store.instances[store.check(self.0)].get() }
    }

    /// The export called `name`.
    pub fn get_export(&self, mut store: impl AsContextMut, name: &str) -> Option<Extern> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        let index = self.vm(store).module().export_index(name)?;
        self.export(store, index)
    }

    /// The entity an export names; `None` for an index out of range, which
    /// the loader refuses.
    fn export(&self, store: &mut StoreOpaque, index: EntityIndex) -> Option<Extern> {
        store.export(store.check(self.0), index)
    }

    /// All exports, in order.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        let module = self.vm(store).module().clone();
        module.info().exports().filter_map(|(name, index)| Some((name.to_string(), self.export(store, index)?))).collect()
    }

    /// The exported function called `name`.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function called `name`, with static types.
    ///
    /// # Errors
    ///
    /// Fails if there is no such function or its type differs.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let f = self.get_func(&mut store, name).ok_or_else(|| anyhow!("no exported function `{name}`"))?;
        f.typed(&store)
    }

    /// The exported memory called `name`.
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported table called `name`.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// The exported global called `name`.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }
}

