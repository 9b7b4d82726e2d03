//! The fuzzing targets' smoke run: fixed seeds through `compile` (raw
//! bytes and wasm-smith modules) and `differential` among Brisk's tiers.
//! Deterministic: the same seeds give the same inputs on every machine.
//! `BRISK_SMOKE_SEEDS=N` runs more seeds.

use brisk_fuzzing::generate::{Rng, Shape, seed_bytes, smith_seed};
use brisk_fuzzing::oracle::{self, DiffStats};
use brisk_fuzzing::tiers::BriskEngine;
use std::panic::{AssertUnwindSafe, catch_unwind};

fn seeds(default: u64) -> u64 {
    std::env::var("BRISK_SMOKE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn engines() -> Vec<BriskEngine> {
    brisk_fuzzing::tiers::TIERS.iter().map(BriskEngine::new).collect()
}

#[test]
fn compile_raw_bytes() {
    let engines = engines();
    for seed in 0..seeds(300) {
        // Raw bytes, mostly behind a valid header so that decoding goes
        // beyond the magic number.
        let mut rng = Rng::new(seed ^ 0xc0de);
        let mut wasm = seed_bytes(seed);
        wasm.truncate(rng.below(512) as usize);
        if seed % 4 != 0 {
            wasm.splice(0..0, *b"\0asm\x01\0\0\0");
        }
        if let Err(e) = oracle::compile(&wasm, &engines, false) {
            panic!("seed {seed}: {e}");
        }
    }
}

#[test]
fn compile_smith_modules() {
    let engines = engines();
    for seed in 0..seeds(200) {
        let input = smith_seed(seed, Shape::default());
        if let Err(e) = oracle::compile(&input.wasm, &engines, true) {
            panic!("seed {seed}: {e}");
        }
        // And one mutation of it.
        let mut m = input.wasm.clone();
        brisk_fuzzing::mutate::mutate_some(&mut m, &mut Rng::new(seed));
        if let Err(e) = oracle::compile(&m, &engines, false) {
            panic!("seed {seed} mutated: {e}");
        }
    }
}

#[test]
fn differential_among_tiers() {
    brisk_fuzzing::tiers::on_big_stack(differential_seeds);
}

fn differential_seeds() {
    let mut engines = BriskEngine::all();
    let mut stats = DiffStats::default();
    for seed in 0..seeds(300) {
        let input = smith_seed(seed, Shape::default());
        match catch_unwind(AssertUnwindSafe(|| oracle::differential(&input.wasm, &input.args, &mut engines, &mut stats))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("seed {seed}: {e}\n(reproduce: cargo run --release --manifest-path fuzz/Cargo.toml -- differential --seed {seed} --iterations 1)"),
            Err(_) => panic!("seed {seed}: the harness panicked"),
        }
    }
    eprintln!("differential smoke: {stats:?}");
    assert!(stats.executions > 1000, "the smoke run calls functions: {stats:?}");
}
