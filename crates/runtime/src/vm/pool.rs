//! Linear memories' slots, each as large as a memory's reservation plus its
//! guard, handed to instances and taken back without `mmap` or `munmap`:
//! the pooling allocator's, cut from one address-space reservation, and
//! the on-demand allocator's few warm ones, each a reservation of its own
//! (a memory dropped leaves its reservation for the next one, up to a few).
//!
//! A slot keeps what its last memory left mapped: a memory image (mapped
//! copy-on-write from its module's file) and the pages made accessible.
//! Releasing a slot is one `madvise(MADV_DONTNEED)` over the accessible
//! pages, which gives anonymous pages back as zeros and image pages back as
//! the file's bytes; the next memory of the same module and size in that
//! slot then needs no system call at all, and others one or two (change
//! the accessible size, replace the image). A new memory prefers a free
//! slot that last held the same module's image.

use super::mmap::{Mmap, page_size};
use brisk_environ::artifact::MemoryImageRef;
use std::sync::Mutex;

/// Which image a slot holds: the module's unique id and the memory's
/// index (ids are never reused, so a dropped module's id matches nothing).
pub type ImageKey = (u64, u32);

/// What a free slot still has mapped.
#[derive(Clone, Copy, Debug, Default)]
struct SlotState {
    /// Bytes from the slot's start that are readable and writable.
    accessible: usize,
    /// The image mapped at the slot's start (`memory_offset`, `len`).
    image: Option<(ImageKey, usize, usize)>,
}

/// The memory slots of an engine: the pooling allocator's, or the on-demand
/// allocator's warm reservations.
#[derive(Debug)]
pub struct MemoryPool {
    kind: Kind,
    slot_size: usize,
    state: Mutex<PoolState>,
}

#[derive(Debug)]
enum Kind {
    /// The pooling allocator: `slots` slots cut from one reservation.
    Fixed { mmap: Mmap, slots: usize },
    /// The on-demand allocator: a reservation of its own per slot, made
    /// when no free one is left, of which at most `keep` free ones are
    /// kept (reset, as the pool's are) instead of being unmapped.
    Warm { keep: usize },
}

#[derive(Debug, Default)]
struct PoolState {
    free: Vec<u32>,
    slots: Vec<SlotState>,
    /// Warm slots' reservations, by slot (`None`: given back to the
    /// system; the index is reused).
    maps: Vec<Option<Mmap>>,
    /// Indices of `maps` that are `None`.
    holes: Vec<u32>,
}

/// A slot taken from the pool: where it is, and what it still holds.
#[derive(Debug)]
pub struct Slot {
    pub index: u32,
    pub base: *mut u8,
    /// The slot's size in bytes.
    len: usize,
    accessible: usize,
    image: Option<(ImageKey, usize, usize)>,
}

impl MemoryPool {
    /// Reserves `slots` slots of `slot_size` bytes (rounded up to pages).
    pub fn new(slots: u32, slot_size: usize) -> std::io::Result<MemoryPool> {
        let slot_size = super::mmap::round_up_to_page(slot_size).ok_or_else(|| std::io::Error::other("slot too large"))?;
        let total = slot_size
            .checked_mul(slots as usize)
            .ok_or_else(|| std::io::Error::other("memory pool larger than the address space"))?;
        let mmap = Mmap::reserve(total)?;
        let state = PoolState {
            free: (0..slots).rev().collect(),
            slots: vec![SlotState::default(); slots as usize],
            ..PoolState::default()
        };
        Ok(MemoryPool { kind: Kind::Fixed { mmap, slots: slots as usize }, slot_size, state: Mutex::new(state) })
    }

    /// The on-demand allocator's slots of `slot_size` bytes: reserved one
    /// at a time as memories need them, and at most `keep` free ones kept
    /// for the next memories (address space, not memory: a free slot's
    /// pages are given back to the system).
    pub fn warm(keep: usize, slot_size: usize) -> std::io::Result<MemoryPool> {
        let slot_size = super::mmap::round_up_to_page(slot_size).ok_or_else(|| std::io::Error::other("slot too large"))?;
        Ok(MemoryPool { kind: Kind::Warm { keep }, slot_size, state: Mutex::default() })
    }

    /// Bytes per slot: the most a pooled memory can reserve, guard included.
    pub fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// Takes a free slot, preferring one that holds `key`'s image; `None`
    /// if every slot is in use (or, for warm slots, if the system refuses
    /// a new reservation).
    pub fn take(&self, key: Option<ImageKey>) -> Option<Slot> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.free.is_empty()
            && let Kind::Warm { .. } = self.kind
        {
            // A new reservation, outside the lock (a system call).
            drop(state);
            let mmap = Mmap::reserve(self.slot_size).ok()?;
            let base = mmap.as_ptr();
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let index = match state.holes.pop() {
                Some(i) => {
                    state.maps[i as usize] = Some(mmap);
                    state.slots[i as usize] = SlotState::default();
                    i
                }
                None => {
                    state.maps.push(Some(mmap));
                    state.slots.push(SlotState::default());
                    u32::try_from(state.maps.len() - 1).ok()?
                }
            };
            return Some(Slot { index, base, len: self.slot_size, accessible: 0, image: None });
        }
        // Affinity: among the most recently freed slots.
        let recent = state.free.len().saturating_sub(16);
        let at = key
            .and_then(|k| state.free[recent..].iter().rposition(|&s| state.slots[s as usize].image.is_some_and(|i| i.0 == k)))
            .map(|i| recent + i);
        let index = match at {
            Some(i) => state.free.swap_remove(i),
            None => state.free.pop()?,
        };
        let s = state.slots[index as usize];
        let base = match &self.kind {
            // SAFETY: `index` is below the number of slots, so the slot lies
            // in the reservation.
            Kind::Fixed { mmap, .. } => unsafe { mmap.as_ptr().add(index as usize * self.slot_size) },
            // A free warm slot has its reservation.
            Kind::Warm { .. } => state.maps[index as usize].as_ref()?.as_ptr(),
        };
        Some(Slot { index, base, len: self.slot_size, accessible: s.accessible, image: s.image })
    }

    /// Gives a slot back, its contents reset; a warm slot beyond the ones
    /// kept goes back to the system.
    fn give_back(&self, index: u32, state: SlotState) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Kind::Warm { keep } = self.kind
            && s.free.len() >= keep
        {
            let mmap = s.maps[index as usize].take();
            s.holes.push(index);
            drop(s);
            if let Some(mmap) = mmap {
                super::unmapper::defer(super::unmapper::Deferred { before: None, mmap, file: None });
            }
            return;
        }
        s.slots[index as usize] = state;
        s.free.push(index);
    }

    /// Are these the on-demand allocator's warm slots (which never run
    /// out) rather than the pooling allocator's?
    pub fn is_warm(&self) -> bool {
        matches!(self.kind, Kind::Warm { .. })
    }

    /// Number of slots (the pooling allocator's: all it will ever have).
    pub fn len(&self) -> usize {
        match &self.kind {
            Kind::Fixed { slots, .. } => *slots,
            Kind::Warm { .. } => self.state.lock().unwrap_or_else(|e| e.into_inner()).maps.len(),
        }
    }
}

impl Slot {
    /// Makes the slot's first `accessible` bytes readable and writable and
    /// the rest inaccessible, holding `image` (mapped from `file`) or no
    /// image, with every other accessible byte zero.
    ///
    /// # Safety
    ///
    /// As [`super::Memory::map_image`]: the image's bytes in `file` must
    /// not change while the slot holds them.
    pub unsafe fn prepare(
        &mut self,
        accessible: usize,
        image: Option<(ImageKey, &std::fs::File, MemoryImageRef)>,
    ) -> std::io::Result<()> {
        debug_assert!(accessible.is_multiple_of(page_size()));
        // SAFETY: the slot lies in a reservation its pool owns, and this
        // view of it is never dropped (so never unmapped).
        let mut slot = std::mem::ManuallyDrop::new(unsafe { Mmap::view(self.base, self.len) });
        let wanted = image.map(|(k, _, i)| (k, i.memory_offset, i.len));
        if self.image.is_some() && self.image != wanted {
            // Another image: replace the whole accessible part with fresh
            // anonymous memory (its old image goes with it).
            slot.reset(0, self.accessible.max(page_size()))?;
            self.accessible = 0;
            self.image = None;
        }
        if accessible > self.accessible {
            slot.make_accessible(self.accessible, accessible - self.accessible)?;
        } else if accessible < self.accessible {
            slot.make_inaccessible(accessible, self.accessible - accessible)?;
        }
        self.accessible = accessible;
        if let Some((key, file, i)) = image
            && self.image != wanted
        {
            // SAFETY: the caller vouches for the file (the loader checked
            // that the image lies in the memory's initial size, so in the
            // accessible part).
            unsafe { slot.map_file_over(i.memory_offset, i.len, file, i.file_offset)? };
            self.image = Some((key, i.memory_offset, i.len));
        }
        Ok(())
    }

    /// The memory using the slot grew to `accessible` bytes.
    pub fn grew(&mut self, accessible: usize) {
        self.accessible = accessible;
    }

    /// Resets the slot (anonymous pages back to zero, image pages back to
    /// the image) and returns it to `pool`.
    pub fn release(self, pool: &MemoryPool) {
        let mut state = SlotState { accessible: self.accessible, image: self.image };
        // SAFETY: the range is the slot's accessible part, which nothing
        // refers to any more (its memory is being dropped).
        if self.accessible > 0 && unsafe { libc::madvise(self.base.cast(), self.accessible, libc::MADV_DONTNEED) } != 0 {
            // Not reset: make it inaccessible and forget the image, so that
            // `prepare` maps fresh memory over it.
            state = SlotState { accessible: self.accessible, image: Some(((u64::MAX, 0), 0, 0)) };
        }
        pool.give_back(self.index, state);
    }
}
