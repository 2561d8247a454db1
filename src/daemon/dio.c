/* dio.c - direct-I/O writes of a large download through an aligned staging buffer (dio.h). */
#include <errno.h>
#include <fcntl.h>
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

static struct {
        void *buf[DIO_POOL_MAX];
        unsigned n;
} pool;

void dio_pool_trim(void)
{
        while (pool.n)
                free(pool.buf[--pool.n]);
}

int dio_start(struct dio *d, int fd, uint64_t offset, size_t cap)
{
        size_t head;
        void *p = NULL;
        int r;

        memset(d, 0, sizeof(*d));
        d->fd = fd;
        cap = (cap + DIO_ALIGN - 1) / DIO_ALIGN * DIO_ALIGN;
        if (cap == 0)
                return -ENOMEM;
        if (cap <= DIO_POOL_CAP) {
                if (pool.n)
                        p = pool.buf[--pool.n];
                else if (posix_memalign(&p, DIO_ALIGN, DIO_POOL_CAP) != 0)
                        p = NULL;
                d->pooled = p != NULL;
        } else if (posix_memalign(&p, DIO_ALIGN, cap) != 0) {
                p = NULL;
        }
        if (!p)
                return -ENOMEM;
        d->buf = p;
        d->cap = cap;
        d->base = offset / DIO_ALIGN * DIO_ALIGN;
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

/* Writes the first n bytes of the buffer (n a multiple of DIO_ALIGN) at base. A file system
 * that takes the O_DIRECT flag but refuses the write itself gets it through the page cache,
 * and direct I/O is left off for the rest. */
static int write_chunk(struct dio *d, size_t n)
{
        int r = pwrite_full(d->fd, d->buf, n, d->base);

        if (r == -EINVAL && set_direct(d->fd, false) == 0)
                r = pwrite_full(d->fd, d->buf, n, d->base);
        return r;
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
                if ((r = write_chunk(d, d->cap)) < 0)
                        return r; /* dio_on_disk() still says what the file holds */
                d->base += d->cap;
                d->fill = 0;
        }
        return 0;
}

int dio_push(struct dio *d)
{
        size_t aligned;
        int r;

        if (!d->on)
                return 0;
        aligned = d->fill / DIO_ALIGN * DIO_ALIGN;
        if (aligned) {
                if ((r = write_chunk(d, aligned)) < 0)
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
                return 0;
        if ((r = dio_push(d)) < 0)
                return r;
        /* The unaligned tail goes through the page cache (the final sync writes it). */
        if ((r = set_direct(d->fd, false)) < 0)
                return r;
        if (d->fill) {
                if ((r = pwrite_full(d->fd, d->buf, d->fill, d->base)) < 0)
                        return r;
                d->base += d->fill;
                d->fill = 0;
        }
        d->on = false;
        return 0;
}

void dio_drop(struct dio *d)
{
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
        return d->base;
}

void dio_free(struct dio *d)
{
        if (d->pooled && pool.n < DIO_POOL_MAX)
                pool.buf[pool.n++] = d->buf;
        else
                free(d->buf);
        d->buf = NULL;
        d->pooled = false;
        d->cap = 0;
}
