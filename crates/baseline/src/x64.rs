//! A small x86-64 encoder over a byte buffer: the forms the baseline
//! compiler emits, each a few pushes (measured against dynasmrt,
//! cranelift-assembler-x64 and iced-x86 in `bench/encoders`; see
//! docs/architecture.md).
//!
//! Registers are hardware numbers (`RAX` = 0 ... `R15` = 15; XMM registers
//! 0-15). Every instruction has a 32-bit (`w = false`) and a 64-bit form
//! where x86 has both.

pub type Reg = u8;

pub const RAX: Reg = 0;
pub const RCX: Reg = 1;
pub const RDX: Reg = 2;
pub const RSP: Reg = 4;
pub const RBP: Reg = 5;
pub const RSI: Reg = 6;
pub const RDI: Reg = 7;
pub const R8: Reg = 8;
pub const R9: Reg = 9;
pub const R10: Reg = 10;
pub const R11: Reg = 11;
pub const R14: Reg = 14;
pub const R15: Reg = 15;

/// Condition codes (the low nibble of `jcc`/`setcc`/`cmovcc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Cond {
    O = 0,
    No = 1,
    B = 2,
    Ae = 3,
    E = 4,
    Ne = 5,
    Be = 6,
    A = 7,
    S = 8,
    Ns = 9,
    P = 10,
    Np = 11,
    L = 12,
    Ge = 13,
    Le = 14,
    G = 15,
}

impl Cond {
    /// The condition that holds exactly when `self` does not.
    pub fn invert(self) -> Cond {
        Cond::from_u8(self as u8 ^ 1)
    }

    fn from_u8(v: u8) -> Cond {
        use Cond::*;
        [O, No, B, Ae, E, Ne, Be, A, S, Ns, P, Np, L, Ge, Le, G][usize::from(v & 15)]
    }
}

/// The eight classic ALU operations (`/digit` of opcodes 0x81/0x83).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Alu {
    Add = 0,
    Or = 1,
    And = 4,
    Sub = 5,
    Xor = 6,
    Cmp = 7,
}

/// Shifts and rotates (`/digit` of 0xC1/0xD3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Shift {
    Rol = 0,
    Ror = 1,
    Shl = 4,
    Shr = 5,
    Sar = 7,
}

/// A memory operand: `[base + index + disp]` (`index` scaled by 1 or 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mem {
    pub base: Reg,
    pub index: Option<(Reg, u8)>,
    pub disp: i32,
}

impl Mem {
    pub fn base(base: Reg, disp: i32) -> Mem {
        Mem {
            base,
            index: None,
            disp,
        }
    }
}

/// The r/m operand of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rm {
    Reg(Reg),
    Mem(Mem),
}

/// A branch target, bound once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(u32);

/// The code buffer with its labels and the rel32 fields that wait for them.
#[derive(Default)]
pub struct Asm {
    pub code: Vec<u8>,
    labels: Vec<u32>,
    fixups: Vec<(u32, Label)>,
}

const UNBOUND: u32 = u32::MAX;

impl Asm {
    pub fn clear(&mut self) {
        self.code.clear();
        self.labels.clear();
        self.fixups.clear();
    }

    pub fn len(&self) -> u32 {
        self.code.len() as u32
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(UNBOUND);
        Label(self.labels.len() as u32 - 1)
    }

    pub fn bind(&mut self, l: Label) {
        self.labels[l.0 as usize] = self.len();
    }

    pub fn is_bound(&self, l: Label) -> bool {
        self.labels[l.0 as usize] != UNBOUND
    }

    /// Resolves every rel32 to its label. Returns false if a label was
    /// used but never bound (a compiler bug).
    pub fn resolve(&mut self) -> bool {
        for &(at, l) in &self.fixups {
            let target = self.labels[l.0 as usize];
            if target == UNBOUND {
                return false;
            }
            let rel = target.wrapping_sub(at + 4) as i32;
            self.code[at as usize..at as usize + 4].copy_from_slice(&rel.to_le_bytes());
        }
        true
    }

    /// The offset of a bound label.
    pub fn label_offset(&self, l: Label) -> u32 {
        self.labels[l.0 as usize]
    }

    fn byte(&mut self, b: u8) {
        self.code.push(b);
    }

    fn imm32(&mut self, v: i32) {
        self.code.extend_from_slice(&v.to_le_bytes());
    }

    /// A rel32 field to `l`, filled by `resolve`.
    fn rel32(&mut self, l: Label) {
        self.fixups.push((self.len(), l));
        self.imm32(0);
    }

    /// Writes `v` at `at` (a placeholder emitted earlier).
    pub fn patch32(&mut self, at: u32, v: i32) {
        self.code[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// The general form: optional mandatory prefix, REX (W, and the high
    /// bits of `reg` and of the r/m operand), opcode bytes, ModRM/SIB/disp.
    /// `byte_regs`: the operands are 8-bit registers (SPL..DIL need a REX).
    fn op(&mut self, prefix: Option<u8>, w: bool, opcode: &[u8], reg: u8, rm: Rm, byte_regs: bool) {
        // Built in a local buffer and appended once: one capacity check per
        // instruction instead of one per byte.
        let mut buf = [0u8; 16];
        let mut n = 0;
        if let Some(p) = prefix {
            buf[0] = p;
            n = 1;
        }
        let (b, x) = match rm {
            Rm::Reg(r) => (r, 0),
            Rm::Mem(m) => (m.base, m.index.map_or(0, |(i, _)| i)),
        };
        let mut rex = 0x40
            | (u8::from(w) << 3)
            | ((reg >> 3) & 1) << 2
            | ((x >> 3) & 1) << 1
            | ((b >> 3) & 1);
        if byte_regs && (matches!(rm, Rm::Reg(r) if (4..8).contains(&r)) || (4..8).contains(&reg)) {
            rex |= 0x40;
        } else if rex == 0x40 {
            rex = 0;
        }
        if rex != 0 {
            buf[n] = rex;
            n += 1;
        }
        for &o in opcode {
            buf[n] = o;
            n += 1;
        }
        let reg = (reg & 7) << 3;
        match rm {
            Rm::Reg(r) => {
                buf[n] = 0xc0 | reg | (r & 7);
                n += 1;
            }
            Rm::Mem(Mem { base, index, disp }) => {
                let mode = if disp == 0 && base & 7 != RBP {
                    0x00
                } else if i8::try_from(disp).is_ok() {
                    0x40
                } else {
                    0x80
                };
                match index {
                    None if base & 7 != RSP => {
                        buf[n] = mode | reg | (base & 7);
                        n += 1;
                    }
                    None => {
                        buf[n] = mode | reg | 4;
                        buf[n + 1] = 0x24;
                        n += 2;
                    }
                    Some((i, scale)) => {
                        let ss = match scale {
                            1 => 0,
                            2 => 1,
                            4 => 2,
                            _ => 3,
                        };
                        buf[n] = mode | reg | 4;
                        buf[n + 1] = (ss << 6) | ((i & 7) << 3) | (base & 7);
                        n += 2;
                    }
                }
                match mode {
                    0x40 => {
                        buf[n] = disp as i8 as u8;
                        n += 1;
                    }
                    0x80 => {
                        buf[n..n + 4].copy_from_slice(&disp.to_le_bytes());
                        n += 4;
                    }
                    _ => {}
                }
            }
        }
        // A fixed-size copy (two moves), then the length: cheaper than a
        // variable-length one, which is a call to memcpy.
        let len = self.code.len();
        self.code.extend_from_slice(&buf);
        self.code.truncate(len + n);
    }

    /// Any instruction of the general form (SSE maps 0F, 0F 38, 0F 3A).
    pub fn raw(&mut self, prefix: Option<u8>, w: bool, opcode: &[u8], reg: u8, rm: Rm) {
        self.op(prefix, w, opcode, reg, rm, false);
    }

    /// An 8-bit immediate after an instruction.
    pub fn imm8(&mut self, v: u8) {
        self.byte(v);
    }

    // ---- Integer moves ----

    /// `mov dst, src` (32-bit zero-extends).
    pub fn mov_rr(&mut self, w: bool, dst: Reg, src: Reg) {
        self.op(None, w, &[0x89], src, Rm::Reg(dst), false);
    }

    pub fn load(&mut self, w: bool, dst: Reg, m: Mem) {
        self.op(None, w, &[0x8b], dst, Rm::Mem(m), false);
    }

    pub fn store(&mut self, w: bool, m: Mem, src: Reg) {
        self.op(None, w, &[0x89], src, Rm::Mem(m), false);
    }

    /// Stores the low `bytes` (1, 2, 4, 8) of `src`.
    pub fn store_n(&mut self, bytes: u8, m: Mem, src: Reg) {
        match bytes {
            1 => self.op(None, false, &[0x88], src, Rm::Mem(m), true),
            2 => {
                self.byte(0x66);
                self.op(None, false, &[0x89], src, Rm::Mem(m), false)
            }
            4 => self.store(false, m, src),
            _ => self.store(true, m, src),
        }
    }

    /// Loads `bytes` (1, 2, 4) zero- or sign-extended into a 32- or 64-bit
    /// register; 8 bytes is a plain 64-bit load.
    pub fn load_ext(&mut self, bytes: u8, signed: bool, w: bool, dst: Reg, m: Mem) {
        match (bytes, signed) {
            (1, false) => self.op(None, false, &[0x0f, 0xb6], dst, Rm::Mem(m), false),
            (2, false) => self.op(None, false, &[0x0f, 0xb7], dst, Rm::Mem(m), false),
            (1, true) => self.op(None, w, &[0x0f, 0xbe], dst, Rm::Mem(m), false),
            (2, true) => self.op(None, w, &[0x0f, 0xbf], dst, Rm::Mem(m), false),
            (4, true) if w => self.op(None, true, &[0x63], dst, Rm::Mem(m), false),
            (4, _) => self.load(false, dst, m),
            _ => self.load(true, dst, m),
        }
    }

    /// `movsx`/`movzx` from the low `bytes` of a register (`bytes` 1, 2, or 4
    /// signed: `movsxd`).
    pub fn extend_rr(&mut self, bytes: u8, signed: bool, w: bool, dst: Reg, src: Reg) {
        match (bytes, signed) {
            (1, false) => self.op(None, false, &[0x0f, 0xb6], dst, Rm::Reg(src), true),
            (2, false) => self.op(None, false, &[0x0f, 0xb7], dst, Rm::Reg(src), false),
            (1, true) => self.op(None, w, &[0x0f, 0xbe], dst, Rm::Reg(src), true),
            (2, true) => self.op(None, w, &[0x0f, 0xbf], dst, Rm::Reg(src), false),
            (4, true) => self.op(None, true, &[0x63], dst, Rm::Reg(src), false),
            _ => self.mov_rr(false, dst, src),
        }
    }

    /// `mov dst, imm` in the shortest form that gives the 64-bit value
    /// (`w`) or the 32-bit one.
    pub fn mov_ri(&mut self, w: bool, dst: Reg, imm: u64) {
        if !w || imm <= u64::from(u32::MAX) {
            if dst >= 8 {
                self.byte(0x41);
            }
            self.byte(0xb8 | (dst & 7));
            self.imm32(imm as u32 as i32);
        } else if let Ok(v) = i32::try_from(imm as i64) {
            self.op(None, true, &[0xc7], 0, Rm::Reg(dst), false);
            self.imm32(v);
        } else {
            self.byte(0x48 | (dst >> 3));
            self.byte(0xb8 | (dst & 7));
            self.code.extend_from_slice(&imm.to_le_bytes());
        }
    }

    /// `mov [m], imm32` (64-bit: sign-extended).
    pub fn store_imm(&mut self, w: bool, m: Mem, imm: i32) {
        self.op(None, w, &[0xc7], 0, Rm::Mem(m), false);
        self.imm32(imm);
    }

    /// Stores the low `bytes` of the constant `imm`.
    pub fn store_imm_n(&mut self, bytes: u8, m: Mem, imm: i32) {
        match bytes {
            1 => {
                self.op(None, false, &[0xc6], 0, Rm::Mem(m), false);
                self.byte(imm as u8);
            }
            2 => {
                self.byte(0x66);
                self.op(None, false, &[0xc7], 0, Rm::Mem(m), false);
                self.code.extend_from_slice(&(imm as u16).to_le_bytes());
            }
            4 => self.store_imm(false, m, imm),
            _ => self.store_imm(true, m, imm),
        }
    }

    pub fn lea(&mut self, dst: Reg, m: Mem) {
        self.op(None, true, &[0x8d], dst, Rm::Mem(m), false);
    }

    // ---- Arithmetic ----

    /// `op dst, src` with `src` a register or memory.
    pub fn alu(&mut self, op: Alu, w: bool, dst: Reg, src: Rm) {
        self.op(None, w, &[op as u8 * 8 + 3], dst, src, false);
    }

    /// `op r/m, src` (the r/m operand is the destination).
    pub fn alu_to_rm(&mut self, op: Alu, w: bool, dst: Rm, src: Reg) {
        self.op(None, w, &[op as u8 * 8 + 1], src, dst, false);
    }

    pub fn alu_ri(&mut self, op: Alu, w: bool, dst: Rm, imm: i32) {
        if let Ok(b) = i8::try_from(imm) {
            self.op(None, w, &[0x83], op as u8, dst, false);
            self.byte(b as u8);
        } else {
            self.op(None, w, &[0x81], op as u8, dst, false);
            self.imm32(imm);
        }
    }

    pub fn test_rr(&mut self, w: bool, a: Reg, b: Reg) {
        self.op(None, w, &[0x85], b, Rm::Reg(a), false);
    }

    pub fn imul(&mut self, w: bool, dst: Reg, src: Rm) {
        self.op(None, w, &[0x0f, 0xaf], dst, src, false);
    }

    pub fn imul_ri(&mut self, w: bool, dst: Reg, src: Rm, imm: i32) {
        self.op(None, w, &[0x69], dst, src, false);
        self.imm32(imm);
    }

    /// `div`/`idiv` of rdx:rax by `src`.
    pub fn div(&mut self, w: bool, signed: bool, src: Reg) {
        self.op(
            None,
            w,
            &[0xf7],
            if signed { 7 } else { 6 },
            Rm::Reg(src),
            false,
        );
    }

    /// `cdq` / `cqo`: sign-extends rax into rdx.
    pub fn sign_extend_rax(&mut self, w: bool) {
        if w {
            self.byte(0x48);
        }
        self.byte(0x99);
    }

    pub fn neg(&mut self, w: bool, dst: Reg) {
        self.op(None, w, &[0xf7], 3, Rm::Reg(dst), false);
    }

    /// Shift by `cl`.
    pub fn shift_cl(&mut self, op: Shift, w: bool, dst: Reg) {
        self.op(None, w, &[0xd3], op as u8, Rm::Reg(dst), false);
    }

    pub fn shift_ri(&mut self, op: Shift, w: bool, dst: Reg, imm: u8) {
        self.op(None, w, &[0xc1], op as u8, Rm::Reg(dst), false);
        self.byte(imm);
    }

    /// `lzcnt`, `tzcnt` or `popcnt` (`kind` 0xbd, 0xbc, 0xb8).
    pub fn bit_count(&mut self, kind: u8, w: bool, dst: Reg, src: Rm) {
        self.op(Some(0xf3), w, &[0x0f, kind], dst, src, false);
    }

    pub fn setcc(&mut self, cc: Cond, dst: Reg) {
        self.op(None, false, &[0x0f, 0x90 | cc as u8], 0, Rm::Reg(dst), true);
    }

    /// The condition as 0 or 1 in a 32-bit register (`setcc` + `movzx`,
    /// which leave the flags alone).
    pub fn set01(&mut self, cc: Cond, r: Reg) {
        self.setcc(cc, r);
        self.extend_rr(1, false, false, r, r);
    }

    pub fn cmov(&mut self, cc: Cond, w: bool, dst: Reg, src: Rm) {
        self.op(None, w, &[0x0f, 0x40 | cc as u8], dst, src, false);
    }

    // ---- Control ----

    pub fn jcc(&mut self, cc: Cond, l: Label) {
        self.byte(0x0f);
        self.byte(0x80 | cc as u8);
        self.rel32(l);
    }

    pub fn jmp(&mut self, l: Label) {
        self.byte(0xe9);
        self.rel32(l);
    }

    pub fn jmp_r(&mut self, r: Reg) {
        self.op(None, false, &[0xff], 4, Rm::Reg(r), false);
    }

    /// `call rel32` with a zero displacement; returns the displacement's
    /// offset (for a relocation).
    pub fn call_rel32(&mut self) -> u32 {
        self.byte(0xe8);
        let at = self.len();
        self.imm32(0);
        at
    }

    pub fn call_rm(&mut self, target: Rm) {
        self.op(None, false, &[0xff], 2, target, false);
    }

    pub fn push(&mut self, r: Reg) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0x50 | (r & 7));
    }

    pub fn pop(&mut self, r: Reg) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0x58 | (r & 7));
    }

    /// `ret` popping `bytes` of stack arguments.
    pub fn ret(&mut self, bytes: u16) {
        if bytes == 0 {
            self.byte(0xc3);
        } else {
            self.byte(0xc2);
            self.code.extend_from_slice(&bytes.to_le_bytes());
        }
    }

    pub fn ud2(&mut self) {
        self.byte(0x0f);
        self.byte(0x0b);
    }

    /// `sub rsp, imm32` with a placeholder; returns where the immediate is.
    pub fn sub_rsp_placeholder(&mut self) -> u32 {
        self.op(None, true, &[0x81], Alu::Sub as u8, Rm::Reg(RSP), false);
        let at = self.len();
        self.imm32(0);
        at
    }

    /// `add r, imm32` with a placeholder; returns where the immediate is.
    pub fn add_placeholder(&mut self, r: Reg) -> u32 {
        self.op(None, true, &[0x81], Alu::Add as u8, Rm::Reg(r), false);
        let at = self.len();
        self.imm32(0);
        at
    }

    /// `rep stosq`.
    pub fn rep_stosq(&mut self) {
        self.code.extend_from_slice(&[0xf3, 0x48, 0xab]);
    }

    /// A 32-bit data word (jump tables).
    pub fn data32(&mut self, v: i32) {
        self.imm32(v);
    }

    /// `lea dst, [rip + l]`.
    pub fn lea_label(&mut self, dst: Reg, l: Label) {
        self.byte(0x48 | ((dst >> 3) << 2));
        self.byte(0x8d);
        self.byte(((dst & 7) << 3) | 5);
        self.rel32(l);
    }

    // ---- SSE ----

    /// A scalar or packed SSE instruction `0F op` with prefix `prefix`
    /// (None, 66, F2, F3): `op xmm, xmm/m`.
    pub fn sse(&mut self, prefix: Option<u8>, opcode: u8, dst: Reg, src: Rm) {
        self.op(prefix, false, &[0x0f, opcode], dst, src, false);
    }

    /// `movss`/`movsd` load (`double`: movsd).
    pub fn movs_load(&mut self, double: bool, dst: Reg, m: Mem) {
        self.sse(
            Some(if double { 0xf2 } else { 0xf3 }),
            0x10,
            dst,
            Rm::Mem(m),
        );
    }

    pub fn movs_store(&mut self, double: bool, m: Mem, src: Reg) {
        self.sse(
            Some(if double { 0xf2 } else { 0xf3 }),
            0x11,
            src,
            Rm::Mem(m),
        );
    }

    /// `movdqu xmm, [m]`.
    pub fn movdqu_load(&mut self, dst: Reg, m: Mem) {
        self.sse(Some(0xf3), 0x6f, dst, Rm::Mem(m));
    }

    /// `movdqu [m], xmm`.
    pub fn movdqu_store(&mut self, m: Mem, src: Reg) {
        self.sse(Some(0xf3), 0x7f, src, Rm::Mem(m));
    }

    /// `movaps dst, src` (a full register copy).
    pub fn movaps(&mut self, dst: Reg, src: Reg) {
        self.sse(None, 0x28, dst, Rm::Reg(src));
    }

    /// `movd`/`movq xmm, gpr`.
    pub fn movq_xr(&mut self, w: bool, dst: Reg, src: Reg) {
        self.op(Some(0x66), w, &[0x0f, 0x6e], dst, Rm::Reg(src), false);
    }

    /// `movd`/`movq gpr, xmm`.
    pub fn movq_rx(&mut self, w: bool, dst: Reg, src: Reg) {
        self.op(Some(0x66), w, &[0x0f, 0x7e], src, Rm::Reg(dst), false);
    }

    /// `cvtsi2ss/sd xmm, r32/r64`.
    pub fn cvtsi2s(&mut self, double: bool, w: bool, dst: Reg, src: Reg) {
        self.op(
            Some(if double { 0xf2 } else { 0xf3 }),
            w,
            &[0x0f, 0x2a],
            dst,
            Rm::Reg(src),
            false,
        );
    }

    /// `cvttss2si/cvttsd2si r32/r64, xmm`.
    pub fn cvtts2si(&mut self, double: bool, w: bool, dst: Reg, src: Reg) {
        self.op(
            Some(if double { 0xf2 } else { 0xf3 }),
            w,
            &[0x0f, 0x2c],
            dst,
            Rm::Reg(src),
            false,
        );
    }

    /// `roundss/roundsd dst, src, mode` (SSE4.1).
    pub fn rounds(&mut self, double: bool, dst: Reg, src: Reg, mode: u8) {
        self.op(
            Some(0x66),
            false,
            &[0x0f, 0x3a, if double { 0x0b } else { 0x0a }],
            dst,
            Rm::Reg(src),
            false,
        );
        self.byte(mode);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let mut a = Asm::default();
        f(&mut a);
        a.code
    }

    #[test]
    fn encodings() {
        // Checked against `objdump -d` of the same instructions.
        assert_eq!(enc(|a| a.mov_rr(true, RAX, R11)), [0x4c, 0x89, 0xd8]);
        assert_eq!(enc(|a| a.mov_rr(false, RCX, RDX)), [0x89, 0xd1]);
        assert_eq!(
            enc(|a| a.load(false, RAX, Mem::base(RBP, -8))),
            [0x8b, 0x45, 0xf8]
        );
        assert_eq!(
            enc(|a| a.load(true, R8, Mem::base(RSP, 16))),
            [0x4c, 0x8b, 0x44, 0x24, 0x10]
        );
        assert_eq!(
            enc(|a| a.load(true, RAX, Mem::base(13, 0))),
            [0x49, 0x8b, 0x45, 0x00]
        );
        assert_eq!(
            enc(|a| a.load(true, RAX, Mem::base(R14, 0x1000))),
            [0x49, 0x8b, 0x86, 0x00, 0x10, 0, 0]
        );
        assert_eq!(
            enc(|a| a.load(
                false,
                RDX,
                Mem {
                    base: R11,
                    index: Some((RCX, 1)),
                    disp: 4
                }
            )),
            [0x41, 0x8b, 0x54, 0x0b, 0x04]
        );
        assert_eq!(
            enc(|a| a.store_n(1, Mem::base(RAX, 0), RSI)),
            [0x40, 0x88, 0x30]
        );
        assert_eq!(
            enc(|a| a.store_n(2, Mem::base(RAX, 0), RCX)),
            [0x66, 0x89, 0x08]
        );
        assert_eq!(
            enc(|a| a.alu(Alu::Add, false, RAX, Rm::Reg(RCX))),
            [0x03, 0xc1]
        );
        assert_eq!(
            enc(|a| a.alu_ri(Alu::Cmp, true, Rm::Reg(R9), -1)),
            [0x49, 0x83, 0xf9, 0xff]
        );
        assert_eq!(
            enc(|a| a.alu_ri(Alu::And, false, Rm::Reg(RAX), 0x1000)),
            [0x81, 0xe0, 0, 0x10, 0, 0]
        );
        assert_eq!(
            enc(|a| a.mov_ri(true, RAX, u64::MAX)),
            [0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            enc(|a| a.mov_ri(true, R10, 1 << 40)),
            [0x49, 0xba, 0, 0, 0, 0, 0, 1, 0, 0]
        );
        assert_eq!(enc(|a| a.setcc(Cond::E, RSI)), [0x40, 0x0f, 0x94, 0xc6]);
        assert_eq!(
            enc(|a| a.extend_rr(1, false, false, RAX, RDI)),
            [0x40, 0x0f, 0xb6, 0xc7]
        );
        assert_eq!(
            enc(|a| a.shift_cl(Shift::Sar, true, RDX)),
            [0x48, 0xd3, 0xfa]
        );
        assert_eq!(enc(|a| a.div(false, true, R8)), [0x41, 0xf7, 0xf8]);
        assert_eq!(enc(|a| a.push(R14)), [0x41, 0x56]);
        assert_eq!(enc(|a| a.ret(16)), [0xc2, 0x10, 0x00]);
        assert_eq!(
            enc(|a| a.sse(Some(0xf3), 0x58, 1, Rm::Reg(9))),
            [0xf3, 0x41, 0x0f, 0x58, 0xc9]
        );
        assert_eq!(
            enc(|a| a.movq_xr(true, 0, R11)),
            [0x66, 0x49, 0x0f, 0x6e, 0xc3]
        );
        assert_eq!(enc(|a| a.movq_rx(false, RAX, 1)), [0x66, 0x0f, 0x7e, 0xc8]);
        assert_eq!(
            enc(|a| a.rounds(true, 0, 1, 9)),
            [0x66, 0x0f, 0x3a, 0x0b, 0xc1, 0x09]
        );
        assert_eq!(
            enc(|a| a.call_rm(Rm::Mem(Mem::base(R11, 0)))),
            [0x41, 0xff, 0x13]
        );
        assert_eq!(
            enc(|a| a.bit_count(0xb8, true, RAX, Rm::Reg(RCX))),
            [0xf3, 0x48, 0x0f, 0xb8, 0xc1]
        );
    }
}
