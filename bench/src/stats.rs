//! Repeated measurement: every figure is the median of rounds, with the
//! minimum and maximum, and the contenders take turns within each round (in
//! an order that rotates from round to round) so that drift in the machine
//! hits all of them alike.

/// Summary of repeated timings, in seconds per operation.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub rounds: usize,
}

impl Stats {
    pub fn from_samples(samples: &[f64]) -> Stats {
        assert!(!samples.is_empty(), "at least one sample");
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let median = if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 };
        Stats { median, min: s[0], max: s[n - 1], rounds: n }
    }
}

/// The order in which `n` contenders take their turn in round `round`.
pub fn turn_order(n: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| (i + round) % n)
}

/// The `q`-quantile (0..=1) of `values`, nearest rank.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// A time for tables: ns, µs, ms or s.
pub fn time(seconds: f64) -> String {
    let (value, unit) = if seconds >= 1.0 {
        (seconds, "s")
    } else if seconds >= 1e-3 {
        (seconds * 1e3, "ms")
    } else if seconds >= 1e-6 {
        (seconds * 1e6, "µs")
    } else {
        (seconds * 1e9, "ns")
    };
    if value >= 100.0 { format!("{value:.0} {unit}") } else if value >= 10.0 { format!("{value:.1} {unit}") } else { format!("{value:.2} {unit}") }
}

/// Measures `n` contenders: a warm-up operation each, then `rounds`
/// rounds in which each contender, in turn, does `iters` operations.
/// `op(c)` does one operation of contender `c` and returns its seconds.
pub fn measure(rounds: usize, iters: usize, n: usize, mut op: impl FnMut(usize) -> anyhow::Result<f64>) -> anyhow::Result<Vec<Stats>> {
    for c in 0..n {
        op(c)?;
    }
    let mut samples = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for c in turn_order(n, round) {
            let mut total = 0.0;
            for _ in 0..iters {
                total += op(c)?;
            }
            samples[c].push(total / iters as f64);
        }
    }
    Ok(samples.iter().map(|s| Stats::from_samples(s)).collect())
}

/// Runs `f`; returns the seconds it took and what it returned.
pub fn clock<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let start = std::time::Instant::now();
    let result = f()?;
    Ok((start.elapsed().as_secs_f64(), result))
}

/// Runs `f` and returns the seconds it took; what it returns is dropped
/// after the clock stops.
pub fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<f64> {
    clock(f).map(|(seconds, _)| seconds)
}
