//! The wasm side of WASI preview 1: errno values, flag and enum constants,
//! guest struct layouts, and bounds-checked access to guest memory.
//!
//! Every host function is written as `fn(&mut WasiCtx, &mut Mem, args...)
//! -> WasiResult<()>`; the glue in `lib.rs` turns `Ok` into errno 0, an
//! [`Errno`] into its number and a [`Error::Trap`] into a host error that
//! ends the guest. Nothing here trusts a guest pointer, length or flag word.

use std::fmt;

/// A WASI preview 1 error number (`$errno`, a `u16` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
#[allow(dead_code, reason = "the full table is kept so every host errno has a name")]
pub(crate) enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    Addrinuse = 3,
    Addrnotavail = 4,
    Afnosupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    Badmsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    Connaborted = 13,
    Connrefused = 14,
    Connreset = 15,
    Deadlk = 16,
    Destaddrreq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Hostunreach = 23,
    Idrm = 24,
    Ilseq = 25,
    Inprogress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isconn = 30,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Msgsize = 35,
    Multihop = 36,
    Nametoolong = 37,
    Netdown = 38,
    Netreset = 39,
    Netunreach = 40,
    Nfile = 41,
    Nobufs = 42,
    Nodev = 43,
    Noent = 44,
    Noexec = 45,
    Nolck = 46,
    Nolink = 47,
    Nomem = 48,
    Nomsg = 49,
    Noprotoopt = 50,
    Nospc = 51,
    Nosys = 52,
    Notconn = 53,
    Notdir = 54,
    Notempty = 55,
    Notrecoverable = 56,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Ownerdead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    Protonosupport = 66,
    Prototype = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    Timedout = 73,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

impl Errno {
    /// The WASI errno for a host `errno` value.
    pub(crate) fn from_raw_os_error(raw: i32) -> Errno {
        use rustix::io::Errno as E;
        match E::from_raw_os_error(raw) {
            E::TOOBIG => Errno::TooBig,
            E::ACCESS => Errno::Acces,
            E::ADDRINUSE => Errno::Addrinuse,
            E::ADDRNOTAVAIL => Errno::Addrnotavail,
            E::AFNOSUPPORT => Errno::Afnosupport,
            E::AGAIN => Errno::Again,
            E::ALREADY => Errno::Already,
            E::BADF => Errno::Badf,
            E::BADMSG => Errno::Badmsg,
            E::BUSY => Errno::Busy,
            E::CANCELED => Errno::Canceled,
            E::CHILD => Errno::Child,
            E::CONNABORTED => Errno::Connaborted,
            E::CONNREFUSED => Errno::Connrefused,
            E::CONNRESET => Errno::Connreset,
            E::DEADLK => Errno::Deadlk,
            E::DESTADDRREQ => Errno::Destaddrreq,
            E::DOM => Errno::Dom,
            E::DQUOT => Errno::Dquot,
            E::EXIST => Errno::Exist,
            E::FAULT => Errno::Fault,
            E::FBIG => Errno::Fbig,
            E::HOSTUNREACH => Errno::Hostunreach,
            E::IDRM => Errno::Idrm,
            E::ILSEQ => Errno::Ilseq,
            E::INPROGRESS => Errno::Inprogress,
            E::INTR => Errno::Intr,
            E::INVAL => Errno::Inval,
            E::IO => Errno::Io,
            E::ISCONN => Errno::Isconn,
            E::ISDIR => Errno::Isdir,
            E::LOOP => Errno::Loop,
            E::MFILE => Errno::Mfile,
            E::MLINK => Errno::Mlink,
            E::MSGSIZE => Errno::Msgsize,
            E::MULTIHOP => Errno::Multihop,
            E::NAMETOOLONG => Errno::Nametoolong,
            E::NETDOWN => Errno::Netdown,
            E::NETRESET => Errno::Netreset,
            E::NETUNREACH => Errno::Netunreach,
            E::NFILE => Errno::Nfile,
            E::NOBUFS => Errno::Nobufs,
            E::NODEV => Errno::Nodev,
            E::NOENT => Errno::Noent,
            E::NOEXEC => Errno::Noexec,
            E::NOLCK => Errno::Nolck,
            E::NOLINK => Errno::Nolink,
            E::NOMEM => Errno::Nomem,
            E::NOMSG => Errno::Nomsg,
            E::NOPROTOOPT => Errno::Noprotoopt,
            E::NOSPC => Errno::Nospc,
            E::NOSYS => Errno::Nosys,
            E::NOTCONN => Errno::Notconn,
            E::NOTDIR => Errno::Notdir,
            E::NOTEMPTY => Errno::Notempty,
            E::NOTRECOVERABLE => Errno::Notrecoverable,
            E::NOTSOCK => Errno::Notsock,
            E::NOTSUP => Errno::Notsup,
            E::NOTTY => Errno::Notty,
            E::NXIO => Errno::Nxio,
            E::OVERFLOW => Errno::Overflow,
            E::OWNERDEAD => Errno::Ownerdead,
            E::PERM => Errno::Perm,
            E::PIPE => Errno::Pipe,
            E::PROTO => Errno::Proto,
            E::PROTONOSUPPORT => Errno::Protonosupport,
            E::PROTOTYPE => Errno::Prototype,
            E::RANGE => Errno::Range,
            E::ROFS => Errno::Rofs,
            E::SPIPE => Errno::Spipe,
            E::SRCH => Errno::Srch,
            E::STALE => Errno::Stale,
            E::TIMEDOUT => Errno::Timedout,
            E::TXTBSY => Errno::Txtbsy,
            E::XDEV => Errno::Xdev,
            // Where the host has aliases (EOPNOTSUPP, EWOULDBLOCK) they
            // compare equal to the arms above; anything else is an I/O error.
            #[allow(unreachable_patterns, reason = "aliases on some hosts")]
            E::OPNOTSUPP => Errno::Notsup,
            _ => Errno::Io,
        }
    }
}

/// Why a host function did not succeed.
pub(crate) enum Error {
    /// Returned to the guest as its errno.
    Errno(Errno),
    /// Ends the guest: the error of the outermost wasm call.
    Trap(anyhow::Error),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Errno(e) => write!(f, "{e:?}"),
            Error::Trap(e) => write!(f, "trap: {e:#}"),
        }
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Error {
        Error::Errno(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Errno(io_errno(&e))
    }
}

impl From<rustix::io::Errno> for Error {
    fn from(e: rustix::io::Errno) -> Error {
        Error::Errno(Errno::from_raw_os_error(e.raw_os_error()))
    }
}

/// The errno for a host I/O error. cap-std reports a path that would leave
/// the sandbox as `PermissionDenied` without an OS code: that is EPERM, as
/// in Wasmtime.
pub(crate) fn io_errno(e: &std::io::Error) -> Errno {
    if let Some(raw) = e.raw_os_error() {
        return Errno::from_raw_os_error(raw);
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => Errno::Noent,
        std::io::ErrorKind::PermissionDenied => Errno::Perm,
        std::io::ErrorKind::AlreadyExists => Errno::Exist,
        std::io::ErrorKind::InvalidInput => Errno::Inval,
        std::io::ErrorKind::Unsupported => Errno::Notsup,
        _ => Errno::Io,
    }
}

/// The result of a host function's body.
pub(crate) type WasiResult<T> = Result<T, Error>;

/// Checks that a flag word has only `known` bits; EINVAL otherwise (as
/// Wasmtime's generated bindings do for an invalid flag value).
pub(crate) fn flags(value: u64, known: u64) -> WasiResult<u64> {
    if value & !known != 0 { Err(Errno::Inval.into()) } else { Ok(value) }
}

/// Checks a `u8`/`u16`/`u32` flag word passed as an `i32`.
pub(crate) fn flags32(value: u32, known: u32) -> WasiResult<u32> {
    if value & !known != 0 { Err(Errno::Inval.into()) } else { Ok(value) }
}

// Rights (`$rights`, u64).
#[allow(dead_code, reason = "the full set is kept for `ALL` to be checkable")]
pub(crate) mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    pub const ALL: u64 = (1 << 30) - 1;
}

// `$fdflags` (u16).
pub(crate) const FDFLAGS_APPEND: u32 = 1;
pub(crate) const FDFLAGS_DSYNC: u32 = 2;
pub(crate) const FDFLAGS_NONBLOCK: u32 = 4;
pub(crate) const FDFLAGS_RSYNC: u32 = 8;
pub(crate) const FDFLAGS_SYNC: u32 = 16;
pub(crate) const FDFLAGS_ALL: u32 = 31;

// `$oflags` (u16).
pub(crate) const OFLAGS_CREAT: u32 = 1;
pub(crate) const OFLAGS_DIRECTORY: u32 = 2;
pub(crate) const OFLAGS_EXCL: u32 = 4;
pub(crate) const OFLAGS_TRUNC: u32 = 8;
pub(crate) const OFLAGS_ALL: u32 = 15;

// `$lookupflags` (u32).
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

// `$fstflags` (u16).
pub(crate) const FST_ATIM: u32 = 1;
pub(crate) const FST_ATIM_NOW: u32 = 2;
pub(crate) const FST_MTIM: u32 = 4;
pub(crate) const FST_MTIM_NOW: u32 = 8;
pub(crate) const FST_ALL: u32 = 15;

// `$filetype` (u8).
pub(crate) const FILETYPE_UNKNOWN: u8 = 0;
pub(crate) const FILETYPE_BLOCK_DEVICE: u8 = 1;
pub(crate) const FILETYPE_CHARACTER_DEVICE: u8 = 2;
pub(crate) const FILETYPE_DIRECTORY: u8 = 3;
pub(crate) const FILETYPE_REGULAR_FILE: u8 = 4;
pub(crate) const FILETYPE_SOCKET_STREAM: u8 = 6;
pub(crate) const FILETYPE_SYMBOLIC_LINK: u8 = 7;

// `$eventtype` (u8) and `$eventrwflags` (u16).
pub(crate) const EVENTTYPE_CLOCK: u8 = 0;
pub(crate) const EVENTTYPE_FD_READ: u8 = 1;
pub(crate) const EVENTTYPE_FD_WRITE: u8 = 2;
pub(crate) const EVENT_FD_READWRITE_HANGUP: u16 = 1;

// `$subclockflags` (u16).
pub(crate) const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// A guest `$filestat`, 64 bytes.
#[derive(Default)]
pub(crate) struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// A guest `$fdstat`, 24 bytes.
pub(crate) struct Fdstat {
    pub filetype: u8,
    pub flags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

/// Guest linear memory, with every access bounds-checked.
pub(crate) struct Mem<'a> {
    bytes: &'a mut [u8],
}

/// A guest pointer or length that leaves memory. Wasmtime traps here (the
/// witx rule for out-of-bounds pointers); Brisk gives the guest EFAULT so
/// that no guest input ends in a host error. See `Mem`.
fn fault() -> Error {
    Error::Errno(Errno::Fault)
}

impl<'a> Mem<'a> {
    /// Wraps a memory's bytes.
    pub(crate) fn new(bytes: &'a mut [u8]) -> Self {
        Mem { bytes }
    }

    fn range(&self, ptr: u32, len: u64) -> WasiResult<std::ops::Range<usize>> {
        let start = u64::from(ptr);
        let end = start.checked_add(len).ok_or_else(fault)?;
        if end > self.bytes.len() as u64 {
            return Err(fault());
        }
        // Both fit: they are at most the memory's length.
        Ok(start as usize..end as usize)
    }

    /// `len` bytes at `ptr`.
    pub(crate) fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let r = self.range(ptr, u64::from(len))?;
        Ok(&self.bytes[r])
    }

    /// `len` bytes at `ptr`, mutably.
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let r = self.range(ptr, u64::from(len))?;
        Ok(&mut self.bytes[r])
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        let r = self.range(ptr, N as u64)?;
        let mut out = [0; N];
        out.copy_from_slice(&self.bytes[r]);
        Ok(out)
    }

    /// Reads a little-endian `u8`.
    pub(crate) fn read_u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub(crate) fn read_u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a little-endian `u32`.
    pub(crate) fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a little-endian `u64`.
    pub(crate) fn read_u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    /// Writes `data` at `ptr`.
    pub(crate) fn write(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        let r = self.range(ptr, data.len() as u64)?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    /// Writes a little-endian `u32`.
    pub(crate) fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub(crate) fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a `usize` result as a guest `$size` (u32); EOVERFLOW if it
    /// does not fit.
    pub(crate) fn write_size(&mut self, ptr: u32, v: usize) -> WasiResult<()> {
        let v = u32::try_from(v).map_err(|_| Errno::Overflow)?;
        self.write_u32(ptr, v)
    }

    /// A guest string: EILSEQ if it is not UTF-8.
    pub(crate) fn str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq.into())
    }

    /// A guest `$iovec_array`/`$ciovec_array`: `(buf, buf_len)` pairs, each
    /// checked to lie within memory before any I/O is done.
    pub(crate) fn iovecs(&self, ptr: u32, len: u32) -> WasiResult<Vec<(u32, u32)>> {
        let bytes = u64::from(len) * 8;
        self.range(ptr, bytes)?;
        let mut out = Vec::with_capacity(len as usize);
        for i in 0..len {
            let at = ptr + i * 8;
            let (buf, buf_len) = (self.read_u32(at)?, self.read_u32(at + 4)?);
            self.range(buf, u64::from(buf_len))?;
            out.push((buf, buf_len));
        }
        Ok(out)
    }

    /// Writes a `$filestat` at `ptr`.
    pub(crate) fn write_filestat(&mut self, ptr: u32, st: &Filestat) -> WasiResult<()> {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&st.dev.to_le_bytes());
        b[8..16].copy_from_slice(&st.ino.to_le_bytes());
        b[16] = st.filetype;
        b[24..32].copy_from_slice(&st.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&st.size.to_le_bytes());
        b[40..48].copy_from_slice(&st.atim.to_le_bytes());
        b[48..56].copy_from_slice(&st.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&st.ctim.to_le_bytes());
        self.write(ptr, &b)
    }

    /// Writes a `$fdstat` at `ptr`.
    pub(crate) fn write_fdstat(&mut self, ptr: u32, st: &Fdstat) -> WasiResult<()> {
        let mut b = [0u8; 24];
        b[0] = st.filetype;
        b[2..4].copy_from_slice(&st.flags.to_le_bytes());
        b[8..16].copy_from_slice(&st.rights_base.to_le_bytes());
        b[16..24].copy_from_slice(&st.rights_inheriting.to_le_bytes());
        self.write(ptr, &b)
    }
}
