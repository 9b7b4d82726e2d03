//! Brisk's validation pass has a validator of its own for WebAssembly 2.0
//! (`brisk_environ`'s validate.rs, falling back to wasmparser's for what
//! it does not accept) and takes shortcuts (`br_table` targets checked
//! once per label type, dead operators never built): it must accept and
//! reject exactly the modules wasmparser's own validator does, on every
//! tier that translates in that pass.

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
    let before = brisk_environ::own_validator_rejections();
    for m in brisk_corpus::corpus(12) {
        assert!(agree(&engines, &m.wasm, &|| m.name.clone()), "{}", m.name);
    }
    // Brisk's validator accepted every body itself (one thread: these
    // engines do not validate in parallel).
    assert_eq!(brisk_environ::own_validator_rejections(), before);
}

/// Random changes to the bytes of smith modules' code sections: operators
/// turned into others (whose operand types then mostly do not fit), block
/// types, indices, lanes, alignments and counts changed. Brisk's verdict
/// must be wasmparser's for each.
#[test]
fn mutated_smith_modules_validate_as_wasmparser_does() {
    let engines: Vec<Engine> = engines().into_iter().take(2).collect();
    let mut rng = XorShift(0x5eed_b7ab_1e00_0002);
    let (mut valid, mut invalid) = (0, 0);
    for m in brisk_corpus::corpus(12) {
        let code = wasmparser::Parser::new(0)
            .parse_all(&m.wasm)
            .find_map(|p| match p {
                Ok(wasmparser::Payload::CodeSectionStart { unchecked_range, .. }) => Some(unchecked_range),
                _ => None,
            })
            .unwrap();
        for _ in 0..150 {
            let mut mutated = m.wasm.clone();
            // One to three bytes of the code section.
            for _ in 0..1 + rng.below(3) {
                let at = (code.start + rng.below(code.end - code.start)) as usize;
                mutated[at] = rng.below(256) as u8;
            }
            if agree(&engines, &mutated, &|| format!("a mutation of {}", m.name)) {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
    }
    println!("mutations: {valid} valid, {invalid} invalid");
    assert!(valid > 100 && invalid > 100, "{valid} valid, {invalid} invalid");
}

/// Every operator of WebAssembly 2.0 on operands of every type: for each
/// operator (with valid immediates, and some invalid ones), a function
/// that pushes up to three operands of each combination of types, applies
/// it and ends in `unreachable` (so only its operands matter); where that
/// is valid, functions that store what it leaves in a local of each type
/// inside a block without results (so its results must be exactly that).
/// Brisk's verdict must be wasmparser's for each, and its own validator
/// must accept every valid one itself.
#[test]
fn every_operator_types_as_wasmparser_says() {
    let engine = Engine::new(Config::new().strategy(Strategy::Interpreter).parallel_compilation(false)).unwrap();
    let types = ["i32", "i64", "f32", "f64", "v128", "funcref", "externref"];
    let value = |t: &str| match t {
        "v128" => "(v128.const i64x2 0 0)".to_string(),
        "funcref" | "externref" => format!("(ref.null {})", &t[..t.len() - 3]),
        t => format!("({t}.const 0)"),
    };
    // Operand stacks: none, one or two of any type, three of the types
    // that three-operand operators take.
    let mut stacks: Vec<Vec<&str>> = vec![vec![]];
    for a in types {
        stacks.push(vec![a]);
        for b in types {
            stacks.push(vec![a, b]);
        }
    }
    for a in ["i32", "i64", "v128", "funcref"] {
        for b in ["i32", "i64", "v128", "funcref"] {
            for c in ["i32", "i64", "v128", "funcref"] {
                stacks.push(vec![a, b, c]);
            }
        }
    }
    let module = |body: &str| {
        format!(
            "(module (memory 1) (table 2 funcref) (table 2 externref) (global $g (mut i32) (i32.const 0))
               (elem declare func 0) (data \"x\")
               (func (param i32 i64 f32 f64 v128 funcref externref) {body}))"
        )
    };
    let before = brisk_environ::own_validator_rejections();
    let (mut checked, mut valid, mut accepted_by_own) = (0, 0, 0);
    let mut check = |wat: String, what: &dyn Fn() -> String| -> bool {
        let Ok(wasm) = wat::parse_str(&wat) else { return false };
        checked += 1;
        let rejections = brisk_environ::own_validator_rejections();
        let ours = Module::new(&engine, &wasm).is_ok();
        assert_eq!(ours, wasmparser_accepts(&wasm), "{}", what());
        if ours {
            valid += 1;
            if brisk_environ::own_validator_rejections() == rejections {
                accepted_by_own += 1;
            }
        }
        ours
    };
    for op in operators() {
        for stack in &stacks {
            let pushes: String = stack.iter().map(|t| value(t)).collect::<Vec<_>>().join(" ");
            if !check(module(&format!("{pushes} ({op}) (unreachable)")), &|| format!("{op} on {stack:?}")) {
                continue;
            }
            // What it leaves: nothing, or one value of one type.
            check(module(&format!("(block {pushes} ({op}))")), &|| format!("{op} on {stack:?} leaves nothing"));
            for (local, t) in types.iter().enumerate() {
                let body = format!("(block {pushes} ({op}) (local.set {local}))");
                check(module(&body), &|| format!("{op} on {stack:?} leaves {t}"));
            }
        }
    }
    println!("{checked} functions, {valid} valid, {} rejections", brisk_environ::own_validator_rejections() - before);
    assert_eq!(accepted_by_own, valid, "Brisk's own validator accepts every valid one");
    assert!(valid > 1000, "{valid} valid of {checked}");
}

/// The operators of WebAssembly 2.0 in the text format, with immediates.
fn operators() -> Vec<String> {
    let mut ops: Vec<String> = Vec::new();
    for t in ["i32", "i64"] {
        for op in [
            "eqz", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "clz", "ctz", "popcnt",
            "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u",
            "rotl", "rotr", "extend8_s", "extend16_s", "trunc_f32_s", "trunc_f32_u", "trunc_f64_s", "trunc_f64_u",
            "trunc_sat_f32_s", "trunc_sat_f32_u", "trunc_sat_f64_s", "trunc_sat_f64_u", "load", "load8_s", "load8_u",
            "load16_s", "load16_u", "store", "store8", "store16",
        ] {
            ops.push(format!("{t}.{op}"));
        }
    }
    ops.extend(["i64.extend32_s", "i64.load32_s", "i64.load32_u", "i64.store32", "i32.wrap_i64", "i64.extend_i32_s"].map(String::from));
    ops.extend(["i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64"].map(String::from));
    for t in ["f32", "f64"] {
        for op in [
            "eq", "ne", "lt", "gt", "le", "ge", "abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt", "add", "sub",
            "mul", "div", "min", "max", "copysign", "convert_i32_s", "convert_i32_u", "convert_i64_s", "convert_i64_u",
            "load", "store",
        ] {
            ops.push(format!("{t}.{op}"));
        }
    }
    ops.extend(["f32.demote_f64", "f64.promote_f32", "i32.load align=8", "i64.load offset=4294967296"].map(String::from));
    ops.extend(
        [
            "nop", "drop", "select", "select (result i32)", "select (result v128)", "select (result funcref)",
            "local.get 0", "local.get 4", "local.get 6", "local.set 1", "local.tee 2", "local.tee 5", "global.get $g",
            "global.set $g", "memory.size", "memory.grow", "memory.fill", "memory.copy", "memory.init 0", "data.drop 0",
            "table.get 0", "table.get 1", "table.set 0", "table.set 1", "table.size 1", "table.grow 0", "table.grow 1",
            "table.fill 0", "table.fill 1", "table.copy 0 0", "table.copy 0 1", "table.init 0 0", "table.init 1 0",
            "elem.drop 0", "ref.null func", "ref.null extern", "ref.is_null", "ref.func 0", "call 0",
            "call_indirect (param i32 i64 f32 f64 v128 funcref externref)", "call_indirect (param i32)",
            "call_indirect 1 (param i32)", "br 0", "br_if 0", "br_table 0 0", "return", "unreachable",
            "i32.const 1", "f64.const 1",
        ]
        .map(String::from),
    );
    // SIMD: every lane-wise operator of each shape, loads, stores and lanes.
    let simd_plain = [
        "v128.not", "v128.and", "v128.andnot", "v128.or", "v128.xor", "v128.bitselect", "v128.any_true",
        "i8x16.swizzle", "i8x16.popcnt", "i8x16.narrow_i16x8_s", "i16x8.narrow_i32x4_u", "i8x16.avgr_u",
        "i16x8.q15mulr_sat_s", "i16x8.extadd_pairwise_i8x16_s", "i32x4.extadd_pairwise_i16x8_u", "i16x8.extend_low_i8x16_s",
        "i32x4.extend_high_i16x8_u", "i64x2.extend_low_i32x4_s", "i16x8.extmul_low_i8x16_s", "i32x4.extmul_high_i16x8_u",
        "i64x2.extmul_low_i32x4_s", "i32x4.dot_i16x8_s", "i32x4.trunc_sat_f32x4_s", "f32x4.convert_i32x4_u",
        "i32x4.trunc_sat_f64x2_u_zero", "f64x2.convert_low_i32x4_s", "f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4",
        "v128.load", "v128.store", "v128.load8x8_s", "v128.load32x2_u", "v128.load16_splat", "v128.load64_zero",
        "v128.load8_lane 15", "v128.load64_lane 1", "v128.load64_lane 2", "v128.store16_lane 7", "v128.store32_lane 4",
        "v128.load align=32", "v128.const i32x4 1 2 3 4",
        "i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31",
    ];
    ops.extend(simd_plain.map(String::from));
    for (shape, lanes) in [("i8x16", 16), ("i16x8", 8), ("i32x4", 4), ("i64x2", 2), ("f32x4", 4), ("f64x2", 2)] {
        let suffix = if shape == "i8x16" || shape == "i16x8" { "_s" } else { "" };
        ops.push(format!("{shape}.splat"));
        ops.push(format!("{shape}.extract_lane{suffix} {}", lanes - 1));
        ops.push(format!("{shape}.extract_lane{suffix} {lanes}"));
        ops.push(format!("{shape}.replace_lane {}", lanes - 1));
        for op in ["eq", "ne", "add", "sub", "neg", "abs"] {
            ops.push(format!("{shape}.{op}"));
        }
        if shape.starts_with('i') {
            for op in ["shl", "shr_s", "shr_u", "all_true", "bitmask", "lt_s", "ge_s"] {
                ops.push(format!("{shape}.{op}"));
            }
        } else {
            for op in ["lt", "ge", "mul", "div", "min", "max", "pmin", "pmax", "sqrt", "ceil", "nearest"] {
                ops.push(format!("{shape}.{op}"));
            }
        }
    }
    ops
}

/// A module of 200 function types `[] -> []`, a table, a memory, a passive
/// data and a passive element segment, and one function whose body is
/// `unreachable` (so that only the immediates matter), then `code`, then
/// `end`.
fn module_with_body(code: &[u8]) -> Vec<u8> {
    use brisk_corpus::write_u32 as leb;
    fn section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
        out.push(id);
        leb(out, content.len() as u32);
        out.extend_from_slice(content);
    }
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let mut types = Vec::new();
    leb(&mut types, 200);
    for _ in 0..200 {
        types.extend_from_slice(&[0x60, 0, 0]);
    }
    section(&mut m, 1, &types);
    section(&mut m, 3, &[1, 0]);
    section(&mut m, 4, &[1, 0x70, 0, 1]);
    section(&mut m, 5, &[1, 0, 1]);
    section(&mut m, 9, &[1, 1, 0, 0]);
    section(&mut m, 12, &[1]);
    let mut body = vec![0, 0x00];
    body.extend_from_slice(code);
    body.push(0x0b);
    let mut code_section = vec![1];
    leb(&mut code_section, body.len() as u32);
    code_section.extend_from_slice(&body);
    section(&mut m, 10, &code_section);
    section(&mut m, 11, &[1, 1, 0]);
    m
}

/// The validation pass decodes most operators itself (translate.rs,
/// `visit_decoded`): every encoding of their immediates, canonical or
/// not, valid or malformed, must be read as wasmparser's reader reads it
/// (block types of one, two and three bytes, valid and other value types,
/// memory immediates with each flag bit and overlong LEB128s, the zero
/// byte of `memory.size`, the 0xfc and 0xfd sub-opcodes, `v128` and
/// lane immediates), and the verdict be wasmparser's.
#[test]
fn immediates_decode_as_wasmparser_reads_them() {
    let engines = engines();
    assert!(wasmparser_accepts(&module_with_body(&[0x3f, 0x00, 0x1a])));
    let mut cases: Vec<Vec<u8>> = Vec::new();
    let block_types: &[&[u8]] = &[
        &[0x40], &[0x7f], &[0x7e], &[0x7d], &[0x7c], &[0x7b], &[0x70], &[0x6f], &[0x6e], &[0x69], &[0x63, 0x70],
        &[0x64, 0x70], &[0x00], &[0x3f], &[0x41], &[0x80, 0x01], &[0xc7, 0x01], &[0xc8, 0x01], &[0x80, 0x00],
        &[0x80, 0x40], &[0xff, 0x7f], &[0x80, 0x80, 0x00], &[0x81, 0x81, 0x00], &[0x80, 0x80, 0x80, 0x80, 0x00],
    ];
    for op in [0x02, 0x03, 0x04] {
        for bt in block_types {
            cases.push([&[op], *bt, &[0x0b]].concat());
            if op == 0x04 {
                cases.push([&[op], *bt, &[0x05, 0x0b]].concat());
            }
        }
    }
    let offsets: &[&[u8]] = &[&[0], &[0x80, 0x00], &[0xff, 0xff, 0xff, 0xff, 0x0f], &[0x80, 0x80, 0x80, 0x80, 0x10], &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]];
    let flags: &[&[u8]] = &[
        &[0], &[1], &[2], &[3], &[4], &[0x10], &[0x20], &[0x3f], &[0x40, 0], &[0x41, 0], &[0x60, 0], &[0x80, 0x00], &[0x82, 0x00],
        &[0xc0, 0x00, 0], &[0x80, 0x01],
    ];
    for op in [&[0x28][..], &[0x29], &[0x2c], &[0x36], &[0x3e], &[0xfd, 0x00], &[0xfd, 0x0b], &[0xfd, 0x5d], &[0xfd, 0x54], &[0xfd, 0x5b]] {
        for f in flags {
            for o in offsets {
                let lane: &[u8] = if op.len() == 2 && (0x54..=0x5b).contains(&op[1]) { &[0] } else { &[] };
                cases.push([op, *f, *o, lane].concat());
            }
        }
    }
    for lane in [0u8, 1, 7, 8, 15, 16, 255] {
        for op in [0x15u8, 0x17, 0x18, 0x1b, 0x1d, 0x21, 0x22, 0x54, 0x57, 0x58, 0x5b] {
            let memarg: &[u8] = if op >= 0x54 { &[0, 0] } else { &[] };
            cases.push([&[0xfd, op][..], memarg, &[lane]].concat());
        }
    }
    for op in [0x3f, 0x40] {
        for imm in [&[0x00][..], &[0x01], &[0x80, 0x00]] {
            cases.push([&[op][..], imm].concat());
        }
    }
    // 0xfc: each sub-opcode with zero, one and two index bytes, in
    // canonical and overlong encodings, and some unknown ones.
    for sub in [&[0x00][..], &[0x07], &[0x08], &[0x09], &[0x0a], &[0x0b], &[0x0c], &[0x0d], &[0x0e], &[0x0f], &[0x10], &[0x11], &[0x12], &[0x89, 0x00], &[0x80, 0x80, 0x80, 0x80, 0x00], &[0xff, 0x01]] {
        for imm in [&[][..], &[0x00], &[0x00, 0x00], &[0x01, 0x00], &[0x80, 0x00, 0x00]] {
            cases.push([&[0xfc][..], sub, imm].concat());
        }
    }
    // 0xfd: sub-opcodes of one and two bytes, known, relaxed SIMD's and
    // unknown; v128.const and i8x16.shuffle, whole and cut short.
    for sub in [&[0x0e][..], &[0x60], &[0x7f], &[0x80, 0x01], &[0x8e, 0x00], &[0xe0, 0x01], &[0xff, 0x01], &[0x80, 0x02], &[0x93, 0x02], &[0x99, 0x02]] {
        cases.push([&[0xfd][..], sub].concat());
    }
    cases.push([&[0xfd, 0x0c][..], &[0x5a; 16]].concat());
    cases.push([&[0xfd, 0x0c][..], &[0x5a; 15]].concat());
    cases.push([&[0xfd, 0x8c, 0x00][..], &[0x01; 16]].concat());
    for last in [0u8, 15, 31, 32, 0x80] {
        let mut lanes = [3u8; 16];
        lanes[15] = last;
        cases.push([&[0xfd, 0x0d][..], &lanes].concat());
    }
    let (mut valid, mut invalid) = (0, 0);
    for code in &cases {
        let wasm = module_with_body(code);
        if agree(&engines, &wasm, &|| format!("body `unreachable {code:02x?} end`")) {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    println!("{} bodies: {valid} valid, {invalid} invalid", cases.len());
    assert!(valid > 100 && invalid > 100, "{valid} valid, {invalid} invalid");
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

/// The cost features of each function (which the tier policy reads) are
/// the same whichever validator the pass runs: Brisk's (with WebAssembly
/// 2.0's features, which keeps the stacks' maximum heights itself) or
/// wasmparser's (with any other set, the pass noting the heights after
/// each operator). On the smith corpus and on functions at the edges:
/// an empty body, one of only `end`s, blocks opened and ended in dead
/// code.
#[test]
fn cost_features_are_the_same_with_either_validator() {
    let edges = wat::parse_str(
        r#"(module
          (func)
          (func (block (block)))
          (func (result i32) (i32.const 1) (br 0) (block (loop (if (i32.const 0) (then) (else)))) (i32.const 2))
          (func (param i32) (result i32)
            (block (result i32) (local.get 0) (local.get 0) (br_table 0 0 0)) (unreachable) (block (unreachable) (drop)) (i32.add)))"#,
    )
    .unwrap();
    let mut modules: Vec<(String, Vec<u8>)> = brisk_corpus::corpus(12).into_iter().map(|m| (m.name, m.wasm)).collect();
    modules.push(("edges".into(), edges));
    let wasm2 = wasmparser::WasmFeatures::WASM2;
    let other = wasm2 | wasmparser::WasmFeatures::EXTENDED_CONST;
    let before = brisk_environ::own_validator_rejections();
    for (name, wasm) in &modules {
        let own = brisk_environ::translate_module(wasm, wasm2).unwrap();
        let parser = brisk_environ::translate_module(wasm, other).unwrap();
        assert_eq!(own.function_bodies.len(), parser.function_bodies.len());
        for ((i, a), (_, b)) in own.function_bodies.iter().zip(parser.function_bodies.iter()) {
            assert_eq!(a.features, b.features, "{name}, function {i:?}");
        }
    }
    assert_eq!(brisk_environ::own_validator_rejections(), before, "Brisk's validator took every body");
}
