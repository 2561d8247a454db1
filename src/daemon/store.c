/* store.c - the persistent queue: one SQLite database in WAL mode.
 *
 * The store owns the schema and its migrations (PRAGMA user_version) and turns groups and
 * files into rows and back. It knows nothing of transfers or IPC; callers group writes into
 * transactions with store_begin()/store_commit(). Only prepared statements touch user data. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "qmgrd.h"

#define SCHEMA_VERSION 3

enum stmt_id {
        S_SAVE_GROUP,
        S_SAVE_FILE,
        S_UPDATE_FILE,
        S_DELETE_GROUP,
        S_MARK_COMMIT,
        S_DELETE_FILES,
        S_LOAD_GROUPS,
        S_LOAD_FILES,
        S_SAVE_EVENT,
        S_DELETE_EVENT,
        S_LOAD_EVENTS,
        S__MAX
};

static const char *const stmt_sql[S__MAX] = {
        [S_SAVE_GROUP] =
                /* An upsert, not INSERT OR REPLACE: a replace deletes the row first, and the
                 * foreign key's ON DELETE CASCADE would take the group's files with it. */
        "INSERT INTO groups(id, seq, owner_uid, job_id, state, priority,"
        " notify_flags, notify_clsid, display_name, description, err_hr, err_context,"
        " err_file, err_win32, err_transport, err_message, retries, min_retry_delay,"
        " no_progress_timeout, created, modified, completed, notify_program,"
        " notify_params)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,"
        "?21,?22,?23,?24) ON CONFLICT(id) DO UPDATE SET owner_uid=excluded.owner_uid,"
        " job_id=excluded.job_id, state=excluded.state, priority=excluded.priority,"
        " notify_flags=excluded.notify_flags, notify_clsid=excluded.notify_clsid,"
        " display_name=excluded.display_name, description=excluded.description,"
        " err_hr=excluded.err_hr, err_context=excluded.err_context,"
        " err_file=excluded.err_file, err_win32=excluded.err_win32,"
        " err_transport=excluded.err_transport, err_message=excluded.err_message,"
        " retries=excluded.retries, min_retry_delay=excluded.min_retry_delay,"
        " no_progress_timeout=excluded.no_progress_timeout, modified=excluded.modified,"
        " completed=excluded.completed, notify_program=excluded.notify_program,"
        " notify_params=excluded.notify_params",
        [S_SAVE_FILE] = "INSERT OR REPLACE INTO files(group_id, idx, url, local, temp, umask,"
                        " bytes_total, bytes_done, complete, etag, last_modified)"
                        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        /* What changes of a file once added (cheaper than replacing the row). */
        [S_UPDATE_FILE] = "UPDATE files SET temp=?5, bytes_total=?7, bytes_done=?8, complete=?9,"
                          " etag=?10, last_modified=?11 WHERE group_id=?1 AND idx=?2",
        [S_DELETE_GROUP] = "DELETE FROM groups WHERE id = ?1",
        [S_MARK_COMMIT] = "UPDATE files SET complete = 3 WHERE group_id = ?1 AND complete = 1",
        [S_DELETE_FILES] = "DELETE FROM files WHERE group_id = ?1",
        [S_LOAD_GROUPS] =
                "SELECT id, seq, owner_uid, job_id, state, priority, notify_flags, notify_clsid,"
                " display_name, description, err_hr, err_context, err_file, err_win32,"
                " err_transport, err_message, retries, min_retry_delay, no_progress_timeout,"
                " created, modified, completed, notify_program, notify_params FROM groups"
                " ORDER BY seq",
        [S_LOAD_FILES] = "SELECT idx, url, local, temp, umask, bytes_total, bytes_done, complete,"
                         " etag, last_modified FROM files WHERE group_id = ?1 ORDER BY idx",
        [S_SAVE_EVENT] = "INSERT INTO events(group_id, status, file_index, retries, hresult,"
                         " win32, transport, created) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
        [S_DELETE_EVENT] = "DELETE FROM events WHERE id = ?1",
        [S_LOAD_EVENTS] = "SELECT id, group_id, status, file_index, retries, hresult, win32,"
                          " transport FROM events ORDER BY id",
};

/* Each step of the migration brings the schema from version i to i + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
        "CREATE TABLE groups("
        " id TEXT PRIMARY KEY NOT NULL,"
        " seq INTEGER NOT NULL UNIQUE,"
        " owner_uid INTEGER NOT NULL,"
        " job_id TEXT,"
        " state INTEGER NOT NULL CHECK(state BETWEEN 0 AND 6),"
        " priority INTEGER NOT NULL CHECK(priority BETWEEN 0 AND 3),"
        " notify_flags INTEGER NOT NULL DEFAULT 0,"
        " notify_clsid TEXT,"
        " display_name TEXT NOT NULL DEFAULT '',"
        " description TEXT NOT NULL DEFAULT '',"
        " err_hr INTEGER NOT NULL DEFAULT 0,"
        " err_context INTEGER NOT NULL DEFAULT 0,"
        " err_file INTEGER NOT NULL DEFAULT 4294967295,"
        " err_win32 INTEGER NOT NULL DEFAULT 0,"
        " err_transport INTEGER NOT NULL DEFAULT 0,"
        " err_message TEXT,"
        " retries INTEGER NOT NULL DEFAULT 0,"
        " min_retry_delay INTEGER NOT NULL DEFAULT 0,"
        " no_progress_timeout INTEGER NOT NULL DEFAULT 0,"
        " created INTEGER NOT NULL,"
        " modified INTEGER NOT NULL,"
        " completed INTEGER NOT NULL DEFAULT 0"
        ");"
        "CREATE TABLE files("
        " group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
        " idx INTEGER NOT NULL,"
        " url TEXT NOT NULL,"
        " local TEXT NOT NULL,"
        " temp TEXT,"
        " umask INTEGER NOT NULL,"
        " bytes_total INTEGER," /* NULL: unknown */
        " bytes_done INTEGER NOT NULL DEFAULT 0,"
        " complete INTEGER NOT NULL DEFAULT 0,"
        " etag TEXT,"
        " last_modified INTEGER NOT NULL DEFAULT -1,"
        " PRIMARY KEY(group_id, idx)"
        ") WITHOUT ROWID;",
        /* 2: pending callback events (notify.c) */
        "CREATE TABLE events("
        " id INTEGER PRIMARY KEY,"
        " group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
        " status INTEGER NOT NULL,"
        " file_index INTEGER NOT NULL,"
        " retries INTEGER NOT NULL,"
        " hresult INTEGER NOT NULL,"
        " win32 INTEGER NOT NULL,"
        " transport INTEGER NOT NULL,"
        " created INTEGER NOT NULL"
        ");"
        "CREATE INDEX events_group ON events(group_id);",
        /* 3: the modern job's notification command line (§5) */
        "ALTER TABLE groups ADD COLUMN notify_program TEXT;"
        "ALTER TABLE groups ADD COLUMN notify_params TEXT;",
};

struct store {
        sqlite3 *db;
        sqlite3_stmt *stmt[S__MAX];
        bool relaxed;    /* a relaxed commit is not durable yet */
        bool in_relaxed; /* the open transaction is relaxed */
};

static int store_err(struct store *s, const char *what)
{
        log_error("store: %s: %s", what, sqlite3_errmsg(s->db));
        return -EIO;
}

static int exec(struct store *s, const char *sql)
{
        char *msg = NULL;

        if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                log_error("store: %s", msg ? msg : sqlite3_errmsg(s->db));
                sqlite3_free(msg);
                return -EIO;
        }
        return 0;
}

static int migrate(struct store *s)
{
        sqlite3_stmt *st;
        int version, r;
        char sql[64];

        if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
                return store_err(s, "reading the schema version");
        if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(st);
                return store_err(s, "reading the schema version");
        }
        version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (version > SCHEMA_VERSION) {
                log_error("store: the database has schema version %d, newer than this qmgrd "
                          "(%d); refusing to touch it",
                          version, SCHEMA_VERSION);
                return -EPROTO;
        }
        for (; version < SCHEMA_VERSION; version++) {
                if ((r = exec(s, "BEGIN IMMEDIATE")) < 0)
                        return r;
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
                if ((r = exec(s, migrations[version])) < 0 || (r = exec(s, sql)) < 0) {
                        exec(s, "ROLLBACK");
                        return r;
                }
                if ((r = exec(s, "COMMIT")) < 0)
                        return r;
                log_info("store: schema migrated to version %d", version + 1);
        }
        return 0;
}

int store_open(const char *path, struct store **ret)
{
        struct store *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        if (sqlite3_open_v2(path, &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                    SQLITE_OPEN_EXRESCODE,
                            NULL) != SQLITE_OK) {
                log_error("store: cannot open '%s': %s", path,
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
                store_close(s);
                return -EIO;
        }
        sqlite3_busy_timeout(s->db, 2000);
        /* WAL keeps readers and the writer apart and makes commits cheap; synchronous=FULL
         * makes a committed transaction survive power loss (TESTING.md, SQLite). */
        if ((r = exec(s, "PRAGMA journal_mode=WAL")) < 0 ||
            (r = exec(s, "PRAGMA synchronous=FULL")) < 0 ||
            (r = exec(s, "PRAGMA foreign_keys=ON")) < 0 || (r = migrate(s)) < 0) {
                store_close(s);
                return r;
        }
        for (int i = 0; i < S__MAX; i++) {
                if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                       &s->stmt[i], NULL) != SQLITE_OK) {
                        r = store_err(s, "preparing a statement");
                        store_close(s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

void store_close(struct store *s)
{
        if (!s)
                return;
        for (int i = 0; i < S__MAX; i++)
                sqlite3_finalize(s->stmt[i]);
        sqlite3_close(s->db);
        free(s);
}

int store_begin(struct store *s)
{
        return exec(s, "BEGIN IMMEDIATE");
}

/* SQLite takes the safety level only outside a transaction: it is set around it. */
static void end_relaxed(struct store *s)
{
        if (!s->in_relaxed)
                return;
        s->in_relaxed = false;
        if (exec(s, "PRAGMA synchronous=FULL") < 0)
                log_error("store: commits are no longer synced");
}

int store_begin_relaxed(struct store *s)
{
        int r;

        if ((r = exec(s, "PRAGMA synchronous=NORMAL")) < 0)
                return r;
        s->in_relaxed = true;
        if ((r = exec(s, "BEGIN IMMEDIATE")) < 0)
                end_relaxed(s);
        return r;
}

int store_commit(struct store *s)
{
        int r = exec(s, "COMMIT");

        /* A durable commit syncs the write-ahead log, and so every commit before it. */
        if (r == 0)
                s->relaxed = s->in_relaxed;
        if (sqlite3_get_autocommit(s->db))
                end_relaxed(s);
        return r;
}

int store_sync(struct store *s)
{
        int r;

        if (!s->relaxed)
                return 0;
        /* A checkpoint syncs the log before it copies it into the database. */
        if ((r = exec(s, "PRAGMA wal_checkpoint(PASSIVE)")) == 0)
                s->relaxed = false;
        return r;
}

void store_rollback(struct store *s)
{
        if (!sqlite3_get_autocommit(s->db))
                exec(s, "ROLLBACK");
        end_relaxed(s);
}

static int run(struct store *s, sqlite3_stmt *st, const char *what)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE)
                return store_err(s, what);
        return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
        if (v)
                sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, i);
}

int store_save_group(struct store *s, const struct group *g)
{
        sqlite3_stmt *st = s->stmt[S_SAVE_GROUP];
        char job[QM_GUID_STRING_SIZE];

        if (g->has_job)
                qm_guid_to_string(&g->job_id, job);
        bind_text(st, 1, g->id_str);
        sqlite3_bind_int64(st, 2, g->seq);
        sqlite3_bind_int64(st, 3, g->owner_uid);
        bind_text(st, 4, g->has_job ? job : NULL);
        sqlite3_bind_int(st, 5, (int)g->state);
        sqlite3_bind_int(st, 6, (int)g->priority);
        sqlite3_bind_int64(st, 7, g->notify_flags);
        bind_text(st, 8, g->notify_clsid);
        bind_text(st, 9, g->display_name);
        bind_text(st, 10, g->description);
        sqlite3_bind_int64(st, 11, g->err.hr);
        sqlite3_bind_int64(st, 12, g->err.context);
        sqlite3_bind_int64(st, 13, g->err.file_index);
        sqlite3_bind_int64(st, 14, g->err.win32);
        sqlite3_bind_int64(st, 15, g->err.transport);
        bind_text(st, 16, g->err.message);
        sqlite3_bind_int64(st, 17, g->retries);
        sqlite3_bind_int64(st, 18, g->min_retry_delay);
        sqlite3_bind_int64(st, 19, g->no_progress_timeout);
        sqlite3_bind_int64(st, 20, g->created);
        sqlite3_bind_int64(st, 21, g->modified);
        sqlite3_bind_int64(st, 22, g->completed);
        bind_text(st, 23, g->notify_program);
        bind_text(st, 24, g->notify_params);
        return run(s, st, "saving a group");
}

/* Binds file index of g to st (S_SAVE_FILE, or S_UPDATE_FILE, which leaves out ?3, ?4, ?6). */
static void bind_file(sqlite3_stmt *st, const struct group *g, uint32_t index, bool insert)
{
        const struct qfile *f = &g->files[index];

        bind_text(st, 1, g->id_str);
        sqlite3_bind_int64(st, 2, index);
        if (insert) {
                bind_text(st, 3, f->url);
                bind_text(st, 4, f->local);
                sqlite3_bind_int64(st, 6, f->umask);
        }
        bind_text(st, 5, f->temp);
        if (f->bytes_total == BG_SIZE_UNKNOWN)
                sqlite3_bind_null(st, 7);
        else
                sqlite3_bind_int64(st, 7, (sqlite3_int64)f->bytes_total);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)f->bytes_done);
        /* complete: 0 not yet, 1 transferred, 2 transferred and renamed over the local path
         * by a commit that failed for another file (kept so that a retry skips it), 3
         * transferred and a commit of it decided (store_mark_commit). */
        sqlite3_bind_int(st, 9, f->committed ? 2 : f->complete);
        bind_text(st, 10, f->etag);
        sqlite3_bind_int64(st, 11, f->last_modified);
}

int store_save_file(struct store *s, const struct group *g, uint32_t index)
{
        int r;

        bind_file(s->stmt[S_UPDATE_FILE], g, index, false);
        if ((r = run(s, s->stmt[S_UPDATE_FILE], "saving a file")) < 0 || sqlite3_changes(s->db) > 0)
                return r;
        /* Not there yet (unit tests save files one by one): the whole row. */
        bind_file(s->stmt[S_SAVE_FILE], g, index, true);
        return run(s, s->stmt[S_SAVE_FILE], "saving a file");
}

int store_save_files(struct store *s, const struct group *g, uint32_t first, uint32_t count)
{
        for (uint32_t i = first; i < first + count; i++) {
                int r;

                bind_file(s->stmt[S_SAVE_FILE], g, i, true);
                if ((r = run(s, s->stmt[S_SAVE_FILE], "saving a file")) < 0)
                        return r;
        }
        return 0;
}

int store_mark_commit(struct store *s, const struct group *g)
{
        sqlite3_stmt *st = s->stmt[S_MARK_COMMIT];

        sqlite3_bind_text(st, 1, g->id_str, -1, SQLITE_STATIC);
        return run(s, st, "marking a commit");
}

int store_delete_group(struct store *s, const struct group *g)
{
        int r;

        bind_text(s->stmt[S_DELETE_FILES], 1, g->id_str);
        r = run(s, s->stmt[S_DELETE_FILES], "deleting files");
        if (r < 0)
                return r;
        bind_text(s->stmt[S_DELETE_GROUP], 1, g->id_str);
        return run(s, s->stmt[S_DELETE_GROUP], "deleting a group");
}

static char *col_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);

        return t ? strdup((const char *)t) : NULL;
}

static int load_files(struct store *s, struct group *g)
{
        sqlite3_stmt *st = s->stmt[S_LOAD_FILES];
        int rc;

        bind_text(st, 1, g->id_str);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct qfile *f;
                uint32_t idx = (uint32_t)sqlite3_column_int64(st, 0);

                if (idx != g->n_files) {
                        log_error("store: group %s: file rows are not contiguous (index %u)",
                                  g->id_str, idx);
                        rc = SQLITE_CORRUPT;
                        break;
                }
                if (g->n_files == g->cap_files) {
                        uint32_t cap = g->cap_files ? g->cap_files * 2 : 8;
                        struct qfile *nf = realloc(g->files, cap * sizeof(*nf));

                        if (!nf) {
                                rc = SQLITE_NOMEM;
                                break;
                        }
                        g->files = nf;
                        g->cap_files = cap;
                }
                f = &g->files[g->n_files];
                memset(f, 0, sizeof(*f));
                f->url = col_text(st, 1);
                f->local = col_text(st, 2);
                f->temp = col_text(st, 3);
                f->umask = (uint32_t)sqlite3_column_int64(st, 4);
                f->bytes_total = sqlite3_column_type(st, 5) == SQLITE_NULL
                                         ? BG_SIZE_UNKNOWN
                                         : (uint64_t)sqlite3_column_int64(st, 5);
                f->bytes_done = (uint64_t)sqlite3_column_int64(st, 6);
                f->complete = sqlite3_column_int(st, 7) != 0;
                f->committed = sqlite3_column_int(st, 7) == 2;
                f->commit_decided = sqlite3_column_int(st, 7) == 3;
                f->etag = col_text(st, 8);
                f->last_modified = sqlite3_column_int64(st, 9);
                g->n_files++;
                if (!f->url || !f->local) {
                        rc = SQLITE_NOMEM;
                        break;
                }
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : store_err(s, "loading files");
}

int store_load(struct store *s, struct daemon *d, void (*cb)(struct daemon *, struct group *))
{
        sqlite3_stmt *st = s->stmt[S_LOAD_GROUPS];
        int rc, r = 0;

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *id = (const char *)sqlite3_column_text(st, 0);
                const char *job = (const char *)sqlite3_column_text(st, 3);
                qm_guid gid;
                struct group *g;

                if (!id || qm_guid_from_string(id, &gid) != QM_S_OK) {
                        log_error("store: skipping a group row with a bad id");
                        continue;
                }
                g = group_new(d, &gid, (uint32_t)sqlite3_column_int64(st, 2));
                if (!g) {
                        r = -ENOMEM;
                        break;
                }
                g->seq = sqlite3_column_int64(st, 1);
                g->has_job = job && qm_guid_from_string(job, &g->job_id) == QM_S_OK;
                g->state = (uint32_t)sqlite3_column_int(st, 4);
                g->priority = (uint32_t)sqlite3_column_int(st, 5);
                g->notify_flags = (uint32_t)sqlite3_column_int64(st, 6);
                g->notify_clsid = col_text(st, 7);
                free(g->display_name);
                g->display_name = col_text(st, 8);
                free(g->description);
                g->description = col_text(st, 9);
                g->err.hr = (qm_hresult)sqlite3_column_int64(st, 10);
                g->err.context = (uint32_t)sqlite3_column_int64(st, 11);
                g->err.file_index = (uint32_t)sqlite3_column_int64(st, 12);
                g->err.win32 = (uint32_t)sqlite3_column_int64(st, 13);
                g->err.transport = (uint32_t)sqlite3_column_int64(st, 14);
                g->err.message = col_text(st, 15);
                g->retries = (uint32_t)sqlite3_column_int64(st, 16);
                g->min_retry_delay = (uint32_t)sqlite3_column_int64(st, 17);
                g->no_progress_timeout = (uint32_t)sqlite3_column_int64(st, 18);
                g->created = sqlite3_column_int64(st, 19);
                g->modified = sqlite3_column_int64(st, 20);
                g->completed = sqlite3_column_int64(st, 21);
                g->notify_program = col_text(st, 22);
                g->notify_params = col_text(st, 23);
                if (!g->display_name || !g->description || load_files(s, g) < 0) {
                        group_free(g);
                        r = -EIO;
                        break;
                }
                cb(d, g);
        }
        sqlite3_reset(st);
        if (r == 0 && rc != SQLITE_DONE)
                r = store_err(s, "loading groups");
        return r;
}

int64_t store_max_seq(struct store *s)
{
        sqlite3_stmt *st;
        int64_t v = 0;

        if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(seq), 0) FROM groups", -1, &st, NULL) !=
            SQLITE_OK)
                return 0;
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

int store_save_event(struct store *s, const char *group_id, struct notify_event *ev)
{
        sqlite3_stmt *st = s->stmt[S_SAVE_EVENT];
        int r;

        bind_text(st, 1, group_id);
        sqlite3_bind_int64(st, 2, ev->status);
        sqlite3_bind_int64(st, 3, ev->file_index);
        sqlite3_bind_int64(st, 4, ev->retries);
        sqlite3_bind_int64(st, 5, ev->hr);
        sqlite3_bind_int64(st, 6, ev->win32);
        sqlite3_bind_int64(st, 7, ev->transport);
        sqlite3_bind_int64(st, 8, now_unix());
        r = run(s, st, "saving an event");
        if (r == 0)
                ev->id = sqlite3_last_insert_rowid(s->db);
        return r;
}

int store_delete_event(struct store *s, int64_t id)
{
        sqlite3_bind_int64(s->stmt[S_DELETE_EVENT], 1, id);
        return run(s, s->stmt[S_DELETE_EVENT], "deleting an event");
}

int store_load_events(struct store *s, void (*cb)(void *ud, struct notify_event *ev), void *ud)
{
        sqlite3_stmt *st = s->stmt[S_LOAD_EVENTS];
        int rc;

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *gid = (const char *)sqlite3_column_text(st, 1);
                struct notify_event *ev = calloc(1, sizeof(*ev));

                if (!ev) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                if (!gid || qm_guid_from_string(gid, &ev->group_id) != QM_S_OK) {
                        free(ev);
                        continue;
                }
                ev->id = sqlite3_column_int64(st, 0);
                ev->status = (uint32_t)sqlite3_column_int64(st, 2);
                ev->file_index = (uint32_t)sqlite3_column_int64(st, 3);
                ev->retries = (uint32_t)sqlite3_column_int64(st, 4);
                ev->hr = (qm_hresult)sqlite3_column_int64(st, 5);
                ev->win32 = (uint32_t)sqlite3_column_int64(st, 6);
                ev->transport = (uint32_t)sqlite3_column_int64(st, 7);
                cb(ud, ev);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_err(s, "loading events");
}
