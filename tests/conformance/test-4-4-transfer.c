/* test-4-4-transfer.c - QMGR.md §4.4 transfers and §4.5 completion: temporary files, commit,
 * mode and mtime of committed files. */
#include <dirent.h>

#include "conf.h"

#define COMPLETE 0x140u

/* The single entry of dir other than `except` (NULL: any), or NULL. */
static char *only_other_entry(const char *dir, const char *except)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char *found = NULL;
        int n = 0;

        ASSERT_NOT_NULL(d);
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                    (except && !strcmp(e->d_name, except)))
                        continue;
                n++;
                found = conf_fmt("%s/%s", dir, e->d_name);
        }
        closedir(d);
        return n == 1 ? found : NULL;
}

TEST(test_4_5_files_land_only_after_commit)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_B), *l = conf_fmt("%s/b.bin", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        char *tmpf;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_FALSE(conf_exists(l));
        tmpf = only_other_entry(dir, NULL);
        ASSERT_NOT_NULL(tmpf); /* the finished download waits under a temporary name */
        ASSERT_TRUE(strrchr(tmpf, '/')[1] == '.'); /* hidden */
        ASSERT_TRUE(conf_same_bytes(tmpf, CONF_B));
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l, CONF_B));
        ASSERT_FALSE(conf_exists(tmpf));
        ASSERT_EQ_INT(1, conf_count_entries(dir));
}

TEST(test_4_4_temporary_file_is_in_destination_directory_with_mode_0600)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_slow_url(CONF_BIG), *l = conf_fmt("%s/big", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        qm_job *j;
        char *tmpf;
        struct stat st;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 1, 10);
        tmpf = only_other_entry(dir, NULL);
        ASSERT_NOT_NULL(tmpf);
        ASSERT_TRUE(strrchr(tmpf, '/')[1] == '.');
        ASSERT_EQ_INT(0, lstat(tmpf, &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ_INT(0600, st.st_mode & 07777);
        ASSERT_EQ_INT(getuid(), st.st_uid);
        qm_group_cancel(g);
}

static void check_mode(mode_t mask, mode_t want)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_group *g;
        struct stat st;

        umask(mask);
        g = conf_group_with_files(qm, NULL, 1, &u, &l); /* AddFiles records the umask */
        umask(0);                                       /* the commit must not use this one */
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_EQ_INT(0, stat(l, &st));
        ASSERT_EQ_INT(want, st.st_mode & 07777);
}

TEST(test_4_4_committed_file_mode_is_0666_masked_by_the_umask_at_addfiles)
{
        check_mode(027, 0640);
        check_mode(022, 0644);
        check_mode(077, 0600);
}

TEST(test_4_4_committed_file_mtime_is_server_last_modified)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_A), *l = conf_fmt("%s/a", dir);
        qm_group *g = conf_group_with_files(qm, NULL, 1, &u, &l);
        struct stat st;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_EQ_INT(0, stat(l, &st));
        ASSERT_EQ_INT(CONF_MTIME, st.st_mtime);
}

TEST(test_4_4_commit_replaces_an_existing_file)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_A), *l = conf_fmt("%s/a", dir);
        FILE *f = fopen(l, "w");
        qm_group *g;

        ASSERT_NOT_NULL(f);
        fputs("old content", f);
        fclose(f);
        g = conf_group_with_files(qm, NULL, 1, &u, &l);
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 10);
        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l, CONF_A));
        ASSERT_EQ_INT(1, conf_count_entries(dir));
}

TEST(test_4_4_fatal_error_keeps_finished_files_committable)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_url(CONF_A), conf_url("missing.bin")};
        char *l[2] = {conf_fmt("%s/a", dir), conf_fmt("%s/missing", dir)};
        qm_group *g = conf_group_with_files(qm, NULL, 2, u, l);

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, 0x300, 5);
        ASSERT_HR(BG_S_PARTIAL_COMPLETE, qm_group_cancel(g));
        ASSERT_TRUE(conf_same_bytes(l[0], CONF_A));
        ASSERT_FALSE(conf_exists(l[1]));
        ASSERT_EQ_INT(1, conf_count_entries(dir));
}
