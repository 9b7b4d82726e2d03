//! Internal to Brisk: the interpreter tier.
//!
//! [`translate_function`] turns a validated function body into register
//! bytecode in one forward pass; [`exec`] runs it on Brisk's one runtime:
//! the same vmctx (laid out by `VMOffsets`), linear memories, tables,
//! globals, funcrefs and builtins as native code.
//!
//! # The register machine
//!
//! Every value lives in a 16-byte *slot* of the function's frame (a `v128`
//! fills one; other values sit little endian at its start, which makes a
//! run of slots exactly a buffer of the array ABI's `ValRaw`s). A frame is
//! the function's locals (parameters first), then one slot per position
//! of the wasm operand stack. Instructions name slots directly
//! (`i32.add dst a b`), so `local.get` costs nothing: the translator
//! keeps, for every operand-stack entry, where its value is (its own slot,
//! a local's slot, or a constant) and only copies when it must (a write
//! to the local while the entry still refers to it, a block boundary, a
//! call's arguments, a branch's values). Results of the previous
//! instruction are written straight into a local on `local.set`.
//!
//! Calls pass arguments in place: the caller's last operand slots become
//! the callee's first slots (its parameters) and hold its results after
//! the return.
//!
//! # Translation is linear
//!
//! Every operator does constant work plus work proportional to what it
//! names (a branch's values, a `br_table`'s targets, a block type's
//! arity), except copies of lazily read locals, and each stack entry is
//! copied at most once: the entries that still refer to a local are kept
//! on a chain per local (found without a walk of the stack when the local
//! is written) and on one list (materialized at the next block boundary).
//! Forward branches are patched through a chain threaded through the code
//! itself. See `translate.rs`.
//!
//! # The module's code
//!
//! A module's bytecode is one blob of `u32` words ([`layout`]) that the
//! artifact stores as it is and the executor reads in place.

pub mod exec;
pub mod op;
pub mod simd;
mod translate;

pub use translate::{BodyTranslator, FuncCode, Scratch, TranslateOptions, translate_function};

/// Layout of a module's bytecode blob: little-endian `u32` words.
///
/// ```text
///   [0]  MAGIC
///   [1]  number of defined functions
///   [2]  memory 0 (a place word, NO_PLACE if none)
///   [3]  the instruction set's fingerprint (op::FINGERPRINT)
///   [4 + FUNC_WORDS * i ..]  defined function i: FUNC_* fields
///   then the code of every interpreted function
/// ```
pub mod layout {
    /// First word of a blob.
    pub const MAGIC: u32 = u32::from_le_bytes(*b"bbc1");
    /// Word index of the number of defined functions.
    pub const NUM_FUNCS: usize = 1;
    /// Word index of memory 0's place.
    pub const MEMORY: usize = 2;
    /// Word index of the instruction set's fingerprint.
    pub const FINGERPRINT: usize = 3;
    /// Words before the function table.
    pub const HEADER_WORDS: usize = 4;
    /// Words per function record.
    pub const FUNC_WORDS: usize = 8;
    /// Function record: word index of its code in the blob (0: not
    /// interpreted).
    pub const FUNC_CODE: usize = 0;
    /// Function record: slots of its frame (locals and operand stack).
    pub const FUNC_FRAME: usize = 1;
    /// Function record: parameters.
    pub const FUNC_PARAMS: usize = 2;
    /// Function record: locals, parameters included.
    pub const FUNC_LOCALS: usize = 3;
    /// Function record: results.
    pub const FUNC_RESULTS: usize = 4;
    /// Function record: the first local a new frame zeroes.
    pub const FUNC_ZERO_START: usize = 5;
    /// Function record: one past the last local a new frame zeroes.
    pub const FUNC_ZERO_END: usize = 6;
    /// A place that is none.
    pub const NO_PLACE: u32 = u32::MAX;
    /// Bit of a place word set when the vmctx field is an import (a
    /// pointer to the definition) rather than the definition itself.
    pub const IMPORTED: u32 = 1 << 31;

    /// A defined function's record.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FuncRecord {
        /// [`FUNC_CODE`]: 0 if the function is not interpreted.
        pub code: u32,
        /// [`FUNC_FRAME`]
        pub frame: u32,
        /// [`FUNC_PARAMS`]
        pub params: u32,
        /// [`FUNC_LOCALS`]
        pub locals: u32,
        /// [`FUNC_RESULTS`]
        pub results: u32,
        /// [`FUNC_ZERO_START`]
        pub zero_start: u32,
        /// [`FUNC_ZERO_END`]
        pub zero_end: u32,
    }

    impl FuncRecord {
        /// The record from its words.
        #[inline(always)]
        pub fn from_words(word: impl Fn(usize) -> u32) -> FuncRecord {
            FuncRecord {
                code: word(FUNC_CODE),
                frame: word(FUNC_FRAME),
                params: word(FUNC_PARAMS),
                locals: word(FUNC_LOCALS),
                results: word(FUNC_RESULTS),
                zero_start: word(FUNC_ZERO_START),
                zero_end: word(FUNC_ZERO_END),
            }
        }
    }

    /// Word index of defined function `def`'s record.
    #[inline(always)]
    pub fn record_at(def: usize) -> usize {
        HEADER_WORDS + FUNC_WORDS * def
    }

    /// Word `i` of a blob, if it has one.
    pub fn word(blob: &[u8], i: usize) -> Option<u32> {
        let b = blob.get(4 * i..4 * i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Defined function `def`'s record, if the blob holds it.
    pub fn record(blob: &[u8], def: usize) -> Option<FuncRecord> {
        let at = record_at(def);
        word(blob, at + FUNC_WORDS - 1)?;
        Some(FuncRecord::from_words(|f| word(blob, at + f).unwrap_or(0)))
    }

    /// Checks that `blob` is a blob for a module of `num_funcs` defined
    /// functions, with all its records, readable in place as words
    /// (4-aligned), written for this build's instruction set.
    ///
    /// # Errors
    ///
    /// What does not hold.
    pub fn check(blob: &[u8], num_funcs: usize) -> Result<(), &'static str> {
        if !blob.len().is_multiple_of(4) || !(blob.as_ptr() as usize).is_multiple_of(4) || word(blob, 0) != Some(MAGIC) {
            return Err("bytecode is not a bytecode blob");
        }
        if word(blob, FINGERPRINT) != Some(crate::op::FINGERPRINT) {
            return Err("bytecode was written by a Brisk build with another instruction set: recompile the module");
        }
        if word(blob, NUM_FUNCS) != u32::try_from(num_funcs).ok() || blob.len() / 4 < record_at(num_funcs) {
            return Err("bytecode header does not match the module");
        }
        Ok(())
    }
}

/// Builds `module`'s bytecode blob from its functions' code.
///
/// `funcs` has an entry per defined function, `None` for those compiled
/// natively.
///
/// # Errors
///
/// A message if the blob would exceed 4 GiB words.
pub fn build_module_code(module: &brisk_environ::Module, funcs: &[Option<FuncCode>]) -> Result<Vec<u8>, String> {
    use layout::*;
    let memory = translate::memory0_place(module);
    let n = funcs.len();
    let mut words: Vec<u32> = Vec::with_capacity(HEADER_WORDS + FUNC_WORDS * n);
    words.extend([MAGIC, u32::try_from(n).map_err(|_| "too many functions")?, memory, crate::op::FINGERPRINT]);
    words.resize(HEADER_WORDS + FUNC_WORDS * n, 0);
    for (i, f) in funcs.iter().enumerate() {
        let Some(f) = f else { continue };
        let start = u32::try_from(words.len()).map_err(|_| "bytecode exceeds 4 GiB")?;
        words.extend_from_slice(&f.code);
        let rec = record_at(i);
        words[rec + FUNC_CODE] = start;
        words[rec + FUNC_FRAME] = f.frame_slots;
        words[rec + FUNC_PARAMS] = f.params;
        words[rec + FUNC_LOCALS] = f.locals;
        words[rec + FUNC_RESULTS] = f.results;
        words[rec + FUNC_ZERO_START] = f.zero_start;
        words[rec + FUNC_ZERO_END] = f.zero_end;
    }
    if u32::try_from(words.len()).is_err() {
        return Err("bytecode exceeds 4 GiB".into());
    }
    Ok(words.iter().flat_map(|w| w.to_le_bytes()).collect())
}
