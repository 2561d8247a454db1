/* dio.h - writing a large download with direct I/O (O_DIRECT) through an aligned staging
 * buffer: the bytes go from the buffer to the disk without the page cache (no copy into it,
 * no pages to allocate, write back and reclaim, nothing of the foreground's cache evicted).
 *
 * The writer owns nothing but its buffer: the caller owns the descriptor. Bytes are staged in
 * the buffer and written in whole aligned chunks; dio_flush() writes what is staged (the
 * aligned part direct, an unaligned tail through the page cache) and turns direct I/O off
 * again. dio_on_disk() says how far the file really holds the bytes: a checkpoint must not
 * count staged bytes. Where the file system refuses direct I/O (open flag or an aligned write
 * refused with EINVAL), the writer falls back to ordinary writes, so its result is the same
 * bytes either way.
 *
 * Full chunks are written by one writer thread, in the order they were handed over, while
 * the caller goes on receiving (a direct write waits for the device: 0.6 s of every GiB
 * here, docs/performance.md). A file has at most DIO_INFLIGHT chunks queued or being
 * written, and the writer at most DIO_QUEUE_MAX in all: past that the caller waits, so the
 * memory a fast network fills is bounded by the disk. dio_flush_async() hands the last
 * bytes of a complete file to the writer too; dio_wait() waits for a file's writes and says
 * whether they all succeeded. Every function but dio_wait() and dio_on_disk() is for the one
 * thread that feeds d; the descriptor must stay open, and the file untruncated, while
 * writes are pending (dio_drop, dio_flush, dio_push and dio_free wait for them first). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Alignment of the offsets, lengths and buffer of direct writes (every common device's
 * logical block size divides it). */
#define DIO_ALIGN 4096u

/* Buffers of at most this size come from a small pool of buffers of this size and go back
 * to it: a new buffer of a megabyte costs hundreds of page faults (a lot more in a virtual
 * machine whose host backs fresh pages lazily), a reused one none. */
#define DIO_POOL_CAP (2u << 20)
#define DIO_POOL_MAX 12u

/* Chunks of one file queued or being written at once, and of all files. */
#define DIO_INFLIGHT  2u
#define DIO_QUEUE_MAX 8u

struct dio {
        int fd;        /* borrowed */
        bool on;       /* O_DIRECT is set on fd and the buffer is in use */
        bool pooled;   /* buf is DIO_POOL_CAP bytes from the pool */
        char *buf;     /* DIO_ALIGN-aligned, cap bytes */
        size_t cap;    /* a multiple of DIO_ALIGN */
        size_t fill;   /* bytes staged: buf[0..fill) belongs at file offset base */
        uint64_t base; /* a multiple of DIO_ALIGN */
        /* Shared with the writer thread, under its lock: */
        unsigned pending; /* chunks handed over and not written yet */
        uint64_t on_disk; /* the file holds every byte before this offset */
        int err;          /* the first failed write's negative errno, or 0 */
};

/* Starts direct writes of fd at file offset `offset` (the file holds exactly the bytes before
 * it) with a buffer of `cap` bytes (rounded up to DIO_ALIGN). Returns 0, or a negative errno
 * when direct I/O cannot be used (d stays off and the caller writes as before). */
int dio_start(struct dio *d, int fd, uint64_t offset, size_t cap);

/* Writes len bytes that belong at the current end (dio_end()). Returns 0 or a negative errno
 * (then the transfer fails: dio_on_disk() still says what the file holds). */
int dio_write(struct dio *d, const char *data, size_t len);

/* Writes the staged bytes up to the last aligned offset (a checkpoint's, so that it can
 * count them; at most DIO_ALIGN - 1 bytes stay staged). Returns 0 or a negative errno. */
int dio_push(struct dio *d);

/* Writes every staged byte and turns direct I/O off (the fd is left without O_DIRECT).
 * Returns 0 or a negative errno; afterwards the file holds every byte up to dio_end() on
 * success, and at least the bytes up to dio_on_disk() either way. */
int dio_flush(struct dio *d);

/* Hands every staged byte to the writer thread, which writes them and turns direct I/O off
 * (d is off at once: nothing more may be written through it). dio_wait() says when they are
 * written. Returns 0, or a negative errno of an earlier write (nothing handed over). */
int dio_flush_async(struct dio *d);

/* Waits until the writer has written every chunk of d handed over; returns 0, or the first
 * failed write's negative errno. Any thread may call it. */
int dio_wait(struct dio *d);

/* Forgets the staged bytes and turns direct I/O off (the caller truncates the file). */
void dio_drop(struct dio *d);

/* The end of the bytes written so far (staged or in the file). */
uint64_t dio_end(const struct dio *d);

/* The file holds every byte before this offset (written, not only handed over). */
uint64_t dio_on_disk(const struct dio *d);

/* Waits for d's pending writes, then frees the buffer (after dio_flush or dio_drop); a pool
 * buffer goes back to the pool (the pool is shared with the writer thread, under its lock). */
void dio_free(struct dio *d);

/* Frees the pool's idle buffers (when nothing transfers). */
void dio_pool_trim(void);

/* pwrite(2) of all len bytes at off, again after EINTR or a short write (the engine's
 * ordinary writes use it too). Returns 0 or a negative errno (-EIO for a write of nothing). */
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
