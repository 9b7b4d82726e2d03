//! Native unwind info: `.eh_frame` for Brisk's code, so that the system
//! unwinder (libgcc's, as used by C++ exceptions, `backtrace()` and
//! Rust's `std::backtrace`) can walk through wasm frames.
//!
//! Every tier describes a function by its *call frame program*: the DWARF
//! call frame instructions of its FDE, under Brisk's one CIE ([`CIE`]:
//! code alignment 1, data alignment -8, return address in DWARF register
//! 16, and at entry the CFA at `rsp + 8` with the return address just
//! below it, as the x86-64 System V ABI and Cranelift's CIE have it).
//! [`eh_frame`] lays the CIE and an FDE per function out as one section
//! whose addresses are PC-relative: the section works wherever it is
//! mapped, as long as the code lies at the distance it was written for.

/// DWARF register numbers of x86-64.
pub mod reg {
    /// `rbp`
    pub const RBP: u8 = 6;
    /// `rsp`
    pub const RSP: u8 = 7;
    /// `r14`
    pub const R14: u8 = 14;
    /// `r15`
    pub const R15: u8 = 15;
    /// The return address column.
    pub const RA: u8 = 16;
}

const DW_CFA_ADVANCE_LOC: u8 = 0x40;
const DW_CFA_OFFSET: u8 = 0x80;
const DW_CFA_ADVANCE_LOC1: u8 = 0x02;
const DW_CFA_ADVANCE_LOC2: u8 = 0x03;
const DW_CFA_ADVANCE_LOC4: u8 = 0x04;
const DW_CFA_DEF_CFA: u8 = 0x0c;
const DW_CFA_DEF_CFA_REGISTER: u8 = 0x0d;
const DW_CFA_DEF_CFA_OFFSET: u8 = 0x0e;
const DW_EH_PE_PCREL_SDATA4: u8 = 0x1b;
const DATA_ALIGNMENT: i32 = -8;

/// A call frame program, built instruction by instruction at increasing
/// code offsets.
#[derive(Default, Debug, Clone)]
pub struct CfiProgram {
    bytes: Vec<u8>,
    at: u32,
}

/// Appends `v` as an unsigned LEB128 number (as DWARF and wasm write them).
pub fn uleb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        out.push(if v == 0 { byte } else { byte | 0x80 });
        if v == 0 {
            return;
        }
    }
}

impl CfiProgram {
    /// Moves to code offset `offset` (not before the current one).
    pub fn advance_to(&mut self, offset: u32) -> &mut Self {
        let delta = offset.saturating_sub(self.at);
        self.at = self.at.max(offset);
        match delta {
            0 => {}
            1..0x40 => self.bytes.push(DW_CFA_ADVANCE_LOC | delta as u8),
            0x40..0x100 => self.bytes.extend_from_slice(&[DW_CFA_ADVANCE_LOC1, delta as u8]),
            0x100..0x1_0000 => {
                self.bytes.push(DW_CFA_ADVANCE_LOC2);
                self.bytes.extend_from_slice(&(delta as u16).to_le_bytes());
            }
            _ => {
                self.bytes.push(DW_CFA_ADVANCE_LOC4);
                self.bytes.extend_from_slice(&delta.to_le_bytes());
            }
        }
        self
    }

    /// The CFA is now the CFA register plus `offset`.
    pub fn def_cfa_offset(&mut self, offset: u32) -> &mut Self {
        self.bytes.push(DW_CFA_DEF_CFA_OFFSET);
        uleb(u64::from(offset), &mut self.bytes);
        self
    }

    /// The CFA is now `reg` plus the current offset.
    pub fn def_cfa_register(&mut self, reg: u8) -> &mut Self {
        self.bytes.push(DW_CFA_DEF_CFA_REGISTER);
        uleb(u64::from(reg), &mut self.bytes);
        self
    }

    /// `reg`'s caller value is saved at `CFA + offset` (a negative
    /// multiple of 8).
    pub fn offset(&mut self, reg: u8, offset: i32) -> &mut Self {
        debug_assert!(offset < 0 && offset % DATA_ALIGNMENT == 0);
        self.bytes.push(DW_CFA_OFFSET | reg);
        uleb((offset / DATA_ALIGNMENT) as u64, &mut self.bytes);
        self
    }

    /// The standard frame: `push rbp` ending at `push_end` and `mov rbp,
    /// rsp` at `mov_end`; from then on the CFA is `rbp + 16`.
    pub fn frame_pointer(&mut self, push_end: u32, mov_end: u32) -> &mut Self {
        self.advance_to(push_end).def_cfa_offset(16).offset(reg::RBP, -16);
        self.advance_to(mov_end).def_cfa_register(reg::RBP)
    }

    /// The instructions.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The CIE's fields after its identifier: version 1, augmentation "zR"
/// (FDE addresses are PC-relative 4-byte values), code alignment 1, data
/// alignment -8, return address register 16, then the initial
/// instructions `def_cfa rsp+8; offset ra at cfa-8`.
pub const CIE: [u8; 14] = [
    1,
    b'z',
    b'R',
    0,
    1,
    0x78,
    reg::RA,
    1,
    DW_EH_PE_PCREL_SDATA4,
    DW_CFA_DEF_CFA,
    reg::RSP,
    8,
    DW_CFA_OFFSET | reg::RA,
    1,
];

/// A function's code and call frame program.
pub struct UnwindEntry<'a> {
    /// Offset of the function's first byte from the code's start.
    pub start: u32,
    /// Its length.
    pub len: u32,
    /// Its call frame program ([`CfiProgram`]).
    pub program: &'a [u8],
}

fn record(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    body(out);
    // Whole 8-byte units, padded with DW_CFA_nop.
    while !(out.len() - at).is_multiple_of(8) {
        out.push(0);
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// An `.eh_frame` section for `entries`, for code that starts
/// `code_minus_section` bytes after the section's first byte (negative:
/// before it), terminated by a zero-length entry. Its size does not depend
/// on `code_minus_section`.
pub fn eh_frame(entries: &[UnwindEntry<'_>], code_minus_section: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + entries.iter().map(|e| 24 + e.program.len()).sum::<usize>());
    record(&mut out, |out| {
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&CIE);
    });
    for e in entries {
        record(&mut out, |out| {
            // The CIE pointer: from this field back to the CIE.
            let field = out.len();
            out.extend_from_slice(&(field as u32).to_le_bytes());
            let field = out.len() as i64;
            let pc_begin = code_minus_section + i64::from(e.start) - field;
            out.extend_from_slice(&(pc_begin as i32).to_le_bytes());
            out.extend_from_slice(&e.len.to_le_bytes());
            // No augmentation data.
            out.push(0);
            out.extend_from_slice(e.program);
        });
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_encode_as_dwarf() {
        let mut p = CfiProgram::default();
        p.frame_pointer(1, 4).advance_to(6).offset(reg::R14, -24).advance_to(300);
        assert_eq!(p.into_bytes(), [0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6, 0x42, 0x8e, 3, 0x03, 0x26, 0x01]);
    }

    #[test]
    fn fde_addresses_are_pc_relative() {
        let program = [0x41];
        let s = eh_frame(&[UnwindEntry { start: 0x20, len: 0x10, program: &program }], -0x1000);
        // CIE: 4-byte length, then 24 bytes (4 + 14 padded to 8-byte units).
        assert_eq!(u32::from_le_bytes(s[0..4].try_into().unwrap()), 20);
        let fde = 24;
        assert_eq!(u32::from_le_bytes(s[fde + 4..fde + 8].try_into().unwrap()), fde as u32 + 4);
        let pc_begin = i32::from_le_bytes(s[fde + 8..fde + 12].try_into().unwrap());
        assert_eq!(i64::from(pc_begin) + fde as i64 + 8, -0x1000 + 0x20);
        assert_eq!(&s[s.len() - 4..], &[0; 4]);
    }
}
