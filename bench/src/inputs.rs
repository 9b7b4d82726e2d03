//! Inputs generated in the repository: no blobs are checked in.

/// A small module: a handful of functions.
pub fn small_module() -> String {
    r#"(module $small
  (memory (export "memory") 1)
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "sum") (param $p i32) (param $len i32) (result i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $len)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $next)))
    (local.get $s)))"#
        .to_string()
}

/// A large module of `funcs` functions, each with memory accesses, a
/// division, a branch and a call to the next: realistic trap tables and
/// calls to resolve. Every eighth function is exported.
pub fn large_module(funcs: usize) -> String {
    let mut s = String::from("(module $large\n  (memory (export \"memory\") 1)\n  (global $g (mut i32) (i32.const 0))\n");
    for i in 0..funcs {
        let next = (i + 1) % funcs;
        let export = if i % 8 == 0 { format!(" (export \"f{i}\")") } else { String::new() };
        let off = (i * 4) % 1024;
        s.push_str(&format!(
            "  (func $f{i}{export} (param $x i32) (param $y i32) (result i32) (local $t i32)
    (local.set $t (i32.add (local.get $x) (i32.const {i})))
    (if (i32.gt_u (local.get $y) (i32.const 0))
      (then (local.set $t (i32.add (local.get $t)
        (call $f{next} (i32.load offset={off} (i32.and (local.get $x) (i32.const 1020)))
                       (i32.sub (local.get $y) (i32.const 1)))))))
    (i32.store offset={off} (i32.const 0) (local.get $t))
    (global.set $g (i32.xor (global.get $g) (local.get $t)))
    (i32.div_u (local.get $t) (i32.or (local.get $y) (i32.const 1))))\n"
        ));
    }
    s.push_str(")\n");
    s
}
