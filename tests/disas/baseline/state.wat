;; Locals, globals (defined and imported), select, tables and references.
(module
  (import "env" "g" (global $imported (mut i64)))
  (global $g (mut i32) (i32.const 0))
  (table $t 4 externref)
  (func (export "state") (param i32 externref) (result i32)
    (global.set $g (i32.add (global.get $g) (local.get 0)))
    (global.set $imported (i64.extend_i32_s (global.get $g)))
    (table.set $t (local.get 0) (local.get 1))
    (select (local.get 0) (table.size $t) (ref.is_null (table.get $t (i32.const 1))))))

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
;;     1a: jb 96
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov QWORD PTR [rbp-0x30],rcx
;;     2e: mov eax,DWORD PTR [r14+0x50]
;;     32: add eax,DWORD PTR [rbp-0x28]
;;     35: mov DWORD PTR [r14+0x50],eax
;;     39: mov eax,DWORD PTR [r14+0x50]
;;     3d: movsxd rax,eax
;;     40: mov r11,QWORD PTR [r14+0x30]
;;     44: mov QWORD PTR [r11],rax
;;     47: mov rax,QWORD PTR [rbp-0x30]
;;     4b: mov ecx,DWORD PTR [rbp-0x28]
;;     4e: cmp rcx,QWORD PTR [r14+0x40]
;;     52: jae 98
;;     58: mov r10,QWORD PTR [r14+0x38]
;;     5c: lea r10,[r10+rcx*8]
;;     60: mov QWORD PTR [r10],rax
;;     63: mov eax,DWORD PTR [r14+0x40]
;;     67: mov ecx,0x1
;;     6c: cmp rcx,QWORD PTR [r14+0x40]
;;     70: jae 98
;;     76: mov r10,QWORD PTR [r14+0x38]
;;     7a: lea r10,[r10+rcx*8]
;;     7e: mov rcx,QWORD PTR [r10]
;;     81: test rcx,rcx
;;     84: mov ecx,DWORD PTR [rbp-0x28]
;;     87: cmovne ecx,eax
;;     8a: mov rax,rcx
;;     8d: mov r14,QWORD PTR [rbp-0x8]
;;     91: mov rsp,rbp
;;     94: pop rbp
;;     95: ret
;;     96: ud2
;;     98: ud2
