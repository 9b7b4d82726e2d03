//! The interpreter's accumulator (see `brisk_interp::op::ALL`): an
//! instruction that reads an operand from the accumulator must only ever
//! run right after the instruction that left that operand there. The
//! translator decides this in one pass, with loop rotation copying headers
//! and fused instructions taking back their producers; this checks the
//! decision on translated code directly, by a dataflow over each function's
//! instructions: on every path to an accumulator variant, the last
//! instruction to set the accumulator wrote its operand's slot, with only
//! branches (which leave it alone) after it (a loop's first instruction
//! may read what every way into the loop leaves there); and chains do use
//! the accumulator, and pairs whose first result nothing else reads are
//! twins that leave its slot alone.

use brisk_environ::{DefinedFuncIndex, translate_module, wasm_features};
use brisk_interp::op::{self, BR, BR_AND_EQZ, BR_AND_EQZ_I, BR_AND_NEZ, BR_AND_NEZ_I, BR_IF_EQZ, BR_IF_NEZ, BR_TABLE};
use brisk_interp::{TranslateOptions, translate_function};

/// The branch targets (word positions) of the instruction at `at`.
fn targets(code: &[u32], at: usize) -> Vec<usize> {
    let rel = |k: usize| (at + k).wrapping_add(code[at + k] as i32 as isize as usize);
    let base = op::base(code[at]);
    match base {
        BR => vec![rel(1)],
        BR_IF_NEZ | BR_IF_EQZ => vec![rel(2)],
        BR_AND_NEZ | BR_AND_EQZ | BR_AND_NEZ_I | BR_AND_EQZ_I => vec![rel(3)],
        BR_TABLE => (0..=code[at + 2] as usize).map(|i| rel(3 + i)).collect(),
        _ if op::name(base).is_some_and(|n| n.starts_with("BR_I32_") || n.starts_with("BR_I64_")) => vec![rel(3)],
        _ => Vec::new(),
    }
}

/// Checks one function's code; returns how many accumulator variants and
/// pass-through pairs it has.
fn check(code: &[u32], what: &str) -> (usize, usize) {
    let mut starts = Vec::new();
    let mut at = 0;
    while at < code.len() {
        starts.push(at);
        at += op::instruction_len(code, at).unwrap_or_else(|| panic!("{what}: bad opcode at {at}"));
    }
    let index: std::collections::HashMap<usize, usize> = starts.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    for &s in &starts {
        for t in targets(code, s) {
            assert!(index.contains_key(&t) || t == code.len(), "{what}: a branch at {s} lands at {t}, inside an instruction");
        }
    }
    // What the accumulator holds on entry to each instruction: `None` not
    // reached yet, `Some(None)` nothing known, `Some(Some(slot))` that
    // slot's value on every path.
    let mut entry: Vec<Option<Option<u32>>> = vec![None; starts.len()];
    entry[0] = Some(None);
    let mut changed = true;
    while changed {
        changed = false;
        for (i, &s) in starts.iter().enumerate() {
            let Some(held) = entry[i] else { continue };
            let base = op::base(code[s]);
            let branches = targets(code, s);
            let out = if op::sets_acc(base) {
                Some(code[s + 1])
            } else if op::preserves_acc(base) {
                held
            } else {
                None
            };
            let falls_through = !matches!(op::name(base), Some("BR" | "BR_TABLE" | "RET" | "RET1" | "RET1_32" | "RET1_64" | "TRAP"));
            let next = falls_through.then(|| i + 1).filter(|&n| n < starts.len());
            for succ in branches.iter().filter_map(|t| index.get(t).copied()).chain(next) {
                let merged = match entry[succ] {
                    None => Some(out),
                    Some(x) if x == out => Some(x),
                    Some(_) => Some(None),
                };
                if merged != entry[succ] {
                    entry[succ] = merged;
                    changed = true;
                }
            }
        }
    }
    let mut variants = 0;
    let mut pass_throughs = 0;
    for (i, &s) in starts.iter().enumerate() {
        // A pair runs the instructions after it as its later parts, each
        // with its accumulator word in the pair, and falls through to them.
        let mut later = Vec::new();
        let mut first = op::base(code[s]);
        while let Some((a, b, k)) = op::pair_parts(first) {
            later.push((b, k));
            first = a;
        }
        for (j, &(b, k)) in later.iter().rev().enumerate() {
            let at = starts.get(i + 1 + j).copied();
            let next = at.map(|n| code[n]);
            assert_eq!(next.map(op::base), Some(b), "{what}: the pair at {s} is not followed by its part {}\n{}", j + 2, op::disassemble(code));
            assert_eq!(next.map(op::acc_word), Some(k & 3), "{what}: the pair at {s} reads another accumulator word\n{}", op::disassemble(code));
            if k >> 2 != 0 {
                // A pass-through pair: its second part reads word `k >> 2`
                // from the accumulator as it was before the first part,
                // which must hold that slot there and not overwrite it.
                assert!(j == 0 && later.len() == 1, "{what}: the pass-through pair at {s} has more than two parts");
                let slot = code[at.unwrap() + (k >> 2) as usize];
                assert_eq!(entry[i], Some(Some(slot)), "{what}: the pair at {s} passes slot {slot} through, which the accumulator does not hold\n{}", op::disassemble(code));
                assert!(
                    !(op::sets_acc(first) && code[s + 1] == slot),
                    "{what}: the pair at {s} passes slot {slot} through, which its first part overwrites\n{}",
                    op::disassemble(code)
                );
                pass_throughs += 1;
            }
            let landed = starts.iter().any(|&src| targets(code, src).contains(&at.unwrap()));
            assert!(!landed, "{what}: a branch lands on part {} of the pair at {s}", j + 2);
        }
        let k = op::acc_word(code[s]) as usize;
        if k == 0 {
            continue;
        }
        variants += 1;
        assert_eq!(
            entry[i],
            Some(Some(code[s + k])),
            "{what}: the variant at {s} reads slot {} from the accumulator, which holds {:?} there\n{}",
            code[s + k],
            entry[i],
            op::disassemble(code)
        );
    }
    (variants, pass_throughs)
}

fn check_module(wasm: &[u8], what: &str) -> usize {
    let translation = translate_module(wasm, wasm_features()).unwrap();
    let mut variants = 0;
    for (consume_fuel, epoch_interruption) in [(false, false), (true, true)] {
        let options = TranslateOptions { consume_fuel, epoch_interruption, interpreted: &|_| true };
        for i in 0..translation.function_bodies.len() {
            let def = DefinedFuncIndex::from_u32(i as u32);
            let f = translate_function(&translation, def, &options).unwrap();
            variants += check(&f.code, &format!("{what} function {i} (fuel {consume_fuel})")).0;
        }
    }
    variants
}

#[test]
fn accumulator_variants_follow_their_producers_on_the_smith_corpus() {
    let mut variants = 0;
    for m in brisk_corpus::corpus(12) {
        variants += check_module(&m.wasm, &m.name);
    }
    assert!(variants > 100, "only {variants} accumulator variants in the corpus");
}

#[test]
fn chains_and_rotated_loops_use_the_accumulator() {
    // crc32's loop: a chain of five operations, in a loop whose exit test
    // reads the counter just incremented, and a rotated `while` loop whose
    // header (copied to the back branch) is a chain ending in its exit.
    let wat = r#"(module (memory 1)
      (func (param $n i32) (result i32) (local $i i32) (local $c i32)
        (loop $l
          (local.set $c (i32.xor (i32.load (i32.shl (i32.and (i32.xor (local.get $c)
            (i32.load8_u offset=1024 (local.get $i))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (block $out
          (loop $w
            (br_if $out (i32.eqz (i32.and (i32.add (local.get $i) (i32.const 3)) (i32.const 7))))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br $w)))
        ;; A value computed just before a loop header, read first thing in
        ;; the loop: the back branch arrives with another.
        (local.set $i (i32.add (local.get $n) (i32.const 1)))
        (loop $k
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br_if $k (local.get $i)))
        ;; The same, but the back branch leaves another slot in the
        ;; accumulator: the loop's first instruction reads its slot.
        (local.set $i (i32.add (local.get $n) (i32.const 1)))
        (loop $m
          (local.set $c (i32.add (local.get $i) (local.get $c)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (local.set $c (i32.xor (local.get $c) (i32.const 5)))
          (br_if $m (local.get $i)))
        ;; A `while` loop whose header is just its exit: the body starts by
        ;; reading what the exit tested, but the branch back (the inverted
        ;; exit, after the body) arrives with another slot in the
        ;; accumulator.
        (local.set $i (i32.add (local.get $n) (i32.const 5)))
        (block $o
          (loop $e
            (br_if $o (i32.eqz (local.get $i)))
            (local.set $c (i32.add (local.get $i) (local.get $c)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (local.set $c (i32.xor (local.get $c) (i32.const 3)))
            (br $e)))
        ;; A loop that starts with two stores (a pair whose parts both
        ;; leave the accumulator alone), then reads what entering the loop
        ;; left there; the branch back arrives with another slot.
        (local.set $i (i32.add (local.get $n) (i32.const 1)))
        (loop $s
          (i32.store (local.get $c) (local.get $n))
          (i32.store offset=4 (local.get $c) (local.get $n))
          (local.set $c (i32.add (local.get $i) (local.get $c)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (local.set $c (i32.and (local.get $c) (i32.const 60)))
          (br_if $s (local.get $i)))
        (local.get $c)))"#;
    let wasm = wat::parse_str(wat).unwrap();
    let translation = translate_module(&wasm, wasm_features()).unwrap();
    let options = TranslateOptions { consume_fuel: false, epoch_interruption: false, interpreted: &|_| true };
    let f = translate_function(&translation, DefinedFuncIndex::from_u32(0), &options).unwrap();
    let listing = op::disassemble(&f.code);
    let (variants, pass_throughs) = check(&f.code, "kernel");
    // and, shl, load from their predecessors; the loop's exit test; the
    // rotated header's and and its exit (in the header and in its copy).
    assert!(variants >= 7, "{variants} accumulator variants:\n{listing}");
    // crc32's chain: each pair's first result is read from the accumulator
    // only (then overwritten, or popped), so its twin leaves the slot alone.
    // Checking builds poison that slot (`BRISK_INTERP_POISON`), and CI runs
    // the spec suites on one.
    let twins = listing.lines().filter(|l| l.split_whitespace().nth(1).is_some_and(|n| n.contains("_D"))).count();
    assert!(twins >= 2, "{twins} twins:\n{listing}");
    // Its last xor reads the table's word, loaded just before `c >> 8`,
    // from the accumulator as it was before the shift (a pass-through
    // pair), not from its slot.
    assert_eq!(pass_throughs, 1, "{pass_throughs} pass-through pairs:\n{listing}");
    // With fuel and epoch checks in the code too.
    check_module(&wasm, "kernel");
}

/// The instructions the translator fuses from two operators (a shift into
/// the add that reads it, a constant minus a value, two copies, a
/// difference tested by a branch, a select of constants), the pairs of
/// instructions one handler runs and the single instructions that leave a
/// dead slot alone (twins) compute what their operators do, as the
/// optimizing tier does, at the edges (shift counts of 32 and more,
/// wrapping, overlapping copies, constants of every width).
#[test]
fn fused_instructions_compute_as_their_parts() {
    use brisk::{Config, Engine, Instance, Module, Store, Strategy};
    let wat = r#"(module
      (func (export "add_shl") (param i32 i32) (result i32)
        (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 3))))
      (func (export "add_shl_wide") (param i32 i32) (result i32)
        (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 35))))
      (func (export "shl_add") (param i32 i32) (result i32)
        (i32.add (i32.shl (local.get 1) (i32.const 2)) (local.get 0)))
      (func (export "rsub32") (param i32 i32) (result i32)
        (i32.add (i32.sub (i32.const 7) (local.get 0)) (i32.sub (i32.const -2147483648) (local.get 1))))
      (func (export "rsub64") (param i32 i32) (result i32)
        (i32.wrap_i64 (i64.xor
          (i64.sub (i64.const -5) (i64.extend_i32_s (local.get 0)))
          (i64.shr_u (i64.sub (i64.const 0x123456789) (i64.extend_i32_u (local.get 1))) (i64.const 7)))))
      (func (export "swap") (param i32 i32) (result i32) (local i32 i32)
        ;; copies that overlap: the second reads what the first wrote
        (local.set 3 (local.get 0))
        (local.set 2 (local.get 3))
        (local.set 0 (local.get 1))
        (local.set 1 (local.get 2))
        (i32.sub (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))
      (memory 1)
      ;; pairs: a load then an add reading the load's result and a slot
      ;; the load did not write, a store then a load of the bytes it wrote,
      ;; increments one after the other, an increment stored
      (func (export "pairs") (param i32 i32) (result i32) (local $t i32) (local $s i32)
        (i32.store (i32.const 8) (local.get 1))
        (local.set $t (i32.load (i32.const 8)))
        (i32.store (i32.const 5) (local.get 0))
        (local.set $s (i32.load (i32.const 8)))
        (local.set $t (i32.add (local.get $t) (i32.const 3)))
        (local.set $s (i32.add (local.get $s) (i32.const -7)))
        (i32.store offset=16 (i32.const 0) (i32.add (local.get $s) (i32.const 1)))
        (i32.add (i32.add (local.get $t) (local.get $s)) (i32.load offset=16 (i32.const 0))))
      ;; select of constants, one or both, of every width
      (func (export "select") (param i32 i32) (result i32)
        (i32.add (i32.add
          (select (i32.const -1) (local.get 1) (local.get 0))
          (select (local.get 0) (i32.const 7) (i32.lt_s (local.get 1) (i32.const 3))))
          (i32.add
            (i32.wrap_i64 (i64.shr_u (select (i64.const 0x1_0000_0005) (i64.const 9) (local.get 1)) (i64.const 1)))
            (i32.trunc_sat_f32_s (select (f32.const 2.5) (f32.const -1e30) (local.get 0))))))
      ;; a word loaded, then `c >> 8`, then their xor: the xor reads the
      ;; loaded word as the accumulator held it before the shift (a
      ;; pass-through pair)
      (func (export "pass") (param i32 i32) (result i32)
        (i32.store (i32.const 32) (i32.mul (local.get 1) (i32.const 0x9e3779b9)))
        (i32.xor (i32.load (i32.const 32)) (i32.shr_u (local.get 0) (i32.const 8))))
      ;; two increments, the second reading the first's result; a load
      ;; (at 8 or 12) whose result an add reads
      (func (export "incr") (param i32 i32) (result i32)
        (i32.add (i32.add (local.get 0) (i32.const 3)) (i32.const -9)))
      (func (export "load_add") (param i32 i32) (result i32)
        (i32.store offset=12 (i32.const 0) (local.get 0))
        (i32.add (local.get 1) (i32.load offset=8 (i32.and (local.get 0) (i32.const 4)))))
      ;; single instructions whose result only the next reads, from the
      ;; accumulator (twins that leave the slot alone), and one whose
      ;; result goes to a local, read again later
      (func (export "dead_single") (param i32 i32) (result i32) (local $s i64) (local $t i64)
        (i64.store (i32.const 40) (i64.extend_i32_s (local.get 1)))
        (local.set $s (i64.add (i64.extend_i32_u (local.get 0)) (i64.load8_u offset=40 (i32.and (local.get 1) (i32.const 7)))))
        (local.set $t (i64.load8_u offset=41 (i32.and (local.get 0) (i32.const 3))))
        (local.set $s (i64.add (local.get $s) (i64.mul (local.get $t) (i64.load8_u offset=42 (i32.const 0)))))
        (i32.wrap_i64 (i64.add (local.get $s) (local.get $t))))
      (func (export "differ") (param i32 i32) (result i32)
        (block (br_if 0 (i32.sub (local.get 0) (local.get 1))) (return (i32.const 1)))
        (block (br_if 0 (i32.xor (local.get 0) (i32.const 12))) (return (i32.const 2)))
        (if (result i32) (i32.sub (local.get 1) (i32.const -3)) (then (i32.const 3)) (else (i32.const 4)))))"#;
    let inputs = [0, 1, -1, 3, 12, -3, 0x7fff_ffff, i32::MIN, 0x1234_5678, 0x0400_0001];
    let run = |strategy| {
        let engine = Engine::new(Config::new().strategy(strategy)).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let mut out = Vec::new();
        for name in ["add_shl", "add_shl_wide", "shl_add", "rsub32", "rsub64", "swap", "pairs", "select", "pass", "incr", "load_add", "dead_single", "differ"] {
            let f = instance.get_typed_func::<(i32, i32), i32>(&mut store, name).unwrap();
            for a in inputs {
                for b in inputs {
                    out.push((name, a, b, f.call(&mut store, (a, b)).unwrap()));
                }
            }
        }
        out
    };
    let interpreted = run(Strategy::Interpreter);
    assert_eq!(interpreted, run(Strategy::Optimized));
    // And the fusions happened.
    let wasm = wat::parse_str(wat).unwrap();
    let translation = translate_module(&wasm, wasm_features()).unwrap();
    let options = TranslateOptions { consume_fuel: false, epoch_interruption: false, interpreted: &|_| true };
    let listing: String = (0..translation.function_bodies.len())
        .map(|i| op::disassemble(&translate_function(&translation, DefinedFuncIndex::from_u32(i as u32), &options).unwrap().code))
        .collect();
    for fused in ["I32_ADD_SHL", "I32_RSUB_I", "I64_RSUB_I", "COPY_PAIR", "BR_I32_NE ",     "P_ADD_I_ADD_I_A", "P_CONST_LOAD_A", "P_LOAD_ADD", "SELECT_AI", "SELECT_BI", "SELECT_II", "XOR_A3_P2", "I64_LOAD8_U_D@"] {
        assert!(listing.contains(fused), "no {fused} in\n{listing}");
    }
}

/// A new frame zeroes only the locals that may be read before the function
/// writes them (a first access that is a write before any control flow
/// needs no zeroing); every other local must still read as zero, whatever
/// an earlier frame left in its slot.
#[test]
fn locals_read_before_written_are_zero() {
    use brisk::{Config, Engine, Instance, Module, Store, Strategy};
    let wat = r#"(module
      ;; Fills the slots the next frame will use with nonzero values.
      (func $dirty (param i32) (result i32) (local i32 i32 i32 i32 i32 i32 i32 i32 i32)
        (local.set 1 (i32.const -1)) (local.set 2 (i32.const -1)) (local.set 3 (i32.const -1))
        (local.set 4 (i32.const -1)) (local.set 5 (i32.const -1)) (local.set 6 (i32.const -1))
        (local.set 7 (i32.const -1)) (local.set 8 (i32.const -1)) (local.set 9 (i32.const -1))
        (i32.add (local.get 0) (i32.add (local.get 1) (i32.add (local.get 5) (local.get 8)))))
      ;; $a: written first, before any control flow (no zeroing needed);
      ;; $b: written after a branch that may skip it; $c: read in a loop
      ;; before the loop writes it; $d: written inside an `if`; $e: never
      ;; written; $f: read first, then written; $n: written after a block,
      ;; on every path; $g: written in both arms of an `if` (neither needs
      ;; zeroing).
      (func $f (param $p i32) (result i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $f i32) (local $n i32) (local $g i32)
        (local.set $a (i32.const 1))
        (block (br_if 0 (local.get $p)) (local.set $b (i32.const 10)))
        (local.set $n (i32.const 3))
        (loop
          (local.set $f (i32.add (local.get $f) (local.get $c)))
          (local.set $c (i32.const 100))
          (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (if (i32.eqz (local.get $p)) (then (local.set $d (i32.const 1000))))
        (if (local.get $p) (then (local.set $g (i32.const 0))) (else (local.set $g (i32.const 10000))))
        (i32.add (i32.add (i32.add (local.get $a) (local.get $b)) (i32.add (local.get $d) (local.get $e)))
          (i32.add (local.get $f) (local.get $g))))
      (func (export "run") (param i32) (result i32)
        (drop (call $dirty (i32.const 7)))
        (call $f (local.get 0))))"#;
    let engine = Engine::new(Config::new().strategy(Strategy::Interpreter)).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    // $f sums 0 + 100 + 100 over the loop's three runs.
    assert_eq!(run.call(&mut store, 0).unwrap(), 1 + 10 + 1000 + 200 + 10000);
    assert_eq!(run.call(&mut store, 1).unwrap(), 1 + 200);
    // And only what needs it is zeroed: $a is not (the first declared).
    let wasm = wat::parse_str(wat).unwrap();
    let translation = translate_module(&wasm, wasm_features()).unwrap();
    let options = TranslateOptions { consume_fuel: false, epoch_interruption: false, interpreted: &|_| true };
    let f = translate_function(&translation, DefinedFuncIndex::from_u32(1), &options).unwrap();
    assert_eq!((f.zero_start, f.zero_end), (2, 7), "locals 2..7 ($b to $f) may be read before written");
    let dirty = translate_function(&translation, DefinedFuncIndex::from_u32(0), &options).unwrap();
    assert!(dirty.zero_start >= dirty.zero_end, "$dirty writes every local first");
}
