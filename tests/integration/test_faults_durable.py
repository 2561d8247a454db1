"""Durable checkpoints (TESTING.md I2, L13; QMGR.md §4.4): the offset the store records for a
moving file is at most what was synced, and a restart resumes from that offset, not from the
size on disk, so a tail lost to a power cut (zero-filled by the file system) is fetched again
instead of being committed."""
import hashlib
import os
import signal
import sqlite3
import time

from conftest import fault_group, wait_final, wait_for


def stored_file(svc):
    db = sqlite3.connect("file:%s?mode=ro" % (svc.state_dir / "queue.db"), uri=True)
    try:
        return db.execute("SELECT temp, bytes_done, complete FROM files").fetchone()
    finally:
        db.close()


def checkpoint_inside(svc, size, timeout, what):
    """Waits until the store records a durable offset inside the (unfinished) file; returns
    the row (temp, bytes_done, complete)."""
    def checkpointed():
        row = stored_file(svc)
        return row if row and row[0] and 0 < row[1] < size and not row[2] else None
    return wait_for(checkpointed, timeout=timeout, what=what)


def test_zero_filled_tail_past_the_checkpoint_is_fetched_again(faultsrv, make_qmgrd, tmp_path):
    svc = make_qmgrd(checkpoint_seconds=1)
    size = 1_500_000
    url = faultsrv.url("ok", size=size, rate=300000, seed="durable")
    gid, [local] = fault_group(svc, tmp_path, [url], name="durable")

    checkpoint_inside(svc, size, 20, "a checkpoint inside the file")
    time.sleep(0.5)  # more bytes reach the file after the checkpoint
    p, svc.proc = svc.proc, None
    os.kill(p.pid, signal.SIGKILL)  # as a power cut would: no chance to save anything
    p.wait()

    temp, recorded, _ = stored_file(svc)
    on_disk = os.path.getsize(temp)
    assert 0 < recorded <= on_disk, (recorded, on_disk)
    # The power cut: everything past the recorded offset reads as zeros, and the file even
    # looks longer than it was.
    with open(temp, "r+b") as f:
        f.seek(recorded)
        f.write(b"\0" * (min(size, on_disk + 100000) - recorded))

    svc.start()
    info = wait_final(svc, gid, timeout=60)
    assert info["state"] == "TRANSFERRED", info
    svc.qmgr("complete", gid)
    assert hashlib.sha256(local.read_bytes()).hexdigest() == \
        hashlib.sha256(faultsrv.data(url)).hexdigest()
    # The resumed request started at the recorded (durable) offset, not at the size on disk.
    ranged = [r for r in faultsrv.requests("/ok/") if r["range"]]
    assert ranged and int(ranged[0]["range"][6:-1]) == recorded, (ranged, recorded)


def test_checkpoint_after_checkpoint_bytes(faultsrv, make_qmgrd, tmp_path):
    """checkpoint_bytes (qmgrd.8): progress is saved once that many bytes arrived, long before
    checkpoint_seconds; the file is large enough to be written with direct I/O, whose staged
    bytes the checkpoint writes out first."""
    svc = make_qmgrd(checkpoint_seconds=3600, checkpoint_bytes=200000)
    size = 3_000_000
    url = faultsrv.url("ok", size=size, rate=400000, seed="ckbytes")
    gid, [local] = fault_group(svc, tmp_path, [url], name="ckbytes")

    _, recorded, _ = checkpoint_inside(svc, size, 5, "a checkpoint by bytes")
    # Only bytes the file holds are claimed.
    assert recorded <= os.path.getsize(stored_file(svc)[0])
    info = wait_final(svc, gid, timeout=60)
    assert info["state"] == "TRANSFERRED", info
    svc.qmgr("complete", gid)
    assert local.read_bytes() == faultsrv.data(url)
