#!/usr/bin/env python3
"""Writes crates/environ/src/validate/ops.rs: the operator methods of
Brisk's own function-body validator (crates/environ/src/validate.rs).

Reads the operator list of the wasmparser in Cargo.lock (its
`_for_each_operator_group!` macro, one source of truth for names,
immediates and proposals) and gives every operator of WebAssembly 2.0
with SIMD its type signature, derived from its name and arity; operators
of other proposals reject (wasmparser's validator then decides).
Control, variable, table, memory-management and reference operators are
written by hand in validate.rs; this file only calls them.

`tests/all/validation.rs` checks every signature against wasmparser's
validator. Usage: scripts/gen-validator-ops.py (from the repository root).
"""
import glob, os, re, sys

lock = open("Cargo.lock").read()
version = re.search(r'name = "wasmparser"\nversion = "([^"]+)"', lock).group(1)
paths = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/wasmparser-{version}/src/lib.rs"))
if not paths:
    sys.exit(f"wasmparser {version} is not in the cargo registry: run `cargo fetch` first")
src = open(paths[0]).read()

WASM2 = {"mvp", "sign_extension", "saturating_float_to_int", "bulk_memory", "reference_types", "simd"}
# Written by hand in validate.rs: visit_x => self.x(args).
HAND = {
    "Unreachable", "Nop", "Block", "Loop", "If", "Else", "End", "Br", "BrIf", "BrTable", "Return",
    "Call", "CallIndirect", "Drop", "Select", "TypedSelect", "LocalGet", "LocalSet", "LocalTee",
    "GlobalGet", "GlobalSet", "MemorySize", "MemoryGrow", "MemoryInit", "DataDrop", "MemoryCopy",
    "MemoryFill", "TableInit", "ElemDrop", "TableCopy", "RefNull", "RefIsNull", "RefFunc",
    "TableFill", "TableGet", "TableSet", "TableGrow", "TableSize",
}
SCALAR = {"I32": "I32", "I64": "I64", "F32": "F32", "F64": "F64"}
SHAPE = {"I8x16": ("I32", 16), "I16x8": ("I32", 8), "I32x4": ("I32", 4), "I64x2": ("I64", 2),
         "F32x4": ("F32", 4), "F64x2": ("F64", 2)}
LANE_BYTES = {"8": 16, "16": 8, "32": 4, "64": 2}


def signature(name, arity):
    """(params, results, lanes) of a WebAssembly 2.0 operator."""
    n_in, n_out = arity
    m = re.fullmatch(r"(I32|I64|F32|F64)(Wrap|TruncSat|Trunc|Extend|Convert|Demote|Promote|Reinterpret)"
                     r"(I32|I64|F32|F64)(S|U)?", name)
    if m:
        return [m.group(3)], [m.group(1)], None
    m = re.fullmatch(r"(I32|I64|F32|F64)(Load|Store)(8|16|32)?(S|U)?", name)
    if m:
        t = m.group(1)
        return (["I32"], [t], None) if m.group(2) == "Load" else (["I32", t], [], None)
    m = re.fullmatch(r"(I32|I64|F32|F64)Const", name)
    if m:
        return [], [m.group(1)], None
    m = re.fullmatch(r"(I32|I64)(Eqz)", name)
    if m:
        return [m.group(1)], ["I32"], None
    m = re.fullmatch(r"(I32|I64|F32|F64)(Eq|Ne|LtS|LtU|GtS|GtU|LeS|LeU|GeS|GeU|Lt|Gt|Le|Ge)", name)
    if m:
        return [m.group(1)] * 2, ["I32"], None
    m = re.fullmatch(r"(I32|I64|F32|F64)[A-Z][A-Za-z0-9]*", name)
    if m and (n_in, n_out) in [(1, 1), (2, 1)]:
        return [m.group(1)] * n_in, [m.group(1)], None
    # SIMD.
    m = re.fullmatch(r"V128(Load|Store)(8|16|32|64)Lane", name)
    if m:
        lanes = LANE_BYTES[m.group(2)]
        return (["I32", "V128"], ["V128"], lanes) if m.group(1) == "Load" else (["I32", "V128"], [], lanes)
    if re.fullmatch(r"V128Load\w*", name):
        return ["I32"], ["V128"], None
    if name == "V128Store":
        return ["I32", "V128"], [], None
    if name == "V128Const":
        return [], ["V128"], None
    if name == "I8x16Shuffle":
        return ["V128", "V128"], ["V128"], "shuffle"
    m = re.fullmatch(r"(I8x16|I16x8|I32x4|I64x2|F32x4|F64x2)(ExtractLane|ReplaceLane|Splat)(S|U)?", name)
    if m:
        scalar, lanes = SHAPE[m.group(1)]
        if m.group(2) == "ExtractLane":
            return ["V128"], [scalar], lanes
        if m.group(2) == "ReplaceLane":
            return ["V128", scalar], ["V128"], lanes
        return [scalar], ["V128"], None
    m = re.fullmatch(r"(I8x16|I16x8|I32x4|I64x2)(Shl|ShrS|ShrU)", name)
    if m:
        return ["V128", "I32"], ["V128"], None
    if re.fullmatch(r"V128AnyTrue|(I8x16|I16x8|I32x4|I64x2)(AllTrue|Bitmask)", name):
        return ["V128"], ["I32"], None
    if re.fullmatch(r"(V128|I8x16|I16x8|I32x4|I64x2|F32x4|F64x2)\w+", name):
        return ["V128"] * n_in, ["V128"] * n_out, None
    sys.exit(f"no signature for {name}")


def snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


# The operator list, group by group: `@group {` opens one.
text = src[src.index("macro_rules! _for_each_operator_group"):]
text = text[:text.index("macro_rules!", 20)]
headers = [(m.start(), m.group(1)) for m in re.finditer(r"@(\w+) \{", text)]
entries = []
for m in re.finditer(r"\b([A-Z]\w*)(?:\s*\{([^}=]*)\})?\s*=>\s*(visit_\w+)\s*\(([^)]*)\)", text):
    groups = [g for at, g in headers if at < m.start()]
    if not groups:
        continue
    group = groups[-1]
    args = " ".join(m.group(2).split()) if m.group(2) else ""
    entries.append((group, m.group(1), args, m.group(3), " ".join(m.group(4).split())))
plain, simd = [], []
seen = set()
for group, name, args, visit, ann in entries:
    if visit in seen:
        continue
    seen.add(visit)
    args = args or ""
    args = [a.strip() for a in args.split(",") if a.strip()]
    params = ", ".join(a.replace("$crate::", "wasmparser::") for a in args)
    names = [a.split(":")[0].strip() for a in args]
    head = f"#[inline(always)] fn {visit}(&mut self{', ' if params else ''}{params}) -> R {{"
    # `select` with other than one type is not WebAssembly 2.0.
    if group not in WASM2 or name == "TypedSelectMulti":
        line = f"    {head} let _ = ({', '.join(names)}{',' if len(names) == 1 else ''}); Err(Reject) }}" if names \
            else f"    {head} Err(Reject) }}"
    elif name in HAND:
        method = visit[len("visit_"):]
        method = f"r#{method}" if method in ("loop", "if", "else", "return") else method
        line = f"    {head} self.{method}({', '.join(names)}) }}"
    else:
        m = re.fullmatch(r"arity (?:memarg )?(\d+) -> (\d+)", ann)
        params_t, results_t, lanes = signature(name, (int(m.group(1)), int(m.group(2))))
        checks = []
        if "memarg" in names:
            checks.append("self.memarg(&memarg)?;")
        if lanes == "shuffle":
            checks.append("self.shuffle(&lanes)?;")
        elif lanes:
            checks.append(f"self.lane(lane, {lanes})?;")
        ps = ", ".join(params_t)
        rs = ", ".join(results_t)
        sig = f"self.sig(&[{ps}], &[{rs}])"
        if not names or names in (["value"],):
            unused = "" if not names else f"let _ = {names[0]}; "
        else:
            unused = ""
        line = f"    {head} {unused}{' '.join(checks)}{' ' if checks else ''}{sig} }}"
    (simd if group in ("simd", "relaxed_simd") else plain).append(line)

out = [
    "// @generated by scripts/gen-validator-ops.py from wasmparser's operator list: do not edit.",
    "",
    "use super::{BodyChecker, R, Reject, Ty::*};",
    "",
    "impl<'a> wasmparser::VisitOperator<'a> for BodyChecker<'_> {",
    "    type Output = R;",
    "",
    "    fn simd_visitor(&mut self) -> Option<&mut dyn wasmparser::VisitSimdOperator<'a, Output = R>> {",
    "        Some(self)",
    "    }",
    "",
    *plain,
    "}",
    "",
    "impl<'a> wasmparser::VisitSimdOperator<'a> for BodyChecker<'_> {",
    *simd,
    "}",
    "",
]
# The operators the validation pass decodes itself with Brisk's
# validator (translate.rs, `visit_decoded`): every arm of the binary
# reader's tables for WebAssembly 2.0 whose immediates are nothing, `u32`s,
# a memory immediate, a lane index or both (the others, such as `br_table`
# or a typed `select`, stay with wasmparser's reader).
def arms(fn_name):
    body = reader_src[reader_src.index(f"fn {fn_name}<T>"):]
    body = body[body.index("match code {"):]
    end = body.index("\n        })")
    body = body[:end]
    out = []
    starts = [m for m in re.finditer(r"^\s{12}(0x[0-9a-f]+) => ", body, re.M)]
    for i, m in enumerate(starts):
        text = body[m.end(): starts[i + 1].start() if i + 1 < len(starts) else len(body)]
        visits = re.findall(r"visitor\.(visit_\w+)\(", text)
        if len(visits) != 1:
            continue
        reads = re.findall(r"self\.(read\w*)\(([^)]*)\)\?", text)
        # Arguments in the order the visit takes them: single-line arms
        # read them in place; block arms bind them to names first.
        lets = re.findall(r"let (\w+) = self\.(read\w*)\(([^)]*)\)\?", text)
        if lets:
            args = re.search(r"visitor\.visit_\w+\(([^)]*)\)", text).group(1)
            names = [a.strip() for a in args.split(",") if a.strip()]
            if [n for n, _, _ in lets] != names or len(lets) != len(reads):
                continue
        if any(s in text for s in ("expect_frame", "bail!", "read_memory_index", "for ")):
            continue
        out.append((int(m.group(1), 16), visits[0], [(r, a) for r, a in reads]))
    return out

reader_src = open(os.path.join(os.path.dirname(paths[0]), "binary_reader.rs")).read()
visit_group = {v: g for g, _, _, v, _ in entries}
def kind(reads):
    k = [r for r, _ in reads]
    if not k:
        return "plain", ""
    if all(r == "read_var_u32" for r in k):
        return f"index{len(k)}", ""
    if k == ["read_memarg"]:
        return "memarg", reads[0][1]
    if k == ["read_lane_index"]:
        return "lane", ""
    if k == ["read_memarg", "read_lane_index"]:
        return "memarg_lane", reads[0][1]
    return None, ""

decoded = {}
for prefix, fn in (("", "visit_operator"), ("fc", "visit_0xfc_operator"), ("fd", "visit_0xfd_operator")):
    for code, visit, reads in arms(fn):
        if visit_group.get(visit) not in WASM2:
            continue
        k, arg = kind(reads)
        if k is None:
            continue
        decoded.setdefault(f"{prefix}_{k}" if prefix else k, []).append(
            f"            {code:#04x} => {visit}" + (f" {arg}" if arg else ""))
GROUPS = ["plain", "index1", "memarg", "fc_plain", "fc_index1", "fc_index2",
          "fd_plain", "fd_memarg", "fd_lane", "fd_memarg_lane"]
unknown = set(decoded) - set(GROUPS)
if unknown:
    sys.exit(f"immediates of a kind the pass does not decode: {unknown}")
lines = [
    "/// The operators of WebAssembly 2.0 the validation pass decodes itself",
    "/// (with Brisk's validator), by the kind of their immediates: none, `u32`",
    "/// indices, a memory immediate (with the natural alignment), a lane",
    "/// index; one-byte opcodes, then those after the 0xfc and 0xfd prefixes.",
    "/// From the binary reader's own tables.",
    "macro_rules! for_each_decoded_operator {",
    "    ($m:ident) => {",
    "        $m! {",
]
for g in GROUPS:
    lines += [f"            {g} {{", *decoded.get(g, []), "            }"]
lines += ["        }", "    };", "}", "pub(crate) use for_each_decoded_operator;", ""]
out += lines
os.makedirs("crates/environ/src/validate", exist_ok=True)
open("crates/environ/src/validate/ops.rs", "w").write("\n".join(out))
print(f"{len(plain)} + {len(simd)} operators")
