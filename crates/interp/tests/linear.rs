//! Translation is linear in every feature separately: on inputs built to
//! make a naive translator quadratic (deep nesting, many locals, locals read
//! lazily and then written, long operand stacks across blocks and calls,
//! wide `br_table`s, long `br_if` chains), the translator's work per
//! operator ([`FuncCode::work`]) does not grow with the input's size.
//! (Work is counted, not timed: the count is exact and repeatable.)

use brisk_environ::{DefinedFuncIndex, translate_module, wasm_features};
use brisk_interp::{FuncCode, TranslateOptions, translate_function};

/// Translates the module's first defined function.
fn translate(wat: &str) -> (FuncCode, u64) {
    let wasm = wat::parse_str(wat).unwrap();
    let translation = translate_module(&wasm, wasm_features()).unwrap();
    let options = TranslateOptions { consume_fuel: true, epoch_interruption: true, interpreted: &|_| true };
    let def = DefinedFuncIndex::from_u32(0);
    let ops = u64::from(translation.function_bodies[def].features.body_bytes);
    (translate_function(&translation, def, &options).unwrap(), ops)
}

/// A family of inputs: its name, and a function of size about `n`.
type Family = (&'static str, fn(usize) -> String);

fn families() -> Vec<Family> {
    vec![
        ("nested blocks", |n| format!("(func {} {})", "(block".repeat(n), ")".repeat(n))),
        ("nested loops", |n| format!("(func {} {})", "(loop".repeat(n), ")".repeat(n))),
        ("nested ifs", |n| format!("(func (param i32) {} {})", "(if (local.get 0) (then".repeat(n), "))".repeat(n))),
        ("lazy locals across blocks", |n| {
            format!(
                "(func (param i32) {} {} {})",
                "(local.get 0)".repeat(n),
                "(block (nop))".repeat(n),
                "(drop)".repeat(n)
            )
        }),
        ("lazy locals then writes", |n| {
            format!(
                "(func (param i32 i32) {} {} {})",
                "(local.get 1)".repeat(n),
                "(local.set 1 (i32.const 7)) (local.set 0 (local.get 1))".repeat(n),
                "(drop)".repeat(n)
            )
        }),
        ("many locals, many blocks", |n| {
            format!(
                "(func (local {}) {})",
                "i64 ".repeat(n),
                "(block (local.set 1 (i64.add (local.get 2) (local.get 3))))".repeat(n)
            )
        }),
        ("deep stack across branches", |n| {
            format!(
                "(func (param i32) (result i32) {} {} {})",
                "(i32.const 1)".repeat(n),
                "(drop (block (result i32) (br_if 0 (i32.const 5) (local.get 0)) (drop) (i32.const 6)))".repeat(n),
                "(i32.add)".repeat(n - 1)
            )
        }),
        ("deep stack across calls", |n| {
            format!(
                "(func $f (param i32) (result i32) {} {} {}) (func $g (param i32) (result i32) (local.get 0))",
                "(local.get 0)".repeat(n),
                "(drop (call $g (local.get 0)))".repeat(n),
                "(i32.add)".repeat(n - 1)
            )
        }),
        ("wide br_table", |n| {
            let targets: String = (0..n).map(|i| format!("{} ", i % 3)).collect();
            format!(
                "(func (param i32) (result i32) (block (result i32) (block (result i32) (block (result i32) (i32.const 9) (local.get 0) (br_table {targets} 0)))))"
            )
        }),
        ("long br_if chains", |n| {
            format!("(func (param i32) (block {}))", "(br_if 0 (local.get 0))".repeat(n))
        }),
    ]
}

#[test]
fn work_per_byte_does_not_grow() {
    for (name, build) in families() {
        let per_op = |n: usize| {
            let (code, ops) = translate(&format!("(module {})", build(n)));
            assert!(ops as usize >= n, "{name}: {ops} bytes for n = {n}");
            code.work as f64 / ops as f64
        };
        let (small, large) = (per_op(500), per_op(8000));
        assert!(small <= 4.0, "{name}: {small:.2} steps per byte");
        assert!(large <= small * 1.1 + 0.05, "{name}: {small:.3} steps per byte at 500, {large:.3} at 8000");
    }
}

#[test]
fn code_size_is_linear() {
    for (name, build) in families() {
        let words = |n: usize| {
            let (code, ops) = translate(&format!("(module {})", build(n)));
            code.code.len() as f64 / ops as f64
        };
        let (small, large) = (words(500), words(8000));
        assert!(large <= small * 1.1 + 0.05, "{name}: {small:.3} words per byte at 500, {large:.3} at 8000");
    }
}

/// The code is whole instructions: every opcode is known and the
/// instructions' lengths ([`brisk_interp::op::instruction_len`]) add up to
/// the code's.
fn well_formed(code: &[u32]) -> bool {
    let mut at = 0;
    while at < code.len() {
        let Some(len) = brisk_interp::op::instruction_len(code, at) else { return false };
        at += len;
    }
    at == code.len()
}

#[test]
fn code_is_whole_instructions() {
    for (name, build) in families() {
        let (code, _) = translate(&format!("(module {})", build(100)));
        assert!(well_formed(&code.code), "{name}");
    }
}
