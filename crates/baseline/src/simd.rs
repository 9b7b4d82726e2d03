//! The fixed-width SIMD operators (`v128`), on SSE4.1 (the floor the
//! optimizing tier also requires; `i64x2.gt_s` and friends use SSE4.2's
//! `pcmpgtq` when the host has it and go to the optimizing tier when not).
//!
//! Values live in XMM registers. Packed SSE instructions with a memory
//! operand require 16-byte alignment, which frame slots and locals do not
//! have: operands are always loaded into registers first (`movdqu`).
//! Sequences follow the usual lowerings (those of Cranelift's x64 backend
//! and V8's Liftoff for the operators SSE has no instruction for), with
//! the wasm semantics for NaNs, signed zeros and saturation.

use super::{
    Gen, Loc, Op, Opnd, Result, Trap, Ty, XMM_SCRATCH as X15, XMM_SCRATCH2 as X14, unsupported,
};
use crate::x64::{Mem, R10, R11, Reg, Rm};
use wasmparser::Operator as O;

/// Opcode bytes of the SSE forms used here (after the mandatory prefix).
mod op {
    pub const PSHUFB: &[u8] = &[0x0f, 0x38, 0x00];
    pub const PMADDUBSW: &[u8] = &[0x0f, 0x38, 0x04];
    pub const PMULHRSW: &[u8] = &[0x0f, 0x38, 0x0b];
    pub const PTEST: &[u8] = &[0x0f, 0x38, 0x17];
    pub const PMULDQ: &[u8] = &[0x0f, 0x38, 0x28];
    pub const PCMPEQQ: &[u8] = &[0x0f, 0x38, 0x29];
    pub const PACKUSDW: &[u8] = &[0x0f, 0x38, 0x2b];
    pub const PCMPGTQ: &[u8] = &[0x0f, 0x38, 0x37];
    pub const PMAXSD: &[u8] = &[0x0f, 0x38, 0x3d];
    pub const PMULLD: &[u8] = &[0x0f, 0x38, 0x40];
}

/// How an operator's lanes are shaped, for the families with one
/// instruction per lane size.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lanes {
    I8,
    I16,
    I32,
    I64,
}

fn k16(b: u8) -> u128 {
    u128::from_le_bytes([b; 16])
}

fn k16w(w: u16) -> u128 {
    let mut v = 0u128;
    for i in 0..8 {
        v |= u128::from(w) << (16 * i);
    }
    v
}

fn k32(d: u32) -> u128 {
    let mut v = 0u128;
    for i in 0..4 {
        v |= u128::from(d) << (32 * i);
    }
    v
}

fn k64(q: u64) -> u128 {
    u128::from(q) | u128::from(q) << 64
}

impl Gen<'_> {
    /// Emits `prefix opcode dst, src` (66-prefixed unless `prefix` says).
    fn x(&mut self, prefix: Option<u8>, opcode: &[u8], dst: Reg, src: Reg) {
        self.s.asm.raw(prefix, false, opcode, dst, Rm::Reg(src));
    }

    /// A 66-prefixed packed-integer instruction `0F opc`.
    fn p(&mut self, opc: u8, dst: Reg, src: Reg) {
        self.x(Some(0x66), &[0x0f, opc], dst, src);
    }

    fn p3(&mut self, opcode: &[u8], dst: Reg, src: Reg) {
        self.x(Some(0x66), opcode, dst, src);
    }

    /// `prefix 0F opc dst, src, imm8`.
    fn xi(&mut self, prefix: Option<u8>, opcode: &[u8], dst: Reg, src: Rm, imm: u8) {
        self.s.asm.raw(prefix, false, opcode, dst, src);
        self.s.asm.imm8(imm);
    }

    /// Shift by an immediate: `0F 71/72/73 /digit ib`.
    fn pshift_imm(&mut self, opc: u8, digit: u8, dst: Reg, imm: u8) {
        self.xi(Some(0x66), &[0x0f, opc], digit, Rm::Reg(dst), imm);
    }

    fn movdqa(&mut self, dst: Reg, src: Reg) {
        if dst != src {
            self.s.asm.movaps(dst, src);
        }
    }

    /// A 128-bit constant into `into`.
    fn v128_const(&mut self, bits: u128, into: Reg) {
        let (lo, hi) = (bits as u64, (bits >> 64) as u64);
        if bits == 0 {
            self.p(0xef, into, into);
        } else if bits == u128::MAX {
            self.p(0x76, into, into);
        } else {
            self.s.asm.mov_ri(true, R11, lo);
            self.s.asm.movq_xr(true, into, R11);
            if hi != 0 || lo != 0 {
                self.s.asm.mov_ri(true, R11, hi);
                // pinsrq into, r11, 1
                self.s
                    .asm
                    .raw(Some(0x66), true, &[0x0f, 0x3a, 0x22], into, Rm::Reg(R11));
                self.s.asm.imm8(1);
            }
        }
    }

    /// Pops a v128 into a register of its own.
    fn vpop(&mut self) -> Result<Reg> {
        let o = self.pop();
        self.in_reg(o)
    }

    fn vpush(&mut self, r: Reg) {
        self.push(Ty::V128, Loc::Reg(r));
    }

    /// `a = a op b` for two v128 operands.
    fn vbin(&mut self, f: impl FnOnce(&mut Self, Reg, Reg)) -> Result<()> {
        let b = self.vpop()?;
        let a = self.vpop()?;
        f(self, a, b);
        self.release(true, b);
        self.vpush(a);
        Ok(())
    }

    /// `b = b op a`, the result in `b` (operators whose instruction has its
    /// operands the other way round).
    fn vbin_rev(&mut self, f: impl FnOnce(&mut Self, Reg, Reg)) -> Result<()> {
        let b = self.vpop()?;
        let a = self.vpop()?;
        f(self, b, a);
        self.release(true, a);
        self.vpush(b);
        Ok(())
    }

    fn vun(&mut self, f: impl FnOnce(&mut Self, Reg)) -> Result<()> {
        let a = self.vpop()?;
        f(self, a);
        self.vpush(a);
        Ok(())
    }

    fn not(&mut self, a: Reg) {
        self.p(0x76, X15, X15);
        self.p(0xef, a, X15);
    }

    /// The shift count (an i32 operand) masked to the lane width, in r10.
    fn shift_count(&mut self, mask: u8) {
        let c = self.pop();
        let c = Opnd {
            ty: Ty::I32,
            op: c.op,
        };
        if let Op::Reg(r) = c.op {
            self.s.asm.mov_rr(false, R10, r);
            self.release(false, r);
        } else {
            self.load_raw(c, R10);
        }
        self.s
            .asm
            .alu_ri(crate::x64::Alu::And, false, Rm::Reg(R10), i32::from(mask));
    }

    fn vshift(&mut self, lanes: Lanes, kind: u8) -> Result<()> {
        // kind: 0 shl, 1 shr_s, 2 shr_u.
        let mask = match lanes {
            Lanes::I8 => 7,
            Lanes::I16 => 15,
            Lanes::I32 => 31,
            Lanes::I64 => 63,
        };
        self.shift_count(mask);
        let a = self.vpop()?;
        match (lanes, kind) {
            (Lanes::I8, _) => {
                // Bytes widened to words (each byte in both halves), shifted
                // as words, narrowed back.
                // Allocate first: a spill may go through xmm15.
                let hi = self.alloc_xmm()?;
                if kind != 0 {
                    self.s.asm.lea(R10, Mem::base(R10, 8));
                }
                self.s.asm.movq_xr(false, X15, R10);
                self.movdqa(hi, a);
                self.p(0x68, hi, a);
                self.p(0x60, a, a);
                let (shift, pack) = match kind {
                    0 => (0xf1, 0x67),
                    1 => (0xe1, 0x63),
                    _ => (0xd1, 0x67),
                };
                self.p(shift, a, X15);
                self.p(shift, hi, X15);
                if kind == 0 {
                    self.p(0x75, X14, X14);
                    self.pshift_imm(0x71, 2, X14, 8);
                    self.p(0xdb, a, X14);
                    self.p(0xdb, hi, X14);
                }
                self.p(pack, a, hi);
                self.release(true, hi);
            }
            (Lanes::I64, 1) => {
                // (x >>u c ^ m) - m with m = 2^63 >>u c.
                self.s.asm.movq_xr(false, X15, R10);
                self.p(0xd3, a, X15);
                self.p(0x76, X14, X14);
                self.pshift_imm(0x73, 6, X14, 63);
                self.p(0xd3, X14, X15);
                self.p(0xef, a, X14);
                self.p(0xfb, a, X14);
            }
            _ => {
                self.s.asm.movq_xr(false, X15, R10);
                let opc = match (lanes, kind) {
                    (Lanes::I16, 0) => 0xf1,
                    (Lanes::I32, 0) => 0xf2,
                    (Lanes::I64, 0) => 0xf3,
                    (Lanes::I16, 1) => 0xe1,
                    (Lanes::I32, 1) => 0xe2,
                    (Lanes::I16, _) => 0xd1,
                    (Lanes::I32, _) => 0xd2,
                    _ => 0xd3,
                };
                self.p(opc, a, X15);
            }
        }
        self.vpush(a);
        Ok(())
    }

    /// `all_true`: no lane is zero.
    fn all_true(&mut self, lanes: Lanes) -> Result<()> {
        let a = self.vpop()?;
        self.p(0xef, X15, X15);
        match lanes {
            Lanes::I8 => self.p(0x74, X15, a),
            Lanes::I16 => self.p(0x75, X15, a),
            Lanes::I32 => self.p(0x76, X15, a),
            Lanes::I64 => self.p3(op::PCMPEQQ, X15, a),
        }
        self.p3(op::PTEST, X15, X15);
        self.release(true, a);
        self.push(Ty::I32, Loc::Flags(crate::x64::Cond::E));
        Ok(())
    }

    fn bitmask(&mut self, lanes: Lanes) -> Result<()> {
        let a = self.vpop()?;
        let r = self.alloc_gpr()?;
        match lanes {
            Lanes::I8 => self.p(0xd7, r, a),
            Lanes::I16 => {
                self.p(0x63, a, a);
                self.p(0xd7, r, a);
                self.s
                    .asm
                    .alu_ri(crate::x64::Alu::And, false, Rm::Reg(r), 0xff);
            }
            Lanes::I32 => self.x(None, &[0x0f, 0x50], r, a),
            Lanes::I64 => self.x(Some(0x66), &[0x0f, 0x50], r, a),
        }
        self.release(true, a);
        self.push(Ty::I32, Loc::Reg(r));
        Ok(())
    }

    /// Integer comparisons. `cmp`: 0 eq, 1 ne, 2 lt, 3 gt, 4 le, 5 ge;
    /// `signed` for the ordered ones.
    fn icmp(&mut self, lanes: Lanes, cmp: u8, signed: bool) -> Result<()> {
        let (eq, gt): (&[u8], &[u8]) = match lanes {
            Lanes::I8 => (&[0x0f, 0x74], &[0x0f, 0x64]),
            Lanes::I16 => (&[0x0f, 0x75], &[0x0f, 0x65]),
            Lanes::I32 => (&[0x0f, 0x76], &[0x0f, 0x66]),
            Lanes::I64 => (op::PCMPEQQ, op::PCMPGTQ),
        };
        if lanes == Lanes::I64 && cmp >= 2 && !self.features.sse42 {
            return unsupported("i64x2 comparisons without SSE4.2");
        }
        // min/max by lane size and signedness, for the unsigned and the
        // non-strict orders.
        let (min, max): (&[u8], &[u8]) = match (lanes, signed) {
            (Lanes::I8, true) => (&[0x0f, 0x38, 0x38], &[0x0f, 0x38, 0x3c]),
            (Lanes::I8, false) => (&[0x0f, 0xda], &[0x0f, 0xde]),
            (Lanes::I16, true) => (&[0x0f, 0xea], &[0x0f, 0xee]),
            (Lanes::I16, false) => (&[0x0f, 0x38, 0x3a], &[0x0f, 0x38, 0x3e]),
            (Lanes::I32, true) => (&[0x0f, 0x38, 0x39], op::PMAXSD),
            (Lanes::I32, false) => (&[0x0f, 0x38, 0x3b], &[0x0f, 0x38, 0x3f]),
            (Lanes::I64, _) => (&[], &[]),
        };
        match cmp {
            0 => self.vbin(|g, a, b| g.p3(eq, a, b)),
            1 => self.vbin(|g, a, b| {
                g.p3(eq, a, b);
                g.not(a);
            }),
            _ if signed && (lanes == Lanes::I64 || cmp == 2 || cmp == 3) => match cmp {
                // gt: a > b; lt: b > a; le: !(a > b); ge: !(b > a).
                3 => self.vbin(|g, a, b| g.p3(gt, a, b)),
                2 => self.vbin_rev(|g, b, a| g.p3(gt, b, a)),
                4 => self.vbin(|g, a, b| {
                    g.p3(gt, a, b);
                    g.not(a);
                }),
                _ => self.vbin_rev(|g, b, a| {
                    g.p3(gt, b, a);
                    g.not(b);
                }),
            },
            // le: min(a, b) == a; ge: max(a, b) == a; lt: !ge; gt: !le.
            _ => self.vbin_rev(|g, b, a| {
                let f = if cmp == 4 || cmp == 3 { min } else { max };
                g.p3(f, b, a);
                g.p3(eq, b, a);
                if cmp == 2 || cmp == 3 {
                    g.not(b);
                }
            }),
        }
    }

    /// Float comparisons with `cmpps/cmppd` predicates.
    fn fcmp(&mut self, double: bool, pred: u8, swap: bool) -> Result<()> {
        let pre = if double { Some(0x66) } else { None };
        if swap {
            self.vbin_rev(|g, b, a| g.xi(pre, &[0x0f, 0xc2], b, Rm::Reg(a), pred))
        } else {
            self.vbin(|g, a, b| g.xi(pre, &[0x0f, 0xc2], a, Rm::Reg(b), pred))
        }
    }

    fn fminmax(&mut self, double: bool, max: bool) -> Result<()> {
        let pre = if double { Some(0x66) } else { None };
        let mm = if max { 0x5f } else { 0x5d };
        // The NaN lanes keep their top bits (a quiet NaN) and lose the
        // payload: shift the all-ones mask by the exponent width + 1.
        let (shift_opc, shift) = if double { (0x73, 13) } else { (0x72, 10) };
        self.vbin(|g, a, b| {
            // x15 = op(b, a), a = op(a, b): both orders.
            g.movdqa(X15, b);
            g.x(pre, &[0x0f, mm], X15, a);
            g.x(pre, &[0x0f, mm], a, b);
            if max {
                g.x(pre, &[0x0f, 0x57], X15, a); // x15 = max1 ^ max2
                g.x(pre, &[0x0f, 0x56], a, X15); // a = max1 | xor (NaN lanes)
                g.movdqa(X14, a);
                g.xi(pre, &[0x0f, 0xc2], X14, Rm::Reg(X14), 3); // unordered
                g.x(pre, &[0x0f, 0x5c], a, X15); // a -= xor (+0 over -0)
                g.pshift_imm(shift_opc, 2, X14, shift);
                g.x(pre, &[0x0f, 0x55], X14, a); // ~mask & a
                g.movdqa(a, X14);
            } else {
                g.x(pre, &[0x0f, 0x56], a, X15); // a = min1 | min2 (-0, NaN)
                g.xi(pre, &[0x0f, 0xc2], X15, Rm::Reg(a), 3); // unordered
                g.x(pre, &[0x0f, 0x56], a, X15);
                g.pshift_imm(shift_opc, 2, X15, shift);
                g.x(pre, &[0x0f, 0x55], X15, a);
                g.movdqa(a, X15);
            }
        })
    }

    /// Extends the low (or high) half of `a` in place with `pmovsx/zx`.
    fn extend_half(&mut self, a: Reg, high: bool, opcode: &[u8]) {
        if high {
            self.xi(Some(0x66), &[0x0f, 0x70], a, Rm::Reg(a), 0xee);
        }
        self.p3(opcode, a, a);
    }

    fn extend(&mut self, high: bool, opcode: &'static [u8]) -> Result<()> {
        self.vun(|g, a| g.extend_half(a, high, opcode))
    }

    fn extmul(&mut self, high: bool, ext: &'static [u8], mul: &'static [u8]) -> Result<()> {
        self.vbin(|g, a, b| {
            g.extend_half(a, high, ext);
            g.extend_half(b, high, ext);
            g.p3(mul, a, b);
        })
    }

    fn extmul64(&mut self, high: bool, signed: bool) -> Result<()> {
        let order = if high { 0xfa } else { 0x50 };
        self.vbin(|g, a, b| {
            g.xi(Some(0x66), &[0x0f, 0x70], a, Rm::Reg(a), order);
            g.xi(Some(0x66), &[0x0f, 0x70], b, Rm::Reg(b), order);
            if signed {
                g.p3(op::PMULDQ, a, b);
            } else {
                g.p(0xf4, a, b);
            }
        })
    }

    fn splat(&mut self, lanes: Option<Lanes>, double: bool) -> Result<()> {
        let v = self.pop();
        let x = self.alloc_xmm()?;
        match lanes {
            Some(l) => {
                let r = match v.op {
                    Op::Reg(r) => r,
                    _ => {
                        self.load_raw(Opnd { ty: v.ty, op: v.op }, R10);
                        R10
                    }
                };
                self.s.asm.movq_xr(l == Lanes::I64, x, r);
                match l {
                    Lanes::I8 => {
                        self.p(0xef, X15, X15);
                        self.p3(op::PSHUFB, x, X15);
                    }
                    Lanes::I16 => {
                        self.xi(Some(0xf2), &[0x0f, 0x70], x, Rm::Reg(x), 0);
                        self.xi(Some(0x66), &[0x0f, 0x70], x, Rm::Reg(x), 0);
                    }
                    Lanes::I32 => self.xi(Some(0x66), &[0x0f, 0x70], x, Rm::Reg(x), 0),
                    Lanes::I64 => self.xi(Some(0x66), &[0x0f, 0x70], x, Rm::Reg(x), 0x44),
                }
                if r != R10 {
                    self.release(false, r);
                }
            }
            None => {
                let f = self.in_reg(v)?;
                self.xi(
                    Some(0x66),
                    &[0x0f, 0x70],
                    x,
                    Rm::Reg(f),
                    if double { 0x44 } else { 0 },
                );
                self.release(true, f);
            }
        }
        self.vpush(x);
        Ok(())
    }

    fn extract_lane(
        &mut self,
        lanes: Option<Lanes>,
        signed: bool,
        lane: u8,
        double: bool,
    ) -> Result<()> {
        let a = self.vpop()?;
        match lanes {
            Some(l) => {
                let r = self.alloc_gpr()?;
                let ty = if l == Lanes::I64 { Ty::I64 } else { Ty::I32 };
                match l {
                    Lanes::I8 => {
                        self.s
                            .asm
                            .raw(Some(0x66), false, &[0x0f, 0x3a, 0x14], a, Rm::Reg(r));
                        self.s.asm.imm8(lane);
                        if signed {
                            self.s.asm.extend_rr(1, true, false, r, r);
                        }
                    }
                    Lanes::I16 => {
                        self.xi(Some(0x66), &[0x0f, 0xc5], r, Rm::Reg(a), lane);
                        if signed {
                            self.s.asm.extend_rr(2, true, false, r, r);
                        }
                    }
                    Lanes::I32 | Lanes::I64 => {
                        self.s.asm.raw(
                            Some(0x66),
                            l == Lanes::I64,
                            &[0x0f, 0x3a, 0x16],
                            a,
                            Rm::Reg(r),
                        );
                        self.s.asm.imm8(lane);
                    }
                }
                self.release(true, a);
                self.push(ty, Loc::Reg(r));
            }
            None => {
                let ty = if double { Ty::F64 } else { Ty::F32 };
                let imm = if double {
                    if lane == 0 { 0x44 } else { 0xee }
                } else {
                    lane
                };
                self.xi(Some(0x66), &[0x0f, 0x70], a, Rm::Reg(a), imm);
                self.push(ty, Loc::Reg(a));
            }
        }
        Ok(())
    }

    fn replace_lane(&mut self, lanes: Option<Lanes>, lane: u8, double: bool) -> Result<()> {
        let v = self.pop();
        let s = self.in_reg(v)?;
        let a = self.vpop()?;
        match lanes {
            Some(l) => {
                let opc: &[u8] = match l {
                    Lanes::I8 => &[0x0f, 0x3a, 0x20],
                    Lanes::I16 => &[0x0f, 0xc4],
                    _ => &[0x0f, 0x3a, 0x22],
                };
                self.s
                    .asm
                    .raw(Some(0x66), l == Lanes::I64, opc, a, Rm::Reg(s));
                self.s.asm.imm8(lane);
                self.release(false, s);
            }
            None => {
                if double {
                    if lane == 0 {
                        self.x(Some(0xf2), &[0x0f, 0x10], a, s);
                    } else {
                        self.x(None, &[0x0f, 0x16], a, s);
                    }
                } else {
                    self.xi(Some(0x66), &[0x0f, 0x3a, 0x21], a, Rm::Reg(s), lane << 4);
                }
                self.release(true, s);
            }
        }
        self.vpush(a);
        Ok(())
    }

    /// `v128.load*` variants: `f` emits the access given the address and
    /// the destination register; the trap site is its first byte.
    fn vload(
        &mut self,
        memarg: &wasmparser::MemArg,
        bytes: u32,
        f: impl FnOnce(&mut Self, Mem, Reg),
    ) -> Result<()> {
        let x = self.alloc_xmm()?;
        let (m, i) = self.address(memarg, bytes)?;
        let at = self.s.asm.len();
        f(self, m, x);
        self.record_trap(at, Trap::MemoryOutOfBounds);
        self.release(false, i);
        self.vpush(x);
        Ok(())
    }

    fn load_lane(&mut self, memarg: &wasmparser::MemArg, lanes: Lanes, lane: u8) -> Result<()> {
        let x = self.vpop()?;
        let (m, i) = self.address(memarg, 1 << lanes as u32)?;
        let at = self.s.asm.len();
        let (opc, w): (&[u8], bool) = match lanes {
            Lanes::I8 => (&[0x0f, 0x3a, 0x20], false),
            Lanes::I16 => (&[0x0f, 0xc4], false),
            Lanes::I32 => (&[0x0f, 0x3a, 0x22], false),
            Lanes::I64 => (&[0x0f, 0x3a, 0x22], true),
        };
        self.s.asm.raw(Some(0x66), w, opc, x, Rm::Mem(m));
        self.s.asm.imm8(lane);
        self.record_trap(at, Trap::MemoryOutOfBounds);
        self.release(false, i);
        self.vpush(x);
        Ok(())
    }

    fn store_lane(&mut self, memarg: &wasmparser::MemArg, lanes: Lanes, lane: u8) -> Result<()> {
        let x = self.vpop()?;
        let (m, i) = self.address(memarg, 1 << lanes as u32)?;
        let at = self.s.asm.len();
        let opc: u8 = match lanes {
            Lanes::I8 => 0x14,
            Lanes::I16 => 0x15,
            _ => 0x16,
        };
        self.s.asm.raw(
            Some(0x66),
            lanes == Lanes::I64,
            &[0x0f, 0x3a, opc],
            x,
            Rm::Mem(m),
        );
        self.s.asm.imm8(lane);
        self.record_trap(at, Trap::MemoryOutOfBounds);
        self.release(false, i);
        self.release(true, x);
        Ok(())
    }

    /// Compiles a SIMD operator; `Ok(false)` if `op` is not one.
    pub(super) fn simd_operator(&mut self, op: &O<'_>) -> Result<bool> {
        use Lanes::*;
        let ps = None;
        let pd = Some(0x66);
        match *op {
            O::V128Const { value } => {
                let x = self.alloc_xmm()?;
                self.v128_const(value.i128() as u128, x);
                self.vpush(x);
            }
            O::V128Load { memarg } => {
                self.vload(&memarg, 16, |g, m, x| g.s.asm.movdqu_load(x, m))?
            }
            O::V128Store { memarg } => {
                let x = self.vpop()?;
                let (m, i) = self.address(&memarg, 16)?;
                let at = self.s.asm.len();
                self.s.asm.movdqu_store(m, x);
                self.record_trap(at, Trap::MemoryOutOfBounds);
                self.release(false, i);
                self.release(true, x);
            }
            O::V128Load8x8S { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm
                    .raw(Some(0x66), false, &[0x0f, 0x38, 0x20], x, Rm::Mem(m))
            })?,
            O::V128Load8x8U { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm
                    .raw(Some(0x66), false, &[0x0f, 0x38, 0x30], x, Rm::Mem(m))
            })?,
            O::V128Load16x4S { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm
                    .raw(Some(0x66), false, &[0x0f, 0x38, 0x23], x, Rm::Mem(m))
            })?,
            O::V128Load16x4U { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm
                    .raw(Some(0x66), false, &[0x0f, 0x38, 0x33], x, Rm::Mem(m))
            })?,
            O::V128Load32x2S { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm
                    .raw(Some(0x66), false, &[0x0f, 0x38, 0x25], x, Rm::Mem(m))
            })?,
            O::V128Load32x2U { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm
                    .raw(Some(0x66), false, &[0x0f, 0x38, 0x35], x, Rm::Mem(m))
            })?,
            O::V128Load8Splat { memarg } => self.vload(&memarg, 1, |g, m, x| {
                g.s.asm.load_ext(1, false, false, R10, m);
                g.s.asm.movq_xr(false, x, R10);
                g.p(0xef, X15, X15);
                g.p3(op::PSHUFB, x, X15);
            })?,
            O::V128Load16Splat { memarg } => self.vload(&memarg, 2, |g, m, x| {
                g.s.asm.load_ext(2, false, false, R10, m);
                g.s.asm.movq_xr(false, x, R10);
                g.xi(Some(0xf2), &[0x0f, 0x70], x, Rm::Reg(x), 0);
                g.xi(Some(0x66), &[0x0f, 0x70], x, Rm::Reg(x), 0);
            })?,
            O::V128Load32Splat { memarg } => self.vload(&memarg, 4, |g, m, x| {
                g.s.asm.raw(Some(0x66), false, &[0x0f, 0x6e], x, Rm::Mem(m));
                g.xi(Some(0x66), &[0x0f, 0x70], x, Rm::Reg(x), 0);
            })?,
            O::V128Load64Splat { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm.raw(Some(0xf3), false, &[0x0f, 0x7e], x, Rm::Mem(m));
                g.xi(Some(0x66), &[0x0f, 0x70], x, Rm::Reg(x), 0x44);
            })?,
            O::V128Load32Zero { memarg } => self.vload(&memarg, 4, |g, m, x| {
                g.s.asm.raw(Some(0x66), false, &[0x0f, 0x6e], x, Rm::Mem(m))
            })?,
            O::V128Load64Zero { memarg } => self.vload(&memarg, 8, |g, m, x| {
                g.s.asm.raw(Some(0xf3), false, &[0x0f, 0x7e], x, Rm::Mem(m))
            })?,
            O::V128Load8Lane { memarg, lane } => self.load_lane(&memarg, I8, lane)?,
            O::V128Load16Lane { memarg, lane } => self.load_lane(&memarg, I16, lane)?,
            O::V128Load32Lane { memarg, lane } => self.load_lane(&memarg, I32, lane)?,
            O::V128Load64Lane { memarg, lane } => self.load_lane(&memarg, I64, lane)?,
            O::V128Store8Lane { memarg, lane } => self.store_lane(&memarg, I8, lane)?,
            O::V128Store16Lane { memarg, lane } => self.store_lane(&memarg, I16, lane)?,
            O::V128Store32Lane { memarg, lane } => self.store_lane(&memarg, I32, lane)?,
            O::V128Store64Lane { memarg, lane } => self.store_lane(&memarg, I64, lane)?,

            O::I8x16Splat => self.splat(Some(I8), false)?,
            O::I16x8Splat => self.splat(Some(I16), false)?,
            O::I32x4Splat => self.splat(Some(I32), false)?,
            O::I64x2Splat => self.splat(Some(I64), false)?,
            O::F32x4Splat => self.splat(None, false)?,
            O::F64x2Splat => self.splat(None, true)?,
            O::I8x16ExtractLaneS { lane } => self.extract_lane(Some(I8), true, lane, false)?,
            O::I8x16ExtractLaneU { lane } => self.extract_lane(Some(I8), false, lane, false)?,
            O::I16x8ExtractLaneS { lane } => self.extract_lane(Some(I16), true, lane, false)?,
            O::I16x8ExtractLaneU { lane } => self.extract_lane(Some(I16), false, lane, false)?,
            O::I32x4ExtractLane { lane } => self.extract_lane(Some(I32), false, lane, false)?,
            O::I64x2ExtractLane { lane } => self.extract_lane(Some(I64), false, lane, false)?,
            O::F32x4ExtractLane { lane } => self.extract_lane(None, false, lane, false)?,
            O::F64x2ExtractLane { lane } => self.extract_lane(None, false, lane, true)?,
            O::I8x16ReplaceLane { lane } => self.replace_lane(Some(I8), lane, false)?,
            O::I16x8ReplaceLane { lane } => self.replace_lane(Some(I16), lane, false)?,
            O::I32x4ReplaceLane { lane } => self.replace_lane(Some(I32), lane, false)?,
            O::I64x2ReplaceLane { lane } => self.replace_lane(Some(I64), lane, false)?,
            O::F32x4ReplaceLane { lane } => self.replace_lane(None, lane, false)?,
            O::F64x2ReplaceLane { lane } => self.replace_lane(None, lane, true)?,
            O::I8x16Shuffle { lanes } => {
                let (mut ma, mut mb) = ([0x80u8; 16], [0x80u8; 16]);
                for (i, &l) in lanes.iter().enumerate() {
                    if l < 16 {
                        ma[i] = l;
                    } else {
                        mb[i] = l - 16;
                    }
                }
                self.vbin(|g, a, b| {
                    g.v128_const(u128::from_le_bytes(ma), X15);
                    g.p3(op::PSHUFB, a, X15);
                    g.v128_const(u128::from_le_bytes(mb), X15);
                    g.p3(op::PSHUFB, b, X15);
                    g.p(0xeb, a, b);
                })?
            }
            O::I8x16Swizzle => self.vbin(|g, a, s| {
                g.v128_const(k16(0x70), X15);
                g.p(0xdc, X15, s);
                g.p3(op::PSHUFB, a, X15);
            })?,

            O::V128Not => self.vun(|g, a| g.not(a))?,
            O::V128And => self.vbin(|g, a, b| g.p(0xdb, a, b))?,
            O::V128Or => self.vbin(|g, a, b| g.p(0xeb, a, b))?,
            O::V128Xor => self.vbin(|g, a, b| g.p(0xef, a, b))?,
            O::V128AndNot => self.vbin_rev(|g, b, a| g.p(0xdf, b, a))?,
            O::V128Bitselect => {
                let c = self.vpop()?;
                let v2 = self.vpop()?;
                let v1 = self.vpop()?;
                self.p(0xdb, v1, c);
                self.p(0xdf, c, v2);
                self.p(0xeb, v1, c);
                self.release(true, c);
                self.release(true, v2);
                self.vpush(v1);
            }
            O::V128AnyTrue => {
                let a = self.vpop()?;
                self.p3(op::PTEST, a, a);
                self.release(true, a);
                self.push(Ty::I32, Loc::Flags(crate::x64::Cond::Ne));
            }
            O::I8x16AllTrue => self.all_true(I8)?,
            O::I16x8AllTrue => self.all_true(I16)?,
            O::I32x4AllTrue => self.all_true(I32)?,
            O::I64x2AllTrue => self.all_true(I64)?,
            O::I8x16Bitmask => self.bitmask(I8)?,
            O::I16x8Bitmask => self.bitmask(I16)?,
            O::I32x4Bitmask => self.bitmask(I32)?,
            O::I64x2Bitmask => self.bitmask(I64)?,

            O::I8x16Eq => self.icmp(I8, 0, true)?,
            O::I8x16Ne => self.icmp(I8, 1, true)?,
            O::I8x16LtS => self.icmp(I8, 2, true)?,
            O::I8x16LtU => self.icmp(I8, 2, false)?,
            O::I8x16GtS => self.icmp(I8, 3, true)?,
            O::I8x16GtU => self.icmp(I8, 3, false)?,
            O::I8x16LeS => self.icmp(I8, 4, true)?,
            O::I8x16LeU => self.icmp(I8, 4, false)?,
            O::I8x16GeS => self.icmp(I8, 5, true)?,
            O::I8x16GeU => self.icmp(I8, 5, false)?,
            O::I16x8Eq => self.icmp(I16, 0, true)?,
            O::I16x8Ne => self.icmp(I16, 1, true)?,
            O::I16x8LtS => self.icmp(I16, 2, true)?,
            O::I16x8LtU => self.icmp(I16, 2, false)?,
            O::I16x8GtS => self.icmp(I16, 3, true)?,
            O::I16x8GtU => self.icmp(I16, 3, false)?,
            O::I16x8LeS => self.icmp(I16, 4, true)?,
            O::I16x8LeU => self.icmp(I16, 4, false)?,
            O::I16x8GeS => self.icmp(I16, 5, true)?,
            O::I16x8GeU => self.icmp(I16, 5, false)?,
            O::I32x4Eq => self.icmp(I32, 0, true)?,
            O::I32x4Ne => self.icmp(I32, 1, true)?,
            O::I32x4LtS => self.icmp(I32, 2, true)?,
            O::I32x4LtU => self.icmp(I32, 2, false)?,
            O::I32x4GtS => self.icmp(I32, 3, true)?,
            O::I32x4GtU => self.icmp(I32, 3, false)?,
            O::I32x4LeS => self.icmp(I32, 4, true)?,
            O::I32x4LeU => self.icmp(I32, 4, false)?,
            O::I32x4GeS => self.icmp(I32, 5, true)?,
            O::I32x4GeU => self.icmp(I32, 5, false)?,
            O::I64x2Eq => self.icmp(I64, 0, true)?,
            O::I64x2Ne => self.icmp(I64, 1, true)?,
            O::I64x2LtS => self.icmp(I64, 2, true)?,
            O::I64x2GtS => self.icmp(I64, 3, true)?,
            O::I64x2LeS => self.icmp(I64, 4, true)?,
            O::I64x2GeS => self.icmp(I64, 5, true)?,
            O::F32x4Eq => self.fcmp(false, 0, false)?,
            O::F32x4Ne => self.fcmp(false, 4, false)?,
            O::F32x4Lt => self.fcmp(false, 1, false)?,
            O::F32x4Le => self.fcmp(false, 2, false)?,
            O::F32x4Gt => self.fcmp(false, 1, true)?,
            O::F32x4Ge => self.fcmp(false, 2, true)?,
            O::F64x2Eq => self.fcmp(true, 0, false)?,
            O::F64x2Ne => self.fcmp(true, 4, false)?,
            O::F64x2Lt => self.fcmp(true, 1, false)?,
            O::F64x2Le => self.fcmp(true, 2, false)?,
            O::F64x2Gt => self.fcmp(true, 1, true)?,
            O::F64x2Ge => self.fcmp(true, 2, true)?,

            O::I8x16Add => self.vbin(|g, a, b| g.p(0xfc, a, b))?,
            O::I16x8Add => self.vbin(|g, a, b| g.p(0xfd, a, b))?,
            O::I32x4Add => self.vbin(|g, a, b| g.p(0xfe, a, b))?,
            O::I64x2Add => self.vbin(|g, a, b| g.p(0xd4, a, b))?,
            O::I8x16Sub => self.vbin(|g, a, b| g.p(0xf8, a, b))?,
            O::I16x8Sub => self.vbin(|g, a, b| g.p(0xf9, a, b))?,
            O::I32x4Sub => self.vbin(|g, a, b| g.p(0xfa, a, b))?,
            O::I64x2Sub => self.vbin(|g, a, b| g.p(0xfb, a, b))?,
            O::I8x16AddSatS => self.vbin(|g, a, b| g.p(0xec, a, b))?,
            O::I8x16AddSatU => self.vbin(|g, a, b| g.p(0xdc, a, b))?,
            O::I8x16SubSatS => self.vbin(|g, a, b| g.p(0xe8, a, b))?,
            O::I8x16SubSatU => self.vbin(|g, a, b| g.p(0xd8, a, b))?,
            O::I16x8AddSatS => self.vbin(|g, a, b| g.p(0xed, a, b))?,
            O::I16x8AddSatU => self.vbin(|g, a, b| g.p(0xdd, a, b))?,
            O::I16x8SubSatS => self.vbin(|g, a, b| g.p(0xe9, a, b))?,
            O::I16x8SubSatU => self.vbin(|g, a, b| g.p(0xd9, a, b))?,
            O::I16x8Mul => self.vbin(|g, a, b| g.p(0xd5, a, b))?,
            O::I32x4Mul => self.vbin(|g, a, b| g.p3(op::PMULLD, a, b))?,
            O::I64x2Mul => self.vbin(|g, a, b| {
                g.movdqa(X14, a);
                g.pshift_imm(0x73, 2, X14, 32);
                g.p(0xf4, X14, b); // a_hi * b_lo
                g.movdqa(X15, b);
                g.pshift_imm(0x73, 2, X15, 32);
                g.p(0xf4, X15, a); // b_hi * a_lo
                g.p(0xd4, X14, X15);
                g.pshift_imm(0x73, 6, X14, 32);
                g.p(0xf4, a, b); // a_lo * b_lo
                g.p(0xd4, a, X14);
            })?,
            O::I8x16Neg | O::I16x8Neg | O::I32x4Neg | O::I64x2Neg => {
                let sub = match op {
                    O::I8x16Neg => 0xf8,
                    O::I16x8Neg => 0xf9,
                    O::I32x4Neg => 0xfa,
                    _ => 0xfb,
                };
                self.vun(|g, a| {
                    g.p(0xef, X15, X15);
                    g.p(sub, X15, a);
                    g.movdqa(a, X15);
                })?
            }
            O::I8x16Abs => self.vun(|g, a| g.p3(&[0x0f, 0x38, 0x1c], a, a))?,
            O::I16x8Abs => self.vun(|g, a| g.p3(&[0x0f, 0x38, 0x1d], a, a))?,
            O::I32x4Abs => self.vun(|g, a| g.p3(&[0x0f, 0x38, 0x1e], a, a))?,
            O::I64x2Abs => self.vun(|g, a| {
                g.movdqa(X15, a);
                g.pshift_imm(0x72, 4, X15, 31);
                g.xi(Some(0x66), &[0x0f, 0x70], X15, Rm::Reg(X15), 0xf5);
                g.p(0xef, a, X15);
                g.p(0xfb, a, X15);
            })?,
            O::I8x16MinS => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x38], a, b))?,
            O::I8x16MinU => self.vbin(|g, a, b| g.p(0xda, a, b))?,
            O::I8x16MaxS => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x3c], a, b))?,
            O::I8x16MaxU => self.vbin(|g, a, b| g.p(0xde, a, b))?,
            O::I16x8MinS => self.vbin(|g, a, b| g.p(0xea, a, b))?,
            O::I16x8MinU => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x3a], a, b))?,
            O::I16x8MaxS => self.vbin(|g, a, b| g.p(0xee, a, b))?,
            O::I16x8MaxU => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x3e], a, b))?,
            O::I32x4MinS => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x39], a, b))?,
            O::I32x4MinU => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x3b], a, b))?,
            O::I32x4MaxS => self.vbin(|g, a, b| g.p3(op::PMAXSD, a, b))?,
            O::I32x4MaxU => self.vbin(|g, a, b| g.p3(&[0x0f, 0x38, 0x3f], a, b))?,
            O::I8x16AvgrU => self.vbin(|g, a, b| g.p(0xe0, a, b))?,
            O::I16x8AvgrU => self.vbin(|g, a, b| g.p(0xe3, a, b))?,
            O::I8x16Shl => self.vshift(I8, 0)?,
            O::I8x16ShrS => self.vshift(I8, 1)?,
            O::I8x16ShrU => self.vshift(I8, 2)?,
            O::I16x8Shl => self.vshift(I16, 0)?,
            O::I16x8ShrS => self.vshift(I16, 1)?,
            O::I16x8ShrU => self.vshift(I16, 2)?,
            O::I32x4Shl => self.vshift(I32, 0)?,
            O::I32x4ShrS => self.vshift(I32, 1)?,
            O::I32x4ShrU => self.vshift(I32, 2)?,
            O::I64x2Shl => self.vshift(I64, 0)?,
            O::I64x2ShrS => self.vshift(I64, 1)?,
            O::I64x2ShrU => self.vshift(I64, 2)?,
            O::I8x16Popcnt => {
                let a = self.vpop()?;
                let hi = self.alloc_xmm()?;
                let t = self.alloc_xmm()?;
                self.v128_const(k16(0x0f), X15);
                self.movdqa(hi, a);
                self.pshift_imm(0x71, 2, hi, 4);
                self.p(0xdb, hi, X15);
                self.p(0xdb, a, X15);
                self.v128_const(
                    u128::from_le_bytes([0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4]),
                    X14,
                );
                self.movdqa(t, X14);
                self.p3(op::PSHUFB, X14, a);
                self.p3(op::PSHUFB, t, hi);
                self.p(0xfc, X14, t);
                self.movdqa(a, X14);
                self.release(true, hi);
                self.release(true, t);
                self.vpush(a);
            }
            O::I8x16NarrowI16x8S => self.vbin(|g, a, b| g.p(0x63, a, b))?,
            O::I8x16NarrowI16x8U => self.vbin(|g, a, b| g.p(0x67, a, b))?,
            O::I16x8NarrowI32x4S => self.vbin(|g, a, b| g.p(0x6b, a, b))?,
            O::I16x8NarrowI32x4U => self.vbin(|g, a, b| g.p3(op::PACKUSDW, a, b))?,
            O::I16x8ExtendLowI8x16S => self.extend(false, &[0x0f, 0x38, 0x20])?,
            O::I16x8ExtendHighI8x16S => self.extend(true, &[0x0f, 0x38, 0x20])?,
            O::I16x8ExtendLowI8x16U => self.extend(false, &[0x0f, 0x38, 0x30])?,
            O::I16x8ExtendHighI8x16U => self.extend(true, &[0x0f, 0x38, 0x30])?,
            O::I32x4ExtendLowI16x8S => self.extend(false, &[0x0f, 0x38, 0x23])?,
            O::I32x4ExtendHighI16x8S => self.extend(true, &[0x0f, 0x38, 0x23])?,
            O::I32x4ExtendLowI16x8U => self.extend(false, &[0x0f, 0x38, 0x33])?,
            O::I32x4ExtendHighI16x8U => self.extend(true, &[0x0f, 0x38, 0x33])?,
            O::I64x2ExtendLowI32x4S => self.extend(false, &[0x0f, 0x38, 0x25])?,
            O::I64x2ExtendHighI32x4S => self.extend(true, &[0x0f, 0x38, 0x25])?,
            O::I64x2ExtendLowI32x4U => self.extend(false, &[0x0f, 0x38, 0x35])?,
            O::I64x2ExtendHighI32x4U => self.extend(true, &[0x0f, 0x38, 0x35])?,
            O::I16x8ExtMulLowI8x16S => self.extmul(false, &[0x0f, 0x38, 0x20], &[0x0f, 0xd5])?,
            O::I16x8ExtMulHighI8x16S => self.extmul(true, &[0x0f, 0x38, 0x20], &[0x0f, 0xd5])?,
            O::I16x8ExtMulLowI8x16U => self.extmul(false, &[0x0f, 0x38, 0x30], &[0x0f, 0xd5])?,
            O::I16x8ExtMulHighI8x16U => self.extmul(true, &[0x0f, 0x38, 0x30], &[0x0f, 0xd5])?,
            O::I32x4ExtMulLowI16x8S => self.extmul(false, &[0x0f, 0x38, 0x23], op::PMULLD)?,
            O::I32x4ExtMulHighI16x8S => self.extmul(true, &[0x0f, 0x38, 0x23], op::PMULLD)?,
            O::I32x4ExtMulLowI16x8U => self.extmul(false, &[0x0f, 0x38, 0x33], op::PMULLD)?,
            O::I32x4ExtMulHighI16x8U => self.extmul(true, &[0x0f, 0x38, 0x33], op::PMULLD)?,
            O::I64x2ExtMulLowI32x4S => self.extmul64(false, true)?,
            O::I64x2ExtMulHighI32x4S => self.extmul64(true, true)?,
            O::I64x2ExtMulLowI32x4U => self.extmul64(false, false)?,
            O::I64x2ExtMulHighI32x4U => self.extmul64(true, false)?,
            O::I16x8ExtAddPairwiseI8x16S => self.vun(|g, a| {
                g.v128_const(k16(1), X15);
                g.p3(op::PMADDUBSW, X15, a);
                g.movdqa(a, X15);
            })?,
            O::I16x8ExtAddPairwiseI8x16U => self.vun(|g, a| {
                g.v128_const(k16(1), X15);
                g.p3(op::PMADDUBSW, a, X15);
            })?,
            O::I32x4ExtAddPairwiseI16x8S => self.vun(|g, a| {
                g.v128_const(k16w(1), X15);
                g.p(0xf5, a, X15);
            })?,
            O::I32x4ExtAddPairwiseI16x8U => self.vun(|g, a| {
                g.v128_const(k16w(0x8000), X15);
                g.p(0xef, a, X15);
                g.v128_const(k16w(1), X15);
                g.p(0xf5, a, X15);
                g.v128_const(k32(0x1_0000), X15);
                g.p(0xfe, a, X15);
            })?,
            O::I32x4DotI16x8S => self.vbin(|g, a, b| g.p(0xf5, a, b))?,
            O::I16x8Q15MulrSatS => self.vbin(|g, a, b| {
                g.p3(op::PMULHRSW, a, b);
                g.v128_const(k16w(0x8000), X15);
                g.p(0x75, X15, a);
                g.p(0xef, a, X15);
            })?,

            O::F32x4Add => self.vbin(|g, a, b| g.x(ps, &[0x0f, 0x58], a, b))?,
            O::F32x4Sub => self.vbin(|g, a, b| g.x(ps, &[0x0f, 0x5c], a, b))?,
            O::F32x4Mul => self.vbin(|g, a, b| g.x(ps, &[0x0f, 0x59], a, b))?,
            O::F32x4Div => self.vbin(|g, a, b| g.x(ps, &[0x0f, 0x5e], a, b))?,
            O::F64x2Add => self.vbin(|g, a, b| g.x(pd, &[0x0f, 0x58], a, b))?,
            O::F64x2Sub => self.vbin(|g, a, b| g.x(pd, &[0x0f, 0x5c], a, b))?,
            O::F64x2Mul => self.vbin(|g, a, b| g.x(pd, &[0x0f, 0x59], a, b))?,
            O::F64x2Div => self.vbin(|g, a, b| g.x(pd, &[0x0f, 0x5e], a, b))?,
            O::F32x4Sqrt => self.vun(|g, a| g.x(ps, &[0x0f, 0x51], a, a))?,
            O::F64x2Sqrt => self.vun(|g, a| g.x(pd, &[0x0f, 0x51], a, a))?,
            O::F32x4Min => self.fminmax(false, false)?,
            O::F32x4Max => self.fminmax(false, true)?,
            O::F64x2Min => self.fminmax(true, false)?,
            O::F64x2Max => self.fminmax(true, true)?,
            // pmin(a, b) = b < a ? b : a = minps(b, a); pmax likewise.
            O::F32x4PMin => self.vbin_rev(|g, b, a| g.x(ps, &[0x0f, 0x5d], b, a))?,
            O::F32x4PMax => self.vbin_rev(|g, b, a| g.x(ps, &[0x0f, 0x5f], b, a))?,
            O::F64x2PMin => self.vbin_rev(|g, b, a| g.x(pd, &[0x0f, 0x5d], b, a))?,
            O::F64x2PMax => self.vbin_rev(|g, b, a| g.x(pd, &[0x0f, 0x5f], b, a))?,
            O::F32x4Abs | O::F64x2Abs => {
                let (pre, opc) = if matches!(op, O::F64x2Abs) {
                    (pd, 0x73)
                } else {
                    (ps, 0x72)
                };
                self.vun(|g, a| {
                    g.p(0x76, X15, X15);
                    g.pshift_imm(opc, 2, X15, 1);
                    g.x(pre, &[0x0f, 0x54], a, X15);
                })?
            }
            O::F32x4Neg | O::F64x2Neg => {
                let (pre, opc, bits) = if matches!(op, O::F64x2Neg) {
                    (pd, 0x73, 63)
                } else {
                    (ps, 0x72, 31)
                };
                self.vun(|g, a| {
                    g.p(0x76, X15, X15);
                    g.pshift_imm(opc, 6, X15, bits);
                    g.x(pre, &[0x0f, 0x57], a, X15);
                })?
            }
            O::F32x4Ceil => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x08], a, Rm::Reg(a), 10))?
            }
            O::F32x4Floor => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x08], a, Rm::Reg(a), 9))?
            }
            O::F32x4Trunc => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x08], a, Rm::Reg(a), 11))?
            }
            O::F32x4Nearest => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x08], a, Rm::Reg(a), 8))?
            }
            O::F64x2Ceil => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x09], a, Rm::Reg(a), 10))?
            }
            O::F64x2Floor => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x09], a, Rm::Reg(a), 9))?
            }
            O::F64x2Trunc => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x09], a, Rm::Reg(a), 11))?
            }
            O::F64x2Nearest => {
                self.vun(|g, a| g.xi(Some(0x66), &[0x0f, 0x3a, 0x09], a, Rm::Reg(a), 8))?
            }

            O::F32x4ConvertI32x4S => self.vun(|g, a| g.x(None, &[0x0f, 0x5b], a, a))?,
            O::F32x4ConvertI32x4U => self.vun(|g, a| {
                g.movdqa(X15, a);
                g.pshift_imm(0x72, 6, X15, 16);
                g.pshift_imm(0x72, 2, X15, 16); // low 16 bits
                g.p(0xfa, a, X15); // high bits
                g.x(None, &[0x0f, 0x5b], X15, X15); // exact
                g.pshift_imm(0x72, 2, a, 1);
                g.x(None, &[0x0f, 0x5b], a, a);
                g.x(ps, &[0x0f, 0x58], a, a);
                g.x(ps, &[0x0f, 0x58], a, X15);
            })?,
            O::I32x4TruncSatF32x4S => self.vun(|g, a| {
                g.movdqa(X15, a);
                g.xi(None, &[0x0f, 0xc2], X15, Rm::Reg(X15), 0);
                g.x(ps, &[0x0f, 0x54], a, X15);
                g.p(0xef, X15, a);
                g.x(Some(0xf3), &[0x0f, 0x5b], a, a);
                g.p(0xdb, X15, a);
                g.pshift_imm(0x72, 4, X15, 31);
                g.p(0xef, a, X15);
            })?,
            O::I32x4TruncSatF32x4U => self.vun(|g, a| {
                g.p(0xef, X15, X15);
                g.x(ps, &[0x0f, 0x5f], a, X15);
                g.p(0x76, X15, X15);
                g.pshift_imm(0x72, 2, X15, 1);
                g.x(None, &[0x0f, 0x5b], X15, X15);
                g.movdqa(X14, a);
                g.x(Some(0xf3), &[0x0f, 0x5b], a, a);
                g.x(ps, &[0x0f, 0x5c], X14, X15);
                g.xi(None, &[0x0f, 0xc2], X15, Rm::Reg(X14), 2);
                g.x(Some(0xf3), &[0x0f, 0x5b], X14, X14);
                g.p(0xef, X14, X15);
                g.p(0xef, X15, X15);
                g.p3(op::PMAXSD, X14, X15);
                g.p(0xfe, X14, a);
                g.movdqa(a, X14);
            })?,
            O::F64x2ConvertLowI32x4S => self.vun(|g, a| g.x(Some(0xf3), &[0x0f, 0xe6], a, a))?,
            O::F64x2ConvertLowI32x4U => self.vun(|g, a| {
                g.v128_const(k32(0x4330_0000), X15);
                g.x(None, &[0x0f, 0x14], a, X15);
                g.v128_const(k64(0x4330_0000_0000_0000), X15);
                g.x(pd, &[0x0f, 0x5c], a, X15);
            })?,
            O::I32x4TruncSatF64x2SZero => self.vun(|g, a| {
                g.movdqa(X15, a);
                g.xi(pd, &[0x0f, 0xc2], X15, Rm::Reg(X15), 0);
                g.v128_const(k64(2_147_483_647f64.to_bits()), X14);
                g.x(pd, &[0x0f, 0x54], X15, X14);
                g.x(pd, &[0x0f, 0x5d], a, X15);
                g.x(pd, &[0x0f, 0xe6], a, a);
            })?,
            O::I32x4TruncSatF64x2UZero => self.vun(|g, a| {
                g.p(0xef, X15, X15);
                g.x(pd, &[0x0f, 0x5f], a, X15);
                g.v128_const(k64(4_294_967_295f64.to_bits()), X14);
                g.x(pd, &[0x0f, 0x5d], a, X14);
                g.xi(Some(0x66), &[0x0f, 0x3a, 0x09], a, Rm::Reg(a), 11);
                g.v128_const(k64(4_503_599_627_370_496f64.to_bits()), X14);
                g.x(pd, &[0x0f, 0x58], a, X14);
                g.xi(None, &[0x0f, 0xc6], a, Rm::Reg(X15), 0x88);
            })?,
            O::F32x4DemoteF64x2Zero => self.vun(|g, a| g.x(pd, &[0x0f, 0x5a], a, a))?,
            O::F64x2PromoteLowF32x4 => self.vun(|g, a| g.x(None, &[0x0f, 0x5a], a, a))?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}
