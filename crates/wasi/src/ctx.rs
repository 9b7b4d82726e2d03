//! The per-store WASI state ([`WasiCtx`]), its builder, the stdio pipes,
//! and the guest's file descriptor table.

use crate::abi::{Errno, WasiResult};
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// What a guest may do with a preopened directory itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DirPerms(u8);

impl DirPerms {
    /// Look up, open, list and stat entries.
    pub const READ: DirPerms = DirPerms(1);
    /// Create, remove, rename and link entries, and set their times.
    pub const MUTATE: DirPerms = DirPerms(2);

    /// No permission.
    pub const fn empty() -> DirPerms {
        DirPerms(0)
    }
    /// Every permission.
    pub const fn all() -> DirPerms {
        DirPerms(3)
    }
    /// Whether all of `other` is in `self`.
    pub const fn contains(self, other: DirPerms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for DirPerms {
    type Output = DirPerms;
    fn bitor(self, rhs: DirPerms) -> DirPerms {
        DirPerms(self.0 | rhs.0)
    }
}

/// What a guest may do with files opened under a preopened directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilePerms(u8);

impl FilePerms {
    /// Read contents.
    pub const READ: FilePerms = FilePerms(1);
    /// Write contents, truncate, resize and set times.
    pub const WRITE: FilePerms = FilePerms(2);

    /// No permission.
    pub const fn empty() -> FilePerms {
        FilePerms(0)
    }
    /// Every permission.
    pub const fn all() -> FilePerms {
        FilePerms(3)
    }
    /// Whether all of `other` is in `self`.
    pub const fn contains(self, other: FilePerms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for FilePerms {
    type Output = FilePerms;
    fn bitor(self, rhs: FilePerms) -> FilePerms {
        FilePerms(self.0 | rhs.0)
    }
}

/// A guest's standard input served from bytes in memory. Reads take from
/// the front; once empty, the guest reads end of file.
#[derive(Clone, Debug)]
pub struct MemoryInputPipe {
    state: Arc<Mutex<(Vec<u8>, usize)>>,
}

impl MemoryInputPipe {
    /// A pipe that will give the guest `bytes`, then end of file.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        MemoryInputPipe { state: Arc::new(Mutex::new((bytes.into(), 0))) }
    }

    pub(crate) fn read(&self, buf: &mut [u8]) -> usize {
        let mut state = lock(&self.state);
        let (data, pos) = &mut *state;
        let n = buf.len().min(data.len() - *pos);
        buf[..n].copy_from_slice(&data[*pos..*pos + n]);
        *pos += n;
        n
    }
}

/// Captures what a guest writes to stdout or stderr. Clones share one
/// buffer, so the embedder keeps a clone to read [`contents`](Self::contents)
/// after the guest ran.
#[derive(Clone, Debug)]
pub struct MemoryOutputPipe {
    capacity: usize,
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl MemoryOutputPipe {
    /// A pipe that holds at most `capacity` bytes; a write past that fails
    /// with EIO (as Wasmtime's does), so a runaway guest cannot exhaust the
    /// host's memory.
    pub fn new(capacity: usize) -> Self {
        MemoryOutputPipe { capacity, buffer: Arc::new(Mutex::new(Vec::new())) }
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        lock(&self.buffer).clone()
    }

    pub(crate) fn write(&self, data: &[u8]) -> WasiResult<usize> {
        let mut buffer = lock(&self.buffer);
        if data.len() > self.capacity - buffer.len().min(self.capacity) {
            return Err(Errno::Io.into());
        }
        buffer.extend_from_slice(data);
        Ok(data.len())
    }
}

/// A poisoned lock only means another thread panicked mid-copy of plain
/// bytes; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where fd 0 reads from.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// End of file at once (nothing configured).
    Empty,
    /// The host's stdin.
    Inherit,
    /// Bytes in memory.
    Memory(MemoryInputPipe),
}

impl Input {
    pub(crate) fn read(&self, buf: &mut [u8]) -> WasiResult<usize> {
        match self {
            Input::Empty => Ok(0),
            Input::Inherit => Ok(std::io::stdin().read(buf)?),
            Input::Memory(p) => Ok(p.read(buf)),
        }
    }

    pub(crate) fn is_tty(&self) -> bool {
        use std::io::IsTerminal as _;
        matches!(self, Input::Inherit) && std::io::stdin().is_terminal()
    }
}

/// Where fds 1 and 2 write to.
#[derive(Clone, Debug)]
pub(crate) enum Output {
    /// Discarded (nothing configured).
    Sink,
    /// The host's stdout.
    Stdout,
    /// The host's stderr.
    Stderr,
    /// Captured in memory.
    Memory(MemoryOutputPipe),
}

impl Output {
    pub(crate) fn write(&self, data: &[u8]) -> WasiResult<usize> {
        match self {
            Output::Sink => Ok(data.len()),
            // Unbuffered as far as the guest can tell: it sees its bytes
            // reach the host's stream before fd_write returns.
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(data)?;
                out.flush()?;
                Ok(data.len())
            }
            Output::Stderr => {
                std::io::stderr().write_all(data)?;
                Ok(data.len())
            }
            Output::Memory(p) => p.write(data),
        }
    }

    pub(crate) fn is_tty(&self) -> bool {
        use std::io::IsTerminal as _;
        match self {
            Output::Stdout => std::io::stdout().is_terminal(),
            Output::Stderr => std::io::stderr().is_terminal(),
            _ => false,
        }
    }
}

/// An open regular file (or other non-directory) of the guest.
#[derive(Debug)]
pub(crate) struct FileEntry {
    pub file: std::fs::File,
    /// Opened for reading / writing (what `fd_fdstat_get` reports).
    pub read: bool,
    pub write: bool,
    /// `FDFLAGS_APPEND` and `FDFLAGS_NONBLOCK` as last set by the guest.
    pub append: bool,
    pub nonblock: bool,
    /// The permissions of the preopen this file was opened under.
    pub perms: FilePerms,
}

/// An open directory of the guest.
#[derive(Debug)]
pub(crate) struct DirEntry {
    pub dir: cap_std::fs::Dir,
    /// The guest path, for a preopened directory.
    pub preopen: Option<String>,
    pub perms: DirPerms,
    pub file_perms: FilePerms,
}

/// What a guest file descriptor refers to.
#[derive(Debug)]
pub(crate) enum Desc {
    Input(Input),
    Output(Output),
    File(FileEntry),
    Dir(DirEntry),
}

/// The guest's file descriptors.
#[derive(Debug, Default)]
pub(crate) struct FdTable {
    map: BTreeMap<u32, Desc>,
}

impl FdTable {
    /// The descriptor `fd`; EBADF if it is not open.
    pub(crate) fn get(&self, fd: u32) -> WasiResult<&Desc> {
        self.map.get(&fd).ok_or_else(|| Errno::Badf.into())
    }

    /// The descriptor `fd`, mutably; EBADF if it is not open.
    pub(crate) fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Desc> {
        self.map.get_mut(&fd).ok_or_else(|| Errno::Badf.into())
    }

    /// The open file `fd`; EBADF if it is not open or not a file.
    pub(crate) fn file(&self, fd: u32) -> WasiResult<&FileEntry> {
        match self.get(fd)? {
            Desc::File(f) => Ok(f),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// The open file `fd`, mutably.
    pub(crate) fn file_mut(&mut self, fd: u32) -> WasiResult<&mut FileEntry> {
        match self.get_mut(fd)? {
            Desc::File(f) => Ok(f),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// The open directory `fd`; EBADF if it is not open or not a directory
    /// (Wasmtime's answer for a file where a directory was expected).
    pub(crate) fn dir(&self, fd: u32) -> WasiResult<&DirEntry> {
        match self.get(fd)? {
            Desc::Dir(d) => Ok(d),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// Opens `desc` at the lowest free number, as POSIX does; EMFILE when
    /// the whole `u32` space is taken.
    pub(crate) fn push(&mut self, desc: Desc) -> WasiResult<u32> {
        let mut fd = 0u32;
        for &used in self.map.keys() {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(Errno::Mfile)?;
        }
        self.map.insert(fd, desc);
        Ok(fd)
    }

    /// Closes `fd`, returning what it was.
    pub(crate) fn remove(&mut self, fd: u32) -> WasiResult<Desc> {
        self.map.remove(&fd).ok_or_else(|| Errno::Badf.into())
    }

    /// Puts `desc` at `fd`, replacing (and closing) what was there.
    pub(crate) fn insert_at(&mut self, fd: u32, desc: Desc) {
        self.map.insert(fd, desc);
    }

    /// Whether `fd` is open.
    pub(crate) fn contains(&self, fd: u32) -> bool {
        self.map.contains_key(&fd)
    }
}

/// The WASI state of one store: arguments, environment, and the guest's
/// file descriptors (stdio, preopened directories, files it opened).
///
/// Made by [`WasiCtxBuilder::build`]; reached by the host functions through
/// the projection given to [`add_to_linker`](crate::add_to_linker).
#[derive(Debug)]
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) table: FdTable,
}

impl WasiCtx {
    /// A builder.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }
}

/// Configures a [`WasiCtx`]: arguments, environment, stdio and preopened
/// directories. By default the guest has no arguments, no environment, an
/// stdin at end of file, stdout and stderr that discard, and no directory.
#[derive(Debug)]
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<DirEntry>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiCtxBuilder {
    /// A builder for a guest that can reach nothing of the host.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Input::Empty,
            stdout: Output::Sink,
            stderr: Output::Sink,
            preopens: Vec::new(),
        }
    }

    /// Appends an argument; the first one is the program's name (`argv[0]`).
    pub fn arg(&mut self, arg: impl AsRef<str>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args(&mut self, args: &[impl AsRef<str>]) -> &mut Self {
        self.args.extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Adds an environment variable.
    pub fn env(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> &mut Self {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Adds environment variables.
    pub fn envs(&mut self, env: &[(impl AsRef<str>, impl AsRef<str>)]) -> &mut Self {
        for (k, v) in env {
            self.env(k, v);
        }
        self
    }

    /// Adds the host's environment variables (those that are Unicode).
    pub fn inherit_env(&mut self) -> &mut Self {
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                self.env.push((k, v));
            }
        }
        self
    }

    /// The guest reads the host's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = Input::Inherit;
        self
    }

    /// The guest writes to the host's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = Output::Stdout;
        self
    }

    /// The guest writes to the host's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = Output::Stderr;
        self
    }

    /// The guest uses the host's stdin, stdout and stderr.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// The guest reads `pipe` as its stdin.
    pub fn stdin(&mut self, pipe: MemoryInputPipe) -> &mut Self {
        self.stdin = Input::Memory(pipe);
        self
    }

    /// The guest's stdout goes to `pipe`.
    pub fn stdout(&mut self, pipe: MemoryOutputPipe) -> &mut Self {
        self.stdout = Output::Memory(pipe);
        self
    }

    /// The guest's stderr goes to `pipe`.
    pub fn stderr(&mut self, pipe: MemoryOutputPipe) -> &mut Self {
        self.stderr = Output::Memory(pipe);
        self
    }

    /// Gives the guest the host directory `host_path` as `guest_path`
    /// (file descriptors 3, 4, ... in the order of these calls). The guest
    /// can reach what is beneath it and nothing else; `dir_perms` and
    /// `file_perms` limit what it may do there (a refused operation gives
    /// EPERM, as in Wasmtime).
    ///
    /// # Errors
    ///
    /// Fails if `host_path` cannot be opened as a directory.
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl AsRef<str>,
        dir_perms: DirPerms,
        file_perms: FilePerms,
    ) -> anyhow::Result<&mut Self> {
        let host_path = host_path.as_ref();
        let dir = cap_std::fs::Dir::open_ambient_dir(host_path, cap_std::ambient_authority())
            .with_context(|| format!("failed to open directory {}", host_path.display()))?;
        self.preopens.push(DirEntry {
            dir,
            preopen: Some(guest_path.as_ref().to_owned()),
            perms: dir_perms,
            file_perms,
        });
        Ok(self)
    }

    /// The context. The builder is left empty, as after [`new`](Self::new).
    pub fn build(&mut self) -> WasiCtx {
        let b = std::mem::take(self);
        let mut table = FdTable::default();
        table.insert_at(0, Desc::Input(b.stdin));
        table.insert_at(1, Desc::Output(b.stdout));
        table.insert_at(2, Desc::Output(b.stderr));
        for (fd, dir) in (3..).zip(b.preopens) {
            table.insert_at(fd, Desc::Dir(dir));
        }
        WasiCtx { args: b.args, env: b.env, table }
    }
}
