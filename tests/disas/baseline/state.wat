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
;;     1a: jb 95
;;     20: sub rsp,0x58
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov QWORD PTR [rbp-0x30],rcx
;;     2e: mov eax,DWORD PTR [r14+0x50]
;;     32: mov ecx,DWORD PTR [rbp-0x28]
;;     35: add eax,ecx
;;     37: mov DWORD PTR [r14+0x50],eax
;;     3b: mov eax,DWORD PTR [r14+0x50]
;;     3f: movsxd rax,eax
;;     42: mov r11,QWORD PTR [r14+0x38]
;;     46: mov QWORD PTR [r11],rax
;;     49: mov rax,QWORD PTR [rbp-0x30]
;;     4d: cmp rcx,QWORD PTR [r14+0x48]
;;     51: jae 97
;;     57: mov r10,QWORD PTR [r14+0x40]
;;     5b: lea r10,[r10+rcx*8]
;;     5f: mov QWORD PTR [r10],rax
;;     62: mov eax,DWORD PTR [r14+0x48]
;;     66: mov ecx,0x1
;;     6b: cmp rcx,QWORD PTR [r14+0x48]
;;     6f: jae 97
;;     75: mov r10,QWORD PTR [r14+0x40]
;;     79: lea r10,[r10+rcx*8]
;;     7d: mov rcx,QWORD PTR [r10]
;;     80: test rcx,rcx
;;     83: mov ecx,DWORD PTR [rbp-0x28]
;;     86: cmovne ecx,eax
;;     89: mov rax,rcx
;;     8c: mov r14,QWORD PTR [rbp-0x8]
;;     90: mov rsp,rbp
;;     93: pop rbp
;;     94: ret
;;     95: ud2
;;     97: ud2
