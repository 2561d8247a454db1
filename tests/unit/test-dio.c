/* test-dio.c - the direct-I/O writer (src/daemon/dio.c): whatever the chunking of the bytes
 * fed to it, the resume offset, checkpoints in between or the file system (direct I/O where
 * it works, the fallback where it does not), the file ends up with exactly those bytes, and
 * dio_on_disk() never claims a byte the file does not hold. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dio.h"
#include "unit.h"

static unsigned char *pattern(size_t n, unsigned seed)
{
        unsigned char *p = malloc(n);
        uint32_t x = seed * 2654435761u + 1;

        for (size_t i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                p[i] = (unsigned char)(x >> 16);
        }
        return p;
}

/* A directory for the files: the build tree (a disk file system here) or /dev/shm. */
static char *scratch_dir(const char *parent)
{
        char tmpl[4096];
        char *d;

        snprintf(tmpl, sizeof(tmpl), "%s/dio-test.XXXXXX", parent);
        d = mkdtemp(tmpl);
        return d ? strdup(d) : NULL;
}

static void check_file(const char *path, const unsigned char *want, size_t n)
{
        struct stat st;
        unsigned char *got = malloc(n + 1);
        int fd = open(path, O_RDONLY);
        ssize_t r;

        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(fstat(fd, &st) == 0);
        ASSERT_EQ_U64(n, (uint64_t)st.st_size);
        r = pread(fd, got, n + 1, 0);
        ASSERT_EQ_INT((long long)n, r);
        ASSERT_EQ_MEM(want, got, n);
        close(fd);
        free(got);
}

/* Writes want[0..n) to a file that already holds want[0..start), in pieces of the given
 * sizes (cycled), with a checkpoint (dio_push) every push_every pieces; the last bytes with
 * dio_flush, or handed to the writer thread (async_end). */
static void run_case_end(const char *dir, size_t n, uint64_t start, const size_t *pieces,
                         size_t npieces, unsigned push_every, size_t cap, bool *used_direct,
                         bool async_end)
{
        char path[4200];
        unsigned char *want = pattern(n, (unsigned)(n + start));
        struct dio d;
        size_t at = (size_t)start, k = 0;
        int fd, r;

        snprintf(path, sizeof(path), "%s/f", dir);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT((long long)start, pwrite(fd, want, (size_t)start, 0));
        r = dio_start(&d, fd, start, cap);
        if (r < 0) {
                /* No direct I/O here (e.g. a tmpfs of an older kernel): the caller writes as
                 * usual; nothing to test but the clean refusal. */
                ASSERT_FALSE(d.on);
                ASSERT_NULL(d.buf);
                close(fd);
                unlink(path);
                free(want);
                return;
        }
        *used_direct = *used_direct || (fcntl(fd, F_GETFL) & O_DIRECT);
        while (at < n) {
                size_t len = pieces[k % npieces];

                if (len > n - at)
                        len = n - at;
                ASSERT_EQ_U64(at, dio_end(&d));
                ASSERT_EQ_INT(0, dio_write(&d, (const char *)want + at, len));
                at += len;
                if (push_every && ++k % push_every == 0) {
                        struct stat st;

                        ASSERT_EQ_INT(0, dio_push(&d));
                        /* At most an unaligned remainder stays staged. */
                        ASSERT_TRUE(dio_end(&d) - dio_on_disk(&d) < DIO_ALIGN);
                        ASSERT_TRUE(fstat(fd, &st) == 0);
                        ASSERT_TRUE(dio_on_disk(&d) <= (uint64_t)st.st_size);
                } else if (!push_every) {
                        k++;
                }
                ASSERT_TRUE(dio_on_disk(&d) <= dio_end(&d));
        }
        /* The engine hands the last bytes of a complete file to the writer thread; a
         * checkpoint or a stop writes them itself: both ways must end the same. */
        if (async_end) {
                ASSERT_EQ_INT(0, dio_flush_async(&d));
                ASSERT_FALSE(d.on);
                ASSERT_EQ_U64(n, dio_end(&d));
                ASSERT_EQ_INT(0, dio_wait(&d));
        } else {
                ASSERT_EQ_INT(0, dio_flush(&d));
                ASSERT_FALSE(d.on);
        }
        ASSERT_FALSE(fcntl(fd, F_GETFL) & O_DIRECT);
        ASSERT_EQ_U64(n, dio_on_disk(&d));
        dio_free(&d);
        close(fd);
        check_file(path, want, n);
        unlink(path);
        free(want);
}

static void run_case(const char *dir, size_t n, uint64_t start, const size_t *pieces,
                     size_t npieces, unsigned push_every, size_t cap, bool *used_direct)
{
        run_case_end(dir, n, start, pieces, npieces, push_every, cap, used_direct, false);
        run_case_end(dir, n, start, pieces, npieces, push_every, cap, used_direct, true);
}

static void run_all(const char *parent, bool expect_direct)
{
        static const size_t odd[] = {1, 4095, 4097, 16384, 7, 262144, 100000, 3};
        static const size_t big[] = {262144};
        static const size_t tiny[] = {1};
        char *dir = scratch_dir(parent);
        bool direct = false;

        ASSERT_NOT_NULL(dir);
        /* From zero and from unaligned and aligned resume offsets; buffers smaller than,
         * equal to and larger than the pieces. */
        for (int s = 0; s < 4; s++) {
                static const uint64_t starts[] = {0, 1, 4096, 123457};

                run_case(dir, 3 * 1024 * 1024 + 17, starts[s], odd, 8, 0, 1 << 20, &direct);
                run_case(dir, 3 * 1024 * 1024 + 17, starts[s], odd, 8, 3, 1 << 20, &direct);
                run_case(dir, 2 * 1024 * 1024, starts[s], big, 1, 0, 256 * 1024, &direct);
                run_case(dir, 2 * 1024 * 1024 + 4095, starts[s], big, 1, 1, 8192, &direct);
                run_case(dir, 130000, starts[s] % 65536, odd, 8, 2, 5000, &direct);
        }
        run_case(dir, 20000, 9999, tiny, 1, 1000, 4096, &direct);
        if (expect_direct)
                ASSERT_TRUE(direct);
        rmdir(dir);
        free(dir);
}

TEST(dio_disk_bytes_exact)
{
        /* The build tree is on a disk file system in CI, which takes O_DIRECT. */
        char *cwd = getcwd(NULL, 0);
        int fd;
        bool disk;
        char probe[4200];

        snprintf(probe, sizeof(probe), "%s/.dio-probe", cwd);
        fd = open(probe, O_WRONLY | O_CREAT | O_DIRECT, 0600);
        disk = fd >= 0;
        if (fd >= 0)
                close(fd);
        unlink(probe);
        run_all(cwd, disk);
        free(cwd);
}

TEST(dio_tmpfs_bytes_exact)
{
        if (access("/dev/shm", W_OK) != 0)
                return;
        run_all("/dev/shm", false);
}

TEST(dio_start_refuses_cleanly_on_a_bad_descriptor)
{
        struct dio d;

        ASSERT_TRUE(dio_start(&d, -1, 0, 1 << 20) < 0);
        ASSERT_FALSE(d.on);
        ASSERT_NULL(d.buf);
        dio_drop(&d);
        dio_free(&d);
        ASSERT_EQ_INT(0, dio_flush(&d));
}

/* A write that fails in the writer thread (here: a descriptor opened read-only) is reported
 * by the next call and by dio_wait, nothing after it is written, and dio_on_disk() never
 * passes what the file holds. */
TEST(dio_write_error_in_the_writer_is_reported)
{
        char *cwd = getcwd(NULL, 0), path[4200];
        unsigned char *want = pattern(8 << 20, 7);
        struct dio d;
        int fd, r = 0;

        snprintf(path, sizeof(path), "%s/.dio-ro", cwd);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        fd = open(path, O_RDONLY);
        ASSERT_TRUE(fd >= 0);
        if (dio_start(&d, fd, 0, 1 << 20) == 0) {
                for (size_t at = 0; at < (8u << 20) && r == 0; at += 256 * 1024)
                        r = dio_write(&d, (const char *)want + at, 256 * 1024);
                if (r == 0)
                        r = dio_flush_async(&d);
                if (r == 0)
                        r = dio_wait(&d);
                ASSERT_TRUE(r < 0);
                ASSERT_EQ_INT(r, dio_wait(&d));
                ASSERT_EQ_U64(0, dio_on_disk(&d));
                ASSERT_TRUE(dio_flush(&d) < 0);
                dio_drop(&d);
                dio_free(&d);
        }
        close(fd);
        unlink(path);
        free(want);
        free(cwd);
}
