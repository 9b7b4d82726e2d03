//! Process-level functions: arguments, environment, clocks, randomness,
//! exit, yield, signals, and the socket functions (no socket exists).

use crate::abi::{Errno, Error, Mem, WasiResult, flags32};
use crate::ctx::{Desc, WasiCtx};

/// Writes a list of NUL-terminated strings the way `args_get` and
/// `environ_get` hand them out: a pointer per string at `ptrs`, the bytes
/// one after the other at `buf`.
fn write_strings(mem: &mut Mem<'_>, ptrs: u32, buf: u32, strings: impl Iterator<Item = Vec<u8>>) -> WasiResult<()> {
    let mut ptr = ptrs;
    let mut at = buf;
    for mut s in strings {
        s.push(0);
        let len = u32::try_from(s.len()).map_err(|_| Errno::Overflow)?;
        mem.write_u32(ptr, at)?;
        mem.write(at, &s)?;
        ptr = ptr.checked_add(4).ok_or(Errno::Fault)?;
        at = at.checked_add(len).ok_or(Errno::Fault)?;
    }
    Ok(())
}

/// Writes the count and total size (NULs included) of a string list.
fn write_sizes(mem: &mut Mem<'_>, count_out: u32, size_out: u32, count: usize, size: usize) -> WasiResult<()> {
    mem.write_size(count_out, count)?;
    mem.write_size(size_out, size)
}

fn env_strings(ctx: &WasiCtx) -> impl Iterator<Item = Vec<u8>> + '_ {
    ctx.env.iter().map(|(k, v)| format!("{k}={v}").into_bytes())
}

pub(crate) fn args_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, argv: u32, buf: u32) -> WasiResult<()> {
    write_strings(mem, argv, buf, ctx.args.iter().map(|a| a.as_bytes().to_vec()))
}

pub(crate) fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, argc: u32, size: u32) -> WasiResult<()> {
    let total = ctx.args.iter().map(|a| a.len() + 1).sum();
    write_sizes(mem, argc, size, ctx.args.len(), total)
}

pub(crate) fn environ_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, environ: u32, buf: u32) -> WasiResult<()> {
    write_strings(mem, environ, buf, env_strings(ctx))
}

pub(crate) fn environ_sizes_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, count: u32, size: u32) -> WasiResult<()> {
    let total = ctx.env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    write_sizes(mem, count, size, ctx.env.len(), total)
}

/// The host clock for a WASI `$clockid`; EINVAL for an unknown one.
pub(crate) fn clock(id: u32) -> WasiResult<rustix::time::ClockId> {
    use rustix::time::ClockId;
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        _ => return Err(Errno::Inval.into()),
    })
}

/// A host time in nanoseconds; EOVERFLOW past the year 2554.
fn timestamp(ts: rustix::time::Timespec) -> WasiResult<u64> {
    u64::try_from(ts.tv_sec)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|ns| ns.checked_add(u64::try_from(ts.tv_nsec).ok()?))
        .ok_or_else(|| Errno::Overflow.into())
}

/// The time of clock `id` now, in nanoseconds.
pub(crate) fn now(id: rustix::time::ClockId) -> WasiResult<u64> {
    timestamp(rustix::time::clock_gettime(id))
}

pub(crate) fn clock_res_get(_: &mut WasiCtx, mem: &mut Mem<'_>, id: u32, out: u32) -> WasiResult<()> {
    let res = timestamp(rustix::time::clock_getres(clock(id)?))?;
    mem.write_u64(out, res.max(1))
}

pub(crate) fn clock_time_get(_: &mut WasiCtx, mem: &mut Mem<'_>, id: u32, _precision: u64, out: u32) -> WasiResult<()> {
    let t = now(clock(id)?)?;
    mem.write_u64(out, t)
}

pub(crate) fn random_get(_: &mut WasiCtx, mem: &mut Mem<'_>, buf: u32, len: u32) -> WasiResult<()> {
    fill_random(mem.slice_mut(buf, len)?)
}

/// Fills `buf` from the host's cryptographic random source.
fn fill_random(buf: &mut [u8]) -> WasiResult<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut done = 0;
        while done < buf.len() {
            match rustix::rand::getrandom(&mut buf[done..], rustix::rand::GetRandomFlags::empty()) {
                Ok(n) => done += n,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        use std::io::Read as _;
        std::fs::File::open("/dev/urandom")?.read_exact(buf)?;
        Ok(())
    }
}

/// The error `proc_exit` ends the guest with: the embedder downcasts the
/// error of the wasm call to this to get the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl std::fmt::Display for I32Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exited with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

pub(crate) fn proc_exit(code: u32) -> Error {
    // WASI exit statuses are 0..126; like Wasmtime, anything else ends the
    // guest with an error instead of letting it pick arbitrary host codes.
    if code >= 126 {
        return Error::Trap(anyhow::anyhow!("exit with invalid exit status outside of [0..126)"));
    }
    Error::Trap(anyhow::Error::new(I32Exit(code as i32)))
}

pub(crate) fn proc_raise(sig: u32) -> WasiResult<()> {
    if sig > 30 {
        return Err(Errno::Inval.into());
    }
    // Deprecated in preview 1 and absent later: nothing to raise it in.
    Err(Errno::Nosys.into())
}

pub(crate) fn sched_yield() -> WasiResult<()> {
    std::thread::yield_now();
    Ok(())
}

/// No socket descriptor exists (none is preopened and preview 1 cannot
/// create one): EBADF for a closed fd, ENOTSOCK for any other.
fn not_a_socket(ctx: &WasiCtx, fd: u32) -> WasiResult<()> {
    match ctx.table.get(fd)? {
        Desc::Input(_) | Desc::Output(_) | Desc::File(_) | Desc::Dir(_) => Err(Errno::Notsock.into()),
    }
}

pub(crate) fn sock_accept(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32, fdflags: u32, _out: u32) -> WasiResult<()> {
    flags32(fdflags, crate::abi::FDFLAGS_ALL)?;
    not_a_socket(ctx, fd)
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) fn sock_recv(
    ctx: &mut WasiCtx,
    _: &mut Mem<'_>,
    fd: u32,
    _iovs: u32,
    _len: u32,
    riflags: u32,
    _n: u32,
    _ro: u32,
) -> WasiResult<()> {
    // RECV_PEEK | RECV_WAITALL
    flags32(riflags, 3)?;
    not_a_socket(ctx, fd)
}

pub(crate) fn sock_send(
    ctx: &mut WasiCtx,
    _: &mut Mem<'_>,
    fd: u32,
    _iovs: u32,
    _len: u32,
    siflags: u32,
    _n: u32,
) -> WasiResult<()> {
    // `$siflags` has no flag defined.
    flags32(siflags, 0)?;
    not_a_socket(ctx, fd)
}

pub(crate) fn sock_shutdown(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32, how: u32) -> WasiResult<()> {
    // SHUT_RD | SHUT_WR
    flags32(how, 3)?;
    not_a_socket(ctx, fd)
}
