//! Replacing a function's code while its module runs (`Module::tier_up`):
//! calls that start after the swap run the new code (direct calls, calls
//! through tables, calls from the host, in live and later instances),
//! calls already running finish on the old code. Which code a frame runs
//! shows in backtraces (`FrameInfo::tiered_up`), observed through a trap
//! in `$f` after the swap.

use brisk::{Config, Engine, Instance, Linker, Module, Store, Strategy, Trap, WasmBacktrace};
use std::sync::{Arc, Mutex};

const WAT: &str = r#"
(module
  (import "host" "swap" (func $swap))
  (table 1 funcref)
  (elem (i32.const 0) $f)
  ;; mode 1: swap $f's code while this call of $f runs; modes above 0
  ;; trap after that, so the backtrace shows which code ran.
  (func $f (export "f") (param $mode i32) (result i32)
    (if (i32.eq (local.get $mode) (i32.const 1)) (then (call $swap)))
    (if (i32.gt_s (local.get $mode) (i32.const 0)) (then unreachable))
    (i32.add (local.get $mode) (i32.const 41)))
  (func $g (export "g") (param i32) (result i32)
    (call $f (local.get 0)))
  (func $h (export "h") (param i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
  ;; a loop in flight across the swap: calls $f 10 times, swapping after
  ;; the 5th; returns the sum, and $f's frames say which code they ran.
  (func $loop (export "loop") (result i32)
    (local $i i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (call $f (i32.const 0))))
      (if (i32.eq (local.get $i) (i32.const 4)) (then (call $swap)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    (local.get $sum))
)
"#;

/// Index of `$f` (after the import), `$g`, `$h` and `$loop`.
const F: u32 = 1;
const G: u32 = 2;
const H: u32 = 3;
const LOOP: u32 = 4;

/// Set once the module exists: the module and the function `swap` replaces.
type SwapTarget = Arc<Mutex<Option<(Module, u32)>>>;

struct Host {
    module: SwapTarget,
}

fn setup(strategy: Strategy) -> (Engine, Module, Linker<()>, SwapTarget) {
    let mut config = Config::new();
    config.strategy(strategy).tier_up(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let host = Host { module: Arc::new(Mutex::new(None)) };
    let slot = host.module.clone();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "swap", move || -> anyhow::Result<()> {
            let guard = host.module.lock().unwrap();
            let (m, func) = guard.as_ref().expect("module set");
            // The first swap replaces the code; later ones find it done.
            m.tier_up(*func)?;
            Ok(())
        })
        .unwrap();
    (engine, module, linker, slot)
}

/// Calls export `name` with `mode`, expecting `$f`'s trap, and
/// returns `tiered_up` of each wasm frame, innermost first.
fn trap_frames(store: &mut Store<()>, instance: Instance, name: &str, mode: i32) -> Vec<(u32, bool)> {
    let func = instance.get_typed_func::<i32, i32>(&mut *store, name).unwrap();
    let err = func.call(&mut *store, mode).expect_err("$f traps");
    let bt = err.downcast_ref::<WasmBacktrace>().unwrap_or_else(|| panic!("no backtrace in {err:?}"));
    bt.frames().iter().map(|f| (f.func_index, f.tiered_up)).collect()
}

fn swap_reaches_new_calls(strategy: Strategy) {
    let (_engine, module, linker, slot) = setup(strategy);
    *slot.lock().unwrap() = Some((module.clone(), F));
    let mut store = Store::new(module.engine(), ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let g = instance.get_typed_func::<i32, i32>(&mut store, "g").unwrap();
    assert_eq!(g.call(&mut store, 0).unwrap(), 41);

    // Before any swap: the original code everywhere.
    assert_eq!(trap_frames(&mut store, instance, "g", 2), [(F, false), (G, false)]);
    // Mode 1: $f swaps its own code while it runs; the running call
    // finishes on the old code.
    assert_eq!(trap_frames(&mut store, instance, "g", 1), [(F, false), (G, false)]);
    // Every call that starts later runs the new code: a direct call from
    // $g, the host's call of the export, and a call through the table.
    assert_eq!(trap_frames(&mut store, instance, "g", 2), [(F, true), (G, false)]);
    assert_eq!(trap_frames(&mut store, instance, "f", 2), [(F, true)]);
    assert_eq!(trap_frames(&mut store, instance, "h", 2), [(F, true), (H, false)]);
    assert_eq!(g.call(&mut store, 0).unwrap(), 41);
    assert_eq!(g.call(&mut store, 7).unwrap_err().downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached));
    // Already replaced: nothing to do.
    assert!(!module.tier_up(F).unwrap());

    // An instance created after the swap starts with the new code.
    let mut store2 = Store::new(module.engine(), ());
    let later = linker.instantiate(&mut store2, &module).unwrap();
    assert_eq!(trap_frames(&mut store2, later, "g", 2), [(F, true), (G, false)]);
}

#[test]
fn swap_reaches_new_calls_baseline() {
    swap_reaches_new_calls(Strategy::Baseline);
}

#[test]
fn swap_reaches_new_calls_optimized() {
    swap_reaches_new_calls(Strategy::Optimized);
}

#[test]
fn swap_reaches_new_calls_mixed_baseline() {
    swap_reaches_new_calls(Strategy::MixedBaseline);
}

/// A function whose code is swapped while it loops keeps running (on its
/// old code) and calls the new code of its callee; then it runs its own
/// new code.
#[test]
fn loop_in_flight_across_swaps() {
    let (_engine, module, linker, slot) = setup(Strategy::Baseline);
    let mut store = Store::new(module.engine(), ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<(), i32>(&mut store, "loop").unwrap();
    // The loop swaps itself mid-run, then $f.
    *slot.lock().unwrap() = Some((module.clone(), LOOP));
    assert_eq!(run.call(&mut store, ()).unwrap(), 410);
    *slot.lock().unwrap() = Some((module.clone(), F));
    assert_eq!(run.call(&mut store, ()).unwrap(), 410);
    assert!(!module.tier_up(F).unwrap());
    assert!(!module.tier_up(LOOP).unwrap());
    assert_eq!(run.call(&mut store, ()).unwrap(), 410);
}

/// Swaps from another thread while wasm runs: every call gives the right
/// result whichever code it reaches.
#[test]
fn swap_from_another_thread() {
    let (_engine, module, linker, _slot) = setup(Strategy::Baseline);
    let mut store = Store::new(module.engine(), ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let g = instance.get_typed_func::<i32, i32>(&mut store, "g").unwrap();
    let other = module.clone();
    let t = std::thread::spawn(move || {
        for func in [F, G, H] {
            assert!(other.tier_up(func).unwrap());
        }
    });
    for _ in 0..20_000 {
        assert_eq!(g.call(&mut store, 0).unwrap(), 41);
    }
    t.join().unwrap();
    assert_eq!(trap_frames(&mut store, instance, "h", 2), [(F, true), (H, true)]);
}

#[test]
#[allow(unsafe_code, reason = "loads the artifact this test just wrote")]
fn tier_up_needs_the_setting_and_wasm() {
    let engine = Engine::new(Config::new().strategy(Strategy::Baseline)).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let err = module.tier_up(F).unwrap_err();
    assert!(err.to_string().contains("Config::tier_up"), "{err}");

    let mut config = Config::new();
    config.strategy(Strategy::Baseline).tier_up(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    assert!(!module.tier_up(0).unwrap(), "an imported function");
    assert!(module.tier_up(99).unwrap_err().to_string().contains("out of range"));
    // An artifact has no wasm to compile again.
    let bytes = module.serialize().unwrap();
    // SAFETY: the bytes are this engine's own artifact, just serialized.
    let loaded = unsafe { Module::deserialize(&engine, bytes) }.unwrap();
    assert!(loaded.tier_up(F).is_err());
}

/// Just-in-time mode (`Strategy::Auto` with tier-up): a function starts in
/// the baseline tier and, once its calls and loop iterations pass the
/// threshold, the optimizing tier's code replaces it in the background
/// while the module keeps running; results stay right throughout.
#[test]
fn hot_functions_tier_up_in_the_background() {
    let mut config = Config::new();
    config.tier_up(true).tier_up_threshold(50);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (func $sum (export "sum") (param $n i32) (result i32) (local $s i32)
            (if (i32.lt_s (local.get $n) (i32.const 0)) (then unreachable))
            (block $done (loop $l
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $s (i32.add (local.get $s) (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $l)))
            (local.get $s))
          (func (export "cold") (param i32) (result i32)
            (if (i32.lt_s (local.get 0) (i32.const 0)) (then unreachable))
            (local.get 0)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let sum = instance.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
    // The frame of a trapping call says which code ran.
    let tiered_up = |store: &mut Store<()>, name: &str| -> bool {
        let f = instance.get_typed_func::<i32, i32>(&mut *store, name).unwrap();
        let err = f.call(&mut *store, -1).unwrap_err();
        err.downcast_ref::<WasmBacktrace>().unwrap().frames()[0].tiered_up
    };
    // 10 iterations: under the threshold, so no tier-up yet.
    assert_eq!(sum.call(&mut store, 10).unwrap(), 55);
    assert!(!tiered_up(&mut store, "sum"));
    // A long loop passes the threshold; the background compile takes
    // over within seconds (polled, with a generous bound).
    let started = std::time::Instant::now();
    loop {
        assert_eq!(sum.call(&mut store, 1000).unwrap(), 500_500);
        if tiered_up(&mut store, "sum") {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "no tier-up within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // A function called rarely stays in the baseline tier.
    assert!(!tiered_up(&mut store, "cold"));
}

/// An artifact compiled in just-in-time mode keeps its counting baseline
/// code; loaded, it runs (the counters never run out: there is no wasm to
/// optimize from) and gives the right results.
#[test]
#[allow(unsafe_code, reason = "loads the artifact this test just wrote")]
fn jit_artifact_runs_on_baseline_code() {
    let mut config = Config::new();
    config.tier_up(true).tier_up_threshold(1);
    let engine = Engine::new(&config).unwrap();
    let wat = r#"(module (func (export "sum") (param $n i32) (result i32) (local $s i32)
        (block $done (loop $l
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l)))
        (local.get $s)))"#;
    let bytes = engine.precompile_module(wat.as_bytes()).unwrap();
    // SAFETY: the bytes are this engine's own artifact.
    let module = unsafe { Module::deserialize(&engine, bytes) }.unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let sum = instance.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
    for _ in 0..100 {
        assert_eq!(sum.call(&mut store, 10_000).unwrap(), 50_005_000);
    }
}

/// On-stack replacement: a call that started on baseline code and loops
/// on after its function was replaced moves to optimized code at a loop
/// header, with every kind of local carried over, and finishes there: the
/// result is right, and a trap after the move shows an optimized frame of
/// the function above its baseline frame.
#[test]
fn a_long_loop_moves_to_optimized_code() {
    use std::sync::atomic::Ordering;
    // Runs `spin(mode)` once on a fresh module: the call starts on
    // baseline code; returns its result, the module and the last `$i`.
    fn spin_once(mode: i32) -> (anyhow::Result<i64>, Module, i64) {
        let mut config = Config::new();
        config.tier_up(true).tier_up_threshold(100);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(
            &engine,
            r#"(module
              (import "host" "poll" (func $poll (param i64) (result i32)))
              ;; Loops until the host says stop; returns what its locals
              ;; hold, or traps there with $mode 1.
              (func $spin (export "spin") (param $mode i32) (result i64)
                (local $i i64) (local $a i32) (local $f f64) (local $g f32) (local $v v128) (local $r externref)
                (loop $top
                  (local.set $a (i32.add (local.get $a) (i32.wrap_i64 (local.get $i))))
                  (local.set $f (f64.add (local.get $f) (f64.const 0.25)))
                  (local.set $g (f32.add (local.get $g) (f32.const 1)))
                  (local.set $v (i64x2.add (local.get $v) (i64x2.splat (local.get $i))))
                  (local.set $i (i64.add (local.get $i) (i64.const 1)))
                  (if (i64.eqz (i64.and (local.get $i) (i64.const 63)))
                    (then (if (call $poll (local.get $i)) (then
                      (if (local.get $mode) (then unreachable))
                      (if (i32.eqz (ref.is_null (local.get $r))) (then unreachable))
                      (return (i64.add
                        (i64.add (i64.extend_i32_u (local.get $a)) (i64.trunc_f64_s (local.get $f)))
                        (i64.add (i64.trunc_f32_s (local.get $g))
                          (i64.add (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v))))))))))
                  (br $top))
                unreachable))"#,
        )
        .unwrap();
        let last = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let mut linker = Linker::new(&engine);
        let (m, seen) = (module.clone(), last.clone());
        // Stops the loop 20 polls (1,280 iterations, past a counter
        // run-out) after the entry exists, by when the frame has moved;
        // or after 60 s, when the checks fail.
        let polls_after_entry = std::sync::atomic::AtomicU32::new(0);
        let started = std::time::Instant::now();
        linker
            .func_wrap("host", "poll", move |i: i64| -> i32 {
                seen.store(i, Ordering::Relaxed);
                if !m.on_stack_entries().is_empty() {
                    polls_after_entry.fetch_add(1, Ordering::Relaxed);
                }
                i32::from(polls_after_entry.load(Ordering::Relaxed) > 20 || started.elapsed() > std::time::Duration::from_secs(60))
            })
            .unwrap();
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let spin = instance.get_typed_func::<i32, i64>(&mut store, "spin").unwrap();
        let result = spin.call(&mut store, mode);
        (result, module, last.load(Ordering::Relaxed))
    }
    const SPIN: u32 = 1;

    let (result, module, n) = spin_once(0);
    let a = (0..n).fold(0u32, |a, i| a.wrapping_add(i as u32));
    let lanes = (0..n).fold(0i64, |v, i| v.wrapping_add(i));
    let expected = i64::from(a) + n / 4 + n + 2 * lanes;
    assert_eq!(result.unwrap(), expected, "after {n} iterations");
    assert_eq!(module.on_stack_entries(), vec![(SPIN, 0)]);

    let (result, _, _) = spin_once(1);
    let err = result.unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached));
    let bt = err.downcast_ref::<WasmBacktrace>().unwrap();
    let frames: Vec<(u32, bool)> = bt.frames().iter().map(|f| (f.func_index, f.tiered_up)).collect();
    assert_eq!(frames, vec![(SPIN, true), (SPIN, false)]);
}
