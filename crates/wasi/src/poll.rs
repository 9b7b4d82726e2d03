//! `poll_oneoff`: waiting on clocks and on descriptors being readable or
//! writable.
//!
//! Regular files, captured pipes and stdout/stderr are always ready; the
//! host's stdin and files that can block (pipes, sockets, terminals opened
//! under a preopen) are polled with the host's `poll`. Clock subscriptions become deadlines on the host's monotonic
//! clock, so a change of the wall clock does not stretch a relative sleep.

use crate::abi::{self, Errno, Mem, WasiResult};
use crate::ctx::{Desc, Input, WasiCtx};
use crate::proc;
use std::time::{Duration, Instant};

/// The size of a guest `$subscription` and `$event`.
const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;

/// What one subscription waits for.
enum Wait {
    /// A clock deadline (`None`: too far away to ever come).
    Clock(Option<Instant>),
    /// Ready now, with this many bytes available and these event flags.
    Ready { nbytes: u64, flags: u16 },
    /// The host's `poll` saying guest fd `fd` is readable (or writable).
    Poll { fd: u32, write: bool },
}

struct Sub {
    userdata: u64,
    kind: u8,
    wait: Wait,
}

/// A deadline `nanos` from now on the host's monotonic clock.
fn after(nanos: u64) -> Option<Instant> {
    Instant::now().checked_add(Duration::from_nanos(nanos))
}

/// Whether a host file can make a reader or writer wait: pipes, sockets
/// and terminals can, regular files cannot.
fn can_block(f: &std::fs::File) -> WasiResult<bool> {
    use std::os::unix::fs::FileTypeExt as _;
    let ft = f.metadata()?.file_type();
    Ok(ft.is_fifo() || ft.is_socket() || ft.is_char_device())
}

fn parse(ctx: &WasiCtx, mem: &Mem<'_>, at: u32) -> WasiResult<Sub> {
    let userdata = mem.read_u64(at)?;
    let kind = mem.read_u8(at + 8)?;
    let wait = match kind {
        abi::EVENTTYPE_CLOCK => {
            let id = mem.read_u32(at + 16)?;
            let timeout = mem.read_u64(at + 24)?;
            let flags = mem.read_u16(at + 40)?;
            if flags & !abi::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                return Err(Errno::Inval.into());
            }
            // Only the realtime and monotonic clocks can be waited on (as
            // in Wasmtime); CPU-time clocks give EINVAL.
            if id > 1 {
                return Err(Errno::Inval.into());
            }
            if flags & abi::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                let now = proc::now(proc::clock(id)?)?;
                Wait::Clock(after(timeout.saturating_sub(now)))
            } else {
                Wait::Clock(after(timeout))
            }
        }
        abi::EVENTTYPE_FD_READ => {
            let fd = mem.read_u32(at + 16)?;
            match ctx.table.get(fd)? {
                Desc::File(f) if can_block(&f.file)? => Wait::Poll { fd, write: false },
                Desc::File(f) => {
                    use std::io::Seek as _;
                    // A regular file is always readable; say how much is
                    // left before its end, and hang up at the end.
                    let size = f.file.metadata()?.len();
                    let pos = (&f.file).stream_position()?;
                    let nbytes = size.saturating_sub(pos);
                    let flags = if nbytes == 0 { abi::EVENT_FD_READWRITE_HANGUP } else { 0 };
                    Wait::Ready { nbytes, flags }
                }
                Desc::Input(Input::Inherit) => Wait::Poll { fd, write: false },
                Desc::Input(_) => Wait::Ready { nbytes: 1, flags: 0 },
                _ => return Err(Errno::Badf.into()),
            }
        }
        abi::EVENTTYPE_FD_WRITE => {
            let fd = mem.read_u32(at + 16)?;
            match ctx.table.get(fd)? {
                Desc::File(f) if can_block(&f.file)? => Wait::Poll { fd, write: true },
                // The host's stdout and stderr count as always writable, as
                // in Wasmtime: a write to them blocks rather than fails.
                Desc::File(_) | Desc::Output(_) => Wait::Ready { nbytes: 1, flags: 0 },
                _ => return Err(Errno::Badf.into()),
            }
        }
        _ => return Err(Errno::Inval.into()),
    };
    Ok(Sub { userdata, kind, wait })
}

/// Polls the host descriptors behind `subs`' `Wait::Poll`s for at most
/// `timeout` (`None`: as long as it takes). Returns, per subscription,
/// the `poll` events seen (empty when not ready or not polled).
fn poll_host(ctx: &WasiCtx, subs: &[Sub], timeout: Option<Duration>) -> WasiResult<Vec<rustix::event::PollFlags>> {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let stdin = std::io::stdin();
    let mut fds = Vec::new();
    let mut owners = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        if let Wait::Poll { fd, write } = s.wait {
            let want = if write { PollFlags::OUT } else { PollFlags::IN };
            let pfd = match ctx.table.get(fd)? {
                Desc::File(f) => PollFd::new(&f.file, want),
                _ => PollFd::new(&stdin, want),
            };
            fds.push(pfd);
            owners.push(i);
        }
    }
    let ts = timeout.map(|d| Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()) as _,
    });
    let mut seen = vec![PollFlags::empty(); subs.len()];
    match rustix::event::poll(&mut fds, ts.as_ref()) {
        Ok(_) => {
            for (pfd, i) in fds.iter().zip(owners) {
                seen[i] = pfd.revents();
            }
        }
        // A signal: the caller looks at the clocks and polls again.
        Err(rustix::io::Errno::INTR) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(seen)
}

pub(crate) fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    subs: u32,
    events: u32,
    n: u32,
    out: u32,
) -> WasiResult<()> {
    // Waiting for nothing would block forever: refused, as in Wasmtime.
    if n == 0 {
        return Err(Errno::Inval.into());
    }
    let sub_bytes = n.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::Fault)?;
    let event_bytes = n.checked_mul(EVENT_SIZE).ok_or(Errno::Fault)?;
    mem.slice(subs, sub_bytes)?;
    mem.slice(events, event_bytes)?;
    let subs: Vec<Sub> = (0..n).map(|i| parse(ctx, mem, subs + i * SUBSCRIPTION_SIZE)).collect::<WasiResult<_>>()?;

    let wants_poll = subs.iter().any(|s| matches!(s.wait, Wait::Poll { .. }));
    let any_ready = subs.iter().any(|s| matches!(s.wait, Wait::Ready { .. }));
    // The earliest deadline: `Some(None)` if there are only unreachable
    // ones, `None` if there is no clock.
    let deadline = subs
        .iter()
        .filter_map(|s| match s.wait {
            Wait::Clock(d) => Some(d),
            _ => None,
        })
        .min_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        });

    let mut polled = vec![rustix::event::PollFlags::empty(); subs.len()];
    loop {
        let now = Instant::now();
        let clock_due = matches!(deadline, Some(Some(d)) if d <= now);
        let timeout = if any_ready || clock_due {
            Some(Duration::ZERO)
        } else {
            deadline.flatten().map(|d| d.saturating_duration_since(now))
        };
        if wants_poll {
            polled = poll_host(ctx, &subs, timeout)?;
        } else if let Some(t) = timeout {
            std::thread::sleep(t);
        } else {
            // Only clocks that never fire: the guest asked to wait forever;
            // sleep in long steps rather than spin.
            std::thread::sleep(Duration::from_secs(3600));
        }
        let clock_due = matches!(deadline, Some(Some(d)) if d <= Instant::now());
        if any_ready || clock_due || polled.iter().any(|p| !p.is_empty()) {
            break;
        }
    }

    let now = Instant::now();
    let mut count = 0u32;
    for (i, s) in subs.iter().enumerate() {
        let (nbytes, flags) = match s.wait {
            Wait::Clock(Some(d)) if d <= now => (0, 0),
            Wait::Clock(_) => continue,
            Wait::Ready { nbytes, flags } => (nbytes, flags),
            Wait::Poll { .. } if polled[i].is_empty() => continue,
            Wait::Poll { .. } => {
                let hangup = polled[i].contains(rustix::event::PollFlags::HUP);
                (1, if hangup { abi::EVENT_FD_READWRITE_HANGUP } else { 0 })
            }
        };
        let at = events + count * EVENT_SIZE;
        let mut e = [0u8; EVENT_SIZE as usize];
        e[0..8].copy_from_slice(&s.userdata.to_le_bytes());
        // error (u16 at 8) stays 0: success.
        e[10] = s.kind;
        e[16..24].copy_from_slice(&nbytes.to_le_bytes());
        e[24..26].copy_from_slice(&flags.to_le_bytes());
        mem.write(at, &e)?;
        count += 1;
    }
    mem.write_u32(out, count)
}
