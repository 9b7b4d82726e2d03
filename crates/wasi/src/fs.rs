//! File descriptors and paths: the `fd_*` and `path_*` functions.
//!
//! Every path is resolved by cap-std beneath an open directory, so `..`,
//! absolute paths and symlinks cannot leave the guest's preopens: cap-std
//! refuses such an escape with `PermissionDenied`, which the guest sees as
//! EPERM (see `abi::io_errno`). The errno choices for descriptors of the
//! wrong kind follow Wasmtime's preview 1 adapter.

use crate::abi::{self, Errno, Fdstat, Filestat, Mem, WasiResult, flags, flags32, rights};
use crate::ctx::{Desc, DirEntry, DirPerms, FileEntry, FilePerms, WasiCtx};
use cap_fs_ext::{DirExt as _, OpenOptionsFollowExt as _, OpenOptionsMaybeDirExt as _, SystemTimeSpec};
use cap_std::fs::{FileType, FileTypeExt as _, Metadata, MetadataExt as _};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::FileExt as _;

/// The WASI file type of a host file type.
fn filetype(ft: FileType) -> u8 {
    if ft.is_dir() {
        abi::FILETYPE_DIRECTORY
    } else if ft.is_file() {
        abi::FILETYPE_REGULAR_FILE
    } else if ft.is_symlink() {
        abi::FILETYPE_SYMBOLIC_LINK
    } else if ft.is_block_device() {
        abi::FILETYPE_BLOCK_DEVICE
    } else if ft.is_char_device() {
        abi::FILETYPE_CHARACTER_DEVICE
    } else if ft.is_socket() {
        abi::FILETYPE_SOCKET_STREAM
    } else {
        // Preview 1 has no code for a FIFO.
        abi::FILETYPE_UNKNOWN
    }
}

/// Nanoseconds since the epoch; times before it read as 0.
fn nanos(secs: i64, nsecs: i64) -> u64 {
    match u64::try_from(secs) {
        Ok(s) => s.saturating_mul(1_000_000_000).saturating_add(nsecs.clamp(0, 999_999_999) as u64),
        Err(_) => 0,
    }
}

fn filestat(meta: &Metadata) -> Filestat {
    Filestat {
        dev: meta.dev(),
        ino: meta.ino(),
        filetype: filetype(meta.file_type()),
        nlink: meta.nlink(),
        size: meta.len(),
        atim: nanos(meta.atime(), meta.atime_nsec()),
        mtim: nanos(meta.mtime(), meta.mtime_nsec()),
        ctim: nanos(meta.ctime(), meta.ctime_nsec()),
    }
}

/// A refused operation on a preopen: EPERM, as Wasmtime answers.
fn require(ok: bool) -> WasiResult<()> {
    if ok { Ok(()) } else { Err(Errno::Perm.into()) }
}

/// The directory `fd` with the permission `need`.
fn dir_with(ctx: &WasiCtx, fd: u32, need: DirPerms) -> WasiResult<&DirEntry> {
    let d = ctx.table.dir(fd)?;
    require(d.perms.contains(need))?;
    Ok(d)
}

/// Moves data through the guest buffers `iovs` in turn, as `readv` and
/// `writev` do: `step((buf, len), room, done_so_far)` transfers at most
/// `room` bytes (all of `len`, unless the count would overflow) of the guest
/// buffer at `buf` and says how many it moved. Stops at the
/// first short transfer; an error after some bytes moved reports those
/// bytes instead. The total never exceeds what the `u32` result can count.
fn each_iov(
    iovs: &[(u32, u32)],
    mut step: impl FnMut((u32, u32), usize, usize) -> WasiResult<usize>,
) -> WasiResult<usize> {
    let mut total = 0usize;
    for &(buf, len) in iovs {
        let room = (u32::MAX as usize - total).min(len as usize);
        if room == 0 {
            if len == 0 {
                continue;
            }
            break;
        }
        match step((buf, len), room, total) {
            Ok(n) => {
                total += n;
                if n < room {
                    break;
                }
            }
            Err(_) if total > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Reads into the guest buffers with `read(buf, done_so_far)` (see
/// [`each_iov`]).
pub(crate) fn read_iovs(
    mem: &mut Mem<'_>,
    iovs: &[(u32, u32)],
    mut read: impl FnMut(&mut [u8], usize) -> WasiResult<usize>,
) -> WasiResult<usize> {
    each_iov(iovs, |(buf, len), room, done| read(&mut mem.slice_mut(buf, len)?[..room], done))
}

/// Writes the guest buffers with `write(buf, done_so_far)` (see
/// [`each_iov`]).
pub(crate) fn write_iovs(
    mem: &Mem<'_>,
    iovs: &[(u32, u32)],
    mut write: impl FnMut(&[u8], usize) -> WasiResult<usize>,
) -> WasiResult<usize> {
    each_iov(iovs, |(buf, len), room, done| write(&mem.slice(buf, len)?[..room], done))
}

pub(crate) fn fd_advise(
    ctx: &mut WasiCtx,
    _: &mut Mem<'_>,
    fd: u32,
    offset: u64,
    len: u64,
    advice: u32,
) -> WasiResult<()> {
    if advice > 5 {
        return Err(Errno::Inval.into());
    }
    let f = ctx.table.file(fd)?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::Advice;
        let advice = match advice {
            0 => Advice::Normal,
            1 => Advice::Sequential,
            2 => Advice::Random,
            3 => Advice::WillNeed,
            4 => Advice::DontNeed,
            _ => Advice::NoReuse,
        };
        rustix::fs::fadvise(&f.file, offset, std::num::NonZeroU64::new(len), advice)?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (f, offset, len);
    Ok(())
}

pub(crate) fn fd_allocate(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32, _offset: u64, _len: u64) -> WasiResult<()> {
    // Wasmtime no longer implements this (it is gone from later WASI
    // versions): a file gets ENOTSUP, anything else EBADF.
    ctx.table.file(fd)?;
    Err(Errno::Notsup.into())
}

pub(crate) fn fd_close(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32) -> WasiResult<()> {
    ctx.table.remove(fd)?;
    Ok(())
}

pub(crate) fn fd_datasync(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32) -> WasiResult<()> {
    ctx.table.file(fd)?.file.sync_data()?;
    Ok(())
}

pub(crate) fn fd_sync(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32) -> WasiResult<()> {
    ctx.table.file(fd)?.file.sync_all()?;
    Ok(())
}

/// The rights a preopened directory reports: the set many guest libcs
/// expect to see before they will use a directory (Wasmtime's).
const PREOPEN_RIGHTS: u64 = rights::PATH_CREATE_DIRECTORY
    | rights::PATH_CREATE_FILE
    | rights::PATH_LINK_SOURCE
    | rights::PATH_LINK_TARGET
    | rights::PATH_OPEN
    | rights::FD_READDIR
    | rights::PATH_READLINK
    | rights::PATH_RENAME_SOURCE
    | rights::PATH_RENAME_TARGET
    | rights::PATH_SYMLINK
    | rights::PATH_REMOVE_DIRECTORY
    | rights::PATH_UNLINK_FILE
    | rights::PATH_FILESTAT_GET
    | rights::PATH_FILESTAT_SET_TIMES
    | rights::FD_FILESTAT_GET
    | rights::FD_FILESTAT_SET_TIMES;

const PREOPEN_INHERITING: u64 = PREOPEN_RIGHTS
    | rights::FD_DATASYNC
    | rights::FD_READ
    | rights::FD_SEEK
    | rights::FD_FDSTAT_SET_FLAGS
    | rights::FD_SYNC
    | rights::FD_TELL
    | rights::FD_WRITE
    | rights::FD_ADVISE
    | rights::FD_ALLOCATE
    | rights::FD_FILESTAT_GET
    | rights::FD_FILESTAT_SET_SIZE
    | rights::FD_FILESTAT_SET_TIMES
    | rights::POLL_FD_READWRITE;

pub(crate) fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, fd: u32, out: u32) -> WasiResult<()> {
    // Rights are not enforced (as in Wasmtime): they only describe what the
    // descriptor was opened for, which is what guest libcs look at.
    let tty = |t: bool| if t { abi::FILETYPE_CHARACTER_DEVICE } else { abi::FILETYPE_UNKNOWN };
    let st = match ctx.table.get(fd)? {
        Desc::Input(i) => Fdstat {
            filetype: tty(i.is_tty()),
            flags: 0,
            rights_base: rights::FD_READ,
            rights_inheriting: rights::FD_READ,
        },
        Desc::Output(o) => Fdstat {
            filetype: tty(o.is_tty()),
            flags: 0,
            rights_base: rights::FD_WRITE,
            rights_inheriting: rights::FD_WRITE,
        },
        Desc::Dir(d) if d.preopen.is_some() => Fdstat {
            filetype: abi::FILETYPE_DIRECTORY,
            flags: 0,
            rights_base: PREOPEN_RIGHTS,
            rights_inheriting: PREOPEN_INHERITING,
        },
        Desc::Dir(_) => {
            let base = rights::ALL
                & !(rights::FD_SEEK | rights::FD_FILESTAT_SET_SIZE | rights::PATH_FILESTAT_SET_SIZE | rights::FD_WRITE);
            Fdstat { filetype: abi::FILETYPE_DIRECTORY, flags: 0, rights_base: base, rights_inheriting: base }
        }
        Desc::File(f) => {
            let meta = Metadata::from_file(&f.file)?;
            let os = rustix::fs::fcntl_getfl(&f.file)?;
            let mut flags = 0u32;
            if f.append {
                flags |= abi::FDFLAGS_APPEND;
            }
            if f.nonblock {
                flags |= abi::FDFLAGS_NONBLOCK;
            }
            if os.contains(rustix::fs::OFlags::DSYNC) {
                flags |= abi::FDFLAGS_DSYNC;
            }
            if os.contains(rustix::fs::OFlags::SYNC) {
                flags |= abi::FDFLAGS_SYNC;
            }
            let mut base = rights::ALL;
            if !f.read {
                base &= !(rights::FD_READ | rights::FD_READDIR);
            }
            if !f.write {
                base &= !rights::FD_WRITE;
            }
            Fdstat {
                filetype: filetype(meta.file_type()),
                flags: flags as u16,
                rights_base: base,
                rights_inheriting: base,
            }
        }
    };
    mem.write_fdstat(out, &st)
}

pub(crate) fn fd_fdstat_set_flags(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32, fdflags: u32) -> WasiResult<()> {
    let fdflags = flags32(fdflags, abi::FDFLAGS_ALL)?;
    let f = ctx.table.file_mut(fd)?;
    // Only APPEND and NONBLOCK can change once a file is open.
    if fdflags & (abi::FDFLAGS_DSYNC | abi::FDFLAGS_SYNC | abi::FDFLAGS_RSYNC) != 0 {
        return Err(Errno::Inval.into());
    }
    let append = fdflags & abi::FDFLAGS_APPEND != 0;
    if append != f.append {
        set_append(&f.file, append)?;
        f.append = append;
    }
    f.nonblock = fdflags & abi::FDFLAGS_NONBLOCK != 0;
    Ok(())
}

/// Appending is the host's O_APPEND, so every write lands at the end
/// whatever else shares the file.
fn set_append(file: &std::fs::File, on: bool) -> WasiResult<()> {
    let mut fl = rustix::fs::fcntl_getfl(file)?;
    fl.set(rustix::fs::OFlags::APPEND, on);
    rustix::fs::fcntl_setfl(file, fl)?;
    Ok(())
}

pub(crate) fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _: &mut Mem<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> WasiResult<()> {
    flags(base, rights::ALL)?;
    flags(inheriting, rights::ALL)?;
    match ctx.table.get(fd)? {
        Desc::File(_) | Desc::Dir(_) => Err(Errno::Notsup.into()),
        _ => Err(Errno::Badf.into()),
    }
}

pub(crate) fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, fd: u32, out: u32) -> WasiResult<()> {
    let st = match ctx.table.get(fd)? {
        Desc::Input(i) => Filestat {
            filetype: if i.is_tty() { abi::FILETYPE_CHARACTER_DEVICE } else { abi::FILETYPE_UNKNOWN },
            ..Filestat::default()
        },
        Desc::Output(o) => Filestat {
            filetype: if o.is_tty() { abi::FILETYPE_CHARACTER_DEVICE } else { abi::FILETYPE_UNKNOWN },
            ..Filestat::default()
        },
        Desc::File(f) => filestat(&Metadata::from_file(&f.file)?),
        Desc::Dir(d) => filestat(&d.dir.dir_metadata()?),
    };
    mem.write_filestat(out, &st)
}

pub(crate) fn fd_filestat_set_size(ctx: &mut WasiCtx, _: &mut Mem<'_>, fd: u32, size: u64) -> WasiResult<()> {
    let f = ctx.table.file(fd)?;
    require(f.perms.contains(FilePerms::WRITE))?;
    f.file.set_len(size)?;
    Ok(())
}

/// One timestamp of a `$fstflags` request: `set` and `now` together are
/// EINVAL.
fn timespec(set: bool, now: bool, ts: u64) -> WasiResult<Option<SystemTimeSpec>> {
    match (set, now) {
        (true, true) => Err(Errno::Inval.into()),
        (true, false) => {
            let t = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_nanos(ts)).ok_or(Errno::Overflow)?;
            Ok(Some(SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(t))))
        }
        (false, true) => Ok(Some(SystemTimeSpec::SymbolicNow)),
        (false, false) => Ok(None),
    }
}

fn fst_times(atim: u64, mtim: u64, fst: u32) -> WasiResult<(Option<SystemTimeSpec>, Option<SystemTimeSpec>)> {
    let fst = flags32(fst, abi::FST_ALL)?;
    let a = timespec(fst & abi::FST_ATIM != 0, fst & abi::FST_ATIM_NOW != 0, atim)?;
    let m = timespec(fst & abi::FST_MTIM != 0, fst & abi::FST_MTIM_NOW != 0, mtim)?;
    Ok((a, m))
}

fn rustix_time(t: &Option<SystemTimeSpec>) -> rustix::fs::Timespec {
    use rustix::fs::{UTIME_NOW, UTIME_OMIT};
    match t {
        None => rustix::fs::Timespec { tv_sec: 0, tv_nsec: UTIME_OMIT },
        Some(SystemTimeSpec::SymbolicNow) => rustix::fs::Timespec { tv_sec: 0, tv_nsec: UTIME_NOW },
        Some(SystemTimeSpec::Absolute(t)) => {
            let d = t.into_std().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            rustix::fs::Timespec {
                tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(d.subsec_nanos()) as _,
            }
        }
    }
}

pub(crate) fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _: &mut Mem<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> WasiResult<()> {
    let (a, m) = fst_times(atim, mtim, fst)?;
    let times = rustix::fs::Timestamps { last_access: rustix_time(&a), last_modification: rustix_time(&m) };
    match ctx.table.get(fd)? {
        Desc::File(f) => {
            require(f.perms.contains(FilePerms::WRITE))?;
            rustix::fs::futimens(&f.file, &times)?;
        }
        Desc::Dir(d) => {
            require(d.perms.contains(DirPerms::MUTATE))?;
            rustix::fs::futimens(&d.dir, &times)?;
        }
        _ => return Err(Errno::Badf.into()),
    }
    Ok(())
}

pub(crate) fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    out: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match ctx.table.get(fd)? {
        Desc::File(f) => read_iovs(mem, &iovs, |buf, _| Ok((&f.file).read(buf)?))?,
        Desc::Input(i) => read_iovs(mem, &iovs, |buf, _| i.read(buf))?,
        _ => return Err(Errno::Badf.into()),
    };
    mem.write_size(out, n)
}

pub(crate) fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    out: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match ctx.table.get(fd)? {
        Desc::File(f) => read_iovs(mem, &iovs, |buf, done| {
            let at = offset.checked_add(done as u64).ok_or(Errno::Overflow)?;
            Ok(f.file.read_at(buf, at)?)
        })?,
        Desc::Input(_) => return Err(Errno::Spipe.into()),
        _ => return Err(Errno::Badf.into()),
    };
    mem.write_size(out, n)
}

pub(crate) fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    out: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match ctx.table.get(fd)? {
        Desc::File(f) => write_iovs(mem, &iovs, |buf, _| Ok((&f.file).write(buf)?))?,
        Desc::Output(o) => write_iovs(mem, &iovs, |buf, _| o.write(buf))?,
        _ => return Err(Errno::Badf.into()),
    };
    mem.write_size(out, n)
}

pub(crate) fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    out: u32,
) -> WasiResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match ctx.table.get(fd)? {
        // On an O_APPEND file the host appends whatever the offset (Linux
        // semantics, which Wasmtime also gives).
        Desc::File(f) => write_iovs(mem, &iovs, |buf, done| {
            let at = offset.checked_add(done as u64).ok_or(Errno::Overflow)?;
            Ok(f.file.write_at(buf, at)?)
        })?,
        Desc::Output(_) => return Err(Errno::Spipe.into()),
        _ => return Err(Errno::Badf.into()),
    };
    mem.write_size(out, n)
}

pub(crate) fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut Mem<'_>, fd: u32, out: u32) -> WasiResult<()> {
    match ctx.table.get(fd)? {
        Desc::Dir(DirEntry { preopen: Some(name), .. }) => {
            let len = u32::try_from(name.len()).map_err(|_| Errno::Overflow)?;
            // `$prestat`: tag 0 (`dir`), then `pr_name_len` at offset 4.
            let mut b = [0u8; 8];
            b[4..].copy_from_slice(&len.to_le_bytes());
            mem.write(out, &b)
        }
        _ => Err(Errno::Badf.into()),
    }
}

pub(crate) fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> WasiResult<()> {
    match ctx.table.get(fd)? {
        Desc::Dir(DirEntry { preopen: Some(name), .. }) => {
            if name.len() > path_len as usize {
                return Err(Errno::Nametoolong.into());
            }
            mem.write(path, name.as_bytes())
        }
        _ => Err(Errno::Notdir.into()),
    }
}

pub(crate) fn fd_renumber(ctx: &mut WasiCtx, _: &mut Mem<'_>, from: u32, to: u32) -> WasiResult<()> {
    if !ctx.table.contains(from) || !ctx.table.contains(to) {
        return Err(Errno::Badf.into());
    }
    if from != to {
        let desc = ctx.table.remove(from)?;
        ctx.table.insert_at(to, desc);
    }
    Ok(())
}

fn seekable(ctx: &WasiCtx, fd: u32) -> WasiResult<&FileEntry> {
    match ctx.table.get(fd)? {
        Desc::File(f) => Ok(f),
        Desc::Input(_) | Desc::Output(_) => Err(Errno::Spipe.into()),
        Desc::Dir(_) => Err(Errno::Badf.into()),
    }
}

pub(crate) fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    offset: i64,
    whence: u32,
    out: u32,
) -> WasiResult<()> {
    let pos = match whence {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::Inval.into()),
    };
    let f = seekable(ctx, fd)?;
    let new = (&f.file).seek(pos)?;
    mem.write_u64(out, new)
}

pub(crate) fn fd_tell(ctx: &mut WasiCtx, mem: &mut Mem<'_>, fd: u32, out: u32) -> WasiResult<()> {
    let f = seekable(ctx, fd)?;
    let pos = (&f.file).stream_position()?;
    mem.write_u64(out, pos)
}

/// The size of a `$dirent` header.
const DIRENT_SIZE: usize = 24;

pub(crate) fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    out: u32,
) -> WasiResult<()> {
    use rustix::fs::DirEntryExt as _;
    use std::os::unix::ffi::OsStrExt as _;
    let d = dir_with(ctx, fd, DirPerms::READ)?;
    let own_ino = d.dir.dir_metadata()?.ino();
    // Entries are numbered from the start of the listing, "." and ".."
    // first; a cookie is the number of the next entry.
    let mut entries: Vec<(u64, u8, Vec<u8>)> =
        vec![(own_ino, abi::FILETYPE_DIRECTORY, b".".to_vec()), (own_ino, abi::FILETYPE_DIRECTORY, b"..".to_vec())];
    for e in d.dir.entries()? {
        let e = e?;
        let ty = filetype(e.file_type()?);
        entries.push((e.ino(), ty, e.file_name().as_bytes().to_vec()));
    }
    let out_buf = mem.slice_mut(buf, buf_len)?;
    let mut used = 0usize;
    let skip = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, (ino, ty, name)) in entries.iter().enumerate().skip(skip) {
        let namlen = u32::try_from(name.len()).map_err(|_| Errno::Overflow)?;
        let mut head = [0u8; DIRENT_SIZE];
        head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        head[8..16].copy_from_slice(&ino.to_le_bytes());
        head[16..20].copy_from_slice(&namlen.to_le_bytes());
        head[20] = *ty;
        // A last entry that does not fit is cut short; the guest sees a full
        // buffer and asks again with a larger one.
        for part in [&head[..], &name[..]] {
            let n = part.len().min(out_buf.len() - used);
            out_buf[used..used + n].copy_from_slice(&part[..n]);
            used += n;
            if used == out_buf.len() {
                return mem.write_size(out, used);
            }
        }
    }
    mem.write_size(out, used)
}

pub(crate) fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> WasiResult<()> {
    let d = dir_with(ctx, fd, DirPerms::MUTATE)?;
    d.dir.create_dir(mem.str(path, path_len)?)?;
    Ok(())
}

pub(crate) fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    lookup: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> WasiResult<()> {
    let lookup = flags32(lookup, abi::LOOKUP_SYMLINK_FOLLOW)?;
    let d = dir_with(ctx, fd, DirPerms::READ)?;
    let path = mem.str(path, path_len)?;
    let meta = if lookup != 0 { d.dir.metadata(path)? } else { d.dir.symlink_metadata(path)? };
    mem.write_filestat(out, &filestat(&meta))
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    lookup: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> WasiResult<()> {
    let lookup = flags32(lookup, abi::LOOKUP_SYMLINK_FOLLOW)?;
    let (a, m) = fst_times(atim, mtim, fst)?;
    let d = dir_with(ctx, fd, DirPerms::MUTATE)?;
    let path = mem.str(path, path_len)?;
    if lookup != 0 {
        d.dir.set_times(path, a, m)?;
    } else {
        d.dir.set_symlink_times(path, a, m)?;
    }
    Ok(())
}

/// Two directories between which entries may move: both writable, and of
/// the same permissions, so that a hard link or rename cannot carry a file
/// from a read-only preopen into a writable one.
fn dir_pair(ctx: &WasiCtx, a: u32, b: u32) -> WasiResult<(&DirEntry, &DirEntry)> {
    let a = dir_with(ctx, a, DirPerms::MUTATE)?;
    let b = dir_with(ctx, b, DirPerms::MUTATE)?;
    require(a.perms == b.perms && a.file_perms == b.file_perms)?;
    Ok((a, b))
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    old_fd: u32,
    lookup: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let lookup = flags32(lookup, abi::LOOKUP_SYMLINK_FOLLOW)?;
    let (a, b) = dir_pair(ctx, old_fd, new_fd)?;
    // cap-std links the entry itself; following a symlink first is not
    // offered (Wasmtime gives EINVAL too).
    if lookup != 0 {
        return Err(Errno::Inval.into());
    }
    a.dir.hard_link(mem.str(old_path, old_len)?, &b.dir, mem.str(new_path, new_len)?)?;
    Ok(())
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    lookup: u32,
    path: u32,
    path_len: u32,
    oflags: u32,
    rights_base: u64,
    rights_inheriting: u64,
    fdflags: u32,
    out: u32,
) -> WasiResult<()> {
    let lookup = flags32(lookup, abi::LOOKUP_SYMLINK_FOLLOW)?;
    let oflags = flags32(oflags, abi::OFLAGS_ALL)?;
    flags(rights_base, rights::ALL)?;
    flags(rights_inheriting, rights::ALL)?;
    let fdflags = flags32(fdflags, abi::FDFLAGS_ALL)?;
    let d = match ctx.table.get(fd)? {
        Desc::Dir(d) => d,
        Desc::File(_) => return Err(Errno::Notdir.into()),
        _ => return Err(Errno::Badf.into()),
    };
    require(d.perms.contains(DirPerms::READ))?;
    let path = mem.str(path, path_len)?;

    let create = oflags & abi::OFLAGS_CREAT != 0;
    let excl = oflags & abi::OFLAGS_EXCL != 0;
    let trunc = oflags & abi::OFLAGS_TRUNC != 0;
    let directory = oflags & abi::OFLAGS_DIRECTORY != 0;
    if directory && (create || excl || trunc) {
        return Err(Errno::Inval.into());
    }
    // cap-std cannot open with O_SYNC and friends (Wasmtime: ENOTSUP).
    if fdflags & (abi::FDFLAGS_DSYNC | abi::FDFLAGS_RSYNC | abi::FDFLAGS_SYNC) != 0 {
        return Err(Errno::Notsup.into());
    }
    // Rights are not enforced, but they say how to open: for writing if
    // asked (or to create or truncate), otherwise for reading.
    let write = rights_base & rights::FD_WRITE != 0 || create || trunc;
    let read = rights_base & rights::FD_READ != 0 || !write;
    if create {
        require(d.perms.contains(DirPerms::MUTATE))?;
    }
    if write {
        require(d.file_perms.contains(FilePerms::WRITE))?;
    }

    let mut opts = cap_std::fs::OpenOptions::new();
    opts.read(read).write(write).truncate(trunc);
    if create && excl {
        opts.create_new(true);
    } else if create {
        opts.create(true);
    }
    opts.follow(if lookup != 0 { cap_fs_ext::FollowSymlinks::Yes } else { cap_fs_ext::FollowSymlinks::No });
    opts.maybe_dir(true);
    let file = d.dir.open_with(path, &opts)?.into_std();
    let meta = Metadata::from_file(&file)?;
    let desc = if meta.is_dir() {
        Desc::Dir(DirEntry {
            dir: cap_std::fs::Dir::from_std_file(file),
            preopen: None,
            perms: d.perms,
            file_perms: d.file_perms,
        })
    } else if directory {
        return Err(Errno::Notdir.into());
    } else {
        if read && !write {
            require(d.file_perms.contains(FilePerms::READ))?;
        }
        let append = fdflags & abi::FDFLAGS_APPEND != 0;
        if append {
            set_append(&file, true)?;
        }
        Desc::File(FileEntry {
            file,
            read,
            write,
            append,
            nonblock: fdflags & abi::FDFLAGS_NONBLOCK != 0,
            perms: d.file_perms,
        })
    };
    let new_fd = ctx.table.push(desc)?;
    mem.write_u32(out, new_fd)
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    out: u32,
) -> WasiResult<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let d = dir_with(ctx, fd, DirPerms::READ)?;
    // cap-std refuses to show an absolute target: it would tell the guest
    // about the host's file system outside its preopens.
    let target = d.dir.read_link(mem.str(path, path_len)?)?;
    let bytes = target.as_os_str().as_bytes();
    // Like readlink(2), a target longer than the buffer is cut short.
    let n = bytes.len().min(buf_len as usize);
    mem.write(buf, &bytes[..n])?;
    mem.write_size(out, n)
}

pub(crate) fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> WasiResult<()> {
    let d = dir_with(ctx, fd, DirPerms::MUTATE)?;
    d.dir.remove_dir(mem.str(path, path_len)?)?;
    Ok(())
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    old_fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let (a, b) = dir_pair(ctx, old_fd, new_fd)?;
    a.dir.rename(mem.str(old_path, old_len)?, &b.dir, mem.str(new_path, new_len)?)?;
    Ok(())
}

pub(crate) fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    old_path: u32,
    old_len: u32,
    fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let d = dir_with(ctx, fd, DirPerms::MUTATE)?;
    d.dir.symlink(mem.str(old_path, old_len)?, mem.str(new_path, new_len)?)?;
    Ok(())
}

pub(crate) fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut Mem<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> WasiResult<()> {
    let d = dir_with(ctx, fd, DirPerms::MUTATE)?;
    d.dir.remove_file(mem.str(path, path_len)?)?;
    Ok(())
}
