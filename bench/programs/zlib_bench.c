/*
 * zlib_bench.c - benchmark driver for the `zlib` program of
 * bench/programs/build.sh (linked against zlib from Debian's source package).
 *
 *   zlib [KIB [LEVEL]]        defaults: 4096 KiB, level 6
 *
 * Generates KIB KiB of deterministic text-like data (no input files needed),
 * deflates it in one call, inflates it again in 64 KiB steps through
 * inflate(), checks the round trip, and prints sizes plus CRC-32 of the input
 * and of the compressed stream (both are stable for a given zlib version, so
 * the output line can be compared across runtimes).  Exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "zlib.h"

#include "bench_input.h"

int main(int argc, char **argv) {
  size_t kib = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096;
  int level = argc > 2 ? atoi(argv[2]) : 6;
  size_t len = kib * 1024;
  unsigned char *in = malloc(len ? len : 1);
  uLongf clen = compressBound(len);
  unsigned char *comp = malloc(clen);
  unsigned char *out = malloc(len ? len : 1);
  if (!in || !comp || !out) { fprintf(stderr, "zlib: out of memory\n"); return 1; }
  gen_input(in, len);

  if (compress2(comp, &clen, in, len, level) != Z_OK) {
    fprintf(stderr, "zlib: compress2 failed\n");
    return 1;
  }

  z_stream s;
  memset(&s, 0, sizeof s);
  if (inflateInit(&s) != Z_OK) { fprintf(stderr, "zlib: inflateInit failed\n"); return 1; }
  s.next_in = comp;
  s.avail_in = (uInt)clen;
  s.next_out = out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    size_t left = len - (size_t)(s.next_out - out);
    s.avail_out = (uInt)(left < 65536 ? left : 65536);
    rc = inflate(&s, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && left == 0) break;
  }
  size_t dlen = s.total_out;
  inflateEnd(&s);
  if (rc != Z_STREAM_END || dlen != len || memcmp(in, out, len) != 0) {
    fprintf(stderr, "zlib: round trip FAILED (rc=%d)\n", rc);
    return 1;
  }
  printf("zlib %s level %d: in=%zu out=%lu crc32(in)=%08lx crc32(out)=%08lx ok\n",
         zlibVersion(), level, len, (unsigned long)clen,
         crc32(0L, in, (uInt)len), crc32(0L, comp, (uInt)clen));
  free(in); free(comp); free(out);
  return 0;
}
