;; Integer arithmetic: immediates folded into instructions, division and
;; remainder with their trap checks, shifts by cl and by constants,
;; comparisons producing 0/1, bit counts, extensions.
(module
  (func (export "arith") (param i32 i32) (result i32)
    (i32.xor (i32.mul (i32.add (local.get 0) (i32.const 5)) (local.get 1))
             (i32.sub (local.get 0) (local.get 1))))
  (func (export "div") (param i32 i32) (result i32)
    (i32.add (i32.div_s (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1))))
  (func (export "shifts") (param i64 i64) (result i64)
    (i64.rotl (i64.shl (local.get 0) (local.get 1)) (i64.const 13)))
  (func (export "cmp") (param i64 i64) (result i32)
    (i32.add (i64.lt_u (local.get 0) (local.get 1)) (i64.eqz (local.get 0))))
  (func (export "bits") (param i32) (result i32)
    (i32.add (i32.clz (local.get 0)) (i32.popcnt (i32.extend8_s (local.get 0))))))

;; ---- baseline tier listing (BRISK_BLESS=1 regenerates) ----
;; wasm-function[0]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x58
;;     17: cmp rsp,r11
;;     1a: jb 4f
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: mov DWORD PTR [rbp-0x28],ecx
;;     2d: mov eax,DWORD PTR [rbp-0x20]
;;     30: add eax,0x5
;;     33: imul eax,DWORD PTR [rbp-0x28]
;;     37: mov ecx,DWORD PTR [rbp-0x20]
;;     3a: sub ecx,DWORD PTR [rbp-0x28]
;;     3d: xor eax,ecx
;;     3f: mov QWORD PTR [rbp-0x38],rax
;;     43: mov eax,DWORD PTR [rbp-0x38]
;;     46: mov r14,QWORD PTR [rbp-0x8]
;;     4a: mov rsp,rbp
;;     4d: pop rbp
;;     4e: ret
;;     4f: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x58
;;     17: cmp rsp,r11
;;     1a: jb 80
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: mov DWORD PTR [rbp-0x28],ecx
;;     2d: mov ecx,DWORD PTR [rbp-0x28]
;;     30: mov eax,DWORD PTR [rbp-0x20]
;;     33: test ecx,ecx
;;     35: je 82
;;     3b: cmp ecx,0xffffffff
;;     3e: jne 51
;;     44: neg eax
;;     46: jo 84
;;     4c: jmp 54
;;     51: cdq
;;     52: idiv ecx
;;     54: mov QWORD PTR [rbp-0x38],rax
;;     58: mov ecx,DWORD PTR [rbp-0x28]
;;     5b: mov eax,DWORD PTR [rbp-0x20]
;;     5e: test ecx,ecx
;;     60: je 82
;;     66: mov edx,0x0
;;     6b: div ecx
;;     6d: add edx,DWORD PTR [rbp-0x38]
;;     70: mov QWORD PTR [rbp-0x38],rdx
;;     74: mov eax,DWORD PTR [rbp-0x38]
;;     77: mov r14,QWORD PTR [rbp-0x8]
;;     7b: mov rsp,rbp
;;     7e: pop rbp
;;     7f: ret
;;     80: ud2
;;     82: ud2
;;     84: ud2
;; wasm-function[2]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 4f
;;     20: sub rsp,0x48
;;     27: mov QWORD PTR [rbp-0x20],rdx
;;     2b: mov QWORD PTR [rbp-0x28],rcx
;;     2f: mov rcx,QWORD PTR [rbp-0x28]
;;     33: mov rax,QWORD PTR [rbp-0x20]
;;     37: shl rax,cl
;;     3a: rol rax,0xd
;;     3e: mov QWORD PTR [rbp-0x38],rax
;;     42: mov rax,QWORD PTR [rbp-0x38]
;;     46: mov r14,QWORD PTR [rbp-0x8]
;;     4a: mov rsp,rbp
;;     4d: pop rbp
;;     4e: ret
;;     4f: ud2
;; wasm-function[3]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 5a
;;     20: sub rsp,0x48
;;     27: mov QWORD PTR [rbp-0x20],rdx
;;     2b: mov QWORD PTR [rbp-0x28],rcx
;;     2f: mov rax,QWORD PTR [rbp-0x20]
;;     33: cmp rax,QWORD PTR [rbp-0x28]
;;     37: setb al
;;     3a: movzx eax,al
;;     3d: cmp QWORD PTR [rbp-0x20],0x0
;;     42: sete cl
;;     45: movzx ecx,cl
;;     48: add eax,ecx
;;     4a: mov QWORD PTR [rbp-0x38],rax
;;     4e: mov eax,DWORD PTR [rbp-0x38]
;;     51: mov r14,QWORD PTR [rbp-0x8]
;;     55: mov rsp,rbp
;;     58: pop rbp
;;     59: ret
;;     5a: ud2
;; wasm-function[4]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x38
;;     17: cmp rsp,r11
;;     1a: jb 4b
;;     20: sub rsp,0x38
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: lzcnt eax,DWORD PTR [rbp-0x20]
;;     2f: mov ecx,DWORD PTR [rbp-0x20]
;;     32: movsx ecx,cl
;;     35: popcnt ecx,ecx
;;     39: add eax,ecx
;;     3b: mov QWORD PTR [rbp-0x30],rax
;;     3f: mov eax,DWORD PTR [rbp-0x30]
;;     42: mov r14,QWORD PTR [rbp-0x8]
;;     46: mov rsp,rbp
;;     49: pop rbp
;;     4a: ret
;;     4b: ud2
