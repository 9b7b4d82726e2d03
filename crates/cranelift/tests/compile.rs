//! Compiles small modules and checks relocations, trap sites and
//! determinism.

use brisk_cranelift::{CompilerSettings, CraneliftCompiler, OptLevel, RegallocAlgorithm};
use brisk_environ::{
    CompiledFunction, Compiler, DefinedFuncIndex, EntityRef, FuncIndex, RelocKind, Trap, Tunables, WasmError,
    translate_module, wasm_features,
};

fn compiler() -> CraneliftCompiler {
    CraneliftCompiler::new(CompilerSettings::default()).expect("host supported")
}

fn compile_with(c: &CraneliftCompiler, wat: &str, tunables: &Tunables) -> Result<Vec<CompiledFunction>, WasmError> {
    let bytes = wat::parse_str(wat).expect("valid wat");
    let t = translate_module(&bytes, wasm_features()).expect("valid module");
    t.function_bodies.keys().map(|i| c.compile_function(&t, i, tunables)).collect()
}

fn compile(wat: &str) -> Vec<CompiledFunction> {
    compile_with(&compiler(), wat, &Tunables::default()).expect("compiles")
}

fn traps(f: &CompiledFunction) -> Vec<Trap> {
    f.traps.iter().map(|t| t.trap).collect()
}

fn check_well_formed(f: &CompiledFunction) {
    assert!(f.alignment >= 16 && f.alignment.is_power_of_two());
    assert!(!f.body.is_empty());
    assert!(f.traps.windows(2).all(|w| w[0].offset <= w[1].offset), "trap sites sorted");
    for t in &f.traps {
        assert!((t.offset as usize) < f.body.len());
    }
    for r in &f.relocs {
        assert!(r.offset as usize + 4 <= f.body.len());
    }
}

#[test]
fn direct_call_has_one_reloc() {
    let fs = compile(
        r#"(module
            (func $callee (param i32) (result i32) local.get 0)
            (func (result i32) i32.const 7 call $callee))"#,
    );
    for f in &fs {
        check_well_formed(f);
    }
    assert!(fs[0].relocs.is_empty());
    assert_eq!(fs[1].relocs.len(), 1);
    let r = fs[1].relocs[0];
    assert_eq!(r.kind, RelocKind::X86CallPcRel4);
    assert_eq!(r.target, FuncIndex::new(0));
    assert_eq!(r.addend, -4);
}

#[test]
fn call_to_import_has_no_reloc() {
    let fs = compile(
        r#"(module
            (import "m" "f" (func $f (param i64) (result i64)))
            (func (result i64) i64.const 1 call $f)
            (func (result i64) call 1))"#,
    );
    assert!(fs[0].relocs.is_empty());
    assert_eq!(fs[1].relocs.len(), 1);
    assert_eq!(fs[1].relocs[0].target, FuncIndex::new(1));
}

#[test]
fn non_leaf_functions_check_the_stack() {
    // A leaf function without a frame needs no check: its caller's check
    // covers the return address and frame pointer it pushes.
    let fs = compile(r#"(module (func) (func (param i32) (result i32) call 0 local.get 0))"#);
    for f in &fs {
        check_well_formed(f);
    }
    assert_eq!(traps(&fs[0]), vec![]);
    assert_eq!(traps(&fs[1]), vec![Trap::StackOverflow]);
}

#[test]
fn div_s_traps() {
    let fs = compile(r#"(module (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))"#);
    let t = traps(&fs[0]);
    assert!(t.contains(&Trap::IntegerDivisionByZero), "{t:?}");
    assert!(t.contains(&Trap::IntegerOverflow), "{t:?}");
}

#[test]
fn rem_s_has_no_overflow_trap() {
    let fs = compile(r#"(module (func (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s))"#);
    let t = traps(&fs[0]);
    assert!(t.contains(&Trap::IntegerDivisionByZero), "{t:?}");
    assert!(!t.contains(&Trap::IntegerOverflow), "{t:?}");
}

#[test]
fn trapping_conversion_traps() {
    let fs = compile(r#"(module (func (param f64) (result i32) local.get 0 i32.trunc_f64_s))"#);
    let t = traps(&fs[0]);
    assert!(t.contains(&Trap::BadConversionToInteger), "{t:?}");
    assert!(t.contains(&Trap::IntegerOverflow), "{t:?}");
    let fs = compile(r#"(module (func (param f64) (result i32) local.get 0 i32.trunc_sat_f64_s))"#);
    assert_eq!(traps(&fs[0]), vec![]);
}

/// Without guard pages, every access of `wat`'s functions has an explicit
/// bounds check as well as the access itself: two `MemoryOutOfBounds` sites.
fn assert_explicit_checks_add_a_trap_site(wat: &str) {
    let tunables = Tunables { memory_reservation: 1 << 20, memory_guard_size: 0, ..Tunables::default() };
    let fs = compile_with(&compiler(), wat, &tunables).unwrap();
    for f in &fs {
        let t = traps(f);
        assert_eq!(t.iter().filter(|t| **t == Trap::MemoryOutOfBounds).count(), 2, "{t:?}");
    }
}

#[test]
fn loads_and_stores_are_trap_sites() {
    let wat = r#"(module (memory 1)
        (func (param i32) (result i32) local.get 0 i32.load offset=8)
        (func (param i32 i64) local.get 0 local.get 1 i64.store8))"#;
    let fs = compile(wat);
    for f in &fs {
        let t = traps(f);
        assert_eq!(t.iter().filter(|t| **t == Trap::MemoryOutOfBounds).count(), 1, "{t:?}");
    }
    assert_explicit_checks_add_a_trap_site(wat);
}

#[test]
fn call_indirect_traps() {
    let fs = compile(
        r#"(module (type $t (func (result i32))) (table 2 funcref)
            (func (param i32) (result i32) local.get 0 call_indirect (type $t)))"#,
    );
    let t = traps(&fs[0]);
    for want in [Trap::TableOutOfBounds, Trap::IndirectCallToNull, Trap::BadSignature] {
        assert!(t.contains(&want), "{want:?} in {t:?}");
    }
    assert!(fs[0].relocs.is_empty());
}

#[test]
fn unreachable_traps() {
    let fs = compile(r#"(module (func unreachable))"#);
    assert!(traps(&fs[0]).contains(&Trap::UnreachableCodeReached));
}

#[test]
fn control_flow_shapes() {
    compile(
        r#"(module
        (func (param i32) (result i32 i64)
            (block (result i32 i64) (i32.const 1) (i64.const 2) (br_if 0 (local.get 0)) (drop) (drop)
                (i32.const 3) (i64.const 4)))
        (func (param i32) (result i32)
            (i32.const 10)
            (if (param i32) (result i32) (local.get 0) (then (i32.const 1) (i32.add))))
        (func (param i32) (result i32)
            (block (block (block (br_table 0 1 2 (local.get 0)))
                (return (i32.const 1))) (return (i32.const 2))) (i32.const 3))
        (func (param i32) (result i32)
            (block (result i32) (block (result i32) (i32.const 5) (local.get 0) (br_table 0 1 1 0))
                (i32.const 1) (i32.add)))
        (func (param i32) (result i32)
            (local.get 0) (loop (param i32) (result i32) (i32.const 1) (i32.sub) (local.tee 0) (br_if 0 (local.get 0))))
        (func (result i32) (unreachable) (i32.add) (block (br 0)) (if (then) (else)))
        (func (param i32) (result i32)
            (if (result i32) (local.get 0) (then (return (i32.const 1))) (else (br 1 (i32.const 2)))))
        (func (result i32) (block (result i32) (i32.const 1) (br 0)) (return) (drop))
        (func (param i32) (local f32 f64 i64 v128 funcref externref) (local.get 0) (drop))
        (func (param i32 i32 i32) (result i32) (select (local.get 0) (local.get 1) (local.get 2)))
        (func (param f64 f64 i32) (result f64)
            (select (result f64) (local.get 0) (local.get 1) (local.get 2))))"#,
    );
}

#[test]
fn trampolines() {
    let c = compiler();
    let wat = r#"(module
        (func (export "f") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
            local.get 3 local.get 2 local.get 1 local.get 0))"#;
    let bytes = wat::parse_str(wat).unwrap();
    let t = translate_module(&bytes, wasm_features()).unwrap();
    let func = t.module.func_index(DefinedFuncIndex::new(0));
    let ty = t.module.func_type(func);
    let a2w = c.compile_array_to_wasm_trampoline(ty, func, None).unwrap();
    check_well_formed(&a2w);
    assert_eq!(a2w.relocs.len(), 1);
    assert_eq!(a2w.relocs[0].target, func);
    let w2a = c.compile_wasm_to_array_trampoline(ty).unwrap();
    check_well_formed(&w2a);
    assert!(w2a.relocs.is_empty());
    assert!(traps(&w2a).contains(&Trap::HostError));
}

#[test]
fn unsupported_operator_is_an_error() {
    // Tail calls validate with WebAssembly 3.0 features but are not
    // implemented by this tier yet.
    let bytes = wat::parse_str(r#"(module (func $f (return_call $f)))"#).expect("valid wat");
    let t = translate_module(&bytes, wasmparser::WasmFeatures::WASM3).expect("valid module");
    let err = compiler()
        .compile_function(&t, brisk_environ::DefinedFuncIndex::from_u32(0), &Tunables::default())
        .unwrap_err();
    assert!(matches!(err, WasmError::Unsupported { .. }), "{err}");
    assert!(err.offset() > 0);
}

#[test]
fn deterministic() {
    let wat = r#"(module (memory 1) (table 1 funcref) (global (mut i32) (i32.const 0))
        (func $a (param i32) (result i32)
            (loop (result i32)
                (global.set 0 (i32.add (global.get 0) (i32.load (local.get 0))))
                (br_if 0 (i32.eqz (local.get 0)))
                (call $b (local.get 0))))
        (func $b (param i32) (result i32)
            (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
        (func (param f32) (result i32) (i32.trunc_f32_u (f32.nearest (local.get 0))))
        (func (result i32) (memory.grow (i32.const 1))))"#;
    for opt_level in [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize] {
        for regalloc in [RegallocAlgorithm::Backtracking, RegallocAlgorithm::SinglePass] {
            let settings = CompilerSettings { opt_level, regalloc, unwind_info: false };
            let a = compile_with(&CraneliftCompiler::new(settings).unwrap(), wat, &Tunables::default()).unwrap();
            let b = compile_with(&CraneliftCompiler::new(settings).unwrap(), wat, &Tunables::default()).unwrap();
            assert_eq!(a, b, "{settings:?}");
            // And on other threads.
            let c = std::thread::spawn(move || {
                compile_with(&CraneliftCompiler::new(settings).unwrap(), wat, &Tunables::default()).unwrap()
            })
            .join()
            .unwrap();
            assert_eq!(a, c, "{settings:?}");
        }
    }
}

// ---- Fixed-width SIMD ----

#[test]
fn v128_memory_accesses_are_trap_sites() {
    let wat = r#"(module (memory 1)
        (func (param i32) (result v128) local.get 0 v128.load offset=16)
        (func (param i32 v128) local.get 0 local.get 1 v128.store)
        (func (param i32) (result v128) local.get 0 v128.load8x8_s)
        (func (param i32) (result v128) local.get 0 v128.load32x2_u)
        (func (param i32) (result v128) local.get 0 v128.load8_splat)
        (func (param i32) (result v128) local.get 0 v128.load64_splat)
        (func (param i32) (result v128) local.get 0 v128.load32_zero)
        (func (param i32) (result v128) local.get 0 v128.load64_zero)
        (func (param i32 v128) (result v128) local.get 0 local.get 1 v128.load16_lane 7)
        (func (param i32 v128) local.get 0 local.get 1 v128.store64_lane 1))"#;
    let fs = compile(wat);
    assert_eq!(fs.len(), 10);
    for f in &fs {
        check_well_formed(f);
        let t = traps(f);
        assert_eq!(t.iter().filter(|t| **t == Trap::MemoryOutOfBounds).count(), 1, "{t:?}");
    }
    assert_explicit_checks_add_a_trap_site(wat);
}

#[test]
fn simd_shapes_compile_everywhere() {
    let wat = r#"(module
        (global $g (mut v128) (v128.const i32x4 1 2 3 4))
        (func $shuffle (param v128 v128) (result v128)
            (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get 0) (local.get 1)))
        (func (param v128 v128) (result v128)
            (i8x16.swizzle (local.get 0) (local.get 1)))
        (func (param v128 v128 i32) (result v128)
            (select (local.get 0) (local.get 1) (local.get 2)))
        (func (param v128 i32) (result v128)
            (local.get 0)
            (loop (param v128) (result v128)
                (i32x4.add (v128.const i32x4 1 1 1 1))
                (br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))))
        (func (param i32) (result v128) (local v128)
            (block (result v128) (global.get $g) (br_if 0 (local.get 0)) (drop) (local.get 1)))
        (func (param v128) (result v128 i32)
            (global.set $g (local.get 0))
            (call $shuffle (local.get 0) (global.get $g))
            (i32x4.extract_lane 3 (local.get 0)))
        (func (param v128) (result v128)
            (i32x4.trunc_sat_f64x2_s_zero (local.get 0))
            (i32x4.trunc_sat_f64x2_u_zero)
            (f64x2.convert_low_i32x4_u)
            (f32x4.demote_f64x2_zero)
            (f64x2.promote_low_f32x4)
            (i32x4.dot_i16x8_s (local.get 0))
            (i16x8.extadd_pairwise_i8x16_u)
            (i64x2.extmul_high_i32x4_s (local.get 0))
            (f32x4.pmin (local.get 0))
            (i64x2.gt_s (local.get 0))
            (i8x16.popcnt)
            (i16x8.q15mulr_sat_s (local.get 0))
            (i8x16.shr_s (i32.const 9))
            (i64x2.shr_s (i32.const 65)))
        (func (param v128) (result i32)
            (i32.add (i8x16.bitmask (local.get 0)) (i64x2.all_true (local.get 0)))
            (v128.any_true (local.get 0))
            (i32.add)))"#;
    for opt_level in [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize] {
        for regalloc in [RegallocAlgorithm::Backtracking, RegallocAlgorithm::SinglePass] {
            let c = CraneliftCompiler::new(CompilerSettings { opt_level, regalloc, unwind_info: false }).unwrap();
            let fs = compile_with(&c, wat, &Tunables::default()).unwrap();
            for f in &fs {
                check_well_formed(f);
                // Saturating conversions and lane operations never trap.
                assert!(traps(f).iter().all(|t| *t == Trap::StackOverflow), "{:?}", traps(f));
            }
        }
    }
}

#[test]
fn v128_trampolines() {
    let c = compiler();
    let wat = r#"(module (func (export "f") (param i32 v128 f64) (result v128 i32 v128)
        local.get 1 local.get 0 local.get 1))"#;
    let bytes = wat::parse_str(wat).unwrap();
    let t = translate_module(&bytes, wasm_features()).unwrap();
    let func = t.module.func_index(DefinedFuncIndex::new(0));
    let ty = t.module.func_type(func);
    check_well_formed(&c.compile_array_to_wasm_trampoline(ty, func, None).unwrap());
    check_well_formed(&c.compile_wasm_to_array_trampoline(ty).unwrap());
}
