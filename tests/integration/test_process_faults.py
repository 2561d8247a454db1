"""The service's process and its store under unusual conditions (TESTING.md L18, L19, L21,
L22): standard descriptors closed at start, a file-size limit, a database locked by another
process, a database that cannot be used."""
import hashlib
import os
import sqlite3
import subprocess
import time

import pytest

from conftest import Service, fault_group, wait_final


class WrappedService(Service):
    """A private qmgrd started under a wrapper command (prefix of its command line)."""

    def __init__(self, binaries, root, prefix):
        super().__init__(binaries, root)
        self.prefix = prefix

    def argv(self, state_dir=None, socket_path=None):
        return self.prefix + super().argv(state_dir, socket_path)


@pytest.fixture
def wrapped(make_service):
    """wrapped(prefix): a private qmgrd (not started) run under the command prefix."""
    return lambda prefix: make_service(WrappedService, prefix)


def _integrity(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()


def test_started_with_standard_descriptors_closed(wrapped, faultsrv, dest):
    """L22: /dev/null takes 0-2 first, so neither the database nor a download gets one of
    those numbers (the log would be written into it)."""
    svc = wrapped(["sh", "-c", 'exec "$0" "$@" 0<&- 1>&- 2>&-']).start()
    for fd in (0, 1, 2):
        assert os.readlink("/proc/%d/fd/%d" % (svc.pid, fd)) == "/dev/null"
    urls = [faultsrv.url("ok", size=40000 + i, seed="std%d" % i) for i in range(3)]
    gid, locals_ = fault_group(svc, dest, urls)
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"  # a lot of debug logging meanwhile
    svc.qmgr("complete", gid)
    for u, local in zip(urls, locals_):
        assert local.read_bytes() == faultsrv.data(u)
    assert svc.stop() == 0
    assert _integrity(svc.state_dir / "queue.db") == [("ok",)]


def test_file_size_limit_is_a_local_file_error(wrapped, faultsrv, dest):
    """L21: past RLIMIT_FSIZE (512 KiB here) SIGXFSZ does not kill the service: the write's
    EFBIG fails that file as a local file error, and the service carries on. (A file under
    1 MiB: its buffered writes cross the limit and then write at it, which raises the
    signal; the service died of it before it ignored it.)"""
    svc = wrapped(["prlimit", "--fsize=524288", "--"]).start()
    big = faultsrv.url("ok", size=900_000, seed="fsize")
    gid, _ = fault_group(svc, dest, [big])
    info = wait_final(svc, gid)
    assert info["state"] == "ERROR", info
    assert info["error"]["context"] == "LOCAL_FILE", info["error"]
    assert info["error"]["name"] == "QM_E_WIN32_DISK_FULL", info["error"]
    assert info["files"][0]["bytes_transferred"] <= 524288
    small = faultsrv.url("ok", size=30000, seed="fits")
    gid2, locals_ = fault_group(svc, dest, [small], name="small")
    assert wait_final(svc, gid2)["state"] == "TRANSFERRED"
    svc.qmgr("complete", gid2)
    assert locals_[0].read_bytes() == faultsrv.data(small)
    svc.qmgr("abort", gid)


def test_store_locked_by_another_process(qmgrd):
    """L18: a writer holding the database makes a call fail after the busy timeout (2 s),
    never hang; memory does not run ahead of the store; the next call works."""
    first = qmgrd.qmgr("create", "--name", "before", json=True)["id"]
    con = sqlite3.connect(qmgrd.state_dir / "queue.db", isolation_level=None, timeout=1)
    try:
        con.execute("BEGIN EXCLUSIVE")
        t = time.monotonic()
        rc, out, err = qmgrd.qmgr("create", "--name", "locked", check=False)
        took = time.monotonic() - t
        assert rc == 1 and "could not be saved" in err, (rc, out, err)
        assert 1.5 < took < 6, took
        listed = qmgrd.qmgr("list", json=True)["groups"]
        assert [g["name"] for g in listed] == ["before"]
    finally:
        con.execute("ROLLBACK")
        con.close()
    qmgrd.qmgr("create", "--name", "after")
    assert [g["name"] for g in qmgrd.qmgr("list", json=True)["groups"]] == ["before", "after"]
    assert first


@pytest.mark.damages_store
@pytest.mark.parametrize("damage", ["garbage", "truncated", "newer"])
def test_unusable_queue_database_is_refused(qmgrd, damage):
    """L19: a database that cannot be read is refused with a clear message, and left as it
    was: the service never starts with an empty queue in its place."""
    for i in range(30):
        qmgrd.qmgr("create", "--name", "g%02d" % i, "--description", "x" * 500)
    assert qmgrd.stop() == 0
    db = qmgrd.state_dir / "queue.db"
    if damage == "garbage":
        db.write_bytes(os.urandom(db.stat().st_size))
    elif damage == "truncated":
        assert db.stat().st_size > 8192
        os.truncate(db, 4096)
    else:
        con = sqlite3.connect(db)
        con.execute("PRAGMA user_version = 99")
        con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with open(qmgrd.log, "ab") as log:
        p = subprocess.run(qmgrd.argv(), env=qmgrd.env, stdin=subprocess.DEVNULL, stdout=log,
                           stderr=log, timeout=20)
    assert p.returncode == 1
    assert "move the file away to start afresh" in qmgrd.log_text()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_descriptors_is_no_busy_loop(wrapped):
    """L16: with 64 descriptors, 100 clients: the ones past the limit are dropped without an
    accept() busy loop (libuv's EMFILE handling), and once they go the service serves again."""
    import socket

    svc = wrapped(["prlimit", "--nofile=64", "--"]).start()
    socks = []
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(svc.socket)  # the backlog takes them even when accept() cannot
        socks.append(s)
    time.sleep(0.5)
    cpu = _cpu_seconds(svc.pid)
    time.sleep(2)
    assert _cpu_seconds(svc.pid) - cpu < 0.3  # no busy loop on EMFILE
    for s in socks:
        s.close()
    deadline = time.monotonic() + 10
    while svc.qmgr("list", check=False)[0] != 0:
        assert time.monotonic() < deadline, "the service does not serve again"
        time.sleep(0.1)
    assert svc.proc.poll() is None
