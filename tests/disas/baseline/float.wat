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
;;     1a: jb 65
;;     20: sub rsp,0x48
;;     27: movsd QWORD PTR [rbp-0x20],xmm0
;;     2c: movsd QWORD PTR [rbp-0x28],xmm1
;;     31: movsd xmm0,QWORD PTR [rbp-0x20]
;;     36: mulsd xmm0,QWORD PTR [rbp-0x28]
;;     3b: movabs r11,0x3ff8000000000000
;;     45: movq xmm1,r11
;;     4a: addsd xmm0,xmm1
;;     4e: sqrtsd xmm0,xmm0
;;     52: movsd QWORD PTR [rbp-0x38],xmm0
;;     57: movsd xmm0,QWORD PTR [rbp-0x38]
;;     5c: mov r14,QWORD PTR [rbp-0x8]
;;     60: mov rsp,rbp
;;     63: pop rbp
;;     64: ret
;;     65: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x58
;;     17: cmp rsp,r11
;;     1a: jb 99
;;     20: sub rsp,0x58
;;     27: movss DWORD PTR [rbp-0x20],xmm0
;;     2c: movss DWORD PTR [rbp-0x28],xmm1
;;     31: movss xmm0,DWORD PTR [rbp-0x28]
;;     36: xorps xmm1,xmm1
;;     39: ucomiss xmm0,xmm1
;;     3c: jne 59
;;     42: jp 50
;;     48: andps xmm0,xmm1
;;     4b: jmp 5d
;;     50: addss xmm0,xmm1
;;     54: jmp 5d
;;     59: maxss xmm0,xmm1
;;     5d: movss xmm1,DWORD PTR [rbp-0x20]
;;     62: ucomiss xmm1,xmm0
;;     65: jne 82
;;     6b: jp 79
;;     71: orps xmm1,xmm0
;;     74: jmp 86
;;     79: addss xmm1,xmm0
;;     7d: jmp 86
;;     82: minss xmm1,xmm0
;;     86: movss DWORD PTR [rbp-0x38],xmm1
;;     8b: movss xmm0,DWORD PTR [rbp-0x38]
;;     90: mov r14,QWORD PTR [rbp-0x8]
;;     94: mov rsp,rbp
;;     97: pop rbp
;;     98: ret
;;     99: ud2
;; wasm-function[2]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 62
;;     20: sub rsp,0x48
;;     27: movsd QWORD PTR [rbp-0x20],xmm0
;;     2c: movsd QWORD PTR [rbp-0x28],xmm1
;;     31: movsd xmm0,QWORD PTR [rbp-0x28]
;;     36: ucomisd xmm0,QWORD PTR [rbp-0x20]
;;     3b: jbe 4e
;;     41: mov QWORD PTR [rbp-0x38],0x1
;;     49: jmp 56
;;     4e: mov QWORD PTR [rbp-0x38],0x2
;;     56: mov eax,DWORD PTR [rbp-0x38]
;;     59: mov r14,QWORD PTR [rbp-0x8]
;;     5d: mov rsp,rbp
;;     60: pop rbp
;;     61: ret
;;     62: ud2
;; wasm-function[3]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x38
;;     17: cmp rsp,r11
;;     1a: jb a8
;;     20: sub rsp,0x38
;;     27: movsd QWORD PTR [rbp-0x20],xmm0
;;     2c: movsd xmm0,QWORD PTR [rbp-0x20]
;;     31: ucomisd xmm0,xmm0
;;     35: jp aa
;;     3b: cvttsd2si rax,xmm0
;;     40: cmp rax,0x1
;;     44: jno 73
;;     4a: movabs r11,0xc3e0000000000000
;;     54: movq xmm15,r11
;;     59: ucomisd xmm0,xmm15
;;     5e: jb ac
;;     64: xorps xmm15,xmm15
;;     68: ucomisd xmm0,xmm15
;;     6d: jae ac
;;     73: movsd xmm0,QWORD PTR [rbp-0x20]
;;     78: ucomisd xmm0,xmm0
;;     7c: jp aa
;;     82: cvttsd2si rcx,xmm0
;;     87: mov r11,rcx
;;     8a: shr r11,0x20
;;     8e: jne ac
;;     94: add rax,rcx
;;     97: mov QWORD PTR [rbp-0x30],rax
;;     9b: mov rax,QWORD PTR [rbp-0x30]
;;     9f: mov r14,QWORD PTR [rbp-0x8]
;;     a3: mov rsp,rbp
;;     a6: pop rbp
;;     a7: ret
;;     a8: ud2
;;     aa: ud2
;;     ac: ud2
