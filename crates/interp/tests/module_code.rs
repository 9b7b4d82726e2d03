//! A module's bytecode is one blob ([`ModuleCode`]) that each function's
//! code is translated into, appended in place: the code does not depend on
//! where in the blob it starts, a translation given up midway
//! ([`BodyTranslator::abandon`]) leaves the blob as it was, and the blobs
//! of two threads join ([`ModuleCode::merge`]) with every record pointing
//! at its own function's code.

use brisk_environ::{DefinedFuncIndex, ModuleTranslation, OperatorSink, translate_module, wasm_features};
use brisk_interp::{BodyTranslator, ModuleCode, Scratch, TranslateOptions, translate_function};

const WAT: &str = r#"(module
  (func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (param i32) (result i32)
    (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (br_if $l (i32.lt_u (local.get 1) (i32.const 100))))
    (local.get 1))
  (func (param i32 i32) (result i32)
    (block $b (br_if $b (local.get 1)) (return (i32.const 7)))
    (i32.sub (local.get 0) (local.get 1))))"#;

fn options() -> TranslateOptions<'static> {
    TranslateOptions { consume_fuel: false, epoch_interruption: false, interpreted: &|_| true }
}

/// Translates function `def` into `code`, or only its first `stop_after`
/// operators and then abandons it.
fn translate_into(translation: &ModuleTranslation<'_>, def: u32, scratch: &mut Scratch, code: &mut ModuleCode, stop_after: Option<usize>) {
    let def = DefinedFuncIndex::from_u32(def);
    let body = &translation.function_bodies[def].body;
    let options = options();
    let mut t = BodyTranslator::new(&translation.module, def, body, &options, scratch, code).unwrap();
    let mut ops = body.get_operators_reader().unwrap();
    let mut n = 0;
    while !ops.eof() {
        if stop_after == Some(n) {
            (*code, *scratch) = t.abandon();
            return;
        }
        let (op, offset) = ops.read_with_offset().unwrap();
        t.operator(&op, offset as usize).unwrap();
        n += 1;
    }
    let (result, c, s) = t.finish();
    result.unwrap();
    (*code, *scratch) = (c, s);
}

/// Each function's code on its own, as `translate_function` gives it.
fn alone(translation: &ModuleTranslation<'_>, def: u32) -> Vec<u32> {
    translate_function(translation, DefinedFuncIndex::from_u32(def), &options()).unwrap().code
}

/// Where defined function `def`'s code starts in `code`.
fn start(code: &ModuleCode, def: u32) -> usize {
    code.record(DefinedFuncIndex::from_u32(def)).expect("a record").code as usize
}

#[test]
fn abandoned_translation_leaves_the_blob_as_it_was() {
    let wasm = wat::parse_str(WAT).unwrap();
    let translation = translate_module(&wasm, wasm_features()).unwrap();
    let (mut scratch, mut code) = (Scratch::default(), ModuleCode::new(&translation.module));
    translate_into(&translation, 0, &mut scratch, &mut code, None);
    let after_first = code.len_words();
    translate_into(&translation, 1, &mut scratch, &mut code, Some(4));
    assert_eq!(code.len_words(), after_first, "the abandoned function's code was taken back");
    assert!(code.record(DefinedFuncIndex::from_u32(1)).is_none(), "no record for it");
    translate_into(&translation, 2, &mut scratch, &mut code, None);
    // A function's code opens with a `zero` instruction, which its record
    // skips when it has nothing to zero.
    let zero = brisk_interp::op::len(brisk_interp::op::ZERO).unwrap();
    let (first, next) = (start(&code, 0), start(&code, 2));
    assert_eq!(next, after_first + zero, "the next function starts where the abandoned one did");
    let words = code.into_words();
    assert_eq!(words[first..after_first], alone(&translation, 0)[..], "function 0's code, as translated alone");
    assert_eq!(words[next..], alone(&translation, 2)[..], "function 2's code, as translated alone, elsewhere");
}

#[test]
fn blobs_of_two_threads_join() {
    let wasm = wat::parse_str(WAT).unwrap();
    let translation = translate_module(&wasm, wasm_features()).unwrap();
    let module = &translation.module;
    let (mut scratch, mut a, mut b) = (Scratch::default(), ModuleCode::new(module), ModuleCode::new(module));
    translate_into(&translation, 0, &mut scratch, &mut a, None);
    translate_into(&translation, 2, &mut scratch, &mut a, None);
    translate_into(&translation, 1, &mut scratch, &mut b, None);
    a.merge(&b).unwrap();
    let other_wasm = wat::parse_str("(module (func))").unwrap();
    let other_module = translate_module(&other_wasm, wasm_features()).unwrap();
    assert!(a.merge(&ModuleCode::new(&other_module.module)).is_err(), "a blob of another module");
    let starts: Vec<usize> = (0..3).map(|def| start(&a, def)).collect();
    let words = a.into_words();
    for (def, start) in starts.into_iter().enumerate() {
        let f = alone(&translation, def as u32);
        assert_eq!(words[start..start + f.len()], f[..], "function {def}'s code after the join");
    }
}
