//! Memory images: a defined memory's initial contents laid out at compile
//! time, page by page, so that instantiation maps them copy-on-write
//! instead of copying data segments.
//!
//! A memory gets an image when every active data segment that targets it
//! has a constant offset (no `global.get`) and lies inside the memory's
//! initial size, so that applying the segments at instantiation could not
//! trap and their result is known now; and when the pages they touch are
//! not mostly zeros (see [`worth_an_image`]). The image covers the pages
//! from the first segment's to the last one's, with the segments applied
//! in order (later ones overwrite earlier ones, as instantiation would).
//! The artifact then stores those segments' bytes only in the image; the
//! instance marks them dropped, as instantiation does for active segments.

use crate::module::{ConstExpr, ConstOp, Module, SegmentMode};
use crate::types::{DataIndex, MemoryIndex};
use crate::WASM_PAGE_SIZE;
use cranelift_entity::EntityRef;

/// The granule of images: in the file, in memory and in length. A page on
/// every host Brisk supports (as [`TEXT_ALIGN`](super::TEXT_ALIGN)).
pub const IMAGE_PAGE: u64 = super::TEXT_ALIGN;

/// One memory's image, as the writer lays it out.
pub struct MemoryImage {
    /// The memory (a defined one).
    pub memory: MemoryIndex,
    /// Where the image starts in the memory: page-aligned.
    pub memory_offset: u64,
    /// The initial contents of `memory_offset..memory_offset + bytes.len()`:
    /// whole pages.
    pub bytes: Vec<u8>,
}

/// The images of a module's memories, and which data segments they hold.
#[derive(Default)]
pub struct MemoryImages {
    /// By memory index, at most one per memory.
    pub images: Vec<MemoryImage>,
    /// Per data segment: is it in an image (so the artifact need not store
    /// its bytes, and instantiation skips it)?
    pub in_image: Vec<bool>,
}

/// The value of a segment offset that needs no instance: constants and
/// the extended-constant arithmetic, no globals.
fn static_offset(expr: &ConstExpr) -> Option<u64> {
    let mut stack: Vec<i64> = Vec::with_capacity(2);
    let mut is_64 = false;
    for op in &expr.ops {
        let v = match *op {
            ConstOp::I32Const(v) => i64::from(v),
            ConstOp::I64Const(v) => {
                is_64 = true;
                v
            }
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let (b, a) = (stack.pop()? as i32, stack.pop()? as i32);
                i64::from(match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let (b, a) = (stack.pop()?, stack.pop()?);
                match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }
            }
            _ => return None,
        };
        stack.push(v);
    }
    let v = stack.pop()?;
    // A 32-bit memory's offsets are unsigned 32-bit values.
    Some(if is_64 { v as u64 } else { u64::from(v as u32) })
}

/// Is an image of `span` bytes holding `data` bytes of segments worth it?
/// Pages between segments are zeros in the file; past a megabyte, at most
/// half the image may be gaps.
fn worth_an_image(span: u64, data: u64) -> bool {
    span <= (1 << 20) || span <= data.saturating_mul(2)
}

/// Lays out the images of `env`'s defined memories.
pub fn memory_images(env: &Module) -> MemoryImages {
    let mut out = MemoryImages { images: Vec::new(), in_image: vec![false; env.data.len()] };
    for (index, ty) in env.memories.iter().skip(env.num_imported_memories) {
        if ty.shared {
            continue;
        }
        let Some(minimum) = ty.minimum.checked_mul(WASM_PAGE_SIZE) else { continue };
        // The active segments of this memory, with static offsets inside
        // its initial size; any other active segment rules the image out.
        let mut segments: Vec<(DataIndex, u64, &[u8])> = Vec::new();
        let mut imageable = true;
        for (d, seg) in env.data.iter() {
            let SegmentMode::Active { index: m, offset } = &seg.mode else { continue };
            if *m != index {
                continue;
            }
            match static_offset(offset) {
                Some(start) if start.checked_add(seg.data.len() as u64).is_some_and(|end| end <= minimum) => {
                    segments.push((d, start, &seg.data));
                }
                _ => imageable = false,
            }
        }
        let touched = segments.iter().filter(|(_, _, data)| !data.is_empty());
        let (Some(first), Some(end)) = (
            touched.clone().map(|(_, start, _)| *start).min(),
            touched.clone().map(|(_, start, data)| start + data.len() as u64).max(),
        ) else {
            continue;
        };
        let data: u64 = touched.map(|(_, _, data)| data.len() as u64).sum();
        let memory_offset = first / IMAGE_PAGE * IMAGE_PAGE;
        let span = end.div_ceil(IMAGE_PAGE) * IMAGE_PAGE - memory_offset;
        if !imageable || !worth_an_image(span, data) {
            continue;
        }
        let Ok(len) = usize::try_from(span) else { continue };
        let mut bytes = vec![0u8; len];
        for (d, start, data) in &segments {
            // Empty segments may lie outside the image (in bounds, so
            // applying them does nothing).
            if !data.is_empty() {
                let at = (start - memory_offset) as usize;
                bytes[at..at + data.len()].copy_from_slice(data);
            }
            out.in_image[d.index()] = true;
        }
        out.images.push(MemoryImage { memory: index, memory_offset, bytes });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(ops: &[ConstOp]) -> ConstExpr {
        ConstExpr { ops: ops.to_vec() }
    }

    #[test]
    fn static_offsets() {
        assert_eq!(static_offset(&expr(&[ConstOp::I32Const(-1)])), Some(0xffff_ffff));
        assert_eq!(static_offset(&expr(&[ConstOp::I32Const(8), ConstOp::I32Const(4), ConstOp::I32Sub])), Some(4));
        assert_eq!(static_offset(&expr(&[ConstOp::I64Const(1 << 40)])), Some(1 << 40));
        let g = crate::types::GlobalIndex::from_u32(0);
        assert_eq!(static_offset(&expr(&[ConstOp::GlobalGet(g)])), None);
    }

    #[test]
    fn sparse_images_are_refused() {
        assert!(worth_an_image(1 << 20, 1));
        assert!(worth_an_image(4 << 20, 2 << 20));
        assert!(!worth_an_image(4 << 20, (2 << 20) - 1));
    }
}
