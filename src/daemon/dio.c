/* dio.c - direct-I/O writes of a large download through an aligned staging buffer, and the
 * writer thread that does them while the event loop goes on receiving (dio.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dio.h"

static int set_direct(int fd, bool on)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0)
                return -errno;
        fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
        return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
        const char *p = buf;

        while (len) {
                ssize_t n = pwrite(fd, p, len, (off_t)off);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
                off += (uint64_t)n;
        }
        return 0;
}

/* ---- the writer thread, its queue and the buffer pool, under one lock ---------------- */

/* A chunk handed to the writer: buf[0..direct) is written direct at off; a final chunk then
 * turns O_DIRECT off and writes buf[direct..len) through the page cache. */
struct job {
        struct dio *d;
        int fd;
        char *buf;
        bool pooled;
        bool final;
        size_t len, direct;
        uint64_t off;
        struct job *next;
};

static struct {
        pthread_mutex_t mu;
        pthread_cond_t work; /* a job was queued */
        pthread_cond_t done; /* a job was written */
        struct job *head, *tail;
        unsigned queued;      /* jobs waiting, not the one being written */
        bool started, failed; /* failed: no thread could be started (writes are inline) */
        void *pool[DIO_POOL_MAX];
        unsigned npool;
} w = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

/* A buffer of at least cap bytes, DIO_ALIGN-aligned (*pooled: DIO_POOL_CAP bytes that go
 * back to the pool). */
static void *get_buf(size_t cap, bool *pooled)
{
        void *p = NULL;

        *pooled = cap <= DIO_POOL_CAP;
        if (*pooled) {
                pthread_mutex_lock(&w.mu);
                if (w.npool)
                        p = w.pool[--w.npool];
                pthread_mutex_unlock(&w.mu);
                if (p)
                        return p;
                cap = DIO_POOL_CAP;
        }
        return posix_memalign(&p, DIO_ALIGN, cap) == 0 ? p : NULL;
}

static void put_buf_locked(void *p, bool pooled)
{
        if (pooled && w.npool < DIO_POOL_MAX)
                w.pool[w.npool++] = p;
        else
                free(p);
}

static void put_buf(void *p, bool pooled)
{
        pthread_mutex_lock(&w.mu);
        put_buf_locked(p, pooled);
        pthread_mutex_unlock(&w.mu);
}

void dio_pool_trim(void)
{
        pthread_mutex_lock(&w.mu);
        while (w.npool)
                free(w.pool[--w.npool]);
        pthread_mutex_unlock(&w.mu);
}

/* A direct write; a file system that takes the O_DIRECT flag but refuses the write itself
 * gets it through the page cache, and direct I/O is left off for the rest. */
static int write_direct(int fd, const char *buf, size_t n, uint64_t off)
{
        int r = pwrite_full(fd, buf, n, off);

        if (r == -EINVAL && set_direct(fd, false) == 0)
                r = pwrite_full(fd, buf, n, off);
        return r;
}

static int do_job(const struct job *j)
{
        int r = j->direct ? write_direct(j->fd, j->buf, j->direct, j->off) : 0, r2;

        if (j->final) {
                r2 = set_direct(j->fd, false);
                if (r == 0)
                        r = r2;
                if (r == 0 && j->len > j->direct)
                        r = pwrite_full(j->fd, j->buf + j->direct, j->len - j->direct,
                                        j->off + j->direct);
        }
        return r;
}

/* Called with the lock held, and returns with it held; j is freed. */
static void run_job_locked(struct job *j)
{
        struct dio *d = j->d;
        bool skip = d->err != 0; /* after a failed write nothing further of the file is */
        int r = 0;

        pthread_mutex_unlock(&w.mu);
        if (!skip)
                r = do_job(j);
        else if (j->final)
                set_direct(j->fd, false);
        pthread_mutex_lock(&w.mu);
        if (r < 0 && !d->err)
                d->err = r;
        else if (!skip && r == 0)
                d->on_disk = j->off + j->len;
        d->pending--;
        put_buf_locked(j->buf, j->pooled);
        free(j);
        pthread_cond_broadcast(&w.done);
}

static void *writer_main(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&w.mu);
        for (;;) {
                struct job *j;

                while (!w.head)
                        pthread_cond_wait(&w.work, &w.mu);
                j = w.head;
                w.head = j->next;
                if (!w.head)
                        w.tail = NULL;
                w.queued--; /* before the broadcast that wakes a submitter waiting for it */
                run_job_locked(j);
        }
        return NULL;
}

/* Starts the writer thread (lock held), with every signal blocked: the event loop's thread
 * handles them. Returns false if it cannot (writes are then done by the caller). */
static bool writer_started_locked(void)
{
        sigset_t all, old;
        pthread_t t;
        int e;

        if (w.started || w.failed)
                return w.started;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        e = pthread_create(&t, NULL, writer_main, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (e != 0) {
                w.failed = true;
                return false;
        }
        pthread_detach(t);
        w.started = true;
        return true;
}

/* Hands buf (owned by the writer from now on, if this succeeds) to the writer; waits first
 * while d has DIO_INFLIGHT chunks pending or the writer DIO_QUEUE_MAX. Returns 0, or the
 * negative errno of an earlier failed write of d (buf stays the caller's). */
static int submit(struct dio *d, char *buf, bool pooled, size_t len, size_t direct, bool final)
{
        struct job *j = malloc(sizeof(*j));
        int r;

        if (!j)
                return -ENOMEM;
        *j = (struct job){.d = d,
                          .fd = d->fd,
                          .buf = buf,
                          .pooled = pooled,
                          .final = final,
                          .len = len,
                          .direct = direct,
                          .off = d->base};
        pthread_mutex_lock(&w.mu);
        while (!d->err && writer_started_locked() &&
               (d->pending >= DIO_INFLIGHT || w.queued >= DIO_QUEUE_MAX))
                pthread_cond_wait(&w.done, &w.mu);
        if ((r = d->err) < 0) {
                pthread_mutex_unlock(&w.mu);
                free(j);
                return r;
        }
        d->pending++;
        if (!w.started) {
                run_job_locked(j); /* no thread: written here, at once */
        } else {
                if (w.tail)
                        w.tail->next = j;
                else
                        w.head = j;
                w.tail = j;
                w.queued++;
                pthread_cond_signal(&w.work);
        }
        pthread_mutex_unlock(&w.mu);
        return 0;
}

int dio_wait(struct dio *d)
{
        int r;

        pthread_mutex_lock(&w.mu);
        while (d->pending)
                pthread_cond_wait(&w.done, &w.mu);
        r = d->err;
        pthread_mutex_unlock(&w.mu);
        return r;
}

/* ---- the caller's side ---------------------------------------------------------------- */

int dio_start(struct dio *d, int fd, uint64_t offset, size_t cap)
{
        size_t head;
        void *p;
        int r;

        memset(d, 0, sizeof(*d));
        d->fd = fd;
        cap = (cap + DIO_ALIGN - 1) / DIO_ALIGN * DIO_ALIGN;
        if (cap == 0 || !(p = get_buf(cap, &d->pooled)))
                return -ENOMEM;
        d->buf = p;
        d->cap = cap;
        d->base = offset / DIO_ALIGN * DIO_ALIGN;
        d->on_disk = d->base;
        head = (size_t)(offset - d->base);
        /* The block the resumed file ends in is rewritten whole: its first bytes come from
         * the file (read before O_DIRECT is set, so no alignment rules apply). */
        if (head) {
                size_t got = 0;

                while (got < head) {
                        ssize_t n = pread(fd, d->buf + got, head - got, (off_t)(d->base + got));

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                r = n < 0 ? -errno : -EIO;
                                dio_free(d);
                                return r;
                        }
                        got += (size_t)n;
                }
        }
        if ((r = set_direct(fd, true)) < 0) {
                dio_free(d);
                return r;
        }
        d->fill = head;
        d->on = true;
        return 0;
}

/* The full buffer goes to the writer; the bytes after it are staged in a new one. */
static int hand_over(struct dio *d)
{
        bool pooled;
        char *next = get_buf(d->cap, &pooled);
        int r;

        if (!next)
                return -ENOMEM;
        if ((r = submit(d, d->buf, d->pooled, d->cap, d->cap, false)) < 0) {
                put_buf(next, pooled);
                return r;
        }
        d->buf = next;
        d->pooled = pooled;
        d->base += d->cap;
        d->fill = 0;
        return 0;
}

int dio_write(struct dio *d, const char *data, size_t len)
{
        while (len) {
                size_t n = d->cap - d->fill;
                int r;

                if (n > len)
                        n = len;
                memcpy(d->buf + d->fill, data, n);
                d->fill += n;
                data += n;
                len -= n;
                if (d->fill < d->cap)
                        break;
                if ((r = hand_over(d)) < 0)
                        return r; /* dio_on_disk() still says what the file holds */
        }
        return 0;
}

/* Records a write the caller did itself (nothing pending). */
static int wrote(struct dio *d, int r, uint64_t end)
{
        pthread_mutex_lock(&w.mu);
        if (r < 0 && !d->err)
                d->err = r;
        else if (r == 0)
                d->on_disk = end;
        pthread_mutex_unlock(&w.mu);
        return r;
}

int dio_push(struct dio *d)
{
        size_t aligned;
        int r;

        if (!d->on)
                return 0;
        if ((r = dio_wait(d)) < 0)
                return r;
        aligned = d->fill / DIO_ALIGN * DIO_ALIGN;
        if (aligned) {
                if ((r = wrote(d, write_direct(d->fd, d->buf, aligned, d->base),
                               d->base + aligned)) < 0)
                        return r;
                memmove(d->buf, d->buf + aligned, d->fill - aligned);
                d->base += aligned;
                d->fill -= aligned;
        }
        return 0;
}

int dio_flush(struct dio *d)
{
        int r;

        if (!d->on)
                return dio_wait(d);
        if ((r = dio_push(d)) < 0)
                return r;
        /* The unaligned tail goes through the page cache (the final sync writes it). */
        if ((r = set_direct(d->fd, false)) < 0)
                return r;
        if (d->fill) {
                if ((r = wrote(d, pwrite_full(d->fd, d->buf, d->fill, d->base),
                               d->base + d->fill)) < 0)
                        return r;
                d->base += d->fill;
                d->fill = 0;
        }
        d->on = false;
        return 0;
}

int dio_flush_async(struct dio *d)
{
        int r;

        if (!d->on)
                return dio_wait(d);
        if ((r = submit(d, d->buf, d->pooled, d->fill, d->fill / DIO_ALIGN * DIO_ALIGN, true)) < 0)
                return r;
        d->buf = NULL;
        d->pooled = false;
        d->cap = 0;
        d->base += d->fill;
        d->fill = 0;
        d->on = false;
        return 0;
}

void dio_drop(struct dio *d)
{
        dio_wait(d);
        if (d->on)
                set_direct(d->fd, false);
        d->on = false;
        d->fill = 0;
}

uint64_t dio_end(const struct dio *d)
{
        return d->base + d->fill;
}

uint64_t dio_on_disk(const struct dio *d)
{
        uint64_t r;

        pthread_mutex_lock(&w.mu);
        r = d->on_disk;
        pthread_mutex_unlock(&w.mu);
        return r;
}

void dio_free(struct dio *d)
{
        dio_wait(d);
        if (d->buf)
                put_buf(d->buf, d->pooled);
        d->buf = NULL;
        d->pooled = false;
        d->cap = 0;
}
