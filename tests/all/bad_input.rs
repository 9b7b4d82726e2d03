//! Malformed and invalid input: `Module::new` returns an error carrying a
//! `WasmError` (with its byte offset) and never panics.

use crate::util::XorShift;
use brisk::{Engine, Instance, Module, Store, WasmError};

const WITH_IMPORTS: &str = r#"
(module $full
  (type $binop (func (param i32 i32) (result i32)))
  (type $void (func))
  (import "env" "log" (func $log (param i32)))
  (import "env" "g" (global $imported_g i32))
  (import "env" "mem" (memory 1 2))
  (table $t 4 8 funcref)
  (global $counter (mut i32) (i32.const 0))
  (global $k i64 (i64.const 0x1234_5678_9abc))
  (global $f f64 (f64.const 2.5))
  (data (i32.const 16) "hello, brisk")
  (data (global.get $imported_g) "\01\02\03")
  (elem (i32.const 0) $add $sub)
  (elem (i32.const 2) func $max)
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $max (type $binop)
    (if (result i32) (i32.gt_s (local.get 0) (local.get 1))
      (then (local.get 0))
      (else (local.get 1))))
  (func $sum (export "sum") (param $n i32) (result i64)
    (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func $dispatch (export "dispatch") (param i32 i32 i32) (result i32)
    (call $log (local.get 0))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (call_indirect (type $binop) (local.get 1) (local.get 2) (local.get 0)))
  (func $switch (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func $mem (export "mem") (param i32) (result i32)
    (i32.store8 (local.get 0) (i32.const 7))
    (i32.add (i32.load8_u (local.get 0)) (i32.load16_s offset=2 (local.get 0))))
  (func $floats (export "floats") (param f32 f64) (result f64)
    (f64.add (f64.promote_f32 (f32.sqrt (local.get 0)))
             (f64.mul (local.get 1) (global.get $f))))
  (func $start_like (type $void) (nop))
  (export "table" (table $t))
  (export "counter" (global $counter)))
"#;

const NO_IMPORTS: &str = r#"
(module
  (memory (export "memory") 1)
  (table 2 funcref)
  (global $g (mut i64) (i64.const 5))
  (data (i32.const 0) "\ff\00\ff\00abcdefgh")
  (elem (i32.const 0) $fib $id)
  (func $id (param i32) (result i32) (local.get 0))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "glob") (result i64)
    (global.set $g (i64.mul (global.get $g) (i64.const 3)))
    (global.get $g))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 1) (local.get 0)))
  (func (export "select") (param i32 i64 i64) (result i64)
    (select (local.get 1) (local.get 2) (local.get 0))))
"#;

const SMALL: &str = r#"
(module
  (func (export "f") (param i32) (result i32)
    (local i64 f32)
    (block (result i32)
      (loop (result i32)
        (local.get 0)
        (br_if 1 (i32.eqz (local.get 0)))
        (local.set 0 (i32.shr_u (local.get 0) (i32.const 1)))
        (br 0)))))
"#;

fn base_modules() -> Vec<Vec<u8>> {
    [WITH_IMPORTS, NO_IMPORTS, SMALL].iter().map(|w| wat::parse_str(w).expect("base module parses")).collect()
}

/// Does a module's binary have a start section? Only called on modules
/// that compiled, so the section headers are well formed.
fn has_start_section(wasm: &[u8]) -> bool {
    fn leb(bytes: &[u8], pos: &mut usize) -> Option<u64> {
        let mut result = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*pos)?;
            *pos += 1;
            result |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(result);
            }
        }
        None
    }
    let mut pos = 8;
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let Some(size) = leb(wasm, &mut pos) else { return true };
        if id == 8 {
            return true;
        }
        pos = pos.saturating_add(size as usize);
    }
    false
}

#[derive(Default)]
struct Tally {
    ok: usize,
    err: usize,
    instantiated: usize,
}

/// Compiles `bytes`: an error must carry a `WasmError`; a module without
/// imports or a start function (which could loop forever) is instantiated
/// in a fresh store, whatever the outcome.
fn check(engine: &Engine, bytes: &[u8], what: &dyn Fn() -> String, tally: &mut Tally) {
    match Module::new(engine, bytes) {
        Ok(module) => {
            tally.ok += 1;
            if module.imports().len() == 0 && !has_start_section(bytes) {
                let mut store = Store::new(engine, ());
                if Instance::new(&mut store, &module, &[]).is_ok() {
                    tally.instantiated += 1;
                }
            }
        }
        Err(e) => {
            tally.err += 1;
            let Some(wasm_error) = e.downcast_ref::<WasmError>() else {
                panic!("{}: error without a WasmError: {e:?}", what());
            };
            assert!(wasm_error.offset() <= bytes.len() as u64 + 16, "{}: offset past the end: {wasm_error}", what());
            assert!(!wasm_error.message().is_empty(), "{}", what());
        }
    }
}

#[test]
fn truncated_modules() {
    let engine = Engine::default();
    let mut tally = Tally::default();
    for (m, wasm) in base_modules().iter().enumerate() {
        for len in 0..wasm.len() {
            check(&engine, &wasm[..len], &|| format!("module {m} truncated to {len} bytes"), &mut tally);
        }
        // The whole module is valid.
        assert!(Module::new(&engine, wasm).is_ok());
    }
    // Most prefixes are malformed; those ending at a section boundary
    // before the function section are valid modules.
    println!("truncations: {} ok ({} instantiated), {} errors", tally.ok, tally.instantiated, tally.err);
    assert!(tally.ok < 50, "{} prefixes compiled", tally.ok);
    assert!(tally.err > 500, "{}", tally.err);
}

#[test]
fn bit_flips() {
    let engine = Engine::default();
    let mut tally = Tally::default();
    for (m, wasm) in base_modules().iter().enumerate() {
        for byte in 0..wasm.len().min(200) {
            for bit in 0..8 {
                let mut mutated = wasm.clone();
                mutated[byte] ^= 1 << bit;
                check(&engine, &mutated, &|| format!("module {m}, byte {byte} bit {bit} flipped"), &mut tally);
            }
        }
    }
    println!("bit flips: {} ok ({} instantiated), {} errors", tally.ok, tally.instantiated, tally.err);
    assert!(tally.err > 1000);
}

#[test]
fn random_mutations() {
    let engine = Engine::default();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    let bases = base_modules();
    for i in 0..2_000 {
        let m = rng.index(bases.len());
        let mut wasm = bases[m].clone();
        let edits = 1 + rng.index(4);
        for _ in 0..edits {
            let pos = rng.index(wasm.len());
            match rng.index(5) {
                // Overwrite a byte.
                0 | 1 => wasm[pos] = rng.byte(),
                // Set a byte to an interesting value.
                2 => wasm[pos] = [0x00, 0x7f, 0x80, 0xff, 0x01, 0x40][rng.index(6)],
                // Insert a byte.
                3 => wasm.insert(pos, rng.byte()),
                // Delete a byte.
                _ => {
                    if wasm.len() > 9 {
                        wasm.remove(pos);
                    }
                }
            }
        }
        check(&engine, &wasm, &|| format!("mutation {i} of module {m}: {wasm:02x?}"), &mut tally);
    }
    println!("mutations: {} ok ({} instantiated), {} errors", tally.ok, tally.instantiated, tally.err);
    assert!(tally.err > 500);
}

#[test]
fn random_bytes() {
    let engine = Engine::default();
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut tally = Tally::default();
    for i in 0..2_000 {
        let len = rng.index(300);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        match i % 3 {
            // A valid header followed by garbage.
            0 => {
                let mut b = b"\0asm\x01\0\0\0".to_vec();
                b.append(&mut bytes);
                bytes = b;
            }
            // A header followed by section-like garbage: small ids and sizes.
            1 => {
                let mut b = b"\0asm\x01\0\0\0".to_vec();
                for chunk in bytes.chunks(8) {
                    b.push(rng.index(13) as u8);
                    b.push(chunk.len() as u8);
                    b.extend_from_slice(chunk);
                }
                bytes = b;
            }
            _ => {}
        }
        check(&engine, &bytes, &|| format!("random input {i}: {bytes:02x?}"), &mut tally);
    }
    println!("random: {} ok, {} errors", tally.ok, tally.err);
    assert!(tally.err > 1_900);
}

#[test]
fn text_errors() {
    let engine = Engine::default();
    // Well-formed but invalid: `i32.add` with an empty stack.
    let err = Module::new(&engine, "(module (func (result i32) (i32.add)))").unwrap_err();
    let wasm_error = err.downcast_ref::<WasmError>().unwrap_or_else(|| panic!("{err:?}"));
    assert!(matches!(wasm_error, WasmError::Invalid { .. }), "{wasm_error:?}");
    assert!(wasm_error.offset() > 0, "{wasm_error:?}");
    assert!(Module::validate(&engine, b"(module (func (result i32) (i32.add)))").is_err());

    // Malformed text.
    let text = "(module (func";
    let err = Module::new(&engine, text).unwrap_err();
    let wasm_error = err.downcast_ref::<WasmError>().unwrap_or_else(|| panic!("{err:?}"));
    assert_ne!(wasm_error.offset(), 0, "{wasm_error:?}");
    assert!(wasm_error.offset() <= text.len() as u64, "{wasm_error:?}");

    // An error on a later line points at that line.
    let text = "(module\n  (func\n    (i32.const 1)\n    (i33.add)))";
    let err = Module::new(&engine, text).unwrap_err();
    let wasm_error = err.downcast_ref::<WasmError>().unwrap_or_else(|| panic!("{err:?}"));
    let at = text.find("i33").unwrap() as u64;
    assert_eq!(wasm_error.offset(), at, "{wasm_error:?}");

    // A bad binary header.
    let err = Module::new(&engine, b"\0asm\x02\0\0\0").unwrap_err();
    assert!(err.downcast_ref::<WasmError>().is_some(), "{err:?}");
    let err = Module::new(&engine, b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00").unwrap_err();
    let wasm_error = err.downcast_ref::<WasmError>().unwrap_or_else(|| panic!("{err:?}"));
    assert!(wasm_error.offset() >= 8, "{wasm_error:?}");
}
