/*
 * bzip2_bench.c - benchmark driver for the `bzip2` program of
 * bench/programs/build.sh (linked against libbz2 from Debian's source
 * package bzip2).
 *
 *   bzip2 [KIB [BLOCK100K]]   defaults: 2048 KiB, block size 9 (900k)
 *
 * Generates KIB KiB of deterministic text-like data (no input files needed),
 * compresses it with BZ2_bzBuffToBuffCompress, decompresses it with
 * BZ2_bzBuffToBuffDecompress, checks the round trip, and prints sizes plus a
 * 32-bit FNV-1a hash of the input and of the compressed stream (stable for a
 * given libbz2 version).  Exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bzlib.h"

#include "bench_input.h"

static unsigned long fnv1a(const unsigned char *p, size_t n) {
  unsigned long h = 2166136261UL;
  while (n--) { h ^= *p++; h = (h * 16777619UL) & 0xffffffffUL; }
  return h;
}

int main(int argc, char **argv) {
  size_t kib = argc > 1 ? strtoul(argv[1], NULL, 10) : 2048;
  int block = argc > 2 ? atoi(argv[2]) : 9;
  size_t len = kib * 1024;
  unsigned int clen = (unsigned int)(len + len / 100 + 600);  /* bzlib's bound */
  char *in = malloc(len ? len : 1), *comp = malloc(clen), *out = malloc(len ? len : 1);
  if (!in || !comp || !out) { fprintf(stderr, "bzip2: out of memory\n"); return 1; }
  gen_input((unsigned char *)in, len);

  int rc = BZ2_bzBuffToBuffCompress(comp, &clen, in, (unsigned int)len, block, 0, 0);
  if (rc != BZ_OK) { fprintf(stderr, "bzip2: compress failed (%d)\n", rc); return 1; }
  unsigned int dlen = (unsigned int)len;
  rc = BZ2_bzBuffToBuffDecompress(out, &dlen, comp, clen, 0, 0);
  if (rc != BZ_OK || dlen != len || memcmp(in, out, len) != 0) {
    fprintf(stderr, "bzip2: round trip FAILED (%d)\n", rc);
    return 1;
  }
  printf("bzip2 %s block %d: in=%zu out=%u fnv1a(in)=%08lx fnv1a(out)=%08lx ok\n",
         BZ2_bzlibVersion(), block, len, clen,
         fnv1a((unsigned char *)in, len), fnv1a((unsigned char *)comp, clen));
  free(in); free(comp); free(out);
  return 0;
}
