//! `poll_oneoff` on a pipe: the guest waits until the host writes into a
//! FIFO beneath its preopen, rather than for the clock it also gave.

use brisk::{Engine, Linker, Module, Store};
use brisk_wasi::{DirPerms, FilePerms, WasiCtx, WasiCtxBuilder};
use std::io::Write as _;
use std::time::{Duration, Instant};

const GUEST: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "fifo")
  ;; Opens "fifo" for reading (its fd at 0), then polls it for reading
  ;; together with a 10 s monotonic clock. Subscriptions at 0x200, events
  ;; at 0x300, their count at 8. Returns the errno.
  (func (export "run") (result i32)
    (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x100) (i32.const 4)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))
    (if (local.get $e) (then (return (local.get $e))))
    ;; subscription 0: userdata 1, fd_read of the fifo
    (i64.store (i32.const 0x200) (i64.const 1))
    (i32.store8 (i32.const 0x208) (i32.const 1))
    (i32.store (i32.const 0x210) (i32.load (i32.const 0)))
    ;; subscription 1: userdata 2, clock: monotonic, 10 s, relative
    (i64.store (i32.const 0x230) (i64.const 2))
    (i32.store8 (i32.const 0x238) (i32.const 0))
    (i32.store (i32.const 0x240) (i32.const 1))
    (i64.store (i32.const 0x248) (i64.const 10000000000))
    (call $poll_oneoff (i32.const 0x200) (i32.const 0x300) (i32.const 2) (i32.const 8)))
)
"#;

#[test]
fn poll_waits_for_a_pipe() {
    let dir = std::env::temp_dir().join(format!("brisk-wasi-poll-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        println!("skipping: mkfifo is not available");
        return;
    }
    // The writer: opening blocks until the guest opens the other end; the
    // byte comes later, so the guest's poll has to wait for it.
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            std::thread::sleep(Duration::from_millis(200));
            w.write_all(b"x").unwrap();
            std::thread::sleep(Duration::from_millis(200));
        }
    });

    let engine = Engine::default();
    let module = Module::new(&engine, GUEST).unwrap();
    let mut linker = Linker::new(&engine);
    brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let ctx = WasiCtxBuilder::new().preopened_dir(&dir, "/", DirPerms::all(), FilePerms::all()).unwrap().build();
    let mut store = Store::new(&engine, ctx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    let start = Instant::now();
    assert_eq!(run.call(&mut store, ()).unwrap(), 0);
    let waited = start.elapsed();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let mut buf = [0u8; 0x20];
    memory.read(&mut store, 8, &mut buf[..4]).unwrap();
    assert_eq!(u32::from_le_bytes(buf[..4].try_into().unwrap()), 1, "one event");
    memory.read(&mut store, 0x300, &mut buf).unwrap();
    assert_eq!(u64::from_le_bytes(buf[..8].try_into().unwrap()), 1, "the pipe's event");
    assert_eq!(buf[10], 1, "an fd_read event");
    assert!(waited >= Duration::from_millis(150), "returned before the byte was written: {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited for the clock: {waited:?}");
    writer.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
