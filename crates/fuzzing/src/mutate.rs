//! Mutations of module bytes: bit flips, byte edits, inserts, deletes,
//! truncation, and section-level edits (swap, duplicate, drop, a wrong
//! size).

use crate::generate::Rng;

/// The sections of a binary module: `(start, end)` of each, id byte to
/// payload end. `None` if the bytes are not a well-formed section list.
pub fn sections(wasm: &[u8]) -> Option<Vec<(usize, usize)>> {
    if wasm.len() < 8 {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < wasm.len() {
        let (size, len) = read_leb(wasm.get(pos + 1..)?)?;
        let end = (pos + 1 + len).checked_add(size as usize)?;
        if end > wasm.len() {
            return None;
        }
        out.push((pos, end));
        pos = end;
    }
    Some(out)
}

/// An unsigned LEB128 `u32` and its length.
pub fn read_leb(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut v: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(5) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(v).ok().map(|v| (v, i + 1));
        }
    }
    None
}

const INTERESTING: [u8; 10] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0b, 0x40, 0x41, 0x10, 0x20];

/// Applies one random mutation to `wasm`.
pub fn mutate(wasm: &mut Vec<u8>, rng: &mut Rng) {
    if wasm.is_empty() {
        wasm.push(rng.next_u64() as u8);
        return;
    }
    let at = rng.below(wasm.len() as u64) as usize;
    match rng.below(10) {
        0 | 1 => wasm[at] ^= 1 << rng.below(8),
        2 => wasm[at] = INTERESTING[rng.below(INTERESTING.len() as u64) as usize],
        3 => wasm[at] = rng.next_u64() as u8,
        4 => wasm.insert(at, rng.next_u64() as u8),
        5 => {
            wasm.remove(at);
        }
        6 => wasm.truncate(at),
        _ => {
            let Some(secs) = sections(wasm) else {
                wasm[at] ^= 1 << rng.below(8);
                return;
            };
            if secs.is_empty() {
                wasm.truncate(at);
                return;
            }
            let a = secs[rng.below(secs.len() as u64) as usize];
            let b = secs[rng.below(secs.len() as u64) as usize];
            let piece = |r: (usize, usize)| wasm[r.0..r.1].to_vec();
            match rng.below(4) {
                // Swap two sections.
                0 if a != b => {
                    let (x, y) = if a.0 < b.0 { (a, b) } else { (b, a) };
                    let mut out = wasm[..x.0].to_vec();
                    out.extend(piece(y));
                    out.extend(&wasm[x.1..y.0]);
                    out.extend(piece(x));
                    out.extend(&wasm[y.1..]);
                    *wasm = out;
                }
                // Duplicate one.
                1 => {
                    let p = piece(a);
                    wasm.splice(b.0..b.0, p);
                }
                // Drop one.
                2 => {
                    wasm.drain(a.0..a.1);
                }
                // Make a size one more or one less (when its LEB allows).
                _ => {
                    let size = &mut wasm[a.0 + 1];
                    if *size & 0x80 == 0 {
                        *size = if rng.below(2) == 0 { size.wrapping_add(1) & 0x7f } else { size.wrapping_sub(1) & 0x7f };
                    }
                }
            }
        }
    }
}

/// Applies 1 to 4 mutations.
pub fn mutate_some(wasm: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        mutate(wasm, rng);
    }
}
