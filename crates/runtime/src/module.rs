#![allow(unsafe_code, reason = "deserializing runs native code from an artifact the caller vouches for")]

//! Compiled modules.
//!
//! A module is always an artifact image: freshly compiled code is written
//! as an artifact straight into the memory it runs from, and a precompiled
//! one is mapped from its file. Either way the runtime reads the module's tables
//! in place through [`ModuleInfo`] and runs the code where it lies.

use crate::Strategy;
use crate::policy::{self, Tier};
use crate::engine::Engine;
use crate::text;
use crate::trap::FrameInfo;
use crate::vm::{CodeLookup, Image, Registration};
use anyhow::{Context, Result};
use brisk_environ::artifact::{self, ArtifactLayout, ModuleInfo};
use brisk_environ::{
    CompiledFunction, DefinedFuncIndex, EntityIndex, EntityType, FuncType, Trap, Tunables, TypeIndex, VMOffsets,
    WasmError,
};
use rayon::prelude::*;
use std::path::Path;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A compiled WebAssembly module, ready to instantiate in any store of its
/// engine. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

impl Drop for Module {
    /// The last reference hands the module's teardown (leaving the trap
    /// handler's registry, freeing its tables, deregistering its unwind
    /// info, unmapping it) to the unmapper's thread: the dropping thread
    /// does constant work and takes no lock but the queue's.
    fn drop(&mut self) {
        if Arc::strong_count(&self.inner) == 1 && Arc::weak_count(&self.inner) == 0 {
            // This field's drop leaves the clone the last reference (or,
            // if the thread drops the clone first, does the teardown here).
            crate::vm::drop_later(self.inner.clone());
        }
    }
}

struct ModuleInner {
    engine: Engine,
    /// Unique in the process, never reused: names the module's memory
    /// images in pool slots.
    id: u64,
    image: Arc<ModuleImage>,
    offsets: VMOffsets,
    type_ids: Box<[u32]>,
    /// What every instance copies into its defined functions' funcrefs,
    /// built by the first instantiation rather than at load, which does
    /// nothing per function; building it checks each function's type and
    /// code offsets, so an artifact with a bad one fails to instantiate.
    func_refs: OnceLock<Result<FuncRefs, artifact::ArtifactError>>,
    /// What instantiation knows of the segments, worked out by the first.
    segment_plan: OnceLock<crate::vm::SegmentPlan>,
    /// Keeps the code registered with the trap handler; dropped before the
    /// image (the registry holds the image too, until then).
    _registration: Option<Registration>,
    /// Registers the bytecode, so that backtraces name interpreted frames.
    _bytecode_registration: Option<Registration>,
    /// What replacing functions' code needs, if the engine has tier-up on
    /// and the module was compiled from wasm.
    tier_up: Option<TierUp>,
    /// With tier-up counters in the code: per defined function, what its
    /// baseline code counts down (calls and loop iterations) before asking
    /// for the optimizing tier; `i32::MAX` for functions that never tier
    /// up (all of them in a module loaded from an artifact, which has no
    /// wasm to compile again). Compiled code decrements them with plain
    /// instructions: a lost decrement only delays a tier-up.
    counters: Box<[AtomicI32]>,
}

/// What a module that can replace its functions' code keeps: its wasm, to
/// compile a function again, and its live instances, whose funcrefs a
/// replacement rewrites.
struct TierUp {
    source: Arc<FunctionSource>,
    /// Which defined functions were replaced (or are being): at most once.
    replaced: Box<[std::sync::atomic::AtomicBool]>,
    /// Which defined functions' replacements are in place (swapped in).
    swapped: Box<[std::sync::atomic::AtomicBool]>,
    /// Per defined function, how often its counter ran out (each time
    /// after `rearm` more calls and loop iterations): the background
    /// worker compiles the hottest waiting function first.
    heat: Box<[std::sync::atomic::AtomicU32]>,
    /// What a hot function's counter starts again from.
    rearm: i32,
    /// Per defined function, the cost model's prediction of its optimizing
    /// compile, in seconds: the worker weighs heat against it.
    compile_seconds: Box<[f32]>,
    /// On-stack-replacement entries, by (defined function, loop ordinal):
    /// the entry's address, or 0 while it is compiled or if that failed.
    osr: Mutex<HashMap<(u32, u32), usize>>,
    /// The vmctx of every live instance. Held while funcrefs are copied
    /// into a new instance or rewritten by a replacement.
    instances: Mutex<HashSet<usize>>,
    /// The replacement code, registered with the trap handler; kept as
    /// long as the module, since frames may still run the code it replaced
    /// and callers may have loaded its entry just before the swap.
    code: Mutex<Vec<Registration>>,
}

/// What compiling a module's functions again, away from its first
/// compile, needs: the wasm and the translation's owned parts (shared by
/// tier-up and by the compile budget's worker threads).
struct FunctionSource {
    wasm: Arc<[u8]>,
    env: Arc<brisk_environ::Module>,
    /// Each defined function's body: its range in `wasm`, and its features.
    bodies: Vec<(std::ops::Range<usize>, brisk_environ::FuncCostFeatures)>,
    /// Which defined functions are interpreted (empty: none).
    interpreted: Vec<bool>,
}

impl FunctionSource {
    fn of(wasm: Arc<[u8]>, translation: &brisk_environ::ModuleTranslation<'_>) -> FunctionSource {
        let bodies = translation
            .function_bodies
            .values()
            .map(|b| {
                let r = b.body.range();
                (r.start as usize..r.end as usize, b.features)
            })
            .collect();
        FunctionSource { wasm, env: translation.module.clone(), bodies, interpreted: translation.interpreted.clone() }
    }

    /// Defined function `def`'s body: a reader over the kept bytes.
    fn body(&self, def: DefinedFuncIndex) -> brisk_environ::FunctionBodyData<'_> {
        let (range, features) = &self.bodies[def.as_u32() as usize];
        brisk_environ::FunctionBodyData {
            body: wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(&self.wasm[range.clone()], range.start as u64)),
            features: *features,
        }
    }

    /// The translation a compiler reads: every body, so that indices line
    /// up (O(functions): for compiling many of them; one goes through
    /// [`FunctionSource::body`]).
    fn translation(&self) -> brisk_environ::ModuleTranslation<'_> {
        let function_bodies = (0..self.bodies.len()).map(|i| self.body(DefinedFuncIndex::from_u32(i as u32))).collect();
        brisk_environ::ModuleTranslation {
            module: self.env.clone(),
            function_bodies,
            escaping_funcs: Vec::new(),
            interpreted: self.interpreted.clone(),
        }
    }
}

/// A function's replacement code: its own executable mapping.
struct ReplacedCode {
    /// Owns the code: unmapped when the registration drops.
    _image: Image,
    traps: Vec<brisk_environ::TrapSite>,
    module: Arc<ModuleImage>,
    func: brisk_environ::FuncIndex,
}

impl CodeLookup for ReplacedCode {
    fn trap_at(&self, offset: u32) -> Option<Trap> {
        let i = self.traps.binary_search_by_key(&offset, |t| t.offset).ok()?;
        Some(self.traps[i].trap)
    }

    fn frame_at(&self, offset: u32) -> Option<FrameInfo> {
        let info = self.module.info();
        Some(FrameInfo {
            module_name: info.name().map(str::to_string),
            func_index: self.func.as_u32(),
            func_name: info.func_name(self.func).map(str::to_string),
            code_offset: offset,
            tiered_up: true,
        })
    }
}

/// A defined function's funcref, less the instance's vmctx.
pub(crate) struct FuncRefTemplate {
    /// Rewritten when the function's code is replaced, so that later
    /// instances start with the new code.
    pub native_call: AtomicUsize,
    pub array_call: usize,
    pub type_index: u32,
    /// The function is interpreted: its callee vmctx is a
    /// `VMInterpFuncContext` of the instance.
    pub interpreted: bool,
}

/// What instantiation copies into the defined functions' funcrefs.
pub(crate) struct FuncRefs {
    /// Per defined function.
    pub templates: Box<[FuncRefTemplate]>,
    /// The defined functions whose funcrefs compiled code can read, in
    /// order, with their offsets in the vmctx: those that can escape
    /// (exports, table elements, `ref.func`), which have an array entry, or
    /// all of them when some are interpreted or calls go through funcrefs
    /// (tier-up). Without those, compiled code calls the module's own
    /// functions directly and the vmctx has no funcref for the others.
    pub read: Box<[(u32, u32)]>,
    /// Are some functions interpreted?
    pub any_interpreted: bool,
    /// For modules whose code never changes (no tier-up) and with no
    /// interpreted function: the `read` funcrefs laid out in order, less
    /// the vmctx, so that instantiation copies them sequentially.
    pub image: Box<[FuncRefImage]>,
    /// Where the furthest funcref of `image` ends in the vmctx.
    pub image_end: usize,
}

/// A funcref as instantiation writes it: its offset in the vmctx, and its
/// fields but the vmctx.
#[derive(Clone, Copy)]
pub(crate) struct FuncRefImage {
    pub at: u32,
    pub type_index: u32,
    pub native_call: usize,
    pub array_call: usize,
}

/// An artifact in memory with its checked layout.
struct ModuleImage {
    image: Image,
    layout: ArtifactLayout,
}

impl ModuleImage {
    fn info(&self) -> ModuleInfo<'_> {
        self.layout.info(self.image.bytes())
    }
}

impl CodeLookup for ModuleImage {
    fn trap_at(&self, offset: u32) -> Option<Trap> {
        self.info().trap_at(offset)
    }

    fn frame_at(&self, offset: u32) -> Option<FrameInfo> {
        let info = self.info();
        let (start, func) = info.func_at(offset)?;
        Some(FrameInfo {
            module_name: info.name().map(str::to_string),
            func_index: func.as_u32(),
            func_name: info.func_name(func).map(str::to_string),
            code_offset: offset - start,
            tiered_up: false,
        })
    }
}

/// Looks up interpreted frames: offsets are into the module's bytecode.
struct BytecodeLookup(Arc<ModuleImage>);

impl CodeLookup for BytecodeLookup {
    fn trap_at(&self, _offset: u32) -> Option<Trap> {
        None
    }

    fn frame_at(&self, offset: u32) -> Option<FrameInfo> {
        let info = self.0.info();
        let blob = info.bytecode();
        let word = offset / 4;
        // The interpreted function whose code starts last at or before the
        // offset (functions' code is laid out in index order). A walk over
        // the records: only backtraces look frames up.
        let n = info.num_defined_funcs();
        let mut found = None;
        for def in 0..n {
            let start = brisk_interp::layout::record(blob, def)?.code;
            if start != 0 && start <= word {
                found = Some((def, start));
            }
        }
        let (def, start) = found?;
        let func = info.func_index(DefinedFuncIndex::from_u32(def as u32));
        Some(FrameInfo {
            module_name: info.name().map(str::to_string),
            func_index: func.as_u32(),
            func_name: info.func_name(func).map(str::to_string),
            code_offset: (word - start) * 4,
            tiered_up: false,
        })
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("name", &self.name()).finish_non_exhaustive()
    }
}

impl Module {
    /// Compiles a module from its binary or text form.
    ///
    /// # Errors
    ///
    /// A malformed or invalid module gives an error that downcasts to
    /// [`WasmError`], with the byte offset; a module using an unimplemented
    /// feature likewise.
    /// Errors in text point at the text: `<anon>:line:column`.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        Self::new_named(engine, bytes.as_ref(), None)
    }

    fn new_named(engine: &Engine, bytes: &[u8], path: Option<&Path>) -> Result<Module> {
        let wasm = text::wat_to_wasm(bytes, path)?;
        Self::from_binary(engine, &wasm).map_err(|e| match text::as_text(bytes) {
            Some(text) => text::locate(e, text, &wasm, path),
            None => e,
        })
    }

    /// Compiles a module from a file (binary or text); errors in text name
    /// the file, with line and column.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        Module::new_named(engine, &bytes, Some(path)).with_context(|| format!("failed to compile {}", path.display()))
    }

    /// Validates a module without compiling it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        let wasm = text::wat_to_wasm(bytes, None)?;
        brisk_environ::translate_module(&wasm, engine.config().features)
            .map_err(|e| match text::as_text(bytes) {
                Some(text) => text::locate(anyhow::Error::new(e), text, &wasm, None),
                None => anyhow::Error::new(e),
            })?;
        Ok(())
    }

    /// Compiles a binary module.
    pub fn from_binary(engine: &Engine, wasm: &[u8]) -> Result<Module> {
        // Written straight into the memory it runs from.
        let mut buffer = crate::vm::ImageBuffer::default();
        let source = compile(engine, wasm, &mut buffer)?;
        let image = buffer.finish().context("failed to map code memory")?;
        let mut module = Module::from_image(engine, image)?;
        if let Some(TierUpSource { source, hot_after }) = source {
            let replaced = source.bodies.iter().map(|_| AtomicBool::new(false)).collect();
            let swapped = source.bodies.iter().map(|_| AtomicBool::new(false)).collect();
            let heat = source.bodies.iter().map(|_| std::sync::atomic::AtomicU32::new(0)).collect();
            let rearm = i32::try_from(engine.config().tier_up_threshold).unwrap_or(i32::MAX);
            let compile_seconds =
                source.bodies.iter().map(|(_, f)| brisk_environ::cost::estimate(f).optimized_seconds as f32).collect();
            for (c, n) in module.inner_counters().iter().zip(hot_after) {
                c.store(n, Ordering::Relaxed);
            }
            let inner = Arc::get_mut(&mut module.inner).expect("a new module has one owner");
            inner.tier_up = Some(TierUp {
                source,
                replaced,
                swapped,
                heat,
                rearm,
                compile_seconds,
                osr: Mutex::new(HashMap::new()),
                instances: Mutex::new(HashSet::new()),
                code: Mutex::new(Vec::new()),
            });
        }
        Ok(module)
    }

    /// Compiles defined-or-imported function `func_index` again with the
    /// optimizing tier and makes every call that starts afterwards run the
    /// new code: calls between the module's functions, calls through
    /// funcrefs and tables, and calls from the host, in every instance,
    /// live or future. Calls already running finish on the old code, which
    /// lives as long as the module. Frames of the new code say
    /// [`tiered_up`](crate::FrameInfo::tiered_up) in backtraces.
    ///
    /// Returns `false`, doing nothing, if the function was already
    /// replaced, is imported or is interpreted. Other modules that
    /// imported the function keep calling the code they were linked with.
    ///
    /// # Errors
    ///
    /// If the engine does not have [`Config::tier_up`](crate::Config::tier_up)
    /// on, the module was loaded from an artifact (which has no wasm to
    /// compile again), the index is out of range, or compiling fails.
    pub fn tier_up(&self, func_index: u32) -> Result<bool> {
        let t = self.inner.tier_up.as_ref().ok_or_else(|| {
            anyhow::anyhow!("module cannot tier up: compile it from wasm with `Config::tier_up` on")
        })?;
        let info = self.info();
        let func = brisk_environ::FuncIndex::from_u32(func_index);
        if func_index >= info.counts().funcs {
            anyhow::bail!("function {func_index} out of range");
        }
        let Some(def) = t.source.env.defined_func_index(func) else { return Ok(false) };
        let i = def.as_u32() as usize;
        if t.source.interpreted.get(i) == Some(&true) || t.replaced[i].swap(true, Ordering::AcqRel) {
            return Ok(false);
        }
        let replace = || -> Result<()> {
            let (source, tunables) = (&t.source, self.tunables());
            let f = self.inner.engine.compiler().compile_body(&source.env, &source.interpreted, &source.body(def), def, tunables)?;
            let code = self.install(t, f, func)?;
            // The swap: the template for later instances, and every live
            // instance's funcref, under the lock instantiation takes.
            let template = self.func_ref_template()?;
            let instances = t.instances.lock().unwrap_or_else(|e| e.into_inner());
            template.templates[i].native_call.store(code, Ordering::Release);
            let at = self.func_ref_offset(func).ok_or_else(|| anyhow::anyhow!("function {func_index} has no funcref"))? as usize;
            for &vmctx in instances.iter() {
                // SAFETY: a registered vmctx is live (instances unregister
                // before freeing it, under this lock) and has this module's
                // layout, with an initialized funcref for `func` at `at`;
                // the new code has the function's type in the native ABI
                // and lives as long as the module, which the instance holds.
                unsafe { crate::vm::VMFuncRef::set_native_call((vmctx + at) as *mut crate::vm::VMFuncRef, code) };
            }
            // From here, a frame still on the baseline code that loops
            // `rearm` more times asks for an on-stack-replacement entry.
            if let Some(counter) = self.inner.counters.get(i) {
                counter.store(t.rearm, Ordering::Relaxed);
            }
            t.swapped[i].store(true, Ordering::Release);
            Ok(())
        };
        match replace() {
            Ok(()) => {
                TIER_UP_COUNTS[1].fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Err(e) => {
                t.replaced[i].store(false, Ordering::Release);
                Err(e.context(format!("failed to tier up function {func_index}")))
            }
        }
    }

    /// Maps code compiled for defined-or-imported function `func` and
    /// registers it with the trap handler for as long as the module
    /// lives; returns its address.
    fn install(&self, t: &TierUp, f: CompiledFunction, func: brisk_environ::FuncIndex) -> Result<usize> {
        // With indirect calls the code refers to nothing by address.
        anyhow::ensure!(f.relocs.is_empty(), "replacement code has relocations");
        let image = Image::code(&f.body, &f.unwind).context("failed to map code memory")?;
        let code = image.base();
        let lookup = ReplacedCode { _image: image, traps: f.traps, module: self.inner.image.clone(), func };
        let registration = Registration::new(code, f.body.len(), Arc::new(lookup));
        t.code.lock().unwrap_or_else(|e| e.into_inner()).push(registration);
        Ok(code)
    }

    /// Compiles the on-stack-replacement entry of defined function `def`
    /// at its loop `ordinal` and makes it the entry that the function's
    /// baseline frames still looping there move to
    /// ([`brisk_environ::Compiler::compile_osr_entry`]). On failure the
    /// entry stays 0, and those frames finish on the baseline code.
    fn compile_osr(&self, def: u32, ordinal: u32) -> Result<()> {
        let Some(t) = &self.inner.tier_up else { return Ok(()) };
        let index = DefinedFuncIndex::from_u32(def);
        let (source, tunables) = (&t.source, self.tunables());
        let f = self.inner.engine.compiler().compile_osr_entry(
            &source.env,
            &source.interpreted,
            &source.body(index),
            index,
            ordinal,
            tunables,
        )?;
        let code = self.install(t, f, source.env.func_index(index))?;
        t.osr.lock().unwrap_or_else(|e| e.into_inner()).insert((def, ordinal), code);
        Ok(())
    }

    /// The on-stack-replacement entries compiled for this module so far,
    /// as (function index, loop ordinal among the function's `loop`s):
    /// where baseline frames that were still looping when their function
    /// was replaced could move to optimized code.
    pub fn on_stack_entries(&self) -> Vec<(u32, u32)> {
        let Some(t) = &self.inner.tier_up else { return Vec::new() };
        let entries = t.osr.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<(u32, u32)> = entries
            .iter()
            .filter(|&(_, &entry)| entry != 0)
            .map(|(&(def, ordinal), _)| (t.source.env.func_index(DefinedFuncIndex::from_u32(def)).as_u32(), ordinal))
            .collect();
        v.sort_unstable();
        v
    }

    /// The functions whose code was replaced while the module ran (or is
    /// being replaced right now), by index, in index order.
    pub fn tiered_up(&self) -> Vec<u32> {
        let Some(t) = &self.inner.tier_up else { return Vec::new() };
        t.replaced
            .iter()
            .enumerate()
            .filter(|(_, r)| r.load(Ordering::Acquire))
            .map(|(i, _)| t.source.env.func_index(DefinedFuncIndex::from_u32(i as u32)).as_u32())
            .collect()
    }

    /// [`Module::tier_up`] for every function of the module; returns how
    /// many were replaced.
    ///
    /// # Errors
    ///
    /// As [`Module::tier_up`], on the first function that fails.
    pub fn tier_up_all(&self) -> Result<usize> {
        let mut replaced = 0;
        for func in 0..self.info().counts().funcs {
            replaced += usize::from(self.tier_up(func)?);
        }
        Ok(replaced)
    }

    fn inner_counters(&self) -> &[AtomicI32] {
        &self.inner.counters
    }

    /// The module's tier-up counters for the vmctx (null if none).
    pub(crate) fn tier_up_counters(&self) -> *mut i32 {
        if self.inner.counters.is_empty() {
            return std::ptr::null_mut();
        }
        // Compiled code writes through it: `AtomicI32` has `i32`'s layout
        // and allows writes through a shared reference.
        self.inner.counters.as_ptr().cast::<i32>().cast_mut()
    }

    /// A function's tier-up counter ran out (the `TierUpHot` builtin), at
    /// its entry (`ordinal` `u32::MAX`) or at the header of its loop
    /// `ordinal`: queue it for the optimizing tier, once, and count on:
    /// every further run-out makes it hotter, so the worker takes it
    /// sooner. Once it is replaced, a run-out at a loop comes from a frame
    /// still on the baseline code: queue an on-stack-replacement entry for
    /// that loop, once, and return it when it is ready (else 0).
    pub(crate) fn hot(&self, def: u32, ordinal: u32) -> usize {
        let Some(counter) = self.inner.counters.get(def as usize) else { return 0 };
        let Some((t, replaced)) = self.inner.tier_up.as_ref().and_then(|t| Some((t, t.replaced.get(def as usize)?))) else {
            counter.store(i32::MAX, Ordering::Relaxed);
            return 0;
        };
        counter.store(t.rearm, Ordering::Relaxed);
        let func = t.source.env.func_index(DefinedFuncIndex::from_u32(def)).as_u32();
        // Frames still looping in baseline code once the function is
        // replaced keep it hot too: their entries are urgent.
        let heat = t.heat[def as usize].fetch_add(1, Ordering::Relaxed);
        // Until the replacement is in place, calls keep starting on the
        // baseline code: only heat.
        if !t.swapped[def as usize].load(Ordering::Acquire) {
            if heat == 0 && !replaced.load(Ordering::Acquire) {
                TIER_UP_COUNTS[0].fetch_add(1, Ordering::Relaxed);
                tier_up_queue(self.clone(), func, u32::MAX);
                // A dispatch loop hot at its loop: the frame there will
                // loop on, so its entry is queued right behind.
                if ordinal != u32::MAX && policy::is_dispatch_loop(&t.source.bodies[def as usize].1) {
                    t.osr.lock().unwrap_or_else(|e| e.into_inner()).insert((def, ordinal), 0);
                    tier_up_queue(self.clone(), func, ordinal);
                }
            }
            return 0;
        }
        if ordinal == u32::MAX {
            return 0;
        }
        let mut entries = t.osr.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&entry) = entries.get(&(def, ordinal)) {
            if entry != 0 {
                TIER_UP_COUNTS[2].fetch_add(1, Ordering::Relaxed);
            }
            return entry;
        }
        entries.insert((def, ordinal), 0);
        drop(entries);
        tier_up_queue(self.clone(), func, ordinal);
        0
    }

    /// The defined index of defined-or-imported function `func`, in a
    /// module that can tier up.
    fn defined(&self, func: u32) -> Option<u32> {
        let t = self.inner.tier_up.as_ref()?;
        Some(t.source.env.defined_func_index(brisk_environ::FuncIndex::from_u32(func))?.as_u32())
    }

    /// How urgent compiling defined-or-imported function `func` is: how
    /// often its tier-up counter ran out per predicted second of its
    /// optimizing compile (0 for a module that cannot tier up).
    fn urgency(&self, func: u32) -> f64 {
        let (Some(t), Some(def)) = (&self.inner.tier_up, self.defined(func)) else { return 0.0 };
        let i = def as usize;
        let heat = t.heat.get(i).map_or(0, |h| h.load(Ordering::Relaxed));
        f64::from(heat) / f64::from(t.compile_seconds.get(i).copied().unwrap_or(1.0)).max(1e-5)
    }

    /// Notes a new instance's vmctx, if the module can tier up; the guard
    /// holds off replacements while the instance copies its funcrefs.
    pub(crate) fn register_instance(&self, vmctx: usize) -> Option<std::sync::MutexGuard<'_, HashSet<usize>>> {
        let t = self.inner.tier_up.as_ref()?;
        let mut instances = t.instances.lock().unwrap_or_else(|e| e.into_inner());
        instances.insert(vmctx);
        Some(instances)
    }

    /// Forgets an instance's vmctx before it is freed.
    pub(crate) fn unregister_instance(&self, vmctx: usize) {
        if let Some(t) = &self.inner.tier_up {
            t.instances.lock().unwrap_or_else(|e| e.into_inner()).remove(&vmctx);
        }
    }

    /// The module's artifact: the bytes [`Module::deserialize`] and
    /// [`Module::deserialize_file`] accept, for this engine's settings.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        Ok(self.inner.image.image.bytes().to_vec())
    }

    /// Loads an artifact made by [`Module::serialize`] or
    /// [`Engine::precompile_module`], copying it into fresh memory.
    ///
    /// # Errors
    ///
    /// An error that downcasts to [`ArtifactError`](artifact::ArtifactError)
    /// if the bytes are not an artifact, come from another Brisk version,
    /// target or settings, or are truncated or corrupt.
    ///
    /// # Safety
    ///
    /// The artifact's machine code runs as it is: the bytes must come from
    /// Brisk, and the caller vouches for the code. The checks are those of
    /// [`Module::deserialize_file`]: damaged or truncated metadata is
    /// refused, damaged code is not detected.
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let image = Image::holding(bytes.as_ref()).context("failed to map code memory")?;
        Module::from_image(engine, image)
    }

    /// Loads an artifact file by mapping it: the file's pages are the only
    /// copy of the code, nothing is decoded, and the work done does not grow
    /// with the number of functions (apart from the metadata checksum and
    /// page faults on first use).
    ///
    /// # What is checked
    ///
    /// Everything the runtime acts on apart from the code, in time that
    /// does not grow with the size of the code:
    ///
    /// - the file's size, and a checksum over the ELF header, the Brisk
    ///   header and every table: damaged or truncated metadata is refused
    ///   (up to the odds of a 64-bit hash collision), so is a file from
    ///   another Brisk version, target or settings;
    /// - every index and range the runtime takes from the tables (those of
    ///   the small tables here, per-function ones where first used), and
    ///   that every constant expression produces a value of the type it is
    ///   stored as, so a table that passes the checksum yet is wrong gives
    ///   an error, never an access outside the module's own structures.
    ///
    /// Not checked: what is mapped and read in place, whose every page a
    /// check would read: the machine code (`.text`), its unwind info
    /// (`.eh_frame`, with native unwind info) and the memory images
    /// (`.memory_images`, the initial contents of memories); and the
    /// function names (`.symtab`, `.strtab`). The code is native code that
    /// the caller vouches for, and it runs as it is: **a single damaged
    /// byte of code is not detected**, and may make the process crash or
    /// compute wrong results; a damaged byte of unwind info may do the
    /// same when something unwinds through the module, and one of a memory
    /// image is a wrong initial byte of the memory. For artifacts kept on
    /// disk where damage is possible, load them through
    /// [`Cache`](crate::Cache), which also checks a hash of the rest of
    /// the file (code, unwind info, images and names) on every hit before
    /// any code runs, and compiles the module again on a mismatch.
    ///
    /// # Errors
    ///
    /// As [`Module::deserialize`], and if the file cannot be opened.
    ///
    /// # Safety
    ///
    /// As [`Module::deserialize`]: the code must be intact, which these
    /// checks do not establish. Moreover the file must not be modified or
    /// truncated while the module lives (replace it by renaming a new file
    /// over it instead, as Brisk's cache does).
    pub unsafe fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        use std::os::unix::fs::FileExt;
        let path = path.as_ref();
        let open = || -> Result<Image> {
            let file = std::fs::File::open(path)?;
            // Where the code is, read before mapping so that it is made
            // executable while none of its pages is mapped yet (the checks
            // come later, in `from_image`, which uses the range they find).
            let mut prefix = [0u8; artifact::PREFIX_LEN];
            let read = file.read_at(&mut prefix, 0)?;
            // SAFETY: the caller vouches the file stays as it is.
            let mut image = unsafe { Image::map_file(file, true)? };
            if let Some(text) = artifact::text_hint(&prefix[..read]) {
                // A wrong hint (a corrupt file) is harmless: nothing runs
                // before the checks, and `from_image` protects the range
                // they find, undoing this one.
                let _ = image.make_executable(text);
            }
            Ok(image)
        };
        let image = open().with_context(|| format!("failed to map {}", path.display()))?;
        Module::from_image(engine, image).with_context(|| format!("failed to load {}", path.display()))
    }

    /// Checks an image, makes its code executable and registers it.
    fn from_image(engine: &Engine, mut image: Image) -> Result<Module> {
        let layout = ArtifactLayout::parse(image.bytes(), engine.artifact_settings())?;
        let text = layout.text();
        image.make_executable(text.clone()).context("failed to make code executable")?;
        let eh_frame = layout.eh_frame();
        if !eh_frame.is_empty() {
            // SAFETY: the artifact's unwind info, written with its code, which
            // the caller vouches for (see `deserialize_file`).
            unsafe { image.register_unwind_info(eh_frame, text.clone()) }.context("failed to register unwind info")?;
        }
        if !layout.info(image.bytes()).has_memory_images() {
            // Memory images are mapped from the file; nothing else is.
            image.close_file();
        }
        let image = Arc::new(ModuleImage { image, layout });
        let info = image.info();
        let type_ids = (0..info.num_types())
            .map(|i| engine.register_type(&info.func_type(TypeIndex::from_u32(i as u32))).as_u32())
            .collect();
        let offsets = VMOffsets::with_slots(&info.counts(), info.func_ref_slots());
        let registration =
            (!text.is_empty()).then(|| Registration::new(image.image.base() + text.start, text.len(), image.clone()));
        let blob = info.bytecode();
        // Read in place as `u32` words: the section is 8-aligned in the file,
        // which is mapped (or copied) page-aligned.
        if !blob.is_empty() {
            brisk_interp::layout::check(blob, info.num_defined_funcs())
                .map_err(|e| artifact::ArtifactError::Corrupt(e.into()))?;
        }
        let bytecode_registration = (!blob.is_empty())
            .then(|| Registration::new(blob.as_ptr() as usize, blob.len(), Arc::new(BytecodeLookup(image.clone()))));
        let counters = if engine.config().tunables.tier_up_counters {
            (0..info.num_defined_funcs()).map(|_| AtomicI32::new(i32::MAX)).collect()
        } else {
            Box::default()
        };
        static IDS: AtomicU64 = AtomicU64::new(0);
        Ok(Module { inner: Arc::new(ModuleInner {
            engine: engine.clone(),
            id: IDS.fetch_add(1, Ordering::Relaxed),
            image,
            offsets,
            type_ids,
            func_refs: OnceLock::new(),
            segment_plan: OnceLock::new(),
            _registration: registration,
            _bytecode_registration: bytecode_registration,
            tier_up: None,
            counters,
        }) })
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.info().name()
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The machine code of all the module's functions, as laid out in
    /// memory (for inspection and determinism checks).
    pub fn text(&self) -> &[u8] {
        &self.inner.image.image.bytes()[self.inner.image.layout.text()]
    }

    /// The module's imports: (module, name, type).
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &str, EntityType)> + '_ {
        let info = self.info();
        info.imports().map(move |i| (i.module, i.name, info.entity_type(i.index)))
    }

    /// The module's exports: (name, type).
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, EntityType)> + '_ {
        let info = self.info();
        info.exports().map(move |(name, index)| (name, info.entity_type(index)))
    }

    /// The whole artifact, as mapped from its file or copied in (for
    /// [`artifact::verify_code`]).
    pub(crate) fn artifact_bytes(&self) -> &[u8] {
        self.inner.image.image.bytes()
    }

    /// The module's unique id.
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// The file the artifact is mapped from, kept open if the module has
    /// memory images (which instances map from it).
    pub(crate) fn image_file(&self) -> Option<&std::fs::File> {
        self.inner.image.image.file()
    }

    /// The module's tables, read in place from its artifact.
    pub(crate) fn info(&self) -> ModuleInfo<'_> {
        self.inner.image.info()
    }

    /// A function type of the module.
    pub(crate) fn func_type(&self, ty: TypeIndex) -> FuncType {
        self.info().func_type(ty)
    }

    pub(crate) fn offsets(&self) -> &VMOffsets {
        &self.inner.offsets
    }

    pub(crate) fn tunables(&self) -> &Tunables {
        &self.inner.engine.config().tunables
    }

    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.inner.type_ids
    }

    /// Does the module have interpreted functions?
    pub(crate) fn has_bytecode(&self) -> bool {
        !self.info().bytecode().is_empty()
    }

    /// The module's bytecode blob (empty if none).
    pub(crate) fn bytecode(&self) -> &[u8] {
        self.info().bytecode()
    }

    fn text_base(&self) -> usize {
        self.inner.image.image.base() + self.inner.image.layout.text().start
    }

    /// The funcref fields of a defined function but its vmctx, checked:
    /// its code lies in `.text` and its type is one of the module's.
    fn func_ref_fields(&self, def: DefinedFuncIndex) -> Result<FuncRefTemplate, artifact::ArtifactError> {
        let info = self.info();
        let ty = info.checked_func_type_index(info.func_index(def))?;
        // In range: `type_ids` has an entry per type.
        let type_index = self.type_ids()[ty.as_u32() as usize];
        // The loader checked the blob (if any) has a record per defined
        // function; a code offset of 0 means native.
        if let Some(rec) = brisk_interp::layout::record(info.bytecode(), def.as_u32() as usize)
            && rec.code != 0
        {
            let corrupt = |m: &str| artifact::ArtifactError::Corrupt(format!("bytecode of function {}: {m}", def.as_u32()));
            let brisk_interp::layout::FuncRecord { code, frame, params, locals, results, zero_start, zero_end } = rec;
            if code as usize >= info.bytecode().len() / 4
                || params > locals
                || locals > frame
                || results > frame
                || zero_start < params
                || zero_end > locals
            {
                return Err(corrupt("record out of range"));
            }
            let func_type = info.func_type(ty);
            if func_type.params.len() != params as usize || func_type.results.len() != results as usize {
                return Err(corrupt("arity differs from its type"));
            }
            let native_call = self
                .inner
                .engine
                .host_trampoline(&func_type)
                .map_err(|e| corrupt(&format!("no native entry: {e:#}")))?;
            let array_call = crate::vm::interp_entry as *const () as usize;
            return Ok(FuncRefTemplate { native_call: AtomicUsize::new(native_call), array_call, type_index, interpreted: true });
        }
        let native_call = self.text_base() + info.native_call_offset(def)? as usize;
        let array_call = info.array_call_offset(def)?.map_or(0, |off| self.text_base() + off as usize);
        Ok(FuncRefTemplate { native_call: AtomicUsize::new(native_call), array_call, type_index, interpreted: false })
    }

    /// The funcref fields of every defined function but its vmctx, in
    /// defined-function order. The first call checks every function's
    /// type and code offsets (the loader reads neither).
    ///
    /// # Errors
    ///
    /// The [`ArtifactError`](artifact::ArtifactError) of the first function
    /// whose type or code offsets are out of range.
    pub(crate) fn func_ref_template(&self) -> Result<&FuncRefs, artifact::ArtifactError> {
        let template = self.inner.func_refs.get_or_init(|| {
            let defs = (0..self.info().num_defined_funcs()).map(|i| DefinedFuncIndex::from_u32(i as u32));
            let templates: Box<[FuncRefTemplate]> = defs.map(|def| self.func_ref_fields(def)).collect::<Result<_, _>>()?;
            let all = self.tunables().indirect_calls;
            let read: Box<[(u32, u32)]> = (0..templates.len() as u32)
                .filter(|&i| all || templates[i as usize].array_call != 0)
                .map(|i| {
                    let func = self.info().func_index(DefinedFuncIndex::from_u32(i));
                    let at = self.func_ref_offset(func).ok_or_else(|| {
                        artifact::ArtifactError::Corrupt(format!("function {} has no funcref slot", func.as_u32()))
                    })?;
                    Ok((i, at))
                })
                .collect::<Result<_, artifact::ArtifactError>>()?;
            let any_interpreted = templates.iter().any(|t| t.interpreted);
            let image = if all || any_interpreted {
                Box::default()
            } else {
                read.iter()
                    .map(|&(i, at): &(u32, u32)| {
                        let t = &templates[i as usize];
                        let native_call = t.native_call.load(Ordering::Relaxed);
                        FuncRefImage { at, type_index: t.type_index, native_call, array_call: t.array_call }
                    })
                    .collect()
            };
            let image_end = image.iter().map(|f: &FuncRefImage| (f.at + brisk_environ::func_ref::SIZE) as usize).max().unwrap_or(0);
            Ok(FuncRefs { templates, read, any_interpreted, image, image_end })
        });
        template.as_ref().map_err(Clone::clone)
    }

    /// Where a function's funcref is in the vmctx: `None` if it has none
    /// (a function that cannot escape, in a module whose functions call
    /// each other directly) or is out of range.
    pub(crate) fn func_ref_offset(&self, f: brisk_environ::FuncIndex) -> Option<u32> {
        Some(self.offsets().func_ref_slot(self.info().func_ref_slot(f)?))
    }

    /// What instantiation knows of the segments before it starts.
    pub(crate) fn segment_plan(&self) -> &crate::vm::SegmentPlan {
        self.inner.segment_plan.get_or_init(|| crate::vm::SegmentPlan::of(self))
    }

    /// The exported entity called `name`.
    pub(crate) fn export_index(&self, name: &str) -> Option<EntityIndex> {
        self.info().export(name)
    }
}

/// Compiles a module to its artifact: translate, compile every function
/// (in parallel if configured) and its trampoline, link, write.
pub(crate) fn compile_artifact(engine: &Engine, wasm: &[u8]) -> Result<Vec<u8>> {
    let mut artifact = Vec::new();
    compile(engine, wasm, &mut artifact)?;
    Ok(artifact)
}

/// Waits until every module dropped so far is torn down and its code
/// unmapped.
///
/// Dropping the last reference to a module does constant work on the
/// dropping thread: the module is handed to a background thread, which
/// removes its code from the trap handler's registry, frees it and unmaps
/// it (a system call costing several microseconds on some hosts) shortly
/// after. Tests and benchmarks call this to see or time the whole release.
pub fn wait_for_unmapping() {
    crate::vm::flush_unmapper();
}

/// What a module that can tier up keeps of its translation.
struct TierUpSource {
    source: Arc<FunctionSource>,
    /// Per defined function, its tier-up counter's start.
    hot_after: Vec<i32>,
}

/// Cranelift compiles running on worker threads for a module with a
/// compile budget.
struct BudgetedCompiles {
    results: std::sync::mpsc::Receiver<(usize, Result<CompiledFunction, WasmError>)>,
    abandon: Arc<AtomicBool>,
    jobs: usize,
}

/// Starts the optimizing tier on `jobs` on detached worker threads (as
/// many as the cores), so that the caller can stop waiting at a deadline:
/// a compile still running then finishes in the background and its result
/// is dropped, and no further job starts.
fn within_budget(
    engine: &Engine,
    source: Arc<FunctionSource>,
    jobs: &[DefinedFuncIndex],
) -> BudgetedCompiles {
    let (send, results) = std::sync::mpsc::channel();
    let abandon = Arc::new(AtomicBool::new(false));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let jobs_shared: Arc<[DefinedFuncIndex]> = jobs.into();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
    for _ in 0..workers {
        let (engine, source, send, abandon, next, jobs) =
            (engine.clone(), source.clone(), send.clone(), abandon.clone(), next.clone(), jobs_shared.clone());
        let work = move || {
            let translation = source.translation();
            let tunables = &engine.config().tunables;
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= jobs.len() || abandon.load(Ordering::Relaxed) {
                    break;
                }
                let result = engine.compiler().compile_function(&translation, jobs[k], tunables);
                if send.send((k, result)).is_err() {
                    break;
                }
            }
        };
        // Without a thread, its jobs are simply never done: they get the
        // baseline tier's code at the deadline.
        let _ = std::thread::Builder::new().name("brisk-compile".into()).spawn(work);
    }
    BudgetedCompiles { results, abandon, jobs: jobs.len() }
}

impl BudgetedCompiles {
    /// The results that arrive by `deadline` (job index, result); then
    /// tells the workers to start nothing more.
    fn finish(self, deadline: std::time::Instant) -> Vec<(usize, Result<CompiledFunction, WasmError>)> {
        let mut done = Vec::with_capacity(self.jobs);
        while done.len() < self.jobs {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.results.recv_timeout(left) {
                Ok(r) => done.push(r),
                Err(_) => break,
            }
        }
        self.abandon.store(true, Ordering::Relaxed);
        done
    }
}

/// Functions whose optimizing compile missed the module's compile budget
/// and got the baseline tier's code instead, since the process started.
static BUDGET_FALLBACKS: AtomicU64 = AtomicU64::new(0);

/// How many functions got the baseline tier's code because their
/// optimizing compile missed the module's compile budget
/// ([`Config::compile_budget`](crate::Config::compile_budget)), since the
/// process started (all engines).
pub fn compile_budget_fallbacks() -> u64 {
    BUDGET_FALLBACKS.load(Ordering::Relaxed)
}

/// Hot functions queued for the optimizing tier, functions whose code was
/// replaced, and frames moved to optimized code mid-loop, since the process
/// started (all engines).
static TIER_UP_COUNTS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// How many hot functions were queued for the optimizing tier, and how
/// many functions' code was replaced ([`Module::tier_up`], from the queue
/// or called directly), since the process started.
pub fn tier_up_counts() -> (u64, u64) {
    (TIER_UP_COUNTS[0].load(Ordering::Relaxed), TIER_UP_COUNTS[1].load(Ordering::Relaxed))
}

/// How many times a baseline frame looping in a function that had been
/// replaced moved to the optimized code mid-loop (on-stack replacement),
/// since the process started (all engines).
pub fn on_stack_replacements() -> u64 {
    TIER_UP_COUNTS[2].load(Ordering::Relaxed)
}

/// Compiles hot functions in the background: one process-wide worker
/// thread, started on first use, taking the most urgent waiting (module,
/// function) request first: the one that ran most since it became hot per
/// predicted second of compiling, so the code the program spends its time
/// in is replaced first and a large function does not hold up several
/// small ones as hot. A request holds its module alive until it is served.
struct TierUpWorker {
    state: Mutex<WorkerState>,
    /// Signalled when a request arrives.
    ready: std::sync::Condvar,
    /// Signalled when the worker runs out of requests.
    idle: std::sync::Condvar,
}

struct WorkerState {
    /// (module, function, loop ordinal of an on-stack-replacement entry
    /// or `u32::MAX` for the function's replacement).
    requests: Vec<(Module, u32, u32)>,
    /// Serving a request.
    busy: bool,
}

impl TierUpWorker {
    /// Requests looked at per pick: the most urgent of the oldest so many,
    /// so that a pick costs the same however many functions wait.
    const WINDOW: usize = 512;

    /// The worker, its thread started if need be (`None` if no thread
    /// could be, or with `start` false, none was).
    fn get(start: bool) -> Option<&'static TierUpWorker> {
        static WORKER: TierUpWorker = TierUpWorker {
            state: Mutex::new(WorkerState { requests: Vec::new(), busy: false }),
            ready: std::sync::Condvar::new(),
            idle: std::sync::Condvar::new(),
        };
        static STARTED: OnceLock<bool> = OnceLock::new();
        let started = match start {
            true => *STARTED.get_or_init(|| {
                std::thread::Builder::new().name("brisk-tier-up".into()).spawn(|| WORKER.serve()).is_ok()
            }),
            false => STARTED.get() == Some(&true),
        };
        started.then_some(&WORKER)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WorkerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn serve(&self) {
        loop {
            let (module, func, osr) = {
                let mut state = self.lock();
                state.busy = false;
                if state.requests.is_empty() {
                    self.idle.notify_all();
                }
                while state.requests.is_empty() {
                    state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                state.busy = true;
                // Requests of dropped modules go first, to be let go.
                let window = &state.requests[..state.requests.len().min(Self::WINDOW)];
                let key = |(m, f, _): &(Module, u32, u32)| (Arc::strong_count(&m.inner) == 1, m.urgency(*f));
                let mut next = 0;
                let mut best = key(&window[0]);
                for (k, request) in window.iter().enumerate().skip(1) {
                    let candidate = key(request);
                    if candidate.0.cmp(&best.0).then(candidate.1.total_cmp(&best.1)).is_gt() {
                        (next, best) = (k, candidate);
                    }
                }
                state.requests.remove(next)
            };
            // A module nobody else holds any more will not run again.
            if Arc::strong_count(&module.inner) == 1 {
                continue;
            }
            // A failure leaves the function on its baseline code, which is
            // correct; there is no caller to tell.
            if osr == u32::MAX {
                let _ = module.tier_up(func);
            } else if let Some(def) = module.defined(func) {
                let _ = module.compile_osr(def, osr);
            }
        }
    }
}

/// Queues a request for the tier-up worker. Without a worker thread,
/// requests go nowhere and functions stay baseline, which is correct.
fn tier_up_queue(module: Module, func: u32, osr: u32) {
    if let Some(worker) = TierUpWorker::get(true) {
        worker.lock().requests.push((module, func, osr));
        worker.ready.notify_one();
    }
}

/// Waits until the background tier-up worker has served every request
/// queued so far (and any they queue in turn). Benchmarks call this
/// between rounds, so that one round's compiles do not run into the next.
pub fn wait_for_tier_up() {
    let Some(worker) = TierUpWorker::get(false) else { return };
    let mut state = worker.lock();
    while state.busy || !state.requests.is_empty() {
        state = worker.idle.wait(state).unwrap_or_else(|e| e.into_inner());
    }
}

/// [`compile_artifact`] into `out`, returning, with tier-up on, what the
/// module keeps to compile functions again.
fn compile(engine: &Engine, wasm: &[u8], out: &mut dyn artifact::ArtifactBuffer) -> Result<Option<TierUpSource>> {
    let started = std::time::Instant::now();
    let config = engine.config();
    let tunables = &config.tunables;
    // Interpreted functions are translated in the validation pass, which
    // decodes each operator once for both; so are the functions the
    // strategy gives the baseline tier, also with parallel compilation
    // (compiling afterwards in parallel decoded every body a second time,
    // which cost more than it gained: smith corpus 24 MiB/s against 39
    // inline on two threads). With parallel compilation, a module with
    // enough code is validated on every core, a hook per thread
    // (`brisk_environ::PARALLEL_CODE_BYTES`).
    let baseline = engine.baseline();
    let threads = match config.parallel_compilation {
        true => std::thread::available_parallelism().map_or(1, |n| n.get()),
        false => 1,
    };
    let mut hooks: Vec<InterpHook<'_>> = (0..threads)
        .map(|_| InterpHook {
            strategy: config.strategy,
            jit: config.jit(),
            tunables,
            code: None,
            scratch: Default::default(),
            baseline,
            native: Vec::new(),
        })
        .collect();
    // Funcrefs only for functions that can escape, unless calls go
    // through funcrefs: with tier-up, and to and from the interpreter.
    let escaping_only = !tunables.indirect_calls && !matches!(config.strategy, Strategy::Interpreter | Strategy::Mixed);
    let mut hook_refs: Vec<&mut dyn brisk_environ::BodyHook> =
        hooks.iter_mut().map(|h| h as &mut dyn brisk_environ::BodyHook).collect();
    let mut translation = brisk_environ::translate_module_for(wasm, config.features, &mut hook_refs, escaping_only)?;
    drop(hook_refs);
    let n = translation.function_bodies.len();
    translation.interpreted = (0..n).map(|i| is_interpreted(config.strategy, DefinedFuncIndex::from_u32(i as u32))).collect();
    // The policy's tier for each function, from the cost model. The
    // interpreter's functions were translated in the validation pass (the
    // strategy says which); a function the policy would interpret on a
    // host without the baseline tier goes to Cranelift.
    let limits = config.limits();
    let tiers: Vec<Tier> = translation
        .function_bodies
        .iter()
        .map(|(def, body)| {
            match policy::choose(config.strategy, def, &body.features, &limits, baseline.is_some()).0 {
                Tier::Interpreter if !translation.is_interpreted(def) => Tier::Optimized,
                tier => tier,
            }
        })
        .collect();
    // Each hook holds what its thread translated: the bytecode of the
    // thread that translated most is the module's, the others' added to it.
    let mut bytecode: Option<brisk_interp::ModuleCode> = None;
    let mut native: Vec<Option<BaselineResult>> = std::iter::repeat_with(|| None).take(n).collect();
    hooks.sort_by_key(|h| std::cmp::Reverse(h.code.as_ref().map_or(0, |c| c.len_words())));
    for hook in hooks {
        match (&mut bytecode, hook.code) {
            (Some(all), Some(code)) => all.merge(&code).map_err(anyhow::Error::msg)?,
            (all @ None, code) => *all = code,
            (_, None) => {}
        }
        for (i, result) in hook.native.into_iter().enumerate() {
            if result.is_some() {
                native[i] = result;
            }
        }
    }
    let native: Vec<std::sync::Mutex<Option<BaselineResult>>> = native.into_iter().map(std::sync::Mutex::new).collect();
    let translation = translation;
    let compiler = engine.compiler();
    let env = &translation.module;
    let any_interpreted = translation.interpreted.iter().any(|i| *i);

    let compile = |i: DefinedFuncIndex| -> Result<CompiledFunction, WasmError> {
        if translation.is_interpreted(i) {
            return Ok(CompiledFunction::default());
        }
        if let Some(b) = baseline
            && tiers[i.as_u32() as usize] == Tier::Baseline
        {
            let early = native[i.as_u32() as usize].lock().unwrap_or_else(|e| e.into_inner()).take();
            match early.unwrap_or_else(|| b.compile_function(&translation, i, tunables)) {
                Ok(f) => {
                    BASELINE_STATS.compiled.fetch_add(1, Ordering::Relaxed);
                    return Ok(f);
                }
                Err(brisk_baseline::BaselineError::Unsupported(why)) => {
                    BASELINE_STATS.fell_back.fetch_add(1, Ordering::Relaxed);
                    // The operator's name, without its immediates.
                    let what = why.split([' ', '{', '(']).next().unwrap_or_default().to_string();
                    let mut reasons = BASELINE_STATS.reasons.lock().unwrap_or_else(|e| e.into_inner());
                    *reasons.entry(what).or_default() += 1;
                }
                Err(brisk_baseline::BaselineError::Wasm(e)) => return Err(e),
            }
        }
        compiler.compile_function(&translation, i, tunables)
    };
    let indices: Vec<DefinedFuncIndex> = translation.function_bodies.keys().collect();
    // Kept for tier-up and the budget's workers, made once.
    let function_source: OnceLock<Arc<FunctionSource>> = OnceLock::new();
    let funcs: Vec<CompiledFunction> = match (config.compile_budget, baseline) {
        (Some(budget), Some(b)) if tiers.contains(&Tier::Optimized) => {
            let source = function_source.get_or_init(|| Arc::new(FunctionSource::of(wasm.into(), &translation))).clone();
            // Cranelift's functions go to worker threads at once (but those
            // predicted to take longer than the whole budget: they would
            // only burn a core after the deadline); the others are compiled
            // here meanwhile. Cranelift stops early enough for the baseline
            // tier to compile every job it did not finish (predicted, with
            // a margin).
            let mut reserve = 0.0;
            let mut jobs = Vec::new();
            for &i in indices.iter().filter(|i| tiers[i.as_u32() as usize] == Tier::Optimized) {
                let e = brisk_environ::cost::estimate(&translation.function_bodies[i].features);
                if e.optimized_seconds <= budget.as_secs_f64() {
                    reserve += e.baseline_seconds;
                    jobs.push(i);
                }
            }
            let deadline = started + budget.saturating_sub(std::time::Duration::from_secs_f64(reserve * 1.5));
            let late = within_budget(engine, source, &jobs);
            let mut optimized: HashMap<DefinedFuncIndex, CompiledFunction> = HashMap::new();
            let mut funcs = Vec::with_capacity(indices.len());
            for &i in &indices {
                funcs.push(if tiers[i.as_u32() as usize] == Tier::Optimized { CompiledFunction::default() } else { compile(i)? });
            }
            for (k, result) in late.finish(deadline) {
                optimized.insert(jobs[k], result?);
            }
            for i in indices.iter().copied().filter(|i| tiers[i.as_u32() as usize] == Tier::Optimized) {
                let f = match optimized.remove(&i) {
                    Some(f) => f,
                    // Past its share: the baseline tier's code (linear).
                    None => {
                        BUDGET_FALLBACKS.fetch_add(1, Ordering::Relaxed);
                        match b.compile_function(&translation, i, tunables) {
                            Ok(f) => f,
                            Err(brisk_baseline::BaselineError::Wasm(e)) => return Err(e.into()),
                            Err(brisk_baseline::BaselineError::Unsupported(_)) => compiler.compile_function(&translation, i, tunables)?,
                        }
                    }
                };
                funcs[i.as_u32() as usize] = f;
            }
            funcs
        }
        _ if config.parallel_compilation && indices.len() > 1 && !translation.interpreted.iter().all(|i| *i) => {
            indices.par_iter().map(|i| compile(*i)).collect::<Result<_, WasmError>>()?
        }
        _ => indices.iter().map(|i| compile(*i)).collect::<Result<_, WasmError>>()?,
    };
    // Host-to-wasm trampolines for native functions that can escape; with
    // interpreted functions in the module, for every native one (the
    // interpreter calls them through their array entry).
    let native_entries: Vec<DefinedFuncIndex> = if any_interpreted {
        indices.iter().copied().filter(|d| !translation.is_interpreted(*d)).collect()
    } else {
        translation.escaping_funcs.clone()
    };
    let offsets = VMOffsets::for_module(env);
    let trampolines: Vec<(DefinedFuncIndex, CompiledFunction)> = native_entries
        .iter()
        .map(|&def| {
            let index = env.func_index(def);
            let ty = env.func_type(index);
            // The baseline tier writes trampolines in a few instructions per
            // value, where a Cranelift compile costs ~100k instructions each.
            let through = tunables.indirect_calls.then(|| offsets.func_ref(index));
            if let Some(Ok(t)) = baseline.map(|b| b.compile_array_to_wasm_trampoline(ty, index, through)) {
                return Ok((def, t));
            }
            Ok((def, compiler.compile_array_to_wasm_trampoline(ty, index, through)?))
        })
        .collect::<Result<_, WasmError>>()?;
    let mut code = artifact::link(env, &funcs, &trampolines).map_err(anyhow::Error::msg)?;
    if !tunables.native_unwind_info {
        // Baseline trampolines describe their frames whether asked or not.
        code.unwind.clear();
    }
    if any_interpreted {
        code.bytecode = bytecode.unwrap_or_else(|| brisk_interp::ModuleCode::new(env)).into_words();
    }
    artifact::write_artifact_into(env, &code, engine.artifact_settings(), out).map_err(anyhow::Error::msg)?;
    let threshold = i32::try_from(config.tier_up_threshold).unwrap_or(i32::MAX);
    let hot_after = if tunables.tier_up_counters {
        // Functions the cost model keeps from Cranelift never count down.
        let aot = policy::Limits { jit: false, ..limits };
        translation
            .function_bodies
            .iter()
            .map(|(def, body)| {
                let fits = policy::choose(config.strategy, def, &body.features, &aot, true).0 == Tier::Optimized;
                if fits { threshold } else { i32::MAX }
            })
            .collect()
    } else {
        vec![i32::MAX; n]
    };
    let source = tunables.indirect_calls.then(|| TierUpSource {
        hot_after,
        source: function_source.get_or_init(|| Arc::new(FunctionSource::of(wasm.into(), &translation))).clone(),
    });
    Ok(source)
}

/// Does `strategy` interpret defined function `def`?
fn is_interpreted(strategy: Strategy, def: DefinedFuncIndex) -> bool {
    match strategy {
        Strategy::Interpreter => true,
        // Every other function, starting with the first: calls and funcrefs
        // cross tiers both ways in any module with two functions.
        Strategy::Mixed => def.as_u32().is_multiple_of(2),
        Strategy::Auto | Strategy::Optimized | Strategy::Baseline | Strategy::MixedBaseline => false,
    }
}

/// Does the baseline tier compile defined function `def` in the
/// validation pass under `strategy`? In just-in-time mode (`jit`), every
/// function starts in the baseline tier.
fn is_baseline(strategy: Strategy, jit: bool, def: DefinedFuncIndex) -> bool {
    match strategy {
        Strategy::Baseline => true,
        Strategy::Auto => jit,
        Strategy::MixedBaseline => def.as_u32().is_multiple_of(2),
        _ => false,
    }
}

/// How many functions the baseline tier compiled, and how many it passed
/// to the optimizing tier because they use what it does not compile yet,
/// since the process started (all engines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineStats {
    /// Functions compiled by the baseline tier.
    pub compiled: u64,
    /// Functions the baseline tier passed to the optimizing tier.
    pub fell_back: u64,
    /// Why they were passed on (the first thing the tier did not compile
    /// in each, usually an operator's name), with counts, most frequent
    /// first.
    pub reasons: Vec<(String, u64)>,
}

struct AtomicStats {
    compiled: AtomicU64,
    fell_back: AtomicU64,
    reasons: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

static BASELINE_STATS: AtomicStats = AtomicStats {
    compiled: AtomicU64::new(0),
    fell_back: AtomicU64::new(0),
    reasons: std::sync::Mutex::new(std::collections::BTreeMap::new()),
};

/// The process-wide [`BaselineStats`].
pub fn baseline_stats() -> BaselineStats {
    let reasons = BASELINE_STATS.reasons.lock().unwrap_or_else(|e| e.into_inner());
    let mut reasons: Vec<(String, u64)> = reasons.iter().map(|(k, v)| (k.clone(), *v)).collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    BaselineStats {
        compiled: BASELINE_STATS.compiled.load(Ordering::Relaxed),
        fell_back: BASELINE_STATS.fell_back.load(Ordering::Relaxed),
        reasons,
    }
}

/// Translates the interpreted functions as they are validated.
struct InterpHook<'t> {
    strategy: Strategy,
    /// Just-in-time mode: every function starts in the baseline tier.
    jit: bool,
    tunables: &'t Tunables,
    /// The bytecode of the functions this hook translated (made at the
    /// first).
    code: Option<brisk_interp::ModuleCode>,
    /// The translator's buffers, from one function to the next.
    scratch: brisk_interp::Scratch,
    /// The baseline tier, when it compiles in the validation pass.
    baseline: Option<&'t brisk_baseline::BaselineCompiler>,
    /// Its results, by defined index.
    native: Vec<Option<BaselineResult>>,
}

type BaselineResult = Result<CompiledFunction, brisk_baseline::BaselineError>;

impl brisk_environ::BodyHook for InterpHook<'_> {
    fn body(
        &mut self,
        module: &brisk_environ::Module,
        def: DefinedFuncIndex,
        body: &wasmparser::FunctionBody<'_>,
        ops: &mut brisk_environ::ValidatedOps<'_, '_>,
    ) -> Result<(), WasmError> {
        if let Some(b) = self.baseline
            && is_baseline(self.strategy, self.jit, def)
        {
            let mut compiler = b.function_compiler(module, &[], self.tunables, def, body);
            ops.drive(&mut compiler)?;
            self.native.resize_with(def.as_u32() as usize, || None);
            self.native.push(Some(compiler.finish()));
            return Ok(());
        }
        if !is_interpreted(self.strategy, def) {
            return Ok(());
        }
        let strategy = self.strategy;
        let interpreted = move |d: DefinedFuncIndex| is_interpreted(strategy, d);
        let options = brisk_interp::TranslateOptions {
            consume_fuel: self.tunables.consume_fuel,
            epoch_interruption: self.tunables.epoch_interruption,
            interpreted: &interpreted,
        };
        // The module's code so far goes into the translator and comes back
        // whatever happens (a body that Brisk's validator rejected is
        // validated, and translated, again by wasmparser's).
        let code = self.code.get_or_insert_with(|| brisk_interp::ModuleCode::new(module));
        let mut translator = brisk_interp::BodyTranslator::new(module, def, body, &options, &mut self.scratch, code)?;
        let (result, code, scratch) = match ops.drive(&mut translator) {
            Ok(()) => translator.finish(),
            Err(e) => {
                let (code, scratch) = translator.abandon();
                (Err(e), code, scratch)
            }
        };
        self.scratch = scratch;
        self.code = Some(code);
        result
    }
}
