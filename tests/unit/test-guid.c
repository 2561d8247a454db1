/* test-guid.c - GUID parsing, printing and generation (QMGR.md §2.7, qmgr.h). */
#include <stdlib.h>

#include "qmgr.h"
#include "unit.h"

static const qm_guid sample = {
        0x01234567, 0x89AB, 0xCDEF, {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}};
#define SAMPLE_STR "{01234567-89AB-CDEF-0123-456789ABCDEF}"

static qm_hresult parse(const char *s, qm_guid *g)
{
        return qm_guid_from_string(s, g);
}

TEST(guid_to_string_upper_case_with_braces)
{
        char buf[QM_GUID_STRING_SIZE];

        memset(buf, 'x', sizeof(buf));
        ASSERT_HR(QM_S_OK, qm_guid_to_string(&sample, buf));
        ASSERT_EQ_STR(SAMPLE_STR, buf);
        ASSERT_EQ_INT(38, strlen(buf));
}

TEST(guid_to_string_leading_zeros)
{
        qm_guid g = {0x1, 0x2, 0x3, {0, 0, 0, 0, 0, 0, 0, 0xa}};
        char buf[QM_GUID_STRING_SIZE];

        ASSERT_HR(QM_S_OK, qm_guid_to_string(&g, buf));
        ASSERT_EQ_STR("{00000001-0002-0003-0000-00000000000A}", buf);
}

TEST(guid_round_trip)
{
        for (int i = 0; i < 200; i++) {
                qm_guid g, back;
                char buf[QM_GUID_STRING_SIZE];

                ASSERT_HR(QM_S_OK, qm_guid_generate(&g));
                ASSERT_HR(QM_S_OK, qm_guid_to_string(&g, buf));
                ASSERT_HR(QM_S_OK, parse(buf, &back));
                ASSERT_TRUE(qm_guid_equal(&g, &back));
                ASSERT_EQ_MEM(&g, &back, sizeof(g));
        }
}

TEST(guid_parse_fields)
{
        qm_guid g;

        ASSERT_HR(QM_S_OK, parse(SAMPLE_STR, &g));
        ASSERT_EQ_INT(0x01234567, g.data1);
        ASSERT_EQ_INT(0x89AB, g.data2);
        ASSERT_EQ_INT(0xCDEF, g.data3);
        ASSERT_EQ_MEM(sample.data4, g.data4, 8);
}

TEST(guid_braces_optional)
{
        qm_guid g;

        ASSERT_HR(QM_S_OK, parse("01234567-89AB-CDEF-0123-456789ABCDEF", &g));
        ASSERT_TRUE(qm_guid_equal(&sample, &g));
}

TEST(guid_any_case)
{
        qm_guid g;

        ASSERT_HR(QM_S_OK, parse("{01234567-89ab-cdef-0123-456789abcdef}", &g));
        ASSERT_TRUE(qm_guid_equal(&sample, &g));
        ASSERT_HR(QM_S_OK, parse("01234567-89aB-CdEf-0123-456789AbCdEf", &g));
        ASSERT_TRUE(qm_guid_equal(&sample, &g));
}

TEST(guid_parse_writes_nothing_on_failure)
{
        qm_guid g = sample;

        ASSERT_HR(QM_E_INVALIDARG, parse("{00000000-0000-0000-0000-00000000000G}", &g));
        ASSERT_TRUE(qm_guid_equal(&sample, &g));
}

TEST(guid_rejects_wrong_length)
{
        static const char *bad[] = {
                "",
                "{}",
                "{01234567-89AB-CDEF-0123-456789ABCDE}",   /* one digit short */
                "{01234567-89AB-CDEF-0123-456789ABCDEF0}", /* one digit long */
                "01234567-89AB-CDEF-0123-456789ABCDE",
                "01234567-89AB-CDEF-0123-456789ABCDEF0",
                "0123456789ABCDEF0123456789ABCDEF",       /* no dashes at all */
                "{0123456-89AB-CDEF-0123-456789ABCDEF0}", /* dash moved */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_guid g;

                if (parse(bad[i], &g) != QM_E_INVALIDARG)
                        unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        }
}

TEST(guid_rejects_bad_hex)
{
        static const char *bad[] = {
                "{G1234567-89AB-CDEF-0123-456789ABCDEF}",
                "{01234567-89AB-CDEF-0123-456789ABCDEg}",
                "{01234567-89AB-CDEF-01 3-456789ABCDEF}",
                "{01234567-89AB-CDEF-0123-4567+9ABCDEF}",
                "{0x234567-89AB-CDEF-0123-456789ABCDEF}",
                "{01234567-89AB-CDEF-0123-456789ABCD\xc3\xa9}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_guid g;

                if (parse(bad[i], &g) != QM_E_INVALIDARG)
                        unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        }
}

TEST(guid_rejects_missing_dash)
{
        static const char *bad[] = {
                "{01234567089AB-CDEF-0123-456789ABCDEF}", "{01234567-89AB0CDEF-0123-456789ABCDEF}",
                "{01234567-89AB-CDEF00123-456789ABCDEF}", "{01234567-89AB-CDEF-01230456789ABCDEF}",
                "{01234567_89AB-CDEF-0123-456789ABCDEF}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_guid g;

                if (parse(bad[i], &g) != QM_E_INVALIDARG)
                        unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        }
}

TEST(guid_rejects_unbalanced_brace)
{
        static const char *bad[] = {
                "{01234567-89AB-CDEF-0123-456789ABCDEF",   "01234567-89AB-CDEF-0123-456789ABCDEF}",
                "{{01234567-89AB-CDEF-0123-456789ABCDEF}", "(01234567-89AB-CDEF-0123-456789ABCDEF)",
                "{01234567-89AB-CDEF-0123-456789ABCDEF]",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_guid g;

                if (parse(bad[i], &g) != QM_E_INVALIDARG)
                        unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        }
}

TEST(guid_rejects_trailing_junk)
{
        static const char *bad[] = {
                "{01234567-89AB-CDEF-0123-456789ABCDEF}x",
                "{01234567-89AB-CDEF-0123-456789ABCDEF} ",
                "{01234567-89AB-CDEF-0123-456789ABCDEF}\n",
                "01234567-89AB-CDEF-0123-456789ABCDEF ",
                "01234567-89AB-CDEF-0123-456789ABCDEFx",
                " {01234567-89AB-CDEF-0123-456789ABCDEF}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_guid g;

                if (parse(bad[i], &g) != QM_E_INVALIDARG)
                        unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        }
}

TEST(guid_null_pointers)
{
        qm_guid g;
        char buf[QM_GUID_STRING_SIZE];

        ASSERT_HR(QM_E_POINTER, qm_guid_from_string(NULL, &g));
        ASSERT_HR(QM_E_POINTER, qm_guid_from_string(SAMPLE_STR, NULL));
        ASSERT_HR(QM_E_POINTER, qm_guid_to_string(NULL, buf));
        ASSERT_HR(QM_E_POINTER, qm_guid_to_string(&sample, NULL));
        ASSERT_HR(QM_E_POINTER, qm_guid_generate(NULL));
}

TEST(guid_equal)
{
        qm_guid a = sample, b = sample;

        ASSERT_TRUE(qm_guid_equal(&a, &b));
        b.data4[7] ^= 1;
        ASSERT_FALSE(qm_guid_equal(&a, &b));
        b = sample;
        b.data1 ^= 0x80000000u;
        ASSERT_FALSE(qm_guid_equal(&a, &b));
        ASSERT_FALSE(qm_guid_equal(&a, NULL));
        ASSERT_FALSE(qm_guid_equal(NULL, &a));
}

TEST(guid_generate_is_version_4)
{
        for (int i = 0; i < 1000; i++) {
                qm_guid g;
                char buf[QM_GUID_STRING_SIZE];

                ASSERT_HR(QM_S_OK, qm_guid_generate(&g));
                ASSERT_EQ_INT(4, g.data3 >> 12);        /* version nibble */
                ASSERT_EQ_INT(0x80, g.data4[0] & 0xC0); /* RFC 4122 variant 10xx */
                ASSERT_HR(QM_S_OK, qm_guid_to_string(&g, buf));
                ASSERT_EQ_INT('4', buf[15]);
                ASSERT_TRUE(strchr("89AB", buf[20]) != NULL);
        }
}

static int cmp_guid(const void *a, const void *b)
{
        return memcmp(a, b, sizeof(qm_guid));
}

TEST(guid_generate_distinct)
{
        enum { N = 10000 };
        qm_guid *g = calloc(N, sizeof(*g));
        qm_guid zero;

        ASSERT_NOT_NULL(g);
        memset(&zero, 0, sizeof(zero));
        for (int i = 0; i < N; i++)
                ASSERT_HR(QM_S_OK, qm_guid_generate(&g[i]));
        qsort(g, N, sizeof(*g), cmp_guid);
        for (int i = 1; i < N; i++)
                ASSERT_TRUE(memcmp(&g[i - 1], &g[i], sizeof(qm_guid)) != 0);
        ASSERT_FALSE(qm_guid_equal(&g[0], &zero));
        free(g);
}
