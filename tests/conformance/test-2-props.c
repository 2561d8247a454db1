/* test-2-props.c - QMGR.md §2.2, §2.3, §2.5: GetProp / SetProp. */
#include "conf.h"

static qm_variant vi4(int32_t v)
{
        qm_variant x = {.type = QM_VT_I4};

        x.u.i4 = v;
        return x;
}

static qm_variant vui4(uint32_t v)
{
        qm_variant x = {.type = QM_VT_UI4};

        x.u.ui4 = v;
        return x;
}

static qm_variant vstr(const char *s)
{
        qm_variant x = {.type = QM_VT_STR};

        x.u.str = (char *)s;
        return x;
}

/* The integer value of an integer property (I4 or UI4 accepted on read). */
static uint32_t get_int(qm_group *g, GROUPPROP p)
{
        qm_variant v = {.type = QM_VT_EMPTY};

        ASSERT_HR(QM_S_OK, qm_group_get_prop(g, p, &v));
        ASSERT_TRUE(v.type == QM_VT_I4 || v.type == QM_VT_UI4);
        return v.type == QM_VT_I4 ? (uint32_t)v.u.i4 : v.u.ui4;
}

static char *get_str(qm_group *g, GROUPPROP p)
{
        qm_variant v = {.type = QM_VT_EMPTY};

        ASSERT_HR(QM_S_OK, qm_group_get_prop(g, p, &v));
        ASSERT_EQ_INT(QM_VT_STR, v.type);
        ASSERT_NOT_NULL(v.u.str);
        return v.u.str;
}

static char *repeat(const char *unit, int n)
{
        size_t ul = strlen(unit);
        char *s = malloc(ul * (size_t)n + 1);

        ASSERT_NOT_NULL(s);
        for (int i = 0; i < n; i++)
                memcpy(s + ul * (size_t)i, unit, ul);
        s[ul * (size_t)n] = '\0';
        return s;
}

static qm_group *group(void)
{
        return conf_new_group(conf_connect(), NULL);
}

/* ---- §2.2 NOTIFYFLAGS ---------------------------------------------------------------- */

TEST(test_2_2_notifyflags_default_is_0)
{
        qm_group *g = group();

        ASSERT_EQ_INT(0, get_int(g, GROUPPROP_NOTIFYFLAGS));
        qm_group_cancel(g);
}

TEST(test_2_2_notifyflags_each_legal_bit_is_accepted_and_read_back)
{
        const uint32_t bits[] = {QM_NOTIFY_FILE_DONE,
                                 QM_NOTIFY_JOB_DONE,
                                 QM_NOTIFY_GROUP_DONE,
                                 QM_NOTIFY_DISABLE_NOTIFY,
                                 QM_NOTIFY_USE_PROGRESSEX,
                                 0xc7,
                                 0};
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
                qm_variant v = vui4(bits[i]);

                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &v));
                ASSERT_EQ_INT(bits[i], get_int(g, GROUPPROP_NOTIFYFLAGS));
                v = vi4((int32_t)bits[i]);
                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &v));
                ASSERT_EQ_INT(bits[i], get_int(g, GROUPPROP_NOTIFYFLAGS));
        }
        qm_group_cancel(g);
}

TEST(test_2_2_notifyflags_other_bits_are_e_invalidarg)
{
        const uint32_t bad[] = {0x08, 0x10, 0x20, 0x100, 0x04 | 0x08, 0x80000000u, 0xffffffffu};
        qm_group *g = group();
        qm_variant ok = vui4(QM_NOTIFY_GROUP_DONE);

        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &ok));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_variant v = vui4(bad[i]);

                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &v));
                ASSERT_EQ_INT(QM_NOTIFY_GROUP_DONE, get_int(g, GROUPPROP_NOTIFYFLAGS));
        }
        qm_group_cancel(g);
}

/* ---- §2.3 PROTOCOLFLAGS -------------------------------------------------------------- */

TEST(test_2_3_protocolflags_default_is_http)
{
        qm_group *g = group();

        ASSERT_EQ_INT(QM_PROTOCOL_HTTP, get_int(g, GROUPPROP_PROTOCOLFLAGS));
        qm_group_cancel(g);
}

TEST(test_2_3_protocolflags_http_is_accepted)
{
        qm_group *g = group();
        qm_variant v = vui4(QM_PROTOCOL_HTTP), w = vi4(1);

        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_PROTOCOLFLAGS, &v));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_PROTOCOLFLAGS, &w));
        ASSERT_EQ_INT(QM_PROTOCOL_HTTP, get_int(g, GROUPPROP_PROTOCOLFLAGS));
        qm_group_cancel(g);
}

TEST(test_2_3_protocolflags_ftp_smb_custom_other_are_e_invalidarg)
{
        const uint32_t bad[] = {QM_PROTOCOL_FTP, QM_PROTOCOL_SMB, QM_PROTOCOL_CUSTOM, 0, 5,
                                0xffffffffu};
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_variant v = vui4(bad[i]);

                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_PROTOCOLFLAGS, &v));
                ASSERT_EQ_INT(QM_PROTOCOL_HTTP, get_int(g, GROUPPROP_PROTOCOLFLAGS));
        }
        qm_group_cancel(g);
}

/* ---- §2.5 GROUPPROP ------------------------------------------------------------------ */

static const GROUPPROP unsupported[] = {
        GROUPPROP_REMOTEUSERID, GROUPPROP_REMOTEUSERPWD, GROUPPROP_LOCALUSERID,
        GROUPPROP_LOCALUSERPWD, GROUPPROP_PROGRESSSIZE,  GROUPPROP_PROGRESSPERCENT,
        GROUPPROP_PROGRESSTIME,
};

TEST(test_2_5_getprop_unsupported_props_return_e_notimpl)
{
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
                qm_variant v = {.type = QM_VT_EMPTY};

                ASSERT_HR(QM_E_NOTIMPL, qm_group_get_prop(g, unsupported[i], &v));
                ASSERT_EQ_INT(QM_VT_EMPTY, v.type);
        }
        qm_group_cancel(g);
}

TEST(test_2_5_setprop_unsupported_props_return_e_notimpl)
{
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
                qm_variant s = vstr("user"), n = vui4(1);

                ASSERT_HR(QM_E_NOTIMPL, qm_group_set_prop(g, unsupported[i], &s));
                ASSERT_HR(QM_E_NOTIMPL, qm_group_set_prop(g, unsupported[i], &n));
        }
        qm_group_cancel(g);
}

TEST(test_2_5_priority_reads_back_1_and_only_1_is_legal)
{
        const int32_t bad[] = {0, 2, 3, 4, -1};
        qm_group *g = group();
        qm_variant one = vi4(1), uone = vui4(1);

        ASSERT_EQ_INT(1, get_int(g, GROUPPROP_PRIORITY));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_PRIORITY, &one));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_PRIORITY, &uone));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_variant v = vi4(bad[i]);

                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_PRIORITY, &v));
        }
        ASSERT_EQ_INT(1, get_int(g, GROUPPROP_PRIORITY));
        qm_group_cancel(g);
}

TEST(test_2_5_integer_props_read_back_as_i4)
{
        qm_group *g = group();
        const GROUPPROP p[] = {GROUPPROP_PRIORITY, GROUPPROP_PROTOCOLFLAGS, GROUPPROP_NOTIFYFLAGS};

        for (size_t i = 0; i < 3; i++) {
                qm_variant v = {.type = QM_VT_EMPTY};

                ASSERT_HR(QM_S_OK, qm_group_get_prop(g, p[i], &v));
                ASSERT_EQ_INT(QM_VT_I4, v.type);
        }
        qm_group_cancel(g);
}

static void check_string_limit(GROUPPROP p, const char *unit, int max)
{
        qm_group *g = group();
        char *okv = repeat(unit, max), *bad = repeat(unit, max + 1);
        qm_variant v = vstr(okv), w = vstr(bad);

        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, p, &v));
        ASSERT_EQ_STR(okv, get_str(g, p));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, p, &w));
        ASSERT_EQ_STR(okv, get_str(g, p)); /* unchanged */
        qm_group_cancel(g);
}

TEST(test_2_5_displayname_256_chars_ok_257_e_invalidarg)
{
        check_string_limit(GROUPPROP_DISPLAYNAME, "x", 256);
}

TEST(test_2_5_displayname_counts_characters_not_bytes)
{
        check_string_limit(GROUPPROP_DISPLAYNAME, "\xc3\xa9", 256);         /* é: 2 bytes */
        check_string_limit(GROUPPROP_DISPLAYNAME, "\xe2\x82\xac", 256);     /* €: 3 bytes */
        check_string_limit(GROUPPROP_DISPLAYNAME, "\xf0\x9f\x98\x80", 256); /* 😀: 4 bytes */
}

TEST(test_2_5_description_1024_chars_ok_1025_e_invalidarg)
{
        check_string_limit(GROUPPROP_DESCRIPTION, "d", 1024);
}

TEST(test_2_5_description_counts_characters_not_bytes)
{
        check_string_limit(GROUPPROP_DESCRIPTION, "\xc3\xa9", 1024);
        check_string_limit(GROUPPROP_DESCRIPTION, "\xf0\x9f\x98\x80", 1024);
}

TEST(test_2_5_invalid_utf8_is_e_invalidarg)
{
        const char *bad[] = {
                "abc\xff",
                "\xc3",
                "\xc3\x28",
                "\xc0\xaf" /* overlong '/' */,
                "\xed\xa0\x80" /* surrogate */,
                "\xf4\x90\x80\x80" /* > U+10FFFF */,
        };
        const GROUPPROP props[] = {GROUPPROP_DISPLAYNAME, GROUPPROP_DESCRIPTION};
        qm_group *g = group();
        qm_variant okv = vstr("before");

        for (size_t k = 0; k < 2; k++) {
                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, props[k], &okv));
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        qm_variant v = vstr(bad[i]);

                        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, props[k], &v));
                }
                ASSERT_EQ_STR("before", get_str(g, props[k]));
        }
        qm_group_cancel(g);
}

TEST(test_2_5_wrong_variant_type_is_e_invalidarg)
{
        qm_group *g = group();
        qm_variant s = vstr("1"), n = vi4(1), u = vui4(1), e = {.type = QM_VT_EMPTY};
        qm_variant odd = {.type = (qm_vartype)99};

        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_PRIORITY, &s));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_PROTOCOLFLAGS, &s));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &s));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &e));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_DISPLAYNAME, &n));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_DESCRIPTION, &u));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &n));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_DISPLAYNAME, &e));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_DISPLAYNAME, &odd));
        qm_group_cancel(g);
}

TEST(test_2_5_prop_outside_0_12_is_e_invalidarg)
{
        const int bad[] = {13, 14, 100, -1, 0x7fffffff};
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_variant v = {.type = QM_VT_EMPTY}, n = vi4(1), s = vstr("x");

                ASSERT_HR(QM_E_INVALIDARG, qm_group_get_prop(g, (GROUPPROP)bad[i], &v));
                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, (GROUPPROP)bad[i], &n));
                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, (GROUPPROP)bad[i], &s));
        }
        qm_group_cancel(g);
}

TEST(test_2_5_notifyclsid_malformed_is_e_invalidarg)
{
        const char *bad[] = {
                "x",
                "{}",
                "{69AD4AEE-51BE-439B-A92C-86AE490E8B3}",
                "{69AD4AEE-51BE-439B-A92C-86AE490E8B30",
                "{69AD4AEE51BE439BA92C86AE490E8B30}",
                "{69AD4AEE-51BE-439B-A92C-86AE490E8B3G}",
                "{69AD4AEE-51BE-439B-A92C-86AE490E8B30}x",
        };
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_variant v = vstr(bad[i]);

                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        }
        ASSERT_EQ_STR("", get_str(g, GROUPPROP_NOTIFYCLSID));
        qm_group_cancel(g);
}

TEST(test_2_5_string_props_default_to_empty_string)
{
        qm_group *g = group();

        ASSERT_EQ_STR("", get_str(g, GROUPPROP_NOTIFYCLSID));
        ASSERT_EQ_STR("", get_str(g, GROUPPROP_DISPLAYNAME));
        ASSERT_EQ_STR("", get_str(g, GROUPPROP_DESCRIPTION));
        qm_group_cancel(g);
}

TEST(test_2_5_empty_string_clears)
{
        const GROUPPROP p[] = {GROUPPROP_DISPLAYNAME, GROUPPROP_DESCRIPTION};
        qm_group *g = group();
        qm_variant some = vstr("something"), empty = vstr("");

        for (size_t i = 0; i < 2; i++) {
                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, p[i], &some));
                ASSERT_EQ_STR("something", get_str(g, p[i]));
                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, p[i], &empty));
                ASSERT_EQ_STR("", get_str(g, p[i]));
        }
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &empty));
        ASSERT_EQ_STR("", get_str(g, GROUPPROP_NOTIFYCLSID));
        qm_group_cancel(g);
}

TEST(test_2_5_strings_are_stored_verbatim)
{
        const char *vals[] = {"%s%n%x",
                              "tab\there\nnewline",
                              "\x1b[31mred\x1b[0m",
                              "quote\" back\\slash",
                              "'; DROP TABLE groups; --",
                              "日本語"};
        qm_group *g = group();

        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
                qm_variant v = vstr(vals[i]);

                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_DISPLAYNAME, &v));
                ASSERT_EQ_STR(vals[i], get_str(g, GROUPPROP_DISPLAYNAME));
                ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_DESCRIPTION, &v));
                ASSERT_EQ_STR(vals[i], get_str(g, GROUPPROP_DESCRIPTION));
        }
        qm_group_cancel(g);
}
