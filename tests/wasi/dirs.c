/* Directories: mkdir (nested, existing, missing parent), rmdir (empty,
 * non-empty -> ENOTEMPTY, a file -> ENOTDIR), opendir, chdir/getcwd inside
 * the preopen, and a tree left behind for the test to check
 * (kept/inner/file.txt). */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static void show_kind(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        printf("stat %s: %s\n", path, errname(errno));
    else
        printf("stat %s: %s\n", path, S_ISDIR(st.st_mode) ? "directory" : S_ISREG(st.st_mode) ? "file" : "other");
}

int main(int argc, char **argv) {
    enter_sandbox(argc, argv);
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));

    report("mkdir d", mkdir("d", 0755));
    expect_fail("mkdir d again", mkdir("d", 0755));
    expect_fail("mkdir d/x/y (missing parent)", mkdir("d/x/y", 0755));
    report("mkdir d/e", mkdir("d/e", 0755));
    report("mkdir d/e/f", mkdir("d/e/f", 0755));
    show_kind("d");
    show_kind("d/e/f");
    report("create d/e/file", write_file("d/e/file", "x"));
    expect_fail("mkdir over a file", mkdir("d/e/file", 0755));
    expect_fail("mkdir below a file", mkdir("d/e/file/sub", 0755));

    expect_fail("rmdir d (not empty)", rmdir("d"));
    expect_fail("rmdir d/e/file (a file)", rmdir("d/e/file"));
    expect_fail("rmdir missing", rmdir("missing"));

    DIR *dir = opendir("d");
    printf("opendir d: %s\n", dir ? "ok" : errname(errno));
    if (dir)
        closedir(dir);
    dir = opendir("d/e/file");
    printf("opendir a file: %s\n", dir ? "succeeded" : errname(errno));
    dir = opendir("missing");
    printf("opendir missing: %s\n", dir ? "succeeded" : errname(errno));
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    printf("open d O_DIRECTORY: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0)
        close(fd);
    fd = open("d/e/file", O_RDONLY | O_DIRECTORY);
    printf("open a file O_DIRECTORY: %s\n", fd >= 0 ? "succeeded" : errname(errno));

    /* Relative paths follow chdir. */
    report("chdir d/e", chdir("d/e"));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
    show_kind("f");
    show_kind("file");
    report("chdir ..", chdir(".."));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
    show_kind("e");
    expect_fail("chdir to a file", chdir("e/file"));
    report("chdir back to the sandbox", chdir(argv[1]));

    /* Remove bottom-up. */
    report("rmdir d/e/f", rmdir("d/e/f"));
    report("unlink d/e/file", unlink("d/e/file"));
    report("rmdir d/e", rmdir("d/e"));
    report("rmdir d", rmdir("d"));
    show_kind("d");

    /* A trailing slash names the directory. (Removing with a trailing slash
     * differs between hosts, so is not checked.) */
    report("mkdir t/", mkdir("t/", 0755));
    show_kind("t/");
    report("rmdir t", rmdir("t"));

    /* Left for the test to check from the host. */
    report("mkdir kept", mkdir("kept", 0755));
    report("mkdir kept/inner", mkdir("kept/inner", 0755));
    report("create kept/inner/file.txt", write_file("kept/inner/file.txt", "deep\n"));
    return 0;
}
