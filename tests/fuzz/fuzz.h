/* fuzz.h - the libFuzzer entry point every target defines (tests/fuzz/fuzz-*.c).
 *
 * A target is built twice: with clang and -fsanitize=fuzzer for `make fuzz` (libFuzzer
 * supplies main()), and with the project's compiler against replay.c, whose main() runs the
 * target once on every file of its corpus (`make check`, suite fuzz-replay). Targets report a
 * bug by crashing: abort() on a broken invariant, or a sanitizer report. */
#ifndef QMGR_FUZZ_H
#define QMGR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Ends the run on a broken invariant, printing why and the (printable part of the) input. */
__attribute__((noreturn, format(printf, 3, 4))) static inline void
fuzz_die(const void *input, size_t len, const char *fmt, ...);

#include <stdarg.h>

static inline void fuzz_die(const void *input, size_t len, const char *fmt, ...)
{
        const unsigned char *p = input;
        va_list ap;

        fputs("fuzz: invariant broken: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nfuzz: input: ", stderr);
        for (size_t i = 0; p && i < len && i < 2048; i++)
                fprintf(stderr, p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' ? "%c" : "\\x%02x",
                        p[i]);
        fputc('\n', stderr);
        abort();
}

#endif
