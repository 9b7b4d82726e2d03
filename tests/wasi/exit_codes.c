/* Exit codes: `exit_codes exit N` calls exit(N); `return N` returns N from
 * main; `abort` calls abort(), which traps (the CLI exits 134);
 * `trap` executes `unreachable`. Output written before exit(N) is
 * flushed by exit. */
#include "common.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("no arguments: returning 0 from main\n");
        return 0;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "exit") && argc == 3) {
        printf("calling exit(%d)\n", atoi(argv[2])); /* buffered: exit flushes it */
        exit(atoi(argv[2]));
    }
    if (!strcmp(mode, "return") && argc == 3) {
        printf("returning %d from main\n", atoi(argv[2]));
        return atoi(argv[2]);
    }
    if (!strcmp(mode, "abort")) {
        printf("calling abort()\n");
        fflush(stdout); /* abort does not flush stdio */
        abort();
    }
    if (!strcmp(mode, "trap")) {
        printf("executing unreachable\n");
        fflush(stdout);
        __builtin_trap();
    }
    printf("unknown mode %s\n", mode);
    return 2;
}
