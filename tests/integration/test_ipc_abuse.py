"""Clients that misbehave on the socket (TESTING.md C11-C15): too many connections, half a
message, a client that does not read, a thousand calls in one write, unrequested file
descriptors. The service stays up, answers everyone else, and holds nothing it should not."""
import json
import os
import socket
import time

import pytest

from conftest import fault_group, wait_for

M = "io.qmgr.Manager."


class Raw:
    """A client speaking the wire protocol directly (docs/protocol.md)."""

    def __init__(self, svc):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(svc.socket)
        self.buf = b""

    @staticmethod
    def frame(method, more=False, **params):
        msg = {"method": M + method, "parameters": params}
        if more:
            msg["more"] = True
        return json.dumps(msg).encode() + b"\0"

    def send(self, data):
        self.s.sendall(data)

    def recv(self):
        """The next message, or None at end of stream."""
        while b"\0" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def reply(self):
        """The next reply, skipping the events of the connection's stream."""
        while True:
            msg = self.recv()
            if msg is None or not msg.get("continues"):
                return msg

    def call(self, method, **params):
        self.send(self.frame(method, **params))
        return self.reply()

    def close(self):
        self.s.close()


def _fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_connections_past_the_per_user_cap_are_refused(make_qmgrd):
    """C11: a uid's connections past max_connections_per_user are refused with a clear error;
    the ones below it keep working, and closing some lets new ones in."""
    svc = make_qmgrd(max_connections_per_user=8)
    held = [Raw(svc) for _ in range(8)]
    for r in held:
        assert "version" in r.call("Ping")["parameters"]
    extra = Raw(svc)
    err = extra.recv()
    assert err["error"] == M + "Error", err
    assert err["parameters"]["name"] == "QM_E_ACCESSDENIED", err
    assert "too many connections from uid %d (at most 8)" % os.getuid() \
        in err["parameters"]["message"], err
    assert extra.recv() is None  # and then disconnected
    rc, out, errout = svc.qmgr("list", check=False)
    assert rc == 1 and "QM_E_ACCESSDENIED" in errout and "max_connections_per_user" in errout, \
        (rc, out, errout)
    for r in held:  # the held ones are untouched
        assert "version" in r.call("Ping")["parameters"]
    held.pop().close()
    wait_for(lambda: svc.qmgr("list", check=False)[0] == 0, timeout=5,
             what="a connection to be accepted once one is closed")
    assert svc.log_text().count("too many connections") == 1  # warned once per burst
    for r in held:
        r.close()


def test_half_a_message_is_cut_off_at_the_deadline(make_qmgrd):
    """C12: a message must arrive whole within client_message_timeout of its first byte; the
    loop serves others meanwhile; an idle connection has no deadline."""
    svc = make_qmgrd(client_message_timeout=2)
    idle = Raw(svc)
    half = Raw(svc)
    t0 = time.monotonic()
    half.send(b'{"method": "io.qmgr.Manager.Ping", "param')
    for _ in range(3):  # others are answered at once meanwhile
        t = time.monotonic()
        svc.qmgr("list")
        assert time.monotonic() - t < 1.0
    err = half.recv()
    took = time.monotonic() - t0
    assert err["parameters"]["message"] == "message not complete in time", err
    assert half.recv() is None
    assert 1.8 < took < 4.0, took

    slow = Raw(svc)  # a byte every 0.1 s: 4 s for the whole message, past the deadline
    t0 = time.monotonic()
    with pytest.raises((BrokenPipeError, ConnectionResetError)):
        for b in Raw.frame("Ping"):
            slow.send(bytes([b]))
            time.sleep(0.1)
    assert 1.8 < time.monotonic() - t0 < 4.0
    assert "version" in idle.call("Ping")["parameters"]  # idle for 4 s+, still served

    # calls in a row, each arriving within 0.5 s but the next always begun in the same write:
    # 3.5 s with part of a message buffered, and every one of them is on time
    busy = Raw(svc)
    ping = Raw.frame("Ping")
    busy.send(ping[:20])
    for _ in range(7):
        time.sleep(0.5)
        busy.send(ping[20:] + ping[:20])
    busy.send(ping[20:])
    for _ in range(8):
        assert "version" in busy.reply()["parameters"]
    assert svc.log_text().count("a message not complete after 2 s") == 2
    for r in (idle, half, slow, busy):
        r.close()


def test_thousand_calls_in_one_write_are_answered_in_order(faultsrv, make_qmgrd, dest):
    """C14: 1,000 calls in one write, on a connection that also receives events, are all
    answered, in order."""
    svc = make_qmgrd()
    gids = []
    for name in ("alpha", "beta"):
        gids.append(svc.qmgr("create", "--name", name, json=True)["id"])
    moving, _ = fault_group(svc, dest, [faultsrv.url("ok", size=400000, rate=200000)])
    r = Raw(svc)
    r.send(Raw.frame("Subscribe", more=True))
    assert r.recv().get("continues") is True  # the stream is open
    assert "error" not in r.call("Watch", group_id=moving)
    # every 100th call renames the watched group, which sends this connection an event at
    # once: events come between the replies
    calls, want = [], []
    for i in range(1000):
        if i % 100 == 99:
            calls.append(Raw.frame("SetProp", group_id=moving, prop=11, value={"str": "m%d" % i}))
            want.append("set")
        else:
            calls.append(Raw.frame("GetProp", group_id=gids[i % 2], prop=11))
            want.append(("alpha", "beta")[i % 2])
    r.send(b"".join(calls))
    events, got = [], []
    while len(got) < 1000:
        msg = r.recv()
        assert msg is not None
        if msg.get("continues"):
            events.append(msg["parameters"])
            continue
        assert "error" not in msg, msg
        got.append(msg["parameters"]["value"]["str"] if msg["parameters"] else "set")
    assert got == want
    names = [e.get("name") for e in events if e.get("event") == "update"]
    # each rename is seen, in order (a progress update may repeat the current name)
    seen = [n for k, n in enumerate(names) if n != "g" and (k == 0 or names[k - 1] != n)]
    assert seen == ["m%d" % i for i in range(99, 1000, 100)], events
    r.close()


def test_client_that_leaves_or_never_reads_is_dropped(make_qmgrd, tmp_path):
    """C13: a client that closes before reading its replies costs nothing (no SIGPIPE); one
    that never reads is disconnected once 256 MiB are queued for it."""
    svc = make_qmgrd()
    gid = svc.qmgr("create", "--name", "big", json=True)["id"]
    long = "http://127.0.0.1:9/" + "p" * 1500 + "/f%d"
    lst = "".join("%s %s/%s\n" % (long % i, tmp_path, "f%05d" % i) for i in range(2000))
    svc.qmgr("addfileset", gid, "-", input=lst)

    gone = Raw(svc)
    gone.send(Raw.frame("ListFiles", group_id=gid) * 20)
    gone.close()

    stuck = Raw(svc)  # each reply is over 3 MB; 100 of them do not fit in 256 MiB
    stuck.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.send(Raw.frame("ListFiles", group_id=gid) * 100)
    wait_for(lambda: "does not read its replies; disconnecting" in svc.log_text(), timeout=90,
             what="the client that never reads to be disconnected")
    assert svc.qmgr("info", gid, json=True)["files_total"] == 2000
    stuck.close()


def test_unrequested_file_descriptors_are_not_kept(make_qmgrd):
    """C15: descriptors passed with SCM_RIGHTS are never taken by the service."""
    svc = make_qmgrd()
    r = Raw(svc)
    assert "version" in r.call("Ping")["parameters"]
    before = _fds(svc.pid)
    nul = [os.open("/dev/null", os.O_RDONLY) for _ in range(250)]
    try:
        for _ in range(4):
            socket.send_fds(r.s, [Raw.frame("Ping")], nul)
            assert "version" in r.reply()["parameters"]
    finally:
        for fd in nul:
            os.close(fd)
    assert _fds(svc.pid) == before
    r.close()
