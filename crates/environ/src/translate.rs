//! Parse and validate a module in one pass, building the [`Module`] and the
//! per-function cost features the tier policy reads.

use crate::module::*;
use crate::types::*;
use crate::validate::{BodyChecker, CheckerScratch, Reject, read_leb, read_sleb, short_leb};
use crate::FuncRefSlotMap;
use crate::{WasmError, WasmResult};
use cranelift_entity::PrimaryMap;
use std::collections::HashSet;
use wasmparser::{
    ExternalKind, FuncValidatorAllocations, FunctionBody, Name, NameSectionReader, Parser, Payload, TypeRef,
    ValidPayload, Validator, WasmFeatures,
};

/// The WebAssembly features Brisk validates against by default:
/// WebAssembly 2.0 (with SIMD).
pub fn wasm_features() -> WasmFeatures {
    WasmFeatures::WASM2
}

/// Cheap per-function features, computed while validating, from which a
/// tier policy predicts compile cost before compiling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FuncCostFeatures {
    /// Size of the body in bytes.
    pub body_bytes: u32,
    /// Number of locals (parameters included).
    pub locals: u32,
    /// Maximum nesting of blocks, loops and ifs.
    pub max_nesting: u32,
    /// Maximum height of the operand stack.
    pub max_operand_stack: u32,
    /// Maximum number of parameters plus results of a block type.
    pub max_block_arity: u32,
    /// Total targets of all `br_table`s.
    pub br_table_targets: u32,
    /// Number of branch instructions.
    pub branches: u32,
    /// Number of call instructions.
    pub calls: u32,
    /// Number of operators.
    pub operators: u32,
    /// Number of reachable operators: those the tiers compile (the other
    /// counts below are of reachable code too).
    pub live_operators: u32,
    /// Number of blocks, loops and ifs.
    pub blocks: u32,
    /// Number of loops.
    pub loops: u32,
    /// Maximum nesting of loops.
    pub max_loop_nesting: u32,
    /// Values carried on branch edges, summed over every edge (a
    /// `br_table` has one per target).
    pub branch_values: u32,
}

/// A defined function's body with what validation learned about it.
#[derive(Clone, Debug)]
pub struct FunctionBodyData<'data> {
    /// The body (locals and operators).
    pub body: FunctionBody<'data>,
    /// Its cost features.
    pub features: FuncCostFeatures,
}

/// The result of [`translate_module`].
#[derive(Debug)]
pub struct ModuleTranslation<'data> {
    /// The module environment (shared: a module that can tier up keeps it
    /// to compile functions again while it runs).
    pub module: std::sync::Arc<Module>,
    /// Function bodies, by defined function index.
    pub function_bodies: PrimaryMap<DefinedFuncIndex, FunctionBodyData<'data>>,
    /// Defined functions the host may call: exported, in an element segment
    /// or referenced by `ref.func`. Each gets a host-to-wasm trampoline.
    pub escaping_funcs: Vec<DefinedFuncIndex>,
    /// Which defined functions the interpreter runs (empty: none). Set by
    /// the runtime's tier choice before compiling: native code calls these
    /// through their funcrefs, never directly.
    pub interpreted: Vec<bool>,
}

impl ModuleTranslation<'_> {
    /// Is defined function `def` interpreted?
    pub fn is_interpreted(&self, def: DefinedFuncIndex) -> bool {
        self.interpreted.get(def.as_u32() as usize).copied().unwrap_or(false)
    }
}

fn invalid(message: impl Into<String>, offset: u64) -> WasmError {
    WasmError::Invalid { message: message.into(), offset }
}

fn val_type(ty: wasmparser::ValType, offset: u64) -> WasmResult<WasmValType> {
    WasmValType::from_wasmparser(ty).map_err(|m| WasmError::unsupported(m, offset))
}

fn table_type(ty: &wasmparser::TableType, offset: u64) -> WasmResult<TableType> {
    if ty.table64 || ty.shared {
        return Err(WasmError::unsupported("64-bit or shared tables", offset));
    }
    Ok(TableType {
        element: WasmValType::from_ref_type(ty.element_type).map_err(|m| WasmError::unsupported(m, offset))?,
        minimum: ty.initial,
        maximum: ty.maximum,
    })
}

fn memory_type(ty: &wasmparser::MemoryType, offset: u64) -> WasmResult<MemoryType> {
    if ty.memory64 || ty.shared || ty.page_size_log2.is_some() {
        return Err(WasmError::unsupported("memory64, shared or custom-page-size memories", offset));
    }
    Ok(MemoryType { minimum: ty.initial, maximum: ty.maximum, memory64: ty.memory64, shared: ty.shared })
}

fn global_type(ty: &wasmparser::GlobalType, offset: u64) -> WasmResult<GlobalType> {
    if ty.shared {
        return Err(WasmError::unsupported("shared globals", offset));
    }
    Ok(GlobalType { content: val_type(ty.content_type, offset)?, mutable: ty.mutable })
}

/// Parses and validates `wasm` (a binary module) with `features`.
///
/// # Errors
///
/// A malformed or invalid module gives [`WasmError::Invalid`] with the
/// validator's message and the byte offset; a valid module that uses
/// something Brisk does not implement gives [`WasmError::Unsupported`].
pub fn translate_module(wasm: &[u8], features: WasmFeatures) -> WasmResult<ModuleTranslation<'_>> {
    translate_module_with(wasm, features, None)
}

/// A tier that translates function bodies in the validation pass itself,
/// so that each operator is decoded once (the interpreter, the baseline
/// tier). With several hooks, each serves the bodies one thread validates.
pub trait BodyHook: Send {
    /// Called for every defined function: have `ops` push its operators
    /// (each validated before it is pushed) to a sink with
    /// [`ValidatedOps::drive`]. Operators left unread are validated after
    /// the call.
    ///
    /// # Errors
    ///
    /// The hook's own, or the validation error `ops` returned.
    fn body(
        &mut self,
        module: &Module,
        def: DefinedFuncIndex,
        body: &FunctionBody<'_>,
        ops: &mut ValidatedOps<'_, '_>,
    ) -> WasmResult<()>;
}

/// Receives a function body's operators as they are validated: every
/// reachable operator, and of unreachable code only the `else` and `end`
/// of the blocks opened in reachable code, after which reachable code may
/// resume. (A sink that knows more, such as that no branch reaches the end
/// of a block, tracks the nesting of what it finds unreachable itself.)
/// Unreachable means the validator's innermost
/// frame is unreachable (after `br`, `br_table`, `return`, `unreachable`)
/// or was opened in unreachable code; blocks opened there, and their
/// `else` and `end`, never reach the sink (but each `loop` among them is
/// counted by [`OperatorSink::dead_loop`]).
pub trait OperatorSink<'a> {
    /// Takes operator `op`, at byte `offset` of the module (by reference:
    /// an operator is several words, copied at each call it is passed
    /// by value through).
    ///
    /// # Errors
    ///
    /// The sink's own: they stop the body's validation.
    fn operator(&mut self, op: &wasmparser::Operator<'a>, offset: usize) -> WasmResult<()>;

    /// A `loop` opened in unreachable code was read (so that a sink can
    /// number the body's loops, reachable or not, in order).
    #[inline]
    fn dead_loop(&mut self) {}
}

/// The sink that drops every operator (validation only).
impl<'a> OperatorSink<'a> for () {
    #[inline]
    fn operator(&mut self, _: &wasmparser::Operator<'a>, _: usize) -> WasmResult<()> {
        Ok(())
    }
}

/// A function body's operators, each validated as it is read.
pub struct ValidatedOps<'a, 'v> {
    /// The operators' bytes. The validator's control frames are the
    /// reader's frame stack (the binary format's structure: `else` only
    /// in an `if`, nothing after the last `end`), as in wasmparser's own
    /// `FuncValidator::validate`.
    reader: wasmparser::BinaryReader<'a>,
    /// The body's bytes, and the module offset of the first.
    body: (&'a [u8], usize),
    check: Check<'v>,
    features: &'v mut FuncCostFeatures,
    module: &'v Module,
    /// Which open blocks are loops, innermost last, and how many are.
    loops: &'v mut LoopNesting,
}

/// The validator of a body: Brisk's own ([`crate::validate`]) where the
/// features are exactly WebAssembly 2.0's, else (and to decide a body it
/// rejects) wasmparser's.
enum Check<'v> {
    Parser(&'v mut wasmparser::FuncValidator<wasmparser::ValidatorResources>),
    Own(BodyChecker<'v>),
}

/// The validator's control frames, as the frame stack the binary reader
/// checks the structure of blocks against.
impl wasmparser::FrameStack for Check<'_> {
    fn current_frame(&self) -> Option<wasmparser::FrameKind> {
        let frame = match self {
            Check::Parser(v) => Checker::frame(&**v, 0),
            Check::Own(c) => Checker::frame(c, 0),
        };
        frame.map(|f| f.kind)
    }
}

/// A body's validator as the validation pass uses it. The pass is
/// monomorphized per validator ([`ValidatedOps::drive`] chooses once per
/// body), so no operator pays for a choice between the two.
trait Checker {
    /// Brisk's own validator (which reads `br_table` targets itself, and
    /// keeps the maximum heights of its stacks: [`Checker::max_heights`]).
    const OWN: bool;

    /// Validates one operator at `offset`: `own` is the check with Brisk's
    /// validator, `parser` with wasmparser's; only this validator's runs.
    fn check(
        &mut self,
        offset: usize,
        own: impl FnOnce(&mut BodyChecker<'_>) -> Result<(), Reject>,
        parser: impl FnOnce(&mut wasmparser::FuncValidator<wasmparser::ValidatorResources>, u64) -> wasmparser::Result<()>,
    ) -> WasmResult<()>;

    /// The control frame `depth` frames out from the innermost.
    fn frame(&self, depth: usize) -> Option<&wasmparser::Frame>;

    /// A frame is open (the function's has not ended).
    fn has_frame(&self) -> bool;

    /// The innermost frame is unreachable from where the body is.
    fn innermost_unreachable(&self) -> bool;

    /// The type of the operand `depth` below the top: `None` if there is
    /// none, `Some(None)` if it is unknown.
    fn operand(&self, depth: usize) -> Option<Option<wasmparser::ValType>>;

    fn operand_height(&self) -> u32;

    fn control_height(&self) -> u32;

    /// With Brisk's validator: the most operands there have been, and the
    /// most frames open (the function's included) once another has been
    /// opened, 0 before. wasmparser's does not
    /// keep them: the pass notes the heights after each operator.
    fn max_heights(&self) -> (u32, u32);

    /// With Brisk's validator: checks a `br_table` with `count` targets
    /// from `bytes` (after the count) and says how many bytes the targets
    /// and default took. `None` with wasmparser's.
    fn br_table_in(&mut self, count: u32, bytes: &[u8]) -> Option<Result<usize, Reject>>;
}

impl Checker for BodyChecker<'_> {
    const OWN: bool = true;

    #[inline(always)]
    fn check(
        &mut self,
        offset: usize,
        own: impl FnOnce(&mut BodyChecker<'_>) -> Result<(), Reject>,
        _: impl FnOnce(&mut wasmparser::FuncValidator<wasmparser::ValidatorResources>, u64) -> wasmparser::Result<()>,
    ) -> WasmResult<()> {
        own(self).map_err(|Reject| rejected(offset))
    }

    #[inline(always)]
    fn frame(&self, depth: usize) -> Option<&wasmparser::Frame> {
        BodyChecker::frame(self, depth)
    }

    #[inline(always)]
    fn has_frame(&self) -> bool {
        BodyChecker::has_frame(self)
    }

    #[inline(always)]
    fn innermost_unreachable(&self) -> bool {
        BodyChecker::is_unreachable(self)
    }

    #[inline(always)]
    fn operand(&self, depth: usize) -> Option<Option<wasmparser::ValType>> {
        BodyChecker::operand(self, depth)
    }

    #[inline(always)]
    fn operand_height(&self) -> u32 {
        BodyChecker::operand_height(self)
    }

    #[inline(always)]
    fn control_height(&self) -> u32 {
        BodyChecker::control_height(self)
    }

    #[inline(always)]
    fn max_heights(&self) -> (u32, u32) {
        BodyChecker::max_heights(self)
    }

    #[inline(always)]
    fn br_table_in(&mut self, count: u32, bytes: &[u8]) -> Option<Result<usize, Reject>> {
        Some(BodyChecker::br_table_in(self, count, bytes))
    }
}

impl Checker for wasmparser::FuncValidator<wasmparser::ValidatorResources> {
    const OWN: bool = false;

    #[inline(always)]
    fn check(
        &mut self,
        offset: usize,
        _: impl FnOnce(&mut BodyChecker<'_>) -> Result<(), Reject>,
        parser: impl FnOnce(&mut wasmparser::FuncValidator<wasmparser::ValidatorResources>, u64) -> wasmparser::Result<()>,
    ) -> WasmResult<()> {
        parser(self, offset as u64).map_err(WasmError::from)
    }

    #[inline(always)]
    fn frame(&self, depth: usize) -> Option<&wasmparser::Frame> {
        self.get_control_frame(depth)
    }

    #[inline(always)]
    fn has_frame(&self) -> bool {
        self.get_control_frame(0).is_some()
    }

    #[inline(always)]
    fn innermost_unreachable(&self) -> bool {
        self.get_control_frame(0).is_some_and(|f| f.unreachable)
    }

    #[inline(always)]
    fn operand(&self, depth: usize) -> Option<Option<wasmparser::ValType>> {
        self.get_operand_type(depth)
    }

    #[inline(always)]
    fn operand_height(&self) -> u32 {
        self.operand_stack_height()
    }

    #[inline(always)]
    fn control_height(&self) -> u32 {
        self.control_stack_height()
    }

    fn max_heights(&self) -> (u32, u32) {
        unreachable!("wasmparser's validator keeps no maximum heights")
    }

    #[inline(always)]
    fn br_table_in(&mut self, _: u32, _: &[u8]) -> Option<Result<usize, Reject>> {
        None
    }
}

/// The error that stands for "Brisk's validator did not accept": never
/// returned, the body is validated again by wasmparser.
#[cold]
fn rejected(offset: usize) -> WasmError {
    invalid("rejected by the fast validator", offset as u64)
}

/// The open control frames (for the loop-nesting and reachability
/// features), innermost last, and how many are loops.
#[derive(Default)]
struct LoopNesting {
    frames: Vec<OpenFrame>,
    depth: u32,
    br_table_seen: Marks,
}

impl LoopNesting {
    /// The bytes its allocations take.
    fn bytes(&self) -> usize {
        self.frames.capacity() * std::mem::size_of::<OpenFrame>() + self.br_table_seen.marks.capacity() * 4
    }

    /// Ready for the next body: no open frames (the marks are kept: they
    /// are the module's, sized by its types once).
    fn reset(&mut self) -> &mut Self {
        self.frames.clear();
        self.depth = 0;
        self
    }
}

/// Which label types (by [`label_slot`]) the current `br_table` has
/// found to fit the operands: those marked with the current stamp.
#[derive(Default)]
struct Marks {
    marks: Vec<u32>,
    stamp: u32,
}

/// If the label at `depth` exists and the `avail` operands below the top
/// one start with exactly its types, how many it takes.
fn label_fits(
    v: &impl Checker,
    module: &Module,
    depth: u32,
    avail: usize,
) -> Option<usize> {
    use wasmparser::{BlockType as B, FrameKind as K};
    let frame = v.frame(depth as usize)?;
    // The label's k-th value from the last is the operand at depth k + 1.
    let operand = |k: usize| v.operand(k + 1).flatten();
    match (frame.kind, frame.block_type) {
        (_, B::Empty) | (K::Loop, B::Type(_)) => Some(0),
        (_, B::Type(t)) => (avail >= 1 && operand(0) == Some(t)).then_some(1),
        (kind, B::FuncType(i)) => {
            let ty = module.types.get(TypeIndex::from_u32(i))?;
            let want = if matches!(kind, K::Loop) { &ty.params } else { &ty.results };
            let fits = want.len() <= avail
                && want.iter().rev().enumerate().all(|(k, want)| {
                    operand(k).and_then(|t| WasmValType::from_wasmparser(t).ok()) == Some(*want)
                });
            fits.then_some(want.len())
        }
    }
}

#[derive(Clone, Copy)]
struct OpenFrame {
    is_loop: bool,
    /// Opened in unreachable code: all of it is dead.
    dead: bool,
    /// Which types a branch to it carries (see [`label_slot`]).
    label: u32,
}

/// The slot of a label's types among a `br_table`'s marks: equal slots
/// mean equal types (not the converse: two type indices may name equal
/// types). Slots 0-7 are the empty label and the value types, then two per
/// type index (results, loop parameters); the function's own label is
/// `function_slot`; `u32::MAX` for what has none (never cached).
pub(crate) fn label_slot(is_loop: bool, ty: wasmparser::BlockType) -> u32 {
    use wasmparser::{BlockType as B, ValType as V};
    match ty {
        B::Empty => 0,
        B::Type(_) if is_loop => 0,
        B::Type(t) => match t {
            V::I32 => 1,
            V::I64 => 2,
            V::F32 => 3,
            V::F64 => 4,
            V::V128 => 5,
            V::Ref(r) if r == wasmparser::RefType::FUNCREF => 6,
            V::Ref(r) if r == wasmparser::RefType::EXTERNREF => 7,
            V::Ref(_) => u32::MAX,
        },
        B::FuncType(i) => i.checked_mul(2).and_then(|i| i.checked_add(8 + u32::from(is_loop))).unwrap_or(u32::MAX),
    }
}

/// The slot of the function's own label: after every type index's two.
pub(crate) fn function_slot(module: &Module) -> u32 {
    u32::try_from(module.types.len()).ok().and_then(|n| n.checked_mul(2)).and_then(|n| n.checked_add(8)).unwrap_or(u32::MAX)
}

impl<'a> ValidatedOps<'a, '_> {
    /// Reads the remaining operators, validating each and then pushing it
    /// to `sink` with its byte offset.
    ///
    /// Each operator is decoded once, straight into calls of the
    /// validator's visitor (no second dispatch on a decoded enum).
    ///
    /// # Errors
    ///
    /// An operator is malformed or invalid, or the sink's error.
    pub fn drive(&mut self, sink: &mut impl OperatorSink<'a>) -> WasmResult<()> {
        match &mut self.check {
            Check::Own(c) => drive(c, &mut self.reader, self.body, self.features, self.module, self.loops, sink),
            Check::Parser(v) => drive(&mut **v, &mut self.reader, self.body, self.features, self.module, self.loops, sink),
        }
    }
}

/// [`ValidatedOps::drive`] with one of the validators: with Brisk's, the
/// operators are read by a [`Cursor`] (wasmparser's reader brought up to
/// it where it reads an operator, and at the end).
fn drive<'a, C: Checker, S: OperatorSink<'a>>(
    check: &mut C,
    reader: &mut wasmparser::BinaryReader<'a>,
    body: (&'a [u8], usize),
    features: &mut FuncCostFeatures,
    module: &Module,
    loops: &mut LoopNesting,
    sink: &mut S,
) -> WasmResult<()> {
    let mut visit = Visit { body, check, features, module, loops, offset: 0, sink, error: None };
    if C::OWN {
        let mut cursor = Cursor::new(reader, body);
        let read = read_operators(&mut cursor, &mut visit);
        visit.note_kept_heights();
        read?;
        Ok(cursor.sync()?)
    } else {
        read_operators(reader, &mut visit)
    }
}

/// Reads, validates and visits operators to the end of the body.
#[inline(always)]
fn read_operators<'a, R: OpReader<'a>, C: Checker, S: OperatorSink<'a>>(
    reader: &mut R,
    visit: &mut Visit<'a, '_, '_, S, C>,
) -> WasmResult<()> {
    let (bytes, base) = visit.body;
    while !reader.eof() {
        visit.offset = reader.offset();
        // Most operators are decoded here; the others, and any operator
        // after the last `end` (which the reader reports), by wasmparser's
        // reader.
        let code = bytes.get(visit.offset.wrapping_sub(base)).copied().unwrap_or(0xff);
        let decoded = if visit.check.has_frame() { visit_decoded(reader, code, visit) } else { Ok(false) };
        let visited = match decoded {
            Ok(true) => Ok(()),
            Ok(false) => reader.visit_operator(visit)?,
            Err(Halt) => Err(Halt),
        };
        if visited.is_err() {
            return Err(visit.error.take().unwrap_or_else(|| rejected(visit.offset)));
        }
    }
    Ok(())
}

/// What the validation pass reads operators with: wasmparser's reader, or
/// (with Brisk's validator) a [`Cursor`]. Each reads and fails as
/// wasmparser's reader does.
trait OpReader<'a> {
    fn eof(&self) -> bool;
    /// The module offset of the next byte.
    fn offset(&self) -> usize;
    fn read_u8(&mut self) -> wasmparser::Result<u8>;
    /// Steps over the opcode byte at the reader's position, which the
    /// caller has seen is there.
    fn skip_opcode(&mut self);
    fn read_var_u32(&mut self) -> wasmparser::Result<u32>;
    fn read_var_i32(&mut self) -> wasmparser::Result<i32>;
    fn read_var_i64(&mut self) -> wasmparser::Result<i64>;
    fn read_f32(&mut self) -> wasmparser::Result<wasmparser::Ieee32>;
    fn read_f64(&mut self) -> wasmparser::Result<wasmparser::Ieee64>;
    fn read_bytes(&mut self, n: usize) -> wasmparser::Result<&'a [u8]>;
    /// Reads and visits the next operator with wasmparser's reader.
    fn visit_operator<V>(&mut self, visitor: &mut V) -> wasmparser::Result<V::Output>
    where
        V: wasmparser::VisitOperator<'a> + wasmparser::FrameStack;
}

impl<'a> OpReader<'a> for wasmparser::BinaryReader<'a> {
    #[inline(always)]
    fn eof(&self) -> bool {
        wasmparser::BinaryReader::eof(self)
    }

    #[inline(always)]
    fn offset(&self) -> usize {
        self.original_position() as usize
    }

    #[inline(always)]
    fn read_u8(&mut self) -> wasmparser::Result<u8> {
        wasmparser::BinaryReader::read_u8(self)
    }

    #[inline(always)]
    fn skip_opcode(&mut self) {
        let _ = wasmparser::BinaryReader::read_u8(self);
    }

    #[inline(always)]
    fn read_var_u32(&mut self) -> wasmparser::Result<u32> {
        wasmparser::BinaryReader::read_var_u32(self)
    }

    #[inline(always)]
    fn read_var_i32(&mut self) -> wasmparser::Result<i32> {
        wasmparser::BinaryReader::read_var_i32(self)
    }

    #[inline(always)]
    fn read_var_i64(&mut self) -> wasmparser::Result<i64> {
        wasmparser::BinaryReader::read_var_i64(self)
    }

    #[inline(always)]
    fn read_f32(&mut self) -> wasmparser::Result<wasmparser::Ieee32> {
        wasmparser::BinaryReader::read_f32(self)
    }

    #[inline(always)]
    fn read_f64(&mut self) -> wasmparser::Result<wasmparser::Ieee64> {
        wasmparser::BinaryReader::read_f64(self)
    }

    #[inline(always)]
    fn read_bytes(&mut self, n: usize) -> wasmparser::Result<&'a [u8]> {
        wasmparser::BinaryReader::read_bytes(self, n)
    }

    #[inline(always)]
    fn visit_operator<V>(&mut self, visitor: &mut V) -> wasmparser::Result<V::Output>
    where
        V: wasmparser::VisitOperator<'a> + wasmparser::FrameStack,
    {
        wasmparser::BinaryReader::visit_operator(self, visitor)
    }
}

/// The pass's reader with Brisk's validator: a position in the body's
/// bytes, which reads bytes, LEB128s and floats itself as wasmparser's
/// reader reads them, and leaves what that reader would fail on (and the
/// end of the body) to a wasmparser reader at the same position, so that
/// what is read and every error are wasmparser's. wasmparser's own reader of the body is
/// brought up to the cursor for the operators left to it, and at the end.
struct Cursor<'a, 'r> {
    bytes: &'a [u8],
    /// The module offset of `bytes[0]`.
    base: usize,
    pos: usize,
    reader: &'r mut wasmparser::BinaryReader<'a>,
}

impl<'a, 'r> Cursor<'a, 'r> {
    fn new(reader: &'r mut wasmparser::BinaryReader<'a>, (bytes, base): (&'a [u8], usize)) -> Self {
        let pos = (reader.original_position() as usize).saturating_sub(base).min(bytes.len());
        Cursor { bytes, base, pos, reader }
    }

    /// Reads with a wasmparser reader at the cursor.
    #[inline(always)]
    fn slow<T>(&mut self, read: impl FnOnce(&mut wasmparser::BinaryReader<'a>) -> wasmparser::Result<T>) -> wasmparser::Result<T> {
        let (value, pos) = read_at(self.bytes, self.base, self.pos, read)?;
        self.pos = pos;
        Ok(value)
    }

    /// Brings wasmparser's reader of the body up to the cursor.
    #[inline(always)]
    fn sync(&mut self) -> wasmparser::Result<()> {
        let behind = (self.base + self.pos).saturating_sub(self.reader.original_position() as usize);
        self.reader.read_bytes(behind).map(drop)
    }

    /// Reads with `read` from the bytes at the cursor, as wasmparser's
    /// reader would (`None` where it would fail: it then reads, to fail).
    #[inline(always)]
    fn inline<T>(&mut self, read: impl FnOnce(&mut &'a [u8]) -> Option<T>, slow: impl FnOnce(&mut wasmparser::BinaryReader<'a>) -> wasmparser::Result<T>) -> wasmparser::Result<T> {
        let mut rest = self.bytes.get(self.pos..).unwrap_or_default();
        match read(&mut rest) {
            Some(value) => {
                self.pos = self.bytes.len() - rest.len();
                Ok(value)
            }
            None => self.slow(slow),
        }
    }
}

/// Reads with a wasmparser reader at `bytes[pos..]` (module offset
/// `base + pos`): the value and the position after it. Out of line and
/// given the cursor's fields, not the cursor, which so stays in registers.
#[inline(never)]
fn read_at<'a, T>(
    bytes: &'a [u8],
    base: usize,
    pos: usize,
    read: impl FnOnce(&mut wasmparser::BinaryReader<'a>) -> wasmparser::Result<T>,
) -> wasmparser::Result<(T, usize)> {
    let rest = bytes.get(pos..).unwrap_or_default();
    let mut reader = wasmparser::BinaryReader::new(rest, (base + pos) as u64);
    let value = read(&mut reader)?;
    Ok((value, pos + reader.current_position()))
}

/// `N` bytes from the front of `bytes`, advancing it.
#[inline(always)]
fn read_array<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
    let (read, rest) = bytes.split_first_chunk::<N>()?;
    *bytes = rest;
    Some(*read)
}

impl<'a> OpReader<'a> for Cursor<'a, '_> {
    #[inline(always)]
    fn eof(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    #[inline(always)]
    fn offset(&self) -> usize {
        self.base + self.pos
    }

    #[inline(always)]
    fn read_u8(&mut self) -> wasmparser::Result<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.slow(|r| r.read_u8()),
        }
    }

    #[inline(always)]
    fn skip_opcode(&mut self) {
        self.pos += 1;
    }

    #[inline(always)]
    fn read_var_u32(&mut self) -> wasmparser::Result<u32> {
        match short_leb(self.bytes, self.pos) {
            Some((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            None => self.inline(read_leb, |r| r.read_var_u32()),
        }
    }

    #[inline(always)]
    fn read_var_i32(&mut self) -> wasmparser::Result<i32> {
        self.inline(|b| read_sleb(b, 32).map(|v| v as i32), |r| r.read_var_i32())
    }

    #[inline(always)]
    fn read_var_i64(&mut self) -> wasmparser::Result<i64> {
        self.inline(|b| read_sleb(b, 64), |r| r.read_var_i64())
    }

    // The bits as they are (moving a float does not change them).
    #[inline(always)]
    fn read_f32(&mut self) -> wasmparser::Result<wasmparser::Ieee32> {
        self.inline(|b| read_array(b).map(|a| f32::from_bits(u32::from_le_bytes(a)).into()), |r| r.read_f32())
    }

    #[inline(always)]
    fn read_f64(&mut self) -> wasmparser::Result<wasmparser::Ieee64> {
        self.inline(|b| read_array(b).map(|a| f64::from_bits(u64::from_le_bytes(a)).into()), |r| r.read_f64())
    }

    #[inline(always)]
    fn read_bytes(&mut self, n: usize) -> wasmparser::Result<&'a [u8]> {
        match self.bytes.get(self.pos..self.pos.saturating_add(n)) {
            Some(read) => {
                self.pos += n;
                Ok(read)
            }
            None => self.slow(|r| r.read_bytes(n)),
        }
    }

    #[inline(always)]
    fn visit_operator<V>(&mut self, visitor: &mut V) -> wasmparser::Result<V::Output>
    where
        V: wasmparser::VisitOperator<'a> + wasmparser::FrameStack,
    {
        self.sync()?;
        let visited = self.reader.visit_operator(visitor);
        self.pos = (self.reader.original_position() as usize).saturating_sub(self.base).min(self.bytes.len());
        visited
    }
}

macro_rules! visit_decoded {
    (
        plain { $($plain:literal => $plain_visit:ident)* }
        index1 { $($index:literal => $index_visit:ident)* }
        memarg { $($mem:literal => $mem_visit:ident $mem_align:literal)* }
        fc_plain { $($fc:literal => $fc_visit:ident)* }
        fc_index1 { $($fc1:literal => $fc1_visit:ident)* }
        fc_index2 { $($fc2:literal => $fc2_visit:ident)* }
        fd_plain { $($fd:literal => $fd_visit:ident)* }
        fd_memarg { $($fdm:literal => $fdm_visit:ident $fdm_align:literal)* }
        fd_lane { $($fdl:literal => $fdl_visit:ident)* }
        fd_memarg_lane { $($fdml:literal => $fdml_visit:ident $fdml_align:literal)* }
    ) => {
        /// Decodes the operator at `reader` (`code` is its first byte) and
        /// visits it, where the pass decodes it itself: `Ok(true)` when it
        /// did, `Ok(false)` where wasmparser's reader is to. What the
        /// reader does, without its dispatch over every operator of every
        /// proposal (and, for SIMD, through a `dyn` visitor). A reader's
        /// error halts the body.
        ///
        /// With both validators: the one-byte operators without immediates
        /// or with one `u32`, the constants, a dead `br_table`; read with
        /// the reader's own primitives, so errors are the reader's. With
        /// Brisk's validator also every other operator of WebAssembly 2.0
        /// but `br_table` (live), `call_indirect` and typed `select`;
        /// immediates encoded other than as the reader would accept with
        /// WebAssembly 2.0's features are rejected (so wasmparser decides).
        #[inline(always)]
        fn visit_decoded<'a, R: OpReader<'a>, C: Checker, S: OperatorSink<'a>>(
            reader: &mut R,
            code: u8,
            visit: &mut Visit<'a, '_, '_, S, C>,
        ) -> Result<bool, Halt> {
            use wasmparser::{VisitOperator, VisitSimdOperator};
            // An immediate read, or the body halted with the reader's error.
            macro_rules! read {
                ($read:expr) => {
                    match $read {
                        Ok(value) => value,
                        Err(e) => return Err(visit.halt(e)),
                    }
                };
            }
            // An immediate the pass does not decode: Brisk's validator
            // rejects the body.
            macro_rules! reject {
                () => {
                    return Err(visit.halt(rejected(visit.offset)))
                };
            }
            // Brisk's validator decodes all the operators below; with
            // wasmparser's, those up to the guard only. (Tested here, not
            // by a guard among the arms, so that the match is one jump
            // table.)
            if !C::OWN && !matches!(code, 0x0e | 0x41..=0x44 $(| $plain)* $(| $index)*) {
                return Ok(false);
            }
            match code {
                0x0e => {
                    return match visit.dead_br_table(reader) {
                        Some(visited) => visited.map(|()| true),
                        None => Ok(false),
                    };
                }
                0x41 => {
                    reader.skip_opcode();
                    visit.visit_i32_const(read!(reader.read_var_i32()))
                }
                0x42 => {
                    reader.skip_opcode();
                    visit.visit_i64_const(read!(reader.read_var_i64()))
                }
                0x43 => {
                    reader.skip_opcode();
                    visit.visit_f32_const(read!(reader.read_f32()))
                }
                0x44 => {
                    reader.skip_opcode();
                    visit.visit_f64_const(read!(reader.read_f64()))
                }
                $($plain => {
                    reader.skip_opcode();
                    visit.$plain_visit()
                })*
                $($index => {
                    reader.skip_opcode();
                    visit.$index_visit(read!(reader.read_var_u32()))
                })*
                // Brisk's validator only from here.
                0x02..=0x04 => {
                    reader.skip_opcode();
                    let Some(ty) = read!(read_block_type(reader)) else { reject!() };
                    match code {
                        0x02 => visit.visit_block(ty),
                        0x03 => visit.visit_loop(ty),
                        _ => visit.visit_if(ty),
                    }
                }
                // The reader checks that `else` ends an `if`; so does the
                // validator.
                0x05 => {
                    reader.skip_opcode();
                    visit.visit_else()
                }
                // Memory 0, as one zero byte.
                0x3f | 0x40 => {
                    reader.skip_opcode();
                    if read!(reader.read_u8()) != 0 {
                        reject!();
                    }
                    if code == 0x3f { visit.visit_memory_size(0) } else { visit.visit_memory_grow(0) }
                }
                $($mem => {
                    reader.skip_opcode();
                    let Some(memarg) = read!(read_memarg(reader, $mem_align)) else { reject!() };
                    visit.$mem_visit(memarg)
                })*
                0xfc => {
                    reader.skip_opcode();
                    match read!(reader.read_var_u32()) {
                        $($fc => visit.$fc_visit(),)*
                        $($fc1 => visit.$fc1_visit(read!(reader.read_var_u32())),)*
                        $($fc2 => {
                            let a = read!(reader.read_var_u32());
                            visit.$fc2_visit(a, read!(reader.read_var_u32()))
                        })*
                        _ => reject!(),
                    }
                }
                0xfd => {
                    reader.skip_opcode();
                    match read!(reader.read_var_u32()) {
                        $($fd => visit.$fd_visit(),)*
                        $($fdm => {
                            let Some(memarg) = read!(read_memarg(reader, $fdm_align)) else { reject!() };
                            visit.$fdm_visit(memarg)
                        })*
                        $($fdl => visit.$fdl_visit(read!(reader.read_u8())),)*
                        $($fdml => {
                            let Some(memarg) = read!(read_memarg(reader, $fdml_align)) else { reject!() };
                            visit.$fdml_visit(memarg, read!(reader.read_u8()))
                        })*
                        0x0c => visit.visit_v128_const(v128(read!(reader.read_bytes(16)))),
                        0x0d => visit.visit_i8x16_shuffle(v128(read!(reader.read_bytes(16))).bytes().to_owned()),
                        _ => reject!(),
                    }
                }
                _ => return Ok(false),
            }
            .map(|()| true)
        }
    };
}

crate::validate::for_each_decoded_operator!(visit_decoded);

/// A block type, read as the binary reader reads it with WebAssembly 2.0's
/// features (the opcode read); `None` for a value type of another
/// proposal or a type index of more than two bytes.
#[inline(always)]
fn read_block_type<'a>(reader: &mut impl OpReader<'a>) -> wasmparser::Result<Option<wasmparser::BlockType>> {
    use wasmparser::{BlockType as B, RefType, ValType as V};
    let b = reader.read_u8()?;
    Ok(Some(match b {
        0x40 => B::Empty,
        0x7f => B::Type(V::I32),
        0x7e => B::Type(V::I64),
        0x7d => B::Type(V::F32),
        0x7c => B::Type(V::F64),
        0x7b => B::Type(V::V128),
        0x70 => B::Type(V::Ref(RefType::FUNCREF)),
        0x6f => B::Type(V::Ref(RefType::EXTERNREF)),
        // A type index: an `s33` of one byte (sign bit clear) or two.
        0x00..=0x3f => B::FuncType(u32::from(b)),
        0x80..=0xff => match reader.read_u8()? {
            b2 @ 0x00..=0x3f => B::FuncType(u32::from(b & 0x7f) | u32::from(b2) << 7),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    }))
}

/// A memory immediate, read as the binary reader reads it with
/// WebAssembly 2.0's features (no memory index, no ordering, a 32-bit
/// offset); `None` for flags it would reject.
#[inline(always)]
fn read_memarg<'a>(reader: &mut impl OpReader<'a>, max_align: u8) -> wasmparser::Result<Option<wasmparser::MemArg>> {
    let flags = reader.read_var_u32()?;
    if flags >= 1 << 6 {
        return Ok(None);
    }
    let offset = reader.read_var_u32()?;
    Ok(Some(wasmparser::MemArg {
        align: flags as u8,
        max_align,
        offset: u64::from(offset),
        target: wasmparser::MemArgTarget::Memory(0),
        ordering: None,
    }))
}

/// A `v128` immediate from its 16 bytes.
#[inline(always)]
fn v128(bytes: &[u8]) -> wasmparser::V128 {
    let mut le = [0; 16];
    le.copy_from_slice(bytes);
    wasmparser::V128::from(u128::from_le_bytes(le))
}

/// The visitor of [`ValidatedOps::drive`]: validates, notes cost features,
/// pushes to the sink.
struct Visit<'a, 'c, 's, S, C> {
    body: (&'a [u8], usize),
    check: &'c mut C,
    features: &'c mut FuncCostFeatures,
    module: &'c Module,
    loops: &'c mut LoopNesting,
    offset: usize,
    sink: &'s mut S,
    /// Why an operator returned [`Halt`].
    error: Option<WasmError>,
}

/// What a visit of an operator returns when the body cannot go on (the
/// reason is in `Visit::error`): small, so that every operator's result
/// comes back in a register.
struct Halt;

impl<S, C: Checker> wasmparser::FrameStack for Visit<'_, '_, '_, S, C> {
    #[inline(always)]
    fn current_frame(&self) -> Option<wasmparser::FrameKind> {
        self.check.frame(0).map(|f| f.kind)
    }
}

impl<'a, S: OperatorSink<'a>, C: Checker> Visit<'a, '_, '_, S, C> {
    /// Is the next operator reachable (so compiled: the tiers skip dead
    /// code)? Not if the validator's innermost frame is unreachable, or
    /// the frame was opened in dead code.
    #[inline(always)]
    fn live(&self) -> bool {
        self.loops.frames.last().is_none_or(|f| !f.dead) && !self.check.innermost_unreachable()
    }

    /// Does this `br_table` pass validation, decided without wasmparser's
    /// per-target work (which looks up each target's label type and pops
    /// and pushes its values again, target after target)? Each distinct
    /// target label is compared once with the operands, which must all be
    /// known and exactly of the label's types. `false` where that cannot
    /// decide (operands of unknown type in unreachable code, subtyping, a
    /// failure to report): the validator's own check then runs, so errors
    /// and their messages are its own.
    fn br_table_fits(&mut self, table: &wasmparser::BrTable<'_>) -> bool {
        let v = &*self.check;
        if v.operand(0) != Some(Some(wasmparser::ValType::I32)) {
            return false;
        }
        let Some(frame) = v.frame(0) else { return false };
        // Operands of the current frame below the index: what a label can take.
        let Some(avail) = (v.operand_height() as usize).checked_sub(frame.height + 1) else { return false };
        let frames = v.control_height() as usize;
        let Some(arity) = label_fits(v, self.module, table.default(), avail) else { return false };
        // The targets, read from the body's bytes (wasmparser's reader has
        // decoded them once already; this avoids its per-target overhead):
        // the opcode, the count, then the targets.
        let (bytes, base) = self.body;
        let Some(mut rest) = self.offset.checked_sub(base).and_then(|at| bytes.get(at + 1..)) else { return false };
        if read_leb(&mut rest) != Some(table.len()) {
            return false;
        }
        // The open blocks' label slots, outermost first; the function's
        // frame (index 0) has its own.
        let (open, seen) = (&self.loops.frames, &mut self.loops.br_table_seen);
        if open.len() + 1 != frames {
            return false;
        }
        let function = function_slot(self.module);
        let slot = |index: usize| index.checked_sub(1).map_or(function, |i| open[i].label);
        seen.stamp = seen.stamp.wrapping_add(1);
        if seen.stamp == 0 {
            seen.marks.fill(0);
            seen.stamp = 1;
        }
        let needed = function as usize + 1;
        if seen.marks.len() < needed && function != u32::MAX {
            seen.marks.resize(needed, 0);
        }
        let default = slot(frames - 1 - table.default() as usize);
        if let Some(mark) = seen.marks.get_mut(default as usize) {
            *mark = seen.stamp;
        }
        for _ in 0..table.len() {
            let Some(depth) = read_leb(&mut rest) else { return false };
            let Some(index) = (frames - 1).checked_sub(depth as usize) else { return false };
            // A label's types are compared with the operands (in O(their
            // number)) once per br_table: later labels of the same types
            // find their slot marked.
            let mark = seen.marks.get_mut(slot(index) as usize);
            if mark.as_deref() != Some(&seen.stamp) {
                if label_fits(v, self.module, depth, avail) != Some(arity) {
                    return false;
                }
                if let Some(mark) = mark {
                    *mark = seen.stamp;
                }
            }
        }
        true
    }

    /// A `br_table` in unreachable code, validated by Brisk's validator
    /// straight from the body's bytes and skipped (the sinks never see dead
    /// operators, so no `BrTable` is decoded for them); `None` if it is
    /// live or wasmparser's validator is in use. One that does not validate
    /// (or is malformed) stops the body, which wasmparser then validates
    /// from its start.
    #[inline(always)]
    fn dead_br_table(&mut self, reader: &mut impl OpReader<'a>) -> Option<Result<(), Halt>> {
        if !C::OWN || self.live() {
            return None;
        }
        let skipped = self.own_br_table().and_then(|len| reader.read_bytes(1 + len).ok());
        if skipped.is_none() {
            return Some(Err(self.halt(rejected(self.offset))));
        }
        self.count_dead();
        Some(Ok(()))
    }

    /// The `br_table` at the current offset checked by Brisk's validator
    /// from the body's bytes: how many bytes follow its opcode (count,
    /// targets, default); `None` if it does not validate or is malformed,
    /// or the validator is wasmparser's.
    fn own_br_table(&mut self) -> Option<usize> {
        let (bytes, base) = self.body;
        let after = bytes.get(self.offset.checked_sub(base)? + 1..)?;
        let mut rest = after;
        let count = read_leb(&mut rest)?;
        let used = self.check.br_table_in(count, rest)?.ok()?;
        Some(after.len() - rest.len() + used)
    }

    /// Stops the body with `error`.
    #[cold]
    #[inline(never)]
    fn halt(&mut self, error: impl Into<WasmError>) -> Halt {
        self.error = Some(error.into());
        Halt
    }

    /// Notes the operator's features and pushes it to the sink. Out of
    /// line: most operators of fuzzer-shaped code are dead and never get
    /// here, and their visits stay small enough to inline.
    #[inline(never)]
    fn emit(&mut self, op: wasmparser::Operator<'a>, live: bool) -> Result<(), Halt> {
        note_features(self.features, &op, self.module, self.check, self.loops, live);
        self.note_heights();
        match self.sink.operator(&op, self.offset) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.halt(e)),
        }
    }

    /// A block, loop or if opened in dead code: counted (as
    /// [`note_features`] would count it) and its frame marked dead; the
    /// sink never sees it (but for the count of loops).
    #[inline(always)]
    fn open_dead(&mut self, is_loop: bool, blockty: wasmparser::BlockType) {
        self.loops.frames.push(OpenFrame { is_loop: false, dead: true, label: label_slot(is_loop, blockty) });
        if is_loop {
            self.sink.dead_loop();
        }
        self.count_dead();
    }

    /// The `else` or `end` (`op`) of a block opened in dead code: counted,
    /// and the frame closed at an `end`; the sink never sees it.
    #[inline(always)]
    fn close_dead(&mut self, op: wasmparser::Operator<'_>) {
        if let wasmparser::Operator::End = op {
            self.loops.frames.pop();
        }
        self.count_dead();
    }

    /// The maximum heights Brisk's validator kept, into the features, as
    /// `note_heights` after each operator would have noted them.
    fn note_kept_heights(&mut self) {
        let (operands, frames) = self.check.max_heights();
        let f = &mut *self.features;
        f.max_operand_stack = f.max_operand_stack.max(operands);
        // The function's frame is open after each operator but its final
        // `end`: it counts if there was another.
        let frames = if f.operators > 1 { frames.max(1) } else { frames };
        f.max_nesting = f.max_nesting.max(frames);
    }

    /// What a dead operator adds to the features (as [`note_features`]
    /// would count it); the sink never sees it.
    #[inline(always)]
    fn count_dead(&mut self) {
        self.features.operators += 1;
        self.note_heights();
    }

    /// The heights of the validator's stacks after the operator, into the
    /// features' maxima (Brisk's validator keeps them itself).
    #[inline(always)]
    fn note_heights(&mut self) {
        if C::OWN {
            return;
        }
        let f = &mut *self.features;
        f.max_nesting = f.max_nesting.max(self.check.control_height());
        f.max_operand_stack = f.max_operand_stack.max(self.check.operand_height());
    }
}

/// Validates the operator with the body's validator.
macro_rules! check {
    ($self:ident, $visitor:ident, $visit:ident($($arg:expr),*)) => {
        let checked = $self.check.check(
            $self.offset,
            #[inline(always)]
            |c| c.$visit($($arg),*),
            #[inline(always)]
            |v, offset| v.$visitor(offset).$visit($($arg),*),
        );
        if let Err(e) = checked {
            return Err($self.halt(e));
        }
    };
}

macro_rules! visit_validated {
    ($visitor:ident $(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $( visit_validated_one!($visitor $op $({ $($arg: $argty),* })? => $visit); )*
    };
}

macro_rules! visit_validated_one {
    // `br_table`: Brisk's validator reads the targets itself; with
    // wasmparser's, the check of `Visit::br_table_fits` comes first.
    ($visitor:ident BrTable { $arg:ident: $argty:ty } => $visit:ident) => {
        fn $visit(&mut self, $arg: $argty) -> Result<(), Halt> {
            let live = self.live();
            if C::OWN {
                // Brisk's validator reads the targets itself.
                if self.own_br_table().is_none() {
                    return Err(self.halt(rejected(self.offset)));
                }
            } else if self.br_table_fits(&$arg) {
                // What remains of br_table's check, and all of its effect:
                // pop the (known) i32 index, then branch to the default.
                let default = $arg.default();
                let checked = self.check.check(
                    self.offset,
                    |_| Ok(()),
                    |v, offset| {
                        let mut v = v.$visitor(offset);
                        v.visit_drop().and_then(|()| v.visit_br(default))
                    },
                );
                if let Err(e) = checked {
                    return Err(self.halt(e));
                }
            } else {
                check!(self, $visitor, $visit($arg.clone()));
            }
            if !live {
                self.count_dead();
                return Ok(());
            }
            self.emit(wasmparser::Operator::BrTable { $arg }, live)
        }
    };
    // A block opened in dead code is dead with all it holds, and never
    // reaches the sink ...
    ($visitor:ident Block { $arg:ident: $argty:ty } => $visit:ident) => {
        visit_validated_one!(@open $visitor Block false { $arg: $argty } => $visit);
    };
    ($visitor:ident Loop { $arg:ident: $argty:ty } => $visit:ident) => {
        visit_validated_one!(@open $visitor Loop true { $arg: $argty } => $visit);
    };
    ($visitor:ident If { $arg:ident: $argty:ty } => $visit:ident) => {
        visit_validated_one!(@open $visitor If false { $arg: $argty } => $visit);
    };
    (@open $visitor:ident $op:ident $is_loop:literal { $arg:ident: $argty:ty } => $visit:ident) => {
        fn $visit(&mut self, $arg: $argty) -> Result<(), Halt> {
            let live = self.live();
            check!(self, $visitor, $visit($arg));
            if !live {
                self.open_dead($is_loop, $arg);
                return Ok(());
            }
            self.emit(wasmparser::Operator::$op { $arg }, live)
        }
    };
    // ... but the `else` and `end` of one opened in live code do, even
    // where they are unreachable: reachable code may resume after them.
    ($visitor:ident Else => $visit:ident) => {
        visit_validated_one!(@close $visitor Else => $visit);
    };
    ($visitor:ident End => $visit:ident) => {
        visit_validated_one!(@close $visitor End => $visit);
    };
    (@close $visitor:ident $op:ident => $visit:ident) => {
        fn $visit(&mut self) -> Result<(), Halt> {
            let live = self.live();
            check!(self, $visitor, $visit());
            if self.loops.frames.last().is_some_and(|f| f.dead) {
                self.close_dead(wasmparser::Operator::$op);
                return Ok(());
            }
            self.emit(wasmparser::Operator::$op, live)
        }
    };
    // ... the rest of it only to be counted: the sinks skip it (neither
    // tier compiles dead code), so it is not even built as an `Operator`.
    ($visitor:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident) => {
        #[allow(clippy::clone_on_copy)]
        fn $visit(&mut self $($(,$arg: $argty)*)?) -> Result<(), Halt> {
            let live = self.live();
            check!(self, $visitor, $visit($($($arg.clone()),*)?));
            if !live {
                self.count_dead();
                return Ok(());
            }
            self.emit(wasmparser::Operator::$op $({ $($arg),* })?, live)
        }
    };
}

macro_rules! visit_validated_plain {
    ($($t:tt)*) => { visit_validated!(visitor $($t)*); };
}

macro_rules! visit_validated_simd {
    ($($t:tt)*) => { visit_validated!(simd_visitor $($t)*); };
}

impl<'a, S: OperatorSink<'a>, C: Checker> wasmparser::VisitOperator<'a> for Visit<'a, '_, '_, S, C> {
    type Output = Result<(), Halt>;

    fn simd_visitor(&mut self) -> Option<&mut dyn wasmparser::VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(visit_validated_plain);
}

impl<'a, S: OperatorSink<'a>, C: Checker> wasmparser::VisitSimdOperator<'a> for Visit<'a, '_, '_, S, C> {
    wasmparser::for_each_visit_simd_operator!(visit_validated_simd);
}

/// [`translate_module`], with `hook` translating each body as it is
/// validated.
///
/// # Errors
///
/// As [`translate_module`], and the hook's.
pub fn translate_module_with<'a>(
    wasm: &'a [u8],
    features: WasmFeatures,
    hook: Option<&mut dyn BodyHook>,
) -> WasmResult<ModuleTranslation<'a>> {
    let mut hooks: Vec<&mut dyn BodyHook> = hook.into_iter().collect();
    translate_module_for(wasm, features, &mut hooks, false)
}

/// Fewest bytes of code for which the validation pass spreads bodies over
/// several threads (when given several hooks): below, starting threads
/// costs more than it saves.
pub const PARALLEL_CODE_BYTES: usize = 256 << 10;

/// [`translate_module_with`], giving funcrefs in the vmctx (with
/// `escaping_only`) only to imports and functions that can escape, as a
/// module needs whose functions call each other directly: see
/// [`Module::func_ref_slots`]. With several `hooks` and at least
/// [`PARALLEL_CODE_BYTES`] of code, the bodies are validated (and given
/// to the hooks) on as many threads once the last is read, each thread
/// with its own hook and taking the next body in index order, so a hook
/// sees increasing indices; errors are the same as on one thread: the
/// first body's (by index) that fails, or if none fails, the parser's.
///
/// # Errors
///
/// As [`translate_module_with`].
pub fn translate_module_for<'a>(
    wasm: &'a [u8],
    features: WasmFeatures,
    hooks: &mut [&mut dyn BodyHook],
    escaping_only: bool,
) -> WasmResult<ModuleTranslation<'a>> {
    let mut validator = Validator::new_with_features(features);
    let mut module = Module::default();
    let mut function_bodies = PrimaryMap::new();
    let mut escaping: HashSet<FuncIndex> = HashSet::new();
    // Per-body scratch state of the validation pass, reused across bodies.
    let mut scratch = BodyScratch::new(features);

    // The parser's readers honour the feature set too (for example, limits
    // are 32-bit LEBs unless memory64 is on), so give it the same one.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    // Bodies read but not validated yet (validated on several threads
    // once the last is read), and how many the code section has.
    let mut deferred: Vec<Deferred<'a>> = Vec::new();
    let (mut defer, mut code_count) = (false, 0usize);
    for payload in parser.parse_all(wasm) {
        // A body read earlier fails before a later parse error, as on one
        // thread.
        let payload = match payload {
            Ok(p) => p,
            Err(e) => return Err(deferred_error(deferred, &module, features, hooks).unwrap_or(e.into())),
        };
        let valid = match validator.payload(&payload) {
            Ok(v) => v,
            Err(e) => return Err(deferred_error(deferred, &module, features, hooks).unwrap_or(e.into())),
        };
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group?;
                    for sub in group.into_types() {
                        match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => {
                                let params =
                                    f.params().iter().map(|t| val_type(*t, 0)).collect::<WasmResult<Vec<_>>>()?;
                                let results =
                                    f.results().iter().map(|t| val_type(*t, 0)).collect::<WasmResult<Vec<_>>>()?;
                                module.types.push(FuncType::new(params, results));
                            }
                            _ => return Err(WasmError::unsupported("non-function types (GC)", 0)),
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    let index = match import.ty {
                        TypeRef::Func(ty) => {
                            module.num_imported_funcs += 1;
                            EntityIndex::Function(module.functions.push(TypeIndex::from_u32(ty)))
                        }
                        TypeRef::Table(t) => {
                            module.num_imported_tables += 1;
                            EntityIndex::Table(module.tables.push(table_type(&t, offset)?))
                        }
                        TypeRef::Memory(m) => {
                            module.num_imported_memories += 1;
                            EntityIndex::Memory(module.memories.push(memory_type(&m, offset)?))
                        }
                        TypeRef::Global(g) => {
                            module.num_imported_globals += 1;
                            EntityIndex::Global(module.globals.push(global_type(&g, offset)?))
                        }
                        _ => return Err(WasmError::unsupported("tag or exact function imports", offset)),
                    };
                    module.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    module.functions.push(TypeIndex::from_u32(ty?));
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    let offset = 0;
                    if !matches!(table.init, wasmparser::TableInit::RefNull) {
                        return Err(WasmError::unsupported("table initializer expressions", offset));
                    }
                    module.tables.push(table_type(&table.ty, offset)?);
                }
            }
            Payload::MemorySection(reader) => {
                let offset = reader.range().start;
                for memory in reader {
                    module.memories.push(memory_type(&memory?, offset)?);
                }
            }
            Payload::GlobalSection(reader) => {
                let offset = reader.range().start;
                for global in reader {
                    let global = global?;
                    module.globals.push(global_type(&global.ty, offset)?);
                    let init = ConstExpr::from_wasmparser(&global.init_expr)?;
                    note_ref_funcs(&init, &mut escaping);
                    module.global_inits.push(init);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            let f = FuncIndex::from_u32(export.index);
                            escaping.insert(f);
                            EntityIndex::Function(f)
                        }
                        ExternalKind::Table => EntityIndex::Table(TableIndex::from_u32(export.index)),
                        ExternalKind::Memory => EntityIndex::Memory(MemoryIndex::from_u32(export.index)),
                        ExternalKind::Global => EntityIndex::Global(GlobalIndex::from_u32(export.index)),
                        ExternalKind::Tag => return Err(WasmError::unsupported("tag exports", 0)),
                    };
                    module.export_names.insert(export.name.to_string(), index);
                    module.exports.push((export.name.to_string(), index));
                }
            }
            Payload::StartSection { func, .. } => {
                module.start = Some(FuncIndex::from_u32(func));
                escaping.insert(FuncIndex::from_u32(func));
            }
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let (element, items) = match elem.items {
                        wasmparser::ElementItems::Functions(funcs) => {
                            let funcs = funcs
                                .into_iter()
                                .map(|f| f.map(FuncIndex::from_u32))
                                .collect::<Result<Box<[_]>, _>>()?;
                            escaping.extend(funcs.iter().copied());
                            (WasmValType::FuncRef, ElemItems::Functions(funcs))
                        }
                        wasmparser::ElementItems::Expressions(ty, exprs) => {
                            let exprs = exprs
                                .into_iter()
                                .map(|e| ConstExpr::from_wasmparser(&e?))
                                .collect::<WasmResult<Box<[_]>>>()?;
                            for e in exprs.iter() {
                                note_ref_funcs(e, &mut escaping);
                            }
                            let ty = WasmValType::from_ref_type(ty).map_err(|m| WasmError::unsupported(m, 0))?;
                            (ty, ElemItems::Exprs(exprs))
                        }
                    };
                    let mode = match elem.kind {
                        wasmparser::ElementKind::Active { table_index, offset_expr } => {
                            let offset = ConstExpr::from_wasmparser(&offset_expr)?;
                            SegmentMode::Active { index: TableIndex::from_u32(table_index.unwrap_or(0)), offset }
                        }
                        wasmparser::ElementKind::Passive => SegmentMode::Passive,
                        wasmparser::ElementKind::Declared => SegmentMode::Declared,
                    };
                    module.elems.push(ElemSegment { mode, element, items });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Active { memory_index, offset_expr } => SegmentMode::Active {
                            index: MemoryIndex::from_u32(memory_index),
                            offset: ConstExpr::from_wasmparser(&offset_expr)?,
                        },
                        wasmparser::DataKind::Passive => SegmentMode::Passive,
                    };
                    module.data.push(DataSegment { mode, data: data.data.into() });
                }
            }
            // Every section that lets a function escape comes before the
            // code, so the funcref slots are known before any body is
            // compiled.
            Payload::CodeSectionStart { count, size, .. } => {
                if escaping_only {
                    module.func_ref_slots = Some(func_ref_slots(&module, &escaping));
                }
                code_count = count as usize;
                defer = hooks.len() > 1 && size as usize >= PARALLEL_CODE_BYTES;
            }
            Payload::CodeSectionEntry(body) => {
                let ValidPayload::Func(func, _) = valid else {
                    return Err(invalid("code entry without a function", body.range().start));
                };
                if defer {
                    deferred.push((func, body));
                    if deferred.len() == code_count {
                        for data in validate_deferred(std::mem::take(&mut deferred), &module, features, hooks)? {
                            function_bodies.push(data);
                        }
                    }
                    continue;
                }
                let def = DefinedFuncIndex::from_u32(function_bodies.len() as u32);
                let hook = hooks.first_mut().map(|h| &mut **h);
                let features = validate_func(func, &body, &module, def, &mut scratch, hook)?;
                function_bodies.push(FunctionBodyData { body, features });
            }
            Payload::CustomSection(reader) => {
                if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is ignored, as the spec says.
                    let _ = read_names(names, &mut module);
                }
            }
            Payload::End(_) => {}
            _ => {}
        }
    }

    if escaping_only && module.func_ref_slots.is_none() {
        module.func_ref_slots = Some(func_ref_slots(&module, &escaping));
    }
    let mut escaping_funcs: Vec<DefinedFuncIndex> =
        escaping.into_iter().filter_map(|f| module.defined_func_index(f)).collect();
    escaping_funcs.sort_unstable();
    Ok(ModuleTranslation { module: std::sync::Arc::new(module), function_bodies, escaping_funcs, interpreted: Vec::new() })
}

/// Per function, its funcref slot: imports, then the defined functions
/// that can escape, in index order; `u32::MAX` for the others.
fn func_ref_slots(module: &Module, escaping: &HashSet<FuncIndex>) -> FuncRefSlotMap {
    let imported = module.num_imported_funcs as u32;
    let mut next = imported;
    let slots = (0..module.functions.len() as u32)
        .map(|f| {
            if f < imported {
                f
            } else if escaping.contains(&FuncIndex::from_u32(f)) {
                next += 1;
                next - 1
            } else {
                u32::MAX
            }
        })
        .collect();
    FuncRefSlotMap::new(slots)
}

fn note_ref_funcs(expr: &ConstExpr, escaping: &mut HashSet<FuncIndex>) {
    for op in &expr.ops {
        if let ConstOp::RefFunc(f) = op {
            escaping.insert(*f);
        }
    }
}

fn read_names(names: NameSectionReader<'_>, module: &mut Module) -> WasmResult<()> {
    for name in names {
        match name? {
            Name::Module { name, .. } => module.name = Some(name.to_string()),
            Name::Function(map) => {
                for naming in map {
                    let naming = naming?;
                    module.func_names.insert(FuncIndex::from_u32(naming.index), naming.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A body read but not validated yet, and its validator.
type Deferred<'a> = (wasmparser::FuncToValidate<wasmparser::ValidatorResources>, FunctionBody<'a>);

/// Validates the deferred bodies (all the code section's, defined indices
/// from 0) on one thread per hook, each thread taking the next body; the
/// first failure by index is the error, as on one thread.
fn validate_deferred<'a, 'h>(
    deferred: Vec<Deferred<'a>>,
    module: &Module,
    features: WasmFeatures,
    hooks: &mut [&'h mut (dyn BodyHook + 'h)],
) -> WasmResult<Vec<FunctionBodyData<'a>>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let n = deferred.len();
    let (funcs, bodies): (Vec<_>, Vec<_>) = deferred.into_iter().map(|(f, b)| (Mutex::new(Some(f)), b)).unzip();
    let next = AtomicUsize::new(0);
    // Bodies after a failed one need no validating.
    let first_failure = AtomicUsize::new(usize::MAX);
    let work = |mut hook: Option<&mut (dyn BodyHook + 'h)>| {
        let mut done = Vec::new();
        let mut scratch = BodyScratch::new(features);
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= n || k > first_failure.load(Ordering::Relaxed) {
                return done;
            }
            let func = funcs[k].lock().unwrap_or_else(|e| e.into_inner()).take().expect("each body is taken once");
            let def = DefinedFuncIndex::from_u32(k as u32);
            let r = validate_func(func, &bodies[k], module, def, &mut scratch, hook.as_deref_mut());
            if r.is_err() {
                first_failure.fetch_min(k, Ordering::Relaxed);
            }
            done.push((k, r));
        }
    };
    let mut results: Vec<(usize, WasmResult<FuncCostFeatures>)> = std::thread::scope(|scope| {
        let (first, rest) = match hooks.split_first_mut() {
            Some((first, rest)) => (Some(&mut **first), rest),
            None => (None, &mut [][..]),
        };
        let threads: Vec<_> = rest.iter_mut().map(|h| scope.spawn(|| work(Some(&mut **h)))).collect();
        let mut all = work(first);
        for t in threads {
            match t.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_unstable_by_key(|(k, _)| *k);
    let mut out = Vec::with_capacity(n);
    for ((_, r), body) in results.into_iter().zip(bodies) {
        out.push(FunctionBodyData { body, features: r? });
    }
    if out.len() < n {
        return Err(invalid("a body was not validated", 0));
    }
    Ok(out)
}

/// The error of the first deferred body that fails, if one does: what one
/// thread would have reported before an error later in the module.
fn deferred_error(
    deferred: Vec<Deferred<'_>>,
    module: &Module,
    features: WasmFeatures,
    hooks: &mut [&mut dyn BodyHook],
) -> Option<WasmError> {
    if deferred.is_empty() {
        return None;
    }
    validate_deferred(deferred, module, features, hooks).err()
}

/// A thread's scratch state for validating bodies, kept from body to body,
/// and from module to module on the thread (see [`SPARE_SCRATCH`]).
struct BodyScratch {
    /// Brisk's own validator applies (the features are WebAssembly 2.0's).
    own: bool,
    checker: CheckerScratch,
    allocs: FuncValidatorAllocations,
    loops: LoopNesting,
}

/// The allocations of a [`BodyScratch`].
type Spare = (CheckerScratch, FuncValidatorAllocations, LoopNesting);

thread_local! {
    /// The allocations of the last [`BodyScratch`] dropped on this thread,
    /// for the next: a thread that compiles many small modules does not
    /// grow its stacks from nothing for each.
    static SPARE_SCRATCH: std::cell::Cell<Option<Spare>> = const { std::cell::Cell::new(None) };
}

impl BodyScratch {
    fn new(features: WasmFeatures) -> Self {
        let (checker, allocs, loops) = SPARE_SCRATCH.try_with(std::cell::Cell::take).ok().flatten().unwrap_or_default();
        BodyScratch { own: features == WasmFeatures::WASM2, checker, allocs, loops }
    }
}

impl Drop for BodyScratch {
    fn drop(&mut self) {
        // Not the allocations of a huge body: those are given back.
        if self.checker.bytes() + self.loops.bytes() <= SPARE_SCRATCH_BYTES {
            let spare = (std::mem::take(&mut self.checker), std::mem::take(&mut self.allocs), std::mem::take(&mut self.loops));
            // The thread may be exiting: then the spare is dropped.
            let _ = SPARE_SCRATCH.try_with(|cell| cell.set(Some(spare)));
        }
    }
}

/// The largest [`BodyScratch`] a thread keeps for its next module.
const SPARE_SCRATCH_BYTES: usize = 1 << 20;

/// Validates `func`'s body with [`validate_body`] (and has `hook` translate
/// it): with Brisk's own validator where it applies, and with wasmparser's
/// where it does not or did not accept, from the body's start again (so a
/// hook may see the first operators of a body twice; the verdict, the
/// error and its message are always wasmparser's).
fn validate_func<H: BodyHook + ?Sized>(
    func: wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
    body: &FunctionBody<'_>,
    module: &Module,
    def: DefinedFuncIndex,
    scratch: &mut BodyScratch,
    mut hook: Option<&mut H>,
) -> WasmResult<FuncCostFeatures> {
    if scratch.own {
        let ty = module.functions[module.func_index(def)];
        if let Ok(checker) = BodyChecker::new(std::mem::take(&mut scratch.checker), module, &func.resources, ty) {
            let r = validate_body(Check::Own(checker), body, module, def, scratch, hook.as_deref_mut());
            if r.is_ok() {
                return r;
            }
        }
        crate::validate::note_rejected();
    }
    let mut v = func.into_validator(std::mem::take(&mut scratch.allocs));
    let r = validate_body(Check::Parser(&mut v), body, module, def, scratch, hook);
    scratch.allocs = v.into_allocations();
    r
}

/// Validates one body operator by operator, measuring its cost features on
/// the way. Linear in the body's size.
fn validate_body<H: BodyHook + ?Sized>(
    mut check: Check<'_>,
    body: &FunctionBody<'_>,
    module: &Module,
    def: DefinedFuncIndex,
    scratch: &mut BodyScratch,
    hook: Option<&mut H>,
) -> WasmResult<FuncCostFeatures> {
    let range = body.range();
    let mut f = FuncCostFeatures {
        body_bytes: u32::try_from(range.end - range.start).unwrap_or(u32::MAX),
        ..FuncCostFeatures::default()
    };
    let mut locals = body.get_locals_reader()?;
    let count = locals.get_count();
    for _ in 0..count {
        let offset = locals.original_position();
        let (count, ty) = locals.read()?;
        match &mut check {
            Check::Parser(v) => v.define_locals(offset, count, ty)?,
            Check::Own(c) => c.define_locals(count, ty).map_err(|Reject| rejected(offset as usize))?,
        }
    }
    f.locals = match &check {
        Check::Parser(v) => v.len_locals(),
        Check::Own(c) => c.len_locals(),
    };
    let mut ops = ValidatedOps {
        reader: locals.get_binary_reader(),
        body: (body.as_bytes(), range.start as usize),
        check,
        features: &mut f,
        module,
        loops: scratch.loops.reset(),
    };
    if let Some(hook) = hook {
        hook.body(module, def, body, &mut ops)?;
    }
    ops.drive(&mut ())?;
    ops.reader.finish_expression(&ops.check)?;
    if let Check::Own(c) = ops.check {
        let done = c.finish();
        scratch.checker = c.into_scratch();
        done.map_err(|Reject| rejected(range.end as usize))?;
    }
    Ok(f)
}

/// Counts what an operator adds to its function's cost features, once
/// the validator has checked it (so a branch's label exists). Constant
/// work per operator, and per target of a `br_table`.
#[inline(always)]
fn note_features(
    f: &mut FuncCostFeatures,
    op: &wasmparser::Operator<'_>,
    module: &Module,
    validator: &impl Checker,
    loops: &mut LoopNesting,
    live: bool,
) {
    use wasmparser::Operator as O;
    f.operators += 1;
    f.live_operators += u32::from(live);
    // Most operators count only as operators; the others out of line.
    // The `end` of a live block keeps the nesting right in dead code too;
    // everything else counts only what the tiers compile (blocks opened
    // in dead code are counted by `Visit::open_dead`).
    let structure = matches!(op, O::Block { .. } | O::Loop { .. } | O::If { .. } | O::End);
    let branch_or_call = matches!(
        op,
        O::Br { .. }
            | O::BrIf { .. }
            | O::BrTable { .. }
            | O::Call { .. }
            | O::CallIndirect { .. }
            | O::ReturnCall { .. }
            | O::ReturnCallIndirect { .. }
    );
    if structure || (live && branch_or_call) {
        note_control_features(f, op, module, validator, loops, live);
    }
}

/// What a block, loop, if, end, branch or call adds to the features
/// besides its count (`live`: it is reachable; only an `end` comes here
/// when it is not).
#[inline(never)]
fn note_control_features(
    f: &mut FuncCostFeatures,
    op: &wasmparser::Operator<'_>,
    module: &Module,
    validator: &impl Checker,
    loops: &mut LoopNesting,
    live: bool,
) {
    use wasmparser::Operator as O;
    // Blocks opened in dead code never get here (`Visit::open_dead`).
    debug_assert!(live || matches!(op, O::End));
    let func_type = |i: u32| module.types.get(TypeIndex::from_u32(i));
    // Values a branch to the label at `depth` carries.
    let carried = |depth: u32| -> u32 {
        let Some(frame) = validator.frame(depth as usize) else { return 0 };
        let n = match (frame.kind, frame.block_type) {
            (_, wasmparser::BlockType::Empty) => 0,
            (wasmparser::FrameKind::Loop, wasmparser::BlockType::Type(_)) => 0,
            (_, wasmparser::BlockType::Type(_)) => 1,
            (wasmparser::FrameKind::Loop, wasmparser::BlockType::FuncType(i)) => func_type(i).map_or(0, |t| t.params.len()),
            (_, wasmparser::BlockType::FuncType(i)) => func_type(i).map_or(0, |t| t.results.len()),
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    match op {
        O::Block { blockty } | O::Loop { blockty } | O::If { blockty } => {
            let arity = match blockty {
                wasmparser::BlockType::Empty => 0,
                wasmparser::BlockType::Type(_) => 1,
                wasmparser::BlockType::FuncType(i) => func_type(*i).map_or(0, |t| t.params.len() + t.results.len()),
            };
            f.max_block_arity = f.max_block_arity.max(u32::try_from(arity).unwrap_or(u32::MAX));
            f.blocks += 1;
            let is_loop = matches!(op, O::Loop { .. });
            loops.frames.push(OpenFrame { is_loop, dead: false, label: label_slot(is_loop, *blockty) });
            if is_loop {
                f.loops += 1;
                loops.depth += 1;
                f.max_loop_nesting = f.max_loop_nesting.max(loops.depth);
            }
        }
        // The guard pops the frame whatever it is; a loop's also lowers the depth.
        O::End if loops.frames.pop().is_some_and(|f| f.is_loop) => loops.depth -= 1,
        O::Br { relative_depth } | O::BrIf { relative_depth } => {
            f.branches += 1;
            f.branch_values = f.branch_values.saturating_add(carried(*relative_depth));
        }
        O::BrTable { targets } => {
            f.branches += 1;
            f.br_table_targets = f.br_table_targets.saturating_add(targets.len());
            // Every target carries as many values as the default.
            let edges = targets.len().saturating_add(1);
            f.branch_values = f.branch_values.saturating_add(carried(targets.default()).saturating_mul(edges));
        }
        O::Call { .. } | O::CallIndirect { .. } | O::ReturnCall { .. } | O::ReturnCallIndirect { .. } => f.calls += 1,
        _ => {}
    }
}
