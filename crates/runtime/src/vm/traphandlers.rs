//! Entering wasm, and leaving it abnormally.
//!
//! Every call from the host into wasm goes through [`catch_traps`], which
//! enters through a small assembly stub (`brisk_entry_trampoline`). The stub
//! saves the callee-saved registers and records its stack and frame
//! pointers in a [`JmpBuf`]. When wasm code faults (guard page, `ud2`,
//! division by zero) the signal handler finds the faulting pc in the code
//! registry and its trap table, walks the wasm frames (frame pointers) into
//! a fixed buffer, and rewrites the signal context so that the thread
//! resumes at the stub's landing pad, which returns 0 to the host. Nothing
//! allocates in the handler. Faults anywhere else go to the previous
//! handler.
//!
//! Host functions and builtins never unwind through wasm frames: a failing
//! host function returns `false`, its trampoline executes a trap
//! instruction, and the same path runs.

use super::code_memory::lookup_pc_from_signal;
use super::vmcontext::{VMContext, VMRuntimeLimits, ValRaw};
use brisk_environ::Trap;
use std::cell::Cell;
use std::ptr;
use std::sync::Once;

/// Where the landing pad resumes: written by the entry stub.
#[repr(C)]
#[derive(Debug, Default)]
pub struct JmpBuf {
    sp: usize,
    fp: usize,
    pc: usize,
}

/// How many frames a trap's backtrace keeps; deeper stacks are truncated
/// (their total depth is still counted).
pub const MAX_BACKTRACE: usize = 64;

/// What the signal handler recorded about a trap.
#[derive(Debug, Clone)]
pub struct TrapRecord {
    /// Why.
    pub trap: Trap,
    /// Return addresses / pcs of the wasm frames, innermost first.
    pub pcs: [usize; MAX_BACKTRACE],
    /// How many of `pcs` are filled.
    pub len: usize,
    /// How many frames there were in all.
    pub depth: usize,
}

impl TrapRecord {
    /// A record of `trap` with no frames yet.
    pub fn new(trap: Trap) -> TrapRecord {
        TrapRecord { trap, pcs: [0; MAX_BACKTRACE], len: 0, depth: 0 }
    }

    /// Adds the next outer frame: kept if there is room, counted always.
    /// Allocation-free, for the signal handler.
    pub fn push(&mut self, pc: usize) {
        if self.len < MAX_BACKTRACE {
            self.pcs[self.len] = pc;
            self.len += 1;
        }
        self.depth += 1;
    }
}

/// The state of one host-to-wasm call on this thread.
pub struct CallThreadState {
    jmp: JmpBuf,
    trap: Option<TrapRecord>,
    /// An error from a host function, waiting to be returned.
    pub host_error: Option<anyhow::Error>,
    /// A panic from a host function, waiting to be resumed.
    pub host_panic: Option<Box<dyn std::any::Any + Send>>,
    prev: *mut CallThreadState,
}

impl CallThreadState {
    /// Records a trap raised without a signal (by the interpreter). If
    /// native code called the interpreter, its trampoline then traps and
    /// the signal handler appends the native frames to this record.
    pub fn set_pending_trap(&mut self, record: TrapRecord) {
        self.trap = Some(record);
    }
}

thread_local! {
    static CURRENT: Cell<*mut CallThreadState> = const { Cell::new(ptr::null_mut()) };
}

/// The innermost active call on this thread, if any.
pub fn current_call_state() -> *mut CallThreadState {
    CURRENT.with(|c| c.get())
}

unsafe extern "C" {
    fn brisk_entry_trampoline(
        array_call: usize,
        callee_vmctx: *mut VMContext,
        caller_vmctx: *mut VMContext,
        values: *mut ValRaw,
        len: usize,
        jmp: *mut JmpBuf,
    ) -> u32;
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
std::arch::global_asm!(
    ".text",
    ".globl brisk_entry_trampoline",
    ".type brisk_entry_trampoline,@function",
    ".p2align 4",
    "brisk_entry_trampoline:",
    // Call frame information, so that the system unwinder walks from wasm
    // frames (with native unwind info) on to the host's.
    ".cfi_startproc",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "push rbx",
    ".cfi_offset rbx, -24",
    "push r12",
    ".cfi_offset r12, -32",
    "push r13",
    ".cfi_offset r13, -40",
    "push r14",
    ".cfi_offset r14, -48",
    "push r15",
    ".cfi_offset r15, -56",
    "sub rsp, 8",
    "mov [r9], rsp",
    "mov [r9 + 8], rbp",
    "lea rax, [rip + 2f]",
    "mov [r9 + 16], rax",
    "mov rax, rdi",
    "mov rdi, rsi",
    "mov rsi, rdx",
    "mov rdx, rcx",
    "mov rcx, r8",
    "call rax",
    "mov eax, 1",
    "jmp 3f",
    "2:",
    "xor eax, eax",
    "3:",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
    "ret",
    ".cfi_endproc",
    ".size brisk_entry_trampoline, .-brisk_entry_trampoline",
);

/// How a call into wasm ended abnormally.
#[derive(Debug)]
pub enum CallError {
    /// Wasm trapped.
    Trap(Box<TrapRecord>),
    /// A host function returned an error.
    Host(anyhow::Error),
}

/// Calls `array_call(callee_vmctx, caller_vmctx, values, len)`, catching
/// traps. `max_wasm_stack` bounds the stack the outermost call may use.
///
/// # Safety
///
/// `array_call` must be an array-ABI entry compiled for the callee's type,
/// `values` must hold `len` slots, enough for its parameters and results,
/// and the vmctx pointers and `limits` (the store's) must be live for the
/// call.
pub unsafe fn catch_traps(
    limits: *const VMRuntimeLimits,
    max_wasm_stack: usize,
    array_call: usize,
    callee_vmctx: *mut VMContext,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
    len: usize,
) -> Result<(), CallError> {
    init_traps();
    lazy_per_thread_init();
    let mut state = CallThreadState {
        jmp: JmpBuf::default(),
        trap: None,
        host_error: None,
        host_panic: None,
        prev: CURRENT.with(|c| c.get()),
    };
    // The outermost entry sets the stack limit; nested entries (wasm ->
    // host -> wasm) keep it, so the whole chain shares one budget.
    let here = &state as *const _ as usize;
    // SAFETY: the limits are live per the contract, and only accessed by
    // this thread while it runs wasm of this store (only plain fields
    // behind `UnsafeCell`s, through the store's pointer).
    let old_limit = unsafe { *(*limits).stack_limit.get() };
    if old_limit == usize::MAX {
        // Never let wasm run into the thread's real guard page, whatever
        // `max_wasm_stack` says: keep `HOST_STACK_RESERVE` above the
        // lowest usable stack address for host frames called from wasm.
        let floor = thread_stack_low().map_or(0, |low| low.saturating_add(HOST_STACK_RESERVE));
        // SAFETY: as above.
        unsafe { *(*limits).stack_limit.get() = here.saturating_sub(max_wasm_stack).max(floor) };
    }
    CURRENT.with(|c| c.set(&mut state));
    // SAFETY: the caller guarantees the entry point and its arguments are
    // valid; the stub preserves callee-saved registers and returns normally
    // (or through its landing pad, with the same stack pointer).
    let ok = unsafe { brisk_entry_trampoline(array_call, callee_vmctx, caller_vmctx, values, len, &mut state.jmp) };
    CURRENT.with(|c| c.set(state.prev));
    // SAFETY: as above.
    unsafe { *(*limits).stack_limit.get() = old_limit };
    if let Some(panic) = state.host_panic.take() {
        std::panic::resume_unwind(panic);
    }
    // Checked before `ok`: a host function entered directly from the host
    // (no trampoline to turn its failure into a trap) returns through the
    // stub's normal path.
    if let Some(e) = state.host_error.take() {
        return Err(CallError::Host(e));
    }
    // Checked before `ok` too: the interpreter entered directly from the
    // host reports its trap through the stub's normal path.
    if let Some(t) = state.trap.take() {
        return Err(CallError::Trap(Box::new(t)));
    }
    if ok != 0 {
        return Ok(());
    }
    Err(CallError::Host(anyhow::anyhow!("host function failed without an error")))
}

/// Stack kept free below wasm's limit for host functions and builtins that
/// wasm calls, so they cannot overflow the thread's stack either.
const HOST_STACK_RESERVE: usize = 128 * 1024;

/// The lowest usable address of this thread's stack, if the OS tells.
fn thread_stack_low() -> Option<usize> {
    thread_local! {
        static LOW: Cell<Option<usize>> = const { Cell::new(None) };
    }
    if let Some(low) = LOW.with(|l| l.get()) {
        return Some(low);
    }
    // SAFETY: `attr` is initialised by pthread_getattr_np before use and
    // destroyed afterwards; the out-pointers are valid locals.
    let low = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = ptr::null_mut();
        let mut size: libc::size_t = 0;
        let mut guard: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0
            && libc::pthread_attr_getguardsize(&attr, &mut guard) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if !ok {
            return None;
        }
        (addr as usize).saturating_add(guard)
    };
    LOW.with(|l| l.set(Some(low)));
    Some(low)
}

static INIT: Once = Once::new();

/// Installs the signal handlers (once per process).
pub fn init_traps() {
    INIT.call_once(|| {
        // SAFETY: installing handlers at most once; the previous handlers
        // are saved for forwarding before any of ours can run.
        unsafe {
            for (sig, slot) in [
                (libc::SIGSEGV, &raw mut PREV_SIGSEGV),
                (libc::SIGBUS, &raw mut PREV_SIGBUS),
                (libc::SIGILL, &raw mut PREV_SIGILL),
                (libc::SIGFPE, &raw mut PREV_SIGFPE),
            ] {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                action.sa_sigaction = trap_handler as *const () as usize;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(sig, &action, slot) != 0 {
                    panic!("unable to install signal handler: {}", std::io::Error::last_os_error());
                }
            }
        }
    });
}

static mut PREV_SIGSEGV: libc::sigaction = zeroed_sigaction();
static mut PREV_SIGBUS: libc::sigaction = zeroed_sigaction();
static mut PREV_SIGILL: libc::sigaction = zeroed_sigaction();
static mut PREV_SIGFPE: libc::sigaction = zeroed_sigaction();

const fn zeroed_sigaction() -> libc::sigaction {
    // SAFETY: sigaction is plain data for which all-zero is a valid value
    // (SIG_DFL, empty mask, no flags).
    unsafe { std::mem::MaybeUninit::zeroed().assume_init() }
}

/// The handler of SIGSEGV, SIGBUS, SIGILL and SIGFPE: a fault in wasm code
/// resumes at the entry stub's landing pad; any other goes to the previous
/// handler. Async-signal-safe: no allocation, and no lock it could wait for
/// (see `lookup_pc_from_signal`).
///
/// # Safety
///
/// Only the kernel calls it, as an `SA_SIGINFO` handler: `siginfo` and
/// `context` are the signal's.
unsafe extern "C" fn trap_handler(signum: libc::c_int, siginfo: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers.
    let handled = unsafe { handle_trap(context.cast()) };
    if handled {
        return;
    }
    // Not ours: hand the signal to the previous handler.
    // SAFETY: the PREV_* statics were written once, before this handler was
    // installed, and are only read afterwards.
    let prev = unsafe {
        match signum {
            libc::SIGSEGV => ptr::read(&raw const PREV_SIGSEGV),
            libc::SIGBUS => ptr::read(&raw const PREV_SIGBUS),
            libc::SIGILL => ptr::read(&raw const PREV_SIGILL),
            _ => ptr::read(&raw const PREV_SIGFPE),
        }
    };
    // SAFETY: calling or restoring the previous disposition is exactly what
    // the signal would have done without us.
    unsafe {
        if prev.sa_flags & libc::SA_SIGINFO != 0 {
            let f: unsafe extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(prev.sa_sigaction);
            f(signum, siginfo, context);
        } else if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
            // Restore the default and return: the faulting instruction runs
            // again and the signal is delivered with the default action.
            libc::sigaction(signum, &prev, ptr::null_mut());
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
            f(signum);
        }
    }
}

/// # Safety
///
/// `context` is the ucontext of a signal delivered to this thread.
unsafe fn handle_trap(context: *mut libc::ucontext_t) -> bool {
    let state = CURRENT.with(|c| c.get());
    if state.is_null() {
        return false;
    }
    // SAFETY: the kernel's ucontext is valid to read and write.
    let regs = unsafe { &mut (*context).uc_mcontext.gregs };
    let pc = regs[libc::REG_RIP as usize] as usize;
    let fp = regs[libc::REG_RBP as usize] as usize;
    let Some(Some(trap)) = lookup_pc_from_signal(pc, |info, offset| info.trap_at(offset)) else {
        return false;
    };
    // SAFETY: `state` is this thread's live call state (set by
    // `catch_traps`, which is still on the stack below us).
    let state = unsafe { &mut *state };
    // A trap the interpreter already recorded (its trampoline's trap
    // instruction brought us here): the native frames follow its own.
    let mut record = state.trap.take().unwrap_or(TrapRecord::new(trap));
    record.push(pc);
    // SAFETY: wasm code keeps frame pointers, so from the faulting frame up
    // to the entry stub's frame every `fp` points at a (saved fp, return
    // address) pair on this thread's stack; the walk stops at the entry
    // frame and on anything that does not move up the stack.
    unsafe { walk_frames(fp, state.jmp.fp, &mut record) };
    state.trap = Some(record);
    regs[libc::REG_RIP as usize] = state.jmp.pc as i64;
    regs[libc::REG_RSP as usize] = state.jmp.sp as i64;
    regs[libc::REG_RBP as usize] = state.jmp.fp as i64;
    true
}

/// # Safety
///
/// `fp` is a frame pointer of a chain of frames ending at `entry_fp`.
unsafe fn walk_frames(mut fp: usize, entry_fp: usize, record: &mut TrapRecord) {
    while fp != 0 && fp < entry_fp {
        // SAFETY: per the contract, `fp` and `fp + 8` are readable.
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if next <= fp {
            break;
        }
        record.push(ret);
        fp = next;
    }
}

/// Installs an alternate signal stack for this thread, if it has none big
/// enough, so the handler runs even when the fault is a stack overflow.
fn lazy_per_thread_init() {
    struct AltStack(Option<super::mmap::Mmap>);
    impl Drop for AltStack {
        fn drop(&mut self) {
            if self.0.is_some() {
                let disable = libc::stack_t { ss_sp: ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
                // SAFETY: disabling this thread's alternate stack before its
                // memory is unmapped.
                unsafe { libc::sigaltstack(&disable, ptr::null_mut()) };
            }
        }
    }
    thread_local! {
        static ALT: std::cell::RefCell<Option<AltStack>> = const { std::cell::RefCell::new(None) };
    }
    const SIZE: usize = 64 * 1024;
    ALT.with(|alt| {
        let mut alt = alt.borrow_mut();
        if alt.is_some() {
            return;
        }
        // SAFETY: querying the current alternate stack.
        let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: `old` is a valid out-pointer.
        unsafe { libc::sigaltstack(ptr::null(), &mut old) };
        if old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= SIZE {
            *alt = Some(AltStack(None));
            return;
        }
        let page = super::mmap::page_size();
        let Ok(mut mmap) = super::mmap::Mmap::reserve(SIZE + page) else { return };
        if mmap.make_accessible(page, SIZE).is_err() {
            return;
        }
        // SAFETY: `page < mmap.len()`, so the pointer stays in the mapping.
        let sp = unsafe { mmap.as_ptr().add(page) };
        // The stack memory (above a guard page) lives until the thread-local
        // is dropped, which disables it first.
        let new = libc::stack_t {
            ss_sp: sp.cast(),
            ss_flags: 0,
            ss_size: SIZE,
        };
        // SAFETY: `new` describes valid, writable memory.
        if unsafe { libc::sigaltstack(&new, ptr::null_mut()) } == 0 {
            *alt = Some(AltStack(Some(mmap)));
        }
    });
}
