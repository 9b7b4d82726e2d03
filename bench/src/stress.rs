//! Compile time and peak memory on the stress families of
//! `brisk_corpus::stress` (one feature of a function grown at a time), at
//! four sizes from 16 KiB to 1 MiB of code, on one thread, for Brisk's
//! linear tiers: the baseline compiler and the interpreter. Per family and
//! tier, the growth exponent is the least-squares slope of log(time) over
//! log(size) (1 is linear), and likewise for the peak memory allocated
//! during the compile (counted by this binary's allocator).

use crate::report::{Figure, Group};
use crate::stats::{Stats, timed};
use crate::{BRISK_BASELINE, BRISK_INTERP, Setup};

/// Brisk's default, automatic tier.
const BRISK_AUTO: &str = "Brisk auto";
/// The optimizing tier with a 200 ms compile budget (goal: within 240 ms).
const BRISK_BUDGET: &str = "Brisk optimized, 200 ms budget";
use anyhow::Result;
use brisk_corpus::stress::{Family, module_of_size};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes live and their peak.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// The allocation peak since the last reset: `peak_probe(true)` resets it
/// to the bytes live now, `peak_probe(false)` reads it (less those).
pub fn peak_probe(reset: bool) -> u64 {
    static BASE: AtomicUsize = AtomicUsize::new(0);
    if reset {
        let live = LIVE.load(Ordering::Relaxed);
        BASE.store(live, Ordering::Relaxed);
        PEAK.store(live, Ordering::Relaxed);
        0
    } else {
        PEAK.load(Ordering::Relaxed).saturating_sub(BASE.load(Ordering::Relaxed)) as u64
    }
}

const SIZES: [usize; 4] = [16 << 10, 64 << 10, 256 << 10, 1 << 20];

/// Least-squares slope of ln(y) over ln(x).
fn exponent(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().map(|(x, y)| (x.ln(), y.max(1e-12).ln())).unzip();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let num: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    num / den
}

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let rounds = if setup.quick { 2 } else { 3 };
    // The automatic tier compiles in parallel, as `brisk run` does: its
    // goal is 500 ms per module on this machine, whatever the family.
    let engines = [
        (BRISK_AUTO, brisk::Engine::default()),
        (BRISK_BUDGET, {
            let mut c = brisk::Config::new();
            c.strategy(brisk::Strategy::Optimized).compile_budget(Some(std::time::Duration::from_millis(200)));
            brisk::Engine::new(&c)?
        }),
        (BRISK_BASELINE, crate::brisk_baseline(false)?),
        (BRISK_INTERP, crate::brisk_interpreter(false)?),
    ];
    let mut figures = Vec::new();
    for family in Family::ALL {
        for (name, engine) in &engines {
            let mut time_points = Vec::new();
            let mut memory_points = Vec::new();
            let mut family_figures = Vec::new();
            for size in SIZES {
                let wasm = module_of_size(family, size);
                let mut samples = Vec::new();
                let mut peak = 0usize;
                for _ in 0..rounds {
                    let before = LIVE.load(Ordering::Relaxed);
                    PEAK.store(before, Ordering::Relaxed);
                    samples.push(timed(|| brisk::Module::new(engine, &wasm))?);
                    peak = peak.max(PEAK.load(Ordering::Relaxed).saturating_sub(before));
                }
                let stats = Stats::from_samples(&samples);
                time_points.push((wasm.len() as f64, stats.median));
                memory_points.push((wasm.len() as f64, peak as f64));
                let case = format!("{} family, {} KiB", family.name(), wasm.len() / 1024);
                family_figures.push(
                    Figure::new(Group::Stress, &case, name, None, stats)
                        .note("peak MiB", format!("{:.2}", peak as f64 / 1_048_576.0)),
                );
            }
            let (t, m) = (exponent(&time_points), exponent(&memory_points));
            eprintln!("stress: {} family, {name}: time exponent {t:.2}, peak memory exponent {m:.2}", family.name());
            if let Some(last) = family_figures.pop() {
                family_figures.push(last.note("time exponent", format!("{t:.2}")).note("memory exponent", format!("{m:.2}")));
            }
            figures.extend(family_figures);
        }
    }
    Ok(figures)
}
