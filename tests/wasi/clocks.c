/* Clocks: the realtime clock is after 2020 and agrees with time() and
 * gettimeofday(); the monotonic clock never goes backwards and advances
 * across a sleep; clock_getres is positive and at most 1 s for both;
 * process and thread CPU-time clocks either work (positive, non-decreasing)
 * or fail cleanly (Wasmtime: EBADF). An unknown clock id is not tried:
 * Wasmtime traps on it where EINVAL would be as reasonable. */
#include "common.h"
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec ts) {
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void cputime(const char *name, clockid_t id) {
    struct timespec a, b, res;
    if (clock_gettime(id, &a) != 0) {
        int e = errno;
        int clean = e == EBADF || e == EINVAL || e == ENOTSUP || e == ENOSYS;
        printf("%s: works or fails cleanly: %s\n", name, clean ? "yes" : "no");
        fprintf(stderr, "%s: clock_gettime fails with %s\n", name, errname(e));
        return;
    }
    volatile unsigned x = 0;
    (void)x;
    for (unsigned i = 0; i < 1000000; i++)
        x += i;
    int ok = clock_gettime(id, &b) == 0 && ns(b) >= ns(a) && clock_getres(id, &res) == 0 && ns(res) > 0;
    printf("%s: works or fails cleanly: %s\n", name, ok ? "yes" : "no");
    fprintf(stderr, "%s: supported\n", name);
}

int main(void) {
    struct timespec rt;
    report("clock_gettime(CLOCK_REALTIME)", clock_gettime(CLOCK_REALTIME, &rt));
    check("realtime after 2020-01-01", rt.tv_sec > 1577836800LL);
    check("realtime before 2200-01-01", rt.tv_sec < 7258118400LL);
    check("realtime nanoseconds below 1e9", rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000L);
    time_t t = time(NULL);
    check("time() within 5 s of CLOCK_REALTIME", t - rt.tv_sec >= 0 && t - rt.tv_sec <= 5);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    check("gettimeofday within 5 s of CLOCK_REALTIME", tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec <= 5);
    check("gettimeofday microseconds below 1e6", tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    struct timespec m0, prev, cur;
    report("clock_gettime(CLOCK_MONOTONIC)", clock_gettime(CLOCK_MONOTONIC, &m0));
    prev = m0;
    int monotone = 1;
    for (int i = 0; i < 10000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &cur);
        monotone &= ns(cur) >= ns(prev);
        prev = cur;
    }
    check("monotonic non-decreasing over 10000 reads", monotone);
    struct timespec req = {0, 2000000};
    nanosleep(&req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &cur);
    check("monotonic advances >= 2 ms across a 2 ms sleep", ns(cur) - ns(m0) >= 2000000);

    struct timespec res;
    report("clock_getres(CLOCK_REALTIME)", clock_getres(CLOCK_REALTIME, &res));
    check("realtime resolution in (0, 1 s]", ns(res) > 0 && ns(res) <= 1000000000LL);
    report("clock_getres(CLOCK_MONOTONIC)", clock_getres(CLOCK_MONOTONIC, &res));
    check("monotonic resolution in (0, 1 s]", ns(res) > 0 && ns(res) <= 1000000000LL);

    cputime("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID);
    cputime("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
    return 0;
}
