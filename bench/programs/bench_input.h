/*
 * bench_input.h - the input the compression drivers of bench/programs/
 * (zlib_bench.c, bzip2_bench.c, xz_bench.c) compress: deterministic,
 * text-like, generated rather than read, so no input files are needed and
 * every runtime compresses the same bytes.
 */
#ifndef BENCH_INPUT_H
#define BENCH_INPUT_H
#include <stdio.h>
#include <stddef.h>

/* Pseudo-random words and numbers: compresses roughly 3:1, like text. */
static void gen_input(unsigned char *buf, size_t len) {
  static const char *const words[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
    "webassembly", "runtime", "module", "function", "memory", "table",
    "import", "export", "compile", "benchmark", "brisk", "stack", "value",
    "instruction", "branch", "loop", "block", "local", "global", "i32", "i64",
  };
  unsigned long x = 88172645463325252UL & 0xffffffffUL;
  size_t i = 0;
  while (i < len) {
    x ^= x << 13; x &= 0xffffffffUL; x ^= x >> 17; x ^= x << 5; x &= 0xffffffffUL;
    char tmp[32];
    int n = (x % 7 == 0)
        ? snprintf(tmp, sizeof tmp, "%lu", x % 100000)
        : snprintf(tmp, sizeof tmp, "%s", words[(x >> 8) % (sizeof words / sizeof *words)]);
    tmp[n++] = (x % 11 == 0) ? '\n' : ' ';
    for (int k = 0; k < n && i < len; k++) buf[i++] = (unsigned char)tmp[k];
  }
}

#endif
