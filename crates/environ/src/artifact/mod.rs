//! The artifact format: a compiled module as an ELF file that loads by
//! mapping it.
//!
//! ```text
//!   ELF header                 (ET_REL, x86-64; covered by the checksum)
//!   .brisk.header              at file offset 64 (HEADER_FILE_OFFSET): magic,
//!                              format version, Brisk version, target,
//!                              settings hash and text, checksum, counts,
//!                              where the code, the symbols and every
//!                              table are
//!   .brisk.<table> ...         fixed-layout little-endian tables (below)
//!   .text                      machine code at a page-aligned offset, padded
//!                              to whole pages; a symbol per function
//!   .eh_frame                  native unwind info, if asked for: a CIE and
//!                              an FDE per function and trampoline, with
//!                              addresses relative to .text
//!   .memory_images             initial contents of memories, page-aligned,
//!                              mapped copy-on-write by instantiation
//!   .symtab .strtab .shstrtab  function names, for objdump, perf and
//!                              backtraces (not read at load)
//!   section headers            for tools (not read at load)
//! ```
//!
//! The header comes first so that a loader learns where the code is from
//! the file's first bytes ([`text_hint`]) and makes those pages executable
//! before it touches the mapping: changing the protection of pages that
//! are not yet mapped costs nothing per page, while pages already faulted
//! in (reading the metadata maps their neighbours too) must each be
//! changed.
//!
//! Every table is an array of fixed-size records, or a byte pool that
//! records point into with (offset, length) pairs. Nothing is decoded at
//! load: [`ArtifactLayout::parse`] checks the header,
//! the checksum and that every table holds whole records in consistent
//! numbers, all in time independent of the number of functions except the
//! checksum; [`ModuleInfo`] then reads records in place when the runtime
//! asks for them.
//!
//! The checksum catches damage, not a file rewritten and resealed, so
//! every index and range the runtime takes from the tables is checked
//! too, and a bad one is an [`ArtifactError`] naming the table and the
//! record, never an access out of bounds. The loader checks those of the
//! tables read at instantiation, one pass over each: types, tables,
//! memories, globals, constant expressions (`global.get`, `ref.func`, and
//! that each produces a value of the type it is stored as),
//! imports (in index order, as many as the header says), exports and the
//! by-name index, element segments and their items, data segments, the
//! start function (in range, with an empty type) and the module name.
//! What has a record per function is not walked at load but checked where
//! it is read: a function's type ([`ModuleInfo::checked_func_type_index`])
//! and its code offsets ([`ModuleInfo::native_call_offset`],
//! [`ModuleInfo::array_call_offset`]), which the first instantiation reads
//! for every defined function; trap sites and function starts looked up
//! by binary search are read with bounds checks.
//!
//! The header holds a directory of the tables, so the loader reads no ELF
//! structure beyond the ELF header: the section headers are for tools.
//! The checksum covers the file from its start to the end of the last
//! table (the ELF header, the Brisk header and every `.brisk.*` section):
//! everything the runtime acts on, except what is mapped and read in
//! place and so not read at load: the machine code (its pages fault in on
//! first call), its unwind info and the memory images (mapped into
//! memories copy-on-write). `Module::deserialize_file` says what that
//! means for its callers.
//! Function names are not in the tables: they are the names of the
//! functions' ELF symbols, which objdump, perf and Brisk's backtraces all
//! read, so they are stored once. Names only label backtraces, so they are
//! bounds-checked when read, not checksummed.

mod image;
mod read;
mod write;

pub use image::{IMAGE_PAGE, MemoryImage, MemoryImages, memory_images};
pub use read::*;
pub use write::*;

use crate::types::{EntityIndex, FuncIndex, GlobalIndex, MemoryIndex, TableIndex, WasmValType};

/// First bytes of `.brisk.header`.
pub const MAGIC: [u8; 8] = *b"BRISKART";
/// Version of the layout described here; any change to it bumps this.
pub const FORMAT_VERSION: u32 = 5;
/// The Brisk version that writes and accepts artifacts.
pub const BRISK_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Alignment of `.text` in the file and in memory, and the granule its
/// size is padded to: a page on every host Brisk supports.
pub const TEXT_ALIGN: u64 = 0x1000;
/// File offset of `.brisk.header`: right after the ELF header.
pub const HEADER_FILE_OFFSET: usize = 64;
/// How many of a file's first bytes [`text_hint`] reads.
pub const PREFIX_LEN: usize = HEADER_FILE_OFFSET + header::TEXT_SIZE + 8;
/// The ELF section of memory images' bytes.
pub const IMAGES_SECTION: &str = ".memory_images";
/// Extension of artifact files.
pub const EXTENSION: &str = "bwasm";

/// The target artifacts are compiled for: the host's.
pub fn host_target() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

macro_rules! sections {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $size:expr;)*) => {
        /// The metadata sections of an artifact.
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum Section { $($(#[$doc])* $variant),* }

        impl Section {
            /// Every section, in the order they are written and checksummed.
            pub const ALL: [Section; [$(Section::$variant),*].len()] = [$(Section::$variant),*];

            /// The ELF section name.
            pub const fn name(self) -> &'static str {
                match self { $(Section::$variant => $name),* }
            }

            /// Size of one record (1 for byte pools).
            pub const fn record_size(self) -> usize {
                match self { $(Section::$variant => $size),* }
            }
        }
    };
}

sections! {
    /// Fixed header fields ([`header`]), then the settings text.
    Header = ".brisk.header", 1;
    /// Function types: `[params_offset, params_len, results_len]` into
    /// `ValTypes` (params, then results).
    Types = ".brisk.types", 12;
    /// Value-type codes ([`valtype_code`]), one byte each.
    ValTypes = ".brisk.valtypes", 1;
    /// The type of every function, imports first: `u32` each.
    Funcs = ".brisk.funcs", 4;
    /// Text offset of every defined function's native-ABI entry, in
    /// order (so sorted): `u32` each. A function's code ends where the
    /// next one starts; the last ends at the header's `FUNCS_END`, where
    /// the trampolines begin.
    FuncStarts = ".brisk.func_starts", 4;
    /// The functions that can escape, sorted: `[defined index, text offset
    /// of its host-to-wasm trampoline]`.
    ArrayCalls = ".brisk.array_calls", 8;
    /// Where each [`TRAP_BLOCK`] of text starts in `TrapSites`: for block
    /// `b`, the index of the first trap site at or after offset
    /// `b * TRAP_BLOCK`; one entry per block and a last one, the number of
    /// sites: `u32` each.
    TrapBlocks = ".brisk.trap_blocks", 4;
    /// Trap sites sorted by text offset, a `u16` each: the offset less its
    /// block's start, shifted left by [`TRAP_CODE_BITS`], or'ed with the
    /// trap's code ([`Trap::code`](crate::Trap::code)).
    TrapSites = ".brisk.trap_sites", 2;
    /// Tables: a limits record ([`LIMITS_SIZE`]) whose `kind` is the
    /// element type's code.
    Tables = ".brisk.tables", LIMITS_SIZE;
    /// Memories: a limits record whose `kind` holds [`MEMORY64`] and
    /// [`SHARED`].
    Memories = ".brisk.memories", LIMITS_SIZE;
    /// Globals: `[content, mutable, init_offset, init_len]`; the
    /// initializer (defined globals only) is a run of `Consts`.
    Globals = ".brisk.globals", 16;
    /// Imports: `[module_offset, module_len, name_offset, name_len, kind, index]`.
    Imports = ".brisk.imports", 24;
    /// Exports in module order: `[name_offset, name_len, kind, index]`.
    Exports = ".brisk.exports", 16;
    /// Export numbers sorted by name, for lookup by binary search.
    ExportsByName = ".brisk.exports_by_name", 4;
    /// Element segments: `[mode, table, offset_offset, offset_len,
    /// element, items_kind, items_offset, items_len]`; items are function
    /// indices in `ElemItems` or (`items_kind` 1) `[offset, len]` pairs of
    /// expressions in `ElemItems`.
    Elems = ".brisk.elems", 32;
    /// `u32` pool of element items.
    ElemItems = ".brisk.elem_items", 4;
    /// Constant-expression operators: `[opcode, 0, payload: 16 bytes]`.
    Consts = ".brisk.consts", 24;
    /// Data segments: `[mode, memory, offset_offset, offset_len,
    /// data_offset, data_len]`.
    DataSegments = ".brisk.data_segments", 24;
    /// Byte pool of data-segment contents.
    Data = ".brisk.data", 1;
    /// Byte pool of names (UTF-8).
    Strings = ".brisk.strings", 1;
    /// The interpreter's bytecode for the module (`brisk_interp`'s blob),
    /// empty when every function is native. Read in place, 8-aligned.
    Bytecode = ".brisk.bytecode", 1;
    /// Memory images ([`memory_images`]), by memory index, at most one per
    /// memory: `[memory, 0, memory_offset: u64, image_offset: u64, len:
    /// u64]`; the image's bytes are `len` bytes at `image_offset` in the
    /// `.memory_images` section, all three page-aligned.
    MemoryImages = ".brisk.memory_images", 32;
    /// Per function, its funcref's slot in the vmctx (`u32::MAX`: none),
    /// when only some functions have one (see `Module::func_ref_slots`);
    /// empty when every function has one, at its index.
    FuncRefSlots = ".brisk.func_ref_slots", 4;
}

/// The span of text whose trap sites share the upper bits of their
/// offsets, which `TrapBlocks` holds once, so that a site's offset in its
/// block and its code fit 16 bits: 2 bytes a site, and 2 KiB of blocks
/// per MiB of code.
pub const TRAP_BLOCK: u32 = 1 << (16 - TRAP_CODE_BITS);
/// Bits of a trap site that hold the trap's code.
pub const TRAP_CODE_BITS: u32 = 5;
const _: () = assert!(crate::Trap::ALL.len() < 1 << TRAP_CODE_BITS, "trap codes fit TRAP_CODE_BITS");

/// Size of a limits record: `[kind, has_maximum, minimum: u64, maximum: u64]`.
pub const LIMITS_SIZE: usize = 24;
/// Memory flag: 64-bit index type.
pub const MEMORY64: u32 = 1;
/// Memory flag: shared.
pub const SHARED: u32 = 2;

/// Byte offsets of the fixed fields of `.brisk.header`.
pub mod header {
    /// `[u8; 8]`: [`MAGIC`](super::MAGIC).
    pub const MAGIC: usize = 0;
    /// `u32`: [`FORMAT_VERSION`](super::FORMAT_VERSION).
    pub const FORMAT_VERSION: usize = 8;
    /// `u32`: size of the fixed part, where the settings text starts.
    pub const FIXED_SIZE: usize = 12;
    /// `[u8; 32]`: the Brisk version, NUL-padded.
    pub const BRISK_VERSION: usize = 16;
    /// `[u8; 32]`: the target, NUL-padded.
    pub const TARGET: usize = 48;
    /// `u64`: hash of the settings text.
    pub const SETTINGS_HASH: usize = 80;
    /// `u64`: checksum of everything the loader reads but the code, with
    /// this field taken as zero.
    pub const CHECKSUM: usize = 88;
    /// `u64`: file offset of `.text`.
    pub const TEXT_OFFSET: usize = 96;
    /// `u64`: size of `.text` (whole pages).
    pub const TEXT_SIZE: usize = 104;
    /// `u32`s: imported functions, tables, memories, globals.
    pub const IMPORTED_FUNCS: usize = 112;
    /// `u32`
    pub const IMPORTED_TABLES: usize = 116;
    /// `u32`
    pub const IMPORTED_MEMORIES: usize = 120;
    /// `u32`
    pub const IMPORTED_GLOBALS: usize = 124;
    /// `u32`: the start function, `u32::MAX` for none.
    pub const START: usize = 128;
    /// `u32`: defined functions, the entries of `FuncStarts`.
    pub const DEFINED_FUNCS: usize = 132;
    /// `u32`s: the module's name in `Strings` (offset `u32::MAX`: none).
    pub const NAME_OFFSET: usize = 136;
    /// `u32`
    pub const NAME_LEN: usize = 140;
    /// `u32`: text offset of the end of the last defined function.
    pub const FUNCS_END: usize = 144;
    /// `u32`: index in `.symtab` of the first defined function's symbol;
    /// the others follow in order.
    pub const FUNC_SYMBOLS: usize = 148;
    /// `u32`: file offset of the end of the last table, where the
    /// checksummed part of the file ends.
    pub const META_END: usize = 152;
    /// `u32`s: file offset and size of `.symtab`.
    pub const SYMTAB: usize = 156;
    /// `u32`s: file offset and size of `.strtab`.
    pub const STRTAB: usize = 164;
    /// `u64`: size of the whole file, so that a file cut short anywhere,
    /// even in parts the loader does not read, is refused.
    pub const FILE_SIZE: usize = 172;
    /// `u64`: [`code_hash`](super::code_hash) of the file from
    /// `META_END` to its end (the code, the symbols and the section
    /// headers): with the checksum, the whole file. Loading does not check
    /// it (that reads every page of code); [`verify_code`](super::verify_code)
    /// does, and the cache calls it on every hit.
    pub const CODE_HASH: usize = 180;
    /// `u64`: file offset of the `.memory_images` section (page-aligned;
    /// 0 if the module has no memory image).
    pub const IMAGES_OFFSET: usize = 188;
    /// `u64`: size of `.memory_images` (whole pages).
    pub const IMAGES_SIZE: usize = 196;
    /// `u64`: file offset of `.eh_frame` (0 without native unwind info).
    pub const EH_FRAME_OFFSET: usize = 204;
    /// `u64`: size of `.eh_frame`.
    pub const EH_FRAME_SIZE: usize = 212;
    /// `u32`: how many funcref slots the vmctx has.
    pub const FUNC_REF_SLOTS: usize = 220;
    /// `[offset: u32, size: u32]` of every section in
    /// [`Section::ALL`](super::Section::ALL) order, the header included.
    pub const DIRECTORY: usize = 224;
    /// Size of the fixed part.
    pub const SIZE: usize = DIRECTORY + 8 * super::Section::ALL.len();
    /// Size of the string fields.
    pub const STRING_FIELD: usize = 32;
}

/// `u32::MAX`: "none" in optional index and offset fields.
pub const NONE: u32 = u32::MAX;

/// Mode codes of segments.
pub const MODE_ACTIVE: u32 = 0;
/// Passive segment.
pub const MODE_PASSIVE: u32 = 1;
/// Declared element segment.
pub const MODE_DECLARED: u32 = 2;

/// Value types by their code in artifacts: the code is the position.
const VALTYPES: [WasmValType; 7] = WasmValType::ALL;

/// The symbol name of a function the name section does not name.
pub fn unnamed_symbol(func: FuncIndex) -> String {
    format!("wasm-function[{}]", func.as_u32())
}

/// The code of a value type in artifacts.
pub fn valtype_code(ty: WasmValType) -> u8 {
    VALTYPES.iter().position(|t| *t == ty).expect("every value type has a code") as u8
}

/// Decodes [`valtype_code`].
pub fn valtype_from_code(code: u32) -> Option<WasmValType> {
    VALTYPES.get(usize::try_from(code).ok()?).copied()
}

fn entity_code(index: EntityIndex) -> (u32, u32) {
    match index {
        EntityIndex::Function(i) => (0, i.as_u32()),
        EntityIndex::Table(i) => (1, i.as_u32()),
        EntityIndex::Memory(i) => (2, i.as_u32()),
        EntityIndex::Global(i) => (3, i.as_u32()),
    }
}

fn entity_from_code(kind: u32, index: u32) -> Option<EntityIndex> {
    Some(match kind {
        0 => EntityIndex::Function(FuncIndex::from_u32(index)),
        1 => EntityIndex::Table(TableIndex::from_u32(index)),
        2 => EntityIndex::Memory(MemoryIndex::from_u32(index)),
        3 => EntityIndex::Global(GlobalIndex::from_u32(index)),
        _ => return None,
    })
}

/// The settings a module was compiled with, as the engine describes them:
/// one `key=value` line per setting that affects generated code. Their
/// hash goes in the header; on a mismatch the loader names the settings
/// that differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactSettings {
    text: String,
}

impl ArtifactSettings {
    /// Settings from `(key, value)` pairs.
    pub fn new<K: AsRef<str>, V: std::fmt::Display>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut text = String::new();
        for (k, v) in pairs {
            text.push_str(k.as_ref());
            text.push('=');
            text.push_str(&v.to_string());
            text.push('\n');
        }
        ArtifactSettings { text }
    }

    /// The `key=value` lines.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The hash stored in the header.
    pub fn hash(&self) -> u64 {
        hash64(0, self.text.as_bytes())
    }

    /// A description of how `found` differs from `self`, naming each
    /// setting.
    pub fn describe_difference(&self, found: &str) -> String {
        let pairs = |t: &'_ str| -> Vec<(String, String)> {
            t.lines()
                .map(|l| l.split_once('=').unwrap_or((l, "")))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let (ours, theirs) = (pairs(&self.text), pairs(found));
        let mut diffs = Vec::new();
        for (k, v) in &ours {
            match theirs.iter().find(|(tk, _)| tk == k) {
                Some((_, tv)) if tv == v => {}
                Some((_, tv)) => diffs.push(format!("{k}={tv} (this engine: {k}={v})")),
                None => diffs.push(format!("no {k} (this engine: {k}={v})")),
            }
        }
        for (k, v) in &theirs {
            if !ours.iter().any(|(ok, _)| ok == k) {
                diffs.push(format!("{k}={v} (unknown to this engine)"));
            }
        }
        // The last setting, `codegen`, hashes everything the compiler does,
        // so it differs whenever another does; name it only alone.
        if diffs.len() > 1 {
            diffs.retain(|d| !d.starts_with(CODEGEN_KEY));
        }
        if diffs.is_empty() {
            "settings whose hash differs".to_string()
        } else {
            diffs.join(", ")
        }
    }
}

/// The setting that stands for all of the compiler's own flags (its
/// version, options and the host CPU features it may use).
pub const CODEGEN_KEY: &str = "codegen";

/// Why an artifact was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// Not an ELF file with a Brisk header.
    #[error("not a Brisk artifact: {0}")]
    NotAnArtifact(String),
    /// Written in another layout.
    #[error("artifact format version {found}, this Brisk reads version {expected}")]
    FormatVersion {
        /// The file's version.
        found: u32,
        /// Ours.
        expected: u32,
    },
    /// Written by another Brisk.
    #[error("artifact compiled by Brisk {found}, this is Brisk {expected}")]
    BriskVersion {
        /// The file's version.
        found: String,
        /// Ours.
        expected: String,
    },
    /// Compiled for another target.
    #[error("artifact compiled for target {found}, this host is {expected}")]
    Target {
        /// The file's target.
        found: String,
        /// Ours.
        expected: String,
    },
    /// Compiled with other settings.
    #[error("artifact compiled with other settings: {0}")]
    Settings(String),
    /// Truncated or corrupted.
    #[error("corrupt artifact: {0}")]
    Corrupt(String),
}

/// The hash of the part of an artifact that its checksum leaves out: the
/// file from the end of its tables (`meta_end`) to its end, that is the
/// code, the symbols and the section headers. Recorded in the header at
/// [`header::CODE_HASH`].
///
/// # Panics
///
/// If `meta_end` is past the end of `bytes`.
pub fn code_hash(bytes: &[u8], meta_end: usize) -> u64 {
    hash64(0x636f_6465_6861_7368, &bytes[meta_end..])
}

/// Checks what [`ArtifactLayout::parse`] does not: that the code, the
/// symbols and the section headers hash to the header's
/// [`header::CODE_HASH`]. After `parse` has accepted `bytes` (which checks
/// the header and tables, this field included, against the checksum), an
/// `Ok` means that every byte of the file is as written, up to the odds of
/// a 64-bit hash collision; nothing is promised about a forged file. It
/// reads the whole file past the tables: [`hash64`] runs at about 25 GB/s
/// (40 µs per MiB) on pages in memory, plus the page faults of a mapping.
///
/// # Errors
///
/// [`ArtifactError::Corrupt`] on a mismatch, or if `bytes` has no header.
pub fn verify_code(bytes: &[u8]) -> Result<(), ArtifactError> {
    let field = |at: usize, len: usize| bytes.get(HEADER_FILE_OFFSET + at..HEADER_FILE_OFFSET + at + len);
    let meta_end = field(header::META_END, 4).map(|w| read::read_u32(w, 0) as usize);
    let stored = field(header::CODE_HASH, 8).map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")));
    match (meta_end, stored) {
        (Some(meta_end), Some(stored)) if meta_end <= bytes.len() => match code_hash(bytes, meta_end) == stored {
            true => Ok(()),
            false => Err(ArtifactError::Corrupt("code hash mismatch: the code or the symbols are damaged".into())),
        },
        _ => Err(ArtifactError::Corrupt("no header to verify the code against".into())),
    }
}

/// A fast 64-bit hash for checksums and cache keys, in the style of
/// XXH3's long-input loop: eight lanes each add a 32x32-bit product of the
/// keyed word, and the neighbouring lane adds the word itself, so every
/// input bit reaches a plain sum (a single flipped bit always changes it)
/// as well as a product. One multiply per 8 bytes keeps it near memory
/// speed, which is what makes checksumming an artifact at load cheap. The
/// lanes are folded through XXH64-style rounds and a final avalanche.
pub fn hash64(seed: u64, bytes: &[u8]) -> u64 {
    const P1: u64 = 0x9E37_79B1_85EB_CA87;
    const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    const P3: u64 = 0x1656_67B1_9E37_79F9;
    const KEYS: [u64; 8] = [
        0xbe4b_a423_396c_feb8,
        0x1cad_21f7_2c81_017c,
        0xdb97_9083_e96d_d4de,
        0x1f67_b3b7_a4a4_4072,
        0x78e5_c0cc_4ee6_79cb,
        0x2172_ffcc_7dd0_5a82,
        0x8e24_43f7_7441_69dc,
        0xd8b1_4e41_ceb4_e9e8,
    ];
    fn round(lane: u64, word: u64) -> u64 {
        lane.wrapping_add(word.wrapping_mul(P2)).rotate_left(31).wrapping_mul(P1)
    }
    // Written so that the compiler vectorizes the loop (`pmuludq` takes
    // the 32x32-bit products two lanes at a time with plain SSE2): each
    // lane takes its own product and its neighbour's word, and the lanes
    // live in a local array in a loop of their own (twice as fast as the
    // scalar code the compiler makes otherwise).
    #[inline(always)]
    fn stripe(acc: &mut [u64; 8], key: &[u64; 8], chunk: &[u8; 64]) {
        let w: [u64; 8] = std::array::from_fn(|i| u64::from_le_bytes(*chunk[i * 8..].first_chunk().expect("8 bytes")));
        for i in 0..8 {
            let k = w[i] ^ key[i];
            acc[i] = acc[i].wrapping_add(w[i ^ 1]).wrapping_add((k & 0xffff_ffff).wrapping_mul(k >> 32));
        }
    }
    #[inline(never)]
    fn stripes(acc: &mut [u64; 8], key: &[u64; 8], chunks: &mut std::slice::ChunksExact<'_, u8>) {
        let mut lanes = *acc;
        for chunk in chunks {
            stripe(&mut lanes, key, chunk.try_into().expect("64-byte chunk"));
        }
        *acc = lanes;
    }
    let mut acc = [P3, P1, P2, P3 ^ P1, P2 ^ P3, P1 ^ P2, P1.rotate_left(17), P2.rotate_left(29)];
    let key: [u64; 8] = std::array::from_fn(|i| KEYS[i] ^ seed.rotate_left(i as u32 * 8));
    let mut chunks = bytes.chunks_exact(64);
    stripes(&mut acc, &key, &mut chunks);
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut last = [0u8; 64];
        last[..tail.len()].copy_from_slice(tail);
        stripe(&mut acc, &key, &last);
    }
    let mut h = (bytes.len() as u64).wrapping_mul(P3) ^ seed;
    for lane in acc {
        h = (h ^ round(0, lane)).wrapping_mul(P1).wrapping_add(P3).rotate_left(27);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_sees_every_bit_and_length() {
        let data: Vec<u8> = (0..97u32).map(|i| (i * 7 + 3) as u8).collect();
        let base = hash64(0, &data);
        assert_eq!(base, hash64(0, &data), "deterministic");
        for bit in 0..data.len() * 8 {
            let mut d = data.clone();
            d[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(hash64(0, &d), base, "bit {bit}");
        }
        for len in 0..data.len() {
            assert_ne!(hash64(0, &data[..len]), base, "truncated to {len}");
        }
        let zeros = [0u8; 40];
        assert_ne!(hash64(0, &zeros[..33]), hash64(0, &zeros[..34]), "zero padding is not ambiguous");
        assert_ne!(hash64(1, &data), base, "seed matters");
    }

    #[test]
    fn valtype_codes_round_trip() {
        for ty in VALTYPES {
            assert_eq!(valtype_from_code(u32::from(valtype_code(ty))), Some(ty));
        }
        assert_eq!(valtype_from_code(VALTYPES.len() as u32), None);
    }

    #[test]
    fn codegen_is_named_only_alone() {
        let a = ArtifactSettings::new([("opt-level", "speed"), (CODEGEN_KEY, "1")]);
        let b = ArtifactSettings::new([("opt-level", "none"), (CODEGEN_KEY, "2")]);
        let c = ArtifactSettings::new([("opt-level", "speed"), (CODEGEN_KEY, "2")]);
        assert_eq!(a.describe_difference(b.text()), "opt-level=none (this engine: opt-level=speed)");
        assert_eq!(a.describe_difference(c.text()), "codegen=2 (this engine: codegen=1)");
    }

    #[test]
    fn settings_differences_are_named() {
        let a = ArtifactSettings::new([("opt-level", "speed"), ("regalloc", "backtracking")]);
        let b = ArtifactSettings::new([("opt-level", "none"), ("regalloc", "backtracking")]);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.describe_difference(b.text()), "opt-level=none (this engine: opt-level=speed)");
    }
}
