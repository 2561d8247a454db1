/* registry.c - the test table shared by the unit runner (unit.c) and the conformance runner
 * (tests/conformance/runner.c): TEST() registers here before main() runs, and a failed
 * assertion ends the test's process here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

struct unit_test unit_tests[UNIT_MAX_TESTS];
int unit_n_tests;

void unit_register(const char *name, unit_test_fn fn)
{
        if (unit_n_tests == UNIT_MAX_TESTS) {
                fprintf(stderr, "too many tests (max %d)\n", UNIT_MAX_TESTS);
                exit(2);
        }
        unit_tests[unit_n_tests].name = name;
        unit_tests[unit_n_tests].fn = fn;
        unit_n_tests++;
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
