/*
 * xz_bench.c - benchmark driver for the `xz` program of
 * bench/programs/build.sh (linked against liblzma from Debian's source
 * package xz-utils, built without threads).
 *
 *   xz [KIB [PRESET]]         defaults: 2048 KiB, preset 6
 *
 * Generates KIB KiB of deterministic text-like data (no input files needed),
 * compresses it to the .xz format with lzma_easy_buffer_encode (CRC-64
 * check), decompresses it with lzma_stream_buffer_decode, checks the round
 * trip, and prints sizes plus lzma_crc32 of the input and of the compressed
 * stream (stable for a given liblzma version).  Exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lzma.h>

#include "bench_input.h"

int main(int argc, char **argv) {
  size_t kib = argc > 1 ? strtoul(argv[1], NULL, 10) : 2048;
  uint32_t preset = argc > 2 ? (uint32_t)atoi(argv[2]) : 6;
  size_t len = kib * 1024;
  size_t cap = lzma_stream_buffer_bound(len), clen = 0;
  uint8_t *in = malloc(len ? len : 1), *comp = malloc(cap), *out = malloc(len ? len : 1);
  if (!in || !comp || !out) { fprintf(stderr, "xz: out of memory\n"); return 1; }
  gen_input(in, len);

  lzma_ret rc = lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC64, NULL,
                                        in, len, comp, &clen, cap);
  if (rc != LZMA_OK) { fprintf(stderr, "xz: encode failed (%d)\n", (int)rc); return 1; }

  uint64_t memlimit = UINT64_MAX;
  size_t in_pos = 0, out_pos = 0;
  rc = lzma_stream_buffer_decode(&memlimit, 0, NULL, comp, &in_pos, clen,
                                 out, &out_pos, len);
  if (rc != LZMA_OK || out_pos != len || memcmp(in, out, len) != 0) {
    fprintf(stderr, "xz: round trip FAILED (%d)\n", (int)rc);
    return 1;
  }
  printf("xz %s preset %u: in=%zu out=%zu crc32(in)=%08lx crc32(out)=%08lx ok\n",
         lzma_version_string(), (unsigned)preset, len, clen,
         (unsigned long)lzma_crc32(in, len, 0), (unsigned long)lzma_crc32(comp, clen, 0));
  free(in); free(comp); free(out);
  return 0;
}
