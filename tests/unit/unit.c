/* unit.c - the runner behind unit.h: registration, fork per test, time limit, summary. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

static unsigned timeout_seconds(void)
{
        const char *s = getenv("UNIT_TIMEOUT");
        long v = s ? strtol(s, NULL, 10) : 0;

        return v > 0 ? (unsigned)v : 30;
}

/* Runs one test in a child. Returns 0 when it passed; otherwise writes a reason. */
static int run_one(const struct unit_test *t, bool fork_it, char *why, size_t whylen)
{
        pid_t pid;
        int st;

        if (!fork_it) {
                t->fn();
                return 0;
        }
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                snprintf(why, whylen, "fork: %s", strerror(errno));
                return -1;
        }
        if (pid == 0) {
                alarm(timeout_seconds());
                t->fn();
                fflush(stdout);
                exit(0); /* exit(), not _exit(): lets LeakSanitizer check the test */
        }
        while (waitpid(pid, &st, 0) < 0) {
                if (errno != EINTR) {
                        snprintf(why, whylen, "waitpid: %s", strerror(errno));
                        return -1;
                }
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
                snprintf(why, whylen, "timed out after %u s", timeout_seconds());
        else if (WIFSIGNALED(st))
                snprintf(why, whylen, "killed by signal %d (%s)", WTERMSIG(st),
                         strsignal(WTERMSIG(st)));
        else
                snprintf(why, whylen, "exit status %d", WEXITSTATUS(st));
        return -1;
}

int main(int argc, char **argv)
{
        bool fork_it = true, list = false;
        int passed = 0, failed = 0, named = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--no-fork") == 0)
                        fork_it = false;
                else if (strcmp(argv[i], "--list") == 0)
                        list = true;
                else
                        named++;
        }
        if (list) {
                for (int k = 0; k < unit_n_tests; k++)
                        printf("%s\n", unit_tests[k].name);
                return 0;
        }
        /* Every name given must exist. */
        for (int i = 1; i < argc; i++) {
                bool found = false;

                if (argv[i][0] == '-')
                        continue;
                for (int k = 0; k < unit_n_tests && !found; k++)
                        found = strcmp(unit_tests[k].name, argv[i]) == 0;
                if (!found) {
                        printf("FAIL %s (no such test)\n", argv[i]);
                        failed++;
                }
        }
        for (int k = 0; k < unit_n_tests; k++) {
                char why[256] = "";
                bool selected = named == 0;

                for (int i = 1; i < argc && !selected; i++)
                        selected = strcmp(unit_tests[k].name, argv[i]) == 0;
                if (!selected)
                        continue;
                if (run_one(&unit_tests[k], fork_it, why, sizeof(why)) == 0) {
                        printf("ok %s\n", unit_tests[k].name);
                        passed++;
                } else {
                        printf("FAIL %s (%s)\n", unit_tests[k].name, why);
                        failed++;
                }
                fflush(stdout);
        }
        printf("unit: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
}
