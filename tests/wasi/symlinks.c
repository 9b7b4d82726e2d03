/* Symbolic links inside the preopen: symlink, readlink (full and
 * truncated), lstat vs stat, reading through a link, links to directories,
 * chains, O_NOFOLLOW, a dangling link (open fails ENOENT, lstat works),
 * unlinking a link keeps its target, hard links (nlink 2). */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

static void show_stat(const char *what, const char *path, int follow) {
    struct stat st;
    int rc = follow ? stat(path, &st) : lstat(path, &st);
    if (rc != 0) {
        printf("%s %s: %s\n", what, path, errname(errno));
        return;
    }
    const char *kind = S_ISLNK(st.st_mode) ? "symlink" : S_ISDIR(st.st_mode) ? "directory" : S_ISREG(st.st_mode) ? "file" : "other";
    if (S_ISDIR(st.st_mode)) /* a directory's size depends on the host file system */
        printf("%s %s: %s\n", what, path, kind);
    else
        printf("%s %s: %s, size %ld\n", what, path, kind, (long)st.st_size);
}

static void show_readlink(const char *path, size_t cap) {
    char buf[256];
    memset(buf, 0, sizeof buf);
    long n = readlink(path, buf, cap);
    if (n < 0)
        printf("readlink %s (buffer %zu): %s\n", path, cap, errname(errno));
    else
        printf("readlink %s (buffer %zu): %ld bytes [%.*s]\n", path, cap, n, (int)n, buf);
}

static void show_content(const char *path) {
    char buf[64];
    long n = read_file(path, buf, sizeof buf);
    if (n < 0)
        printf("read %s: %s\n", path, errname(errno));
    else
        printf("read %s: [%s]\n", path, buf);
}

int main(int argc, char **argv) {
    enter_sandbox(argc, argv);
    write_file("target.txt", "data");
    mkdir("dir", 0755);
    write_file("dir/f", "in dir");

    report("symlink target.txt <- link", symlink("target.txt", "link"));
    show_readlink("link", 256);
    show_readlink("link", 4);
    expect_fail("readlink of a regular file", readlink("target.txt", (char[8]){0}, 8));
    expect_fail("readlink of a missing path", readlink("missing", (char[8]){0}, 8));
    show_stat("lstat", "link", 0);
    show_stat("stat", "link", 1);
    show_content("link");
    expect_fail("symlink over an existing name", symlink("target.txt", "link"));

    /* Writing through a link changes the target. */
    int fd = open("link", O_WRONLY | O_APPEND);
    write(fd, "+more", 5);
    close(fd);
    show_content("target.txt");

    /* A link to a directory, used as a path component. */
    report("symlink dir <- dlink", symlink("dir", "dlink"));
    show_stat("stat", "dlink", 1);
    show_stat("lstat", "dlink", 0);
    show_content("dlink/f");
    report("symlink ../target.txt <- dir/up (stays inside)", symlink("../target.txt", "dir/up"));
    show_content("dir/up");

    /* A chain of links. */
    symlink("link", "link2");
    symlink("link2", "link3");
    show_content("link3");
    show_readlink("link3", 256);

    /* O_NOFOLLOW refuses a link as the last component. */
    fd = open("link", O_RDONLY | O_NOFOLLOW);
    printf("open link O_NOFOLLOW: %s\n", fd >= 0 ? "succeeded" : errname(errno));

    /* Dangling link. */
    report("symlink nowhere <- dangling", symlink("nowhere", "dangling"));
    expect_fail("open dangling", open("dangling", O_RDONLY));
    show_stat("lstat", "dangling", 0);
    show_stat("stat", "dangling", 1);
    show_readlink("dangling", 256);

    /* Loop. */
    symlink("loop_b", "loop_a");
    symlink("loop_a", "loop_b");
    expect_fail("open loop_a (a->b, b->a)", open("loop_a", O_RDONLY));
    expect_fail("stat loop_a", stat("loop_a", &(struct stat){0}));

    /* Removing a link leaves its target. */
    report("unlink link", unlink("link"));
    show_stat("lstat", "link", 0);
    show_content("target.txt");
    show_content("link3");

    /* Hard links share the file. */
    report("link target.txt -> hard", link("target.txt", "hard"));
    struct stat a, b;
    stat("target.txt", &a);
    stat("hard", &b);
    printf("nlink after link: %ld\n", (long)a.st_nlink);
    check("same inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    unlink("target.txt");
    show_content("hard");
    stat("hard", &b);
    printf("nlink after unlinking the original: %ld\n", (long)b.st_nlink);
    return 0;
}
