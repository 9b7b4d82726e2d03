//! External references: host values passed through wasm.

use crate::store::{AsContextMut, StoreContext, StoreOpaque, Stored};
use crate::vm::VMExternData;
use anyhow::Result;
use std::any::Any;

/// A reference to a host value of any `'static + Send + Sync` type, as
/// wasm's `externref`. The value is owned by the store and lives until the
/// store is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternRef(pub(crate) Stored);

impl ExternRef {
    /// Moves `value` into the store and returns a reference to it.
    ///
    /// # Errors
    ///
    /// None today; the `Result` keeps the signature of runtimes that
    /// collect externrefs.
    pub fn new<T: Any + Send + Sync>(mut store: impl AsContextMut, value: T) -> Result<ExternRef> {
        let store = &mut store.as_context_mut().into_inner().opaque;
        Ok(ExternRef(store.add_extern_data(VMExternData { value: Box::new(value) })))
    }

    /// The host value.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a (dyn Any + Send + Sync) {
        let store: &'a StoreOpaque = &store.into().0.opaque;
        &*store.externrefs[store.check(self.0)].get(store).value
    }

    pub(crate) fn raw(&self, store: &StoreOpaque) -> *mut VMExternData {
        store.externrefs[store.check(self.0)].as_ptr()
    }
}
