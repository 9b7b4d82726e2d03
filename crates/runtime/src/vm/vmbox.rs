//! `VmBox`: ownership of a runtime object that compiled code and the
//! runtime reach through raw pointers.
//!
//! A `Box` is a unique owner: touching an object through its `Box` (or a
//! `&mut` derived from it) invalidates every raw pointer handed out
//! earlier, under Rust's aliasing rules. The objects below are pointed to
//! from vmctxs, funcrefs, tables and the store itself, and accessed through
//! those pointers while wasm runs, so their owner must never assert
//! uniqueness: a `VmBox` owns the allocation but only ever gives out its
//! raw pointer, from which every access is a short reborrow.

use std::ptr::NonNull;

/// An owned heap object accessed only through its raw pointer.
pub struct VmBox<T: ?Sized>(NonNull<T>);

// SAFETY: a `VmBox` owns its object like a `Box`; sending it sends the
// object.
unsafe impl<T: ?Sized + Send> Send for VmBox<T> {}
// SAFETY: shared access to a `VmBox` gives out only a raw pointer.
unsafe impl<T: ?Sized + Sync> Sync for VmBox<T> {}

impl<T> VmBox<T> {
    /// Moves `value` to the heap.
    pub fn new(value: T) -> VmBox<T> {
        VmBox(NonNull::from(Box::leak(Box::new(value))))
    }

    /// Moves the object out, freeing the allocation.
    pub fn into_inner(self) -> T {
        // SAFETY: allocated by `Box` in `new` and owned by `self`, which is
        // forgotten so it does not free it again.
        let boxed = unsafe { Box::from_raw(self.0.as_ptr()) };
        std::mem::forget(self);
        *boxed
    }
}

impl<T: ?Sized> VmBox<T> {
    /// The object's address: the one pointer every access derives from.
    pub fn as_ptr(&self) -> *mut T {
        self.0.as_ptr()
    }

    /// A shared view of the object.
    ///
    /// # Safety
    ///
    /// No `&mut` to the object may be in use for the returned lifetime.
    pub unsafe fn get(&self) -> &T {
        // SAFETY: the allocation lives as long as `self`; the caller
        // vouches that nothing writes it meanwhile.
        unsafe { self.0.as_ref() }
    }

    /// An exclusive view of the object.
    ///
    /// # Safety
    ///
    /// No other reference to the object may be in use for the returned
    /// lifetime.
    #[allow(clippy::mut_from_ref, reason = "exclusivity is the caller's contract, as for a raw pointer")]
    pub unsafe fn get_mut(&self) -> &mut T {
        // SAFETY: as in `get`, with exclusivity vouched for by the caller.
        unsafe { &mut *self.0.as_ptr() }
    }
}

impl<T: ?Sized> Drop for VmBox<T> {
    fn drop(&mut self) {
        // SAFETY: allocated by `Box` in `new` and owned by `self` alone.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

impl<T: ?Sized> std::fmt::Debug for VmBox<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VmBox({:p})", self.0)
    }
}

/// Marks the type that owns the objects behind [`StorePtr`]s: the store.
///
/// # Safety
///
/// The implementor owns (directly or through what it keeps alive) every
/// object whose [`StorePtr`] it records, for as long as it lives, keeps
/// those pointers only in its own tables, and gives access to the objects
/// only through `&self` (shared) and `&mut self` (exclusive), never while
/// wasm of its own runs (see the store's aliasing rule).
pub unsafe trait StoreOwner {}

/// A pointer to an object its store owns (a memory, table, global,
/// externref's data or funcref), recorded in the store's handle tables.
/// Borrowing the store borrows the object: [`StorePtr::get`] and
/// [`StorePtr::get_mut`] are safe because a `&mut` to the store is the
/// only way to reach its objects mutably outside wasm.
pub struct StorePtr<T: ?Sized>(NonNull<T>);

impl<T: ?Sized> Clone for StorePtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for StorePtr<T> {}

// SAFETY: a `StorePtr` is only dereferenced through a borrow of its store,
// which moves between threads as a whole.
unsafe impl<T: ?Sized> Send for StorePtr<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized> Sync for StorePtr<T> {}

impl<T: ?Sized> StorePtr<T> {
    /// # Safety
    ///
    /// `ptr` points to an object owned by the store that will record this
    /// `StorePtr` (per [`StoreOwner`]), reached through its canonical
    /// pointer.
    pub unsafe fn new(ptr: *mut T) -> StorePtr<T> {
        StorePtr(NonNull::new(ptr).expect("store objects are never null"))
    }

    /// The raw pointer, for compiled code and vmctx fields.
    pub fn as_ptr(self) -> *mut T {
        self.0.as_ptr()
    }

    /// The object, for as long as its store is borrowed.
    pub fn get<S: StoreOwner>(self, _store: &S) -> &T {
        // SAFETY: per `StoreOwner`, the store owns the object and outlives the
        // borrow, and while it is borrowed shared nothing mutates the object.
        unsafe { self.0.as_ref() }
    }

    /// The object, exclusively, for as long as its store is borrowed so.
    #[allow(clippy::needless_pass_by_ref_mut, reason = "the exclusive borrow of the store is the proof")]
    pub fn get_mut<S: StoreOwner>(self, _store: &mut S) -> &mut T {
        // SAFETY: per `StoreOwner`, an exclusive borrow of the store is
        // exclusive access to everything it owns.
        unsafe { &mut *self.0.as_ptr() }
    }
}

impl<T: ?Sized> std::fmt::Debug for StorePtr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StorePtr({:p})", self.0)
    }
}
