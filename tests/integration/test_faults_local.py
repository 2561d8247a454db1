"""Local faults during a transfer (TESTING.md L1, L4, L8): fatal, context LOCAL_FILE, and
nothing is ever written outside the destination directory."""
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import fault_group, hr32, wait_final, wait_for


def temp_of(dest):
    parts = [p for p in dest.iterdir() if p.name.endswith(".qmgr-part")]
    return parts[0] if parts else None


def bytes_arriving(svc, gid):
    return wait_for(lambda: svc.qmgr("progress", gid, json=True)["bytes"] > 0, timeout=10,
                    what="bytes to arrive")


def test_destination_directory_removed_mid_transfer(faultsrv, make_qmgrd, tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    svc = make_qmgrd()
    gid, _ = fault_group(svc, dest, [faultsrv.url("ok", size=400000, rate=100000)])
    bytes_arriving(svc, gid)
    shutil.rmtree(dest)
    info = wait_final(svc, gid, timeout=15)
    assert info["state"] == "ERROR", info
    assert info["status"] == 0x300
    err = info["error"]
    assert err["context"] == "LOCAL_FILE", err
    assert err["win32_result"] == 2, err
    assert err["name"] == "QM_E_WIN32_FILE_NOT_FOUND", err
    assert not dest.exists()  # never recreated
    svc.qmgr("abort", gid)


def test_symlink_swapped_in_for_the_temporary_file(faultsrv, make_qmgrd, tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious\n")
    svc = make_qmgrd()
    gid, locals_ = fault_group(svc, dest, [faultsrv.url("ok", size=400000, rate=100000)])
    bytes_arriving(svc, gid)
    tmp = temp_of(dest)
    tmp.unlink()
    os.symlink(outside, tmp)
    info = wait_final(svc, gid, timeout=15)
    assert info["state"] == "ERROR", info
    err = info["error"]
    assert err["context"] == "LOCAL_FILE", err
    assert err["win32_result"] == 5, err
    assert outside.read_bytes() == b"precious\n"
    # resuming does not follow the link either
    svc.qmgr("resume", gid)
    info = wait_final(svc, gid, timeout=15)
    assert info["state"] == "ERROR" and info["error"]["context"] == "LOCAL_FILE", info
    assert outside.read_bytes() == b"precious\n"
    assert not locals_[0].exists()
    svc.qmgr("abort", gid)
    assert outside.read_bytes() == b"precious\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
# 150000 bytes: written while it arrives; 40000: small enough to be kept in memory and
# written by the sync batch (xfer.c MEM_MAX), where the disk turns out full.
@pytest.mark.parametrize("size,free_kib", [(150000, 56), (40000, 16)])
def test_disk_full_is_fatal_then_resume_finishes(faultsrv, make_qmgrd, tmp_path, size,
                                                 free_kib):
    dest = tmp_path / "small-fs"
    dest.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "qmgr-test", str(dest)],
                   check=True)
    try:
        filler = dest / "filler"
        filler.write_bytes(b"\0" * ((256 - free_kib) * 1024))
        svc = make_qmgrd()
        url = faultsrv.url("ok", size=size)
        gid, locals_ = fault_group(svc, dest, [url])
        info = wait_final(svc, gid, timeout=15)
        assert info["state"] == "ERROR", info
        err = info["error"]
        assert hr32(err["hresult"]) == 0x80070070, err  # ERROR_DISK_FULL as an HRESULT
        assert err["context"] == "LOCAL_FILE" and err["win32_result"] == 112, err
        filler.unlink()
        svc.qmgr("resume", gid)
        assert wait_final(svc, gid, timeout=15)["state"] == "TRANSFERRED"
        svc.qmgr("complete", gid)
        assert locals_[0].read_bytes() == faultsrv.data(url)
        assert sorted(os.listdir(dest)) == ["f0.bin"]
    finally:
        subprocess.run(["umount", "-l", str(dest)])


@pytest.mark.parametrize("planted", ["other_owner", "hard_link", "fifo"])
def test_foreign_file_at_a_new_files_name_is_refused(faultsrv, make_qmgrd, tmp_path, planted):
    """A new file's temporary name already holds a file that is not a plain file of ours
    (another user's, a hard link to a file elsewhere, a FIFO): it is neither written nor
    reused, nor waited on; the file fails with access denied (the small file is created by
    the sync batch)."""
    if planted == "other_owner" and os.geteuid() != 0:
        pytest.skip("chown needs root")
    dest = tmp_path / "d"
    dest.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious\n")
    svc = make_qmgrd()
    gid, locals_ = fault_group(svc, dest, [faultsrv.url("ok", size=300000, rate=100000),
                                           faultsrv.url("ok", size=20000, seed="b")])
    bytes_arriving(svc, gid)  # file 0 moves: file 1's name is recorded, not yet created

    def second_name():
        db = sqlite3.connect("file:%s?mode=ro" % (svc.state_dir / "queue.db"), uri=True)
        try:
            row = db.execute("SELECT temp FROM files WHERE idx = 1").fetchone()
        finally:
            db.close()
        return row[0] if row and row[0] else None
    name = Path(wait_for(second_name, timeout=10, what="file 1's temporary name"))
    if planted == "hard_link":
        os.link(outside, name)
    elif planted == "fifo":
        os.mkfifo(name, 0o600)
    else:
        name.write_bytes(b"someone else's\n")
        os.chmod(name, 0o666)
        os.chown(name, 65534, 65534)
    info = wait_final(svc, gid, timeout=20)
    assert info["state"] == "ERROR", info
    err = info["error"]
    assert err["context"] == "LOCAL_FILE" and err["win32_result"] == 5, err
    assert err["file_index"] == 1, err
    assert outside.read_bytes() == b"precious\n"
    if planted == "other_owner":
        assert name.read_bytes() == b"someone else's\n"
    assert not locals_[1].exists()


@pytest.mark.parametrize("planted", ["other_owner", "fifo"])
def test_partial_file_swapped_for_a_foreign_file_is_not_resumed(faultsrv, make_qmgrd,
                                                                 tmp_path, planted):
    """While the service is stopped, a partial file's temporary name is given to a file of
    another user, or to a FIFO: the resume neither writes into it nor waits on it; the file
    fails with access denied and the foreign file keeps its bytes."""
    if planted == "other_owner" and os.geteuid() != 0:
        pytest.skip("chown needs root")
    dest = tmp_path / "d"
    dest.mkdir()
    svc = make_qmgrd()
    gid, locals_ = fault_group(svc, dest, [faultsrv.url("ok", size=400000, rate=100000)])

    def checkpointed():
        db = sqlite3.connect("file:%s?mode=ro" % (svc.state_dir / "queue.db"), uri=True)
        try:
            temp, done = db.execute("SELECT temp, bytes_done FROM files WHERE idx = 0").fetchone()
        finally:
            db.close()
        return temp if temp and done > 0 else None
    name = Path(wait_for(checkpointed, timeout=15, what="a checkpoint of the partial file"))
    svc.qmgr("suspend", gid)
    assert svc.stop() == 0
    foreign = b"someone else's\n" * 40000  # longer than the partial file
    name.unlink()
    if planted == "fifo":
        os.mkfifo(name, 0o600)
    else:
        name.write_bytes(foreign)
        os.chmod(name, 0o666)
        os.chown(name, 65534, 65534)
    svc.start()
    svc.qmgr("resume", gid, timeout=20)
    info = wait_final(svc, gid, timeout=20)
    assert info["state"] == "ERROR", info
    err = info["error"]
    assert err["context"] == "LOCAL_FILE" and err["win32_result"] == 5, err
    if planted == "fifo":
        assert stat.S_ISFIFO(os.lstat(name).st_mode)
    else:
        assert name.read_bytes() == foreign
        assert os.stat(name).st_uid == 65534
    assert not locals_[0].exists()
