/* test-2-constants.c - QMGR.md §2: exact numeric values, code names and messages, identifiers. */
#include "conf.h"

TEST(test_2_1_status_bits_have_documented_values)
{
        ASSERT_EQ_INT(0x0001, QM_STATUS_FILE_COMPLETE);
        ASSERT_EQ_INT(0x0002, QM_STATUS_FILE_INCOMPLETE);
        ASSERT_EQ_INT(0x0004, QM_STATUS_JOB_COMPLETE);
        ASSERT_EQ_INT(0x0008, QM_STATUS_JOB_INCOMPLETE);
        ASSERT_EQ_INT(0x0010, QM_STATUS_JOB_ERROR);
        ASSERT_EQ_INT(0x0020, QM_STATUS_JOB_FOREGROUND);
        ASSERT_EQ_INT(0x0040, QM_STATUS_GROUP_COMPLETE);
        ASSERT_EQ_INT(0x0080, QM_STATUS_GROUP_INCOMPLETE);
        ASSERT_EQ_INT(0x0100, QM_STATUS_GROUP_SUSPENDED);
        ASSERT_EQ_INT(0x0200, QM_STATUS_GROUP_ERROR);
        ASSERT_EQ_INT(0x0400, QM_STATUS_GROUP_FOREGROUND);
}

TEST(test_2_2_notify_flags_have_documented_values)
{
        ASSERT_EQ_INT(0x01, QM_NOTIFY_FILE_DONE);
        ASSERT_EQ_INT(0x02, QM_NOTIFY_JOB_DONE);
        ASSERT_EQ_INT(0x04, QM_NOTIFY_GROUP_DONE);
        ASSERT_EQ_INT(0x40, QM_NOTIFY_DISABLE_NOTIFY);
        ASSERT_EQ_INT(0x80, QM_NOTIFY_USE_PROGRESSEX);
}

TEST(test_2_3_protocols_have_documented_values)
{
        ASSERT_EQ_INT(1, QM_PROTOCOL_HTTP);
        ASSERT_EQ_INT(2, QM_PROTOCOL_FTP);
        ASSERT_EQ_INT(3, QM_PROTOCOL_SMB);
        ASSERT_EQ_INT(4, QM_PROTOCOL_CUSTOM);
}

TEST(test_2_4_progress_kinds_have_documented_values)
{
        ASSERT_EQ_INT(1, QM_PROGRESS_PERCENT_DONE);
        ASSERT_EQ_INT(2, QM_PROGRESS_TIME_DONE);
        ASSERT_EQ_INT(3, QM_PROGRESS_SIZE_DONE);
}

TEST(test_2_5_groupprops_have_documented_values)
{
        ASSERT_EQ_INT(0, GROUPPROP_PRIORITY);
        ASSERT_EQ_INT(1, GROUPPROP_REMOTEUSERID);
        ASSERT_EQ_INT(2, GROUPPROP_REMOTEUSERPWD);
        ASSERT_EQ_INT(3, GROUPPROP_LOCALUSERID);
        ASSERT_EQ_INT(4, GROUPPROP_LOCALUSERPWD);
        ASSERT_EQ_INT(5, GROUPPROP_PROTOCOLFLAGS);
        ASSERT_EQ_INT(6, GROUPPROP_NOTIFYFLAGS);
        ASSERT_EQ_INT(7, GROUPPROP_NOTIFYCLSID);
        ASSERT_EQ_INT(8, GROUPPROP_PROGRESSSIZE);
        ASSERT_EQ_INT(9, GROUPPROP_PROGRESSPERCENT);
        ASSERT_EQ_INT(10, GROUPPROP_PROGRESSTIME);
        ASSERT_EQ_INT(11, GROUPPROP_DISPLAYNAME);
        ASSERT_EQ_INT(12, GROUPPROP_DESCRIPTION);
}

TEST(test_2_6_result_codes_have_documented_values)
{
        ASSERT_EQ_INT(0x00000000, (uint32_t)QM_S_OK);
        ASSERT_EQ_INT(0x00000001, (uint32_t)QM_S_FALSE);
        ASSERT_EQ_INT(0x80004001, (uint32_t)QM_E_NOTIMPL);
        ASSERT_EQ_INT(0x80004003, (uint32_t)QM_E_POINTER);
        ASSERT_EQ_INT(0x8007000E, (uint32_t)QM_E_OUTOFMEMORY);
        ASSERT_EQ_INT(0x80070057, (uint32_t)QM_E_INVALIDARG);
        ASSERT_EQ_INT(0x80070005, (uint32_t)QM_E_ACCESSDENIED);
        ASSERT_EQ_INT(0x81001001, (uint32_t)QM_E_INVALID_STATE);
        ASSERT_EQ_INT(0x81001002, (uint32_t)QM_E_SERVICE_UNAVAILABLE);
        ASSERT_EQ_INT(0x81001003, (uint32_t)QM_E_DOWNLOADER_UNAVAILABLE);
        ASSERT_EQ_INT(0x81001004, (uint32_t)QM_E_ITEM_NOT_FOUND);
        ASSERT_EQ_INT(0x80200003, (uint32_t)BG_E_EMPTY);
        ASSERT_EQ_INT(0x80200002, (uint32_t)BG_E_INVALID_STATE);
        ASSERT_EQ_INT(0x80200001, (uint32_t)BG_E_NOT_FOUND);
        ASSERT_EQ_INT(0x00200017, (uint32_t)BG_S_PARTIAL_COMPLETE);
        ASSERT_EQ_INT(0x0020001A, (uint32_t)BG_S_UNABLE_TO_DELETE_FILES);
        ASSERT_EQ_INT(0x80190194, (uint32_t)BG_E_HTTP_ERROR_404);
        ASSERT_EQ_INT(0x80190000u + 503u, (uint32_t)BG_E_HTTP_ERROR(503));
        ASSERT_EQ_INT(0x80200010, (uint32_t)BG_E_NETWORK_DISCONNECTED);
        ASSERT_EQ_INT(0x80200011, (uint32_t)BG_E_MISSING_FILE_SIZE);
        ASSERT_EQ_INT(0x80200013, (uint32_t)BG_E_INSUFFICIENT_RANGE_SUPPORT);
        ASSERT_EQ_INT(0x8020001C, (uint32_t)BG_E_TOO_MANY_FILES);
        ASSERT_EQ_INT(0x8020001D, (uint32_t)BG_E_LOCAL_FILE_CHANGED);
        ASSERT_EQ_INT(0x80200020, (uint32_t)BG_E_TOO_LARGE);
        ASSERT_EQ_INT(0x80200021, (uint32_t)BG_E_STRING_TOO_LONG);
        ASSERT_EQ_INT(0x8020003E, (uint32_t)BG_E_BLOCKED_BY_POLICY);
        ASSERT_TRUE(QM_SUCCEEDED(BG_S_PARTIAL_COMPLETE));
        ASSERT_TRUE(QM_SUCCEEDED(QM_S_FALSE));
        ASSERT_TRUE(QM_FAILED(QM_E_NOTIMPL));
        ASSERT_TRUE(QM_FAILED(BG_E_HTTP_ERROR_404));
}

/* Every code a legacy method can return has its name and a one-line message. */
static const struct {
        qm_hresult hr;
        const char *name;
} legacy_codes[] = {
        {QM_S_OK, "QM_S_OK"},
        {QM_S_FALSE, "QM_S_FALSE"},
        {QM_E_NOTIMPL, "QM_E_NOTIMPL"},
        {QM_E_POINTER, "QM_E_POINTER"},
        {QM_E_OUTOFMEMORY, "QM_E_OUTOFMEMORY"},
        {QM_E_INVALIDARG, "QM_E_INVALIDARG"},
        {QM_E_ACCESSDENIED, "QM_E_ACCESSDENIED"},
        {QM_E_INVALID_STATE, "QM_E_INVALID_STATE"},
        {QM_E_SERVICE_UNAVAILABLE, "QM_E_SERVICE_UNAVAILABLE"},
        {QM_E_DOWNLOADER_UNAVAILABLE, "QM_E_DOWNLOADER_UNAVAILABLE"},
        {QM_E_ITEM_NOT_FOUND, "QM_E_ITEM_NOT_FOUND"},
        {BG_E_EMPTY, "BG_E_EMPTY"},
        {BG_E_INVALID_STATE, "BG_E_INVALID_STATE"},
        {BG_E_NOT_FOUND, "BG_E_NOT_FOUND"},
        {BG_S_PARTIAL_COMPLETE, "BG_S_PARTIAL_COMPLETE"},
        {BG_S_UNABLE_TO_DELETE_FILES, "BG_S_UNABLE_TO_DELETE_FILES"},
        {BG_E_TOO_MANY_FILES, "BG_E_TOO_MANY_FILES"},
        {BG_E_TOO_MANY_JOBS_PER_USER, "BG_E_TOO_MANY_JOBS_PER_USER"},
        {BG_E_ERROR_INFORMATION_UNAVAILABLE, "BG_E_ERROR_INFORMATION_UNAVAILABLE"},
        {BG_E_HTTP_ERROR_404, "BG_E_HTTP_ERROR_404"},
        {BG_E_HTTP_ERROR_403, "BG_E_HTTP_ERROR_403"},
        {BG_E_HTTP_ERROR_503, "BG_E_HTTP_ERROR_503"},
};

TEST(test_2_6_legacy_codes_have_names)
{
        for (size_t i = 0; i < sizeof(legacy_codes) / sizeof(legacy_codes[0]); i++)
                ASSERT_EQ_STR(legacy_codes[i].name, qm_hresult_name(legacy_codes[i].hr));
}

TEST(test_2_6_legacy_codes_have_one_line_messages)
{
        const char *unknown = qm_strerror(QM_HR(0x8000ABCD));

        ASSERT_NOT_NULL(unknown);
        for (size_t i = 0; i < sizeof(legacy_codes) / sizeof(legacy_codes[0]); i++) {
                const char *m = qm_strerror(legacy_codes[i].hr);

                ASSERT_NOT_NULL(m);
                ASSERT_TRUE(strlen(m) > 3);
                ASSERT_TRUE(strchr(m, '\n') == NULL);
                if (strcmp(m, unknown) == 0)
                        unit_fail(__FILE__, __LINE__, "%s has the unknown-code message \"%s\"",
                                  legacy_codes[i].name, m);
        }
        ASSERT_CONTAINS(qm_strerror(BG_E_HTTP_ERROR_404), "404");
}

TEST(test_2_6_unnamed_code_is_unknown_hresult)
{
        ASSERT_EQ_STR("UNKNOWN_HRESULT", qm_hresult_name(QM_HR(0x8000ABCD)));
        ASSERT_NOT_NULL(qm_strerror(QM_HR(0x8000ABCD)));
}

static void check_guid(const char *want, const qm_guid *g)
{
        char buf[QM_GUID_STRING_SIZE];

        ASSERT_HR(QM_S_OK, qm_guid_to_string(g, buf));
        ASSERT_EQ_STR(want, buf);
}

TEST(test_2_7_identifiers_are_exact)
{
        check_guid("{69AD4AEE-51BE-439B-A92C-86AE490E8B30}", &CLSID_BackgroundCopyQMgr);
        check_guid("{16F41C69-09F5-41D2-8CD8-3C08C47BC8A8}", &IID_IBackgroundCopyQMgr);
        check_guid("{1DED80A7-53EA-424F-8A04-17FEA9ADC4F5}", &IID_IBackgroundCopyGroup);
        check_guid("{59F5553C-2031-4629-BB18-2645A6970947}", &IID_IBackgroundCopyJob1);
        check_guid("{D993E603-4AA4-47C5-8665-C20D39C2BA4F}", &IID_IEnumBackgroundCopyGroups);
        check_guid("{8BAEBA9D-8F1C-42C4-B82C-09AE79980D25}", &IID_IEnumBackgroundCopyJobs1);
        check_guid("{084F6593-3800-4E08-9B59-99FA59ADDF82}", &IID_IBackgroundCopyCallback1);
        check_guid("{37668D37-507E-4160-9316-26306D150B12}", &IID_IBackgroundCopyJob);
}

TEST(test_2_7_guid_string_is_upper_case_braced_and_input_case_insensitive)
{
        qm_guid a, b;
        char buf[QM_GUID_STRING_SIZE];

        ASSERT_EQ_INT(39, QM_GUID_STRING_SIZE);
        ASSERT_HR(QM_S_OK, qm_guid_from_string("{69ad4aee-51be-439b-a92c-86ae490e8b30}", &a));
        ASSERT_TRUE(qm_guid_equal(&a, &CLSID_BackgroundCopyQMgr));
        ASSERT_HR(QM_S_OK, qm_guid_from_string("{69Ad4aEE-51bE-439B-a92c-86AE490e8b30}", &b));
        ASSERT_TRUE(qm_guid_equal(&a, &b));
        ASSERT_HR(QM_S_OK, qm_guid_to_string(&a, buf));
        ASSERT_EQ_STR("{69AD4AEE-51BE-439B-A92C-86AE490E8B30}", buf);
        ASSERT_HR(QM_E_INVALIDARG,
                  qm_guid_from_string("{69AD4AEE-51BE-439B-A92C-86AE490E8B3}", &b));
        ASSERT_HR(QM_E_INVALIDARG,
                  qm_guid_from_string("{69AD4AEE-51BE-439B-A92C-86AE490E8B30", &b));
        ASSERT_HR(QM_E_INVALIDARG,
                  qm_guid_from_string("{69AD4AEE-51BE-439B-A92C-86AE490E8B3G}", &b));
        ASSERT_HR(QM_E_INVALIDARG,
                  qm_guid_from_string("{69AD4AEE-51BE-439B-A92C-86AE490E8B30}x", &b));
}

TEST(test_2_7_group_id_reads_back_upper_case)
{
        qm_qmgr *qm = conf_connect();
        qm_guid id, got;
        qm_group *g;
        char want[QM_GUID_STRING_SIZE], buf[QM_GUID_STRING_SIZE];

        ASSERT_HR(QM_S_OK, qm_guid_from_string("{abcdef01-2345-4678-9abc-def012345678}", &id));
        id.data1 ^= (uint32_t)getpid(); /* fresh per run */
        ASSERT_HR(QM_S_OK, qm_qmgr_create_group(qm, &id, &g));
        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &got));
        ASSERT_TRUE(qm_guid_equal(&id, &got));
        ASSERT_HR(QM_S_OK, qm_guid_to_string(&got, buf));
        ASSERT_HR(QM_S_OK, qm_guid_to_string(&id, want));
        for (const char *p = buf; *p; p++)
                ASSERT_TRUE(!(*p >= 'a' && *p <= 'z'));
        ASSERT_EQ_STR(want, buf);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        qm_group_release(g);
        qm_qmgr_release(qm);
}

TEST(test_2_8_states_priorities_contexts_have_documented_values)
{
        ASSERT_EQ_INT(0, BG_JOB_STATE_QUEUED);
        ASSERT_EQ_INT(1, BG_JOB_STATE_CONNECTING);
        ASSERT_EQ_INT(2, BG_JOB_STATE_TRANSFERRING);
        ASSERT_EQ_INT(3, BG_JOB_STATE_SUSPENDED);
        ASSERT_EQ_INT(4, BG_JOB_STATE_ERROR);
        ASSERT_EQ_INT(5, BG_JOB_STATE_TRANSIENT_ERROR);
        ASSERT_EQ_INT(6, BG_JOB_STATE_TRANSFERRED);
        ASSERT_EQ_INT(7, BG_JOB_STATE_ACKNOWLEDGED);
        ASSERT_EQ_INT(8, BG_JOB_STATE_CANCELLED);
        ASSERT_EQ_INT(0, BG_JOB_PRIORITY_FOREGROUND);
        ASSERT_EQ_INT(1, BG_JOB_PRIORITY_HIGH);
        ASSERT_EQ_INT(2, BG_JOB_PRIORITY_NORMAL);
        ASSERT_EQ_INT(3, BG_JOB_PRIORITY_LOW);
        ASSERT_EQ_INT(0, BG_ERROR_CONTEXT_NONE);
        ASSERT_EQ_INT(1, BG_ERROR_CONTEXT_UNKNOWN);
        ASSERT_EQ_INT(2, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER);
        ASSERT_EQ_INT(3, BG_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION);
        ASSERT_EQ_INT(4, BG_ERROR_CONTEXT_LOCAL_FILE);
        ASSERT_EQ_INT(5, BG_ERROR_CONTEXT_REMOTE_FILE);
        ASSERT_EQ_INT(6, BG_ERROR_CONTEXT_GENERAL_TRANSPORT);
        ASSERT_EQ_INT(7, BG_ERROR_CONTEXT_REMOTE_APPLICATION);
}
