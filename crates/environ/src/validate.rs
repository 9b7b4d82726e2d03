//! Brisk's own validator of function bodies, for exactly WebAssembly 2.0
//! with SIMD (`translate::wasm_features`): a type stack of one byte per
//! operand, equality of types (2.0 has no subtyping), the module's types
//! read from [`Module`].
//!
//! It only ever *accepts*: when it cannot accept an operator (an invalid
//! one, or one of another proposal) it says [`Reject`], and the body is
//! validated again from its start by wasmparser's validator, whose verdict
//! and message stand. So it must never accept what wasmparser rejects (the
//! tests compare the two on every operator's signature, on the spec
//! suites' invalid modules, on smith modules and mutations of them), and
//! should accept all that wasmparser accepts in 2.0, which keeps the second
//! pass for invalid modules. Decoding (and with it the binary format's
//! structure: `else` only in an `if`, nothing after the last `end`, the
//! immediates' encodings) stays wasmparser's reader's.
//!
//! Why: validating with wasmparser was most of the time the interpreter
//! and the baseline tier spend on a module (docs/architecture.md).

mod ops;
pub(crate) use ops::for_each_decoded_operator;

use crate::module::Module;
use crate::translate::{function_slot, label_slot};
use crate::types::{ElemIndex, FuncIndex, GlobalIndex, TableIndex, TypeIndex, WasmValType};
use wasmparser::{BlockType, Frame, FrameKind, MemArg, MemArgTarget, RefType, ValType, WasmModuleResources};

/// The validator cannot accept the operator: wasmparser decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reject;

pub(crate) type R = Result<(), Reject>;

/// The type of an operand: a value type, or `Bottom`, the unknown type of
/// an operand popped from the empty stack of unreachable code (it matches
/// every type).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum Ty {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
    Bottom,
}

impl Ty {
    #[inline]
    fn of(t: WasmValType) -> Ty {
        match t {
            WasmValType::I32 => Ty::I32,
            WasmValType::I64 => Ty::I64,
            WasmValType::F32 => Ty::F32,
            WasmValType::F64 => Ty::F64,
            WasmValType::V128 => Ty::V128,
            WasmValType::FuncRef => Ty::FuncRef,
            WasmValType::ExternRef => Ty::ExternRef,
        }
    }

    /// A value type of WebAssembly 2.0, or `None` for the types of later
    /// proposals.
    fn from_val(t: ValType) -> Option<Ty> {
        Some(match t {
            ValType::I32 => Ty::I32,
            ValType::I64 => Ty::I64,
            ValType::F32 => Ty::F32,
            ValType::F64 => Ty::F64,
            ValType::V128 => Ty::V128,
            ValType::Ref(r) if r == RefType::FUNCREF => Ty::FuncRef,
            ValType::Ref(r) if r == RefType::EXTERNREF => Ty::ExternRef,
            ValType::Ref(_) => return None,
        })
    }

    /// The value type, `None` for `Bottom` (as wasmparser's
    /// `get_operand_type` says an unknown type).
    pub(crate) fn val(self) -> Option<ValType> {
        Some(match self {
            Ty::I32 => ValType::I32,
            Ty::I64 => ValType::I64,
            Ty::F32 => ValType::F32,
            Ty::F64 => ValType::F64,
            Ty::V128 => ValType::V128,
            Ty::FuncRef => ValType::Ref(RefType::FUNCREF),
            Ty::ExternRef => ValType::Ref(RefType::EXTERNREF),
            Ty::Bottom => return None,
        })
    }

    fn is_ref(self) -> bool {
        matches!(self, Ty::FuncRef | Ty::ExternRef)
    }
}

/// The one-value signatures of block types `(result t)`, by `Ty`.
const SINGLE: [WasmValType; 7] = WasmValType::ALL;

/// Skips the `br_table` depths from `bytes[at..]` on while they take one
/// or two bytes and lead to a label (`labels`, innermost at `top`) marked
/// with `stamp`, at most `left` of them: says where it stopped, how many
/// are left, and the last depth it skipped (`last` if none).
#[inline(always)]
fn marked_run(bytes: &[u8], (mut at, mut left, mut last): (usize, usize, u32), labels: &[u32], marks: &[u32], (stamp, top): (u32, usize)) -> (usize, usize, u32) {
    while left > 0 {
        // Depths of 128 and more (deep nesting) take two bytes.
        let Some((depth, len)) = short_leb(bytes, at) else { break };
        let Some(&id) = labels.get(top.wrapping_sub(depth as usize)) else { break };
        if marks.get(id as usize) != Some(&stamp) {
            break;
        }
        at += len;
        left -= 1;
        last = depth;
    }
    (at, left, last)
}

/// The unsigned LEB128 at `bytes[at..]` if it takes one byte or two (any
/// such is a valid `u32`): its value and length.
#[inline(always)]
pub(crate) fn short_leb(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let b = *bytes.get(at)?;
    if b < 0x80 {
        return Some((u32::from(b), 1));
    }
    let b2 = *bytes.get(at + 1)?;
    (b2 < 0x80).then(|| (u32::from(b & 0x7f) | u32::from(b2) << 7, 2))
}

/// An index of the module's index spaces, from an immediate: `u32::MAX`
/// is none (the entity types reserve it).
#[inline(always)]
fn entity<I: cranelift_entity::EntityRef>(i: u32) -> Result<I, Reject> {
    if i == u32::MAX { Err(Reject) } else { Ok(I::new(i as usize)) }
}

/// Reads an unsigned LEB128 `u32` from the front of `bytes`, advancing it.
#[inline(always)]
pub(crate) fn read_leb(bytes: &mut &[u8]) -> Option<u32> {
    let (&first, rest) = bytes.split_first()?;
    if first & 0x80 == 0 {
        *bytes = rest;
        return Some(u32::from(first));
    }
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return (shift < 28 || byte < 0x10).then_some(value);
        }
    }
    None
}

/// wasmparser's limit on a function's locals, parameters included.
const MAX_LOCALS: usize = 50_000;

/// A body validator's allocations, kept from body to body.
#[derive(Default)]
pub(crate) struct CheckerScratch {
    operands: Vec<Ty>,
    frames: Vec<Frame>,
    labels: Vec<u32>,
    marks: Vec<u32>,
    stamp: u32,
    locals: Vec<Ty>,
}

impl CheckerScratch {
    /// The bytes its allocations take.
    pub(crate) fn bytes(&self) -> usize {
        self.operands.capacity()
            + self.frames.capacity() * std::mem::size_of::<Frame>()
            + (self.labels.capacity() + self.marks.capacity()) * 4
            + self.locals.capacity()
    }
}

/// Validates one function body, operator by operator (it implements
/// wasmparser's `VisitOperator`, in `ops.rs`).
pub(crate) struct BodyChecker<'m> {
    operands: Vec<Ty>,
    /// The control frames, in wasmparser's own type, so that what the
    /// translation pass asks of a frame reads the same from either
    /// validator.
    frames: Vec<Frame>,
    /// Per frame, which types a branch to it carries, as a number: equal
    /// numbers, equal types (`translate::label_slot`).
    labels: Vec<u32>,
    /// The label numbers a `br_table` has found to fit its operands: those
    /// marked with the current stamp.
    marks: Vec<u32>,
    stamp: u32,
    locals: Vec<Ty>,
    /// The innermost frame's `height` and `unreachable` (`usize::MAX` and
    /// false once the function's frame has ended: nothing can be popped).
    height: usize,
    unreachable: bool,
    /// The most operands there have been, and the most frames open (the
    /// function's included) once another has been opened: 0 before.
    max_operands: usize,
    max_frames: usize,
    module: &'m Module,
    resources: &'m wasmparser::ValidatorResources,
}

impl<'m> BodyChecker<'m> {
    /// A validator for a body of function type `ty`, with the parameters as
    /// its first locals.
    pub(crate) fn new(
        scratch: CheckerScratch,
        module: &'m Module,
        resources: &'m wasmparser::ValidatorResources,
        ty: TypeIndex,
    ) -> Result<Self, Reject> {
        let CheckerScratch { mut operands, mut frames, mut labels, mut marks, stamp, mut locals } = scratch;
        operands.clear();
        frames.clear();
        labels.clear();
        locals.clear();
        // Label numbers go up to the function's own, after every type's two.
        marks.resize(function_slot(module).checked_add(1).map_or(0, |n| n as usize), 0);
        let func = module.types.get(ty).ok_or(Reject)?;
        locals.extend(func.params.iter().map(|&t| Ty::of(t)));
        frames.push(Frame {
            kind: FrameKind::Block,
            block_type: BlockType::FuncType(ty.as_u32()),
            height: 0,
            unreachable: false,
            init_height: 0,
        });
        labels.push(function_slot(module));
        Ok(BodyChecker {
            operands,
            frames,
            labels,
            marks,
            stamp,
            locals,
            height: 0,
            unreachable: false,
            max_operands: 0,
            max_frames: 0,
            module,
            resources,
        })
    }

    /// Gives the allocations back.
    pub(crate) fn into_scratch(self) -> CheckerScratch {
        CheckerScratch {
            operands: self.operands,
            frames: self.frames,
            labels: self.labels,
            marks: self.marks,
            stamp: self.stamp,
            locals: self.locals,
        }
    }

    /// Declares `count` more locals of type `ty`.
    pub(crate) fn define_locals(&mut self, count: u32, ty: ValType) -> R {
        let ty = Ty::from_val(ty).ok_or(Reject)?;
        let total = self.locals.len().checked_add(count as usize).ok_or(Reject)?;
        if total > MAX_LOCALS {
            return Err(Reject);
        }
        self.locals.resize(total, ty);
        Ok(())
    }

    /// How many locals, parameters included.
    pub(crate) fn len_locals(&self) -> u32 {
        self.locals.len() as u32
    }

    /// Every frame has ended: the body is complete.
    pub(crate) fn finish(&self) -> R {
        if self.frames.is_empty() { Ok(()) } else { Err(Reject) }
    }

    /// The control frame `depth` frames out from the innermost.
    pub(crate) fn frame(&self, depth: usize) -> Option<&Frame> {
        let i = self.frames.len().checked_sub(depth + 1)?;
        self.frames.get(i)
    }

    /// A frame is open (the function's has not ended).
    #[inline(always)]
    pub(crate) fn has_frame(&self) -> bool {
        !self.frames.is_empty()
    }

    /// The innermost frame is unreachable from where the body is (false
    /// once the function's frame has ended).
    #[inline(always)]
    pub(crate) fn is_unreachable(&self) -> bool {
        self.unreachable
    }

    /// The type of the operand `depth` below the top: `None` if there is
    /// none, `Some(None)` if it is unknown.
    pub(crate) fn operand(&self, depth: usize) -> Option<Option<ValType>> {
        let i = self.operands.len().checked_sub(depth + 1)?;
        Some(self.operands[i].val())
    }

    pub(crate) fn operand_height(&self) -> u32 {
        self.operands.len() as u32
    }

    pub(crate) fn control_height(&self) -> u32 {
        self.frames.len() as u32
    }

    /// The most operands there have been on the stack, and the most
    /// frames open (the function's included) once another has been
    /// opened: 0 before.
    pub(crate) fn max_heights(&self) -> (u32, u32) {
        (self.max_operands as u32, self.max_frames as u32)
    }

    /// The operand stack has grown: its height into the maximum.
    #[inline(always)]
    fn grown(&mut self) {
        self.max_operands = self.max_operands.max(self.operands.len());
    }

    #[inline(always)]
    fn push(&mut self, t: Ty) {
        self.operands.push(t);
        self.grown();
    }

    /// Pops an operand of type `want` (`Bottom`: of any type).
    #[inline(always)]
    fn pop(&mut self, want: Ty) -> R {
        let len = self.operands.len();
        if len > self.height {
            let got = self.operands[len - 1];
            self.operands.truncate(len - 1);
            return if got == want || got == Ty::Bottom || want == Ty::Bottom { Ok(()) } else { Err(Reject) };
        }
        if self.unreachable { Ok(()) } else { Err(Reject) }
    }

    /// Pops an operand of any type and says which.
    #[inline(always)]
    fn pop_any(&mut self) -> Result<Ty, Reject> {
        let len = self.operands.len();
        if len > self.height {
            let got = self.operands[len - 1];
            self.operands.truncate(len - 1);
            return Ok(got);
        }
        if self.unreachable { Ok(Ty::Bottom) } else { Err(Reject) }
    }

    /// Pops `params` (the last on top), pushes `results`.
    #[inline(always)]
    fn sig(&mut self, params: &[Ty], results: &[Ty]) -> R {
        // Most often the operands are there, of exactly those types: the
        // results then take their places (the signatures are constants,
        // so this is a compare and a store or two).
        let len = self.operands.len();
        let base = len.wrapping_sub(params.len());
        if len >= self.height + params.len() && self.operands[base..] == *params {
            let kept = params.len().min(results.len());
            self.operands.truncate(base + kept);
            self.operands[base..].copy_from_slice(&results[..kept]);
            self.operands.extend_from_slice(&results[kept..]);
            if results.len() > params.len() {
                self.grown();
            }
            return Ok(());
        }
        self.sig_slow(params, results)
    }

    /// [`BodyChecker::sig`] where operands are missing (in unreachable
    /// code), of unknown type, or of wrong types.
    #[cold]
    #[inline(never)]
    fn sig_slow(&mut self, params: &[Ty], results: &[Ty]) -> R {
        for &p in params.iter().rev() {
            self.pop(p)?;
        }
        for &r in results {
            self.push(r);
        }
        Ok(())
    }

    fn pop_types(&mut self, types: &[WasmValType]) -> R {
        for &t in types.iter().rev() {
            self.pop(Ty::of(t))?;
        }
        Ok(())
    }

    fn push_types(&mut self, types: &[WasmValType]) {
        self.operands.extend(types.iter().map(|&t| Ty::of(t)));
        self.grown();
    }

    /// A block type's parameters and results.
    fn block_sig(&self, ty: BlockType) -> Result<(&'m [WasmValType], &'m [WasmValType]), Reject> {
        match ty {
            BlockType::Empty => Ok((&[], &[])),
            BlockType::Type(t) => {
                let t = Ty::from_val(t).ok_or(Reject)?;
                Ok((&[], std::slice::from_ref(&SINGLE[t as usize])))
            }
            BlockType::FuncType(i) => {
                let f = self.module.types.get(entity::<TypeIndex>(i)?).ok_or(Reject)?;
                Ok((&f.params, &f.results))
            }
        }
    }

    /// The types a branch to the label `depth` carries.
    fn label(&self, depth: u32) -> Result<&'m [WasmValType], Reject> {
        let frame = self.frame(depth as usize).ok_or(Reject)?;
        let (params, results) = self.block_sig(frame.block_type)?;
        Ok(if frame.kind == FrameKind::Loop { params } else { results })
    }

    fn sync(&mut self) {
        (self.height, self.unreachable) = match self.frames.last() {
            Some(f) => (f.height, f.unreachable),
            None => (usize::MAX, false),
        };
    }

    fn push_ctrl(&mut self, kind: FrameKind, block_type: BlockType) -> R {
        let (params, _) = self.block_sig(block_type)?;
        let height = self.operands.len();
        self.frames.push(Frame { kind, block_type, height, unreachable: false, init_height: 0 });
        self.max_frames = self.max_frames.max(self.frames.len());
        self.labels.push(label_slot(kind == FrameKind::Loop, block_type));
        self.push_types(params);
        self.sync();
        Ok(())
    }

    fn pop_ctrl(&mut self) -> Result<Frame, Reject> {
        let frame = *self.frames.last().ok_or(Reject)?;
        let (_, results) = self.block_sig(frame.block_type)?;
        self.pop_types(results)?;
        if self.operands.len() != frame.height {
            return Err(Reject);
        }
        self.frames.pop();
        self.labels.pop();
        self.sync();
        Ok(frame)
    }

    /// The rest of the frame is unreachable.
    fn set_unreachable(&mut self) -> R {
        let frame = self.frames.last_mut().ok_or(Reject)?;
        frame.unreachable = true;
        self.operands.truncate(frame.height);
        self.sync();
        Ok(())
    }

    /// A memory immediate of a load or store: memory 0 (2.0 has one), an
    /// alignment no larger than natural, a 32-bit offset.
    #[inline(always)]
    fn memarg(&self, memarg: &MemArg) -> R {
        let ok = memarg.target == MemArgTarget::Memory(0)
            && memarg.align <= memarg.max_align
            && memarg.offset <= u64::from(u32::MAX)
            && memarg.ordering.is_none();
        if ok { self.memory(0) } else { Err(Reject) }
    }

    /// Memory `index` exists (and is a 32-bit, unshared one).
    fn memory(&self, index: u32) -> R {
        match self.module.memories.get(entity::<crate::types::MemoryIndex>(index)?) {
            Some(m) if index == 0 && !m.memory64 && !m.shared => Ok(()),
            _ => Err(Reject),
        }
    }

    fn lane(&self, lane: u8, lanes: u8) -> R {
        if lane < lanes { Ok(()) } else { Err(Reject) }
    }

    fn shuffle(&self, lanes: &[u8; 16]) -> R {
        if lanes.iter().all(|&l| l < 32) { Ok(()) } else { Err(Reject) }
    }

    fn table(&self, index: u32) -> Result<Ty, Reject> {
        self.module.tables.get(entity::<TableIndex>(index)?).map(|t| Ty::of(t.element)).ok_or(Reject)
    }

    fn data(&self, index: u32) -> R {
        match self.resources.data_count() {
            Some(count) if index < count => Ok(()),
            _ => Err(Reject),
        }
    }

    fn local(&self, index: u32) -> Result<Ty, Reject> {
        self.locals.get(index as usize).copied().ok_or(Reject)
    }

    // The operators written by hand (`ops.rs` calls them).

    #[inline]
    fn unreachable(&mut self) -> R {
        self.set_unreachable()
    }

    #[inline]
    fn nop(&mut self) -> R {
        Ok(())
    }

    #[inline]
    fn block(&mut self, ty: BlockType) -> R {
        let (params, _) = self.block_sig(ty)?;
        self.pop_types(params)?;
        self.push_ctrl(FrameKind::Block, ty)
    }

    fn r#loop(&mut self, ty: BlockType) -> R {
        let (params, _) = self.block_sig(ty)?;
        self.pop_types(params)?;
        self.push_ctrl(FrameKind::Loop, ty)
    }

    fn r#if(&mut self, ty: BlockType) -> R {
        self.pop(Ty::I32)?;
        let (params, _) = self.block_sig(ty)?;
        self.pop_types(params)?;
        self.push_ctrl(FrameKind::If, ty)
    }

    fn r#else(&mut self) -> R {
        let frame = self.pop_ctrl()?;
        if frame.kind != FrameKind::If {
            return Err(Reject);
        }
        self.push_ctrl(FrameKind::Else, frame.block_type)
    }

    #[inline]
    fn end(&mut self) -> R {
        let mut frame = self.pop_ctrl()?;
        // `if` without `else`: the missing `else` passes the parameters
        // on as the results.
        if frame.kind == FrameKind::If {
            self.push_ctrl(FrameKind::Else, frame.block_type)?;
            frame = self.pop_ctrl()?;
        }
        let (_, results) = self.block_sig(frame.block_type)?;
        self.push_types(results);
        Ok(())
    }

    #[inline]
    fn br(&mut self, depth: u32) -> R {
        let label = self.label(depth)?;
        self.pop_types(label)?;
        self.set_unreachable()
    }

    #[inline]
    fn br_if(&mut self, depth: u32) -> R {
        self.pop(Ty::I32)?;
        let label = self.label(depth)?;
        self.pop_types(label)?;
        self.push_types(label);
        Ok(())
    }

    /// Every target's label has the default's arity, and the operands
    /// below the index fit each (an unknown operand fits any type).
    /// (The validation pass calls [`Self::br_table_in`], which compares each
    /// distinct label type once.)
    #[inline]
    fn br_table(&mut self, table: wasmparser::BrTable<'_>) -> R {
        self.pop(Ty::I32)?;
        let default = self.label(table.default())?;
        for target in table.targets() {
            let label = self.label(target.map_err(|_| Reject)?)?;
            if label.len() != default.len() {
                return Err(Reject);
            }
            self.fits(label)?;
        }
        self.pop_types(default)?;
        self.set_unreachable()
    }

    /// `br_table` with `count` targets, read with the default from
    /// `bytes` (the body's bytes after the count); says how many bytes
    /// they took. Each distinct label number is compared with the operands
    /// once (and its arity with the others'), so the check is linear in
    /// the targets plus the values of each distinct label type.
    pub(crate) fn br_table_in(&mut self, count: u32, bytes: &[u8]) -> Result<usize, Reject> {
        self.pop(Ty::I32)?;
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.marks.fill(0);
            self.stamp = 1;
        }
        let stamp = self.stamp;
        let top = self.frames.len() - 1;
        let mut arity = None;
        // The targets, then the default, in one pass: runs of short
        // depths to labels already checked go by in `marked_run`; each
        // other depth is read and its label checked here.
        let (mut at, mut left) = (0, count as usize + 1);
        // The depth read last is the default's once the loop ends.
        let mut default = 0;
        loop {
            (at, left, default) = marked_run(bytes, (at, left, default), &self.labels, &self.marks, (stamp, top));
            if left == 0 {
                break;
            }
            let mut rest = bytes.get(at..).ok_or(Reject)?;
            let depth = read_leb(&mut rest).ok_or(Reject)?;
            at = bytes.len() - rest.len();
            left -= 1;
            default = depth;
            let id = *self.labels.get(top.wrapping_sub(depth as usize)).ok_or(Reject)? as usize;
            if self.marks.get(id) != Some(&stamp) {
                let label = self.label(depth)?;
                if *arity.get_or_insert(label.len()) != label.len() {
                    return Err(Reject);
                }
                self.fits(label)?;
                *self.marks.get_mut(id).ok_or(Reject)? = stamp;
            }
        }
        // The default's values are the branch's.
        let want = self.label(default)?;
        if arity.is_some_and(|n| n != want.len()) {
            return Err(Reject);
        }
        self.pop_types(want)?;
        self.set_unreachable()?;
        Ok(at)
    }

    /// The operands on top fit `types` (without popping them).
    #[inline]
    fn fits(&self, types: &[WasmValType]) -> R {
        let avail = self.operands.len().saturating_sub(self.height);
        if types.len() > avail && !self.unreachable {
            return Err(Reject);
        }
        for (k, &t) in types.iter().rev().enumerate() {
            if k >= avail {
                break;
            }
            let got = self.operands[self.operands.len() - 1 - k];
            if got != Ty::of(t) && got != Ty::Bottom {
                return Err(Reject);
            }
        }
        Ok(())
    }

    fn r#return(&mut self) -> R {
        let outermost = self.frames.len().checked_sub(1).ok_or(Reject)?;
        let results = self.label(outermost as u32)?;
        self.pop_types(results)?;
        self.set_unreachable()
    }

    #[inline]
    fn call(&mut self, function_index: u32) -> R {
        let module = self.module;
        let ty = module.functions.get(entity::<FuncIndex>(function_index)?).ok_or(Reject)?;
        let f = module.types.get(*ty).ok_or(Reject)?;
        self.pop_types(&f.params)?;
        self.push_types(&f.results);
        Ok(())
    }

    #[inline]
    fn call_indirect(&mut self, type_index: u32, table_index: u32) -> R {
        if self.table(table_index)? != Ty::FuncRef {
            return Err(Reject);
        }
        let module = self.module;
        let f = module.types.get(entity::<TypeIndex>(type_index)?).ok_or(Reject)?;
        self.pop(Ty::I32)?;
        self.pop_types(&f.params)?;
        self.push_types(&f.results);
        Ok(())
    }

    #[inline]
    fn drop(&mut self) -> R {
        self.pop_any().map(|_| ())
    }

    #[inline]
    fn select(&mut self) -> R {
        self.pop(Ty::I32)?;
        let a = self.pop_any()?;
        let b = self.pop_any()?;
        if a.is_ref() || b.is_ref() {
            return Err(Reject);
        }
        let t = match (a, b) {
            (Ty::Bottom, t) | (t, Ty::Bottom) => t,
            (a, b) if a == b => a,
            _ => return Err(Reject),
        };
        self.push(t);
        Ok(())
    }

    #[inline]
    fn typed_select(&mut self, ty: ValType) -> R {
        let t = Ty::from_val(ty).ok_or(Reject)?;
        self.sig(&[t, t, Ty::I32], &[t])
    }

    #[inline]
    fn local_get(&mut self, index: u32) -> R {
        let t = self.local(index)?;
        self.push(t);
        Ok(())
    }

    #[inline]
    fn local_set(&mut self, index: u32) -> R {
        let t = self.local(index)?;
        self.pop(t)
    }

    #[inline]
    fn local_tee(&mut self, index: u32) -> R {
        let t = self.local(index)?;
        self.pop(t)?;
        self.push(t);
        Ok(())
    }

    #[inline]
    fn global_get(&mut self, index: u32) -> R {
        let g = self.module.globals.get(entity::<GlobalIndex>(index)?).ok_or(Reject)?;
        self.push(Ty::of(g.content));
        Ok(())
    }

    #[inline]
    fn global_set(&mut self, index: u32) -> R {
        let g = self.module.globals.get(entity::<GlobalIndex>(index)?).ok_or(Reject)?;
        if !g.mutable {
            return Err(Reject);
        }
        self.pop(Ty::of(g.content))
    }

    #[inline]
    fn memory_size(&mut self, mem: u32) -> R {
        self.memory(mem)?;
        self.sig(&[], &[Ty::I32])
    }

    #[inline]
    fn memory_grow(&mut self, mem: u32) -> R {
        self.memory(mem)?;
        self.sig(&[Ty::I32], &[Ty::I32])
    }

    #[inline]
    fn memory_init(&mut self, data_index: u32, mem: u32) -> R {
        self.memory(mem)?;
        self.data(data_index)?;
        self.sig(&[Ty::I32, Ty::I32, Ty::I32], &[])
    }

    #[inline]
    fn data_drop(&mut self, data_index: u32) -> R {
        self.data(data_index)
    }

    #[inline]
    fn memory_copy(&mut self, dst_mem: u32, src_mem: u32) -> R {
        self.memory(dst_mem)?;
        self.memory(src_mem)?;
        self.sig(&[Ty::I32, Ty::I32, Ty::I32], &[])
    }

    #[inline]
    fn memory_fill(&mut self, mem: u32) -> R {
        self.memory(mem)?;
        self.sig(&[Ty::I32, Ty::I32, Ty::I32], &[])
    }

    #[inline]
    fn table_init(&mut self, elem_index: u32, table: u32) -> R {
        let elem = self.module.elems.get(entity::<ElemIndex>(elem_index)?).ok_or(Reject)?;
        if Ty::of(elem.element) != self.table(table)? {
            return Err(Reject);
        }
        self.sig(&[Ty::I32, Ty::I32, Ty::I32], &[])
    }

    #[inline]
    fn elem_drop(&mut self, elem_index: u32) -> R {
        self.module.elems.get(entity::<ElemIndex>(elem_index)?).map(|_| ()).ok_or(Reject)
    }

    #[inline]
    fn table_copy(&mut self, dst_table: u32, src_table: u32) -> R {
        if self.table(dst_table)? != self.table(src_table)? {
            return Err(Reject);
        }
        self.sig(&[Ty::I32, Ty::I32, Ty::I32], &[])
    }

    #[inline]
    fn ref_null(&mut self, hty: wasmparser::HeapType) -> R {
        use wasmparser::{AbstractHeapType as A, HeapType as H};
        let t = match hty {
            H::Abstract { shared: false, ty: A::Func } => Ty::FuncRef,
            H::Abstract { shared: false, ty: A::Extern } => Ty::ExternRef,
            _ => return Err(Reject),
        };
        self.push(t);
        Ok(())
    }

    #[inline]
    fn ref_is_null(&mut self) -> R {
        let t = self.pop_any()?;
        if !(t.is_ref() || t == Ty::Bottom) {
            return Err(Reject);
        }
        self.push(Ty::I32);
        Ok(())
    }

    #[inline]
    fn ref_func(&mut self, function_index: u32) -> R {
        if self.module.functions.get(entity::<FuncIndex>(function_index)?).is_none()
            || !self.resources.is_function_referenced(function_index)
        {
            return Err(Reject);
        }
        self.push(Ty::FuncRef);
        Ok(())
    }

    #[inline]
    fn table_fill(&mut self, table: u32) -> R {
        let t = self.table(table)?;
        self.sig(&[Ty::I32, t, Ty::I32], &[])
    }

    #[inline]
    fn table_get(&mut self, table: u32) -> R {
        let t = self.table(table)?;
        self.sig(&[Ty::I32], &[t])
    }

    #[inline]
    fn table_set(&mut self, table: u32) -> R {
        let t = self.table(table)?;
        self.sig(&[Ty::I32, t], &[])
    }

    #[inline]
    fn table_grow(&mut self, table: u32) -> R {
        let t = self.table(table)?;
        self.sig(&[t, Ty::I32], &[Ty::I32])
    }

    #[inline]
    fn table_size(&mut self, table: u32) -> R {
        self.table(table)?;
        self.sig(&[], &[Ty::I32])
    }
}

thread_local! {
    static REJECTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts a body Brisk's validator did not accept (on this thread).
pub(crate) fn note_rejected() {
    REJECTED.with(|r| r.set(r.get() + 1));
}

/// How many bodies Brisk's own validator did not accept on this thread,
/// so that wasmparser's validated them again: for tests, which check that
/// it accepts what it should (a body it rejects costs a second pass).
#[doc(hidden)]
pub fn own_validator_rejections() -> u64 {
    REJECTED.with(std::cell::Cell::get)
}

/// Reads a signed LEB128 integer of `bits` bits (32 or 64) at the front of
/// `bytes`, advancing it: what wasmparser's reader reads (at most
/// `bits / 7` bytes, unused bits of the last one a sign extension), or
/// `None` where it fails.
#[inline(always)]
pub(crate) fn read_sleb(bytes: &mut &[u8], bits: u32) -> Option<i64> {
    let mut result: i64 = 0;
    let mut shift = 0;
    let mut at = 0;
    loop {
        let byte = *bytes.get(at)?;
        at += 1;
        result |= i64::from(byte & 0x7f) << shift;
        if shift >= bits - 7 {
            // The last byte: no continuation, and the bits beyond `bits`
            // repeat the sign.
            let sign_and_unused = ((byte << 1) as i8) >> (bits - shift);
            if byte & 0x80 != 0 || (sign_and_unused != 0 && sign_and_unused != -1) {
                return None;
            }
            *bytes = &bytes[at..];
            let unused = 64 - bits;
            return Some((result << unused) >> unused);
        }
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    *bytes = &bytes[at..];
    let unused = 64 - shift;
    Some((result << unused) >> unused)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SINGLE` is indexed by `Ty`: the two orders agree.
    #[test]
    fn types_follow_the_value_type_order() {
        for (i, &t) in WasmValType::ALL.iter().enumerate() {
            assert_eq!(Ty::of(t) as usize, i);
            assert_eq!(SINGLE[Ty::of(t) as usize], t);
        }
    }

    /// LEB128s of every length up to 11 bytes, with every mix of
    /// continuation, sign and unused bits, read as wasmparser reads them
    /// (value and length, or failure).
    #[test]
    fn leb_reads_as_wasmparser_reads() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let len = 1 + (next() % 11) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let r = next();
                    // Mostly continuation bits up to the last byte, whose
                    // high bits are often all zeros or all ones.
                    let low = (r & 0x7f) as u8;
                    let last = match r >> 8 & 3 {
                        0 => low & 0x0f,
                        1 => low | 0x70,
                        2 => low | 0x40,
                        _ => low,
                    };
                    if i + 1 < len || r >> 10 & 7 == 0 { low | 0x80 } else { last }
                })
                .collect();
            let ours = |read: &dyn Fn(&mut &[u8]) -> Option<i64>| {
                let mut rest = &bytes[..];
                read(&mut rest).map(|v| (v, bytes.len() - rest.len()))
            };
            let theirs = |read: &dyn Fn(&mut wasmparser::BinaryReader<'_>) -> wasmparser::Result<i64>| {
                let mut reader = wasmparser::BinaryReader::new(&bytes, 0);
                read(&mut reader).ok().map(|v| (v, reader.current_position()))
            };
            assert_eq!(ours(&|b| read_leb(b).map(i64::from)), theirs(&|r| r.read_var_u32().map(i64::from)), "u32 {bytes:02x?}");
            assert_eq!(ours(&|b| read_sleb(b, 32)), theirs(&|r| r.read_var_i32().map(i64::from)), "i32 {bytes:02x?}");
            assert_eq!(ours(&|b| read_sleb(b, 64)), theirs(&|r| r.read_var_i64()), "i64 {bytes:02x?}");
        }
    }

    #[test]
    fn leb_reads_as_the_binary_format_says() {
        let read = |bytes: &[u8]| {
            let mut rest = bytes;
            read_leb(&mut rest).map(|v| (v, bytes.len() - rest.len()))
        };
        assert_eq!(read(&[0x05]), Some((5, 1)));
        assert_eq!(read(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(read(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Some((u32::MAX, 5)));
        // Too long, too large, cut short.
        assert_eq!(read(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), None);
        assert_eq!(read(&[0xff, 0xff, 0xff, 0xff, 0x1f]), None);
        assert_eq!(read(&[0x80]), None);
        assert_eq!(read(&[]), None);
    }
}
