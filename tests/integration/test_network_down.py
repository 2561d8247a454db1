"""A lost network is waited out, not retried (issue 4 item 2, TESTING.md N6).

Two network namespaces made by the test, joined by a veth pair: the HTTP server lives in
one, qmgrd in the other (its Unix socket is a file, so the CLI reaches it from here). With
the client's link down, qmgrd has only loopback: a transfer to the server parks the group as
TRANSIENT_ERROR with BG_E_NETWORK_DISCONNECTED and counts no retry, although the retry delay
is 1 s. When the link comes back the transfer resumes by itself and finishes byte-identical.
"""
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import TunedService, hr32, sha256_file, wait_for

NETWORK_DISCONNECTED = 0x80200010


def ip(*args):
    subprocess.run(["ip"] + [str(a) for a in args], check=True, capture_output=True)


@pytest.fixture
def netns_pair():
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("needs root and iproute2 to make network namespaces")
    tag = "%d%d" % (os.getpid(), random.randrange(10000))
    srv, cli = "qmt-s" + tag, "qmt-c" + tag
    net = random.randrange(1, 250)
    made = []
    try:
        for ns in (srv, cli):
            ip("netns", "add", ns)
            made.append(ns)
        ip("link", "add", "va", "netns", srv, "type", "veth", "peer", "name", "vb",
           "netns", cli)
        ip("-n", srv, "addr", "add", "198.18.%d.1/24" % net, "dev", "va")
        ip("-n", cli, "addr", "add", "198.18.%d.2/24" % net, "dev", "vb")
        for ns, dev in ((srv, "va"), (cli, "vb"), (srv, "lo"), (cli, "lo")):
            ip("-n", ns, "link", "set", dev, "up")
        yield srv, cli, "198.18.%d.1" % net
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


class NetnsService(TunedService):
    """qmgrd inside a network namespace (`ip netns exec` execs it: the PID is qmgrd's)."""

    def __init__(self, binaries, root, ns):
        super().__init__(binaries, root, [])
        self.ns = ns

    def argv(self, state_dir=None, socket_path=None):
        return ["ip", "netns", "exec", self.ns] + super().argv(state_dir, socket_path)


def test_N6_network_down_is_waited_out_without_retries(binaries, netns_pair, dest):
    srv_ns, cli_ns, addr = netns_pair
    www = Path(tempfile.mkdtemp(prefix="qm-www-"))
    data = bytes((i * 13 + 5) & 0xFF for i in range(2_000_000))
    (www / "file.bin").write_bytes(data)
    port = 18000 + random.randrange(1000)
    server = subprocess.Popen(["ip", "netns", "exec", srv_ns, "python3", "-m", "http.server",
                               str(port), "--bind", addr, "--directory", str(www)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = Path(tempfile.mkdtemp(prefix="qm-", dir="/tmp"))
    svc = NetnsService(binaries, root, cli_ns)
    try:
        svc.start()
        ip("-n", cli_ns, "link", "set", "vb", "down")  # only loopback is left for qmgrd
        gid = svc.qmgr("create", "--name", "netdown", json=True)["id"]
        svc.qmgr("addfile", gid, "http://%s:%d/file.bin" % (addr, port), dest / "f.bin")
        svc.qmgr("resume", gid)

        def parked():
            info = svc.qmgr("info", gid, json=True)
            err = info["error"]
            if err and hr32(err["hresult"]) == NETWORK_DISCONNECTED:
                return info
            return None

        info = wait_for(parked, timeout=15, what="the group to wait for the network")
        assert info["state"] == "TRANSIENT_ERROR" and info["status"] == 0x80, info
        time.sleep(3.5)  # three retry delays: a retried group would count retries now
        info = svc.qmgr("info", gid, json=True)
        assert info["retries"] == 0, info
        assert info["state"] == "TRANSIENT_ERROR", info

        ip("-n", cli_ns, "link", "set", "vb", "up")
        wait_for(lambda: svc.qmgr("info", gid, json=True)["state"] == "TRANSFERRED",
                 timeout=20, what="the transfer to resume once the network is back")
        assert svc.qmgr("info", gid, json=True)["retries"] == 0
        svc.qmgr("complete", gid)
        assert sha256_file(dest / "f.bin") == sha256_file(www / "file.bin")
    finally:
        rc = svc.stop()
        server.terminate()
        server.wait(timeout=10)
        if rc != 0:
            print(svc.log_text()[-5000:])
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(www, ignore_errors=True)
    assert rc == 0
