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
;;     1a: jb 73
;;     20: sub rsp,0x48
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: mov DWORD PTR [rbp-0x28],ecx
;;     2d: mov eax,DWORD PTR [rbp-0x28]
;;     30: mov r10,QWORD PTR [r14+0x30]
;;     34: mov rax,QWORD PTR [r10+rax*1+0x10]
;;     39: mov ecx,DWORD PTR [rbp-0x20]
;;     3c: mov r10,QWORD PTR [r14+0x30]
;;     40: mov QWORD PTR [r10+rcx*1+0x8],rax
;;     45: mov eax,DWORD PTR [rbp-0x20]
;;     48: mov r10,QWORD PTR [r14+0x30]
;;     4c: mov BYTE PTR [r10+rax*1],0xff
;;     51: mov eax,DWORD PTR [rbp-0x28]
;;     54: mov r10,QWORD PTR [r14+0x30]
;;     58: movsx eax,WORD PTR [r10+rax*1]
;;     5d: mov ecx,DWORD PTR [rbp-0x20]
;;     60: mov r10,QWORD PTR [r14+0x30]
;;     64: mov WORD PTR [r10+rcx*1+0x2],ax
;;     6a: mov r14,QWORD PTR [rbp-0x8]
;;     6e: mov rsp,rbp
;;     71: pop rbp
;;     72: ret
;;     73: ud2
;; wasm-function[1]:
;;      0: push rbp
;;      1: mov rbp,rsp
;;      4: push r14
;;      6: mov r14,rdi
;;      9: mov r11,QWORD PTR [r14+0x8]
;;      d: mov r11,QWORD PTR [r11]
;;     10: add r11,0x38
;;     17: cmp rsp,r11
;;     1a: jb 6a
;;     20: sub rsp,0x38
;;     27: mov DWORD PTR [rbp-0x20],edx
;;     2a: mov r11,QWORD PTR [rbp-0x20]
;;     2e: mov QWORD PTR [rbp-0x30],r11
;;     32: mov rdi,r14
;;     35: mov esi,DWORD PTR [rbp-0x30]
;;     38: mov edx,0x0
;;     3d: mov r11,QWORD PTR [r14+0x10]
;;     41: call QWORD PTR [r11]
;;     44: cmp rax,0xfffffffffffffffe
;;     48: je 6c
;;     4e: mov eax,eax
;;     50: mov rcx,QWORD PTR [r14+0x38]
;;     54: shr rcx,0x10
;;     58: add eax,ecx
;;     5a: mov QWORD PTR [rbp-0x30],rax
;;     5e: mov eax,DWORD PTR [rbp-0x30]
;;     61: mov r14,QWORD PTR [rbp-0x8]
;;     65: mov rsp,rbp
;;     68: pop rbp
;;     69: ret
;;     6a: ud2
;;     6c: ud2
