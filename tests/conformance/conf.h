/* conf.h - the conformance suite's fixture (Wine-style: one documented rule of QMGR.md per
 * test, named after its section).
 *
 * The runner (runner.c) starts, once for the whole binary, a private qmgrd (main service), a
 * second private qmgrd with tiny limits (--max-groups-per-user 3 --max-files-per-job 3, for
 * §4.7) and a loopback HTTP server (httpd.py) serving the files listed below. Each test runs
 * in its own forked process with a time limit (CONF_TIMEOUT seconds, default 20), creates its
 * own groups with fresh GUIDs and its own destination directory, and may leak memory (the
 * process ends). The runner stops the services by PID at the end.
 *
 * Assertions are those of tests/unit/unit.h (ASSERT_HR prints both codes by name).
 */
#ifndef QMGR_TEST_CONF_H
#define QMGR_TEST_CONF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmgr.h"
#include "unit.h"

/* Files served by the HTTP server under /f/NAME (full speed) and /slow/NAME (~160 KiB/s).
 * Their content is conf_byte(name, offset); their mtime is CONF_MTIME. */
#define CONF_SMALL       "small.bin" /* 1,000 bytes */
#define CONF_SMALL_SIZE  1000u
#define CONF_A           "a.bin" /* 3,000 bytes */
#define CONF_A_SIZE      3000u
#define CONF_B           "b.bin" /* 70,000 bytes */
#define CONF_B_SIZE      70000u
#define CONF_MEDIUM      "medium.bin" /* 256 KiB: ~1.6 s over /slow/ */
#define CONF_MEDIUM_SIZE (256u * 1024u)
#define CONF_BIG         "big.bin" /* 8 MiB: ~50 s over /slow/, for "still transferring" */
#define CONF_BIG_SIZE    (8u * 1024u * 1024u)
#define CONF_MTIME       1234567890 /* 2009-02-13 23:31:30 UTC: the Last-Modified of every file */

/* The main service's socket, and the limits service's. */
const char *conf_socket(void);
const char *conf_limits_socket(void);

/* A connection to the main (or limits) service; asserts success. */
qm_qmgr *conf_connect(void);
qm_qmgr *conf_connect_limits(void);

/* printf into a new string (never freed: the test process ends). */
char *conf_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* http://127.0.0.1:PORT/f/NAME, /slow/NAME, /status/CODE/NAME, or any path. */
char *conf_url(const char *name);
char *conf_slow_url(const char *name);
char *conf_status_url(unsigned code);
char *conf_http(const char *path);
/* The served copy of a file, on disk. */
char *conf_www_path(const char *name);

/* A new empty destination directory for this test (mode 0755). */
char *conf_dest_dir(void);

/* A fresh GUID. */
qm_guid conf_guid(void);

/* A new group on qm (asserts S_OK); *id receives its GUID when id is not NULL. */
qm_group *conf_new_group(qm_qmgr *qm, qm_guid *id);
/* The group's job (asserts S_OK). */
qm_job1 *conf_new_job(qm_group *g);
/* A group with a job holding one file per (url, local) pair, count pairs: urls[i], locals[i]. */
qm_group *conf_group_with_files(qm_qmgr *qm, qm_job1 **job, uint32_t count, char **urls,
                                char **locals);
/* Adds one file (asserts S_OK). */
void conf_add_file(qm_job1 *job, const char *url, const char *local);

/* Current status bits (asserts S_OK and job index 0). */
uint32_t conf_status(qm_group *g);
/* Polls GetStatus every 10 ms until (status & mask) == want or seconds pass (then fails,
 * printing the last status). Returns the status seen. */
uint32_t conf_wait_status(qm_group *g, uint32_t mask, uint32_t want, double seconds);
/* Same for the modern job's state. */
uint32_t conf_wait_state(qm_job *j, uint32_t state, double seconds);
/* Polls until the modern job has transferred at least `bytes` bytes of the group. */
void conf_wait_bytes(qm_job *j, uint64_t bytes, double seconds);
/* Polls until the modern job reports at least n files transferred. */
void conf_wait_files(qm_job *j, uint32_t n, double seconds);

/* 1 when path holds exactly the bytes of the served file `name`. */
int conf_same_bytes(const char *path, const char *name);
/* Number of entries of dir (without . and ..). */
int conf_count_entries(const char *dir);
/* 1 when path exists (lstat). */
int conf_exists(const char *path);

/* A directory the test process (root) cannot write, or NULL with *why set when the machine
 * does not allow making one (chattr +i, else a read-only bind mount). conf_unlock_dir()
 * undoes it. */
char *conf_unwritable_dir(const char **why);
void conf_unlock_dir(const char *dir);

/* A private qmgrd for one test, e.g. one to restart: the main service's options, state
 * directory T/NAME-state, socket T/NAME.sock (*sock), log T/NAME.log; a child of the test
 * process (SIGTERM when the test process ends). Starting it again with the same NAME after
 * conf_service_stop() is a restart on the same state. Returns its PID once it answers (fails
 * the test after 10 s). conf_service_stop() stops it with SIGTERM and asserts exit status 0. */
pid_t conf_service_start(const char *name, char **sock);
void conf_service_stop(pid_t pid);

/* Every qmgrd of the suite runs with this variable in its environment (value "1"), so that a
 * test can check what qmgrd passes on to programs it runs (the notification command line). */
#define CONF_MARKER_ENV "QMGR_CONF_MARKER"

/* Marks the running test as skipped, with a reason printed on the test's line (counted as
 * passed by the summary, but visible as "# SKIP"). Returns to the runner. */
void conf_skip(const char *reason) __attribute__((noreturn));

#endif
