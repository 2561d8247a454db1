"""Notifications through the legacy API (QMGR.md §4.6), end to end with examples/fetch:
the OnStatus callback on completion and on error, redelivery after a failed callback, and
delivery of an event that happened while no client was connected."""
import os
import subprocess
import time

import pytest

from conftest import BUILD, group_ids

FETCH = BUILD / "examples" / "fetch"


@pytest.fixture
def fetch(qmgrd):
    """fetch(*args, timeout=60) runs examples/fetch against the test's qmgrd and returns
    (rc, stdout, stderr)."""
    if not os.access(FETCH, os.X_OK):
        pytest.fail("%s is missing: build first" % FETCH)
    env = dict(qmgrd.env)
    env["QMGR_SOCKET"] = qmgrd.socket

    def run(*args, timeout=60):
        p = subprocess.run([str(FETCH)] + [str(a) for a in args], env=env, capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    return run


def printed_group(out):
    for line in out.splitlines():
        if line.startswith("group {"):
            return line.split()[1]
    raise AssertionError("fetch printed no group line: %r" % out)


def on_status_lines(out):
    return [l for l in out.splitlines() if l.startswith("OnStatus #") and " group " in l]


def test_fetch_downloads_two_files(nginx, qmgr, fetch, dest):
    a, b = dest / "a.bin", dest / "b.bin"
    rc, out, err = fetch(nginx.url("small/s000.bin"), a, nginx.url("small/s001.bin"), b)
    assert rc == 0, (out, err)
    assert a.read_bytes() == nginx.path("small/s000.bin").read_bytes()
    assert b.read_bytes() == nginx.path("small/s001.bin").read_bytes()
    assert sorted(os.listdir(dest)) == ["a.bin", "b.bin"]  # committed, no temporary left
    calls = on_status_lines(out)
    assert len(calls) == 1 and "COMPLETE" in calls[0], out
    assert group_ids(qmgr("list", json=True)) == []  # CancelGroup committed and removed it


def test_fetch_list_file(nginx, qmgr, fetch, dest, tmp_path):
    lst = tmp_path / "list.txt"
    lst.write_text("# two files\n%s %s\n\n%s %s\n" % (nginx.url("small/s002.bin"), dest / "x",
                                                        nginx.url("small/s003.bin"), dest / "y"))
    rc, out, err = fetch("-i", lst)
    assert rc == 0, (out, err)
    assert (dest / "x").read_bytes() == nginx.path("small/s002.bin").read_bytes()
    assert (dest / "y").read_bytes() == nginx.path("small/s003.bin").read_bytes()


def test_fetch_404_reports_the_error(nginx, qmgr, fetch, dest):
    rc, out, err = fetch(nginx.url("small/s000.bin"), dest / "ok.bin",
                         nginx.url("small/missing.bin"), dest / "missing.bin")
    assert rc == 1, (out, err)
    calls = on_status_lines(out)
    # error notifications need no flag; the failing file is index 1
    assert len(calls) == 1 and "ERROR" in calls[0] and " file 1 " in calls[0], out
    assert "0x80190194 BG_E_HTTP_ERROR_404" in err
    assert "HTTP status 404" in err
    assert not (dest / "missing.bin").exists()
    assert group_ids(qmgr("list", json=True)) == []


def test_failed_callback_is_delivered_again_after_the_retry_delay(nginx, qmgrd, fetch, dest):
    # the per-test qmgrd runs with --min-retry-delay 1
    t0 = time.monotonic()
    rc, out, err = fetch("--fail-first", nginx.url("small/s004.bin"), dest / "f.bin")
    elapsed = time.monotonic() - t0
    assert rc == 0, (out, err)
    calls = on_status_lines(out)
    assert len(calls) == 2, out
    assert all("COMPLETE" in c for c in calls), out
    assert "returning E_FAIL" in out
    assert elapsed >= 0.9, "redelivered after %.2f s, before the retry delay" % elapsed
    assert (dest / "f.bin").read_bytes() == nginx.path("small/s004.bin").read_bytes()
    assert "will deliver again" in qmgrd.log_text()


@pytest.mark.parametrize("restart", [False, True], ids=["same-service", "after-restart"])
def test_event_while_nobody_listens_is_delivered_on_registration(nginx, qmgrd, qmgr, fetch,
                                                                 dest, restart):
    local = dest / "late.bin"
    # set up the group (NOTIFYFLAGS GROUP_DONE, callback class) and exit: nobody listens
    rc, out, err = fetch("--no-resume", nginx.url("small/s005.bin"), local)
    assert rc == 0, (out, err)
    gid = printed_group(out)
    assert qmgr("getprop", gid, "notifyclsid")[1].strip().upper() == \
        "{5A7C3E2B-9D14-4F6A-8B0C-2E1D3F4A5B6C}"
    qmgr("resume", gid)
    qmgr("wait", gid, "--timeout", "30")  # completes while no client is registered
    if restart:
        qmgrd.restart()  # the pending event is in the service's database
    rc, out, err = fetch("--attach", gid)
    assert rc == 0, (out, err)
    calls = on_status_lines(out)
    assert len(calls) == 1 and "COMPLETE" in calls[0] and gid in calls[0], out
    assert local.read_bytes() == nginx.path("small/s005.bin").read_bytes()
    assert group_ids(qmgr("list", json=True)) == []
