"""Resume against a faulty server (TESTING.md N1, N13, R1, R2, R6, R7, R9, R11; QMGR.md §4.4).

Each test asserts the final state (`qmgr --json info`), the result codes, the request log of
the fault server and the committed bytes."""
import hashlib
import os
import time

import pytest

from conftest import fault_group, hr32, wait_final, wait_for

BG_E_INSUFFICIENT_RANGE_SUPPORT = 0x80200013


def sha(b):
    return hashlib.sha256(b).hexdigest()


def commit_and_check(svc, gid, locals_, expected):
    svc.qmgr("complete", gid)
    for local, data in zip(locals_, expected):
        assert local.exists(), local
        assert sha(local.read_bytes()) == sha(data), local
    assert sorted(os.listdir(locals_[0].parent)) == sorted(p.name for p in locals_)


def transferred(faultsrv, make_qmgrd, dest, mode, **params):
    """One file of `mode` through a fresh service: it must end TRANSFERRED and commit
    byte-identical. Returns its `info` and the fault server's requests for it."""
    svc = make_qmgrd()
    url = faultsrv.url(mode, **params)
    gid, locals_ = fault_group(svc, dest, [url])
    info = wait_final(svc, gid)
    assert info["state"] == "TRANSFERRED", info
    commit_and_check(svc, gid, locals_, [faultsrv.data(url)])
    return info, faultsrv.requests("/%s/" % mode)


def test_reset_mid_body_resumes_with_range_and_strong_etag(faultsrv, make_qmgrd, dest):
    info, reqs = transferred(faultsrv, make_qmgrd, dest, "reset_after", k=60000, size=200000)
    assert info["status"] == 0x140
    assert info["retries"] >= 1
    assert len(reqs) == 2, reqs
    assert reqs[0]["range"] is None
    assert reqs[1]["range"] == "bytes=60000-"
    assert reqs[1]["if_range"].startswith('"v1-')  # the strong ETag, never W/


def test_chunked_trailer_like_a_status_line_changes_nothing(faultsrv, make_qmgrd, dest):
    """A resumed 206 answer in chunks whose trailer reads "HTTP/1.1 200: OK": the trailer is
    not a new response, so the resume stands (no restart from zero, no third request)."""
    info, reqs = transferred(faultsrv, make_qmgrd, dest, "chunked", k=70000, size=200000)
    assert info["files"][0]["bytes_total"] == 200000
    assert [r["range"] for r in reqs] == [None, "bytes=70000-"], reqs


def test_resume_uses_last_modified_without_etag(faultsrv, make_qmgrd, dest):
    _, reqs = transferred(faultsrv, make_qmgrd, dest, "reset_after", k=10000, size=50000,
                          etag=0)
    assert reqs[1]["range"] == "bytes=10000-"
    assert reqs[1]["if_range"].endswith(" GMT"), reqs[1]


def test_200_to_ranged_request_restarts_only_that_file(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    ok = faultsrv.url("ok", size=30000, seed="a")
    bad = faultsrv.url("ignore_range", k=20000, size=80000)
    gid, locals_ = fault_group(svc, dest, [ok, bad])
    info = wait_final(svc, gid)
    assert info["state"] == "TRANSFERRED", info
    assert [f["bytes_total"] for f in info["files"]] == [30000, 80000]
    reqs = faultsrv.requests("/ignore_range/")
    assert [r["range"] for r in reqs] == [None, "bytes=20000-"]
    assert len(faultsrv.requests("/ok/")) == 1  # the other file was not fetched again
    commit_and_check(svc, gid, locals_, [faultsrv.data(ok), faultsrv.data(bad)])


@pytest.mark.parametrize("cr", ["start", "end", "star", "none", "multipart"])
def test_206_with_wrong_content_range_is_fatal(faultsrv, make_qmgrd, dest, cr):
    """R2, R3: a 206 that does not answer exactly the range asked for (start, end, a `*`
    total, no Content-Range, a multipart body) is fatal, and none of it is written."""
    svc = make_qmgrd()
    url = faultsrv.url("wrong_cr", k=20000, size=80000, cr=cr)
    gid, locals_ = fault_group(svc, dest, [url])
    info = wait_final(svc, gid)
    assert info["state"] == "ERROR", info
    assert info["status"] == 0x300
    err = info["error"]
    assert hr32(err["hresult"]) == BG_E_INSUFFICIENT_RANGE_SUPPORT
    assert err["name"] == "BG_E_INSUFFICIENT_RANGE_SUPPORT"
    assert err["context"] == "REMOTE_FILE"
    assert err["file_index"] == 0
    assert err["transport_result"] == 206
    # nothing of the bad answer was written
    assert info["files"][0]["bytes_transferred"] == 20000
    parts = [p for p in os.listdir(dest) if p.endswith(".qmgr-part")]
    assert len(parts) == 1 and os.path.getsize(dest / parts[0]) == 20000
    assert len(faultsrv.requests("/wrong_cr/")) == 2  # fatal: no further retry
    time.sleep(1.5)
    assert len(faultsrv.requests("/wrong_cr/")) == 2
    svc.qmgr("abort", gid)
    assert os.listdir(dest) == []


def test_short_body_keeps_bytes_and_resumes(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    url = faultsrv.url("short", k=30000, size=90000)
    gid, locals_ = fault_group(svc, dest, [url])
    info = wait_final(svc, gid)
    assert info["state"] == "TRANSFERRED", info
    assert info["retries"] >= 1
    assert [r["range"] for r in faultsrv.requests("/short/")] == [None, "bytes=30000-"]
    commit_and_check(svc, gid, locals_, [faultsrv.data(url)])


def test_more_bytes_than_declared_are_dropped(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    urls = [faultsrv.url("long", size=40000, extra=5000, seed="l%d" % i) for i in range(3)]
    gid, locals_ = fault_group(svc, dest, urls)
    info = wait_final(svc, gid)
    assert info["state"] == "TRANSFERRED", info
    assert [f["bytes_total"] for f in info["files"]] == [40000] * 3
    commit_and_check(svc, gid, locals_, [faultsrv.data(u) for u in urls])


def _changed(faultsrv, make_qmgrd, dest, **params):
    svc = make_qmgrd()
    other = faultsrv.url("ok", size=20000, seed="other")
    url = faultsrv.url("changed", k=25000, size=100000, **params)
    gid, locals_ = fault_group(svc, dest, [other, url])
    info = wait_final(svc, gid)
    assert info["state"] == "TRANSFERRED", info
    v1, v2 = faultsrv.data(url, 1), faultsrv.data(url, 2)
    assert v1 != v2
    commit_and_check(svc, gid, locals_, [faultsrv.data(other), v2])
    assert len(faultsrv.requests("/ok/")) == 1
    return faultsrv.requests("/changed/")


def test_remote_change_detected_by_etag(faultsrv, make_qmgrd, dest):
    reqs = _changed(faultsrv, make_qmgrd, dest)
    assert reqs[1]["range"] == "bytes=25000-" and reqs[1]["if_range"].startswith('"v1-')


def test_remote_change_detected_by_last_modified(faultsrv, make_qmgrd, dest):
    reqs = _changed(faultsrv, make_qmgrd, dest, etag=0)
    assert reqs[1]["range"] == "bytes=25000-" and reqs[1]["if_range"].endswith(" GMT")


def test_remote_change_detected_in_206_validators(faultsrv, make_qmgrd, dest):
    # The server ignores If-Range and answers 206 with the new version's validators: the
    # client itself must notice and restart that file from zero.
    reqs = _changed(faultsrv, make_qmgrd, dest, ignore_if_range=1)
    assert reqs[1]["range"] == "bytes=25000-"
    assert reqs[-1]["range"] is None


def test_no_content_length_restarts_from_zero(faultsrv, make_qmgrd, dest):
    info, reqs = transferred(faultsrv, make_qmgrd, dest, "nocl", k=30000, size=120000)
    assert info["files"][0]["bytes_total"] == 120000
    assert [r["range"] for r in reqs] == [None, None]


def test_size_unknown_until_known(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    url = faultsrv.url("nocl", n=0, size=150000, rate=100000)
    gid, locals_ = fault_group(svc, dest, [url])
    prog = wait_for(lambda: (lambda p: p if p["bytes"] > 0 else None)(
        svc.qmgr("progress", gid, json=True)), timeout=10, what="bytes to arrive")
    assert prog["total"] in (None, 0), prog
    assert prog["percent"] == 0
    info = wait_final(svc, gid)
    assert info["state"] == "TRANSFERRED"
    assert svc.qmgr("progress", gid, json=True)["total"] == 150000
    commit_and_check(svc, gid, locals_, [faultsrv.data(url)])


def test_stall_mid_body_is_transient_and_resumes(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd(low_speed_time=1)
    url = faultsrv.url("stall", k=40000, size=100000, secs=20)
    gid, locals_ = fault_group(svc, dest, [url])
    t0 = time.monotonic()
    info = wait_final(svc, gid, timeout=20)
    assert info["state"] == "TRANSFERRED", info
    assert time.monotonic() - t0 < 10
    assert info["retries"] >= 1
    assert [r["range"] for r in faultsrv.requests("/stall/")] == [None, "bytes=40000-"]
    commit_and_check(svc, gid, locals_, [faultsrv.data(url)])


def test_206_with_another_total_restarts_the_file(faultsrv, make_qmgrd, dest):
    """R9's size-only change: a consistent 206 whose total differs from the known size says
    the remote file changed (docs/errors.md): nothing of it is written, that file restarts from
    zero at once, and ends byte-identical."""
    _, reqs = transferred(faultsrv, make_qmgrd, dest, "wrong_cr", k=20000, size=80000,
                          cr="total")
    assert [r["range"] for r in reqs] == [None, "bytes=20000-", None], reqs


def test_416_to_a_size_that_is_not_the_known_one_restarts_the_file(faultsrv, make_qmgrd, dest):
    """R4: the first answer declared 5 bytes more than the file; the resume at the file's
    real end gets 416 `bytes */N`, N not the size the client knows: the file restarts from
    zero, never counted complete on the strength of a 416."""
    info, reqs = transferred(faultsrv, make_qmgrd, dest, "overstate", size=50000, extra=5)
    assert [r["range"] for r in reqs] == [None, "bytes=50000-", None], reqs
    assert info["files"][0]["bytes_total"] == 50000


def test_content_length_with_chunked_never_completes_at_the_wrong_size(faultsrv, make_qmgrd,
                                                                      dest):
    """R8: Content-Length and Transfer-Encoding: chunked together; the chunks carry 5 bytes.
    The file is not complete at 5 bytes: it is resumed and ends byte-identical."""
    _, reqs = transferred(faultsrv, make_qmgrd, dest, "cl_chunked", k=5, size=40000)
    assert len(reqs) >= 2


def test_weak_etag_is_never_sent_in_if_range(faultsrv, make_qmgrd, dest):
    """R9: with only a weak ETag (W/"..."), the resume's If-Range is the Last-Modified date."""
    _, reqs = transferred(faultsrv, make_qmgrd, dest, "reset_after", k=20000, size=60000,
                          weak=1)
    assert len(reqs) == 2 and reqs[1]["range"] == "bytes=20000-", reqs
    assert reqs[1]["if_range"].endswith(" GMT") and "W/" not in reqs[1]["if_range"], reqs
