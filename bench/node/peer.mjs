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
//   quit
//
// Any failure answers `err MESSAGE` and the process goes on.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

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
  return `err unknown request ${op}`;
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
