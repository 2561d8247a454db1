/* fuzz-utf8.c - qmx_utf8_count() against two independent oracles.
 *
 * The input is cut at its NUL bytes; every piece, as a NUL-terminated string, goes to
 * qmx_utf8_count(), to a reference decoder written from the table of well-formed byte
 * sequences (Unicode 15, Table 3-7), and to jansson's own check (json_string() refuses
 * invalid UTF-8). All three must agree on validity, and the first two on the count. */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

/* The code points of s, or -1 when s is not well-formed UTF-8. */
static long reference_count(const unsigned char *s)
{
        long n = 0;

        while (*s) {
                unsigned char b = s[0];
                unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
                int len;

                if (b <= 0x7F)
                        len = 1;
                else if (b >= 0xC2 && b <= 0xDF)
                        len = 2;
                else if (b == 0xE0)
                        len = 3, lo = 0xA0;
                else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF)
                        len = 3;
                else if (b == 0xED)
                        len = 3, hi = 0x9F;
                else if (b == 0xF0)
                        len = 4, lo = 0x90;
                else if (b >= 0xF1 && b <= 0xF3)
                        len = 4;
                else if (b == 0xF4)
                        len = 4, hi = 0x8F;
                else
                        return -1;
                if (len > 1 && (s[1] < lo || s[1] > hi))
                        return -1;
                for (int i = 2; i < len; i++)
                        if (s[i] < 0x80 || s[i] > 0xBF)
                                return -1;
                s += len;
                n++;
        }
        return n;
}

static void check(const char *s, const uint8_t *data, size_t size)
{
        long got = qmx_utf8_count(s), want = reference_count((const unsigned char *)s);
        json_t *j = json_string(s);
        bool jansson_ok = j != NULL;

        json_decref(j);
        if (got != want)
                fuzz_die(data, size, "qmx_utf8_count() = %ld, reference = %ld", got, want);
        if ((got >= 0) != jansson_ok)
                fuzz_die(data, size, "qmx_utf8_count() = %ld but jansson says %s", got,
                         jansson_ok ? "valid" : "invalid");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        for (char *p = s; p <= s + size; p += strlen(p) + 1)
                check(p, data, size);
        free(s);
        return 0;
}
