#!/usr/bin/env python3
"""fs-floor.py - the file-system work alone of N small files, done curl's way and qmgr's way.

    bench/fs-floor.py [--files 10000] [--size 4096] [--rounds 3] [--dir /var/tmp/qmgr-bench]

No network, no service: this process does only the system calls each way needs, so the
difference is the price of QMGR.md's contract (a hidden 0600 temporary name, the final mode
and mtime, the data durable before the file counts, and the rename at the commit), not of
any implementation. Ways, each into a fresh directory on the same file system:

  curl        open(final, O_CREAT|O_TRUNC), write, close                (what curl -o does)
  curl+sync   the same, then one syncfs                                  (compare.sh's +sync)
  qmgr        open(hidden temp, O_CREAT|O_EXCL|O_NOFOLLOW, 0600), write, fchmod, futimens,
              posix_fadvise(DONTNEED) after a syncfs per batch of 128 (the sync batch), then
              the commit: renameat per file and one fsync of the directory

Prints, per way, the median over rounds of the wall time and of this process's CPU time
(user + system), and qmgr's extra CPU over curl. Outputs are kept until the end (ext4
without a journal checks recently deleted inodes one by one when it allocates new ones) and
removed then."""
import argparse
import os
import shutil
import statistics
import tempfile
import time

BATCH = 128


def cpu():
    t = os.times()
    return t.user + t.system


def way_curl(d, n, data, sync):
    for i in range(n):
        fd = os.open(os.path.join(d, "s%05d.bin" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o666)
        os.write(fd, data)
        os.close(fd)
    if sync:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        os.syncfs(fd)
        os.close(fd)


def way_qmgr(d, n, data):
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    names = []
    for start in range(0, n, BATCH):
        fds = []
        for i in range(start, min(n, start + BATCH)):
            temp = ".s%05d.bin.%012x.qmgr-part" % (i, 0x5eed0000 + i)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                         dir_fd=dfd)
            os.write(fd, data)
            os.fchmod(fd, 0o644)
            os.utime(fd, ns=(time.time_ns(), 1_700_000_000 * 10**9))
            fds.append(fd)
            names.append((temp, "s%05d.bin" % i))
        os.syncfs(fds[0])
        for fd in fds:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
    for temp, final in names:
        os.rename(temp, final, src_dir_fd=dfd, dst_dir_fd=dfd)
    os.fsync(dfd)
    os.close(dfd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default="/var/tmp/qmgr-bench")
    a = ap.parse_args()
    if not hasattr(os, "syncfs"):
        # Python's os module has no syncfs: the C library's, failing loudly like os calls.
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)

        def syncfs(fd):
            if libc.syncfs(fd) < 0:
                raise OSError(ctypes.get_errno(), "syncfs")
        os.syncfs = syncfs
    os.makedirs(a.dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fs-floor.", dir=a.dir)
    data = os.urandom(a.size)
    ways = {"curl": lambda d: way_curl(d, a.files, data, False),
            "curl+sync": lambda d: way_curl(d, a.files, data, True),
            "qmgr": lambda d: way_qmgr(d, a.files, data)}
    wall = {w: [] for w in ways}
    used = {w: [] for w in ways}
    try:
        os.sync()
        for r in range(a.rounds):
            order = list(ways)
            order = order[r % len(order):] + order[:r % len(order)]
            for w in order:
                d = os.path.join(work, "%d-%s" % (r, w))
                os.mkdir(d)
                t0, c0 = time.perf_counter(), cpu()
                ways[w](d)
                wall[w].append(time.perf_counter() - t0)
                used[w].append(cpu() - c0)
        print("fs-floor.py: %d files of %d bytes, %d rounds, on %s; medians" %
              (a.files, a.size, a.rounds, a.dir))
        print("| way | wall s | CPU s (user+sys) |")
        print("|---|---|---|")
        for w in ways:
            print("| %s | %.3f | %.3f |" % (w, statistics.median(wall[w]),
                                            statistics.median(used[w])))
        extra = statistics.median(used["qmgr"]) - statistics.median(used["curl"])
        print("qmgr's contract costs %.3f CPU s more than curl's way (%.1f us per file)" %
              (extra, 1e6 * extra / a.files))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
