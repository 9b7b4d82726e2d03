//! Brisk's validation pass takes shortcuts around wasmparser's validator
//! (`br_table` targets checked once per label type, dead operators never
//! built): it must accept and reject exactly the modules wasmparser's own
//! validator does, on every tier that translates in that pass.

use crate::util::XorShift;
use brisk::{Config, Engine, Module, Strategy};

/// Functions whose `br_table`s exercise what the shortcut decides and
/// what it leaves to the validator: labels of equal and of different
/// types, loop labels (their parameters), the function's own label,
/// operands of unknown type in unreachable code, operands below the
/// current frame, and dead code around them.
const BR_TABLES: &str = r#"
(module
  (type $ii (func (param i32) (result i32)))
  (type $i_f (func (param i32) (result f32)))
  (type $pair (func (result i32 i64)))
  (func (export "same") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (block $c (result i32)
          (br_table $a $b $c $b $a (i32.const 7) (local.get 0)))
        (drop) (i32.const 1))
      (drop) (i32.const 2)))
  (func (export "mixed_kinds") (param i32) (result i32)
    (block $a (result i32)
      (local.get 0)
      (block $b (type $ii)
        (block $c (result i32)
          (br_table $a $b $c 0 1 2 (i32.const 9) (local.get 0)))
        (i32.add))
      (i32.const 3) (i32.add)))
  (func (export "to_function") (param i32) (result i32)
    (block $a (result i32)
      (br_table $a 1 $a 1 (i32.const 4) (local.get 0))))
  (func (export "loop_params") (param i32) (result i32)
    (local i32)
    (i32.const 5)
    (loop $top (param i32) (result i32)
      (local.set 1)
      (block $out
        (br_table $out $out (local.get 0)))
      (local.get 1)
      (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
      (br_table $top $top 1 (local.get 0))))
  (func (export "pairs") (param i32) (result i32 i64)
    (block $a (type $pair)
      (block $b (type $pair)
        (br_table $a $b $a (i32.const 1) (i64.const 2) (local.get 0)))
      (return))
    (return))
  (func (export "dead") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result f32)
        (unreachable)
        (br_table $a $a (i32.const 1) (local.get 0))
        (i32.add) (i64.const 1) (drop) (br_table $b $b)
        (block $e (result f32) (br_table $e 1 $e (f32.const 0) (local.get 0))) (drop)
        (f32.const 1))
      (drop)
      (i32.const 2)))
  (func (export "polymorphic") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result f32)
        (unreachable)
        (br_table $a $b $a (local.get 0)))
      (drop) (i32.const 6)))
)
"#;

/// Invalid `br_table`s: the validator must reject each (its own check
/// reports why), whatever the shortcut would say.
const INVALID: &[&str] = &[
    // Labels of one arity but different types.
    "(func (param i32) (result i32) (block $a (result i32) (block $b (result f32) (br_table $a $b (i32.const 1) (local.get 0))) (drop) (i32.const 0)))",
    // Labels of different arities.
    "(func (param i32) (result i32) (block $a (result i32) (block $b (br_table $a $b (i32.const 1) (local.get 0))) (i32.const 0)))",
    // An index that is not an i32.
    "(func (param i64) (block $a (br_table $a $a (local.get 0))))",
    // A label that does not exist.
    "(func (param i32) (block $a (br_table $a 2 (local.get 0))))",
    // A value below the current block.
    "(func (param i32) (result i32) (i32.const 1) (block $a (result i32) (br_table $a 1 (local.get 0))))",
    // The loop label takes its parameter, not its result.
    "(func (param i32) (result i32) (i32.const 1) (loop $l (param i32) (result i32) (br_table $l 1 (f32.const 1) (local.get 0))))",
    // The function label's two results.
    "(func (param i32) (result i32 i64) (block $a (result i32 i64) (br_table $a 1 (i64.const 1) (i32.const 2) (local.get 0))) )",
];

fn engines() -> Vec<Engine> {
    [Strategy::Interpreter, Strategy::Baseline, Strategy::Optimized]
        .into_iter()
        .map(|s| Engine::new(Config::new().strategy(s).parallel_compilation(false)).unwrap())
        .collect()
}

fn wasmparser_accepts(wasm: &[u8]) -> bool {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2).validate_all(wasm).is_ok()
}

fn agree(engines: &[Engine], wasm: &[u8], what: &dyn Fn() -> String) -> bool {
    let expected = wasmparser_accepts(wasm);
    for engine in engines {
        let ours = Module::new(engine, wasm);
        assert_eq!(ours.is_ok(), expected, "{}: wasmparser says {expected}, Brisk {:?}", what(), ours.err());
    }
    expected
}

#[test]
fn br_tables_validate_as_wasmparser_does() {
    let engines = engines();
    let wasm = wat::parse_str(BR_TABLES).unwrap();
    assert!(agree(&engines, &wasm, &|| "the br_table module".into()));
    for (i, text) in INVALID.iter().enumerate() {
        let wasm = wat::parse_str(format!("(module {text})")).unwrap();
        assert!(!agree(&engines, &wasm, &|| format!("invalid case {i}")));
    }
    // Mutations of the valid module: every byte of the code section
    // changed in turn, so labels, types, depths and counts of the
    // br_tables all change.
    let mut rng = XorShift(0x5eed_b7ab_1e00_0001);
    let (mut valid, mut invalid) = (0, 0);
    for at in 0..wasm.len() {
        for _ in 0..4 {
            let mut mutated = wasm.clone();
            mutated[at] = rng.below(256) as u8;
            if agree(&engines, &mutated, &|| format!("byte {at} set to {:#04x}", mutated[at])) {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
    }
    println!("mutations: {valid} valid, {invalid} invalid");
    assert!(valid > 100 && invalid > 100, "{valid} valid, {invalid} invalid");
}

#[test]
fn smith_modules_validate_as_wasmparser_does() {
    // Fuzzer-shaped modules: deep nests, wide br_tables, mostly dead code.
    let engines = engines();
    for m in brisk_corpus::corpus(12) {
        assert!(agree(&engines, &m.wasm, &|| m.name.clone()), "{}", m.name);
    }
}

/// With parallel compilation, a module with enough code
/// (`brisk_environ::PARALLEL_CODE_BYTES`) is validated on several threads
/// once its last body is read: it must fail with the same error as on one
/// thread (the first failing body by index, as wasmparser reports; also
/// when the module is cut short after it, which one thread reports as the
/// body's error too), and compile to the same results when valid.
#[test]
fn parallel_validation_reports_what_one_thread_does() {
    const FUNCS: usize = 3000;
    // About 120 bytes of code per function: 350 KiB in all.
    let module = |bad: &[usize]| {
        let mut text = String::from("(module\n");
        for f in 0..FUNCS {
            let operand = if bad.contains(&f) { "(i64.const 1)" } else { "(i32.const 1)" };
            text.push_str(&format!("(func (export \"f{f}\") (param i32) (result i32) (local.get 0)"));
            for k in 0..24 {
                text.push_str(&format!(" (i32.const {k}) (i32.add)"));
            }
            text.push_str(&format!(" {operand} (i32.add))\n"));
        }
        text.push(')');
        wat::parse_str(text).unwrap()
    };
    let compile = |strategy: Strategy, parallel: bool, wasm: &[u8]| {
        let engine = Engine::new(Config::new().strategy(strategy).parallel_compilation(parallel)).unwrap();
        Module::new(&engine, wasm).map_err(|e| format!("{e:#}"))
    };
    let valid = module(&[]);
    assert!(valid.len() > brisk_environ::PARALLEL_CODE_BYTES);
    let cut = {
        let mut m = module(&[1500]);
        m.truncate(m.len() - 40);
        m
    };
    let cases = [("body 2500 invalid", module(&[2500])), ("bodies 700 and 2500 invalid", module(&[700, 2500])), ("body 1500 invalid, module cut short", cut)];
    for strategy in [Strategy::Interpreter, Strategy::Baseline, Strategy::Optimized, Strategy::Auto] {
        for (what, wasm) in &cases {
            let one = compile(strategy, false, wasm).expect_err(what);
            let many = compile(strategy, true, wasm).expect_err(what);
            assert_eq!(many, one, "{what}, {strategy:?}");
            assert!(one.contains("type mismatch"), "{what}: {one}");
            let validated = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2).validate_all(wasm);
            let Err(expected) = validated else { panic!("{what}: wasmparser accepts it") };
            if !what.contains("cut short") {
                assert!(one.contains(expected.message()), "{what}: {one} against wasmparser's {expected}");
            }
        }
        let module = compile(strategy, true, &valid).unwrap();
        let mut store = brisk::Store::new(module.engine(), ());
        let instance = brisk::Instance::new(&mut store, &module, &[]).unwrap();
        for f in [0, 1499, 2999] {
            let func = instance.get_typed_func::<i32, i32>(&mut store, &format!("f{f}")).unwrap();
            assert_eq!(func.call(&mut store, 10).unwrap(), 10 + (0..24).sum::<i32>() + 1, "{strategy:?} f{f}");
        }
    }
}
