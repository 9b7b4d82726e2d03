//! Compile time: every configuration of Brisk and of each peer compiles
//! every module of each corpus, once per round, the contenders taking turns
//! module by module. Brisk's interpreter (translation to its bytecode) is
//! compared with the peers' interpreters: wasmi and wasmtime's Pulley.

use crate::inputs::Corpus;
use crate::node::{NodePeer, V8Tier};
use crate::report::{Figure, Group};
use crate::stats::{Stats, quantile, timed, turn_order};
use crate::{BRISK_BASELINE, BRISK_INTERP, Setup, Wasmtime, peer};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Brisk's quickest-compiling configuration, and its optimizing one.
pub const BRISK_QUICK: &str = "Brisk cranelift none + single-pass";
pub const BRISK_OPT: &str = "Brisk cranelift speed + backtracking";

enum Compiler {
    Brisk(brisk::Engine),
    Wasmtime(wasmtime::Engine),
    Wasmi(wasmi::Engine),
    V8(NodePeer),
}

struct Contender {
    name: String,
    /// For a peer: the Brisk configuration it is compared with.
    versus: Option<&'static str>,
    compiler: Compiler,
}

impl Contender {
    fn compile(&mut self, wasm: &[u8], path: &Path) -> Result<f64> {
        match &mut self.compiler {
            Compiler::Brisk(e) => timed(|| brisk::Module::new(e, wasm)),
            Compiler::Wasmtime(e) => timed(|| peer(wasmtime::Module::new(e, wasm))),
            Compiler::Wasmi(e) => timed(|| peer(wasmi::Module::new(e, wasm))),
            Compiler::V8(p) => p.compile(path),
        }
    }
}

fn brisk(name: &str, opt: brisk::OptLevel, regalloc: brisk::RegallocAlgorithm, parallel: bool) -> Result<Contender> {
    let mut c = brisk::Config::new();
    c.strategy(brisk::Strategy::Optimized).cranelift_opt_level(opt).cranelift_regalloc_algorithm(regalloc).parallel_compilation(parallel);
    Ok(Contender { name: name.into(), versus: None, compiler: Compiler::Brisk(brisk::Engine::new(&c)?) })
}

fn wasmtime(kind: Wasmtime, native: &'static str, parallel: bool) -> Result<Contender> {
    Ok(Contender { name: kind.name().into(), versus: Some(kind.versus(native)), compiler: Compiler::Wasmtime(kind.engine(parallel)?) })
}

fn wasmi(name: &str, mode: wasmi::CompilationMode) -> Contender {
    let mut c = wasmi::Config::default();
    c.compilation_mode(mode);
    Contender { name: name.into(), versus: Some(BRISK_INTERP), compiler: Compiler::Wasmi(wasmi::Engine::new(&c)) }
}

/// Every configuration compared, for one thread or for all.
fn contenders(setup: &Setup, parallel: bool) -> Result<Vec<Contender>> {
    use brisk::{OptLevel as O, RegallocAlgorithm as R};
    let mut v = vec![
        brisk(BRISK_QUICK, O::None, R::SinglePass, parallel)?,
        brisk(BRISK_OPT, O::Speed, R::Backtracking, parallel)?,
        Contender { name: BRISK_INTERP.into(), versus: None, compiler: Compiler::Brisk(crate::brisk_interpreter(parallel)?) },
        Contender { name: BRISK_BASELINE.into(), versus: None, compiler: Compiler::Brisk(crate::brisk_baseline(parallel)?) },
        wasmtime(Wasmtime::CraneliftQuick, BRISK_QUICK, parallel)?,
        wasmtime(Wasmtime::CraneliftSpeed, BRISK_OPT, parallel)?,
        wasmtime(Wasmtime::Winch, BRISK_QUICK, parallel)?,
        wasmtime(Wasmtime::Pulley, BRISK_INTERP, parallel)?,
    ];
    if !parallel {
        // wasmi translates on one thread only.
        v.push(wasmi("wasmi eager", wasmi::CompilationMode::Eager));
        v.push(wasmi("wasmi lazy translation", wasmi::CompilationMode::LazyTranslation));
    }
    if setup.v8.is_some() {
        for (tier, name, versus) in [(V8Tier::Liftoff, "V8 Liftoff", BRISK_BASELINE), (V8Tier::TurboFan, "V8 TurboFan", BRISK_OPT)] {
            if setup.wants(name) {
                let p = NodePeer::start(&setup.root, tier, !parallel)?;
                v.push(Contender { name: name.into(), versus: Some(versus), compiler: Compiler::V8(p) });
            }
        }
    }
    v.retain(|c| setup.wants(&c.name));
    Ok(v)
}

pub fn run(setup: &Setup, corpora: &[Corpus]) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    let rounds = if setup.quick { 3 } else { 5 };
    for parallel in [false, true] {
        let mut contenders = contenders(setup, parallel)?;
        let threads = if parallel { format!("{} threads", setup.cores) } else { "1 thread".to_string() };
        for corpus in corpora {
            let paths = write_files(setup, corpus)?;
            let started = Instant::now();
            figures.extend(measure(&mut contenders, corpus, &paths, rounds, &threads));
            eprintln!("compile: {} corpus, {threads}: {:.0} s", corpus.name, started.elapsed().as_secs_f64());
        }
    }
    Ok(figures)
}

/// The corpus as files, for the peers that read files.
fn write_files(setup: &Setup, corpus: &Corpus) -> Result<Vec<PathBuf>> {
    let dir = setup.scratch.join(corpus.name);
    std::fs::create_dir_all(&dir)?;
    corpus
        .modules
        .iter()
        .map(|m| {
            let path = dir.join(format!("{}.wasm", m.name));
            std::fs::write(&path, &m.wasm)?;
            Ok(path)
        })
        .collect()
}

fn measure(contenders: &mut [Contender], corpus: &Corpus, paths: &[PathBuf], rounds: usize, threads: &str) -> Vec<Figure> {
    let (n, modules) = (contenders.len(), corpus.modules.len());
    // samples[c][m]: contender c's times on module m; errors[c][m]: its failure.
    let mut samples = vec![vec![Vec::with_capacity(rounds); modules]; n];
    let mut errors: Vec<Vec<Option<String>>> = vec![vec![None; modules]; n];
    for round in 0..rounds {
        for (m, module) in corpus.modules.iter().enumerate() {
            for c in turn_order(n, round + m) {
                if errors[c][m].is_some() {
                    continue;
                }
                match contenders[c].compile(&module.wasm, &paths[m]) {
                    Ok(s) => samples[c][m].push(s),
                    Err(e) => {
                        let e = format!("{e:#}");
                        eprintln!("compile: {} failed on {}: {}", contenders[c].name, module.name, e.replace('\n', " "));
                        errors[c][m] = Some(e);
                    }
                }
            }
        }
    }

    // Totals are over the modules every contender compiled, so that they
    // compare like with like; failures are reported beside them.
    let common: Vec<usize> = (0..modules).filter(|&m| (0..n).all(|c| errors[c][m].is_none())).collect();
    if common.is_empty() {
        eprintln!("compile: no module of the {} corpus compiled with every contender", corpus.name);
        return Vec::new();
    }
    let common_bytes: usize = common.iter().map(|&m| corpus.modules[m].wasm.len()).sum();
    let case = format!(
        "{} corpus ({} modules, {:.2} MiB), {threads}",
        corpus.name,
        common.len(),
        common_bytes as f64 / (1 << 20) as f64
    );
    let mut figures = Vec::new();
    for (c, contender) in contenders.iter().enumerate() {
        let totals: Vec<f64> = (0..rounds).map(|r| common.iter().map(|&m| samples[c][m][r]).sum()).collect();
        let per_module: Vec<f64> = common.iter().map(|&m| Stats::from_samples(&samples[c][m]).median).collect();
        let stats = Stats::from_samples(&totals);
        let mut notes = vec![
            ("MiB/s", format!("{:.2}", common_bytes as f64 / (1 << 20) as f64 / stats.median)),
            ("median", crate::stats::time(quantile(&per_module, 0.5))),
            ("p99", crate::stats::time(quantile(&per_module, 0.99))),
            ("max", crate::stats::time(quantile(&per_module, 1.0))),
        ];
        let failed: Vec<(usize, &String)> = errors[c].iter().enumerate().filter_map(|(m, e)| e.as_ref().map(|e| (m, e))).collect();
        if let Some((m, e)) = failed.first() {
            let first: String = e.chars().take(160).collect();
            notes.push(("failed", format!("{} modules, e.g. {}: {first}", failed.len(), corpus.modules[*m].name)));
        }
        figures.push(Figure::new(Group::Compile, &case, &contender.name, contender.versus, stats).notes(notes));
        // Per module, for the JSON file and the slowest-modules table.
        for &m in &common {
            let module = &corpus.modules[m];
            let case = format!("{}: {} ({:.0} KiB), {threads}", corpus.name, module.name, module.wasm.len() as f64 / 1024.0);
            figures.push(Figure::new(Group::CompileModule, &case, &contender.name, contender.versus, Stats::from_samples(&samples[c][m])));
        }
    }
    figures
}
