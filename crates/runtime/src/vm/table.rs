//! Tables of references.

use super::vmcontext::VMTableDefinition;
use brisk_environ::TableType;

/// Largest number of elements a table may have in Brisk (an implementation
/// limit, as the spec allows).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table owned by an instance or by a store. Elements are pointers:
/// `*const VMFuncRef` for funcref tables, null for a null reference.
#[derive(Debug)]
pub struct Table {
    elements: Vec<usize>,
    maximum: u64,
    /// The type's declared maximum, as resource limiters see it.
    declared_maximum: Option<u64>,
    def: *mut VMTableDefinition,
}

// SAFETY: `def` points into the vmctx or box of the table's owner, which
// moves between threads together with the table (as part of one store).
unsafe impl Send for Table {}
// SAFETY: as above; shared references never write through `def`.
unsafe impl Sync for Table {}

impl Table {
    /// Creates a table of `ty.minimum` elements, each `init`.
    pub fn new(ty: &TableType, init: usize) -> Option<Table> {
        if ty.minimum > MAX_TABLE_ELEMENTS {
            return None;
        }
        let len = usize::try_from(ty.minimum).ok()?;
        Some(Table {
            elements: vec![init; len],
            maximum: ty.maximum.unwrap_or(u64::from(u32::MAX)).min(MAX_TABLE_ELEMENTS),
            declared_maximum: ty.maximum,
            def: std::ptr::null_mut(),
        })
    }

    /// Points the table at the definition compiled code reads.
    ///
    /// # Safety
    ///
    /// `def` must be valid for writes for as long as this table lives.
    pub unsafe fn set_definition(&mut self, def: *mut VMTableDefinition) {
        self.def = def;
        // SAFETY: the caller guarantees `def` is valid.
        unsafe { self.sync_definition() };
    }

    /// # Safety
    ///
    /// `self.def` is null or valid for writes.
    unsafe fn sync_definition(&mut self) {
        if !self.def.is_null() {
            // SAFETY: the caller guarantees `def` is valid for writes.
            unsafe {
                (*self.def).base = self.elements.as_mut_ptr();
                (*self.def).current_elements = self.elements.len();
            }
        }
    }

    /// The definition compiled code reads.
    pub fn definition(&self) -> *mut VMTableDefinition {
        self.def
    }

    /// The elements, to fill in place.
    pub fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
    }

    /// Current number of elements.
    pub fn size(&self) -> u64 {
        self.elements.len() as u64
    }

    /// Element `index`.
    pub fn get(&self, index: u64) -> Option<usize> {
        self.elements.get(usize::try_from(index).ok()?).copied()
    }

    /// Sets element `index`; `None` if out of bounds.
    pub fn set(&mut self, index: u64, value: usize) -> Option<()> {
        *self.elements.get_mut(usize::try_from(index).ok()?)? = value;
        Some(())
    }

    /// Writes `values` starting at `index`, all or nothing.
    pub fn init(&mut self, index: u64, values: &[usize]) -> Option<()> {
        let start = usize::try_from(index).ok()?;
        let end = start.checked_add(values.len())?;
        self.elements.get_mut(start..end)?.copy_from_slice(values);
        Some(())
    }

    /// The declared maximum, if any.
    pub fn declared_maximum(&self) -> Option<u64> {
        self.declared_maximum
    }

    /// Grows by `delta` elements of `init`; returns the old size or `None`.
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.maximum {
            return None;
        }
        self.elements.resize(usize::try_from(new).ok()?, init);
        // SAFETY: `def` was set by the owner to storage that outlives us.
        unsafe { self.sync_definition() };
        Some(old)
    }
}
