//! WASI preview 1 through real wasi-libc programs, run by the `brisk` binary.
//!
//! Each C program in `tests/wasi/` is committed with the `.wasm` that
//! `tests/wasi/build.sh` makes of it, so these tests need no C toolchain;
//! `committed_wasm_matches_sources` rebuilds them when clang can target
//! wasm32-wasi and checks the committed files are what the sources make.
//!
//! A case runs `brisk run --dir ROOT/sandbox::/sandbox [FLAGS] PROGRAM.wasm
//! ARGS...` in a fresh temporary ROOT that also holds `secret` and
//! `outside.txt` beside the preopened `sandbox/`, feeds stdin as the case
//! says, and compares stdout with `tests/wasi/CASE.expected` and the exit
//! code with `tests/wasi/CASE.exit` (0 when absent). Every case also checks
//! that nothing outside `ROOT/sandbox` changed; some check the files they
//! left inside. Stderr is only shown, never compared.
//!
//! The expected outputs are Wasmtime's (checked with Wasmtime 50; errno
//! names included), and for everything that does not depend on the
//! sandbox, also a native gcc build's.
//!
//! Two environment variables help when changing them:
//! - `BRISK_WASI_RUNNER="prog arg..."` runs each case with that command in
//!   place of `brisk run` (same flags: `--dir HOST::GUEST`, `--env`,
//!   `--argv0`), e.g. `python3 tests/wasi/wasmtime_run.py` (Wasmtime through
//!   `pip install wasmtime`), which is how the expectations were made;
//! - `BRISK_WASI_BLESS=1` writes the outputs it gets as the new expectations
//!   (review the diff before committing).

use crate::util::TempDir;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The guest path of the preopened directory, passed to the programs as
/// their first argument.
const GUEST_DIR: &str = "/sandbox";
/// What the secret file outside the preopen holds.
const SECRET: &str = "top secret\n";
/// The longest a case may run before it is killed and fails.
const TIMEOUT: Duration = Duration::from_secs(120);

fn wasi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi")
}

/// How a case's stdin is driven.
#[derive(Clone, Copy)]
enum Stdin {
    /// An empty pipe, closed at once: reads see end of file.
    Closed,
    /// These bytes, then end of file.
    Data(&'static str),
    /// An empty pipe kept open until the program has exited.
    HeldOpen,
}

struct Case {
    /// Names the expectation files, `tests/wasi/NAME.expected` and `.exit`.
    name: &'static str,
    /// `tests/wasi/PROGRAM.wasm`.
    program: &'static str,
    /// Options for `brisk run` besides `--dir` (before the module).
    flags: &'static [&'static str],
    /// The guest's arguments after its name; `{dir}` is replaced by the
    /// guest path of the preopen and `{root}` by the host path of ROOT.
    args: &'static [&'static str],
    stdin: Stdin,
    /// Environment variables set for the runtime itself (for `--env NAME`).
    host_env: &'static [(&'static str, &'static str)],
    /// Prepares ROOT/sandbox before the run.
    setup: fn(&Path),
    /// Host-side checks of ROOT after the run (beyond "outside unchanged").
    after: fn(&Path),
}

impl Case {
    const fn new(name: &'static str, program: &'static str) -> Case {
        Case {
            name,
            program,
            flags: &[],
            args: &["{dir}"],
            stdin: Stdin::Closed,
            host_env: &[],
            setup: |_| {},
            after: |_| {},
        }
    }
}

/// What one run gave.
struct Outcome {
    command: String,
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

/// The command that runs a module: `brisk run`, or `BRISK_WASI_RUNNER`.
fn runner() -> Command {
    match std::env::var("BRISK_WASI_RUNNER") {
        Ok(r) if !r.trim().is_empty() => {
            let mut words = r.split_whitespace();
            let mut cmd = Command::new(words.next().unwrap());
            cmd.args(words);
            cmd
        }
        _ => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_brisk"));
            cmd.arg("run");
            cmd
        }
    }
}

/// The tiers every case runs on: the default, the interpreter, and both
/// mixed in every module (only the default with `BRISK_WASI_RUNNER`).
const TIERS: &[&[&str]] = &[&[], &["-C", "tier=interp"], &["-C", "tier=mixed"]];

fn tiers() -> &'static [&'static [&'static str]] {
    if std::env::var("BRISK_WASI_RUNNER").is_ok_and(|r| !r.trim().is_empty()) { &TIERS[..1] } else { TIERS }
}

fn run_case(case: &Case, tier: &[&str], root: &Path, cache: &Path) -> Outcome {
    let sandbox = root.join("sandbox");
    let wasm = wasi_dir().join(format!("{}.wasm", case.program));
    let mut cmd = runner();
    cmd.args(tier);
    cmd.arg("--dir").arg(format!("{}::{GUEST_DIR}", sandbox.display()));
    cmd.args(case.flags);
    cmd.arg(&wasm);
    for a in case.args {
        cmd.arg(a.replace("{dir}", GUEST_DIR).replace("{root}", root.to_str().unwrap()));
    }
    // The compilation cache goes to a folder of the test's own.
    cmd.env("XDG_CACHE_HOME", cache);
    for (k, v) in case.host_env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let command = format!("{cmd:?}");

    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let mut stdin = child.stdin.take();
    match case.stdin {
        Stdin::Closed => drop(stdin.take()),
        Stdin::Data(data) => {
            let mut pipe = stdin.take().unwrap();
            // The program may exit without reading: a broken pipe is fine.
            let _ = pipe.write_all(data.as_bytes());
        }
        Stdin::HeldOpen => {}
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the runtime") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("case {}: still running after {TIMEOUT:?}, killed\ncommand: {command}", case.name);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(stdin);
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let code = status.code().or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        status.signal().map(|s| -s)
    });
    Outcome { command, stdout, stderr, code }
}

/// A line diff of expected and actual output (longest common subsequence;
/// the outputs are short).
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut s) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            s += &format!("   {}\n", a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            s += &format!(" + {}\n", b[j]);
            j += 1;
        } else {
            s += &format!(" - {}\n", a[i]);
            i += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        s += " (the outputs differ in a final newline)\n";
    }
    s
}

/// One entry of a folder tree: kind and content (file bytes or link target).
type Tree = BTreeMap<PathBuf, String>;

/// Everything under `dir`, without following symbolic links, skipping the
/// top-level entry named `skip`.
fn snapshot(dir: &Path, skip: Option<&str>) -> Tree {
    fn walk(base: &Path, dir: &Path, skip: Option<&str>, tree: &mut Tree) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            if skip.is_some_and(|s| rel == Path::new(s)) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("symlink -> {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                walk(base, &path, None, tree);
                "directory".to_string()
            } else {
                format!("file {:?}", String::from_utf8_lossy(&std::fs::read(&path).unwrap()))
            };
            tree.insert(rel, what);
        }
    }
    let mut tree = Tree::new();
    walk(dir, dir, skip, &mut tree);
    tree
}

fn run(case: Case) {
    for tier in tiers() {
        run_on(&case, tier);
    }
}

fn run_on(case: &Case, tier: &[&str]) {
    let root_dir = TempDir::new(&format!("wasi-{}", case.name));
    let cache_dir = TempDir::new(&format!("wasi-cache-{}", case.name));
    let root = root_dir.path();
    std::fs::create_dir(root.join("sandbox")).unwrap();
    std::fs::write(root.join("secret"), SECRET).unwrap();
    std::fs::write(root.join("outside.txt"), "outside\n").unwrap();
    (case.setup)(&root.join("sandbox"));
    let outside_before = snapshot(root, Some("sandbox"));

    let out = run_case(case, tier, root, cache_dir.path());

    let expected_path = wasi_dir().join(format!("{}.expected", case.name));
    let exit_path = wasi_dir().join(format!("{}.exit", case.name));
    if std::env::var_os("BRISK_WASI_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&expected_path, &out.stdout).unwrap();
        match out.code {
            Some(0) => {
                let _ = std::fs::remove_file(&exit_path);
            }
            Some(c) => std::fs::write(&exit_path, format!("{c}\n")).unwrap(),
            None => panic!("case {}: no exit code", case.name),
        }
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("case {}: cannot read {}: {e}", case.name, expected_path.display()));
    let expected_code: i32 = match std::fs::read_to_string(&exit_path) {
        Ok(s) => s.trim().parse().unwrap_or_else(|_| panic!("{} holds no number", exit_path.display())),
        Err(_) => 0,
    };

    let context = format!(
        "case {} (tests/wasi/{}.c)\ncommand: {}\nexit code: {} (expected {expected_code}; negative: killed by that signal)\n\
         --- stderr ---\n{}",
        case.name,
        case.program,
        out.command,
        out.code.map_or("none".to_string(), |c| c.to_string()),
        out.stderr
    );
    // First what matters most: nothing outside the preopen changed.
    let outside_after = snapshot(root, Some("sandbox"));
    assert_eq!(
        outside_before, outside_after,
        "{context}\nthe folder around the preopen changed (left: before, right: after)"
    );
    assert_eq!(std::fs::read_to_string(root.join("secret")).unwrap(), SECRET);
    if out.stdout != expected {
        panic!(
            "{context}\n--- stdout differs from tests/wasi/{}.expected (- expected, + actual) ---\n{}",
            case.name,
            diff(&expected, &out.stdout)
        );
    }
    assert!(out.code == Some(expected_code), "{context}\nthe exit code differs");
    if expected_code == 134 {
        assert!(!out.stderr.trim().is_empty(), "{context}\na trap prints its message on stderr");
    }

    (case.after)(root);
}

// ---------------------------------------------------------------- the cases

#[test]
fn args_env() {
    run(Case {
        flags: &[
            "--argv0",
            "args_env",
            "--env",
            "BRISK_A=alpha",
            "--env",
            "BRISK_EMPTY=",
            "--env",
            "BRISK_EQ=a=b=c",
            "--env",
            "BRISK_UNICODE=h\u{e9}llo",
            "--env",
            "BRISK_INHERITED",
        ],
        // Words that look like options belong to the guest after the module.
        args: &["one", "two words", "", "\u{fc}n\u{ef}", "--not-a-brisk-flag", "-x"],
        host_env: &[("BRISK_INHERITED", "from the host")],
        ..Case::new("args_env", "args_env")
    });
}

#[test]
fn files() {
    run(Case {
        setup: |sandbox| std::fs::write(sandbox.join("input.txt"), "hello from the test\n").unwrap(),
        after: |root| {
            let s = root.join("sandbox");
            assert_eq!(std::fs::read_to_string(s.join("output.txt")).unwrap(), "written by files.c\n");
            assert_eq!(std::fs::read_to_string(s.join("input.txt")).unwrap(), "hello from the test\n");
            for gone in ["a.txt", "b.txt", "c.txt", "big.bin"] {
                assert!(!s.join(gone).exists(), "files.c removed {gone}");
            }
        },
        ..Case::new("files", "files")
    });
}

#[test]
fn dirs() {
    run(Case {
        after: |root| {
            let s = root.join("sandbox");
            assert_eq!(std::fs::read_to_string(s.join("kept/inner/file.txt")).unwrap(), "deep\n");
            assert!(!s.join("d").exists() && !s.join("t").exists(), "dirs.c removed d and t");
        },
        ..Case::new("dirs", "dirs")
    });
}

#[test]
fn readdir() {
    run(Case::new("readdir", "readdir"));
}

#[test]
fn symlinks() {
    run(Case {
        after: |root| {
            let s = root.join("sandbox");
            assert_eq!(std::fs::read_link(s.join("dangling")).unwrap(), Path::new("nowhere"));
            assert_eq!(std::fs::read_link(s.join("link3")).unwrap(), Path::new("link2"));
            assert_eq!(std::fs::read_to_string(s.join("hard")).unwrap(), "data+more");
        },
        ..Case::new("symlinks", "symlinks")
    });
}

#[test]
fn seek() {
    run(Case::new("seek", "seek"));
}

#[test]
fn poll_stdin_data() {
    run(Case { args: &["data", "{dir}"], stdin: Stdin::Data("ping\n"), ..Case::new("poll-data", "poll") });
}

#[test]
fn poll_stdin_timeout() {
    run(Case { args: &["timeout", "{dir}"], stdin: Stdin::HeldOpen, ..Case::new("poll-timeout", "poll") });
}

#[test]
fn clocks() {
    run(Case { args: &[], ..Case::new("clocks", "clocks") });
}

#[test]
fn random() {
    run(Case { args: &[], ..Case::new("random", "random") });
}

#[test]
fn exit_codes() {
    run(Case { args: &[], ..Case::new("exit_codes", "exit_codes") });
    run(Case { args: &["exit", "0"], ..Case::new("exit_codes-exit0", "exit_codes") });
    run(Case { args: &["exit", "1"], ..Case::new("exit_codes-exit1", "exit_codes") });
    run(Case { args: &["exit", "42"], ..Case::new("exit_codes-exit42", "exit_codes") });
    run(Case { args: &["exit", "125"], ..Case::new("exit_codes-exit125", "exit_codes") });
    run(Case { args: &["return", "7"], ..Case::new("exit_codes-return7", "exit_codes") });
    run(Case { args: &["abort"], ..Case::new("exit_codes-abort", "exit_codes") });
    run(Case { args: &["trap"], ..Case::new("exit_codes-trap", "exit_codes") });
}

/// The host paths of the escape attempts, all relative to ROOT.
fn sandbox_setup(sandbox: &Path) {
    use std::os::unix::fs::symlink;
    let root = sandbox.parent().unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside\n").unwrap();
    std::fs::create_dir(sandbox.join("sub")).unwrap();
    symlink("../secret", sandbox.join("esc_rel")).unwrap();
    symlink(root.join("secret"), sandbox.join("esc_abs")).unwrap();
    symlink("..", sandbox.join("esc_dir")).unwrap();
    symlink(root, sandbox.join("esc_abs_dir")).unwrap();
    symlink("../../secret", sandbox.join("sub/up2")).unwrap();
    symlink("nowhere", sandbox.join("dangling")).unwrap();
    symlink("../nowhere", sandbox.join("dangling_out")).unwrap();
    symlink("loop_b", sandbox.join("loop_a")).unwrap();
    symlink("loop_a", sandbox.join("loop_b")).unwrap();
}

#[test]
fn sandbox() {
    run(Case {
        args: &["{dir}", "{root}"],
        setup: sandbox_setup,
        after: |root| {
            // Outside is checked by `run`; inside, nothing came in.
            let s = root.join("sandbox");
            assert_eq!(std::fs::read_to_string(s.join("inside.txt")).unwrap(), "inside\n");
            for name in ["stolen", "stolen2", "stolen_abs", "moved_in", "guest_abs", "nowhere"] {
                assert!(std::fs::symlink_metadata(s.join(name)).is_err(), "sandbox/{name} must not exist");
            }
            for name in ["created", "newdir", "linked", "moved", "made_by_guest", "abs_created", "abs_newdir"] {
                assert!(std::fs::symlink_metadata(root.join(name)).is_err(), "{name} must not exist outside");
            }
        },
        ..Case::new("sandbox", "sandbox")
    });
}

/// A read-only preopen (`--dir HOST::GUEST::ro`). The expectations come
/// from Wasmtime's API with a preopen without write permissions
/// (`tests/wasi/wasmtime_run.py --read-only`).
#[test]
fn readonly() {
    let dir = TempDir::new("wasi-readonly");
    let cache = TempDir::new("wasi-cache-readonly");
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("data.txt"), "read me\n").unwrap();
    std::fs::create_dir(ro.join("sub")).unwrap();
    let before = snapshot(dir.path(), None);
    let out = runner()
        .arg("--dir")
        .arg(format!("{}::/ro::ro", ro.display()))
        .arg(wasi_dir().join("readonly.wasm"))
        .arg("/ro")
        .env("XDG_CACHE_HOME", cache.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = std::fs::read_to_string(wasi_dir().join("readonly.expected")).unwrap();
    assert!(stdout == expected, "readonly: (- expected, + actual)\n{}", diff(&expected, &stdout));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(before, snapshot(dir.path(), None), "the read-only folder changed");
}

// ---------------------------------------------------------------- the files

/// The test programs: every tests/wasi/*.c.
fn programs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(wasi_dir())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".c").map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Each program has its committed .wasm and at least one expectation; no
/// expectation or .wasm is left without a program.
#[test]
fn every_program_is_built_and_expected() {
    let programs = programs();
    assert!(programs.len() >= 11, "{programs:?}");
    let files: Vec<String> =
        std::fs::read_dir(wasi_dir()).unwrap().filter_map(|e| e.unwrap().file_name().into_string().ok()).collect();
    for p in &programs {
        assert!(files.contains(&format!("{p}.wasm")), "tests/wasi/{p}.wasm is missing: run tests/wasi/build.sh");
        assert!(
            files.iter().any(|f| f == &format!("{p}.expected") || f.starts_with(&format!("{p}-"))),
            "tests/wasi/{p}.c has no expected output"
        );
    }
    for f in &files {
        let stem = f.split(['.', '-']).next().unwrap();
        if f.ends_with(".wasm") || f.ends_with(".expected") || f.ends_with(".exit") {
            assert!(programs.iter().any(|p| p == stem), "tests/wasi/{f} belongs to no program");
        }
    }
}

/// The committed .wasm files are what build.sh makes of the sources. Needs
/// clang with the wasm32-wasi target and wasi-libc (CI has them); without
/// them it says why and passes.
#[test]
fn committed_wasm_matches_sources() {
    let tmp = TempDir::new("wasi-build");
    let cc = std::env::var("CC").unwrap_or_else(|_| "clang".to_string());
    let probe = tmp.path().join("probe.c");
    std::fs::write(&probe, "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n").unwrap();
    let usable = Command::new(&cc)
        .args(["--target=wasm32-wasi", "-O2"])
        .arg(&probe)
        .arg("-o")
        .arg(tmp.path().join("probe.wasm"))
        .output();
    match usable {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "skipping committed_wasm_matches_sources: {cc} cannot build for wasm32-wasi \
                 (needs clang, lld, wasi-libc, libclang-rt-14-dev-wasm32):\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        Err(e) => {
            eprintln!("skipping committed_wasm_matches_sources: cannot run {cc}: {e}");
            return;
        }
    }
    let out_dir = tmp.path().join("out");
    let out = Command::new("sh").arg(wasi_dir().join("build.sh")).arg(&out_dir).output().unwrap();
    assert!(
        out.status.success(),
        "tests/wasi/build.sh failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stale = Vec::new();
    for p in programs() {
        let built = std::fs::read(out_dir.join(format!("{p}.wasm"))).unwrap();
        let committed = std::fs::read(wasi_dir().join(format!("{p}.wasm"))).unwrap_or_default();
        if built != committed {
            stale.push(format!("{p}.wasm ({} bytes built, {} committed)", built.len(), committed.len()));
        }
    }
    assert!(
        stale.is_empty(),
        "committed .wasm files differ from their sources: {stale:?}\nrebuild with tests/wasi/build.sh \
         (with {}) and commit them",
        String::from_utf8_lossy(&Command::new(&cc).arg("--version").output().unwrap().stdout)
            .lines()
            .next()
            .unwrap_or("")
    );
}
