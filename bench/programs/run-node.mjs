// run-node.mjs - run a wasm32-wasi command module under Node's WASI
// (preview1), to check the benchmark programs that build.sh produces.
//
//   node bench/programs/run-node.mjs PROGRAM.wasm [ARGS...]
//
// The module is first checked with WebAssembly.validate.  The current
// directory is preopened as "." (so relative paths work), stdin/stdout/stderr
// are inherited, and the process exits with the program's exit code.
//
// Workaround: Node 20's node:wasi calls its C++ imports through V8 "fast API
// calls", which can use a stale view of linear memory after memory.grow and
// then crash Node with SIGSEGV (seen here as exit 139 with stdout on a pipe,
// e.g. lua filling a big table and then printing; cf. nodejs/node#53087).
// Wrapping every import in a plain JS function avoids the fast path.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import process from 'node:process';

// Silence "ExperimentalWarning: WASI is an experimental feature".
const emitWarning = process.emitWarning;
process.emitWarning = (w, ...rest) =>
  /WASI/.test(String(w)) ? undefined : emitWarning.call(process, w, ...rest);
const { WASI } = await import('node:wasi');

const [wasmPath, ...args] = process.argv.slice(2);
if (!wasmPath) {
  console.error('usage: node run-node.mjs PROGRAM.wasm [ARGS...]');
  process.exit(2);
}
const bytes = await readFile(wasmPath);
if (!WebAssembly.validate(bytes)) {
  console.error(`run-node: ${wasmPath}: WebAssembly.validate failed`);
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [basename(wasmPath, '.wasm'), ...args],
  env: { HOME: '/', LANG: 'C' },
  preopens: { '.': process.cwd() },
  returnOnExit: true,
});
const wrapped = {};
for (const [name, fn] of Object.entries(wasi.wasiImport)) {
  wrapped[name] = (...a) => fn(...a);
}
const module = await WebAssembly.compile(bytes);
const instance = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wrapped,
});
process.exitCode = wasi.start(instance) ?? 0;
