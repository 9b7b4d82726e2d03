#!/usr/bin/env bash
# Runs the official WASI preview-1 test suite (../shared/wasi-testsuite,
# prebuilt) through its own runner with `brisk run` as the runtime, as its
# README describes, on the tier `BRISK_TIER` names (default: auto; e.g.
# `BRISK_TIER=interp scripts/wasi-testsuite.sh`). Needs Python 3.12 (pyenv's 3.12.1 here) with colorama and
# requests, installed from PyPI when missing. Prints the runner's summary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUITE=${WASI_TESTSUITE:-$ROOT/../shared/wasi-testsuite}
if [[ ! -d $SUITE ]]; then
  echo "wasi-testsuite.sh: no suite at $SUITE; skipped" >&2
  exit 0
fi
export PYENV_VERSION=${PYENV_VERSION:-3.12.1}
python3 -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null || {
  echo "wasi-testsuite.sh: the runner needs Python 3.12 or newer" >&2; exit 1; }
python3 -c 'import colorama, requests' 2>/dev/null || python3 -m pip install -q colorama requests
# The dev build that `cargo test` made (dependencies are optimized in it).
cargo build --locked --quiet --manifest-path "$ROOT/Cargo.toml" --bin brisk
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The tests write into their folders: run a copy.
cp -r "$SUITE" "$WORK/suite"
cd "$WORK/suite"
# Its own cache, so no earlier state of the user's is involved.
XDG_CACHE_HOME=$WORK/cache WASMTIME="$ROOT/target/debug/brisk run -C tier=${BRISK_TIER:-auto}" \
  python3 ./run-tests -r adapters/wasmtime.py
