#!/usr/bin/env bash
# bench/programs/build.sh - build real C programs from Debian bookworm source
# packages into wasm32-wasi command modules, for Brisk's benchmark suite.
#
#   bench/programs/build.sh [--force] [--no-check] [--native] OUTDIR [NAME...]
#
# Writes OUTDIR/NAME.wasm for each program (default: all of them):
#   sqlite3  the sqlite3 shell            (source package sqlite3)
#   lua      the lua 5.4 interpreter      (source package lua5.4)
#   zlib     zlib + zlib_bench.c driver   (source package zlib)
#   bzip2    libbz2 + bzip2_bench.c       (source package bzip2)
#   xz       liblzma + xz_bench.c         (source package xz-utils)
#
# How:
#  * Sources: `apt-get source --download-only` with a private apt
#    configuration under OUTDIR/apt (its own sources.list with a single
#    "deb-src ... bookworm main" line, its own lists and cache, and none of
#    /etc/apt/apt.conf.d, whose hooks would touch /var), so /etc is never
#    modified and root is not needed.  Then `dpkg-source -x`, which applies
#    the Debian patches.  Downloads and trees stay in OUTDIR/src/<package>/ and
#    are reused by later runs.  The exact versions used are printed.
#  * Compiler: Debian's clang for --target=wasm32-wasi at -O2, with Debian's
#    wasi-libc only (-nostdinc plus its include dir, so that no host header
#    from /usr/include can leak in) and clang's default wasm features (no
#    threads, no exception handling): plain WebAssembly 2.0 modules.  Linked
#    with --strip-debug (wasi-libc.a has DWARF); the "name" section stays.
#    sqlite3's amalgamation (sqlite3.c) is generated on the host with gcc and
#    tclsh (configure + `make sqlite3.c shell.c`); liblzma is configured with
#    autoconf for wasm32-wasi.  The rest is compiled file by file.
#  * Workarounds for what WASI lacks (setjmp, fcntl locks, processes, users,
#    sigset_t) are documented next to each build_* function below and in the
#    C files of ours beside this script.
#  * Check: when `node` is found, every output is validated
#    (WebAssembly.validate) and run once under Node's WASI through
#    run-node.mjs with a small smoke test; a wrong answer fails the script.
#
#  * --native: build the same programs for the host instead, with gcc -O2,
#    from the same extracted sources, with the same defines, stub headers and
#    drivers (only what is wasm-specific is left out: the --target and
#    wasi-libc flags, wasi-libc's emulation libraries, and xz's sigset stub),
#    into OUTDIR/native/NAME (build trees in OUTDIR/build-native/NAME).  The
#    check then runs the native binary on the smoke test.  compare.sh uses
#    these to compare Brisk's output with a native build's.
#
# Idempotent: a program whose OUTDIR/NAME.wasm exists is skipped unless
# --force is given (--force rebuilds from the kept sources).  Build logs are in
# OUTDIR/build/NAME/build.log.  Builds run serially (one compiler at a time).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_PROGRAMS=(sqlite3 lua zlib bzip2 xz)
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
WASI_INC=/usr/include/wasm32-wasi
WASI_LIB=/usr/lib/wasm32-wasi
INSTALL_LINE="apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 dpkg-dev gcc make tcl"

die() { echo "build.sh: error: $*" >&2; exit 1; }
note() { echo "build.sh: $*" >&2; }

usage() {
  sed -n '5p' "$0" | sed 's/^# *//' >&2
  echo "programs: ${ALL_PROGRAMS[*]}" >&2
  exit 2
}

# ---------------------------------------------------------------- arguments
FORCE=0
CHECK=1
NATIVE=0
OUTDIR=
SELECTED=()
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --no-check) CHECK=0 ;;
    --native) NATIVE=1 ;;
    -h|--help) usage ;;
    -*) die "unknown option $arg" ;;
    *) if [[ -z "$OUTDIR" ]]; then OUTDIR=$arg; else SELECTED+=("$arg"); fi ;;
  esac
done
[[ -n "$OUTDIR" ]] || usage
[[ ${#SELECTED[@]} -gt 0 ]] || SELECTED=("${ALL_PROGRAMS[@]}")
for p in "${SELECTED[@]}"; do
  [[ " ${ALL_PROGRAMS[*]} " == *" $p "* ]] || die "unknown program '$p' (known: ${ALL_PROGRAMS[*]})"
done

# ------------------------------------------------------------------ tools
CC=${CC:-clang}
HOST_CC=${HOST_CC:-gcc}
check_tools() {
  local missing=() t
  if [[ $NATIVE == 1 ]]; then
    for t in "$HOST_CC" make tclsh apt-get apt-config dpkg-source patch xz bzip2 tar; do
      command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [[ -f $KEYRING ]] || missing+=("$KEYRING (debian-archive-keyring)")
    if [[ ${#missing[@]} -gt 0 ]]; then
      echo "build.sh: missing tools: ${missing[*]}" >&2
      echo "build.sh: install them with:  $INSTALL_LINE" >&2
      exit 1
    fi
    return
  fi
  for t in "$CC" wasm-ld "$HOST_CC" make tclsh apt-get apt-config dpkg-source patch xz bzip2 tar; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [[ -f $WASI_INC/stdio.h && -f $WASI_LIB/libc.a ]] || missing+=("wasi-libc ($WASI_INC, $WASI_LIB)")
  if command -v "$CC" >/dev/null 2>&1; then
    local rt
    rt=$("$CC" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)
    [[ -n "$rt" && -f "$rt" ]] || missing+=("clang's wasm32 runtime (${rt:-libclang_rt.builtins-wasm32.a})")
  fi
  [[ -f $KEYRING ]] || missing+=("$KEYRING (debian-archive-keyring)")
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "build.sh: missing tools: ${missing[*]}" >&2
    echo "build.sh: install them with:  $INSTALL_LINE" >&2
    exit 1
  fi
}
check_tools

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
SRC_ROOT=$OUTDIR/src
BUILD_ROOT=$OUTDIR/build
APT_DIR=$OUTDIR/apt

if [[ $NATIVE == 0 ]]; then
  RESOURCE_INC=$("$CC" -print-resource-dir)/include
  # Common flags for every wasm compile.
  WASM_CFLAGS=(--target=wasm32-wasi -O2 -nostdinc -isystem "$RESOURCE_INC" -isystem "$WASI_INC")
  # wasi-libc's emulation libraries, for the programs that need them.
  EMU_SIGNAL=-lwasi-emulated-signal
  EMU_MMAN=-lwasi-emulated-mman
  EMU_CLOCKS=-lwasi-emulated-process-clocks
  EMU_GETPID=-lwasi-emulated-getpid
  LIBM=()
else
  # --native: the host's gcc and libc; the same -O2.
  BUILD_ROOT=$OUTDIR/build-native
  mkdir -p "$OUTDIR/native"
  EMU_SIGNAL= EMU_MMAN= EMU_CLOCKS= EMU_GETPID=
  LIBM=(-lm)
fi
wasm_cc() { "$CC" "${WASM_CFLAGS[@]}" "$@"; }
# Debian's wasi-libc.a carries DWARF; --strip-debug drops it (keeps "name").
wasm_link() { "$CC" --target=wasm32-wasi -O2 -Wl,--strip-debug "$@"; }
# The compiler and linker for the mode: wasm32-wasi, or the host (--native).
target_cc() { if [[ $NATIVE == 1 ]]; then "$HOST_CC" -O2 "$@"; else wasm_cc "$@"; fi; }
target_link() {
  if [[ $NATIVE == 1 ]]; then "$HOST_CC" -O2 "$@" "${LIBM[@]}"; else wasm_link "$@"; fi
}
# The emulation libraries named, for the wasm link only (empty when native).
emu_libs() { local l; for l in "$@"; do [[ -n "$l" ]] && echo "$l"; done; return 0; }

# run LOG CMD... : run a build step with its output in LOG; show LOG's tail on failure.
run() {
  local log=$1; shift
  echo "+ $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "build.sh: error: command failed: $*" >&2
    echo "---- last lines of $log ----" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# ------------------------------------------------------- Debian sources
# Private apt configuration, read through APT_CONFIG.  Dir::Etc::Parts points
# to an empty directory so /etc/apt/apt.conf.d is ignored (it may hold
# post-update hooks that write to /var); only proxy settings are carried over.
APT_READY=0
apt_setup() {
  [[ $APT_READY == 1 ]] && return
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/apt.conf.d"
  echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APT_DIR/sources.list"
  {
    echo "Dir::Etc::Main \"/dev/null\";"
    echo "Dir::Etc::Parts \"$APT_DIR/apt.conf.d\";"
    echo "Dir::Etc::SourceList \"$APT_DIR/sources.list\";"
    echo "Dir::Etc::SourceParts \"/dev/null\";"
    echo "Dir::State::Lists \"$APT_DIR/lists\";"
    echo "Dir::Cache \"$APT_DIR/cache\";"
    echo "APT::Get::Only-Source \"true\";"
    # As root apt would drop to user _apt, which cannot write to OUTDIR.
    [[ $EUID == 0 ]] && echo "APT::Sandbox::User \"root\";"
    apt-config dump 2>/dev/null | grep -E '^Acquire::(https?|ftp)::Proxy' || true
  } >"$APT_DIR/apt.conf"
  note "apt-get update (private configuration $APT_DIR/apt.conf)"
  run "$APT_DIR/apt.log" env APT_CONFIG="$APT_DIR/apt.conf" apt-get -q update
  APT_READY=1
}

# fetch_source PKG : make sure OUTDIR/src/PKG holds PKG's .dsc and its
# extracted, patched tree; sets SRC_DIR (the tree) and SRC_VERSION.
fetch_source() {
  local pkg=$1 dir=$SRC_ROOT/$1 dsc
  mkdir -p "$dir"
  dsc=$(find "$dir" -maxdepth 1 -name "${pkg}_*.dsc" | sort | tail -n 1)
  if [[ -z "$dsc" ]]; then
    apt_setup
    note "fetching source package $pkg ($SUITE)"
    (cd "$dir" && run "$APT_DIR/apt.log" \
       env APT_CONFIG="$APT_DIR/apt.conf" apt-get -q source --download-only "$pkg")
    dsc=$(find "$dir" -maxdepth 1 -name "${pkg}_*.dsc" | sort | tail -n 1)
    [[ -n "$dsc" ]] || die "apt-get source $pkg produced no .dsc (see $APT_DIR/apt.log)"
  fi
  SRC_VERSION=$(sed -n 's/^Version: *//p' "$dsc" | head -n 1)
  SRC_DIR=${dsc%.dsc}
  if [[ ! -d "$SRC_DIR" ]]; then
    rm -rf "$SRC_DIR.tmp"
    run "$dir/extract.log" dpkg-source --no-check -x "$dsc" "$SRC_DIR.tmp"
    mv "$SRC_DIR.tmp" "$SRC_DIR"
  fi
}

source_version() {  # version of an already fetched package, or "?"
  local dsc
  dsc=$(find "$SRC_ROOT/$1" -maxdepth 1 -name "$1_*.dsc" 2>/dev/null | sort | tail -n 1)
  [[ -n "$dsc" ]] && sed -n 's/^Version: *//p' "$dsc" | head -n 1 || echo "?"
}

# ------------------------------------------------------------- programs
# Each build_NAME runs in an empty OUTDIR/build/NAME (cwd), logs to LOG, and
# must produce $OUT.  PACKAGE_OF maps a program to its source package.
declare -A PACKAGE_OF=([sqlite3]=sqlite3 [lua]=lua5.4 [zlib]=zlib [bzip2]=bzip2 [xz]=xz-utils)

# sqlite3: the shell (shell.c) plus the amalgamation, with Debian's feature
# flags from debian/rules.  Changes for WASI:
#  -DSQLITE_OS_OTHER=1 + sqlite_wasi.c + src/test_demovfs.c: os_unix.c does
#    not build for WASI in 3.40 (fcntl locks, fchown, mmap shm), so the OS
#    layer is SQLite's own demo VFS (POSIX I/O, no locking) made the default;
#  -DSQLITE_THREADSAFE=0, -DSQLITE_OMIT_LOAD_EXTENSION, -DSQLITE_OMIT_WAL,
#    -DSQLITE_TEMP_STORE=3 (temp tables in memory), -DSQLITE_OMIT_POPEN and
#    -DSQLITE_NOHAVE_SYSTEM (no processes: .system/.shell/.once -e are gone);
#  a stub <pwd.h> (no users in WASI: the shell falls back to $HOME; also
#    declares the no-op chmod() of sqlite_wasi.c, as WASI has no file modes);
#  wasi-libc's emulated signal/mman/process-clocks/getpid libraries.
SQLITE_DEBIAN_FLAGS=(
  -fno-strict-aliasing -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_COLUMN_METADATA
  -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS4
  -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE=1 -DSQLITE_SOUNDEX=1
  -DSQLITE_ENABLE_UNLOCK_NOTIFY -DSQLITE_OMIT_LOOKASIDE=1
  -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ALLOW_ROWID_IN_VIEW
  -DSQLITE_ENABLE_UPDATE_DELETE_LIMIT=1 -DSQLITE_ENABLE_JSON1
  -DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_ENABLE_FTS3_TOKENIZER=1
  -DSQLITE_USE_URI=1 -DSQLITE_MAX_SCHEMA_RETRY=25 -DSQLITE_ENABLE_PREUPDATE_HOOK
  -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_STMTVTAB
  -DSQLITE_MAX_VARIABLE_NUMBER=250000
)
SQLITE_WASI_FLAGS=(
  -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION
  -DSQLITE_OMIT_WAL -DSQLITE_TEMP_STORE=3 -DSQLITE_OMIT_POPEN
  -DSQLITE_NOHAVE_SYSTEM
  -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_MMAN
  -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID
)
build_sqlite3() {
  mkdir -p host stub
  # 1. The amalgamation, generated on the host (lemon, mkkeywordhash, tclsh).
  (cd host && run "$LOG" "$SRC_DIR/configure" --disable-tcl CC="$HOST_CC" \
     && run "$LOG" make sqlite3.c shell.c)
  # 2. A stub <pwd.h>.
  cat >stub/pwd.h <<'EOF'
/* generated by build.sh: WASI has no users, so shell.c falls back to $HOME */
#include <sys/types.h>
struct passwd { char *pw_dir; };
static inline struct passwd *getpwuid(uid_t uid) { (void)uid; return 0; }
static inline uid_t getuid(void) { return 0; }
/* ...nor file modes: wasi-libc lacks chmod(); sqlite_wasi.c has a no-op one */
int chmod(const char *, mode_t);
EOF
  # 3. Compile and link.
  local flags=("${SQLITE_DEBIAN_FLAGS[@]}" "${SQLITE_WASI_FLAGS[@]}" -Istub -Ihost)
  run "$LOG" target_cc "${flags[@]}" -c host/sqlite3.c -o sqlite3.o
  run "$LOG" target_cc "${flags[@]}" -c host/shell.c -o shell.o
  run "$LOG" target_cc "${flags[@]}" -c "$SRC_DIR/src/test_demovfs.c" -o test_demovfs.o
  run "$LOG" target_cc "${flags[@]}" -c "$SCRIPT_DIR/sqlite_wasi.c" -o sqlite_wasi.o
  local libs
  mapfile -t libs < <(emu_libs "$EMU_SIGNAL" "$EMU_MMAN" "$EMU_CLOCKS" "$EMU_GETPID")
  run "$LOG" target_link sqlite3.o shell.o test_demovfs.o sqlite_wasi.o -o "$OUT" "${libs[@]}"
}

# lua: src/*.c except luac.c, with -DLUA_COMPAT_5_3 as Debian/upstream, and
# lua_wasi.h force-included: wasi-libc has no setjmp/longjmp, so Lua errors
# are not catchable — any error (even inside pcall) prints its message and
# exits with status 1 (see lua_wasi.h).  os.execute/io.tmpfile/os.tmpname
# are stubbed.  Stub headers: an empty <setjmp.h> (ldo.c includes it) and
# Debian's generated lua5.4-deb-multiarch.h.
build_lua() {
  mkdir -p stub
  echo '/* generated by build.sh: wasi-libc has no setjmp; see lua_wasi.h */' >stub/setjmp.h
  echo '#define DEB_HOST_MULTIARCH "wasm32-wasi"' >stub/lua5.4-deb-multiarch.h
  local flags=(-DLUA_COMPAT_5_3 -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS
               -Wno-deprecated-declarations -Istub -I"$SRC_DIR/src"
               -include "$SCRIPT_DIR/lua_wasi.h")
  local objs=() f
  for f in "$SRC_DIR"/src/*.c "$SCRIPT_DIR/lua_wasi.c"; do
    case $(basename "$f") in luac.c|onelua.c) continue ;; esac
    run "$LOG" target_cc "${flags[@]}" -c "$f" -o "$(basename "$f" .c).o"
    objs+=("$(basename "$f" .c).o")
  done
  local libs
  mapfile -t libs < <(emu_libs "$EMU_SIGNAL" "$EMU_CLOCKS")
  run "$LOG" target_link "${objs[@]}" -o "$OUT" "${libs[@]}"
}

# zlib: the library sources (as in zlib's Makefile) + zlib_bench.c.
# -DHAVE_UNISTD_H -DHAVE_STDARG_H stand for what zlib's configure would find.
build_zlib() {
  local objs=() f
  for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback \
           inffast inflate inftrees trees uncompr zutil; do
    run "$LOG" target_cc -DHAVE_UNISTD_H -DHAVE_STDARG_H -I"$SRC_DIR" -c "$SRC_DIR/$f.c" -o "$f.o"
    objs+=("$f.o")
  done
  run "$LOG" target_cc -I"$SRC_DIR" -c "$SCRIPT_DIR/zlib_bench.c" -o zlib_bench.o
  run "$LOG" target_link "${objs[@]}" zlib_bench.o -o "$OUT"
}

# bzip2: libbz2's sources (as in bzip2's Makefile) + bzip2_bench.c.
build_bzip2() {
  local objs=() f
  for f in blocksort huffman crctable randtable compress decompress bzlib; do
    run "$LOG" target_cc -D_FILE_OFFSET_BITS=64 -I"$SRC_DIR" -c "$SRC_DIR/$f.c" -o "$f.o"
    objs+=("$f.o")
  done
  run "$LOG" target_cc -I"$SRC_DIR" -c "$SCRIPT_DIR/bzip2_bench.c" -o bzip2_bench.o
  run "$LOG" target_link "${objs[@]}" bzip2_bench.o -o "$OUT"
}

# xz: liblzma configured by autoconf for wasm32-wasi (--disable-threads, no
# command-line tools) and built with its own Makefile, + xz_bench.c.  xz's
# mythread.h defines a sigprocmask() wrapper using sigset_t, which wasi-libc's
# <signal.h> lacks even with _WASI_EMULATED_SIGNAL, so a force-included stub
# header supplies both (the wrapper is never called by liblzma).  We
# link liblzma's object files directly (the Makefile's archive is made by the
# host `ar`, which cannot index wasm objects).
build_xz() {
  if [[ $NATIVE == 1 ]]; then
    # The same configure options for the host (no sigset stub: glibc has it).
    mkdir -p lzma
    (cd lzma && run "$LOG" "$SRC_DIR/configure" CC="$HOST_CC" CFLAGS="-O2" \
       --disable-threads --disable-shared --enable-static --disable-nls \
       --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
       --disable-lzma-links --disable-scripts --disable-doc \
     && run "$LOG" make -C src/liblzma)
    run "$LOG" target_cc -I"$SRC_DIR/src/liblzma/api" -c "$SCRIPT_DIR/xz_bench.c" -o xz_bench.o
    run "$LOG" target_link lzma/src/liblzma/liblzma_la-*.o xz_bench.o -o "$OUT"
    return
  fi
  local sigset_h=$PWD/stub/wasi-sigset.h
  mkdir -p stub lzma
  cat >"$sigset_h" <<'EOF'
/* generated by build.sh: wasi-libc's <signal.h> defines neither sigset_t nor
   sigprocmask (xz's mythread.h needs them); take wasi-libc's placeholder type */
#include <__typedef_sigset_t.h>
int sigprocmask(int, const sigset_t *__restrict, sigset_t *__restrict);
EOF
  (cd lzma && run "$LOG" "$SRC_DIR/configure" --host=wasm32-unknown-wasi \
     CC="$CC" CFLAGS="${WASM_CFLAGS[*]}" LDFLAGS="--target=wasm32-wasi" \
     CPPFLAGS="-D_WASI_EMULATED_SIGNAL -include $sigset_h" \
     --disable-threads --disable-shared --enable-static --disable-nls \
     --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
     --disable-lzma-links --disable-scripts --disable-doc \
   && run "$LOG" make -C src/liblzma)
  run "$LOG" wasm_cc -I"$SRC_DIR/src/liblzma/api" -c "$SCRIPT_DIR/xz_bench.c" -o xz_bench.o
  run "$LOG" wasm_link lzma/src/liblzma/liblzma_la-*.o xz_bench.o -o "$OUT"
}

# ------------------------------------------------------------ smoke tests
# smoke NAME : run OUTDIR/NAME.wasm under Node's WASI; prints "ok" or fails.
smoke_args() {
  case $1 in
    sqlite3) printf '%s\n' ":memory:" "select 1+1, sqlite_version();" ;;
    lua) printf '%s\n' "-e" "print(1+1, _VERSION)" ;;
    zlib|bzip2|xz) printf '%s\n' 256 ;;
  esac
}
smoke_expect() {  # a regular expression for the whole output
  case $1 in
    sqlite3) echo '^2\|3\.[0-9.]+$' ;;
    lua) echo $'^2\tLua 5\\.4$' ;;
    zlib|bzip2|xz) echo " in=262144 .* ok$" ;;
  esac
}
smoke() {
  local name=$1 out rc=0 args=()
  mapfile -t args < <(smoke_args "$name")
  if [[ $NATIVE == 1 ]]; then
    out=$(cd "$OUTDIR" && "./native/$name" "${args[@]}" 2>&1) || rc=$?
  else
    out=$(cd "$OUTDIR" && node "$SCRIPT_DIR/run-node.mjs" "$name.wasm" "${args[@]}" 2>&1) || rc=$?
  fi
  if [[ $rc != 0 ]] || ! [[ "$out" =~ $(smoke_expect "$name") ]]; then
    echo "build.sh: error: smoke test of $name failed (exit $rc):" >&2
    if [[ $NATIVE == 1 ]]; then echo "  native/$name ${args[*]}" >&2
    else echo "  node run-node.mjs $name.wasm ${args[*]}" >&2; fi
    printf '%s\n' "$out" | sed 's/^/  | /' >&2
    exit 1
  fi
  echo "ok"
}

# ------------------------------------------------------------------ main
HAVE_NODE=0
if [[ $CHECK == 1 && $NATIVE == 1 ]]; then
  HAVE_NODE=1  # (the check runs the native binary itself, no node needed)
elif [[ $CHECK == 1 ]]; then
  if command -v node >/dev/null 2>&1; then HAVE_NODE=1
  else note "node not found: skipping the validate/run checks"; fi
fi

SUMMARY=()
for name in "${SELECTED[@]}"; do
  pkg=${PACKAGE_OF[$name]}
  OUT=$OUTDIR/$name.wasm
  [[ $NATIVE == 1 ]] && OUT=$OUTDIR/native/$name
  if [[ -f "$OUT" && $FORCE == 0 ]]; then
    status=cached
    version=$(source_version "$pkg")
  else
    fetch_source "$pkg"
    version=$SRC_VERSION
    note "building $name from $pkg $version"
    rm -rf "${BUILD_ROOT:?}/$name" "$OUT" "$OUT.tmp"
    mkdir -p "$BUILD_ROOT/$name"
    LOG=$BUILD_ROOT/$name/build.log
    start=$SECONDS
    # Build into $OUT.tmp so that an interrupted build leaves no output.
    (cd "$BUILD_ROOT/$name"; OUT=$OUT.tmp; "build_$name")
    mv "$OUT.tmp" "$OUT"
    status="built in $((SECONDS - start))s"
  fi
  check="-"
  if [[ $HAVE_NODE == 1 ]]; then
    if [[ $NATIVE == 1 ]]; then check="native: $(smoke "$name")"; else check="node: $(smoke "$name")"; fi
  fi
  SUMMARY+=("$(printf '%-8s %-8s %-22s %9d bytes  %-16s %s' \
    "$name" "$pkg" "$version" "$(stat -c %s "$OUT")" "$status" "$check")")
done

echo "# program source-package debian-version size status check (OUTDIR=$OUTDIR)"
printf '%s\n' "${SUMMARY[@]}"
