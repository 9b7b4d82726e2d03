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
;;     1a: jb 4a
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov DWORD PTR [rbp-0x30],ecx
;;     2d: mov eax,DWORD PTR [rbp-0x28]
;;     30: add eax,0x5
;;     33: imul eax,DWORD PTR [rbp-0x30]
;;     37: mov ecx,DWORD PTR [rbp-0x28]
;;     3a: mov edx,DWORD PTR [rbp-0x30]
;;     3d: sub ecx,edx
;;     3f: xor eax,ecx
;;     41: mov r14,QWORD PTR [rbp-0x8]
;;     45: mov rsp,rbp
;;     48: pop rbp
;;     49: ret
;;     4a: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x58
;;     17: cmp rsp,r11
;;     1a: jb 7b
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov DWORD PTR [rbp-0x30],ecx
;;     2d: mov ecx,DWORD PTR [rbp-0x30]
;;     30: mov eax,DWORD PTR [rbp-0x28]
;;     33: test ecx,ecx
;;     35: je 7d
;;     3b: cmp ecx,0xffffffff
;;     3e: jne 51
;;     44: neg eax
;;     46: jo 7f
;;     4c: jmp 54
;;     51: cdq
;;     52: idiv ecx
;;     54: mov DWORD PTR [rbp-0x40],eax
;;     57: mov ecx,DWORD PTR [rbp-0x30]
;;     5a: mov eax,DWORD PTR [rbp-0x28]
;;     5d: test ecx,ecx
;;     5f: je 7d
;;     65: mov edx,0x0
;;     6a: div ecx
;;     6c: add edx,DWORD PTR [rbp-0x40]
;;     6f: mov rax,rdx
;;     72: mov r14,QWORD PTR [rbp-0x8]
;;     76: mov rsp,rbp
;;     79: pop rbp
;;     7a: ret
;;     7b: ud2
;;     7d: ud2
;;     7f: ud2
;; wasm-function[2]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 47
;;     20: sub rsp,0x48
;;     27: mov QWORD PTR [rbp-0x28],rdx
;;     2b: mov QWORD PTR [rbp-0x30],rcx
;;     2f: mov rcx,QWORD PTR [rbp-0x30]
;;     33: mov rax,QWORD PTR [rbp-0x28]
;;     37: shl rax,cl
;;     3a: rol rax,0xd
;;     3e: mov r14,QWORD PTR [rbp-0x8]
;;     42: mov rsp,rbp
;;     45: pop rbp
;;     46: ret
;;     47: ud2
;; wasm-function[3]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 56
;;     20: sub rsp,0x48
;;     27: mov QWORD PTR [rbp-0x28],rdx
;;     2b: mov QWORD PTR [rbp-0x30],rcx
;;     2f: mov rax,QWORD PTR [rbp-0x28]
;;     33: mov rcx,QWORD PTR [rbp-0x30]
;;     37: cmp rax,rcx
;;     3a: setb al
;;     3d: movzx eax,al
;;     40: cmp QWORD PTR [rbp-0x28],0x0
;;     45: sete cl
;;     48: movzx ecx,cl
;;     4b: add eax,ecx
;;     4d: mov r14,QWORD PTR [rbp-0x8]
;;     51: mov rsp,rbp
;;     54: pop rbp
;;     55: ret
;;     56: ud2
;; wasm-function[4]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 44
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: lzcnt eax,DWORD PTR [rbp-0x28]
;;     2f: mov ecx,DWORD PTR [rbp-0x28]
;;     32: movsx ecx,cl
;;     35: popcnt ecx,ecx
;;     39: add eax,ecx
;;     3b: mov r14,QWORD PTR [rbp-0x8]
;;     3f: mov rsp,rbp
;;     42: pop rbp
;;     43: ret
;;     44: ud2
