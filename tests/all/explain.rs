//! The automatic tier and `brisk explain`: a function built to be expensive
//! for the optimizing tier, planted among ordinary ones, is named first,
//! given to the baseline tier with the reason; the others are optimized.

use brisk::explain::{ExplainOptions, explain};
use brisk::{Config, Engine, Instance, Module, Reason, Store, Strategy, Tier};
use std::process::Command;

/// A module with small functions and, at index 2, a long straight-line
/// function (~400 KiB of code) that Cranelift takes hundreds of
/// milliseconds on.
fn planted() -> String {
    let mut wat = String::from(
        "(module\n  (func $small0 (export \"small0\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))\n  (func $small1 (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))\n  (func $planted (export \"planted\") (param i32) (result i32) (local i32)\n",
    );
    for i in 0..50_000 {
        wat.push_str(&format!("    (local.set 1 (i32.add (local.get 1) (i32.const {})))\n", i % 1000));
    }
    wat.push_str("    (i32.add (local.get 0) (local.get 1)))\n  (func $small3 (param i32) (result i32) (call $small1 (local.get 0)))\n)\n");
    wat
}

#[test]
fn explain_names_the_planted_function_first() {
    let engine = Engine::default();
    let x = explain(&engine, planted().as_bytes(), &ExplainOptions::default()).unwrap();
    assert_eq!(x.functions.len(), 4);
    let first = &x.functions[0];
    assert_eq!((first.index, first.name.as_deref()), (2, Some("planted")));
    assert_eq!(first.tier, Tier::Baseline);
    assert!(matches!(first.reason, Reason::OverTime { predicted, limit } if predicted > limit), "{:?}", first.reason);
    for f in &x.functions[1..] {
        assert_eq!(f.tier, Tier::Optimized, "{f:?}");
        assert_eq!(f.reason, Reason::Fits);
    }
    assert_eq!(x.per_tier(), [(Tier::Optimized, 3), (Tier::Baseline, 1), (Tier::Interpreter, 0)]);

    // A forced tier is reported as such.
    let optimized = Engine::new(Config::new().strategy(Strategy::Optimized)).unwrap();
    let x = explain(&optimized, planted().as_bytes(), &ExplainOptions::default()).unwrap();
    assert!(x.functions.iter().all(|f| f.tier == Tier::Optimized && f.reason == Reason::Forced));
}

/// The automatic tier runs the module it chose tiers for (the planted
/// function on the baseline tier, the rest optimized) correctly.
#[test]
fn auto_runs_mixed_tiers() {
    let engine = Engine::default();
    check_planted(&engine, &Module::new(&engine, planted()).unwrap());
}

/// Runs the planted module's exports and checks their results.
fn check_planted(engine: &Engine, module: &Module) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let planted = instance.get_typed_func::<i32, i32>(&mut store, "planted").unwrap();
    let expected: i32 = (0..50_000).map(|i| i % 1000).sum::<i32>() + 7;
    assert_eq!(planted.call(&mut store, 7).unwrap(), expected);
    let small = instance.get_typed_func::<i32, i32>(&mut store, "small0").unwrap();
    assert_eq!(small.call(&mut store, 7).unwrap(), 8);
}

/// A function predicted over the compile memory limit never reaches the
/// optimizing tier, even when the strategy forces it.
#[test]
fn memory_limit_binds_every_strategy() {
    let mut config = Config::new();
    config.strategy(Strategy::Optimized).compile_memory_limit(1 << 20);
    let engine = Engine::new(&config).unwrap();
    let x = explain(&engine, planted().as_bytes(), &ExplainOptions::default()).unwrap();
    assert_eq!(x.functions[0].tier, Tier::Baseline);
    assert!(matches!(x.functions[0].reason, Reason::OverMemory { .. }), "{:?}", x.functions[0].reason);
}

#[test]
fn cli_explain_table_and_json() {
    let dir = std::env::temp_dir().join(format!("brisk-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("planted.wat");
    std::fs::write(&path, planted()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brisk")).arg("explain").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Header, then the planted function first, with its tier and why.
    assert!(lines[1].contains("planted") && lines[1].contains("baseline"), "{text}");
    assert!(lines[1].contains("over the 150.0 ms a function may take"), "{text}");
    assert!(lines.last().unwrap().starts_with("4 functions: 3 optimized, 1 baseline, 0 interp"), "{text}");

    let out = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["explain", "--json", "--measure", "--measure-limit", "2s"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = String::from_utf8(out.stdout).unwrap();
    let first = json.lines().nth(1).unwrap();
    assert!(first.contains("\"index\": 2, \"name\": \"planted\", \"tier\": \"baseline\""), "{json}");
    assert!(first.contains("\"measured_baseline_seconds\": 0."), "{json}");
    assert!(json.contains("\"summary\": {\"functions\": 4, \"optimized\": 3, \"baseline\": 1"), "{json}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// With a compile budget, a function whose optimizing compile cannot fit
/// gets the baseline tier's code, and the module runs correctly.
#[test]
fn compile_budget_falls_back_to_the_baseline_tier() {
    let mut config = Config::new();
    config.strategy(Strategy::Optimized).compile_budget(Some(std::time::Duration::from_millis(1)));
    let engine = Engine::new(&config).unwrap();
    let before = brisk::compile_budget_fallbacks();
    let module = Module::new(&engine, planted()).unwrap();
    // The planted function, predicted far over 1 ms, at least.
    assert!(brisk::compile_budget_fallbacks() > before);
    check_planted(&engine, &module);
}

/// `brisk run --explain` prints the table and summary after the run, with
/// the just-in-time mode's starting tiers.
#[test]
fn cli_run_explain() {
    let dir = std::env::temp_dir().join(format!("brisk-run-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("loop.wat");
    std::fs::write(
        &path,
        r#"(module (func $count (export "count") (param $n i32) (result i32) (local $s i32)
            (block $done (loop $l
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $s (i32.add (local.get $s) (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $l)))
            (local.get $s)))"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brisk"))
        .args(["run", "-C", "tier-up=y", "--explain", "--invoke", "count"])
        .arg(&path)
        .arg("100000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "705082704");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("count") && err.contains("baseline"), "{err}");
    assert!(err.contains("1 functions: 0 optimized, 1 baseline, 0 interp at start;"), "{err}");
    assert!(err.contains("tiered up during the run"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Just-in-time mode: functions start in the baseline tier, a dispatch
/// loop (a loop around a `br_table` of many targets) too, named as such
/// (its loop's on-stack-replacement entry is compiled with its first
/// tier-up).
#[test]
fn jit_starts_everything_baseline_and_names_dispatch_loops() {
    let targets = "0 ".repeat(300);
    let wat = format!(
        r#"(module
          (func $dispatch (param i32) (result i32)
            (loop $l (block $b (br_table {targets} $b (local.get 0))) (br_if $l (i32.eqz (local.get 0))))
            (local.get 0))
          (func $plain (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#
    );
    let mut config = Config::new();
    config.tier_up(true);
    let engine = Engine::new(&config).unwrap();
    let x = explain(&engine, wat.as_bytes(), &ExplainOptions::default()).unwrap();
    let by_index = |i: u32| x.functions.iter().find(|f| f.index == i).unwrap();
    assert_eq!((by_index(0).tier, &by_index(0).reason), (Tier::Baseline, &Reason::DispatchLoop));
    assert_eq!((by_index(1).tier, &by_index(1).reason), (Tier::Baseline, &Reason::TierUp));
}
