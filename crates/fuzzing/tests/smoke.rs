//! The fuzzing targets' smoke run: fixed seeds through `compile` (raw
//! bytes and wasm-smith modules), `differential` among Brisk's tiers and
//! `artifact`.
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

#[test]
fn artifact_mutations() {
    brisk_fuzzing::tiers::on_big_stack(artifact_seeds);
}

/// The `artifact` target's seeds 0.., as `brisk-fuzz artifact` runs them,
/// and seeds it failed on: 9412419 and 9510148 (a resealed global type
/// that instantiation stored a value of another type for), 9400067 (a
/// sealed mutation of a memory image, which the loader does not check).
fn artifact_seeds() {
    use brisk_fuzzing::artifact::{ArtifactOutcome, check};
    use brisk_fuzzing::generate::Shape;
    use brisk_fuzzing::tiers::TIERS;
    let mut stats = DiffStats::default();
    let mut outcomes = [0usize; 4];
    for seed in (0..seeds(150)).chain([9412419, 9510148, 9400067]) {
        let input = smith_seed(seed, Shape { no_start: true });
        let tier = &TIERS[(seed % TIERS.len() as u64) as usize];
        let mut rng = Rng::new(seed ^ 0xa27f);
        match catch_unwind(AssertUnwindSafe(|| check(&input.wasm, &input.args, tier, &mut rng, &mut stats))) {
            Ok(Ok(outcome)) => {
                outcomes[match outcome {
                    ArtifactOutcome::Refused => 0,
                    ArtifactOutcome::Identical => 1,
                    ArtifactOutcome::InstantiateRefused => 2,
                    ArtifactOutcome::Instantiated => 3,
                }] += 1
            }
            Ok(Err((_, e))) => panic!("seed {seed}: {e}\n(reproduce: cargo run --release --manifest-path fuzz/Cargo.toml -- artifact --seed {seed} --iterations 1 --workers 0)"),
            Err(_) => panic!("seed {seed}: the harness panicked"),
        }
    }
    eprintln!("artifact smoke: refused, identical, instantiate-refused, instantiated: {outcomes:?}");
    assert!(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[3] > 0, "every kind of outcome: {outcomes:?}");
}
