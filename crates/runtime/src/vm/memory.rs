//! Linear memories.
//!
//! ```text
//!   base                      current_length          reservation   + guard
//!    |<------ read/write ------>|<------ PROT_NONE ------>|<-- PROT_NONE -->|
//! ```
//!
//! A memory reserves its whole address range up front (4 GiB plus a guard
//! region for a 32-bit memory with the default tunables), commits pages as
//! it grows, and never moves: compiled code may keep its base in a register
//! and an out-of-bounds access faults on an inaccessible page.

use super::mmap::{Mmap, page_size, round_up_to_page};
use super::pool::{ImageKey, MemoryPool, Slot};
use super::vmcontext::VMMemoryDefinition;
use brisk_environ::artifact::MemoryImageRef;
use brisk_environ::{MemoryType, Tunables, WASM_PAGE_SIZE};

/// A linear memory owned by an instance or by a store.
#[derive(Debug)]
pub struct Memory {
    /// The reservation: owned (unmapped on drop), or a view of a pool slot.
    mmap: std::mem::ManuallyDrop<Mmap>,
    /// The pool slot the memory lives in, given back on drop.
    pooled: Option<(std::sync::Arc<MemoryPool>, Slot)>,
    /// Accessible bytes (a multiple of the host page size, at least
    /// `current_length`).
    accessible: usize,
    /// Current length in bytes (whole wasm pages).
    current_length: usize,
    /// Largest length in bytes the memory may reach.
    maximum: usize,
    /// The type's declared maximum in bytes, as resource limiters see it.
    declared_maximum: Option<usize>,
    /// The definition compiled code reads; kept in sync with the length.
    def: *mut VMMemoryDefinition,
}

// SAFETY: `def` points into the vmctx or box of the memory's owner, which
// moves between threads together with the memory (as part of one store).
unsafe impl Send for Memory {}
// SAFETY: as above; shared references never write through `def`.
unsafe impl Sync for Memory {}

/// Why a memory could not be created.
#[derive(Debug)]
pub enum MemoryError {
    /// The minimum exceeds what the implementation allows.
    TooLarge,
    /// The OS refused the reservation.
    Os(std::io::Error),
    /// The pooling allocator's slots (this many) are all in use.
    PoolExhausted(usize),
    /// The memory's image could not be mapped.
    Image(std::io::Error),
}

impl Drop for Memory {
    fn drop(&mut self) {
        match self.pooled.take() {
            // The view is not unmapped: the slot goes back to its pool.
            Some((pool, slot)) => slot.release(&pool),
            // SAFETY: dropped once, here; nothing uses the mapping after.
            None => unsafe { std::mem::ManuallyDrop::drop(&mut self.mmap) },
        }
    }
}

/// The sizes of a memory of some type under some tunables, in bytes.
struct Sizes {
    /// The initial length.
    minimum: usize,
    /// The most it may grow to.
    maximum: usize,
    /// The address space it reserves, guard included.
    total: usize,
    /// Readable and writable at first: the initial length in pages.
    accessible: usize,
    /// The type's declared maximum, for resource limiters.
    declared_maximum: Option<usize>,
}

impl Sizes {
    fn of(ty: &MemoryType, tunables: &Tunables) -> Result<Sizes, MemoryError> {
        let page = usize::try_from(WASM_PAGE_SIZE).map_err(|_| MemoryError::TooLarge)?;
        let max_pages = usize::try_from(ty.max_pages()).map_err(|_| MemoryError::TooLarge)?;
        let maximum = max_pages.checked_mul(page).ok_or(MemoryError::TooLarge)?;
        let minimum = usize::try_from(ty.minimum)
            .ok()
            .and_then(|m| m.checked_mul(page))
            .filter(|m| *m <= maximum)
            .ok_or(MemoryError::TooLarge)?;
        let reservation = usize::try_from(tunables.memory_reservation).map_err(|_| MemoryError::TooLarge)?;
        let guard = usize::try_from(tunables.memory_guard_size).map_err(|_| MemoryError::TooLarge)?;
        // A memory never moves, so it reserves the whole reservation (never
        // less: compiled code that elides bounds checks relies on every
        // 32-bit index landing inside it) plus the guard region.
        let reserve = reservation.max(minimum);
        Ok(Sizes {
            minimum,
            maximum: maximum.min(reserve),
            total: reserve.checked_add(guard).ok_or(MemoryError::TooLarge)?,
            accessible: round_up_to_page(minimum).ok_or(MemoryError::TooLarge)?,
            declared_maximum: ty.maximum.and_then(|m| usize::try_from(m).ok()?.checked_mul(page)),
        })
    }
}

impl Memory {
    fn with(mmap: Mmap, pooled: Option<(std::sync::Arc<MemoryPool>, Slot)>, sizes: Sizes) -> Memory {
        Memory {
            mmap: std::mem::ManuallyDrop::new(mmap),
            pooled,
            accessible: sizes.accessible,
            current_length: sizes.minimum,
            maximum: sizes.maximum,
            declared_maximum: sizes.declared_maximum,
            def: std::ptr::null_mut(),
        }
    }

    /// Creates a memory of type `ty` with `ty.minimum` pages. `def` is left
    /// pointing nowhere until [`Memory::set_definition`].
    pub fn new(ty: &MemoryType, tunables: &Tunables) -> Result<Memory, MemoryError> {
        Memory::reserved(Sizes::of(ty, tunables)?)
    }

    /// A memory of `sizes` in a reservation of its own.
    fn reserved(sizes: Sizes) -> Result<Memory, MemoryError> {
        let mut mmap = Mmap::reserve(sizes.total).map_err(MemoryError::Os)?;
        mmap.make_accessible(0, sizes.accessible).map_err(MemoryError::Os)?;
        Ok(Memory::with(mmap, None, sizes))
    }

    /// Creates a memory of `sizes` in a slot of `pool`, holding `image`
    /// (mapped from `file`) if given.
    ///
    /// # Errors
    ///
    /// Every slot is in use, the memory does not fit a slot, or the OS
    /// refused a reservation, a protection change or the image's mapping.
    ///
    /// # Safety
    ///
    /// As [`Memory::map_image`].
    unsafe fn in_pool(
        sizes: Sizes,
        pool: &std::sync::Arc<MemoryPool>,
        image: Option<(ImageKey, &std::fs::File, MemoryImageRef)>,
    ) -> Result<Memory, MemoryError> {
        if sizes.total > pool.slot_size() {
            return Err(MemoryError::TooLarge);
        }
        let Some(mut slot) = pool.take(image.map(|(k, _, _)| k)) else {
            return Err(if pool.is_warm() {
                MemoryError::Os(std::io::Error::other("cannot reserve address space for a memory"))
            } else {
                MemoryError::PoolExhausted(pool.len())
            });
        };
        // SAFETY: the caller vouches for the image's file.
        if let Err(e) = unsafe { slot.prepare(sizes.accessible, image) } {
            slot.release(pool);
            return Err(MemoryError::Os(e));
        }
        // SAFETY: the slot is this memory's until it gives it back, and the
        // view is never unmapped (the pool owns the reservation).
        let mmap = unsafe { Mmap::view(slot.base, pool.slot_size()) };
        Ok(Memory::with(mmap, Some((pool.clone(), slot)), sizes))
    }

    /// An instance's memory of type `ty`, holding `image` (mapped from its
    /// file, keyed for pool slots) if given: in a slot of `pool` (the
    /// pooling allocator's, or the on-demand allocator's warm ones), or in
    /// a reservation of its own if it is larger than the on-demand
    /// allocator's slots (with the default reservation, no 32-bit memory).
    ///
    /// # Errors
    ///
    /// As [`Memory::new`]; every slot of the pooling allocator is in use
    /// or the memory does not fit one; [`MemoryError::Image`] if the image
    /// cannot be mapped.
    ///
    /// # Safety
    ///
    /// As [`Memory::map_image`].
    pub unsafe fn for_instance(
        ty: &MemoryType,
        tunables: &Tunables,
        pool: &std::sync::Arc<MemoryPool>,
        image: Option<(ImageKey, &std::fs::File, MemoryImageRef)>,
    ) -> Result<Memory, MemoryError> {
        let sizes = Sizes::of(ty, tunables)?;
        if !pool.is_warm() || sizes.total <= pool.slot_size() {
            // SAFETY: the caller vouches for the image's file.
            return unsafe { Memory::in_pool(sizes, pool, image) };
        }
        let mut memory = Memory::reserved(sizes)?;
        if let Some((_, file, image)) = image {
            // SAFETY: as above.
            unsafe { memory.map_image(file, image) }.map_err(MemoryError::Image)?;
        }
        Ok(memory)
    }

    /// Makes a fresh memory hold `image`, mapped copy-on-write from `file`:
    /// no page is read or copied until touched, and a page written becomes
    /// the memory's own.
    ///
    /// # Safety
    ///
    /// The image's bytes in `file` must not change while the memory lives.
    pub unsafe fn map_image(&mut self, file: &std::fs::File, image: MemoryImageRef) -> std::io::Result<()> {
        // The loader checked that the image lies in the initial size.
        if image.memory_offset.checked_add(image.len).is_none_or(|end| end > self.current_length) {
            return Err(std::io::Error::other("memory image outside the memory"));
        }
        // SAFETY: the caller vouches for the file.
        unsafe { self.mmap.map_file_over(image.memory_offset, image.len, file, image.file_offset) }
    }

    /// Points the memory at the definition compiled code reads, and fills
    /// it in.
    ///
    /// # Safety
    ///
    /// `def` must be valid for writes for as long as this memory lives.
    pub unsafe fn set_definition(&mut self, def: *mut VMMemoryDefinition) {
        self.def = def;
        // SAFETY: the caller guarantees `def` is valid for writes.
        unsafe { self.sync_definition() };
    }

    /// # Safety
    ///
    /// `self.def` is null or valid for writes.
    unsafe fn sync_definition(&mut self) {
        if !self.def.is_null() {
            let def = self.def;
            // SAFETY: the caller guarantees `def` is valid for writes.
            unsafe {
                (*def).base = self.mmap.as_ptr();
                (*def).current_length = self.current_length;
            }
        }
    }

    /// The definition compiled code reads.
    pub fn definition(&self) -> *mut VMMemoryDefinition {
        self.def
    }

    /// Current length in bytes.
    pub fn byte_size(&self) -> usize {
        self.current_length
    }

    /// Current length in wasm pages.
    pub fn pages(&self) -> u64 {
        (self.current_length as u64) / WASM_PAGE_SIZE
    }

    /// The declared maximum in bytes, if any.
    pub fn declared_maximum(&self) -> Option<usize> {
        self.declared_maximum
    }

    /// The size in bytes that growing by `delta` pages asks for (`None`
    /// when it cannot even be represented).
    pub fn desired_bytes(&self, delta: u64) -> Option<usize> {
        usize::try_from(delta.checked_mul(WASM_PAGE_SIZE)?).ok()?.checked_add(self.current_length)
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` if
    /// the memory cannot grow that far (the spec's `-1`).
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old_pages = self.pages();
        if delta == 0 {
            return Some(old_pages);
        }
        let new_len = usize::try_from(delta)
            .ok()?
            .checked_mul(usize::try_from(WASM_PAGE_SIZE).ok()?)?
            .checked_add(self.current_length)?;
        if new_len > self.maximum {
            return None;
        }
        let new_accessible = round_up_to_page(new_len)?;
        if new_accessible > self.accessible {
            self.mmap.make_accessible(self.accessible, new_accessible - self.accessible).ok()?;
            self.accessible = new_accessible;
            if let Some((_, slot)) = &mut self.pooled {
                slot.grew(new_accessible);
            }
        }
        self.current_length = new_len;
        // SAFETY: `def` was set by the owner to storage that outlives us.
        unsafe { self.sync_definition() };
        debug_assert_eq!(self.accessible % page_size(), 0);
        Some(old_pages)
    }

    /// The memory's bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: the first `current_length` bytes are mapped read/write
        // for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.mmap.as_ptr(), self.current_length) }
    }

    /// The memory's bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and `&mut self` makes the access unique
        // among Rust references (wasm code is not running while the host
        // holds this borrow).
        unsafe { std::slice::from_raw_parts_mut(self.mmap.as_ptr(), self.current_length) }
    }
}
