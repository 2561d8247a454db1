/* test-store.c - the persistent queue (src/daemon/store.c) on an in-memory database, and on a
 * file for the schema-version checks. */
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon-fixture.h"

static void add_file(struct group *g, const char *url, const char *local)
{
        struct qfile *f;

        g->files = realloc(g->files, (g->n_files + 1) * sizeof(*g->files));
        f = &g->files[g->n_files++];
        g->cap_files = g->n_files;
        memset(f, 0, sizeof(*f));
        f->url = strdup(url);
        f->local = strdup(local);
        f->umask = 022;
        f->bytes_total = BG_SIZE_UNKNOWN;
        f->last_modified = -1;
}

static struct group *loaded;
static void collect(struct daemon *d, struct group *g)
{
        (void)d;
        group_link(d, g);
        loaded = g;
}

TEST(group_and_files_round_trip)
{
        struct daemon *d = fixture_new(":memory:");
        qm_guid id, job;
        struct group *g, *l;

        qm_guid_generate(&id);
        qm_guid_generate(&job);
        g = group_new(d, &id, 4321);
        g->seq = 7;
        g->has_job = true;
        g->job_id = job;
        g->priority = BG_JOB_PRIORITY_FOREGROUND;
        g->notify_flags = QM_NOTIFY_GROUP_DONE;
        free(g->display_name);
        g->display_name = strdup("naïve 'quoted' \"name\"; DROP TABLE groups;--");
        group_set_error(g, BG_E_HTTP_ERROR_404, BG_ERROR_CONTEXT_REMOTE_FILE, 1, 2, 404, "gone");
        g->retries = 3;
        add_file(g, "http://127.0.0.1/a", "/tmp/a");
        add_file(g, "https://127.0.0.1/b?x=1", "/tmp/b");
        g->files[1].bytes_total = 12345;
        g->files[1].bytes_done = 12345;
        g->files[1].complete = true;
        g->files[1].temp = strdup("/tmp/.b.0001.qmgr-part");
        g->files[1].etag = strdup("\"abc\"");
        g->files[1].last_modified = 1700000000;
        ASSERT_EQ_INT(0, store_begin(d->store));
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        ASSERT_EQ_INT(0, store_save_files(d->store, g, 0, g->n_files));
        ASSERT_EQ_INT(0, store_commit(d->store));

        ASSERT_EQ_INT(0, store_load(d->store, d, collect));
        l = loaded;
        ASSERT_TRUE(l != NULL && l != g);
        ASSERT_TRUE(qm_guid_equal(&l->id, &id));
        ASSERT_TRUE(l->has_job && qm_guid_equal(&l->job_id, &job));
        ASSERT_EQ_INT(7, l->seq);
        ASSERT_EQ_INT(4321, l->owner_uid);
        ASSERT_EQ_INT(BG_JOB_STATE_SUSPENDED, l->state);
        ASSERT_EQ_INT(BG_JOB_PRIORITY_FOREGROUND, l->priority);
        ASSERT_EQ_INT(QM_NOTIFY_GROUP_DONE, l->notify_flags);
        ASSERT_EQ_STR(g->display_name, l->display_name);
        ASSERT_EQ_INT(BG_E_HTTP_ERROR_404, l->err.hr);
        ASSERT_EQ_INT(404, l->err.transport);
        ASSERT_EQ_STR("gone", l->err.message);
        ASSERT_EQ_INT(3, l->retries);
        ASSERT_EQ_INT(2, l->n_files);
        ASSERT_EQ_STR("http://127.0.0.1/a", l->files[0].url);
        ASSERT_EQ_U64(BG_SIZE_UNKNOWN, l->files[0].bytes_total);
        ASSERT_TRUE(l->files[0].temp == NULL);
        ASSERT_EQ_INT(022, l->files[0].umask);
        ASSERT_EQ_STR("/tmp/b", l->files[1].local);
        ASSERT_EQ_U64(12345, l->files[1].bytes_total);
        ASSERT_TRUE(l->files[1].complete);
        ASSERT_EQ_STR("/tmp/.b.0001.qmgr-part", l->files[1].temp);
        ASSERT_EQ_STR("\"abc\"", l->files[1].etag);
        ASSERT_EQ_INT(1700000000, l->files[1].last_modified);
        ASSERT_EQ_INT(7, store_max_seq(d->store));
        group_free(g);
        fixture_free(d);
}

TEST(saving_a_group_keeps_its_files)
{
        struct daemon *d = fixture_new(":memory:");
        qm_guid id;
        struct group *g;

        qm_guid_generate(&id);
        g = group_new(d, &id, 1);
        add_file(g, "http://127.0.0.1/a", "/tmp/a");
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        ASSERT_EQ_INT(0, store_save_files(d->store, g, 0, 1));
        g->state = BG_JOB_STATE_QUEUED;
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        loaded = NULL;
        ASSERT_EQ_INT(0, store_load(d->store, d, collect));
        ASSERT_TRUE(loaded != NULL);
        ASSERT_EQ_INT(1, loaded->n_files);
        ASSERT_EQ_INT(BG_JOB_STATE_QUEUED, loaded->state);
        group_free(g);
        fixture_free(d);
}

TEST(delete_removes_group_and_files)
{
        struct daemon *d = fixture_new(":memory:");
        qm_guid id;
        struct group *g;

        qm_guid_generate(&id);
        g = group_new(d, &id, 1);
        add_file(g, "http://127.0.0.1/a", "/tmp/a");
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        ASSERT_EQ_INT(0, store_save_files(d->store, g, 0, 1));
        ASSERT_EQ_INT(0, store_delete_group(d->store, g));
        loaded = NULL;
        ASSERT_EQ_INT(0, store_load(d->store, d, collect));
        ASSERT_TRUE(loaded == NULL);
        group_free(g);
        fixture_free(d);
}

TEST(rollback_leaves_nothing)
{
        struct daemon *d = fixture_new(":memory:");
        qm_guid id;
        struct group *g;

        qm_guid_generate(&id);
        g = group_new(d, &id, 1);
        ASSERT_EQ_INT(0, store_begin(d->store));
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        store_rollback(d->store);
        loaded = NULL;
        ASSERT_EQ_INT(0, store_load(d->store, d, collect));
        ASSERT_TRUE(loaded == NULL);
        group_free(g);
        fixture_free(d);
}

static char *temp_db(void)
{
        static char path[] = "/tmp/qmgr-test-store-XXXXXX";
        int fd = mkstemp(path);

        ASSERT_TRUE(fd >= 0);
        close(fd);
        unlink(path);
        return path;
}

TEST(schema_versioned_and_wal)
{
        char *path = temp_db();
        struct store *s;
        sqlite3 *db;
        sqlite3_stmt *st;

        log_set_level(LOG_ERR);
        ASSERT_EQ_INT(0, store_open(path, &s));
        store_close(s);
        ASSERT_EQ_INT(SQLITE_OK, sqlite3_open(path, &db));
        ASSERT_EQ_INT(SQLITE_OK, sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL));
        ASSERT_EQ_INT(SQLITE_ROW, sqlite3_step(st));
        ASSERT_EQ_INT(3, sqlite3_column_int(st, 0));
        sqlite3_finalize(st);
        ASSERT_EQ_INT(SQLITE_OK, sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL));
        ASSERT_EQ_INT(SQLITE_ROW, sqlite3_step(st));
        ASSERT_EQ_STR("wal", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        /* A database from a newer qmgrd is refused, not downgraded. */
        ASSERT_EQ_INT(SQLITE_OK, sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL));
        sqlite3_close(db);
        ASSERT_TRUE(store_open(path, &s) < 0);
        unlink(path);
}

TEST(reopen_keeps_data)
{
        char *path = temp_db();
        struct daemon *d = fixture_new(path);
        qm_guid id;
        struct group *g;

        qm_guid_generate(&id);
        g = group_new(d, &id, 1);
        g->seq = 1;
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        store_close(d->store);
        ASSERT_EQ_INT(0, store_open(path, &d->store));
        loaded = NULL;
        ASSERT_EQ_INT(0, store_load(d->store, d, collect));
        ASSERT_TRUE(loaded && qm_guid_equal(&loaded->id, &id));
        group_free(g);
        fixture_free(d);
        unlink(path);
}

static struct notify_event *events_seen[8];
static int n_events_seen;
static void collect_event(void *ud, struct notify_event *ev)
{
        (void)ud;
        ASSERT_TRUE(n_events_seen < 8);
        events_seen[n_events_seen++] = ev;
}

TEST(events_persist_and_cascade_with_their_group)
{
        struct daemon *d = fixture_new(":memory:");
        struct group *g = fixture_group(d);
        struct notify_event ev = {.group_id = g->id,
                                  .status = 0x300,
                                  .file_index = 2,
                                  .retries = 1,
                                  .hr = BG_E_HTTP_ERROR_404,
                                  .win32 = 2,
                                  .transport = 404};
        struct notify_event ev2 = ev;

        ASSERT_EQ_INT(0, store_save_event(d->store, g->id_str, &ev));
        ASSERT_EQ_INT(0, store_save_event(d->store, g->id_str, &ev2));
        ASSERT_TRUE(ev.id > 0 && ev2.id > ev.id);
        n_events_seen = 0;
        ASSERT_EQ_INT(0, store_load_events(d->store, collect_event, NULL));
        ASSERT_EQ_INT(2, n_events_seen);
        ASSERT_TRUE(qm_guid_equal(&events_seen[0]->group_id, &g->id));
        ASSERT_EQ_INT(0x300, events_seen[0]->status);
        ASSERT_EQ_INT(2, events_seen[0]->file_index);
        ASSERT_EQ_INT(BG_E_HTTP_ERROR_404, events_seen[0]->hr);
        ASSERT_EQ_INT(404, events_seen[0]->transport);
        free(events_seen[0]);
        free(events_seen[1]);
        /* Acknowledged: gone. */
        ASSERT_EQ_INT(0, store_delete_event(d->store, ev.id));
        n_events_seen = 0;
        ASSERT_EQ_INT(0, store_load_events(d->store, collect_event, NULL));
        ASSERT_EQ_INT(1, n_events_seen);
        free(events_seen[0]);
        /* A removed group takes its pending events with it. */
        ASSERT_EQ_INT(0, store_delete_group(d->store, g));
        n_events_seen = 0;
        ASSERT_EQ_INT(0, store_load_events(d->store, collect_event, NULL));
        ASSERT_EQ_INT(0, n_events_seen);
        fixture_free(d);
}
