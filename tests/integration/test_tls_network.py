"""HTTPS against a local TLS server with a test CA, and the network faults that need no fault
server: connection refused, a name that does not resolve, proxies from the environment.

Issue 4 item 5 / TESTING.md N4, N5, N12, N19. The CA is a service setting (`ca_file`), never
a client's; a certificate the service cannot verify is fatal with
QM_E_WIN32_INTERNET_SECURE_FAILURE (Win32 12175) and never falls back to an insecure
transfer. Refused connections and unresolvable names are transient (docs/errors.md).
"""
import http.server
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from conftest import TunedService, hr32, sha256_file, wait_final, wait_for

SECURE_FAILURE = 0x80072F8F
CANNOT_CONNECT = 0x80072EFD
NAME_NOT_RESOLVED = 0x80072EE7


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki():
    """A test CA, a server certificate it signed for 127.0.0.1/localhost, one it signed for
    another name, and a self-signed one for 127.0.0.1."""
    d = Path(tempfile.mkdtemp(prefix="qm-pki-"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=qmgr test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)

    def leaf(name, san):
        (d / (name + ".ext")).write_text("subjectAltName=%s\n" % san)
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
                "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
                "-out", name + ".pem", cwd=d)

    leaf("good", "IP:127.0.0.1,DNS:localhost")
    leaf("wronghost", "DNS:other.example")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", "self.key", "-out", "self.pem", cwd=d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


class HttpsServer:
    """A loopback HTTPS server serving one directory with the given certificate."""

    def __init__(self, root, cert, key):
        handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
            *a, directory=str(root), **kw)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def payload(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    data = bytes((i * 7 + 3) & 0xFF for i in range(300_000))
    (www / "file.bin").write_bytes(data)
    return www


def download(svc, url, dest):
    gid = svc.qmgr("create", "--name", "tls", json=True)["id"]
    svc.qmgr("addfile", gid, url, dest / "out.bin")
    svc.qmgr("resume", gid)
    return gid, wait_final(svc, gid, timeout=30)


def test_N12_https_with_the_configured_test_ca(make_qmgrd, pki, payload, dest):
    svc = make_qmgrd(ca_file=pki / "ca.pem")
    with HttpsServer(payload, pki / "good.pem", pki / "good.key") as srv:
        gid, info = download(svc, "https://127.0.0.1:%d/file.bin" % srv.port, dest)
        assert info["state"] == "TRANSFERRED", info
        svc.qmgr("complete", gid)
    assert sha256_file(dest / "out.bin") == sha256_file(payload / "file.bin")


@pytest.mark.parametrize("cert,ca", [
    ("good", None),        # our CA is not in the system store: unknown issuer
    ("wronghost", "ca"),   # a certificate of our CA for another name
    ("self", "ca"),        # self-signed
])
def test_N12_unverifiable_certificate_is_fatal_and_never_insecure(make_qmgrd, pki, payload,
                                                                   dest, cert, ca):
    svc = make_qmgrd(**({"ca_file": pki / (ca + ".pem")} if ca else {}))
    with HttpsServer(payload, pki / (cert + ".pem"), pki / (cert + ".key")) as srv:
        gid, info = download(svc, "https://127.0.0.1:%d/file.bin" % srv.port, dest)
    assert info["state"] == "ERROR", info
    assert info["status"] == 0x300
    err = info["error"]
    assert hr32(err["hresult"]) == SECURE_FAILURE, err
    assert err["win32_result"] == 12175
    assert err["context"] == "GENERAL_TRANSPORT"
    assert info["retries"] == 0  # fatal: no retry
    assert info["bytes_transferred"] == 0
    assert not (dest / "out.bin").exists()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


@pytest.mark.parametrize("url,code,win32", [
    ("http://127.0.0.1:%d/x.bin" % closed_port(), CANNOT_CONNECT, 12029),
    ("http://no-such-host.invalid/x.bin", NAME_NOT_RESOLVED, 12007),
])
def test_N4_N5_refused_and_unresolvable_are_transient(make_qmgrd, dest, url, code, win32):
    svc = make_qmgrd()
    gid = svc.qmgr("create", "--name", "net", json=True)["id"]
    svc.qmgr("addfile", gid, url, dest / "x.bin")
    svc.qmgr("resume", gid)

    def retried():
        info = svc.qmgr("info", gid, json=True)
        return info if info["retries"] >= 2 else None

    info = wait_for(retried, timeout=20, what="two retries")
    assert info["state"] in ("QUEUED", "CONNECTING", "TRANSIENT_ERROR"), info
    assert info["status"] & 0x300 == 0  # transient errors never show as ERROR
    assert info["status"] & 0x80
    err = info["error"]
    assert err is not None and hr32(err["hresult"]) == code, err
    assert err["win32_result"] == win32


def test_N19_proxy_variables_of_the_environment_are_ignored(binaries, nginx, dest):
    root = Path(tempfile.mkdtemp(prefix="qm-", dir="/tmp"))
    svc = TunedService(binaries, root, [])
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        svc.env[k] = "http://127.0.0.1:%d" % closed_port()
    svc.env.pop("NO_PROXY", None)
    svc.env.pop("no_proxy", None)
    svc.start()
    try:
        gid, info = download(svc, nginx.url("small/s000.bin"), dest)
        assert info["state"] == "TRANSFERRED", info
    finally:
        assert svc.stop() == 0
        shutil.rmtree(root, ignore_errors=True)
