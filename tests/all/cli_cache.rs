//! `brisk run`'s compilation cache and `brisk compile`, through the real
//! binary: a second run of an unchanged module skips compilation, a module
//! changed by one byte is compiled again, a corrupt entry is recompiled,
//! and `-C cache=n`, `brisk cache path` and `brisk cache clear` do what
//! they say.

use crate::util::TempDir;
use std::path::Path;
use std::process::Command;

/// Runs `brisk` with its cache in `cache_home`; returns (stdout, stderr).
fn brisk(cache_home: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(args)
        .env("XDG_CACHE_HOME", cache_home)
        .output()
        .expect("brisk runs");
    let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert!(out.status.success(), "brisk {args:?} failed:\n{stdout}{stderr}");
    (stdout, stderr)
}

const MODULE: &str = r#"(module (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 100))))"#;

#[test]
fn second_run_skips_compilation_and_changes_recompile() {
    let dir = TempDir::new("cli-cache");
    let home = dir.path().join("cache");
    let module = dir.path().join("m.wat");
    std::fs::write(&module, MODULE).unwrap();
    let m = module.to_str().unwrap();

    let (out, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert_eq!(out, "101\n");
    assert!(err.contains("compiled in"), "first run compiles: {err}");
    let (out, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert_eq!(out, "101\n");
    assert!(err.contains("cache hit") && err.contains("no compilation"), "second run hits: {err}");

    // One byte changed: `100` becomes `200`.
    std::fs::write(&module, MODULE.replace("100", "200")).unwrap();
    let (out, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert_eq!(out, "201\n");
    assert!(err.contains("compiled in"), "a changed module compiles: {err}");

    // Other settings are another entry.
    let (_, err) = brisk(&home, &["run", "-v", "-O", "opt-level=0", "--invoke", "f", m, "1"]);
    assert!(err.contains("compiled in"), "other settings compile: {err}");

    // A corrupt entry is compiled again and replaced.
    let entries: Vec<_> = std::fs::read_dir(home.join("brisk")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 3, "one entry per (module, settings): {entries:?}");
    for e in &entries {
        let mut bytes = std::fs::read(e).unwrap();
        bytes[100] ^= 0x40; // in the checksummed header
        std::fs::write(e, bytes).unwrap();
    }
    let (out, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert_eq!(out, "201\n");
    assert!(err.contains("unusable") && err.contains("corrupt"), "a corrupt entry is replaced: {err}");
    let (_, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert!(err.contains("cache hit"), "the replacement is used: {err}");

    let (_, err) = brisk(&home, &["run", "-v", "-C", "cache=n", "--invoke", "f", m, "1"]);
    assert!(err.contains("cache off"), "{err}");

    let (out, _) = brisk(&home, &["cache", "path"]);
    assert_eq!(out.trim(), home.join("brisk").to_str().unwrap());
    let (out, _) = brisk(&home, &["cache", "clear"]);
    assert_eq!(out.trim(), format!("removed 3 cached artifacts from {}", home.join("brisk").display()));
    let (_, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert!(err.contains("compiled in"), "after clear: {err}");
}

#[test]
fn compiled_artifacts_run_and_are_recognised_by_header() {
    let dir = TempDir::new("cli-compile");
    let home = dir.path().join("cache");
    let module = dir.path().join("m.wat");
    std::fs::write(&module, MODULE).unwrap();
    brisk(&home, &["compile", module.to_str().unwrap()]);
    let artifact = dir.path().join("m.bwasm");
    assert!(artifact.exists(), "default output is FILE.bwasm");
    // The name does not matter: the header does.
    let renamed = dir.path().join("program.wasm");
    std::fs::rename(&artifact, &renamed).unwrap();
    let (out, err) = brisk(&home, &["run", "-v", "--invoke", "f", renamed.to_str().unwrap(), "5"]);
    assert_eq!(out, "105\n");
    assert!(err.contains("loaded artifact"), "{err}");
    assert!(!home.exists(), "running an artifact does not touch the cache");

    let out = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["run", "-O", "opt-level=0", "--invoke", "f", renamed.to_str().unwrap(), "5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("other settings: opt-level=speed (this engine: opt-level=none)"), "{err}");
}

#[test]
fn brisk_wast_accepts_artifacts_in_scripts() {
    let dir = TempDir::new("cli-wast-artifact");
    let home = dir.path().join("cache");
    let module = dir.path().join("m.wat");
    std::fs::write(&module, MODULE).unwrap();
    brisk(&home, &["compile", module.to_str().unwrap()]);
    let artifact = std::fs::read(dir.path().join("m.bwasm")).unwrap();
    let escaped: String = artifact.iter().map(|b| format!("\\{b:02x}")).collect();
    let script = dir.path().join("a.wast");
    std::fs::write(
        &script,
        format!("(module binary \"{escaped}\")\n(assert_return (invoke \"f\" (i32.const 1)) (i32.const 101))\n"),
    )
    .unwrap();
    let (out, _) = brisk(&home, &["wast", script.to_str().unwrap()]);
    assert!(out.ends_with("2 passed, 0 failed\n"), "{out}");
}
