;; Loads and stores with guard pages (no bounds check), constants stored
;; from immediates, offsets, extending loads; memory.size and memory.grow
;; (a builtin call).
(module
  (memory 1)
  (func (export "copy") (param i32 i32)
    (i64.store offset=8 (local.get 0) (i64.load offset=16 (local.get 1)))
    (i32.store8 (local.get 0) (i32.const 255))
    (i32.store16 offset=2 (local.get 0) (i32.load16_s (local.get 1))))
  (func (export "grow") (param i32) (result i32)
    (i32.add (memory.grow (local.get 0)) (memory.size))))

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
;;     1a: jb 6b
;;     20: sub rsp,0x48
;;     27: mov QWORD PTR [rbp-0x10],r15
;;     2b: mov r15,QWORD PTR [r14+0x38]
;;     2f: mov DWORD PTR [rbp-0x28],edx
;;     32: mov DWORD PTR [rbp-0x30],ecx
;;     35: mov eax,DWORD PTR [rbp-0x30]
;;     38: mov rax,QWORD PTR [r15+rax*1+0x10]
;;     3d: mov ecx,DWORD PTR [rbp-0x28]
;;     40: mov QWORD PTR [r15+rcx*1+0x8],rax
;;     45: mov eax,DWORD PTR [rbp-0x28]
;;     48: mov BYTE PTR [r15+rax*1],0xff
;;     4d: mov eax,DWORD PTR [rbp-0x30]
;;     50: movsx eax,WORD PTR [r15+rax*1]
;;     55: mov ecx,DWORD PTR [rbp-0x28]
;;     58: mov WORD PTR [r15+rcx*1+0x2],ax
;;     5e: mov r15,QWORD PTR [rbp-0x10]
;;     62: mov r14,QWORD PTR [rbp-0x8]
;;     66: mov rsp,rbp
;;     69: pop rbp
;;     6a: ret
;;     6b: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x48
;;     17: cmp rsp,r11
;;     1a: jb 6f
;;     20: sub rsp,0x48
;;     27: mov QWORD PTR [rbp-0x10],r15
;;     2b: mov r15,QWORD PTR [r14+0x38]
;;     2f: mov DWORD PTR [rbp-0x28],edx
;;     32: mov r11d,DWORD PTR [rbp-0x28]
;;     36: mov DWORD PTR [rbp-0x38],r11d
;;     3a: mov rdi,r14
;;     3d: mov esi,DWORD PTR [rbp-0x38]
;;     40: mov edx,0x0
;;     45: mov r11,QWORD PTR [r14+0x10]
;;     49: call QWORD PTR [r11]
;;     4c: cmp rax,0xfffffffffffffffe
;;     50: je 71
;;     56: mov eax,eax
;;     58: mov rcx,QWORD PTR [r14+0x40]
;;     5c: shr rcx,0x10
;;     60: add eax,ecx
;;     62: mov r15,QWORD PTR [rbp-0x10]
;;     66: mov r14,QWORD PTR [rbp-0x8]
;;     6a: mov rsp,rbp
;;     6d: pop rbp
;;     6e: ret
;;     6f: ud2
;;     71: ud2
