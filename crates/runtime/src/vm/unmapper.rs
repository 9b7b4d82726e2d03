//! Unmapping dropped modules' code on a background thread.
//!
//! Dropping a module ends in `munmap` of its artifact, and on a virtual
//! machine like the one Brisk is measured on one `munmap` costs
//! microseconds (a TLB flush, which interrupts every other core running a
//! thread of the process, and the kernel's work per mapping: three
//! mappings when the code is made executable in place), which is most of
//! the cost of dropping a module. As V8's unmapper does with freed pages,
//! Brisk hands the mapping to one background thread, so that the thread
//! dropping the module does constant work and no system call; the mapping
//! is released shortly after. By then nothing refers to it: the code was removed from
//! the trap handler's registry, and its unwind info deregistered (see
//! [`Deferred`]), before the module's last reference went away.
//!
//! Dropping a module's last reference hands the whole module to the thread
//! ([`drop_later`]): the dropping thread does one push, and the thread
//! removes the code from the trap handler's registry, frees the module's
//! tables, removes its unwind info and unmaps it.
//!
//! Woken by a drop, the thread lets drops gather for [`GATHER`] (1 ms, or
//! until [`GATHER_LIMIT`] are queued) unless someone waits in [`flush`],
//! then releases what it finds queued as one batch (drops that come while
//! it works gather in the queue too). A
//! `munmap` of pages that were touched makes the kernel flush the TLB of
//! every core running a thread of the process, an interrupt that stalled
//! a thread loading the next module by tens of microseconds on this VM when
//! each drop was released on its own; gathered, a stream of loads and
//! drops takes one such flush per batch. Mappings made one after another
//! lie side by side, and side-by-side mappings go with one `munmap` (one
//! TLB flush), so dropping many modules costs a few calls. What remains is
//! the kernel's work per mapping and per page mapped, 2 to 9 µs per module
//! on this VM depending on the host's state.
//!
//! [`flush`] waits until every mapping handed over so far is unmapped
//! (tests and benchmarks use it to measure the whole cost). A child
//! process made by `fork` has no such thread: there, mappings are released
//! where they are dropped (what the parent handed over before the fork
//! stays mapped in the child, as the parent's memory does).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// What the unmapper releases, in order: `before` (such as deregistering
/// unwind info, which must happen while the code is still mapped), then
/// the mapping and the file it came from.
pub struct Deferred {
    pub before: Option<Box<dyn FnOnce() + Send>>,
    pub mmap: super::mmap::Mmap,
    pub file: Option<std::fs::File>,
}

/// A job of the unmapper: a mapping to release, or a value to drop there
/// (a module's last reference: all its teardown, which ends in a mapping
/// to release).
pub enum Job {
    Unmap(Deferred),
    /// A shared value (no allocation to hand it over).
    Drop(std::sync::Arc<dyn Send + Sync>),
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// Is the thread waiting for work (so that a push must wake it)?
    idle: bool,
    /// Jobs handed over and not yet released.
    pending: usize,
    /// Threads waiting in [`flush`]: the thread does not gather then.
    flushing: usize,
}

/// How long the thread lets drops gather after the first one wakes it,
/// and how many it lets gather at most (each may hold a memory's whole
/// reservation of address space).
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);
const GATHER_LIMIT: usize = 1024;

struct Unmapper {
    queue: Mutex<Queue>,
    work: Condvar,
    drained: Condvar,
}

/// Set in a child process after `fork`, which has no unmapper thread (only
/// the forking thread survives): there, mappings are released in place.
static FORKED: AtomicBool = AtomicBool::new(false);

extern "C" fn forked() {
    FORKED.store(true, Ordering::Relaxed);
}

fn unmapper() -> Option<&'static Unmapper> {
    static UNMAPPER: OnceLock<Option<&'static Unmapper>> = OnceLock::new();
    if FORKED.load(Ordering::Relaxed) {
        return None;
    }
    *UNMAPPER.get_or_init(|| {
        // SAFETY: registers a handler that only stores to an atomic.
        if unsafe { libc::pthread_atfork(None, None, Some(forked)) } != 0 {
            return None;
        }
        let u: &'static Unmapper =
            Box::leak(Box::new(Unmapper { queue: Mutex::default(), work: Condvar::new(), drained: Condvar::new() }));
        // Without the thread, mappings are released where they are dropped.
        std::thread::Builder::new().name("brisk-unmapper".into()).spawn(move || u.run()).ok().map(|_| u)
    })
}

impl Unmapper {
    fn run(&self) {
        // The queue and this batch trade their buffers, so that pushing
        // reuses capacity the last batches needed instead of growing anew.
        let mut batch = Vec::new();
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if queue.jobs.is_empty() {
                queue.idle = true;
                queue = self.work.wait(queue).unwrap_or_else(|e| e.into_inner());
                queue.idle = false;
                if queue.flushing == 0 && queue.jobs.len() < GATHER_LIMIT {
                    // Let the drops that follow join this batch.
                    queue = self.work.wait_timeout(queue, GATHER).unwrap_or_else(|e| e.into_inner()).0;
                }
                continue;
            }
            std::mem::swap(&mut queue.jobs, &mut batch);
            drop(queue);
            let n = batch.len();
            release_all(batch.drain(..));
            queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.pending -= n;
            if queue.pending == 0 {
                self.drained.notify_all();
            }
        }
    }
}

/// Releases jobs together: values to drop first (what they release joins
/// the queue, for the next batch), then every `before` (while all the code
/// is still mapped), then the mappings, side-by-side ones with one `munmap`
/// ([`super::mmap::unmap_all`]), then the files.
fn release_all(jobs: impl ExactSizeIterator<Item = Job>) {
    let mut maps = Vec::with_capacity(jobs.len());
    let mut files = Vec::new();
    for job in jobs {
        let job = match job {
            Job::Drop(value) => {
                drop(value);
                continue;
            }
            Job::Unmap(job) => job,
        };
        if let Some(before) = job.before {
            before();
        }
        maps.push(job.mmap);
        files.extend(job.file);
    }
    super::mmap::unmap_all(maps);
    drop(files);
}

/// Releases `job` on the background thread (at once on this one if the
/// thread could not be started).
pub fn defer(job: Deferred) {
    push(Job::Unmap(job));
}

/// Drops `value` on the background thread (at once on this one if the
/// thread could not be started): for teardown that the dropping thread
/// need not wait for.
pub fn drop_later(value: std::sync::Arc<dyn Send + Sync>) {
    push(Job::Drop(value));
}

fn push(job: Job) {
    let Some(u) = unmapper() else { return release_all(std::iter::once(job)) };
    let mut queue = u.queue.lock().unwrap_or_else(|e| e.into_inner());
    queue.jobs.push(job);
    queue.pending += 1;
    // Waking the thread is a system call: only when it sleeps, or when
    // enough has gathered to cut its gathering short.
    if queue.idle || queue.jobs.len() == GATHER_LIMIT {
        queue.idle = false;
        u.work.notify_one();
    }
}

/// Waits until every mapping handed to the unmapper so far is released.
pub fn flush() {
    let Some(u) = unmapper() else { return };
    let mut queue = u.queue.lock().unwrap_or_else(|e| e.into_inner());
    queue.flushing += 1;
    if queue.pending > 0 {
        // Cut a gathering short.
        u.work.notify_one();
    }
    while queue.pending > 0 {
        queue = u.drained.wait(queue).unwrap_or_else(|e| e.into_inner());
    }
    queue.flushing -= 1;
}
