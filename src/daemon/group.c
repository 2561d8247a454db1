/* group.c - the group model: one group, its one job and its files, the life cycle of the
 * modern job under each group, and the legacy status bits derived from it (QMGR.md §2.1, §5).
 *
 * group_set_state() is the only writer of g->state; every transition is checked against one
 * table, logged and persisted before the caller answers its client. Commit and abort (the
 * only operations that touch the destination directory's final names) live here too. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qmgrd.h"

#define NSTATES (BG_JOB_STATE_CANCELLED + 1)

/* Allowed transitions [from][to]. ACKNOWLEDGED and CANCELLED are never stored: the group is
 * deleted instead (group_commit(), group_abort()). */
#define LIVE_TO                                                                                    \
        [BG_JOB_STATE_QUEUED] = true, [BG_JOB_STATE_CONNECTING] = true,                            \
        [BG_JOB_STATE_TRANSFERRING] = true, [BG_JOB_STATE_SUSPENDED] = true,                       \
        [BG_JOB_STATE_ERROR] = true, [BG_JOB_STATE_TRANSIENT_ERROR] = true,                        \
        [BG_JOB_STATE_TRANSFERRED] = true
static const bool allowed[NSTATES][NSTATES] = {
        [BG_JOB_STATE_QUEUED] = {LIVE_TO},
        [BG_JOB_STATE_CONNECTING] = {LIVE_TO},
        [BG_JOB_STATE_TRANSFERRING] = {LIVE_TO},
        [BG_JOB_STATE_TRANSIENT_ERROR] = {LIVE_TO},
        /* A suspended or failed group only leaves by ResumeGroup (to QUEUED), or by finding
         * on resume that every file is already there (to TRANSFERRED). */
        [BG_JOB_STATE_SUSPENDED] =
                {[BG_JOB_STATE_QUEUED] = true, [BG_JOB_STATE_TRANSFERRED] = true},
        [BG_JOB_STATE_ERROR] = {[BG_JOB_STATE_QUEUED] = true, [BG_JOB_STATE_TRANSFERRED] = true},
        [BG_JOB_STATE_TRANSFERRED] = {[0] = false},
};
#undef LIVE_TO

static const char *const state_names[NSTATES] = {
        "QUEUED",          "CONNECTING",  "TRANSFERRING", "SUSPENDED", "ERROR",
        "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
};

const char *job_state_name(uint32_t state)
{
        return state < NSTATES ? state_names[state] : "UNKNOWN";
}

bool job_state_is_active(uint32_t state)
{
        return state == BG_JOB_STATE_QUEUED || state == BG_JOB_STATE_CONNECTING ||
               state == BG_JOB_STATE_TRANSFERRING || state == BG_JOB_STATE_TRANSIENT_ERROR;
}

int64_t now_unix(void)
{
        return (int64_t)time(NULL);
}

char *xstrdup(const char *s)
{
        return s ? strdup(s) : NULL;
}

uint32_t group_status(const struct group *g)
{
        uint32_t s;

        switch (g->state) {
        case BG_JOB_STATE_ERROR:
                s = QM_STATUS_GROUP_ERROR | QM_STATUS_GROUP_SUSPENDED;
                break;
        case BG_JOB_STATE_TRANSFERRED:
                s = QM_STATUS_GROUP_COMPLETE | QM_STATUS_GROUP_SUSPENDED;
                break;
        case BG_JOB_STATE_SUSPENDED:
                s = QM_STATUS_GROUP_INCOMPLETE | QM_STATUS_GROUP_SUSPENDED;
                break;
        default: /* queued, connecting, transferring, waiting to retry */
                s = QM_STATUS_GROUP_INCOMPLETE;
                break;
        }
        if (g->priority == BG_JOB_PRIORITY_FOREGROUND)
                s |= QM_STATUS_GROUP_FOREGROUND;
        return s;
}

uint32_t group_job1_status(const struct group *g)
{
        if (g->state == BG_JOB_STATE_TRANSFERRED)
                return QM_STATUS_JOB_COMPLETE;
        if (g->state == BG_JOB_STATE_ERROR)
                return QM_STATUS_JOB_ERROR;
        return QM_STATUS_JOB_INCOMPLETE;
}

static void group_persist(struct group *g)
{
        if (store_save_group(g->d->store, g) < 0)
                log_error("group %s: the change could not be saved; it is lost on restart",
                          g->id_str);
}

int group_set_state(struct group *g, uint32_t to)
{
        uint32_t from = g->state;

        if (to >= NSTATES || from >= NSTATES)
                return -EINVAL;
        if (from == to)
                return 0;
        if (!allowed[from][to])
                return -EINVAL;
        log_debug("group %s: %s -> %s", g->id_str, state_names[from], state_names[to]);
        g->state = to;
        g->modified = now_unix();
        if (to == BG_JOB_STATE_TRANSFERRED) {
                g->completed = g->modified;
                log_info("group %s: every file transferred", g->id_str);
        }
        if (to == BG_JOB_STATE_ERROR)
                log_warn("group %s: failed: 0x%08x %s: %s", g->id_str, (uint32_t)g->err.hr,
                         qm_hresult_name(g->err.hr),
                         g->err.message ? g->err.message : qm_strerror(g->err.hr));
        /* Transient states are not worth a disk write each: a restart makes them QUEUED. */
        if (to != BG_JOB_STATE_CONNECTING && to != BG_JOB_STATE_TRANSFERRING)
                group_persist(g);
        notify_group_state(g, from, to);
        return 0;
}

struct group *group_new(struct daemon *d, const qm_guid *id, uint32_t owner_uid)
{
        struct group *g = calloc(1, sizeof(*g));

        if (!g)
                return NULL;
        g->d = d;
        g->id = *id;
        qm_guid_to_string(id, g->id_str);
        g->owner_uid = owner_uid;
        g->state = BG_JOB_STATE_SUSPENDED;
        g->priority = BG_JOB_PRIORITY_NORMAL;
        g->display_name = strdup("");
        g->description = strdup("");
        g->err.file_index = QM_NO_FILE_INDEX;
        g->created = g->modified = now_unix();
        if (!g->display_name || !g->description) {
                group_free(g);
                return NULL;
        }
        return g;
}

static void qfile_clear(struct qfile *f)
{
        free(f->url);
        free(f->local);
        free(f->temp);
        free(f->etag);
}

void group_free(struct group *g)
{
        if (!g)
                return;
        for (uint32_t i = 0; i < g->n_files; i++)
                qfile_clear(&g->files[i]);
        free(g->files);
        free(g->notify_clsid);
        free(g->display_name);
        free(g->description);
        free(g->err.message);
        free(g->notify_program);
        free(g->notify_params);
        free(g);
}

void group_link(struct daemon *d, struct group *g)
{
        g->prev = d->groups_tail;
        g->next = NULL;
        if (d->groups_tail)
                d->groups_tail->next = g;
        else
                d->groups_head = g;
        d->groups_tail = g;
        d->n_groups++;
}

void group_unlink(struct daemon *d, struct group *g)
{
        if (g->prev)
                g->prev->next = g->next;
        else
                d->groups_head = g->next;
        if (g->next)
                g->next->prev = g->prev;
        else
                d->groups_tail = g->prev;
        g->prev = g->next = NULL;
        d->n_groups--;
}

struct group *group_find(struct daemon *d, const qm_guid *id, uid_t uid)
{
        for (struct group *g = d->groups_head; g; g = g->next)
                if (qm_guid_equal(&g->id, id))
                        return (uid == 0 || g->owner_uid == uid) ? g : NULL;
        return NULL;
}

uint32_t group_count_for(struct daemon *d, uid_t uid)
{
        uint32_t n = 0;

        for (struct group *g = d->groups_head; g; g = g->next)
                if (g->owner_uid == uid)
                        n++;
        return n;
}

void group_totals(const struct group *g, uint64_t *ret_done, uint64_t *ret_total,
                  uint32_t *ret_files_done)
{
        uint64_t done = 0, total = 0;
        uint32_t files_done = 0;
        bool known = true;

        for (uint32_t i = 0; i < g->n_files; i++) {
                const struct qfile *f = &g->files[i];

                done += f->bytes_done;
                if (f->bytes_total == BG_SIZE_UNKNOWN)
                        known = false;
                else
                        total += f->bytes_total;
                if (f->complete)
                        files_done++;
        }
        if (ret_done)
                *ret_done = done;
        if (ret_total)
                *ret_total = known ? total : BG_SIZE_UNKNOWN;
        if (ret_files_done)
                *ret_files_done = files_done;
}

uint32_t group_min_retry_delay(const struct group *g)
{
        return g->min_retry_delay ? g->min_retry_delay : g->d->cfg.min_retry_delay;
}

uint32_t group_no_progress_timeout(const struct group *g)
{
        return g->no_progress_timeout ? g->no_progress_timeout : g->d->cfg.no_progress_timeout;
}

void group_set_error(struct group *g, qm_hresult hr, uint32_t context, uint32_t file_index,
                     uint32_t win32, uint32_t transport, const char *message)
{
        free(g->err.message);
        g->err.hr = hr;
        g->err.context = context;
        g->err.file_index = file_index;
        g->err.win32 = win32;
        g->err.transport = transport;
        g->err.message = xstrdup(message);
}

void group_clear_error(struct group *g)
{
        group_set_error(g, QM_S_OK, BG_ERROR_CONTEXT_NONE, QM_NO_FILE_INDEX, 0, 0, NULL);
}

/* ---- the transfer engine reports here ------------------------------------------------ */

/* A failure to reach the server while no network is there (and the server is not this
 * machine) is the lost network's, not the server's. */
static bool lost_network(struct group *g, uint32_t index)
{
        qm_hresult hr = g->err.hr;

        if (hr != QM_E_WIN32_INTERNET_CANNOT_CONNECT &&
            hr != QM_E_WIN32_INTERNET_NAME_NOT_RESOLVED && hr != QM_E_WIN32_INTERNET_TIMEOUT &&
            hr != QM_E_WIN32_INTERNET_CONNECTION_RESET)
                return false;
        return !netmon_is_up(g->d->netmon) && !netmon_url_is_local(g->files[index].url);
}

void group_transfer_failed(struct group *g, uint32_t index, bool transient, uint32_t retry_after)
{
        uint64_t now = uv_now(g->d->loop);

        if (transient && lost_network(g, index)) {
                /* Waited out, not retried: no retry is counted and the no-progress clock
                 * starts again when the network is back (netmon.c wakes the group). */
                log_info("group %s: file %u: the network is down; waiting for it", g->id_str,
                         index);
                g->err.hr = BG_E_NETWORK_DISCONNECTED;
                g->waiting_network = true;
                g->stalled_since = 0;
                g->retry_at = now + 300 * 1000; /* a fallback, should a change go unseen */
                group_set_state(g, BG_JOB_STATE_TRANSIENT_ERROR);
                sched_kick(g->d);
                return;
        }
        if (transient) {
                uint32_t delay = group_min_retry_delay(g);
                uint64_t limit = (uint64_t)group_no_progress_timeout(g) * 1000;

                if (!g->stalled_since)
                        g->stalled_since = now;
                if (now - g->stalled_since >= limit) {
                        /* The no-progress timeout turns the transient error fatal (§4.4). */
                        log_warn("group %s: no progress for %u s, giving up", g->id_str,
                                 group_no_progress_timeout(g));
                        transient = false;
                } else {
                        if (retry_after > delay)
                                delay = retry_after > 86400 ? 86400 : retry_after;
                        g->retries++;
                        g->retry_at = now + (uint64_t)delay * 1000;
                        log_info("group %s: file %u: 0x%08x %s, will retry in %u s", g->id_str,
                                 index, (uint32_t)g->err.hr, qm_hresult_name(g->err.hr), delay);
                        group_set_state(g, BG_JOB_STATE_TRANSIENT_ERROR);
                }
        }
        if (!transient)
                group_set_state(g, BG_JOB_STATE_ERROR);
        sched_kick(g->d);
}

/* ---- commit and abort ---------------------------------------------------------------- */

/* The length of the directory part of an absolute path ("/a/b/c" -> 4, "/c" -> 0). */
static size_t dir_len(const char *path)
{
        return (size_t)(strrchr(path, '/') - path);
}

static bool same_dir(const char *a, const char *b)
{
        return dir_len(a) == dir_len(b) && memcmp(a, b, dir_len(a)) == 0;
}

/* Whether a commit of g was decided and a stop interrupted it (files saved as decided). */
static bool commit_decided(const struct group *g)
{
        for (uint32_t i = 0; i < g->n_files; i++)
                if (g->files[i].commit_decided)
                        return true;
        return false;
}

/* Opening f's temporary name failed with err. In a recovery (a decided commit a stop
 * interrupted) a name that is gone was renamed already: only the service creates that name
 * (or someone removed it since: nothing is left to commit either way). That counts as
 * committed (0), said loudly when the local path does not hold what the rename left there: a
 * plain, single-linked file of ours with f's size and, when the server gave one, its mtime.
 * Any other failure is -err. */
static int temp_missing(int err, bool recovery, const char *group_id, const struct qfile *f, int at,
                        const char *local)
{
        struct stat st;

        if (err != ENOENT || !recovery)
                return -err;
        if (fstatat(at, local, &st, AT_SYMLINK_NOFOLLOW) < 0 || !xfer_temp_is_ours(&st) ||
            (uint64_t)st.st_size != f->bytes_total ||
            (f->last_modified >= 0 && st.st_mtime != f->last_modified))
                log_warn("group %s: '%s' was committed before the stop, and has changed since",
                         group_id, f->local);
        return 0;
}

/* Makes a temporary file the real file: mode from the client's umask, mtime from the
 * server's Last-Modified (unless the sync batch set them: f->finalized), then rename over
 * the local path. The data was synced when the file
 * completed; the directory is synced by the caller once per directory. dirfd, when >= 0, is
 * the directory of f->local (the temporary file is beside it): the names are then resolved
 * from it, without walking the whole path for each call. */
static int commit_file(const char *group_id, struct qfile *f, int dirfd, bool recovery)
{
        bool rel = dirfd >= 0 && same_dir(f->temp, f->local);
        int at = rel ? dirfd : AT_FDCWD;
        const char *temp = rel ? f->temp + dir_len(f->temp) + 1 : f->temp;
        const char *local = rel ? f->local + dir_len(f->local) + 1 : f->local;
        struct stat st;
        int fd, r = 0;

        if (f->finalized) {
                /* The sync batch set mode and mtime through its descriptor (xfer.c): the
                 * name must still hold a file of ours, never a link someone put there. */
                if (fstatat(at, temp, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return temp_missing(errno, recovery, group_id, f, at, local);
                if (!xfer_temp_is_ours(&st))
                        return -ELOOP;
                return renameat(at, temp, at, local) < 0 ? -errno : 0;
        }
        /* O_NONBLOCK: a FIFO put at the name must not block the loop; whatever is there
         * must be the plain file of ours that was synced, never a link or a FIFO. */
        fd = openat(at, temp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return temp_missing(errno, recovery, group_id, f, at, local);
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!xfer_temp_is_ours(&st))
                r = -ELOOP;
        if (r == 0 && fchmod(fd, 0666 & ~(mode_t)f->umask) < 0)
                r = -errno;
        if (r == 0 && f->last_modified >= 0) {
                struct timespec ts[2] = {{0, UTIME_OMIT}, {f->last_modified, 0}};

                if (futimens(fd, ts) < 0)
                        r = -errno;
        }
        close(fd);
        if (r == 0 && renameat(at, temp, at, local) < 0)
                r = -errno;
        return r;
}

/* Opens the directory of an absolute path (-1 on failure: the caller falls back to paths). */
static int open_dir_of(const char *path)
{
        char buf[PATH_MAX];
        size_t n = dir_len(path);

        if (n >= sizeof(buf))
                return -1;
        memcpy(buf, path, n);
        buf[n] = '\0';
        return open(n ? buf : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void sync_dir_of(const char *path)
{
        char buf[PATH_MAX];
        int fd;

        snprintf(buf, sizeof(buf), "%s", path);
        fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                fsync(fd);
                close(fd);
        }
}

static void group_remove(struct group *g, bool committed, const char *why)
{
        struct daemon *d = g->d;

        notify_group_removed(g, committed);
        notify_cmd_detach(g, false);
        if (store_delete_group(d->store, g) < 0)
                log_error("group %s: could not be deleted from the store", g->id_str);
        log_info("group %s: %s", g->id_str, why);
        group_unlink(d, g);
        group_free(g);
        sched_kick(d);
}

qm_hresult group_commit(struct group *g)
{
        const char *dir = NULL; /* a file of the directory of dirfd */
        int dirfd = -1;
        bool renamed = false; /* something was renamed in dir since its last sync */
        bool partial = false, recovery = commit_decided(g);
        int first_err = 0;

        xfer_settle(g);
        xfer_detach(g);
        /* The decision is saved before the first rename: a service stopped in the middle
         * finishes the commit when it starts again (group_finish_commits), and the files it
         * renamed already are recognised then (temp_missing). */
        if (!recovery) {
                struct store *st = g->d->store;
                bool saved = store_begin(st) == 0;

                if (saved && (store_mark_commit(st, g) < 0 || store_commit(st) < 0)) {
                        store_rollback(st);
                        saved = false;
                }
                if (!saved) { /* a stop in the middle could not be finished: not started */
                        log_error("group %s: the commit could not be recorded; not started",
                                  g->id_str);
                        return QM_E_FAIL;
                }
        }
        for (uint32_t i = 0; i < g->n_files; i++) {
                struct qfile *f = &g->files[i];
                int r;

                if (!f->complete || f->committed)
                        continue;
                /* One directory descriptor, and one directory sync, per run of files in the
                 * same directory. */
                if (!dir || !same_dir(dir, f->local)) {
                        if (dirfd >= 0) {
                                if (renamed)
                                        fsync(dirfd);
                                close(dirfd);
                        } else if (renamed) {
                                sync_dir_of(dir);
                        }
                        dir = f->local;
                        dirfd = open_dir_of(dir);
                        renamed = false;
                }
                r = commit_file(g->id_str, f, dirfd, recovery);
                if (r < 0) {
                        log_error("group %s: cannot commit '%s': %s", g->id_str, f->local,
                                  strerror(-r));
                        if (!first_err)
                                first_err = r;
                        continue;
                }
                f->committed = true;
                renamed = true;
        }
        if (dirfd >= 0) {
                if (renamed)
                        fsync(dirfd);
                close(dirfd);
        } else if (renamed) {
                sync_dir_of(dir);
        }
        if (first_err) {
                /* BITS keeps the job so the application can fix the cause and commit again;
                 * what was renamed already is saved as such, so that the retry, even after
                 * a restart, skips it. */
                struct store *st = g->d->store;
                struct xfer_verdict v;

                if (store_begin(st) == 0) {
                        /* The decision is taken back: the renamed files are saved as such (2),
                         * the others as transferred (1), for the application's retry. */
                        for (uint32_t i = 0; i < g->n_files; i++) {
                                if (!g->files[i].complete)
                                        continue;
                                g->files[i].commit_decided = false;
                                store_save_file(st, g, i);
                        }
                        if (store_commit(st) < 0)
                                store_rollback(st);
                }

                xfer_classify_errno(-first_err, &v);
                return v.hr;
        }
        for (uint32_t i = 0; i < g->n_files; i++) {
                struct qfile *f = &g->files[i];

                if (f->committed)
                        continue;
                partial = true;
                if (f->temp && unlink(f->temp) < 0 && errno != ENOENT)
                        log_warn("group %s: cannot delete '%s': %s, ignoring", g->id_str, f->temp,
                                 strerror(errno));
        }
        group_remove(g, true, partial ? "committed (partially)" : "committed");
        return partial ? BG_S_PARTIAL_COMPLETE : QM_S_OK;
}

void group_finish_commits(struct daemon *d)
{
        struct group *next;

        for (struct group *g = d->groups_head; g; g = next) {
                qm_hresult hr;

                next = g->next; /* g goes once committed */
                if (!commit_decided(g))
                        continue;
                log_info("group %s: finishing the commit the service's stop interrupted",
                         g->id_str);
                hr = group_commit(g);
                if (QM_FAILED(hr))
                        log_warn("group %s: the commit failed (0x%08x %s); the group stays for "
                                 "the application to complete again",
                                 g->id_str, (uint32_t)hr, qm_hresult_name(hr));
        }
}

qm_hresult group_abort(struct group *g)
{
        bool undeleted = false;

        xfer_detach(g);
        for (uint32_t i = 0; i < g->n_files; i++) {
                struct qfile *f = &g->files[i];

                if (f->temp && !f->committed && unlink(f->temp) < 0 && errno != ENOENT) {
                        log_warn("group %s: cannot delete '%s': %s", g->id_str, f->temp,
                                 strerror(errno));
                        undeleted = true;
                }
        }
        group_remove(g, false, "cancelled");
        return undeleted ? BG_S_UNABLE_TO_DELETE_FILES : QM_S_OK;
}
