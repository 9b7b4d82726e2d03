;; Float arithmetic (SSE scalar), min/max with their NaN and signed-zero
;; cases, comparisons fused into branches, conversions with checks.
(module
  (func (export "arith") (param f64 f64) (result f64)
    (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 1)) (f64.const 1.5))))
  (func (export "minmax") (param f32 f32) (result f32)
    (f32.min (local.get 0) (f32.max (local.get 1) (f32.const 0))))
  (func (export "branch") (param f64 f64) (result i32)
    (if (result i32) (f64.lt (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 2))))
  (func (export "convert") (param f64) (result i64)
    (i64.add (i64.trunc_f64_s (local.get 0)) (i64.extend_i32_u (i32.trunc_f64_u (local.get 0))))))

;; ---- baseline tier listing (BRISK_BLESS=1 regenerates) ----
;; wasm-function[0]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 5b
;;     20: sub rsp,0x48
;;     27: movsd QWORD PTR [rbp-0x28],xmm0
;;     2c: movsd QWORD PTR [rbp-0x30],xmm1
;;     31: movsd xmm0,QWORD PTR [rbp-0x28]
;;     36: mulsd xmm0,QWORD PTR [rbp-0x30]
;;     3b: movabs r11,0x3ff8000000000000
;;     45: movq xmm1,r11
;;     4a: addsd xmm0,xmm1
;;     4e: sqrtsd xmm0,xmm0
;;     52: mov r14,QWORD PTR [rbp-0x8]
;;     56: mov rsp,rbp
;;     59: pop rbp
;;     5a: ret
;;     5b: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x58
;;     17: cmp rsp,r11
;;     1a: jb 92
;;     20: sub rsp,0x58
;;     27: movss DWORD PTR [rbp-0x28],xmm0
;;     2c: movss DWORD PTR [rbp-0x30],xmm1
;;     31: movss xmm0,DWORD PTR [rbp-0x30]
;;     36: xorps xmm1,xmm1
;;     39: ucomiss xmm0,xmm1
;;     3c: jne 59
;;     42: jp 50
;;     48: andps xmm0,xmm1
;;     4b: jmp 5d
;;     50: addss xmm0,xmm1
;;     54: jmp 5d
;;     59: maxss xmm0,xmm1
;;     5d: movss xmm1,DWORD PTR [rbp-0x28]
;;     62: ucomiss xmm1,xmm0
;;     65: jne 82
;;     6b: jp 79
;;     71: orps xmm1,xmm0
;;     74: jmp 86
;;     79: addss xmm1,xmm0
;;     7d: jmp 86
;;     82: minss xmm1,xmm0
;;     86: movaps xmm0,xmm1
;;     89: mov r14,QWORD PTR [rbp-0x8]
;;     8d: mov rsp,rbp
;;     90: pop rbp
;;     91: ret
;;     92: ud2
;; wasm-function[2]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 60
;;     20: sub rsp,0x48
;;     27: movsd QWORD PTR [rbp-0x28],xmm0
;;     2c: movsd QWORD PTR [rbp-0x30],xmm1
;;     31: movsd xmm0,QWORD PTR [rbp-0x30]
;;     36: ucomisd xmm0,QWORD PTR [rbp-0x28]
;;     3b: jbe 4d
;;     41: mov DWORD PTR [rbp-0x40],0x1
;;     48: jmp 54
;;     4d: mov DWORD PTR [rbp-0x40],0x2
;;     54: mov eax,DWORD PTR [rbp-0x40]
;;     57: mov r14,QWORD PTR [rbp-0x8]
;;     5b: mov rsp,rbp
;;     5e: pop rbp
;;     5f: ret
;;     60: ud2
;; wasm-function[3]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb a0
;;     20: sub rsp,0x48
;;     27: movsd QWORD PTR [rbp-0x28],xmm0
;;     2c: movsd xmm0,QWORD PTR [rbp-0x28]
;;     31: ucomisd xmm0,xmm0
;;     35: jp a2
;;     3b: cvttsd2si rax,xmm0
;;     40: cmp rax,0x1
;;     44: jno 73
;;     4a: movabs r11,0xc3e0000000000000
;;     54: movq xmm15,r11
;;     59: ucomisd xmm0,xmm15
;;     5e: jb a4
;;     64: xorps xmm15,xmm15
;;     68: ucomisd xmm0,xmm15
;;     6d: jae a4
;;     73: movsd xmm0,QWORD PTR [rbp-0x28]
;;     78: ucomisd xmm0,xmm0
;;     7c: jp a2
;;     82: cvttsd2si rcx,xmm0
;;     87: mov r11,rcx
;;     8a: shr r11,0x20
;;     8e: jne a4
;;     94: add rax,rcx
;;     97: mov r14,QWORD PTR [rbp-0x8]
;;     9b: mov rsp,rbp
;;     9e: pop rbp
;;     9f: ret
;;     a0: ud2
;;     a2: ud2
;;     a4: ud2
