#![allow(unsafe_code, reason = "the executor core reads frames, vmctx fields and linear memory through raw pointers")]

//! The executor: runs bytecode on Brisk's runtime structures.
//!
//! Every opcode has its own handler function; a handler does its work and
//! then dispatches the next instruction itself, by a call in tail position
//! through the [`HANDLERS`] table (threaded code: each handler ends in its
//! own indirect jump, which branch predictors learn per opcode). The hot
//! state (instruction pointer, frame pointer, memory 0's base, the
//! accumulator) travels in argument registers; the rest, the memory's
//! length included (see `Handler`), is in a [`Ctx`].
//!
//! Rust does not promise tail calls, so this dispatch is only used where
//! LLVM's sibling-call optimization reliably turns them into jumps
//! (optimized builds for x86-64 and aarch64, decided by `build.rs`, cfg
//! `brisk_tail_dispatch`); elsewhere, and with `BRISK_INTERP_DISPATCH=loop`
//! at build time, handlers return to a loop that dispatches instead. The
//! handlers are the same code in both.
//!
//! One entry from outside (the host, native code, or a host function
//! called from here) runs until its first frame returns; calls between
//! interpreted functions stay inside, on the [`Stack`]'s own bounded
//! frames. Calls to anything else (native code, host functions) go through
//! [`Host::call`], which the runtime implements with its trap-catching
//! entry, so a trap in native code never unwinds through the executor's
//! frames.
//!
//! The executor trusts its bytecode as native code trusts its machine
//! code: slot indices, branch offsets and vmctx offsets were produced by
//! the translator for this module's layout (an artifact's integrity is
//! the loader's business). What wasm controls is checked: memory and
//! table bounds, null and mistyped funcrefs, stack depth, fuel.

use crate::layout::{self, FuncRecord};
use crate::op::{self, ALL};
use crate::simd;
use brisk_environ::{
    BuiltinFunction, GROW_ERROR, Trap, VMCTX_BUILTINS, VMCTX_RUNTIME_LIMITS, VMCTX_TYPE_IDS, func_ref,
    interp_func_context as ictx, memory_def, runtime_limits, table_def,
};
use std::cell::{Cell, UnsafeCell};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};

/// A frame slot.
type Slot = u128;

/// What the executor needs of the runtime.
pub trait Host {
    /// How a call out failed.
    type Error;

    /// Calls `func_ref` (a `VMFuncRef` whose function is not interpreted)
    /// through its array-ABI entry with `values` (`len` slots, the
    /// arguments; the results on return), catching traps.
    ///
    /// # Safety
    ///
    /// `func_ref` is a live funcref of the store; `values` holds `len`
    /// slots, enough for the function's parameters and results.
    unsafe fn call(
        &mut self,
        func_ref: *const u8,
        caller_vmctx: *mut u8,
        values: *mut Slot,
        len: usize,
    ) -> Result<(), Self::Error>;
}

/// Why execution stopped early.
#[derive(Debug)]
pub enum Unwind<E> {
    /// Interpreted code trapped.
    Trap(Trap),
    /// A call out failed.
    Host(E),
}

/// A failed execution: why, and the interpreted frames that were active,
/// innermost first, as addresses inside the instruction each frame was
/// executing (for backtraces).
#[derive(Debug)]
pub struct Error<E> {
    /// Why.
    pub unwind: Unwind<E>,
    /// The frames' instruction addresses.
    pub frames: Vec<usize>,
}

#[derive(Clone, Copy)]
struct Frame {
    /// Where the caller resumes.
    ip: *const u32,
    fp: *mut Slot,
    vmctx: *mut u8,
    code: *const u32,
}

/// A store's interpreter stack: value slots and call frames, both bounded.
/// Entries from outside (host, native code) nest on it.
pub struct Stack {
    slots: Box<[UnsafeCell<Slot>]>,
    /// First free slot.
    top: Cell<usize>,
    /// Call frames, `depth` of them in use.
    frames: Box<[UnsafeCell<Frame>]>,
    depth: Cell<usize>,
}

// SAFETY: a stack belongs to one store, which is used by one thread at a
// time; the raw pointers in frames point into that store's structures.
unsafe impl Send for Stack {}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack").field("slots", &self.slots.len()).field("top", &self.top.get()).finish()
    }
}

impl Stack {
    /// A stack of `slots` value slots and at most `max_frames` frames.
    /// The memory is allocated zeroed, so pages are only touched when used.
    pub fn new(slots: usize, max_frames: usize) -> Stack {
        let zeroed = Box::<[UnsafeCell<Slot>]>::new_zeroed_slice(slots);
        // SAFETY: an all-zero `UnsafeCell<u128>` is a valid zero.
        let slots = unsafe { zeroed.assume_init() };
        let zeroed = Box::<[UnsafeCell<Frame>]>::new_zeroed_slice(max_frames);
        // SAFETY: a frame is raw pointers: all zero is valid (null).
        let frames = unsafe { zeroed.assume_init() };
        Stack { slots, top: Cell::new(0), frames, depth: Cell::new(0) }
    }
}

/// Reads a `T` from the vmctx (or any structure) at byte offset `off`.
///
/// # Safety
///
/// `base + off` holds a `T`.
#[inline(always)]
unsafe fn field<T: Copy>(base: *const u8, off: u32) -> T {
    // SAFETY: per the contract.
    unsafe { base.add(off as usize).cast::<T>().read() }
}

/// The definition a place word designates.
///
/// # Safety
///
/// `place` was made by the translator for `vmctx`'s module.
#[inline(always)]
unsafe fn resolve(vmctx: *mut u8, place: u32) -> *mut u8 {
    let off = place & !layout::IMPORTED;
    // SAFETY: per the contract, the vmctx field is a definition or an
    // import whose first field points at the definition.
    unsafe {
        if place & layout::IMPORTED != 0 { field::<*mut u8>(vmctx, off) } else { vmctx.add(off as usize) }
    }
}

/// # Safety
///
/// `code` is a module blob and `def` one of its functions.
#[inline(always)]
unsafe fn record(code: *const u32, def: u32) -> FuncRecord {
    // SAFETY: per the contract the record is in the blob.
    let r = unsafe { code.add(layout::record_at(def as usize)) };
    // SAFETY: as above, each field is a word of the record.
    FuncRecord::from_words(|f| unsafe { *r.add(f) })
}

/// Zeroes the slots from `p` up to `end` (the [`op::ZERO`] instruction).
///
/// Slot by slot with volatile writes, which the compiler cannot turn into a
/// call of `memset`: such a call would make the handler save and restore
/// registers around it. On x86-64 a slot is one 16-byte store (a volatile
/// `u128` is two).
///
/// # Safety
///
/// The slots lie in the stack's slots.
#[inline(always)]
unsafe fn zero_slots(mut p: *mut Slot, end: *mut Slot) {
    while p < end {
        // SAFETY: the slots are in the frame, per the contract; slots are
        // 16-byte aligned (`Slot`'s alignment).
        unsafe {
            #[cfg(target_arch = "x86_64")]
            p.cast::<std::arch::x86_64::__m128i>().write_volatile(std::arch::x86_64::_mm_setzero_si128());
            #[cfg(not(target_arch = "x86_64"))]
            p.write_volatile(0);
            p = p.add(1);
        }
    }
}

/// Memory 0's base and length.
///
/// # Safety
///
/// `code` is the blob of `vmctx`'s module.
#[inline(always)]
unsafe fn memory(vmctx: *mut u8, code: *const u32) -> (*mut u8, usize) {
    // SAFETY: per the contract, the place word is the module's memory's.
    unsafe {
        let place = *code.add(layout::MEMORY);
        if place == layout::NO_PLACE {
            return (std::ptr::null_mut(), 0);
        }
        let def = resolve(vmctx, place);
        (field::<*mut u8>(def, memory_def::BASE), field::<usize>(def, memory_def::CURRENT_LENGTH))
    }
}

/// The address of the native stack pointer, roughly.
#[inline(always)]
fn native_sp() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}

/// How an entry's execution ended.
#[derive(Clone, Copy, Debug)]
enum Exit {
    /// The entry frame returned.
    Return,
    /// A trap.
    Trap(Trap),
    /// A call out failed (the error is the host's).
    Host,
}

/// The host of an entry and the error of its failed call out, if any.
struct HostSlot<'h, H: Host> {
    host: &'h mut H,
    error: Option<H::Error>,
}

/// Calls out through the [`HostSlot`] at `host`; on failure keeps the
/// error there and returns false.
///
/// # Safety
///
/// `host` is a live `HostSlot<H>` no reference to which is held; the rest
/// as [`Host::call`].
unsafe fn call_out<H: Host>(host: *mut (), fr: *const u8, vmctx: *mut u8, values: *mut Slot, len: usize) -> bool {
    // SAFETY: per the contract.
    let slot = unsafe { &mut *host.cast::<HostSlot<'_, H>>() };
    // SAFETY: per the contract.
    match unsafe { slot.host.call(fr, vmctx, values, len) } {
        Ok(()) => true,
        Err(e) => {
            slot.error = Some(e);
            false
        }
    }
}

/// The state of an entry beyond the handlers' registers.
struct Ctx {
    /// The current instance and its module's bytecode.
    vmctx: *mut u8,
    code: *const u32,
    /// The next free frame; those below `base_frame` belong to outer
    /// entries. Pointers rather than depths: a call or a return then
    /// needs no index arithmetic, and fewer registers.
    frame_top: *mut Frame,
    base_frame: *mut Frame,
    stack: *const Stack,
    frames: *mut Frame,
    /// Past the last frame.
    frames_end: *mut Frame,
    slots: *mut Slot,
    /// The address past the last slot.
    slots_end: usize,
    /// The entry's [`HostSlot`] and its [`call_out`].
    host: *mut (),
    call_out: unsafe fn(*mut (), *const u8, *mut u8, *mut Slot, usize) -> bool,
    /// How execution ended (once it has).
    exit: Exit,
    /// The registers when execution stopped, at a call out, and (loop
    /// dispatch) between instructions.
    ip: *const u32,
    fp: *mut Slot,
    mem_base: *mut u8,
    /// The length of the memory in use, kept here at all times (not in a
    /// register: see [`Handler`]), read by every access's bounds check.
    mem_len: usize,
    /// The accumulator (loop dispatch: between instructions).
    #[cfg_attr(brisk_tail_dispatch, allow(dead_code))]
    acc: u64,
}

impl Ctx {
    /// Whether a frame of `slots` slots at `fp` lies in the stack's slots.
    #[inline(always)]
    fn frame_fits(&self, fp: *mut Slot, slots: u32) -> bool {
        fp as usize + slots as usize * size_of::<Slot>() <= self.slots_end
    }

    /// The frames of this entry, innermost first.
    fn backtrace(&self) -> Vec<usize> {
        let mut out = Vec::new();
        if self.ip.is_null() {
            return out;
        }
        // One byte into the instruction: inside it whether read as a pc or
        // as a return address (less one).
        out.push(self.ip as usize + 1);
        let mut f = self.frame_top;
        while f > self.base_frame {
            // SAFETY: frames from `base_frame` up to `frame_top` were
            // written by calls of this entry and are only touched by this
            // thread.
            unsafe {
                f = f.sub(1);
                out.push(f.read().ip as usize - 1);
            }
        }
        out
    }
}

/// Calls interpreted function `ctx` (an `interp_func_context`) with
/// `values` (`len` slots: its arguments, then its results).
///
/// # Safety
///
/// `ctx` is a live interpreted function's context whose instance belongs
/// to the store `stack` belongs to; `values` holds `len` slots, at least
/// its parameter and result counts; no other thread uses the store.
pub unsafe fn call<H: Host>(
    stack: &Stack,
    host: &mut H,
    ctx: *const u8,
    values: *mut Slot,
    len: usize,
) -> Result<(), Error<H::Error>> {
    // SAFETY: per the contract, `ctx` is an interpreted function's context.
    let (vmctx, code, def) = unsafe {
        (field::<*mut u8>(ctx, ictx::VMCTX), field::<*const u32>(ctx, ictx::CODE), field::<u32>(ctx, ictx::FUNC))
    };
    let entry_top = stack.top.get();
    let base_depth = stack.depth.get();
    let frames = UnsafeCell::raw_get(stack.frames.as_ptr());
    // In bounds: the depth of an entry is at most the number of frames.
    let base_frame = frames.wrapping_add(base_depth);
    let mut slot = HostSlot { host, error: None };
    let mut cx = Ctx {
        vmctx,
        code,
        frame_top: base_frame,
        base_frame,
        stack,
        frames,
        frames_end: UnsafeCell::raw_get(stack.frames.as_ptr_range().end),
        slots: UnsafeCell::raw_get(stack.slots.as_ptr()),
        slots_end: stack.slots.as_ptr_range().end as usize,
        host: (&raw mut slot).cast(),
        call_out: call_out::<H>,
        exit: Exit::Return,
        ip: std::ptr::null(),
        fp: std::ptr::null_mut(),
        mem_base: std::ptr::null_mut(),
        mem_len: 0,
        acc: 0,
    };
    // SAFETY: per the contract.
    let exit = unsafe { enter(&mut cx, def, values, len) };
    let r = match exit {
        Exit::Return => Ok(()),
        Exit::Trap(t) => Err(Error { unwind: Unwind::Trap(t), frames: cx.backtrace() }),
        Exit::Host => {
            let unwind = slot.error.take().map_or(Unwind::Trap(Trap::HostError), Unwind::Host);
            Err(Error { unwind, frames: cx.backtrace() })
        }
    };
    // This entry's frames are dropped.
    stack.depth.set(base_depth);
    stack.top.set(entry_top);
    #[cfg(brisk_interp_profile)]
    if base_depth == 0 {
        profile::dump();
    }
    r
}

/// Profiling builds (`BRISK_INTERP_PROFILE=1` at build time): counts of
/// executed opcodes and of consecutive pairs of them (per thread), which
/// choose fused instructions and pairs. Each outermost entry that ends
/// appends the counts so far to the file named by `BRISK_INTERP_PROFILE`
/// at run time (and starts again): lines of `count first second`, the
/// most frequent pairs first, then `count opcode -` per opcode.
#[cfg(brisk_interp_profile)]
mod profile {
    use super::ALL;
    use crate::op;
    use std::cell::RefCell;

    struct Counts {
        prev: u32,
        pairs: Vec<u64>,
    }

    thread_local! {
        static COUNTS: RefCell<Counts> = RefCell::new(Counts { prev: 0, pairs: vec![0; (ALL * ALL) as usize] });
    }

    pub(super) fn count(op: u32) {
        COUNTS.with_borrow_mut(|c| {
            c.pairs[(c.prev * ALL + op) as usize] += 1;
            c.prev = op;
        });
    }

    pub(super) fn dump() {
        let Some(path) = std::env::var_os("BRISK_INTERP_PROFILE") else { return };
        let name = |o: u32| match (op::name(o), op::acc_word(o)) {
            (Some(n), 0) => n.to_string(),
            (Some(n), k) => format!("{n}@acc{k}"),
            (None, _) => format!("?{o}"),
        };
        let mut out = String::new();
        COUNTS.with_borrow_mut(|c| {
            let mut pairs: Vec<(u64, u32, u32)> = c
                .pairs
                .iter()
                .enumerate()
                .filter(|(_, n)| **n != 0)
                .map(|(i, n)| (*n, i as u32 / ALL, i as u32 % ALL))
                .collect();
            pairs.sort_unstable_by(|a, b| b.cmp(a));
            let mut single = vec![0u64; ALL as usize];
            for &(n, _, b) in &pairs {
                single[b as usize] += n;
            }
            for &(n, a, b) in &pairs {
                out += &format!("{n} {} {}\n", name(a), name(b));
            }
            let mut single: Vec<(u64, u32)> =
                single.into_iter().enumerate().filter(|(_, n)| *n != 0).map(|(o, n)| (n, o as u32)).collect();
            single.sort_unstable_by(|a, b| b.cmp(a));
            for (n, o) in single {
                out += &format!("{n} {} -\n", name(o));
            }
            c.pairs.fill(0);
        });
        use std::io::Write;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Err(e) = file.and_then(|mut f| f.write_all(out.as_bytes())) {
            eprintln!("brisk-interp: cannot write the profile: {e}");
        }
    }
}

/// Runs function `def` of the current module with arguments from
/// `values`, leaving its results there.
///
/// # Safety
///
/// As [`call`], whose context `cx` is.
unsafe fn enter(cx: &mut Ctx, def: u32, values: *mut Slot, len: usize) -> Exit {
    // SAFETY: per `call`'s contract, `vmctx` is a live instance's.
    let limits = unsafe { field::<*const u8>(cx.vmctx, VMCTX_RUNTIME_LIMITS) };
    // SAFETY: as above; the limit is a plain field.
    let stack_limit = unsafe { field::<usize>(limits, runtime_limits::STACK_LIMIT) };
    if native_sp() < stack_limit {
        return Exit::Trap(Trap::StackOverflow);
    }
    // SAFETY: `def` is interpreted in the current module per `call`'s
    // contract.
    let rec = unsafe { record(cx.code, def) };
    // SAFETY: the stack outlives the entry.
    let start = unsafe { (*cx.stack).top.get() };
    let fp = cx.slots.wrapping_add(start);
    if !cx.frame_fits(fp, rec.frame) {
        return Exit::Trap(Trap::StackOverflow);
    }
    // SAFETY: the frame is inside the slots (checked); `values` holds
    // `len >= params` slots per the contract; `vmctx`/`code` are a pair.
    unsafe {
        cx.fp = fp;
        std::ptr::copy_nonoverlapping(values, cx.fp, rec.params as usize);
        cx.ip = cx.code.add(rec.code as usize);
        (cx.mem_base, cx.mem_len) = memory(cx.vmctx, cx.code);
    }
    // SAFETY: the context is a valid state of a frame of `def`.
    unsafe { execute(cx) };
    if let Exit::Return = cx.exit {
        // SAFETY: the finished frame holds the results in its first slots,
        // and `values` has room for them.
        unsafe { std::ptr::copy_nonoverlapping(cx.fp, values, (rec.results as usize).min(len)) };
    }
    cx.exit
}

/// What a twin's dead parts write to their slots in checking builds (see
/// `put!` and build.rs), instead of nothing.
#[cfg(brisk_interp_poison)]
const DEAD_SLOT_POISON: u64 = 0xdead_5107_dead_5107;

/// Whether this build dispatches by tail calls (rather than a loop).
pub const TAIL_DISPATCH: bool = cfg!(brisk_tail_dispatch);

/// A handler's verdict: go on with the next instruction (loop dispatch
/// only: the registers are in the context) or stop (`Ctx::exit` says why).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    #[cfg_attr(brisk_tail_dispatch, allow(dead_code))]
    Continue,
    Stop,
}

/// An instruction's handler: `(ip, fp, mem_base, -, cx, acc)`. The fourth
/// argument carries nothing: on x86-64 it is `rcx`, which a shift needs for
/// its count, and a live value there took three moves around every shift
/// (the memory's length, `Ctx::mem_len`, was there; an access now compares
/// with it in memory, in as many instructions).
type Handler = unsafe fn(*const u32, *mut Slot, *mut u8, MaybeUninit<usize>, *mut Ctx, u64) -> Flow;

/// Executes from the context's registers until the entry frame returns,
/// a trap or a failed call out.
///
/// # Safety
///
/// The registers are a valid state of a frame on this entry's stack.
unsafe fn execute(cx: &mut Ctx) {
    let cx: *mut Ctx = cx;
    // SAFETY: per the contract; the translator only emits opcodes below
    // `ALL` (and an artifact's bytecode is covered by its checksum).
    unsafe {
        #[cfg(brisk_tail_dispatch)]
        {
            let ip = (*cx).ip;
            let handler = *HANDLERS.get_unchecked(*ip as usize);
            handler(ip, (*cx).fp, (*cx).mem_base, MaybeUninit::uninit(), cx, 0);
        }
        #[cfg(not(brisk_tail_dispatch))]
        loop {
            let ip = (*cx).ip;
            #[cfg(brisk_interp_profile)]
            profile::count(*ip);
            let handler = *HANDLERS.get_unchecked(*ip as usize);
            if handler(ip, (*cx).fp, (*cx).mem_base, MaybeUninit::uninit(), cx, (*cx).acc) == Flow::Stop {
                break;
            }
        }
    }
}

/// Goes on with the instruction at `ip`: a tail call to its handler.
#[cfg(brisk_tail_dispatch)]
macro_rules! dispatch {
    ($ip:expr, $fp:expr, $mem_base:expr, $cx:expr, $acc:expr) => {{
        let op = *$ip;
        std::hint::assert_unchecked(op < ALL);
        return (*HANDLERS.get_unchecked(op as usize))($ip, $fp, $mem_base, MaybeUninit::uninit(), $cx, $acc);
    }};
}

/// Goes on with the instruction at `ip`: back to the loop in [`execute`].
#[cfg(not(brisk_tail_dispatch))]
macro_rules! dispatch {
    ($ip:expr, $fp:expr, $mem_base:expr, $cx:expr, $acc:expr) => {{
        (*$cx).ip = $ip;
        (*$cx).fp = $fp;
        (*$cx).mem_base = $mem_base;
        (*$cx).acc = $acc;
        return Flow::Continue;
    }};
}

/// The helpers of handler bodies, over the handler's registers (named by
/// the caller, so that the bodies it writes see the same variables).
/// `get!` of operand word `kw` (`K`, the handler's accumulator variant)
/// reads the accumulator; `put!` writes the result to its slot and the
/// accumulator.
macro_rules! helpers {
    ($d:tt [$ip:ident $fp:ident $mem_base:ident $cx:ident $acc:ident $kw:ident $kin:ident $acc_in:ident $vmctx:ident $code:ident $dead:ident $mask:ident]) => {
        macro_rules! w {
            ($d i:expr) => {
                *$ip.add($d i)
            };
        }
        macro_rules! slot {
            ($d i:expr) => {
                $fp.byte_add(*$ip.add($d i) as usize)
            };
        }
        macro_rules! get {
            ($d t:ty, $d i:expr) => {
                if $kw == $d i {
                    <$d t as Acc>::from_acc($acc)
                } else if $kin == $d i {
                    <$d t as Acc>::from_acc($acc_in)
                } else {
                    slot!($d i).cast::<$d t>().read()
                }
            };
        }
        /// A scalar narrower than 64 bits is written as 64 (its
        /// accumulator bits): a later read of 8 or 16 bytes (a copy, a
        /// return) must find a store as wide as itself to be forwarded
        /// from, or it waits for the store to reach the cache.
        macro_rules! put {
            ($d t:ty, $d i:expr, $d v:expr) => {{
                let v: $d t = $d v;
                $acc = <$d t as Acc>::to_acc(v);
                if $dead {
                    // A dead part of a twin: nothing reads the slot again
                    // before it is written. Checking builds (build.rs)
                    // poison it instead, so that a translator wrong about
                    // that shows as a wrong result.
                    #[cfg(brisk_interp_poison)]
                    slot!($d i).cast::<u64>().write(DEAD_SLOT_POISON);
                } else if size_of::<$d t>() < 8 {
                    slot!($d i).cast::<u64>().write($acc)
                } else {
                    slot!($d i).cast::<$d t>().write(v)
                }
            }};
        }
        /// Saves the registers for a call out (backtraces, nested entries).
        macro_rules! sync {
            () => {
                (*$cx).ip = $ip;
                (*$cx).fp = $fp;
            };
        }
        /// Stops with a trap. A cold path: LLVM then lays out the
        /// handler's common case as the fall-through, with no taken
        /// branch before the dispatch.
        macro_rules! trap {
            ($d t:expr) => {{
                std::hint::cold_path();
                sync!();
                (*$cx).exit = Exit::Trap($d t);
                return Flow::Stop;
            }};
        }
        macro_rules! un {
            ($d t:ty => $d r:ty, |$d a:ident| $d e:expr) => {{
                let $d a = get!($d t, 2);
                put!($d r, 1, $d e);
                $ip = $ip.add(3);
            }};
        }
        macro_rules! bin {
            ($d t:ty => $d r:ty, |$d a:ident, $d b:ident| $d e:expr) => {{
                let $d a = get!($d t, 2);
                let $d b = get!($d t, 3);
                put!($d r, 1, $d e);
                $ip = $ip.add(4);
            }};
        }
        macro_rules! bin_i {
            ($d t:ty => $d r:ty, |$d a:ident, $d b:ident| $d e:expr) => {{
                let $d a = get!($d t, 2);
                let $d b = <$d t as Imm>::imm(w!(3));
                put!($d r, 1, $d e);
                $ip = $ip.add(4);
            }};
        }
        macro_rules! cmp_i {
            ($d t:ty, |$d a:ident, $d b:ident| $d e:expr) => {
                bin_i!($d t => u32, |$d a, $d b| u32::from($d e))
            };
        }
        /// A fused compare-and-branch: `op a b rel`.
        macro_rules! br_cmp {
            ($d t:ty, |$d a:ident, $d b:ident| $d e:expr) => {{
                let $d a = get!($d t, 1);
                let $d b = get!($d t, 2);
                $ip = if $d e { $ip.add(3).offset(w!(3) as i32 as isize) } else { $ip.add(4) };
            }};
        }
        /// A fused compare-and-branch with an immediate: `op a imm rel`.
        macro_rules! br_cmp_i {
            ($d t:ty, |$d a:ident, $d b:ident| $d e:expr) => {{
                let $d a = get!($d t, 1);
                let $d b = <$d t as Imm>::imm(w!(2));
                $ip = if $d e { $ip.add(3).offset(w!(3) as i32 as isize) } else { $ip.add(4) };
            }};
        }
        macro_rules! cmp {
            ($d t:ty, |$d a:ident, $d b:ident| $d e:expr) => {
                bin!($d t => u32, |$d a, $d b| u32::from($d e))
            };
        }
        /// A pair's second part (its single instruction number `part`,
        /// from 0, a constant expression): its body with its own accumulator word, writing its
        /// slot unless the twin leaves that out.
        macro_rules! then {
            ($d k:literal, $d part:expr, $d($d body:tt)*) => {{
                // An assignment, not a new binding: one made here would be
                // hygienic, invisible to `get!`.
                $kw = $d k & 3;
                $kin = $d k >> 2;
                // `part` is evaluated at compile time: `op::parts` is
                // recursive, and a call of it left to LLVM stayed a call
                // in every triple's handler (18% of zlib's run time).
                $dead = $mask >> const { $d part } & 1 != 0;
                $d($d body)*
            }};
        }
        /// The bodies of the instructions that pairs are made of (see
        /// `pair_handlers!`), by opcode: one definition for the single
        /// instruction's handler and the pairs'.
        macro_rules! body {
            (BR) => { $ip = $ip.add(1).offset(w!(1) as i32 as isize) };
            (BR_IF_NEZ) => {{
                if get!(u32, 1) != 0 {
                    $ip = $ip.add(2).offset(w!(2) as i32 as isize);
                } else {
                    $ip = $ip.add(3);
                }
            }};
            (BR_IF_EQZ) => {{
                if get!(u32, 1) == 0 {
                    $ip = $ip.add(2).offset(w!(2) as i32 as isize);
                } else {
                    $ip = $ip.add(3);
                }
            }};
            (BR_TABLE) => {{
                let n = w!(2);
                let i = get!(u32, 1).min(n) as usize;
                let at = $ip.add(3 + i);
                $ip = at.offset(*at as i32 as isize);
            }};
            (RET1_32) => {{
                // As wide as `put!` writes.
                let v = u64::from(get!(u32, 1));
                $fp.cast::<u64>().write(v);
                ret!()
            }};
            (CALL) => { call_interp!(w!(1), w!(2) as usize, $ip.add(3), $vmctx, $code) };
            (COPY) => {{
                put!(Slot, 1, get!(Slot, 2));
                $ip = $ip.add(3);
            }};
            (COPY_PAIR) => {{
                put!(Slot, 1, get!(Slot, 2));
                put!(Slot, 3, get!(Slot, 4));
                $ip = $ip.add(5);
            }};
            (I32_ADD_SHL) => {{
                let (a, b) = (get!(u32, 2), get!(u32, 3));
                put!(u32, 1, a.wrapping_add(b.wrapping_shl(w!(4))));
                $ip = $ip.add(5);
            }};
            (CONST32) => {{
                put!(u64, 1, u64::from(w!(2)));
                $ip = $ip.add(3);
            }};
            (SELECT) => {{
                let v = if get!(u32, 2) != 0 { get!(Slot, 3) } else { get!(Slot, 4) };
                put!(Slot, 1, v);
                $ip = $ip.add(5);
            }};
            (GLOBAL_GET32) => {{
                let g = resolve($vmctx, w!(2));
                put!(u32, 1, g.cast::<u32>().read());
                $ip = $ip.add(3);
            }};
            (GLOBAL_SET32) => {{
                let g = resolve($vmctx, w!(1));
                g.cast::<u32>().write(get!(u32, 2));
                $ip = $ip.add(3);
            }};
            (I32_LOAD) => { load!(u32 => u32) };
            (I64_LOAD) => { load!(u64 => u64) };
            (I32_LOAD8_U) => { load!(u8 => u32) };
            (I32_LOAD16_U) => { load!(u16 => u32) };
            (I64_LOAD8_U) => { load!(u8 => u64) };
            (I32_LOAD_XI) => { load_x!(u32 => u32, true) };
            (I32_LOAD8_U_X) => { load_x!(u8 => u32, false) };
            (I32_LOAD8_U_XI) => { load_x!(u8 => u32, true) };
            (STORE8) => { store!(u8) };
            (STORE32) => { store!(u32) };
            (STORE64) => { store!(u64) };
            (I32_LT_U) => { cmp!(u32, |a, b| a < b) };
            (I32_ADD) => { bin!(u32 => u32, |a, b| a.wrapping_add(b)) };
            (I32_SUB) => { bin!(u32 => u32, |a, b| a.wrapping_sub(b)) };
            (I32_MUL) => { bin!(u32 => u32, |a, b| a.wrapping_mul(b)) };
            (I32_AND) => { bin!(u32 => u32, |a, b| a & b) };
            (I32_XOR) => { bin!(u32 => u32, |a, b| a ^ b) };
            (F64_ADD) => { bin!(f64 => f64, |a, b| a + b) };
            (F64_MUL) => { bin!(f64 => f64, |a, b| a * b) };
            (I32_ADD_I) => { bin_i!(u32 => u32, |a, b| a.wrapping_add(b)) };
            (I32_SUB_I) => { bin_i!(u32 => u32, |a, b| a.wrapping_sub(b)) };
            (I32_MUL_I) => { bin_i!(u32 => u32, |a, b| a.wrapping_mul(b)) };
            (I32_AND_I) => { bin_i!(u32 => u32, |a, b| a & b) };
            (I32_SHL_I) => { bin_i!(u32 => u32, |a, b| a.wrapping_shl(b)) };
            (I32_SHR_U_I) => { bin_i!(u32 => u32, |a, b| a.wrapping_shr(b)) };
            (I64_SHL_I) => { bin_i!(u64 => u64, |a, b| a.wrapping_shl(b as u32)) };
            (BR_I32_NE) => { br_cmp!(u32, |a, b| a != b) };
            (BR_I32_LT_S) => { br_cmp!(i32, |a, b| a < b) };
            (BR_I32_LT_U) => { br_cmp!(u32, |a, b| a < b) };
            (BR_I32_GE_U) => { br_cmp!(u32, |a, b| a >= b) };
            (BR_I32_NE_I) => { br_cmp_i!(u32, |a, b| a != b) };
            (BR_I32_GT_U_I) => { br_cmp_i!(u32, |a, b| a > b) };
            (I64_OR) => { bin!(u64 => u64, |a, b| a | b) };
            (I32_LT_U_I) => { cmp_i!(u32, |a, b| a < b) };
            (I32_XOR_I) => { bin_i!(u32 => u32, |a, b| a ^ b) };
            (I32_SHL) => { bin!(u32 => u32, |a, b| a.wrapping_shl(b)) };
            (I32_GT_S) => { cmp!(i32, |a, b| a > b) };
            (I32_GT_U) => { cmp!(u32, |a, b| a > b) };
            (SELECT_AI) => {{
                let v = if get!(u32, 2) != 0 { Slot::from(w!(3)) } else { get!(Slot, 4) };
                put!(Slot, 1, v);
                $ip = $ip.add(5);
            }};
            (STORE16) => { store!(u16) };
            (BR_AND_NEZ_I) => { br_cmp_i!(u32, |a, b| a & b != 0) };
            (I64_ADD_I) => { bin_i!(u64 => u64, |a, b| a.wrapping_add(b)) };
            (I32_RSUB_I) => { bin_i!(u32 => u32, |a, b| b.wrapping_sub(a)) };
            (BR_I32_GT_S) => { br_cmp!(i32, |a, b| a > b) };
            (BR_I32_EQ) => { br_cmp!(u32, |a, b| a == b) };
            (I32_LOAD16_U_XI) => { load_x!(u16 => u32, true) };
            (I32_LOAD_X) => { load_x!(u32 => u32, false) };
            (BR_I32_LT_S_I) => { br_cmp_i!(i32, |a, b| a < b) };
            // A pair as the first part of a longer one.
            ($d pair:ident) => { pair_body!($d pair) };
        }
        op::pair_ops!(pair_bodies);
        /// Four words from word `$d i` on, as a `u128` (little-endian).
        macro_rules! w128 {
            ($d i:expr) => {
                (0..4).fold(0u128, |v, k| v | u128::from(w!($d i + k)) << (32 * k))
            };
        }
        /// The address of an `$d n`-byte access whose last byte is at
        /// `$d last` in the memory in use, bounds-checked. The offset
        /// words of accesses are their last byte's (see `op::I32_LOAD`),
        /// so the check is one comparison, and the `n - 1` taken back is
        /// a constant of the address mode. A sum of a 32-bit address and
        /// a 32-bit word cannot wrap a `usize`; `last >= n - 1` holds as
        /// the word is at least `n - 1`.
        macro_rules! checked {
            ($d last:expr, $d n:expr) => {{
                let last: usize = $d last;
                if last >= (*$cx).mem_len {
                    trap!(Trap::MemoryOutOfBounds);
                }
                $mem_base.add(last).sub($d n - 1)
            }};
        }
        /// The address of an `$d n`-byte access at `addr slot + offset`.
        macro_rules! addr {
            ($d addr:expr, $d off:expr, $d n:expr) => {
                checked!(get!(u32, $d addr) as usize + w!($d off) as usize, $d n)
            };
        }
        /// Loads a `$d t` at `$d p` into the result slot as a `$d r`, and
        /// steps over the instruction's `$d len` words.
        macro_rules! load_at {
            ($d p:expr, $d t:ty => $d r:ty, $d len:expr) => {{
                let p = $d p;
                put!($d r, 1, p.cast::<$d t>().read_unaligned() as $d r);
                $ip = $ip.add($d len);
            }};
        }
        macro_rules! load {
            ($d t:ty => $d r:ty) => {
                load_at!(addr!(2, 3, size_of::<$d t>()), $d t => $d r, 4)
            };
        }
        /// A load at `a + b` (`$d imm`: `a + imm`): `dst a b offset`.
        macro_rules! load_x {
            ($d t:ty => $d r:ty, $d imm:expr) => {{
                let b: u32 = if $d imm { w!(3) } else { get!(u32, 3) };
                let ea = get!(u32, 2).wrapping_add(b) as usize + w!(4) as usize;
                load_at!(checked!(ea, size_of::<$d t>()), $d t => $d r, 5)
            }};
        }
        /// Stores `$d v`, a `$d t`, at `addr slot + offset`: `addr _ offset`.
        macro_rules! store_value {
            ($d t:ty, $d v:expr) => {{
                let p = addr!(1, 3, size_of::<$d t>());
                p.cast::<$d t>().write_unaligned($d v);
                $ip = $ip.add(4);
            }};
        }
        macro_rules! store {
            ($d t:ty) => {
                store_value!($d t, get!($d t, 2))
            };
        }
        macro_rules! store_i {
            ($d t:ty) => {
                store_value!($d t, <$d t as Imm>::imm(w!(2)))
            };
        }
        macro_rules! builtin {
            ($d b:expr, fn($d ($d t:ty),*) -> $d r:ty) => {{
                let table = field::<*const usize>($vmctx, VMCTX_BUILTINS);
                let f: unsafe extern "C" fn(*mut u8, $d ($d t),*) -> $d r =
                    std::mem::transmute(*table.add($d b as usize));
                f
            }};
        }
        macro_rules! limits {
            () => {
                field::<*mut u8>($vmctx, VMCTX_RUNTIME_LIMITS)
            };
        }
        macro_rules! check_ok {
            ($d ok:expr, $d trap:expr) => {
                if $d ok == 0 {
                    trap!($d trap);
                }
            };
        }
        /// Returns from the current frame, whose results are in place.
        macro_rules! ret {
            () => {{
                // No instruction reads the accumulator after a call: free
                // its register.
                $acc = 0;
                let top = (*$cx).frame_top;
                if top == (*$cx).base_frame {
                    sync!();
                    (*$cx).exit = Exit::Return;
                    return Flow::Stop;
                }
                let top = top.sub(1);
                (*$cx).frame_top = top;
                let f = top.read();
                $ip = f.ip;
                $fp = f.fp;
                // A callee of this instance kept the memory registers up to
                // date (growth included); another instance's may have grown
                // this one's memory (if it shares it).
                switch_instance!(f.vmctx, f.code);
            }};
        }
        /// Switches to instance `$d vmctx` of module `$d code` if it is
        /// another one.
        macro_rules! switch_instance {
            ($d vm:expr, $d c:expr) => {
                if $vmctx != $d vm {
                    $vmctx = $d vm;
                    $code = $d c;
                    (*$cx).vmctx = $vmctx;
                    (*$cx).code = $code;
                    ($mem_base, (*$cx).mem_len) = memory($vmctx, $code);
                }
            };
        }
        /// Opens a frame for interpreted `$d def` of module `$d code`
        /// with instance `$d vmctx` at slot `base` of the current frame,
        /// returning to `$d ret`.
        macro_rules! call_interp {
            ($d def:expr, $d base:expr, $d ret:expr, $d vm:expr, $d c:expr) => {{
                // The callee's first instruction reads no accumulator.
                $acc = 0;
                let top = (*$cx).frame_top;
                if top == (*$cx).frames_end {
                    trap!(Trap::StackOverflow);
                }
                let rec = record($d c, $d def);
                let new_fp = $fp.byte_add($d base);
                if !(*$cx).frame_fits(new_fp, rec.frame) {
                    trap!(Trap::StackOverflow);
                }
                top.write(Frame { ip: $d ret, fp: $fp, vmctx: $vmctx, code: $code });
                (*$cx).frame_top = top.add(1);
                $fp = new_fp;
                switch_instance!($d vm, $d c);
                $ip = $code.add(rec.code as usize);
            }};
        }
        /// Calls the funcref `$d fr` with values at the slot of operand
        /// word `$d base`, `$d len` of them (a word too); the instruction
        /// is `$d next` words long.
        macro_rules! call_func_ref {
            ($d fr:expr, $d base:literal, $d len:literal, $d next:literal) => {{
                let fr: *const u8 = $d fr;
                let callee = field::<*mut u8>(fr, func_ref::VMCTX);
                if !callee.is_null() && field::<u32>(callee, ictx::MAGIC) == ictx::MAGIC_VALUE {
                    let def = field::<u32>(callee, ictx::FUNC);
                    let cvm = field::<*mut u8>(callee, ictx::VMCTX);
                    let ccode = field::<*const u32>(callee, ictx::CODE);
                    call_interp!(def, w!($d base) as usize, $ip.add($d next), cvm, ccode);
                } else {
                    // The funcref goes in the accumulator's place, which no
                    // instruction reads after a call.
                    return call_out_handler::<$d base, $d len, $d next>($ip, $fp, $mem_base, MaybeUninit::uninit(), $cx, fr as usize as u64);
                }
            }};
        }
    };
}

/// The call out of a call instruction whose callee is not interpreted
/// (`call_func_ref!`): a handler of its own, which the instruction's handler
/// tail-calls with the funcref `fr` in the accumulator's place, so that the
/// registers the call out needs are saved here, not on entry to every
/// handler that may call (they were: seven pushes and pops in
/// `CALL_INDIRECT`'s handler, whose callee is almost always interpreted).
/// Operand words `BASE` and `LEN` are the values' slot and count; the
/// instruction is `NEXT` words long.
///
/// # Safety
///
/// As a handler's, at a call instruction of that layout; `fr` is a live
/// funcref whose function is not interpreted.
#[inline(never)]
unsafe fn call_out_handler<const BASE: usize, const LEN: usize, const NEXT: usize>(
    ip: *const u32,
    fp: *mut Slot,
    _mem_base: *mut u8,
    _: MaybeUninit<usize>,
    cx: *mut Ctx,
    fr: u64,
) -> Flow {
    // SAFETY: per the contract: the operand words are the instruction's,
    // the values lie in the frame, and the stack outlives the entry.
    unsafe {
        let fr = fr as usize as *const u8;
        let (vmctx, code) = ((*cx).vmctx, (*cx).code);
        (*cx).ip = ip;
        (*cx).fp = fp;
        let values = fp.byte_add(*ip.add(BASE) as usize);
        let len = *ip.add(LEN) as usize;
        let stack = &*(*cx).stack;
        let saved_top = stack.top.get();
        stack.top.set(values.offset_from((*cx).slots) as usize + len);
        stack.depth.set((*cx).frame_top.offset_from((*cx).frames) as usize);
        let ok = ((*cx).call_out)((*cx).host, fr, vmctx, values, len);
        stack.top.set(saved_top);
        if !ok {
            (*cx).exit = Exit::Host;
            return Flow::Stop;
        }
        // The callee may have grown the memory.
        let mem_base;
        (mem_base, (*cx).mem_len) = memory(vmctx, code);
        let ip = ip.add(NEXT);
        dispatch!(ip, fp, mem_base, cx, 0)
    }
}

/// Puts the handler of opcode `$name`'s twin `$dead` (0: the opcode
/// itself) in table `$t` at opcode `$op` (by default the pair's twin), and
/// its accumulator variants'.
macro_rules! fill_variants {
    ($t:ident, $name:ident, $dead:literal) => {
        fill_variants!($t, $name, $dead, op::twin(op::$name, $dead))
    };
    ($t:ident, $name:ident, $dead:literal, $op:expr) => {{
        let op = $op;
        let sources = op::acc_sources(op::$name);
        $t[op as usize] = $name::<0, $dead>;
        if sources & 1 << 1 != 0 {
            $t[op::with_acc(op, 1) as usize] = $name::<1, $dead>;
        }
        if sources & 1 << 2 != 0 {
            $t[op::with_acc(op, 2) as usize] = $name::<2, $dead>;
        }
        if sources & 1 << 3 != 0 {
            $t[op::with_acc(op, 3) as usize] = $name::<3, $dead>;
        }
    }};
}

/// Defines, in module `$module`, a handler per opcode from its body, and
/// `fill`, which puts them in a table. A body updates the registers (`ip`
/// past its instruction, or to a branch's target) and falls through to the
/// dispatch of the next instruction, or stops with `trap!`/`return`.
macro_rules! handlers {
    ($d:tt $module:ident [$ip:ident $fp:ident $mem_base:ident $cx:ident $acc:ident $kw:ident $kin:ident $acc_in:ident $vmctx:ident $code:ident $dead:ident $mask:ident]
     $($name:ident => $body:block)*) => {
        #[allow(non_snake_case)]
        mod $module {
            use super::*;
            $(
                /// The handler of [`op::$name`], and with `K` > 0 of its
                /// variant that reads operand word `K` from the accumulator.
                ///
                /// # Safety
                ///
                /// The registers and `cx` are a valid state of a frame of
                /// this entry, at an instruction with this opcode; for a
                /// variant, `acc` holds the value of operand `K`.
                #[allow(unused_mut, unused_variables, unused_assignments, unused_macros, unreachable_code, clippy::all)]
                pub(super) unsafe fn $name<const K: usize, const D: u32>(
                    mut $ip: *const u32,
                    mut $fp: *mut Slot,
                    mut $mem_base: *mut u8,
                    _: MaybeUninit<usize>,
                    $cx: *mut Ctx,
                    mut $acc: u64,
                ) -> Flow {
                    // SAFETY: handlers rely on the translator's invariants:
                    // the code of each function is a valid instruction
                    // sequence whose slot operands are below its frame size,
                    // whose branch offsets land on instructions of the same
                    // function and whose vmctx offsets and place words are
                    // those of its module's layout; the frame was checked to
                    // fit the slots when it was opened. Memory and table
                    // accesses are bounds-checked against the definitions'
                    // current lengths.
                    unsafe {
                        let mut $vmctx: *mut u8 = (*$cx).vmctx;
                        let mut $code: *const u32 = (*$cx).code;
                        // Which parts of a twin write their results to the
                        // accumulator only (see `op::dead_parts`; `then!`
                        // sets `dead` for each part).
                        let $mask: u32 = D;
                        let mut $dead = D & 1 != 0;
                        // The operand word read from the accumulator (a
                        // pair's body sets it again for its second part).
                        let mut $kw: usize = K;
                        // The operand word of a pair's second part that
                        // reads the accumulator as it was when the handler
                        // began, before the first part replaced it (a
                        // pass-through pair, see `op::pair_ops!`; 0: none).
                        let mut $kin: usize = 0;
                        let $acc_in: u64 = $acc;
                        helpers!($d [$ip $fp $mem_base $cx $acc $kw $kin $acc_in $vmctx $code $dead $mask]);
                        $body
                        dispatch!($ip, $fp, $mem_base, $cx, $acc)
                    }
                }
            )*

            /// Puts these handlers, and their accumulator variants', in `t`.
            pub(super) const fn fill(t: &mut [Handler; ALL as usize]) {
                $(fill_variants!(t, $name, 0);)*
            }

            /// Puts the handlers of these pairs' twins (see
            /// [`op::dead_parts`]), and their accumulator variants', in `t`.
            #[allow(dead_code)]
            pub(super) const fn fill_twins(t: &mut [Handler; ALL as usize]) {
                $(
                    fill_variants!(t, $name, 1);
                    fill_variants!(t, $name, 2);
                    fill_variants!(t, $name, 3);
                    if op::parts(op::$name) > 2 {
                        fill_variants!(t, $name, 4);
                        fill_variants!(t, $name, 5);
                        fill_variants!(t, $name, 6);
                        fill_variants!(t, $name, 7);
                    }
                )*
            }
        }
    };
}

/// The bodies of the pairs of [`op::pair_ops!`]: the first part's body
/// (itself a pair's, for a longer one), then the second's, whose
/// accumulator word `kw` is the pair's.
macro_rules! pair_bodies {
    ($($name:ident = $a:ident, $b:ident, $k:literal;)*) => {
        macro_rules! pair_body {
            $(($name) => {{ body!($a); then!($k, op::parts(op::$a), body!($b)) }};)*
        }
    };
}

/// The handlers of the pairs of [`op::pair_ops!`] (see `pair_bodies!`).
macro_rules! pair_handlers {
    ($d:tt $regs:tt $($name:ident = $a:ident, $b:ident, $k:literal;)*) => {
        handlers! { $d pair_handler $regs $($name => { pair_body!($name) })* }
    };
}

/// The handler of opcodes that have none (the translator emits none).
/// Never inlined: a small function may be copied into each codegen unit
/// that uses it, and the test that every opcode has a handler tells
/// the missing ones by this function's address.
#[inline(never)]
unsafe fn bad_opcode(ip: *const u32, fp: *mut Slot, _: *mut u8, _: MaybeUninit<usize>, cx: *mut Ctx, _: u64) -> Flow {
    // SAFETY: `cx` is the entry's context.
    unsafe {
        (*cx).ip = ip;
        (*cx).fp = fp;
        (*cx).exit = Exit::Trap(Trap::UnreachableCodeReached);
    }
    Flow::Stop
}

handlers! { $ handler [ip fp mem_base cx acc kw kin acc_in vmctx code dead mask]
    TRAP => { trap!(Trap::from_code(w!(1) as u8).unwrap_or(Trap::UnreachableCodeReached)) }
    BR => { body!(BR) }
    BR_IF_NEZ => { body!(BR_IF_NEZ) }
    BR_IF_EQZ => { body!(BR_IF_EQZ) }
    BR_TABLE => { body!(BR_TABLE) }
    RET => { ret!() }
    RET1 => {
        let v = get!(Slot, 1);
        fp.write(v);
        ret!()
    }
    RET1_32 => { body!(RET1_32) }
    RET1_64 => {
        let v = get!(u64, 1);
        fp.cast::<u64>().write(v);
        ret!()
    }
    CALL => { body!(CALL) }
    CALL_REF => {
        let fr = vmctx.add(w!(1) as usize);
        call_func_ref!(fr, 2, 3, 4);
    }
    CALL_INDIRECT => {
        let table = resolve(vmctx, w!(1));
        let i = get!(u32, 3) as usize;
        if i >= field::<usize>(table, table_def::CURRENT_ELEMENTS) {
            trap!(Trap::TableOutOfBounds);
        }
        let fr = *field::<*const *const u8>(table, table_def::BASE).add(i);
        if fr.is_null() {
            trap!(Trap::IndirectCallToNull);
        }
        let expected = *field::<*const u32>(vmctx, VMCTX_TYPE_IDS).add(w!(2) as usize);
        if field::<u32>(fr, func_ref::TYPE_INDEX) != expected {
            trap!(Trap::BadSignature);
        }
        call_func_ref!(fr, 4, 5, 6);
    }
    FUEL_ADD => {
        let p = limits!().add(runtime_limits::FUEL_CONSUMED as usize).cast::<i64>();
        *p += i64::from(w!(1));
        ip = ip.add(2);
    }
    FUEL_CHECK => {
        if field::<i64>(limits!(), runtime_limits::FUEL_CONSUMED) >= 0 {
            trap!(Trap::OutOfFuel);
        }
        ip = ip.add(1);
    }
    EPOCH_CHECK => {
        let limits = limits!();
        let counter = field::<*const AtomicU64>(limits, runtime_limits::EPOCH_COUNTER);
        let deadline = field::<u64>(limits, runtime_limits::EPOCH_DEADLINE);
        if !counter.is_null() && (*counter).load(Ordering::Relaxed) >= deadline {
            trap!(Trap::Interrupt);
        }
        ip = ip.add(1);
    }
    ZERO => {
        zero_slots(slot!(1), slot!(2));
        ip = ip.add(3);
    }
    FUEL_BULK => {
        let p = limits!().add(runtime_limits::FUEL_CONSUMED as usize).cast::<i64>();
        *p += i64::from(get!(u32, 1)) * i64::from(w!(2));
        ip = ip.add(3);
    }
    BR_AND_NEZ => { br_cmp!(u32, |a, b| a & b != 0) }
    BR_AND_EQZ => { br_cmp!(u32, |a, b| a & b == 0) }
    BR_AND_NEZ_I => { body!(BR_AND_NEZ_I) }
    BR_AND_EQZ_I => { br_cmp_i!(u32, |a, b| a & b == 0) }
    COPY2 => {
        put!(Slot, 1, get!(Slot, 2));
        let v = get!(Slot, 3);
        slot!(1).add(1).write(v);
        ip = ip.add(4);
    }
    COPY => { body!(COPY) }
    COPY_PAIR => { body!(COPY_PAIR) }
    I32_ADD_SHL => { body!(I32_ADD_SHL) }
    I32_RSUB_I => { body!(I32_RSUB_I) }
    I64_RSUB_I => { bin_i!(u64 => u64, |a, b| b.wrapping_sub(a)) }
    CONST32 => { body!(CONST32) }
    CONST64 => {
        put!(u64, 1, u64::from(w!(2)) | u64::from(w!(3)) << 32);
        ip = ip.add(4);
    }
    CONST128 => {
        put!(Slot, 1, w128!(2));
        ip = ip.add(6);
    }
    SELECT => { body!(SELECT) }
    SELECT_AI => { body!(SELECT_AI) }
    SELECT_BI => {
        let v = if get!(u32, 2) != 0 { get!(Slot, 3) } else { Slot::from(w!(4)) };
        put!(Slot, 1, v);
        ip = ip.add(5);
    }
    SELECT_II => {
        put!(Slot, 1, Slot::from(if get!(u32, 2) != 0 { w!(3) } else { w!(4) }));
        ip = ip.add(5);
    }
    GLOBAL_GET => {
        let g = resolve(vmctx, w!(2));
        put!(Slot, 1, g.cast::<Slot>().read());
        ip = ip.add(3);
    }
    GLOBAL_GET32 => { body!(GLOBAL_GET32) }
    GLOBAL_GET64 => {
        let g = resolve(vmctx, w!(2));
        put!(u64, 1, g.cast::<u64>().read());
        ip = ip.add(3);
    }
    GLOBAL_SET32 => { body!(GLOBAL_SET32) }
    GLOBAL_SET64 => {
        let g = resolve(vmctx, w!(1));
        g.cast::<u64>().write(get!(u64, 2));
        ip = ip.add(3);
    }
    GLOBAL_SET => {
        let g = resolve(vmctx, w!(1));
        g.cast::<Slot>().write(get!(Slot, 2));
        ip = ip.add(3);
    }
    I32_LOAD => { body!(I32_LOAD) }
    I64_LOAD => { body!(I64_LOAD) }
    I32_LOAD8_S => { load!(i8 => i32) }
    I32_LOAD8_U => { body!(I32_LOAD8_U) }
    I32_LOAD16_S => { load!(i16 => i32) }
    I32_LOAD16_U => { body!(I32_LOAD16_U) }
    I64_LOAD8_S => { load!(i8 => i64) }
    I64_LOAD8_U => { body!(I64_LOAD8_U) }
    I64_LOAD16_S => { load!(i16 => i64) }
    I64_LOAD16_U => { load!(u16 => u64) }
    I64_LOAD32_S => { load!(i32 => i64) }
    I64_LOAD32_U => { load!(u32 => u64) }
    V128_LOAD => { load!(u128 => u128) }
    I32_LOAD_X => { body!(I32_LOAD_X) }
    I32_LOAD_XI => { body!(I32_LOAD_XI) }
    I64_LOAD_X => { load_x!(u64 => u64, false) }
    I64_LOAD_XI => { load_x!(u64 => u64, true) }
    I32_LOAD8_S_X => { load_x!(i8 => i32, false) }
    I32_LOAD8_S_XI => { load_x!(i8 => i32, true) }
    I32_LOAD8_U_X => { body!(I32_LOAD8_U_X) }
    I32_LOAD8_U_XI => { body!(I32_LOAD8_U_XI) }
    I32_LOAD16_S_X => { load_x!(i16 => i32, false) }
    I32_LOAD16_S_XI => { load_x!(i16 => i32, true) }
    I32_LOAD16_U_X => { load_x!(u16 => u32, false) }
    I32_LOAD16_U_XI => { body!(I32_LOAD16_U_XI) }
    I64_LOAD8_S_X => { load_x!(i8 => i64, false) }
    I64_LOAD8_S_XI => { load_x!(i8 => i64, true) }
    I64_LOAD8_U_X => { load_x!(u8 => u64, false) }
    I64_LOAD8_U_XI => { load_x!(u8 => u64, true) }
    I64_LOAD16_S_X => { load_x!(i16 => i64, false) }
    I64_LOAD16_S_XI => { load_x!(i16 => i64, true) }
    I64_LOAD16_U_X => { load_x!(u16 => u64, false) }
    I64_LOAD16_U_XI => { load_x!(u16 => u64, true) }
    I64_LOAD32_S_X => { load_x!(i32 => i64, false) }
    I64_LOAD32_S_XI => { load_x!(i32 => i64, true) }
    I64_LOAD32_U_X => { load_x!(u32 => u64, false) }
    I64_LOAD32_U_XI => { load_x!(u32 => u64, true) }
    STORE8 => { body!(STORE8) }
    STORE16 => { body!(STORE16) }
    STORE32 => { body!(STORE32) }
    STORE64 => { body!(STORE64) }
    STORE128 => { store!(u128) }
    STORE8_I => { store_i!(u8) }
    STORE16_I => { store_i!(u16) }
    STORE32_I => { store_i!(u32) }
    STORE64_I => { store_i!(u64) }
    USE_MEMORY => {
        let def = resolve(vmctx, w!(1));
        mem_base = field::<*mut u8>(def, memory_def::BASE);
        (*cx).mem_len = field::<usize>(def, memory_def::CURRENT_LENGTH);
        ip = ip.add(2);
    }
    USE_MEMORY0 => {
        (mem_base, (*cx).mem_len) = memory(vmctx, code);
        ip = ip.add(1);
    }
    MEMORY_SIZE => {
        put!(u32, 1, ((*cx).mem_len >> 16) as u32);
        ip = ip.add(2);
    }
    MEMORY_GROW => {
        let f = builtin!(BuiltinFunction::MemoryGrow, fn(u64, u32) -> i64);
        sync!();
        let old = f(vmctx, u64::from(get!(u32, 2)), w!(3));
        if old == GROW_ERROR {
            trap!(Trap::HostError);
        }
        (mem_base, (*cx).mem_len) = memory(vmctx, code);
        put!(u32, 1, old as u32);
        ip = ip.add(4);
    }
    MEMORY_FILL => {
        let f = builtin!(BuiltinFunction::MemoryFill, fn(u32, u64, u32, u64) -> u32);
        let ok = f(vmctx, w!(4), u64::from(get!(u32, 1)), get!(u32, 2), u64::from(get!(u32, 3)));
        check_ok!(ok, Trap::MemoryOutOfBounds);
        ip = ip.add(5);
    }
    MEMORY_COPY => {
        let f = builtin!(BuiltinFunction::MemoryCopy, fn(u32, u64, u32, u64, u64) -> u32);
        let (dst, src, len) = (u64::from(get!(u32, 1)), u64::from(get!(u32, 2)), u64::from(get!(u32, 3)));
        let ok = f(vmctx, w!(4), dst, w!(5), src, len);
        check_ok!(ok, Trap::MemoryOutOfBounds);
        ip = ip.add(6);
    }
    MEMORY_INIT => {
        let f = builtin!(BuiltinFunction::MemoryInit, fn(u32, u32, u64, u32, u32) -> u32);
        let ok = f(vmctx, w!(5), w!(1), u64::from(get!(u32, 2)), get!(u32, 3), get!(u32, 4));
        check_ok!(ok, Trap::MemoryOutOfBounds);
        ip = ip.add(6);
    }
    DATA_DROP => {
        let f = builtin!(BuiltinFunction::DataDrop, fn(u32) -> u32);
        f(vmctx, w!(1));
        ip = ip.add(2);
    }
    TABLE_GET => {
        let table = resolve(vmctx, w!(2));
        let i = get!(u32, 3) as usize;
        if i >= field::<usize>(table, table_def::CURRENT_ELEMENTS) {
            trap!(Trap::TableOutOfBounds);
        }
        put!(u64, 1, *field::<*const u64>(table, table_def::BASE).add(i));
        ip = ip.add(4);
    }
    TABLE_SET => {
        let table = resolve(vmctx, w!(1));
        let i = get!(u32, 2) as usize;
        if i >= field::<usize>(table, table_def::CURRENT_ELEMENTS) {
            trap!(Trap::TableOutOfBounds);
        }
        *field::<*mut u64>(table, table_def::BASE).add(i) = get!(u64, 3);
        ip = ip.add(4);
    }
    TABLE_SIZE => {
        let table = resolve(vmctx, w!(2));
        put!(u32, 1, field::<usize>(table, table_def::CURRENT_ELEMENTS) as u32);
        ip = ip.add(3);
    }
    TABLE_GROW => {
        let f = builtin!(BuiltinFunction::TableGrow, fn(u32, u64, usize) -> i64);
        sync!();
        let old = f(vmctx, w!(2), u64::from(get!(u32, 4)), get!(usize, 3));
        if old == GROW_ERROR {
            trap!(Trap::HostError);
        }
        put!(u32, 1, old as u32);
        ip = ip.add(5);
    }
    TABLE_FILL => {
        let f = builtin!(BuiltinFunction::TableFill, fn(u32, u64, usize, u64) -> u32);
        let ok = f(vmctx, w!(1), u64::from(get!(u32, 2)), get!(usize, 3), u64::from(get!(u32, 4)));
        check_ok!(ok, Trap::TableOutOfBounds);
        ip = ip.add(5);
    }
    TABLE_COPY => {
        let f = builtin!(BuiltinFunction::TableCopy, fn(u32, u32, u64, u64, u64) -> u32);
        let ok = f(vmctx, w!(1), w!(2), u64::from(get!(u32, 3)), u64::from(get!(u32, 4)), u64::from(get!(u32, 5)));
        check_ok!(ok, Trap::TableOutOfBounds);
        ip = ip.add(6);
    }
    TABLE_INIT => {
        let f = builtin!(BuiltinFunction::TableInit, fn(u32, u32, u64, u32, u32) -> u32);
        let ok = f(vmctx, w!(1), w!(2), u64::from(get!(u32, 3)), get!(u32, 4), get!(u32, 5));
        check_ok!(ok, Trap::TableOutOfBounds);
        ip = ip.add(6);
    }
    ELEM_DROP => {
        let f = builtin!(BuiltinFunction::ElemDrop, fn(u32) -> u32);
        f(vmctx, w!(1));
        ip = ip.add(2);
    }
    REF_FUNC => {
        put!(u64, 1, vmctx.add(w!(2) as usize) as u64);
        ip = ip.add(3);
    }
    REF_IS_NULL => { un!(u64 => u32, |a| u32::from(a == 0)) }
    SIMD_UNARY => {
        let op = simd::SimdOp::from_u16(w!(3) as u16);
        put!(Slot, 1, op.map_or(0, |op| simd::unary(op, get!(Slot, 2))));
        ip = ip.add(4);
    }
    SIMD_BINARY => {
        let op = simd::SimdOp::from_u16(w!(4) as u16);
        put!(Slot, 1, op.map_or(0, |op| simd::binary(op, get!(Slot, 2), get!(Slot, 3))));
        ip = ip.add(5);
    }
    SIMD_TERNARY => {
        let op = simd::SimdOp::from_u16(w!(5) as u16);
        let v = op.map_or(0, |op| simd::ternary(op, get!(Slot, 2), get!(Slot, 3), get!(Slot, 4)));
        put!(Slot, 1, v);
        ip = ip.add(6);
    }
    SIMD_SHIFT => {
        let op = simd::SimdOp::from_u16(w!(4) as u16);
        put!(Slot, 1, op.map_or(0, |op| simd::shift(op, get!(Slot, 2), get!(u32, 3))));
        ip = ip.add(5);
    }
    SIMD_TEST => {
        let op = simd::SimdOp::from_u16(w!(3) as u16);
        put!(u32, 1, op.map_or(0, |op| simd::test(op, get!(Slot, 2))));
        ip = ip.add(4);
    }
    SIMD_SPLAT => {
        let op = simd::SimdOp::from_u16(w!(3) as u16);
        put!(Slot, 1, op.map_or(0, |op| simd::splat(op, get!(u64, 2))));
        ip = ip.add(4);
    }
    SIMD_EXTRACT => {
        let op = simd::SimdOp::from_u16(w!(3) as u16);
        let v = op.map_or(0, |op| simd::extract_lane(op, get!(Slot, 2), w!(4) as u8));
        put!(u64, 1, v);
        ip = ip.add(5);
    }
    SIMD_REPLACE => {
        let op = simd::SimdOp::from_u16(w!(4) as u16);
        let v = op.map_or(0, |op| simd::replace_lane(op, get!(Slot, 2), w!(5) as u8, get!(u64, 3)));
        put!(Slot, 1, v);
        ip = ip.add(6);
    }
    SIMD_SHUFFLE => {
        // The lanes by value: a local array whose address escaped would
        // keep the dispatch below from being a tail call.
        put!(Slot, 1, simd::shuffle(get!(Slot, 2), get!(Slot, 3), w128!(4)));
        ip = ip.add(8);
    }
    V128_LOAD_WIDEN => {
        let p = addr!(2, 3, 8);
        let raw = p.cast::<u64>().read_unaligned();
        let kind = match w!(4) {
            0 => simd::Widen::I8x8S,
            1 => simd::Widen::I8x8U,
            2 => simd::Widen::I16x4S,
            3 => simd::Widen::I16x4U,
            4 => simd::Widen::I32x2S,
            _ => simd::Widen::I32x2U,
        };
        put!(Slot, 1, simd::widen(kind, raw));
        ip = ip.add(5);
    }
    V128_LOAD_SPLAT => {
        let n = w!(4) as usize;
        let p = addr!(2, 3, n);
        let mut bytes = [0u8; 8];
        std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr(), n);
        let x = u64::from_le_bytes(bytes);
        let mut v = 0u128;
        for i in 0..16 / n {
            v |= u128::from(x) << (i * n * 8);
        }
        put!(Slot, 1, v);
        ip = ip.add(5);
    }
    V128_LOAD_ZERO => {
        let n = w!(4) as usize;
        let p = addr!(2, 3, n);
        let mut bytes = [0u8; 16];
        std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr(), n);
        put!(Slot, 1, u128::from_le_bytes(bytes));
        ip = ip.add(5);
    }
    V128_LOAD_LANE => {
        let (n, lane) = (w!(5) as usize, w!(6) as usize);
        let p = addr!(2, 4, n);
        let mut bytes = get!(Slot, 3).to_le_bytes();
        std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr().add(lane * n), n);
        put!(Slot, 1, u128::from_le_bytes(bytes));
        ip = ip.add(7);
    }
    V128_STORE_LANE => {
        let (n, lane) = (w!(4) as usize, w!(5) as usize);
        let p = addr!(1, 3, n);
        let bytes = get!(Slot, 2).to_le_bytes();
        std::ptr::copy_nonoverlapping(bytes.as_ptr().add(lane * n), p, n);
        ip = ip.add(6);
    }
    I32_EQZ => { un!(u32 => u32, |a| u32::from(a == 0)) }
    I32_EQ => { cmp!(u32, |a, b| a == b) }
    I32_NE => { cmp!(u32, |a, b| a != b) }
    I32_LT_S => { cmp!(i32, |a, b| a < b) }
    I32_LT_U => { body!(I32_LT_U) }
    I32_GT_S => { body!(I32_GT_S) }
    I32_GT_U => { body!(I32_GT_U) }
    I32_LE_S => { cmp!(i32, |a, b| a <= b) }
    I32_LE_U => { cmp!(u32, |a, b| a <= b) }
    I32_GE_S => { cmp!(i32, |a, b| a >= b) }
    I32_GE_U => { cmp!(u32, |a, b| a >= b) }
    I64_EQZ => { un!(u64 => u32, |a| u32::from(a == 0)) }
    I64_EQ => { cmp!(u64, |a, b| a == b) }
    I64_NE => { cmp!(u64, |a, b| a != b) }
    I64_LT_S => { cmp!(i64, |a, b| a < b) }
    I64_LT_U => { cmp!(u64, |a, b| a < b) }
    I64_GT_S => { cmp!(i64, |a, b| a > b) }
    I64_GT_U => { cmp!(u64, |a, b| a > b) }
    I64_LE_S => { cmp!(i64, |a, b| a <= b) }
    I64_LE_U => { cmp!(u64, |a, b| a <= b) }
    I64_GE_S => { cmp!(i64, |a, b| a >= b) }
    I64_GE_U => { cmp!(u64, |a, b| a >= b) }
    F32_EQ => { cmp!(f32, |a, b| a == b) }
    F32_NE => { cmp!(f32, |a, b| a != b) }
    F32_LT => { cmp!(f32, |a, b| a < b) }
    F32_GT => { cmp!(f32, |a, b| a > b) }
    F32_LE => { cmp!(f32, |a, b| a <= b) }
    F32_GE => { cmp!(f32, |a, b| a >= b) }
    F64_EQ => { cmp!(f64, |a, b| a == b) }
    F64_NE => { cmp!(f64, |a, b| a != b) }
    F64_LT => { cmp!(f64, |a, b| a < b) }
    F64_GT => { cmp!(f64, |a, b| a > b) }
    F64_LE => { cmp!(f64, |a, b| a <= b) }
    F64_GE => { cmp!(f64, |a, b| a >= b) }
    I32_CLZ => { un!(u32 => u32, |a| a.leading_zeros()) }
    I32_CTZ => { un!(u32 => u32, |a| a.trailing_zeros()) }
    I32_POPCNT => { un!(u32 => u32, |a| a.count_ones()) }
    I32_ADD => { body!(I32_ADD) }
    I32_SUB => { body!(I32_SUB) }
    I32_MUL => { body!(I32_MUL) }
    I32_DIV_S => {
        let (a, b) = (get!(i32, 2), get!(i32, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        if a == i32::MIN && b == -1 {
            trap!(Trap::IntegerOverflow);
        }
        put!(i32, 1, a / b);
        ip = ip.add(4);
    }
    I32_DIV_U => {
        let (a, b) = (get!(u32, 2), get!(u32, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        put!(u32, 1, a / b);
        ip = ip.add(4);
    }
    I32_REM_S => {
        let (a, b) = (get!(i32, 2), get!(i32, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        put!(i32, 1, a.wrapping_rem(b));
        ip = ip.add(4);
    }
    I32_REM_U => {
        let (a, b) = (get!(u32, 2), get!(u32, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        put!(u32, 1, a % b);
        ip = ip.add(4);
    }
    I32_AND => { body!(I32_AND) }
    I32_OR => { bin!(u32 => u32, |a, b| a | b) }
    I32_XOR => { body!(I32_XOR) }
    I32_SHL => { body!(I32_SHL) }
    I32_SHR_S => { bin!(i32 => i32, |a, b| a.wrapping_shr(b as u32)) }
    I32_SHR_U => { bin!(u32 => u32, |a, b| a.wrapping_shr(b)) }
    I32_ROTL => { bin!(u32 => u32, |a, b| a.rotate_left(b)) }
    I32_ROTR => { bin!(u32 => u32, |a, b| a.rotate_right(b)) }
    I64_CLZ => { un!(u64 => u64, |a| u64::from(a.leading_zeros())) }
    I64_CTZ => { un!(u64 => u64, |a| u64::from(a.trailing_zeros())) }
    I64_POPCNT => { un!(u64 => u64, |a| u64::from(a.count_ones())) }
    I64_ADD => { bin!(u64 => u64, |a, b| a.wrapping_add(b)) }
    I64_SUB => { bin!(u64 => u64, |a, b| a.wrapping_sub(b)) }
    I64_MUL => { bin!(u64 => u64, |a, b| a.wrapping_mul(b)) }
    I64_DIV_S => {
        let (a, b) = (get!(i64, 2), get!(i64, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        if a == i64::MIN && b == -1 {
            trap!(Trap::IntegerOverflow);
        }
        put!(i64, 1, a / b);
        ip = ip.add(4);
    }
    I64_DIV_U => {
        let (a, b) = (get!(u64, 2), get!(u64, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        put!(u64, 1, a / b);
        ip = ip.add(4);
    }
    I64_REM_S => {
        let (a, b) = (get!(i64, 2), get!(i64, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        put!(i64, 1, a.wrapping_rem(b));
        ip = ip.add(4);
    }
    I64_REM_U => {
        let (a, b) = (get!(u64, 2), get!(u64, 3));
        if b == 0 {
            trap!(Trap::IntegerDivisionByZero);
        }
        put!(u64, 1, a % b);
        ip = ip.add(4);
    }
    I64_AND => { bin!(u64 => u64, |a, b| a & b) }
    I64_OR => { body!(I64_OR) }
    I64_XOR => { bin!(u64 => u64, |a, b| a ^ b) }
    I64_SHL => { bin!(u64 => u64, |a, b| a.wrapping_shl(b as u32)) }
    I64_SHR_S => { bin!(i64 => i64, |a, b| a.wrapping_shr(b as u32)) }
    I64_SHR_U => { bin!(u64 => u64, |a, b| a.wrapping_shr(b as u32)) }
    I64_ROTL => { bin!(u64 => u64, |a, b| a.rotate_left(b as u32)) }
    I64_ROTR => { bin!(u64 => u64, |a, b| a.rotate_right(b as u32)) }
    F32_ABS => { un!(u32 => u32, |a| a & 0x7fff_ffff) }
    F32_NEG => { un!(u32 => u32, |a| a ^ 0x8000_0000) }
    F32_CEIL => { un!(f32 => f32, |a| if a.is_nan() { a + a } else { a.ceil() }) }
    F32_FLOOR => { un!(f32 => f32, |a| if a.is_nan() { a + a } else { a.floor() }) }
    F32_TRUNC => { un!(f32 => f32, |a| if a.is_nan() { a + a } else { a.trunc() }) }
    F32_NEAREST => { un!(f32 => f32, |a| if a.is_nan() { a + a } else { a.round_ties_even() }) }
    F32_SQRT => { un!(f32 => f32, |a| a.sqrt()) }
    F32_ADD => { bin!(f32 => f32, |a, b| a + b) }
    F32_SUB => { bin!(f32 => f32, |a, b| a - b) }
    F32_MUL => { bin!(f32 => f32, |a, b| a * b) }
    F32_DIV => { bin!(f32 => f32, |a, b| a / b) }
    F32_MIN => { bin!(f32 => f32, |a, b| fmin32(a, b)) }
    F32_MAX => { bin!(f32 => f32, |a, b| fmax32(a, b)) }
    F32_COPYSIGN => { bin!(u32 => u32, |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000)) }
    F64_ABS => { un!(u64 => u64, |a| a & 0x7fff_ffff_ffff_ffff) }
    F64_NEG => { un!(u64 => u64, |a| a ^ 0x8000_0000_0000_0000) }
    F64_CEIL => { un!(f64 => f64, |a| if a.is_nan() { a + a } else { a.ceil() }) }
    F64_FLOOR => { un!(f64 => f64, |a| if a.is_nan() { a + a } else { a.floor() }) }
    F64_TRUNC => { un!(f64 => f64, |a| if a.is_nan() { a + a } else { a.trunc() }) }
    F64_NEAREST => { un!(f64 => f64, |a| if a.is_nan() { a + a } else { a.round_ties_even() }) }
    F64_SQRT => { un!(f64 => f64, |a| a.sqrt()) }
    F64_ADD => { body!(F64_ADD) }
    F64_SUB => { bin!(f64 => f64, |a, b| a - b) }
    F64_MUL => { body!(F64_MUL) }
    F64_DIV => { bin!(f64 => f64, |a, b| a / b) }
    F64_MIN => { bin!(f64 => f64, |a, b| fmin64(a, b)) }
    F64_MAX => { bin!(f64 => f64, |a, b| fmax64(a, b)) }
    F64_COPYSIGN => {
        bin!(u64 => u64, |a, b| (a & 0x7fff_ffff_ffff_ffff) | (b & 0x8000_0000_0000_0000))
    }
    I32_WRAP_I64 => { un!(u64 => u32, |a| a as u32) }
    I32_TRUNC_F32_S => {
        let a = get!(f32, 2);
        match trunc(f64::from(a), -2147483649.0, 2147483648.0) {
            Ok(v) => put!(i32, 1, v as i32),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I32_TRUNC_F32_U => {
        let a = get!(f32, 2);
        match trunc(f64::from(a), -1.0, 4294967296.0) {
            Ok(v) => put!(u32, 1, v as u32),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I32_TRUNC_F64_S => {
        match trunc(get!(f64, 2), -2147483649.0, 2147483648.0) {
            Ok(v) => put!(i32, 1, v as i32),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I32_TRUNC_F64_U => {
        match trunc(get!(f64, 2), -1.0, 4294967296.0) {
            Ok(v) => put!(u32, 1, v as u32),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I64_TRUNC_F32_S => {
        match trunc(f64::from(get!(f32, 2)), -9223373136366403584.0, 9223372036854775808.0) {
            Ok(v) => put!(i64, 1, v as i64),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I64_TRUNC_F32_U => {
        match trunc(f64::from(get!(f32, 2)), -1.0, 18446744073709551616.0) {
            Ok(v) => put!(u64, 1, v as u64),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I64_TRUNC_F64_S => {
        match trunc(get!(f64, 2), -9223372036854777856.0, 9223372036854775808.0) {
            Ok(v) => put!(i64, 1, v as i64),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I64_TRUNC_F64_U => {
        match trunc(get!(f64, 2), -1.0, 18446744073709551616.0) {
            Ok(v) => put!(u64, 1, v as u64),
            Err(t) => trap!(t),
        }
        ip = ip.add(3);
    }
    I64_EXTEND_I32_S => { un!(i32 => i64, |a| i64::from(a)) }
    I64_EXTEND_I32_U => { un!(u32 => u64, |a| u64::from(a)) }
    F32_CONVERT_I32_S => { un!(i32 => f32, |a| a as f32) }
    F32_CONVERT_I32_U => { un!(u32 => f32, |a| a as f32) }
    F32_CONVERT_I64_S => { un!(i64 => f32, |a| a as f32) }
    F32_CONVERT_I64_U => { un!(u64 => f32, |a| a as f32) }
    F32_DEMOTE_F64 => { un!(f64 => f32, |a| a as f32) }
    F64_CONVERT_I32_S => { un!(i32 => f64, |a| f64::from(a)) }
    F64_CONVERT_I32_U => { un!(u32 => f64, |a| f64::from(a)) }
    F64_CONVERT_I64_S => { un!(i64 => f64, |a| a as f64) }
    F64_CONVERT_I64_U => { un!(u64 => f64, |a| a as f64) }
    F64_PROMOTE_F32 => { un!(f32 => f64, |a| f64::from(a)) }
    I32_EXTEND8_S => { un!(u32 => i32, |a| i32::from(a as i8)) }
    I32_EXTEND16_S => { un!(u32 => i32, |a| i32::from(a as i16)) }
    I64_EXTEND8_S => { un!(u64 => i64, |a| i64::from(a as i8)) }
    I64_EXTEND16_S => { un!(u64 => i64, |a| i64::from(a as i16)) }
    I64_EXTEND32_S => { un!(u64 => i64, |a| i64::from(a as i32)) }
    I32_TRUNC_SAT_F32_S => { un!(f32 => i32, |a| a as i32) }
    I32_TRUNC_SAT_F32_U => { un!(f32 => u32, |a| a as u32) }
    I32_TRUNC_SAT_F64_S => { un!(f64 => i32, |a| a as i32) }
    I32_TRUNC_SAT_F64_U => { un!(f64 => u32, |a| a as u32) }
    I64_TRUNC_SAT_F32_S => { un!(f32 => i64, |a| a as i64) }
    I64_TRUNC_SAT_F32_U => { un!(f32 => u64, |a| a as u64) }
    I64_TRUNC_SAT_F64_S => { un!(f64 => i64, |a| a as i64) }
    I64_TRUNC_SAT_F64_U => { un!(f64 => u64, |a| a as u64) }
    I32_ADD_I => { body!(I32_ADD_I) }
    I32_SUB_I => { body!(I32_SUB_I) }
    I32_MUL_I => { body!(I32_MUL_I) }
    I32_AND_I => { body!(I32_AND_I) }
    I32_OR_I => { bin_i!(u32 => u32, |a, b| a | b) }
    I32_XOR_I => { body!(I32_XOR_I) }
    I32_SHL_I => { body!(I32_SHL_I) }
    I32_SHR_S_I => { bin_i!(i32 => i32, |a, b| a.wrapping_shr(b as u32)) }
    I32_SHR_U_I => { body!(I32_SHR_U_I) }
    I32_EQ_I => { cmp_i!(u32, |a, b| a == b) }
    I32_NE_I => { cmp_i!(u32, |a, b| a != b) }
    I32_LT_S_I => { cmp_i!(i32, |a, b| a < b) }
    I32_LT_U_I => { body!(I32_LT_U_I) }
    I32_GT_S_I => { cmp_i!(i32, |a, b| a > b) }
    I32_GT_U_I => { cmp_i!(u32, |a, b| a > b) }
    I32_LE_S_I => { cmp_i!(i32, |a, b| a <= b) }
    I32_LE_U_I => { cmp_i!(u32, |a, b| a <= b) }
    I32_GE_S_I => { cmp_i!(i32, |a, b| a >= b) }
    I32_GE_U_I => { cmp_i!(u32, |a, b| a >= b) }
    I64_ADD_I => { body!(I64_ADD_I) }
    I64_SUB_I => { bin_i!(u64 => u64, |a, b| a.wrapping_sub(b)) }
    I64_MUL_I => { bin_i!(u64 => u64, |a, b| a.wrapping_mul(b)) }
    I64_AND_I => { bin_i!(u64 => u64, |a, b| a & b) }
    I64_OR_I => { bin_i!(u64 => u64, |a, b| a | b) }
    I64_XOR_I => { bin_i!(u64 => u64, |a, b| a ^ b) }
    I64_SHL_I => { body!(I64_SHL_I) }
    I64_SHR_S_I => { bin_i!(i64 => i64, |a, b| a.wrapping_shr(b as u32)) }
    I64_SHR_U_I => { bin_i!(u64 => u64, |a, b| a.wrapping_shr(b as u32)) }
    I64_EQ_I => { cmp_i!(u64, |a, b| a == b) }
    I64_NE_I => { cmp_i!(u64, |a, b| a != b) }
    I64_LT_S_I => { cmp_i!(i64, |a, b| a < b) }
    I64_LT_U_I => { cmp_i!(u64, |a, b| a < b) }
    I64_GT_S_I => { cmp_i!(i64, |a, b| a > b) }
    I64_GT_U_I => { cmp_i!(u64, |a, b| a > b) }
    I64_LE_S_I => { cmp_i!(i64, |a, b| a <= b) }
    I64_LE_U_I => { cmp_i!(u64, |a, b| a <= b) }
    I64_GE_S_I => { cmp_i!(i64, |a, b| a >= b) }
    I64_GE_U_I => { cmp_i!(u64, |a, b| a >= b) }
    BR_I32_EQ => { body!(BR_I32_EQ) }
    BR_I32_NE => { body!(BR_I32_NE) }
    BR_I32_LT_S => { body!(BR_I32_LT_S) }
    BR_I32_LT_U => { body!(BR_I32_LT_U) }
    BR_I32_GT_S => { body!(BR_I32_GT_S) }
    BR_I32_GT_U => { br_cmp!(u32, |a, b| a > b) }
    BR_I32_LE_S => { br_cmp!(i32, |a, b| a <= b) }
    BR_I32_LE_U => { br_cmp!(u32, |a, b| a <= b) }
    BR_I32_GE_S => { br_cmp!(i32, |a, b| a >= b) }
    BR_I32_GE_U => { body!(BR_I32_GE_U) }
    BR_I32_EQ_I => { br_cmp_i!(u32, |a, b| a == b) }
    BR_I32_NE_I => { body!(BR_I32_NE_I) }
    BR_I32_LT_S_I => { body!(BR_I32_LT_S_I) }
    BR_I32_LT_U_I => { br_cmp_i!(u32, |a, b| a < b) }
    BR_I32_GT_S_I => { br_cmp_i!(i32, |a, b| a > b) }
    BR_I32_GT_U_I => { body!(BR_I32_GT_U_I) }
    BR_I32_LE_S_I => { br_cmp_i!(i32, |a, b| a <= b) }
    BR_I32_LE_U_I => { br_cmp_i!(u32, |a, b| a <= b) }
    BR_I32_GE_S_I => { br_cmp_i!(i32, |a, b| a >= b) }
    BR_I32_GE_U_I => { br_cmp_i!(u32, |a, b| a >= b) }
    BR_I64_EQ => { br_cmp!(u64, |a, b| a == b) }
    BR_I64_NE => { br_cmp!(u64, |a, b| a != b) }
    BR_I64_LT_S => { br_cmp!(i64, |a, b| a < b) }
    BR_I64_LT_U => { br_cmp!(u64, |a, b| a < b) }
    BR_I64_GT_S => { br_cmp!(i64, |a, b| a > b) }
    BR_I64_GT_U => { br_cmp!(u64, |a, b| a > b) }
    BR_I64_LE_S => { br_cmp!(i64, |a, b| a <= b) }
    BR_I64_LE_U => { br_cmp!(u64, |a, b| a <= b) }
    BR_I64_GE_S => { br_cmp!(i64, |a, b| a >= b) }
    BR_I64_GE_U => { br_cmp!(u64, |a, b| a >= b) }
    BR_I64_EQ_I => { br_cmp_i!(u64, |a, b| a == b) }
    BR_I64_NE_I => { br_cmp_i!(u64, |a, b| a != b) }
    BR_I64_LT_S_I => { br_cmp_i!(i64, |a, b| a < b) }
    BR_I64_LT_U_I => { br_cmp_i!(u64, |a, b| a < b) }
    BR_I64_GT_S_I => { br_cmp_i!(i64, |a, b| a > b) }
    BR_I64_GT_U_I => { br_cmp_i!(u64, |a, b| a > b) }
    BR_I64_LE_S_I => { br_cmp_i!(i64, |a, b| a <= b) }
    BR_I64_LE_U_I => { br_cmp_i!(u64, |a, b| a <= b) }
    BR_I64_GE_S_I => { br_cmp_i!(i64, |a, b| a >= b) }
    BR_I64_GE_U_I => { br_cmp_i!(u64, |a, b| a >= b) }
}

op::pair_ops!(pair_handlers $ [ip fp mem_base cx acc kw kin acc_in vmctx code dead mask]);

/// Every opcode's handler, and its accumulator variants'.
static HANDLERS: [Handler; ALL as usize] = {
    let mut t: [Handler; ALL as usize] = [bad_opcode as Handler; ALL as usize];
    handler::fill(&mut t);
    fill_single_twins(&mut t);
    pair_handler::fill(&mut t);
    pair_handler::fill_twins(&mut t);
    t
};

/// Defines `fill_single_twins`, which puts the handlers of the single
/// instructions' twins (see [`op::single_twins!`]) in a table: a single's
/// handler with its slot write left out (`D` = 1), as a pair's first part.
macro_rules! define_fill_single_twins {
    ($($name:ident),*) => {
        const fn fill_single_twins(t: &mut [Handler; ALL as usize]) {
            use handler::*;
            $(
                let Some(twin) = op::single_twin(op::$name) else { panic!("a single without a twin") };
                fill_variants!(t, $name, 1, twin);
            )*
        }
    };
}

op::single_twins!(define_fill_single_twins);

/// A value as the accumulator holds it: the low bits of a `u64` (floats
/// as their bits; a slot-wide value by its low 64 bits, which is all of a
/// scalar's).
trait Acc: Copy {
    fn to_acc(self) -> u64;
    fn from_acc(acc: u64) -> Self;
}

macro_rules! acc_as {
    ($($t:ty),*) => {$(
        impl Acc for $t {
            #[inline(always)]
            fn to_acc(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_acc(acc: u64) -> $t {
                acc as $t
            }
        }
    )*};
}

acc_as!(u8, i8, u16, i16, u32, i32, u64, i64, usize, u128);

impl Acc for f32 {
    #[inline(always)]
    fn to_acc(self) -> u64 {
        u64::from(self.to_bits())
    }
    #[inline(always)]
    fn from_acc(acc: u64) -> f32 {
        f32::from_bits(acc as u32)
    }
}

impl Acc for f64 {
    #[inline(always)]
    fn to_acc(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_acc(acc: u64) -> f64 {
        f64::from_bits(acc)
    }
}

/// An immediate operand word as a value of the operation's type: 64-bit
/// immediates are sign-extended 32-bit ones.
trait Imm {
    fn imm(w: u32) -> Self;
}

impl Imm for u32 {
    #[inline(always)]
    fn imm(w: u32) -> u32 {
        w
    }
}

impl Imm for i32 {
    #[inline(always)]
    fn imm(w: u32) -> i32 {
        w as i32
    }
}

impl Imm for u8 {
    #[inline(always)]
    fn imm(w: u32) -> u8 {
        w as u8
    }
}

impl Imm for u16 {
    #[inline(always)]
    fn imm(w: u32) -> u16 {
        w as u16
    }
}

impl Imm for u64 {
    #[inline(always)]
    fn imm(w: u32) -> u64 {
        i64::from(w as i32) as u64
    }
}

impl Imm for i64 {
    #[inline(always)]
    fn imm(w: u32) -> i64 {
        i64::from(w as i32)
    }
}

/// Truncation toward zero of `x` if it is strictly between `lo` and `hi`
/// (the exclusive bounds of the target's range, exact in f64 for every
/// wasm conversion); the trap otherwise.
#[inline(always)]
fn trunc(x: f64, lo: f64, hi: f64) -> Result<f64, Trap> {
    if x.is_nan() {
        Err(Trap::BadConversionToInteger)
    } else if x > lo && x < hi {
        Ok(x.trunc())
    } else {
        Err(Trap::IntegerOverflow)
    }
}

macro_rules! min_max {
    ($min:ident, $max:ident, $t:ty) => {
        /// Wasm's `min`: NaN if either is, and -0 below +0.
        #[inline(always)]
        fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else if a < b {
                a
            } else {
                b
            }
        }

        /// Wasm's `max`: NaN if either is, and +0 above -0.
        #[inline(always)]
        fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() & b.to_bits())
            } else if a > b {
                a
            } else {
                b
            }
        }
    };
}

min_max!(fmin32, fmax32, f32);
min_max!(fmin64, fmax64, f64);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every opcode the translator may emit has a handler: a base opcode,
    /// each of its accumulator variants, each pair and each of its twins,
    /// each single instruction's twin. A
    /// pair listed in `op::pair_ops!` without a handler would otherwise
    /// trap as an unknown opcode when it runs.
    #[test]
    fn every_opcode_has_a_handler() {
        let missing = |op: u32| HANDLERS[op as usize] as usize == bad_opcode as Handler as usize;
        let mut twins = 0;
        for base in 0..op::LAST {
            if base >= op::END_EXTRA && op::name(base).is_none() {
                // A pair of two has three twins: its numbers 4 to 7 (a
                // pair of three's twins) are no opcode.
                assert!(missing(base) && op::pair_parts(base).is_none());
                continue;
            }
            twins += usize::from(op::dead_parts(base) != 0);
            assert!(!missing(base), "no handler for {}", op::name(base).unwrap_or("?"));
            for k in 1..4 {
                if op::acc_sources(base) & 1 << k != 0 {
                    assert!(!missing(op::with_acc(base, k)), "no handler for {} reading word {k}", op::name(base).unwrap_or("?"));
                }
            }
        }
        assert!(twins > 100, "{twins} twins");
    }
}
