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

/// A module with a memory of `pages` pages whose first `data.len()` bytes
/// an active segment initialises, and `load(addr) -> i32` (a byte) and
/// `store(addr, byte)` over it. Encoded by hand: the text format would
/// spell 64 MiB as escapes.
fn module_with_data(pages: u32, data: &[u8]) -> Vec<u8> {
    use brisk_environ::unwind::uleb as leb;
    fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        leb(body.len() as u64, out);
        out.extend_from_slice(body);
    }
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    // Types: (i32) -> i32, (i32 i32) -> ().
    section(1, &[2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0], &mut wasm);
    section(3, &[2, 0, 1], &mut wasm);
    let mut memory = vec![1, 0];
    leb(u64::from(pages), &mut memory);
    section(5, &memory, &mut wasm);
    let mut exports = vec![3];
    for (name, kind, index) in [("load", 0u8, 0u8), ("store", 0, 1), ("memory", 2, 0)] {
        exports.push(name.len() as u8);
        exports.extend_from_slice(name.as_bytes());
        exports.extend_from_slice(&[kind, index]);
    }
    section(7, &exports, &mut wasm);
    // load: local.get 0, i32.load8_u; store: local.get 0, local.get 1,
    // i32.store8.
    let load = [0, 0x20, 0, 0x2d, 0, 0, 0x0b];
    let store = [0, 0x20, 0, 0x20, 1, 0x3a, 0, 0, 0x0b];
    let mut code = vec![2, load.len() as u8];
    code.extend_from_slice(&load);
    code.push(store.len() as u8);
    code.extend_from_slice(&store);
    section(10, &code, &mut wasm);
    // One active segment at offset 0.
    let mut segments = vec![1, 0, 0x41, 0, 0x0b];
    leb(data.len() as u64, &mut segments);
    segments.extend_from_slice(data);
    section(11, &segments, &mut wasm);
    wasm
}

// A 64 MiB data segment, instantiated 1,000 times: copied, that is 64 GiB
// of writes and as much resident memory; mapped copy-on-write from the
// artifact's memory image, nothing is resident until touched. The bound,
// 16 KiB per instance, leaves room for each instance's own allocations
// (vmctx, store) but not for one page of the image copied in each.
#[test]
#[allow(unsafe_code, reason = "loads an artifact this test just wrote")]
fn memory_images_are_mapped_not_copied() {
    if delegate_to_child("rss::memory_images_are_mapped_not_copied") {
        return;
    }
    const INSTANCES: u64 = 1_000;
    let data: Vec<u8> = (0..64 * MIB as usize).map(|i| (i % 251) as u8 + 1).collect();
    let wasm = module_with_data(1025, &data);
    let engine = Engine::default();
    let dir = std::env::temp_dir().join(format!("brisk-rss-images-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("images.bwasm");
    let compiled = Module::new(&engine, &wasm).unwrap();
    std::fs::write(&path, compiled.serialize().unwrap()).unwrap();
    drop(data);
    // Compiled in memory (an anonymous file holds the image) and loaded
    // from a file (the file does).
    // SAFETY: an artifact this test just wrote, left as it is.
    let loaded = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    for module in [&compiled, &loaded] {
        let mut store = Store::new(&engine, ());
        let before = rss();
        let instances: Vec<Instance> =
            (0..INSTANCES).map(|_| Instance::new(&mut store, module, &[]).unwrap()).collect();
        let after = rss();
        println!("{INSTANCES} instances: RSS {} KiB -> {} KiB", before / 1024, after / 1024);
        assert!(after < before + INSTANCES * 16 * 1024, "RSS grew from {before} to {after} bytes");
        // Every instance sees the segment; a write stays in its instance.
        for (i, instance) in instances.iter().enumerate().step_by(97) {
            let load = instance.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
            let store_byte = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store").unwrap();
            let addr = (i as i32 * 65_537) % (64 << 20);
            assert_eq!(load.call(&mut store, addr).unwrap(), (addr % 251) + 1);
            assert_eq!(load.call(&mut store, 64 << 20).unwrap(), 0, "past the segment: zeros");
            store_byte.call(&mut store, (addr, 0)).unwrap();
            assert_eq!(load.call(&mut store, addr).unwrap(), 0);
        }
        for instance in &instances[1..3] {
            let load = instance.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
            assert_eq!(load.call(&mut store, 0).unwrap(), 1, "instance 0's write stays in instance 0");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
