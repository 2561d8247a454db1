/* test-4-3-job1.c - QMGR.md §4.3 IBackgroundCopyJob1: AddFiles validation (all or nothing),
 * GetFile, GetFileCount, the unsupported methods, GetStatus. */
#include <fcntl.h>

#include "conf.h"

static uint32_t file_count(qm_job1 *job)
{
        uint32_t n = 0xdead;

        ASSERT_HR(QM_S_OK, qm_job1_get_file_count(job, &n));
        return n;
}

/* A job with one good file already; then [good, bad] must fail with `want` and add nothing. */
static void expect_rejected(const char *remote, const char *local, qm_hresult want)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info batch[2] = {
                {.remote_file = conf_url(CONF_A), .local_file = conf_fmt("%s/good2", dir)},
                {.remote_file = (char *)remote,
                 .local_file = local ? (char *)local : conf_fmt("%s/bad", dir)},
        };

        conf_add_file(job, conf_url(CONF_SMALL), conf_fmt("%s/good1", dir));
        ASSERT_HR(want, qm_job1_add_files(job, 2, batch));
        ASSERT_EQ_INT(1, file_count(job));
        ASSERT_HR(want, qm_job1_add_files(job, 1, &batch[1]));
        ASSERT_EQ_INT(1, file_count(job));
        qm_group_cancel(g);
}

TEST(test_4_3_add_files_non_http_url_is_e_invalidarg)
{
        expect_rejected("ftp://127.0.0.1/x", NULL, QM_E_INVALIDARG);
        expect_rejected("file:///etc/passwd", NULL, QM_E_INVALIDARG);
        expect_rejected("gopher://127.0.0.1/x", NULL, QM_E_INVALIDARG);
        expect_rejected("\\\\server\\share\\x", NULL, QM_E_INVALIDARG);
        expect_rejected("", NULL, QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_relative_url_is_e_invalidarg)
{
        expect_rejected("/f/small.bin", NULL, QM_E_INVALIDARG);
        expect_rejected("small.bin", NULL, QM_E_INVALIDARG);
        expect_rejected("127.0.0.1/f/small.bin", NULL, QM_E_INVALIDARG);
        expect_rejected("http:/f/small.bin", NULL, QM_E_INVALIDARG);
}

static char *url_of_length(size_t len)
{
        char *u = conf_url(""), *s;
        size_t have = strlen(u);

        ASSERT_TRUE(len > have);
        s = malloc(len + 1);
        ASSERT_NOT_NULL(s);
        memcpy(s, u, have);
        memset(s + have, 'x', len - have);
        s[len] = '\0';
        return s;
}

TEST(test_4_3_add_files_url_2200_chars_ok_2201_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        char *okurl = url_of_length(2200);

        ASSERT_EQ_INT(2200, strlen(okurl));
        conf_add_file(job, okurl, conf_fmt("%s/long", dir));
        ASSERT_EQ_INT(1, file_count(job));
        qm_group_cancel(g);
        expect_rejected(url_of_length(2201), NULL, QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_url_with_wildcard_is_e_invalidarg)
{
        expect_rejected(conf_url("*.bin"), NULL, QM_E_INVALIDARG);
        expect_rejected(conf_url("small*"), NULL, QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_url_with_control_characters_is_e_invalidarg)
{
        expect_rejected(conf_url("a\r\nX-Injected: 1"), NULL, QM_E_INVALIDARG);
        expect_rejected(conf_url("a b"), NULL, QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_relative_local_path_is_e_invalidarg)
{
        expect_rejected(conf_url(CONF_SMALL), "relative/file", QM_E_INVALIDARG);
        expect_rejected(conf_url(CONF_SMALL), "file", QM_E_INVALIDARG);
        expect_rejected(conf_url(CONF_SMALL), "", QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_local_path_that_is_a_directory_is_e_invalidarg)
{
        char *dir = conf_dest_dir();

        expect_rejected(conf_url(CONF_SMALL), dir, QM_E_INVALIDARG);
        expect_rejected(conf_url(CONF_SMALL), conf_fmt("%s/", dir), QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_missing_directory_is_e_accessdenied)
{
        char *dir = conf_dest_dir();

        expect_rejected(conf_url(CONF_SMALL), conf_fmt("%s/no/such/dir/f", dir), QM_E_ACCESSDENIED);
}

TEST(test_4_3_add_files_unwritable_directory_is_e_accessdenied)
{
        const char *why = NULL;
        char *dir = conf_unwritable_dir(&why);

        if (!dir)
                conf_skip(why);
        expect_rejected(conf_url(CONF_SMALL), conf_fmt("%s/f", dir), QM_E_ACCESSDENIED);
        conf_unlock_dir(dir);
}

/* A directory whose absolute path is exactly dirlen bytes (deep, made with mkdirat). */
static char *deep_dir(size_t dirlen)
{
        char *base = conf_dest_dir();
        size_t len = strlen(base);
        char *path = malloc(dirlen + 1);
        int fd = open(base, O_RDONLY | O_DIRECTORY);

        ASSERT_NOT_NULL(path);
        ASSERT_TRUE(fd >= 0);
        memcpy(path, base, len);
        while (len < dirlen) {
                char comp[256];
                size_t r = dirlen - len, n; /* each step adds "/" + name */
                int nfd;

                n = r <= 201 ? r - 1 : (r - 201 >= 2 ? 200 : 100);
                ASSERT_TRUE(n >= 1);
                memset(comp, 'd', n);
                comp[n] = '\0';
                ASSERT_EQ_INT(0, mkdirat(fd, comp, 0755));
                nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY);
                ASSERT_TRUE(nfd >= 0);
                close(fd);
                fd = nfd;
                path[len] = '/';
                memcpy(path + len + 1, comp, n);
                len += n + 1;
        }
        close(fd);
        path[len] = '\0';
        ASSERT_EQ_INT(dirlen, strlen(path));
        return path;
}

TEST(test_4_3_add_files_local_path_4096_bytes_ok_4097_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        char *dir = deep_dir(3900);
        char *name = malloc(200);
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        char *p4096, *p4097;

        memset(name, 'f', 199);
        name[195] = '\0'; /* 3900 + 1 + 195 = 4096 */
        p4096 = conf_fmt("%s/%s", dir, name);
        ASSERT_EQ_INT(4096, strlen(p4096));
        name[195] = 'f';
        name[196] = '\0';
        p4097 = conf_fmt("%s/%s", dir, name);
        ASSERT_EQ_INT(4097, strlen(p4097));
        conf_add_file(job, conf_url(CONF_SMALL), p4096);
        ASSERT_EQ_INT(1, file_count(job));
        qm_group_cancel(g);
        expect_rejected(conf_url(CONF_A), p4097, QM_E_INVALIDARG);
}

TEST(test_4_3_add_files_same_local_path_in_one_batch_is_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *same = conf_fmt("%s/same", dir);
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info batch[2] = {
                {.remote_file = conf_url(CONF_SMALL), .local_file = same},
                {.remote_file = conf_url(CONF_A), .local_file = same},
        };

        ASSERT_HR(QM_E_INVALIDARG, qm_job1_add_files(job, 2, batch));
        ASSERT_EQ_INT(0, file_count(job));
        qm_group_cancel(g);
}

TEST(test_4_3_add_files_local_path_already_in_job_is_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *same = conf_fmt("%s/same", dir);
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info batch[2] = {
                {.remote_file = conf_url(CONF_A), .local_file = conf_fmt("%s/other", dir)},
                {.remote_file = conf_url(CONF_B), .local_file = same},
        };

        conf_add_file(job, conf_url(CONF_SMALL), same);
        ASSERT_HR(QM_E_INVALIDARG, qm_job1_add_files(job, 2, batch));
        ASSERT_EQ_INT(1, file_count(job));
        qm_group_cancel(g);
}

TEST(test_4_3_add_files_on_complete_group_is_invalid_state)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *u = conf_url(CONF_SMALL), *l = conf_fmt("%s/s", dir);
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 1, &u, &l);
        qm_fileset_info more = {.remote_file = conf_url(CONF_A),
                                .local_file = conf_fmt("%s/a", dir)};

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, 0x140, 10);
        ASSERT_HR(QM_E_INVALID_STATE, qm_job1_add_files(job, 1, &more));
        ASSERT_EQ_INT(1, file_count(job));
        ASSERT_EQ_INT(0x140, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_4_3_add_files_appends_in_order_and_get_file_copies_names)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info first[2] = {
                {.remote_file = conf_url(CONF_SMALL),
                 .local_file = conf_fmt("%s/0", dir),
                 .size_hint = 12345},
                {.remote_file = conf_url(CONF_A), .local_file = conf_fmt("%s/1", dir)},
        };
        qm_fileset_info second = {.remote_file = "https://127.0.0.1:1/x.bin",
                                  .local_file = conf_fmt("%s/2", dir)};
        const qm_fileset_info *all[3] = {&first[0], &first[1], &second};
        qm_fileset_info got = {0}, got2 = {0};
        uint32_t size = 99;

        ASSERT_HR(QM_S_OK, qm_job1_add_files(job, 2, first));
        ASSERT_HR(QM_S_OK, qm_job1_add_files(job, 1, &second));
        ASSERT_EQ_INT(3, file_count(job));
        for (uint32_t i = 0; i < 3; i++) {
                ASSERT_HR(QM_S_OK, qm_job1_get_file(job, i, &got));
                ASSERT_EQ_STR(all[i]->remote_file, got.remote_file);
                ASSERT_EQ_STR(all[i]->local_file, got.local_file);
                ASSERT_TRUE(got.remote_file != all[i]->remote_file);
                ASSERT_HR(QM_S_OK, qm_job1_get_file(job, i, &got2));
                ASSERT_TRUE(got.remote_file != got2.remote_file); /* a fresh copy each time */
                qm_fileset_info_clear(&got);
                qm_fileset_info_clear(&got2);
                ASSERT_NULL(got.remote_file);
                ASSERT_NULL(got.local_file);
        }
        ASSERT_HR(QM_S_OK, qm_group_get_size(g, &size)); /* size_hint is ignored */
        ASSERT_EQ_INT(0, size);
        qm_group_cancel(g);
}

TEST(test_4_3_get_file_index_ge_count_is_item_not_found)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);
        qm_fileset_info got = {.remote_file = (char *)0x1, .local_file = (char *)0x1};

        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_file(job, 0, &got));
        conf_add_file(job, conf_url(CONF_SMALL), conf_fmt("%s/s", dir));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_file(job, 1, &got));
        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_job1_get_file(job, 0xffffffffu, &got));
        ASSERT_TRUE(got.remote_file == (char *)0x1 && got.local_file == (char *)0x1);
        qm_group_cancel(g);
}

TEST(test_4_3_get_file_count_counts_files)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);

        ASSERT_EQ_INT(0, file_count(job));
        for (int i = 0; i < 5; i++) {
                conf_add_file(job, conf_url(CONF_SMALL), conf_fmt("%s/f%d", dir, i));
                ASSERT_EQ_INT(i + 1, file_count(job));
        }
        ASSERT_HR(QM_S_OK, qm_job1_add_files(job, 0, NULL)); /* nothing to add */
        ASSERT_EQ_INT(5, file_count(job));
        qm_group_cancel(g);
}

TEST(test_4_3_job1_cancel_job_is_e_notimpl)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);

        ASSERT_HR(QM_E_NOTIMPL, qm_job1_cancel(job));
        ASSERT_EQ_INT(0x180, conf_status(g)); /* nothing happened */
        qm_group_cancel(g);
}

TEST(test_4_3_job1_switch_to_foreground_is_e_notimpl)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job1 *job = conf_new_job(g);

        ASSERT_HR(QM_E_NOTIMPL, qm_job1_switch_to_foreground(job));
        ASSERT_EQ_INT(0x180, conf_status(g)); /* the group did not become foreground */
        qm_group_cancel(g);
}

TEST(test_4_3_job1_get_id_is_the_created_guid)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_guid id = conf_guid(), got;
        qm_job1 *job;

        ASSERT_HR(QM_S_OK, qm_group_create_job(g, &id, &job));
        ASSERT_HR(QM_S_OK, qm_job1_get_id(job, &got));
        ASSERT_TRUE(qm_guid_equal(&id, &got));
        qm_group_cancel(g);
}

TEST(test_4_3_job1_get_status_error_fields_point_at_the_failure)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_url(CONF_SMALL), conf_status_url(403)};
        char *l[2] = {conf_fmt("%s/ok", dir), conf_fmt("%s/denied", dir)};
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 2, u, l);
        uint32_t st = 0, w32 = 0, tr = 0, nr = 9;

        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, 0x300, 5);
        ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        ASSERT_EQ_INT(QM_STATUS_JOB_ERROR, st);
        ASSERT_EQ_INT(403, tr);
        ASSERT_NE_INT(0, w32); /* some Win32 code (the table lives in docs/) */
        ASSERT_EQ_INT(0, nr);
        qm_group_cancel(g);
}
