;; Loads whose address is an `i32.add` (the interpreter fuses the add into
;; the load): the sum wraps at 2^32 before the static offset is added.

(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (func (export "reg") (param i32 i32) (result i32)
    (i32.load8_u (i32.add (local.get 0) (local.get 1))))
  (func (export "reg-offset") (param i32 i32) (result i32)
    (i32.load16_u offset=2 (i32.add (local.get 0) (local.get 1))))
  (func (export "imm") (param i32) (result i32)
    (i32.load offset=1 (i32.add (local.get 0) (i32.const -8))))
  (func (export "imm-left") (param i32) (result i64)
    (i64.load8_s (i32.add (i32.const 3) (local.get 0))))
  (func (export "i64") (param i32 i32) (result i64)
    (i64.load (i32.add (local.get 0) (local.get 1))))
  ;; The sum is read again: no fusion may drop it.
  (func (export "tee") (param i32 i32) (result i32)
    (local i32)
    (i32.add
      (i32.load8_u (local.tee 2 (i32.add (local.get 0) (local.get 1))))
      (local.get 2)))
)

(assert_return (invoke "reg" (i32.const 3) (i32.const 4)) (i32.const 8))
(assert_return (invoke "reg" (i32.const -16) (i32.const 20)) (i32.const 5))
(assert_trap (invoke "reg" (i32.const 65535) (i32.const 1)) "out of bounds")
(assert_return (invoke "reg-offset" (i32.const -1) (i32.const 1)) (i32.const 0x0403))
(assert_trap (invoke "reg-offset" (i32.const 65534) (i32.const 0)) "out of bounds")
(assert_return (invoke "imm" (i32.const 8)) (i32.const 0x05040302))
(assert_return (invoke "imm" (i32.const 9)) (i32.const 0x06050403))
;; -1 + 1: the offset is added past 2^32, so out of bounds.
(assert_trap (invoke "imm" (i32.const 7)) "out of bounds")
(assert_return (invoke "imm-left" (i32.const 0)) (i64.const 4))
(assert_trap (invoke "imm-left" (i32.const 65533)) "out of bounds")
(assert_return (invoke "i64" (i32.const 4) (i32.const 4)) (i64.const 0x100f0e0d0c0b0a09))
(assert_return (invoke "tee" (i32.const 2) (i32.const 3)) (i32.const 11))
