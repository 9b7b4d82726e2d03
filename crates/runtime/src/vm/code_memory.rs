//! Machine code in memory, and the process-wide registry the signal
//! handler consults to recognise wasm code.

use super::mmap::Mmap;
use super::unwind::UnwindRegistration;
use brisk_environ::artifact::{ArtifactBuffer, ArtifactShape};
use crate::trap::FrameInfo;
use brisk_environ::Trap;
use std::collections::BTreeMap;
use std::ops::Range;
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::sync::{Arc, RwLock, TryLockError};

/// An artifact's bytes, never written after creation: mapped from its file
/// (read-only) or copied into a mapping of their own, part of which is made
/// executable (and so read-only); or, for an artifact without machine
/// code, copied to the heap (no mapping, no system call). An artifact
/// compiled in memory is written into its image in place ([`ImageBuffer`]),
/// and the image sealed before it is used.
#[derive(Debug)]
pub struct Image {
    bytes: Bytes,
    len: usize,
    /// Being written by an [`ImageBuffer`]: its bytes are writable memory.
    writable: bool,
    executable: Option<Range<usize>>,
    /// The file the bytes are mapped from, kept open while memory images
    /// are mapped from it too (see [`Image::file`]).
    file: Option<std::fs::File>,
    /// The code's unwind info, registered with the system unwinder.
    unwind: Option<UnwindRegistration>,
}

/// The largest artifact copied to the heap: below glibc's smallest
/// threshold for mapping an allocation of its own.
const HEAP_LIMIT: usize = 64 * 1024;

/// Where an image's bytes are.
#[derive(Debug)]
enum Bytes {
    /// A page-aligned mapping of their own, taken by `drop`, which hands it
    /// to the unmapper.
    Mapped(ManuallyDrop<Mmap>),
    /// On the heap, 16-byte aligned (as the artifact's tables need), never
    /// executable.
    Heap(Box<[u128]>),
}

impl Image {
    fn new(bytes: Bytes, len: usize, file: Option<std::fs::File>) -> Image {
        Image { bytes, len, writable: false, executable: None, file, unwind: None }
    }

    /// Writable memory for an artifact of `shape`, written in place
    /// ([`ImageBuffer`]) or copied ([`Image::holding`]): an anonymous file
    /// for one with memory images (mapped shared, so that what is written
    /// is the file's), the heap for a small one without machine code, else
    /// anonymous memory; populated whole, as the artifact is about to be
    /// written whole.
    fn writable(shape: ArtifactShape) -> std::io::Result<Image> {
        let size = shape.size;
        let mut image = if shape.has_memory_images {
            let file = anonymous_file()?;
            file.set_len(size as u64)?;
            // SAFETY: the anonymous file is this image's alone, and keeps
            // the length just set.
            let mmap = unsafe { Mmap::map_file_shared(&file, size)? };
            Image::new(Bytes::Mapped(ManuallyDrop::new(mmap)), size, Some(file))
        } else if size <= HEAP_LIMIT && !shape.has_text {
            Image::new(Bytes::Heap(vec![0u128; size.div_ceil(16)].into_boxed_slice()), size, None)
        } else {
            Image::new(Bytes::Mapped(ManuallyDrop::new(Mmap::populated(size)?)), size, None)
        };
        image.writable = true;
        Ok(image)
    }

    /// The bytes to write, while the image is being written.
    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        if !self.writable {
            return None;
        }
        let start = match &mut self.bytes {
            Bytes::Mapped(mmap) => mmap.as_ptr(),
            Bytes::Heap(words) => words.as_mut_ptr().cast::<u8>(),
        };
        // SAFETY: a writable image's first `len` bytes are memory it owns
        // that is readable and writable (a fresh mapping, or its heap
        // words); the slice borrows the image mutably, so nothing else
        // reads or writes them meanwhile.
        Some(unsafe { std::slice::from_raw_parts_mut(start, self.len) })
    }

    /// Ends the writing: a mapping becomes read-only (the loader then
    /// makes the text executable).
    fn seal(&mut self) -> std::io::Result<()> {
        if let Bytes::Mapped(mmap) = &mut self.bytes {
            let len = mmap.len();
            mmap.make_readonly(0, len)?;
        }
        self.writable = false;
        Ok(())
    }

    /// A copy of `bytes` in anonymous memory of its own (writable until a
    /// part is made executable).
    pub fn copy_of(bytes: &[u8]) -> std::io::Result<Image> {
        Ok(Image::new(Bytes::Mapped(ManuallyDrop::new(Mmap::copy_of(bytes)?)), bytes.len(), None))
    }

    /// A copy of an artifact, placed as [`Image::writable`] places one
    /// (the same rule as for an artifact written in place): in an
    /// anonymous file if it has memory images, on the heap if it is small
    /// and has no machine code (interpreted functions only), else in
    /// anonymous memory (a large one on the heap would be mapped by the
    /// allocator anyway, then unmapped by the dropping thread, where the
    /// unmapper could have done it); sealed.
    pub fn holding(artifact: &[u8]) -> std::io::Result<Image> {
        use brisk_environ::artifact::{images_hint, text_hint};
        let shape = ArtifactShape {
            size: artifact.len(),
            // Unknown (not an artifact this build reads) counts as code.
            has_text: !text_hint(artifact).is_some_and(|text| text.is_empty()),
            has_memory_images: images_hint(artifact),
        };
        let mut image = Image::writable(shape)?;
        image.bytes_mut().ok_or_else(|| std::io::Error::other("a fresh image is not writable"))?.copy_from_slice(artifact);
        image.seal()?;
        Ok(image)
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
        Ok(Image::new(Bytes::Mapped(ManuallyDrop::new(mmap)), len, keep_file.then_some(file)))
    }

    /// Machine code on its own (a trampoline, or a function that replaced
    /// another), in a fresh mapping made executable, with its unwind info
    /// after it if it has a call frame program
    /// ([`brisk_environ::unwind`]), registered with the system unwinder.
    pub fn code(body: &[u8], cfi_program: &[u8]) -> std::io::Result<Image> {
        let code_len = body.len().next_multiple_of(super::page_size()).max(super::page_size());
        let mut bytes = body.to_vec();
        if !cfi_program.is_empty() {
            bytes.resize(code_len, 0xcc);
            let entry = brisk_environ::unwind::UnwindEntry { start: 0, len: body.len() as u32, program: cfi_program };
            bytes.extend_from_slice(&brisk_environ::unwind::eh_frame(&[entry], -(code_len as i64)));
        }
        let mut image = Image::copy_of(&bytes)?;
        image.make_executable(0..code_len)?;
        if !cfi_program.is_empty() {
            // SAFETY: the section was just written for the code before it.
            unsafe { image.register_unwind_info(code_len..bytes.len(), 0..body.len())? };
        }
        Ok(image)
    }

    /// Registers `eh_frame`, a range of the image holding an `.eh_frame`
    /// section for the code at `code` in the image, with the system
    /// unwinder until the image is dropped.
    ///
    /// # Safety
    ///
    /// The section must be well formed and describe code of this image
    /// truthfully: the unwinder trusts it, as it trusts the code.
    pub unsafe fn register_unwind_info(&mut self, eh_frame: Range<usize>, code: Range<usize>) -> std::io::Result<()> {
        let inside = |r: &Range<usize>| r.start <= r.end && r.end <= self.len;
        if !inside(&eh_frame) || !inside(&code) || code.is_empty() || eh_frame.len() < 8 || self.unwind.is_some() || matches!(self.bytes, Bytes::Heap(_)) {
            return Err(std::io::Error::other("unwind info outside the image"));
        }
        let base = self.base();
        // SAFETY: both ranges lie in the image, which keeps them mapped and
        // unchanged until the registration is dropped (first, in `drop`);
        // the caller vouches for the section's contents.
        self.unwind = Some(unsafe { UnwindRegistration::new(&self.bytes()[eh_frame], base + code.start..base + code.end) });
        Ok(())
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
        let start = match &self.bytes {
            Bytes::Mapped(mmap) => mmap.as_ptr().cast_const(),
            Bytes::Heap(words) => words.as_ptr().cast::<u8>(),
        };
        // SAFETY: the first `len` bytes of the mapping are readable (copied
        // in or backed by the file), and so are those of the heap copy, for
        // as long as `self` lives; nothing writes them after creation.
        unsafe { std::slice::from_raw_parts(start, self.len) }
    }

    /// Makes a page-aligned range executable (and still readable), and
    /// the range made executable before, if another, read-only again.
    /// Only an empty range of an image on the heap.
    pub fn make_executable(&mut self, range: Range<usize>) -> std::io::Result<()> {
        if self.executable.as_ref() == Some(&range) {
            return Ok(());
        }
        let Bytes::Mapped(mmap) = &mut self.bytes else {
            return if range.is_empty() { Ok(()) } else { Err(std::io::Error::other("an image on the heap holds no code")) };
        };
        if range.end > mmap.len() || range.start > range.end {
            return Err(std::io::Error::other("executable range outside the image"));
        }
        if let Some(old) = self.executable.take() {
            mmap.make_readonly(old.start, old.len())?;
        }
        mmap.make_executable(range.start, range.len())?;
        self.executable = Some(range);
        Ok(())
    }

    /// Address of the first byte.
    pub fn base(&self) -> usize {
        self.bytes().as_ptr() as usize
    }
}

/// A new anonymous file (`memfd`), empty.
fn anonymous_file() -> std::io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: `memfd_create` takes a NUL-terminated name and flags; it
    // returns a new descriptor or -1.
    let fd = unsafe { libc::memfd_create(c"brisk-artifact".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Memory for the artifact of a module compiled in memory, given to the
/// artifact writer once the artifact's shape is known: the image the
/// module will run from ([`Image::writable`]), so that the artifact is
/// written once, in place, rather than written then copied.
#[derive(Debug, Default)]
pub struct ImageBuffer {
    image: Option<Image>,
}

impl ArtifactBuffer for ImageBuffer {
    fn allocate(&mut self, shape: ArtifactShape) -> Result<&mut [u8], String> {
        let image = Image::writable(shape).map_err(|e| format!("cannot map memory for the artifact: {e}"))?;
        self.image.insert(image).bytes_mut().ok_or_else(|| "the artifact's image is not writable".into())
    }
}

impl ImageBuffer {
    /// The image with the artifact written into it, sealed.
    pub fn finish(self) -> std::io::Result<Image> {
        let mut image = self.image.ok_or_else(|| std::io::Error::other("no artifact was written"))?;
        image.seal()?;
        Ok(image)
    }
}

impl Drop for Image {
    /// Hands the mapping (and the file it came from) to the unmapper: the
    /// code is no longer registered by now, as registrations hold images.
    fn drop(&mut self) {
        let Bytes::Mapped(mmap) = &mut self.bytes else { return };
        // SAFETY: `mmap` is taken once, here, and not used afterwards.
        let mmap = unsafe { ManuallyDrop::take(mmap) };
        // The unwinder must forget the code before it is unmapped.
        let before = self.unwind.take().map(|r| Box::new(move || drop(r)) as Box<dyn FnOnce() + Send>);
        super::unmapper::defer(super::unmapper::Deferred { before, mmap, file: self.file.take() });
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
    marked(&IN_REGISTRY, || f(registry()))
}

/// Runs `f`, which takes a lock, with `mark` set on this thread: a signal
/// handler that finds it set knows that the thread it interrupted may hold
/// that lock, and must not wait for it.
pub(super) fn marked<R>(mark: &'static std::thread::LocalKey<Cell<bool>>, f: impl FnOnce() -> R) -> R {
    mark.with(|c| c.set(true));
    // The mark is set before the lock is taken and cleared after it is
    // released, as a signal handler on this thread sees them.
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    let r = f();
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    mark.with(|c| c.set(false));
    r
}

/// `lock` read, waiting a bounded time, for code that must never hang on
/// it (a signal handler, an unwinder): writers hold these locks for the
/// few instructions of one map insert or removal, so a bounded spin
/// suffices; one that never lets go (a thread gone in a child after
/// `fork`) gives `None`.
pub(super) fn read_bounded<T>(lock: &RwLock<T>) -> Option<std::sync::RwLockReadGuard<'_, T>> {
    const SPINS: u32 = 1 << 20;
    for _ in 0..SPINS {
        match lock.try_read() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(e)) => return Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
    None
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
    let map = read_bounded(registry())?;
    find(&map, pc, f)
}
