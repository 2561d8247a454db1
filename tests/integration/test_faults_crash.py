"""Crash consistency (TESTING.md L11, the "random kills" part; QMGR.md §4.4): qmgrd is killed
with SIGKILL (by PID) at random moments of a throttled multi-file download; after each
restart every group continues, and in the end every committed file is byte-identical."""
import hashlib
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import fault_group, wait_final, wait_for

N_KILLS = 20  # issue 4: kills at 20 random moments


def kill9(svc):
    p, svc.proc = svc.proc, None
    os.kill(p.pid, signal.SIGKILL)
    p.wait()


def test_sigkill_at_random_moments_then_every_file_identical(faultsrv, make_qmgrd, tmp_path):
    rng = random.Random(os.environ.get("QMGR_CRASH_SEED", "4"))
    svc = make_qmgrd(checkpoint_seconds=1, max_active_transfers=4)
    groups = []
    for gi in range(3):
        dest = tmp_path / ("d%d" % gi)
        dest.mkdir()
        # 9 files of 0.5-1.1 MB at 100 KB/s over 4 transfers: ~20 s of transfer, so the
        # kills (one every 0.3-1.3 s) land while files are moving.
        urls = [faultsrv.url("ok", size=rng.randint(500000, 1100000), rate=100000,
                             seed="c%d-%d" % (gi, i)) for i in range(3)]
        gid, locals_ = fault_group(svc, dest, urls, name="crash%d" % gi)
        groups.append((gid, urls, locals_, dest))
    # and small files, kept in memory until the sync batch writes them (xfer.c MEM_MAX):
    # 8 of 20-60 kB at 30 kB/s, about a second each
    dest = tmp_path / "small"
    dest.mkdir()
    urls = [faultsrv.url("ok", size=rng.randint(20000, 60000), rate=30000, seed="s-%d" % i)
            for i in range(8)]
    gid, locals_ = fault_group(svc, dest, urls, name="crash-small")
    groups.append((gid, urls, locals_, dest))

    killed_while_moving = 0
    for _ in range(N_KILLS):
        time.sleep(rng.uniform(0.3, 1.3))
        states = [svc.qmgr("info", gid, json=True)["state"] for gid, *_ in groups]
        killed_while_moving += any(s in ("CONNECTING", "TRANSFERRING") for s in states)
        kill9(svc)
        svc.start()
    assert killed_while_moving >= N_KILLS // 2, killed_while_moving

    for gid, urls, locals_, dest in groups:
        info = wait_final(svc, gid, timeout=90)
        assert info["state"] == "TRANSFERRED", info
        assert [f["bytes_total"] for f in info["files"]] == [len(faultsrv.data(u)) for u in urls]
        svc.qmgr("complete", gid)
        for u, local in zip(urls, locals_):
            assert hashlib.sha256(local.read_bytes()).hexdigest() == \
                hashlib.sha256(faultsrv.data(u)).hexdigest(), local
        assert sorted(os.listdir(dest)) == sorted(p.name for p in locals_)  # no leftovers
    # resumed requests asked for ranges inside the files, and some resumes did happen
    ranged = [r for r in faultsrv.requests("/ok/") if r["range"]]
    for r in ranged:
        start = int(r["range"][6:-1])
        size = len(faultsrv.data(faultsrv.base + r["path"]))
        assert 0 < start <= size, r
    assert ranged, "no kill interrupted a transfer"


# ---- kills at the durability points (TESTING.md L11, first part) ----------------------

def _strace_kill(svc, syscalls, n):
    """Attaches strace to the running qmgrd (every thread, and those it starts later): the
    nth call of one of syscalls kills the whole service with SIGKILL as the call starts."""
    p = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-p", str(svc.pid),
                          "-e", "trace=" + syscalls,
                          "-e", "inject=%s:signal=SIGKILL:when=%d" % (syscalls, n)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def traced():
        with open("/proc/%d/status" % svc.pid) as f:
            return any(line.startswith("TracerPid:") and line.split()[1] != "0" for line in f)
    wait_for(traced, timeout=10, what="strace to attach to qmgrd")
    return p


def _died(svc, tracer, timeout=30):
    """Waits for the killed service, and starts it again (without strace)."""
    try:
        rc = svc.proc.wait(timeout=timeout)
    finally:
        tracer.kill()
        tracer.wait()
    assert rc == -signal.SIGKILL, "qmgrd was not killed at the injected call (status %s)" % rc
    svc.proc = None
    svc.start()


def _files(faultsrv, n_small=4, n_large=2):
    """Small files (written by the sync batch from memory) and large ones (direct writes)."""
    return ([faultsrv.url("ok", size=30000 + i, seed="ds%d" % i) for i in range(n_small)] +
            [faultsrv.url("ok", size=1_600_000 + i, seed="dl%d" % i) for i in range(n_large)])


def _check(svc, faultsrv, gid, urls, locals_, dest):
    info = wait_final(svc, gid, timeout=60)
    assert info["state"] == "TRANSFERRED", info
    svc.qmgr("complete", gid)
    for u, local in zip(urls, locals_):
        assert local.read_bytes() == faultsrv.data(u), local
    assert sorted(os.listdir(dest)) == sorted(p.name for p in locals_)  # nothing else


@pytest.mark.parametrize("syscalls,n", [("pwrite64", 2), ("pwrite64", 9), ("fdatasync", 1),
                                        ("fdatasync", 3), ("syncfs", 1)])
def test_sigkill_at_a_durability_point_of_a_download(faultsrv, make_qmgrd, dest, syscalls, n):
    svc = make_qmgrd()
    urls = _files(faultsrv)
    gid, locals_ = fault_group(svc, dest, urls, resume=False)
    tracer = _strace_kill(svc, syscalls, n)
    svc.qmgr("resume", gid, check=False)  # the store's own writes count: it may die here
    _died(svc, tracer)
    svc.qmgr("resume", gid)  # again, in case the first never reached the store
    _check(svc, faultsrv, gid, urls, locals_, dest)


@pytest.mark.parametrize("syscalls,n", [("renameat,renameat2", 1), ("renameat,renameat2", 4),
                                        ("fsync", 1)])
def test_sigkill_in_the_middle_of_a_commit(faultsrv, make_qmgrd, dest, syscalls, n):
    """A partial commit resumes idempotently: the restarted service finishes the commit it
    had decided (the files renamed already are recognised), every file in place and
    byte-identical, the group gone, nothing left over."""
    svc = make_qmgrd()
    urls = _files(faultsrv)
    gid, locals_ = fault_group(svc, dest, urls)
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"
    tracer = _strace_kill(svc, syscalls, n)
    rc, out, err = svc.qmgr("complete", gid, check=False)
    assert rc != 0, (rc, out, err)  # the service died under it
    _died(svc, tracer)
    if syscalls == "fsync" and "finishing the commit" not in svc.log_text():
        # SQLite built to sync with fsync: the kill came before the decision was saved, so
        # nothing was renamed and the group waits for a Complete as before
        svc.qmgr("complete", gid)
    else:
        assert "finishing the commit" in svc.log_text()
    assert gid not in svc.qmgr("list")[1]
    for u, local in zip(urls, locals_):
        assert local.read_bytes() == faultsrv.data(u), local
    assert sorted(os.listdir(dest)) == sorted(p.name for p in locals_)


@pytest.mark.parametrize("n", [1, 3])
def test_sigkill_in_the_middle_of_a_cancel(faultsrv, make_qmgrd, dest, n):
    """Cancel cleanup finishes: after the restart no temporary file is left, and the group is
    gone (or goes with a second abort)."""
    svc = make_qmgrd()
    urls = _files(faultsrv)
    gid, locals_ = fault_group(svc, dest, urls)
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"
    assert len(os.listdir(dest)) == len(urls)  # the temporary files
    tracer = _strace_kill(svc, "unlink,unlinkat", n)
    rc, out, err = svc.qmgr("abort", gid, check=False)
    assert rc != 0, (rc, out, err)
    _died(svc, tracer)
    rc, out, err = svc.qmgr("abort", gid, check=False)
    wait_for(lambda: os.listdir(dest) == [], timeout=10,
             what="the temporary files to be removed (left: %s)" % os.listdir(dest))
    assert gid not in svc.qmgr("list")[1]
