/* guid.c - GUID parsing, printing and generation (registry form, §2.7). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "qmgr.h"

#define G(d1, d2, d3, a, b, c, d, e, f, g, h)                                                      \
        {                                                                                          \
                d1, d2, d3,                                                                        \
                {                                                                                  \
                        a, b, c, d, e, f, g, h                                                     \
                }                                                                                  \
        }
QM_API const qm_guid CLSID_BackgroundCopyQMgr =
        G(0x69AD4AEE, 0x51BE, 0x439B, 0xA9, 0x2C, 0x86, 0xAE, 0x49, 0x0E, 0x8B, 0x30);
QM_API const qm_guid IID_IBackgroundCopyQMgr =
        G(0x16F41C69, 0x09F5, 0x41D2, 0x8C, 0xD8, 0x3C, 0x08, 0xC4, 0x7B, 0xC8, 0xA8);
QM_API const qm_guid IID_IBackgroundCopyGroup =
        G(0x1DED80A7, 0x53EA, 0x424F, 0x8A, 0x04, 0x17, 0xFE, 0xA9, 0xAD, 0xC4, 0xF5);
QM_API const qm_guid IID_IBackgroundCopyJob1 =
        G(0x59F5553C, 0x2031, 0x4629, 0xBB, 0x18, 0x26, 0x45, 0xA6, 0x97, 0x09, 0x47);
QM_API const qm_guid IID_IEnumBackgroundCopyGroups =
        G(0xD993E603, 0x4AA4, 0x47C5, 0x86, 0x65, 0xC2, 0x0D, 0x39, 0xC2, 0xBA, 0x4F);
QM_API const qm_guid IID_IEnumBackgroundCopyJobs1 =
        G(0x8BAEBA9D, 0x8F1C, 0x42C4, 0xB8, 0x2C, 0x09, 0xAE, 0x79, 0x98, 0x0D, 0x25);
QM_API const qm_guid IID_IBackgroundCopyCallback1 =
        G(0x084F6593, 0x3800, 0x4E08, 0x9B, 0x59, 0x99, 0xFA, 0x59, 0xAD, 0xDF, 0x82);
QM_API const qm_guid IID_IBackgroundCopyJob =
        G(0x37668D37, 0x507E, 0x4160, 0x93, 0x16, 0x26, 0x30, 0x6D, 0x15, 0x0B, 0x12);
#undef G

QM_API qm_hresult qm_guid_generate(qm_guid *ret)
{
        uint8_t b[16];
        size_t got = 0;

        if (!ret)
                return QM_E_POINTER;
        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return QM_E_FAIL;
                }
                got += (size_t)n;
        }
        b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
        b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
        ret->data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        ret->data2 = (uint16_t)(b[4] << 8 | b[5]);
        ret->data3 = (uint16_t)(b[6] << 8 | b[7]);
        memcpy(ret->data4, b + 8, 8);
        return QM_S_OK;
}

QM_API qm_hresult qm_guid_to_string(const qm_guid *id, char buf[QM_GUID_STRING_SIZE])
{
        if (!id || !buf)
                return QM_E_POINTER;
        snprintf(buf, QM_GUID_STRING_SIZE, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
                 id->data1, id->data2, id->data3, id->data4[0], id->data4[1], id->data4[2],
                 id->data4[3], id->data4[4], id->data4[5], id->data4[6], id->data4[7]);
        return QM_S_OK;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Parses n hex digits at s into *out. */
static int hexn(const char *s, int n, uint32_t *out)
{
        uint32_t v = 0;

        for (int i = 0; i < n; i++) {
                int h = hexval(s[i]);

                if (h < 0)
                        return -1;
                v = v << 4 | (uint32_t)h;
        }
        *out = v;
        return 0;
}

QM_API qm_hresult qm_guid_from_string(const char *s, qm_guid *ret)
{
        qm_guid g;
        uint32_t v;
        int braces;

        if (!s || !ret)
                return QM_E_POINTER;
        braces = s[0] == '{';
        if (braces)
                s++;
        /* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx = 36 characters */
        if (strnlen(s, 38) != (size_t)(36 + braces))
                return QM_E_INVALIDARG;
        if (braces && s[36] != '}')
                return QM_E_INVALIDARG;
        if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
                return QM_E_INVALIDARG;
        if (hexn(s, 8, &v) < 0)
                return QM_E_INVALIDARG;
        g.data1 = v;
        if (hexn(s + 9, 4, &v) < 0)
                return QM_E_INVALIDARG;
        g.data2 = (uint16_t)v;
        if (hexn(s + 14, 4, &v) < 0)
                return QM_E_INVALIDARG;
        g.data3 = (uint16_t)v;
        for (int i = 0; i < 8; i++) {
                const char *p = i < 2 ? s + 19 + 2 * i : s + 24 + 2 * (i - 2);

                if (hexn(p, 2, &v) < 0)
                        return QM_E_INVALIDARG;
                g.data4[i] = (uint8_t)v;
        }
        *ret = g;
        return QM_S_OK;
}

QM_API int qm_guid_equal(const qm_guid *a, const qm_guid *b)
{
        return a && b && a->data1 == b->data1 && a->data2 == b->data2 && a->data3 == b->data3 &&
               memcmp(a->data4, b->data4, 8) == 0;
}
