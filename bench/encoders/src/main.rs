//! For the baseline tier's choice of machine-code encoder (docs/architecture.md):
//! how fast can each candidate encode a baseline compiler's typical x86-64
//! instruction mix? Per "wasm operator": load a local from the frame, an ALU
//! op reg-reg, an ALU op with an immediate, store to the frame, a compare
//! with an immediate, a lea, a 64-bit constant, a conditional branch.
//! Registers and displacements vary at run time (no constant folding).
use std::hint::black_box;
use std::time::Instant;

const N: usize = 2_000_000;

fn regs(i: usize) -> (u8, u8, i32) {
    // Avoid rsp/rbp/r12/r13 (special encodings) so every encoder does the same thing.
    const R: [u8; 8] = [0, 1, 2, 3, 6, 7, 8, 9];
    (R[i % 8], R[(i / 8) % 8], ((i % 512) * 16) as i32 + 16)
}

mod hand {
    #[inline]
    fn rex(w: bool, r: u8, b: u8) -> Option<u8> {
        let v = 0x40 | (u8::from(w) << 3) | ((r >> 3) << 2) | (b >> 3);
        if v != 0x40 { Some(v) } else { None }
    }
    #[inline]
    fn modrm_disp32(buf: &mut Vec<u8>, reg: u8, base: u8, disp: i32) {
        buf.push(0x80 | ((reg & 7) << 3) | (base & 7));
        buf.extend_from_slice(&disp.to_le_bytes());
    }
    pub fn mov_r32_m(buf: &mut Vec<u8>, dst: u8, base: u8, disp: i32) {
        if let Some(r) = rex(false, dst, base) { buf.push(r) }
        buf.push(0x8b);
        modrm_disp32(buf, dst, base, disp);
    }
    pub fn mov_m_r32(buf: &mut Vec<u8>, base: u8, disp: i32, src: u8) {
        if let Some(r) = rex(false, src, base) { buf.push(r) }
        buf.push(0x89);
        modrm_disp32(buf, src, base, disp);
    }
    pub fn add_r32_r32(buf: &mut Vec<u8>, dst: u8, src: u8) {
        if let Some(r) = rex(false, src, dst) { buf.push(r) }
        buf.push(0x01);
        buf.push(0xc0 | ((src & 7) << 3) | (dst & 7));
    }
    pub fn and_r32_imm(buf: &mut Vec<u8>, dst: u8, imm: i32) {
        if let Some(r) = rex(false, 0, dst) { buf.push(r) }
        buf.push(0x81);
        buf.push(0xc0 | (4 << 3) | (dst & 7));
        buf.extend_from_slice(&imm.to_le_bytes());
    }
    pub fn cmp_r32_imm(buf: &mut Vec<u8>, dst: u8, imm: i32) {
        if let Some(r) = rex(false, 0, dst) { buf.push(r) }
        buf.push(0x81);
        buf.push(0xc0 | (7 << 3) | (dst & 7));
        buf.extend_from_slice(&imm.to_le_bytes());
    }
    pub fn lea_r64(buf: &mut Vec<u8>, dst: u8, base: u8, disp: i32) {
        buf.push(rex(true, dst, base).unwrap_or(0x48));
        buf.push(0x8d);
        modrm_disp32(buf, dst, base, disp);
    }
    pub fn mov_r64_imm64(buf: &mut Vec<u8>, dst: u8, imm: u64) {
        buf.push(rex(true, 0, dst).unwrap_or(0x48));
        buf.push(0xb8 | (dst & 7));
        buf.extend_from_slice(&imm.to_le_bytes());
    }
    pub fn jcc_rel32(buf: &mut Vec<u8>, cc: u8, rel: i32) {
        buf.push(0x0f);
        buf.push(0x80 | cc);
        buf.extend_from_slice(&rel.to_le_bytes());
    }
}

fn bench(name: &str, f: impl Fn(&mut Vec<u8>) -> usize) -> f64 {
    let mut best = f64::MAX;
    let mut len = 0;
    for _ in 0..7 {
        let mut buf = Vec::with_capacity(1 << 16);
        let t = Instant::now();
        len = f(&mut buf);
        let dt = t.elapsed().as_secs_f64();
        best = best.min(dt);
    }
    let insts = (N * 8) as f64;
    println!("{name:28} {:7.2} ns/inst  {:8.1} M inst/s  {:7.1} MiB/s  ({len} bytes)", best * 1e9 / insts, insts / best / 1e6, len as f64 / best / 1048576.0);
    best
}

fn main() {
    let n = black_box(N);
    bench("hand-written", |buf| {
        let mut total = 0;
        for i in 0..n {
            if i % 1024 == 0 { total += buf.len(); buf.clear(); }
            let (a, b, d) = regs(i);
            hand::mov_r32_m(buf, a, b, d);
            hand::add_r32_r32(buf, a, b);
            hand::and_r32_imm(buf, a, 0x7fff_0000);
            hand::mov_m_r32(buf, b, d + 8, a);
            hand::cmp_r32_imm(buf, a, 1000);
            hand::lea_r64(buf, a, b, d);
            hand::mov_r64_imm64(buf, b, 0x1234_5678_9abc_def0);
            hand::jcc_rel32(buf, 0x5, -(d));
        }
        total + buf.len()
    });
    {
        use cranelift_assembler_x64::{Amode, AmodeOffset, AmodeOffsetPlusKnownOffset, GprMem, Imm32, Imm64, Registers, inst};
        pub struct Regs;
        impl Registers for Regs {
            type ReadGpr = u8;
            type ReadWriteGpr = u8;
            type WriteGpr = u8;
            type ReadXmm = u8;
            type ReadWriteXmm = u8;
            type WriteXmm = u8;
        }
        let mem = |b: u8, d: i32| Amode::ImmReg { base: b, simm32: AmodeOffsetPlusKnownOffset { simm32: AmodeOffset::new(d), offset: None }, trap: None };
        bench("cranelift-assembler-x64", |buf| {
            let mut total = 0;
            for i in 0..n {
                if i % 1024 == 0 { total += buf.len(); buf.clear(); }
                let (a, b, d) = regs(i);
                inst::movl_rm::<Regs>::new(a, GprMem::Mem(mem(b, d))).encode(buf);
                inst::addl_rm::<Regs>::new(a, GprMem::Gpr(b)).encode(buf);
                inst::andl_mi::<Regs>::new(GprMem::Gpr(a), Imm32::new(0x7fff_0000)).encode(buf);
                inst::movl_mr::<Regs>::new(GprMem::Mem(mem(b, d + 8)), a).encode(buf);
                inst::cmpl_mi::<Regs>::new(GprMem::Gpr(a), Imm32::new(1000)).encode(buf);
                inst::leaq_rm::<Regs>::new(a, mem(b, d)).encode(buf);
                inst::movabsq_oi::<Regs>::new(b, Imm64::new(0x1234_5678_9abc_def0)).encode(buf);
                // jcc rel32: not an assembler instruction here (Cranelift's
                // MachBuffer emits branches); written by hand as in Brisk.
                hand::jcc_rel32(buf, 0x5, -d);
            }
            total + buf.len()
        });
    }
    {
        use iced_x86::{Code, Encoder, Instruction, MemoryOperand, Register};
        const R: [Register; 16] = [Register::EAX, Register::ECX, Register::EDX, Register::EBX, Register::ESP, Register::EBP, Register::ESI, Register::EDI,
            Register::R8D, Register::R9D, Register::R10D, Register::R11D, Register::R12D, Register::R13D, Register::R14D, Register::R15D];
        const Q: [Register; 16] = [Register::RAX, Register::RCX, Register::RDX, Register::RBX, Register::RSP, Register::RBP, Register::RSI, Register::RDI,
            Register::R8, Register::R9, Register::R10, Register::R11, Register::R12, Register::R13, Register::R14, Register::R15];
        bench("iced-x86 Encoder", |buf| {
            let mut enc = Encoder::new(64);
            let mut total = 0;
            for i in 0..n {
                if i % 1024 == 0 { let mut b = enc.take_buffer(); total += b.len(); b.clear(); enc.set_buffer(b); }
                let (a, b, d) = regs(i);
                let (a32, b32, a64, b64) = (R[a as usize], R[b as usize], Q[a as usize], Q[b as usize]);
                let m = |disp: i32| MemoryOperand::with_base_displ(b64, i64::from(disp));
                let insts = [
                    Instruction::with2(Code::Mov_r32_rm32, a32, m(d)).unwrap(),
                    Instruction::with2(Code::Add_rm32_r32, a32, b32).unwrap(),
                    Instruction::with2(Code::And_rm32_imm32, a32, 0x7fff_0000u32).unwrap(),
                    Instruction::with2(Code::Mov_rm32_r32, m(d + 8), a32).unwrap(),
                    Instruction::with2(Code::Cmp_rm32_imm32, a32, 1000u32).unwrap(),
                    Instruction::with2(Code::Lea_r64_m, a64, m(d)).unwrap(),
                    Instruction::with2(Code::Mov_r64_imm64, b64, 0x1234_5678_9abc_def0u64).unwrap(),
                    Instruction::with_branch(Code::Jne_rel32_64, 0x1000).unwrap(),
                ];
                for ins in &insts {
                    enc.encode(ins, 0x1000).unwrap();
                }
            }
            let _ = buf;
            total + enc.take_buffer().len()
        });
    }
    {
        use dynasmrt::{DynasmApi, dynasm};
        bench("dynasmrt", |buf| {
            let mut ops = dynasmrt::VecAssembler::<dynasmrt::x64::X64Relocation>::new(0);
            let mut total = 0;
            for i in 0..n {
                if i % 1024 == 0 { let b = ops.take().unwrap(); total += b.len(); }
                let (a, b, d) = regs(i);
                dynasm!(ops
                    ; .arch x64
                    ; mov Rd(a), [Rq(b) + d]
                    ; add Rd(a), Rd(b)
                    ; and Rd(a), 0x7fff_0000
                    ; mov [Rq(b) + d + 8], Rd(a)
                    ; cmp Rd(a), 1000
                    ; lea Rq(a), [Rq(b) + d]
                    ; mov Rq(b), QWORD 0x1234_5678_9abc_def0
                );
                dynasm!(ops ; .arch x64 ; jne DWORD -d);
            }
            let _ = buf;
            total + ops.finalize().unwrap().len()
        });
    }
}
