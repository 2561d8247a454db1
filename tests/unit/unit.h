/* unit.h - a minimal unit test runner (in the spirit of libuv's test/runner).
 *
 *   #include "unit.h"
 *   TEST(guid_round_trip) { ASSERT_EQ_INT(1, 1); }
 *
 * Each TEST() registers itself before main() runs. The runner's main() (unit.c) runs every
 * test, or only those named on the command line, each in its own forked process with a
 * time limit (UNIT_TIMEOUT seconds, default 30), and prints one line per test:
 *     ok NAME          or      FAIL NAME (reason)
 * then a final line "unit: N passed, N failed". It exits 1 when any test failed.
 * Options: --list (print the names), --no-fork (run in-process, for gdb).
 *
 * A failed assertion prints file:line and both values on stderr and ends the test's process
 * with exit status 1. Memory or UB errors reported by sanitizers in the child fail the test.
 */
#ifndef QMGR_TEST_UNIT_H
#define QMGR_TEST_UNIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*unit_test_fn)(void);

/* The registered tests (registry.c), in registration order. */
#define UNIT_MAX_TESTS 1024
struct unit_test {
        const char *name;
        unit_test_fn fn;
};
extern struct unit_test unit_tests[UNIT_MAX_TESTS];
extern int unit_n_tests;

void unit_register(const char *name, unit_test_fn fn);
void unit_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));

#define TEST(name)                                                                                 \
        static void unit_test_##name(void);                                                        \
        __attribute__((constructor)) static void unit_register_##name(void)                        \
        {                                                                                          \
                unit_register(#name, unit_test_##name);                                            \
        }                                                                                          \
        static void unit_test_##name(void)

#define ASSERT_TRUE(cond)                                                                          \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        unit_fail(__FILE__, __LINE__, "ASSERT_TRUE(%s) failed", #cond);            \
        } while (0)

#define ASSERT_FALSE(cond)                                                                         \
        do {                                                                                       \
                if (cond)                                                                          \
                        unit_fail(__FILE__, __LINE__, "ASSERT_FALSE(%s) failed", #cond);           \
        } while (0)

/* Integers of any type up to 64 bits; compared and printed as signed 64-bit and as hex. */
#define ASSERT_EQ_INT(expected, actual)                                                            \
        do {                                                                                       \
                long long unit_e_ = (long long)(expected), unit_a_ = (long long)(actual);          \
                if (unit_e_ != unit_a_)                                                            \
                        unit_fail(__FILE__, __LINE__,                                              \
                                  "ASSERT_EQ_INT(%s, %s): expected %lld (0x%llx), got %lld "       \
                                  "(0x%llx)",                                                      \
                                  #expected, #actual, unit_e_, (unsigned long long)unit_e_,        \
                                  unit_a_, (unsigned long long)unit_a_);                           \
        } while (0)

#define ASSERT_NE_INT(unexpected, actual)                                                          \
        do {                                                                                       \
                long long unit_e_ = (long long)(unexpected), unit_a_ = (long long)(actual);        \
                if (unit_e_ == unit_a_)                                                            \
                        unit_fail(__FILE__, __LINE__, "ASSERT_NE_INT(%s, %s): both are %lld",      \
                                  #unexpected, #actual, unit_a_);                                  \
        } while (0)

/* Unsigned 64-bit values (sizes). */
#define ASSERT_EQ_U64(expected, actual)                                                            \
        do {                                                                                       \
                uint64_t unit_e_ = (uint64_t)(expected), unit_a_ = (uint64_t)(actual);             \
                if (unit_e_ != unit_a_)                                                            \
                        unit_fail(__FILE__, __LINE__,                                              \
                                  "ASSERT_EQ_U64(%s, %s): expected %" PRIu64 ", got %" PRIu64,     \
                                  #expected, #actual, unit_e_, unit_a_);                           \
        } while (0)

/* Strings; NULL is a value of its own (equal only to NULL). */
#define ASSERT_EQ_STR(expected, actual)                                                            \
        do {                                                                                       \
                const char *unit_e_ = (expected), *unit_a_ = (actual);                             \
                if ((unit_e_ == NULL) != (unit_a_ == NULL) ||                                      \
                    (unit_e_ && strcmp(unit_e_, unit_a_) != 0))                                    \
                        unit_fail(__FILE__, __LINE__,                                              \
                                  "ASSERT_EQ_STR(%s, %s): expected \"%s\", got \"%s\"", #expected, \
                                  #actual, unit_e_ ? unit_e_ : "(null)",                           \
                                  unit_a_ ? unit_a_ : "(null)");                                   \
        } while (0)

/* haystack contains needle */
#define ASSERT_CONTAINS(haystack, needle)                                                          \
        do {                                                                                       \
                const char *unit_h_ = (haystack), *unit_n_ = (needle);                             \
                if (!unit_h_ || !strstr(unit_h_, unit_n_))                                         \
                        unit_fail(__FILE__, __LINE__,                                              \
                                  "ASSERT_CONTAINS(%s, %s): \"%s\" does not contain \"%s\"",       \
                                  #haystack, #needle, unit_h_ ? unit_h_ : "(null)", unit_n_);      \
        } while (0)

#define ASSERT_NULL(p)                                                                             \
        do {                                                                                       \
                if ((p) != NULL)                                                                   \
                        unit_fail(__FILE__, __LINE__, "ASSERT_NULL(%s) failed", #p);               \
        } while (0)

#define ASSERT_NOT_NULL(p)                                                                         \
        do {                                                                                       \
                if ((p) == NULL)                                                                   \
                        unit_fail(__FILE__, __LINE__, "ASSERT_NOT_NULL(%s) failed", #p);           \
        } while (0)

/* HRESULTs: prints both values with their names (needs qmgr.h: qm_hresult_name()). */
#define ASSERT_HR(expected, actual)                                                                \
        do {                                                                                       \
                int32_t unit_e_ = (int32_t)(expected), unit_a_ = (int32_t)(actual);                \
                if (unit_e_ != unit_a_)                                                            \
                        unit_fail(__FILE__, __LINE__,                                              \
                                  "ASSERT_HR(%s, %s): expected 0x%08" PRIX32                       \
                                  " %s, got 0x%08" PRIX32 " %s",                                   \
                                  #expected, #actual, (uint32_t)unit_e_, qm_hresult_name(unit_e_), \
                                  (uint32_t)unit_a_, qm_hresult_name(unit_a_));                    \
        } while (0)

/* Bytes */
#define ASSERT_EQ_MEM(expected, actual, len)                                                       \
        do {                                                                                       \
                if (memcmp((expected), (actual), (len)) != 0)                                      \
                        unit_fail(__FILE__, __LINE__, "ASSERT_EQ_MEM(%s, %s, %s): differ",         \
                                  #expected, #actual, #len);                                       \
        } while (0)

#endif
