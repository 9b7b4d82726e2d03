/* Escape attempts from a preopened directory. Usage: sandbox DIR HOSTROOT,
 * where DIR is the guest path of the preopen and HOSTROOT the host path of
 * its parent (used only for absolute-path attempts; never printed).
 *
 * The test lays out, on the host:
 *   HOSTROOT/secret, HOSTROOT/outside.txt      outside the preopen
 *   HOSTROOT/sandbox/                          preopened as DIR
 *     inside.txt, sub/
 *     esc_rel -> ../secret, esc_abs -> HOSTROOT/secret,
 *     esc_dir -> .., esc_abs_dir -> HOSTROOT, sub/up2 -> ../../secret,
 *     dangling -> nowhere, dangling_out -> ../nowhere,
 *     loop_a -> loop_b, loop_b -> loop_a
 * Every attempt must fail; each prints the errno it got. The test then
 * checks that nothing outside the preopen changed. A few lines are
 * controls that must succeed (they stay inside). wasi-libc resolves
 * absolute paths against the preopens' names itself, so absolute paths are
 * also given to the runtime by raw WASI calls on the preopen's descriptor.
 * The errno names are Wasmtime's (checked with Wasmtime 50): EPERM for any
 * path or symlink leaving the directory, ELOOP for a loop, ENOENT for a
 * dangling link inside. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static int dirfd_;
static const char *hostroot;

static void try_open(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        printf("%s: %s\n", what, errname(errno));
    } else {
        printf("%s: succeeded\n", what);
        close(fd);
    }
}

/* openat on a directory descriptor: wasi-libc passes a relative path to
 * the runtime's path_open unchanged. */
static void try_openat(const char *what, const char *path, int flags) {
    int fd = openat(dirfd_, path, flags, 0644);
    if (fd < 0) {
        printf("%s: %s\n", what, errname(errno));
    } else {
        printf("%s: succeeded\n", what);
        close(fd);
    }
}

#ifdef __wasi__
/* For a raw WASI call: "WHAT: ERRNO", or "WHAT: succeeded". */
static void raw(const char *what, __wasi_errno_t e, long fd) {
    if (e == 0) {
        printf("%s: succeeded\n", what);
        if (fd >= 0)
            (void)__wasi_fd_close((__wasi_fd_t)fd);
    } else {
        printf("%s: %s\n", what, errname(e));
    }
}
#endif

/* HOSTROOT/name, a host path the guest should not reach. */
static __attribute__((unused)) const char *host(const char *name) {
    static char buf[4][512];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, 512, "%s/%s", hostroot, name);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        printf("usage: sandbox DIR HOSTROOT\n");
        return 2;
    }
    hostroot = argv[2];
    enter_sandbox(argc, argv);
    dirfd_ = open(".", O_RDONLY | O_DIRECTORY);
    if (dirfd_ < 0)
        die("open the sandbox");

    printf("-- controls (inside, must work)\n");
    try_open("open inside.txt", "inside.txt", O_RDONLY);
    try_open("open sub/../inside.txt", "sub/../inside.txt", O_RDONLY);
    char abs_inside[300];
    snprintf(abs_inside, sizeof abs_inside, "%s/inside.txt", argv[1]);
    try_open("open DIR/inside.txt", abs_inside, O_RDONLY);
    char buf[64];
    long n = readlink("esc_rel", buf, sizeof buf);
    printf("readlink esc_rel: %s [%.*s]\n", n < 0 ? errname(errno) : "ok", (int)(n > 0 ? n : 0), buf);
    struct stat st;
    report("lstat esc_rel (the link itself)", lstat("esc_rel", &st));

    printf("-- dot-dot\n");
    try_open("open ../outside.txt", "../outside.txt", O_RDONLY);
    try_open("open ../secret", "../secret", O_RDONLY);
    try_open("open sub/../../secret", "sub/../../secret", O_RDONLY);
    char abs_up[300];
    snprintf(abs_up, sizeof abs_up, "%s/../secret", argv[1]);
    try_open("open DIR/../secret", abs_up, O_RDONLY);
    try_openat("openat(dir, ..)", "..", O_RDONLY | O_DIRECTORY);
    expect_fail("opendir ..", opendir("..") ? 0 : -1);
    expect_fail("stat ../secret", stat("../secret", &st));
    expect_fail("access ../secret", access("../secret", F_OK));
    expect_fail("chdir ..", chdir(".."));

    printf("-- absolute paths\n");
    /* wasi-libc resolves absolute paths itself, against the preopens'
     * names (openat too): with no preopen named /etc it fails without
     * asking the runtime. */
    try_open("open /etc/passwd (wasi-libc: no such preopen)", "/etc/passwd", O_RDONLY);
    try_open("open /proc/self/environ (wasi-libc: no such preopen)", "/proc/self/environ", O_RDONLY);
#ifdef __wasi__
    /* The same paths given to the runtime itself, relative to the preopen. */
    __wasi_fd_t out;
    raw("path_open(dir, /etc/passwd)", __wasi_path_open(dirfd_, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out), out);
    raw("path_open(dir, /proc/self/environ)",
        __wasi_path_open(dirfd_, 0, "/proc/self/environ", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out), out);
    raw("path_open(dir, /)", __wasi_path_open(dirfd_, 0, "/", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &out), out);
    raw("path_open(dir, HOSTROOT/secret)", __wasi_path_open(dirfd_, 0, host("secret"), 0, __WASI_RIGHTS_FD_READ, 0, 0, &out), out);
    raw("path_open(dir, HOSTROOT/abs_created, CREAT)",
        __wasi_path_open(dirfd_, 0, host("abs_created"), __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &out), out);
    raw("path_open(dir, HOSTROOT/secret, TRUNC)",
        __wasi_path_open(dirfd_, 0, host("secret"), __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_WRITE, 0, 0, &out), out);
    __wasi_filestat_t fst;
    raw("path_filestat_get(dir, HOSTROOT/secret)", __wasi_path_filestat_get(dirfd_, 0, host("secret"), &fst), -1);
    raw("path_create_directory(dir, HOSTROOT/abs_newdir)", __wasi_path_create_directory(dirfd_, host("abs_newdir")), -1);
    raw("path_unlink_file(dir, HOSTROOT/outside.txt)", __wasi_path_unlink_file(dirfd_, host("outside.txt")), -1);
    raw("path_rename(dir, inside.txt, dir, HOSTROOT/abs_moved)",
        __wasi_path_rename(dirfd_, "inside.txt", dirfd_, host("abs_moved")), -1);
    raw("path_rename(dir, HOSTROOT/outside.txt, dir, moved_in)",
        __wasi_path_rename(dirfd_, host("outside.txt"), dirfd_, "moved_in"), -1);
    raw("path_link(dir, inside.txt, dir, HOSTROOT/abs_linked)",
        __wasi_path_link(dirfd_, 0, "inside.txt", dirfd_, host("abs_linked")), -1);
    raw("path_link(dir, HOSTROOT/secret, dir, stolen_abs)",
        __wasi_path_link(dirfd_, 0, host("secret"), dirfd_, "stolen_abs"), -1);
    raw("path_symlink(inside.txt, dir, HOSTROOT/abs_symlink)",
        __wasi_path_symlink("inside.txt", dirfd_, host("abs_symlink")), -1);
#endif

    printf("-- symlinks made by the test\n");
    /* The target of an absolute link is a host path: Wasmtime does not
     * show it. */
    n = readlink("esc_abs", buf, sizeof buf);
    printf("readlink esc_abs (-> a host path): %s\n", n < 0 ? errname(errno) : buf[0] == '/' ? "ok, shows a host path" : "ok");
    try_open("open esc_rel (-> ../secret)", "esc_rel", O_RDONLY);
    try_open("open esc_abs (-> HOSTROOT/secret)", "esc_abs", O_RDONLY);
    try_open("open esc_dir/secret (esc_dir -> ..)", "esc_dir/secret", O_RDONLY);
    try_open("open esc_abs_dir/secret (-> HOSTROOT)", "esc_abs_dir/secret", O_RDONLY);
    try_open("open sub/up2 (-> ../../secret)", "sub/up2", O_RDONLY);
    expect_fail("stat esc_rel (follows)", stat("esc_rel", &st));
    expect_fail("opendir esc_dir", opendir("esc_dir") ? 0 : -1);
    try_open("open dangling (-> nowhere)", "dangling", O_RDONLY);
    try_open("open dangling_out (-> ../nowhere)", "dangling_out", O_RDONLY);
    try_open("open loop_a (a -> b -> a)", "loop_a", O_RDONLY);

    printf("-- writes and creation outside\n");
    try_open("open ../secret O_WRONLY|O_CREAT|O_TRUNC", "../secret", O_WRONLY | O_CREAT | O_TRUNC);
    try_open("open ../created O_WRONLY|O_CREAT", "../created", O_WRONLY | O_CREAT);
    try_open("open esc_rel O_WRONLY|O_TRUNC", "esc_rel", O_WRONLY | O_TRUNC);
    try_open("open esc_abs O_WRONLY|O_APPEND", "esc_abs", O_WRONLY | O_APPEND);
    try_open("open dangling_out O_WRONLY|O_CREAT", "dangling_out", O_WRONLY | O_CREAT);
    try_open("open esc_dir/created O_WRONLY|O_CREAT", "esc_dir/created", O_WRONLY | O_CREAT);
    expect_fail("truncate ../secret", truncate("../secret", 0));
    expect_fail("mkdir ../newdir", mkdir("../newdir", 0755));
    expect_fail("mkdir esc_dir/newdir", mkdir("esc_dir/newdir", 0755));
    expect_fail("unlink ../outside.txt", unlink("../outside.txt"));
    expect_fail("unlink esc_dir/outside.txt", unlink("esc_dir/outside.txt"));
    expect_fail("rmdir ../sandbox", rmdir("../sandbox"));

    printf("-- links and renames across the boundary\n");
    expect_fail("link inside.txt -> ../linked", link("inside.txt", "../linked"));
    expect_fail("link ../secret -> stolen", link("../secret", "stolen"));
    expect_fail("link esc_dir/secret -> stolen2", link("esc_dir/secret", "stolen2"));
    expect_fail("rename inside.txt -> ../moved", rename("inside.txt", "../moved"));
    expect_fail("rename ../outside.txt -> moved_in", rename("../outside.txt", "moved_in"));
    expect_fail("rename inside.txt -> esc_dir/moved", rename("inside.txt", "esc_dir/moved"));

    printf("-- symlinks made by the guest\n");
    expect_fail("symlink /etc/passwd <- guest_abs", symlink("/etc/passwd", "guest_abs"));
    n = symlink("../secret", "guest_rel");
    printf("symlink ../secret <- guest_rel: %s\n", n < 0 ? errname(errno) : "ok");
    try_open("open guest_rel", "guest_rel", O_RDONLY);
    try_open("open guest_rel O_WRONLY|O_TRUNC", "guest_rel", O_WRONLY | O_TRUNC);
    n = symlink("../made_by_guest", "guest_dangling");
    printf("symlink ../made_by_guest <- guest_dangling: %s\n", n < 0 ? errname(errno) : "ok");
    try_open("open guest_dangling O_WRONLY|O_CREAT", "guest_dangling", O_WRONLY | O_CREAT);
    n = link("esc_rel", "hard_to_link");
    printf("link esc_rel -> hard_to_link (the link itself): %s\n", n < 0 ? errname(errno) : "ok");
    try_open("open hard_to_link", "hard_to_link", O_RDONLY);

    printf("-- still inside afterwards\n");
    try_open("open inside.txt", "inside.txt", O_RDONLY);
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
    return 0;
}
