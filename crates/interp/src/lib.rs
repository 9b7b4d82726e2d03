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

/// A module's bytecode blob as it is built ([`layout`]): the header and a
/// record per defined function, then the code of each function translated
/// into it ([`BodyTranslator::new`]), appended where it will stay: the
/// words are the blob, written to the artifact as they are.
#[derive(Debug)]
pub struct ModuleCode {
    words: Vec<u32>,
}

impl ModuleCode {
    /// The header of `module`'s blob, with a record per defined function
    /// that says it is not interpreted, until its code is added.
    pub fn new(module: &brisk_environ::Module) -> ModuleCode {
        use layout::*;
        let n = module.num_defined_funcs();
        let mut words = vec![0; record_at(n)];
        // More than 2^32 functions is more than a module can declare.
        words[..HEADER_WORDS].copy_from_slice(&[MAGIC, n as u32, translate::memory0_place(module), crate::op::FINGERPRINT]);
        ModuleCode { words }
    }

    /// Adds the code `other` holds (built for the same module, by another
    /// thread) to this blob's.
    ///
    /// # Errors
    ///
    /// A message if the blob would exceed 4 GiB words.
    pub fn merge(&mut self, other: &ModuleCode) -> Result<(), String> {
        use layout::*;
        let n = self.words[NUM_FUNCS] as usize;
        let code_start = record_at(n);
        if other.words.get(NUM_FUNCS) != Some(&(n as u32)) || other.words.len() < code_start {
            return Err("bytecode blobs of different modules".into());
        }
        let shift = self.words.len() - code_start;
        if u32::try_from(self.words.len() + other.words.len()).is_err() {
            return Err("bytecode exceeds 2^32 words".into());
        }
        self.words.extend_from_slice(&other.words[code_start..]);
        for def in 0..n {
            let at = record_at(def);
            if other.words[at + FUNC_CODE] != 0 {
                self.words[at..at + FUNC_WORDS].copy_from_slice(&other.words[at..at + FUNC_WORDS]);
                self.words[at + FUNC_CODE] += shift as u32;
            }
        }
        Ok(())
    }

    /// Defined function `def`'s record, if it has code in the blob.
    pub fn record(&self, def: brisk_environ::DefinedFuncIndex) -> Option<layout::FuncRecord> {
        let at = layout::record_at(def.as_u32() as usize);
        let rec = layout::FuncRecord::from_words(|f| self.words.get(at + f).copied().unwrap_or(0));
        (rec.code != 0).then_some(rec)
    }

    fn set_record(&mut self, def: brisk_environ::DefinedFuncIndex, rec: layout::FuncRecord) {
        use layout::*;
        let at = record_at(def.as_u32() as usize);
        let r = &mut self.words[at..at + FUNC_WORDS];
        r[FUNC_CODE] = rec.code;
        r[FUNC_FRAME] = rec.frame;
        r[FUNC_PARAMS] = rec.params;
        r[FUNC_LOCALS] = rec.locals;
        r[FUNC_RESULTS] = rec.results;
        r[FUNC_ZERO_START] = rec.zero_start;
        r[FUNC_ZERO_END] = rec.zero_end;
    }

    /// The blob's length in words (never zero: the header).
    pub fn len_words(&self) -> usize {
        self.words.len()
    }

    /// The blob's words.
    pub fn into_words(self) -> Vec<u32> {
        self.words
    }
}
