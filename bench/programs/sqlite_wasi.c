/*
 * sqlite_wasi.c - OS layer for the `sqlite3` program of
 * bench/programs/build.sh (SQLite from Debian's source package sqlite3).
 *
 * SQLite's own Unix VFS (os_unix.c) does not build for wasm32-wasi in 3.40
 * (no fcntl() locks, fchown, mmap'ed shared memory, ...), so build.sh
 * compiles sqlite3.c with -DSQLITE_OS_OTHER=1 and we supply the OS layer:
 * the "demo" VFS from SQLite's own src/test_demovfs.c (plain POSIX open/
 * read/write/fsync/unlink, no locking), made the default VFS here.
 * Its xRandomness fills nothing; we fill zeroes instead, so random() and
 * randomblob() are deterministic (fine, even handy, for a benchmark).
 * Limitations: one process only (no file locks), no WAL (no shared memory),
 * temp storage in memory (-DSQLITE_TEMP_STORE=3).  File names are made
 * absolute with getcwd() ("/" in wasi-libc); relative names like t.db worked
 * under run-node.mjs, which preopens the current directory.
 * Also a chmod() stub for the shell's writefile() (WASI has no file modes).
 */
#include <string.h>
#include <sys/types.h>
#include "sqlite3.h"

sqlite3_vfs *sqlite3_demovfs(void);  /* src/test_demovfs.c */

static int wasiRandomness(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  memset(out, 0, (size_t)n);
  return n;
}

int sqlite3_os_init(void) {
  static sqlite3_vfs vfs;
  vfs = *sqlite3_demovfs();
  vfs.zName = "wasi-demo";
  vfs.xRandomness = wasiRandomness;
  return sqlite3_vfs_register(&vfs, 1);
}

int sqlite3_os_end(void) {
  return SQLITE_OK;
}

/* shell.c's writefile() calls chmod(); wasi-libc has none (no file modes). */
int chmod(const char *path, mode_t mode) {
  (void)path;
  (void)mode;
  return 0;
}
