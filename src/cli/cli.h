/* cli.h - what the files of the qmgr tool share: the run context, the command table entry,
 * exit codes, and the helpers of util.c and output.c. Only the public API (qmgr.h) and
 * jansson are used. */
#ifndef QMGR_CLI_H
#define QMGR_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "qmgr.h"

/* Exit codes (CLI.md). */
#define EXIT_OK          0
#define EXIT_FAILED      1
#define EXIT_USAGE       2
#define EXIT_UNAVAILABLE 3
#define EXIT_TIMEOUT     124
#define EXIT_INTERRUPTED 130

struct ctx {
        const char *socket; /* --socket, or NULL for the library's default */
        bool json;          /* --json */
        qm_qmgr *qm;        /* connected on first use */
};

struct cmd {
        const char *name;
        int (*run)(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv);
        const char *args;    /* usage after the command name */
        const char *summary; /* one line */
};

/* main.c */
int cmd_usage_error(const struct cmd *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* util.c */
/* Prints "qmgr: <what>: 0x%08x NAME: message" (and a hint) on stderr; returns the exit code
 * for hr (3 for QM_E_SERVICE_UNAVAILABLE, else 1). */
int fail_hr(const char *what, qm_hresult hr);
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Connects on first use; returns 0 or an exit code (after printing the error). */
int ctx_connect(struct ctx *ctx);
/* GROUP argument: a GUID (braces optional, any case) or a display name. Returns 0 and a
 * group handle, or an exit code after printing why. */
int resolve_group(struct ctx *ctx, const char *arg, qm_group **ret);
/* The modern job of a group; returns 0 or an exit code. */
int group_job(qm_group *g, qm_job **ret);
/* The group's Job1 (the first of EnumJobs); *ret is NULL when the group has no job.
 * Returns 0 or an exit code. */
int group_job1(qm_group *g, qm_job1 **ret);
/* Parses the options of a command that takes none. Returns -1 to go on (with *ind the first
 * operand), or an exit code. */
int no_options(const struct cmd *cmd, int argc, char **argv, int *ind);
/* Parses a decimal or 0x unsigned 32-bit integer. Returns 0 or -1. */
int parse_u32(const char *s, uint32_t *ret);
int parse_i64(const char *s, int64_t *ret);
/* LOCAL made absolute against the working directory (malloc'ed), or NULL. */
char *absolute_path(const char *path);

/* output.c */
void guid_str(const qm_guid *g, char buf[QM_GUID_STRING_SIZE]);
json_t *json_guid(const qm_guid *g);
json_t *json_size(uint64_t v);                      /* null for BG_SIZE_UNKNOWN */
json_t *json_time(int64_t t);                       /* ISO 8601 UTC, null for 0 */
void format_time(int64_t t, char *buf, size_t len); /* "-" for 0 */
void format_bytes(uint64_t v, char *buf, size_t len);
const char *state_name(uint32_t state);
const char *priority_name(uint32_t prio);
const char *context_name(uint32_t ctx);
/* "SUSPENDED|INCOMPLETE" for group status bits. */
void status_text(uint32_t status, char *buf, size_t len);
/* ["INCOMPLETE","SUSPENDED"]: the set group flags, sorted. */
json_t *status_flags_json(uint32_t status);
unsigned percent(uint64_t done, uint64_t total);
/* Prints one JSON document on stdout and drops the reference; returns 0 or 1. */
int print_json(json_t *doc);

/* The commands (cmd-*.c). */
int cmd_create(struct ctx *, const struct cmd *, int, char **);
int cmd_addfile(struct ctx *, const struct cmd *, int, char **);
int cmd_addfileset(struct ctx *, const struct cmd *, int, char **);
int cmd_resume(struct ctx *, const struct cmd *, int, char **);
int cmd_suspend(struct ctx *, const struct cmd *, int, char **);
int cmd_foreground(struct ctx *, const struct cmd *, int, char **);
int cmd_cancel(struct ctx *, const struct cmd *, int, char **);
int cmd_complete(struct ctx *, const struct cmd *, int, char **);
int cmd_abort(struct ctx *, const struct cmd *, int, char **);
int cmd_getprop(struct ctx *, const struct cmd *, int, char **);
int cmd_setprop(struct ctx *, const struct cmd *, int, char **);
int cmd_setpriority(struct ctx *, const struct cmd *, int, char **);
int cmd_setretrydelay(struct ctx *, const struct cmd *, int, char **);
int cmd_setnoprogresstimeout(struct ctx *, const struct cmd *, int, char **);
int cmd_status(struct ctx *, const struct cmd *, int, char **);
int cmd_progress(struct ctx *, const struct cmd *, int, char **);
int cmd_info(struct ctx *, const struct cmd *, int, char **);
int cmd_files(struct ctx *, const struct cmd *, int, char **);
int cmd_list(struct ctx *, const struct cmd *, int, char **);
int cmd_reset(struct ctx *, const struct cmd *, int, char **);
int cmd_version(struct ctx *, const struct cmd *, int, char **);
int cmd_get(struct ctx *, const struct cmd *, int, char **);
int cmd_setnotifycmdline(struct ctx *, const struct cmd *, int, char **);
int cmd_wait(struct ctx *, const struct cmd *, int, char **);
int cmd_monitor(struct ctx *, const struct cmd *, int, char **);

#endif
