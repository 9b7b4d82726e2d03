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
    /// Did `std::backtrace` reach this test's own function?
    reached_test: bool,
}

fn walk(config: &Config) -> Walk {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, MODULE).unwrap();
    let text = module.text().as_ptr_range();
    let text = text.start as usize..text.end as usize;
    // The system unwinder's return addresses and std's symbolized trace.
    type Seen = Option<(Vec<usize>, String)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let mut store = Store::new(&engine, ());
    let record = seen.clone();
    let unwind = Func::wrap(&mut store, move || {
        let ips = system::backtrace();
        let symbols = std::backtrace::Backtrace::force_capture().to_string();
        *record.lock().unwrap() = Some((ips, symbols));
    });
    let instance = Instance::new(&mut store, &module, &[unwind.into()]).unwrap();
    let outer = instance.get_typed_func::<(), ()>(&mut store, "outer").unwrap();
    outer.call(&mut store, ()).unwrap();
    let (ips, symbols) = seen.lock().unwrap().take().expect("the host function ran");
    let in_wasm = |ip: &usize| text.contains(&(ip.wrapping_sub(1)));
    let last = ips.iter().rposition(in_wasm);
    Walk {
        wasm_frames: ips.iter().filter(|ip| in_wasm(ip)).count(),
        beyond: last.map_or(0, |l| ips.len() - l - 1),
        reached_test: symbols.contains("system_unwinder_walks_through_wasm_frames"),
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
        let w = walk(&config(strategy, true));
        // `inner` and `outer`, and the trampolines around them, then the
        // host: Brisk's call machinery, this test, the test harness.
        assert_eq!(w.wasm_frames, 3, "{strategy:?}: inner, outer and outer's trampoline");
        assert!(w.beyond >= 3, "{strategy:?}: the unwinder stopped {} frames after the wasm frames", w.beyond);
        assert!(w.reached_test, "{strategy:?}: std::backtrace did not reach the test function");
    }
}

#[test]
fn without_unwind_info_the_system_unwinder_stops_at_wasm() {
    let w = walk(&config(Strategy::Optimized, false));
    assert!(w.wasm_frames <= 1 && w.beyond == 0, "{} wasm frames, {} beyond", w.wasm_frames, w.beyond);
    assert!(!w.reached_test);
}
