/* Sleeping and polling: nanosleep, clock_nanosleep (relative and
 * absolute), usleep and poll(NULL, 0, ms) each last at least the time asked
 * (measured on the monotonic clock); poll on a regular file and on stdout
 * is ready at once; poll_oneoff with two clocks wakes for the earlier one.
 * Then stdin, which the test drives:
 *   poll MODE DIR, MODE "data": the test writes "ping\n" and closes stdin:
 *     poll reports it readable, read returns it, then EOF is readable too;
 *   MODE "timeout": the test keeps stdin open and writes nothing: poll with
 *     a 100 ms timeout returns 0 no sooner than 100 ms. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void lasted(const char *what, long long start, long long ms) {
    long long elapsed = now_ns() - start;
    printf("%s: lasted >= %lld ms: %s\n", what, ms, elapsed >= ms * 1000000LL ? "yes" : "no");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        printf("usage: poll data|timeout DIR\n");
        return 2;
    }
    const char *mode = argv[1];

    long long t = now_ns();
    struct timespec req = {0, 5 * 1000000L};
    report("nanosleep 5 ms", nanosleep(&req, NULL));
    lasted("nanosleep 5 ms", t, 5);

    t = now_ns();
    req.tv_nsec = 3 * 1000000L;
    int e = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    printf("clock_nanosleep relative 3 ms: %s\n", errname(e));
    lasted("clock_nanosleep relative 3 ms", t, 3);

    t = now_ns();
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 4 * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    printf("clock_nanosleep absolute +4 ms: %s\n", errname(e));
    lasted("clock_nanosleep absolute +4 ms", t, 4);

    t = now_ns();
    report("usleep 2000", usleep(2000));
    lasted("usleep 2000", t, 2);

    t = now_ns();
    printf("poll(NULL, 0, 10): %d\n", poll(NULL, 0, 10));
    lasted("poll(NULL, 0, 10)", t, 10);

    /* Regular files and stdout are always ready. */
    if (chdir(argv[2]) != 0)
        die("chdir");
    int fd = open("p.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct pollfd pf = {fd, POLLIN, 0};
    int n = poll(&pf, 1, 5000);
    printf("poll a file for reading: %d ready, readable %s\n", n, pf.revents & POLLIN ? "yes" : "no");
    pf.events = POLLOUT;
    pf.revents = 0;
    n = poll(&pf, 1, 5000);
    printf("poll a file for writing: %d ready, writable %s\n", n, pf.revents & POLLOUT ? "yes" : "no");
    pf.fd = 1;
    pf.revents = 0;
    n = poll(&pf, 1, 5000);
    printf("poll stdout for writing: %d ready, writable %s\n", n, pf.revents & POLLOUT ? "yes" : "no");
    close(fd);
    unlink("p.txt");

#ifdef __wasi__
    /* Two clocks: only the earlier one fires. */
    __wasi_subscription_t subs[2];
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 11;
    subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[0].u.u.clock.timeout = 10LL * 1000000000LL;
    subs[1].userdata = 22;
    subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[1].u.u.clock.timeout = 5 * 1000000LL;
    __wasi_event_t events[2];
    __wasi_size_t nevents = 0;
    t = now_ns();
    __wasi_errno_t err = __wasi_poll_oneoff(subs, events, 2, &nevents);
    printf("poll_oneoff 10 s and 5 ms clocks: %s, %u event(s), first userdata %llu, error %s\n", errname(err),
           (unsigned)nevents, nevents ? (unsigned long long)events[0].userdata : 0ULL,
           nevents ? errname(events[0].error) : "-");
    lasted("poll_oneoff 10 s and 5 ms clocks", t, 5);
    /* An absolute deadline on the monotonic clock. */
    __wasi_timestamp_t mono = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &mono);
    subs[0].userdata = 33;
    subs[0].u.u.clock.timeout = mono + 5 * 1000000LL;
    subs[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    t = now_ns();
    err = __wasi_poll_oneoff(subs, events, 1, &nevents);
    printf("poll_oneoff absolute +5 ms: %s, %u event(s), userdata %llu\n", errname(err), (unsigned)nevents,
           nevents ? (unsigned long long)events[0].userdata : 0ULL);
    lasted("poll_oneoff absolute +5 ms", t, 5);
    err = __wasi_poll_oneoff(subs, events, 0, &nevents);
    printf("poll_oneoff with no subscriptions: %s\n", errname(err));
#endif

    /* stdin, driven by the test. */
    struct pollfd in = {0, POLLIN, 0};
    char buf[64] = {0};
    if (!strcmp(mode, "data")) {
        n = poll(&in, 1, 10000);
        printf("poll stdin with data: %d ready, readable %s\n", n, in.revents & POLLIN ? "yes" : "no");
        long r = read(0, buf, sizeof buf - 1);
        printf("read stdin: %ld [%.*s]\n", r, (int)(r > 0 ? r - 1 : 0), buf); /* minus the newline */
        in.revents = 0;
        n = poll(&in, 1, 10000);
        printf("poll stdin at EOF: %d ready, readable or hung up %s\n", n,
               in.revents & (POLLIN | POLLHUP) ? "yes" : "no");
        r = read(0, buf, sizeof buf - 1);
        printf("read stdin at EOF: %ld\n", r);
    } else if (!strcmp(mode, "timeout")) {
        t = now_ns();
        n = poll(&in, 1, 100);
        printf("poll stdin without data, 100 ms timeout: %d ready\n", n);
        lasted("poll stdin without data", t, 100);
#ifdef __wasi__
        __wasi_subscription_t s2[2];
        memset(s2, 0, sizeof s2);
        s2[0].userdata = 1;
        s2[0].u.tag = __WASI_EVENTTYPE_FD_READ;
        s2[0].u.u.fd_read.file_descriptor = 0;
        s2[1].userdata = 2;
        s2[1].u.tag = __WASI_EVENTTYPE_CLOCK;
        s2[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        s2[1].u.u.clock.timeout = 50 * 1000000LL;
        t = now_ns();
        err = __wasi_poll_oneoff(s2, events, 2, &nevents);
        printf("poll_oneoff stdin and a 50 ms clock: %s, %u event(s), userdata %llu (the clock)\n", errname(err),
               (unsigned)nevents, nevents ? (unsigned long long)events[0].userdata : 0ULL);
        lasted("poll_oneoff stdin and a 50 ms clock", t, 50);
#endif
    } else {
        printf("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
