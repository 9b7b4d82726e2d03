#!/bin/sh
# Builds every tests/wasi/*.c into NAME.wasm with wasi-libc, in OUTDIR
# (default: beside the sources, where the committed .wasm files live).
#
#   tests/wasi/build.sh [OUTDIR]
#
# Needs clang with the wasm32-wasi target, wasm-ld and wasi-libc (Debian 12:
# apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32). CC
# overrides the compiler. The flags are fixed and carry no debug info or
# paths, so a build is byte-for-byte reproducible with the same toolchain:
# tests/all/wasi_programs.rs (committed_wasm_matches_sources) rebuilds into a
# temporary folder and compares with the committed .wasm files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
cc=${CC:-clang}
# -g0 and --strip-debug: no DWARF (it would hold the build directory);
# the name section stays, for readable trap backtraces.
flags="--target=wasm32-wasi -O2 -g0 -Wall -Wextra -Wl,--strip-debug"
cd "$here"
for src in *.c; do
    name=${src%.c}
    # Compile in the source folder with a relative source path, so nothing
    # depends on where the checkout is.
    $cc $flags "$src" -o "$out/$name.wasm.tmp"
    mv "$out/$name.wasm.tmp" "$out/$name.wasm"
done
