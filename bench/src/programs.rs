//! Run time of whole programs: the Debian C programs of `bench/programs/`
//! (sqlite3, lua, zlib, bzip2, xz; built for wasm32-wasi by build.sh) run as
//! WASI preview 1 commands, each on the workload that
//! `bench/programs/compare.sh` checks against a native build, made heavier.
//!
//! One timed run = a WASI context (argv, empty environment, empty stdin,
//! stdout and stderr captured in memory, a preopened `data` directory with a
//! fresh copy of the workload's files) + instantiation + `_start`, on a module
//! compiled beforehand. Preparing the directory is not timed. Every runtime
//! must print the same stdout and exit with the same status.
//!
//! Brisk's interpreter runs them too, beside the peers' interpreters:
//! wasmtime's Pulley and wasmi (with its WASI, `wasmi_wasi`, built on
//! wasi-common 36).

use crate::node::{NodePeer, V8Tier};
use crate::report::{Figure, Group};
use crate::stats::{clock, measure};
use crate::{BRISK_BASELINE, BRISK_INTERP, Setup, Wasmtime, peer};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

pub const BRISK: &str = "Brisk cranelift speed";
pub const WASMTIME: &str = "wasmtime cranelift (default)";
pub const V8: &str = "V8 TurboFan (node:wasi)";

pub const WASMI: &str = "wasmi";

/// The automatic tier ahead of time (the default configuration).
pub const BRISK_AUTO_AOT: &str = "Brisk auto (ahead of time)";

/// Time to result: the optimizing tier, compiled then run.
pub const BRISK_AOT: &str = "Brisk optimized: compile + run";
/// Time to result: the automatic tier in just-in-time mode.
pub const BRISK_JIT: &str = "Brisk auto, tier-up: compile + run";
/// Time to result: the automatic tier ahead of time (the default).
pub const BRISK_AUTO_TTR: &str = "Brisk auto, ahead of time: compile + run";

/// Most a program may print.
const STDOUT_CAPACITY: usize = 64 << 20;

pub struct Workload {
    pub program: &'static str,
    /// Arguments after `argv[0]` (which is the program's name).
    pub args: Vec<String>,
    /// Files of `bench/programs/workloads/` copied into `data/` before each run.
    pub files: &'static [&'static str],
}

/// The workloads of compare.sh, heavier (`quick`: lighter).
pub fn workloads(quick: bool) -> Vec<Workload> {
    let pick = |full: u32, light: u32| if quick { light } else { full }.to_string();
    let w = |program, args: Vec<String>, files| Workload { program, args, files };
    vec![
        w(
            "sqlite3",
            vec!["data/bench.db".into(), format!(".parameter set @n {}", pick(60_000, 10_000)), ".read data/bench.sql".into()],
            &["bench.sql"],
        ),
        w("lua", vec!["data/bench.lua".into(), pick(250_000, 50_000), "data/lua-out.txt".into()], &["bench.lua"]),
        w("zlib", vec![pick(8192, 2048), "6".into()], &[]),
        w("bzip2", vec![pick(4096, 1024), "9".into()], &[]),
        w("xz", vec![pick(2048, 512), "6".into()], &[]),
    ]
}

impl Workload {
    pub fn case(&self) -> String {
        format!("{} {}", self.program, self.args.join(" "))
    }

    /// A fresh `dir/data` holding the workload's files.
    fn prepare(&self, root: &Path, dir: &Path) -> Result<PathBuf> {
        let data = dir.join("data");
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        std::fs::create_dir_all(&data)?;
        for f in self.files {
            std::fs::copy(root.join("bench/programs/workloads").join(f), data.join(f))?;
        }
        Ok(data)
    }

    fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.to_string()).chain(self.args.iter().cloned()).collect()
    }
}

/// What a run printed, and how it ended.
#[derive(PartialEq, Eq)]
struct Outcome {
    exit: i32,
    stdout: Vec<u8>,
}

/// A program compiled for one contender, with the linker of its engine.
enum Runner<'a> {
    Brisk(&'a brisk::Linker<BriskData>, brisk::Module),
    Wasmtime(&'a wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx>, wasmtime::Module),
    Wasmi(&'a wasmi::Linker<wasmi_wasi::WasiCtx>, wasmi::Module),
    V8,
}

struct BriskData {
    wasi: brisk_wasi::WasiCtx,
}

fn brisk_linker(engine: &brisk::Engine) -> Result<brisk::Linker<BriskData>> {
    let mut linker = brisk::Linker::new(engine);
    brisk_wasi::add_to_linker(&mut linker, |d: &mut BriskData| &mut d.wasi)?;
    Ok(linker)
}

fn wasmtime_linker(engine: &wasmtime::Engine) -> Result<wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx>> {
    let mut linker = wasmtime::Linker::new(engine);
    peer(wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx))?;
    Ok(linker)
}

fn wasmi_linker(engine: &wasmi::Engine) -> Result<wasmi::Linker<wasmi_wasi::WasiCtx>> {
    let mut linker = wasmi::Linker::new(engine);
    peer(wasmi_wasi::add_to_linker(&mut linker, |cx| cx))?;
    Ok(linker)
}

fn run_wasmi(linker: &wasmi::Linker<wasmi_wasi::WasiCtx>, module: &wasmi::Module, w: &Workload, data: &Path) -> Result<Outcome> {
    use wasmi_wasi::wasi_common::pipe::{ReadPipe, WritePipe};
    use wasmi_wasi::{Dir, WasiCtxBuilder, ambient_authority};
    let stdout = WritePipe::new_in_memory();
    let dir = peer(Dir::open_ambient_dir(data, ambient_authority()))?;
    let mut builder = WasiCtxBuilder::new();
    peer(builder.args(&w.argv()))?;
    builder
        .stdin(Box::new(ReadPipe::from(Vec::new())))
        .stdout(Box::new(stdout.clone()))
        .stderr(Box::new(WritePipe::new_in_memory()));
    peer(builder.preopened_dir(dir, "data"))?;
    let mut store = wasmi::Store::new(linker.engine(), builder.build());
    let instance = peer(linker.instantiate_and_start(&mut store, module))?;
    let start = peer(instance.get_typed_func::<(), ()>(&store, "_start"))?;
    let exit = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.i32_exit_status() {
            Some(x) => x,
            None => bail!("wasmi: _start: {e:?}"),
        },
    };
    drop(store);
    let stdout = stdout.try_into_inner().map_err(|_| anyhow::anyhow!("wasmi: stdout still shared"))?.into_inner();
    Ok(Outcome { exit, stdout })
}

fn run_brisk(linker: &brisk::Linker<BriskData>, module: &brisk::Module, w: &Workload, data: &Path) -> Result<Outcome> {
    use brisk_wasi::{DirPerms, FilePerms, MemoryInputPipe, MemoryOutputPipe, WasiCtxBuilder};
    let stdout = MemoryOutputPipe::new(STDOUT_CAPACITY);
    let wasi = WasiCtxBuilder::new()
        .args(&w.argv())
        .stdin(MemoryInputPipe::new(Vec::new()))
        .stdout(stdout.clone())
        .stderr(MemoryOutputPipe::new(STDOUT_CAPACITY))
        .preopened_dir(data, "data", DirPerms::all(), FilePerms::all())?
        .build();
    let mut store = brisk::Store::new(linker.engine(), BriskData { wasi });
    let instance = linker.instantiate(&mut store, module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    let exit = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<brisk_wasi::I32Exit>() {
            Some(x) => x.0,
            None => return Err(e.context("Brisk: _start")),
        },
    };
    drop(store);
    Ok(Outcome { exit, stdout: stdout.contents() })
}

fn run_wasmtime(linker: &wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx>, module: &wasmtime::Module, w: &Workload, data: &Path) -> Result<Outcome> {
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
    use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
    let stdout = MemoryOutputPipe::new(STDOUT_CAPACITY);
    let mut builder = WasiCtxBuilder::new();
    builder.args(&w.argv()).stdin(MemoryInputPipe::new(Vec::new())).stdout(stdout.clone()).stderr(MemoryOutputPipe::new(STDOUT_CAPACITY));
    // The fastest synchronous setting: file operations block this thread
    // instead of going through tokio's `spawn_blocking` and back per call
    // (wasmtime-wasi's own advice when async support is off).
    builder.allow_blocking_current_thread(true);
    peer(builder.preopened_dir(data, "data", FsPerms::ReadWrite))?;
    let mut store = wasmtime::Store::new(linker.engine(), builder.build_p1());
    let instance = peer(linker.instantiate(&mut store, module))?;
    let start = peer(instance.get_typed_func::<(), ()>(&mut store, "_start"))?;
    let exit = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(x) => x.0,
            None => bail!("wasmtime: _start: {e:?}"),
        },
    };
    drop(store);
    Ok(Outcome { exit, stdout: stdout.contents().to_vec() })
}

pub fn run(setup: &Setup) -> Result<Vec<Figure>> {
    let dir = setup.root.join("bench/target/programs");
    crate::inputs::build_programs(&setup.root, &dir)?;
    let brisk_linkers = [
        (BRISK, brisk_linker(&crate::brisk_optimized()?)?),
        (BRISK_AUTO_AOT, brisk_linker(&brisk::Engine::default())?),
        (BRISK_BASELINE, brisk_linker(&crate::brisk_baseline(true)?)?),
        (BRISK_INTERP, brisk_linker(&crate::brisk_interpreter(true)?)?),
    ];
    // wasmtime's defaults are Cranelift, opt level speed, backtracking
    // register allocation: Wasmtime::CraneliftSpeed sets just these.
    // (name, the Brisk contender it is compared with, linker)
    let wasmtime_linkers = [
        (WASMTIME, BRISK, wasmtime_linker(&Wasmtime::CraneliftSpeed.engine(true)?)?),
        (Wasmtime::Winch.name(), BRISK_BASELINE, wasmtime_linker(&Wasmtime::Winch.engine(true)?)?),
        (Wasmtime::Pulley.name(), BRISK_INTERP, wasmtime_linker(&Wasmtime::Pulley.engine(true)?)?),
    ];
    let wasmi_linker = wasmi_linker(&wasmi::Engine::default())?;
    let mut v8 = match setup.v8 {
        Some(_) => Some(NodePeer::start(&setup.root, V8Tier::TurboFan, false)?),
        None => None,
    };
    let rounds = if setup.quick { 3 } else { 5 };
    let mut figures = Vec::new();
    for w in workloads(setup.quick) {
        let path = dir.join(format!("{}.wasm", w.program));
        let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        // (name, the Brisk contender it is compared with) of each runner.
        let mut names: Vec<(&str, Option<&'static str>)> = Vec::new();
        let mut runners = Vec::new();
        for (name, linker) in &brisk_linkers {
            if !setup.wants(name) {
                continue;
            }
            // The automatic tier ahead of time, against the optimizing tier.
            names.push((name, (*name == BRISK_AUTO_AOT).then_some(BRISK)));
            runners.push(Runner::Brisk(linker, brisk::Module::new(linker.engine(), &wasm)?));
        }
        for (name, versus, linker) in &wasmtime_linkers {
            if !setup.wants(name) {
                continue;
            }
            names.push((name, Some(versus)));
            runners.push(Runner::Wasmtime(linker, peer(wasmtime::Module::new(linker.engine(), &wasm))?));
        }
        if setup.wants(WASMI) {
            names.push((WASMI, Some(BRISK_INTERP)));
            runners.push(Runner::Wasmi(&wasmi_linker, peer(wasmi::Module::new(wasmi_linker.engine(), &wasm))?));
        }
        if v8.is_some() && setup.wants(V8) {
            names.push((V8, Some(BRISK)));
            runners.push(Runner::V8);
        }
        let run_dir = setup.scratch.join(format!("program-{}", w.program));
        let mut expected: Option<Outcome> = None;
        let stats = measure(rounds, 1, names.len(), |c| {
            let data = w.prepare(&setup.root, &run_dir)?;
            let (seconds, outcome) = match &runners[c] {
                Runner::Brisk(linker, module) => clock(|| run_brisk(linker, module, &w, &data))?,
                Runner::Wasmtime(linker, module) => clock(|| run_wasmtime(linker, module, &w, &data))?,
                Runner::Wasmi(linker, module) => clock(|| run_wasmi(linker, module, &w, &data))?,
                Runner::V8 => v8.as_mut().context("no V8")?.run_wasi(&path, &data, "data", &w.argv())?,
            };
            match &expected {
                None => {
                    if outcome.exit != 0 {
                        bail!("{}: {} exited with {}", w.case(), names[c].0, outcome.exit);
                    }
                    expected = Some(outcome);
                }
                Some(e) if *e == outcome => {}
                Some(e) => bail!(
                    "{}: {} printed {} bytes and exited with {}; {} printed {} bytes and exited with {}",
                    w.case(),
                    names[c].0,
                    outcome.stdout.len(),
                    outcome.exit,
                    names[0].0,
                    e.stdout.len(),
                    e.exit
                ),
            }
            Ok(seconds)
        })?;
        let out_bytes = expected.as_ref().map_or(0, |e| e.stdout.len());
        for ((name, versus), stats) in names.iter().zip(stats) {
            figures.push(Figure::new(Group::Programs, &w.case(), name, *versus, stats).note("stdout", format!("{out_bytes} B")));
        }
    }
    Ok(figures)
}

impl NodePeer {
    /// Runs a WASI command under node:wasi: `argv`, `host_dir` preopened as
    /// `guest_dir`; returns V8's time for instantiate + start and the outcome.
    fn run_wasi(&mut self, path: &Path, host_dir: &Path, guest_dir: &str, argv: &[String]) -> Result<(f64, Outcome)> {
        let mut request = format!("wasi {} {}", json(&path.display().to_string()), json(&host_dir.display().to_string()));
        request.push_str(&format!(" {}", json(guest_dir)));
        for a in argv {
            request.push(' ');
            request.push_str(&json(a));
        }
        let (seconds, rest) = self.request(&request)?;
        let (exit, stdout) = rest.split_once(' ').unwrap_or((rest.as_str(), ""));
        let exit = exit.parse::<i32>().with_context(|| format!("V8's exit status `{exit}`"))?;
        Ok((seconds, Outcome { exit, stdout: base64_decode(stdout)? }))
    }
}

/// A JSON string with no whitespace outside escapes (the peer splits on it).
fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_whitespace() || (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn base64_decode(s: &str) -> Result<Vec<u8>> {
    let value = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("bad base64 from node"),
        } as u32)
    };
    let bytes = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let take = chunk.len().saturating_sub(1);
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Ok(out)
}

/// Time to result: each program compiled (`Module::new`, a fresh module
/// every round, so tier-up starts over) and run, by the optimizing tier and
/// by the automatic tier ahead of time and in just-in-time mode; the
/// compile's share (the time until the first instruction runs) is noted.
/// On the lighter workloads (`--quick`'s), where the optimizing tier's
/// compile and run take about as long, summed over the programs: the scale
/// issue 16 sets its goal at. On the heavier ones the run is four fifths
/// of the total, and no compile strategy can take the total under 0.8x.
pub fn time_to_result(setup: &Setup) -> Result<Vec<Figure>> {
    let dir = setup.root.join("bench/target/programs");
    crate::inputs::build_programs(&setup.root, &dir)?;
    let mut jit = brisk::Config::new();
    jit.tier_up(true);
    let linkers = [
        (BRISK_AOT, brisk_linker(&crate::brisk_optimized()?)?),
        (BRISK_AUTO_TTR, brisk_linker(&brisk::Engine::default())?),
        (BRISK_JIT, brisk_linker(&brisk::Engine::new(&jit)?)?),
    ];
    let rounds = if setup.quick { 3 } else { 5 };
    let mut figures = Vec::new();
    for w in workloads(true) {
        let path = dir.join(format!("{}.wasm", w.program));
        let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let run_dir = setup.scratch.join(format!("jit-{}", w.program));
        let mut compile_ms = vec![Vec::new(); linkers.len()];
        let mut expected: Option<Outcome> = None;
        let stats = measure(rounds, 1, linkers.len(), |c| {
            let data = w.prepare(&setup.root, &run_dir)?;
            let linker = &linkers[c].1;
            let started = std::time::Instant::now();
            let module = brisk::Module::new(linker.engine(), &wasm)?;
            compile_ms[c].push(started.elapsed().as_secs_f64() * 1e3);
            let outcome = run_brisk(linker, &module, &w, &data)?;
            let seconds = started.elapsed().as_secs_f64();
            // Untimed: the round's background compiles end before the
            // next round starts, so that they take no time from it.
            drop(module);
            brisk::wait_for_tier_up();
            match &expected {
                None => expected = Some(outcome),
                Some(e) if *e == outcome => {}
                Some(_) => bail!("{}: {} printed something else", w.case(), linkers[c].0),
            }
            Ok(seconds)
        })?;
        for (c, stats) in stats.into_iter().enumerate() {
            let mut ms = compile_ms[c].clone();
            ms.sort_by(f64::total_cmp);
            // Compared with just-in-time mode: "(Brisk 2.00x faster)" on the
            // optimizing tier's line says tier-up took half its time.
            let versus = (linkers[c].0 != BRISK_JIT).then_some(BRISK_JIT);
            figures.push(
                Figure::new(Group::TimeToResult, &w.case(), linkers[c].0, versus, stats)
                    .note("compile ms", format!("{:.1}", ms[ms.len() / 2])),
            );
        }
    }
    Ok(figures)
}
