/* test-5-cmdline.c - QMGR.md §5 set_notify_cmdline: a program run as the owner when the job
 * is transferred or fails, run again after the retry delay until it exits 0. The command line
 * is split as src/daemon/notify-cmd.c documents: blanks separate arguments, double quotes
 * group, the first word is argv[0]; the program gets a clean environment with QMGR_GROUP_ID
 * and QMGR_JOB_STATE.
 *
 * Each test writes a small shell script into its own directory: it reads the exit code from
 * DIR/code (0 when the file is missing), then appends one line per run to DIR/log
 * ("run [arg1] [arg2] ... group=G state=S marker=M") and exits with that code. A test that
 * sees a new line may change DIR/code for the next run. */
#include <stdio.h>
#include <time.h>

#include "conf.h"

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes DIR/notify.sh; returns its absolute path. */
static char *write_script(const char *dir)
{
        char *path = conf_fmt("%s/notify.sh", dir);
        FILE *f = fopen(path, "w");

        ASSERT_NOT_NULL(f);
        fprintf(f,
                "#!/bin/sh\n"
                "code=0; if [ -f '%s/code' ]; then code=$(cat '%s/code'); fi\n"
                "{ printf 'run'; for a in \"$@\"; do printf ' [%%s]' \"$a\"; done\n"
                "  printf ' group=%%s state=%%s marker=%%s\\n' \"$QMGR_GROUP_ID\" "
                "\"$QMGR_JOB_STATE\" \"${" CONF_MARKER_ENV "-unset}\"; } >> '%s/log'\n"
                "exit \"$code\"\n",
                dir, dir, dir);
        ASSERT_EQ_INT(0, fclose(f));
        ASSERT_EQ_INT(0, chmod(path, 0755));
        return path;
}

/* Atomically (rename), so that a run never reads a half-written file. */
static void write_code(const char *dir, int code)
{
        char *tmp = conf_fmt("%s/code.tmp", dir);
        FILE *f = fopen(tmp, "w");

        ASSERT_NOT_NULL(f);
        fprintf(f, "%d\n", code);
        ASSERT_EQ_INT(0, fclose(f));
        ASSERT_EQ_INT(0, rename(tmp, conf_fmt("%s/code", dir)));
}

/* The log's lines (at most 16; n receives the count). */
static int read_log(const char *dir, char lines[16][512])
{
        FILE *f = fopen(conf_fmt("%s/log", dir), "r");
        int n = 0;

        if (!f)
                return 0;
        while (n < 16 && fgets(lines[n], 512, f)) {
                lines[n][strcspn(lines[n], "\n")] = '\0';
                n++;
        }
        fclose(f);
        return n;
}

/* Waits until the log has n lines; t receives when each new line was first seen. */
static void wait_runs(const char *dir, int n, double seconds, double *t)
{
        char lines[16][512];
        double deadline = now_s() + seconds;
        int seen = read_log(dir, lines);

        while (seen < n) {
                int k;

                if (now_s() > deadline)
                        unit_fail(__FILE__, __LINE__, "waited %.1f s for %d runs; saw %d", seconds,
                                  n, seen);
                usleep(10000);
                k = read_log(dir, lines);
                while (t && seen < k)
                        t[seen++] = now_s();
                seen = k;
        }
}

static int runs(const char *dir)
{
        char lines[16][512];

        return read_log(dir, lines);
}

static qm_job *job_of(qm_group *g)
{
        qm_job *j = NULL;

        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        return j;
}

/* A group downloading url into dir, not resumed. */
static qm_group *group_for(qm_qmgr *qm, const char *dir, const char *url)
{
        char *u = (char *)url, *l = conf_fmt("%s/f", dir);

        return conf_group_with_files(qm, NULL, 1, &u, &l);
}

static char *group_id_str(qm_group *g)
{
        qm_guid id;
        char *s = malloc(QM_GUID_STRING_SIZE);

        ASSERT_NOT_NULL(s);
        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &id));
        ASSERT_HR(QM_S_OK, qm_guid_to_string(&id, s));
        return s;
}

TEST(test_5_notify_cmdline_relative_program_is_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_job *j = job_of(g);

        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_notify_cmdline(j, "notify.sh", NULL));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_notify_cmdline(j, "bin/true", "true"));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_notify_cmdline(j, "./true", "true x"));
        ASSERT_HR(QM_E_INVALIDARG, qm_job_set_notify_cmdline(j, "", NULL));
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_null_program_clears_it)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_url(CONF_SMALL));
        qm_job *j = job_of(g);

        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, prog, "notify a"));
        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, NULL, NULL));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, 0x140, 5);
        usleep(500 * 1000);
        ASSERT_EQ_INT(0, runs(dir));
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_runs_on_completion_with_the_arguments_split)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_url(CONF_SMALL));
        qm_job *j = job_of(g);
        char lines[16][512];

        ASSERT_HR(QM_S_OK,
                  qm_job_set_notify_cmdline(j, prog, "notify  a \"b c\"\td \"\"e\"f g\"h"));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_runs(dir, 1, 5, NULL);
        ASSERT_EQ_INT(1, read_log(dir, lines));
        ASSERT_EQ_STR(conf_fmt("run [a] [b c] [d] [ef gh] group=%s state=TRANSFERRED marker=unset",
                               group_id_str(g)),
                      lines[0]);
        ASSERT_EQ_INT(0x140, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_without_parameters_runs_the_program_alone)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_url(CONF_SMALL));
        qm_job *j = job_of(g);
        char lines[16][512];

        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, prog, NULL));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_runs(dir, 1, 5, NULL);
        ASSERT_EQ_INT(1, read_log(dir, lines));
        ASSERT_EQ_STR(conf_fmt("run group=%s state=TRANSFERRED marker=unset", group_id_str(g)),
                      lines[0]);
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_runs_on_error)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_url("missing.bin"));
        qm_job *j = job_of(g);
        char lines[16][512];

        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, prog, "notify failed"));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_runs(dir, 1, 5, NULL);
        ASSERT_EQ_INT(1, read_log(dir, lines));
        ASSERT_EQ_STR(conf_fmt("run [failed] group=%s state=ERROR marker=unset", group_id_str(g)),
                      lines[0]);
        ASSERT_EQ_INT(0x300, conf_status(g));
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_runs_again_after_the_retry_delay_until_it_exits_0)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_url(CONF_SMALL));
        qm_job *j = job_of(g);
        double t[16];

        write_code(dir, 3);
        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, prog, "notify x"));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_runs(dir, 2, 6, t);
        ASSERT_TRUE(t[1] - t[0] >= 0.9); /* --min-retry-delay 1 */
        write_code(dir, 0);
        wait_runs(dir, 3, 6, t);
        usleep(1300 * 1000); /* more than the retry delay: no fourth run */
        ASSERT_EQ_INT(3, runs(dir));
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_does_not_run_on_suspend_and_resume)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_slow_url(CONF_BIG));
        qm_job *j = job_of(g);

        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, prog, "notify x"));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_bytes(j, 1, 5);
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, 0x80, 5);
        ASSERT_HR(QM_S_OK, qm_job_suspend(j));
        ASSERT_HR(QM_S_OK, qm_job_resume(j));
        usleep(300 * 1000);
        ASSERT_EQ_INT(0, runs(dir));
        ASSERT_HR(QM_S_OK, qm_group_suspend(g));
        usleep(300 * 1000);
        ASSERT_EQ_INT(0, runs(dir));
        qm_group_cancel(g);
}

TEST(test_5_notify_cmdline_runs_with_a_clean_environment)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir(), *prog = write_script(dir);
        qm_group *g = group_for(qm, dir, conf_url(CONF_SMALL));
        qm_job *j = job_of(g);
        char lines[16][512];

        /* The runner started qmgrd with CONF_MARKER_ENV set: the program must not see it. */
        ASSERT_EQ_STR("1", getenv(CONF_MARKER_ENV));
        ASSERT_HR(QM_S_OK, qm_job_set_notify_cmdline(j, prog, "notify"));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_runs(dir, 1, 5, NULL);
        ASSERT_EQ_INT(1, read_log(dir, lines));
        ASSERT_CONTAINS(lines[0], "marker=unset");
        qm_group_cancel(g);
}
