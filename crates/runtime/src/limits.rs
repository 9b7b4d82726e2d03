//! Resource limits: a store's say in how far memories and tables grow.

use anyhow::{Result, bail};

/// Decides whether a store's memories and tables may grow, as Wasmtime's
/// trait of the same name: installed with [`Store::limiter`](crate::Store::limiter)
/// and asked before every growth (instantiation, `memory.grow`,
/// `table.grow`, and the host API's `grow`).
///
/// Returning `Ok(false)` refuses the growth: `memory.grow` and `table.grow`
/// return -1, instantiation fails. Returning an error ends the running wasm
/// call with that error.
pub trait ResourceLimiter {
    /// A memory wants to grow from `current` to `desired` bytes; `maximum`
    /// is its declared maximum in bytes, if any.
    ///
    /// # Errors
    ///
    /// An error aborts the operation that grows the memory and is returned
    /// from the call into wasm.
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool>;

    /// A table wants to grow from `current` to `desired` elements.
    ///
    /// # Errors
    ///
    /// As [`ResourceLimiter::memory_growing`].
    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool>;
}

/// A [`ResourceLimiter`] with fixed limits, built by [`StoreLimitsBuilder`].
#[derive(Clone, Debug, Default)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    trap_on_grow_failure: bool,
}

/// Builds [`StoreLimits`]. Every limit is off unless set.
#[derive(Clone, Debug, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// No limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Most bytes any one linear memory may have.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// Most elements any one table may have.
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// Trap instead of returning -1 when a growth is refused. Default: off.
    pub fn trap_on_grow_failure(mut self, trap: bool) -> Self {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

impl StoreLimits {
    fn allow(&self, what: &str, limit: Option<usize>, desired: usize, maximum: Option<usize>) -> Result<bool> {
        let allowed = limit.is_none_or(|l| desired <= l) && maximum.is_none_or(|m| desired <= m);
        if !allowed && self.trap_on_grow_failure {
            bail!("forcing a trap when growing a {what} to {desired}: the store's limit refuses it");
        }
        Ok(allowed)
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        self.allow("memory", self.memory_size, desired, maximum)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        self.allow("table", self.table_elements, desired, maximum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_beyond_the_limit_and_the_maximum() {
        let mut l = StoreLimitsBuilder::new().memory_size(1 << 20).table_elements(10).build();
        assert!(l.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!l.memory_growing(0, (1 << 20) + 1, None).unwrap());
        assert!(!l.memory_growing(0, 100, Some(99)).unwrap());
        assert!(l.table_growing(0, 10, None).unwrap());
        assert!(!l.table_growing(0, 11, None).unwrap());
        let mut t = StoreLimitsBuilder::new().memory_size(10).trap_on_grow_failure(true).build();
        assert!(t.memory_growing(0, 11, None).is_err());
    }
}
