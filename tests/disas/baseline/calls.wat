;; Direct calls within the module, calls to an import, call_indirect with
;; its table bounds, null and signature checks, a callee with stack
;; arguments and a return area.
(module
  (import "env" "f" (func $imp (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $callee)
  (func $callee (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $many (param i64 i64 i64 i64 i64 f64) (result i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
    (local.get 0) (local.get 1) (local.get 2) (local.get 3))
  (func (export "calls") (param i32) (result i32)
    (i32.add (call $callee (call $imp (local.get 0)))
             (call_indirect (type $t) (local.get 0) (i32.const 0))))
  (func (export "many") (result i64)
    (call $many (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5) (f64.const 6))
    (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop)))

;; ---- baseline tier listing (BRISK_BLESS=1 regenerates) ----
;; callee:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x38
;;     17: cmp rsp,r11
;;     1a: jb 40
;;     20: sub rsp,0x38
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: mov eax,DWORD PTR [rbp-0x20]
;;     2d: add eax,0x1
;;     30: mov QWORD PTR [rbp-0x30],rax
;;     34: mov eax,DWORD PTR [rbp-0x30]
;;     37: mov r14,QWORD PTR [rbp-0x8]
;;     3b: mov rsp,rbp
;;     3e: pop rbp
;;     3f: ret
;;     40: ud2
;; many:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rsi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0xd8
;;     17: cmp rsp,r11
;;     1a: jb 82
;;     20: sub rsp,0xd8
;;     27: mov QWORD PTR [rbp-0x18],rdi
;;     2b: mov QWORD PTR [rbp-0x20],rcx
;;     2f: mov QWORD PTR [rbp-0x28],r8
;;     33: mov QWORD PTR [rbp-0x30],r9
;;     37: mov r11,QWORD PTR [rbp+0x10]
;;     3b: mov QWORD PTR [rbp-0x38],r11
;;     3f: mov r11,QWORD PTR [rbp+0x18]
;;     43: mov QWORD PTR [rbp-0x40],r11
;;     47: movsd QWORD PTR [rbp-0x48],xmm0
;;     4c: mov r10,QWORD PTR [rbp-0x18]
;;     50: mov r11,QWORD PTR [rbp-0x38]
;;     54: mov QWORD PTR [r10],r11
;;     57: mov rax,QWORD PTR [rbp-0x20]
;;     5b: mov rcx,QWORD PTR [rbp-0x28]
;;     5f: mov rdx,QWORD PTR [rbp-0x30]
;;     63: mov rsi,QWORD PTR [rbp-0x38]
;;     67: mov rdi,QWORD PTR [rbp-0x40]
;;     6b: mov r8,QWORD PTR [rbp-0x20]
;;     6f: mov r9,QWORD PTR [rbp-0x28]
;;     73: mov r10,QWORD PTR [rbp-0x30]
;;     77: mov r14,QWORD PTR [rbp-0x8]
;;     7b: mov rsp,rbp
;;     7e: pop rbp
;;     7f: ret 0x10
;;     82: ud2
;; wasm-function[3]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb c0
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: mov r11,QWORD PTR [rbp-0x20]
;;     2e: mov QWORD PTR [rbp-0x30],r11
;;     32: mov edx,DWORD PTR [rbp-0x30]
;;     35: mov rdi,QWORD PTR [r14+0x38]
;;     39: mov rsi,r14
;;     3c: call QWORD PTR [r14+0x30]
;;     40: mov eax,eax
;;     42: mov QWORD PTR [rbp-0x30],rax
;;     46: mov edx,DWORD PTR [rbp-0x30]
;;     49: mov rdi,r14
;;     4c: mov rsi,r14
;;     4f: call ffffffffffffff20
;;     54: mov eax,eax
;;     56: mov ecx,0x0
;;     5b: cmp rcx,QWORD PTR [r14+0x48]
;;     5f: jae c2
;;     65: mov r10,QWORD PTR [r14+0x40]
;;     69: lea r10,[r10+rcx*8]
;;     6d: mov r10,QWORD PTR [r10]
;;     70: test r10,r10
;;     73: je c4
;;     79: mov r11,QWORD PTR [r14+0x18]
;;     7d: mov r11d,DWORD PTR [r11]
;;     80: cmp r11d,DWORD PTR [r10+0x18]
;;     84: jne c6
;;     8a: mov QWORD PTR [rbp-0x10],r10
;;     8e: mov QWORD PTR [rbp-0x30],rax
;;     92: mov r11,QWORD PTR [rbp-0x20]
;;     96: mov QWORD PTR [rbp-0x40],r11
;;     9a: mov edx,DWORD PTR [rbp-0x40]
;;     9d: mov r11,QWORD PTR [rbp-0x10]
;;     a1: mov rdi,QWORD PTR [r11+0x10]
;;     a5: mov rsi,r14
;;     a8: call QWORD PTR [r11]
;;     ab: mov eax,eax
;;     ad: add eax,DWORD PTR [rbp-0x30]
;;     b0: mov QWORD PTR [rbp-0x30],rax
;;     b4: mov eax,DWORD PTR [rbp-0x30]
;;     b7: mov r14,QWORD PTR [rbp-0x8]
;;     bb: mov rsp,rbp
;;     be: pop rbp
;;     bf: ret
;;     c0: ud2
;;     c2: ud2
;;     c4: ud2
;;     c6: ud2
;; wasm-function[4]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0xa8
;;     17: cmp rsp,r11
;;     1a: jb 97
;;     20: sub rsp,0xa8
;;     27: sub rsp,0x20
;;     2b: mov r11d,0x4
;;     31: mov QWORD PTR [rsp],r11
;;     35: mov r11d,0x5
;;     3b: mov QWORD PTR [rsp+0x8],r11
;;     40: mov ecx,0x1
;;     45: mov r8d,0x2
;;     4b: mov r9d,0x3
;;     51: movabs r11,0x4018000000000000
;;     5b: movq xmm0,r11
;;     60: lea rdi,[rsp+0x10]
;;     65: mov rsi,r14
;;     68: mov rdx,r14
;;     6b: call fffffffffffffea0
;;     70: mov QWORD PTR [rbp-0x98],r10
;;     77: mov r11,QWORD PTR [rsp]
;;     7b: mov QWORD PTR [rbp-0xa8],r11
;;     82: add rsp,0x10
;;     86: mov QWORD PTR [rbp-0x28],rax
;;     8a: mov rax,QWORD PTR [rbp-0x28]
;;     8e: mov r14,QWORD PTR [rbp-0x8]
;;     92: mov rsp,rbp
;;     95: pop rbp
;;     96: ret
;;     97: ud2
