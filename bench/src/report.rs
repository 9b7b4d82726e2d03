//! Output: a table on stdout, `bench/results.json`, and
//! `docs/benchmarks.md` with where Brisk stands on each promise.

use crate::BRISK_INTERP;
use crate::compile::{BRISK_OPT, BRISK_QUICK};
use crate::stats::{Stats, time};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Compile,
    /// One module of a compile corpus (JSON and the slowest-modules table).
    CompileModule,
    Load,
    Instantiate,
    Unload,
    Run,
    /// Whole WASI programs (`_start`), instantiation included.
    Programs,
    /// The stress families: compile time and peak memory against size.
    Stress,
    /// Whole programs compiled and run in one go: just-in-time tier-up
    /// against the optimizing tier.
    TimeToResult,
}

impl Group {
    fn id(self) -> &'static str {
        match self {
            Group::Compile => "compile",
            Group::CompileModule => "compile-module",
            Group::Load => "load",
            Group::Instantiate => "instantiate",
            Group::Unload => "unload",
            Group::Run => "run",
            Group::Programs => "programs",
            Group::Stress => "stress",
            Group::TimeToResult => "jit",
        }
    }
}

/// One contender's figure on one case.
pub struct Figure {
    pub group: Group,
    pub case: String,
    pub contender: String,
    /// For a peer: the Brisk contender it is compared with, on the same case.
    pub versus: Option<&'static str>,
    /// Seconds per operation.
    pub stats: Stats,
    pub notes: Vec<(&'static str, String)>,
}

impl Figure {
    pub fn new(group: Group, case: &str, contender: &str, versus: Option<&'static str>, stats: Stats) -> Figure {
        Figure { group, case: case.into(), contender: contender.into(), versus, stats, notes: Vec::new() }
    }

    pub fn notes(mut self, notes: Vec<(&'static str, String)>) -> Figure {
        self.notes = notes;
        self
    }

    pub fn note(mut self, key: &'static str, value: String) -> Figure {
        self.notes.push((key, value));
        self
    }

    fn note_value(&self, key: &str) -> Option<&str> {
        self.notes.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }
}

/// Everything one run measured, and what it could not.
pub struct Report {
    pub figures: Vec<Figure>,
    /// What was not measured, and why.
    pub remarks: Vec<String>,
    pub machine: String,
    pub date: String,
    pub command: String,
    pub peers: String,
    pub quick: bool,
}

fn range(s: &Stats) -> String {
    format!("{} [{} – {}]", time(s.median), time(s.min), time(s.max))
}

/// The geometric mean of `ratios`' values.
fn geomean(ratios: &[(&str, f64)]) -> f64 {
    (ratios.iter().map(|(_, r)| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
}

/// A case's first word: a program's name, or a kernel's call.
fn short(case: &str) -> &str {
    case.split(' ').next().unwrap_or(case)
}

/// "2.10x faster" / "1.30x slower", from peer time over Brisk time.
fn verdict(speedup: f64) -> String {
    if speedup >= 1.0 { format!("{speedup:.2}x faster") } else { format!("{:.2}x slower", 1.0 / speedup) }
}

impl Report {
    fn get(&self, group: Group, case: &str, contender: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.group == group && f.case == case && f.contender == contender)
    }

    /// Peer time over Brisk time for a peer's figure: above 1, Brisk is faster.
    pub fn speedup(&self, f: &Figure) -> Option<f64> {
        let brisk = self.get(f.group, &f.case, f.versus?)?;
        Some(f.stats.median / brisk.stats.median)
    }

    fn cases(&self, group: Group) -> Vec<&str> {
        let mut cases: Vec<&str> = Vec::new();
        for f in self.figures.iter().filter(|f| f.group == group) {
            if !cases.contains(&f.case.as_str()) {
                cases.push(&f.case);
            }
        }
        cases
    }

    fn in_case(&self, group: Group, case: &str) -> impl Iterator<Item = &Figure> {
        self.figures.iter().filter(move |f| f.group == group && f.case == case)
    }

    /// The fastest peer on a case.
    fn best_peer(&self, group: Group, case: &str) -> Option<&Figure> {
        self.in_case(group, case).filter(|f| f.versus.is_some()).min_by(|a, b| a.stats.median.total_cmp(&b.stats.median))
    }

    pub fn print_table(&self) {
        for group in [Group::Compile, Group::Load, Group::Instantiate, Group::Unload, Group::Run, Group::Programs, Group::Stress, Group::TimeToResult] {
            for case in self.cases(group) {
                println!("{:<11} {case}", group.id());
                for f in self.in_case(group, case) {
                    let vs = self.speedup(f).map_or_else(String::new, |s| format!("  (Brisk {})", verdict(s)));
                    let rate = f.note_value("MiB/s").map_or_else(String::new, |r| format!("  {r} MiB/s"));
                    let extra: String = if group == Group::Stress {
                        f.notes.iter().map(|(k, v)| format!("  {k} {v}")).collect()
                    } else {
                        String::new()
                    };
                    println!("            {:<42} {}{rate}{vs}{extra}", f.contender, range(&f.stats));
                }
            }
        }
        if let Some((g, n)) = self.programs_geomean() {
            println!("programs    Brisk time / wasmtime time, geometric mean over {n} programs: {g:.3}x (goal: within 1.05x)");
        }
        for line in self.interpreter_ratios() {
            println!("interpreter {line}");
        }
        for line in self.baseline_ratios() {
            println!("baseline    {line}");
        }
        if let Some(line) = self.tier_up_cost() {
            println!("tier-up     {line}");
        }
        if let Some(line) = self.time_to_result() {
            println!("jit         {line}");
        }
        if let Some(line) = self.auto_aot_ratio() {
            println!("auto        {line}");
        }
        for r in &self.remarks {
            println!("not measured: {r}");
        }
    }

    pub fn json(&self) -> String {
        let mut out = String::from("{\n");
        let _ = writeln!(
            out,
            "  \"machine\": {},\n  \"date\": {},\n  \"command\": {},\n  \"peers\": {},",
            json_string(&self.machine),
            json_string(&self.date),
            json_string(&self.command),
            json_string(&self.peers)
        );
        out.push_str("  \"not_measured\": [");
        out.push_str(&self.remarks.iter().map(|r| json_string(r)).collect::<Vec<_>>().join(", "));
        out.push_str("],\n  \"results\": [\n");
        for (i, f) in self.figures.iter().enumerate() {
            let s = &f.stats;
            let _ = write!(
                out,
                "    {{\"group\": {}, \"case\": {}, \"contender\": {}, \"median_s\": {:e}, \"min_s\": {:e}, \"max_s\": {:e}, \"rounds\": {}",
                json_string(f.group.id()),
                json_string(&f.case),
                json_string(&f.contender),
                s.median,
                s.min,
                s.max,
                s.rounds
            );
            if let (Some(v), Some(r)) = (f.versus, self.speedup(f)) {
                let _ = write!(out, ", \"versus\": {}, \"versus_over_this\": {:.4}", json_string(v), 1.0 / r);
            }
            for (k, v) in &f.notes {
                let _ = write!(out, ", {}: {}", json_string(k), json_string(v));
            }
            out.push('}');
            out.push_str(if i + 1 < self.figures.len() { ",\n" } else { "\n" });
        }
        out.push_str("  ]\n}\n");
        out
    }

    pub fn markdown(&self) -> String {
        let mut md = String::from("# Benchmarks\n\n");
        md.push_str(
            "Generated by the benchmark crate in `bench/` (a workspace of its own, so the peers are never part of\n\
             Brisk's build or tests). Every figure is the median of repeated rounds, with the minimum and maximum\n\
             in brackets; within each round every contender takes its turn, in an order that rotates from round to\n\
             round, in the same run and on the same inputs. \"vs Brisk\" is the peer's time over the time of the\n\
             Brisk configuration named beside it: above 1, Brisk is faster.\n\n",
        );
        let _ = writeln!(md, "- Command: `{}`{}", self.command, if self.quick { " (quick mode: fewer rounds, smaller inputs)" } else { "" });
        let _ = writeln!(md, "- Date: {}", self.date);
        let _ = writeln!(md, "- Machine: {}", self.machine);
        let _ = writeln!(md, "- Peers: {}\n", self.peers);

        md.push_str("## Where Brisk stands\n\n");
        self.promises(&mut md);

        self.section(&mut md, Group::Compile, "Compile time", "Whole corpora compiled to runnable modules (`Module::new`, or `new WebAssembly.Module` for V8), one round at a time, contenders taking turns module by module. The time is the corpus total over the modules every contender compiled; `median`, `p99` and `max` are over per-module medians. Per-module medians for every module are in `bench/results.json`.");
        self.slowest(&mut md);
        self.section(&mut md, Group::Load, "Artifact load", "`Module::deserialize_file` on an artifact in the page cache; the module is dropped after the clock stops.");
        self.section(&mut md, Group::Instantiate, "Instantiation", "A new store and instance of a compiled module, with no imports; dropped after the clock stops.");
        self.section(&mut md, Group::Unload, "Unload", "Modules loaded from an artifact (untimed), then all dropped at once; the time is per module.");
        self.section(&mut md, Group::Run, "Run time", "One call of the kernel's `run(arg)` on an instance made beforehand, after a warm-up call. The interpreters (wasmtime's Pulley, wasmi) are compared with Brisk's interpreter, the rest with Brisk's optimizing tier. Every runtime returned the same result (checked).");
        self.section(&mut md, Group::Programs, "Run time of whole programs", "The Debian C programs of `bench/programs/` (built for wasm32-wasi by `build.sh`) run as WASI preview 1 commands on the workloads of `bench/programs/compare.sh` (which checks Brisk's output against a native build's), made heavier: sqlite3 runs `workloads/bench.sql` on a database file, lua runs `workloads/bench.lua`, the compression drivers compress and decompress their generated input. One run = a WASI context (argv, no environment, stdout and stderr in memory, a preopened `data` directory with a fresh copy of the workload's files, prepared untimed) + instantiation + `_start`, on a module compiled beforehand: Brisk (optimizing tier and interpreter) through `brisk-wasi`, wasmtime (Cranelift and Pulley) through `wasmtime-wasi`'s preview 1 (`add_to_linker_sync`, `WasiP1Ctx`), V8 through `node:wasi` (timed inside Node). Every runtime printed the same stdout and exited with the same status (checked).");
        self.section(&mut md, Group::TimeToResult, "Time to result: just-in-time tier-up", "Each C program compiled (`Module::new`, a fresh module every round) and run, by the optimizing tier and by the automatic tier with tier-up (every function starts in the baseline tier; hot ones are compiled by Cranelift on a background thread and swapped in, and frames still looping on baseline code move to optimized code at a loop header), on the lighter workloads, where the optimizing tier's compile and run take about as long; between rounds (untimed) the background compiles finish. `compile ms` is the median time until the first instruction can run.");
        self.section(&mut md, Group::Stress, "Stress families", "Modules of `brisk_corpus::stress` that grow one feature of a function at a time (straight-line code, nesting, locals, operand-stack depth, `br_table` targets, values carried on a branch, loop-carried locals, values live across a call, if-diamonds over live locals), at 16 KiB to 1 MiB of code, compiled (`Module::new`) by Brisk's automatic tier (the default: per function, Cranelift where the cost model predicts at most 150 ms and 1 GiB, else the baseline tier; in parallel, as `brisk run` does; goal: every module within 500 ms and 1 GiB) and, on one thread, by its baseline tier and its interpreter. `peak MiB` is the most memory allocated during the compile beyond what was live before it (this binary counts its allocations); on the 1 MiB case of each family, `time exponent` and `memory exponent` are the least-squares slopes of log(time) and log(peak memory) over log(size): 1 is linear (goal: at most 1.1).");
        if !self.remarks.is_empty() {
            md.push_str("## Not measured\n\n");
            for r in &self.remarks {
                let _ = writeln!(md, "- {r}");
            }
        }
        md
    }

    fn section(&self, md: &mut String, group: Group, title: &str, intro: &str) {
        let cases = self.cases(group);
        if cases.is_empty() {
            return;
        }
        let _ = writeln!(md, "## {title}\n\n{intro}\n");
        let keys: Vec<&str> = {
            let mut keys = Vec::new();
            for f in self.figures.iter().filter(|f| f.group == group) {
                for (k, _) in &f.notes {
                    if !keys.contains(k) {
                        keys.push(*k);
                    }
                }
            }
            keys
        };
        for case in cases {
            let _ = writeln!(md, "**{case}**\n");
            let _ = write!(md, "| contender | time | vs Brisk |");
            for k in &keys {
                let _ = write!(md, " {k} |");
            }
            let _ = write!(md, "\n|---|---|---|");
            md.push_str(&"---|".repeat(keys.len()));
            md.push('\n');
            for f in self.in_case(group, case) {
                let vs = match (f.versus, self.speedup(f)) {
                    (Some(v), Some(s)) => format!("{s:.2} (vs {})", v.trim_start_matches("Brisk ")),
                    _ => String::new(),
                };
                let name = if f.versus.is_none() { format!("**{}**", f.contender) } else { f.contender.clone() };
                let _ = write!(md, "| {name} | {} | {vs} |", range(&f.stats));
                for k in &keys {
                    let _ = write!(md, " {} |", f.note_value(k).unwrap_or(""));
                }
                md.push('\n');
            }
            md.push('\n');
        }
    }

    /// Per corpus, the modules Brisk's optimizing configuration takes
    /// longest on (one thread), with every contender's time on them.
    fn slowest(&self, md: &mut String) {
        let brisk: Vec<&Figure> = self
            .figures
            .iter()
            .filter(|f| f.group == Group::CompileModule && f.contender == BRISK_OPT && f.case.ends_with(", 1 thread"))
            .collect();
        let Some(first) = brisk.first() else { return };
        let contenders: Vec<&str> = self.in_case(Group::CompileModule, &first.case).map(|f| f.contender.as_str()).collect();
        md.push_str("### Slowest modules\n\nPer corpus, the modules Brisk's optimizing configuration takes longest on (one thread), with every contender's median on them.\n\n| module |");
        for c in &contenders {
            let _ = write!(md, " {c} |");
        }
        md.push_str("\n|---|");
        md.push_str(&"---|".repeat(contenders.len()));
        md.push('\n');
        let mut corpora: Vec<&str> = brisk.iter().map(|f| f.case.split(':').next().unwrap_or("")).collect();
        corpora.dedup();
        for corpus in corpora {
            let mut slowest: Vec<&&Figure> = brisk.iter().filter(|f| f.case.starts_with(&format!("{corpus}:"))).collect();
            slowest.sort_by(|a, b| b.stats.median.total_cmp(&a.stats.median));
            for b in slowest.iter().take(3) {
                let _ = write!(md, "| {} |", b.case.trim_end_matches(", 1 thread"));
                for c in &contenders {
                    let cell = self.get(Group::CompileModule, &b.case, c).map_or_else(String::new, |f| time(f.stats.median));
                    let _ = write!(md, " {cell} |");
                }
                md.push('\n');
            }
        }
        md.push('\n');
    }

    /// Brisk over wasmtime on the whole programs, as the geometric mean of
    /// the per-program ratios of medians.
    pub fn programs_geomean(&self) -> Option<(f64, usize)> {
        let ratios = self.ratios(Group::Programs, crate::programs::WASMTIME);
        (!ratios.is_empty()).then(|| (geomean(&ratios), ratios.len()))
    }

    /// Per case of `group`, the Brisk contender's time over the peer
    /// `contender`'s (below 1, Brisk is faster).
    fn ratios(&self, group: Group, contender: &str) -> Vec<(&str, f64)> {
        self.cases(group)
            .into_iter()
            .filter_map(|case| self.get(group, case, contender).and_then(|f| self.speedup(f)).map(|s| (case, 1.0 / s)))
            .collect()
    }

    /// Brisk's interpreter time over the peers' interpreters' (wasmi,
    /// Pulley), geometric mean over the kernels and over the programs, and
    /// per input: one line per peer.
    pub fn interpreter_ratios(&self) -> Vec<String> {
        self.tier_ratios(BRISK_INTERP, &["wasmi", crate::Wasmtime::Pulley.name()])
    }

    /// The same for Brisk's baseline tier against wasmtime's Winch and V8's
    /// Liftoff.
    pub fn baseline_ratios(&self) -> Vec<String> {
        self.tier_ratios(crate::BRISK_BASELINE, &[crate::Wasmtime::Winch.name(), "V8 Liftoff"])
    }

    /// The automatic tier ahead of time against the optimizing tier, run
    /// time of the whole programs.
    pub fn auto_aot_ratio(&self) -> Option<String> {
        let ratios: Vec<(&str, f64)> = self
            .ratios(Group::Programs, crate::programs::BRISK_AUTO_AOT)
            .into_iter()
            .map(|(case, r)| (case, 1.0 / r))
            .collect();
        if ratios.is_empty() {
            return None;
        }
        let per: Vec<String> = ratios.iter().map(|(case, r)| format!("{} {r:.3}x", short(case))).collect();
        Some(format!(
            "auto ahead of time / optimized, run time of the programs, geometric mean: {:.3}x ({}; goal: within 1.05x)",
            geomean(&ratios),
            per.join(", ")
        ))
    }

    /// Just-in-time tier-up against the optimizing tier on whole programs
    /// compiled and run in one go: summed time to result, the worst
    /// program, and the time until the first instruction runs.
    pub fn time_to_result(&self) -> Option<String> {
        let (mut jit, mut opt, mut worst) = (0.0, 0.0, (0.0f64, String::new()));
        let mut first = Vec::new();
        let mut per = Vec::new();
        for case in self.cases(Group::TimeToResult) {
            let j = self.get(Group::TimeToResult, case, crate::programs::BRISK_JIT)?;
            let o = self.get(Group::TimeToResult, case, crate::programs::BRISK_AOT)?;
            jit += j.stats.median;
            opt += o.stats.median;
            let r = j.stats.median / o.stats.median;
            if r > worst.0 {
                worst = (r, short(case).to_string());
            }
            per.push(format!("{} {r:.2}x", short(case)));
            let ms = |f: &Figure| f.note_value("compile ms").and_then(|v| v.parse::<f64>().ok());
            if let (Some(jc), Some(oc)) = (ms(j), ms(o)) {
                first.push((case, oc / jc));
            }
        }
        if per.is_empty() {
            return None;
        }
        // Ahead of time: compile (until the first instruction) and run
        // (the rest), each summed over the programs.
        let (mut auto, mut optimized) = ([0.0; 2], [0.0; 2]);
        for case in self.cases(Group::TimeToResult) {
            for (name, sums) in [(crate::programs::BRISK_AUTO_TTR, &mut auto), (crate::programs::BRISK_AOT, &mut optimized)] {
                let f = self.get(Group::TimeToResult, case, name)?;
                let compile = f.note_value("compile ms").and_then(|v| v.parse::<f64>().ok())? / 1e3;
                sums[0] += compile;
                sums[1] += f.stats.median - compile;
            }
        }
        Some(format!(
            "auto with tier-up / optimized, time to result (compile + run) summed over {} programs: {:.3}x ({}; worst {} {:.2}x; goals: 0.6x summed, 1.1x each); time to first instruction: tier-up starts {:.1}x sooner (geometric mean; goal 5x); auto ahead of time / optimized, summed: compile {:.3}x (goal at most 1), run {:.3}x (goal within 1.05x)",
            per.len(),
            jit / opt,
            per.join(", "),
            worst.1,
            worst.0,
            geomean(&first),
            auto[0] / optimized[0],
            auto[1] / optimized[1],
        ))
    }

    /// What calls through funcrefs (the indirection that lets tier-up
    /// replace code) cost the optimizing tier on the kernels: its time
    /// with them over its time with direct calls.
    pub fn tier_up_cost(&self) -> Option<String> {
        let costs: Vec<(&str, f64)> =
            self.ratios(Group::Run, crate::run::BRISK_TIER_UP).into_iter().map(|(case, r)| (case, 1.0 / r)).collect();
        if costs.is_empty() {
            return None;
        }
        let per: Vec<String> = costs.iter().map(|(case, r)| format!("{} {r:.3}x", short(case))).collect();
        Some(format!(
            "optimizing tier with calls through funcrefs / with direct calls, geometric mean over {} kernels: {:.3}x ({}; goal: at most 1.03x)",
            costs.len(),
            geomean(&costs),
            per.join(", ")
        ))
    }

    fn tier_ratios(&self, brisk: &str, peers: &[&str]) -> Vec<String> {
        let mut lines = Vec::new();
        for &peer in peers {
            let mut parts = Vec::new();
            let mut all = Vec::new();
            for (group, inputs) in [(Group::Run, "kernels"), (Group::Programs, "programs")] {
                let ratios = self.ratios(group, peer);
                if ratios.is_empty() {
                    continue;
                }
                let per: Vec<String> = ratios.iter().map(|(case, r)| format!("{} {r:.2}x", short(case))).collect();
                parts.push(format!("{:.3}x over {} {inputs} ({})", geomean(&ratios), ratios.len(), per.join(", ")));
                all.extend(ratios);
            }
            if parts.len() > 1 {
                parts.push(format!("{:.3}x over all {}", geomean(&all), all.len()));
            }
            if !parts.is_empty() {
                lines.push(format!("{brisk} time / {peer} time, geometric mean: {}", parts.join("; ")));
            }
        }
        lines
    }

    fn promises(&self, md: &mut String) {
        // Predictable compile time.
        md.push_str("**Predictable compile time.** ");
        let mut any = false;
        for case in self.cases(Group::Compile) {
            let (Some(quick), Some(opt)) = (self.get(Group::Compile, case, BRISK_QUICK), self.get(Group::Compile, case, BRISK_OPT)) else { continue };
            any = true;
            let _ = write!(md, "On the {case}, Brisk's quickest native-code configuration takes {} ({} MiB/s, slowest module {})", time(quick.stats.median), quick.note_value("MiB/s").unwrap_or("?"), quick.note_value("max").unwrap_or("?"));
            if let Some(w) = self.get(Group::Compile, case, crate::Wasmtime::CraneliftQuick.name()).and_then(|f| self.speedup(f)) {
                let _ = write!(md, ", {} than wasmtime with the same Cranelift settings", verdict(w));
            }
            // The interpreters (wasmi, Pulley) are compared with Brisk's below.
            let native_peers = self.in_case(Group::Compile, case).filter(|f| f.versus == Some(BRISK_QUICK));
            if let Some(best) = native_peers.min_by(|a, b| a.stats.median.total_cmp(&b.stats.median)) {
                let s = best.stats.median / quick.stats.median;
                let _ = write!(md, "; the quickest native-code peer, {}, takes {} (slowest module {}): Brisk is {}", best.contender, time(best.stats.median), best.note_value("max").unwrap_or("?"), verdict(s));
            }
            let _ = write!(md, ". Optimizing, Brisk takes {}", time(opt.stats.median));
            for peer in [crate::Wasmtime::CraneliftSpeed.name(), "V8 TurboFan"] {
                if let Some(s) = self.get(Group::Compile, case, peer).and_then(|f| self.speedup(f)) {
                    let _ = write!(md, ", {} than {peer}", verdict(s));
                }
            }
            md.push_str(".\n");
        }
        for case in self.cases(Group::Compile).into_iter().filter(|c| c.ends_with(", 1 thread")) {
            let Some(interp) = self.get(Group::Compile, case, BRISK_INTERP) else { continue };
            let _ = write!(md, "Translating the {case}, Brisk's interpreter translates at {} MiB/s", interp.note_value("MiB/s").unwrap_or("?"));
            for peer in ["wasmi eager", crate::Wasmtime::Pulley.name()] {
                if let Some(f) = self.get(Group::Compile, case, peer)
                    && let Some(s) = self.speedup(f)
                {
                    let _ = write!(md, ", {peer} at {} MiB/s (Brisk {})", f.note_value("MiB/s").unwrap_or("?"), verdict(s));
                }
            }
            md.push_str(".\n");
        }
        for case in self.cases(Group::Compile).into_iter().filter(|c| c.ends_with(", 1 thread")) {
            let Some(base) = self.get(Group::Compile, case, crate::BRISK_BASELINE) else { continue };
            any = true;
            let _ = write!(md, "On the {case}, Brisk's baseline tier compiles at {} MiB/s", base.note_value("MiB/s").unwrap_or("?"));
            for peer in ["V8 Liftoff", crate::Wasmtime::Winch.name()] {
                if let Some(f) = self.get(Group::Compile, case, peer)
                    && let Some(s) = self.speedup(f)
                {
                    let _ = write!(md, ", {peer} at {} MiB/s (Brisk {})", f.note_value("MiB/s").unwrap_or("?"), verdict(s));
                }
            }
            md.push_str(" (goal: at least Liftoff's rate, and 4x Winch's).\n");
        }
        if !any {
            md.push_str("Not measured in this run.\n");
        }
        md.push('\n');

        // mmap-and-go.
        md.push_str("**mmap-and-go.** ");
        let load = self.cases(Group::Load);
        if let [small, large] = load.as_slice() {
            let b = |case: &str| self.get(Group::Load, case, crate::load::BRISK);
            let w = |case: &str| self.get(Group::Load, case, crate::load::WASMTIME).and_then(|f| self.speedup(f));
            if let (Some(bs), Some(bl), Some(ws), Some(wl)) = (b(small), b(large), w(small), w(large)) {
                let scale = bl.stats.median / bs.stats.median;
                let met = |ok: bool| if ok { "met" } else { "not met" };
                let _ = writeln!(
                    md,
                    "Loading an artifact, against wasmtime (the one peer that loads precompiled native code): Brisk is\n\
                     {} on the {small} case ({}; goal at least 2x: {}) and {} on the {large} case ({}; goal: {}).\n\
                     Brisk's large load takes {scale:.2}x its small one (goal: within 2x: {}). A small load is a handful of\n\
                     system calls (open, pread of the header, lseek for the size, mmap, mprotect of `.text` before any page of the\n\
                     file is mapped, close) and one page fault, most of its cost on this machine; what grows with the\n\
                     module is the checksum over the metadata tables (about 20 bytes per function: type, start, trap\n\
                     sites at 2 bytes each) and the page faults of reading them. The code is neither read nor copied,\n\
                     nothing is decoded, nothing is done per function.",
                    verdict(ws),
                    time(bs.stats.median),
                    met(ws >= 2.0),
                    verdict(wl),
                    time(bl.stats.median),
                    met(wl >= 2.0),
                    met(scale <= 2.0),
                );
            }
        } else {
            md.push_str("Not measured in this run.\n");
        }
        md.push('\n');

        // Cheap lifecycle.
        md.push_str("**Cheap lifecycle.** ");
        for case in self.cases(Group::Instantiate) {
            if let (Some(b), Some(best)) = (self.get(Group::Instantiate, case, "Brisk"), self.best_peer(Group::Instantiate, case)) {
                let s = best.stats.median / b.stats.median;
                let _ = write!(md, "Instantiating ({case}) takes Brisk {}; the quickest peer, {}, {}: Brisk is {}. ", time(b.stats.median), best.contender, time(best.stats.median), verdict(s));
            }
        }
        const WASMTIME: &str = "wasmtime cranelift (default configuration)";
        let versus: Vec<String> = self
            .cases(Group::Instantiate)
            .iter()
            .filter_map(|case| {
                let (b, w) = (self.get(Group::Instantiate, case, "Brisk")?, self.get(Group::Instantiate, case, WASMTIME)?);
                Some(format!("Brisk {} on {}", verdict(w.stats.median / b.stats.median), case.split(':').next().unwrap_or(case)))
            })
            .collect();
        if !versus.is_empty() {
            let _ = write!(md, "Against wasmtime's default allocator: {}. ", versus.join(", "));
        }
        let unload = self.cases(Group::Unload);
        let contenders = [
            "Brisk (no native unwind info)",
            "Brisk, native unwind info on",
            "Brisk (no native unwind info), until unmapped",
            "Brisk, native unwind info on, until unmapped",
            "wasmtime, native unwind info on (default)",
            "wasmtime, native unwind info off",
            "Brisk (no native unwind info), loading",
            "Brisk, native unwind info on, loading",
        ];
        if let (Some(first), Some(last)) = (unload.first(), unload.last())
            && first != last
        {
            let _ = write!(md, "Dropping modules, per module at {first} and at {last} (and the growth between them):");
            for c in contenders {
                if let (Some(f), Some(l)) = (self.get(Group::Unload, first, c), self.get(Group::Unload, last, c)) {
                    let _ = write!(md, " {c}: {} and {} ({:.2}x);", time(f.stats.median), time(l.stats.median), l.stats.median / f.stats.median);
                }
            }
            md.push_str(
                " Brisk's dropping thread does constant work and hands the unmapping to a background thread (\"until\n\
                 unmapped\" is the time until it is done). With native unwind info, libgcc's unwinder asks Brisk's own\n\
                 `_Unwind_Find_FDE`, which looks Brisk's code up in a table ordered by address, so loading and dropping\n\
                 a module insert and remove one entry; a runtime that registers each module with libgcc's\n\
                 `__register_frame` instead has its drops walk libgcc's list of registrations before GCC 13, which grows\n\
                 with the number loaded when modules are dropped oldest first, as here.\n",
            );
        }
        md.push('\n');

        // Run time.
        md.push_str("**Run time** (not a promise, but what users feel). ");
        // (Brisk contender, peer) pairs, in the order of the figures.
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for f in self.figures.iter().filter(|f| f.group == Group::Run) {
            if let Some(v) = f.versus
                && !pairs.contains(&(v, f.contender.as_str()))
            {
                pairs.push((v, &f.contender));
            }
        }
        if pairs.is_empty() {
            md.push_str("Not measured in this run.\n");
        } else {
            let mut briskes: Vec<&str> = Vec::new();
            for (v, _) in &pairs {
                if !briskes.contains(v) {
                    briskes.push(v);
                }
            }
            let mut sentences = Vec::new();
            for brisk in briskes {
                let tier = match brisk {
                    BRISK_INTERP => "Brisk's interpreter",
                    crate::BRISK_BASELINE => "Brisk's baseline tier",
                    _ => "Brisk's optimizing tier",
                };
                let parts: Vec<String> = pairs
                    .iter()
                    .filter(|(v, _)| *v == brisk)
                    .map(|(_, peer)| format!("{} than {peer}", verdict(1.0 / geomean(&self.ratios(Group::Run, peer)))))
                    .collect();
                sentences.push(format!("{tier} is {}", parts.join(", ")));
            }
            let _ = writeln!(md, "Over the kernels (geometric mean of the ratios), {}.", sentences.join("; "));
        }
        md.push('\n');

        // Interpreters.
        md.push_str("**Interpreter** (Brisk's interpreter tier against the peers' interpreters, wasmi and wasmtime's Pulley; below 1, Brisk is faster). ");
        let lines = self.interpreter_ratios();
        if lines.is_empty() {
            md.push_str("Not measured in this run.\n");
        } else {
            let _ = writeln!(md, "{}.", lines.join(". "));
        }
        md.push('\n');

        // Baseline tier.
        md.push_str("**Baseline tier** (Brisk's baseline tier against wasmtime's Winch and V8's Liftoff; below 1, Brisk is faster; goal: no slower than Winch). ");
        let lines = self.baseline_ratios();
        if lines.is_empty() {
            md.push_str("Not measured in this run.\n");
        } else {
            let _ = writeln!(md, "{}.", lines.join(". "));
        }
        md.push('\n');
        if let Some(line) = self.tier_up_cost() {
            let _ = writeln!(md, "**Tier-up indirection**: {line}.\n");
        }
        if let Some(line) = self.time_to_result() {
            let _ = writeln!(md, "**Just-in-time tier-up**: {line}.\n");
        }

        // Whole programs.
        md.push_str("**Whole programs** (goal: Brisk's optimizing tier within 1.05x of wasmtime's Cranelift, geometric mean). ");
        match self.programs_geomean() {
            None => md.push_str("Not measured in this run.\n"),
            Some((g, n)) => {
                let per: Vec<String> = self
                    .cases(Group::Programs)
                    .into_iter()
                    .filter_map(|case| {
                        let f = self.get(Group::Programs, case, crate::programs::WASMTIME)?;
                        Some(format!("{} {:.2}x", case.split(' ').next().unwrap_or(case), 1.0 / self.speedup(f)?))
                    })
                    .collect();
                let _ = writeln!(
                    md,
                    "Over the {n} Debian C programs run as WASI commands, Brisk's time over wasmtime's is {g:.3}x (geometric mean; {}): goal {}.",
                    per.join(", "),
                    if g <= 1.05 { "met" } else { "not met" }
                );
            }
        }
        md.push('\n');
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
