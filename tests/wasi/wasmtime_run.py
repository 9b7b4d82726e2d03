#!/usr/bin/env python3
"""Runs a WASI command module under Wasmtime, spelled like `brisk run`.

The expected outputs in this folder are Wasmtime's; this is how they were
made and how to check them again (needs `pip install wasmtime`, which ships
Wasmtime's C library; checked with 50.0.1):

    BRISK_WASI_RUNNER="python3 tests/wasi/wasmtime_run.py" \
        cargo test --test all wasi_programs            # compare
    BRISK_WASI_RUNNER=... BRISK_WASI_BLESS=1 cargo test ...  # rewrite

Options before the module: --dir HOST[::GUEST], --env NAME[=VALUE],
--argv0 NAME, and --read-only (every --dir without write permissions).
Exit code: the guest's proc_exit code, 134 on a trap.
"""
import os
import sys

import wasmtime

args = sys.argv[1:]
dirs, env, argv0, read_only = [], [], None, False
while args and args[0].startswith("--"):
    opt = args.pop(0)
    if opt == "--dir":
        dirs.append(args.pop(0))
    elif opt == "--env":
        env.append(args.pop(0))
    elif opt == "--argv0":
        argv0 = args.pop(0)
    elif opt == "--read-only":
        read_only = True
    else:
        print(f"unknown option {opt}", file=sys.stderr)
        sys.exit(2)
if not args:
    print("usage: wasmtime_run.py [OPTIONS] FILE [ARGS...]", file=sys.stderr)
    sys.exit(2)
path = args.pop(0)

config = wasmtime.WasiConfig()
config.argv = [argv0 or path] + args
pairs = []
for item in env:
    name, eq, value = item.partition("=")
    pairs.append((name, value if eq else os.environ.get(name, "")))
config.env = pairs
for d in dirs:
    host, _, guest = d.partition("::")
    config.preopen_dir(host, guest or host, fs_mutable=not read_only)
config.inherit_stdin()
config.inherit_stdout()
config.inherit_stderr()

engine = wasmtime.Engine()
store = wasmtime.Store(engine)
store.set_wasi(config)
linker = wasmtime.Linker(engine)
linker.define_wasi()
instance = linker.instantiate(store, wasmtime.Module.from_file(engine, path))
code = 0
try:
    instance.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    code = e.code
except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
    print(e, file=sys.stderr)
    code = 134
sys.stdout.flush()
os._exit(code)
