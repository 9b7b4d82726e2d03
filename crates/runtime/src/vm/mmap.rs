//! Page-granular virtual memory: reserve, commit, protect, release.

use std::io;
use std::ptr::NonNull;

/// The host page size.
pub fn page_size() -> usize {
    use std::sync::OnceLock;
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).unwrap_or(4096)
    })
}

/// Rounds `n` up to a multiple of the page size.
pub fn round_up_to_page(n: usize) -> Option<usize> {
    let page = page_size();
    n.checked_add(page - 1).map(|n| n & !(page - 1))
}

/// An owned, page-aligned mapping, unmapped on drop. It starts inaccessible
/// and pages are made accessible with [`Mmap::make_accessible`].
#[derive(Debug)]
pub struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; access to its
// contents is synchronized by its owners.
unsafe impl Send for Mmap {}
// SAFETY: as above; `&Mmap` only hands out the raw pointer.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Reserves `len` bytes (rounded up to pages) of inaccessible address
    /// space; nothing is committed.
    pub fn reserve(len: usize) -> io::Result<Mmap> {
        Mmap::map_anonymous(len, libc::PROT_NONE, libc::MAP_NORESERVE)
    }

    fn map_anonymous(len: usize, prot: libc::c_int, flags: libc::c_int) -> io::Result<Mmap> {
        let len = round_up_to_page(len.max(1)).ok_or_else(|| io::Error::other("mapping size overflows"))?;
        // SAFETY: an anonymous, private mapping at an address of the
        // kernel's choosing touches no existing memory.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | flags, -1, 0)
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Mmap { ptr, len })
    }

    /// A view of `len` bytes at `ptr` that someone else maps and unmaps:
    /// its owner must hold it in a `ManuallyDrop` and never drop it.
    ///
    /// # Safety
    ///
    /// The range is mapped, page-aligned, and stays mapped while the view
    /// is used; only the view's holder changes its protection.
    pub unsafe fn view(ptr: *mut u8, len: usize) -> Mmap {
        Mmap { ptr: NonNull::new(ptr).expect("a mapped range is not at address 0"), len }
    }

    /// Maps the first `len` bytes of `file` privately and read-only.
    ///
    /// # Safety
    ///
    /// The file must not be truncated or written while the mapping lives:
    /// its pages are read on demand, so a change shows through and a
    /// truncation makes reads fault.
    pub unsafe fn map_file(file: &std::fs::File, len: usize) -> io::Result<Mmap> {
        use std::os::fd::AsRawFd;
        if len == 0 {
            return Mmap::reserve(0);
        }
        let rounded = round_up_to_page(len).ok_or_else(|| io::Error::other("mapping size overflows"))?;
        // SAFETY: a private, read-only mapping of an open file at an
        // address of the kernel's choosing touches no existing memory; the
        // caller vouches that the file stays as it is.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0)
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Mmap { ptr, len: rounded })
    }

    /// A fresh mapping holding a copy of `bytes`, left writable (as a copy
    /// on the heap would be: its owner makes what it runs executable, which
    /// also makes it read-only). Its pages are populated in the same system
    /// call (the copy touches each of them anyway), which costs less than
    /// taking a page fault per page.
    pub fn copy_of(bytes: &[u8]) -> io::Result<Mmap> {
        let mmap = Mmap::populated(bytes.len())?;
        // SAFETY: the mapping is at least `bytes.len()` bytes, writable and
        // freshly created, so it overlaps nothing.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), mmap.as_ptr(), bytes.len()) };
        Ok(mmap)
    }

    /// A fresh anonymous mapping of `len` bytes, readable and writable,
    /// its pages populated in the same system call (for memory about to be
    /// written whole).
    pub fn populated(len: usize) -> io::Result<Mmap> {
        Mmap::map_anonymous(len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_POPULATE)
    }

    /// The first `len` bytes of `file` (at least that long), mapped shared,
    /// readable and writable, populated in the same system call: what is
    /// written to the mapping is written to the file.
    ///
    /// # Safety
    ///
    /// Nothing else may truncate the file while the mapping lives.
    pub unsafe fn map_file_shared(file: &std::fs::File, len: usize) -> io::Result<Mmap> {
        use std::os::fd::AsRawFd;
        let rounded = round_up_to_page(len.max(1)).ok_or_else(|| io::Error::other("mapping size overflows"))?;
        // SAFETY: a shared mapping of an open file at an address of the
        // kernel's choosing touches no existing memory; the caller vouches
        // that the file keeps its length.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                rounded,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Mmap { ptr, len: rounded })
    }

    /// Start of the mapping.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length of the mapping.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Makes `[start, start + len)` readable and writable. Both must be
    /// page-aligned and inside the mapping.
    pub fn make_accessible(&mut self, start: usize, len: usize) -> io::Result<()> {
        self.protect(start, len, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// Replaces `[start, start + len)` with a private, writable mapping of
    /// `file`'s bytes from `file_offset`: copy on write, so nothing is read
    /// until touched and writes stay in this mapping. All three must be
    /// page-aligned and the range inside the mapping.
    ///
    /// # Safety
    ///
    /// The file's bytes in that range must not change while the mapping
    /// lives (pages not yet written show them through).
    pub unsafe fn map_file_over(&mut self, start: usize, len: usize, file: &std::fs::File, file_offset: usize) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let page = page_size();
        let aligned = [start, len, file_offset].iter().all(|v| v.is_multiple_of(page));
        if !aligned || start.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(io::Error::other("file range not page-aligned or out of the mapping"));
        }
        let offset = libc::off_t::try_from(file_offset).map_err(io::Error::other)?;
        // SAFETY: MAP_FIXED replaces pages of our own mapping only (the
        // range was checked to lie inside it), which the owner hands out
        // as raw pointers only; the caller vouches for the file.
        let ptr = unsafe {
            libc::mmap(
                self.ptr.as_ptr().add(start).cast(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                file.as_raw_fd(),
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Replaces `[start, start + len)` with fresh inaccessible anonymous
    /// pages (dropping whatever was mapped there: written pages, a file).
    /// Both must be page-aligned and inside the mapping.
    pub fn reset(&mut self, start: usize, len: usize) -> io::Result<()> {
        let page = page_size();
        if !start.is_multiple_of(page) || !len.is_multiple_of(page) || start.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(io::Error::other("reset range not page-aligned or out of the mapping"));
        }
        // SAFETY: MAP_FIXED replaces pages of our own mapping only (the
        // range was checked to lie inside it), which the owner hands out
        // as raw pointers only.
        let ptr = unsafe {
            libc::mmap(
                self.ptr.as_ptr().add(start).cast(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Makes `[start, start + len)` inaccessible.
    pub fn make_inaccessible(&mut self, start: usize, len: usize) -> io::Result<()> {
        self.protect(start, len, libc::PROT_NONE)
    }

    /// Makes `[start, start + len)` read-only.
    pub fn make_readonly(&mut self, start: usize, len: usize) -> io::Result<()> {
        self.protect(start, len, libc::PROT_READ)
    }

    /// Makes `[start, start + len)` readable and executable.
    pub fn make_executable(&mut self, start: usize, len: usize) -> io::Result<()> {
        self.protect(start, len, libc::PROT_READ | libc::PROT_EXEC)
    }

    fn protect(&mut self, start: usize, len: usize, prot: libc::c_int) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        let page = page_size();
        if !start.is_multiple_of(page) || !len.is_multiple_of(page) || start.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(io::Error::other("protection range not page-aligned or out of the mapping"));
        }
        // SAFETY: the range was checked to lie inside our own mapping, and
        // changing its protection cannot invalidate Rust references because
        // the owner hands out raw pointers only.
        let rc = unsafe { libc::mprotect(self.ptr.as_ptr().add(start).cast(), len, prot) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Unmaps mappings handed over together, each contiguous run of them with
/// one `munmap` (one TLB flush and one call instead of one per mapping:
/// mappings made one after another usually lie side by side).
pub fn unmap_all(mut maps: Vec<Mmap>) {
    maps.sort_unstable_by_key(|m| m.ptr.as_ptr() as usize);
    let mut run: Option<(usize, usize)> = None;
    for m in maps {
        let (start, len) = (m.ptr.as_ptr() as usize, m.len);
        // Ownership passes to the run, which unmaps it.
        std::mem::forget(m);
        run = match run {
            Some((s, l)) if s + l == start => Some((s, l + len)),
            Some(done) => {
                unmap_run(done);
                Some((start, len))
            }
            None => Some((start, len)),
        };
    }
    if let Some(done) = run {
        unmap_run(done);
    }
}

fn unmap_run((start, len): (usize, usize)) {
    // SAFETY: the run is exactly the union of mappings owned by the `Mmap`s
    // given to `unmap_all` (side by side, none overlapping another, as the
    // kernel gave them out), which were forgotten so that only this call
    // unmaps them; nothing refers to them any longer.
    let rc = unsafe { libc::munmap(start as *mut libc::c_void, len) };
    debug_assert_eq!(rc, 0, "munmap failed");
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: we own exactly this mapping and nothing refers to it
        // after the owner is dropped.
        let rc = unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
        debug_assert_eq!(rc, 0, "munmap failed");
    }
}
