/* test-hresult.c - result codes (QMGR.md §2.6), their names and messages (qmgr.h). */
#include "qmgr.h"
#include "unit.h"

/* Every code of §2.6 (and the other modern codes it lists), with its exact value. */
#define SPEC_CODES(X)                                                                              \
        X(QM_S_OK, 0x00000000)                                                                     \
        X(QM_S_FALSE, 0x00000001)                                                                  \
        X(QM_E_NOTIMPL, 0x80004001)                                                                \
        X(QM_E_POINTER, 0x80004003)                                                                \
        X(QM_E_OUTOFMEMORY, 0x8007000E)                                                            \
        X(QM_E_INVALIDARG, 0x80070057)                                                             \
        X(QM_E_ACCESSDENIED, 0x80070005)                                                           \
        X(QM_E_INVALID_STATE, 0x81001001)                                                          \
        X(QM_E_SERVICE_UNAVAILABLE, 0x81001002)                                                    \
        X(QM_E_DOWNLOADER_UNAVAILABLE, 0x81001003)                                                 \
        X(QM_E_ITEM_NOT_FOUND, 0x81001004)                                                         \
        X(BG_E_EMPTY, 0x80200003)                                                                  \
        X(BG_E_INVALID_STATE, 0x80200002)                                                          \
        X(BG_E_NOT_FOUND, 0x80200001)                                                              \
        X(BG_S_PARTIAL_COMPLETE, 0x00200017)                                                       \
        X(BG_S_UNABLE_TO_DELETE_FILES, 0x0020001A)                                                 \
        X(BG_E_NETWORK_DISCONNECTED, 0x80200010)                                                   \
        X(BG_E_MISSING_FILE_SIZE, 0x80200011)                                                      \
        X(BG_E_INSUFFICIENT_RANGE_SUPPORT, 0x80200013)                                             \
        X(BG_E_TOO_MANY_FILES, 0x8020001C)                                                         \
        X(BG_E_LOCAL_FILE_CHANGED, 0x8020001D)                                                     \
        X(BG_E_TOO_LARGE, 0x80200020)                                                              \
        X(BG_E_STRING_TOO_LONG, 0x80200021)                                                        \
        X(BG_E_BLOCKED_BY_POLICY, 0x8020003E)

TEST(hresult_spec_values)
{
#define X(name, value) ASSERT_EQ_INT((int32_t)(uint32_t)(value), (name));
        SPEC_CODES(X)
#undef X
}

TEST(hresult_spec_names)
{
#define X(name, value) ASSERT_EQ_STR(#name, qm_hresult_name(name));
        SPEC_CODES(X)
#undef X
}

TEST(hresult_spec_messages)
{
#define X(name, value)                                                                             \
        ASSERT_NOT_NULL(qm_strerror(name));                                                        \
        ASSERT_TRUE(strlen(qm_strerror(name)) > 3);                                                \
        ASSERT_TRUE(strchr(qm_strerror(name), '\n') == NULL);                                      \
        if (strcmp(qm_strerror(name), "Unknown error") == 0 ||                                     \
            strcmp(qm_strerror(name), "Unknown success code") == 0)                                \
                unit_fail(__FILE__, __LINE__, "%s has no message", #name);
        SPEC_CODES(X)
#undef X
}

TEST(hresult_success_and_failure)
{
        ASSERT_TRUE(QM_SUCCEEDED(QM_S_OK));
        ASSERT_TRUE(QM_SUCCEEDED(QM_S_FALSE));
        ASSERT_TRUE(QM_SUCCEEDED(BG_S_PARTIAL_COMPLETE));
        ASSERT_TRUE(QM_SUCCEEDED(BG_S_UNABLE_TO_DELETE_FILES));
        ASSERT_TRUE(QM_FAILED(QM_E_NOTIMPL));
        ASSERT_TRUE(QM_FAILED(BG_E_EMPTY));
        ASSERT_TRUE(QM_FAILED(BG_E_HTTP_ERROR(404)));
        ASSERT_FALSE(QM_FAILED(QM_S_OK));
}

/* Every code of the one map has its name and its message, both non-empty. */
TEST(hresult_map_names_and_messages)
{
        int n = 0;

#define XX(name, msg)                                                                              \
        ASSERT_EQ_STR(#name, qm_hresult_name(name));                                               \
        ASSERT_EQ_STR(msg, qm_strerror(name));                                                     \
        ASSERT_TRUE(strlen(msg) > 0);                                                              \
        n++;
        QM_HRESULT_MAP(XX)
#undef XX
        ASSERT_TRUE(n >= 24);
}

/* Two names with one value would make one of them unreachable. */
TEST(hresult_map_values_distinct)
{
        static const struct {
                const char *name;
                qm_hresult hr;
        } all[] = {
#define XX(name, msg) {#name, name},
                QM_HRESULT_MAP(XX)
#undef XX
        };
        size_t n = sizeof(all) / sizeof(all[0]);

        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (all[i].hr == all[j].hr)
                                unit_fail(__FILE__, __LINE__, "%s and %s are both 0x%08X",
                                          all[i].name, all[j].name, (unsigned)all[i].hr);
}

TEST(hresult_http_error_404)
{
        ASSERT_EQ_INT((int32_t)0x80190194u, BG_E_HTTP_ERROR(404));
        ASSERT_EQ_INT((int32_t)0x80190194u, BG_E_HTTP_ERROR_404);
        ASSERT_EQ_STR("BG_E_HTTP_ERROR_404", qm_hresult_name(BG_E_HTTP_ERROR(404)));
        ASSERT_EQ_STR("BG_E_HTTP_ERROR_404", qm_hresult_name(QM_HR(0x80190194)));
        ASSERT_CONTAINS(qm_strerror(BG_E_HTTP_ERROR(404)), "404");
        ASSERT_TRUE(QM_IS_HTTP_ERROR(BG_E_HTTP_ERROR(404)));
        ASSERT_EQ_INT(404, QM_HTTP_STATUS(BG_E_HTTP_ERROR(404)));
}

TEST(hresult_http_errors_all_statuses)
{
        static const int codes[] = {400, 401, 403, 404, 408, 410, 416, 429,
                                    500, 501, 502, 503, 504, 418, 599};

        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                char want[32];
                qm_hresult hr = BG_E_HTTP_ERROR(codes[i]);

                ASSERT_EQ_INT((int32_t)(0x80190000u + (uint32_t)codes[i]), hr);
                snprintf(want, sizeof(want), "BG_E_HTTP_ERROR_%d", codes[i]);
                ASSERT_EQ_STR(want, qm_hresult_name(hr));
                snprintf(want, sizeof(want), "%d", codes[i]);
                ASSERT_CONTAINS(qm_strerror(hr), want);
                ASSERT_EQ_INT(codes[i], QM_HTTP_STATUS(hr));
        }
        ASSERT_EQ_INT((int32_t)0x801901F7u, BG_E_HTTP_ERROR_503);
        ASSERT_FALSE(QM_IS_HTTP_ERROR(BG_E_EMPTY));
}

TEST(hresult_unknown)
{
        ASSERT_EQ_STR("UNKNOWN_HRESULT", qm_hresult_name(QM_HR(0x8FFF1234)));
        ASSERT_EQ_STR("UNKNOWN_HRESULT", qm_hresult_name(QM_HR(0x12345678)));
        ASSERT_EQ_STR("UNKNOWN_HRESULT", qm_hresult_name(QM_HR(0x80200FFF)));
        ASSERT_NOT_NULL(qm_strerror(QM_HR(0x8FFF1234)));
        ASSERT_TRUE(strlen(qm_strerror(QM_HR(0x8FFF1234))) > 0);
        ASSERT_NOT_NULL(qm_strerror(QM_HR(0x12345678)));
}
