//! Native unwind info: how the system unwinder finds the `.eh_frame` of
//! Brisk's code.
//!
//! The unwinder looks up the unwind info of each frame's code with
//! `_Unwind_Find_FDE`. libgcc's answers from the objects registered with
//! `__register_frame`, then from the loaded ELF objects. Its registrations
//! are a list before GCC 13: deregistering the oldest of N modules walks N
//! entries, so dropping thousands of modules costs time quadratic in their
//! number, and so does an unwind's search.
//!
//! So where it can, Brisk answers `_Unwind_Find_FDE` itself: the runtime
//! defines the symbol (weakly, so that a program or library that defines
//! it wins), and the dynamic linker binds libgcc's own calls to it, as it
//! binds any call through the PLT to the first definition in the
//! executable's scope. Brisk's definition looks the address up in its own
//! table of registered sections, ordered by code address (registering and
//! deregistering a module insert and remove one entry, in logarithmic
//! time), and hands every address that is not Brisk's code on to libgcc's
//! definition. The unwinding itself stays libgcc's.
//!
//! Whether libgcc's calls reach Brisk's definition is not assumed but
//! observed once ([`answered_by_brisk`]): libgcc's
//! `_Unwind_FindEnclosingFunction` is called and must reach it. Where it
//! does not (Brisk in a library loaded after libgcc, a program with its own
//! definition, a static build, another C library), or where the
//! environment says `BRISK_NATIVE_UNWIND=register`, sections are
//! registered with `__register_frame` instead: libgcc takes a whole
//! section in one call, LLVM's libunwind one FDE per call.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};

unsafe extern "C" {
    // libgcc's (and LLVM libunwind's) registration of unwind info for code
    // made at run time.
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

/// An `.eh_frame` section made known to the system unwinder; dropping it
/// makes it unknown again.
#[derive(Debug)]
pub(super) struct UnwindRegistration {
    how: How,
}

#[derive(Debug)]
enum How {
    /// In Brisk's table, under the end of its code.
    Table { code_end: usize },
    /// What was passed to `__register_frame`: the section (libgcc), or
    /// each FDE (libunwind).
    System(Vec<*const u8>),
}

// SAFETY: the pointers are into an image that outlives the registration
// (it drops the registration before it is unmapped); registering and
// deregistering are thread-safe in both unwinders and in Brisk's table.
unsafe impl Send for UnwindRegistration {}
// SAFETY: `&UnwindRegistration` gives nothing out.
unsafe impl Sync for UnwindRegistration {}

impl UnwindRegistration {
    /// # Safety
    ///
    /// `eh_frame` is an `.eh_frame` section ending with a zero terminator,
    /// truthful for the code at `code` (absolute addresses), both mapped
    /// and unchanged until the registration is dropped.
    pub(super) unsafe fn new(eh_frame: &[u8], code: Range<usize>) -> UnwindRegistration {
        if answered_by_brisk() {
            let code_end = code.end;
            let section = Section { code, eh_frame: eh_frame.as_ptr() as usize, len: eh_frame.len(), index: OnceLock::new() };
            // Code ranges of live images are disjoint and not empty
            // (`Image::register_unwind_info`), so no entry is replaced.
            let replaced = with_table(|t| t.write().unwrap_or_else(|e| e.into_inner()).insert(code_end, section));
            debug_assert!(replaced.is_none(), "two registrations of code ending at {code_end:#x}");
            if replaced.is_none() {
                SECTIONS.fetch_add(1, Ordering::Release);
            }
            return UnwindRegistration { how: How::Table { code_end } };
        }
        let start = eh_frame.as_ptr();
        let registered = if using_libunwind() { fde_offsets(eh_frame).map(|(at, _)| start.wrapping_add(at)).collect() } else { vec![start] };
        for &p in &registered {
            // SAFETY: a whole section (libgcc) or one FDE (libunwind),
            // valid until deregistered, per the contract.
            unsafe { __register_frame(p) };
        }
        UnwindRegistration { how: How::System(registered) }
    }
}

impl Drop for UnwindRegistration {
    fn drop(&mut self) {
        match &self.how {
            How::Table { code_end } => {
                let removed = with_table(|t| t.write().unwrap_or_else(|e| e.into_inner()).remove(code_end));
                if removed.is_some() {
                    SECTIONS.fetch_sub(1, Ordering::Release);
                }
            }
            How::System(registered) => {
                for &p in registered.iter().rev() {
                    // SAFETY: registered in `new`, once.
                    unsafe { __deregister_frame(p) };
                }
            }
        }
    }
}

/// How the system unwinder finds the unwind info of Brisk's code
/// ([`crate::Config::native_unwind_info`]) in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwindLookup {
    /// libgcc's unwinder asks Brisk's `_Unwind_Find_FDE`, which looks
    /// Brisk's code up in its own table: registering and dropping a module
    /// take logarithmic time.
    BriskTable,
    /// Each module's `.eh_frame` is registered with libgcc's
    /// `__register_frame` (one call for the section): before GCC 13,
    /// dropping a module walks libgcc's list of registrations.
    LibgccRegistration,
    /// Each FDE is registered with LLVM libunwind's `__register_frame`.
    LibunwindRegistration,
}

/// How the system unwinder finds the unwind info of Brisk's code here.
pub fn unwind_lookup() -> UnwindLookup {
    if answered_by_brisk() {
        UnwindLookup::BriskTable
    } else if using_libunwind() {
        UnwindLookup::LibunwindRegistration
    } else {
        UnwindLookup::LibgccRegistration
    }
}

/// The records of an `.eh_frame` section that are FDEs: (offset, length
/// field), in order, as far as the section is well formed. Records are a
/// 4-byte length and that many bytes, up to a zero length; an FDE's second
/// word (its CIE pointer) is not zero.
fn fde_offsets(section: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let word = |at: usize| section.get(at..at + 4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize);
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let length = word(at).filter(|&l| l != 0 && l != 0xffff_ffff)?;
            let end = at.checked_add(4 + length).filter(|&e| e <= section.len())?;
            let id = word(at + 4)?;
            let record = at;
            at = end;
            if id != 0 {
                return Some((record, length));
            }
        }
    })
}

/// Does the process unwind with LLVM's libunwind, whose
/// `__register_frame` takes one FDE, rather than libgcc's, which takes a
/// whole section?
fn using_libunwind() -> bool {
    static LIBUNWIND: OnceLock<bool> = OnceLock::new();
    // SAFETY: `dlsym` with RTLD_DEFAULT and a NUL-terminated name only
    // looks the symbol up.
    *LIBUNWIND.get_or_init(|| !unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__unw_add_dynamic_fde".as_ptr()) }.is_null())
}

/// A registered section and what the lookup needs of it.
struct Section {
    /// The code it describes (absolute addresses).
    code: Range<usize>,
    /// Where the section is, and its length.
    eh_frame: usize,
    len: usize,
    /// (code offset, section offset, code length) of each FDE, sorted by
    /// code offset: built at the first lookup in the section, as libgcc
    /// sorts a registered section at its first search.
    index: OnceLock<Box<[(u32, u32, u32)]>>,
}

impl Section {
    fn bytes(&self) -> &[u8] {
        // SAFETY: the registration's contract keeps the section mapped and
        // unchanged while it is in the table, and lookups read it only
        // under the table's lock.
        unsafe { std::slice::from_raw_parts(self.eh_frame as *const u8, self.len) }
    }

    /// The FDEs Brisk's writer ([`brisk_environ::unwind::eh_frame`]) lays
    /// out: under the section's first record, Brisk's CIE, with
    /// PC-relative 4-byte addresses, for code inside [`Section::code`].
    /// Anything else (a damaged artifact) is left out: the unwinder then
    /// finds no unwind info there and stops, as it does without any.
    fn build_index(&self) -> Box<[(u32, u32, u32)]> {
        let bytes = self.bytes();
        let ours = bytes.get(4..8) == Some(&[0; 4]) && bytes.get(8..8 + brisk_environ::unwind::CIE.len()) == Some(&brisk_environ::unwind::CIE[..]);
        if !ours {
            return Box::default();
        }
        let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let mut index: Vec<(u32, u32, u32)> = fde_offsets(bytes)
            .filter(|&(at, length)| length >= 13 && word(at + 4) as usize == at + 4)
            .filter_map(|(at, _)| {
                let field = self.eh_frame + at + 8;
                let start = field.wrapping_add_signed(word(at + 8) as i32 as isize);
                let len = word(at + 12);
                let offset = u32::try_from(start.checked_sub(self.code.start)?).ok()?;
                let inside = start.checked_add(len as usize).is_some_and(|end| end <= self.code.end);
                inside.then_some((offset, u32::try_from(at).ok()?, len))
            })
            .collect();
        index.sort_unstable();
        index.into_boxed_slice()
    }

    /// The FDE whose code holds `pc`, and the address where that code
    /// starts.
    fn find(&self, pc: usize) -> Option<(*const u8, usize)> {
        let offset = u32::try_from(pc.checked_sub(self.code.start)?).ok()?;
        let index = self.index.get_or_init(|| self.build_index());
        let i = index.partition_point(|&(start, _, _)| start <= offset).checked_sub(1)?;
        let (start, at, len) = index[i];
        (offset - start < len).then(|| (self.bytes()[at as usize..].as_ptr(), self.code.start + start as usize))
    }
}

type Table = RwLock<BTreeMap<usize, Section>>;

/// Registered sections, by the end of their code.
static TABLE: Table = RwLock::new(BTreeMap::new());
/// How many sections are in [`TABLE`]: an unwind through code that is not
/// Brisk's reads this and nothing else of Brisk's while none is.
static SECTIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Is this thread inside the table's lock? An unwind that starts there
    /// (from a signal handler) must not wait for a lock its own thread
    /// holds: it gets libgcc's answers alone.
    static IN_TABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set while [`answered_by_brisk`] probes.
    static PROBED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn with_table<R>(f: impl FnOnce(&Table) -> R) -> R {
    super::code_memory::marked(&IN_TABLE, || f(&TABLE))
}

/// `struct dwarf_eh_bases` of libgcc's `unwind-dw2-fde.h`: what
/// `_Unwind_Find_FDE` tells the unwinder besides the FDE.
#[repr(C)]
pub(super) struct DwarfEhBases {
    tbase: *mut c_void,
    dbase: *mut c_void,
    /// The start of the function the FDE describes.
    func: *mut c_void,
}

type FindFde = unsafe extern "C" fn(*mut c_void, *mut DwarfEhBases) -> *const u8;

// Brisk's `_Unwind_Find_FDE`: a weak definition, so that a strong one
// elsewhere in the program (or libgcc's own, linked statically) takes
// precedence, jumping to `find_fde`. Only for dynamically linked glibc
// programs, where libgcc is `libgcc_s.so.1`.
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64", not(target_feature = "crt-static")))]
std::arch::global_asm!(
    ".weak _Unwind_Find_FDE",
    ".type _Unwind_Find_FDE, @function",
    ".globl brisk_unwind_find_fde",
    ".hidden brisk_unwind_find_fde",
    "_Unwind_Find_FDE:",
    "brisk_unwind_find_fde:",
    "jmp {find}",
    ".size _Unwind_Find_FDE, . - _Unwind_Find_FDE",
    find = sym find_fde,
);

/// Is `f` Brisk's definition (the symbol, or the function it jumps to)?
fn is_brisks(f: *const c_void) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64", not(target_feature = "crt-static")))]
    {
        unsafe extern "C" {
            // The address of Brisk's `_Unwind_Find_FDE` (a hidden alias).
            static brisk_unwind_find_fde: u8;
        }
        if std::ptr::eq(f, (&raw const brisk_unwind_find_fde).cast()) {
            return true;
        }
    }
    std::ptr::eq(f, find_fde as *const c_void)
}

/// Brisk's code's FDE for `pc`, else the next definition's answer. It
/// never unwinds and never panics: every index is checked. Nor does it
/// wait for the table's lock without bound (`read_bounded`): a lock that
/// is never let go makes it answer as if Brisk had no code.
unsafe extern "C" fn find_fde(pc: *mut c_void, bases: *mut DwarfEhBases) -> *const u8 {
    PROBED.with(|p| p.set(true));
    if SECTIONS.load(Ordering::Acquire) != 0 && !IN_TABLE.with(|c| c.get()) {
        let found = with_table(|t| {
            let table = super::code_memory::read_bounded(t)?;
            let pc = pc as usize;
            let (_, section) = table.range(pc.checked_add(1)?..).next()?;
            section.find(pc)
        });
        if let Some((fde, func)) = found {
            // SAFETY: the unwinder passes its own `dwarf_eh_bases` to fill;
            // the FDE stays mapped while its code is on a stack.
            unsafe { bases.write(DwarfEhBases { tbase: std::ptr::null_mut(), dbase: std::ptr::null_mut(), func: func as *mut c_void }) };
            return fde;
        }
    }
    match next_find_fde() {
        // SAFETY: libgcc's definition, called as the unwinder called this.
        Some(next) => unsafe { next(pc, bases) },
        None => std::ptr::null(),
    }
}

/// The definition of `_Unwind_Find_FDE` that Brisk's stands in front of:
/// libgcc's, else the next one after Brisk's in the search order.
fn next_find_fde() -> Option<FindFde> {
    // 0: not looked up yet; NONE: looked up, not found (so a process
    // without one does not ask the loader again at every frame).
    const NONE: usize = 1;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mut next = NEXT.load(Ordering::Acquire);
    if next == 0 {
        // SAFETY: `dlopen` with RTLD_NOLOAD only finds an object already
        // loaded, and `dlsym` only looks a NUL-terminated name up; both may
        // be called from an unwinder (libgcc calls the loader itself).
        next = unsafe {
            let libgcc = libc::dlopen(c"libgcc_s.so.1".as_ptr(), libc::RTLD_NOLOAD | libc::RTLD_LAZY);
            let mut f = if libgcc.is_null() { std::ptr::null_mut() } else { libc::dlsym(libgcc, c"_Unwind_Find_FDE".as_ptr()) };
            if f.is_null() || is_brisks(f) {
                f = libc::dlsym(libc::RTLD_NEXT, c"_Unwind_Find_FDE".as_ptr());
            }
            f as usize
        };
        if next == 0 || is_brisks(next as *const c_void) {
            next = NONE;
        }
        NEXT.store(next, Ordering::Release);
    }
    // SAFETY: any other `next` is the address of a function with the
    // signature of `_Unwind_Find_FDE`, found under that name.
    (next != NONE).then(|| unsafe { std::mem::transmute::<usize, FindFde>(next) })
}

/// Resolves what Brisk's `_Unwind_Find_FDE` forwards to, so that the
/// first unwind does not call the dynamic loader from inside the unwinder
/// (engines call this when they are made; an unwind before any engine
/// exists resolves it then).
pub fn prepare() {
    next_find_fde();
}

/// Does libgcc's unwinder ask Brisk's `_Unwind_Find_FDE`? Observed once:
/// libgcc's `_Unwind_FindEnclosingFunction` looks its argument up with
/// `_Unwind_Find_FDE`, through the dynamic linker.
fn answered_by_brisk() -> bool {
    static ANSWERED: OnceLock<bool> = OnceLock::new();
    *ANSWERED.get_or_init(|| {
        if !cfg!(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64", not(target_feature = "crt-static")))
            || std::env::var_os("BRISK_NATIVE_UNWIND").is_some_and(|v| v == "register")
            || using_libunwind()
            || next_find_fde().is_none()
        {
            return false;
        }
        unsafe extern "C" {
            fn _Unwind_FindEnclosingFunction(pc: *mut c_void) -> *mut c_void;
        }
        PROBED.with(|p| p.set(false));
        // SAFETY: looks up the unwind info of an address in Brisk's own
        // code; nothing is unwound.
        unsafe { _Unwind_FindEnclosingFunction(answered_by_brisk as *mut c_void) };
        PROBED.with(|p| p.get())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brisk_environ::unwind::{CfiProgram, UnwindEntry, eh_frame};

    #[test]
    fn sections_are_indexed_by_code_offset() {
        let mut p = CfiProgram::default();
        p.frame_pointer(1, 4);
        let program = p.into_bytes();
        let entries = [
            UnwindEntry { start: 0x40, len: 0x20, program: &program },
            UnwindEntry { start: 0, len: 0x30, program: &program },
        ];
        // The code at 0x1000 bytes before the section.
        let mut bytes = vec![0u8; 0x1000];
        bytes.extend_from_slice(&eh_frame(&entries, -0x1000));
        let base = bytes.as_ptr() as usize;
        let section = Section { code: base..base + 0x1000, eh_frame: base + 0x1000, len: bytes.len() - 0x1000, index: OnceLock::new() };
        let (fde, func) = section.find(base + 0x45).unwrap();
        assert_eq!(func, base + 0x40);
        assert_eq!(fde as usize - section.eh_frame, fde_offsets(section.bytes()).next().unwrap().0);
        assert_eq!(section.find(base + 0x2f).unwrap().1, base);
        assert!(section.find(base + 0x30).is_none(), "between functions");
        assert!(section.find(base + 0x60).is_none(), "after the last");
        // A damaged CIE: no FDE is trusted.
        let mut damaged = bytes.clone();
        damaged[0x1000 + 9] ^= 1;
        let base = damaged.as_ptr() as usize;
        let section = Section { code: base..base + 0x1000, eh_frame: base + 0x1000, len: damaged.len() - 0x1000, index: OnceLock::new() };
        assert!(section.find(base + 0x45).is_none());
    }

    #[test]
    fn malformed_sections_end_the_walk() {
        assert_eq!(fde_offsets(&[]).count(), 0);
        assert_eq!(fde_offsets(&[8, 0, 0, 0, 1, 0, 0, 0]).count(), 0, "a record longer than the section");
        assert_eq!(fde_offsets(&[4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).collect::<Vec<_>>(), [(0, 4)]);
    }
}
