/* qmgrd.h - the service's internal types and the prototypes of its subsystems, grouped by the
 * file that owns them. Nothing here is public API. */
#ifndef QMGRD_H
#define QMGRD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "proto.h"
#include "qmgr.h"

struct store;
struct notify;
struct netmon;
struct subscriber;
struct conn;
struct xfer;
struct xfer_engine;
struct ipc_server;

/* ---- config.c ------------------------------------------------------------------------ */

struct config {
        bool system_mode;
        char *socket_path; /* owned */
        char *state_dir;   /* owned */
        char *config_file; /* owned; NULL: none */
        char *ca_file;     /* owned; NULL: the system's CA store */
        int log_level;     /* LOG_ERR..LOG_DEBUG */
        uint32_t max_active_transfers;
        uint32_t min_retry_delay;     /* seconds; default for groups that set none */
        uint32_t no_progress_timeout; /* seconds */
        uint64_t checkpoint_bytes;
        uint32_t checkpoint_seconds;
        uint32_t max_groups_per_user;
        uint32_t max_files_per_job;
        uint32_t low_speed_time;           /* seconds below 1 byte/s before a transfer is dropped */
        uint32_t connect_timeout;          /* seconds */
        uint32_t max_connections_per_user; /* open IPC connections of one uid */
        uint32_t client_message_timeout;   /* seconds for a client's message to arrive whole */
};

void config_defaults(struct config *c);
/* Parses argv (and the config file it names, or the mode's default file when it exists).
 * Returns 0, 1 when --help/--version was handled (exit 0), or -EINVAL after printing the
 * problem (exit 2). */
int config_parse(struct config *c, int argc, char **argv);
/* SIGHUP: reads the settings again from the same command line (and the config file it names)
 * into *next, the command line still winning over the file. The socket and the state
 * directory keep cur's values (a change is logged). Returns 0, or a negative errno after
 * logging the problem; *next then holds nothing and cur stays in force. */
int config_reload(const struct config *cur, int argc, char **argv, struct config *next);
void config_free(struct config *c);

/* ---- log.c --------------------------------------------------------------------------- */

#define LOG_ERR     3
#define LOG_WARNING 4
#define LOG_INFO    6
#define LOG_DEBUG   7

void log_set_level(int level);
/* Whether a message of this level is written (to skip work done only for the log). */
bool log_enabled(int level);
/* url as the log may show it: without its userinfo (user:password@), which is a secret of
 * the group's owner (TESTING.md S15). Returns url itself when it has none, else buf. */
const char *log_url(const char *url, char *buf, size_t size);
int log_level_from_name(const char *name);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- the model (group.c) ------------------------------------------------------------- */

/* The last fatal (or, while retrying, transient) error of a group. */
struct group_error {
        qm_hresult hr;       /* QM_S_OK: none */
        uint32_t context;    /* BG_ERROR_CONTEXT_* */
        uint32_t file_index; /* QM_NO_FILE_INDEX when no file is involved */
        uint32_t win32;
        uint32_t transport;
        char *message; /* owned; may be NULL */
};

struct qfile {
        char *url;             /* owned */
        char *local;           /* owned; absolute, normalised */
        char *temp;            /* owned; hidden temporary file beside local; NULL: none yet */
        uint32_t umask;        /* the client's umask when the file was added */
        uint64_t bytes_total;  /* BG_SIZE_UNKNOWN until the server told it */
        uint64_t bytes_done;   /* bytes in the temporary file */
        bool complete;         /* every byte transferred and synced */
        bool committed;        /* renamed over local (only during a failed commit) */
        bool commit_decided;   /* a commit of it was under way when the service stopped */
        char *etag;            /* owned; strong validator of the server copy, or NULL */
        int64_t last_modified; /* Unix time from Last-Modified, or -1 */
        uint64_t high_water;   /* most bytes_done seen since the service started (progress) */
        /* Kept by the transfer engine (xfer.c); zero when loaded or added. */
        bool syncing;       /* every byte is here; its data is being synced (not complete yet) */
        bool seen;          /* the engine opened its temporary file since the service started */
        bool finalized;     /* complete, and its final mode and mtime are set (commit: rename) */
        uint64_t durable;   /* bytes of the temporary file known to be synced */
        uint32_t trunc_gen; /* bumped whenever the temporary file is truncated */
};

struct group {
        struct daemon *d;          /* borrowed */
        struct group *prev, *next; /* the daemon's list, in creation order */
        qm_guid id;
        char id_str[QM_GUID_STRING_SIZE];
        int64_t seq; /* creation order, persistent */
        uint32_t owner_uid;
        bool has_job;
        qm_guid job_id;
        uint32_t state;    /* BG_JOB_STATE_*: written only by group_set_state() */
        uint32_t priority; /* BG_JOB_PRIORITY_* */
        uint32_t notify_flags;
        char *notify_clsid; /* owned; NULL: none */
        char *display_name; /* owned; never NULL */
        char *description;  /* owned; never NULL */
        struct group_error err;
        uint32_t retries;
        uint32_t min_retry_delay;             /* seconds; 0: the service default */
        uint32_t no_progress_timeout;         /* seconds; 0: the service default */
        int64_t created, modified, completed; /* Unix seconds */
        struct qfile *files;                  /* owned array */
        uint32_t n_files, cap_files;
        uint32_t scan_from;     /* every file before it is complete or syncing (sched.c) */
        struct xfer *xfer;      /* the active transfer, or NULL */
        uint64_t retry_at;      /* loop ms when a TRANSIENT_ERROR is retried */
        uint64_t stalled_since; /* loop ms of the first transient error without progress; 0 */
        uint64_t slice_start;   /* loop ms when the scheduler last started it; 0: never */
        char *notify_program;   /* owned; NULL: no notification command line (§5) */
        char *notify_params;    /* owned; NULL: just the program */
        struct notify_cmd *cmd; /* the command line's run in progress, or NULL */
        bool waiting_network;   /* parked until the network is back (netmon.c) */
};

/* The legacy status bits of a group (§2.1) and of its job. */
uint32_t group_status(const struct group *g);
uint32_t group_job1_status(const struct group *g);
const char *job_state_name(uint32_t state);
bool job_state_is_active(uint32_t state); /* QUEUED, CONNECTING, TRANSFERRING, TRANSIENT_ERROR */

/* The one writer of g->state. Returns 0, or -EINVAL for a transition the table forbids.
 * Updates the modification time (and completion time on TRANSFERRED), logs, persists. */
int group_set_state(struct group *g, uint32_t to);

struct group *group_new(struct daemon *d, const qm_guid *id, uint32_t owner_uid);
void group_free(struct group *g);
void group_link(struct daemon *d, struct group *g);
void group_unlink(struct daemon *d, struct group *g);
/* The group with this GUID visible to uid (root sees all), or NULL. */
struct group *group_find(struct daemon *d, const qm_guid *id, uid_t uid);
uint32_t group_count_for(struct daemon *d, uid_t uid);

/* Byte and file totals over the group's files. total is BG_SIZE_UNKNOWN while any size is. */
void group_totals(const struct group *g, uint64_t *ret_done, uint64_t *ret_total,
                  uint32_t *ret_files_done);
uint32_t group_min_retry_delay(const struct group *g);
uint32_t group_no_progress_timeout(const struct group *g);

void group_set_error(struct group *g, qm_hresult hr, uint32_t context, uint32_t file_index,
                     uint32_t win32, uint32_t transport, const char *message);
void group_clear_error(struct group *g);

/* Commit (legacy cancel, modern complete) and abort (modern cancel). Both stop any transfer
 * and, on success, remove the group (g is freed). commit returns QM_S_OK,
 * BG_S_PARTIAL_COMPLETE, or a failure with the group kept; abort returns QM_S_OK or
 * BG_S_UNABLE_TO_DELETE_FILES. */
qm_hresult group_commit(struct group *g);
/* At start: finishes every commit a stop interrupted (files saved as decided, complete = 3):
 * what was renamed is recognised, the rest renamed, the group removed. */
void group_finish_commits(struct daemon *d);
qm_hresult group_abort(struct group *g);

/* Called by the transfer engine. */
void group_transfer_failed(struct group *g, uint32_t index, bool transient, uint32_t retry_after);

/* ---- daemon (main.c) ----------------------------------------------------------------- */

struct daemon {
        uv_loop_t *loop; /* borrowed: the default loop */
        struct config cfg;
        struct store *store;                     /* owned */
        struct group *groups_head, *groups_tail; /* owned, creation order */
        uint32_t n_groups;
        int64_t next_seq;
        struct xfer_engine *xe; /* owned */
        struct ipc_server *ipc; /* owned */
        struct notify *notify;  /* owned */
        struct netmon *netmon;  /* owned */
        uv_timer_t sched_timer; /* runs sched_run() soon after a change */
        uv_timer_t retry_timer; /* wakes the scheduler for the next retry */
        uv_timer_t checkpoint_timer;
        uv_signal_t sig_term, sig_int, sig_hup;
        int argc;    /* the command line, read again on SIGHUP */
        char **argv; /* borrowed from main() */
        int lock_fd;
        bool stopping;
};

/* ---- notify.c ------------------------------------------------------------------------ */

/* A pending callback event (persisted in the store until acknowledged). */
struct notify_event {
        struct notify_event *next;
        int64_t id; /* store row id */
        qm_guid group_id;
        uint32_t status, file_index, retries, win32, transport;
        qm_hresult hr;
        uint64_t due;          /* loop ms before which it is not delivered */
        struct conn *inflight; /* delivered there, awaiting AckEvent; NULL: pending */
};

int notify_new(struct daemon *d, struct notify **ret);
void notify_free(struct notify *n);
/* From group_set_state() after every transition, and when a group goes away. */
void notify_group_state(struct group *g, uint32_t from, uint32_t to);
void notify_group_removed(struct group *g, bool committed);
/* A change that is not a transition (creation, files, properties): watchers get an update. */
void notify_group_changed(struct group *g);
/* From ipc-server.c when a subscribed connection closes. */
void notify_conn_closed(struct conn *c, struct subscriber *s);
struct ipc_call;
qm_hresult notify_subscribe(struct ipc_call *c);
qm_hresult notify_register(struct ipc_call *c, const qm_guid *group, bool on);
qm_hresult notify_ack(struct ipc_call *c, uint64_t id, qm_hresult result);
qm_hresult notify_watch(struct ipc_call *c, const qm_guid *group, bool all);

/* ---- notify-cmd.c ---------------------------------------------------------------------- */

/* Runs the group's notification command line for a TRANSFERRED or ERROR state, and again
 * after the retry delay until it exits 0 (§5). */
void notify_cmd_state(struct group *g, uint32_t to);
/* No more runs for g: a run in progress finishes on its own (force: at shutdown, the handle
 * is closed at once; the program is not killed). */
void notify_cmd_detach(struct group *g, bool force);
/* Splits a command line into an argv (whitespace separates, "double quotes" group, a
 * backslash escapes a quote or a backslash). Returns a NULL-terminated array to free with
 * free() (one block), or NULL with errno EINVAL (unbalanced quote) or ENOMEM. */
char **notify_cmd_split(const char *line);

/* ---- netmon.c ------------------------------------------------------------------------ */

int netmon_new(struct daemon *d, struct netmon **ret);
void netmon_free(struct netmon *m);
/* True when an interface other than loopback is up with an address (NULL m: true). */
bool netmon_is_up(struct netmon *m);
/* True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1). */
bool netmon_url_is_local(const char *url);

/* ---- sched.c ------------------------------------------------------------------------- */

void sched_init(struct daemon *d);
/* Asks for a scheduling pass on the next loop iteration (coalesced). */
void sched_kick(struct daemon *d);
void sched_close(struct daemon *d);
/* From the engine when g's file finished transferring (its data now syncs in the background):
 * starts g's next file at once while its turn lasts, else queues g. */
void sched_next_file(struct group *g);
/* The first file of g neither complete nor syncing, or -1. */
int32_t sched_next_index(const struct group *g);

/* ---- store.c ------------------------------------------------------------------------- */

/* path ":memory:" gives a private in-memory store (unit tests). */
int store_open(const char *path, struct store **ret);
void store_close(struct store *s);
int store_begin(struct store *s);
/* A transaction whose commit does not wait for the disk (SQLite synchronous=NORMAL): a
 * crash of the service loses nothing, a power cut may lose the relaxed commits since the last
 * durable one or store_sync(). For progress records that cost a re-download at most. */
int store_begin_relaxed(struct store *s);
int store_commit(struct store *s);
/* Makes the relaxed commits durable (nothing to do without one). */
int store_sync(struct store *s);
void store_rollback(struct store *s);
/* Inserts or replaces the group row (not its files). */
int store_save_group(struct store *s, const struct group *g);
/* Inserts or replaces files [first, first+count) of g. */
int store_save_files(struct store *s, const struct group *g, uint32_t first, uint32_t count);
int store_save_file(struct store *s, const struct group *g, uint32_t index);
int store_delete_group(struct store *s, const struct group *g);
/* Marks every transferred file of g as decided to be committed (one statement), so that a
 * commit the service could not finish is finished by the next start (group.c). */
int store_mark_commit(struct store *s, const struct group *g);
/* Loads every group, in creation order, calling cb for each (cb takes ownership). */
int store_load(struct store *s, struct daemon *d, void (*cb)(struct daemon *, struct group *));
int64_t store_max_seq(struct store *s);
/* Callback events: save sets ev->id. */
int store_save_event(struct store *s, const char *group_id, struct notify_event *ev);
int store_delete_event(struct store *s, int64_t id);
int store_load_events(struct store *s, void (*cb)(void *ud, struct notify_event *ev), void *ud);

/* ---- xfer.c -------------------------------------------------------------------------- */

int xfer_engine_new(struct daemon *d, struct xfer_engine **ret);
void xfer_engine_free(struct xfer_engine *xe);
uint32_t xfer_active_count(struct xfer_engine *xe);
/* Starts file index of g. Returns 0, or a negative errno for a local failure (the group's
 * error is set by the callee in that case). */
int xfer_start(struct xfer_engine *xe, struct group *g, uint32_t index);
/* Stops g's transfer at once, keeping the bytes written so far. Its files waiting for their
 * sync still complete (suspend, time slice over, error). */
void xfer_stop(struct group *g);
/* xfer_stop(), and g's files waiting for their sync no longer report to g: g is going away
 * (commit, cancel), or the service stops (then their bytes are synced and saved first). */
void xfer_detach(struct group *g);
/* Syncs now, and saves complete, g's files that have all their bytes and wait for their
 * sync (before a commit). */
void xfer_settle(struct group *g);
/* Whether a temporary file's name holds what the service may write, reuse or commit: a
 * plain, single-linked file of its own user (never a link someone put there, L8/L9). */
struct stat;
bool xfer_temp_is_ours(const struct stat *st);
/* Syncs the temporary files of the moving files in the thread pool, then records in one
 * transaction, for each, the offset it had before the sync (never more than is durable). */
void xfer_checkpoint(struct xfer_engine *xe);

/* ---- xfer-error.c -------------------------------------------------------------------- */

struct xfer_verdict {
        qm_hresult hr;
        uint32_t context;
        uint32_t win32;
        uint32_t transport;
        bool transient;
};
/* Classifies a finished transfer: curl's result and the final HTTP status (0: none). */
void xfer_classify(int curl_code, long http_status, struct xfer_verdict *ret);
/* The same, with libcurl's error message (CURLOPT_ERRORBUFFER; may be NULL), which tells
 * apart failures curl reports with one code (oversize headers, HTTP/0.9 garbage). */
void xfer_classify_msg(int curl_code, long http_status, const char *curl_msg,
                       struct xfer_verdict *ret);
/* A local errno as an error (context LOCAL_FILE). */
void xfer_classify_errno(int err, struct xfer_verdict *ret);

/* ---- ipc-server.c / ipc-methods.c ---------------------------------------------------- */

int ipc_server_new(struct daemon *d, struct ipc_server **ret);
void ipc_server_free(struct ipc_server *s);

struct ipc_call {
        struct daemon *d;
        uid_t uid;         /* from SO_PEERCRED at accept */
        struct conn *conn; /* borrowed; NULL when there is no client (fuzzing) */
        bool more;         /* the caller asked for a stream of replies */
        char err[256];     /* a message for an error reply; empty: the code's own message */
};
/* Sends a message on a client's connection (dropping our reference). */
void ipc_conn_send(struct conn *c, json_t *msg);
struct daemon *ipc_conn_daemon(struct conn *c);
struct subscriber *ipc_conn_subscriber(struct conn *c);
void ipc_conn_set_subscriber(struct conn *c, struct subscriber *s);
/* Decodes one message (its bytes without the NUL), runs it, and returns the reply to send,
 * or NULL for a oneway call. Never fails to answer a malformed message: the reply says why. */
json_t *ipc_process(struct ipc_call *call, const char *text, size_t len);
/* Runs one decoded call; fills out (whose `present` the reply encoder honours). */
qm_hresult ipc_dispatch(struct ipc_call *c, enum qmx_method_id id, struct qmx_msg *in,
                        struct qmx_msg *out);

/* ---- util ---------------------------------------------------------------------------- */

int64_t now_unix(void);
char *xstrdup(const char *s); /* NULL-safe strdup; aborts never, returns NULL on ENOMEM */

#endif
