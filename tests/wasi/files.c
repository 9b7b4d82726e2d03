/* Regular files in the preopened directory: create, write, read, append,
 * truncate, ftruncate, O_TRUNC, O_EXCL, fsync/fdatasync, rename, unlink,
 * stat sizes, read/write on descriptors without that access, a 1 MiB
 * round trip, a file the test wrote beforehand (input.txt) and a file left
 * behind for the test to read (output.txt). */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

static long size_of(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long)st.st_size;
}

static void show_size(const char *path) {
    long s = size_of(path);
    if (s < 0)
        printf("size of %s: %s\n", path, errname(errno));
    else
        printf("size of %s: %ld\n", path, s);
}

static void show_content(const char *path) {
    char buf[256];
    long n = read_file(path, buf, sizeof buf);
    if (n < 0) {
        printf("content of %s: %s\n", path, errname(errno));
        return;
    }
    printf("content of %s (%ld bytes): ", path, n);
    for (long i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 32 && c < 127)
            printf("%c", c);
        else
            printf("\\x%02x", c);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    enter_sandbox(argc, argv);

    /* A file the test put in the directory beforehand. */
    show_content("input.txt");

    /* Create with O_EXCL, write, close. */
    int fd = open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        die("create a.txt");
    printf("write returned %ld\n", (long)write(fd, "hello\n", 6));
    report("fsync", fsync(fd));
    report("fdatasync", fdatasync(fd));
    struct stat st;
    if (fstat(fd, &st) != 0)
        die("fstat");
    check("fstat: regular file", S_ISREG(st.st_mode));
    printf("fstat size: %ld\n", (long)st.st_size);
    printf("fstat nlink: %ld\n", (long)st.st_nlink);
    close(fd);
    show_size("a.txt");
    expect_fail("O_CREAT|O_EXCL on an existing file", open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    show_content("a.txt");

    /* Reading a write-only descriptor and writing a read-only one. */
    char c;
    fd = open("a.txt", O_WRONLY);
    expect_fail("read on an O_WRONLY descriptor", read(fd, &c, 1));
    close(fd);
    fd = open("a.txt", O_RDONLY);
    expect_fail("write on an O_RDONLY descriptor", write(fd, "x", 1));
    close(fd);

    /* Append: writes go to the end even after seeking to 0. */
    fd = open("a.txt", O_WRONLY | O_APPEND);
    if (fd < 0)
        die("open a.txt O_APPEND");
    write(fd, "world\n", 6);
    lseek(fd, 0, SEEK_SET);
    write(fd, "again\n", 6);
    close(fd);
    show_size("a.txt");
    show_content("a.txt");
    FILE *f = fopen("a.txt", "a");
    fprintf(f, "stdio %d\n", 42);
    fclose(f);
    show_content("a.txt");

    /* truncate by path, ftruncate by descriptor (grow then shrink). */
    report("truncate a.txt to 3", truncate("a.txt", 3));
    show_content("a.txt");
    fd = open("a.txt", O_RDWR);
    report("ftruncate to 10", ftruncate(fd, 10));
    show_size("a.txt");
    show_content("a.txt");
    report("ftruncate to 1", ftruncate(fd, 1));
    close(fd);
    show_content("a.txt");
    fd = open("a.txt", O_WRONLY | O_TRUNC);
    close(fd);
    printf("after O_TRUNC: ");
    show_size("a.txt");

    /* 1 MiB written in one call and read back. */
    enum { BIG = 1 << 20 };
    unsigned char *big = malloc(BIG), *back = malloc(BIG);
    for (int i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 7 + (i >> 8));
    fd = open("big.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    long total = 0;
    while (total < BIG) {
        long n = write(fd, big + total, BIG - total);
        if (n <= 0)
            die("write big.bin");
        total += n;
    }
    lseek(fd, 0, SEEK_SET);
    long got = 0;
    while (got < BIG) {
        long n = read(fd, back + got, BIG - got);
        if (n <= 0)
            break;
        got += n;
    }
    close(fd);
    show_size("big.bin");
    check("1 MiB read back equal", got == BIG && memcmp(big, back, BIG) == 0);
    free(big);
    free(back);

    /* rename: to a new name, then over an existing file. */
    report("rename a.txt -> b.txt", rename("a.txt", "b.txt"));
    show_size("a.txt");
    show_size("b.txt");
    write_file("c.txt", "cee\n");
    report("rename c.txt over b.txt", rename("c.txt", "b.txt"));
    show_content("b.txt");
    show_size("c.txt");
    expect_fail("rename of a missing file", rename("missing.txt", "d.txt"));

    /* unlink */
    report("unlink b.txt", unlink("b.txt"));
    show_size("b.txt");
    expect_fail("unlink b.txt again", unlink("b.txt"));
    report("unlink big.bin", unlink("big.bin"));
    expect_fail("open a missing file", open("missing.txt", O_RDONLY));
    mkdir("adir", 0755);
    expect_fail("open a directory O_WRONLY", open("adir", O_WRONLY));
    expect_fail("unlink a directory", unlink("adir"));
    rmdir("adir");

    /* Left for the test to check from the host. */
    report("write output.txt", write_file("output.txt", "written by files.c\n"));
    return 0;
}
