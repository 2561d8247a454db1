/* test-3-api.c - QMGR.md §3 conventions: NULL out-pointers, NULL handles, released handles,
 * out-parameters written only on success, calls on a cancelled group's handle (TESTING.md C16). */
#include "conf.h"

TEST(test_3_null_out_pointers_give_e_pointer)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_job1 *job;
        qm_guid gid, jid, other = conf_guid();
        qm_group *g;
        qm_enum_groups *eg;
        qm_enum_jobs1 *ej;
        qm_job *j;
        uint32_t u32;

        g = conf_group_with_files(qm, &job, 1, &u, &l);
        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &gid));
        ASSERT_HR(QM_S_OK, qm_job1_get_id(job, &jid));
        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &eg));
        ASSERT_HR(QM_S_OK, qm_group_enum_jobs(g, 0, &ej));
        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));

        ASSERT_HR(QM_E_POINTER, qm_qmgr_connect(conf_socket(), NULL));
        ASSERT_HR(QM_E_POINTER, qm_qmgr_create_group(qm, &other, NULL));
        ASSERT_HR(QM_E_POINTER, qm_qmgr_get_group(qm, &gid, NULL));
        ASSERT_HR(QM_E_POINTER, qm_qmgr_enum_groups(qm, 0, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_get_prop(g, GROUPPROP_PRIORITY, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_set_prop(g, GROUPPROP_PRIORITY, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_get_status(g, NULL, &u32));
        ASSERT_HR(QM_E_POINTER, qm_group_get_status(g, &u32, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_get_job(g, &jid, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_get_size(g, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_get_id(g, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_enum_jobs(g, 0, NULL));
        ASSERT_HR(QM_E_POINTER, qm_group_query_new_job_interface(g, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_progress(job, QM_PROGRESS_SIZE_DONE, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_status(job, NULL, &u32, &u32, &u32));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_status(job, &u32, NULL, &u32, &u32));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_status(job, &u32, &u32, NULL, &u32));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_status(job, &u32, &u32, &u32, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job1_add_files(job, 1, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_file(job, 0, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_file_count(job, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job1_get_id(job, NULL));
        ASSERT_HR(QM_E_POINTER, qm_enum_groups_clone(eg, NULL));
        ASSERT_HR(QM_E_POINTER, qm_enum_groups_get_count(eg, NULL));
        ASSERT_HR(QM_E_POINTER, qm_enum_groups_next(eg, 1, NULL, &u32));
        ASSERT_HR(QM_E_POINTER, qm_enum_jobs1_clone(ej, NULL));
        ASSERT_HR(QM_E_POINTER, qm_enum_jobs1_get_count(ej, NULL));
        ASSERT_HR(QM_E_POINTER, qm_enum_jobs1_next(ej, 1, NULL, &u32));
        ASSERT_HR(QM_E_POINTER, qm_job_get_id(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_state(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_progress(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_error(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_times(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_owner(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_priority(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_file_progress(j, 0, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_minimum_retry_delay(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_job_get_no_progress_timeout(j, NULL));
        ASSERT_HR(QM_E_POINTER, qm_guid_generate(NULL));
        ASSERT_HR(QM_E_POINTER, qm_guid_to_string(&gid, NULL));
        ASSERT_HR(QM_E_POINTER,
                  qm_guid_from_string("{69AD4AEE-51BE-439B-A92C-86AE490E8B30}", NULL));
        ASSERT_TRUE(QM_SUCCEEDED(qm_group_cancel(g)));
}

TEST(test_3_null_handles_give_e_invalidarg)
{
        qm_guid id = conf_guid();
        qm_group *g = NULL;
        qm_job1 *j1 = NULL;
        qm_job *j = NULL;
        qm_enum_groups *eg = NULL;
        qm_enum_jobs1 *ej = NULL;
        qm_variant v = {.type = QM_VT_I4};
        uint32_t u32 = 0;
        qm_guid gg;
        qm_fileset_info fi = {0};
        qm_job_progress jp;
        qm_job_error je;
        qm_job_times jt;
        qm_file_progress fp;

        ASSERT_HR(QM_E_INVALIDARG, qm_qmgr_create_group(NULL, &id, &g));
        ASSERT_HR(QM_E_INVALIDARG, qm_qmgr_get_group(NULL, &id, &g));
        ASSERT_HR(QM_E_INVALIDARG, qm_qmgr_enum_groups(NULL, 0, &eg));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_get_prop(NULL, GROUPPROP_PRIORITY, &v));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(NULL, GROUPPROP_PRIORITY, &v));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_get_progress(NULL, 1, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_get_status(NULL, &u32, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_get_job(NULL, &id, &j1));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_suspend(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_resume(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_cancel(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_get_size(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_get_id(NULL, &gg));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_create_job(NULL, &id, &j1));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_enum_jobs(NULL, 0, &ej));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_switch_to_foreground(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_query_new_job_interface(NULL, &j));
        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_notification_pointer(NULL, NULL, NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_cancel(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_get_progress(NULL, 1, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_get_status(NULL, &u32, &u32, &u32, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_add_files(NULL, 1, &fi));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_get_file(NULL, 0, &fi));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_get_file_count(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_switch_to_foreground(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_get_id(NULL, &gg));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_groups_next(NULL, 1, &gg, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_groups_skip(NULL, 1));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_groups_reset(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_groups_clone(NULL, &eg));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_groups_get_count(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_jobs1_next(NULL, 1, &gg, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_jobs1_skip(NULL, 1));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_jobs1_reset(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_jobs1_clone(NULL, &ej));
        ASSERT_HR(QM_E_INVALIDARG, qm_enum_jobs1_get_count(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_id(NULL, &gg));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_state(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_progress(NULL, &jp));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_error(NULL, &je));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_times(NULL, &jt));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_owner(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_priority(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_priority(NULL, 2));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_file_progress(NULL, 0, &fp));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_resume(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_suspend(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_cancel(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_complete(NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_minimum_retry_delay(NULL, 5));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_minimum_retry_delay(NULL, &u32));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_no_progress_timeout(NULL, 5));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_get_no_progress_timeout(NULL, &u32));
        ASSERT_EQ_INT(-1, qm_qmgr_get_fd(NULL));
}

TEST(test_3_release_functions_accept_null)
{
        qm_qmgr_release(NULL);
        qm_group_release(NULL);
        qm_job1_release(NULL);
        qm_job_release(NULL);
        qm_enum_groups_release(NULL);
        qm_enum_jobs1_release(NULL);
        qm_variant_clear(NULL);
        qm_fileset_info_clear(NULL);
        qm_job_error_clear(NULL);
        qm_free(NULL);
        ASSERT_NULL(qm_group_ref(NULL));
        ASSERT_NULL(qm_job1_ref(NULL));
        ASSERT_NULL(qm_job_ref(NULL));
}

TEST(test_3_handles_keep_the_connection_alive)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);

        qm_qmgr_release(qm); /* the group handle still holds the connection */
        ASSERT_EQ_INT(0x180, conf_status(g));
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        qm_group_release(g);
}

TEST(test_3_connect_to_a_dead_socket_is_service_unavailable)
{
        qm_qmgr *qm = (qm_qmgr *)0x1;
        char *sock = conf_fmt("%s/nobody.sock", conf_dest_dir());

        ASSERT_HR(QM_E_SERVICE_UNAVAILABLE, qm_qmgr_connect(sock, &qm));
        ASSERT_TRUE(qm == (qm_qmgr *)0x1); /* untouched on failure */
}

TEST(test_3_out_params_written_only_on_success)
{
        qm_qmgr *qm = conf_connect();
        qm_guid unknown = conf_guid(), marker;
        qm_group *g = (qm_group *)0x1;
        qm_enum_groups *eg = (qm_enum_groups *)0x1;
        qm_group *real = conf_new_group(qm, NULL);
        qm_job1 *j1 = (qm_job1 *)0x1;
        qm_variant v = {.type = QM_VT_UI4};

        memset(&marker, 0xab, sizeof(marker));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_qmgr_get_group(qm, &unknown, &g));
        ASSERT_TRUE(g == (qm_group *)0x1);
        ASSERT_HR(QM_E_NOTIMPL, qm_qmgr_enum_groups(qm, 1, &eg));
        ASSERT_TRUE(eg == (qm_enum_groups *)0x1);
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_job(real, &unknown, &j1));
        ASSERT_TRUE(j1 == (qm_job1 *)0x1);
        v.u.ui4 = 4242;
        ASSERT_HR(QM_E_NOTIMPL, qm_group_get_prop(real, GROUPPROP_PROGRESSSIZE, &v));
        ASSERT_EQ_INT(QM_VT_UI4, v.type);
        ASSERT_EQ_INT(4242, v.u.ui4);
        ASSERT_HR(QM_S_OK, qm_group_cancel(real));
}

/* Every call on a cancelled group's handle answers QM_E_ITEM_NOT_FOUND (§4.2 CancelGroup,
 * TESTING.md C16). get_id and query_new_job_interface are local (qmgr.h) and not listed;
 * CreateJob has its own rule (§4.2: QM_E_INVALID_STATE), tested in test-4-2-group.c. */
static void check_gone(qm_group *g, qm_guid job_id)
{
        uint32_t a = 11, b = 22;
        qm_variant v = {.type = QM_VT_UI4};
        qm_variant one = {.type = QM_VT_I4};
        qm_job1 *j1 = (qm_job1 *)0x1;
        qm_enum_jobs1 *ej = (qm_enum_jobs1 *)0x1;

        one.u.i4 = 1;
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_status(g, &a, &b));
        ASSERT_EQ_INT(11, a);
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_prop(g, GROUPPROP_NOTIFYFLAGS, &v));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_set_prop(g, GROUPPROP_PRIORITY, &one));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, &a));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_size(g, &a));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_job(g, &job_id, &j1));
        ASSERT_TRUE(j1 == (qm_job1 *)0x1);
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_enum_jobs(g, 0, &ej));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_suspend(g));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_resume(g));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_switch_to_foreground(g));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_cancel(g)); /* a second CancelGroup */
}

TEST(test_3_calls_on_a_cancelled_group_handle_give_item_not_found)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_guid jid;

        ASSERT_HR(QM_S_OK, qm_job1_get_id(job, &jid));
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        check_gone(g, jid);
}

TEST(test_3_other_handles_of_a_cancelled_group_give_item_not_found)
{
        qm_qmgr *qm = conf_connect(), *qm2 = conf_connect();
        qm_guid id, jid;
        qm_group *g = conf_new_group(qm, &id), *g2;
        qm_job1 *job = conf_new_job(g);
        uint32_t n = 5;
        qm_fileset_info fi = {0};

        ASSERT_HR(QM_S_OK, qm_job1_get_id(job, &jid));
        ASSERT_HR(QM_S_OK, qm_qmgr_get_group(qm2, &id, &g2)); /* another connection's handle */
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        check_gone(g2, jid);
        /* The job handle of the vanished group */
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_file_count(job, &n));
        ASSERT_EQ_INT(5, n);
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_file(job, 0, &fi));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_status(job, &n, &n, &n, &n));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_progress(job, QM_PROGRESS_SIZE_DONE, &n));
}
