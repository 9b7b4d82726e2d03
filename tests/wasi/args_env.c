/* Arguments and environment: argc/argv as passed after the module, argv[0]
 * as set by --argv0, getenv of --env NAME=VALUE and --env NAME (inherited
 * from the host), and that environ holds exactly the variables given. */
#include "common.h"

extern char **environ;

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_env(const char *name) {
    const char *v = getenv(name);
    if (v)
        printf("getenv(%s) = [%s]\n", name, v);
    else
        printf("getenv(%s) = (null)\n", name);
}

int main(int argc, char **argv) {
    printf("argc = %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    check("argv[argc] is NULL", argv[argc] == NULL);

    show_env("BRISK_A");
    show_env("BRISK_EMPTY");
    show_env("BRISK_EQ");
    show_env("BRISK_UNICODE");
    show_env("BRISK_INHERITED");
    show_env("BRISK_MISSING");
    /* The host's PATH is not passed unless asked for. */
    check("host PATH visible", getenv("PATH") != NULL);

    size_t n = 0;
    while (environ[n])
        n++;
    printf("environ entries = %zu\n", n);
    char **sorted = malloc((n + 1) * sizeof *sorted);
    memcpy(sorted, environ, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp);
    for (size_t i = 0; i < n; i++)
        printf("environ: [%s]\n", sorted[i]);
    free(sorted);

    /* setenv/unsetenv work on the guest's own copy. */
    setenv("BRISK_NEW", "fresh", 1);
    show_env("BRISK_NEW");
    unsetenv("BRISK_A");
    show_env("BRISK_A");
    return 0;
}
