/* Offsets: lseek SEEK_SET/CUR/END, tell, reads at EOF, a negative offset
 * (EINVAL), pread/pwrite at offsets that leave the file position alone,
 * writing past the end (a hole of zeros), a 64-bit offset, stdio
 * fseek/ftell, and lseek on a pipe (stdin: ESPIPE) and on a directory. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static void show_seek(const char *what, int fd, long long off, int whence) {
    long long r = lseek(fd, off, whence);
    if (r < 0)
        printf("%s: %s\n", what, errname(errno));
    else
        printf("%s: %lld\n", what, r);
}

static void show_read(const char *what, int fd, size_t n) {
    char buf[64] = {0};
    long r = read(fd, buf, n);
    if (r < 0)
        printf("%s: %s\n", what, errname(errno));
    else
        printf("%s: %ld [%.*s]\n", what, r, (int)r, buf);
}

static long long fsize(int fd) {
    struct stat st;
    fstat(fd, &st);
    return (long long)st.st_size;
}

int main(int argc, char **argv) {
    enter_sandbox(argc, argv);
    int fd = open("s.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("create s.bin");
    write(fd, "0123456789", 10);
    show_seek("tell after writing 10 bytes", fd, 0, SEEK_CUR);
#ifdef __wasi__
    __wasi_filesize_t t = 0;
    __wasi_errno_t te = __wasi_fd_tell(fd, &t);
    printf("fd_tell: %s %llu\n", errname(te), (unsigned long long)t);
#else
    printf("fd_tell: OK 10\n");
#endif
    show_seek("SEEK_SET 2", fd, 2, SEEK_SET);
    show_read("read 3", fd, 3);
    show_seek("SEEK_CUR -1", fd, -1, SEEK_CUR);
    show_read("read 1", fd, 1);
    show_seek("SEEK_END -3", fd, -3, SEEK_END);
    show_read("read 10 near the end", fd, 10);
    show_read("read at EOF", fd, 10);
    show_seek("SEEK_END 0", fd, 0, SEEK_END);
    show_seek("SEEK_SET -1", fd, -1, SEEK_SET);
    show_seek("SEEK_CUR -100", fd, -100, SEEK_CUR);
    show_seek("tell after failed seeks", fd, 0, SEEK_CUR);

    /* pread/pwrite leave the position alone. */
    lseek(fd, 4, SEEK_SET);
    char buf[64] = {0};
    long n = pread(fd, buf, 3, 5);
    printf("pread 3 at 5: %ld [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    n = pwrite(fd, "AB", 2, 1);
    printf("pwrite 2 at 1: %ld\n", n);
    show_seek("tell after pread/pwrite (was 4)", fd, 0, SEEK_CUR);
    n = pread(fd, buf, sizeof buf, 0);
    printf("pread all: %ld [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    n = pread(fd, buf, 8, 100);
    printf("pread past the end: %ld\n", n);

    /* pwrite past the end leaves a hole of zeros. */
    n = pwrite(fd, "X", 1, 20);
    printf("pwrite 1 at 20: %ld, size %lld\n", n, fsize(fd));
    memset(buf, 'z', sizeof buf);
    n = pread(fd, buf, 11, 10);
    int zeros = 1;
    for (int i = 0; i < 10; i++)
        zeros &= buf[i] == 0;
    printf("bytes 10..19 are zero: %s, byte 20: %c\n", zeros ? "yes" : "no", buf[10]);

    /* lseek past the end then write: another hole. */
    show_seek("SEEK_SET 100", fd, 100, SEEK_SET);
    printf("size before the write: %lld\n", fsize(fd));
    write(fd, "Z", 1);
    printf("size after writing at 100: %lld\n", fsize(fd));
    zeros = 1;
    for (long i = 21; i < 100; i++) {
        char c = 1;
        pread(fd, &c, 1, i);
        zeros &= c == 0;
    }
    check("bytes 21..99 are zero", zeros);

    /* Offsets beyond 32 bits (a sparse file). */
    long long big = (1LL << 32) + 5;
    show_seek("SEEK_SET 2^32+5", fd, big, SEEK_SET);
    n = write(fd, "!", 1);
    printf("write at 2^32+5: %ld, size %lld\n", n, fsize(fd));
    n = pread(fd, buf, 1, big);
    printf("pread at 2^32+5: %ld [%c]\n", n, n == 1 ? buf[0] : '?');
    ftruncate(fd, 10);
    printf("size after ftruncate 10: %lld\n", fsize(fd));
    show_seek("tell is unchanged by ftruncate", fd, 0, SEEK_CUR);
    close(fd);

    /* stdio positions. */
    FILE *f = fopen("s.bin", "r+");
    fseek(f, 3, SEEK_SET);
    printf("ftell after fseek 3: %ld\n", ftell(f));
    printf("fgetc: %c\n", fgetc(f));
    fseek(f, 0, SEEK_END);
    printf("ftell at end: %ld\n", ftell(f));
    rewind(f);
    printf("ftell after rewind: %ld\n", ftell(f));
    fclose(f);

    /* A pipe cannot seek; neither can a directory. */
    show_seek("lseek on stdin (a pipe)", 0, 0, SEEK_CUR);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    show_seek("lseek on a directory", dfd, 0, SEEK_SET);
    close(dfd);
    unlink("s.bin");
    return 0;
}
