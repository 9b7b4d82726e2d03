;; Loops whose header is straight-line code ending in an exit (the
;; interpreter copies the header at branches back to the loop), and stores
;; of constants (the interpreter's immediate stores).

(module
  (memory 1)
  ;; while (i < n) { sum += i; i++ }
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  ;; The header computes, writes a local and exits with a value.
  (func (export "header-writes") (param $n i32) (result i32)
    (local $i i32) (local $sq i32)
    (block $out (result i32)
      (loop $l
        (local.set $sq (i32.mul (local.get $i) (local.get $i)))
        (br_if $out (i32.const 1000) (i32.gt_u (local.get $sq) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))
      (unreachable))
    (i32.add (local.get $i)))
  ;; The exit leaves an outer loop's iteration (continue outer).
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $c i32)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $j (i32.const 0))
        (loop $inner
          (br_if $outer (i32.ge_u (local.get $j) (local.get $i)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $inner))))
    (local.get $c))
  ;; Branches back from a br_if, from a br_table and from deep in the body.
  (func (export "branches") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.eqz (i32.lt_u (local.get $i) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br_if $l (i32.and (local.get $i) (i32.const 1)))
        (block $b
          (br_table $l $b (i32.and (local.get $i) (i32.const 2))))
        (local.set $s (i32.add (local.get $s) (i32.const 100)))
        (drop (i32.const 5))
        (br $l)))
    (local.get $s))
  ;; A loop with a parameter.
  (func (export "param") (param $n i32) (result i32)
    (local $i i32)
    (block $out (result i32)
      (i32.const 0)
      (loop $l (param i32) (result i32)
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.add (local.get $i))
        (br $l))))
  ;; Immediate stores of every width, read back.
  (func (export "stores") (result i64)
    (i64.store (i32.const 0) (i64.const -1))
    (i32.store8 (i32.const 1) (i32.const 0x1234))
    (i32.store16 (i32.const 2) (i32.const -2))
    (i64.store32 offset=4 (i32.const 0) (i64.const 0x1_0000_0007))
    (f32.store (i32.const 8) (f32.const 1.5))
    (f64.store (i32.const 16) (f64.const 0))
    (i64.store (i32.const 24) (i64.const 0x7fff_ffff_ffff))
    (i64.add
      (i64.load (i32.const 0))
      (i64.add (i64.extend_i32_u (i32.load (i32.const 8)))
        (i64.add (i64.load (i32.const 16)) (i64.load (i32.const 24))))))
  (func (export "store-oob") (param i32)
    (i32.store8 (local.get 0) (i32.const 1)))
)

(assert_return (invoke "sum" (i32.const 0)) (i32.const 0))
(assert_return (invoke "sum" (i32.const 10)) (i32.const 45))
(assert_return (invoke "header-writes" (i32.const 50)) (i32.const 1008))
(assert_return (invoke "header-writes" (i32.const 0)) (i32.const 1001))
(assert_return (invoke "nested" (i32.const 0)) (i32.const 0))
(assert_return (invoke "nested" (i32.const 10)) (i32.const 55))
(assert_return (invoke "branches" (i32.const 0)) (i32.const 0))
(assert_return (invoke "branches" (i32.const 10)) (i32.const 310))
(assert_return (invoke "param" (i32.const 4)) (i32.const 10))
(assert_return (invoke "stores") (i64.const 140772917523710))
(assert_trap (invoke "store-oob" (i32.const 65536)) "out of bounds")
