#!/usr/bin/env python3
"""Fits Brisk's per-function cost model (crates/environ/src/cost.rs).

Reads data/cost-model/calibration.csv (written by
`cargo run --release --manifest-path bench/Cargo.toml -- calibrate`): one row
per function with its cost features and the measured compile time and peak
memory of each native tier. Fits, for each target, non-negative coefficients
of the model's terms minimising the squared *relative* error (each row
weighted by 1/measured), prints how often the prediction is within 2x of
the measurement (per corpus), and with --write rewrites the coefficient
arrays in cost.rs.

Pure Python, no dependencies: the least-squares systems are 12x12.
"""

import csv
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data/cost-model/calibration.csv"
COST_RS = ROOT / "crates/environ/src/cost.rs"


def read_terms():
    """The model's terms, from cost.rs's `TERMS` (whose `terms()` computes
    them the way `term_value` does here)."""
    text = COST_RS.read_text()
    declared = re.search(r"pub const TERMS: \[&str; \d+\] = \[(.*?)\];", text, re.S).group(1)
    return [t.strip().strip('"') for t in declared.split(",") if t.strip()]


TERMS = read_terms()

# target column -> (Rust constant, terms it may use)
TARGETS = {
    "optimized_seconds": ("OPTIMIZED_SECONDS", TERMS),
    "optimized_peak_bytes": ("OPTIMIZED_BYTES", TERMS),
    "baseline_seconds": ("BASELINE_SECONDS", [t for t in TERMS if "*" not in t]),
}

# Measurements below these are timer or allocator noise more than cost.
FLOOR = {"optimized_seconds": 2e-6, "optimized_peak_bytes": 1024.0, "baseline_seconds": 2e-7}


def term_value(row, term):
    value = 1.0
    if term == "1":
        return value
    for name in term.split("*"):
        # has_loop: 1 if the function has a loop.
        value *= float(int(row["loops"]) > 0) if name == "has_loop" else float(row[name])
    return value


def solve(a, b):
    """Solves a x = b by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [a[i][:] + [b[i]] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        if abs(m[p][c]) < 1e-300:
            return None
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(rows, target, terms):
    """Non-negative weighted least squares (active set: drop the most
    negative coefficient until none is)."""
    xs = [[term_value(r, t) for t in terms] for r in rows]
    ys = [max(float(r[target]), FLOOR[target]) for r in rows]
    active = list(range(len(terms)))
    while True:
        # Columns scaled to unit weighted norm for conditioning.
        scale = []
        for j in active:
            s = math.sqrt(sum((x[j] / y) ** 2 for x, y in zip(xs, ys)))
            scale.append(s if s > 0 else 1.0)
        k = len(active)
        ata = [[0.0] * k for _ in range(k)]
        atb = [0.0] * k
        for x, y in zip(xs, ys):
            w = 1.0 / y
            v = [x[j] * w / scale[i] for i, j in enumerate(active)]
            for i in range(k):
                atb[i] += v[i]  # target y * w = 1
                for l in range(k):
                    ata[i][l] += v[i] * v[l]
        for i in range(k):
            ata[i][i] += 1e-9  # ridge: terms that never vary
        sol = solve(ata, atb)
        coef = [0.0] * len(terms)
        for i, j in enumerate(active):
            coef[j] = sol[i] / scale[i]
        worst = min(active, key=lambda j: coef[j])
        if coef[worst] >= 0:
            return coef
        active.remove(worst)


def predict(coef, row, terms):
    return sum(c * term_value(row, t) for c, t in zip(coef, terms))


def report(rows, target, coef, terms):
    by_corpus = {}
    for r in rows:
        corpus = r["source"].split("/")[0]
        y = max(float(r[target]), FLOOR[target])
        p = max(predict(coef, r, terms), FLOOR[target])
        within = max(p / y, y / p) <= 2.0
        n, w = by_corpus.get(corpus, (0, 0))
        by_corpus[corpus] = (n + 1, w + within)
    parts = [f"{c} {w}/{n} ({100.0 * w / n:.0f}%)" for c, (n, w) in sorted(by_corpus.items())]
    print(f"{target}: within 2x: " + ", ".join(parts))


def rust_array(coef):
    return "[" + ", ".join(f"{c:.3e}" for c in coef) + "]"


def main():
    write = "--write" in sys.argv
    text = COST_RS.read_text()
    with open(DATA) as f:
        rows = list(csv.DictReader(f))
    print(f"{len(rows)} functions from {DATA.relative_to(ROOT)}")
    for target, (const, terms) in TARGETS.items():
        coef = fit(rows, target, terms)
        report(rows, target, coef, terms)
        full = [coef[terms.index(t)] if t in terms else 0.0 for t in TERMS]
        line = f"pub const {const}: [f64; TERMS.len()] = {rust_array(full)};"
        print("  " + line)
        if write:
            text = re.sub(rf"pub const {const}: \[f64; TERMS.len\(\)\] = \[.*?\];", line, text, flags=re.S)
    if write:
        COST_RS.write_text(text)
        print(f"wrote {COST_RS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
