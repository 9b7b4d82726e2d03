//! Artifacts: a compiled module as an ELF file, loaded by mapping it.
//! Round trips behave like the compiled module; `objdump` names every
//! function; artifacts from other settings, versions or targets are
//! refused with the reason; truncated or bit-flipped artifacts are refused
//! before any code runs.

use crate::util::{TempDir, XorShift};
use brisk::{ArtifactError, Config, Engine, Linker, Module, OptLevel, Store, Trap, Val, WasmBacktrace};
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

