"""Error classification against the fault server (TESTING.md N7, N8, N9, N14; QMGR.md §4.4;
docs/errors.md): fatal errors stop the group with the right codes and are not retried;
transient ones keep it INCOMPLETE (0x80) and retry after the retry delay."""
import hashlib
import os
import time

import pytest

from conftest import fault_group, hr32, wait_final, wait_for

QM_E_WIN32_INTERNET_REDIRECT_FAILED = 0x80072F7C
QM_E_WIN32_INTERNET_UNRECOGNIZED_SCHEME = 0x80072EE6
QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE = 0x80072F78


def assert_fatal(info, hresult, context, win32, transport):
    assert info["state"] == "ERROR", info
    assert info["status"] == 0x300
    err = info["error"]
    assert hr32(err["hresult"]) == hresult, err
    assert err["context"] == context, err
    assert err["win32_result"] == win32, err
    assert err["transport_result"] == transport, err
    assert err["file_index"] == 0


@pytest.mark.parametrize("code,win32", [(400, 0), (401, 5), (403, 5), (404, 2), (410, 2),
                                        (501, 0)])
def test_http_error_is_fatal_with_codes(faultsrv, make_qmgrd, dest, code, win32):
    svc = make_qmgrd()
    gid, locals_ = fault_group(svc, dest, [faultsrv.url("status", code=code)])
    info = wait_final(svc, gid)
    assert_fatal(info, 0x80190000 + code, "REMOTE_FILE", win32, code)
    assert info["files"][0]["bytes_transferred"] == 0  # the error page never reaches the file
    for p in dest.iterdir():
        assert p.stat().st_size == 0, p
    time.sleep(1.5)  # min retry delay 1 s: a fatal error is not retried
    assert len(faultsrv.requests("/status/")) == 1
    assert svc.qmgr("status", gid, json=True)["status"] == 0x300


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_5xx_with_retry_after_is_transient(faultsrv, make_qmgrd, dest, code):
    svc = make_qmgrd()
    url = faultsrv.url("status", code=code, n=2, retry_after=2, size=30000)
    gid, locals_ = fault_group(svc, dest, [url])

    def retrying():
        info = svc.qmgr("info", gid, json=True)
        assert info["state"] not in ("ERROR",), info
        return info if info["retries"] >= 1 else None
    info = wait_for(retrying, timeout=10, what="a retry to be counted")
    assert info["status"] == 0x80, info  # transient errors never show as ERROR
    assert hr32(info["error"]["hresult"]) == 0x80190000 + code
    assert info["error"]["transport_result"] == code
    info = wait_final(svc, gid, timeout=20)
    assert info["state"] == "TRANSFERRED", info
    assert info["retries"] == 2
    reqs = faultsrv.requests("/status/")
    assert len(reqs) == 3
    # Retry-After: 2 beats the minimum retry delay of 1 s
    assert reqs[1]["t"] - reqs[0]["t"] >= 1.9
    assert reqs[2]["t"] - reqs[1]["t"] >= 1.9
    svc.qmgr("complete", gid)
    assert locals_[0].read_bytes() == faultsrv.data(url)


def test_retry_after_garbage_and_huge_are_clamped(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    url = faultsrv.url("status", code=503, n=1, retry_after="soon", size=1000)
    gid, _ = fault_group(svc, dest, [url])
    assert wait_final(svc, gid, timeout=10)["state"] == "TRANSFERRED"
    reqs = faultsrv.requests("/status/")
    assert 0.9 <= reqs[1]["t"] - reqs[0]["t"] < 3  # garbage ignored: the retry delay applies


@pytest.mark.parametrize("value,delay", [("0", 1), ("-5", 1), ("1000000000000", 86400),
                                         ("date+3", 3), ("date-60", 1)])
def test_retry_after_forms(faultsrv, make_qmgrd, dest, value, delay):
    """N7: Retry-After in seconds (0 and negative: the retry delay, 1 s here, applies;
    10^12: capped at a day) or as an HTTP-date (3 s ahead: honoured; in the past: ignored)."""
    from email.utils import formatdate
    import urllib.parse

    if value.startswith("date"):
        value = formatdate(time.time() + int(value[4:]), usegmt=True)
    svc = make_qmgrd()
    url = faultsrv.url("status", code=503, n=1, retry_after=urllib.parse.quote(value),
                       size=1000)
    gid, _ = fault_group(svc, dest, [url])
    wait_for(lambda: "will retry in" in svc.log_text(), timeout=10, what="the retry")
    said = int(svc.log_text().split("will retry in ", 1)[1].split(" s")[0])
    assert abs(said - delay) <= 1, (value, said)
    if delay < 10:
        assert wait_final(svc, gid, timeout=15)["state"] == "TRANSFERRED"
        reqs = faultsrv.requests("/status/")
        assert delay - 1 <= reqs[1]["t"] - reqs[0]["t"] < delay + 2, (value, reqs)
    else:
        svc.qmgr("abort", gid)


def test_no_progress_timeout_makes_transient_fatal(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd(no_progress_timeout=3)
    gid, _ = fault_group(svc, dest, [faultsrv.url("status", code=503)])
    t0 = time.monotonic()
    info = wait_final(svc, gid, timeout=20)
    assert_fatal(info, 0x80190000 + 503, "REMOTE_FILE", 0, 503)
    assert info["retries"] >= 2
    assert 2.5 <= time.monotonic() - t0 < 10


def test_ignored_ranges_on_flaky_link_end_after_no_progress_timeout(faultsrv, make_qmgrd,
                                                                     dest):
    # Every answer is a 200 that breaks after 20 kB: re-fetched bytes are not progress.
    svc = make_qmgrd(no_progress_timeout=3)
    gid, _ = fault_group(svc, dest, [faultsrv.url("ignore_range", k=20000, n=1000,
                                                  size=100000)])
    info = wait_final(svc, gid, timeout=20)
    assert info["state"] == "ERROR", info
    assert info["error"]["context"] == "GENERAL_TRANSPORT"


def test_redirect_loop_is_fatal(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    gid, _ = fault_group(svc, dest, [faultsrv.url("redirect", to="self")])
    info = wait_final(svc, gid)
    assert_fatal(info, QM_E_WIN32_INTERNET_REDIRECT_FAILED, "REMOTE_FILE", 12156, 302)
    assert len(faultsrv.requests("/redirect/")) == 11  # the first + at most 10 hops


@pytest.mark.parametrize("to", ["file", "ftp"])
def test_redirect_to_other_scheme_is_fatal(faultsrv, make_qmgrd, dest, to):
    svc = make_qmgrd()
    gid, _ = fault_group(svc, dest, [faultsrv.url("redirect", to=to)])
    info = wait_final(svc, gid)
    assert_fatal(info, QM_E_WIN32_INTERNET_UNRECOGNIZED_SCHEME, "REMOTE_FILE", 12006, 0)
    assert len(faultsrv.requests("/redirect/")) == 1
    assert [p for p in dest.iterdir() if p.stat().st_size] == []


def test_redirect_to_http_is_followed(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    url = faultsrv.url("redirect", to="ok", size=5000)
    gid, locals_ = fault_group(svc, dest, [url])
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"
    svc.qmgr("complete", gid)
    assert locals_[0].read_bytes() == faultsrv.data(url.replace("/redirect/", "/ok/"))


@pytest.mark.parametrize("params", [{"count": 20000}, {"one": 1048576}])
def test_huge_headers_are_a_fatal_server_error(faultsrv, make_qmgrd, dest, params):
    svc = make_qmgrd()
    gid, _ = fault_group(svc, dest, [faultsrv.url("headers", **params)])
    info = wait_final(svc, gid)
    assert_fatal(info, QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE, "REMOTE_FILE", 12152,
                 info["error"]["transport_result"])
    assert info["retries"] == 0
    assert svc.qmgr("list", json=True) is not None  # still serving


def test_reused_connection_reset_before_the_answer_is_retried_at_once(faultsrv, make_qmgrd,
                                                                      dest):
    """The server closes a kept-alive connection just as it is reused for the next file (its
    idle timeout racing the request): the request had no answer, so it is sent again on a
    fresh connection at once, as curl does for a reused connection, and no transient error
    (retry delay, retry count) is charged to the group."""
    svc = make_qmgrd()
    first = faultsrv.url("ok", size=30000)
    second = faultsrv.url("reset_reused", size=30000)
    gid, locals_ = fault_group(svc, dest, [first, second])
    info = wait_final(svc, gid, timeout=20)
    assert info["state"] == "TRANSFERRED", info
    assert info["retries"] == 0, info
    reqs = faultsrv.requests("/reset_reused/")
    assert len(reqs) == 2, reqs
    assert reqs[0]["nreq"] > 1 and reqs[1]["nreq"] == 1  # reused, then a fresh connection
    assert reqs[1]["t"] - reqs[0]["t"] < 0.9  # not after the minimum retry delay (1 s)
    svc.qmgr("complete", gid)
    assert locals_[0].read_bytes() == faultsrv.data(first)
    assert locals_[1].read_bytes() == faultsrv.data(second)


def test_credentials_stay_with_their_origin_and_out_of_the_log(faultsrv, make_qmgrd, dest,
                                                               tmp_path):
    """N10, S15: a URL's user:password goes to its own server, through a same-origin redirect
    too, never to another origin a redirect points at (another port), and never into the
    service's log (which is at debug level here)."""
    import base64
    import urllib.parse
    from faultserver import FaultServer

    other = FaultServer(str(tmp_path / "other.log")).start()
    try:
        svc = make_qmgrd()
        target = other.url("ok", size=30000, seed="cross")
        same = faultsrv.url("redirect", to="ok", size=30000, seed="same")
        cross = faultsrv.url("redirect", to="url", url=urllib.parse.quote(target, safe=""))
        secret = "http://qmuser:s3cr%40t@"
        urls = [u.replace("http://", secret, 1) for u in (same, cross)]
        gid, locals_ = fault_group(svc, dest, urls)
        info = wait_final(svc, gid)
        assert info["state"] == "TRANSFERRED", info
        basic = "Basic " + base64.b64encode(b"qmuser:s3cr@t").decode()
        mine = faultsrv.requests("/f/")
        assert [r["authorization"] for r in mine] == [basic] * 3, mine  # both redirects, ok
        assert [r["authorization"] for r in other.requests("/f/")] == [None]
        log = svc.log_text()
        assert "GET http://127.0.0.1:%d/f/redirect/" % faultsrv.port in log  # logged...
        for leak in ("s3cr", "qmuser", basic.split()[1]):
            assert leak not in log, leak  # ...without its userinfo
        svc.qmgr("complete", gid)
        assert locals_[0].read_bytes() == faultsrv.data(same.replace("redirect", "ok"))
        assert locals_[1].read_bytes() == other.data(target)
    finally:
        other.stop()


def test_stall_before_the_headers_is_a_transient_timeout(faultsrv, make_qmgrd, dest):
    """N3: a server that accepts the request and never answers: the low-speed window
    (low_speed_time, 2 s here) ends the attempt as a transient timeout; the retry succeeds."""
    svc = make_qmgrd()
    url = faultsrv.url("idle", n=1, secs=30, size=30000)
    gid, locals_ = fault_group(svc, dest, [url])
    info = wait_final(svc, gid, timeout=30)
    assert info["state"] == "TRANSFERRED", info
    assert info["retries"] == 1, info
    assert "QM_E_WIN32_INTERNET_TIMEOUT" in svc.log_text()
    reqs = faultsrv.requests("/idle/")
    assert len(reqs) == 2 and reqs[1]["t"] - reqs[0]["t"] < 8, reqs  # not after 30 s
    svc.qmgr("complete", gid)
    assert locals_[0].read_bytes() == faultsrv.data(url)


@pytest.mark.parametrize("how", ["dup_cl", "neg_cl", "huge_cl", "cl_2_63", "bad_chunk"])
def test_bad_framing_is_an_invalid_server_response(faultsrv, make_qmgrd, dest, how):
    """N17: conflicting, negative or impossible Content-Lengths and a broken chunk size are
    libcurl errors, classified as an invalid server response (fatal, docs/errors.md); the
    service does not crash and the destination stays empty."""
    svc = make_qmgrd()
    gid, locals_ = fault_group(svc, dest, [faultsrv.url("badframe", how=how, size=5000)])
    info = wait_final(svc, gid)
    assert info["state"] == "ERROR", info
    assert info["error"]["name"] == "QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE", info["error"]
    assert info["error"]["win32_result"] == 12152
    assert not locals_[0].exists()
    svc.qmgr("abort", gid)
    assert os.listdir(dest) == []


@pytest.mark.parametrize("how", ["same_list", "tab"])
def test_unusual_but_valid_content_length_is_accepted(faultsrv, make_qmgrd, dest, how):
    """A Content-Length listing the same size twice ("N, N", RFC 9110 §8.6) or followed by a
    tab is valid: the file downloads."""
    svc = make_qmgrd()
    url = faultsrv.url("badframe", how=how, size=5000)
    gid, locals_ = fault_group(svc, dest, [url])
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"
    svc.qmgr("complete", gid)
    assert locals_[0].read_bytes() == faultsrv.data(url)


def test_unrequested_gzip_is_stored_as_received(faultsrv, make_qmgrd, dest):
    """N16: no Accept-Encoding is ever sent (ranges count encoded bytes); a gzip answer
    nobody asked for is stored byte for byte, never expanded."""
    import gzip

    svc = make_qmgrd()
    url = faultsrv.url("gzip", size=200000, seed="gz")
    gid, locals_ = fault_group(svc, dest, [url])
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"
    svc.qmgr("complete", gid)
    assert locals_[0].read_bytes() == gzip.compress(faultsrv.data(url), mtime=0)
    assert all("accept-encoding" not in r["headers"] for r in faultsrv.requests("/gzip/"))
