"""`qmgr wait` and `qmgr monitor` (CLI.md): they follow the service's event stream."""
import json
import queue
import signal
import subprocess
import threading
import time

import pytest

from conftest import wait_for


def new_group(qmgr, dest, url, name="g", resume=True):
    gid = qmgr("create", "--name", name, json=True)["id"]
    qmgr("addfile", gid, url, dest / (name + ".bin"))
    if resume:
        qmgr("resume", gid)
    return gid


def spawn(qmgrd, *args):
    argv = [qmgrd.bin.qmgr, "--socket", qmgrd.socket, "--no-autostart"] + [str(a) for a in args]
    return subprocess.Popen(argv, env=qmgrd.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


class Lines:
    """Reads a process's stdout lines in a thread; next(timeout) returns one or fails."""

    def __init__(self, proc):
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self.t.start()

    def _read(self, f):
        for line in f:
            self.q.put(line)
        self.q.put(None)

    def next(self, timeout=20):
        line = self.q.get(timeout=timeout)
        assert line is not None, "the output ended"
        return json.loads(line)

    def until(self, pred, timeout=30):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "no matching line; saw %r" % seen[-5:]
            ev = self.next(timeout=left)
            seen.append(ev)
            if pred(ev):
                return ev, seen


# ---- wait ------------------------------------------------------------------------------

def test_wait_complete_exits_0(nginx, qmgr, dest):
    gid = new_group(qmgr, dest, nginx.url("small/s010.bin"))
    rc, out, err = qmgr("wait", gid, "--timeout", "30")
    assert rc == 0 and out == "", (out, err)
    doc = qmgr("wait", gid, json=True)  # already complete: returns at once
    assert doc["state"] == "TRANSFERRED" and doc["id"].upper() == gid.upper()
    assert doc["bytes_transferred"] == nginx.sizes["s010.bin"] and doc["error"] is None


def test_wait_error_exits_1_and_prints_the_error(nginx, qmgr, dest):
    gid = new_group(qmgr, dest, nginx.url("small/nope.bin"))
    rc, out, err = qmgr("wait", gid, "--timeout", "30", check=False)
    assert rc == 1, (out, err)
    assert "0x80190194 BG_E_HTTP_ERROR_404: " in err
    # which file, without a second command
    assert "file 0: %s -> " % nginx.url("small/nope.bin") in err, err
    assert "transport result 404" in err, err
    rc, doc, err = qmgr("wait", gid, json=True, check=False)
    assert rc == 1
    assert doc["state"] == "ERROR"
    assert doc["error"]["name"] == "BG_E_HTTP_ERROR_404"
    assert doc["error"]["transport_result"] == 404


def test_wait_times_out_with_124(nginx, qmgr, dest):
    gid = new_group(qmgr, dest, nginx.url("small/s011.bin"), resume=False)  # stays suspended
    t0 = time.monotonic()
    rc, out, err = qmgr("wait", gid, "--timeout", "1", check=False)
    assert rc == 124, (out, err)
    assert 0.9 <= time.monotonic() - t0 < 10


def test_wait_group_removed_meanwhile_exits_1(nginx, qmgrd, qmgr, dest):
    gid = new_group(qmgr, dest, nginx.url("small/s012.bin"), resume=False)
    p = spawn(qmgrd, "wait", gid, "--timeout", "30")
    time.sleep(0.5)
    qmgr("abort", gid)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 1, (out, err)
    assert "removed" in err


def test_wait_unknown_group(qmgr):
    rc, out, err = qmgr("wait", "{00000000-0000-0000-0000-000000000001}", check=False)
    assert rc == 1 and "QM_E_ITEM_NOT_FOUND" in err


# ---- monitor ---------------------------------------------------------------------------

def test_monitor_json_lines_until_sigterm(nginx, qmgrd, qmgr, dest):
    p = spawn(qmgrd, "monitor")  # stdout is a pipe: JSON lines
    try:
        lines = Lines(p)
        time.sleep(0.3)  # let it subscribe (updates are not replayed)
        gid = new_group(qmgr, dest, nginx.url("slow/big.bin"), name="slowbig").upper()
        ev, seen = lines.until(lambda e: e["id"].upper() == gid and e["event"] == "update"
                               and e["state"] == "TRANSFERRING" and e["bytes_transferred"] > 0)
        for key in ("event", "id", "state", "status", "bytes_transferred", "bytes_total",
                    "files_transferred", "files_total", "retries", "error"):
            assert key in ev, key
        assert ev["bytes_total"] == nginx.path("big.bin").stat().st_size
        assert ev["files_total"] == 1 and ev["error"] is None
        # progress keeps coming while it transfers
        ev2, _ = lines.until(lambda e: e["id"].upper() == gid and
                             e["bytes_transferred"] > ev["bytes_transferred"])
        qmgr("cancel", gid)
        ev3, _ = lines.until(lambda e: e["id"].upper() == gid and e["event"] == "removed")
        assert ev3["state"] in ("ACKNOWLEDGED", "CANCELLED")
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        assert p.returncode == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_monitor_group_ends_when_the_group_is_removed(nginx, qmgrd, qmgr, dest):
    gid = new_group(qmgr, dest, nginx.url("small/s013.bin"))
    qmgr("wait", gid, "--timeout", "30")
    p = spawn(qmgrd, "monitor", gid)
    try:
        lines = Lines(p)
        first = lines.next()
        assert first["event"] == "update" and first["state"] == "TRANSFERRED"  # the snapshot
        qmgr("cancel", gid)
        last, _ = lines.until(lambda e: e["event"] == "removed")
        assert last["id"].upper() == gid.upper() and last["state"] == "ACKNOWLEDGED"
        p.wait(timeout=10)
        assert p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (dest / "g.bin").read_bytes() == nginx.path("small/s013.bin").read_bytes()


def test_monitor_reports_errors(nginx, qmgrd, qmgr, dest):
    p = spawn(qmgrd, "--json", "monitor")
    try:
        lines = Lines(p)
        time.sleep(0.3)
        gid = new_group(qmgr, dest, nginx.url("small/none.bin")).upper()
        ev, _ = lines.until(lambda e: e["id"].upper() == gid and e["state"] == "ERROR")
        assert ev["error"]["name"] == "BG_E_HTTP_ERROR_404"
        assert ev["error"]["hresult"] & 0xFFFFFFFF == 0x80190194
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)
        assert p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# ---- get on the event stream -------------------------------------------------------------

def test_get_follows_events(nginx, qmgr, dest):
    a, b = dest / "a.bin", dest / "b.bin"
    qmgr("get", nginx.url("small/s020.bin"), a, nginx.url("small/s021.bin"), b)
    assert a.read_bytes() == nginx.path("small/s020.bin").read_bytes()
    assert b.read_bytes() == nginx.path("small/s021.bin").read_bytes()
    rc, out, err = qmgr("get", nginx.url("small/gone.bin"), dest / "c.bin", check=False)
    assert rc == 1 and "0x80190194 BG_E_HTTP_ERROR_404" in err
    assert not (dest / "c.bin").exists()
    wait_for(lambda: qmgr("list", json=True) in ([], {"groups": []}), timeout=5,
             what="an empty queue")


# ---- get, interrupted ------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_get_interrupted_aborts_the_group_and_exits_130(nginx, qmgrd, qmgr, dest, sig):
    """CLI.md/issue 5: Ctrl-C asks the service to abort the group and exits 130; nothing of
    the download stays (no group, no temporary file, no local file)."""
    local = dest / "big.bin"
    p = spawn(qmgrd, "get", "--name", "interrupted", nginx.url("slow/big.bin"), local)
    try:
        def moving():
            rc, doc, _ = qmgr("list", json=True, check=False)
            return rc == 0 and any(g["name"] == "interrupted" and g["bytes_transferred"] > 0
                                   for g in doc["groups"])
        wait_for(moving, timeout=20, what="the get to transfer")
        p.send_signal(sig)
        p.wait(timeout=15)
        assert p.returncode == 130, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    doc = qmgr("list", json=True)
    assert not [g for g in doc["groups"] if g["name"] == "interrupted"], doc
    assert list(dest.iterdir()) == [], list(dest.iterdir())
