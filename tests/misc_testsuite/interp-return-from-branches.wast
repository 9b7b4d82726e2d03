;; Returning from several exits (br_table stubs, br_if's taken side) with
;; results read lazily from locals: each exit copies the results itself,
;; and the code after a br_if still finds them where they were. (The
;; interpreter once copied such a result to a scratch slot on the first exit
;; only, and read the scratch slot on the others; found by differential
;; fuzzing, seed 20316371.)
(module
  (func (export "br_table_ret") (param f32 i32) (result f32)
    (local.get 0)
    (br_table 0 0 (local.get 1)))
  (func (export "br_if_ret") (param i32 i32) (result i32)
    (local.get 0)
    (br_if 0 (local.get 1)))
  (func (export "swap") (param i32 i32 i32) (result i32 i32)
    (local.get 1)
    (local.get 0)
    (br_table 0 0 (local.get 2)))
  (func (export "swap_if") (param i32 i32 i32) (result i32 i32)
    (local.get 1)
    (local.get 0)
    (br_if 0 (local.get 2))))

(assert_return (invoke "br_table_ret" (f32.const 3.5) (i32.const 1)) (f32.const 3.5))
(assert_return (invoke "br_table_ret" (f32.const 4.5) (i32.const 0)) (f32.const 4.5))
(assert_return (invoke "br_if_ret" (i32.const 7) (i32.const 0)) (i32.const 7))
(assert_return (invoke "br_if_ret" (i32.const 8) (i32.const 1)) (i32.const 8))
(assert_return (invoke "swap" (i32.const 1) (i32.const 2) (i32.const 5)) (i32.const 2) (i32.const 1))
(assert_return (invoke "swap" (i32.const 3) (i32.const 4) (i32.const 0)) (i32.const 4) (i32.const 3))
(assert_return (invoke "swap_if" (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 2) (i32.const 1))
(assert_return (invoke "swap_if" (i32.const 3) (i32.const 4) (i32.const 1)) (i32.const 4) (i32.const 3))
