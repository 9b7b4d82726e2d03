//! Runs the official WASI test suite (preview 1: 72 C, Rust and
//! AssemblyScript programs) through brisk-wasi.
//!
//! The suite lives outside the repository, in `shared/wasi-testsuite` beside
//! it (see its README). Each `NAME.wasm` may have a `NAME.json` giving its
//! arguments, environment, a folder to preopen as `/`, and the expected exit
//! code and stdout. Tests write into their folder, so each runs in a fresh
//! writable copy.

use brisk::{Engine, Linker, Module, Store};
use brisk_wasi::{DirPerms, FilePerms, I32Exit, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tests expected to fail here, with the reason. Empty: all must pass.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

const SUITES: &[&str] = &["assemblyscript", "c", "rust"];

fn suite_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wasi-testsuite")
}

struct Case {
    name: String,
    wasm: PathBuf,
    config: serde_json::Value,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    for suite in SUITES {
        let dir = root.join("tests").join(suite).join("testsuite/wasm32-wasip1");
        let mut wasms: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        wasms.sort();
        for wasm in wasms {
            let json = wasm.with_extension("json");
            let config = match std::fs::read_to_string(&json) {
                Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", json.display())),
                Err(_) => serde_json::json!({}),
            };
            let stem = wasm.file_stem().unwrap().to_string_lossy().into_owned();
            out.push(Case { name: format!("{suite}/{stem}"), wasm, config });
        }
    }
    out
}

/// Copies `from` into `to`, making everything writable (the shared copy of
/// the suite is read-only, and the tests create and delete files).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

fn scratch_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("brisk-wasi-{}-{n}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs one test; `Err` says how it failed.
fn run(engine: &Engine, case: &Case) -> Result<(), String> {
    let cfg = &case.config;
    let bytes = std::fs::read(&case.wasm).map_err(|e| e.to_string())?;
    let module = Module::new(engine, &bytes).map_err(|e| format!("compile: {e:#}"))?;

    let mut builder = WasiCtxBuilder::new();
    // argv[0] as Wasmtime gives it: the module's file name.
    builder.arg(case.wasm.file_name().unwrap().to_string_lossy());
    for a in cfg["args"].as_array().into_iter().flatten() {
        builder.arg(a.as_str().ok_or("non-string arg")?);
    }
    if let Some(env) = cfg["env"].as_object() {
        for (k, v) in env {
            builder.env(k, v.as_str().ok_or("non-string env value")?);
        }
    }
    let mut scratch = None;
    if let Some(root) = cfg["root"].as_str().or_else(|| cfg["dirs"].as_array().and_then(|d| d.first()?.as_str())) {
        let dir = scratch_dir(&case.name.replace('/', "_"));
        copy_tree(&case.wasm.parent().unwrap().join(root), &dir).map_err(|e| format!("copy: {e}"))?;
        builder.preopened_dir(&dir, "/", DirPerms::all(), FilePerms::all()).map_err(|e| format!("{e:#}"))?;
        scratch = Some(dir);
    }
    let stdout = MemoryOutputPipe::new(16 << 20);
    let stderr = MemoryOutputPipe::new(16 << 20);
    builder.stdout(stdout.clone()).stderr(stderr.clone());

    let mut linker = Linker::new(engine);
    brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).map_err(|e| e.to_string())?;
    let mut store = Store::new(engine, builder.build());
    let result = linker
        .instantiate(&mut store, &module)
        .and_then(|i| i.get_typed_func::<(), ()>(&mut store, "_start"))
        .and_then(|start| start.call(&mut store, ()));
    drop(store);
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }

    let code = match result {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => {
                return Err(format!("trapped: {e:?}\nstderr: {}", String::from_utf8_lossy(&stderr.contents())));
            }
        },
    };
    let want = cfg["exit_code"].as_i64().unwrap_or(0);
    let mut problems = Vec::new();
    if i64::from(code) != want {
        problems.push(format!("exit code {code}, expected {want}"));
    }
    if let Some(want) = cfg["stdout"].as_str() {
        let got = stdout.contents();
        if got != want.as_bytes() {
            problems.push(format!("stdout {:?}, expected {want:?}", String::from_utf8_lossy(&got)));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\nstderr: {}", problems.join("; "), String::from_utf8_lossy(&stderr.contents())))
    }
}

/// Runs every case on `engine`; prints the results and returns how many
/// failed (unexpectedly).
fn run_all(engine: &Engine, cases: &[Case]) -> usize {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(engine, case)))
                        .unwrap_or_else(|_| Err("panicked".into()));
                    results.lock().unwrap().push((case.name.clone(), r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut passed, mut failed, mut expected) = (0, 0, 0);
    for (name, r) in &results {
        let reason = EXPECTED_FAILURES.iter().find(|(n, _)| n == name).map(|(_, why)| *why);
        match (r, reason) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => {
                println!("UNEXPECTED PASS {name}: remove it from EXPECTED_FAILURES");
                failed += 1;
            }
            (Err(e), Some(why)) => {
                println!("expected failure {name} ({why}): {e}");
                expected += 1;
            }
            (Err(e), None) => {
                println!("FAIL {name}: {e}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if expected > 0 {
        println!("({expected} expected failures)");
    }
    failed
}

#[test]
fn wasi_testsuite() {
    let root = suite_root();
    if !root.exists() {
        println!("skipping: the WASI test suite is not at {} (CI has it)", root.display());
        return;
    }
    let cases = cases(&root);
    let only = std::env::var("WASI_TEST").ok();
    let cases: Vec<Case> =
        cases.into_iter().filter(|c| only.as_ref().is_none_or(|o| c.name.contains(o.as_str()))).collect();
    let mut failed = 0;
    // Every case on the default tier, the interpreter, the baseline tier and
    // the two mixed configurations.
    for strategy in [
        brisk::Strategy::Auto,
        brisk::Strategy::Interpreter,
        brisk::Strategy::Mixed,
        brisk::Strategy::Baseline,
        brisk::Strategy::MixedBaseline,
    ] {
        println!("tier {strategy:?}:");
        let engine = Engine::new(brisk::Config::new().strategy(strategy)).expect("an engine");
        failed += run_all(&engine, &cases);
    }
    assert_eq!(failed, 0, "WASI test suite failures");
}
