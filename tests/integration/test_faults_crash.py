"""Crash consistency (TESTING.md L11, the "random kills" part; QMGR.md §4.4): qmgrd is killed
with SIGKILL (by PID) at random moments of a throttled multi-file download; after each
restart every group continues, and in the end every committed file is byte-identical."""
import hashlib
import os
import random
import signal
import time

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
