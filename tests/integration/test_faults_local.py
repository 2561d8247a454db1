"""Local faults during a transfer (TESTING.md L1, L4, L8): fatal, context LOCAL_FILE, and
nothing is ever written outside the destination directory."""
import os
import shutil
import subprocess

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
