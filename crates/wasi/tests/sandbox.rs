//! The sandbox: a guest reaches nothing outside its preopened directories.
//!
//! A small guest forwards WASI calls the test drives with paths it writes
//! into guest memory. Every escape attempt (`..`, absolute paths, symlinks
//! leading out, absolute, dangling or looping, hard links, renames,
//! `/proc/self`) must fail with the errno Wasmtime gives, and afterwards the
//! host folder around the preopen must be exactly as it was.

use brisk::{Engine, Instance, Linker, Memory, Module, Store, Val};
use brisk_wasi::{DirPerms, FilePerms, WasiCtx, WasiCtxBuilder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const ELOOP: i32 = 32;
const ENOENT: i32 = 44;
const EPERM: i32 = 63;

const RIGHTS_FD_READ: i64 = 1 << 1;
const RIGHTS_FD_WRITE: i64 = 1 << 6;
const OFLAGS_CREAT: i32 = 1;
const OFLAGS_TRUNC: i32 = 8;
const FOLLOW: i32 = 1;

/// Forwards each call, so that the host function runs with this instance's
/// memory as its caller's.
const GUEST: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link"
    (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink"
    (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory"
    (func $path_remove_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "open") (param i32 i32 i32 i32 i32 i64 i32) (result i32)
    ;; (dirfd lookup path len oflags rights fdflags); the new fd goes to 0
    (call $path_open (local.get 0) (local.get 1) (local.get 2) (local.get 3)
      (local.get 4) (local.get 5) (i64.const 0) (local.get 6) (i32.const 0)))
  (func (export "link") (param i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $path_link (local.get 0) (local.get 1) (local.get 2) (local.get 3)
      (local.get 4) (local.get 5) (local.get 6)))
  (func (export "rename") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $path_rename (local.get 0) (local.get 1) (local.get 2) (local.get 3)
      (local.get 4) (local.get 5)))
  (func (export "symlink") (param i32 i32 i32 i32 i32) (result i32)
    (call $path_symlink (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "readlink") (param i32 i32 i32) (result i32)
    ;; target into 0x800..0x900, length at 4
    (call $path_readlink (local.get 0) (local.get 1) (local.get 2)
      (i32.const 0x800) (i32.const 0x100) (i32.const 4)))
  (func (export "stat") (param i32 i32 i32 i32) (result i32)
    (call $path_filestat_get (local.get 0) (local.get 1) (local.get 2) (local.get 3) (i32.const 0x900)))
  (func (export "mkdir") (param i32 i32 i32) (result i32)
    (call $path_create_directory (local.get 0) (local.get 1) (local.get 2)))
  (func (export "unlink") (param i32 i32 i32) (result i32)
    (call $path_unlink_file (local.get 0) (local.get 1) (local.get 2)))
  (func (export "rmdir") (param i32 i32 i32) (result i32)
    (call $path_remove_directory (local.get 0) (local.get 1) (local.get 2)))
  (func (export "write") (param i32) (result i32)
    ;; writes one byte (at 0x10) through a one-iovec list at 0x20
    (i32.store (i32.const 0x20) (i32.const 0x10))
    (i32.store (i32.const 0x24) (i32.const 1))
    (call $fd_write (local.get 0) (i32.const 0x20) (i32.const 1) (i32.const 0x28)))
)
"#;

/// Where the test writes path strings in guest memory.
const PATHS: usize = 0x1000;

struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
    memory: Memory,
    /// The next free byte for strings.
    next: usize,
}

impl Guest {
    fn new(ctx: WasiCtx) -> Guest {
        let engine = Engine::default();
        let module = Module::new(&engine, GUEST).unwrap();
        let mut linker = Linker::new(&engine);
        brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
        let mut store = Store::new(&engine, ctx);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        Guest { store, instance, memory, next: PATHS }
    }

    /// Puts `s` in guest memory: (pointer, length) as wasm values.
    fn s(&mut self, s: &str) -> [Val; 2] {
        let at = self.next;
        self.memory.write(&mut self.store, at, s.as_bytes()).unwrap();
        self.next += s.len() + 1;
        [Val::I32(at as i32), Val::I32(s.len() as i32)]
    }

    fn call(&mut self, name: &str, args: &[Val]) -> i32 {
        let f = self.instance.get_func(&mut self.store, name).unwrap();
        let mut out = [Val::I32(0)];
        f.call(&mut self.store, args, &mut out).unwrap_or_else(|e| panic!("{name} trapped: {e:?}"));
        match out[0] {
            Val::I32(v) => v,
            _ => unreachable!(),
        }
    }

    fn open(&mut self, dir: i32, lookup: i32, path: &str, oflags: i32, rights: i64) -> i32 {
        let [p, l] = self.s(path);
        let args = [Val::I32(dir), Val::I32(lookup), p, l, Val::I32(oflags), Val::I64(rights), Val::I32(0)];
        self.call("open", &args)
    }

    /// The fd the last successful open returned.
    fn opened_fd(&mut self) -> i32 {
        let mut b = [0u8; 4];
        self.memory.read(&self.store, 0, &mut b).unwrap();
        i32::from_le_bytes(b)
    }

    fn path_op(&mut self, name: &str, dir: i32, path: &str) -> i32 {
        let [p, l] = self.s(path);
        self.call(name, &[Val::I32(dir), p, l])
    }

    fn two_paths(&mut self, name: &str, a_dir: i32, a: &str, b_dir: i32, b: &str) -> i32 {
        let [ap, al] = self.s(a);
        let [bp, bl] = self.s(b);
        match name {
            "link" => self.call(name, &[Val::I32(a_dir), Val::I32(0), ap, al, Val::I32(b_dir), bp, bl]),
            _ => self.call(name, &[Val::I32(a_dir), ap, al, Val::I32(b_dir), bp, bl]),
        }
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("brisk-wasi-sandbox-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Everything under `root`: relative path -> file contents, symlink target
/// or "<dir>".
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
            let ty = e.file_type().unwrap();
            if ty.is_symlink() {
                out.insert(rel, format!("-> {}", std::fs::read_link(e.path()).unwrap().display()));
            } else if ty.is_dir() {
                out.insert(rel, "<dir>".into());
                walk(root, &e.path(), out);
            } else {
                out.insert(rel, String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn escapes_are_refused() {
    use std::os::unix::fs::symlink;
    let base = temp_dir("escape");
    let outside = base.join("outside");
    let sandbox = base.join("sandbox");
    let ro = base.join("readonly");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(base.join("outside_dir")).unwrap();
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret").unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside").unwrap();
    std::fs::write(ro.join("ro.txt"), "read only").unwrap();
    symlink("../outside/secret.txt", sandbox.join("link_out")).unwrap();
    symlink(outside.join("secret.txt"), sandbox.join("link_abs")).unwrap();
    symlink("../outside/new.txt", sandbox.join("dangling_out")).unwrap();
    symlink("nowhere", sandbox.join("dangling_in")).unwrap();
    symlink("loop_b", sandbox.join("loop_a")).unwrap();
    symlink("loop_a", sandbox.join("loop_b")).unwrap();
    symlink("../outside_dir", sandbox.join("dir_out")).unwrap();
    symlink("/proc/self/root", sandbox.join("proc_root")).unwrap();
    let before = snapshot(&base);

    let ctx = WasiCtxBuilder::new()
        .preopened_dir(&sandbox, "/", DirPerms::all(), FilePerms::all())
        .unwrap()
        .preopened_dir(&ro, "/ro", DirPerms::READ, FilePerms::READ)
        .unwrap()
        .build();
    let mut g = Guest::new(ctx);
    let (rd, rw) = (RIGHTS_FD_READ, RIGHTS_FD_READ | RIGHTS_FD_WRITE);

    // The guest can use its own directory.
    assert_eq!(g.open(3, 0, "inside.txt", 0, rd), ESUCCESS);
    assert_eq!(g.open(3, FOLLOW, "dangling_in", 0, rd), ENOENT);

    // `..` and absolute paths.
    assert_eq!(g.open(3, 0, "../outside/secret.txt", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "sub/../../outside/secret.txt", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "..", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, &outside.join("secret.txt").display().to_string(), 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "/etc/passwd", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "../outside/created.txt", OFLAGS_CREAT, rw), EPERM);

    // Symlinks: leading out (relative or absolute), through a directory
    // link, dangling out (even to create), looping, and into /proc.
    assert_eq!(g.open(3, FOLLOW, "link_out", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "link_out", 0, rd), ELOOP);
    assert_eq!(g.open(3, FOLLOW, "link_abs", 0, rd), EPERM);
    assert_eq!(g.open(3, FOLLOW, "dir_out/x", OFLAGS_CREAT, rw), EPERM);
    assert_eq!(g.open(3, 0, "dir_out/x", OFLAGS_CREAT, rw), EPERM);
    assert_eq!(g.open(3, FOLLOW, "dangling_out", OFLAGS_CREAT, rw), EPERM);
    assert_eq!(g.open(3, FOLLOW, "dangling_out", OFLAGS_CREAT | OFLAGS_TRUNC, rw), EPERM);
    assert_eq!(g.open(3, FOLLOW, "loop_a", 0, rd), ELOOP);
    assert_eq!(g.open(3, FOLLOW, "proc_root/etc/passwd", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "/proc/self/environ", 0, rd), EPERM);
    assert_eq!(g.open(3, 0, "../../../../../proc/self/environ", 0, rd), EPERM);
    let [p, l] = g.s("link_out");
    assert_eq!(g.call("stat", &[Val::I32(3), Val::I32(FOLLOW), p, l]), EPERM);
    // An absolute target is not even shown.
    let [p, l] = g.s("link_abs");
    assert_eq!(g.call("readlink", &[Val::I32(3), p, l]), EPERM);

    // New symlinks: absolute ones are refused; a relative one leading out
    // can be made but not followed.
    let ([a, al], [b, bl]) = (g.s("/etc/passwd"), g.s("evil_abs"));
    assert_eq!(g.call("symlink", &[a, al, Val::I32(3), b, bl]), EPERM);
    let ([a, al], [b, bl]) = (g.s("../outside/secret.txt"), g.s("evil_rel"));
    assert_eq!(g.call("symlink", &[a, al, Val::I32(3), b, bl]), ESUCCESS);
    assert_eq!(g.open(3, FOLLOW, "evil_rel", OFLAGS_TRUNC, rw), EPERM);
    assert_eq!(g.path_op("unlink", 3, "evil_rel"), ESUCCESS);

    // Hard links and renames out, in either direction.
    assert_eq!(g.two_paths("link", 3, "../outside/secret.txt", 3, "stolen"), EPERM);
    assert_eq!(g.two_paths("link", 3, "inside.txt", 3, "../outside/leak"), EPERM);
    assert_eq!(g.two_paths("link", 3, "inside.txt", 3, "dir_out/leak"), EPERM);
    assert_eq!(g.two_paths("rename", 3, "inside.txt", 3, "../outside/moved.txt"), EPERM);
    assert_eq!(g.two_paths("rename", 3, "inside.txt", 3, "dir_out/moved.txt"), EPERM);
    assert_eq!(g.two_paths("rename", 3, "../outside/secret.txt", 3, "got.txt"), EPERM);

    // Other mutations outside.
    assert_eq!(g.path_op("mkdir", 3, "../outside/newdir"), EPERM);
    assert_eq!(g.path_op("mkdir", 3, "dir_out/newdir"), EPERM);
    assert_eq!(g.path_op("unlink", 3, "../outside/secret.txt"), EPERM);
    assert_eq!(g.path_op("unlink", 3, "dir_out/../../outside/secret.txt"), EPERM);
    assert_eq!(g.path_op("rmdir", 3, "../outside_dir"), EPERM);

    // The read-only preopen (fd 4): reading works, nothing else does.
    assert_eq!(g.open(4, 0, "ro.txt", 0, rd), ESUCCESS);
    let fd = g.opened_fd();
    assert_eq!(g.call("write", &[Val::I32(fd)]), EBADF);
    assert_eq!(g.open(4, 0, "ro.txt", 0, rw), EPERM);
    assert_eq!(g.open(4, 0, "ro.txt", OFLAGS_TRUNC, rd), EPERM);
    assert_eq!(g.open(4, 0, "new.txt", OFLAGS_CREAT, rd), EPERM);
    assert_eq!(g.path_op("mkdir", 4, "d"), EPERM);
    assert_eq!(g.path_op("unlink", 4, "ro.txt"), EPERM);
    assert_eq!(g.two_paths("rename", 4, "ro.txt", 3, "taken.txt"), EPERM);
    assert_eq!(g.two_paths("link", 4, "ro.txt", 3, "taken.txt"), EPERM);
    assert_eq!(g.two_paths("rename", 3, "inside.txt", 4, "given.txt"), EPERM);

    // Nothing outside the writable preopen changed, and inside only what
    // the guest did on purpose is left.
    drop(g);
    let after = snapshot(&base);
    assert_eq!(before, after, "the host file system changed");
    let _ = std::fs::remove_dir_all(&base);
}
