/* A read-only preopen (usage: readonly DIR): the test puts data.txt and
 * sub/ in it and preopens it read-only. Reading and listing work; every
 * change fails, and the test checks the host folder is unchanged. The
 * errno names are Wasmtime's for a preopen without write permissions. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static void try_open(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        printf("%s: %s\n", what, errname(errno));
    } else {
        printf("%s: succeeded\n", what);
        close(fd);
    }
}

int main(int argc, char **argv) {
    enter_sandbox(argc, argv);
    char buf[64];
    long n = read_file("data.txt", buf, sizeof buf);
    printf("read data.txt: %s [%.*s]\n", n < 0 ? errname(errno) : "ok", (int)(n > 0 ? n - 1 : 0), buf);
    struct stat st;
    report("stat data.txt", stat("data.txt", &st));
    DIR *d = opendir(".");
    printf("opendir .: %s\n", d ? "ok" : errname(errno));
    if (d)
        closedir(d);

    try_open("open data.txt O_WRONLY", "data.txt", O_WRONLY);
    try_open("open data.txt O_RDWR", "data.txt", O_RDWR);
    try_open("open data.txt O_WRONLY|O_APPEND", "data.txt", O_WRONLY | O_APPEND);
    try_open("open data.txt O_RDONLY|O_TRUNC", "data.txt", O_RDONLY | O_TRUNC);
    try_open("open new.txt O_WRONLY|O_CREAT", "new.txt", O_WRONLY | O_CREAT);
    expect_fail("truncate data.txt", truncate("data.txt", 0));
    expect_fail("mkdir newdir", mkdir("newdir", 0755));
    expect_fail("rmdir sub", rmdir("sub"));
    expect_fail("unlink data.txt", unlink("data.txt"));
    expect_fail("rename data.txt -> moved.txt", rename("data.txt", "moved.txt"));
    expect_fail("symlink data.txt <- link", symlink("data.txt", "link"));
    expect_fail("link data.txt -> hard", link("data.txt", "hard"));
    int fd = open("data.txt", O_RDONLY);
    expect_fail("write on a read-only descriptor", write(fd, "x", 1));
    expect_fail("ftruncate on a read-only descriptor", ftruncate(fd, 0));
    close(fd);
    n = read_file("data.txt", buf, sizeof buf);
    printf("read data.txt again: %s [%.*s]\n", n < 0 ? errname(errno) : "ok", (int)(n > 0 ? n - 1 : 0), buf);
    return 0;
}
