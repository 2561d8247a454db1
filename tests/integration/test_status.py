"""Status bits through the CLI (QMGR.md §2.1; CLI.md `status`)."""
import os

from conftest import group_ids, wait_for

INCOMPLETE, SUSPENDED, COMPLETE, ERROR = 0x80, 0x100, 0x40, 0x200


def create(qmgr, name):
    doc = qmgr("create", "--name", name, json=True)
    assert doc["id"].startswith("{") and len(doc["id"]) == 38, doc
    return doc["id"]


def status(qmgr, gid):
    return qmgr("status", gid, json=True)


def test_new_group_is_suspended_incomplete(qmgr):
    gid = create(qmgr, "x")
    st = status(qmgr, gid)
    assert st["status"] == 384 == 0x180
    assert sorted(st["flags"]) == ["INCOMPLETE", "SUSPENDED"]
    assert len(st["flags"]) == 2
    assert st["job_index"] == 0
    # the name works as GROUP too
    assert status(qmgr, "x")["status"] == 0x180


def test_transferring_then_cancel_commits_nothing_partial(nginx, qmgr, dest):
    gid = create(qmgr, "slow")
    local = dest / "slow.bin"
    qmgr("addfile", gid, nginx.url("slow/big.bin"), local)
    assert status(qmgr, gid)["status"] == 0x180  # adding files does not start anything
    qmgr("resume", gid)

    def transferring():
        st = status(qmgr, gid)
        assert not st["status"] & (ERROR | COMPLETE), st
        return st if (st["status"] & INCOMPLETE and not st["status"] & SUSPENDED) else None

    st = wait_for(transferring, timeout=20, what="status INCOMPLETE without SUSPENDED")
    assert st["status"] == 0x80
    assert st["flags"] == ["INCOMPLETE"]
    # bytes are arriving (256 KiB/s), yet nothing is visible at the local name
    wait_for(lambda: qmgr("progress", gid, json=True)["bytes"] > 0, timeout=20,
             what="progress bytes > 0")
    assert not local.exists()
    # legacy cancel: a partial file is deleted, not committed
    qmgr("cancel", gid)
    assert not local.exists()
    assert os.listdir(dest) == []
    assert gid.upper() not in group_ids(qmgr("list", json=True))


def test_complete_group_then_cancel_commits(nginx, qmgr, dest):
    gid = create(qmgr, "fast")
    local = dest / "s001.bin"
    qmgr("addfile", gid, nginx.url("small/s001.bin"), local)
    qmgr("resume", gid)
    st = wait_for(lambda: (lambda s: s if s["status"] & (COMPLETE | ERROR) else None)(
        status(qmgr, gid)), timeout=30, what="the group to complete")
    assert st["status"] == 320 == 0x140, st
    assert sorted(st["flags"]) == ["COMPLETE", "SUSPENDED"]
    # finished files wait in their temporary names until the commit
    assert not local.exists()
    qmgr("cancel", gid)
    assert local.read_bytes() == nginx.path("small/s001.bin").read_bytes()
    assert os.listdir(dest) == ["s001.bin"]
    assert gid.upper() not in group_ids(qmgr("list", json=True))


def test_resume_empty_group_fails_with_bg_e_empty(qmgr):
    gid = create(qmgr, "empty")
    rc, out, err = qmgr("resume", gid, check=False)
    assert rc == 1, (rc, out, err)
    assert "BG_E_EMPTY" in err
    assert "0x80200003" in err.lower()
    # it stays suspended
    assert status(qmgr, gid)["status"] == 0x180
