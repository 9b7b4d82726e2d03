;; Blocks, loops, if/else, br_if with and without carried values, br_table
;; with a jump table, return from inside a block.
(module
  (func (export "loop_sum") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "select_if") (param i32 i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (local.get 1))
      (then (local.get 0))
      (else (local.get 1))))
  (func (export "br_if_value") (param i32) (result i32)
    (block (result i32)
      (br_if 0 (i32.const 7) (local.get 0))
      (drop)
      (i32.const 9)))
  (func (export "table") (param i32) (result i32)
    (block (block (block
      (br_table 0 1 2 (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30)))

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
;;     1a: jb 60
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov r11d,0x0
;;     30: mov QWORD PTR [rbp-0x30],r11
;;     34: cmp DWORD PTR [rbp-0x28],0x0
;;     38: je 54
;;     3e: mov eax,DWORD PTR [rbp-0x30]
;;     41: mov ecx,DWORD PTR [rbp-0x28]
;;     44: add eax,ecx
;;     46: mov DWORD PTR [rbp-0x30],eax
;;     49: sub ecx,0x1
;;     4c: mov DWORD PTR [rbp-0x28],ecx
;;     4f: jmp 34
;;     54: mov eax,DWORD PTR [rbp-0x30]
;;     57: mov r14,QWORD PTR [rbp-0x8]
;;     5b: mov rsp,rbp
;;     5e: pop rbp
;;     5f: ret
;;     60: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 5c
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov DWORD PTR [rbp-0x30],ecx
;;     2d: mov eax,DWORD PTR [rbp-0x28]
;;     30: mov ecx,DWORD PTR [rbp-0x30]
;;     33: cmp eax,ecx
;;     35: jge 48
;;     3b: mov r11d,DWORD PTR [rbp-0x28]
;;     3f: mov DWORD PTR [rbp-0x40],r11d
;;     43: jmp 50
;;     48: mov r11d,DWORD PTR [rbp-0x30]
;;     4c: mov DWORD PTR [rbp-0x40],r11d
;;     50: mov eax,DWORD PTR [rbp-0x40]
;;     53: mov r14,QWORD PTR [rbp-0x8]
;;     57: mov rsp,rbp
;;     5a: pop rbp
;;     5b: ret
;;     5c: ud2
;; wasm-function[2]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 53
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: cmp DWORD PTR [rbp-0x28],0x0
;;     2e: je 40
;;     34: mov DWORD PTR [rbp-0x38],0x7
;;     3b: jmp 47
;;     40: mov DWORD PTR [rbp-0x38],0x9
;;     47: mov eax,DWORD PTR [rbp-0x38]
;;     4a: mov r14,QWORD PTR [rbp-0x8]
;;     4e: mov rsp,rbp
;;     51: pop rbp
;;     52: ret
;;     53: ud2
;; wasm-function[3]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x38
;;     17: cmp rsp,r11
;;     1a: jb 88
;;     20: sub rsp,0x38
;;     27: mov DWORD PTR [rbp-0x28],edx
;;     2a: mov eax,DWORD PTR [rbp-0x28]
;;     2d: cmp eax,0x2
;;     30: jae 59
;;     36: lea r11,[rip+0xa] # 177
;;     3d: movsxd r10,DWORD PTR [r11+rax*4]
;;     41: add r10,r11
;;     44: jmp r10
;;     47: or BYTE PTR [rax],al
;;     49: add BYTE PTR [rax],al
;;     4b: or eax,0xe9000000
;;     50: or al,BYTE PTR [rax]
;;     52: add BYTE PTR [rax],al
;;     54: jmp 6c
;;     59: jmp 7a
;;     5e: mov eax,0xa
;;     63: mov r14,QWORD PTR [rbp-0x8]
;;     67: mov rsp,rbp
;;     6a: pop rbp
;;     6b: ret
;;     6c: mov eax,0x14
;;     71: mov r14,QWORD PTR [rbp-0x8]
;;     75: mov rsp,rbp
;;     78: pop rbp
;;     79: ret
;;     7a: mov eax,0x1e
;;     7f: mov r14,QWORD PTR [rbp-0x8]
;;     83: mov rsp,rbp
;;     86: pop rbp
;;     87: ret
;;     88: ud2
