//! Inputs, all made from what the repository holds: no blobs are checked in.
//!
//! - generated modules: a small one, a large one, one with many segments;
//! - the compile corpus of fuzzer-shaped wasm-smith modules (`brisk-corpus`);
//! - real C programs from Debian source packages, built by
//!   `bench/programs/build.sh` with Debian's clang and wasi-libc;
//! - compute kernels written as .wat in `bench/kernels/`.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// A module to compile, by name.
pub struct Input {
    pub name: String,
    pub wasm: Vec<u8>,
}

/// A named set of inputs.
pub struct Corpus {
    pub name: &'static str,
    pub modules: Vec<Input>,
}

/// The fuzzer-shaped corpus: `count` wasm-smith modules from seeds 0..count.
pub fn smith_corpus(count: u64) -> Corpus {
    let modules = brisk_corpus::corpus(count).into_iter().map(|g| Input { name: g.name, wasm: g.wasm }).collect();
    Corpus { name: "smith", modules }
}

/// The C programs, built (once; the script skips what exists) into
/// `out`. An error says what is missing, e.g. the compiler.
pub fn programs_corpus(root: &Path, out: &Path) -> Result<Corpus> {
    let script = root.join("bench/programs/build.sh");
    build_programs(root, out)?;
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            modules.push(Input { name, wasm: std::fs::read(&path)? });
        }
    }
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    if modules.is_empty() {
        bail!("{} built no programs", script.display());
    }
    Ok(Corpus { name: "programs", modules })
}

/// A compute kernel: `run(arg) -> i64`, deterministic, so every runtime
/// must give the same result.
/// Builds the C programs into `out` with `bench/programs/build.sh` (which
/// skips the programs already built).
pub fn build_programs(root: &Path, out: &Path) -> Result<()> {
    let script = root.join("bench/programs/build.sh");
    let status = Command::new("bash").arg(&script).arg(out).status().with_context(|| format!("running {}", script.display()))?;
    if !status.success() {
        bail!("{} failed ({status})", script.display());
    }
    Ok(())
}

pub struct Kernel {
    pub name: &'static str,
    pub wat: &'static str,
    pub arg: i32,
    pub quick_arg: i32,
}

pub fn kernels() -> Vec<Kernel> {
    vec![
        Kernel { name: "fib", wat: include_str!("../kernels/fib.wat"), arg: 30, quick_arg: 25 },
        Kernel { name: "sieve", wat: include_str!("../kernels/sieve.wat"), arg: 4 << 20, quick_arg: 1 << 20 },
        Kernel { name: "matmul", wat: include_str!("../kernels/matmul.wat"), arg: 160, quick_arg: 80 },
        Kernel { name: "crc32", wat: include_str!("../kernels/crc32.wat"), arg: 4 << 20, quick_arg: 1 << 20 },
    ]
}

/// A module with many segments and globals: instantiation work that
/// grows with what the module declares, not with its code.
pub fn segments_module() -> String {
    let mut s = String::from("(module $segments\n  (memory (export \"memory\") 16)\n  (table 1000 funcref)\n");
    s.push_str("  (func $f (result i32) (i32.const 1))\n");
    for i in 0..64 {
        s.push_str(&format!("  (global (export \"g{i}\") (mut i64) (i64.const {i}))\n"));
        s.push_str(&format!("  (data (i32.const {}) \"{}\")\n", i * 4096, "segment-data-".repeat(20)));
        s.push_str(&format!("  (elem (i32.const {}) $f $f $f $f $f $f $f $f $f $f)\n", i * 10));
    }
    s.push_str(")\n");
    s
}

/// A small module: a handful of functions.
pub fn small_module() -> String {
    r#"(module $small
  (memory (export "memory") 1)
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "sum") (param $p i32) (param $len i32) (result i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $len)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $next)))
    (local.get $s)))"#
        .to_string()
}

/// A large module of `funcs` functions, each with memory accesses, a
/// division, a branch and a call to the next: realistic trap tables and
/// calls to resolve. Every eighth function is exported.
pub fn large_module(funcs: usize) -> String {
    let mut s = String::from("(module $large\n  (memory (export \"memory\") 1)\n  (global $g (mut i32) (i32.const 0))\n");
    for i in 0..funcs {
        let next = (i + 1) % funcs;
        let export = if i % 8 == 0 { format!(" (export \"f{i}\")") } else { String::new() };
        let off = (i * 4) % 1024;
        s.push_str(&format!(
            "  (func $f{i}{export} (param $x i32) (param $y i32) (result i32) (local $t i32)
    (local.set $t (i32.add (local.get $x) (i32.const {i})))
    (if (i32.gt_u (local.get $y) (i32.const 0))
      (then (local.set $t (i32.add (local.get $t)
        (call $f{next} (i32.load offset={off} (i32.and (local.get $x) (i32.const 1020)))
                       (i32.sub (local.get $y) (i32.const 1)))))))
    (i32.store offset={off} (i32.const 0) (local.get $t))
    (global.set $g (i32.xor (global.get $g) (local.get $t)))
    (i32.div_u (local.get $t) (i32.or (local.get $y) (i32.const 1))))\n"
        ));
    }
    s.push_str(")\n");
    s
}
