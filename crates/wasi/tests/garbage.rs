//! Garbage in, errno out: every preview 1 function, called with arbitrary
//! pointers, lengths, descriptors and flag words, returns an errno. It never
//! panics, never returns a host error, and never touches memory outside the
//! guest's.

use brisk::{Engine, Func, Linker, Module, Store, Val};
use brisk_wasi::{DirPerms, FilePerms, I32Exit, WasiCtx, WasiCtxBuilder};

/// Every function but `proc_exit`, with its parameters (`i`: i32, `I`: i64).
const FUNCS: &[(&str, &str)] = &[
    ("args_get", "ii"),
    ("args_sizes_get", "ii"),
    ("environ_get", "ii"),
    ("environ_sizes_get", "ii"),
    ("clock_res_get", "ii"),
    ("clock_time_get", "iIi"),
    ("fd_advise", "iIIi"),
    ("fd_allocate", "iII"),
    ("fd_close", "i"),
    ("fd_datasync", "i"),
    ("fd_fdstat_get", "ii"),
    ("fd_fdstat_set_flags", "ii"),
    ("fd_fdstat_set_rights", "iII"),
    ("fd_filestat_get", "ii"),
    ("fd_filestat_set_size", "iI"),
    ("fd_filestat_set_times", "iIIi"),
    ("fd_pread", "iiiIi"),
    ("fd_prestat_get", "ii"),
    ("fd_prestat_dir_name", "iii"),
    ("fd_pwrite", "iiiIi"),
    ("fd_read", "iiii"),
    ("fd_readdir", "iiiIi"),
    ("fd_renumber", "ii"),
    ("fd_seek", "iIii"),
    ("fd_sync", "i"),
    ("fd_tell", "ii"),
    ("fd_write", "iiii"),
    ("path_create_directory", "iii"),
    ("path_filestat_get", "iiiii"),
    ("path_filestat_set_times", "iiiiIIi"),
    ("path_link", "iiiiiii"),
    ("path_open", "iiiiiIIii"),
    ("path_readlink", "iiiiii"),
    ("path_remove_directory", "iii"),
    ("path_rename", "iiiiii"),
    ("path_symlink", "iiiii"),
    ("path_unlink_file", "iii"),
    ("poll_oneoff", "iiii"),
    ("proc_raise", "i"),
    ("sched_yield", ""),
    ("random_get", "ii"),
    ("sock_accept", "iii"),
    ("sock_recv", "iiiiii"),
    ("sock_send", "iiiii"),
    ("sock_shutdown", "ii"),
];

/// One page of guest memory.
const MEM: u32 = 65536;

/// A module importing every function and exporting a forwarder for each,
/// so calls run with the module's memory.
fn guest() -> String {
    let ty = |c: char| if c == 'I' { "i64" } else { "i32" };
    let mut wat = String::from("(module\n");
    for (name, params) in FUNCS {
        let ps: Vec<&str> = params.chars().map(ty).collect();
        wat += &format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {}) (result i32)))\n",
            ps.join(" ")
        );
    }
    wat += "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n";
    wat += "  (memory (export \"memory\") 1)\n";
    wat += "  (data (i32.const 0x100) \"file.txt\\00dir\\00..\\00/etc\\00a/b/c\\00\")\n";
    for (name, params) in FUNCS {
        let ps: Vec<&str> = params.chars().map(ty).collect();
        let args: String = (0..params.len()).map(|i| format!("(local.get {i}) ")).collect();
        wat += &format!("  (func (export \"{name}\") (param {}) (result i32) (call ${name} {args}))\n", ps.join(" "));
    }
    wat += "  (func (export \"proc_exit\") (param i32) (call $proc_exit (local.get 0)))\n)\n";
    wat
}

/// A small deterministic generator (xorshift), so a failure can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value that is often at an edge: 0, small, near the end of memory,
    /// a path in the data segment, all ones, or anything.
    fn i32(&mut self) -> i32 {
        let r = self.next();
        (match r % 10 {
            0 => 0,
            1 => (r >> 8) % 8,
            2 => u64::from(MEM) - (r >> 8) % 64,
            3 => 0x100 + [0, 9, 13, 16, 21][(r >> 8) as usize % 5],
            4 => u64::from(u32::MAX),
            5 => u64::from(u32::MAX) - (r >> 8) % 64,
            6 => 0x7fff_ffff,
            7 => (r >> 8) % u64::from(MEM),
            8 => 1 << ((r >> 8) % 32),
            _ => r >> 32,
        }) as u32 as i32
    }

    fn i64(&mut self) -> i64 {
        let r = self.next();
        (match r % 6 {
            0 => 0,
            1 => (r >> 8) % 16,
            2 => u64::MAX,
            3 => i64::MAX as u64,
            4 => i64::MIN as u64,
            _ => self.next(),
        }) as i64
    }
}

fn errno_of(name: &str, out: &[Val]) -> i32 {
    match out[0] {
        Val::I32(e) => e,
        ref v => panic!("{name} returned {v:?}"),
    }
}

#[test]
fn garbage_arguments_give_errnos() {
    let scratch = std::env::temp_dir().join(format!("brisk-wasi-garbage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("dir")).unwrap();
    std::fs::write(scratch.join("file.txt"), "some bytes").unwrap();

    let engine = Engine::default();
    let module = Module::new(&engine, guest()).unwrap();
    let mut linker = Linker::new(&engine);
    brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let ctx = || {
        WasiCtxBuilder::new()
            .args(&["garbage.wasm", "x"])
            .env("K", "V")
            .preopened_dir(&scratch, "/", DirPerms::all(), FilePerms::all())
            .unwrap()
            .build()
    };
    let mut store = Store::new(&engine, ctx());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let funcs: Vec<(&str, &str, Func)> =
        FUNCS.iter().map(|(n, p)| (*n, *p, instance.get_func(&mut store, n).unwrap())).collect();

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        for (name, params, f) in &funcs {
            if *name == "poll_oneoff" {
                // Random subscriptions could ask to sleep for centuries:
                // make every tag invalid first (crafted ones are below).
                memory.data_mut(&mut store).fill(0xab);
            }
            let args: Vec<Val> =
                params.chars().map(|c| if c == 'I' { Val::I64(rng.i64()) } else { Val::I32(rng.i32()) }).collect();
            let mut out = [Val::I32(0)];
            f.call(&mut store, &args, &mut out)
                .unwrap_or_else(|e| panic!("round {round}: {name}{args:?} gave a host error: {e:?}"));
            let e = errno_of(name, &out);
            assert!((0..=76).contains(&e), "round {round}: {name}{args:?} returned {e}");
        }
        // Descriptors come and go (fd_close, fd_renumber of garbage fds):
        // start afresh now and then so the preopen is there to be used.
        if round % 50 == 49 {
            *store.data_mut() = ctx();
        }
    }

    // poll_oneoff with crafted subscriptions at 0x1000, events at 0x2000.
    let poll = instance.get_func(&mut store, "poll_oneoff").unwrap();
    let poll_with = |store: &mut Store<WasiCtx>, sub: &[u8], n: i32| {
        memory.write(&mut *store, 0x1000, sub).unwrap();
        let mut out = [Val::I32(0)];
        let args = [Val::I32(0x1000), Val::I32(0x2000), Val::I32(n), Val::I32(0x3000)];
        poll.call(&mut *store, &args, &mut out).unwrap();
        errno_of("poll_oneoff", &out)
    };
    let sub = |tag: u8, a: u32, timeout: u64, flags: u16| {
        let mut s = [0u8; 48];
        s[8] = tag;
        s[16..20].copy_from_slice(&a.to_le_bytes());
        s[24..32].copy_from_slice(&timeout.to_le_bytes());
        s[40..42].copy_from_slice(&flags.to_le_bytes());
        s
    };
    assert_eq!(poll_with(&mut store, &sub(0, 1, 0, 0), 0), 28, "no subscription: EINVAL");
    assert_eq!(poll_with(&mut store, &sub(3, 0, 0, 0), 1), 28, "bad tag: EINVAL");
    assert_eq!(poll_with(&mut store, &sub(0, 2, 0, 0), 1), 28, "CPU clock: EINVAL");
    assert_eq!(poll_with(&mut store, &sub(0, 9, 0, 0), 1), 28, "bad clock: EINVAL");
    assert_eq!(poll_with(&mut store, &sub(0, 1, 0, 0xff), 1), 28, "bad clock flags: EINVAL");
    assert_eq!(poll_with(&mut store, &sub(1, 999, 0, 0), 1), 8, "bad fd: EBADF");
    assert_eq!(poll_with(&mut store, &sub(2, 0, 0, 0), 1), 8, "writing stdin: EBADF");
    assert_eq!(poll_with(&mut store, &sub(0, 1, 1_000_000, 0), 1), 0, "1 ms sleep");
    assert_eq!(poll_with(&mut store, &sub(0, 0, 0, 1), 1), 0, "a realtime deadline in the past");
    let mut both = sub(0, 1, u64::MAX, 0).to_vec();
    both.extend_from_slice(&sub(1, 0, 0, 0));
    assert_eq!(poll_with(&mut store, &both, 2), 0, "stdin at EOF is ready at once");
    let mut n = [0u8; 4];
    memory.read(&mut store, 0x3000, &mut n).unwrap();
    assert_eq!(u32::from_le_bytes(n), 1, "one event: stdin, not the far clock");
    let far = u32::MAX / 48;
    let mut out = [Val::I32(0)];
    poll.call(&mut store, &[Val::I32(0), Val::I32(0), Val::I32(far as i32), Val::I32(0)], &mut out).unwrap();
    assert_eq!(errno_of("poll_oneoff", &out), 21, "subscriptions past memory: EFAULT");

    // proc_exit ends the guest with I32Exit, or an error for a status
    // outside WASI's 0..126.
    let exit = instance.get_func(&mut store, "proc_exit").unwrap();
    let err = exit.call(&mut store, &[Val::I32(3)], &mut []).unwrap_err();
    assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(3)));
    assert_eq!(err.to_string(), "exited with status 3");
    let err = exit.call(&mut store, &[Val::I32(-1)], &mut []).unwrap_err();
    assert!(err.downcast_ref::<I32Exit>().is_none());

    // Nothing escaped the scratch folder: it is all that changed.
    drop(store);
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn no_memory_export_is_a_host_error() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
            (func (export "run") (result i32) (call $close (i32.const 0))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let mut store = Store::new(&engine, WasiCtxBuilder::new().build());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert!(format!("{err:?}").contains("memory"), "{err:?}");
}
