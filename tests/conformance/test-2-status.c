/* test-2-status.c - QMGR.md §2.1 status bits of every reachable state, and §2.4 progress. */
#include "conf.h"

#define SUSP_INC (QM_STATUS_GROUP_SUSPENDED | QM_STATUS_GROUP_INCOMPLETE) /* 0x180 */
#define COMPLETE (QM_STATUS_GROUP_COMPLETE | QM_STATUS_GROUP_SUSPENDED)   /* 0x140 */
#define FAILED   (QM_STATUS_GROUP_ERROR | QM_STATUS_GROUP_SUSPENDED)      /* 0x300 */

TEST(test_2_1_new_group_status_is_0x180)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        uint32_t st = 0, idx = 7;

        ASSERT_HR(QM_S_OK, qm_group_get_status(g, &st, &idx));
        ASSERT_EQ_INT(0x180, st);
        ASSERT_EQ_INT(0, idx);
        qm_group_cancel(g);
}

TEST(test_2_1_transferring_group_status_is_0x80)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_slow_url(CONF_BIG), *l = conf_fmt("%s/big", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 1, 10); /* really transferring */
        ASSERT_EQ_INT(0x80, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_2_1_foreground_transferring_status_is_0x480)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_slow_url(CONF_BIG), *l = conf_fmt("%s/big", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 1, 10);
        ASSERT_EQ_INT(0x480, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_2_1_foreground_suspended_status_is_0x580)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);

        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_EQ_INT(0x580, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_2_1_foreground_suspended_after_transfer_status_is_0x580)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_slow_url(CONF_BIG), *l = conf_fmt("%s/big", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 1, 10);
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_EQ_INT(0x580, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_2_1_http_404_gives_error_suspended_0x300)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url("missing.bin"), *l = conf_fmt("%s/m", dir);
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 1, &u, &l);
        uint32_t st = 0, w32 = 0, tr = 0, nr = 99;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_EQ_INT(0x300, conf_wait_status(g, QM_STATUS_GROUP_ERROR, QM_STATUS_GROUP_ERROR, 5));
        ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        ASSERT_EQ_INT(QM_STATUS_JOB_ERROR, st);
        ASSERT_EQ_INT(2, w32); /* ERROR_FILE_NOT_FOUND */
        ASSERT_EQ_INT(404, tr);
        ASSERT_EQ_INT(0, nr); /* fatal: never retried */
        qm_group_cancel(g);
}

TEST(test_2_1_http_410_is_fatal_with_transport_410)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_status_url(410), *l = conf_fmt("%s/m", dir);
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 1, &u, &l);
        uint32_t st = 0, w32 = 0, tr = 0, nr = 99;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_EQ_INT(FAILED, conf_wait_status(g, QM_STATUS_GROUP_ERROR, QM_STATUS_GROUP_ERROR, 5));
        ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        ASSERT_EQ_INT(QM_STATUS_JOB_ERROR, st);
        ASSERT_EQ_INT(410, tr);
        qm_group_cancel(g);
}

TEST(test_2_1_transient_503_shows_0x80_never_error)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_status_url(503), *l = conf_fmt("%s/t", dir);
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 1, &u, &l);
        uint32_t st = 0, w32 = 0, tr = 0, nr = 0;
        int polls = 0;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        /* --min-retry-delay 1: wait for the second attempt to have failed too. */
        do {
                ASSERT_EQ_INT(0x80, conf_status(g));
                ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
                ASSERT_EQ_INT(QM_STATUS_JOB_INCOMPLETE, st);
                ASSERT_TRUE(++polls < 1000); /* 10 s */
                usleep(10000);
        } while (nr < 2);
        qm_group_cancel(g);
}

TEST(test_2_1_finished_group_status_is_0x140)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 1, &u, &l);
        uint32_t st = 0, w32 = 9, tr = 9, nr = 9;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_EQ_INT(0x140, conf_wait_status(g, 0xffffffff, COMPLETE, 10));
        ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        ASSERT_EQ_INT(QM_STATUS_JOB_COMPLETE, st);
        ASSERT_EQ_INT(0, w32);
        ASSERT_EQ_INT(0, tr);
        ASSERT_EQ_INT(0, nr);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
}

TEST(test_2_1_foreground_finished_group_status_is_0x540)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);

        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_EQ_INT(0x540,
                      conf_wait_status(g, QM_STATUS_GROUP_COMPLETE, QM_STATUS_GROUP_COMPLETE, 10));
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
}

TEST(test_2_1_job1_of_new_group_is_job_incomplete)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        uint32_t st = 0, w32 = 9, tr = 9, nr = 9;

        ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        ASSERT_EQ_INT(QM_STATUS_JOB_INCOMPLETE, st);
        ASSERT_EQ_INT(0, w32);
        ASSERT_EQ_INT(0, tr);
        ASSERT_EQ_INT(0, nr);
        qm_group_cancel(g);
}

/* ---- §2.4 GetProgress ---------------------------------------------------------------- */

TEST(test_2_4_percent_is_0_while_total_unknown)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 1, &u, &l);
        uint32_t v = 77;

        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_PERCENT_DONE, &v));
        ASSERT_EQ_INT(0, v);
        v = 77;
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, &v));
        ASSERT_EQ_INT(0, v);
        v = 77;
        ASSERT_HR(QM_S_OK, qm_job1_get_progress(job, QM_PROGRESS_PERCENT_DONE, &v));
        ASSERT_EQ_INT(0, v);
        qm_group_cancel(g);
}

TEST(test_2_4_percent_is_0_while_a_later_file_size_is_unknown)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_slow_url(CONF_BIG), conf_url(CONF_SMALL)};
        char *l[2] = {conf_fmt("%s/big", dir), conf_fmt("%s/s", dir)};
        qm_group *g = conf_group_with_files(qm, NULL, 2, u, l);
        qm_job *j;
        uint32_t v = 77;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 20000, 10);
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_PERCENT_DONE, &v));
        ASSERT_EQ_INT(0, v);
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, &v));
        ASSERT_TRUE(v >= 20000);
        qm_group_cancel(g);
}

TEST(test_2_4_percent_100_and_size_done_bytes_when_done)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_url(CONF_A), conf_url(CONF_B)};
        char *l[2] = {conf_fmt("%s/a", dir), conf_fmt("%s/b", dir)};
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 2, u, l);
        uint32_t v = 0;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_PERCENT_DONE, &v));
        ASSERT_EQ_INT(100, v);
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, &v));
        ASSERT_EQ_INT(CONF_A_SIZE + CONF_B_SIZE, v);
        ASSERT_HR(QM_S_OK, qm_job1_get_progress(job, QM_PROGRESS_PERCENT_DONE, &v));
        ASSERT_EQ_INT(100, v);
        ASSERT_HR(QM_S_OK, qm_job1_get_progress(job, QM_PROGRESS_SIZE_DONE, &v));
        ASSERT_EQ_INT(CONF_A_SIZE + CONF_B_SIZE, v);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
}

TEST(test_2_4_percent_is_floor_while_transferring)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_slow_url(CONF_BIG), *l = conf_fmt("%s/b", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;
        uint32_t pct = 0, size = 0, pct2 = 0;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 1, 10);
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        conf_wait_status(g, 0xffffffff, SUSP_INC, 5);
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_PERCENT_DONE, &pct));
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_SIZE_DONE, &size));
        ASSERT_HR(QM_S_OK, qm_group_get_progress(g, QM_PROGRESS_PERCENT_DONE, &pct2));
        ASSERT_EQ_INT(pct, pct2);
        ASSERT_EQ_INT((uint64_t)size * 100u / CONF_BIG_SIZE, pct);
        qm_group_cancel(g);
}

TEST(test_2_4_time_done_is_e_notimpl)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        uint32_t v = 1234;

        ASSERT_HR(QM_E_NOTIMPL, qm_group_get_progress(g, QM_PROGRESS_TIME_DONE, &v));
        ASSERT_HR(QM_E_NOTIMPL, qm_job1_get_progress(job, QM_PROGRESS_TIME_DONE, &v));
        ASSERT_EQ_INT(1234, v); /* out-parameters are written only on success */
        qm_group_cancel(g);
}

TEST(test_2_4_other_progress_kinds_are_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        const uint32_t bad[] = {0, 4, 5, 0x10, 0x80000000u, 0xffffffffu};
        uint32_t v;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                v = 1234;
                ASSERT_HR(QM_E_INVALIDARG, qm_group_get_progress(g, bad[i], &v));
                ASSERT_HR(QM_E_INVALIDARG, qm_job1_get_progress(job, bad[i], &v));
                ASSERT_EQ_INT(1234, v);
        }
        qm_group_cancel(g);
}
