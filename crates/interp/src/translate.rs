//! Wasm function bodies to register bytecode, in one forward pass.
//!
//! The body has been validated already (by `brisk_environ::translate_module`),
//! so operand types are trusted and only counted: every value takes one
//! slot, whatever its type.

use crate::ModuleCode;
use crate::layout::{FuncRecord, IMPORTED, NO_PLACE};
use crate::op::{self, *};
use crate::simd::{self, SimdForm};
use brisk_environ::{
    DefinedFuncIndex, Module, FuncIndex, GlobalIndex, ModuleTranslation, OperatorSink, SMALL_BULK_OP_FUEL, TableIndex, Trap, TypeIndex,
    VMOffsets, WasmError, WasmResult, WasmValType, fuel_cost, fuel_per_unit, fuel_sync, FuelSync, FUNCTION_ENTRY_FUEL,
};
use wasmparser::{BlockType, Operator};

/// A translated function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuncCode {
    /// The instructions.
    pub code: Vec<u32>,
    /// Slots of the frame: locals, then the operand stack.
    pub frame_slots: u32,
    /// Parameters.
    pub params: u32,
    /// Locals, parameters included.
    pub locals: u32,
    /// The locals a new frame zeroes, `zero_start..zero_end`: those that
    /// may be read before the function writes them (a subset of the
    /// declared ones).
    pub zero_start: u32,
    pub zero_end: u32,
    /// Results.
    pub results: u32,
    /// Steps the translator took beyond one per operator: iterations of
    /// every loop it runs (copies of lazy entries, branch values, chain
    /// walks, stack resets, `br_table` targets). Translation is linear when
    /// this is, which the tests check on inputs built to be quadratic for
    /// naive translators.
    pub work: u64,
}

/// What translation needs beyond the module.
pub struct TranslateOptions<'a> {
    /// Charge fuel.
    pub consume_fuel: bool,
    /// Check the epoch.
    pub epoch_interruption: bool,
    /// Whether a defined function is interpreted (called with `CALL`) or
    /// native (called through its funcref).
    pub interpreted: &'a (dyn Fn(DefinedFuncIndex) -> bool + Sync),
}

const NONE: u32 = u32::MAX;

/// Bytes per slot: operand words hold slot numbers times this.
const SLOT: u32 = 16;

/// The operand word of local `l`'s slot.
fn local_slot(l: u32) -> u32 {
    l * SLOT
}

/// Where an operand-stack entry's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    /// In the entry's own slot.
    Temp,
    /// In a local's slot (the entry is on that local's chain).
    Local(u32),
    /// A constant (i32 zero-extended, f32/f64 bits), not yet in any slot.
    Const(u64),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    val: Val,
    /// For `Local` entries: the next lower entry on the same local's chain.
    next_same: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
    Function,
}

#[derive(Clone, Copy, Debug)]
struct Ctrl {
    kind: Kind,
    /// Operand-stack height below the block's parameters.
    height: u32,
    params: u32,
    results: u32,
    /// `Loop`: the code position of the header. Others: head of the chain
    /// of forward branches to the end (`NONE`: none).
    label: u32,
    /// `If`: the `br_if_eqz` to patch with the else branch's start.
    else_patch: u32,
    /// Some branch targets the block's end (so it is reachable).
    branched: bool,
    /// `Loop`: how a branch back to it can skip a step (see [`Rotation`]).
    rotation: Option<Rotation>,
    /// `Loop`: the slot whose value the accumulator holds when the loop is
    /// entered, which the instruction at [`Self::label`] may read from it,
    /// as long as every branch back to the loop holds it too (see
    /// [`Translator::loop_back_acc`]).
    entry_acc: Option<u32>,
    /// [`Translator::assigned`] when the block was entered (an `if`'s
    /// else arm starts from it), and at its end as far as the branches to
    /// the end so far know: the intersection of the sets each brought
    /// (all ones: none yet).
    assigned_entry: u64,
    assigned_end: u64,
}

/// A loop whose header is a few straight-line instructions ending in a
/// conditional exit (`loop (br_if $out (cond)) ... (br 0)`, the shape of
/// `while` loops). A branch back to the loop copies the header and
/// branches on the inverted condition into the body, falling through to
/// the exit: each iteration takes one branch instead of two.
#[derive(Clone, Copy, Debug)]
struct Rotation {
    /// Where the exit branch starts.
    branch: u32,
    /// The body's first instruction, after the header.
    body: u32,
    /// The exit branch inverted: opcode and operands but the offset.
    inverse: [u32; 3],
    /// The slot in the accumulator before the exit branch (see
    /// [`Translator::acc`]), the same after a copy of the header.
    acc: Option<u32>,
    /// The slot in the accumulator when the body starts, which its first
    /// instructions may read, as long as every branch back to the body
    /// leaves it there too (see [`Translator::revert_acc_reads`]).
    body_acc: Option<u32>,
    /// The control index of the exit's target.
    exit: u32,
}

/// The longest loop header (in words) that branches back to a loop copy.
const MAX_HEADER: u32 = 24;

/// Can a loop header with this instruction be copied? Straight-line
/// instructions that write only their result slot.
fn copyable(op: u32) -> bool {
    let op = op::without_dead(op::base(op));
    if let Some((a, _, _)) = op::pair_parts(op) {
        // The second part is checked as the next instruction.
        return copyable(a);
    }
    (FIRST_NUMERIC..END).contains(&op)
        || op::without_immediate(op).is_some()
        || (I32_LOAD..=V128_LOAD).contains(&op)
        || (I32_LOAD_X..=I64_LOAD32_U_XI).contains(&op)
        || matches!(
            op,
            COPY | COPY2
                | COPY_PAIR
                | GLOBAL_GET32
                | GLOBAL_GET64
                | CONST32
                | CONST64
                | CONST128
                | GLOBAL_GET
                | SELECT_AI
                | SELECT_BI
                | SELECT_II
                | I32_ADD_SHL
                | I32_RSUB_I
                | I64_RSUB_I
        )
}

impl Ctrl {
    /// Values a branch to this block carries.
    fn branch_arity(&self) -> u32 {
        if self.kind == Kind::Loop { self.params } else { self.results }
    }
}

struct Translator<'a, 'o> {
    module: &'a Module,
    offsets: VMOffsets,
    options: &'a TranslateOptions<'o>,
    code: Vec<u32>,
    params: u32,
    locals: u32,
    /// Per local, a bit: accessed yet (in the order of the body's text).
    accessed: Vec<u64>,
    /// No control flow yet: every operator so far runs, once, before any
    /// that follows it.
    straight: bool,
    /// Of the first 64 declared locals (bit `i` for local `params + i`),
    /// those written on every path to the current operator (all ones in
    /// unreachable code): a read of one of them needs no zeroing. Branches
    /// to a block's end intersect theirs into the block's
    /// [`Ctrl::assigned_end`]. One word, so that each branch costs O(1)
    /// whatever the number of locals; later locals keep the cruder rule
    /// of [`Translator::note_access`].
    assigned: u64,
    /// The locals that a new frame must zero: from the first to the last
    /// one that may be read before the function writes it (see
    /// [`Self::note_access`]); empty if start >= end.
    zero_start: u32,
    zero_end: u32,
    stack: Vec<Entry>,
    max_height: u32,
    /// Per local: the highest entry that refers to it (`NONE`: none).
    local_heads: Vec<u32>,
    /// Positions of entries that referred to a local when pushed (some
    /// may since have been materialized), increasing.
    lazy: Vec<u32>,
    control: Vec<Ctrl>,
    reachable: bool,
    /// Depth of blocks skipped in unreachable code.
    skip_depth: u32,
    /// The dst word of the last instruction if it wrote the top entry's
    /// slot and nothing has been emitted or bound since.
    last_dst: Option<usize>,
    /// Where the last instruction starts if it is a `copy` and no label
    /// has been bound since (a `copy` to the next slot merges into it).
    last_copy: Option<usize>,
    /// The slot whose value the executor's accumulator holds after the
    /// last instruction (which wrote it, see [`op::sets_acc`]), if no label
    /// has been bound since: the next instruction reads it from there.
    acc: Option<u32>,
    /// [`Self::acc`] before the last instruction, for taking it back.
    acc_before: Option<u32>,
    /// Where the last two instructions start, if no label lies between
    /// them and the first is not part of a pair already: once both are
    /// final (the next instruction or a label comes), they may make a pair
    /// (see `op::pair_ops!`).
    pair_prev: Option<usize>,
    pair_last: Option<usize>,
    /// Where the instruction before `pair_prev` starts, if no label lies
    /// between them (see [`Self::pass_through`]).
    pair_before: Option<usize>,
    /// Whether the instruction at `pair_last` leaves dead the slot that
    /// the one before it wrote (see [`Self::kills`]): a pair of the two (or
    /// of the pair before it and it) is then a twin that does not write it.
    kills_prev: bool,
    /// The type of the function's first result (if it has one).
    result_type: WasmValType,
    fuel_pending: i64,
    /// Steps of the translator's inner loops (see [`FuncCode::work`]).
    work: u64,
}

/// Of an instruction that exists in a 32-bit, a 64-bit and a slot-wide
/// form (`[op32, op64, op]`), the one that moves a value of type `ty`
/// (references are 64-bit pointers).
fn sized(ty: WasmValType, [op32, op64, op]: [u32; 3]) -> u32 {
    match ty {
        WasmValType::I32 | WasmValType::F32 => op32,
        WasmValType::I64 | WasmValType::F64 | WasmValType::FuncRef | WasmValType::ExternRef => op64,
        WasmValType::V128 => op,
    }
}

fn unsupported(what: &str, offset: usize) -> WasmError {
    WasmError::unsupported(format!("the interpreter does not support {what}"), offset as u64)
}

/// A place word for an entity at vmctx offset `off`.
fn place(off: u32, imported: bool) -> u32 {
    off | if imported { IMPORTED } else { 0 }
}

/// The place word of memory 0 of a module ([`NO_PLACE`] if it has none):
/// the memory the executor keeps in registers.
pub(crate) fn memory0_place(module: &Module) -> u32 {
    if module.memories.is_empty() {
        return NO_PLACE;
    }
    memory_place(module, &VMOffsets::for_module(module), 0)
}

/// The place word of memory `mem`.
fn memory_place(module: &Module, offsets: &VMOffsets, mem: u32) -> u32 {
    let m = brisk_environ::MemoryIndex::from_u32(mem);
    match module.defined_memory_index(m) {
        Some(def) => place(offsets.defined_memory(def), false),
        None => place(offsets.imported_memory(m), true),
    }
}

/// Translates defined function `index` of a validated module.
///
/// # Errors
///
/// [`WasmError::Unsupported`] for operators outside WebAssembly 2.0 with
/// SIMD; a malformed body (which validation would have refused) gives
/// [`WasmError::Invalid`].
pub fn translate_function(
    translation: &ModuleTranslation<'_>,
    index: DefinedFuncIndex,
    options: &TranslateOptions<'_>,
) -> WasmResult<FuncCode> {
    let data = translation
        .function_bodies
        .get(index)
        .ok_or_else(|| WasmError::unsupported(format!("no body for defined function {}", index.as_u32()), 0))?;
    let module = &translation.module;
    let mut t = BodyTranslator::new(module, index, &data.body, options, &mut Scratch::default(), &mut ModuleCode::new(module))?;
    let mut ops = data.body.get_operators_reader()?;
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset()?;
        t.operator(&op, offset as usize)?;
    }
    let work = t.t.work;
    let (result, code, _) = t.finish();
    result?;
    let rec = code.record(index).ok_or_else(|| WasmError::unsupported("the translation left no record", 0))?;
    Ok(FuncCode {
        code: code.words[rec.code as usize..].to_vec(),
        frame_slots: rec.frame,
        params: rec.params,
        locals: rec.locals,
        zero_start: rec.zero_start,
        zero_end: rec.zero_end,
        results: rec.results,
        work,
    })
}

/// Buffers a translation hands on to the next, so that translating the
/// many small functions of a module does not allocate for each.
#[derive(Debug, Default)]
pub struct Scratch {
    stack: Vec<Entry>,
    local_heads: Vec<u32>,
    accessed: Vec<u64>,
    lazy: Vec<u32>,
    control: Vec<Ctrl>,
}

/// Translates the body of one defined function, operator by operator as
/// they are pushed to it (it is the [`OperatorSink`] of the validation
/// pass, [`brisk_environ::ValidatedOps::drive`], so that translation takes
/// no pass of its own), then [`BodyTranslator::finish`]. The operators
/// must be valid (validated before they are pushed).
pub struct BodyTranslator<'a, 'o> {
    t: Translator<'a, 'o>,
    index: DefinedFuncIndex,
    /// Where the function's code starts in the module's: with a [`ZERO`]
    /// instruction, which its record skips if no local needs zeroing.
    start: usize,
    params: u32,
    results: u32,
}

impl<'a, 'o> BodyTranslator<'a, 'o> {
    /// Starts translating the body of defined function `index`, with the
    /// buffers of an earlier translation (`scratch`), appending its code to
    /// `code`: both are taken (left empty) if this succeeds, and handed
    /// back by [`BodyTranslator::finish`] or [`BodyTranslator::abandon`].
    ///
    /// # Errors
    ///
    /// The body's locals are malformed or too many.
    pub fn new(
        module: &'a Module,
        index: DefinedFuncIndex,
        body: &wasmparser::FunctionBody<'_>,
        options: &'a TranslateOptions<'o>,
        scratch: &mut Scratch,
        code: &mut ModuleCode,
    ) -> WasmResult<Self> {
        let ty = module.func_type(module.func_index(index));
        let params = ty.params.len() as u32;
        let results = ty.results.len() as u32;
        let mut locals = params;
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let (count, _) = reader.read()?;
            locals = locals
                .checked_add(count)
                .filter(|l| *l <= 1 << 24)
                .ok_or_else(|| WasmError::Invalid { message: "too many locals".into(), offset: 0 })?;
        }
        // Taken once nothing can fail before the translator holds them
        // (it hands them back, `finish` or `abandon`).
        let Scratch { mut stack, mut local_heads, mut accessed, mut lazy, mut control } = std::mem::take(scratch);
        stack.clear();
        local_heads.clear();
        local_heads.resize(locals as usize, NONE);
        accessed.clear();
        accessed.resize((locals as usize).div_ceil(64), 0);
        lazy.clear();
        control.clear();
        let start = code.words.len();
        let mut t = Translator {
            module,
            offsets: VMOffsets::for_module(module),
            options,
            code: std::mem::take(&mut code.words),
            params,
            locals,
            accessed,
            straight: true,
            assigned: 0,
            zero_start: u32::MAX,
            zero_end: 0,
            stack,
            max_height: 0,
            local_heads,
            lazy,
            control,
            reachable: true,
            skip_depth: 0,
            last_dst: None,
            last_copy: None,
            acc: None,
            acc_before: None,
            pair_prev: None,
            pair_last: None,
            pair_before: None,
            kills_prev: false,
            result_type: ty.results.first().copied().unwrap_or(WasmValType::V128),
            // The entry's own cost, which the entry check adds first.
            fuel_pending: if options.consume_fuel { FUNCTION_ENTRY_FUEL } else { 0 },
            work: 0,
        };
        // Room for the function's first instruction, which zeroes the
        // locals it may read before writing them: known at its end.
        t.code.extend_from_slice(&[ZERO, 0, 0]);
        t.budget_checks();
        t.control.push(Ctrl {
            kind: Kind::Function,
            height: 0,
            params: 0,
            results,
            label: NONE,
            else_patch: NONE,
            branched: false,
            rotation: None,
            entry_acc: None,
            assigned_entry: 0,
            assigned_end: !0,
        });
        Ok(BodyTranslator { t, index, start, params, results })
    }

    /// The module's code with the function's in it (its record filled
    /// in), once every operator was pushed, and the buffers for the next
    /// translation. They come back whatever the result; after an error,
    /// without the function's code (as [`BodyTranslator::abandon`]).
    ///
    /// # Errors
    ///
    /// The frame would be too large, or the module's code exceeds 4 GiB
    /// words.
    pub fn finish(self) -> (WasmResult<()>, ModuleCode, Scratch) {
        match self.record() {
            Ok(record) => {
                let (index, start) = (self.index, self.start);
                let (mut code, scratch) = self.into_buffers();
                if record.zero_start < record.zero_end {
                    code.words[start + 1] = local_slot(record.zero_start);
                    code.words[start + 2] = local_slot(record.zero_end);
                }
                code.set_record(index, record);
                (Ok(()), code, scratch)
            }
            Err(e) => {
                let (code, scratch) = self.abandon();
                (Err(e), code, scratch)
            }
        }
    }

    /// The buffers back without the function's code, whose translation
    /// failed: the module's code as it was before [`BodyTranslator::new`].
    pub fn abandon(self) -> (ModuleCode, Scratch) {
        let start = self.start;
        let (mut code, scratch) = self.into_buffers();
        code.words.truncate(start);
        (code, scratch)
    }

    /// The function's record.
    fn record(&self) -> WasmResult<FuncRecord> {
        let t = &self.t;
        let (params, results) = (self.params, self.results);
        let too_large = |what: &str| WasmError::Invalid { message: format!("{what} too large"), offset: 0 };
        let (zero_start, zero_end) = if t.zero_start < t.zero_end { (t.zero_start, t.zero_end) } else { (params, params) };
        let frame_slots = t.locals.checked_add(t.max_height).and_then(|s| s.checked_add(1)).ok_or_else(|| too_large("frame"))?;
        // The frame also holds the results and the array ABI's buffer.
        let frame_slots = frame_slots.max(params.max(results));
        if frame_slots > u32::MAX / SLOT {
            return Err(too_large("frame"));
        }
        // Code positions are `u32` words (a larger module's were cut).
        if u32::try_from(t.code.len()).is_err() {
            return Err(too_large("module bytecode"));
        }
        // Execution starts after the `zero` instruction if it has nothing
        // to do (it stays, zeroing nothing, a valid instruction).
        let zero_len = if zero_start < zero_end { 0 } else { op::len(ZERO).expect("an opcode") };
        Ok(FuncRecord {
            code: (self.start + zero_len) as u32,
            frame: frame_slots,
            params,
            locals: t.locals,
            results,
            zero_start,
            zero_end,
        })
    }

    fn into_buffers(self) -> (ModuleCode, Scratch) {
        let t = self.t;
        let scratch =
            Scratch { stack: t.stack, local_heads: t.local_heads, accessed: t.accessed, lazy: t.lazy, control: t.control };
        (ModuleCode { words: t.code }, scratch)
    }
}

impl<'b> OperatorSink<'b> for BodyTranslator<'_, '_> {
    #[inline]
    fn operator(&mut self, op: &Operator<'b>, offset: usize) -> WasmResult<()> {
        let t = &mut self.t;
        if t.control.is_empty() {
            // Past the body's final `end` (validation rejects anything there).
            return Ok(());
        }
        if t.reachable {
            if t.options.consume_fuel {
                t.fuel_before(op);
            }
            t.operator(op, offset)
        } else {
            t.skip(op, offset)
        }
    }
}

impl Translator<'_, '_> {
    // ---- emission ----

    /// Emits an instruction (a base opcode and its operands), as the
    /// variant that reads the accumulator if one of its operands is there.
    /// Generic over the length, which every caller knows: the words are
    /// then stored without a loop or a call.
    fn emit<const N: usize>(&mut self, words: &[u32; N]) {
        self.last_dst = None;
        let last_copy = self.last_copy.take();
        if let [COPY, dst, src] = words[..] {
            if let Some(at) = last_copy
                && at + 3 == self.code.len()
            {
                // Two copies in a row make one instruction.
                if self.code[at + 1].checked_add(SLOT) == Some(dst) {
                    self.code[at] = COPY2;
                    self.code.push(src);
                } else {
                    self.code[at] = COPY_PAIR;
                    self.code.extend_from_slice(&[dst, src]);
                }
                self.acc = None;
                self.acc_before = None;
                self.kills_prev = false;
                return;
            }
            self.last_copy = Some(self.code.len());
        }
        self.merge_pair();
        self.pair_before = self.pair_prev;
        self.pair_prev = self.pair_last;
        self.pair_last = Some(self.code.len());
        self.kills_prev = false;
        let opcode = words[0];
        let mut variant = opcode;
        if let Some(slot) = self.acc {
            let sources = op::acc_sources(opcode);
            if let Some(k) = (1..words.len().min(4)).find(|&k| sources & 1 << k != 0 && words[k] == slot) {
                variant = op::with_acc(opcode, k as u32);
                self.kills_prev = self.kills(words, k);
            }
        }
        self.acc_before = self.acc;
        if op::sets_acc(opcode) {
            self.acc = Some(words[1]);
        } else if !op::preserves_acc(opcode) {
            self.acc = None;
        }
        let at = self.code.len();
        self.code.extend_from_slice(words);
        self.code[at] = variant;
    }

    /// [`Translator::emit`] of a branch of two or three words.
    fn emit_branch(&mut self, words: &[u32]) {
        match *words {
            [a, b] => self.emit(&[a, b]),
            [a, b, c] => self.emit(&[a, b, c]),
            _ => unreachable!("a branch of {} words", words.len()),
        }
    }

    /// The current position becomes a branch target: nothing emitted
    /// before may absorb what follows, and the accumulator is unknown.
    fn label_here(&mut self) -> u32 {
        self.last_dst = None;
        self.last_copy = None;
        self.acc = None;
        self.close_pairs();
        self.here()
    }

    /// Nothing emitted from here on pairs with what came before: makes the
    /// last two instructions a pair if they are one, and forgets them.
    fn close_pairs(&mut self) {
        self.merge_pair();
        self.pair_before = None;
        self.pair_prev = None;
        self.pair_last = None;
        self.kills_prev = false;
    }

    /// Makes the last two instructions a pair if they are one: both are
    /// final (nothing takes them back or retargets them once another
    /// instruction or a label follows).
    fn merge_pair(&mut self) {
        let (Some(p), Some(l)) = (self.pair_prev, self.pair_last) else { return };
        let (a, b) = (self.code[p], self.code[l]);
        // A second part that reads the accumulator reads what the first
        // left there (not what it preserved, which a loop's start may yet
        // revert to its slot).
        if op::preserves_acc(op::base(a)) && op::acc_word(b) != 0 {
            return;
        }
        let first = op::without_dead(op::base(a));
        let pair = (op::starts_pass_through(first).then(|| self.pass_through(p, l)).flatten())
            .and_then(|j| op::pair_of(first, op::base(b), op::acc_word(b) | j << 2))
            .or_else(|| op::pair_of(first, op::base(b), op::acc_word(b)));
        if let Some(pair) = pair {
            // A pair made longer keeps its dead parts; its last part's
            // write is dead too if the new part kills it.
            let dead = op::dead_parts(op::base(a)) | u32::from(self.kills_prev) << (op::parts(first) - 1);
            self.code[p] = op::with_acc(op::twin(pair, dead), op::acc_word(a));
            // The second part is taken: it starts no pair of its own, but
            // the pair may be the first part of a longer one.
            self.pair_last = Some(p);
        } else if self.kills_prev {
            // No pair, but the second leaves the first's (last part's)
            // slot dead: the first's twin leaves that result in the
            // accumulator only.
            let n = op::parts(first);
            let twin = if n == 1 { op::single_twin(first) } else { Some(op::twin(first, op::dead_parts(op::base(a)) | 1 << (n - 1))) };
            if let Some(twin) = twin {
                self.code[p] = op::with_acc(twin, op::acc_word(a));
            }
        }
    }

    /// For a pair of single instructions at `p` and `l`: the operand word
    /// of the second that may read the accumulator as it was before the
    /// first (a pass-through pair, see `op::pair_ops!`), if one does. That
    /// is the result of the instruction just before the first, which set
    /// it (no label between them, so the value is that instruction's
    /// whichever way control came, and no later revert of accumulator
    /// reads at a loop's start reaches a pair that does not start it); the
    /// second reads that slot, and the first does not overwrite it.
    fn pass_through(&self, p: usize, l: usize) -> Option<u32> {
        let q = self.last_part(self.pair_before?);
        let (a, b, prev) = (op::base(self.code[p]), op::base(self.code[l]), op::base(self.code[q]));
        if op::pair_parts(a).is_some() || op::pair_parts(prev).is_some() || !op::sets_acc(prev) {
            return None;
        }
        let slot = self.code[q + 1];
        if op::sets_acc(a) && self.code[p + 1] == slot {
            return None;
        }
        let sources = op::acc_sources(b);
        let k = op::acc_word(self.code[l]) as usize;
        // Word 1 of an instruction that sets the accumulator is its result.
        let first = if op::sets_acc(b) { 2 } else { 1 };
        (first..op::len(b)?.min(4)).find(|&j| j != k && sources & 1 << j != 0 && self.code[l + j] == slot).map(|j| j as u32)
    }

    /// Emits an instruction whose first operand (`words[1]`) is its result
    /// slot, which is the top entry's.
    fn emit_result<const N: usize>(&mut self, words: &[u32; N]) {
        let at = self.code.len() + 1;
        self.emit(words);
        self.last_dst = Some(at);
    }

    fn here(&self) -> u32 {
        self.code.len() as u32
    }

    /// Whether instruction `words`, which reads its operand word `k` from
    /// the accumulator, leaves dead the slot that the previous instruction
    /// (the last part of what starts at `pair_prev`) wrote and the
    /// accumulator holds: it reads that slot through no other operand, and
    /// it either overwrites it (its result slot) or the slot lies above
    /// the operand stack. A slot above the stack is read again only after
    /// an instruction writes it: every entry whose value is in its own slot
    /// was computed there, and a branch finds its target's entries below
    /// the branch's height. The previous instruction, made part of a pair
    /// with this one, may then leave the value in the accumulator only.
    fn kills(&self, words: &[u32], k: usize) -> bool {
        let Some(p) = self.pair_prev else { return false };
        let p = self.last_part(p);
        let a = op::base(self.code[p]);
        if op::pair_parts(a).is_some() || !op::sets_acc(a) {
            return false;
        }
        let slot = words[k];
        if self.code[p + 1] != slot {
            return false;
        }
        // Word 1 of an instruction that sets the accumulator is its result.
        let result = op::sets_acc(words[0]);
        let read_again =
            words.iter().enumerate().skip(1).any(|(j, &w)| w == slot && j != k && !(j == 1 && result));
        !read_again && ((result && words[1] == slot) || slot / SLOT >= self.locals + self.height())
    }

    /// Where the last single instruction of the instruction at `at` starts:
    /// `at` itself, or a pair's last part.
    fn last_part(&self, at: usize) -> usize {
        let mut last = at;
        for _ in 1..op::parts(op::base(self.code[at])) {
            last += op::instruction_len(&self.code, last).expect("translated code");
        }
        last
    }

    /// Emits a branch offset word to `target` (a code position).
    fn emit_rel_to(&mut self, target: u32) {
        let at = self.here();
        self.code.push(target.wrapping_sub(at));
    }

    /// Emits a forward branch offset word on the chain of `ctrl`.
    fn emit_rel_forward(&mut self, depth: usize) {
        let at = self.here();
        let i = self.control.len() - 1 - depth;
        self.note_branch_to_end(i);
        let c = &mut self.control[i];
        self.code.push(c.label);
        c.label = at;
        c.branched = true;
    }

    /// Points every branch on `chain` at the current position.
    fn bind_chain(&mut self, mut chain: u32) {
        let here = self.label_here();
        while chain != NONE {
            self.work += 1;
            let next = self.code[chain as usize];
            self.code[chain as usize] = here.wrapping_sub(chain);
            chain = next;
        }
    }

    /// Patches the single branch word at `at` to point here.
    fn bind_one(&mut self, at: u32) {
        self.code[at as usize] = self.label_here().wrapping_sub(at);
    }

    // ---- the operand stack ----

    fn height(&self) -> u32 {
        self.stack.len() as u32
    }

    /// The operand word of the slot of stack position `pos`: slots are
    /// named by byte offset from the frame pointer.
    fn slot_at(&self, pos: u32) -> u32 {
        (self.locals + pos) * SLOT
    }

    fn push(&mut self, val: Val) {
        let pos = self.height();
        let mut next_same = NONE;
        if let Val::Local(l) = val {
            next_same = self.local_heads[l as usize];
            self.local_heads[l as usize] = pos;
            self.lazy.push(pos);
        }
        self.stack.push(Entry { val, next_same });
        self.max_height = self.max_height.max(pos + 1);
    }

    /// Pushes a result computed into the new top slot, returning the slot.
    fn push_temp(&mut self) -> u32 {
        self.push(Val::Temp);
        self.slot_at(self.height() - 1)
    }


    fn pop_entry(&mut self) -> Entry {
        let e = self.stack.pop().unwrap_or(Entry { val: Val::Const(0), next_same: NONE });
        let pos = self.height();
        if let Val::Local(l) = e.val {
            self.local_heads[l as usize] = e.next_same;
        }
        while self.lazy.last().is_some_and(|&p| p >= pos) {
            self.lazy.pop();
        }
        e
    }

    /// Pops the top entry and returns the slot its value is in, emitting a
    /// constant into its own slot if need be.
    fn pop(&mut self) -> u32 {
        let e = self.pop_entry();
        let slot = self.slot_at(self.height());
        match e.val {
            Val::Temp => slot,
            Val::Local(l) => local_slot(l),
            Val::Const(c) => {
                self.emit_const(slot, c);
                slot
            }
        }
    }

    fn emit_const(&mut self, slot: u32, c: u64) {
        match u32::try_from(c) {
            Ok(c) => self.emit(&[CONST32, slot, c]),
            Err(_) => self.emit(&[CONST64, slot, c as u32, (c >> 32) as u32]),
        }
    }

    /// Puts entry `pos`'s value into its own slot.
    fn materialize(&mut self, pos: u32) {
        let e = self.stack[pos as usize];
        let slot = self.slot_at(pos);
        match e.val {
            Val::Temp => return,
            Val::Local(l) => self.emit(&[COPY, slot, local_slot(l)]),
            Val::Const(c) => self.emit_const(slot, c),
        }
        self.stack[pos as usize].val = Val::Temp;
    }

    /// Copies every entry that still refers to local `l` into its own slot,
    /// before `l` is written.
    fn spill_local(&mut self, l: u32) {
        let mut pos = std::mem::replace(&mut self.local_heads[l as usize], NONE);
        while pos != NONE {
            self.work += 1;
            let next = self.stack[pos as usize].next_same;
            self.materialize(pos);
            pos = next;
        }
    }

    /// Materializes every entry that refers to a local (at block
    /// boundaries, where code that may not run would otherwise do it).
    fn spill_all_locals(&mut self) {
        for i in 0..self.lazy.len() {
            self.work += 1;
            let pos = self.lazy[i];
            if let Val::Local(l) = self.stack[pos as usize].val {
                self.local_heads[l as usize] = NONE;
                self.materialize(pos);
            }
        }
        self.lazy.clear();
    }

    /// Materializes the top `n` entries (a call's arguments, a block's
    /// parameters).
    fn materialize_top(&mut self, n: u32) {
        let h = self.height();
        // From the top down, so that each entry taken off its local's
        // chain is the chain's head.
        for pos in (h - n..h).rev() {
            self.work += 1;
            if let Val::Local(l) = self.stack[pos as usize].val {
                self.local_heads[l as usize] = self.stack[pos as usize].next_same;
            }
            self.materialize(pos);
        }
    }

    /// Copies the top `n` values to the slots of positions
    /// `height..height + n` (a branch's values to its target).
    fn move_top_to(&mut self, n: u32, height: u32) {
        let h = self.height();
        for i in 0..n {
            self.work += 1;
            let from = h - n + i;
            let dst = self.slot_at(height + i);
            match self.stack[from as usize].val {
                Val::Temp => {
                    let src = self.slot_at(from);
                    if src != dst {
                        self.emit(&[COPY, dst, src]);
                    }
                }
                Val::Local(l) => self.emit(&[COPY, dst, local_slot(l)]),
                Val::Const(c) => self.emit_const(dst, c),
            }
        }
    }

    /// Truncates the stack to `height`, then pushes `n` temps.
    fn reset_stack(&mut self, height: u32, n: u32) {
        while self.height() > height {
            self.work += 1;
            self.pop_entry();
        }
        for _ in 0..n {
            self.push(Val::Temp);
        }
    }

    // ---- fuel and epochs ----

    fn fuel_flush(&mut self) {
        if self.fuel_pending != 0 {
            let n = std::mem::take(&mut self.fuel_pending);
            // Costs are per operator and per constant unit: an i32's worth
            // at most per instruction, so the sum fits u32 for any body
            // validation accepts; saturate regardless.
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            self.emit(&[FUEL_ADD, n]);
        }
    }

    fn budget_checks(&mut self) {
        if self.options.consume_fuel {
            self.fuel_flush();
            self.emit(&[FUEL_CHECK]);
        }
        if self.options.epoch_interruption {
            self.emit(&[EPOCH_CHECK]);
        }
    }

    fn fuel_before(&mut self, op: &Operator<'_>) {
        self.fuel_pending += fuel_cost(op);
        match fuel_sync(op) {
            FuelSync::None => {}
            FuelSync::Flush | FuelSync::FlushAndStore => self.fuel_flush(),
        }
    }

    /// Before a bulk operation whose count is the top entry.
    fn bulk_budget(&mut self, op: &Operator<'_>) {
        if !self.options.consume_fuel && !self.options.epoch_interruption {
            return;
        }
        let per_unit = fuel_per_unit(op).unwrap_or(0);
        let top = self.height() - 1;
        let constant = match self.stack[top as usize].val {
            Val::Const(c) => Some(i64::from(c as u32)),
            _ => None,
        };
        if self.options.consume_fuel && per_unit > 0 {
            match constant {
                Some(n) => self.fuel_pending = self.fuel_pending.saturating_add(n.saturating_mul(per_unit)),
                None => {
                    self.fuel_flush();
                    let slot = match self.stack[top as usize].val {
                        Val::Local(l) => local_slot(l),
                        _ => self.slot_at(top),
                    };
                    self.emit(&[FUEL_BULK, slot, per_unit as u32]);
                }
            }
        }
        if constant.is_some_and(|n| n.saturating_mul(per_unit) <= SMALL_BULK_OP_FUEL) {
            return;
        }
        self.budget_checks();
    }

    // ---- control ----

    fn block_arity(&self, ty: BlockType) -> (u32, u32) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(i) => {
                let ty = &self.module.types[TypeIndex::from_u32(i)];
                (ty.params.len() as u32, ty.results.len() as u32)
            }
        }
    }

    fn push_ctrl(&mut self, kind: Kind, ty: BlockType) -> Ctrl {
        let (params, results) = self.block_arity(ty);
        self.spill_all_locals();
        self.materialize_top(params);
        let c = Ctrl {
            kind,
            height: self.height() - params,
            params,
            results,
            label: NONE,
            else_patch: NONE,
            branched: false,
            rotation: None,
            entry_acc: None,
            assigned_entry: self.assigned,
            assigned_end: !0,
        };
        self.control.push(c);
        c
    }

    /// A branch to the block `depth` levels out: moves its values, jumps.
    fn branch(&mut self, depth: u32) {
        let i = self.control.len() - 1 - depth as usize;
        let target = self.control[i];
        if target.kind == Kind::Function {
            self.ret();
            return;
        }
        self.move_top_to(target.branch_arity(), target.height);
        if let Some(r) = target.rotation {
            if r.branch != target.label {
                // The copy starts as the header does, and is final code:
                // no candidates across it.
                self.loop_back_acc(i, self.acc);
                self.close_pairs();
            }
            self.work += u64::from(r.branch - target.label);
            let start = self.code.len();
            self.code.extend_from_within(target.label as usize..r.branch as usize);
            // The header's last instructions may have made a pair with the
            // exit branch, which the copy replaces: a pair whose last part
            // lies beyond the copy runs as its first part(s) there.
            let mut at = start;
            while at < self.code.len() {
                self.work += 1;
                loop {
                    let op = self.code[at];
                    let last = self.last_part(at);
                    let Some((a, _, _)) = op::pair_parts(op::base(op)).filter(|_| last >= self.code.len()) else { break };
                    self.code[at] = op::with_acc(a, op::acc_word(op));
                }
                at += op::len(self.code[at]).expect("translated code");
            }
            // The copy's instructions read the accumulator as the header's
            // do (its first may read what entering the loop left there,
            // checked above). A header that is just its exit branch copies
            // nothing: the inverted branch follows the code here and may
            // read what it left in the accumulator.
            self.last_copy = None;
            if r.branch != target.label {
                self.acc = r.acc;
            }
            let n = op::len(r.inverse[0]).expect("a branch opcode") - 1;
            self.emit_branch(&r.inverse[..n]);
            // The branch leaves the accumulator as it was before it.
            if r.body_acc.is_some() && r.body_acc != self.acc_before {
                if let Some(rot) = self.control[i].rotation.as_mut() {
                    rot.body_acc = None;
                }
                self.revert_acc_reads(r.body as usize);
            }
            self.emit_rel_to(r.body);
            self.emit(&[BR]);
            self.branch_word((self.control.len() - 1 - r.exit as usize) as u32);
            return;
        }
        self.emit(&[BR]);
        self.branch_word(depth);
    }

    /// After a conditional exit `depth` levels out emitted at `at`, with
    /// `inverse` its negation: if it ends a loop's straight-line header,
    /// notes the loop's [`Rotation`].
    fn note_loop_exit(&mut self, at: u32, inverse: [u32; 3], depth: u32) {
        let Some(c) = self.control.last() else { return };
        if depth == 0 || c.kind != Kind::Loop || c.rotation.is_some() || at - c.label > MAX_HEADER {
            return;
        }
        let mut p = c.label;
        while p < at {
            self.work += 1;
            let op = self.code[p as usize];
            if !copyable(op) {
                return;
            }
            p += op::len(op).expect("translated code") as u32;
        }
        let exit = (self.control.len() - 1 - depth as usize) as u32;
        let acc = self.acc_before;
        // The exit branch left the accumulator as it was: the body may
        // start by reading it.
        let body_acc = self.acc;
        let body = self.label_here();
        self.acc = body_acc;
        if let Some(c) = self.control.last_mut() {
            c.rotation = Some(Rotation { branch: at, body, inverse, acc, body_acc, exit });
        }
    }

    /// A branch back to loop `i` (a control index) with `acc` in the
    /// accumulator: if that is not what the loop was entered with, the
    /// instructions at the loop's start that may read it (up to the first
    /// that does not preserve it, see [`op::preserves_acc`]) read their
    /// operands from their slots after all (the slots always hold them
    /// too). Once per loop at most, so linear in all.
    fn loop_back_acc(&mut self, i: usize, acc: Option<u32>) {
        let c = &mut self.control[i];
        if c.entry_acc.is_none() || c.entry_acc == acc {
            return;
        }
        c.entry_acc = None;
        let at = c.label as usize;
        self.revert_acc_reads(at);
    }

    /// The instructions from `at` (a label's) that may read what the
    /// accumulator held there, up to the first that does not preserve it
    /// (see [`op::preserves_acc`]), read their operands from their slots
    /// instead (the slots always hold them too). Once per label at most,
    /// so linear in all.
    fn revert_acc_reads(&mut self, mut at: usize) {
        while let Some(&op) = self.code.get(at) {
            self.work += 1;
            self.code[at] = op::with_acc(op::base(op), 0);
            if !op::preserves_acc(op::base(op)) {
                break;
            }
            at += op::instruction_len(&self.code, at).expect("translated code");
        }
    }

    /// Emits the offset word of a branch to the block `depth` levels out,
    /// just after its instruction.
    fn branch_word(&mut self, depth: u32) {
        let i = self.control.len() - 1 - depth as usize;
        let target = self.control[i];
        if target.kind == Kind::Loop {
            // The branch left the accumulator as it was before it.
            self.loop_back_acc(i, self.acc_before);
            self.emit_rel_to(target.label);
        } else {
            self.emit_rel_forward(depth as usize);
        }
    }

    /// Does a branch to `depth` need no moves (its values already sit in
    /// the target's slots)?
    fn branch_in_place(&self, depth: u32) -> bool {
        let target = self.control[self.control.len() - 1 - depth as usize];
        if target.kind == Kind::Function {
            return false;
        }
        let n = target.branch_arity();
        let h = self.height();
        (0..n).all(|i| {
            let from = h - n + i;
            self.stack[from as usize].val == Val::Temp && from == target.height + i
        })
    }

    /// Copies the results to the frame's first slots and returns. Leaves
    /// the operand stack as it is: this may be one of several exits (a
    /// `br_table`'s stubs, the taken side of a `br_if`), and the code after
    /// it must not rely on anything it did.
    fn ret(&mut self) {
        let n = self.control[0].results;
        let h = self.height();
        // A result read from a local that an earlier result's copy
        // overwrites goes through a scratch slot above the stack first.
        let clobbered = |t: &Self, i: u32| match t.stack[(h - n + i) as usize].val {
            Val::Local(l) => l < i,
            _ => false,
        };
        let mut scratch = 0;
        for i in 0..n {
            self.work += 1;
            if clobbered(self, i)
                && let Val::Local(l) = self.stack[(h - n + i) as usize].val
            {
                let slot = self.slot_at(h + scratch);
                self.emit(&[COPY, slot, local_slot(l)]);
                scratch += 1;
            }
        }
        self.max_height = self.max_height.max(h + scratch);
        let mut k = 0;
        for i in 0..n {
            self.work += 1;
            let from = h - n + i;
            let dst = local_slot(i);
            let src = if clobbered(self, i) {
                k += 1;
                self.slot_at(h + k - 1)
            } else {
                match self.stack[from as usize].val {
                    Val::Temp => self.slot_at(from),
                    Val::Local(l) => local_slot(l),
                    Val::Const(c) => {
                        self.emit_const(dst, c);
                        continue;
                    }
                }
            };
            if src != dst {
                if n == 1 {
                    // The common single result: copied by the return.
                    self.emit(&[sized(self.result_type, [RET1_32, RET1_64, RET1]), src]);
                    return;
                }
                self.emit(&[COPY, dst, src]);
            }
        }
        self.emit(&[RET]);
    }

    /// If the condition on top was computed by the instruction just
    /// emitted, a comparison with fused branches, takes that instruction
    /// back and returns the branches that replace it: (branch if true,
    /// branch if false), each an opcode and its operands but the offset.
    fn take_compare(&mut self) -> Option<([u32; 3], [u32; 3], usize)> {
        let at = self.last_computed()?;
        let opcode = op::base(self.code[at - 1]);
        let (a, b) = (self.code[at + 1], self.code.get(at + 2).copied().unwrap_or(0));
        let fused = if opcode == I32_EQZ {
            ([BR_IF_EQZ, a, 0], [BR_IF_NEZ, a, 0], 2)
        } else if opcode == I32_SUB || opcode == I32_XOR {
            // Not zero when the operands differ.
            ([BR_I32_NE, a, b], [BR_I32_EQ, a, b], 3)
        } else if opcode == I32_SUB_I || opcode == I32_XOR_I {
            ([BR_I32_NE_I, a, b], [BR_I32_EQ_I, a, b], 3)
        } else if opcode == I32_AND {
            ([BR_AND_NEZ, a, b], [BR_AND_EQZ, a, b], 3)
        } else if opcode == I32_AND_I {
            ([BR_AND_NEZ_I, a, b], [BR_AND_EQZ_I, a, b], 3)
        } else if let Some((br, _, inv)) = op::branch_on(opcode) {
            let (not, _, _) = op::branch_on(inv)?;
            ([br, a, b], [not, a, b], 3)
        } else if let Some(base) = op::without_immediate(opcode)
            && let Some((_, bri, inv)) = op::branch_on(base)
        {
            let (_, not, _) = op::branch_on(inv)?;
            ([bri, a, b], [not, a, b], 3)
        } else {
            return None;
        };
        self.take_back(at);
        Some(fused)
    }

    /// If the top entry's value was computed by the instruction just
    /// emitted (into the entry's own slot, nothing emitted or bound since),
    /// the position of that instruction's result word.
    fn last_computed(&self) -> Option<usize> {
        let top = self.height().checked_sub(1)?;
        let at = self.last_dst?;
        (self.stack[top as usize].val == Val::Temp && self.code[at] == self.slot_at(top)).then_some(at)
    }

    /// Takes back the instruction whose result word is at `at` (see
    /// [`Self::last_computed`]) with the entry it pushed: its consumer
    /// reads its operands instead.
    fn take_back(&mut self, at: usize) {
        self.code.truncate(at - 1);
        self.pair_last = self.pair_prev.take();
        self.pair_before = None;
        self.kills_prev = false;
        self.pop_entry();
        self.last_dst = None;
        self.acc = self.acc_before;
    }

    /// Notes an access to local `l`, in the order of the body's text: a
    /// read of a declared local that may not be written yet makes a new
    /// frame zero it. For the first 64, [`Self::assigned`] knows which are
    /// written on every path here. For the others, one needs no zeroing
    /// if its first access is a write that runs before any control flow:
    /// every operator after that write, in the text, runs after it. (A
    /// loop opened before it may run it again, but only after it ran
    /// once.)
    fn note_access(&mut self, l: u32, write: bool) {
        if l < self.params {
            return;
        }
        if let Some(bit) = 1u64.checked_shl(l - self.params) {
            if write {
                self.assigned |= bit;
            } else if self.assigned & bit == 0 {
                self.needs_zero(l);
            }
            return;
        }
        let (word, bit) = (l as usize / 64, 1u64 << (l % 64));
        if self.accessed[word] & bit != 0 {
            return;
        }
        self.accessed[word] |= bit;
        if !(write && self.straight) {
            self.needs_zero(l);
        }
    }

    fn needs_zero(&mut self, l: u32) {
        self.zero_start = self.zero_start.min(l);
        self.zero_end = self.zero_end.max(l + 1);
    }

    /// A forward branch to the end of block `i` from here.
    fn note_branch_to_end(&mut self, i: usize) {
        self.control[i].assigned_end &= self.assigned;
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
        self.assigned = !0;
        self.skip_depth = 0;
    }

    /// `end` of the innermost block, reachable or not.
    fn end(&mut self) {
        let Some(c) = self.control.pop() else { return };
        if self.reachable {
            match c.kind {
                Kind::Function => {
                    self.control.push(c);
                    self.ret();
                    self.control.pop();
                    return;
                }
                _ => self.move_top_to(c.results, c.height),
            }
        } else if c.kind == Kind::Function {
            return;
        }
        let mut reachable = self.reachable || c.branched;
        // What is written on every path to the end: the fall-through's
        // (all ones if unreachable), the branches' and an `if`'s skipped
        // else arm's. A loop's end is reached by falling through only.
        match c.kind {
            Kind::Loop => {}
            Kind::If => self.assigned &= c.assigned_end & c.assigned_entry,
            _ => self.assigned &= c.assigned_end,
        }
        if c.kind == Kind::If {
            // No else: the false branch passes the parameters through as
            // the results, already in their slots.
            self.bind_one(c.else_patch);
            reachable = true;
        }
        if c.kind != Kind::Loop {
            self.bind_chain(c.label);
        }
        self.reset_stack(c.height, c.results);
        self.reachable = reachable;
        self.last_dst = None;
    }

    fn else_(&mut self) {
        let Some(mut c) = self.control.pop() else { return };
        if self.reachable {
            self.move_top_to(c.results, c.height);
            self.emit(&[BR]);
            let at = self.here();
            self.code.push(c.label);
            c.label = at;
            c.branched = true;
            c.assigned_end &= self.assigned;
        }
        self.assigned = c.assigned_entry;
        self.bind_one(c.else_patch);
        c.else_patch = NONE;
        self.reset_stack(c.height, c.params);
        c.kind = Kind::Else;
        // Blocks are only entered in reachable code.
        self.reachable = true;
        self.control.push(c);
    }

    /// An operator in unreachable code: only block structure matters.
    fn skip(&mut self, op: &Operator<'_>, offset: usize) -> WasmResult<()> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => self.skip_depth += 1,
            Operator::Else if self.skip_depth == 0 => self.else_(),
            Operator::End if self.skip_depth == 0 => {
                self.end();
            }
            Operator::End => self.skip_depth -= 1,
            _ => {}
        }
        let _ = offset;
        Ok(())
    }

    // ---- places ----

    fn global_place(&self, g: u32) -> u32 {
        let module = &self.module;
        let g = GlobalIndex::from_u32(g);
        match module.defined_global_index(g) {
            Some(def) => place(self.offsets.defined_global(def), false),
            None => place(self.offsets.imported_global(g), true),
        }
    }

    fn global_type(&self, g: u32) -> WasmValType {
        self.module.globals[GlobalIndex::from_u32(g)].content
    }

    fn table_place(&self, t: u32) -> u32 {
        let module = &self.module;
        let t = TableIndex::from_u32(t);
        match module.defined_table_index(t) {
            Some(def) => place(self.offsets.defined_table(def), false),
            None => place(self.offsets.imported_table(t), true),
        }
    }

    fn call_args(&mut self, params: u32) -> u32 {
        self.materialize_top(params);
        let base = self.slot_at(self.height() - params);
        for _ in 0..params {
            self.pop_entry();
        }
        base
    }

    fn call_results(&mut self, results: u32) {
        for _ in 0..results {
            self.push(Val::Temp);
        }
    }

    // ---- operators ----

    fn unary(&mut self, opcode: u32) {
        let a = self.pop();
        let dst = self.push_temp();
        self.emit_result(&[opcode, dst, a]);
    }

    fn binary(&mut self, opcode: u32) {
        if let Some(imm_op) = op::with_immediate(opcode) {
            let h = self.height() as usize;
            let wide = (I64_ADD_I..=I64_GE_U_I).contains(&imm_op);
            // An i64 immediate is a sign-extended i32.
            let fits = |v: Val| match v {
                Val::Const(c) if !wide || c as i64 == i64::from(c as u32 as i32) => Some(c as u32),
                _ => None,
            };
            if let Some(imm) = fits(self.stack[h - 1].val) {
                self.pop_entry();
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[imm_op, dst, a, imm]);
                return;
            }
            if let (Some(imm), Some(swapped)) = (fits(self.stack[h - 2].val), op::swapped(opcode))
                && let Some(imm_op) = op::with_immediate(swapped)
            {
                let b = self.pop();
                self.pop_entry();
                let dst = self.push_temp();
                self.emit_result(&[imm_op, dst, b, imm]);
                return;
            }
        }
        // A constant minus a value.
        if let Some(rsub) = match opcode {
            I32_SUB => Some(I32_RSUB_I),
            I64_SUB => Some(I64_RSUB_I),
            _ => None,
        } {
            let h = self.height() as usize;
            if let Val::Const(c) = self.stack[h - 2].val
                && (opcode == I32_SUB || c as i64 == i64::from(c as u32 as i32))
            {
                let b = self.pop();
                self.pop_entry();
                let dst = self.push_temp();
                self.emit_result(&[rsub, dst, b, c as u32]);
                return;
            }
        }
        // A value plus a shift just computed (`p[i]`'s address), either way
        // round: a local on top was pushed without code, so the shift may be
        // the last thing computed below it.
        if opcode == I32_ADD {
            let local_on_top = matches!(self.stack.last().map(|e| e.val), Some(Val::Local(_)));
            let (shift, other) = if let Some(shift) = self.take_shl() {
                (Some(shift), None)
            } else if local_on_top {
                let b = self.pop();
                (self.take_shl(), Some(b))
            } else {
                (None, None)
            };
            if let Some((x, k)) = shift {
                let a = match other {
                    Some(b) => b,
                    None => self.pop(),
                };
                let dst = self.push_temp();
                self.emit_result(&[I32_ADD_SHL, dst, a, x, k]);
                return;
            }
            if let Some(b) = other {
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[opcode, dst, a, b]);
                return;
            }
        }
        let b = self.pop();
        let a = self.pop();
        let dst = self.push_temp();
        self.emit_result(&[opcode, dst, a, b]);
    }

    /// If the value on top was computed by the instruction just emitted,
    /// an `i32.shl` by a constant whose result nothing else reads, takes
    /// that instruction back and returns the shifted operand and the count.
    fn take_shl(&mut self) -> Option<(u32, u32)> {
        let at = self.last_computed()?;
        if op::base(self.code[at - 1]) != I32_SHL_I {
            return None;
        }
        let (x, k) = (self.code[at + 1], self.code[at + 2]);
        self.take_back(at);
        Some((x, k))
    }

    fn load(&mut self, opcode: u32, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<()> {
        let off = self.memarg_offset(memarg, offset)?;
        // An address just computed by an `i32.add` (`p[i]`) is fused into
        // the load (a switch of memory would have been emitted in between).
        if let Some((x, xi)) = op::indexed_load(opcode)
            && let Some((a, b, imm)) = self.take_add()
        {
            let dst = self.push_temp();
            self.emit_result(&[if imm { xi } else { x }, dst, a, b, off]);
            return Ok(());
        }
        let addr = self.pop();
        let dst = self.push_temp();
        self.emit_result(&[opcode, dst, addr, off]);
        self.end_memarg(memarg);
        Ok(())
    }

    /// If the value on top was computed by the instruction just emitted,
    /// an `i32.add` (or its immediate form) whose result nothing else
    /// reads, takes that instruction back and returns its operands and
    /// whether the second is an immediate.
    fn take_add(&mut self) -> Option<(u32, u32, bool)> {
        let at = self.last_computed()?;
        let imm = match op::base(self.code[at - 1]) {
            I32_ADD => false,
            I32_ADD_I => true,
            _ => return None,
        };
        let (a, b) = (self.code[at + 1], self.code[at + 2]);
        self.take_back(at);
        Some((a, b, imm))
    }

    fn store(&mut self, opcode: u32, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<()> {
        let off = self.memarg_offset(memarg, offset)?;
        // A constant value is stored from an immediate (sign-extended for
        // 64 bits: the others keep the low bits).
        let imm_op = match opcode {
            STORE8 => Some(STORE8_I),
            STORE16 => Some(STORE16_I),
            STORE32 => Some(STORE32_I),
            STORE64 => Some(STORE64_I),
            _ => None,
        };
        let top = self.stack.last().map(|e| e.val);
        if let (Some(imm_op), Some(Val::Const(c))) = (imm_op, top)
            && (imm_op != STORE64_I || c as i64 == i64::from(c as u32 as i32))
        {
            self.pop_entry();
            let addr = self.pop();
            self.emit(&[imm_op, addr, c as u32, off]);
        } else {
            let value = self.pop();
            let addr = self.pop();
            self.emit(&[opcode, addr, value, off]);
        }
        self.end_memarg(memarg);
        Ok(())
    }

    /// The offset word of an access: the static offset of its last byte.
    /// For a memory other than memory 0, first switches the executor to it.
    fn memarg_offset(&mut self, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<u32> {
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            return Err(unsupported("GC array accesses", offset));
        };
        if memarg.ordering.is_some() {
            return Err(unsupported("atomic accesses", offset));
        }
        let off = u32::try_from(memarg.offset).map_err(|_| unsupported("64-bit memory offsets", offset))?;
        if mem != 0 {
            let place = self.memory_place(mem);
            self.emit(&[USE_MEMORY, place]);
        }
        // The access's width: the reader sets `max_align` to its log2 for
        // every load and store (it is not read from the binary).
        let bytes = 1u32 << memarg.max_align;
        Ok(match off.checked_add(bytes - 1) {
            Some(last) => last,
            None => {
                // The last byte is past 4 GiB whatever the address: no
                // 32-bit memory is that long, so the access always traps
                // (its operands are computed already). The access itself,
                // still emitted, is never reached.
                self.emit(&[TRAP, u32::from(Trap::MemoryOutOfBounds.code())]);
                0
            }
        })
    }

    /// After an access through `memarg`: back to memory 0 if need be.
    fn end_memarg(&mut self, memarg: &wasmparser::MemArg) {
        if memarg.target != wasmparser::MemArgTarget::Memory(0) {
            let last = self.last_dst;
            self.emit(&[USE_MEMORY0]);
            // The switch does not touch slots.
            self.last_dst = last;
        }
    }

    fn memory_place(&self, mem: u32) -> u32 {
        memory_place(self.module, &self.offsets, mem)
    }

    fn operator(&mut self, op: &Operator<'_>, offset: usize) -> WasmResult<()> {
        use Operator as O;
        // One dispatch on the operator. Whatever may skip or repeat what
        // follows, or end the body, clears `straight` first; local
        // accesses are noted first (see `note_access`).
        match *op {
            // Same bits, same slot.
            O::Nop
            | O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64 => {}
            O::Unreachable => {
                self.straight = false;
                self.emit(&[TRAP, u32::from(Trap::UnreachableCodeReached.code())]);
                self.set_unreachable();
            }
            O::Block { blockty } => {
                self.push_ctrl(Kind::Block, blockty);
            }
            O::Loop { blockty } => {
                let mut c = self.push_ctrl(Kind::Loop, blockty);
                // The header's first instruction may read what entering the
                // loop leaves in the accumulator (see `loop_back_acc`).
                let entry = self.acc;
                c.label = self.label_here();
                c.entry_acc = entry;
                self.acc = entry;
                *self.control.last_mut().expect("just pushed") = c;
                self.budget_checks();
            }
            O::If { blockty } => {
                self.straight = false;
                let (branch, n) = match self.take_compare() {
                    Some((_, if_false, n)) => (if_false, n),
                    None => ([BR_IF_EQZ, self.pop(), 0], 2),
                };
                let mut c = self.push_ctrl(Kind::If, blockty);
                self.emit_branch(&branch[..n]);
                c.else_patch = self.here();
                self.code.push(0);
                *self.control.last_mut().expect("just pushed") = c;
            }
            O::Else => {
                self.straight = false;
                self.else_();
            }
            O::End => {
                self.straight = false;
                self.end();
            }
            O::Br { relative_depth } => {
                self.straight = false;
                self.branch(relative_depth);
                self.set_unreachable();
            }
            O::BrIf { relative_depth } => {
                self.straight = false;
                let (if_true, if_false, n) = self.take_compare().unwrap_or_else(|| {
                    let cond = self.pop();
                    ([BR_IF_NEZ, cond, 0], [BR_IF_EQZ, cond, 0], 2)
                });
                if self.branch_in_place(relative_depth) {
                    let at = self.here();
                    self.emit_branch(&if_true[..n]);
                    self.branch_word(relative_depth);
                    self.note_loop_exit(at, if_false, relative_depth);
                } else {
                    self.emit_branch(&if_false[..n]);
                    let skip = self.here();
                    self.code.push(0);
                    self.branch(relative_depth);
                    self.bind_one(skip);
                }
            }
            O::BrTable { ref targets } => {
                self.straight = false;
                let index = self.pop();
                let n = targets.len();
                let mut depths = Vec::with_capacity(n as usize + 1);
                for t in targets.targets() {
                    depths.push(t?);
                }
                depths.push(targets.default());
                self.emit(&[BR_TABLE, index, n]);
                let at_jump = self.acc_before;
                let table = self.here();
                self.code.extend(std::iter::repeat_n(0, depths.len()));
                for (i, &depth) in depths.iter().enumerate() {
                    self.work += 1;
                    let word = table + i as u32;
                    if self.branch_in_place(depth) {
                        // Point the table's word straight at the target:
                        // emit its offset into place.
                        let i_ctrl = self.control.len() - 1 - depth as usize;
                        let target = self.control[i_ctrl];
                        if target.kind == Kind::Loop {
                            self.loop_back_acc(i_ctrl, at_jump);
                            self.code[word as usize] = target.label.wrapping_sub(word);
                        } else {
                            self.code[word as usize] = target.label;
                            self.control[i_ctrl].label = word;
                            self.control[i_ctrl].branched = true;
                            self.note_branch_to_end(i_ctrl);
                        }
                    } else {
                        self.bind_one(word);
                        self.branch(depth);
                    }
                }
                self.set_unreachable();
            }
            O::Return => {
                self.straight = false;
                self.ret();
                self.set_unreachable();
            }
            O::Call { function_index } => {
                let module = self.module;
                let f = FuncIndex::from_u32(function_index);
                let ty = module.func_type(f);
                let (params, results) = (ty.params.len() as u32, ty.results.len() as u32);
                let base = self.call_args(params);
                match module.defined_func_index(f) {
                    Some(def) if (self.options.interpreted)(def) => self.emit(&[CALL, def.as_u32(), base]),
                    _ => self.emit(&[CALL_REF, self.offsets.func_ref(f), base, params.max(results)]),
                }
                self.call_results(results);
            }
            O::CallIndirect { type_index, table_index } => {
                let ty = &self.module.types[TypeIndex::from_u32(type_index)];
                let (params, results) = (ty.params.len() as u32, ty.results.len() as u32);
                let index = self.pop();
                // The index sits above the arguments; it is read before the
                // call overwrites anything.
                let base = self.call_args(params);
                let table = self.table_place(table_index);
                self.emit(&[CALL_INDIRECT, table, type_index, index, base, params.max(results)]);
                self.call_results(results);
            }
            O::Drop => {
                self.pop_entry();
            }
            O::Select | O::TypedSelect { .. } => {
                let cond = self.pop();
                // A constant that fits 32 bits is an immediate (its value
                // zero-extended is the constant whatever its type).
                let imm = |t: &Self, depth: usize| match t.stack[t.stack.len() - depth].val {
                    Val::Const(c) => u32::try_from(c).ok(),
                    _ => None,
                };
                let (ia, ib) = (imm(self, 2), imm(self, 1));
                let operand = |t: &mut Self, imm: Option<u32>| match imm {
                    Some(c) => {
                        t.pop_entry();
                        c
                    }
                    None => t.pop(),
                };
                let b = operand(self, ib);
                let a = operand(self, ia);
                let opcode = match (ia.is_some(), ib.is_some()) {
                    (false, false) => SELECT,
                    (true, false) => SELECT_AI,
                    (false, true) => SELECT_BI,
                    (true, true) => SELECT_II,
                };
                let dst = self.push_temp();
                self.emit_result(&[opcode, dst, cond, a, b]);
            }
            O::LocalGet { local_index } => {
                self.note_access(local_index, false);
                self.push(Val::Local(local_index));
            }
            O::LocalSet { local_index } => {
                self.note_access(local_index, true);
                self.local_set(local_index, false);
            }
            O::LocalTee { local_index } => {
                self.note_access(local_index, true);
                self.local_set(local_index, true);
            }
            O::GlobalGet { global_index } => {
                let p = self.global_place(global_index);
                let dst = self.push_temp();
                let opcode = sized(self.global_type(global_index), [GLOBAL_GET32, GLOBAL_GET64, GLOBAL_GET]);
                self.emit_result(&[opcode, dst, p]);
            }
            O::GlobalSet { global_index } => {
                let p = self.global_place(global_index);
                let a = self.pop();
                let opcode = sized(self.global_type(global_index), [GLOBAL_SET32, GLOBAL_SET64, GLOBAL_SET]);
                self.emit(&[opcode, p, a]);
            }
            O::I32Load { memarg } | O::F32Load { memarg } => self.load(I32_LOAD, &memarg, offset)?,
            O::I64Load { memarg } | O::F64Load { memarg } => self.load(I64_LOAD, &memarg, offset)?,
            O::I32Load8S { memarg } => self.load(I32_LOAD8_S, &memarg, offset)?,
            O::I32Load8U { memarg } => self.load(I32_LOAD8_U, &memarg, offset)?,
            O::I32Load16S { memarg } => self.load(I32_LOAD16_S, &memarg, offset)?,
            O::I32Load16U { memarg } => self.load(I32_LOAD16_U, &memarg, offset)?,
            O::I64Load8S { memarg } => self.load(I64_LOAD8_S, &memarg, offset)?,
            O::I64Load8U { memarg } => self.load(I64_LOAD8_U, &memarg, offset)?,
            O::I64Load16S { memarg } => self.load(I64_LOAD16_S, &memarg, offset)?,
            O::I64Load16U { memarg } => self.load(I64_LOAD16_U, &memarg, offset)?,
            O::I64Load32S { memarg } => self.load(I64_LOAD32_S, &memarg, offset)?,
            O::I64Load32U { memarg } => self.load(I64_LOAD32_U, &memarg, offset)?,
            O::V128Load { memarg } => self.load(V128_LOAD, &memarg, offset)?,
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => {
                self.store(STORE32, &memarg, offset)?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(STORE64, &memarg, offset)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(STORE8, &memarg, offset)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(STORE16, &memarg, offset)?,
            O::V128Store { memarg } => self.store(STORE128, &memarg, offset)?,
            O::MemorySize { mem } => {
                let dst = self.push_temp();
                if mem != 0 {
                    let place = self.memory_place(mem);
                    self.emit(&[USE_MEMORY, place]);
                }
                self.emit(&[MEMORY_SIZE, dst]);
                if mem != 0 {
                    self.emit(&[USE_MEMORY0]);
                }
            }
            O::MemoryGrow { mem } => {
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[MEMORY_GROW, dst, a, mem]);
            }
            O::I32Const { value } => self.push(Val::Const(u64::from(value as u32))),
            O::I64Const { value } => self.push(Val::Const(value as u64)),
            O::F32Const { value } => self.push(Val::Const(u64::from(value.bits()))),
            O::F64Const { value } => self.push(Val::Const(value.bits())),
            O::RefNull { .. } => self.push(Val::Const(0)),
            O::RefIsNull => self.unary(REF_IS_NULL),
            O::RefFunc { function_index } => {
                let off = self.offsets.func_ref(FuncIndex::from_u32(function_index));
                let dst = self.push_temp();
                self.emit_result(&[REF_FUNC, dst, off]);
            }
            O::MemoryInit { data_index, mem } => {
                let [dst, src, len] = self.bulk_operands(op);
                self.emit(&[MEMORY_INIT, data_index, dst, src, len, mem]);
            }
            O::DataDrop { data_index } => self.emit(&[DATA_DROP, data_index]),
            O::MemoryCopy { dst_mem, src_mem } => {
                let [dst, src, len] = self.bulk_operands(op);
                self.emit(&[MEMORY_COPY, dst, src, len, dst_mem, src_mem]);
            }
            O::MemoryFill { mem } => {
                let [dst, value, len] = self.bulk_operands(op);
                self.emit(&[MEMORY_FILL, dst, value, len, mem]);
            }
            O::TableInit { elem_index, table } => {
                let [dst, src, len] = self.bulk_operands(op);
                self.emit(&[TABLE_INIT, table, elem_index, dst, src, len]);
            }
            O::ElemDrop { elem_index } => self.emit(&[ELEM_DROP, elem_index]),
            O::TableCopy { dst_table, src_table } => {
                let [dst, src, len] = self.bulk_operands(op);
                self.emit(&[TABLE_COPY, dst_table, src_table, dst, src, len]);
            }
            O::TableGet { table } => {
                let p = self.table_place(table);
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[TABLE_GET, dst, p, a]);
            }
            O::TableSet { table } => {
                let p = self.table_place(table);
                let value = self.pop();
                let index = self.pop();
                self.emit(&[TABLE_SET, p, index, value]);
            }
            O::TableGrow { table } => {
                self.bulk_budget(op);
                let len = self.pop();
                let init = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[TABLE_GROW, dst, table, init, len]);
            }
            O::TableSize { table } => {
                let p = self.table_place(table);
                let dst = self.push_temp();
                self.emit_result(&[TABLE_SIZE, dst, p]);
            }
            O::TableFill { table } => {
                let [dst, value, len] = self.bulk_operands(op);
                self.emit(&[TABLE_FILL, table, dst, value, len]);
            }
            O::V128Load8x8S { memarg } => self.load_widen(simd::Widen::I8x8S, &memarg, offset)?,
            O::V128Load8x8U { memarg } => self.load_widen(simd::Widen::I8x8U, &memarg, offset)?,
            O::V128Load16x4S { memarg } => self.load_widen(simd::Widen::I16x4S, &memarg, offset)?,
            O::V128Load16x4U { memarg } => self.load_widen(simd::Widen::I16x4U, &memarg, offset)?,
            O::V128Load32x2S { memarg } => self.load_widen(simd::Widen::I32x2S, &memarg, offset)?,
            O::V128Load32x2U { memarg } => self.load_widen(simd::Widen::I32x2U, &memarg, offset)?,
            O::V128Load8Splat { memarg } => self.load_sized(V128_LOAD_SPLAT, 1, &memarg, offset)?,
            O::V128Load16Splat { memarg } => self.load_sized(V128_LOAD_SPLAT, 2, &memarg, offset)?,
            O::V128Load32Splat { memarg } => self.load_sized(V128_LOAD_SPLAT, 4, &memarg, offset)?,
            O::V128Load64Splat { memarg } => self.load_sized(V128_LOAD_SPLAT, 8, &memarg, offset)?,
            O::V128Load32Zero { memarg } => self.load_sized(V128_LOAD_ZERO, 4, &memarg, offset)?,
            O::V128Load64Zero { memarg } => self.load_sized(V128_LOAD_ZERO, 8, &memarg, offset)?,
            O::V128Load8Lane { memarg, lane } => self.load_lane(1, lane, &memarg, offset)?,
            O::V128Load16Lane { memarg, lane } => self.load_lane(2, lane, &memarg, offset)?,
            O::V128Load32Lane { memarg, lane } => self.load_lane(4, lane, &memarg, offset)?,
            O::V128Load64Lane { memarg, lane } => self.load_lane(8, lane, &memarg, offset)?,
            O::V128Store8Lane { memarg, lane } => self.store_lane(1, lane, &memarg, offset)?,
            O::V128Store16Lane { memarg, lane } => self.store_lane(2, lane, &memarg, offset)?,
            O::V128Store32Lane { memarg, lane } => self.store_lane(4, lane, &memarg, offset)?,
            O::V128Store64Lane { memarg, lane } => self.store_lane(8, lane, &memarg, offset)?,
            _ => match op::numeric(op) {
                Some((opcode, 1)) => self.unary(opcode),
                Some((opcode, _)) => self.binary(opcode),
                None => match simd::classify(op) {
                    Some(form) => self.simd(form),
                    None => return Err(unsupported(&format!("{op:?}"), offset)),
                },
            },
        }
        Ok(())
    }

    /// The three operands of a bulk operation (destination, source or
    /// value, count), after charging its count.
    fn bulk_operands(&mut self, op: &Operator<'_>) -> [u32; 3] {
        self.bulk_budget(op);
        let len = self.pop();
        let x = self.pop();
        [self.pop(), x, len]
    }

    fn local_set(&mut self, l: u32, tee: bool) {
        let top = self.height() - 1;
        let e = self.stack[top as usize];
        // The previous instruction computed the value: make it write the
        // local directly, if nothing still refers to the local's old value.
        if let Some(at) = self.last_computed()
            && self.local_heads[l as usize] == NONE
        {
            if self.acc == Some(self.code[at]) {
                self.acc = Some(local_slot(l));
            }
            self.code[at] = local_slot(l);
            self.pop_entry();
            if tee {
                self.push(Val::Local(l));
            }
            self.last_dst = None;
            return;
        }
        if e.val == Val::Local(l) {
            // `local.get l; local.set l` and the tee equivalent: no effect.
            if !tee {
                self.pop_entry();
            }
            return;
        }
        let e = self.pop_entry();
        self.spill_local(l);
        let src = match e.val {
            Val::Temp => Some(self.slot_at(top)),
            Val::Local(m) => Some(local_slot(m)),
            Val::Const(c) => {
                self.emit_const(local_slot(l), c);
                None
            }
        };
        if let Some(src) = src {
            self.emit(&[COPY, local_slot(l), src]);
        }
        if tee {
            self.push(e.val);
        }
    }

    fn load_widen(&mut self, kind: simd::Widen, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<()> {
        let off = self.memarg_offset(memarg, offset)?;
        let addr = self.pop();
        let dst = self.push_temp();
        self.emit_result(&[V128_LOAD_WIDEN, dst, addr, off, kind as u32]);
        self.end_memarg(memarg);
        Ok(())
    }

    fn load_sized(&mut self, opcode: u32, bytes: u32, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<()> {
        let off = self.memarg_offset(memarg, offset)?;
        let addr = self.pop();
        let dst = self.push_temp();
        self.emit_result(&[opcode, dst, addr, off, bytes]);
        self.end_memarg(memarg);
        Ok(())
    }

    fn load_lane(&mut self, bytes: u32, lane: u8, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<()> {
        let off = self.memarg_offset(memarg, offset)?;
        let v = self.pop();
        let addr = self.pop();
        let dst = self.push_temp();
        self.emit_result(&[V128_LOAD_LANE, dst, addr, v, off, bytes, u32::from(lane)]);
        self.end_memarg(memarg);
        Ok(())
    }

    fn store_lane(&mut self, bytes: u32, lane: u8, memarg: &wasmparser::MemArg, offset: usize) -> WasmResult<()> {
        let off = self.memarg_offset(memarg, offset)?;
        let v = self.pop();
        let addr = self.pop();
        self.emit(&[V128_STORE_LANE, addr, v, off, bytes, u32::from(lane)]);
        self.end_memarg(memarg);
        Ok(())
    }

    fn simd(&mut self, form: SimdForm) {
        match form {
            SimdForm::Const(v) => {
                let dst = self.push_temp();
                let w = |i: u32| (v >> (32 * i)) as u32;
                self.emit_result(&[CONST128, dst, w(0), w(1), w(2), w(3)]);
            }
            SimdForm::Unary(op) => {
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_UNARY, dst, a, op as u32]);
            }
            SimdForm::Binary(op) => {
                let b = self.pop();
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_BINARY, dst, a, b, op as u32]);
            }
            SimdForm::Ternary(op) => {
                let c = self.pop();
                let b = self.pop();
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_TERNARY, dst, a, b, c, op as u32]);
            }
            SimdForm::Shift(op) => {
                let b = self.pop();
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_SHIFT, dst, a, b, op as u32]);
            }
            SimdForm::Test(op) => {
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_TEST, dst, a, op as u32]);
            }
            SimdForm::Splat(op) => {
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_SPLAT, dst, a, op as u32]);
            }
            SimdForm::ExtractLane(op, lane) => {
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_EXTRACT, dst, a, op as u32, u32::from(lane)]);
            }
            SimdForm::ReplaceLane(op, lane) => {
                let b = self.pop();
                let a = self.pop();
                let dst = self.push_temp();
                self.emit_result(&[SIMD_REPLACE, dst, a, b, op as u32, u32::from(lane)]);
            }
            SimdForm::Shuffle(lanes) => {
                let b = self.pop();
                let a = self.pop();
                let dst = self.push_temp();
                let w = |i: usize| u32::from_le_bytes([lanes[4 * i], lanes[4 * i + 1], lanes[4 * i + 2], lanes[4 * i + 3]]);
                self.emit_result(&[SIMD_SHUFFLE, dst, a, b, w(0), w(1), w(2), w(3)]);
            }
        }
    }
}
