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
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 39
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov eax,DWORD PTR [rbp-0x28]
;;     2d: add eax,0x1
;;     30: mov r14,QWORD PTR [rbp-0x8]
;;     34: mov rsp,rbp
;;     37: pop rbp
;;     38: ret
;;     39: ud2
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
;;     27: mov QWORD PTR [rbp-0x20],rdi
;;     2b: mov QWORD PTR [rbp-0x28],rcx
;;     2f: mov QWORD PTR [rbp-0x30],r8
;;     33: mov QWORD PTR [rbp-0x38],r9
;;     37: mov r11,QWORD PTR [rbp+0x10]
;;     3b: mov QWORD PTR [rbp-0x40],r11
;;     3f: mov r11,QWORD PTR [rbp+0x18]
;;     43: mov QWORD PTR [rbp-0x48],r11
;;     47: movsd QWORD PTR [rbp-0x50],xmm0
;;     4c: mov r10,QWORD PTR [rbp-0x20]
;;     50: mov r11,QWORD PTR [rbp-0x40]
;;     54: mov QWORD PTR [r10],r11
;;     57: mov rax,QWORD PTR [rbp-0x28]
;;     5b: mov rcx,QWORD PTR [rbp-0x30]
;;     5f: mov rdx,QWORD PTR [rbp-0x38]
;;     63: mov rsi,QWORD PTR [rbp-0x40]
;;     67: mov rdi,QWORD PTR [rbp-0x48]
;;     6b: mov r8,QWORD PTR [rbp-0x28]
;;     6f: mov r9,QWORD PTR [rbp-0x30]
;;     73: mov r10,QWORD PTR [rbp-0x38]
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
;;     10: add r11,0x58
;;     17: cmp rsp,r11
;;     1a: jb b7
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov r11d,DWORD PTR [rbp-0x28]
;;     2e: mov DWORD PTR [rbp-0x38],r11d
;;     32: mov edx,DWORD PTR [rbp-0x38]
;;     35: mov rdi,QWORD PTR [r14+0x40]
;;     39: mov rsi,r14
;;     3c: call QWORD PTR [r14+0x38]
;;     40: mov eax,eax
;;     42: mov DWORD PTR [rbp-0x38],eax
;;     45: mov edx,DWORD PTR [rbp-0x38]
;;     48: mov rdi,r14
;;     4b: mov rsi,r14
;;     4e: call ffffffffffffff30
;;     53: mov eax,eax
;;     55: mov ecx,0x0
;;     5a: cmp rcx,QWORD PTR [r14+0x50]
;;     5e: jae b9
;;     64: mov r10,QWORD PTR [r14+0x48]
;;     68: lea r10,[r10+rcx*8]
;;     6c: mov r10,QWORD PTR [r10]
;;     6f: test r10,r10
;;     72: je bb
;;     78: mov r11,QWORD PTR [r14+0x18]
;;     7c: mov r11d,DWORD PTR [r11]
;;     7f: cmp r11d,DWORD PTR [r10+0x18]
;;     83: jne bd
;;     89: mov QWORD PTR [rbp-0x18],r10
;;     8d: mov DWORD PTR [rbp-0x38],eax
;;     90: mov r11d,DWORD PTR [rbp-0x28]
;;     94: mov DWORD PTR [rbp-0x48],r11d
;;     98: mov edx,DWORD PTR [rbp-0x48]
;;     9b: mov r11,QWORD PTR [rbp-0x18]
;;     9f: mov rdi,QWORD PTR [r11+0x10]
;;     a3: mov rsi,r14
;;     a6: call QWORD PTR [r11]
;;     a9: mov eax,eax
;;     ab: add eax,DWORD PTR [rbp-0x38]
;;     ae: mov r14,QWORD PTR [rbp-0x8]
;;     b2: mov rsp,rbp
;;     b5: pop rbp
;;     b6: ret
;;     b7: ud2
;;     b9: ud2
;;     bb: ud2
;;     bd: ud2
;; wasm-function[4]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0xa8
;;     17: cmp rsp,r11
;;     1a: jb 8f
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
;;     6b: call fffffffffffffeb0
;;     70: mov QWORD PTR [rbp-0xa0],r10
;;     77: mov r11,QWORD PTR [rsp]
;;     7b: mov QWORD PTR [rbp-0xb0],r11
;;     82: add rsp,0x10
;;     86: mov r14,QWORD PTR [rbp-0x8]
;;     8a: mov rsp,rbp
;;     8d: pop rbp
;;     8e: ret
;;     8f: ud2
