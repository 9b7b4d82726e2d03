//! Checking an artifact and reading its tables in place.

use super::*;
use crate::module::{ConstOp, ModuleCounts};
use crate::types::*;
use crate::Trap;
use cranelift_entity::EntityRef;
use std::ops::Range;

/// Where the ELF writer put an artifact's sections. Only the writer looks:
/// it records what the loader needs in the header.
pub(super) struct ElfSections {
    pub text: Option<(usize, usize)>,
    /// `.symtab` and `.strtab`, for function names (not checksummed).
    pub symtab: Option<(usize, usize)>,
    pub strtab: Option<(usize, usize)>,
    /// The memory images' bytes.
    pub images: Option<(usize, usize)>,
    /// Native unwind info.
    pub eh_frame: Option<(usize, usize)>,
    pub brisk: [Option<(usize, usize)>; Section::ALL.len()],
}

fn corrupt(what: impl std::fmt::Display) -> ArtifactError {
    ArtifactError::Corrupt(what.to_string())
}

/// A record of a table with a bad index or range in it.
fn bad(s: Section, i: usize, what: impl std::fmt::Display) -> ArtifactError {
    corrupt(format!("{} record {i}: {what}", s.name()))
}

/// Finds the sections of a file the writer just made.
pub(super) fn elf_sections(bytes: &[u8]) -> Result<ElfSections, String> {
    use object::read::elf::{FileHeader as _, SectionHeader as _};
    let malformed = |e: object::read::Error| format!("malformed ELF: {e}");
    let header = object::elf::FileHeader64::<object::Endianness>::parse(bytes).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    let sections = header.sections(endian, bytes).map_err(malformed)?;
    let mut out = ElfSections { text: None, symtab: None, strtab: None, images: None, eh_frame: None, brisk: [None; Section::ALL.len()] };
    for s in sections.iter() {
        let name = sections.section_name(endian, s).map_err(malformed)?;
        let slot = match name {
            b".text" => &mut out.text,
            b".symtab" => &mut out.symtab,
            b".strtab" => &mut out.strtab,
            n if n == IMAGES_SECTION.as_bytes() => &mut out.images,
            b".eh_frame" => &mut out.eh_frame,
            _ => match name.strip_prefix(b".brisk.").and_then(section_index) {
                Some(i) => &mut out.brisk[i],
                None => continue,
            },
        };
        let (off, len) = s.file_range(endian).ok_or_else(|| format!("section {} has no contents", String::from_utf8_lossy(name)))?;
        *slot = Some((off as usize, len as usize));
    }
    Ok(out)
}

/// The index in [`Section::ALL`] of the section named `.brisk.{suffix}`.
fn section_index(suffix: &[u8]) -> Option<usize> {
    Section::ALL.iter().position(|s| s.name().as_bytes()[".brisk.".len()..] == *suffix)
}

/// The checksum of the file's first `meta_end` bytes (the ELF header, the
/// Brisk header and the tables), with the checksum field taken as zero.
/// `meta_end` must lie past the header and inside `bytes`.
pub(super) fn checksum(bytes: &[u8], meta_end: usize) -> u64 {
    let at = HEADER_FILE_OFFSET + header::CHECKSUM;
    let h = hash64(0x6272_6973_6b21, &bytes[..at]);
    hash64(h, &bytes[at + 8..meta_end])
}

/// The number of leading records `0..n` for which `pred` holds, given
/// that it holds for a prefix: `slice::partition_point` over records that
/// are read in place rather than held in a slice.
fn partition_point(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

pub(super) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// An `[offset, length]` pair of `u32`s as a range (unchecked).
fn range_field(bytes: &[u8], at: usize) -> Range<usize> {
    let off = read_u32(bytes, at) as usize;
    off..off + read_u32(bytes, at + 4) as usize
}

/// A NUL-padded header field without its padding.
fn string_field(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// Is `target` [`host_target`]? (Without formatting it, as loads do.)
fn is_host_target(target: &[u8]) -> bool {
    let (arch, os) = (std::env::consts::ARCH.as_bytes(), std::env::consts::OS.as_bytes());
    target.len() == arch.len() + 1 + os.len()
        && target.starts_with(arch)
        && target[arch.len()] == b'-'
        && target.ends_with(os)
}

/// Is `name` [`unnamed_symbol`]`(func)`? (Without formatting it.)
fn is_unnamed_symbol(name: &str, func: FuncIndex) -> bool {
    name.strip_prefix("wasm-function[").and_then(|n| n.strip_suffix(']')).and_then(|n| n.parse::<u32>().ok())
        == Some(func.as_u32())
}

/// Where the header at the start of a file says the code is, read from
/// the file's first [`PREFIX_LEN`] bytes: a hint that lets a loader make
/// the code executable before it touches the mapping. Nothing else is
/// checked; [`ArtifactLayout::parse`] checks everything, and the code is
/// where [`ArtifactLayout::text`] says.
pub fn text_hint(prefix: &[u8]) -> Option<Range<usize>> {
    let h = prefix.get(HEADER_FILE_OFFSET..PREFIX_LEN)?;
    if !prefix.starts_with(&object::elf::ELFMAG) || h[..8] != MAGIC || read_u32(h, header::FORMAT_VERSION) != FORMAT_VERSION {
        return None;
    }
    let offset = usize::try_from(read_u64(h, header::TEXT_OFFSET)).ok()?;
    let len = usize::try_from(read_u64(h, header::TEXT_SIZE)).ok()?;
    Some(offset..offset.checked_add(len)?)
}

/// Does the header at the start of `bytes` say the artifact has memory
/// images? A hint, like [`text_hint`], for a loader choosing how to hold
/// the artifact in memory.
pub fn images_hint(bytes: &[u8]) -> bool {
    text_hint(bytes).is_some()
        && bytes.get(HEADER_FILE_OFFSET + header::IMAGES_SIZE..).is_some_and(|h| h.len() >= 8 && read_u64(h, 0) != 0)
}

/// A checked artifact: where its tables are and the counts in its header.
/// Building one costs the same for every module apart from the checksum,
/// which reads the metadata once; nothing is decoded.
#[derive(Clone, Debug)]
pub struct ArtifactLayout {
    sections: [Range<usize>; Section::ALL.len()],
    text: Range<usize>,
    counts: ModuleCounts,
    defined_funcs: u32,
    start: Option<FuncIndex>,
    name: (u32, u32),
    funcs_end: u32,
    func_symbols: usize,
    symtab: Range<usize>,
    strtab: Range<usize>,
    images: Range<usize>,
    eh_frame: Range<usize>,
    func_ref_slots: u32,
}

impl ArtifactLayout {
    /// Checks an artifact for this Brisk, this host and an engine with
    /// `settings`: ELF structure, header, checksum, then that every table
    /// holds whole records in numbers consistent with the header, then the
    /// indices and ranges in the tables that instantiation reads (one pass
    /// over each of them; none has a record per function).
    ///
    /// # Errors
    ///
    /// An [`ArtifactError`] that says what is wrong.
    pub fn parse(bytes: &[u8], settings: &ArtifactSettings) -> Result<ArtifactLayout, ArtifactError> {
        if !bytes.starts_with(&object::elf::ELFMAG) {
            return Err(ArtifactError::NotAnArtifact("not an ELF file".into()));
        }
        let h = bytes
            .get(HEADER_FILE_OFFSET..)
            .filter(|h| h.len() >= header::FIXED_SIZE + 4 && h[..8] == MAGIC)
            .ok_or_else(|| ArtifactError::NotAnArtifact("an ELF file without a Brisk header".into()))?;
        let version = read_u32(h, header::FORMAT_VERSION);
        if version != FORMAT_VERSION {
            return Err(ArtifactError::FormatVersion { found: version, expected: FORMAT_VERSION });
        }
        if h.len() < header::SIZE || read_u32(h, header::FIXED_SIZE) as usize != header::SIZE {
            return Err(corrupt("header truncated"));
        }
        let meta_end = read_u32(h, header::META_END) as usize;
        if meta_end < HEADER_FILE_OFFSET + header::SIZE || meta_end > bytes.len() {
            return Err(corrupt("the tables extend past the end of the file (truncated?)"));
        }
        if read_u64(h, header::CHECKSUM) != checksum(bytes, meta_end) {
            return Err(corrupt("checksum mismatch"));
        }
        let size = read_u64(h, header::FILE_SIZE);
        if size != bytes.len() as u64 {
            return Err(corrupt(format!("{} bytes long, written as {size} (truncated?)", bytes.len())));
        }
        // From here on every byte read up to `meta_end` is as written.
        let brisk = string_field(&h[header::BRISK_VERSION..][..header::STRING_FIELD]);
        if brisk != BRISK_VERSION.as_bytes() {
            let found = String::from_utf8_lossy(brisk).into_owned();
            return Err(ArtifactError::BriskVersion { found, expected: BRISK_VERSION.into() });
        }
        let target = string_field(&h[header::TARGET..][..header::STRING_FIELD]);
        let elf_machine = u16::from_le_bytes([bytes[18], bytes[19]]);
        let elf_64_le = bytes[4] == object::elf::ELFCLASS64.0 && bytes[5] == object::elf::ELFDATA2LSB.0;
        if !is_host_target(target) || !elf_64_le || elf_machine != object::elf::EM_X86_64.0 {
            let found = String::from_utf8_lossy(target).into_owned();
            return Err(ArtifactError::Target { found, expected: host_target() });
        }

        let mut sections: [Range<usize>; Section::ALL.len()] = Default::default();
        for (i, s) in Section::ALL.iter().enumerate() {
            let entry = header::DIRECTORY + 8 * i;
            let (off, len) = (read_u32(h, entry) as usize, read_u32(h, entry + 4) as usize);
            if off < HEADER_FILE_OFFSET || off + len > meta_end || len % s.record_size() != 0 {
                return Err(corrupt(format!("section {} is out of place", s.name())));
            }
            sections[i] = off..off + len;
        }
        let header_len = sections[Section::Header as usize].len();
        if sections[Section::Header as usize].start != HEADER_FILE_OFFSET || header_len < header::SIZE {
            return Err(corrupt("the header is out of place"));
        }
        if read_u64(h, header::SETTINGS_HASH) != settings.hash() {
            let found = String::from_utf8_lossy(&h[header::SIZE..header_len]);
            return Err(ArtifactError::Settings(settings.describe_difference(&found)));
        }
        let count = |s: Section| sections[s as usize].len() / s.record_size();
        let (text_off, text_len) = (read_u64(h, header::TEXT_OFFSET), read_u64(h, header::TEXT_SIZE));
        if (text_len != 0 && !text_off.is_multiple_of(TEXT_ALIGN)) || !text_len.is_multiple_of(TEXT_ALIGN) {
            return Err(corrupt(".text is not page-aligned"));
        }
        let (text_off, text_len) = (text_off as usize, text_len as usize);
        if text_off < meta_end || text_off.checked_add(text_len).is_none_or(|end| end > bytes.len()) {
            return Err(corrupt(".text lies outside the file (truncated?)"));
        }
        let (images_off, images_len) = (read_u64(h, header::IMAGES_OFFSET), read_u64(h, header::IMAGES_SIZE));
        if !images_off.is_multiple_of(IMAGE_PAGE) || !images_len.is_multiple_of(IMAGE_PAGE) {
            return Err(corrupt(format!("{IMAGES_SECTION} is not page-aligned")));
        }
        let images = usize::try_from(images_off)
            .ok()
            .zip(usize::try_from(images_len).ok())
            .and_then(|(off, len)| Some(off..off.checked_add(len)?))
            .filter(|r| r.is_empty() || (r.start >= meta_end && r.end <= bytes.len()))
            .ok_or_else(|| corrupt(format!("{IMAGES_SECTION} lies outside the file (truncated?)")))?;
        let eh_frame = usize::try_from(read_u64(h, header::EH_FRAME_OFFSET))
            .ok()
            .zip(usize::try_from(read_u64(h, header::EH_FRAME_SIZE)).ok())
            .and_then(|(off, len)| Some(off..off.checked_add(len)?))
            .filter(|r| r.is_empty() || (r.start >= meta_end && r.end <= bytes.len() && r.start % 8 == 0 && r.len() >= 8))
            .ok_or_else(|| corrupt(".eh_frame lies outside the file (truncated?)"))?;
        let n = |s: Section| u32::try_from(count(s)).unwrap_or(u32::MAX);
        let counts = ModuleCounts {
            funcs: n(Section::Funcs),
            imported_funcs: read_u32(h, header::IMPORTED_FUNCS),
            tables: n(Section::Tables),
            imported_tables: read_u32(h, header::IMPORTED_TABLES),
            memories: n(Section::Memories),
            imported_memories: read_u32(h, header::IMPORTED_MEMORIES),
            globals: n(Section::Globals),
            imported_globals: read_u32(h, header::IMPORTED_GLOBALS),
        };
        let defined_funcs = read_u32(h, header::DEFINED_FUNCS);
        let start = read_u32(h, header::START);
        let funcs_end = read_u32(h, header::FUNCS_END);
        let func_ref_slots = read_u32(h, header::FUNC_REF_SLOTS);
        let slot_table = count(Section::FuncRefSlots);
        let consistent = counts.is_valid()
            && func_ref_slots <= counts.funcs
            && (if slot_table == 0 { func_ref_slots == counts.funcs } else { slot_table == counts.funcs as usize })
            && defined_funcs == counts.funcs - counts.imported_funcs
            && count(Section::FuncStarts) == defined_funcs as usize
            && count(Section::TrapBlocks) == text_len.div_ceil(TRAP_BLOCK as usize) + 1
            && funcs_end as usize <= text_len
            && (start == NONE || start < counts.funcs);
        if !consistent {
            return Err(corrupt("table sizes disagree with the header"));
        }
        let layout = ArtifactLayout {
            sections,
            text: text_off..text_off + text_len,
            counts,
            defined_funcs,
            start: (start != NONE).then(|| FuncIndex::from_u32(start)),
            name: (read_u32(h, header::NAME_OFFSET), read_u32(h, header::NAME_LEN)),
            funcs_end,
            func_symbols: read_u32(h, header::FUNC_SYMBOLS) as usize,
            symtab: range_field(h, header::SYMTAB),
            strtab: range_field(h, header::STRTAB),
            images,
            eh_frame,
            func_ref_slots,
        };
        layout.info(bytes).check_indices()?;
        Ok(layout)
    }

    /// Where the machine code is in the file: page-aligned, whole pages.
    pub fn text(&self) -> Range<usize> {
        self.text.clone()
    }

    /// Where the native unwind info is in the file (empty if none).
    pub fn eh_frame(&self) -> Range<usize> {
        self.eh_frame.clone()
    }

    /// A view of the module's tables in `bytes`, the file this layout was
    /// parsed from.
    pub fn info<'a>(&'a self, bytes: &'a [u8]) -> ModuleInfo<'a> {
        ModuleInfo { bytes, layout: self }
    }
}

/// A module's environment read in place from its artifact.
///
/// Every index and range in the small tables (types, tables, memories,
/// globals, constant expressions, imports, exports, element and data
/// segments, the start function) was checked by [`ArtifactLayout::parse`],
/// so what these accessors return for indices the module itself holds is
/// in range. What grows with the number of functions is checked where it
/// is read instead, so that loading does no work per function: a
/// function's type ([`ModuleInfo::checked_func_type_index`]), its code
/// ([`ModuleInfo::native_call_offset`], [`ModuleInfo::array_call_offset`])
/// and the trap sites. An index the module does not hold makes an accessor
/// panic, never read out of bounds.
#[derive(Clone, Copy)]
pub struct ModuleInfo<'a> {
    bytes: &'a [u8],
    layout: &'a ArtifactLayout,
}

/// Where a memory image lies: bytes `file_offset..file_offset + len` of
/// the artifact are the memory's bytes `memory_offset..memory_offset + len`
/// after instantiation (all page-aligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryImageRef {
    /// Where the image starts in the memory.
    pub memory_offset: usize,
    /// Where it starts in the artifact file.
    pub file_offset: usize,
    /// Its length.
    pub len: usize,
}

/// A constant expression read in place.
#[derive(Clone, Copy, Debug)]
pub struct ConstExprRef<'a> {
    records: &'a [u8],
}

impl<'a> ConstExprRef<'a> {
    /// The operators.
    pub fn ops(self) -> impl Iterator<Item = ConstOp> + use<'a> {
        self.records.chunks_exact(Section::Consts.record_size()).map(|r| {
            let payload = u128::from_le_bytes(r[8..24].try_into().expect("16 bytes"));
            let (lo32, lo64) = (payload as u32, payload as u64);
            match read_u32(r, 0) {
                0 => ConstOp::I32Const(lo32 as i32),
                1 => ConstOp::I64Const(lo64 as i64),
                2 => ConstOp::F32Const(lo32),
                3 => ConstOp::F64Const(lo64),
                4 => ConstOp::V128Const(payload),
                5 => ConstOp::GlobalGet(GlobalIndex::from_u32(lo32)),
                7 => ConstOp::RefFunc(FuncIndex::from_u32(lo32)),
                8 => ConstOp::I32Add,
                9 => ConstOp::I32Sub,
                10 => ConstOp::I32Mul,
                11 => ConstOp::I64Add,
                12 => ConstOp::I64Sub,
                13 => ConstOp::I64Mul,
                _ => ConstOp::RefNull,
            }
        })
    }
}

/// Where a segment goes, read in place.
#[derive(Clone, Copy, Debug)]
pub enum SegmentModeRef<'a, I> {
    /// Copied in at instantiation.
    Active {
        /// Which table or memory.
        index: I,
        /// Where in it.
        offset: ConstExprRef<'a>,
    },
    /// Used by `table.init` / `memory.init`.
    Passive,
    /// Declares functions for `ref.func` only.
    Declared,
}

/// The items of an element segment, read in place.
#[derive(Clone, Copy, Debug)]
pub enum ElemItemsRef<'a> {
    /// Function indices (`u32` each).
    Functions(&'a [u8]),
    /// Expressions (`[offset, len]` into the constants).
    Exprs(&'a [u8], &'a [u8]),
}

/// One element-segment item.
#[derive(Clone, Copy, Debug)]
pub enum ElemItem<'a> {
    /// A function.
    Func(FuncIndex),
    /// An expression producing a reference.
    Expr(ConstExprRef<'a>),
}

impl<'a> ElemItemsRef<'a> {
    /// Number of items.
    pub fn len(&self) -> usize {
        match self {
            ElemItemsRef::Functions(f) => f.len() / 4,
            ElemItemsRef::Exprs(e, _) => e.len() / 8,
        }
    }

    /// Is the segment empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i`.
    pub fn get(&self, i: usize) -> ElemItem<'a> {
        match *self {
            ElemItemsRef::Functions(f) => ElemItem::Func(FuncIndex::from_u32(read_u32(f, i * 4))),
            ElemItemsRef::Exprs(e, consts) => {
                let (off, len) = (read_u32(e, i * 8) as usize, read_u32(e, i * 8 + 4) as usize);
                let size = Section::Consts.record_size();
                ElemItem::Expr(ConstExprRef { records: consts.get(off * size..(off + len) * size).unwrap_or_default() })
            }
        }
    }
}

/// An element segment, read in place.
#[derive(Clone, Copy, Debug)]
pub struct ElemRef<'a> {
    /// Where it goes.
    pub mode: SegmentModeRef<'a, TableIndex>,
    /// The element type.
    pub element: WasmValType,
    /// The items.
    pub items: ElemItemsRef<'a>,
}

/// A data segment, read in place.
#[derive(Clone, Copy, Debug)]
pub struct DataRef<'a> {
    /// Where it goes.
    pub mode: SegmentModeRef<'a, MemoryIndex>,
    /// The bytes.
    pub data: &'a [u8],
}

/// An import, read in place.
#[derive(Clone, Copy, Debug)]
pub struct ImportRef<'a> {
    /// First-level name.
    pub module: &'a str,
    /// Second-level name.
    pub name: &'a str,
    /// What it defines.
    pub index: EntityIndex,
}

impl<'a> ModuleInfo<'a> {
    fn section(&self, s: Section) -> &'a [u8] {
        &self.bytes[self.layout.sections[s as usize].clone()]
    }

    fn count(&self, s: Section) -> usize {
        self.layout.sections[s as usize].len() / s.record_size()
    }

    /// Record `i` of a table.
    fn record(&self, s: Section, i: usize) -> &'a [u8] {
        let size = s.record_size();
        let table = self.section(s);
        table.get(i * size..(i + 1) * size).unwrap_or_else(|| panic!("corrupt artifact: no record {i} in {}", s.name()))
    }

    fn field(&self, s: Section, i: usize, word: usize) -> u32 {
        read_u32(self.record(s, i), word * 4)
    }

    fn string(&self, off: u32, len: u32) -> Option<&'a str> {
        std::str::from_utf8(self.string_bytes(off, len)?).ok()
    }

    /// A string's bytes, undecoded (for comparisons and range checks).
    fn string_bytes(&self, off: u32, len: u32) -> Option<&'a [u8]> {
        if off == NONE {
            return None;
        }
        self.section(Section::Strings).get(off as usize..off as usize + len as usize)
    }

    /// Export `i`'s name, undecoded.
    fn export_name_bytes(&self, i: usize) -> Option<&'a [u8]> {
        let r = self.record(Section::Exports, i);
        self.string_bytes(read_u32(r, 0), read_u32(r, 4))
    }

    fn const_expr(&self, off: u32, len: u32) -> ConstExprRef<'a> {
        let size = Section::Consts.record_size();
        let (start, end) = (off as usize * size, (off as usize + len as usize) * size);
        ConstExprRef { records: self.section(Section::Consts).get(start..end).unwrap_or_default() }
    }

    /// The sizes of the index spaces.
    pub fn counts(&self) -> ModuleCounts {
        self.layout.counts
    }

    /// The module's name.
    pub fn name(&self) -> Option<&'a str> {
        self.string(self.layout.name.0, self.layout.name.1)
    }

    /// Number of function types.
    pub fn num_types(&self) -> usize {
        self.count(Section::Types)
    }

    /// A function type.
    pub fn func_type(&self, ty: TypeIndex) -> FuncType {
        let r = self.record(Section::Types, ty.index());
        let (off, params, results) = (read_u32(r, 0) as usize, read_u32(r, 4) as usize, read_u32(r, 8) as usize);
        let codes = self.section(Section::ValTypes).get(off..off + params + results).unwrap_or_default();
        let decode = |c: &u8| valtype_from_code(u32::from(*c)).unwrap_or(WasmValType::I32);
        FuncType::new(codes[..params.min(codes.len())].iter().map(decode), codes[params.min(codes.len())..].iter().map(decode))
    }

    /// The type of a function whose type was checked: an import, an
    /// export or the start function (see [`ModuleInfo::checked_func_type_index`]
    /// for the others).
    ///
    /// # Panics
    ///
    /// If the function or its type index is out of range.
    pub fn func_type_index(&self, func: FuncIndex) -> TypeIndex {
        self.checked_func_type_index(func).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The type of a function, checked: the function is in `.brisk.funcs`
    /// and its type in `.brisk.types`. The loader does not read the type of
    /// every function; instantiation checks those of the defined functions
    /// when it first builds their funcrefs.
    ///
    /// # Errors
    ///
    /// An out-of-range function or type index.
    pub fn checked_func_type_index(&self, func: FuncIndex) -> Result<TypeIndex, ArtifactError> {
        let s = Section::Funcs;
        let i = func.index();
        let ty = self
            .section(s)
            .get(i * 4..i * 4 + 4)
            .map(|r| read_u32(r, 0))
            .ok_or_else(|| corrupt(format!("function index {i} is out of range ({} in {})", self.count(s), s.name())))?;
        if ty as usize >= self.num_types() {
            return Err(bad(s, i, format!("type index {ty} is out of range ({} types)", self.num_types())));
        }
        Ok(TypeIndex::from_u32(ty))
    }

    /// A function's name from the name section: the name of its ELF
    /// symbol, unless that is the one made up for unnamed functions. Read
    /// with bounds checks, as names are not checksummed: damage gives a
    /// wrong name or none.
    pub fn func_name(&self, func: FuncIndex) -> Option<&'a str> {
        const SYM_SIZE: usize = 24;
        let def = self.defined_func_index(func)?;
        let i = self.layout.func_symbols.checked_add(def.index())?;
        let symtab = self.bytes.get(self.layout.symtab.clone())?;
        let sym = symtab.get(i.checked_mul(SYM_SIZE)?..)?.get(..SYM_SIZE)?;
        // The symbol must be the function's: `st_value` is its start (an
        // interpreted function's is empty, but still its own).
        if def.index() >= self.count(Section::FuncStarts)
            || read_u64(sym, 8) != u64::from(self.field(Section::FuncStarts, def.index(), 0))
        {
            return None;
        }
        let strings = self.bytes.get(self.layout.strtab.clone())?.get(read_u32(sym, 0) as usize..)?;
        let name = std::str::from_utf8(&strings[..strings.iter().position(|b| *b == 0)?]).ok()?;
        (!is_unnamed_symbol(name, func)).then_some(name)
    }

    /// Number of defined functions.
    pub fn num_defined_funcs(&self) -> usize {
        self.layout.defined_funcs as usize
    }

    /// The index-space index of a defined function.
    pub fn func_index(&self, def: DefinedFuncIndex) -> FuncIndex {
        FuncIndex::from_u32(def.as_u32() + self.layout.counts.imported_funcs)
    }

    /// The defined index of a function, or `None` for an import.
    pub fn defined_func_index(&self, func: FuncIndex) -> Option<DefinedFuncIndex> {
        func.as_u32().checked_sub(self.layout.counts.imported_funcs).map(DefinedFuncIndex::from_u32)
    }

    /// The defined index of a table, or `None` for an import.
    pub fn defined_table_index(&self, t: TableIndex) -> Option<DefinedTableIndex> {
        t.as_u32().checked_sub(self.layout.counts.imported_tables).map(DefinedTableIndex::from_u32)
    }

    /// The defined index of a memory, or `None` for an import.
    pub fn defined_memory_index(&self, m: MemoryIndex) -> Option<DefinedMemoryIndex> {
        m.as_u32().checked_sub(self.layout.counts.imported_memories).map(DefinedMemoryIndex::from_u32)
    }

    /// The defined index of a global, or `None` for an import.
    pub fn defined_global_index(&self, g: GlobalIndex) -> Option<DefinedGlobalIndex> {
        g.as_u32().checked_sub(self.layout.counts.imported_globals).map(DefinedGlobalIndex::from_u32)
    }

    /// Text offset of a defined function's native-ABI entry, checked where
    /// it is read (the loader does not read every start): the function
    /// starts before the next one (or, for the last, before the end of the
    /// functions, which lies inside `.text`), so it lies inside `.text`
    /// and starts are increasing wherever they are used.
    ///
    /// # Errors
    ///
    /// An out-of-range function index or misplaced start.
    pub fn native_call_offset(&self, def: DefinedFuncIndex) -> Result<u32, ArtifactError> {
        let s = Section::FuncStarts;
        let (i, n) = (def.index(), self.count(s));
        if i >= n {
            return Err(corrupt(format!("defined function index {i} is out of range ({n} in {})", s.name())));
        }
        let start = self.field(s, i, 0);
        let end = if i + 1 < n { self.field(s, i + 1, 0) } else { self.layout.funcs_end };
        if start >= end || end > self.layout.funcs_end {
            let funcs_end = self.layout.funcs_end;
            return Err(bad(s, i, format!("function starts at {start:#x}, not before {end:#x} (functions end at {funcs_end:#x})")));
        }
        Ok(start)
    }

    /// Text offset of a defined function's host-to-wasm trampoline, if it
    /// can escape: a binary search over the functions that can. The offset
    /// is checked to lie in `.text` after the functions, where the
    /// trampolines are.
    ///
    /// # Errors
    ///
    /// A trampoline offset outside the trampolines.
    pub fn array_call_offset(&self, def: DefinedFuncIndex) -> Result<Option<u32>, ArtifactError> {
        let s = Section::ArrayCalls;
        let n = self.count(s);
        let i = partition_point(n, |i| self.field(s, i, 0) < def.as_u32());
        if i >= n || self.field(s, i, 0) != def.as_u32() {
            return Ok(None);
        }
        let offset = self.field(s, i, 1);
        if offset < self.layout.funcs_end || offset as usize >= self.layout.text.len() {
            return Err(bad(s, i, format!("trampoline offset {offset:#x} lies outside the trampolines")));
        }
        Ok(Some(offset))
    }

    /// The interpreter's bytecode blob, empty if every function is native.
    pub fn bytecode(&self) -> &'a [u8] {
        self.section(Section::Bytecode)
    }

    fn limits(&self, s: Section, i: usize) -> (u32, u64, Option<u64>) {
        let r = self.record(s, i);
        let max = (read_u32(r, 4) != 0).then(|| read_u64(r, 16));
        (read_u32(r, 0), read_u64(r, 8), max)
    }

    /// A table's type.
    pub fn table(&self, t: TableIndex) -> TableType {
        let (kind, minimum, maximum) = self.limits(Section::Tables, t.index());
        TableType { element: valtype_from_code(kind).unwrap_or(WasmValType::FuncRef), minimum, maximum }
    }

    /// A memory's type.
    pub fn memory(&self, m: MemoryIndex) -> MemoryType {
        let (flags, minimum, maximum) = self.limits(Section::Memories, m.index());
        MemoryType { minimum, maximum, memory64: flags & MEMORY64 != 0, shared: flags & SHARED != 0 }
    }

    /// A global's type.
    pub fn global(&self, g: GlobalIndex) -> GlobalType {
        let r = self.record(Section::Globals, g.index());
        GlobalType { content: valtype_from_code(read_u32(r, 0)).unwrap_or(WasmValType::I32), mutable: read_u32(r, 4) != 0 }
    }

    /// A defined global's initializer.
    pub fn global_init(&self, g: GlobalIndex) -> ConstExprRef<'a> {
        let r = self.record(Section::Globals, g.index());
        self.const_expr(read_u32(r, 8), read_u32(r, 12))
    }

    /// The type of an entity.
    pub fn entity_type(&self, index: EntityIndex) -> EntityType {
        match index {
            EntityIndex::Function(f) => EntityType::Function(self.func_type_index(f)),
            EntityIndex::Table(t) => EntityType::Table(self.table(t)),
            EntityIndex::Memory(m) => EntityType::Memory(self.memory(m)),
            EntityIndex::Global(g) => EntityType::Global(self.global(g)),
        }
    }

    /// The imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportRef<'a>> + use<'a> {
        let this = *self;
        (0..self.count(Section::Imports)).map(move |i| {
            let r = this.record(Section::Imports, i);
            let w = |k: usize| read_u32(r, k * 4);
            ImportRef {
                module: this.string(w(0), w(1)).unwrap_or_default(),
                name: this.string(w(2), w(3)).unwrap_or_default(),
                index: entity_from_code(w(4), w(5)).unwrap_or(EntityIndex::Function(FuncIndex::from_u32(0))),
            }
        })
    }

    fn export_at(&self, i: usize) -> (&'a str, EntityIndex) {
        let r = self.record(Section::Exports, i);
        (self.string(read_u32(r, 0), read_u32(r, 4)).unwrap_or_default(), self.export_entity(i))
    }

    fn export_entity(&self, i: usize) -> EntityIndex {
        let r = self.record(Section::Exports, i);
        entity_from_code(read_u32(r, 8), read_u32(r, 12)).unwrap_or(EntityIndex::Function(FuncIndex::from_u32(0)))
    }

    /// The exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&'a str, EntityIndex)> + use<'a> {
        let this = *self;
        (0..self.count(Section::Exports)).map(move |i| this.export_at(i))
    }

    /// The export called `name`: a binary search over the names, comparing
    /// bytes (host functions look exports up on every call, such as WASI's
    /// `memory`), and decoding only the record found.
    pub fn export(&self, name: &str) -> Option<EntityIndex> {
        let by_name = self.section(Section::ExportsByName);
        let record = |i: usize| read_u32(by_name, i * 4) as usize;
        let name_bytes = |i: usize| self.export_name_bytes(record(i));
        let n = by_name.len() / 4;
        let i = partition_point(n, |i| name_bytes(i).unwrap_or_default() < name.as_bytes());
        (i < n && name_bytes(i) == Some(name.as_bytes())).then(|| self.export_entity(record(i)))
    }

    /// The start function.
    pub fn start(&self) -> Option<FuncIndex> {
        self.layout.start
    }

    fn mode<I: EntityRef>(&self, w: &dyn Fn(usize) -> u32) -> SegmentModeRef<'a, I> {
        match w(0) {
            MODE_ACTIVE => SegmentModeRef::Active { index: I::new(w(1) as usize), offset: self.const_expr(w(2), w(3)) },
            MODE_PASSIVE => SegmentModeRef::Passive,
            _ => SegmentModeRef::Declared,
        }
    }

    /// Number of element segments.
    pub fn num_elems(&self) -> usize {
        self.count(Section::Elems)
    }

    /// An element segment.
    pub fn elem(&self, e: ElemIndex) -> ElemRef<'a> {
        let r = self.record(Section::Elems, e.index());
        let w = |k: usize| read_u32(r, k * 4);
        let pool = self.section(Section::ElemItems);
        let (off, len) = (w(6) as usize, w(7) as usize);
        let items = if w(5) == 0 {
            ElemItemsRef::Functions(pool.get(off * 4..(off + len) * 4).unwrap_or_default())
        } else {
            ElemItemsRef::Exprs(pool.get(off * 4..(off + 2 * len) * 4).unwrap_or_default(), self.section(Section::Consts))
        };
        ElemRef { mode: self.mode(&w), element: valtype_from_code(w(4)).unwrap_or(WasmValType::FuncRef), items }
    }

    /// Number of data segments.
    pub fn num_data(&self) -> usize {
        self.count(Section::DataSegments)
    }

    /// A data segment.
    pub fn data(&self, d: DataIndex) -> DataRef<'a> {
        let r = self.record(Section::DataSegments, d.index());
        let w = |k: usize| read_u32(r, k * 4);
        let (off, len) = (w(4) as usize, w(5) as usize);
        DataRef { mode: self.mode(&w), data: self.section(Section::Data).get(off..off + len).unwrap_or_default() }
    }

    /// The image of a memory's initial contents, if it has one: where it
    /// lies in the file and in the memory. Checked at load: page-aligned,
    /// inside `.memory_images` and inside the memory's initial size, which
    /// is not shared. Its data segments are empty in the tables.
    pub fn memory_image(&self, m: MemoryIndex) -> Option<MemoryImageRef> {
        let n = self.count(Section::MemoryImages);
        let memory = |i: usize| read_u32(self.record(Section::MemoryImages, i), 0);
        let i = partition_point(n, |i| memory(i) < m.as_u32());
        (i < n && memory(i) == m.as_u32()).then(|| {
            let r = self.record(Section::MemoryImages, i);
            let image_offset = read_u64(r, 16) as usize;
            MemoryImageRef {
                memory_offset: read_u64(r, 8) as usize,
                file_offset: self.layout.images.start + image_offset,
                len: read_u64(r, 24) as usize,
            }
        })
    }

    /// The native unwind info (`.eh_frame`, addresses relative to the
    /// text), empty if the artifact has none. Like the code, it is not
    /// checked at load beyond its place in the file.
    pub fn eh_frame(&self) -> &'a [u8] {
        &self.bytes[self.layout.eh_frame.clone()]
    }

    /// How many funcref slots the vmctx has.
    pub fn func_ref_slots(&self) -> u32 {
        self.layout.func_ref_slots
    }

    /// A function's funcref slot in the vmctx, `None` if it has none (or
    /// the table gives one out of range, which a corrupt artifact could).
    pub fn func_ref_slot(&self, f: FuncIndex) -> Option<u32> {
        let table = self.section(Section::FuncRefSlots);
        if table.is_empty() {
            return (f.as_u32() < self.layout.counts.funcs).then_some(f.as_u32());
        }
        let slot = read_u32(table.get(f.index() * 4..f.index() * 4 + 4)?, 0);
        (slot < self.layout.func_ref_slots).then_some(slot)
    }

    /// Does the module have memory images?
    pub fn has_memory_images(&self) -> bool {
        self.count(Section::MemoryImages) > 0
    }

    /// The trap at a text offset, if it is a trap site: a binary search
    /// over the sites of its block of text.
    pub fn trap_at(&self, offset: u32) -> Option<Trap> {
        let block = (offset / TRAP_BLOCK) as usize;
        let first = |b: usize| self.section(Section::TrapBlocks).get(b * 4..b * 4 + 4).map(|w| read_u32(w, 0) as usize);
        let sites = self.section(Section::TrapSites).get(first(block)? * 2..first(block + 1)? * 2)?;
        let site = |i: usize| u16::from_le_bytes([sites[i * 2], sites[i * 2 + 1]]);
        let low = (offset % TRAP_BLOCK) as u16;
        let i = partition_point(sites.len() / 2, |i| site(i) >> TRAP_CODE_BITS < low);
        let found = Some(i).filter(|&i| i < sites.len() / 2).map(site).filter(|s| s >> TRAP_CODE_BITS == low)?;
        Trap::from_code((found & ((1 << TRAP_CODE_BITS) - 1)) as u8)
    }

    /// The wasm function whose code contains a text offset, and the
    /// offset where that code starts; `None` outside functions (in
    /// trampolines).
    pub fn func_at(&self, offset: u32) -> Option<(u32, FuncIndex)> {
        // The first function starting above `offset`, then step back.
        let n = self.count(Section::FuncStarts);
        let start = |i: usize| self.field(Section::FuncStarts, i, 0);
        let i = partition_point(n, |i| start(i) <= offset).checked_sub(1)?;
        let end = if i + 1 < n { start(i + 1) } else { self.layout.funcs_end };
        (offset < end).then(|| (start(i), self.func_index(DefinedFuncIndex::from_u32(i as u32))))
    }
}

/// The names of the entity kinds, by their code in artifacts.
const KIND_NAMES: [&str; 4] = ["function", "table", "memory", "global"];

/// The checks [`ArtifactLayout::parse`] makes of the indices and ranges in
/// the tables the runtime reads at instantiation. Each record of these
/// tables is read once; none of them has a record per function (element
/// items and constant expressions grow only with the segments that list
/// functions), and neither `.brisk.funcs` nor `.brisk.func_starts` is
/// walked: those are checked where they are read.
impl ModuleInfo<'_> {
    fn check_indices(&self) -> Result<(), ArtifactError> {
        use Section as S;
        let c = self.layout.counts;
        let is_ref = |t: &WasmValType| matches!(t, WasmValType::FuncRef | WasmValType::ExternRef);

        // Function types: their value types lie in the pool and decode.
        let valtypes = self.section(S::ValTypes);
        for i in 0..self.num_types() {
            let r = self.record(S::Types, i);
            let (off, len) = (read_u32(r, 0) as usize, read_u32(r, 4) as usize + read_u32(r, 8) as usize);
            let codes = valtypes
                .get(off..off + len)
                .ok_or_else(|| bad(S::Types, i, format!("value types {off}..{} lie outside {}", off + len, S::ValTypes.name())))?;
            if let Some(code) = codes.iter().find(|c| valtype_from_code(u32::from(**c)).is_none()) {
                return Err(bad(S::Types, i, format!("unknown value type code {code}")));
            }
        }
        for i in 0..c.tables as usize {
            let kind = self.field(S::Tables, i, 0);
            if !valtype_from_code(kind).is_some_and(|t| is_ref(&t)) {
                return Err(bad(S::Tables, i, format!("element type code {kind} is not a reference type")));
            }
        }
        for i in 0..c.memories as usize {
            let flags = self.field(S::Memories, i, 0);
            if flags & !(MEMORY64 | SHARED) != 0 {
                return Err(bad(S::Memories, i, format!("unknown flags {flags:#x}")));
            }
        }
        // Constant expressions: known operators whose indices are in range.
        for i in 0..self.count(S::Consts) {
            let (op, index) = (self.field(S::Consts, i, 0), self.field(S::Consts, i, 2));
            match op {
                0..=4 | 6 | 8..=13 => {}
                5 if index < c.globals => {}
                7 if index < c.funcs => {}
                5 => return Err(bad(S::Consts, i, format!("global.get {index}: global index out of range ({} globals)", c.globals))),
                7 => return Err(bad(S::Consts, i, format!("ref.func {index}: function index out of range ({} functions)", c.funcs))),
                _ => return Err(bad(S::Consts, i, format!("unknown operator code {op}"))),
            }
        }
        for i in 0..c.globals as usize {
            let content = self.field(S::Globals, i, 0);
            if valtype_from_code(content).is_none() {
                return Err(bad(S::Globals, i, format!("unknown value type code {content}")));
            }
        }

        // Imports come first in their index spaces, in order: the k-th
        // import of a kind is that kind's index k, and there are as many
        // of each kind as the header says (the vmctx has that many slots).
        let mut next = [0u32; 4];
        for i in 0..self.count(S::Imports) {
            let w = |k: usize| self.field(S::Imports, i, k);
            self.check_string(S::Imports, i, w(0), w(1))?;
            self.check_string(S::Imports, i, w(2), w(3))?;
            let (kind, index) = (w(4), w(5));
            let entity = entity_from_code(kind, index).ok_or_else(|| bad(S::Imports, i, format!("unknown kind {kind}")))?;
            let expected = &mut next[kind as usize];
            if index != *expected {
                let what = KIND_NAMES[kind as usize];
                return Err(bad(S::Imports, i, format!("imports {what} index {index}, expected {what} {expected}")));
            }
            *expected += 1;
            if let EntityIndex::Function(f) = entity {
                self.checked_func_type_index(f)?;
            }
        }
        let imported = [c.imported_funcs, c.imported_tables, c.imported_memories, c.imported_globals];
        if next != imported {
            return Err(corrupt(format!(
                "{} defines {next:?} imported functions, tables, memories and globals, the header {imported:?}",
                S::Imports.name()
            )));
        }

        // Initializers, now that every global's type decodes and the
        // imported ones are known to be imports.
        let mut stack = Vec::new();
        for i in c.imported_globals as usize..c.globals as usize {
            let (off, len) = (self.field(S::Globals, i, 2), self.field(S::Globals, i, 3));
            let content = self.global(GlobalIndex::from_u32(i as u32)).content;
            self.check_const(S::Globals, i, off, len, content, &mut stack)?;
        }

        let exports = self.count(S::Exports);
        for i in 0..exports {
            let w = |k: usize| self.field(S::Exports, i, k);
            // In range of the strings: names are decoded (checked) where
            // they are read, so load does no UTF-8 pass over every name.
            if self.string_bytes(w(0), w(1)).is_none() {
                return Err(bad(S::Exports, i, format!("name {}+{} lies outside {}", w(0), w(1), S::Strings.name())));
            }
            let (kind, index) = (w(2), w(3));
            let entity = entity_from_code(kind, index).ok_or_else(|| bad(S::Exports, i, format!("unknown kind {kind}")))?;
            let count = [c.funcs, c.tables, c.memories, c.globals][kind as usize];
            if index >= count {
                let what = KIND_NAMES[kind as usize];
                return Err(bad(S::Exports, i, format!("{what} index {index} is out of range ({count} {what}s)")));
            }
            if let EntityIndex::Function(f) = entity {
                self.checked_func_type_index(f)?;
            }
        }
        // A permutation of the exports sorted by name: strictly, as names
        // are unique, which also rules out repeats.
        if self.count(S::ExportsByName) != exports {
            return Err(corrupt(format!("{} does not list the {exports} exports", S::ExportsByName.name())));
        }
        let mut previous: Option<&[u8]> = None;
        for i in 0..exports {
            let e = self.field(S::ExportsByName, i, 0);
            if e as usize >= exports {
                return Err(bad(S::ExportsByName, i, format!("export index {e} is out of range ({exports} exports)")));
            }
            let name = self.export_name_bytes(e as usize).unwrap_or_default();
            if previous.is_some_and(|p| p >= name) {
                return Err(bad(S::ExportsByName, i, "the exports are not sorted by name"));
            }
            previous = Some(name);
        }

        // The start function is called with no values.
        if let Some(start) = self.layout.start {
            let ty = self.checked_func_type_index(start)?;
            let r = self.record(S::Types, ty.index());
            if read_u32(r, 4) != 0 || read_u32(r, 8) != 0 {
                return Err(corrupt(format!("start function {} has type {}, which takes or returns values", start.as_u32(), ty.as_u32())));
            }
        }

        let pool = self.section(S::ElemItems);
        for i in 0..self.num_elems() {
            let w = |k: usize| self.field(S::Elems, i, k);
            let element = valtype_from_code(w(4))
                .filter(is_ref)
                .ok_or_else(|| bad(S::Elems, i, format!("element type code {} is not a reference type", w(4))))?;
            self.check_mode(S::Elems, i, &w, c.tables, "table", true, &|_| WasmValType::I32, &mut stack)?;
            if w(0) == MODE_ACTIVE {
                let table = self.table(TableIndex::from_u32(w(1)));
                if table.element != element {
                    let what = format!("{element:?} segment for table {} of {:?}", w(1), table.element);
                    return Err(bad(S::Elems, i, what));
                }
            }
            let (off, len) = (w(6) as usize, w(7) as usize);
            let words = if w(5) == 0 { len } else { 2 * len };
            let items = pool.get(off * 4..(off + words) * 4).ok_or_else(|| {
                bad(S::Elems, i, format!("items {off}..{} lie outside {}", off + words, S::ElemItems.name()))
            })?;
            match w(5) {
                0 if element == WasmValType::FuncRef => {
                    let funcs = items.chunks_exact(4).map(|f| read_u32(f, 0));
                    if let Some((k, f)) = funcs.enumerate().find(|(_, f)| *f >= c.funcs) {
                        let what = format!("item {k}: function index {f} is out of range ({} functions)", c.funcs);
                        return Err(bad(S::Elems, i, what));
                    }
                }
                1 => {
                    for pair in items.chunks_exact(8) {
                        self.check_const(S::Elems, i, read_u32(pair, 0), read_u32(pair, 4), element, &mut stack)?;
                    }
                }
                kind => return Err(bad(S::Elems, i, format!("item kind {kind} for {element:?} elements"))),
            }
        }

        let data = self.section(S::Data);
        for i in 0..self.num_data() {
            let w = |k: usize| self.field(S::DataSegments, i, k);
            let index = |m| if self.memory(MemoryIndex::from_u32(m)).memory64 { WasmValType::I64 } else { WasmValType::I32 };
            self.check_mode(S::DataSegments, i, &w, c.memories, "memory", false, &index, &mut stack)?;
            let (off, len) = (w(4) as usize, w(5) as usize);
            if off + len > data.len() {
                let what = format!("bytes {off}..{} lie outside {} ({} bytes)", off + len, S::Data.name(), data.len());
                return Err(bad(S::DataSegments, i, what));
            }
        }

        // Memory images: of defined, unshared memories, one each in index
        // order, page-aligned, inside the images' section and inside their
        // memory's initial size.
        let mut previous = None;
        for i in 0..self.count(S::MemoryImages) {
            let r = self.record(S::MemoryImages, i);
            let memory = read_u32(r, 0);
            let [memory_offset, image_offset, len] = [8, 16, 24].map(|at| read_u64(r, at));
            if memory < c.imported_memories || memory >= c.memories || previous.is_some_and(|p| p >= memory) {
                return Err(bad(S::MemoryImages, i, format!("memory {memory} is not a defined memory after the previous image's")));
            }
            previous = Some(memory);
            let ty = self.memory(MemoryIndex::from_u32(memory));
            let minimum = ty.minimum.saturating_mul(crate::WASM_PAGE_SIZE);
            let fits = |start: u64, limit: u64| start.checked_add(len).is_some_and(|end| end <= limit);
            if [memory_offset, image_offset, len].iter().any(|v| !v.is_multiple_of(IMAGE_PAGE))
                || len == 0
                || ty.shared
                || !fits(image_offset, self.layout.images.len() as u64)
                || !fits(memory_offset, minimum)
            {
                let what = format!("image of {len} bytes at {image_offset} for bytes {memory_offset}.. of memory {memory}");
                return Err(bad(S::MemoryImages, i, format!("{what} is out of place")));
            }
        }

        let (name_off, name_len) = self.layout.name;
        if name_off != NONE && self.string(name_off, name_len).is_none() {
            return Err(corrupt(format!("the module name is not a string in {}", S::Strings.name())));
        }
        Ok(())
    }

    /// Checks a segment's mode, and for an active segment the index of its
    /// table or memory (`what`, of which there are `count`) and its offset
    /// expression, of type `offset` of that table or memory.
    #[allow(clippy::too_many_arguments, reason = "the parts of one record and what they are checked against")]
    fn check_mode(
        &self,
        s: Section,
        i: usize,
        w: &dyn Fn(usize) -> u32,
        count: u32,
        what: &str,
        declared: bool,
        offset: &dyn Fn(u32) -> WasmValType,
        stack: &mut Vec<Option<WasmValType>>,
    ) -> Result<(), ArtifactError> {
        match w(0) {
            MODE_ACTIVE if w(1) >= count => Err(bad(s, i, format!("{what} index {} is out of range ({count} {what}s)", w(1)))),
            MODE_ACTIVE => self.check_const(s, i, w(2), w(3), offset(w(1)), stack),
            MODE_PASSIVE => Ok(()),
            MODE_DECLARED if declared => Ok(()),
            mode => Err(bad(s, i, format!("unknown mode {mode}"))),
        }
    }

    /// Checks that a constant expression (`len` records from `off`) lies in
    /// `.brisk.consts` and produces one value of type `expected`, as
    /// validation made sure the module's did: instantiation stores what it
    /// produces as a value of that type (a reference is a pointer the
    /// runtime follows). `stack` is scratch space.
    fn check_const(
        &self,
        s: Section,
        i: usize,
        off: u32,
        len: u32,
        expected: WasmValType,
        stack: &mut Vec<Option<WasmValType>>,
    ) -> Result<(), ArtifactError> {
        use WasmValType as T;
        let n = self.count(Section::Consts);
        let end = off as usize + len as usize;
        if end > n {
            let what = format!("constant expression {off}..{end} lies outside {} ({n} records)", Section::Consts.name());
            return Err(bad(s, i, what));
        }
        stack.clear();
        let mut typed = true;
        for op in self.const_expr(off, len).ops() {
            let mut operands = |t: T| {
                let (b, a) = (stack.pop(), stack.pop());
                typed &= a == Some(Some(t)) && b == Some(Some(t));
                Some(t)
            };
            // `None`: `ref.null`, a null of any reference type.
            let pushed = match op {
                ConstOp::I32Const(_) => Some(T::I32),
                ConstOp::I64Const(_) => Some(T::I64),
                ConstOp::F32Const(_) => Some(T::F32),
                ConstOp::F64Const(_) => Some(T::F64),
                ConstOp::V128Const(_) => Some(T::V128),
                ConstOp::GlobalGet(g) => Some(self.global(g).content),
                ConstOp::RefNull => None,
                ConstOp::RefFunc(_) => Some(T::FuncRef),
                ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => operands(T::I32),
                ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => operands(T::I64),
            };
            stack.push(pushed);
        }
        let produces = match stack[..] {
            [Some(t)] => t == expected,
            [None] => matches!(expected, T::FuncRef | T::ExternRef),
            _ => false,
        };
        if typed && produces {
            Ok(())
        } else {
            Err(bad(s, i, format!("constant expression {off}+{len} does not produce one {expected:?}")))
        }
    }

    /// Checks that a name is a UTF-8 string in `.brisk.strings`.
    fn check_string(&self, s: Section, i: usize, off: u32, len: u32) -> Result<(), ArtifactError> {
        match self.string(off, len) {
            Some(_) => Ok(()),
            None => Err(bad(s, i, format!("name {off}+{len} is not a UTF-8 string in {}", Section::Strings.name()))),
        }
    }
}
