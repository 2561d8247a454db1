"""A commit that fails for one file keeps the group, and the caller can fix the cause and
commit again — also after the service restarted (docs/design.md: BITS keeps a job whose
commit failed). The files already renamed into place must not be tried again."""
import os
import shutil
import subprocess

import pytest

from conftest import sha256_file, wait_for


def chattr(flag, path):
    subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True)


def test_failed_commit_is_retried_after_a_restart(nginx, qmgrd, qmgr, dest):
    if not shutil.which("chattr"):
        pytest.skip("needs chattr (e2fsprogs)")
    a, b = dest / "a", dest / "b"
    a.mkdir()
    b.mkdir()
    gid = qmgr("create", "--name", "retry", json=True)["id"]
    qmgr("addfile", gid, nginx.url("small/s001.bin"), a / "one.bin")
    qmgr("addfile", gid, nginx.url("small/s002.bin"), b / "two.bin")
    qmgr("resume", gid)
    wait_for(lambda: qmgr("status", gid, json=True)["status"] == 0x140, timeout=30,
             what="the group to finish")
    chattr("+i", b)  # renames into b now fail (EPERM), even for root
    try:
        rc, out, err = qmgr("complete", gid, check=False)
        assert rc == 1, (out, err)
        assert (a / "one.bin").exists() and not (b / "two.bin").exists()
        assert qmgr("status", gid, json=True)["status"] == 0x140  # still there, complete
        qmgrd.stop()
        qmgrd.start()
    finally:
        chattr("-i", b)
    qmgr("complete", gid)  # the retry skips what was already committed
    assert sha256_file(a / "one.bin") == sha256_file(nginx.path("small/s001.bin"))
    assert sha256_file(b / "two.bin") == sha256_file(nginx.path("small/s002.bin"))
    assert sorted(p.name for p in a.iterdir()) == ["one.bin"]
    assert sorted(p.name for p in b.iterdir()) == ["two.bin"]
    rc, out, err = qmgr("info", gid, check=False)
    assert rc == 1  # the group is gone


@pytest.mark.parametrize("planted,restart", [("symlink", False), ("symlink", True),
                                              ("fifo", True)])
def test_foreign_name_at_a_complete_file_is_not_committed(nginx, qmgrd, qmgr, dest, tmp_path,
                                                          planted, restart):
    """A symlink or a FIFO put at a complete file's temporary name is refused at once by the
    commit — never followed, never waited on — and the retry after putting the file back
    commits the right bytes with the right mode. Without a restart the sync batch gave the
    file its mode and mtime and the commit only renames (docs/transfers.md); a file completed
    before a restart is committed the long way (open, mode, mtime, rename)."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious\n")
    gid = qmgr("create", "--name", "swap", json=True)["id"]
    qmgr("addfile", gid, nginx.url("small/s001.bin"), dest / "one.bin")
    qmgr("resume", gid)
    wait_for(lambda: qmgr("status", gid, json=True)["status"] == 0x140, timeout=30,
             what="the group to finish")
    if restart:
        qmgrd.restart()
    temps = [p for p in dest.iterdir() if p.name.startswith(".")]
    assert len(temps) == 1, temps
    kept = tmp_path / "kept"
    temps[0].rename(kept)
    if planted == "symlink":
        temps[0].symlink_to(outside)
    else:
        os.mkfifo(temps[0], 0o600)
    rc, out, err = qmgr("complete", gid, check=False, timeout=20)
    assert rc == 1, (out, err)
    assert not (dest / "one.bin").exists() and not (dest / "one.bin").is_symlink()
    assert outside.read_bytes() == b"precious\n"
    temps[0].unlink()
    kept.rename(temps[0])
    qmgr("complete", gid)
    assert sha256_file(dest / "one.bin") == sha256_file(nginx.path("small/s001.bin"))
    mask = os.umask(0)
    os.umask(mask)  # the umask qmgr had when it added the file
    assert (dest / "one.bin").stat().st_mode & 0o777 == 0o666 & ~mask
    assert sorted(p.name for p in dest.iterdir()) == ["one.bin"]
    assert outside.read_bytes() == b"precious\n"
