#!/usr/bin/env bash
# bench/programs/compare.sh - run every program of build.sh natively and under
# `brisk run` on the same workload, and compare what they print.
#
#   bench/programs/compare.sh [--brisk PATH] OUTDIR
#
# For each program (sqlite3 lua zlib bzip2 xz):
#  1. builds it for wasm32-wasi (build.sh OUTDIR) and natively with gcc from the
#     same extracted Debian sources, defines, stub headers and drivers
#     (build.sh --native OUTDIR -> OUTDIR/native/NAME); both are cached;
#  2. runs the native binary and `brisk run --dir data` on the same workload:
#     the same argv (argv[0] is the program's name in both), an empty
#     environment in both (so no $HOME, no locale: sqlite3 reads no
#     ~/.sqliterc), stdin from /dev/null, and a fresh copy of the workload's
#     files in ./data (preopened as `data` for Brisk; the programs name their
#     files data/... in both runs, so no host path ever reaches the output):
#       sqlite3  data/bench.db ".parameter set @n 5000" ".read data/bench.sql"
#       lua      data/bench.lua 20000 data/lua-out.txt
#       zlib     1024 6        bzip2  1024 9        xz  512 6
#  3. compares stdout byte for byte, the exit codes, and the files the
#     program left in ./data (the sqlite3 database, lua's output file).
# Prints one line per program ("sqlite3: same output (N bytes)", or the
# differences) and exits 1 if any program differs.
#
# Brisk: PATH, or target/release/brisk of this repository (built with
# `cargo build --release` if it does not exist).  Run directories are kept in
# OUTDIR/compare/NAME/{native,brisk}.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
PROGRAMS=(sqlite3 lua zlib bzip2 xz)

die() { echo "compare.sh: error: $*" >&2; exit 2; }
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }

BRISK=
OUTDIR=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --brisk) [[ $# -ge 2 ]] || usage; BRISK=$2; shift 2 ;;
    --brisk=*) BRISK=${1#--brisk=}; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [[ -z "$OUTDIR" ]] || usage; OUTDIR=$1; shift ;;
  esac
done
[[ -n "$OUTDIR" ]] || usage

if [[ -z "$BRISK" ]]; then
  BRISK=$REPO/target/release/brisk
  if [[ ! -x "$BRISK" ]]; then
    echo "compare.sh: building brisk (cargo build --release)" >&2
    (cd "$REPO" && nice -n 10 cargo build --release >&2)
  fi
fi
[[ -x "$BRISK" ]] || die "no brisk at $BRISK"
BRISK=$(cd "$(dirname "$BRISK")" && pwd)/$(basename "$BRISK")

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
"$SCRIPT_DIR/build.sh" "$OUTDIR" >&2
"$SCRIPT_DIR/build.sh" --native "$OUTDIR" >&2

# workload NAME: the program's arguments after argv[0], one per line.
workload_args() {
  case $1 in
    sqlite3) printf '%s\n' data/bench.db ".parameter set @n 5000" ".read data/bench.sql" ;;
    lua) printf '%s\n' data/bench.lua 20000 data/lua-out.txt ;;
    zlib) printf '%s\n' 1024 6 ;;
    bzip2) printf '%s\n' 1024 9 ;;
    xz) printf '%s\n' 512 6 ;;
  esac
}
# workload_files NAME: the files the program finds in ./data.
workload_files() {
  case $1 in
    sqlite3) echo "$SCRIPT_DIR/workloads/bench.sql" ;;
    lua) echo "$SCRIPT_DIR/workloads/bench.lua" ;;
  esac
}

# fresh_dir DIR NAME: DIR with a new ./data holding the workload's files.
fresh_dir() {
  local f
  rm -rf "$1"
  mkdir -p "$1/data"
  for f in $(workload_files "$2"); do cp "$f" "$1/data/"; done
}

# clear_env: unexport every variable of this (sub)shell, so that what it
# execs next gets an empty environment, like the guest under `brisk run`.
clear_env() {
  local v
  for v in $(compgen -e); do export -n "$v" 2>/dev/null || true; done
}

failed=0
for name in "${PROGRAMS[@]}"; do
  mapfile -t args < <(workload_args "$name")
  base=$OUTDIR/compare/$name
  fresh_dir "$base/native" "$name"
  fresh_dir "$base/brisk" "$name"

  native_rc=0
  (cd "$base/native" && clear_env && exec -a "$name" "$OUTDIR/native/$name" "${args[@]}") \
    </dev/null >"$base/native.stdout" 2>"$base/native.stderr" || native_rc=$?
  brisk_rc=0
  (cd "$base/brisk" && exec env -i "$BRISK" run --dir data --argv0 "$name" "$OUTDIR/$name.wasm" "${args[@]}") \
    </dev/null >"$base/brisk.stdout" 2>"$base/brisk.stderr" || brisk_rc=$?

  problems=()
  [[ $native_rc == "$brisk_rc" ]] || problems+=("exit code: native $native_rc, brisk $brisk_rc")
  cmp -s "$base/native.stdout" "$base/brisk.stdout" || problems+=("stdout differs")
  files_diff=$(diff -r "$base/native/data" "$base/brisk/data" 2>&1) || problems+=("files in data/ differ")
  bytes=$(stat -c %s "$base/native.stdout")
  if [[ ${#problems[@]} == 0 ]]; then
    extra=""
    written=$(( $(find "$base/native/data" -type f | wc -l) - $(workload_files "$name" | wc -l) ))
    [[ $written -gt 0 ]] && extra=", same $written file(s) written in data/"
    echo "$name: same output ($bytes bytes, exit $native_rc$extra)"
  else
    failed=1
    echo "$name: DIFFERENT: $(IFS=';'; echo "${problems[*]}")"
    diff -u --label native --label brisk "$base/native.stdout" "$base/brisk.stdout" | head -n 40 | sed 's/^/  /' || true
    [[ -n "$files_diff" ]] && printf '%s\n' "$files_diff" | head -n 10 | sed 's/^/  /'
    for who in native brisk; do
      if [[ -s "$base/$who.stderr" ]]; then
        echo "  $who stderr:"
        head -n 10 "$base/$who.stderr" | sed 's/^/    /'
      fi
    done
  fi
done
exit $failed
