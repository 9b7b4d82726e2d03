//! Repeated, alternating measurement: every figure is the median of
//! rounds, with the minimum and maximum, and Brisk and the peer take turns
//! within each round so that drift in the machine hits both alike.

use std::time::Instant;

/// Summary of repeated timings, in seconds per operation.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub rounds: usize,
}

impl Stats {
    pub fn from_samples(samples: &mut [f64]) -> Stats {
        assert!(!samples.is_empty(), "at least one sample");
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 };
        Stats { median, min: samples[0], max: samples[n - 1], rounds: n }
    }
}

/// Times `iters` calls of each closure per round, for `rounds` rounds,
/// alternating which goes first. What a call returns is kept until the
/// round's clock stops, so its drop is not timed.
pub fn alternate<A, B>(
    rounds: usize,
    iters: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> (Stats, Stats) {
    // Warm up both: code paths, page cache, allocator.
    drop((a(), b()));
    let (mut sa, mut sb) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..rounds {
        let mut run_a = || {
            let mut keep = Vec::with_capacity(iters);
            let t = Instant::now();
            for _ in 0..iters {
                keep.push(a());
            }
            sa.push(t.elapsed().as_secs_f64() / iters as f64);
        };
        let mut run_b = || {
            let mut keep = Vec::with_capacity(iters);
            let t = Instant::now();
            for _ in 0..iters {
                keep.push(b());
            }
            sb.push(t.elapsed().as_secs_f64() / iters as f64);
        };
        if round % 2 == 0 {
            run_a();
            run_b();
        } else {
            run_b();
            run_a();
        }
    }
    (Stats::from_samples(&mut sa), Stats::from_samples(&mut sb))
}

/// Microseconds, for tables.
pub fn us(seconds: f64) -> String {
    let us = seconds * 1e6;
    if us >= 100.0 { format!("{us:.0} µs") } else if us >= 10.0 { format!("{us:.1} µs") } else { format!("{us:.2} µs") }
}
