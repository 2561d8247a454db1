/* test-4-2-group.c - QMGR.md §4.2 IBackgroundCopyGroup. */
#include "conf.h"

#define COMPLETE 0x140u

TEST(test_4_2_create_job_twice_is_e_notimpl)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *j = conf_new_job(g), *j2 = (qm_job1 *)0x1;
        qm_guid other = conf_guid(), same;

        ASSERT_HR(QM_E_NOTIMPL, qm_group_create_job(g, &other, &j2));
        ASSERT_HR(QM_S_OK, qm_job1_get_id(j, &same));
        ASSERT_HR(QM_E_NOTIMPL, qm_group_create_job(g, &same, &j2));
        ASSERT_TRUE(j2 == (qm_job1 *)0x1);
        qm_group_cancel(g);
}

TEST(test_4_2_create_job_on_cancelled_group_is_invalid_state)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_guid id = conf_guid();
        qm_job1 *j = (qm_job1 *)0x1;

        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_HR(QM_E_INVALID_STATE, qm_group_create_job(g, &id, &j));
        ASSERT_TRUE(j == (qm_job1 *)0x1);
}

TEST(test_4_2_get_job_returns_the_job)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *j = conf_new_job(g), *j2;
        qm_guid id, got;
        uint32_t n = 9;

        ASSERT_HR(QM_S_OK, qm_job1_get_id(j, &id));
        ASSERT_HR(QM_S_OK, qm_group_get_job(g, &id, &j2));
        ASSERT_HR(QM_S_OK, qm_job1_get_id(j2, &got));
        ASSERT_TRUE(qm_guid_equal(&id, &got));
        ASSERT_HR(QM_S_OK, qm_job1_get_file_count(j2, &n));
        ASSERT_EQ_INT(0, n);
        qm_group_cancel(g);
}

TEST(test_4_2_get_job_unknown_guid_is_item_not_found)
{
        qm_qmgr *qm = conf_connect();
        qm_guid gid, other = conf_guid();
        qm_group *g = conf_new_group(qm, &gid);
        qm_job1 *j = (qm_job1 *)0x1;

        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_job(g, &other, &j)); /* no job at all */
        conf_new_job(g);
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_job(g, &other, &j)); /* another job */
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_group_get_job(g, &gid, &j));   /* the group's GUID */
        ASSERT_TRUE(j == (qm_job1 *)0x1);
        qm_group_cancel(g);
}

TEST(test_4_2_enum_jobs_has_zero_then_one_job)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_enum_jobs1 *e0, *e1;
        qm_job1 *j;
        qm_guid id, got;
        uint32_t n = 9, fetched = 9;

        ASSERT_HR(QM_S_OK, qm_group_enum_jobs(g, 0, &e0));
        j = conf_new_job(g);
        ASSERT_HR(QM_S_OK, qm_job1_get_id(j, &id));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_get_count(e0, &n)); /* snapshot: still empty */
        ASSERT_EQ_INT(0, n);
        ASSERT_HR(QM_S_FALSE, qm_enum_jobs1_next(e0, 1, &got, &fetched));
        ASSERT_EQ_INT(0, fetched);
        ASSERT_HR(QM_S_OK, qm_group_enum_jobs(g, 0, &e1));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_get_count(e1, &n));
        ASSERT_EQ_INT(1, n);
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_next(e1, 1, &got, NULL));
        ASSERT_TRUE(qm_guid_equal(&id, &got));
        qm_enum_jobs1_release(e0);
        qm_enum_jobs1_release(e1);
        qm_group_cancel(g);
}

TEST(test_4_2_enum_jobs_flags_nonzero_is_e_notimpl)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_enum_jobs1 *e = (qm_enum_jobs1 *)0x1;

        ASSERT_HR(QM_E_NOTIMPL, qm_group_enum_jobs(g, 1, &e));
        ASSERT_HR(QM_E_NOTIMPL, qm_group_enum_jobs(g, 0xffffffffu, &e));
        ASSERT_TRUE(e == (qm_enum_jobs1 *)0x1);
        qm_group_cancel(g);
}

TEST(test_4_2_job_enumerator_next_skip_reset_clone_count)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *j = conf_new_job(g);
        qm_enum_jobs1 *e, *c;
        qm_guid id, buf[3];
        uint32_t n = 0, fetched = 9;

        ASSERT_HR(QM_S_OK, qm_job1_get_id(j, &id));
        ASSERT_HR(QM_S_OK, qm_group_enum_jobs(g, 0, &e));
        ASSERT_HR(QM_S_FALSE, qm_enum_jobs1_next(e, 3, buf, &fetched));
        ASSERT_EQ_INT(1, fetched);
        ASSERT_TRUE(qm_guid_equal(&id, &buf[0]));
        ASSERT_HR(QM_S_FALSE, qm_enum_jobs1_skip(e, 1));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_reset(e));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_clone(e, &c));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_skip(e, 1));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_get_count(c, &n));
        ASSERT_EQ_INT(1, n);
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_next(c, 1, buf, NULL)); /* clone kept its position */
        ASSERT_TRUE(qm_guid_equal(&id, &buf[0]));
        ASSERT_HR(QM_E_POINTER, qm_enum_jobs1_next(e, 2, buf, NULL));
        qm_enum_jobs1_release(c);
        qm_enum_jobs1_release(e);
        qm_group_cancel(g);
}

TEST(test_4_2_resume_empty_group_returns_bg_e_empty)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);

        ASSERT_HR(BG_E_EMPTY, qm_group_resume(g));
        ASSERT_EQ_INT(0x180, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_4_2_resume_group_with_fileless_job_returns_bg_e_empty)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);

        conf_new_job(g);
        ASSERT_HR(BG_E_EMPTY, qm_group_resume(g));
        ASSERT_EQ_INT(0x180, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_4_2_resume_complete_group_is_s_ok_and_changes_nothing)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;
        qm_job_times t1, t2;
        uint32_t state = 0;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_HR(QM_S_OK, qm_job_get_times(j, &t1));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_EQ_INT(COMPLETE, conf_status(g));
        ASSERT_HR(QM_S_OK, qm_job_get_state(j, &state));
        ASSERT_EQ_INT(BG_JOB_STATE_TRANSFERRED, state);
        ASSERT_HR(QM_S_OK, qm_job_get_times(j, &t2));
        ASSERT_EQ_INT(t1.transfer_completion, t2.transfer_completion);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l, CONF_SMALL));
}

TEST(test_4_2_suspend_twice_is_s_ok)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);

        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_EQ_INT(0x180, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_4_2_suspend_stops_transfer_and_resume_finishes_with_identical_bytes)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_slow_url(CONF_MEDIUM), *l = conf_fmt("%s/m", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;
        uint32_t state = 0;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 16384, 10);
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_EQ_INT(0x180, conf_status(g));
        ASSERT_HR(QM_S_OK, qm_job_get_state(j, &state));
        ASSERT_EQ_INT(BG_JOB_STATE_SUSPENDED, state);
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 15);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l, CONF_MEDIUM));
}

TEST(test_4_2_switch_to_foreground_repeated_is_s_ok)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job *j;
        uint32_t prio = 9;

        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_EQ_INT(0x580, conf_status(g));
        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_job_get_priority(j, &prio));
        ASSERT_EQ_INT(BG_JOB_PRIORITY_FOREGROUND, prio);
        qm_group_cancel(g);
}

TEST(test_4_2_cancel_finished_group_commits_identical_files_and_leaves_no_temp)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[3] = {conf_url(CONF_SMALL), conf_url(CONF_A), conf_url(CONF_B)};
        char *l[3] = {conf_fmt("%s/one", dir), conf_fmt("%s/two", dir), conf_fmt("%s/three", dir)};
        qm_guid id;
        qm_group *g = conf_group_with_files(qm, NULL, 3, u, l), *again = (qm_group *)0x1;

        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &id));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l[0], CONF_SMALL));
        ASSERT_TRUE(conf_same_bytes(l[1], CONF_A));
        ASSERT_TRUE(conf_same_bytes(l[2], CONF_B));
        ASSERT_EQ_INT(3, conf_count_entries(dir)); /* no temporary file left */
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_qmgr_get_group(qm, &id, &again)); /* gone */
}

TEST(test_4_2_cancel_with_unfinished_files_is_partial_complete)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_url(CONF_SMALL), conf_slow_url(CONF_BIG)};
        char *l[2] = {conf_fmt("%s/done", dir), conf_fmt("%s/partial", dir)};
        qm_group *g = conf_group_with_files(qm, NULL, 2, u, l);
        qm_job *j;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, CONF_SMALL_SIZE + 8192, 10); /* first done, second under way */
        ASSERT_HR(BG_S_PARTIAL_COMPLETE, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l[0], CONF_SMALL));
        ASSERT_FALSE(conf_exists(l[1]));
        ASSERT_EQ_INT(1, conf_count_entries(dir)); /* the partial temporary file is deleted */
}

TEST(test_4_2_cancel_of_a_new_group_removes_it)
{
        qm_qmgr *qm = conf_connect();
        qm_guid id;
        qm_group *g = conf_new_group(qm, &id), *again = (qm_group *)0x1;

        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_qmgr_get_group(qm, &id, &again));
}

TEST(test_4_2_get_size_is_0_until_every_size_is_known_then_the_sum)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[3] = {conf_slow_url(CONF_MEDIUM), conf_url(CONF_A), conf_url(CONF_B)};
        char *l[3] = {conf_fmt("%s/m", dir), conf_fmt("%s/a", dir), conf_fmt("%s/b", dir)};
        qm_group *g = conf_group_with_files(qm, NULL, 3, u, l);
        qm_job *j;
        uint32_t size = 99;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_get_size(g, &size));
        ASSERT_EQ_INT(0, size);
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 8192, 10); /* first size known, the others not yet */
        size = 99;
        ASSERT_HR(QM_S_OK, qm_group_get_size(g, &size));
        ASSERT_EQ_INT(0, size);
        conf_wait_status(g, 0xffffffff, COMPLETE, 15);
        ASSERT_HR(QM_S_OK, qm_group_get_size(g, &size));
        ASSERT_EQ_INT(CONF_MEDIUM_SIZE + CONF_A_SIZE + CONF_B_SIZE, size);
        qm_group_cancel(g);
}

TEST(test_4_2_get_progress_counts_all_files)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_url(CONF_B), conf_slow_url(CONF_BIG)};
        char *l[2] = {conf_fmt("%s/b", dir), conf_fmt("%s/big", dir)};
        qm_group *g = conf_group_with_files(qm, NULL, 2, u, l);
        qm_job *j;
        qm_job_progress p;
        uint32_t v = 0;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, CONF_B_SIZE + 16384, 10);
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_HR(QM_S_OK, qm_job_get_progress(j, &p));
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, &v));
        ASSERT_EQ_U64(p.bytes_transferred, v);
        ASSERT_TRUE(v > CONF_B_SIZE);
        ASSERT_EQ_U64((uint64_t)CONF_B_SIZE + CONF_BIG_SIZE, p.bytes_total);
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_PERCENT_DONE, &v));
        ASSERT_EQ_INT(p.bytes_transferred * 100 / p.bytes_total, v);
        qm_group_cancel(g);
}
