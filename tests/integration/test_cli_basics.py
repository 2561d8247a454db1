"""CLI contract: exit codes and the JSON of `progress` and `info` (CLI.md)."""
import os
import re

from conftest import run_cli, wait_for

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


def test_exit_3_when_no_service_answers(binaries, tmp_path):
    env = dict(os.environ, QMGR_NO_AUTOSTART="1", XDG_RUNTIME_DIR=str(tmp_path))
    sock = str(tmp_path / "nothing-here.sock")
    rc, out, err = run_cli(binaries.qmgr, ["--socket", sock, "--no-autostart", "list"], env)
    assert rc == 3, (rc, out, err)
    assert err.strip() != ""
    assert not os.path.exists(sock)  # nothing was started behind our back


def test_exit_2_on_usage_errors(qmgr):
    for args in (["frobnicate"], ["status"], ["create", "--no-such-option"], []):
        rc, out, err = qmgr(*args, check=False)
        assert rc == 2, (args, rc, out, err)
        assert err.strip() != "", args


def test_progress_json(nginx, qmgr, dest):
    gid = qmgr("create", "--name", "prog", json=True)["id"]
    qmgr("addfile", gid, nginx.url("small/s002.bin"), dest / "p.bin")
    p = qmgr("progress", gid, json=True)
    assert set(p) >= {"bytes", "total", "percent"}
    assert p["bytes"] == 0
    assert p["total"] is None  # unknown until the server told the size
    assert p["percent"] == 0
    qmgr("resume", gid)
    wait_for(lambda: qmgr("status", gid, json=True)["status"] == 0x140, timeout=30,
             what="the group to complete")
    p = qmgr("progress", gid, json=True)
    size = nginx.sizes["s002.bin"]
    assert p["bytes"] == size
    assert p["total"] == size
    assert p["percent"] == 100


INFO_FIELDS = {"id", "job_id", "name", "description", "owner", "state", "status", "flags",
               "priority", "bytes_transferred", "bytes_total", "files_transferred",
               "files_total", "retries", "error", "created", "modified", "completed", "files"}
FILE_FIELDS = {"index", "url", "local", "bytes_transferred", "bytes_total", "complete"}


def test_info_json_has_every_field(nginx, qmgr, dest):
    doc = qmgr("create", "--name", "info-test", "--description", "a description", json=True)
    gid = doc["id"]
    url, local = nginx.url("small/s003.bin"), str(dest / "i.bin")
    qmgr("addfile", gid, url, local)
    info = qmgr("info", gid, json=True)
    missing = INFO_FIELDS - set(info)
    assert not missing, "info --json lacks %s" % sorted(missing)
    assert info["id"].upper() == gid.upper()
    assert info["job_id"].upper() == doc["job_id"].upper()
    assert info["name"] == "info-test"
    assert info["description"] == "a description"
    assert info["owner"]["uid"] == os.getuid()
    assert isinstance(info["owner"]["name"], str) and info["owner"]["name"]
    assert info["state"] == "SUSPENDED"
    assert info["status"] == 0x180
    assert sorted(info["flags"]) == ["INCOMPLETE", "SUSPENDED"]
    assert info["priority"] in ("FOREGROUND", "HIGH", "NORMAL", "LOW")
    assert info["bytes_transferred"] == 0
    assert info["bytes_total"] is None
    assert info["files_transferred"] == 0
    assert info["files_total"] == 1
    assert info["retries"] == 0
    assert info["error"] is None
    assert ISO_UTC.match(info["created"]), info["created"]
    assert ISO_UTC.match(info["modified"]), info["modified"]
    assert info["completed"] is None or ISO_UTC.match(info["completed"])
    assert len(info["files"]) == 1
    f = info["files"][0]
    missing = FILE_FIELDS - set(f)
    assert not missing, "info --json files[] lacks %s" % sorted(missing)
    assert f["index"] == 0
    assert f["url"] == url
    assert f["local"] == local
    assert f["bytes_transferred"] == 0
    assert f["bytes_total"] is None
    assert f["complete"] is False
