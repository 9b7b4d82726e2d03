//! The store's resource limiter as the runtime core calls it: builtins
//! reach it through the vmctx's store pointer, without knowing the store's
//! data type.

use anyhow::Result;

/// What is about to grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Growth {
    /// A linear memory (sizes in bytes).
    Memory,
    /// A table (sizes in elements).
    Table,
}

/// A store's limiter: a function monomorphized for the store's data type,
/// and the store it was installed in.
#[derive(Clone, Copy, Debug)]
pub struct Limiter {
    /// Asks the embedder's `ResourceLimiter`.
    pub hook: unsafe fn(store: *mut u8, what: Growth, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool>,
    /// The whole `StoreInner<T>` the hook was made for.
    pub store: *mut u8,
}

impl Limiter {
    /// May `what` grow from `current` to `desired`?
    ///
    /// # Safety
    ///
    /// The store must be alive and no reference to its data may be in use:
    /// only call this from a builtin that compiled code entered.
    pub unsafe fn growing(&self, what: Growth, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        // SAFETY: per the contract; the hook was made for this store.
        unsafe { (self.hook)(self.store, what, current, desired, maximum) }
    }
}
