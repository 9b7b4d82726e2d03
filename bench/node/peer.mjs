// V8 (through Node.js) as a benchmark peer of Brisk.
//
// The benchmark starts one process per V8 configuration (its flags choose
// Liftoff or TurboFan, eager compilation, one thread or many) and sends
// requests one line at a time on stdin; each answer is one line on stdout.
// V8 times its own work, so process start and the pipe are never counted.
//
//   compile PATH             -> ok NANOS
//   instantiate PATH         -> ok NANOS          (module compiled once, untimed)
//   run PATH EXPORT ARG      -> ok NANOS RESULT   (instance made once, untimed)
//   wasi "PATH" "HOSTDIR" "GUESTDIR" "ARGV0" "ARG"...
//                            -> ok NANOS EXIT STDOUT_BASE64
//       runs a WASI preview 1 command with node:wasi (module compiled once,
//       untimed): HOSTDIR preopened as GUESTDIR, argv ARGV0 ARG..., an empty
//       environment, stdin /dev/null, stdout and stderr captured in memory.
//       Timed: new WASI + instantiate + start. The words are JSON strings.
//   quit
//
// Any failure answers `err MESSAGE` and the process goes on.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

// Silence "ExperimentalWarning: WASI is an experimental feature".
const emitWarning = process.emitWarning;
process.emitWarning = (w, ...rest) =>
  /WASI/.test(String(w)) ? undefined : emitWarning.call(process, w, ...rest);
const { WASI } = await import('node:wasi');

const bytes = new Map();     // path -> Uint8Array
const modules = new Map();   // path -> WebAssembly.Module
const instances = new Map(); // path -> WebAssembly.Instance
let compiles = 0;

function load(path) {
  let b = bytes.get(path);
  if (!b) {
    b = new Uint8Array(readFileSync(path));
    bytes.set(path, b);
  }
  return b;
}

// V8 shares compiled code between modules with the same bytes while one of
// them is alive. Each timed compile gets bytes of its own: the module with
// a small custom section appended, which no compiler does any work for.
function unique(b) {
  const name = `brisk-bench-${compiles++}`;
  const out = new Uint8Array(b.length + 3 + name.length);
  out.set(b);
  out[b.length] = 0;                    // custom section id
  out[b.length + 1] = 1 + name.length;  // section size (< 128)
  out[b.length + 2] = name.length;      // name length
  for (let i = 0; i < name.length; i++) out[b.length + 3 + i] = name.charCodeAt(i);
  return out;
}

function moduleOf(path) {
  let m = modules.get(path);
  if (!m) {
    m = new WebAssembly.Module(load(path));
    modules.set(path, m);
  }
  return m;
}

function handle(words) {
  const [op, path] = words;
  if (op === 'compile') {
    const input = unique(load(path));
    const t = process.hrtime.bigint();
    const m = new WebAssembly.Module(input);
    const ns = process.hrtime.bigint() - t;
    if (m && compiles % 16 === 0 && globalThis.gc) globalThis.gc();
    return `ok ${ns}`;
  }
  if (op === 'instantiate') {
    const m = moduleOf(path);
    const t = process.hrtime.bigint();
    const i = new WebAssembly.Instance(m, {});
    const ns = process.hrtime.bigint() - t;
    return i ? `ok ${ns}` : 'err no instance';
  }
  if (op === 'run') {
    let inst = instances.get(path);
    if (!inst) {
      inst = new WebAssembly.Instance(moduleOf(path), {});
      instances.set(path, inst);
    }
    const f = inst.exports[words[2]];
    const arg = Number(words[3]);
    const t = process.hrtime.bigint();
    const r = f(arg);
    const ns = process.hrtime.bigint() - t;
    return `ok ${ns} ${r}`;
  }
  if (op === 'wasi') {
    return runWasi(words.slice(1).map((w) => JSON.parse(w)));
  }
  return `err unknown request ${op}`;
}

// A WASI command: see the protocol above. Every import is wrapped in a plain
// JS function, as in bench/programs/run-node.mjs: Node 20's node:wasi
// imports use V8 fast API calls that can see a stale memory after
// memory.grow (nodejs/node#53087). fd_write on fds 1 and 2 is answered here,
// into memory, so nothing reaches this process's own stdout (the protocol).
function runWasi([path, hostDir, guestDir, ...argv]) {
  const m = moduleOf(path);
  if (globalThis.gc) globalThis.gc();
  const stdin = openSync('/dev/null', 'r');
  const chunks = [];
  let instance;
  try {
    const t = process.hrtime.bigint();
    const wasi = new WASI({
      version: 'preview1',
      args: argv,
      env: {},
      preopens: { [guestDir]: hostDir },
      stdin,
      returnOnExit: true,
    });
    const imports = {};
    for (const [name, fn] of Object.entries(wasi.wasiImport)) {
      imports[name] = (...a) => fn(...a);
    }
    const fdWrite = wasi.wasiImport.fd_write;
    imports.fd_write = (fd, iovs, iovsLen, nwritten) => {
      if (fd !== 1 && fd !== 2) return fdWrite(fd, iovs, iovsLen, nwritten);
      const view = new DataView(instance.exports.memory.buffer);
      let n = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + 8 * i, true);
        const len = view.getUint32(iovs + 8 * i + 4, true);
        if (fd === 1) chunks.push(new Uint8Array(view.buffer, ptr, len).slice());
        n += len;
      }
      view.setUint32(nwritten, n, true);
      return 0;
    };
    instance = new WebAssembly.Instance(m, { wasi_snapshot_preview1: imports });
    const exit = wasi.start(instance) ?? 0;
    const ns = process.hrtime.bigint() - t;
    return `ok ${ns} ${exit} ${Buffer.concat(chunks).toString('base64')}`;
  } finally {
    closeSync(stdin);
  }
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'quit') break;
  let answer;
  try {
    answer = handle(words);
  } catch (e) {
    answer = `err ${String(e && e.message || e).replace(/\s+/g, ' ')}`;
  }
  process.stdout.write(answer + '\n');
}
process.exit(0);
