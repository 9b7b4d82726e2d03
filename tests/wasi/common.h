/* Helpers shared by the WASI test programs (the .c files beside this one).
 *
 * Every program prints deterministic lines: what it checked and the answer
 * ("yes"/"no", "ok", or the symbolic errno it got). They build for
 * wasm32-wasi (the real target) and, for the parts that do not depend on a
 * WASI sandbox, natively with gcc, which is how their expected outputs were
 * first cross-checked. */
#ifndef BRISK_WASI_COMMON_H
#define BRISK_WASI_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The symbolic name of an errno value, as the programs print it. */
static __attribute__((unused)) const char *errname(int e) {
    static char other[32];
    switch (e) {
    case 0: return "OK";
#define E(x) case x: return #x;
    E(E2BIG) E(EACCES) E(EADDRINUSE) E(EAGAIN) E(EBADF) E(EBUSY) E(ECHILD)
    E(EDEADLK) E(EEXIST) E(EFAULT) E(EFBIG) E(EILSEQ) E(EINTR) E(EINVAL)
    E(EIO) E(EISDIR) E(ELOOP) E(EMFILE) E(EMLINK) E(ENAMETOOLONG) E(ENFILE)
    E(ENODEV) E(ENOENT) E(ENOEXEC) E(ENOMEM) E(ENOSPC) E(ENOSYS) E(ENOTDIR)
    E(ENOTEMPTY) E(ENOTSUP) E(ENOTTY) E(ENXIO) E(EOVERFLOW) E(EPERM) E(EPIPE)
    E(ERANGE) E(EROFS) E(ESPIPE) E(ESRCH) E(ETXTBSY) E(EXDEV)
#ifdef ENOTCAPABLE
    E(ENOTCAPABLE)
#endif
#undef E
    default:
        snprintf(other, sizeof other, "errno %d", e);
        return other;
    }
}

/* "WHAT: yes" or "WHAT: no". */
static __attribute__((unused)) void check(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "yes" : "no");
}

/* For a call returning -1 and setting errno on failure: "WHAT: ok" or
 * "WHAT: ERRNO". Returns rc unchanged. */
static __attribute__((unused)) long report(const char *what, long rc) {
    if (rc == -1)
        printf("%s: %s\n", what, errname(errno));
    else
        printf("%s: ok\n", what);
    return rc;
}

/* For a call expected to fail: "WHAT: ERRNO", or "WHAT: succeeded" when
 * it did not fail (which the expected output never contains). */
static __attribute__((unused)) void expect_fail(const char *what, long rc) {
    if (rc == -1)
        printf("%s: %s\n", what, errname(errno));
    else
        printf("%s: succeeded\n", what);
}

/* Leaves the process on a failure the rest of the program depends on. */
static __attribute__((unused)) void die(const char *what) {
    printf("FATAL %s: %s\n", what, errname(errno));
    exit(1);
}

/* Writes the whole string to path (created or truncated). */
static __attribute__((unused)) int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Reads at most cap-1 bytes of path into buf, NUL-terminated; returns the
 * number of bytes or -1. */
static __attribute__((unused)) long read_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
    return (long)n;
}

/* Enters the directory given as argv[1] (the guest path of the preopen the
 * test passed with --dir). */
static __attribute__((unused)) void enter_sandbox(int argc, char **argv) {
    if (argc < 2) {
        printf("usage: %s DIR\n", argv[0]);
        exit(2);
    }
    if (chdir(argv[1]) != 0)
        die("chdir to the sandbox");
}

#endif
