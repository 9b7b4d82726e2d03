//! The baseline tier against the one native ABI, and its generated code.
//!
//! * Signatures of every shape (integer and float arguments in registers and
//!   on the stack, results in registers and in a return area) are called
//!   between baseline and optimized functions in both directions and from
//!   the host, and must give the optimizing tier's results.
//! * Golden disassembly: `tests/disas/baseline/*.wat` hold a module and,
//!   below it, the listing the baseline tier must produce for it (by
//!   `objdump`), so that a change in generated code is a visible diff.
//!   `BRISK_BLESS=1 cargo test baseline` rewrites the listings.

use brisk::{Config, Engine, Instance, Module, Store, Strategy, Val};

#[derive(Clone, Copy, PartialEq)]
enum T {
    I32,
    I64,
    F32,
    F64,
}

impl T {
    fn name(self) -> &'static str {
        match self {
            T::I32 => "i32",
            T::I64 => "i64",
            T::F32 => "f32",
            T::F64 => "f64",
        }
    }

    /// A constant of this type, distinct per (signature, position).
    fn constant(self, k: usize, i: usize) -> String {
        let n = k * 100 + i + 1;
        match self {
            T::I32 => format!("(i32.const {})", n as i32 * -7919),
            T::I64 => format!("(i64.const {})", ((n as i64) << 33) | 5),
            T::F32 => format!("(f32.const {n}.5)"),
            T::F64 => format!("(f64.const {n}.25)"),
        }
    }

    fn val(self, k: usize, i: usize) -> Val {
        let n = k * 100 + i + 1;
        match self {
            T::I32 => Val::I32(n as i32 * -7919),
            T::I64 => Val::I64(((n as i64) << 33) | 5),
            T::F32 => Val::F32((n as f32 + 0.5).to_bits()),
            T::F64 => Val::F64((n as f64 + 0.25).to_bits()),
        }
    }
}

/// Signatures of many shapes, from a fixed pseudo-random sequence plus the
/// edges: no values, registers exactly full, one value past them.
fn signatures() -> Vec<(Vec<T>, Vec<T>)> {
    let all = [T::I32, T::I64, T::F32, T::F64];
    let mut sigs = vec![
        (vec![], vec![]),
        (vec![T::I64; 4], vec![T::I64; 8]),
        (vec![T::I64; 5], vec![T::I64; 9]),
        (vec![T::F64; 8], vec![T::F64; 8]),
        (vec![T::F32; 9], vec![T::F32; 9]),
        (vec![T::I32; 12], vec![T::I32; 12]),
    ];
    let mut x: u64 = 0x9e37_79b9;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n) as usize
    };
    for _ in 0..40 {
        let np = next(22);
        let nr = next(14);
        let params = (0..np).map(|_| all[next(4)]).collect();
        let results = (0..nr).map(|_| all[next(4)]).collect();
        sigs.push((params, results));
    }
    sigs
}

/// For each signature `k`: callees `c{k}a` and `c{k}b` (each result a
/// parameter of its type, or a constant, plus its position), and callers
/// `k{k}a`, `k{k}b` that call both callees with constants and fold the
/// results into an i64. Defined functions alternate even/odd, so under
/// `MixedBaseline` every pair of tiers calls each other.
fn module() -> String {
    let mut m = String::from("(module\n");
    for (k, (params, results)) in signatures().iter().enumerate() {
        let p: String = params.iter().map(|t| format!(" {}", t.name())).collect();
        let r: String = results.iter().map(|t| format!(" {}", t.name())).collect();
        m += &format!("  (type $t{k} (func (param{p}) (result{r})))\n");
        for suffix in ["a", "b"] {
            m += &format!("  (func $c{k}{suffix} (export \"c{k}{suffix}\") (type $t{k})\n");
            for (j, t) in results.iter().enumerate() {
                let same: Vec<usize> = (0..params.len()).filter(|i| params[*i] == *t).collect();
                let base = if same.is_empty() {
                    t.constant(k, 50 + j)
                } else {
                    format!("(local.get {})", same[(j * 5 + 1) % same.len()])
                };
                let add = format!("({}.add {base} ({}.const {}))", t.name(), t.name(), j + 1);
                m += &format!("    {add}\n");
            }
            m += "  )\n";
        }
        for suffix in ["a", "b"] {
            m += &format!("  (func $k{k}{suffix} (export \"k{k}{suffix}\") (result i64)");
            for t in results {
                m += &format!(" (local {})", t.name());
            }
            m += " (local $h i64)\n";
            for callee in ["a", "b"] {
                let args: String = params
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!(" {}", t.constant(k, i)))
                    .collect();
                m += &format!("    (call $c{k}{callee}{args})\n");
                for j in (0..results.len()).rev() {
                    m += &format!("    (local.set {j})\n");
                }
                for (j, t) in results.iter().enumerate() {
                    let bits = match t {
                        T::I32 => format!("(i64.extend_i32_u (local.get {j}))"),
                        T::I64 => format!("(local.get {j})"),
                        T::F32 => {
                            format!("(i64.extend_i32_u (i32.reinterpret_f32 (local.get {j})))")
                        }
                        T::F64 => format!("(i64.reinterpret_f64 (local.get {j}))"),
                    };
                    m += &format!(
                        "    (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) {bits}))\n"
                    );
                }
            }
            m += "    (local.get $h))\n";
        }
    }
    m + ")\n"
}

fn instance(strategy: Strategy, wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::new(Config::new().strategy(strategy)).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::I32(x), Val::I32(y)) => x == y,
        (Val::I64(x), Val::I64(y)) => x == y,
        (Val::F32(x), Val::F32(y)) => x == y,
        (Val::F64(x), Val::F64(y)) => x == y,
        _ => false,
    }
}

#[test]
fn signatures_of_every_shape_cross_tiers() {
    let wat = module();
    let sigs = signatures();
    let (mut reference, ref_instance) = instance(Strategy::Optimized, &wat);
    for strategy in [Strategy::Baseline, Strategy::MixedBaseline] {
        let (mut store, inst) = instance(strategy, &wat);
        for (k, (params, results)) in sigs.iter().enumerate() {
            // wasm to wasm, both tier orders.
            for suffix in ["a", "b"] {
                let name = format!("k{k}{suffix}");
                let want = ref_instance
                    .get_typed_func::<(), i64>(&mut reference, &name)
                    .unwrap()
                    .call(&mut reference, ())
                    .unwrap();
                let got = inst
                    .get_typed_func::<(), i64>(&mut store, &name)
                    .unwrap()
                    .call(&mut store, ())
                    .unwrap();
                assert_eq!(
                    got,
                    want,
                    "{strategy:?}: {name}, params {} results {}",
                    params.len(),
                    results.len()
                );
            }
            // Host to wasm, through the trampolines.
            let args: Vec<Val> = params
                .iter()
                .enumerate()
                .map(|(i, t)| t.val(k, i))
                .collect();
            for suffix in ["a", "b"] {
                let name = format!("c{k}{suffix}");
                let mut want = vec![Val::I32(0); results.len()];
                let mut got = want.clone();
                ref_instance
                    .get_func(&mut reference, &name)
                    .unwrap()
                    .call(&mut reference, &args, &mut want)
                    .unwrap();
                inst.get_func(&mut store, &name)
                    .unwrap()
                    .call(&mut store, &args, &mut got)
                    .unwrap();
                assert!(
                    want.iter().zip(&got).all(|(a, b)| same(a, b)),
                    "{strategy:?}: {name}: {got:?} != {want:?}"
                );
            }
        }
    }
}

/// The listing of the wasm functions (not the trampolines) of an artifact.
fn listing(artifact: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("brisk-disas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("module.elf");
    std::fs::write(&path, artifact).ok()?;
    let out = std::process::Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-M", "intel"])
        .arg(&path)
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return None;
    }
    let mut text = String::new();
    let mut keep = false;
    let mut base = 0u64;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(head) = line.strip_suffix(">:") {
            let (addr, name) = head.split_once(" <")?;
            keep = !name.starts_with("array-to-wasm") && !name.starts_with("wasm-to-array");
            base = u64::from_str_radix(addr, 16).ok()?;
            if keep {
                text += &format!("{name}:\n");
            }
            continue;
        }
        let Some((addr, insn)) = line.split_once(":\t") else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr.trim(), 16) else {
            continue;
        };
        // Alignment padding between functions.
        if !keep || insn.trim() == "int3" {
            continue;
        }
        // Offsets within the function; branch targets as objdump prints
        // them (absolute) would shift with every function before.
        let insn = insn.split(" <").next().unwrap_or(insn).trim_end();
        let mut words: Vec<String> = insn.split_whitespace().map(str::to_string).collect();
        // Branch targets relative to the function too.
        if words.len() == 2
            && (words[0].starts_with('j') || words[0] == "call")
            && let Ok(target) = u64::from_str_radix(&words[1], 16)
        {
            words[1] = format!("{:x}", target.wrapping_sub(base));
        }
        text += &format!("  {:4x}: {}\n", addr - base, words.join(" "));
    }
    Some(text)
}

const EXPECTED: &str = ";; ---- baseline tier listing (BRISK_BLESS=1 regenerates) ----\n";

#[test]
fn golden_disassembly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas/baseline");
    let bless = std::env::var_os("BRISK_BLESS").is_some();
    let engine = Engine::new(Config::new().strategy(Strategy::Baseline)).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut checked = 0;
    let mut diffs = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let (wat, expected) = match text.split_once(EXPECTED) {
            Some((w, e)) => (
                w.to_string(),
                e.lines()
                    .map(|l| l.strip_prefix(";; ").unwrap_or(l.trim_start_matches(";;")))
                    .collect::<Vec<_>>()
                    .join("\n")
                    + "\n",
            ),
            None => (text.clone(), String::new()),
        };
        let artifact = engine.precompile_module(wat.as_bytes()).unwrap();
        let Some(actual) = listing(&artifact) else {
            eprintln!("objdump is not available: the golden disassembly check is skipped");
            return;
        };
        if bless {
            let body: String = actual.lines().map(|l| format!(";; {l}\n")).collect();
            std::fs::write(
                path,
                format!("{}{EXPECTED}{body}", wat.trim_end().to_string() + "\n\n"),
            )
            .unwrap();
        } else if actual != expected {
            diffs.push(format!(
                "{}:\n--- expected\n{expected}+++ actual\n{actual}",
                path.display()
            ));
        }
        checked += 1;
    }
    assert!(
        checked >= 5,
        "only {checked} golden files in {}",
        dir.display()
    );
    assert!(
        diffs.is_empty(),
        "generated code changed (BRISK_BLESS=1 to accept):\n{}",
        diffs.join("\n")
    );
}

/// The stress families (brisk-corpus) compute the same on every tier.
#[test]
fn stress_families_agree_across_tiers() {
    use brisk_corpus::stress::{Family, module};
    for family in Family::ALL {
        for n in [1, 40, 300] {
            let wasm = module(family, n);
            let mut results = Vec::new();
            for strategy in [
                Strategy::Optimized,
                Strategy::Interpreter,
                Strategy::Baseline,
            ] {
                let engine = Engine::new(Config::new().strategy(strategy)).unwrap();
                let module = Module::new(&engine, &wasm).unwrap();
                let mut store = Store::new(&engine, ());
                let instance = Instance::new(&mut store, &module, &[]).unwrap();
                let run = instance
                    .get_typed_func::<i32, i32>(&mut store, "run")
                    .unwrap();
                results.push((
                    strategy,
                    [3, 7, 1000].map(|x| run.call(&mut store, x).unwrap()),
                ));
            }
            assert!(
                results.iter().all(|r| r.1 == results[0].1),
                "{family:?} n={n}: {results:?}"
            );
        }
    }
}
