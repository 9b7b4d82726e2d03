//! Native unwind info: with `Config::native_unwind_info`, the system
//! unwinder (libgcc's `_Unwind_Backtrace`, which `std::backtrace` uses
//! too) walks from a host function through the wasm frames that called it
//! and on to the host frames beyond them; without it, it stops at the
//! first wasm frame.

use brisk::{Config, Engine, Func, Instance, Module, Store, Strategy};
use std::sync::{Arc, Mutex};

const MODULE: &str = r#"
(module
  (import "host" "unwind" (func $unwind))
  (func $inner (export "inner") (call $unwind))
  (func (export "outer") (call $inner) (call $inner)))
"#;

#[allow(unsafe_code, reason = "calls libgcc's unwinder, which the test is about")]
mod system {
    use std::ffi::c_void;

    unsafe extern "C" {
        fn _Unwind_Backtrace(trace: extern "C" fn(*mut c_void, *mut c_void) -> i32, data: *mut c_void) -> i32;
        fn _Unwind_GetIP(context: *mut c_void) -> usize;
    }

    extern "C" fn frame(context: *mut c_void, data: *mut c_void) -> i32 {
        // SAFETY: `data` is the `Vec` passed below; `context` is libgcc's.
        unsafe { (*data.cast::<Vec<usize>>()).push(_Unwind_GetIP(context)) };
        0
    }

    /// The return addresses of the current thread's frames, as the system
    /// unwinder finds them.
    pub fn backtrace() -> Vec<usize> {
        let mut ips: Vec<usize> = Vec::new();
        // SAFETY: the callback only pushes to the vector it is given.
        unsafe { _Unwind_Backtrace(frame, (&raw mut ips).cast::<c_void>()) };
        ips
    }
}

struct Walk {
    /// Return addresses inside the module's code.
    wasm_frames: usize,
    /// Frames found after the last wasm frame.
    beyond: usize,
    /// Did `std::backtrace` reach the test function (`caller`)?
    reached_test: bool,
}

fn walk(config: &Config, caller: &'static str) -> Walk {
    let engine = Engine::new(config).unwrap();
    walk_module(&engine, &Module::new(&engine, MODULE).unwrap(), Some(caller))
}

/// Calls `outer` of an instance of `module` (made from [`MODULE`]) and
/// walks the stack from the host function it calls, up to the function
/// named `caller` and beyond (with `None`, no symbolized trace is taken:
/// `reached_test` is false).
fn walk_module(engine: &Engine, module: &Module, caller: Option<&'static str>) -> Walk {
    let text = module.text().as_ptr_range();
    let text = text.start as usize..text.end as usize;
    // The system unwinder's return addresses and std's symbolized trace.
    type Seen = Option<(Vec<usize>, String)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let mut store = Store::new(engine, ());
    let record = seen.clone();
    let unwind = Func::wrap(&mut store, move || {
        let ips = system::backtrace();
        let symbols = caller.map(|_| std::backtrace::Backtrace::force_capture().to_string()).unwrap_or_default();
        *record.lock().unwrap() = Some((ips, symbols));
    });
    let instance = Instance::new(&mut store, module, &[unwind.into()]).unwrap();
    let outer = instance.get_typed_func::<(), ()>(&mut store, "outer").unwrap();
    outer.call(&mut store, ()).unwrap();
    let (ips, symbols) = seen.lock().unwrap().take().expect("the host function ran");
    let in_wasm = |ip: &usize| text.contains(&(ip.wrapping_sub(1)));
    let last = ips.iter().rposition(in_wasm);
    Walk {
        wasm_frames: ips.iter().filter(|ip| in_wasm(ip)).count(),
        beyond: last.map_or(0, |l| ips.len() - l - 1),
        reached_test: caller.is_some_and(|c| symbols.contains(c)),
    }
}

fn config(strategy: Strategy, unwind_info: bool) -> Config {
    let mut config = Config::new();
    config.strategy(strategy).native_unwind_info(unwind_info);
    config
}

#[test]
fn system_unwinder_walks_through_wasm_frames() {
    for strategy in [Strategy::Optimized, Strategy::Baseline] {
        let w = walk(&config(strategy, true), "system_unwinder_walks_through_wasm_frames");
        // `inner` and `outer`, and the trampolines around them, then the
        // host: Brisk's call machinery, this test, the test harness.
        assert_eq!(w.wasm_frames, 3, "{strategy:?}: inner, outer and outer's trampoline");
        assert!(w.beyond >= 3, "{strategy:?}: the unwinder stopped {} frames after the wasm frames", w.beyond);
        assert!(w.reached_test, "{strategy:?}: std::backtrace did not reach the test function");
    }
}

#[test]
fn without_unwind_info_the_system_unwinder_stops_at_wasm() {
    let w = walk(&config(Strategy::Optimized, false), "without_unwind_info_the_system_unwinder_stops_at_wasm");
    assert!(w.wasm_frames <= 1 && w.beyond == 0, "{} wasm frames, {} beyond", w.wasm_frames, w.beyond);
    assert!(!w.reached_test);
}

/// On x86-64 Linux with glibc, libgcc's unwinder asks Brisk's own
/// `_Unwind_Find_FDE` (the tests above go through it), so that modules are
/// registered and dropped in logarithmic time whatever libgcc's version.
#[test]
fn libgcc_asks_brisks_table() {
    let expected = match std::env::var("BRISK_NATIVE_UNWIND").as_deref() {
        Ok("register") => brisk::UnwindLookup::LibgccRegistration,
        _ => brisk::UnwindLookup::BriskTable,
    };
    assert_eq!(brisk::unwind_lookup(), expected);
}

/// With `BRISK_NATIVE_UNWIND=register`, sections are registered with
/// libgcc's `__register_frame` instead, and the tests above pass the same
/// (run again in a child process, as the choice is made once per process).
#[test]
fn registering_with_libgcc_walks_the_same() {
    if std::env::var_os("BRISK_NATIVE_UNWIND").is_some() {
        return;
    }
    let tests = ["libgcc_asks_brisks_table", "system_unwinder_walks_through_wasm_frames", "unwinding_follows_modules_loaded_and_dropped", "unwinding_while_modules_come_and_go"];
    for test in tests {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &format!("unwind::{test}"), "--test-threads=1"])
            .env("BRISK_NATIVE_UNWIND", "register")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("1 passed"), "{test} with registration:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// An engine with native unwind info, and an artifact of [`MODULE`] for it.
fn unwind_artifact() -> (Engine, Vec<u8>) {
    let engine = Engine::new(&config(Strategy::Optimized, true)).unwrap();
    let artifact = Module::new(&engine, MODULE).unwrap().serialize().unwrap();
    (engine, artifact)
}

/// Loads an artifact from [`unwind_artifact`].
#[allow(unsafe_code, reason = "loads an artifact this test file just made")]
fn load_artifact(engine: &Engine, artifact: &[u8]) -> Module {
    // SAFETY: the artifact was serialized from a module of this engine.
    unsafe { Module::deserialize(engine, artifact) }.unwrap()
}

/// Many modules with unwind info, loaded and dropped in any order: the
/// unwinder finds each live one's frames, none of a dropped one's.
#[test]
fn unwinding_follows_modules_loaded_and_dropped() {
    let (engine, artifact) = unwind_artifact();
    let load = || load_artifact(&engine, &artifact);
    let mut modules: Vec<Option<Module>> = (0..64).map(|_| Some(load())).collect();
    let check = |module: &Module, what: &str| {
        let w = walk_module(&engine, module, Some("unwinding_follows_modules_loaded_and_dropped"));
        assert_eq!(w.wasm_frames, 3, "{what}");
        assert!(w.beyond >= 3 && w.reached_test, "{what}: the unwinder stopped after the wasm frames");
    };
    check(modules[0].as_ref().unwrap(), "the first loaded");
    check(modules[63].as_ref().unwrap(), "the last loaded");
    // Drop the even ones, oldest first, then the odd ones above 32,
    // newest first; walk through the survivors and new modules.
    for m in modules.iter_mut().step_by(2) {
        m.take();
    }
    for m in modules[33..].iter_mut().rev().step_by(2) {
        m.take();
    }
    brisk::wait_for_unmapping();
    for (i, m) in modules.iter().enumerate() {
        if let Some(m) = m {
            check(m, &format!("module {i} after others were dropped"));
        }
    }
    modules.clear();
    brisk::wait_for_unmapping();
    check(&load(), "a module loaded after all were dropped");
}

/// Threads unwinding through wasm frames while another loads and drops
/// modules with unwind info: every walk finds its frames and the host
/// frames beyond them.
#[test]
fn unwinding_while_modules_come_and_go() {
    let (engine, artifact) = unwind_artifact();
    let load = || load_artifact(&engine, &artifact);
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let (stop, rounds) = (AtomicBool::new(false), AtomicUsize::new(0));
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Relaxed) {
                let modules: Vec<Module> = (0..16).map(|_| load()).collect();
                drop(modules);
                rounds.fetch_add(1, Relaxed);
            }
        });
        let walkers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let module = load();
                    // At least 200 walks, and until 50 rounds of 16 modules
                    // came and went meanwhile.
                    let mut i = 0;
                    while i < 200 || (rounds.load(Relaxed) < 50 && i < 20_000) {
                        let w = walk_module(&engine, &module, None);
                        assert!(w.wasm_frames == 3 && w.beyond >= 3, "walk {i}: {} wasm frames, {} beyond", w.wasm_frames, w.beyond);
                        i += 1;
                    }
                })
            })
            .collect();
        for w in walkers {
            let r = w.join();
            stop.store(true, Relaxed);
            r.unwrap();
        }
    });
    assert!(rounds.into_inner() >= 50, "modules came and went during the walks");
}
