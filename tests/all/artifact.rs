//! Artifacts: a compiled module as an ELF file, loaded by mapping it.
//! Round trips behave like the compiled module; `objdump` names every
//! function; artifacts from other settings, versions or targets are
//! refused with the reason; truncated or bit-flipped artifacts are refused
//! before any code runs.

use crate::util::{TempDir, XorShift};
use brisk::{ArtifactError, Config, Engine, Linker, Module, OptLevel, Store, Trap, Val, WasmBacktrace};
use brisk_environ::artifact::Section;
use object::{Object, ObjectSection};
use std::process::Command;

const WAT: &str = r#"
(module $artifact_test
  (type $t (func (param i32) (result i32)))
  (import "host" "add1" (func $add1 (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 16) "hello")
  (table 2 funcref)
  (elem (i32.const 0) $double $boom)
  (global $g (export "g") (mut i32) (i32.const 7))
  (func $double (export "double") (param i32) (result i32)
    (call $add1 (i32.mul (local.get 0) (i32.const 2))))
  (func $boom (param i32) (result i32) unreachable)
  (func $outer (export "outer") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0) (local.get 0)))
  (func (export "load") (result i32) (i32.load8_u (i32.const 16))))
"#;

/// Instantiates the test module and checks everything it does.
fn exercise(module: &Module) {
    let engine = module.engine();
    let mut linker = Linker::new(engine);
    linker.func_wrap("host", "add1", |x: i32| x + 1).unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, module).unwrap();
    let double = instance.get_typed_func::<i32, i32>(&mut store, "double").unwrap();
    assert_eq!(double.call(&mut store, 20).unwrap(), 41);
    let load = instance.get_typed_func::<(), i32>(&mut store, "load").unwrap();
    assert_eq!(load.call(&mut store, ()).unwrap(), i32::from(b'h'));
    let outer = instance.get_typed_func::<i32, i32>(&mut store, "outer").unwrap();
    assert_eq!(outer.call(&mut store, 0).unwrap(), 1, "table entry 0 is $double");
    let err = outer.call(&mut store, 1).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached));
    let names: Vec<_> =
        err.downcast_ref::<WasmBacktrace>().unwrap().frames().iter().map(|f| f.func_name.clone()).collect();
    assert_eq!(names, [Some("boom".to_string()), Some("outer".to_string())]);
    let g = instance.get_global(&mut store, "g").unwrap();
    assert!(matches!(g.get(&mut store), Val::I32(7)));
    assert_eq!(module.name(), Some("artifact_test"));
    let exports: Vec<_> = module.exports().map(|(n, _)| n.to_string()).collect();
    assert_eq!(exports, ["mem", "g", "double", "outer", "load"]);
    let imports: Vec<_> = module.imports().map(|(m, n, _)| format!("{m}::{n}")).collect();
    assert_eq!(imports, ["host::add1"]);
}

#[test]
#[allow(unsafe_code, reason = "loads artifacts this test just wrote")]
fn round_trips_behave_like_the_compiled_module() {
    let engine = Engine::default();
    let compiled = Module::new(&engine, WAT).unwrap();
    exercise(&compiled);
    let bytes = compiled.serialize().unwrap();
    assert_eq!(bytes, engine.precompile_module(WAT.as_bytes()).unwrap(), "serialize gives the precompiled bytes");

    // SAFETY: the bytes come from this engine.
    let copied = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
    exercise(&copied);
    assert_eq!(copied.text(), compiled.text());

    let dir = TempDir::new("artifact-round-trip");
    let path = dir.path().join("m.bwasm");
    std::fs::write(&path, &bytes).unwrap();
    // SAFETY: the file was just written and nothing modifies it.
    let mapped = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    exercise(&mapped);
    assert_eq!(mapped.text(), compiled.text());
    drop((compiled, copied));
    exercise(&mapped);
}

/// Runs a binutils tool on a file and returns its stdout.
fn binutils(tool: &str, args: &[&str], file: &std::path::Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("`{tool}` (binutils) is needed to inspect artifacts: {e}"));
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn objdump_names_functions_and_text_is_page_aligned() {
    let engine = Engine::default();
    let dir = TempDir::new("artifact-objdump");
    let path = dir.path().join("m.bwasm");
    // The last function has no name: its symbol is named by index.
    let wat = WAT.replace("(func (export \"load\")", "(func (export \"load\") (result i32) (i32.const 0))\n(func");
    std::fs::write(&path, engine.precompile_module(wat.as_bytes()).unwrap()).unwrap();

    let disasm = binutils("objdump", &["-d"], &path);
    for name in ["<double>:", "<boom>:", "<outer>:", "<wasm-function[4]>:", "<wasm-function[5]>:"] {
        assert!(disasm.contains(name), "objdump -d lacks {name}:\n{disasm}");
    }
    let sections = binutils("readelf", &["-S", "-W"], &path);
    let text = sections.lines().find(|l| l.contains(" .text ")).expect("readelf lists .text");
    // `[ 1] .text PROGBITS <address> <offset> <size> ...`
    let fields: Vec<&str> = text.split(']').nth(1).unwrap().split_whitespace().collect();
    let offset = u64::from_str_radix(fields[3], 16).unwrap();
    assert!(offset > 0 && offset.is_multiple_of(4096), ".text at file offset {offset:#x}: {text}");
}

fn artifact_error(result: anyhow::Result<Module>) -> ArtifactError {
    let err = result.expect_err("the artifact must be refused");
    err.downcast_ref::<ArtifactError>().unwrap_or_else(|| panic!("not an ArtifactError: {err:#}")).clone()
}

/// Loads bytes as an artifact.
#[allow(unsafe_code, reason = "loads artifacts that must be refused before any code runs")]
fn load(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Module> {
    // SAFETY: the bytes are an artifact of this test's engines, possibly
    // damaged, which is what the checks under test must catch.
    unsafe { Module::deserialize(engine, bytes) }
}

/// Where the header fields the refusals name are (see
/// `brisk_environ::artifact::header`).
fn header_offset(bytes: &[u8]) -> usize {
    let file = object::File::parse(bytes).unwrap();
    file.section_by_name(".brisk.header").unwrap().file_range().unwrap().0 as usize
}

#[test]
fn mismatched_artifacts_are_refused_with_the_reason() {
    let engine = Engine::default();
    let bytes = engine.precompile_module(WAT.as_bytes()).unwrap();
    let h = header_offset(&bytes);

    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::None);
    let other = Engine::new(&config).unwrap();
    match artifact_error(load(&other, &bytes)) {
        ArtifactError::Settings(why) => {
            assert_eq!(why, "opt-level=speed (this engine: opt-level=none)");
        }
        e => panic!("expected a settings mismatch, got {e}"),
    }

    let mut v = bytes.clone();
    v[h + 8] = 99; // format version
    assert!(matches!(artifact_error(load(&engine, &v)), ArtifactError::FormatVersion { found: 99, .. }));

    let mut v = bytes.clone();
    v[h + 16..h + 48].fill(0);
    v[h + 16..h + 21].copy_from_slice(b"0.0.1");
    brisk_environ::artifact::reseal(&mut v).unwrap();
    match artifact_error(load(&engine, &v)) {
        ArtifactError::BriskVersion { found, .. } => assert_eq!(found, "0.0.1"),
        e => panic!("expected a version mismatch, got {e}"),
    }

    let mut v = bytes.clone();
    v[h + 48..h + 80].fill(0);
    v[h + 48..h + 61].copy_from_slice(b"aarch64-macos");
    brisk_environ::artifact::reseal(&mut v).unwrap();
    match artifact_error(load(&engine, &v)) {
        ArtifactError::Target { found, .. } => assert_eq!(found, "aarch64-macos"),
        e => panic!("expected a target mismatch, got {e}"),
    }

    let wasm = wat::parse_str(WAT).unwrap();
    for not_artifact in [&wasm[..], &[], &bytes[..3]] {
        assert!(matches!(artifact_error(load(&engine, not_artifact)), ArtifactError::NotAnArtifact(_)));
    }
    load(&engine, &bytes).expect("the original still loads");
}

#[test]
#[allow(unsafe_code, reason = "loads truncated artifact files, which must be refused")]
fn truncated_artifacts_are_refused() {
    let engine = Engine::default();
    let bytes = engine.precompile_module(WAT.as_bytes()).unwrap();
    for len in 0..bytes.len() {
        let err = load(&engine, &bytes[..len]).expect_err("a truncated artifact loads");
        assert!(err.downcast_ref::<ArtifactError>().is_some(), "truncated to {len}: {err:#}");
    }
    let dir = TempDir::new("artifact-truncated");
    let path = dir.path().join("t.bwasm");
    for len in (0..bytes.len()).step_by(61) {
        std::fs::write(&path, &bytes[..len]).unwrap();
        // SAFETY: nothing modifies the file while the load runs.
        let err = unsafe { Module::deserialize_file(&engine, &path) }.expect_err("a truncated file loads");
        assert!(err.downcast_ref::<ArtifactError>().is_some(), "file truncated to {len}: {err:#}");
    }
}

/// The byte ranges the loader reads and the checksum covers: the ELF
/// header and every `.brisk.*` section (the header's directory says where
/// they are; the section headers are for tools and not read at load).
fn checked_ranges(bytes: &[u8]) -> Vec<(String, std::ops::Range<usize>)> {
    let mut ranges = vec![("ELF header".to_string(), 0..64)];
    let file = object::File::parse(bytes).unwrap();
    for s in file.sections() {
        let name = s.name().unwrap().to_string();
        if let (true, Some((off, len))) = (name.starts_with(".brisk."), s.file_range()) {
            ranges.push((name, off as usize..(off + len) as usize));
        }
    }
    ranges
}

#[test]
fn bit_flips_in_header_and_metadata_are_refused() {
    let engine = Engine::default();
    let bytes = engine.precompile_module(WAT.as_bytes()).unwrap();
    let ranges = checked_ranges(&bytes);
    assert!(ranges.len() >= 20, "every metadata section is listed: {ranges:?}");
    let mut rng = XorShift(0x5eed_f11b);
    let mut flips = 0;
    for (name, range) in &ranges {
        let bits = range.len() * 8;
        // Every bit of small sections, 2000 random bits of larger ones.
        let picks: Vec<usize> = if bits <= 2000 { (0..bits).collect() } else { (0..2000).map(|_| rng.index(bits)).collect() };
        for bit in picks {
            let mut v = bytes.clone();
            v[range.start + bit / 8] ^= 1 << (bit % 8);
            let err = load(&engine, &v).expect_err("a damaged artifact loads");
            assert!(err.downcast_ref::<ArtifactError>().is_some(), "{name} bit {bit}: {err:#}");
            flips += 1;
        }
    }
    let metadata: usize = ranges.iter().map(|(_, r)| r.len() * 8).sum();
    assert!(flips >= metadata.min(5_000), "only {flips} of {metadata} bits flipped");
    exercise(&load(&engine, &bytes).unwrap());
}

/// The same through files: `deserialize_file` reads where the code is from
/// the header before it maps the file and checks it, so a damaged header
/// must not make it run code or accept the file.
#[test]
#[allow(unsafe_code, reason = "loads damaged artifact files, which must be refused")]
fn bit_flips_in_mapped_headers_are_refused() {
    let engine = Engine::default();
    let bytes = engine.precompile_module(WAT.as_bytes()).unwrap();
    let dir = TempDir::new("artifact-flipped-files");
    let path = dir.path().join("f.bwasm");
    let header = checked_ranges(&bytes).into_iter().find(|(name, _)| name == ".brisk.header").unwrap().1;
    assert_eq!(header.start, 64, "the header follows the ELF header");
    let mut flips = 0;
    for bit in 0..header.end * 8 {
        let mut v = bytes.clone();
        v[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &v).unwrap();
        // SAFETY: nothing modifies the file while the load runs.
        let err = unsafe { Module::deserialize_file(&engine, &path) }.expect_err("a damaged file loads");
        assert!(err.downcast_ref::<ArtifactError>().is_some(), "bit {bit}: {err:#}");
        flips += 1;
    }
    assert!(flips > 2_000, "only {flips} flips tried");
    std::fs::write(&path, &bytes).unwrap();
    // SAFETY: as above.
    exercise(&unsafe { Module::deserialize_file(&engine, &path) }.unwrap());
}

/// Function names are the ELF symbols' names, which are not checksummed
/// (they only label backtraces): damage there loads, and gives wrong names
/// or none, never a crash or a wrong trap.
#[test]
fn damaged_symbols_only_change_names() {
    let engine = Engine::default();
    let bytes = engine.precompile_module(WAT.as_bytes()).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let ranges: Vec<std::ops::Range<usize>> = [".symtab", ".strtab"]
        .iter()
        .map(|n| file.section_by_name(n).unwrap().file_range().unwrap())
        .map(|(off, len)| off as usize..(off + len) as usize)
        .collect();
    let mut renamed = 0;
    for at in ranges.into_iter().flatten() {
        let mut v = bytes.clone();
        v[at] ^= 0xff;
        let module = load(&engine, &v).expect("symbols are not checksummed");
        let mut linker = Linker::new(&engine);
        linker.func_wrap("host", "add1", |x: i32| x + 1).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let outer = instance.get_typed_func::<i32, i32>(&mut store, "outer").unwrap();
        let err = outer.call(&mut store, 1).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached), "byte {at}");
        let frames = err.downcast_ref::<WasmBacktrace>().unwrap().frames().to_vec();
        assert_eq!(frames.iter().map(|f| f.func_index).collect::<Vec<_>>(), [2, 3], "byte {at}");
        let names: Vec<_> = frames.iter().map(|f| f.func_name.clone()).collect();
        renamed += usize::from(names != [Some("boom".to_string()), Some("outer".to_string())]);
    }
    assert!(renamed > 0, "some damage shows in the names");
}


/// A module with an index of every kind in its tables: imports and exports
/// of every kind, active, passive and declared element segments (function
/// and expression items), active and passive data segments, globals
/// initialized by `global.get` and `ref.func`, and a start function.
const INDICES_WAT: &str = r#"
(module $indices
  (import "host" "f" (func $hf (param i32) (result i32)))
  (import "host" "t" (table $ht 2 funcref))
  (import "host" "m" (memory $hm 1))
  (import "host" "g" (global $hg i32))
  (table $t (export "table") 4 funcref)
  (global $g (export "global") (mut i32) (global.get $hg))
  (global $fr (mut funcref) (ref.func $b))
  (elem (table $t) (i32.const 0) func $a $b)
  (elem $p funcref (ref.func $a) (ref.null func))
  (elem declare func $b)
  (data (memory $hm) (i32.const 8) "hi")
  (data $pd "passive")
  (export "hostf" (func $hf))
  (export "memory" (memory $hm))
  (start $init)
  (func $a (export "a") (param i32) (result i32) (i32.add (local.get 0) (global.get $g)))
  (func $b (param i32) (result i32) (call $hf (local.get 0)))
  (func $init (global.set $g (i32.add (global.get $g) (i32.const 2))))
  (func (export "run") (result i32)
    (table.init $t $p (i32.const 2) (i32.const 0) (i32.const 2))
    (memory.init $pd (i32.const 100) (i32.const 0) (i32.const 3))
    (call_indirect $t (param i32) (result i32) (i32.const 5) (i32.const 1))))
"#;

/// What `INDICES_WAT` imports.
const HOST_WAT: &str = r#"
(module
  (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (table (export "t") 2 funcref)
  (memory (export "m") 1)
  (global (export "g") i32 (i32.const 40)))
"#;

/// Instantiates a module of `INDICES_WAT`'s shape with its imports.
fn instantiate_indices(module: &Module) -> anyhow::Result<(Store<()>, brisk::Instance)> {
    let engine = module.engine();
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    let host = linker.instantiate(&mut store, &Module::new(engine, HOST_WAT)?)?;
    linker.instance(&mut store, "host", host)?;
    let instance = linker.instantiate(&mut store, module)?;
    Ok((store, instance))
}

/// An artifact's tables, to read and rewrite records in place.
struct Tables {
    bytes: Vec<u8>,
}

impl Tables {
    /// Where a table is in the file.
    fn range(&self, s: Section) -> std::ops::Range<usize> {
        let file = object::File::parse(&*self.bytes).unwrap();
        let (off, len) = file.section_by_name(s.name()).unwrap().file_range().unwrap();
        off as usize..(off + len) as usize
    }

    fn records(&self, s: Section) -> usize {
        self.range(s).len() / s.record_size()
    }

    fn at(&self, s: Section, record: usize, word: usize) -> usize {
        let at = self.range(s).start + record * s.record_size() + word * 4;
        assert!(at + 4 <= self.range(s).end, "{} has no word {word} in record {record}", s.name());
        at
    }

    fn word(&self, s: Section, record: usize, word: usize) -> u32 {
        let at = self.at(s, record, word);
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }

    /// The first record for which `pred` holds, given a record's words.
    fn find(&self, s: Section, pred: impl Fn(&dyn Fn(usize) -> u32) -> bool) -> usize {
        (0..self.records(s)).find(|&r| pred(&|w| self.word(s, r, w))).unwrap_or_else(|| panic!("no such record in {}", s.name()))
    }

    /// A copy with one word rewritten and the checksum recomputed, so that
    /// it passes the checksum and only the index checks can refuse it.
    fn with(&self, s: Section, record: usize, word: usize, value: u32) -> Vec<u8> {
        self.with_at(self.at(s, record, word), value)
    }

    /// The same for a header field.
    fn with_header(&self, field: usize, value: u32) -> Vec<u8> {
        self.with_at(brisk_environ::artifact::HEADER_FILE_OFFSET + field, value)
    }

    fn with_at(&self, at: usize, value: u32) -> Vec<u8> {
        let mut v = self.bytes.clone();
        v[at..at + 4].copy_from_slice(&value.to_le_bytes());
        brisk_environ::artifact::reseal(&mut v).unwrap();
        v
    }
}

/// Where an artifact with a bad index must be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// By `Module::deserialize`: what the loader checks.
    Load,
    /// By instantiation: what is checked where it is used, so that loading
    /// does nothing per function.
    Instantiate,
}

/// Asserts that an artifact is refused at `stage` with an `ArtifactError`
/// whose message contains `expected`, and returns the message.
fn refused(engine: &Engine, bytes: &[u8], stage: Stage, expected: &str) -> String {
    let err = match load(engine, bytes) {
        Err(e) => {
            assert_eq!(stage, Stage::Load, "refused at load, not at instantiation: {e:#}");
            e
        }
        Ok(module) => {
            assert_eq!(stage, Stage::Instantiate, "{expected}: the artifact loads");
            match instantiate_indices(&module) {
                Err(e) => e,
                Ok(_) => panic!("{expected}: the artifact instantiates"),
            }
        }
    };
    let artifact = err.downcast_ref::<ArtifactError>().unwrap_or_else(|| panic!("not an ArtifactError: {err:#}"));
    assert!(matches!(artifact, ArtifactError::Corrupt(_)), "{artifact}");
    let message = artifact.to_string();
    assert!(message.contains(expected), "`{message}` does not say `{expected}`");
    message
}

/// An artifact that passes the checksum but holds an index out of range
/// (rewritten in place, then resealed) is refused with an error naming the
/// table and the index, at load or, for what the loader does not read per
/// function, at instantiation: never an access out of bounds.
#[test]
#[allow(unsafe_code, reason = "loads artifacts with bad indices, which must be refused")]
fn out_of_range_indices_are_refused() {
    use Section as S;
    use brisk_environ::artifact::header;
    let engine = Engine::default();
    let t = Tables { bytes: engine.precompile_module(INDICES_WAT.as_bytes()).unwrap() };
    {
        let module = load(&engine, &t.bytes).expect("the artifact loads");
        let (mut store, instance) = instantiate_indices(&module).unwrap();
        let a = instance.get_typed_func::<i32, i32>(&mut store, "a").unwrap();
        assert_eq!(a.call(&mut store, 1).unwrap(), 43, "the start function ran");
        let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), 6);
        assert_eq!(instance.exports(&mut store).len(), 6);
    }
    let mut cases = 0;
    let mut check = |bytes: Vec<u8>, stage: Stage, expected: &str| {
        refused(&engine, &bytes, stage, expected);
        cases += 1;
    };
    let big = 1000;

    // Exports of every kind, their kinds, names and the by-name index.
    let kinds = ["function", "table", "memory", "global"];
    let mut seen = [false; 4];
    for e in 0..t.records(S::Exports) {
        let kind = t.word(S::Exports, e, 2) as usize;
        seen[kind] = true;
        let what = format!(".brisk.exports record {e}: {} index {big} is out of range", kinds[kind]);
        check(t.with(S::Exports, e, 3, big), Stage::Load, &what);
    }
    assert_eq!(seen, [true; 4], "exports of every kind");
    check(t.with(S::Exports, 0, 2, 4), Stage::Load, ".brisk.exports record 0: unknown kind 4");
    check(t.with(S::Exports, 0, 0, u32::MAX - 8), Stage::Load, ".brisk.exports record 0: name");
    check(t.with(S::ExportsByName, 0, 0, big), Stage::Load, ".brisk.exports_by_name record 0: export index 1000");
    let first = t.word(S::ExportsByName, 0, 0);
    check(t.with(S::ExportsByName, 1, 0, first), Stage::Load, ".brisk.exports_by_name record 1: the exports are not sorted");

    // Imports: kind, index and how many of each kind.
    let table_import = t.find(S::Imports, |w| w(4) == 1);
    check(t.with(S::Imports, table_import, 5, 1), Stage::Load, "imports table index 1, expected table 0");
    check(t.with(S::Imports, table_import, 4, 9), Stage::Load, "unknown kind 9");
    check(t.with(S::Imports, table_import, 2, u32::MAX - 8), Stage::Load, ".brisk.imports record 1: name");
    check(t.with_header(header::IMPORTED_GLOBALS, 0), Stage::Load, ".brisk.imports defines");

    // Element segments: table, offset expression, items.
    let active = t.find(S::Elems, |w| w(0) == 0 && w(5) == 0);
    let what = format!(".brisk.elems record {active}: table index 7 is out of range");
    check(t.with(S::Elems, active, 1, 7), Stage::Load, &what);
    check(t.with(S::Elems, active, 2, big), Stage::Load, "constant expression 1000..");
    check(t.with(S::Elems, active, 6, u32::MAX - 8), Stage::Load, "lie outside .brisk.elem_items");
    let item = t.word(S::Elems, active, 6) as usize;
    let what = format!(".brisk.elems record {active}: item 1: function index {big} is out of range");
    check(t.with(S::ElemItems, item + 1, 0, big), Stage::Load, &what);
    let exprs = t.find(S::Elems, |w| w(5) == 1);
    let pair = t.word(S::Elems, exprs, 6) as usize;
    let what = format!(".brisk.elems record {exprs}: constant expression {big}..");
    check(t.with(S::ElemItems, pair, 0, big), Stage::Load, &what);
    check(t.with(S::Elems, active, 4, 0), Stage::Load, "element type code 0 is not a reference type");

    // Constant expressions: `ref.func` and `global.get` indices.
    let ref_func = t.find(S::Consts, |w| w(0) == 7);
    let what = format!(".brisk.consts record {ref_func}: ref.func {big}: function index out of range");
    check(t.with(S::Consts, ref_func, 2, big), Stage::Load, &what);
    let global_get = t.find(S::Consts, |w| w(0) == 5);
    let what = format!(".brisk.consts record {global_get}: global.get {big}: global index out of range");
    check(t.with(S::Consts, global_get, 2, big), Stage::Load, &what);
    check(t.with(S::Consts, global_get, 0, 99), Stage::Load, "unknown operator code 99");

    // Globals: initializer range and value type.
    let defined = t.find(S::Globals, |w| w(3) != 0);
    check(t.with(S::Globals, defined, 2, big), Stage::Load, &format!(".brisk.globals record {defined}: constant expression"));
    check(t.with(S::Globals, defined, 0, 50), Stage::Load, "unknown value type code 50");

    // Constant expressions whose value is not of the type it is stored as
    // (instantiation would store an integer where the runtime follows a
    // pointer): found by the artifact fuzzer, which crashed reading such a
    // global.
    use brisk::ValType;
    use brisk_environ::artifact::valtype_code;
    let code = |t: ValType| u32::from(valtype_code(t));
    let i32_global = t.find(S::Globals, |w| w(3) != 0 && w(0) == code(ValType::I32));
    let funcref_global = t.find(S::Globals, |w| w(3) != 0 && w(0) == code(ValType::FuncRef));
    let what = format!(".brisk.globals record {i32_global}: constant expression");
    check(t.with(S::Globals, i32_global, 0, code(ValType::FuncRef)), Stage::Load, &what);
    let what = format!(".brisk.globals record {funcref_global}: constant expression");
    check(t.with(S::Globals, funcref_global, 0, code(ValType::I32)), Stage::Load, &what);
    check(t.with(S::Globals, i32_global, 0, code(ValType::I64)), Stage::Load, "does not produce one I64");
    let data_offset = t.word(S::DataSegments, t.find(S::DataSegments, |w| w(0) == 0), 2) as usize;
    check(t.with(S::Consts, data_offset, 0, 1), Stage::Load, "does not produce one I32");
    let elem_offset = t.word(S::Elems, active, 2) as usize;
    check(t.with(S::Consts, elem_offset, 0, 7), Stage::Load, "does not produce one I32");
    let item = t.word(S::ElemItems, pair, 0) as usize;
    check(t.with(S::Consts, item, 0, 0), Stage::Load, "does not produce one FuncRef");

    // Data segments: memory, bytes, mode.
    let data = t.find(S::DataSegments, |w| w(0) == 0);
    let what = format!(".brisk.data_segments record {data}: memory index 3 is out of range");
    check(t.with(S::DataSegments, data, 1, 3), Stage::Load, &what);
    check(t.with(S::DataSegments, data, 4, u32::MAX - 8), Stage::Load, "lie outside .brisk.data");
    check(t.with(S::DataSegments, data, 0, 2), Stage::Load, "unknown mode 2");

    // Types, tables and the start function.
    check(t.with(S::Types, 0, 0, big), Stage::Load, ".brisk.types record 0: value types 1000..");
    check(t.with(S::Tables, 1, 0, 0), Stage::Load, ".brisk.tables record 1: element type code 0");
    check(t.with_header(header::START, big), Stage::Load, "disagree");
    check(t.with_header(header::START, 1), Stage::Load, "start function 1 has type");

    // Function types: of imports and exports at load; of the others, which
    // the loader does not read, at instantiation.
    check(t.with(S::Funcs, 0, 0, big), Stage::Load, ".brisk.funcs record 0: type index 1000 is out of range");
    check(t.with(S::Funcs, 1, 0, big), Stage::Load, ".brisk.funcs record 1: type index 1000 is out of range");
    check(t.with(S::Funcs, 2, 0, big), Stage::Instantiate, ".brisk.funcs record 2: type index 1000 is out of range");

    // Function starts and trampolines, checked where they are read.
    check(t.with(S::FuncStarts, 1, 0, u32::MAX - 8), Stage::Instantiate, ".brisk.func_starts record 0");
    let second = t.word(S::FuncStarts, 1, 0);
    check(t.with(S::FuncStarts, 0, 0, second), Stage::Instantiate, ".brisk.func_starts record 0");
    check(t.with(S::ArrayCalls, 0, 1, u32::MAX - 8), Stage::Instantiate, ".brisk.array_calls record 0");
    assert!(cases >= 41, "{cases} cases");

    // The same through a mapped file.
    let dir = TempDir::new("artifact-bad-index");
    let path = dir.path().join("i.bwasm");
    std::fs::write(&path, t.with(S::Exports, 0, 3, big)).unwrap();
    // SAFETY: nothing modifies the file while the load runs.
    let err = unsafe { Module::deserialize_file(&engine, &path) }.expect_err("a bad export index loads");
    let message = err.downcast_ref::<ArtifactError>().unwrap_or_else(|| panic!("not an ArtifactError: {err:#}")).to_string();
    assert!(message.contains(".brisk.exports record 0"), "{message}");
    std::fs::write(&path, t.with(S::Funcs, 2, 0, big)).unwrap();
    // SAFETY: as above.
    let module = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    let err = instantiate_indices(&module).expect_err("a bad function type instantiates");
    assert!(err.downcast_ref::<ArtifactError>().is_some(), "{err:#}");
}
