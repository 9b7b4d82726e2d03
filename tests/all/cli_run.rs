//! `brisk run` as a Wasmtime user meets it: exit codes, bounded execution
//! (`-W fuel`, `-W timeout`, `-W max-memory-size`), closed pipes, `brisk
//! FILE` and `--version`, and error text a person can act on.

use crate::util::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A test folder with a compilation cache of its own.
struct Dir(TempDir);

impl Dir {
    fn new(name: &str) -> Dir {
        Dir(TempDir::new(name))
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn brisk(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_brisk"))
            .args(args)
            .env("XDG_CACHE_HOME", self.0.path().join("cache"))
            .output()
            .expect("brisk runs")
    }

    /// Runs `sh -c SCRIPT` with `$BRISK` set; returns its output.
    fn sh(&self, script: &str) -> Output {
        Command::new("bash")
            .args(["-c", script])
            .env("BRISK", env!("CARGO_BIN_EXE_brisk"))
            .env("XDG_CACHE_HOME", self.0.path().join("cache"))
            .current_dir(self.0.path())
            .output()
            .expect("bash runs")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const EXIT: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 42))))"#;

const LOOP: &str = r#"(module (func (export "_start") (loop (br 0))))"#;

const TRAP: &str = r#"(module
  (func $inner (unreachable))
  (func (export "_start") (call $inner)))"#;

#[test]
fn exit_codes_are_wasmtimes() {
    let d = Dir::new("cli-exit");
    let exit = d.file("exit.wat", EXIT);
    let out = d.brisk(&["run", s(&exit)]);
    assert_eq!(out.status.code(), Some(42), "proc_exit's code: {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "an exit is not an error: {}", text(&out.stderr));

    let trap = d.file("trap.wat", TRAP);
    let out = d.brisk(&["run", s(&trap)]);
    assert_eq!(out.status.code(), Some(134), "a trap");
    let err = text(&out.stderr);
    assert!(err.contains("wasm trap: unreachable") && err.contains("wasm backtrace"), "{err}");

    // Usage errors: 2.
    for args in [&["run", "--no-such-flag", s(&trap)][..], &["run", "-W", "fuel=lots", s(&trap)], &["run", "-W", "nope=1", s(&trap)], &["run"]]
    {
        let out = d.brisk(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    }
    // Other errors: 1.
    let invalid = d.file("invalid.wat", "(module (func (result i32) (i64.const 1)))");
    for args in [&["run", "/no/such/file.wasm"][..], &["run", s(&invalid)]] {
        let out = d.brisk(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn brisk_file_is_brisk_run_file_and_arguments_reach_the_guest() {
    let d = Dir::new("cli-default");
    let exit = d.file("exit.wat", EXIT);
    // Everything after FILE is the guest's, even what looks like an option.
    let out = d.brisk(&[s(&exit), "--invoke", "-W", "x"]);
    assert_eq!(out.status.code(), Some(42), "{}", text(&out.stderr));
    let out = d.brisk(&["--version"]);
    assert_eq!(text(&out.stdout).trim(), format!("brisk {}", env!("CARGO_PKG_VERSION")));
    let fib = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fib.wat");
    let out = d.brisk(&["--invoke", "fib", s(&fib), "20"]);
    assert_eq!(text(&out.stdout), "6765\n", "{}", text(&out.stderr));
}

#[test]
fn native_unwind_info_is_an_option_and_its_artifacts_carry_eh_frame() {
    let d = Dir::new("cli-unwind");
    let fib = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fib.wat");
    for tier in ["optimized", "baseline"] {
        let out = d.brisk(&["run", "-C", "native-unwind-info=y", "-C", &format!("tier={tier}"), "--invoke", "fib", s(&fib), "20"]);
        assert_eq!(text(&out.stdout), "6765\n", "{tier}: {}", text(&out.stderr));
        let artifact = d.0.path().join(format!("fib-{tier}.bwasm"));
        let out = d.brisk(&["compile", "-C", "native-unwind-info=y", "-C", &format!("tier={tier}"), s(&fib), "-o", s(&artifact)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let bytes = std::fs::read(&artifact).unwrap();
        assert!(bytes.windows(9).any(|w| w == b".eh_frame"), "{tier}: no .eh_frame section");
    }
    let out = d.brisk(&["run", "-C", "native-unwind-info=maybe", s(&fib)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("native-unwind-info"), "{}", text(&out.stderr));
    let out = d.brisk(&["settings"]);
    assert!(text(&out.stdout).contains("-C native-unwind-info=n"), "{}", text(&out.stdout));
}

#[test]
fn fuel_ends_an_infinite_loop_and_burns_the_same_every_run() {
    let d = Dir::new("cli-fuel");
    let l = d.file("loop.wat", LOOP);
    let out = d.brisk(&["run", "-W", "fuel=100000", s(&l)]);
    assert_eq!(out.status.code(), Some(134));
    assert!(text(&out.stderr).contains("all fuel consumed"), "{}", text(&out.stderr));

    // A program that finishes: the fuel it burns is the same in every run.
    let fib = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fib.wat");
    let runs: Vec<String> = (0..3)
        .map(|_| {
            let out = d.brisk(&["run", "-v", "-W", "fuel=100000000", "--invoke", "fib", s(&fib), "20"]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let err = text(&out.stderr);
            err.lines().find(|l| l.contains("fuel left")).expect("-v reports the fuel").to_string()
        })
        .collect();
    assert!(runs.iter().all(|r| r == &runs[0]), "{runs:?}");
}

#[test]
fn timeout_interrupts_an_infinite_loop() {
    let d = Dir::new("cli-timeout");
    let l = d.file("loop.wat", LOOP);
    let out = d.brisk(&["run", "-W", "timeout=200ms", s(&l)]);
    assert_eq!(out.status.code(), Some(134));
    assert!(text(&out.stderr).contains("interrupt"), "{}", text(&out.stderr));
}

#[test]
fn max_memory_size_makes_memory_grow_fail_not_crash() {
    let d = Dir::new("cli-memory");
    // Grows one page at a time until memory.grow says -1; returns how many
    // pages it got.
    let m = d.file(
        "grow.wat",
        r#"(module (memory 1)
          (func (export "grow") (result i32) (local i32)
            (block (loop
              (br_if 1 (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
              (local.set 0 (i32.add (local.get 0) (i32.const 1)))
              (br 0)))
            (local.get 0)))"#,
    );
    let out = d.brisk(&["run", "-W", "max-memory-size=1048576", "--invoke", "grow", s(&m)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "15\n", "16 pages of 64 KiB in 1 MiB, one to start with");
}

#[test]
fn closed_stdout_and_stderr_never_panic() {
    let d = Dir::new("cli-pipes");
    d.file("trap.wat", TRAP);
    // The trap message goes into a pipe that `head` closes after a line.
    let out = d.sh(r#"$BRISK run trap.wat 2>&1 | head -1; echo "status ${PIPESTATUS[0]}""#);
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("error: wasm trap: unreachable"), "{stdout}");
    assert!(stdout.ends_with("status 134\n"), "{stdout}");
    // Results printed into a pipe that is already closed.
    let fib = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fib.wat");
    let script = format!(r#"$BRISK run --invoke fib {} 10 2>&1 | true; echo "status ${{PIPESTATUS[0]}}""#, s(&fib));
    let out = d.sh(&script);
    assert_eq!(text(&out.stdout), "status 0\n");
    // A guest writing to a closed stdout gets an error, not a crash.
    let hello = d.file(
        "hello.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "hello\n")
          (func (export "_start") (local i32)
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 6))
            (loop (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
              (local.set 0 (i32.add (local.get 0) (i32.const 1)))
              (br_if 0 (i32.lt_u (local.get 0) (i32.const 100000))))))"#,
    );
    let out = d.sh(&format!(r#"$BRISK run {} | head -1; echo "status ${{PIPESTATUS[0]}}""#, s(&hello)));
    assert_eq!(text(&out.stdout), "hello\nstatus 0\n", "{}", text(&out.stderr));
}

#[test]
fn errors_name_the_file_with_line_and_column() {
    let d = Dir::new("cli-errors");
    let parse = d.file("parse.wat", "(module\n  (func\n    (i32.bogus)))\n");
    let out = d.brisk(&["run", s(&parse)]);
    let err = text(&out.stderr);
    assert!(err.contains("parse.wat:3:6") && !err.contains("<anon>"), "{err}");

    let invalid = d.file("invalid.wat", "(module\n  (func (result i32)\n    i32.const 1\n    i64.const 2\n    i32.add))\n");
    let out = d.brisk(&["run", s(&invalid)]);
    let err = text(&out.stderr);
    assert!(err.contains("type mismatch") && err.contains("invalid.wat:5:5"), "{err}");

    let junk = d.file("junk.wasm", "XXXXjunk");
    let out = d.brisk(&["run", s(&junk)]);
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line for bad magic: {err}");
    assert!(err.contains("not a WebAssembly module"), "{err}");
}
