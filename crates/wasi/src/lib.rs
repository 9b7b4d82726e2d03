//! WASI preview 1 (`wasi_snapshot_preview1`) for Brisk.
//!
//! Build a [`WasiCtx`] with a [`WasiCtxBuilder`], keep it in the store's
//! data, and define the 46 preview 1 functions in a [`brisk::Linker`] with
//! [`add_to_linker`]:
//!
//! ```
//! use brisk::{Engine, Linker, Module, Store};
//! use brisk_wasi::{I32Exit, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
//!
//! # fn main() -> anyhow::Result<()> {
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "wasi_snapshot_preview1" "fd_write"
//!         (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!       (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!       (memory (export "memory") 1)
//!       (data (i32.const 16) "hi\n")
//!       (func (export "_start")
//!         ;; one iovec at 0: 3 bytes at 16
//!         (i32.store (i32.const 0) (i32.const 16))
//!         (i32.store (i32.const 4) (i32.const 3))
//!         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
//!         (call $exit (i32.const 7))))
//! "#)?;
//! let stdout = MemoryOutputPipe::new(1 << 20);
//! let wasi = WasiCtxBuilder::new().arg("hello.wasm").stdout(stdout.clone()).build();
//! let mut linker = Linker::new(&engine);
//! brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
//! let mut store = Store::new(&engine, wasi);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
//! let err = start.call(&mut store, ()).unwrap_err();
//! assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(7)));
//! assert_eq!(stdout.contents(), b"hi\n");
//! # Ok(())
//! # }
//! ```
//!
//! The guest reaches the host's file system only beneath the directories
//! given with [`WasiCtxBuilder::preopened_dir`]; paths are resolved by
//! cap-std, which refuses `..`, absolute paths and symlinks that would lead
//! out. Errors are WASI errno values; a guest pointer or length outside its
//! memory gives EFAULT. Only [`proc_exit`](I32Exit) and a module without a
//! `memory` export end the guest with a host error.

#![deny(missing_docs)]

mod abi;
mod ctx;
mod fs;
mod poll;
mod proc;

pub use ctx::{DirPerms, FilePerms, MemoryInputPipe, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
pub use proc::I32Exit;

use abi::{Error, Mem, WasiResult};
use brisk::{Caller, Linker};

/// The import module of every preview 1 function.
const MODULE: &str = "wasi_snapshot_preview1";

/// Runs a host function's body with the calling instance's memory and the
/// store's [`WasiCtx`], and turns its outcome into what the guest sees:
/// errno 0, another errno, or a host error that ends the call.
fn call<T>(
    caller: &mut Caller<'_, T>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    body: impl FnOnce(&mut WasiCtx, &mut Mem<'_>) -> WasiResult<()>,
) -> anyhow::Result<i32> {
    let memory = caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| anyhow::anyhow!("missing required memory export"))?;
    let (bytes, data) = memory.data_and_store_mut(&mut *caller);
    let mut mem = Mem::new(bytes);
    match body(get(data), &mut mem) {
        Ok(()) => Ok(0),
        Err(Error::Errno(e)) => Ok(i32::from(e as u16)),
        Err(Error::Trap(e)) => Err(e),
    }
}

/// Defines each `$name => $f(params)` as `wasi_snapshot_preview1::$name`,
/// a function of the given wasm-typed parameters returning an errno, whose
/// body is `$f(ctx, mem, params...)`.
macro_rules! define {
    ($linker:ident, $get:ident; $($name:ident => $f:path [$($arg:ident: $ty:ty),*];)*) => {$(
        $linker.func_wrap(
            MODULE,
            stringify!($name),
            move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> anyhow::Result<i32> {
                call(&mut caller, $get, |ctx, mem| $f(ctx, mem, $($arg),*))
            },
        )?;
    )*};
}

/// Defines the 46 functions of `wasi_snapshot_preview1` in `linker`. `get`
/// finds the [`WasiCtx`] in the store's data.
///
/// # Errors
///
/// Fails if one of the names is already defined (and shadowing is off).
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
) -> anyhow::Result<()> {
    define! { linker, get;
        args_get => proc::args_get[argv: u32, buf: u32];
        args_sizes_get => proc::args_sizes_get[argc: u32, size: u32];
        environ_get => proc::environ_get[environ: u32, buf: u32];
        environ_sizes_get => proc::environ_sizes_get[count: u32, size: u32];
        clock_res_get => proc::clock_res_get[id: u32, out: u32];
        clock_time_get => proc::clock_time_get[id: u32, precision: u64, out: u32];
        fd_advise => fs::fd_advise[fd: u32, offset: u64, len: u64, advice: u32];
        fd_allocate => fs::fd_allocate[fd: u32, offset: u64, len: u64];
        fd_close => fs::fd_close[fd: u32];
        fd_datasync => fs::fd_datasync[fd: u32];
        fd_fdstat_get => fs::fd_fdstat_get[fd: u32, out: u32];
        fd_fdstat_set_flags => fs::fd_fdstat_set_flags[fd: u32, flags: u32];
        fd_fdstat_set_rights => fs::fd_fdstat_set_rights[fd: u32, base: u64, inheriting: u64];
        fd_filestat_get => fs::fd_filestat_get[fd: u32, out: u32];
        fd_filestat_set_size => fs::fd_filestat_set_size[fd: u32, size: u64];
        fd_filestat_set_times => fs::fd_filestat_set_times[fd: u32, atim: u64, mtim: u64, fst: u32];
        fd_pread => fs::fd_pread[fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32];
        fd_prestat_get => fs::fd_prestat_get[fd: u32, out: u32];
        fd_prestat_dir_name => fs::fd_prestat_dir_name[fd: u32, path: u32, path_len: u32];
        fd_pwrite => fs::fd_pwrite[fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32];
        fd_read => fs::fd_read[fd: u32, iovs: u32, iovs_len: u32, out: u32];
        fd_readdir => fs::fd_readdir[fd: u32, buf: u32, buf_len: u32, cookie: u64, out: u32];
        fd_renumber => fs::fd_renumber[fd: u32, to: u32];
        fd_seek => fs::fd_seek[fd: u32, offset: i64, whence: u32, out: u32];
        fd_sync => fs::fd_sync[fd: u32];
        fd_tell => fs::fd_tell[fd: u32, out: u32];
        fd_write => fs::fd_write[fd: u32, iovs: u32, iovs_len: u32, out: u32];
        path_create_directory => fs::path_create_directory[fd: u32, path: u32, path_len: u32];
        path_filestat_get => fs::path_filestat_get[fd: u32, flags: u32, path: u32, path_len: u32, out: u32];
        path_filestat_set_times => fs::path_filestat_set_times[
            fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst: u32];
        path_link => fs::path_link[
            old_fd: u32, old_flags: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32];
        path_open => fs::path_open[
            fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32,
            base: u64, inheriting: u64, fdflags: u32, out: u32];
        path_readlink => fs::path_readlink[fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, out: u32];
        path_remove_directory => fs::path_remove_directory[fd: u32, path: u32, path_len: u32];
        path_rename => fs::path_rename[
            old_fd: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32];
        path_symlink => fs::path_symlink[old_path: u32, old_len: u32, fd: u32, new_path: u32, new_len: u32];
        path_unlink_file => fs::path_unlink_file[fd: u32, path: u32, path_len: u32];
        poll_oneoff => poll::poll_oneoff[subs: u32, events: u32, n: u32, out: u32];
        random_get => proc::random_get[buf: u32, len: u32];
        sock_accept => proc::sock_accept[fd: u32, flags: u32, out: u32];
        sock_recv => proc::sock_recv[
            fd: u32, iovs: u32, iovs_len: u32, flags: u32, out: u32, out_flags: u32];
        sock_send => proc::sock_send[fd: u32, iovs: u32, iovs_len: u32, flags: u32, out: u32];
        sock_shutdown => proc::sock_shutdown[fd: u32, how: u32];
    }
    // These three touch neither memory nor the context.
    linker.func_wrap(MODULE, "proc_exit", |_: Caller<'_, T>, code: u32| -> anyhow::Result<()> {
        match proc::proc_exit(code) {
            Error::Trap(e) => Err(e),
            Error::Errno(e) => Err(anyhow::anyhow!("proc_exit failed: {e:?}")),
        }
    })?;
    linker.func_wrap(MODULE, "proc_raise", |_: Caller<'_, T>, sig: u32| -> i32 { errno(proc::proc_raise(sig)) })?;
    linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, T>| -> i32 { errno(proc::sched_yield()) })?;
    Ok(())
}

/// The errno of a result that cannot trap.
fn errno(r: WasiResult<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(Error::Errno(e)) => i32::from(e as u16),
        Err(Error::Trap(_)) => i32::from(abi::Errno::Io as u16),
    }
}
