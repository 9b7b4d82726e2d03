/* Reading directories: readdir lists the entries the program created with
 * their d_type (names sorted before printing), "." and "..", rewinddir,
 * telldir/seekdir, scandir, and 300 long names that need several
 * fd_readdir calls (each name seen exactly once). */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static const char *type_name(unsigned char t) {
    switch (t) {
    case DT_REG: return "file";
    case DT_DIR: return "dir";
    case DT_LNK: return "symlink";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists path sorted, as "name type" lines. */
static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d)
        die("opendir");
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char line[300];
        snprintf(line, sizeof line, "%s %s", e->d_name, type_name(e->d_type));
        names[n++] = strdup(line);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("listing of %s (%d entries):\n", path, n);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
}

int main(int argc, char **argv) {
    enter_sandbox(argc, argv);
    if (mkdir("r", 0755) != 0)
        die("mkdir r");
    list("r");
    write_file("r/zeta.txt", "z");
    write_file("r/alpha.txt", "a");
    write_file("r/Mixed Case", "m");
    write_file("r/\xc3\xa9t\xc3\xa9", "e");
    mkdir("r/sub", 0755);
    write_file("r/sub/inner", "i");
    symlink("alpha.txt", "r/link");
    list("r");
    list("r/sub");

    /* rewinddir gives the same entries again. */
    DIR *d = opendir("r");
    int first = 0, second = 0;
    while (readdir(d))
        first++;
    rewinddir(d);
    while (readdir(d))
        second++;
    closedir(d);
    printf("entries before and after rewinddir: %d %d\n", first, second);

    /* Many entries: more than one fd_readdir buffer. */
    mkdir("many", 0755);
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        char name[128];
        snprintf(name, sizeof name, "many/entry-%03d-with-a-rather-long-name-to-fill-the-readdir-buffer", i);
        if (write_file(name, "") != 0)
            die("create many/entry");
    }
    static int seen[N];
    int total = 0, dots = 0, strange = 0;
    d = opendir("many");
    struct dirent *e;
    long pos = -1;
    char at_pos[256] = "";
    while ((e = readdir(d))) {
        total++;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            dots++;
            continue;
        }
        int i;
        if (sscanf(e->d_name, "entry-%d-", &i) == 1 && i >= 0 && i < N && e->d_type == DT_REG)
            seen[i]++;
        else
            strange++;
        if (total == 150) {
            /* Remember where we are; the next entry is read again below. */
            pos = telldir(d);
            struct dirent *next = readdir(d);
            if (next) {
                snprintf(at_pos, sizeof at_pos, "%s", next->d_name);
                seekdir(d, pos);
            }
        }
    }
    int once = 1;
    for (int i = 0; i < N; i++)
        once &= seen[i] == 1;
    printf("many: %d entries, %d of them . and ..\n", total, dots);
    check("many: each of the 300 names seen exactly once", once && strange == 0);
    rewinddir(d);
    int again = 0;
    while (readdir(d))
        again++;
    check("many: same count after rewinddir", again == total);
    /* seekdir to the remembered position yields the same next entry. */
    seekdir(d, pos);
    e = readdir(d);
    check("many: seekdir(telldir()) returns to the same entry", pos != -1 && e && !strcmp(e->d_name, at_pos));
    closedir(d);

    struct dirent **list_;
    int n = scandir("r", &list_, NULL, alphasort);
    printf("scandir r: %d entries, first [%s], last [%s]\n", n, n > 0 ? list_[0]->d_name : "",
           n > 0 ? list_[n - 1]->d_name : "");
    for (int i = 0; i < n; i++)
        free(list_[i]);
    if (n > 0)
        free(list_);

    /* fdopendir on an opened directory descriptor. */
    int fd = open("r/sub", O_RDONLY | O_DIRECTORY);
    d = fdopendir(fd);
    int subcount = 0;
    while (d && (e = readdir(d)))
        subcount++;
    printf("fdopendir r/sub: %d entries\n", subcount);
    if (d)
        closedir(d);
    return 0;
}
