//! Machine code in memory, and the process-wide registry the signal
//! handler consults to recognise wasm code.

use super::mmap::Mmap;
use crate::trap::FrameInfo;
use brisk_environ::Trap;
use std::collections::BTreeMap;
use std::ops::Range;
use std::cell::Cell;
use std::sync::{Arc, RwLock, TryLockError};

/// Read-only bytes in their own page-aligned mapping: an artifact, mapped
/// from its file or copied in, part of which is made executable.
#[derive(Debug)]
pub struct Image {
    mmap: Mmap,
    len: usize,
    executable: Option<Range<usize>>,
    /// The file the bytes are mapped from, kept open while memory images
    /// are mapped from it too (see [`Image::file`]).
    file: Option<std::fs::File>,
}

impl Image {
    /// A copy of `bytes` in anonymous memory.
    pub fn copy_of(bytes: &[u8]) -> std::io::Result<Image> {
        Ok(Image { mmap: Mmap::copy_of(bytes)?, len: bytes.len(), executable: None, file: None })
    }

    /// A copy of an artifact: in anonymous memory, or in an anonymous file
    /// if it has memory images.
    pub fn holding(artifact: &[u8]) -> std::io::Result<Image> {
        if brisk_environ::artifact::images_hint(artifact) { Image::copy_to_memfd(artifact) } else { Image::copy_of(artifact) }
    }

    /// A copy of `bytes` in an anonymous file (`memfd`), mapped from it
    /// and kept open, so that parts of it can be mapped again, copy on
    /// write: for artifacts with memory images.
    pub fn copy_to_memfd(bytes: &[u8]) -> std::io::Result<Image> {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        // SAFETY: `memfd_create` takes a NUL-terminated name and flags; it
        // returns a new descriptor or -1.
        let fd = unsafe { libc::memfd_create(c"brisk-artifact".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        file.write_all(bytes)?;
        // SAFETY: nobody else can reach the anonymous file, and this image
        // never writes it again.
        unsafe { Image::map_file(file, true) }
    }

    /// The contents of a file, mapped in place: no copy is made. The file
    /// is kept open if `keep_file` (see [`Image::close_file`]).
    ///
    /// # Safety
    ///
    /// The file must not be truncated or written while the image lives.
    pub unsafe fn map_file(file: std::fs::File, keep_file: bool) -> std::io::Result<Image> {
        use std::io::Seek;
        // The size by seeking to the end: the cheapest system call that
        // tells it (a third of `statx`'s cost here), and the file offset
        // matters to nobody, as mappings and `pread` ignore it.
        let len = usize::try_from((&file).seek(std::io::SeekFrom::End(0))?).map_err(std::io::Error::other)?;
        // SAFETY: the caller vouches the file stays as it is.
        let mmap = unsafe { Mmap::map_file(&file, len)? };
        Ok(Image { mmap, len, executable: None, file: keep_file.then_some(file) })
    }

    /// The file the image is mapped from, if kept open.
    pub fn file(&self) -> Option<&std::fs::File> {
        self.file.as_ref()
    }

    /// Closes the file the image is mapped from (the mapping stays).
    pub fn close_file(&mut self) {
        self.file = None;
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the mapping are readable (copied
        // in or backed by the file) for as long as `self` lives, and
        // nothing writes them after creation.
        unsafe { std::slice::from_raw_parts(self.mmap.as_ptr(), self.len) }
    }

    /// Makes a page-aligned range executable (and still readable), and
    /// the range made executable before, if another, read-only again.
    pub fn make_executable(&mut self, range: Range<usize>) -> std::io::Result<()> {
        if self.executable.as_ref() == Some(&range) {
            return Ok(());
        }
        if range.end > self.mmap.len() || range.start > range.end {
            return Err(std::io::Error::other("executable range outside the image"));
        }
        if let Some(old) = self.executable.take() {
            self.mmap.make_readonly(old.start, old.len())?;
        }
        self.mmap.make_executable(range.start, range.len())?;
        self.executable = Some(range);
        Ok(())
    }

    /// Makes the whole image executable (and still readable): for code
    /// copied in on its own, such as a function that replaced another's.
    pub fn make_all_executable(&mut self) -> std::io::Result<()> {
        let len = self.mmap.len();
        self.make_executable(0..len)
    }

    /// Address of the first byte.
    pub fn base(&self) -> usize {
        self.mmap.as_ptr() as usize
    }
}

/// What the trap handler and backtraces need to know about a code region.
/// Implementations read their tables in place: the handler calls
/// [`CodeLookup::trap_at`] from a signal context.
pub trait CodeLookup: Send + Sync {
    /// The trap at `offset`, if it is a trap site.
    fn trap_at(&self, offset: u32) -> Option<Trap>;
    /// The wasm frame whose code contains `offset`, if any (trampolines
    /// are not wasm frames).
    fn frame_at(&self, offset: u32) -> Option<FrameInfo>;
}

/// Keeps a code region registered with the trap handler while it lives.
#[derive(Debug)]
pub struct Registration {
    end: usize,
}

impl Registration {
    /// Registers `[start, start + len)`, described by `lookup`.
    pub fn new(start: usize, len: usize, lookup: Arc<dyn CodeLookup>) -> Registration {
        let end = start + len;
        with_registry(|r| {
            let mut map = r.write().unwrap_or_else(|e| e.into_inner());
            map.insert(end, (start, lookup));
        });
        Registration { end }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // The entry is dropped after the lock is released: its lookup may
        // be the last owner of a module's code.
        let removed = with_registry(|r| r.write().unwrap_or_else(|e| e.into_inner()).remove(&self.end));
        drop(removed);
    }
}

type Registry = RwLock<BTreeMap<usize, (usize, Arc<dyn CodeLookup>)>>;

fn registry() -> &'static Registry {
    static REGISTRY: Registry = RwLock::new(BTreeMap::new());
    &REGISTRY
}

thread_local! {
    /// Is this thread inside the registry's lock (reading or writing)? A
    /// signal that interrupts it there is no wasm fault, and the handler
    /// must not wait for a lock its own thread holds.
    static IN_REGISTRY: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the registry, marking this thread as inside it.
fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    IN_REGISTRY.with(|c| c.set(true));
    let r = f(registry());
    IN_REGISTRY.with(|c| c.set(false));
    r
}

/// The region containing `pc`: `f` gets its lookup and the offset of `pc`.
fn find<R>(
    map: &BTreeMap<usize, (usize, Arc<dyn CodeLookup>)>,
    pc: usize,
    f: impl FnOnce(&dyn CodeLookup, u32) -> R,
) -> Option<R> {
    let (end, (start, lookup)) = map.range(pc + 1..).next()?;
    if pc < *start || pc >= *end {
        return None;
    }
    Some(f(&**lookup, u32::try_from(pc - start).ok()?))
}

/// Finds the code region containing `pc` and calls `f` with its lookup and
/// the offset of `pc` in it (for backtraces, outside signal handlers).
pub fn lookup_pc<R>(pc: usize, f: impl FnOnce(&dyn CodeLookup, u32) -> R) -> Option<R> {
    with_registry(|r| find(&r.read().unwrap_or_else(|e| e.into_inner()), pc, f))
}

/// [`lookup_pc`] for the signal handler, which must never wait for a lock
/// the interrupted code may hold:
///
/// * a thread interrupted inside the registry holds (or waits for) its lock
///   and is not running wasm: `None` at once, and the signal goes to the
///   previous handler;
/// * otherwise the lock is only *tried*: another thread holds it for the few
///   instructions of a map insert or lookup, so a bounded spin suffices; if
///   the bound runs out, `None` again (the fault is reported as a crash,
///   never turned into a hang).
///
/// `f` runs under the read lock and must itself be async-signal-safe
/// (trap tables are read in place).
pub fn lookup_pc_from_signal<R>(pc: usize, f: impl FnOnce(&dyn CodeLookup, u32) -> R) -> Option<R> {
    if IN_REGISTRY.with(|c| c.get()) {
        return None;
    }
    const SPINS: u32 = 1 << 20;
    for _ in 0..SPINS {
        match registry().try_read() {
            Ok(map) => return find(&map, pc, f),
            Err(TryLockError::Poisoned(e)) => return find(&e.into_inner(), pc, f),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
    None
}
