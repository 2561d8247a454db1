#!/usr/bin/python3
"""httpd.py - the conformance suite's HTTP server (loopback only).

    httpd.py ROOT

Serves the files of ROOT and prints its port on stdout, then serves until SIGTERM.
  /f/NAME          the file, with Content-Length, Last-Modified, a strong ETag and byte ranges
  /slow/NAME       the same, sent in 8 KiB pieces every 50 ms (about 160 KiB/s)
  /status/NNN/...  always answers HTTP NNN (e.g. /status/503/x for a transient error)
  anything else    404
"""
import email.utils
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]
CHUNK = 8192
DELAY = 0.05


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "qmgr-conformance"

    def log_message(self, fmt, *args):
        pass

    def plain(self, code):
        body = b"%d\n" % code
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts = self.path.split("?", 1)[0].split("/")
        if len(parts) >= 3 and parts[1] == "status" and parts[2].isdigit():
            return self.plain(int(parts[2]))
        if len(parts) != 3 or parts[1] not in ("f", "slow") or parts[2] in ("", ".", ".."):
            return self.plain(404)
        path = os.path.join(ROOT, parts[2])
        try:
            f = open(path, "rb")
        except OSError:
            return self.plain(404)
        with f:
            st = os.fstat(f.fileno())
            size = st.st_size
            etag = '"%x-%x"' % (int(st.st_mtime), size)
            lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
            start, end = 0, size - 1
            code = 200
            rng = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if rng and rng.startswith("bytes=") and (not if_range or if_range in (etag, lastmod)):
                a, _, b = rng[6:].partition("-")
                try:
                    start = int(a)
                    end = int(b) if b else size - 1
                except ValueError:
                    start, end = 0, size - 1
                else:
                    if start >= size or end < start:
                        self.send_response(416)
                        self.send_header("Content-Range", "bytes */%d" % size)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    end = min(end, size - 1)
                    code = 206
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Last-Modified", lastmod)
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            if code == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
            self.end_headers()
            if self.command == "HEAD":
                return
            f.seek(start)
            left = end - start + 1
            slow = parts[1] == "slow"
            try:
                while left > 0:
                    data = f.read(min(left, CHUNK if slow else 1 << 20))
                    if not data:
                        break
                    self.wfile.write(data)
                    self.wfile.flush()
                    left -= len(data)
                    if slow:
                        time.sleep(DELAY)
            except OSError:
                self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
