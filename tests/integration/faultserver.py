"""A fault-injecting HTTP/1.1 server for the integration tests (TESTING.md §6.1).

Loopback only, Python stdlib, one thread per connection, keep-alive. The URL path picks the
behaviour:  /f/<mode>/<k=v,k=v,...>/<name>   (the name is ignored; it keeps URLs distinct)

Common parameters (values URL-decoded): size (bytes, default 100000), seed (content seed,
default the params string), n (how many requests of this path get the fault; later ones are
served normally), k (a byte count the fault happens after), etag=0 / lm=0 (no ETag / no
Last-Modified), weak=1 (a weak ETag, W/"..."), rate (bytes per second, throttles the body).

Modes:
  ok            full support: 200, or 206 for `Range: bytes=N-`, If-Range honoured
  reset_after   the first n answers stop after k body bytes with a TCP RST (SO_LINGER 0)
  stall         the first n answers stop after k body bytes and sleep `secs` (default 60)
  short         the first n answers declare the full Content-Length, send k bytes, FIN
  long          every answer sends `extra` bytes more than its Content-Length
  ignore_range  the first answer resets after k bytes; later ones are 200 with the whole file
  wrong_cr      the first answer resets after k bytes; later ranged answers are 206 with a
                wrong Content-Range: cr=start (default: starts one byte late), cr=end (ends
                one byte early), cr=total (a file one byte longer: range and body to its
                new end), cr=star (total `*`),
                cr=none (no Content-Range), cr=multipart (multipart/byteranges of the range)
  overstate     the first n answers declare `extra` (default 5) bytes more than the file,
                send the whole file, and reset: the client knows a wrong size
  cl_chunked    the first n answers carry both Content-Length (the full size) and
                Transfer-Encoding: chunked, with only `k` bytes in the chunks
  changed       the first answer (version 1) resets after k bytes; later ones serve version 2
                (other bytes, new ETag and Last-Modified); ignore_if_range=1 makes them answer
                206 regardless (the client must notice the new validators itself)
  nocl          no Content-Length (close-delimited), ranges ignored; the first n answers
                reset after k bytes
  status        answers `code` (with `retry_after` if given) to the first n requests
                (n default: all), then as ok
  redirect      to=self (a loop), to=file, to=ftp, to=ok (a 302 to /f/ok/<same params>),
                to=url (a 302 to the URL-encoded absolute `url`)
  headers       count=N extra small headers, or one=BYTES for one huge header
  chunked       the first n answers stop after k body bytes with a TCP RST (sized, like
                reset_after); later ones are chunked (no Content-Length) and end with the
                trailer line `trailer` (URL-encoded; default "HTTP/1.1 200: OK", a trailer
                that looks like a status line; curl 7.88 refuses one without a colon)
  idle          the first n requests get no answer at all: the connection stays open and
                silent for `secs` (default 30), then closes (a stall before the headers)
  badframe      a broken answer: how=dup_cl (two different Content-Lengths), neg_cl
                (Content-Length -1), huge_cl (a Content-Length past 2^64), cl_2_63 (2^63),
                bad_chunk (a chunk size that is not hexadecimal); and two that are fine:
                same_list ("N, N"), tab (a tab after the size)
  gzip          the file gzip-compressed, sent with Content-Encoding: gzip though nobody
                asked for it
  reset_reused  as ok, but the first n requests of this path that come on a reused
                connection get no answer: the connection is reset (a server closing a
                kept-alive connection just as the client reuses it)

Every request is logged as one JSON line: time, connection id and its request number,
method, path, Range, If-Range, Authorization, all headers. Use `requests(path_substring)`.
"""
import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate

LM_BASE = 1_700_000_000  # the Last-Modified of version 1; version v is LM_BASE + v*1000


def content(seed, size, version=1):
    """Deterministic bytes for (seed, size, version)."""
    rng = random.Random("%s:%d:%d" % (seed, size, version))
    return rng.randbytes(size)


class FaultServer:
    def __init__(self, log_path=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.log_path = log_path
        self.log = []
        self.lock = threading.Lock()
        self.counts = {}
        self.conns = 0
        self.stopping = False
        self.cache = {}
        self.acceptor = None
        self.open_socks = set()

    # ---- public ------------------------------------------------------------------------

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, mode, name="x.bin", **params):
        p = ",".join("%s=%s" % kv for kv in sorted(params.items())) or "-"
        return "%s/f/%s/%s/%s" % (self.base, mode, p, name)

    def data(self, url_or_params, version=1):
        """The bytes a URL serves (version 1 unless said)."""
        mode, params, _ = self._parse(url_or_params.split("/f/", 1)[1])
        return self._content(params, version)

    def requests(self, substring=""):
        with self.lock:
            return [r for r in self.log if substring in r["path"]]

    def start(self):
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.acceptor.start()
        return self

    def stop(self):
        # The accept thread is woken by shutdown() and waited for before the socket is closed:
        # a descriptor closed under a thread about to call accept() is reused by the next
        # test's server, and the stale thread then accepted that server's connections and
        # reset them (a test counted a transient error it never caused).
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self.acceptor is not None:
            self.acceptor.join(10)
            assert not self.acceptor.is_alive(), "the fault server's accept thread did not stop"
        self.sock.close()
        with self.lock:
            socks = list(self.open_socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ---- plumbing ----------------------------------------------------------------------

    def _accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self.stopping:
                c.close()
                return
            with self.lock:
                self.conns += 1
                cid = self.conns
                self.open_socks.add(c)
            t = threading.Thread(target=self._serve, args=(c, cid), daemon=True)
            t.start()

    def _record(self, entry):
        with self.lock:
            self.log.append(entry)
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write(json.dumps(entry) + "\n")

    @staticmethod
    def _parse(rest):
        parts = rest.split("/")
        mode = parts[0]
        params = {}
        if len(parts) > 1 and parts[1] != "-":
            for kv in parts[1].split(","):
                k, _, v = kv.partition("=")
                params[k] = urllib.parse.unquote(v)
        params.setdefault("seed", parts[1] if len(parts) > 1 else "x")
        return mode, params, "/".join(parts[2:])

    def _content(self, params, version=1):
        size = int(params.get("size", 100000))
        key = (params["seed"], size, version)
        if key not in self.cache:
            self.cache[key] = content(*key)
        return self.cache[key]

    def _serve(self, c, cid):
        f = c.makefile("rb")
        nreq = 0
        try:
            while not self.stopping:
                line = f.readline(65536)
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    continue
                try:
                    method, path, _ = line.decode("latin-1").split(" ", 2)
                except ValueError:
                    return
                headers = {}
                while True:
                    h = f.readline(65536)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                nreq += 1
                with self.lock:
                    self.counts[path] = self.counts.get(path, 0) + 1
                    count = self.counts[path]
                self._record({"t": time.time(), "conn": cid, "nreq": nreq, "method": method,
                              "path": path, "range": headers.get("range"),
                              "if_range": headers.get("if-range"),
                              "authorization": headers.get("authorization"),
                              "headers": headers})
                if path.startswith("/f/reset_reused/") and nreq > 1:
                    with self.lock:
                        key = ("reset_reused", path)
                        self.counts[key] = self.counts.get(key, 0) + 1
                        reset = self.counts[key] <= int(self._parse(path[3:])[1].get("n", 1))
                    if reset:
                        self._reset(c)
                        return
                keep = self._answer(c, method, path, headers, count)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            with self.lock:
                self.open_socks.discard(c)
            try:
                c.close()
            except OSError:
                pass

    @staticmethod
    def _send(c, head, body=b""):
        c.sendall(head.encode("latin-1") + body)

    @staticmethod
    def _reset(c):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

    def _body(self, c, data, rate):
        if not rate:
            c.sendall(data)
            return
        chunk = max(1, rate // 20)
        for i in range(0, len(data), chunk):
            if self.stopping:
                raise OSError("stopping")
            c.sendall(data[i:i + chunk])
            time.sleep(chunk / rate)

    # ---- behaviours ---------------------------------------------------------------------

    def _answer(self, c, method, path, headers, count):
        if not path.startswith("/f/"):
            self._send(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return True
        mode, p, _ = self._parse(path[3:])
        n = int(p.get("n", 1))
        k = int(p.get("k", 0))
        rate = int(p.get("rate", 0))
        faulty = count <= n
        version = 1
        if mode == "changed" and count > 1:
            version = 2
        data = self._content(p, version)
        size = len(data)
        etag = '"v%d-%s"' % (version, hashlib.sha1(data).hexdigest()[:12])
        if p.get("weak") == "1":
            etag = "W/" + etag
        lm = formatdate(LM_BASE + version * 1000, usegmt=True)
        validators = ""
        if p.get("etag", "1") != "0":
            validators += "ETag: %s\r\n" % etag
        if p.get("lm", "1") != "0":
            validators += "Last-Modified: %s\r\n" % lm

        if mode == "status" and count <= int(p.get("n", 1 << 30)):
            code = int(p.get("code", 500))
            body = b"error %d\n" % code
            extra = ""
            if "retry_after" in p:
                extra = "Retry-After: %s\r\n" % p["retry_after"]
            self._send(c, "HTTP/1.1 %d Error\r\nContent-Type: text/plain\r\n%s"
                          "Content-Length: %d\r\n\r\n" % (code, extra, len(body)), body)
            return True
        if mode == "idle" and faulty:
            deadline = time.time() + float(p.get("secs", 30))
            while time.time() < deadline and not self.stopping:
                time.sleep(0.1)
            return False
        if mode == "badframe":
            how = p.get("how", "dup_cl")
            if how == "bad_chunk":
                self._send(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                           b"zz\r\n" + data[:100] + b"\r\n0\r\n\r\n")
                return False
            cl = {"dup_cl": "%d\r\nContent-Length: %d" % (size, size + 10), "neg_cl": "-1",
                  "huge_cl": "99999999999999999999999",
                  "cl_2_63": "9223372036854775808",  # 19 digits, one past the signed range
                  # not broken: the same size listed twice (RFC 9110 §8.6), a trailing tab
                  "same_list": "%d, %d" % (size, size), "tab": "%d\t" % size}[how]
            self._send(c, "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n" % cl, data)
            return False
        if mode == "gzip":
            import gzip
            body = gzip.compress(data, mtime=0)
            self._send(c, "HTTP/1.1 200 OK\r\n%sContent-Encoding: gzip\r\nContent-Length: %d\r\n"
                          "\r\n" % (validators, len(body)), body)
            return True
        if mode == "redirect":
            to = p.get("to", "self")
            loc = {"self": path, "file": "file:///etc/passwd",
                   "ftp": "ftp://127.0.0.1:%d/x" % self.port,
                   "ok": path.replace("/f/redirect/", "/f/ok/", 1), "url": p.get("url")}[to]
            self._send(c, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
                       % loc)
            return True
        if mode == "headers":
            if "one" in p:
                hdr = "X-Big: %s\r\n" % ("a" * int(p["one"]))
            else:
                hdr = "".join("X-H%d: %d\r\n" % (i, i) for i in range(int(p.get("count", 20000))))
            self._send(c, "HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n" % (hdr, size), data)
            return True
        if mode == "nocl":
            self._send(c, "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n" % validators)
            if faulty and k:
                c.sendall(data[:k])
                time.sleep(0.05)
                self._reset(c)
                return False
            self._body(c, data, rate)
            return False

        # range handling
        start = None
        rng = headers.get("range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            try:
                start = int(rng[6:-1])
            except ValueError:
                start = None
        if start is not None and "if-range" in headers:
            ir = headers["if-range"]
            if ir.startswith('"'):
                if ir != etag or p.get("etag", "1") == "0":
                    start = None
            elif ir != lm:
                start = None
        if mode == "changed" and p.get("ignore_if_range") == "1" and rng:
            start = int(rng[6:-1])
        if mode == "ignore_range" and count > 1:
            start = None
        first_fault = mode in ("ignore_range", "wrong_cr", "changed") and (
            count <= n if mode == "ignore_range" else count == 1)
        if start is not None and start >= size:
            self._send(c, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%d\r\n"
                          "%sContent-Length: 0\r\n\r\n" % (size, validators))
            return True
        cr = p.get("cr", "start") if mode == "wrong_cr" else ""
        if start is not None and cr == "multipart":
            part = data[start:]
            boundary = "QMGRBOUNDARY"
            body = (("--%s\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                     "%d-%d/%d\r\n\r\n" % (boundary, start, size - 1, size)).encode() + part
                    + ("\r\n--%s--\r\n" % boundary).encode())
            self._send(c, "HTTP/1.1 206 Partial Content\r\n%sContent-Type: multipart/byteranges; "
                          "boundary=%s\r\nContent-Length: %d\r\n\r\n"
                          % (validators, boundary, len(body)), body)
            return True
        if start is not None:
            body = data[start:]
            first, last, total = start, start + len(body) - 1, str(size)
            if cr == "start":
                first, last = first + 1, last + 1
            elif cr == "end":
                last -= 1
            elif cr == "total":  # consistent, but the file seems one byte longer now
                body += b"+"
                last, total = last + 1, str(size + 1)
            elif cr == "star":
                total = "*"
            head = "HTTP/1.1 206 Partial Content\r\n"
            if cr != "none":
                head += "Content-Range: bytes %d-%d/%s\r\n" % (first, last, total)
        else:
            body = data
            head = "HTTP/1.1 200 OK\r\n"
        declared = len(body)
        if mode == "overstate" and faulty:
            declared += int(p.get("extra", 5))
        if mode == "long":
            body = body + b"X" * int(p.get("extra", 1000))
        chunked = mode == "chunked" and not faulty
        if mode == "cl_chunked" and faulty:
            part = body[:k]
            self._send(c, head + "%sContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n"
                       % (validators, declared), b"%x\r\n%s\r\n0\r\n\r\n" % (len(part), part))
            return False
        if chunked:
            head += "%sTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream" \
                    "\r\n\r\n" % validators
        else:
            head += "%sContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n" % (
                validators, declared)

        if mode == "overstate" and faulty:
            self._send(c, head, body)
            time.sleep(0.05)
            self._reset(c)
            return False
        if (mode in ("reset_after", "chunked") and faulty) or first_fault:
            self._send(c, head, body[:k])
            time.sleep(0.05)
            self._reset(c)
            return False
        if mode == "stall" and faulty:
            self._send(c, head, body[:k])
            deadline = time.time() + float(p.get("secs", 60))
            while time.time() < deadline and not self.stopping:
                time.sleep(0.1)
            return False
        if mode == "short" and faulty:
            self._send(c, head, body[:k])
            c.shutdown(socket.SHUT_WR)
            return False
        if chunked:
            half = len(body) // 2
            out = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                           for part in (body[:half], body[half:]) if part)
            trailer = p.get("trailer", "HTTP/1.1 200: OK")
            self._send(c, head, out + b"0\r\n" + trailer.encode("latin-1") + b"\r\n\r\n")
            return True
        self._send(c, head)
        self._body(c, body, rate)
        return mode != "long"


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", help="JSON-lines request log")
    a = ap.parse_args()
    srv = FaultServer(a.log).start()
    print(srv.base, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main())
