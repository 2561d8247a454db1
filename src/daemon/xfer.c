/* xfer.c - the transfer engine: libcurl's multi interface driven by the libuv loop (curl's
 * sockets become uv_poll handles, its timer a uv_timer), one easy handle per active file.
 *
 * The engine owns the temporary file of the file it transfers while it transfers it: it
 * creates it (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) beside the destination, resumes from the
 * bytes really on disk, checks every response before a byte of it is written (status,
 * Content-Range, size), never writes past the known size, and syncs the data before it
 * reports the file complete. It reports outcomes to the group model (group.c) and never
 * changes a group's state itself except CONNECTING -> TRANSFERRING. */
/* sync_file_range and syncfs need _GNU_SOURCE (set by meson). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dio.h"
#include "qmgrd.h"

/* Files whose bytes are all here wait in a queue for their data to be synced; one thread-pool
 * job at a time syncs a whole batch (fdatasync for one file, one syncfs per file system for
 * more), so files completing close together share one disk flush, and their completions are
 * saved in one transaction, in order. */
struct sync_batch {
        uv_work_t work;
        struct xfer_engine *xe;
        struct xfer **x;
        uint32_t n;
};

/* A checkpoint: the moving files' offsets captured, then their data synced in the pool. */
struct ckpt_item {
        int fd; /* a dup: the transfer may end while the job runs */
        qm_guid group;
        uint32_t index, trunc_gen;
        uint64_t offset;
        int err;
};
struct ckpt_job {
        uv_work_t work;
        struct xfer_engine *xe;
        struct ckpt_item *items;
        uint32_t n;
};

struct xfer_engine {
        struct daemon *d; /* borrowed */
        CURLM *multi;
        uv_timer_t timer;
        uint32_t active;                    /* moving transfers (a slot each) */
        struct xfer *sync_head, *sync_tail; /* waiting for the next batch */
        uint32_t n_sync;                    /* waiting plus being synced */
        uint32_t n_wait;                    /* waiting */
        uint64_t wait_bytes;                /* of the files waiting */
        uint64_t wait_since;                /* loop ms when the oldest began to wait */
        bool sync_urgent;                   /* a group waits for the next batch */
        uv_timer_t sync_timer;              /* starts a batch SYNC_DELAY_MS after the first */
        struct sync_batch *batch;           /* the batch being synced, or NULL */
        bool ckpt_running;
        uint64_t ckpt_bytes; /* received since the last checkpoint started */
        uint32_t jobs;       /* thread-pool jobs in flight */
        bool closed;         /* freed by its owner: really freed when the jobs are done */
        bool in_tx;
};

/* Files whose bytes are all here are synced in batches (one syncfs each): a batch starts
 * when SYNC_BATCH_FILES files or SYNC_BATCH_BYTES wait, when the first has waited
 * SYNC_DELAY_MS, or at once when a group has nothing else to transfer meanwhile (its last
 * file: its completion waits for nothing more). A batch runs while the next one gathers. */
#define SYNC_BATCH_FILES 128u
#define SYNC_BATCH_BYTES (32u << 20)
#define SYNC_DELAY_MS    100u
/* Above this many files waiting for their sync or syncing, no new transfer starts (each
 * holds its descriptor until its sync). */
#define MAX_SYNC_BACKLOG 512u
/* Writeback of a moving file is started every this many bytes, so that its final sync has
 * little left to write. */
#define WRITEBACK_BYTES (8u << 20)
/* A response with at least this many bytes to come is written with direct I/O (dio.h), in
 * chunks of DIO_CHUNK. */
#define DIO_MIN   (1u << 20)
#define DIO_CHUNK (2u << 20)
/* A new file (nothing of it on disk yet) whose response is at most this long is kept in
 * memory and created, written and synced by the sync batch in the thread pool: for many
 * small files, creating and writing them was most of the event loop's work. */
#define MEM_MAX (64u << 10)

/* One socket curl asked us to watch. */
struct sock_ctx {
        uv_poll_t poll;
        curl_socket_t fd;
        struct xfer_engine *xe;
        int events;   /* what curl asked to watch */
        bool removed; /* curl let go of the socket (the handle is closing) */
};

struct xfer {
        struct xfer_engine *xe;
        struct group *g; /* borrowed; NULL once the group let go while the data was syncing */
        uint32_t index;
        CURL *easy;
        struct curl_slist *headers;
        int fd;
        uint64_t offset;  /* where this request's first byte goes */
        uint64_t written; /* bytes of this request written */
        /* The response being received (reset at each status line: redirects, 1xx). */
        long status;
        int64_t content_length; /* -1: none */
        bool has_cr, cr_total_known;
        uint64_t cr_start, cr_end, cr_total;
        char etag[256];
        int64_t last_modified;
        uint32_t retry_after;
        bool validated;
        size_t header_bytes; /* of the response being received */
        /* The temporary file's identity, checked against its name while transferring. */
        dev_t dev;
        ino_t ino;
        uint64_t checked_at; /* loop ms of the last check */
        /* The remote file changed: this file starts over from zero at once. */
        bool restart;
        /* A 416 confirmed that every byte is already here. */
        bool already_complete;
        char curl_err[CURL_ERROR_SIZE];
        /* The outcome, when a callback decided it. */
        bool failed;
        struct xfer_verdict verdict;
        char errmsg[256];
        bool counted;      /* holds a slot (xe->active) */
        uint64_t wb_off;   /* writeback was started for the bytes before this offset */
        uint64_t drop_off; /* the bytes before this offset were dropped from the cache */
        struct dio dio;    /* direct I/O of a large response (dio.on) */
        bool dio_decided;
        /* lazy: a new file, not created by xfer_start (fd -1); its first body byte decides:
         * in_mem (kept in mem, created by the sync batch, see mem_write) or created then. */
        bool lazy, in_mem;
        bool mem_discard; /* let go while its batch ran: the file the batch made is removed */
        char *mem;
        char *mem_path;        /* the temporary name, owned (the worker reads it) */
        const char *sync_what; /* what failed in the batch */
        int sync_err;          /* of the batch sync */
        /* What the committed file gets (QMGR.md 4.4), copied for the batch, which sets it
         * before the sync: the commit is then a rename (finalized: it did). */
        mode_t final_mode;
        int64_t final_mtime; /* -1: none */
        bool finalized;
        bool dio_write_failed;  /* the batch found a direct write of it failed */
        struct xfer *sync_next; /* in the engine's sync queue */
};

static void engine_really_free(struct xfer_engine *xe);
static int adopt_new_temp(struct xfer *x);

/* One transaction around the store writes of a batch (no nesting: inner calls are no-ops).
 * durable: synced at its commit (the records a crash must find: temporary names,
 * checkpoints); else relaxed (file completions: a power cut that loses them costs a
 * re-download of the files finished since the store was last synced, main.c checkpoint()). */
static bool tx_begin(struct xfer_engine *xe, bool durable)
{
        if (xe->in_tx ||
            (durable ? store_begin(xe->d->store) : store_begin_relaxed(xe->d->store)) < 0)
                return false;
        xe->in_tx = true;
        return true;
}

static void tx_end(struct xfer_engine *xe, bool began)
{
        if (!began)
                return;
        xe->in_tx = false;
        if (store_commit(xe->d->store) < 0)
                store_rollback(xe->d->store);
}

/* Saves file index of g with the offset known to be durable, never more (TESTING.md I2): the
 * store's offset is where a restart resumes. */
static void save_durable(struct group *g, uint32_t index)
{
        struct qfile *f = &g->files[index];
        uint64_t live = f->bytes_done;

        if (!f->complete && f->bytes_done > f->durable)
                f->bytes_done = f->durable;
        store_save_file(g->d->store, g, index);
        f->bytes_done = live;
}

static struct qfile *xfer_file(struct xfer *x)
{
        return &x->g->files[x->index];
}

/* Truncates x's temporary file to len bytes; what the direct writer still has of it is
 * waited for and dropped first (a file is never truncated under the writer thread). */
static int truncate_temp(struct xfer *x, uint64_t len)
{
        struct qfile *f = xfer_file(x);

        dio_drop(&x->dio);
        if (ftruncate(x->fd, (off_t)len) < 0)
                return -errno;
        f->trunc_gen++;
        if (f->durable > len)
                f->durable = len;
        return 0;
}

/* What x's file holds after its direct writes stopped: what was written, and at least what
 * it held when this request started (the writer starts at the block before it). */
static uint64_t dio_held(struct xfer *x)
{
        uint64_t held = dio_on_disk(&x->dio);

        return held < x->offset ? x->offset : held;
}

/* ---- the outcome ---------------------------------------------------------------------- */

static void fail_with(struct xfer *x, const struct xfer_verdict *v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void fail_with(struct xfer *x, const struct xfer_verdict *v, const char *fmt, ...)
{
        va_list ap;

        if (x->failed)
                return;
        x->failed = true;
        x->verdict = *v;
        va_start(ap, fmt);
        vsnprintf(x->errmsg, sizeof(x->errmsg), fmt, ap);
        va_end(ap);
}

static void fail_local(struct xfer *x, int err, const char *what)
{
        struct xfer_verdict v;

        xfer_classify_errno(err, &v);
        fail_with(x, &v, "%s: %s", what, strerror(err));
}

static void fail_range(struct xfer *x, const char *why)
{
        struct xfer_verdict v = {BG_E_INSUFFICIENT_RANGE_SUPPORT, BG_ERROR_CONTEXT_REMOTE_FILE, 0,
                                 (uint32_t)x->status, false};

        fail_with(x, &v, "%s", why);
}

static void fail_http(struct xfer *x)
{
        struct xfer_verdict v;

        xfer_classify(CURLE_OK, x->status, &v);
        fail_with(x, &v, "%s", qm_strerror(v.hr));
}

/* Releases the curl handle and the descriptor; the caller decides about the group. */
static void xfer_release(struct xfer *x)
{
        if (x->easy) {
                curl_multi_remove_handle(x->xe->multi, x->easy);
                curl_easy_cleanup(x->easy);
                x->easy = NULL;
        }
        curl_slist_free_all(x->headers);
        x->headers = NULL;
        dio_drop(&x->dio);
        dio_free(&x->dio);
        free(x->mem);
        x->mem = NULL;
        free(x->mem_path);
        x->mem_path = NULL;
        if (x->fd >= 0) {
                close(x->fd);
                x->fd = -1;
        }
}

static void xfer_free(struct xfer *x)
{
        xfer_release(x);
        if (x->counted && --x->xe->active == 0)
                dio_pool_trim(); /* nothing moves: the buffers kept for reuse go */
        free(x);
}

/* ---- response headers ------------------------------------------------------------------ */

static bool header_is(const char *line, size_t len, const char *name, const char **ret_value,
                      size_t *ret_len)
{
        size_t n = strlen(name);

        if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return false;
        line += n + 1;
        len -= n + 1;
        while (len && (*line == ' ' || *line == '\t')) {
                line++;
                len--;
        }
        while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
                len--;
        *ret_value = line;
        *ret_len = len;
        return true;
}

/* A Content-Length value: one size, or a list of the same size repeated ("42, 42", which
 * RFC 9110 §8.6 lets a recipient accept). */
static bool parse_length(const char *s, size_t len, uint64_t *ret);

/* A decimal number of at most 19 digits, nothing else. */
static bool parse_u63(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;

        if (len == 0 || len > 19)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > INT64_MAX) /* 19 digits may not fit: the callers store it signed */
                return false;
        *ret = v;
        return true;
}

static bool parse_length(const char *s, size_t len, uint64_t *ret)
{
        bool any = false;
        uint64_t first = 0;

        while (len) {
                const char *comma = memchr(s, ',', len);
                size_t item = comma ? (size_t)(comma - s) : len, a = 0, b = item;
                uint64_t n = 0;

                while (a < b && (s[a] == ' ' || s[a] == '\t'))
                        a++;
                while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                        b--;
                if (!parse_u63(s + a, b - a, &n) || (any && n != first))
                        return false;
                first = n;
                any = true;
                if (!comma)
                        break;
                if (item + 1 == len) /* a trailing comma: an empty value */
                        return false;
                len -= item + 1;
                s = comma + 1;
        }
        *ret = first;
        return any;
}

/* "bytes A-B/T" or "bytes A-B/ *" (no space) */
static void parse_content_range(struct xfer *x, const char *v, size_t len)
{
        const char *dash, *slash, *end = v + len;

        if (len < 6 || strncasecmp(v, "bytes ", 6) != 0)
                return;
        v += 6;
        dash = memchr(v, '-', (size_t)(end - v));
        slash = memchr(v, '/', (size_t)(end - v));
        if (!dash || !slash || dash > slash)
                return;
        if (!parse_u63(v, (size_t)(dash - v), &x->cr_start) ||
            !parse_u63(dash + 1, (size_t)(slash - dash - 1), &x->cr_end))
                return;
        x->cr_total_known = parse_u63(slash + 1, (size_t)(end - slash - 1), &x->cr_total);
        if (!x->cr_total_known && !(end - slash == 2 && slash[1] == '*'))
                return;
        x->has_cr = true;
}

/* The response headers we accept (libcurl's own limit is 300 KB). */
#define MAX_HEADER_BYTES (128u * 1024)

static size_t header_cb(char *line, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        size_t len = size * nmemb;
        const char *v;
        size_t vlen;
        char tmp[128];
        uint64_t n;

        x->header_bytes += len;
        if (x->header_bytes > MAX_HEADER_BYTES) {
                struct xfer_verdict big;

                xfer_classify_msg(CURLE_RECV_ERROR, 0, "Too large response headers", &big);
                fail_with(x, &big, "the response headers exceed %u bytes", MAX_HEADER_BYTES);
                return 0;
        }
        if (len >= 5 && strncmp(line, "HTTP/", 5) == 0 && x->written == 0) {
                /* A status line: a new response (redirect, 1xx). After body bytes of the
                 * response, a line like this is a chunked trailer, and changes nothing. */
                const char *sp = memchr(line, ' ', len);

                x->header_bytes = 0;
                x->status = 0;
                if (sp && (size_t)(sp - line) + 4 <= len && sp[1] >= '1' && sp[1] <= '9')
                        x->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
                x->content_length = -1;
                x->has_cr = x->cr_total_known = false;
                x->etag[0] = '\0';
                x->last_modified = -1;
                x->retry_after = 0;
                x->validated = false;
        } else if (header_is(line, len, "Content-Length", &v, &vlen)) {
                /* Not a size, or two different ones: the body's end cannot be known, and
                 * curl 7.88 would take the last (TESTING.md N17). A server error. */
                if (!parse_length(v, vlen, &n) ||
                    (x->content_length >= 0 && (uint64_t)x->content_length != n)) {
                        struct xfer_verdict bad;

                        xfer_classify(CURLE_WEIRD_SERVER_REPLY, x->status, &bad);
                        fail_with(x, &bad,
                                  "the response has an invalid or a second, different "
                                  "Content-Length");
                        return 0;
                }
                x->content_length = (int64_t)n;
        } else if (header_is(line, len, "Content-Range", &v, &vlen)) {
                parse_content_range(x, v, vlen);
        } else if (header_is(line, len, "ETag", &v, &vlen)) {
                if (vlen < sizeof(x->etag)) {
                        memcpy(x->etag, v, vlen);
                        x->etag[vlen] = '\0';
                }
        } else if (header_is(line, len, "Last-Modified", &v, &vlen)) {
                if (vlen < sizeof(tmp)) {
                        memcpy(tmp, v, vlen);
                        tmp[vlen] = '\0';
                        x->last_modified = curl_getdate(tmp, NULL);
                }
        } else if (header_is(line, len, "Retry-After", &v, &vlen)) {
                if (parse_u63(v, vlen, &n)) {
                        x->retry_after = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
                } else if (vlen < sizeof(tmp)) {
                        time_t t;

                        memcpy(tmp, v, vlen);
                        tmp[vlen] = '\0';
                        t = curl_getdate(tmp, NULL);
                        if (t > now_unix())
                                x->retry_after = (uint32_t)(t - now_unix());
                }
        }
        return len;
}

/* The remote file is not the one the bytes on disk came from: forget them and the
 * validators, and have xfer_finished() start the file over from zero at once. */
static bool restart_from_zero(struct xfer *x, const char *why)
{
        struct qfile *f = xfer_file(x);

        int r;

        log_info("group %s: file %u: %s; restarting it from zero", x->g->id_str, x->index, why);
        if (x->fd >= 0 && (r = truncate_temp(x, 0)) < 0) {
                fail_local(x, -r, "truncating the temporary file");
                return false;
        }
        f->bytes_done = 0;
        f->bytes_total = BG_SIZE_UNKNOWN;
        free(f->etag);
        f->etag = NULL;
        f->last_modified = -1;
        save_durable(x->g, x->index);
        x->restart = true;
        return false;
}

/* Whether the validators of this response show that the remote file changed since the
 * stored ones were taken: a different strong ETag, else a different Last-Modified. */
static bool validators_changed(const struct xfer *x, const struct qfile *f)
{
        if (f->etag && strncmp(f->etag, "W/", 2) != 0)
                return !x->etag[0] || strcmp(f->etag, x->etag) != 0;
        if (f->last_modified >= 0 && x->last_modified >= 0)
                return f->last_modified != x->last_modified;
        return false;
}

/* Decides, before the first byte of a response is written, whether and where it may be
 * written (QMGR.md §4.4, TESTING.md R1-R8). Returns false when the transfer must stop. */
static bool validate_response(struct xfer *x)
{
        struct qfile *f = xfer_file(x);
        uint64_t total = BG_SIZE_UNKNOWN;
        bool truncated = false;
        int r;

        x->validated = true;
        if (x->status == 200) {
                if (x->offset > 0) {
                        /* The server ignored the range or the file changed: restart this
                         * file alone from zero. */
                        log_info("group %s: file %u: the server sent the whole file; "
                                 "restarting it from zero",
                                 x->g->id_str, x->index);
                        if ((r = truncate_temp(x, 0)) < 0) {
                                fail_local(x, -r, "truncating the temporary file");
                                return false;
                        }
                        x->offset = 0;
                        x->wb_off = x->drop_off = 0;
                        f->bytes_done = 0;
                        truncated = true;
                }
                if (x->content_length >= 0)
                        total = (uint64_t)x->content_length;
        } else if (x->status == 206) {
                if (!x->has_cr) {
                        fail_range(x, "206 without a single Content-Range");
                        return false;
                }
                if (x->cr_start != x->offset || x->cr_end < x->cr_start || !x->cr_total_known ||
                    x->cr_end + 1 != x->cr_total ||
                    (x->content_length >= 0 &&
                     (uint64_t)x->content_length != x->cr_end - x->cr_start + 1)) {
                        fail_range(x, "the Content-Range does not match the requested range");
                        return false;
                }
                total = x->cr_total;
                /* The server ignored If-Range (or got none): compare ourselves (R9). */
                if (validators_changed(x, f))
                        return restart_from_zero(x, "the remote file changed (new validators)");
                if (f->bytes_total != BG_SIZE_UNKNOWN && total != f->bytes_total)
                        return restart_from_zero(x, "the remote file changed (new size)");
        } else if (x->status == 416 && x->offset > 0) {
                /* Asked for the bytes after the end: if the total is our size and the
                 * validators are the same, the file is all there; else it changed (R4). */
                if (x->has_cr && x->cr_total_known && x->cr_total == x->offset &&
                    f->bytes_total == x->offset && !validators_changed(x, f)) {
                        x->already_complete = true;
                        return false;
                }
                return restart_from_zero(x, "the server cannot satisfy the range");
        } else {
                fail_http(x);
                return false;
        }
        if (total != f->bytes_total || (x->etag[0] && (!f->etag || strcmp(f->etag, x->etag))) ||
            x->last_modified != f->last_modified) {
                f->bytes_total = total;
                free(f->etag);
                f->etag = x->etag[0] ? strdup(x->etag) : NULL;
                f->last_modified = x->last_modified;
                /* While nothing of the file is durable the store says offset 0 and a restart
                 * starts from zero: the validators are saved with the first checkpoint or the
                 * completion (no store write per small file). */
                if (f->durable > 0 || truncated)
                        save_durable(x->g, x->index);
        }
        return true;
}

/* Whether the temporary file's name still leads to the file we write (L4, L8): the
 * directory may have been removed, or the name replaced, e.g. by a symlink. */
static int check_temp(struct xfer *x)
{
        struct qfile *f = xfer_file(x);
        struct stat st;

        if (fstatat(AT_FDCWD, f->temp, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -ELOOP;
        if (st.st_dev != x->dev || st.st_ino != x->ino)
                return -EEXIST;
        return 0;
}

/* Streams a large file to the disk as it arrives: starts the writeback of the bytes written
 * since the last call (without waiting for it), so that the final sync has little left to
 * do, and drops the window before that one from the page cache once it is written. A big
 * download thus holds at most two windows of the cache instead of filling it, which leaves
 * the cache to the programs in the foreground and reuses the same pages (far cheaper than
 * new ones, docs/performance.md). Errors are not lost: the final fdatasync reports them. */
static void stream_out(struct xfer *x, uint64_t end)
{
        sync_file_range(x->fd, (off64_t)x->wb_off, (off64_t)(end - x->wb_off),
                        SYNC_FILE_RANGE_WRITE);
        if (x->wb_off > x->drop_off) {
                /* Started a window ago: normally written by now, so the wait is short. */
                sync_file_range(x->fd, (off64_t)x->drop_off, (off64_t)(x->wb_off - x->drop_off),
                                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                        SYNC_FILE_RANGE_WAIT_AFTER);
                posix_fadvise(x->fd, (off_t)x->drop_off, (off_t)(x->wb_off - x->drop_off),
                              POSIX_FADV_DONTNEED);
                x->drop_off = x->wb_off;
        }
        x->wb_off = end;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        struct qfile *f = xfer_file(x);
        size_t len = size * nmemb, done = 0;
        uint64_t at;

        if (x->failed)
                return 0;
        if (!x->validated && !validate_response(x))
                return 0;
        at = x->offset + x->written;
        if (f->bytes_total != BG_SIZE_UNKNOWN && at + len > f->bytes_total) {
                struct xfer_verdict v = {QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE,
                                         BG_ERROR_CONTEXT_REMOTE_FILE, 12152, (uint32_t)x->status,
                                         true};

                fail_with(x, &v, "the server sent more bytes than the file size");
                return 0;
        }
        if (x->lazy && !x->in_mem && x->fd < 0) {
                /* The first body byte of a new file: a small one stays in memory, anything
                 * else gets its temporary file now. */
                int r;

                if (f->bytes_total != BG_SIZE_UNKNOWN && f->bytes_total <= MEM_MAX) {
                        x->mem = malloc(f->bytes_total ? f->bytes_total : 1);
                        if (!x->mem) {
                                fail_local(x, ENOMEM, "keeping the file in memory");
                                return 0;
                        }
                        x->in_mem = true;
                } else if ((r = adopt_new_temp(x)) < 0) {
                        fail_local(x, -r, "opening the temporary file");
                        return 0;
                } else {
                        x->checked_at = uv_now(x->xe->d->loop);
                }
        }
        if (x->in_mem) {
                memcpy(x->mem + at, data, len);
                done = len;
        } else if (!x->dio_decided) {
                /* A large response bypasses the page cache; a small one, or a file system
                 * without direct I/O, is written as usual. */
                x->dio_decided = true;
                if (f->bytes_total != BG_SIZE_UNKNOWN && f->bytes_total - at >= DIO_MIN)
                        dio_start(&x->dio, x->fd, at,
                                  f->bytes_total - at < DIO_CHUNK ? f->bytes_total - at + DIO_ALIGN
                                                                  : DIO_CHUNK);
        }
        if (x->dio.on) {
                int r = dio_write(&x->dio, data, len);

                if (r < 0) {
                        fail_local(x, -r, "writing the temporary file");
                        return 0;
                }
                done = len;
        }
        if (done < len) {
                int r = pwrite_full(x->fd, data, len, at);

                if (r < 0) {
                        fail_local(x, -r, "writing the temporary file");
                        return 0;
                }
        }
        x->written += len;
        f->bytes_done = x->offset + x->written;
        /* Besides every checkpoint_seconds, a checkpoint follows every checkpoint_bytes
         * received (one at a time: a fast link waits for the one running). */
        x->xe->ckpt_bytes += len;
        if (x->xe->ckpt_bytes >= x->xe->d->cfg.checkpoint_bytes && !x->xe->ckpt_running)
                xfer_checkpoint(x->xe);
        if (x->fd >= 0 && !x->dio.on && f->bytes_done - x->wb_off >= WRITEBACK_BYTES)
                stream_out(x, f->bytes_done);
        if (f->bytes_done > f->high_water) {
                /* Only bytes never had before are progress (a server that always ignores
                 * ranges on a flaky link must not retry forever, R1). */
                f->high_water = f->bytes_done;
                x->g->stalled_since = 0;
        }
        {
                uint64_t now = uv_now(x->xe->d->loop);

                if (x->fd >= 0 && now - x->checked_at >= 1000) {
                        int r = check_temp(x);

                        x->checked_at = now;
                        if (r < 0) {
                                fail_local(x, -r, "the temporary file was removed or replaced");
                                return 0;
                        }
                }
        }
        if (x->g->state == BG_JOB_STATE_CONNECTING)
                group_set_state(x->g, BG_JOB_STATE_TRANSFERRING);
        return len;
}

/* ---- completion ------------------------------------------------------------------------ */

static int mem_write(struct xfer *x, const char *path);

/* A new file that stops before its end: the bytes it kept in memory go to its temporary
 * file, so that it resumes from there like any other (a small file is rare to fail, and
 * this is the loop's only direct write of one). */
static void keep_partial(struct xfer *x)
{
        struct qfile *f = xfer_file(x);

        if (x->fd >= 0)
                return;
        if (x->in_mem && x->written > 0 && f->bytes_total != BG_SIZE_UNKNOWN &&
            mem_write(x, f->temp) == 0) {
                f->seen = true;
                f->bytes_done = x->written;
        } else {
                f->bytes_done = 0;
        }
        x->in_mem = false;
}

/* Writes the bytes the direct writer still stages, so that the file holds everything
 * received; on failure the progress goes back to what the file holds. */
static int dio_finish(struct xfer *x)
{
        struct qfile *f = xfer_file(x);
        int r;

        if (!x->dio.on)
                return 0;
        if ((r = dio_flush(&x->dio)) < 0) {
                uint64_t held = dio_held(x);

                dio_drop(&x->dio);
                x->written = held - x->offset;
                f->bytes_done = held;
        }
        dio_free(&x->dio); /* back to the pool for the next file at once */
        return r;
}

static void report_failure(struct xfer *x)
{
        struct group *g = x->g;
        uint32_t index = x->index;
        const struct xfer_verdict v = x->verdict; /* a copy: x is freed below */
        uint32_t retry_after = x->retry_after;

        log_debug("group %s: file %u: %s (0x%08x %s)", g->id_str, index, x->errmsg, (uint32_t)v.hr,
                  qm_hresult_name(v.hr));
        group_set_error(g, v.hr, v.context, index, v.win32, v.transport, x->errmsg);
        save_durable(g, index);
        if (g->xfer == x)
                g->xfer = NULL;
        xfer_free(x);
        group_transfer_failed(g, index, v.transient, retry_after);
}

static void sync_maybe_start(struct xfer_engine *xe, bool urgent);

/* The synced files leave the page cache (their pages are clean now): a background download
 * does not push the foreground's data out of the cache, and the next files reuse the pages
 * (see stream_out). */
static void drop_cached(struct sync_batch *b)
{
        for (uint32_t i = 0; i < b->n; i++)
                if (b->x[i]->sync_err == 0)
                        posix_fadvise(b->x[i]->fd, 0, 0, POSIX_FADV_DONTNEED);
}

bool xfer_temp_is_ours(const struct stat *st)
{
        return S_ISREG(st->st_mode) && st->st_nlink == 1 && st->st_uid == geteuid();
}

/* Opens for writing a temporary file that exists already, and returns its descriptor (st
 * filled) or a negative errno: -ENOENT if there is none, -ELOOP for a symlink, -EACCES for
 * anything else but a plain, single-linked file of ours (a hard link, anyone else's, a FIFO);
 * none of them is ever written into. O_NONBLOCK: a FIFO without a reader is ENXIO at once
 * instead of blocking the loop or a sync batch. Only system calls: safe in the thread pool. */
static int open_existing_temp(const char *path, struct stat *st)
{
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

        if (fd < 0)
                return errno == ENXIO ? -EACCES : -errno;
        if (fstat(fd, st) < 0 || !xfer_temp_is_ours(st)) {
                close(fd);
                return -EACCES;
        }
        return fd;
}

/* Creates the temporary file of a file none of whose bytes are recorded, empty, and returns
 * its descriptor (st filled) or a negative errno. Its recorded name may hold a file already:
 * one a run created and then stopped before recording any progress; it is reused (emptied)
 * if it is a plain file of ours, else refused (open_existing_temp). Only system calls: safe
 * in the thread pool. */
static int create_new_temp(const char *path, struct stat *st)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), r;

        if (fd < 0 && errno == EEXIST) {
                fd = open_existing_temp(path, st);
                if (fd >= 0 && ftruncate(fd, 0) < 0) {
                        close(fd);
                        return -EACCES;
                }
                return fd;
        }
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* Creates (create_new_temp) and writes a file kept in memory: in the thread pool, where the
 * loop does not touch x meanwhile, or from the loop when the file stops early. */
static int mem_write(struct xfer *x, const char *path)
{
        struct stat st;
        int fd = create_new_temp(path, &st), r;

        if (fd < 0)
                return fd;
        x->fd = fd;
        if ((r = pwrite_full(fd, x->mem, x->written, 0)) < 0)
                return r;
        x->dev = st.st_dev;
        x->ino = st.st_ino;
        return 0;
}

/* Gives the complete file its final mode and modification time through its descriptor,
 * before the sync that makes them durable with the data: the commit only renames it. A
 * failure here is not the file's: the commit sets them again, and reports what fails then. */
static void finalize(struct xfer *x)
{
        struct timespec ts[2] = {{0, UTIME_OMIT}, {x->final_mtime, 0}};

        x->finalized = fchmod(x->fd, x->final_mode) == 0 &&
                       (x->final_mtime < 0 || futimens(x->fd, ts) == 0);
}

static void sync_batch_work(uv_work_t *w)
{
        struct sync_batch *b = w->data;
        dev_t devs[8];
        int errs[8];
        uint32_t ndev = 0;

        for (uint32_t i = 0; i < b->n; i++) {
                struct xfer *x = b->x[i];

                x->sync_err = 0;
                if (x->in_mem && (x->sync_err = mem_write(x, x->mem_path)) < 0)
                        x->sync_what = "writing the temporary file";
                else if (x->fd < 0)
                        x->sync_err = -EBADF; /* let go before it was written */
                else if ((x->sync_err = dio_wait(&x->dio)) < 0) {
                        x->sync_what = "writing the temporary file";
                        x->dio_write_failed = true; /* not a sync error */
                } else
                        finalize(x);
        }
        if (b->n == 1) {
                if (!b->x[0]->sync_err)
                        b->x[0]->sync_err = fdatasync(b->x[0]->fd) < 0 ? -errno : 0;
                drop_cached(b);
                return;
        }
        /* One syncfs per file system flushes every file of the batch in one journal commit;
         * if it fails (or there are too many file systems), each file is synced alone so
         * that only a file whose data failed is failed. */
        for (uint32_t i = 0; i < b->n; i++) {
                struct xfer *x = b->x[i];
                uint32_t k;

                if (x->sync_err)
                        continue; /* not written */
                for (k = 0; k < ndev && devs[k] != x->dev; k++)
                        ;
                if (k == ndev && ndev < 8) {
                        devs[ndev] = x->dev;
                        errs[ndev] = syncfs(x->fd) < 0 ? -errno : 0;
                        ndev++;
                }
                if (k < ndev && errs[k] == 0)
                        x->sync_err = 0;
                else
                        x->sync_err = fdatasync(x->fd) < 0 ? -errno : 0;
        }
        drop_cached(b);
}

/* The file's data is durable: it is complete, in the store too (by the caller's
 * transaction). */
static void save_complete(struct xfer *x)
{
        struct group *g = x->g;
        struct qfile *f = xfer_file(x);

        f->syncing = false;
        f->complete = true;
        f->finalized = x->finalized;
        f->bytes_total = f->bytes_done;
        f->durable = f->bytes_done;
        if (store_save_file(g->d->store, g, x->index) < 0)
                log_error("group %s: file %u: completion could not be saved", g->id_str, x->index);
}

/* The file's data is durable: it counts as transferred. */
static void file_synced(struct xfer *x)
{
        struct group *g = x->g;
        struct qfile *f = xfer_file(x);

        save_complete(x);
        g->stalled_since = 0;
        /* A transient error this file had is over: no stale error on a healthy group. */
        if (g->err.hr != QM_S_OK && g->err.file_index == x->index)
                group_clear_error(g);
        log_debug("group %s: file %u complete (%llu bytes)", g->id_str, x->index,
                  (unsigned long long)f->bytes_done);
}

static void sync_failed(struct xfer *x)
{
        struct group *g = x->g;
        struct qfile *f = xfer_file(x);
        int err = -x->sync_err;

        /* After a failed sync nothing past the last durable point can be trusted (fsyncgate):
         * the file starts over. A direct write that failed (disk full) leaves the file with
         * what was written before it: it resumes from there. Either way it is a partial
         * file again, private (0600, QMGR.md 4.4). The group's next file, already moving,
         * stops. */
        f->syncing = false;
        g->scan_from = 0;
        if (x->fd >= 0 && x->finalized && fchmod(x->fd, 0600) == 0)
                x->finalized = false;
        if (x->fd >= 0 && x->dio_write_failed) {
                uint64_t held = dio_held(x);

                if (truncate_temp(x, held) == 0)
                        f->bytes_done = held;
        } else if (x->fd < 0 || truncate_temp(x, 0) == 0) {
                f->bytes_done = 0;
        }
        xfer_stop(g);
        fail_local(x, err, x->sync_what ? x->sync_what : "syncing the temporary file");
        report_failure(x);
}

static void sync_batch_done(uv_work_t *w, int status)
{
        struct sync_batch *b = w->data;
        struct xfer_engine *xe = b->xe;
        struct daemon *d = xe->d;
        bool tx;

        (void)status;
        xe->batch = NULL;
        xe->jobs--;
        xe->n_sync -= b->n;
        for (uint32_t i = 0; i < b->n; i++) {
                struct xfer *x = b->x[i];

                /* Let go while the batch made its file: the file goes too. */
                if (!x->g && x->mem_discard && x->fd >= 0 && unlink(x->mem_path) < 0 &&
                    errno != ENOENT)
                        log_warn("cannot remove '%s': %s", x->mem_path, strerror(errno));
        }
        if (xe->closed || d->stopping) {
                /* Stopping: the files still attached (xfer_stop left them to the batch) are
                 * saved complete; no state changes any more. */
                tx = tx_begin(xe, true);
                for (uint32_t i = 0; i < b->n; i++)
                        if (b->x[i]->g && b->x[i]->sync_err == 0)
                                save_complete(b->x[i]);
                tx_end(xe, tx);
                for (uint32_t i = 0; i < b->n; i++)
                        xfer_free(b->x[i]);
                free(b->x);
                free(b);
                if (xe->closed && !xe->jobs)
                        engine_really_free(xe);
                return;
        }
        /* Every completion of the batch in one transaction, in order; the group states after
         * it, so that nobody hears of a complete group before the store says so. */
        tx = tx_begin(xe, false);
        for (uint32_t i = 0; i < b->n; i++)
                if (b->x[i]->g && b->x[i]->sync_err == 0)
                        file_synced(b->x[i]);
        tx_end(xe, tx);
        for (uint32_t i = 0; i < b->n; i++) {
                struct xfer *x = b->x[i];
                struct group *g = x->g;

                if (!g) { /* the group was stopped or removed meanwhile */
                        xfer_free(x);
                        continue;
                }
                if (x->sync_err) {
                        sync_failed(x); /* frees x */
                        continue;
                }
                xfer_free(x);
                /* A group stopped meanwhile (suspended, in error) becomes TRANSFERRED when it
                 * is resumed (sched.c). */
                if ((g->state != BG_JOB_STATE_QUEUED && g->state != BG_JOB_STATE_CONNECTING &&
                     g->state != BG_JOB_STATE_TRANSFERRING) ||
                    !g->files[g->n_files - 1].complete)
                        continue;
                {
                        bool all = true;

                        for (uint32_t k = 0; k < g->n_files && all; k++)
                                all = g->files[k].complete;
                        if (all)
                                group_set_state(g, BG_JOB_STATE_TRANSFERRED);
                }
        }
        free(b->x);
        free(b);
        if (!xe->active && !xe->sync_head)
                dio_pool_trim(); /* nothing moves: the buffers kept for reuse go */
        sched_kick(d);
        sync_maybe_start(xe, false);
}

static void sync_timer_fired(uv_timer_t *t)
{
        sync_maybe_start(t->data, true);
}

/* Starts a batch of every waiting file if one is due (see SYNC_BATCH_FILES), else makes
 * sure the timer will start it. */
static void sync_maybe_start(struct xfer_engine *xe, bool urgent)
{
        struct sync_batch *b;
        uint64_t now = uv_now(xe->d->loop);
        uint32_t n = xe->n_wait;

        if (!xe->sync_head || xe->closed)
                return;
        if (urgent)
                xe->sync_urgent = true;
        if (xe->batch)
                return; /* its end calls again */
        if (!xe->sync_urgent && n < SYNC_BATCH_FILES && xe->wait_bytes < SYNC_BATCH_BYTES &&
            now - xe->wait_since < SYNC_DELAY_MS && !xe->d->stopping) {
                if (!uv_is_active((uv_handle_t *)&xe->sync_timer))
                        uv_timer_start(&xe->sync_timer, sync_timer_fired,
                                       SYNC_DELAY_MS - (now - xe->wait_since), 0);
                return;
        }
        b = calloc(1, sizeof(*b));
        if (b)
                b->x = calloc(n, sizeof(*b->x));
        if (!b || !b->x) {
                free(b);
                return; /* tried again at the next completion */
        }
        uv_timer_stop(&xe->sync_timer);
        xe->sync_urgent = false;
        for (struct xfer *x = xe->sync_head; x; x = x->sync_next)
                b->x[b->n++] = x;
        xe->sync_head = xe->sync_tail = NULL;
        xe->n_wait = 0;
        xe->wait_bytes = 0;
        b->xe = xe;
        b->work.data = b;
        if (uv_queue_work(xe->d->loop, &b->work, sync_batch_work, sync_batch_done) < 0) {
                /* Cannot happen with valid arguments; sync here rather than lose the files. */
                sync_batch_work(&b->work);
                xe->batch = b;
                xe->jobs++;
                sync_batch_done(&b->work, 0);
                return;
        }
        xe->batch = b;
        xe->jobs++;
}

/* Every byte of x's file is here: its data is synced in a batch, and the group goes on with
 * its next file meanwhile (the file completes, in order, when synced). */
static void sync_enqueue(struct xfer *x)
{
        struct xfer_engine *xe = x->xe;
        struct group *g = x->g;

        if (!xe->sync_head)
                xe->wait_since = uv_now(xe->d->loop);
        x->final_mode = 0666 & ~(mode_t)xfer_file(x)->umask;
        x->final_mtime = xfer_file(x)->last_modified;
        xe->n_wait++;
        xe->wait_bytes += x->written;
        xfer_file(x)->syncing = true;
        if (g->xfer == x)
                g->xfer = NULL;
        if (x->counted) {
                xe->active--;
                x->counted = false;
        }
        x->sync_next = NULL;
        if (xe->sync_tail)
                xe->sync_tail->sync_next = x;
        else
                xe->sync_head = x;
        xe->sync_tail = x;
        xe->n_sync++;
        /* The next file first: a group with none left has its batch started at once. */
        sched_next_file(g);
        sync_maybe_start(xe, g->xfer == NULL);
}

/* The remote file changed under a resumed transfer: start the same file again, from zero,
 * without a retry delay (only that file restarts, R1/R9). */
static void restart_file(struct xfer *x)
{
        struct group *g = x->g;
        struct xfer_engine *xe = x->xe;
        uint32_t index = x->index;

        g->xfer = NULL;
        xfer_free(x);
        if (xfer_start(xe, g, index) < 0) {
                group_set_state(g, BG_JOB_STATE_ERROR);
                sched_kick(g->d);
        }
}

static void xfer_finished(struct xfer *x, CURLcode rc)
{
        struct qfile *f = xfer_file(x);
        int r;

        curl_multi_remove_handle(x->xe->multi, x->easy);
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        /* A file with every byte here has its last ones written by the writer thread while
         * the group's next file starts (the sync batch waits for them, dio_wait); anything
         * else is written now, so that its progress is what the file holds. */
        if (!(rc == CURLE_OK && !x->failed && x->dio.on && f->bytes_total != BG_SIZE_UNKNOWN &&
              f->bytes_done == f->bytes_total && dio_flush_async(&x->dio) == 0) &&
            (r = dio_finish(x)) < 0)
                fail_local(x, -r, "writing the temporary file");
        if (!x->failed && !x->validated && rc == CURLE_OK)
                validate_response(x); /* a response without a body: decide on its headers */
        if (!x->failed && x->restart) {
                restart_file(x);
                return;
        }
        if (x->failed) {
                /* decided by a callback */
        } else if (x->already_complete) {
                /* We asked for the bytes after the end: the file is all there. */
        } else if (rc == CURLE_OK) {
                if (f->bytes_total == BG_SIZE_UNKNOWN) {
                        /* No size was given: the end of the body is the end of the file. */
                        f->bytes_total = f->bytes_done;
                } else if (f->bytes_done != f->bytes_total) {
                        struct xfer_verdict v = {QM_E_WIN32_INTERNET_CONNECTION_RESET,
                                                 BG_ERROR_CONTEXT_GENERAL_TRANSPORT, 12031, 0,
                                                 true};

                        fail_with(x, &v,
                                  "the body ended before the file size (%" PRIu64 " of %" PRIu64
                                  " bytes)",
                                  f->bytes_done, f->bytes_total);
                }
        } else {
                struct xfer_verdict v;

                /* curl 7.88 says 27 without a message for one header line over 100 KB: a
                 * status line came, no body yet, so it was the headers that were too big. */
                if (rc == CURLE_OUT_OF_MEMORY && x->status && !x->validated && !x->curl_err[0])
                        snprintf(x->curl_err, sizeof(x->curl_err),
                                 "Too large response header line");
                xfer_classify_msg((int)rc, x->status, x->curl_err, &v);
                if (f->bytes_total == BG_SIZE_UNKNOWN && x->offset + x->written > 0) {
                        /* Without a size an interrupted body cannot be resumed (R11): the
                         * file starts over from zero next time. */
                        if (x->fd < 0 || truncate_temp(x, 0) == 0)
                                f->bytes_done = 0;
                }
                fail_with(x, &v, "%s", x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc));
        }
        if (!x->failed && x->lazy && x->fd < 0) {
                /* A new file kept in memory (or empty): the sync batch creates it. */
                x->in_mem = true;
                if (!(x->mem_path = strdup(f->temp)))
                        fail_local(x, ENOMEM, "keeping the file in memory");
        } else if (!x->failed && (r = check_temp(x)) < 0) {
                fail_local(x, -r, "the temporary file was removed or replaced");
        }
        if (x->failed) {
                keep_partial(x);
                report_failure(x);
                return;
        }
        /* The data must be durable before the file can count as transferred. */
        sync_enqueue(x);
}

static void check_multi_info(struct xfer_engine *xe)
{
        CURLMsg *msg;
        int pending;

        while ((msg = curl_multi_info_read(xe->multi, &pending))) {
                struct xfer *x = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                if (x)
                        xfer_finished(x, msg->data.result);
        }
}

/* ---- curl <-> libuv ------------------------------------------------------------------- */

static void poll_cb(uv_poll_t *h, int status, int events)
{
        struct sock_ctx *c = h->data;
        int flags = 0, running;

        /* An error pending on the socket (libuv saw POLLERR and stopped the handle): curl is
         * told the socket is ready, so that its own read or write meets the error. Told of
         * an error instead, curl fails the transfer at once ("select/poll returned error"),
         * while a reused connection the server closed just as it was reused deserves curl's
         * one retry on a fresh connection (a request with no answer yet). */
        if (status < 0)
                flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
        if (events & UV_READABLE)
                flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
                flags |= CURL_CSELECT_OUT;
        curl_multi_socket_action(c->xe->multi, c->fd, flags, &running);
        if (status < 0 && !c->removed)
                uv_poll_start(&c->poll, c->events, poll_cb); /* curl kept it: watch again */
        check_multi_info(c->xe);
}

static void sock_closed(uv_handle_t *h)
{
        free(h->data);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
        struct xfer_engine *xe = userp;
        struct sock_ctx *c = socketp;
        int events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (c) {
                        c->removed = true;
                        uv_poll_stop(&c->poll);
                        curl_multi_assign(xe->multi, s, NULL);
                        uv_close((uv_handle_t *)&c->poll, sock_closed);
                }
                return 0;
        }
        if (!c) {
                c = calloc(1, sizeof(*c));
                if (!c)
                        return -1;
                c->fd = s;
                c->xe = xe;
                if (uv_poll_init_socket(xe->d->loop, &c->poll, s) < 0) {
                        free(c);
                        return -1;
                }
                c->poll.data = c;
                curl_multi_assign(xe->multi, s, c);
        }
        if (what & CURL_POLL_IN)
                events |= UV_READABLE;
        if (what & CURL_POLL_OUT)
                events |= UV_WRITABLE;
        c->events = events;
        uv_poll_start(&c->poll, events, poll_cb);
        return 0;
}

static void timer_fired(uv_timer_t *t)
{
        struct xfer_engine *xe = t->data;
        int running;

        curl_multi_socket_action(xe->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_multi_info(xe);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct xfer_engine *xe = userp;

        if (timeout_ms < 0)
                uv_timer_stop(&xe->timer);
        else
                uv_timer_start(&xe->timer, timer_fired, (uint64_t)timeout_ms, 0);
        return 0;
}

int xfer_engine_new(struct daemon *d, struct xfer_engine **ret)
{
        struct xfer_engine *xe;
        curl_version_info_data *info;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        info = curl_version_info(CURLVERSION_NOW);
        if (!(info->features & CURL_VERSION_SSL))
                log_warn("libcurl has no TLS support: https URLs will fail");
        xe = calloc(1, sizeof(*xe));
        if (!xe)
                return -ENOMEM;
        xe->d = d;
        xe->multi = curl_multi_init();
        if (!xe->multi) {
                free(xe);
                return -ENOMEM;
        }
        uv_timer_init(d->loop, &xe->timer);
        xe->timer.data = xe;
        uv_timer_init(d->loop, &xe->sync_timer);
        xe->sync_timer.data = xe;
        curl_multi_setopt(xe->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        curl_multi_setopt(xe->multi, CURLMOPT_SOCKETDATA, xe);
        curl_multi_setopt(xe->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        curl_multi_setopt(xe->multi, CURLMOPT_TIMERDATA, xe);
        curl_multi_setopt(xe->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
        *ret = xe;
        return 0;
}

static void engine_really_free(struct xfer_engine *xe)
{
        while (xe->sync_head) {
                struct xfer *x = xe->sync_head;

                xe->sync_head = x->sync_next;
                xfer_free(x);
        }
        curl_multi_cleanup(xe->multi);
        curl_global_cleanup();
        dio_pool_trim();
        free(xe);
}

static void engine_timer_closed(uv_handle_t *h)
{
        struct xfer_engine *xe = h->data;

        /* A sync or checkpoint job still in the pool frees the engine when it ends. */
        xe->closed = true;
        if (!xe->jobs)
                engine_really_free(xe);
}

/* Every transfer must have been stopped (xfer_stop) before. */
void xfer_engine_free(struct xfer_engine *xe)
{
        if (!xe)
                return;
        uv_timer_stop(&xe->timer);
        uv_timer_stop(&xe->sync_timer);
        /* libuv runs close callbacks last-closed first: the one that frees goes first. */
        uv_close((uv_handle_t *)&xe->sync_timer, engine_timer_closed);
        uv_close((uv_handle_t *)&xe->timer, NULL);
}

uint32_t xfer_active_count(struct xfer_engine *xe)
{
        /* A long queue of files waiting for their sync holds descriptors: start nothing new
         * until it drains (the batch's end kicks the scheduler). */
        return xe->n_sync >= MAX_SYNC_BACKLOG ? UINT32_MAX / 2 : xe->active;
}

/* ---- starting and stopping ------------------------------------------------------------- */

/* A hidden name beside local with 6 random bytes (rnd) in it. */
static int temp_name(const char *local, const unsigned char *rnd, char *path, size_t size)
{
        char dirbuf[PATH_MAX], basebuf[PATH_MAX];

        snprintf(dirbuf, sizeof(dirbuf), "%s", local);
        snprintf(basebuf, sizeof(basebuf), "%s", local);
        if ((size_t)snprintf(path, size, "%s/.%.100s.%02x%02x%02x%02x%02x%02x.qmgr-part",
                             dirname(dirbuf), basename(basebuf), (uint8_t)rnd[0], (uint8_t)rnd[1],
                             (uint8_t)rnd[2], (uint8_t)rnd[3], (uint8_t)rnd[4],
                             (uint8_t)rnd[5]) >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* Names the temporary files of this file and of up to NAME_AHEAD files after it that have
 * none yet, and records the names in one transaction before any of them exists, so that a
 * crash cannot orphan one and small files do not cost a store commit each. */
#define NAME_AHEAD 256u
static int name_temps(struct xfer_engine *xe, struct group *g, uint32_t index)
{
        char path[PATH_MAX];
        unsigned char rnd[NAME_AHEAD * 6]; /* one system call for every name */
        bool tx;
        int r = 0;

        for (size_t got = 0; got < sizeof(rnd);) {
                ssize_t k = getrandom(rnd + got, sizeof(rnd) - got, 0);

                if (k < 0 && errno != EINTR)
                        return -errno;
                got += k > 0 ? (size_t)k : 0;
        }
        tx = tx_begin(xe, true);
        for (uint32_t i = index, n = 0; i < g->n_files && n < NAME_AHEAD; i++) {
                struct qfile *f = &g->files[i];

                if (f->temp || f->complete || f->syncing)
                        continue;
                if ((r = temp_name(f->local, rnd + 6 * n, path, sizeof(path))) < 0 && i == index)
                        break;
                if (r < 0) {
                        r = 0;
                        continue;
                }
                f->temp = strdup(path);
                if (!f->temp) {
                        r = i == index ? -ENOMEM : 0;
                        break;
                }
                if (i == index) {
                        f->bytes_done = 0;
                        f->bytes_total = BG_SIZE_UNKNOWN;
                }
                store_save_file(g->d->store, g, i);
                n++;
        }
        tx_end(xe, tx);
        return r;
}

/* Creates x's temporary file, empty (create_new_temp), and makes it x's, from zero. */
static int adopt_new_temp(struct xfer *x)
{
        struct qfile *f = xfer_file(x);
        struct stat st;
        int fd = create_new_temp(f->temp, &st);

        if (fd < 0)
                return fd;
        f->seen = true;
        f->durable = 0;
        x->fd = fd;
        x->dev = st.st_dev;
        x->ino = st.st_ino;
        x->offset = 0;
        return 0;
}

/* Opens the temporary file of a file with progress recorded (a new file is created later,
 * write_cb; f->temp is set, xfer_start) and sets x->offset to where the transfer resumes. A
 * name that leads nowhere (the file vanished) gets a new empty file: from zero. */
static int open_temp(struct xfer *x)
{
        struct group *g = x->g;
        struct qfile *f = xfer_file(x);
        struct stat st;
        uint64_t keep;
        int fd, r;

        /* Not a plain file of ours (put there while the service was stopped): refused,
         * never written into (L9). */
        fd = open_existing_temp(f->temp, &st);
        if (fd < 0) {
                if (fd != -ENOENT)
                        return fd;
                if (f->bytes_done || f->bytes_total != BG_SIZE_UNKNOWN || f->durable) {
                        f->bytes_done = 0;
                        f->durable = 0;
                        f->bytes_total = BG_SIZE_UNKNOWN;
                        store_save_file(g->d->store, g, x->index);
                }
                return adopt_new_temp(x);
        }
        x->fd = fd;
        x->dev = st.st_dev;
        x->ino = st.st_ino;
        keep = (uint64_t)st.st_size;
        if (!f->seen) {
                /* First open since the service started: after a power cut only the synced
                 * bytes are real, and a power cut cannot be told from a SIGKILL, so trust no
                 * more than the store's offset (a checkpoint records only durable bytes,
                 * TESTING.md L13); what is past it is fetched again. */
                if (f->bytes_done < keep)
                        keep = f->bytes_done;
                f->durable = keep;
        }
        if (f->bytes_total != BG_SIZE_UNKNOWN && keep > f->bytes_total)
                keep = 0;
        if (keep < (uint64_t)st.st_size && (r = truncate_temp(x, keep)) < 0)
                return r;
        f->seen = true;
        x->offset = keep;
        f->bytes_done = x->offset;
        return 0;
}

int xfer_start(struct xfer_engine *xe, struct group *g, uint32_t index)
{
        struct xfer *x = calloc(1, sizeof(*x));
        struct qfile *f = &g->files[index];
        const struct config *cfg = &xe->d->cfg;
        char range[32];
        int r;

        if (!x)
                return -ENOMEM;
        x->xe = xe;
        x->g = g;
        x->index = index;
        g->scan_from = index;
        x->fd = -1;
        x->content_length = -1;
        x->last_modified = -1;
        xe->active++;
        x->counted = true;
        r = f->temp ? 0 : name_temps(xe, g, index);
        if (r == 0 && f->temp && !f->bytes_done && !f->durable && f->bytes_total == BG_SIZE_UNKNOWN)
                x->lazy = true; /* nothing of it on disk: created when its size is known */
        else if (r == 0)
                r = open_temp(x);
        if (r < 0) {
                fail_local(x, -r, "opening the temporary file");
                group_set_error(g, x->verdict.hr, x->verdict.context, index, x->verdict.win32, 0,
                                x->errmsg);
                xfer_free(x);
                return r;
        }
        x->easy = curl_easy_init();
        if (!x->easy) {
                xfer_free(x);
                return -ENOMEM;
        }
        x->wb_off = x->drop_off = x->offset;
        /* The name was just checked by opening it: the next check is due in a second (a
         * file that finishes sooner is checked once, at its end). */
        x->checked_at = uv_now(xe->d->loop);
        curl_easy_setopt(x->easy, CURLOPT_URL, f->url);
        curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
        curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->curl_err);
        curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 10L);
        /* Proxies come from the configuration only, never from the environment. */
        curl_easy_setopt(x->easy, CURLOPT_PROXY, "");
        curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "qmgr/" QMGR_VERSION);
        /* curl 7.88's largest: half the receive calls of 256 KiB, ~15 % faster on 1 GiB
         * (bench/get-vs-curl.sh --size 1024). */
        curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
        curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT, (long)cfg->connect_timeout);
        curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME, (long)cfg->low_speed_time);
        curl_easy_setopt(x->easy, CURLOPT_TCP_KEEPALIVE, 1L);
        if (cfg->ca_file)
                curl_easy_setopt(x->easy, CURLOPT_CAINFO, cfg->ca_file);
        if (x->offset > 0) {
                snprintf(range, sizeof(range), "%" PRIu64 "-", x->offset);
                curl_easy_setopt(x->easy, CURLOPT_RANGE, range);
                /* Resume only what is unchanged: a strong ETag, else the Last-Modified date. */
                if (f->etag && strncmp(f->etag, "W/", 2) != 0) {
                        char h[300];

                        snprintf(h, sizeof(h), "If-Range: %s", f->etag);
                        x->headers = curl_slist_append(x->headers, h);
                } else if (f->last_modified >= 0) {
                        char h[80], date[64];
                        time_t t = (time_t)f->last_modified;
                        struct tm tm;

                        gmtime_r(&t, &tm);
                        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
                        snprintf(h, sizeof(h), "If-Range: %s", date);
                        x->headers = curl_slist_append(x->headers, h);
                }
                if (x->headers)
                        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
                log_debug("group %s: file %u: resuming at byte %" PRIu64, g->id_str, index,
                          x->offset);
        }
        g->xfer = x;
        if (curl_multi_add_handle(xe->multi, x->easy) != CURLM_OK) {
                g->xfer = NULL;
                xfer_free(x);
                return -ENOMEM;
        }
        if (log_enabled(LOG_DEBUG)) {
                char shown[2048];

                log_debug("group %s: file %u: GET %s", g->id_str, index,
                          log_url(f->url, shown, sizeof(shown)));
        }
        return 0;
}

/* Before g's files are committed, its files that have all their bytes and wait for their
 * sync are synced here, at once (a commit takes every file whose bytes are all here), and
 * saved complete, without a state change (the group is being committed). Files of the batch
 * running stay with it. */
void xfer_settle(struct group *g)
{
        struct xfer_engine *xe = g->d->xe;
        struct sync_batch b = {0};
        struct xfer **keep, *x;
        bool tx;

        if (!xe || !xe->sync_head)
                return;
        for (x = xe->sync_head; x; x = x->sync_next)
                if (x->g == g)
                        b.n++;
        if (!b.n || !(b.x = calloc(b.n, sizeof(*b.x))))
                return;
        b.n = 0;
        keep = &xe->sync_head;
        xe->sync_tail = NULL;
        while ((x = *keep)) {
                if (x->g == g) {
                        *keep = x->sync_next;
                        b.x[b.n++] = x;
                        xe->n_wait--;
                        xe->n_sync--;
                        xe->wait_bytes -= x->written;
                } else {
                        xe->sync_tail = x;
                        keep = &x->sync_next;
                }
        }
        b.xe = xe;
        b.work.data = &b;
        sync_batch_work(&b.work);
        tx = tx_begin(xe, true);
        for (uint32_t i = 0; i < b.n; i++)
                if (b.x[i]->sync_err == 0)
                        save_complete(b.x[i]);
        tx_end(xe, tx);
        for (uint32_t i = 0; i < b.n; i++) {
                xfer_file(b.x[i])->syncing = false; /* a failed one is not committed */
                xfer_free(b.x[i]);
        }
        g->scan_from = 0;
        free(b.x);
}

/* x of g waits for its sync (in_batch: is being synced by the thread pool, which owns its
 * descriptor and memory meanwhile). At shutdown its bytes are kept: a waiting file is written
 * and synced now and saved complete, a file being synced stays with its batch, which saves
 * it (sync_batch_done). Otherwise it no longer reports to g (g may be freed), and a file the
 * batch creates from memory is removed again. */
static void detach_syncing(struct xfer *x, struct group *g, bool in_batch)
{
        struct qfile *f = xfer_file(x);

        if (g->d->stopping) {
                if (in_batch)
                        return;
                if (x->in_mem && mem_write(x, x->mem_path) == 0)
                        x->in_mem = false;
                if (!x->in_mem && x->fd >= 0 && dio_wait(&x->dio) == 0 && fdatasync(x->fd) == 0)
                        save_complete(x);
        } else if (in_batch) {
                x->mem_discard = x->in_mem;
        } else if (x->in_mem) {
                x->in_mem = false; /* nothing to write any more */
        }
        f->syncing = false;
        g->scan_from = 0;
        x->g = NULL;
}

void xfer_detach(struct group *g)
{
        struct xfer_engine *xe = g->d->xe;

        /* Files of g waiting for their sync no longer report to it (it is going away). */
        if (xe) {
                for (struct xfer *s = xe->sync_head; s; s = s->sync_next)
                        if (s->g == g)
                                detach_syncing(s, g, false);
                if (xe->batch)
                        for (uint32_t i = 0; i < xe->batch->n; i++)
                                if (xe->batch->x[i]->g == g)
                                        detach_syncing(xe->batch->x[i], g, true);
        }
        xfer_stop(g);
}

void xfer_stop(struct group *g)
{
        struct xfer *x = g->xfer;

        if (!x)
                return;
        g->xfer = NULL;
        keep_partial(x);
        if (dio_finish(x) < 0)
                log_warn("group %s: file %u: the last received bytes could not be written",
                         g->id_str, x->index);
        if (g->d->stopping && x->fd >= 0 && fdatasync(x->fd) == 0)
                xfer_file(x)->durable = xfer_file(x)->bytes_done; /* SIGTERM: nothing lost */
        save_durable(g, x->index);
        xfer_free(x);
}

static void ckpt_work(uv_work_t *w)
{
        struct ckpt_job *j = w->data;

        for (uint32_t i = 0; i < j->n; i++)
                j->items[i].err = fdatasync(j->items[i].fd) < 0 ? -errno : 0;
}

static void ckpt_done(uv_work_t *w, int status)
{
        struct ckpt_job *j = w->data;
        struct xfer_engine *xe = j->xe;
        struct daemon *d = xe->d;
        bool tx = false;

        (void)status;
        xe->jobs--;
        xe->ckpt_running = false;
        for (uint32_t i = 0; i < j->n; i++) {
                struct ckpt_item *it = &j->items[i];
                struct group *g;
                struct qfile *f;

                close(it->fd);
                if (it->err || xe->closed || !(g = group_find(d, &it->group, 0)) ||
                    it->index >= g->n_files)
                        continue;
                f = &g->files[it->index];
                /* Truncated meanwhile (restarted), or already further: nothing to record. */
                if (f->complete || f->trunc_gen != it->trunc_gen || it->offset <= f->durable)
                        continue;
                f->durable = it->offset;
                if (!tx)
                        tx = tx_begin(xe, true);
                save_durable(g, it->index);
        }
        tx_end(xe, tx);
        free(j->items);
        free(j);
        if (xe->closed && !xe->jobs)
                engine_really_free(xe);
}

void xfer_checkpoint(struct xfer_engine *xe)
{
        struct daemon *d = xe->d;
        struct ckpt_job *j;
        uint32_t n = 0;

        if (xe->ckpt_running || xe->closed)
                return;
        xe->ckpt_bytes = 0;
        for (struct group *g = d->groups_head; g; g = g->next)
                if (g->xfer && g->xfer->fd >= 0)
                        n++;
        if (!n || !(j = calloc(1, sizeof(*j))))
                return;
        j->items = calloc(n, sizeof(*j->items));
        if (!j->items) {
                free(j);
                return;
        }
        /* The offsets are taken before the sync: everything before them is durable after it. */
        for (struct group *g = d->groups_head; g; g = g->next) {
                struct xfer *x = g->xfer;
                struct qfile *f;
                struct ckpt_item *it;

                if (!x || x->fd < 0)
                        continue;
                f = xfer_file(x);
                if (f->bytes_done <= f->durable)
                        continue;
                it = &j->items[j->n];
                it->fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);
                if (it->fd < 0)
                        continue;
                it->group = g->id;
                it->index = x->index;
                it->trunc_gen = f->trunc_gen;
                /* Only what the file holds: the direct writer's staged bytes are written
                 * first (up to its alignment; a write error fails the transfer later). */
                if (x->dio.on)
                        dio_push(&x->dio);
                it->offset = x->dio.on ? dio_on_disk(&x->dio) : f->bytes_done;
                j->n++;
        }
        j->xe = xe;
        j->work.data = j;
        if (!j->n || uv_queue_work(d->loop, &j->work, ckpt_work, ckpt_done) < 0) {
                for (uint32_t i = 0; i < j->n; i++)
                        close(j->items[i].fd);
                free(j->items);
                free(j);
                return;
        }
        xe->ckpt_running = true;
        xe->jobs++;
}
