/* test-config.c - qmgrd's settings (src/daemon/config.c): defaults, then the config file, then
 * the command line, which wins; and what SIGHUP's config_reload keeps and refuses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qmgrd.h"
#include "unit.h"

static char conf_path[64];

static void write_conf(const char *text)
{
        FILE *f;

        if (!conf_path[0]) {
                int fd;

                snprintf(conf_path, sizeof(conf_path), "/tmp/qmgr-unit-conf-XXXXXX");
                fd = mkstemp(conf_path);
                ASSERT_TRUE(fd >= 0);
                close(fd);
        }
        f = fopen(conf_path, "w");
        ASSERT_TRUE(f != NULL);
        fputs(text, f);
        fclose(f);
}

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

TEST(config_command_line_wins_over_the_file)
{
        struct config c;
        char *argv[] = {"qmgrd",    "--config",    conf_path,     "--max-active-transfers", "7",
                        "--socket", "/tmp/q.sock", "--state-dir", "/tmp/q-state",           NULL};

        write_conf("# a comment\n\nmax_active_transfers = 2\n  min_retry_delay=30  \n");
        argv[2] = conf_path;
        config_defaults(&c);
        ASSERT_EQ_INT(0, config_parse(&c, ARGC(argv), argv));
        ASSERT_EQ_INT(7, c.max_active_transfers);
        ASSERT_EQ_INT(30, c.min_retry_delay);
        ASSERT_EQ_INT(5, c.checkpoint_seconds); /* the embedded default */
        ASSERT_EQ_STR(conf_path, c.config_file);
        config_free(&c);
        unlink(conf_path);
}

TEST(config_reload_reads_the_file_again)
{
        struct config cur, next;
        char *argv[] = {"qmgrd",       "--config",    conf_path,      "--socket",
                        "/tmp/q.sock", "--state-dir", "/tmp/q-state", "--min-retry-delay",
                        "1",           NULL};

        write_conf("max_active_transfers = 2\nlog_level = info\n");
        argv[2] = conf_path;
        config_defaults(&cur);
        ASSERT_EQ_INT(0, config_parse(&cur, ARGC(argv), argv));
        ASSERT_EQ_INT(2, cur.max_active_transfers);

        /* a setting removed from the file falls back to its default, as after a restart;
         * the command line still wins over the file */
        write_conf("log_level = debug\ncheckpoint_seconds = 9\nmin_retry_delay = 99\n");
        ASSERT_EQ_INT(0, config_reload(&cur, ARGC(argv), argv, &next));
        ASSERT_EQ_INT(4, next.max_active_transfers);
        ASSERT_EQ_INT(LOG_DEBUG, next.log_level);
        ASSERT_EQ_INT(9, next.checkpoint_seconds);
        ASSERT_EQ_INT(1, next.min_retry_delay);
        ASSERT_EQ_STR("/tmp/q.sock", next.socket_path);
        config_free(&next);
        config_free(&cur);
        unlink(conf_path);
}

TEST(config_reload_keeps_socket_and_state_dir)
{
        struct config cur, next;
        char *argv[] = {"qmgrd", "--config", conf_path, NULL};

        write_conf("socket = /tmp/a.sock\nstate_dir = /tmp/a-state\n");
        argv[2] = conf_path;
        config_defaults(&cur);
        ASSERT_EQ_INT(0, config_parse(&cur, ARGC(argv), argv));
        write_conf("socket = /tmp/b.sock\nstate_dir = /tmp/b-state\nconnect_timeout = 3\n");
        ASSERT_EQ_INT(0, config_reload(&cur, ARGC(argv), argv, &next));
        ASSERT_EQ_STR("/tmp/a.sock", next.socket_path);
        ASSERT_EQ_STR("/tmp/a-state", next.state_dir);
        ASSERT_EQ_INT(3, next.connect_timeout);
        config_free(&next);
        config_free(&cur);
        unlink(conf_path);
}

TEST(config_reload_refuses_a_bad_file_whole)
{
        static const char *const bad[] = {
                "max_active_transfers = 3\nlog_level = loud\n", /* a bad value after a good one */
                "max_active_transfers = 0\n",                   /* below its floor */
                "max_connections_per_user = 0\n",
                "checkpoint_bytes = -1\n",
                "no_such_key = 1\n",
                "just words\n",
                "min_retry_delay = 99999999999\n", /* above 32 bits */
        };
        struct config cur, next;
        char *argv[] = {"qmgrd",       "--config",    conf_path,      "--socket",
                        "/tmp/q.sock", "--state-dir", "/tmp/q-state", NULL};

        log_set_level(LOG_ERR - 1); /* the refusals are logged; keep the test's output short */
        write_conf("max_active_transfers = 2\n");
        argv[2] = conf_path;
        config_defaults(&cur);
        ASSERT_EQ_INT(0, config_parse(&cur, ARGC(argv), argv));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                write_conf(bad[i]);
                ASSERT_EQ_INT(-EINVAL, config_reload(&cur, ARGC(argv), argv, &next));
                ASSERT_TRUE(next.socket_path == NULL && next.state_dir == NULL);
        }
        unlink(conf_path); /* the file is gone */
        ASSERT_EQ_INT(-EINVAL, config_reload(&cur, ARGC(argv), argv, &next));
        ASSERT_EQ_INT(2, cur.max_active_transfers);
        config_free(&cur);
}
