//! Executable memory holding a module's machine code, and the process-wide
//! registry the signal handler consults to recognise wasm code.

use super::mmap::Mmap;
use brisk_environ::{FuncIndex, Module as ModuleEnv, Trap};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What the runtime knows about one function in a code region.
#[derive(Clone, Debug)]
pub struct FuncRange {
    /// Start offset in the region.
    pub start: u32,
    /// End offset (exclusive).
    pub end: u32,
    /// The wasm function, or `None` for a trampoline.
    pub func: Option<FuncIndex>,
}

/// Metadata of a code region, shared with the registry.
#[derive(Debug)]
pub struct CodeInfo {
    /// Trap sites as (offset in region, trap), sorted by offset.
    pub traps: Vec<(u32, Trap)>,
    /// Functions, sorted by start.
    pub funcs: Vec<FuncRange>,
    /// The module, for names in backtraces.
    pub module: Option<Arc<ModuleEnv>>,
}

impl CodeInfo {
    /// The trap at `offset`, if it is a trap site.
    pub fn trap_at(&self, offset: u32) -> Option<Trap> {
        self.traps.binary_search_by_key(&offset, |(o, _)| *o).ok().map(|i| self.traps[i].1)
    }

    /// The function containing `offset`.
    pub fn func_at(&self, offset: u32) -> Option<&FuncRange> {
        let i = self.funcs.partition_point(|f| f.start <= offset);
        let f = self.funcs.get(i.checked_sub(1)?)?;
        (offset < f.end).then_some(f)
    }
}

/// A region of executable code: written once, then read-only and
/// executable until dropped, and registered with the trap handler while it
/// lives.
#[derive(Debug)]
pub struct CodeMemory {
    mmap: Mmap,
    len: usize,
}

impl CodeMemory {
    /// Copies `code` into fresh memory, makes it executable and registers
    /// it.
    pub fn new(code: &[u8], info: CodeInfo) -> std::io::Result<CodeMemory> {
        let mut mmap = Mmap::reserve(code.len())?;
        let len = mmap.len();
        mmap.make_accessible(0, len)?;
        // SAFETY: the mapping is at least `code.len()` bytes, writable, and
        // freshly created, so it overlaps nothing.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), mmap.as_ptr(), code.len()) };
        mmap.make_executable(0, len)?;
        let info = Arc::new(info);
        let start = mmap.as_ptr() as usize;
        registry().write().unwrap_or_else(|e| e.into_inner()).insert(start + len, (start, info));
        Ok(CodeMemory { mmap, len: code.len() })
    }

    /// Address of the first byte.
    pub fn base(&self) -> usize {
        self.mmap.as_ptr() as usize
    }

    /// The machine code.
    pub fn text(&self) -> &[u8] {
        // SAFETY: the first `len` bytes were initialised in `new` and the
        // mapping is readable for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.mmap.as_ptr(), self.len) }
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        let start = self.mmap.as_ptr() as usize;
        registry().write().unwrap_or_else(|e| e.into_inner()).remove(&(start + self.mmap.len()));
    }
}

type Registry = RwLock<BTreeMap<usize, (usize, Arc<CodeInfo>)>>;

fn registry() -> &'static Registry {
    static REGISTRY: RwLock<BTreeMap<usize, (usize, Arc<CodeInfo>)>> = RwLock::new(BTreeMap::new());
    &REGISTRY
}

/// Finds the code region containing `pc` and calls `f` with its info and
/// the offset of `pc` in it. Called from the signal handler: it takes a
/// read lock only, which no thread running wasm code can hold for writing.
pub fn lookup_pc<R>(pc: usize, f: impl FnOnce(&CodeInfo, u32) -> R) -> Option<R> {
    let map = registry().read().ok()?;
    let (end, (start, info)) = map.range(pc + 1..).next()?;
    if pc < *start || pc >= *end {
        return None;
    }
    Some(f(info, u32::try_from(pc - start).ok()?))
}
