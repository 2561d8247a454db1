/* unit.c - the runner behind unit.h: registration, fork per test, time limit, summary. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define UNIT_MAX_TESTS 1024

struct unit_test {
        const char *name;
        unit_test_fn fn;
};

static struct unit_test tests[UNIT_MAX_TESTS];
static int n_tests;

void unit_register(const char *name, unit_test_fn fn)
{
        if (n_tests == UNIT_MAX_TESTS) {
                fprintf(stderr, "unit: too many tests (max %d)\n", UNIT_MAX_TESTS);
                exit(2);
        }
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        n_tests++;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fprintf(stderr, "%s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
        exit(1);
}

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
                for (int k = 0; k < n_tests; k++)
                        printf("%s\n", tests[k].name);
                return 0;
        }
        /* Every name given must exist. */
        for (int i = 1; i < argc; i++) {
                bool found = false;

                if (argv[i][0] == '-')
                        continue;
                for (int k = 0; k < n_tests && !found; k++)
                        found = strcmp(tests[k].name, argv[i]) == 0;
                if (!found) {
                        printf("FAIL %s (no such test)\n", argv[i]);
                        failed++;
                }
        }
        for (int k = 0; k < n_tests; k++) {
                char why[256] = "";
                bool selected = named == 0;

                for (int i = 1; i < argc && !selected; i++)
                        selected = strcmp(tests[k].name, argv[i]) == 0;
                if (!selected)
                        continue;
                if (run_one(&tests[k], fork_it, why, sizeof(why)) == 0) {
                        printf("ok %s\n", tests[k].name);
                        passed++;
                } else {
                        printf("FAIL %s (%s)\n", tests[k].name, why);
                        failed++;
                }
                fflush(stdout);
        }
        printf("unit: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
}
