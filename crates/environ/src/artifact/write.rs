//! Linking compiled functions into one text section and writing the
//! artifact.

use super::*;
use crate::module::{ConstExpr, ConstOp, ElemItems, Module, SegmentMode};
use crate::types::{DefinedFuncIndex, FuncIndex};
use crate::{CompiledFunction, RelocKind, Trap, unwind};
use cranelift_entity::{EntityRef, PrimaryMap, SecondaryMap};
use object::write::{Object, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope};

/// A function or trampoline in the text section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeRange {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset after the last byte.
    pub end: u32,
    /// The wasm function, or `None` for a trampoline.
    pub func: Option<FuncIndex>,
}

/// A module's code laid out in one text section.
#[derive(Debug, Default)]
pub struct LinkedCode {
    /// The machine code, padded with `int3` to whole [`TEXT_ALIGN`] units.
    pub text: Vec<u8>,
    /// Functions then trampolines, sorted by start.
    pub ranges: Vec<CodeRange>,
    /// For each trampoline range (after the functions), the function it
    /// calls.
    pub trampoline_targets: Vec<FuncIndex>,
    /// Text offset of each defined function's host-to-wasm trampoline, 0
    /// for none.
    pub array_calls: SecondaryMap<DefinedFuncIndex, u32>,
    /// Trap sites as (text offset, trap), sorted by offset.
    pub traps: Vec<(u32, Trap)>,
    /// The interpreter's bytecode blob (empty if no function is
    /// interpreted): `u32` words, in the host's byte order (little
    /// endian), which the interpreter reads in place.
    pub bytecode: Vec<u32>,
    /// Each range's call frame program, for native unwind info: (range
    /// index, program), in range order; empty for an artifact without
    /// unwind info.
    pub unwind: Vec<(u32, Vec<u8>)>,
}

/// Lays out functions and trampolines in one text section and resolves
/// the calls between them. Everything is PC-relative inside the section,
/// so the text can be mapped anywhere without relocation.
///
/// # Errors
///
/// A message if the code exceeds 4 GiB or a call cannot be resolved.
pub fn link(
    env: &Module,
    funcs: &[CompiledFunction],
    trampolines: &[(DefinedFuncIndex, CompiledFunction)],
) -> Result<LinkedCode, String> {
    let mut out = LinkedCode::default();
    let too_big = || "module code exceeds 4 GiB".to_string();
    let place = |out: &mut LinkedCode, f: &CompiledFunction, func: Option<FuncIndex>| -> Result<u32, String> {
        let align = f.alignment.max(16) as usize;
        out.text.resize(out.text.len().next_multiple_of(align), 0xcc);
        let start = u32::try_from(out.text.len()).map_err(|_| too_big())?;
        out.text.extend_from_slice(&f.body);
        let end = u32::try_from(out.text.len()).map_err(|_| too_big())?;
        if !f.unwind.is_empty() {
            out.unwind.push((out.ranges.len() as u32, f.unwind.clone()));
        }
        out.ranges.push(CodeRange { start, end, func });
        out.traps.extend(f.traps.iter().map(|t| (start + t.offset, t.trap)));
        Ok(start)
    };
    let mut func_offsets: PrimaryMap<DefinedFuncIndex, u32> = PrimaryMap::new();
    for (i, f) in funcs.iter().enumerate() {
        let def = DefinedFuncIndex::new(i);
        func_offsets.push(place(&mut out, f, Some(env.func_index(def)))?);
    }
    let mut tramp_offsets = Vec::with_capacity(trampolines.len());
    for (def, t) in trampolines {
        let off = place(&mut out, t, None)?;
        out.array_calls[*def] = off;
        out.trampoline_targets.push(env.func_index(*def));
        tramp_offsets.push(off);
    }
    let bodies = funcs.iter().zip(func_offsets.values().copied());
    let all = bodies.chain(trampolines.iter().map(|(_, t)| t).zip(tramp_offsets));
    for (f, start) in all {
        for r in &f.relocs {
            let Some(target) = env.defined_func_index(r.target) else {
                return Err(format!("relocation to imported function {}", r.target.as_u32()));
            };
            let at = (start + r.offset) as usize;
            match r.kind {
                RelocKind::X86CallPcRel4 => {
                    let value = i64::from(func_offsets[target]) + r.addend - at as i64;
                    let value = i32::try_from(value).map_err(|_| "call displacement out of range".to_string())?;
                    out.text[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
            }
        }
    }
    out.traps.sort_by_key(|(o, _)| *o);
    // None at all for a module of interpreted functions.
    let padded = out.text.len().next_multiple_of(TEXT_ALIGN as usize);
    out.text.resize(padded, 0xcc);
    Ok(out)
}

/// What an artifact about to be written needs of the memory it is written
/// into, known once the ELF writer has laid it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArtifactShape {
    /// Its size in bytes.
    pub size: usize,
    /// It has machine code, which its loader makes executable.
    pub has_text: bool,
    /// It has memory images, which instances map copy on write from a
    /// file.
    pub has_memory_images: bool,
}

/// Memory to write an artifact into, asked for once its shape is known: a
/// `Vec` (for a file), or the memory a module compiled in memory will run
/// from, so that its artifact is written once, in place.
pub trait ArtifactBuffer {
    /// `shape.size` bytes to write the artifact into; what they hold is
    /// overwritten.
    ///
    /// # Errors
    ///
    /// A message if the memory cannot be had.
    fn allocate(&mut self, shape: ArtifactShape) -> Result<&mut [u8], String>;
}

impl ArtifactBuffer for Vec<u8> {
    fn allocate(&mut self, shape: ArtifactShape) -> Result<&mut [u8], String> {
        // Zeroed memory of the allocator's (fresh pages for a large one),
        // which the writer then writes once.
        *self = vec![0; shape.size];
        Ok(self.as_mut_slice())
    }
}

/// The ELF writer's output: the [`ArtifactBuffer`]'s memory, asked for
/// when the writer reserves the file's size (once, before it writes).
struct Writer<'b> {
    buffer: Option<&'b mut dyn ArtifactBuffer>,
    has_text: bool,
    has_memory_images: bool,
    out: &'b mut [u8],
    len: usize,
    /// The buffer's error, or a write past the size reserved.
    error: Option<String>,
}

impl<'b> Writer<'b> {
    fn new(buffer: &'b mut dyn ArtifactBuffer, has_text: bool, has_memory_images: bool) -> Writer<'b> {
        Writer { buffer: Some(buffer), has_text, has_memory_images, out: &mut [], len: 0, error: None }
    }

    /// The next `n` bytes of the memory, now written; `None` (and the
    /// error kept) past the size reserved.
    fn next(&mut self, n: usize) -> Option<&mut [u8]> {
        let Some(end) = self.len.checked_add(n).filter(|end| *end <= self.out.len()) else {
            self.error.get_or_insert_with(|| "the ELF writer wrote past the size it reserved".into());
            return None;
        };
        let start = std::mem::replace(&mut self.len, end);
        Some(&mut self.out[start..end])
    }

    /// The bytes written, all of the memory asked for.
    fn finish(self) -> Result<&'b mut [u8], String> {
        match self.error {
            Some(e) => Err(e),
            None if self.len != self.out.len() => Err("the ELF writer wrote another size than it reserved".into()),
            None => Ok(self.out),
        }
    }
}

impl object::write::WritableBuffer for Writer<'_> {
    /// The ELF writer's layout phase reserves the file's exact size once,
    /// before it writes.
    fn reserve(&mut self, size: u64) -> Result<(), ()> {
        let Ok(size) = usize::try_from(size) else {
            self.error = Some("the artifact exceeds the address space".into());
            return Err(());
        };
        let shape = ArtifactShape { size, has_text: self.has_text, has_memory_images: self.has_memory_images };
        let Some(buffer) = self.buffer.take() else {
            self.error = Some("the ELF writer reserved twice".into());
            return Err(());
        };
        match buffer.allocate(shape) {
            Ok(out) if out.len() == size => {
                self.out = out;
                Ok(())
            }
            Ok(_) => {
                self.error = Some("the artifact buffer gave another size than asked".into());
                Err(())
            }
            Err(e) => {
                self.error = Some(e);
                Err(())
            }
        }
    }

    fn write_bytes(&mut self, val: &[u8]) {
        if let Some(dst) = self.next(val.len()) {
            dst.copy_from_slice(val);
        }
    }

    fn write_zeros(&mut self, n: u64) {
        if let Some(gap) = usize::try_from(n).ok().and_then(|n| self.next(n)) {
            gap.fill(0);
        }
    }
}

/// Writes the artifact of a module: its linked code and its environment,
/// with the settings it was compiled with.
///
/// # Errors
///
/// A message if the ELF writer fails or a table outgrows 32-bit offsets.
pub fn write_artifact(env: &Module, code: &LinkedCode, settings: &ArtifactSettings) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    write_artifact_into(env, code, settings, &mut bytes)?;
    Ok(bytes)
}

/// [`write_artifact`] into memory that `buffer` gives once the file's size
/// is known.
///
/// # Errors
///
/// As [`write_artifact`], and the buffer's.
pub fn write_artifact_into(
    env: &Module,
    code: &LinkedCode,
    settings: &ArtifactSettings,
    buffer: &mut dyn ArtifactBuffer,
) -> Result<(), String> {
    let images = memory_images(env);
    let mut tables = Tables::default();
    tables.encode(env, code, settings, &images)?;

    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    // The header first, at HEADER_FILE_OFFSET; then the tables; then the
    // code, which the writer aligns to a page.
    for (section, data) in Section::ALL.iter().zip(&tables.data) {
        let id = obj.add_section(Vec::new(), section.name().as_bytes().to_vec(), SectionKind::Other);
        // The bytecode, megabytes for a large module, is written from
        // where the interpreter built it, not copied into a table first.
        let data = if *section == Section::Bytecode { object::pod::bytes_of_slice(&code.bytecode) } else { data };
        obj.set_section_data(id, data, 8);
    }
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    // Empty code needs no page of padding before it.
    let text_align = if code.text.is_empty() { 1 } else { TEXT_ALIGN };
    obj.set_section_data(text, code.text.as_slice(), text_align);
    fn unwind_entries(code: &LinkedCode) -> Vec<unwind::UnwindEntry<'_>> {
        code.unwind
            .iter()
            .map(|(range, program)| {
                let r = code.ranges[*range as usize];
                unwind::UnwindEntry { start: r.start, len: r.end - r.start, program: program.as_slice() }
            })
            .collect()
    }
    // Its addresses are relative to the text, whose distance is known
    // once the file is laid out: written below, with the same size.
    let eh_frame = (!code.unwind.is_empty()).then(|| {
        let section = obj.add_section(Vec::new(), b".eh_frame".to_vec(), SectionKind::ReadOnlyData);
        obj.set_section_data(section, unwind::eh_frame(&unwind_entries(code), 0), 8);
    });
    if !images.images.is_empty() {
        let section = obj.add_section(Vec::new(), IMAGES_SECTION.as_bytes().to_vec(), SectionKind::ReadOnlyData);
        let mut bytes = Vec::with_capacity(images.images.iter().map(|i| i.bytes.len()).sum());
        for image in &images.images {
            bytes.extend_from_slice(&image.bytes);
        }
        obj.set_section_data(section, bytes, IMAGE_PAGE);
    }
    let num_defined = env.num_defined_funcs();
    for (i, r) in code.ranges.iter().enumerate() {
        let name = match r.func {
            // ELF names end at a NUL, which wasm names may contain.
            Some(f) => match env.func_name(f) {
                Some(name) if !name.is_empty() => name.replace('\0', "\\0"),
                _ => unnamed_symbol(f),
            },
            None => {
                let target = code.trampoline_targets[i - num_defined];
                format!("array-to-wasm[{}]", target.as_u32())
            }
        };
        obj.add_symbol(Symbol {
            name: name.into_bytes(),
            value: u64::from(r.start),
            size: u64::from(r.end - r.start),
            kind: SymbolKind::Text,
            scope: SymbolScope::Compilation,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        });
    }
    let mut writer = Writer::new(buffer, !code.text.is_empty(), !images.images.is_empty());
    let written = obj.emit(&mut writer);
    if let Some(e) = writer.error.take() {
        return Err(e);
    }
    written.map_err(|e| format!("cannot write the artifact: {e}"))?;
    let bytes = writer.finish()?;

    // Now that the file layout is known, record it in the header (where
    // the text, the symbols and every table are) and seal the metadata
    // with the checksum.
    let layout = read::elf_sections(bytes).map_err(|e| format!("the written artifact does not parse: {e}"))?;
    let (text_off, text_len) = layout.text.ok_or("the written artifact has no .text")?;
    let mut directory = Vec::with_capacity(Section::ALL.len());
    for (section, place) in Section::ALL.iter().zip(layout.brisk) {
        let (off, len) = place.ok_or_else(|| format!("the written artifact has no {}", section.name()))?;
        directory.push((u32_of(off, "metadata")?, u32_of(len, "metadata")?));
    }
    let meta_end = directory.iter().map(|(off, len)| off + len).max().unwrap_or(0);
    if directory[Section::Header as usize].0 as usize != HEADER_FILE_OFFSET || meta_end as usize > text_off {
        return Err("the ELF writer laid out the header, tables and text in another order".into());
    }
    let (eh_off, eh_len) = match (eh_frame, layout.eh_frame) {
        (Some(()), Some((off, len))) => {
            let section = unwind::eh_frame(&unwind_entries(code), text_off as i64 - off as i64);
            if section.len() != len {
                return Err("the unwind info changed size".into());
            }
            bytes[off..off + len].copy_from_slice(&section);
            (off, len)
        }
        (None, _) => (0, 0),
        (Some(()), None) => return Err("the written artifact lost its .eh_frame".into()),
    };
    let first_symbol = first_func_symbol(bytes, code)?;
    let file_size = bytes.len() as u64;
    // The header lies before `meta_end`: filling it in below leaves the
    // hashed part as it is.
    let tail_hash = code_hash(bytes, meta_end as usize);
    let mut put = |at: usize, value: &[u8]| bytes[HEADER_FILE_OFFSET + at..][..value.len()].copy_from_slice(value);
    put(header::TEXT_OFFSET, &(text_off as u64).to_le_bytes());
    put(header::TEXT_SIZE, &(text_len as u64).to_le_bytes());
    put(header::FUNC_SYMBOLS, &first_symbol.to_le_bytes());
    put(header::META_END, &meta_end.to_le_bytes());
    put(header::FILE_SIZE, &file_size.to_le_bytes());
    put(header::CODE_HASH, &tail_hash.to_le_bytes());
    let (images_off, images_len) = match layout.images {
        Some(place) if !images.images.is_empty() => place,
        None if images.images.is_empty() => (0, 0),
        _ => return Err("the written artifact lost its memory images".into()),
    };
    if !(images_off as u64).is_multiple_of(IMAGE_PAGE) {
        return Err("the ELF writer did not align the memory images to a page".into());
    }
    put(header::IMAGES_OFFSET, &(images_off as u64).to_le_bytes());
    put(header::IMAGES_SIZE, &(images_len as u64).to_le_bytes());
    put(header::EH_FRAME_OFFSET, &(eh_off as u64).to_le_bytes());
    put(header::EH_FRAME_SIZE, &(eh_len as u64).to_le_bytes());
    for (at, place) in [(header::SYMTAB, layout.symtab), (header::STRTAB, layout.strtab)] {
        let (off, len) = place.unwrap_or((0, 0));
        put(at, &u32_of(off, "symbols")?.to_le_bytes());
        put(at + 4, &u32_of(len, "symbols")?.to_le_bytes());
    }
    for (i, (off, len)) in directory.iter().enumerate() {
        put(header::DIRECTORY + 8 * i, &off.to_le_bytes());
        put(header::DIRECTORY + 8 * i + 4, &len.to_le_bytes());
    }
    reseal(bytes).map_err(|e| e.to_string())
}

/// The index in `.symtab` of the first defined function's symbol, checking
/// that the symbols of the others follow in order.
fn first_func_symbol(bytes: &[u8], code: &LinkedCode) -> Result<u32, String> {
    use object::read::elf::{FileHeader as _, Sym as _};
    let bad = |e: object::read::Error| format!("the written artifact's symbols do not parse: {e}");
    let header = object::elf::FileHeader64::<Endianness>::parse(bytes).map_err(bad)?;
    let endian = header.endian().map_err(bad)?;
    let sections = header.sections(endian, bytes).map_err(bad)?;
    let symbols = sections.symbols(endian, bytes, object::elf::SHT_SYMTAB).map_err(bad)?;
    let funcs: Vec<Option<u64>> = code.ranges.iter().filter(|r| r.func.is_some()).map(|r| Some(u64::from(r.start))).collect();
    // Non-function symbols (the null symbol first) never match a start.
    let values: Vec<Option<u64>> =
        symbols.symbols().iter().map(|s| (s.st_type() == object::elf::STT_FUNC).then(|| s.st_value(endian))).collect();
    let first = match funcs.first() {
        Some(start) => values.iter().position(|v| v == start).ok_or("no symbol for the first function")?,
        None => 0,
    };
    if values.get(first..first + funcs.len()) != Some(&funcs[..]) {
        return Err("function symbols are not in order".into());
    }
    u32_of(first, "symbols")
}

/// Recomputes the checksum of an artifact whose tables were edited, as
/// tools and tests that rewrite artifacts on purpose must.
///
/// # Errors
///
/// If the bytes are not an artifact.
pub fn reseal(bytes: &mut [u8]) -> Result<(), ArtifactError> {
    let field = HEADER_FILE_OFFSET + header::META_END;
    let meta_end = bytes.get(field..field + 4).map_or(0, |w| read::read_u32(w, 0) as usize);
    if !bytes.get(HEADER_FILE_OFFSET..).is_some_and(|h| h.starts_with(&MAGIC))
        || meta_end < HEADER_FILE_OFFSET + header::SIZE
        || meta_end > bytes.len()
    {
        return Err(ArtifactError::NotAnArtifact("no Brisk header and tables".into()));
    }
    let sum = read::checksum(bytes, meta_end);
    bytes[HEADER_FILE_OFFSET + header::CHECKSUM..][..8].copy_from_slice(&sum.to_le_bytes());
    Ok(())
}

/// The contents of the metadata sections, in [`Section::ALL`] order.
#[derive(Default)]
struct Tables {
    data: [Vec<u8>; Section::ALL.len()],
}

fn u32_of(n: usize, what: &str) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{what} exceeds 4 GiB"))
}

impl Tables {
    fn put(&mut self, s: Section, words: &[u32]) {
        let d = &mut self.data[s as usize];
        for w in words {
            d.extend_from_slice(&w.to_le_bytes());
        }
    }

    fn len(&self, s: Section) -> usize {
        self.data[s as usize].len() / s.record_size()
    }

    /// Appends to a byte pool: (offset, length).
    fn pool(&mut self, s: Section, bytes: &[u8]) -> Result<(u32, u32), String> {
        let d = &mut self.data[s as usize];
        let off = u32_of(d.len(), s.name())?;
        d.extend_from_slice(bytes);
        Ok((off, u32_of(bytes.len(), s.name())?))
    }

    fn string(&mut self, s: Option<&str>) -> Result<(u32, u32), String> {
        match s {
            Some(s) => self.pool(Section::Strings, s.as_bytes()),
            None => Ok((NONE, 0)),
        }
    }

    /// Appends a constant expression: (first record, number of records).
    fn const_expr(&mut self, e: &ConstExpr) -> Result<(u32, u32), String> {
        let start = u32_of(self.len(Section::Consts), "constant expressions")?;
        for op in &e.ops {
            let (code, payload): (u32, u128) = match *op {
                ConstOp::I32Const(v) => (0, u128::from(v as u32)),
                ConstOp::I64Const(v) => (1, u128::from(v as u64)),
                ConstOp::F32Const(v) => (2, u128::from(v)),
                ConstOp::F64Const(v) => (3, u128::from(v)),
                ConstOp::V128Const(v) => (4, v),
                ConstOp::GlobalGet(g) => (5, u128::from(g.as_u32())),
                ConstOp::RefNull => (6, 0),
                ConstOp::RefFunc(f) => (7, u128::from(f.as_u32())),
                ConstOp::I32Add => (8, 0),
                ConstOp::I32Sub => (9, 0),
                ConstOp::I32Mul => (10, 0),
                ConstOp::I64Add => (11, 0),
                ConstOp::I64Sub => (12, 0),
                ConstOp::I64Mul => (13, 0),
            };
            let d = &mut self.data[Section::Consts as usize];
            d.extend_from_slice(&code.to_le_bytes());
            d.extend_from_slice(&0u32.to_le_bytes());
            d.extend_from_slice(&payload.to_le_bytes());
        }
        Ok((start, u32_of(e.ops.len(), "constant expressions")?))
    }

    fn limits(&mut self, s: Section, kind: u32, minimum: u64, maximum: Option<u64>) {
        let d = &mut self.data[s as usize];
        d.extend_from_slice(&kind.to_le_bytes());
        d.extend_from_slice(&u32::from(maximum.is_some()).to_le_bytes());
        d.extend_from_slice(&minimum.to_le_bytes());
        d.extend_from_slice(&maximum.unwrap_or(0).to_le_bytes());
    }

    fn mode<I: EntityRef>(&mut self, mode: &SegmentMode<I>) -> Result<[u32; 4], String> {
        Ok(match mode {
            SegmentMode::Active { index, offset } => {
                let (off, len) = self.const_expr(offset)?;
                [MODE_ACTIVE, u32_of(index.index(), "index")?, off, len]
            }
            SegmentMode::Passive => [MODE_PASSIVE, 0, 0, 0],
            SegmentMode::Declared => [MODE_DECLARED, 0, 0, 0],
        })
    }

    fn encode(
        &mut self,
        env: &Module,
        code: &LinkedCode,
        settings: &ArtifactSettings,
        images: &MemoryImages,
    ) -> Result<(), String> {
        use Section as S;
        for ty in env.types.values() {
            let vals: Vec<u8> = ty.params.iter().chain(ty.results.iter()).map(|t| valtype_code(*t)).collect();
            let (off, _) = self.pool(S::ValTypes, &vals)?;
            self.put(S::Types, &[off, u32_of(ty.params.len(), "params")?, u32_of(ty.results.len(), "results")?]);
        }
        for ty in env.functions.values() {
            self.put(S::Funcs, &[ty.as_u32()]);
        }
        let defined = &code.ranges[..env.num_defined_funcs()];
        for r in defined {
            self.put(S::FuncStarts, &[r.start]);
        }
        for (def, offset) in code.array_calls.iter().filter(|(_, o)| **o != 0) {
            self.put(S::ArrayCalls, &[def.as_u32(), *offset]);
        }
        let blocks = code.text.len().div_ceil(TRAP_BLOCK as usize);
        for block in 0..=blocks as u64 {
            let start = block * u64::from(TRAP_BLOCK);
            let first = code.traps.partition_point(|(offset, _)| u64::from(*offset) < start);
            self.put(S::TrapBlocks, &[u32_of(first, "trap sites")?]);
        }
        for (offset, trap) in &code.traps {
            let site = ((offset % TRAP_BLOCK) << TRAP_CODE_BITS) as u16 | u16::from(trap.code());
            self.data[S::TrapSites as usize].extend_from_slice(&site.to_le_bytes());
        }
        for t in env.tables.values() {
            self.limits(S::Tables, u32::from(valtype_code(t.element)), t.minimum, t.maximum);
        }
        for m in env.memories.values() {
            let flags = if m.memory64 { MEMORY64 } else { 0 } | if m.shared { SHARED } else { 0 };
            self.limits(S::Memories, flags, m.minimum, m.maximum);
        }
        for (index, g) in env.globals.iter() {
            let (off, len) = match env.defined_global_index(index) {
                Some(def) => self.const_expr(&env.global_inits[def])?,
                None => (0, 0),
            };
            self.put(S::Globals, &[u32::from(valtype_code(g.content)), u32::from(g.mutable), off, len]);
        }
        for import in &env.imports {
            let (m_off, m_len) = self.string(Some(&import.module))?;
            let (n_off, n_len) = self.string(Some(&import.name))?;
            let (kind, index) = entity_code(import.index);
            self.put(S::Imports, &[m_off, m_len, n_off, n_len, kind, index]);
        }
        for (name, index) in &env.exports {
            let (off, len) = self.string(Some(name))?;
            let (kind, index) = entity_code(*index);
            self.put(S::Exports, &[off, len, kind, index]);
        }
        let mut by_name: Vec<u32> = (0..u32_of(env.exports.len(), "exports")?).collect();
        by_name.sort_by(|&a, &b| env.exports[a as usize].0.as_bytes().cmp(env.exports[b as usize].0.as_bytes()));
        self.put(S::ExportsByName, &by_name);
        for seg in env.elems.values() {
            let mode = self.mode(&seg.mode)?;
            let items_off = u32_of(self.len(S::ElemItems), "element items")?;
            let kind = match &seg.items {
                ElemItems::Functions(funcs) => {
                    let words: Vec<u32> = funcs.iter().map(|f| f.as_u32()).collect();
                    self.put(S::ElemItems, &words);
                    0
                }
                ElemItems::Exprs(exprs) => {
                    for e in exprs {
                        let (off, len) = self.const_expr(e)?;
                        self.put(S::ElemItems, &[off, len]);
                    }
                    1
                }
            };
            let len = u32_of(seg.items.len(), "element items")?;
            let element = u32::from(valtype_code(seg.element));
            self.put(S::Elems, &[mode[0], mode[1], mode[2], mode[3], element, kind, items_off, len]);
        }
        for (seg, in_image) in env.data.values().zip(&images.in_image) {
            let mode = self.mode(&seg.mode)?;
            // An image holds the bytes of its segments.
            let (off, len) = self.pool(S::Data, if *in_image { &[] } else { &seg.data })?;
            self.put(S::DataSegments, &[mode[0], mode[1], mode[2], mode[3], off, len]);
        }

        let slots = match &env.func_ref_slots {
            Some(map) => {
                self.put(S::FuncRefSlots, map.slots());
                map.count()
            }
            None => u32_of(env.functions.len(), "functions")?,
        };
        let mut image_offset = 0u64;
        for image in &images.images {
            let len = image.bytes.len() as u64;
            let [m, o, i, l] = [u64::from(image.memory.as_u32()), image.memory_offset, image_offset, len];
            let words = [m as u32, 0, o as u32, (o >> 32) as u32, i as u32, (i >> 32) as u32, l as u32, (l >> 32) as u32];
            self.put(S::MemoryImages, &words);
            image_offset += len;
        }

        let (name_off, name_len) = self.string(env.name.as_deref())?;
        let counts = env.counts();
        let mut h = vec![0u8; header::SIZE];
        let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
        put(header::MAGIC, &MAGIC);
        put(header::FORMAT_VERSION, &FORMAT_VERSION.to_le_bytes());
        put(header::FIXED_SIZE, &(header::SIZE as u32).to_le_bytes());
        put(header::BRISK_VERSION, &string_field(BRISK_VERSION)?);
        put(header::TARGET, &string_field(&host_target())?);
        put(header::SETTINGS_HASH, &settings.hash().to_le_bytes());
        put(header::IMPORTED_FUNCS, &counts.imported_funcs.to_le_bytes());
        put(header::IMPORTED_TABLES, &counts.imported_tables.to_le_bytes());
        put(header::IMPORTED_MEMORIES, &counts.imported_memories.to_le_bytes());
        put(header::IMPORTED_GLOBALS, &counts.imported_globals.to_le_bytes());
        put(header::START, &env.start.map_or(NONE, |f| f.as_u32()).to_le_bytes());
        put(header::DEFINED_FUNCS, &u32_of(env.num_defined_funcs(), "functions")?.to_le_bytes());
        put(header::NAME_OFFSET, &name_off.to_le_bytes());
        put(header::NAME_LEN, &name_len.to_le_bytes());
        put(header::FUNCS_END, &defined.last().map_or(0, |r| r.end).to_le_bytes());
        put(header::FUNC_REF_SLOTS, &slots.to_le_bytes());
        h.extend_from_slice(settings.text().as_bytes());
        self.data[S::Header as usize] = h;
        Ok(())
    }
}

fn string_field(s: &str) -> Result<[u8; header::STRING_FIELD], String> {
    let mut field = [0u8; header::STRING_FIELD];
    if s.len() > field.len() {
        return Err(format!("`{s}` does not fit a header field"));
    }
    field[..s.len()].copy_from_slice(s.as_bytes());
    Ok(field)
}
