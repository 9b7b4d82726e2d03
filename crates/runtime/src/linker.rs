//! Linkers: resolve a module's imports by name.

use crate::externals::Extern;
use crate::func::{Caller, Func, HostBody, IntoFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{AsContextMut, StoreContextMut};
use crate::values::Val;
use crate::{Engine, FuncType};
use anyhow::{Result, anyhow, bail};
use std::collections::HashMap;

enum Definition<T> {
    Extern(Extern),
    HostFunc(FuncType, HostBody<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(ty, f) => Definition::HostFunc(ty.clone(), f.clone()),
        }
    }
}

/// Names for imports: `(module, name)` pairs bound to store items or to
/// host functions, from which modules are instantiated.
pub struct Linker<T> {
    engine: Engine,
    map: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker { engine: engine.clone(), map: HashMap::new(), allow_shadowing: false }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Allow later definitions to replace earlier ones of the same name.
    /// Default: off (a duplicate is an error).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<()> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.map.contains_key(&key) {
            bail!("import `{module}::{name}` is defined twice");
        }
        self.map.insert(key, def);
        Ok(())
    }

    /// Defines `module::name` as a store item.
    ///
    /// # Errors
    ///
    /// Fails on a duplicate without shadowing.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))?;
        Ok(self)
    }

    /// Defines a host function with a dynamic signature.
    ///
    /// # Errors
    ///
    /// Fails on a duplicate without shadowing.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::HostFunc(ty, HostBody::dynamic(func)))?;
        Ok(self)
    }

    /// Defines a host function from a typed Rust closure.
    ///
    /// # Errors
    ///
    /// Fails on a duplicate without shadowing.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, f) = func.into_func();
        self.insert(module, name, Definition::HostFunc(ty, f))?;
        Ok(self)
    }

    /// Defines every export of `instance` under the module name `module`.
    ///
    /// # Errors
    ///
    /// Fails on a duplicate without shadowing.
    pub fn instance(&mut self, mut store: impl AsContextMut<Data = T>, module: &str, instance: Instance) -> Result<&mut Self> {
        for (name, ext) in instance.exports(&mut store) {
            self.define(module, &name, ext)?;
        }
        Ok(self)
    }

    /// The item defined as `module::name`, created in `store` if it is a
    /// host function.
    pub fn get(&self, mut store: impl AsContextMut<Data = T>, module: &str, name: &str) -> Option<Extern> {
        let def = self.map.get(&(module.to_string(), name.to_string()))?;
        Some(self.materialize(store.as_context_mut(), def))
    }

    fn materialize(&self, store: StoreContextMut<'_, T>, def: &Definition<T>) -> Extern {
        match def {
            Definition::Extern(e) => *e,
            Definition::HostFunc(ty, f) => Extern::Func(Func::with_body(store, ty.clone(), f.clone())),
        }
    }

    /// Instantiates `module`, resolving each import by name.
    ///
    /// # Errors
    ///
    /// Fails with "unknown import" if a name is not defined, or as
    /// [`Instance::new`] does.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>, module: &Module) -> Result<Instance> {
        let mut imports = Vec::new();
        for (m, n, _) in module.imports() {
            let def = self
                .map
                .get(&(m.to_string(), n.to_string()))
                .ok_or_else(|| anyhow!("unknown import: `{m}::{n}` has not been defined"))?;
            imports.push(self.materialize(store.as_context_mut(), def));
        }
        Instance::new(store, module, &imports)
    }
}
