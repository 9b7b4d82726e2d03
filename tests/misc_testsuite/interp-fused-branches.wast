;; Branches on `i32.and` (the interpreter tests bits and branches in one
;; instruction), returns of one value, and calls whose arguments are copied
;; to consecutive slots.

(module
  (func (export "br-and") (param i32 i32) (result i32)
    (block $yes
      (br_if $yes (i32.and (local.get 0) (local.get 1)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "br-and-imm") (param i32) (result i32)
    (block $yes
      (br_if $yes (i32.and (local.get 0) (i32.const 0x30)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "if-and") (param i32 i32) (result i32)
    (if (result i32) (i32.and (local.get 0) (local.get 1))
      (then (i32.const 7)) (else (i32.const 9))))
  (func (export "if-and-imm") (param i32) (result i32)
    (if (result i32) (i32.and (i32.const 0x101) (local.get 0))
      (then (i32.const 7)) (else (i32.const 9))))
  ;; A loop that exits on a bit test.
  (func (export "count-shifts") (param i32) (result i32)
    (local $n i32)
    (block $out
      (loop $l
        (br_if $out (i32.and (local.get 0) (i32.const 1)))
        (local.set 0 (i32.shr_u (local.get 0) (i32.const 1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $l (local.get 0))))
    (local.get $n))
  (func $sub (param i32 i32 i32) (result i32)
    (i32.sub (i32.mul (local.get 0) (i32.const 100)) (i32.add (local.get 1) (local.get 2))))
  ;; Arguments from locals in another order, and the result of a call
  ;; returned through a local.
  (func (export "call-swapped") (param i32 i32 i32) (result i32)
    (local $r i32)
    (local.set $r (call $sub (local.get 2) (local.get 0) (local.get 1)))
    (local.get $r))
  (func (export "call-same") (param i32) (result i32)
    (call $sub (local.get 0) (local.get 0) (local.get 0)))
)

(assert_return (invoke "br-and" (i32.const 6) (i32.const 3)) (i32.const 1))
(assert_return (invoke "br-and" (i32.const 4) (i32.const 3)) (i32.const 0))
(assert_return (invoke "br-and-imm" (i32.const 0x10)) (i32.const 1))
(assert_return (invoke "br-and-imm" (i32.const 0x4f)) (i32.const 0))
(assert_return (invoke "if-and" (i32.const -1) (i32.const 0x8000_0000)) (i32.const 7))
(assert_return (invoke "if-and" (i32.const 0x7fff_ffff) (i32.const 0x8000_0000)) (i32.const 9))
(assert_return (invoke "if-and-imm" (i32.const 0x100)) (i32.const 7))
(assert_return (invoke "if-and-imm" (i32.const 0x0fe)) (i32.const 9))
(assert_return (invoke "count-shifts" (i32.const 40)) (i32.const 3))
(assert_return (invoke "count-shifts" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call-swapped" (i32.const 1) (i32.const 2) (i32.const 3)) (i32.const 297))
(assert_return (invoke "call-same" (i32.const 5)) (i32.const 490))
