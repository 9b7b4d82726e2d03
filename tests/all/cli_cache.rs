//! `brisk run`'s compilation cache and `brisk compile`, through the real
//! binary: a second run of an unchanged module skips compilation, a module
//! changed by one byte is compiled again, a corrupt entry is recompiled
//! (damaged code included: one flipped byte of `.text` at each of hundreds
//! of places never runs), least recently used entries go beyond the size
//! limit, and `-C cache=n`, `brisk cache path|size|clear` do what they say.

use crate::util::{TempDir, XorShift};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `brisk` with its cache in `cache_home` and `env` set.
fn brisk_output(cache_home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_brisk"));
    command.args(args).env("XDG_CACHE_HOME", cache_home).env_remove("BRISK_CACHE_SIZE");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("brisk runs")
}

/// Runs `brisk` as [`brisk_output`] does, but kills it after `limit`:
/// `None` if it took that long.
fn brisk_output_within(cache_home: &Path, args: &[&str], limit: std::time::Duration) -> Option<Output> {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(args)
        .env("XDG_CACHE_HOME", cache_home)
        .env_remove("BRISK_CACHE_SIZE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brisk runs");
    let started = std::time::Instant::now();
    // The output is a few lines: it fits in the pipes while we wait.
    while child.try_wait().expect("can wait for brisk").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    Some(child.wait_with_output().expect("brisk's output"))
}

/// Runs `brisk`, which must succeed, with `env` set; returns (stdout, stderr).
fn brisk_env(cache_home: &Path, env: &[(&str, &str)], args: &[&str]) -> (String, String) {
    let out = brisk_output(cache_home, env, args);
    let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert!(out.status.success(), "brisk {args:?} failed:\n{stdout}{stderr}");
    (stdout, stderr)
}

/// Runs `brisk` with its cache in `cache_home`; returns (stdout, stderr).
fn brisk(cache_home: &Path, args: &[&str]) -> (String, String) {
    brisk_env(cache_home, &[], args)
}

/// The files in a cache folder.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    entries
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
    let hit = err.contains("cache hit") && err.contains("verified") && err.contains("no compilation");
    assert!(hit, "second run hits: {err}");

    // One byte changed: `100` becomes `200`.
    std::fs::write(&module, MODULE.replace("100", "200")).unwrap();
    let (out, err) = brisk(&home, &["run", "-v", "--invoke", "f", m, "1"]);
    assert_eq!(out, "201\n");
    assert!(err.contains("compiled in"), "a changed module compiles: {err}");

    // Other settings are another entry.
    let (_, err) = brisk(&home, &["run", "-v", "-O", "opt-level=0", "--invoke", "f", m, "1"]);
    assert!(err.contains("compiled in"), "other settings compile: {err}");

    // A corrupt entry is compiled again and replaced.
    let all = entries(&home.join("brisk"));
    assert_eq!(all.len(), 3, "one entry per (module, settings): {all:?}");
    for e in &all {
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
    let total: u64 = entries(&home.join("brisk")).iter().map(|e| e.metadata().unwrap().len()).sum();
    let (out, _) = brisk(&home, &["cache", "size"]);
    let expected = format!("{}: 3 entries, ", home.join("brisk").display());
    assert!(out.starts_with(&expected) && out.contains(&format!("({total} bytes); limit 1.0 GiB")), "{out}");
    assert_eq!(brisk(&home, &["cache"]).0, out, "`brisk cache` is `brisk cache size`");
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

/// A module with some code in each of a dozen functions, all of which
/// `run` calls (so that damage anywhere in `.text` is in code that runs).
fn code_module() -> String {
    let mut wat = String::from("(module\n");
    for i in 0..12 {
        wat += &format!(
            "  (func $f{i} (param i32) (result i32) (local i32)
    (local.set 1 (i32.mul (local.get 0) (i32.const {})))
    (local.set 1 (i32.xor (local.get 1) (i32.rotl (local.get 1) (i32.const {}))))
    (local.set 1 (i32.add (local.get 1) (i32.div_u (local.get 1) (i32.const {}))))
    (i32.sub (local.get 1) (i32.shr_u (local.get 0) (i32.const {}))))\n",
            2 * i + 3,
            i + 1,
            i + 7,
            i % 5 + 1
        );
    }
    let calls = (0..12).fold("(local.get 0)".to_string(), |inner, i| format!("(call $f{i} {inner})"));
    wat + &format!("  (func (export \"run\") (param i32) (result i32) {calls}))\n")
}

/// What a run of a damaged entry did.
enum Flipped {
    /// Found the damage, compiled again, printed the right result.
    Recompiled,
    /// Failed cleanly (exit code 1, a message).
    Error,
}

#[test]
fn damaged_code_in_a_cache_entry_never_runs() {
    let dir = TempDir::new("cli-cache-flip");
    let module = dir.path().join("m.wat");
    std::fs::write(&module, code_module()).unwrap();
    let m = module.to_str().unwrap();
    let args: &[&str] = &["run", "-v", "--invoke", "run", m, "12345"];

    let home = dir.path().join("cache");
    let (expected, err) = brisk(&home, args);
    assert!(err.contains("compiled in"), "{err}");
    let all = entries(&home.join("brisk"));
    let [entry] = &all[..] else { panic!("one entry: {all:?}") };
    let name = entry.file_name().unwrap().to_owned();
    let pristine = std::fs::read(entry).unwrap();
    let (out, err) = brisk(&home, args);
    assert!(out == expected && err.contains("cache hit"), "the entry is used: {out}{err}");

    // Where `.text` is, and where its code (functions and trampolines) ends.
    let (text, code_len) = {
        use object::{Object, ObjectSection, ObjectSymbol};
        let file = object::File::parse(&*pristine).unwrap();
        let text = file.section_by_name(".text").unwrap();
        let (off, size) = text.file_range().unwrap();
        let code_end = file
            .symbols()
            .filter(|s| s.section_index() == Some(text.index()))
            .map(|s| s.address() + s.size())
            .max()
            .unwrap();
        (off as usize..(off + size) as usize, code_end as usize)
    };
    assert!(code_len >= 500, "the module has {code_len} bytes of code");
    // 512 places spread over the code (every byte if there are fewer),
    // and 32 over the padding after it.
    let mut places: Vec<usize> = match code_len <= 512 {
        true => (0..code_len).collect(),
        false => (0..512).map(|i| i * code_len / 512).collect(),
    };
    let padding = text.len() - code_len;
    places.extend((0..32).map(|i| code_len + i * padding / 32));
    places.dedup();
    assert!(places.len() >= 500);

    // Two workers, each with its own cache folder holding the entry.
    let workers = 2;
    let results: Vec<(usize, u8, Result<Flipped, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (places, pristine, name, text, expected) = (&places, &pristine, &name, &text, &expected);
                let home = dir.path().join(format!("cache-{w}"));
                s.spawn(move || {
                    std::fs::create_dir_all(home.join("brisk")).unwrap();
                    let entry = home.join("brisk").join(name);
                    let mut rng = XorShift(0x5eed + w as u64);
                    let mut results = Vec::new();
                    for &at in places.iter().skip(w).step_by(workers) {
                        let mut bytes = pristine.clone();
                        let mask = (rng.byte() | 1).rotate_left(rng.below(8) as u32);
                        bytes[text.start + at] ^= mask;
                        std::fs::write(&entry, &bytes).unwrap();
                        let Some(out) = brisk_output_within(&home, args, std::time::Duration::from_secs(60)) else {
                            results.push((at, mask, Err("still running after 60 s (killed)".to_string())));
                            continue;
                        };
                        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                        let result = if let Some(signal) = out.status.signal() {
                            Err(format!("killed by signal {signal}"))
                        } else if out.status.success() && stdout == expected.as_str() && stderr.contains("unusable") {
                            Ok(Flipped::Recompiled)
                        } else if out.status.success() {
                            Err(format!("wrong output or the damage went unseen: {stdout}{stderr}"))
                        } else if out.status.code() == Some(1) && stderr.starts_with("error:") {
                            Ok(Flipped::Error)
                        } else {
                            Err(format!("exit {:?}: {stdout}{stderr}", out.status.code()))
                        };
                        results.push((at, mask, result));
                    }
                    results
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let bad: Vec<_> = results
        .iter()
        .filter_map(|(at, mask, r)| r.as_ref().err().map(|e| format!(".text+{at:#x} ^ {mask:#04x}: {e}")))
        .collect();
    assert!(bad.is_empty(), "{} of {} damaged entries misbehaved:\n{}", bad.len(), results.len(), bad.join("\n"));
    // The cache checks the code, so it finds every flip rather than fail.
    let errors = results.iter().filter(|r| matches!(r.2, Ok(Flipped::Error))).count();
    assert_eq!(errors, 0, "every damaged entry is compiled again");
    assert_eq!(results.len(), places.len());

    // The pristine entry still verifies.
    let entry = home.join("brisk").join(&name);
    std::fs::write(&entry, &pristine).unwrap();
    let (out, err) = brisk(&home, args);
    assert!(out == expected && err.contains("cache hit"), "{out}{err}");
}

#[test]
fn least_recently_used_entries_go_beyond_the_size_limit() {
    let dir = TempDir::new("cli-cache-lru");
    let home = dir.path().join("cache");
    let folder = home.join("brisk");
    let modules: Vec<String> = (1..=3)
        .map(|i| {
            let path = dir.path().join(format!("m{i}.wat"));
            std::fs::write(&path, MODULE.replace("100", &format!("{i}00"))).unwrap();
            path.to_str().unwrap().to_string()
        })
        .collect();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(30));
    let run = |i: usize, env: &[(&str, &str)]| {
        let (out, err) = brisk_env(&home, env, &["run", "-v", "--invoke", "f", &modules[i], "1"]);
        assert_eq!(out, format!("{}01\n", i + 1));
        pause();
        err
    };
    // The entry a run added.
    let new_entry = |before: &[PathBuf]| {
        let after = entries(&folder);
        let new: Vec<_> = after.iter().filter(|e| !before.contains(e)).cloned().collect();
        assert_eq!(new.len(), 1, "{before:?} then {after:?}");
        new[0].clone()
    };

    run(0, &[]);
    let a = new_entry(&[]);
    run(1, &[]);
    let b = new_entry(std::slice::from_ref(&a));
    // A hit makes `a` the most recently used.
    assert!(run(0, &[]).contains("cache hit"));
    let size = |p: &Path| p.metadata().unwrap().len();
    let limit = size(&a) + size(&b) + size(&a) / 2;
    let limit_var = limit.to_string();
    let env = [("BRISK_CACHE_SIZE", limit_var.as_str())];
    let (out, _) = brisk_env(&home, &env, &["cache", "size"]);
    assert!(out.contains("2 entries, ") && out.contains(&format!("({} bytes)", size(&a) + size(&b))), "{out}");

    // A third entry does not fit: the least recently used one, `b`, goes.
    run(2, &env);
    let now = entries(&folder);
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.contains(&a) && !now.contains(&b), "{b:?} evicted: {now:?}");
    assert!(run(0, &env).contains("cache hit"), "the recently used entry stays");
    assert!(run(1, &env).contains("compiled in"), "the evicted one is compiled again");
    let now = entries(&folder);
    let total: u64 = now.iter().map(|e| size(e)).sum();
    assert!(total <= limit && now.len() == 2, "{total} bytes in {now:?}");

    // A limit below one entry keeps only the newest (other settings: a
    // new entry).
    let args = ["run", "-v", "-O", "opt-level=0", "--invoke", "f", &modules[2], "1"];
    let (_, err) = brisk_env(&home, &[("BRISK_CACHE_SIZE", "1K")], &args);
    assert!(err.contains("compiled in"), "{err}");
    assert_eq!(entries(&folder).len(), 1);
    // Sizes take units; a bad one is an error.
    let (out, _) = brisk_env(&home, &[("BRISK_CACHE_SIZE", "2G")], &["cache"]);
    assert!(out.trim_end().ends_with("limit 2.0 GiB (BRISK_CACHE_SIZE)"), "{out}");
    let out = brisk_output(&home, &[("BRISK_CACHE_SIZE", "lots")], &["run", "--invoke", "f", &modules[0], "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BRISK_CACHE_SIZE=`lots` is not a size"));
}
