/* test-4-7-limits.c - QMGR.md §4.7 limits, on the runner's second service started with
 * --max-groups-per-user 3 --max-files-per-job 3 (the defaults, 1,000 and 100,000, are
 * configuration; the rule is the code returned past the limit). */
#include "conf.h"

#define LIMIT 3u

static uint32_t group_count(qm_qmgr *qm)
{
        qm_enum_groups *e;
        uint32_t n = 0;

        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &e));
        ASSERT_HR(QM_S_OK, qm_enum_groups_get_count(e, &n));
        qm_enum_groups_release(e);
        return n;
}

TEST(test_4_7_group_past_the_per_user_limit_is_bg_e_too_many_jobs_per_user)
{
        qm_qmgr *qm = conf_connect_limits();
        qm_group *g[LIMIT] = {0}, *extra = (qm_group *)0x1;
        uint32_t have = group_count(qm), made = 0;
        qm_guid id = conf_guid();

        ASSERT_TRUE(have <= LIMIT);
        while (have + made < LIMIT) {
                g[made] = conf_new_group(qm, NULL);
                made++;
        }
        ASSERT_HR(BG_E_TOO_MANY_JOBS_PER_USER, qm_qmgr_create_group(qm, &id, &extra));
        ASSERT_TRUE(extra == (qm_group *)0x1);
        ASSERT_EQ_INT(LIMIT, group_count(qm));
        /* A cancelled group frees its slot. */
        ASSERT_TRUE(made > 0);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g[made - 1]));
        ASSERT_HR(QM_S_OK, qm_qmgr_create_group(qm, &id, &extra));
        ASSERT_HR(QM_S_OK, qm_group_cancel(extra));
        for (uint32_t i = 0; i + 1 < made; i++)
                ASSERT_HR(QM_S_OK, qm_group_cancel(g[i]));
}

TEST(test_4_7_files_past_the_per_job_limit_are_bg_e_too_many_files)
{
        qm_qmgr *qm = conf_connect_limits();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info four[4], one;
        uint32_t n = 9;

        for (int i = 0; i < 4; i++) {
                four[i].remote_file = conf_url(CONF_SMALL);
                four[i].local_file = conf_fmt("%s/f%d", dir, i);
                four[i].size_hint = 0;
        }
        /* One batch over the limit: nothing added. */
        ASSERT_HR(BG_E_TOO_MANY_FILES, qm_job1_add_files(job, 4, four));
        ASSERT_HR(QM_S_OK, qm_job1_get_file_count(job, &n));
        ASSERT_EQ_INT(0, n);
        /* Up to the limit, then one more. */
        ASSERT_HR(QM_S_OK, qm_job1_add_files(job, 2, four));
        ASSERT_HR(QM_S_OK, qm_job1_add_files(job, 1, &four[2]));
        one = four[3];
        ASSERT_HR(BG_E_TOO_MANY_FILES, qm_job1_add_files(job, 1, &one));
        ASSERT_HR(QM_S_OK, qm_job1_get_file_count(job, &n));
        ASSERT_EQ_INT(3, n);
        ASSERT_TRUE(QM_SUCCEEDED(qm_group_cancel(g)));
}

TEST(test_4_7_default_limits_allow_more_than_bits)
{
        /* The main service runs with the default limits: a job takes 100 files in one call. */
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info f[100];
        uint32_t n = 0;

        for (int i = 0; i < 100; i++) {
                f[i].remote_file = conf_url(CONF_SMALL);
                f[i].local_file = conf_fmt("%s/f%03d", dir, i);
                f[i].size_hint = 0;
        }
        ASSERT_HR(QM_S_OK, qm_job1_add_files(job, 100, f));
        ASSERT_HR(QM_S_OK, qm_job1_get_file_count(job, &n));
        ASSERT_EQ_INT(100, n);
        qm_group_cancel(g);
}
