/* Randomness: getentropy fills its buffer with bytes that are not all
 * equal, two calls differ, more than 256 bytes is EIO (wasi-libc's limit);
 * random_get of 1 MiB succeeds, covers all 256 byte values and differs from
 * a second 1 MiB; a zero-length request succeeds. No random bytes are
 * printed. */
#include "common.h"
#ifdef __wasi__
#include <wasi/api.h>
#else
#include <sys/random.h>
#endif

static int fill(void *buf, size_t len) {
#ifdef __wasi__
    return __wasi_random_get(buf, len);
#else
    unsigned char *p = buf;
    while (len) {
        long n = getrandom(p, len, 0);
        if (n <= 0)
            return EIO;
        p += n;
        len -= n;
    }
    return 0;
#endif
}

static int constant(const unsigned char *p, size_t n) {
    for (size_t i = 1; i < n; i++)
        if (p[i] != p[0])
            return 0;
    return 1;
}

int main(void) {
    unsigned char a[256], b[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    report("getentropy 32 bytes", getentropy(a, 32));
    report("getentropy 32 bytes again", getentropy(b, 32));
    check("32 bytes not all equal", !constant(a, 32));
    check("two calls differ", memcmp(a, b, 32) != 0);
    report("getentropy 256 bytes", getentropy(a, 256));
    check("256 bytes not all equal", !constant(a, 256));
    unsigned char c[257];
    expect_fail("getentropy 257 bytes", getentropy(c, 257));
    report("getentropy 0 bytes", getentropy(c, 0));

    enum { BIG = 1 << 20 };
    unsigned char *x = malloc(BIG), *y = malloc(BIG);
    memset(x, 0, BIG);
    memset(y, 0, BIG);
    printf("random_get 1 MiB: %s\n", errname(fill(x, BIG)));
    printf("random_get 1 MiB again: %s\n", errname(fill(y, BIG)));
    int seen[256] = {0};
    for (int i = 0; i < BIG; i++)
        seen[x[i]] = 1;
    int values = 0;
    for (int i = 0; i < 256; i++)
        values += seen[i];
    printf("distinct byte values in 1 MiB: %d\n", values);
    check("the last 4 KiB are filled too (not all equal)", !constant(x + BIG - 4096, 4096));
    check("two 1 MiB buffers differ", memcmp(x, y, BIG) != 0);
    check("halves of one buffer differ", memcmp(x, x + BIG / 2, BIG / 2) != 0);
    printf("random_get 0 bytes: %s\n", errname(fill(x, 0)));
    free(x);
    free(y);
    return 0;
}
