//! Traps and short-lived stores must not leak: resident memory stays flat
//! over many of them.
//!
//! RSS is process-wide, and the test harness runs the other tests on
//! parallel threads of the same process (compiling thousands of modules
//! in `bad_input`, for one). So each test here re-runs the test binary
//! with only itself selected, one thread, and measures inside that child.

use brisk::{Engine, Instance, Module, Store, Trap};
use std::process::Command;

const CHILD_ENV: &str = "BRISK_TEST_RSS_CHILD";

/// Linux only: the current process's VmRSS or VmSize, in bytes.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in status"));
    let kib: u64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().expect("a number of kB");
    kib * 1024
}

fn rss() -> u64 {
    status_kib("VmRSS:")
}

fn vm_size() -> u64 {
    status_kib("VmSize:")
}

/// In the parent: runs test `name` alone in a child process and returns
/// true. In the child: returns false, and the caller does the work.
fn delegate_to_child(name: &str) -> bool {
    if std::env::var_os(CHILD_ENV).is_some() {
        return false;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child test {name} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child did not run {name}:\n{stdout}\n{stderr}");
    println!("{stdout}");
    true
}

const MIB: u64 = 1024 * 1024;

// Why 16 MiB: a leak of anything per trap (a backtrace of 64 frames is
// ~500 bytes, an error box ~100 bytes) times 100,000 traps is 10 MiB to
// 50 MiB and more; a leaked signal stack or mapping per trap would be far
// more. Allocator noise in a single-threaded process after warm-up is well
// under 1 MiB, so 16 MiB leaves room without hiding a per-trap leak of
// 168 bytes or more.
#[test]
fn traps_leave_rss_flat() {
    if delegate_to_child("rss::traps_leave_rss_flat") {
        return;
    }
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module $m
             (memory 1)
             (func $load (param i32) (result i32) (i32.load (local.get 0)))
             (func (export "load") (param i32) (result i32)
               (i32.add (call $load (local.get 0)) (i32.const 1))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let load = instance.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    let mut trap_once = |i: i32| {
        let err = load.call(&mut store, 65536 + (i & 0xffff)).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    };
    for i in 0..2_000 {
        trap_once(i);
    }
    let before = rss();
    for i in 0..100_000 {
        trap_once(i);
    }
    let after = rss();
    println!("RSS before {} KiB, after {} KiB", before / 1024, after / 1024);
    assert!(after < before + 16 * MIB, "RSS grew from {before} to {after} bytes over 100,000 traps");
    assert_eq!(load.call(&mut store, 0).unwrap(), 1);
}

// Each iteration creates a store and an instance whose memory is fully
// touched (64 KiB resident), then traps. A leaked memory would keep its
// 64 KiB resident (128 MiB over 2,000 iterations, far above the 16 MiB
// bound) and its 6 GiB reservation mapped (the address-space bound of
// 1 GiB catches even one); a leaked instance or store likewise.
#[test]
fn short_lived_stores_leave_rss_flat() {
    if delegate_to_child("rss::short_lived_stores_leave_rss_flat") {
        return;
    }
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (memory 1)
             (func (export "touch_and_trap")
               (local $i i32)
               (loop $fill
                 (i64.store (local.get $i) (i64.const -1))
                 (local.set $i (i32.add (local.get $i) (i32.const 8)))
                 (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536))))
               (drop (i32.load (local.get $i)))))"#,
    )
    .unwrap();
    let iteration = || {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance.get_typed_func::<(), ()>(&mut store, "touch_and_trap").unwrap();
        let err = f.call(&mut store, ()).unwrap_err();
        assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
        let memory = instance.get_memory(&mut store, "memory");
        assert!(memory.is_none(), "not exported");
    };
    for _ in 0..100 {
        iteration();
    }
    let (rss_before, vm_before) = (rss(), vm_size());
    for _ in 0..2_000 {
        iteration();
    }
    let (rss_after, vm_after) = (rss(), vm_size());
    println!("RSS before {} KiB, after {} KiB", rss_before / 1024, rss_after / 1024);
    println!("VmSize before {} MiB, after {} MiB", vm_before / MIB, vm_after / MIB);
    assert!(rss_after < rss_before + 16 * MIB, "RSS grew from {rss_before} to {rss_after} bytes");
    assert!(vm_after < vm_before + 1024 * MIB, "address space grew from {vm_before} to {vm_after} bytes");
}
