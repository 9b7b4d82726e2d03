//! Parse and validate a module in one pass, building the [`Module`] and the
//! per-function cost features the tier policy reads.

use crate::module::*;
use crate::types::*;
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
/// so that each operator is decoded once (the interpreter).
pub trait BodyHook {
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

/// Receives a function body's operators as they are validated.
pub trait OperatorSink<'a> {
    /// Takes operator `op`, at byte `offset` of the module.
    ///
    /// # Errors
    ///
    /// The sink's own: they stop the body's validation.
    fn operator(&mut self, op: wasmparser::Operator<'a>, offset: usize) -> WasmResult<()>;
}

/// The sink that drops every operator (validation only).
impl<'a> OperatorSink<'a> for () {
    #[inline]
    fn operator(&mut self, _: wasmparser::Operator<'a>, _: usize) -> WasmResult<()> {
        Ok(())
    }
}

/// A function body's operators, each validated as it is read.
pub struct ValidatedOps<'a, 'v> {
    reader: wasmparser::OperatorsReader<'a>,
    validator: &'v mut wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    features: &'v mut FuncCostFeatures,
    module: &'v Module,
    /// Which open blocks are loops, innermost last, and how many are.
    loops: LoopNesting,
}

/// The open control frames (for the loop-nesting and reachability
/// features), innermost last, and how many are loops.
#[derive(Default)]
struct LoopNesting {
    frames: Vec<OpenFrame>,
    depth: u32,
}

#[derive(Clone, Copy)]
struct OpenFrame {
    is_loop: bool,
    /// Opened in unreachable code: all of it is dead.
    dead: bool,
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
        while !self.reader.eof() {
            let offset = self.reader.original_position() as usize;
            let mut visit = Visit {
                validator: self.validator,
                features: self.features,
                module: self.module,
                loops: &mut self.loops,
                offset,
                sink,
            };
            self.reader.visit_operator(&mut visit)??;
        }
        Ok(())
    }
}

/// The visitor of [`ValidatedOps::drive`]: validates, notes cost features,
/// pushes to the sink.
struct Visit<'v, 's, S> {
    validator: &'v mut wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    features: &'v mut FuncCostFeatures,
    module: &'v Module,
    loops: &'v mut LoopNesting,
    offset: usize,
    sink: &'s mut S,
}

impl<'a, S: OperatorSink<'a>> Visit<'_, '_, S> {
    /// Is the next operator reachable (so compiled: the tiers skip dead
    /// code)? Not if the validator's innermost frame is unreachable, or
    /// the frame was opened in dead code.
    #[inline(always)]
    fn live(&self) -> bool {
        self.loops.frames.last().is_none_or(|f| !f.dead)
            && self.validator.get_control_frame(0).is_none_or(|f| !f.unreachable)
    }

    #[inline(always)]
    fn emit(&mut self, op: wasmparser::Operator<'a>, live: bool) -> WasmResult<()> {
        note_features(self.features, &op, self.module, self.validator, self.loops, live);
        let f = &mut *self.features;
        f.max_nesting = f.max_nesting.max(self.validator.control_stack_height());
        f.max_operand_stack = f.max_operand_stack.max(self.validator.operand_stack_height());
        self.sink.operator(op, self.offset)
    }
}

macro_rules! visit_validated {
    ($visitor:ident $(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[allow(clippy::clone_on_copy)]
            fn $visit(&mut self $($(,$arg: $argty)*)?) -> WasmResult<()> {
                let live = self.live();
                self.validator.$visitor(self.offset as u64).$visit($($($arg.clone()),*)?)?;
                self.emit(wasmparser::Operator::$op $({ $($arg),* })?, live)
            }
        )*
    };
}

macro_rules! visit_validated_plain {
    ($($t:tt)*) => { visit_validated!(visitor $($t)*); };
}

macro_rules! visit_validated_simd {
    ($($t:tt)*) => { visit_validated!(simd_visitor $($t)*); };
}

impl<'a, S: OperatorSink<'a>> wasmparser::VisitOperator<'a> for Visit<'_, '_, S> {
    type Output = WasmResult<()>;

    fn simd_visitor(&mut self) -> Option<&mut dyn wasmparser::VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(visit_validated_plain);
}

impl<'a, S: OperatorSink<'a>> wasmparser::VisitSimdOperator<'a> for Visit<'_, '_, S> {
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
    mut hook: Option<&mut dyn BodyHook>,
) -> WasmResult<ModuleTranslation<'a>> {
    translate_module_for(wasm, features, hook.take(), false)
}

/// [`translate_module_with`], giving funcrefs in the vmctx (with
/// `escaping_only`) only to imports and functions that can escape, as a
/// module needs whose functions call each other directly: see
/// [`Module::func_ref_slots`].
///
/// # Errors
///
/// As [`translate_module_with`].
pub fn translate_module_for<'a>(
    wasm: &'a [u8],
    features: WasmFeatures,
    mut hook: Option<&mut dyn BodyHook>,
    escaping_only: bool,
) -> WasmResult<ModuleTranslation<'a>> {
    let mut validator = Validator::new_with_features(features);
    let mut module = Module::default();
    let mut function_bodies = PrimaryMap::new();
    let mut escaping: HashSet<FuncIndex> = HashSet::new();
    let mut allocs = FuncValidatorAllocations::default();

    // The parser's readers honour the feature set too (for example, limits
    // are 32-bit LEBs unless memory64 is on), so give it the same one.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(wasm) {
        let payload = payload?;
        let valid = validator.payload(&payload)?;
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
            Payload::CodeSectionStart { .. } if escaping_only => {
                module.func_ref_slots = Some(func_ref_slots(&module, &escaping));
            }
            Payload::CodeSectionEntry(body) => {
                let ValidPayload::Func(func, _) = valid else {
                    return Err(invalid("code entry without a function", body.range().start));
                };
                let mut v = func.into_validator(std::mem::take(&mut allocs));
                let def = DefinedFuncIndex::from_u32(function_bodies.len() as u32);
                let features = validate_body(&mut v, &body, &module, def, hook.as_deref_mut())?;
                allocs = v.into_allocations();
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
fn func_ref_slots(module: &Module, escaping: &HashSet<FuncIndex>) -> std::sync::Arc<[u32]> {
    let imported = module.num_imported_funcs as u32;
    let mut next = imported;
    (0..module.functions.len() as u32)
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
        .collect()
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

/// Validates one body operator by operator, measuring its cost features on
/// the way. Linear in the body's size.
fn validate_body<H: BodyHook + ?Sized>(
    v: &mut wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    body: &FunctionBody<'_>,
    module: &Module,
    def: DefinedFuncIndex,
    hook: Option<&mut H>,
) -> WasmResult<FuncCostFeatures> {
    let range = body.range();
    let mut f = FuncCostFeatures {
        body_bytes: u32::try_from(range.end - range.start).unwrap_or(u32::MAX),
        ..FuncCostFeatures::default()
    };
    let mut locals = body.get_locals_reader()?;
    for _ in 0..locals.get_count() {
        let offset = locals.original_position();
        let (count, ty) = locals.read()?;
        v.define_locals(offset, count, ty)?;
    }
    f.locals = v.len_locals();
    let mut ops = ValidatedOps {
        reader: body.get_operators_reader()?,
        validator: v,
        features: &mut f,
        module,
        loops: LoopNesting::default(),
    };
    if let Some(hook) = hook {
        hook.body(module, def, body, &mut ops)?;
    }
    ops.drive(&mut ())?;
    ops.reader.finish()?;
    Ok(f)
}

/// Counts what an operator adds to its function's cost features, once
/// the validator has checked it (so a branch's label exists). Constant
/// work per operator, and per target of a `br_table`.
#[inline]
fn note_features(
    f: &mut FuncCostFeatures,
    op: &wasmparser::Operator<'_>,
    module: &Module,
    validator: &wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    loops: &mut LoopNesting,
    live: bool,
) {
    use wasmparser::Operator as O;
    f.operators += 1;
    // Blocks keep the nesting right in dead code too; everything else
    // counts only what the tiers compile.
    if !live && !matches!(op, O::Block { .. } | O::Loop { .. } | O::If { .. } | O::End) {
        return;
    }
    let func_type = |i: u32| module.types.get(TypeIndex::from_u32(i));
    // Values a branch to the label at `depth` carries.
    let carried = |depth: u32| -> u32 {
        let Some(frame) = validator.get_control_frame(depth as usize) else { return 0 };
        let n = match (frame.kind, frame.block_type) {
            (_, wasmparser::BlockType::Empty) => 0,
            (wasmparser::FrameKind::Loop, wasmparser::BlockType::Type(_)) => 0,
            (_, wasmparser::BlockType::Type(_)) => 1,
            (wasmparser::FrameKind::Loop, wasmparser::BlockType::FuncType(i)) => func_type(i).map_or(0, |t| t.params.len()),
            (_, wasmparser::BlockType::FuncType(i)) => func_type(i).map_or(0, |t| t.results.len()),
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    if live {
        f.live_operators += 1;
    }
    match op {
        O::Block { .. } | O::Loop { .. } | O::If { .. } if !live => {
            loops.frames.push(OpenFrame { is_loop: false, dead: true });
        }
        O::Block { blockty } | O::Loop { blockty } | O::If { blockty } => {
            let arity = match blockty {
                wasmparser::BlockType::Empty => 0,
                wasmparser::BlockType::Type(_) => 1,
                wasmparser::BlockType::FuncType(i) => func_type(*i).map_or(0, |t| t.params.len() + t.results.len()),
            };
            f.max_block_arity = f.max_block_arity.max(u32::try_from(arity).unwrap_or(u32::MAX));
            f.blocks += 1;
            let is_loop = matches!(op, O::Loop { .. });
            loops.frames.push(OpenFrame { is_loop, dead: false });
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
