"""The qmgr command-line contract of CLI.md, command by command: `--help`, exactly the JSON
fields CLI.md names, GUID and time formats, exit codes, GROUP forms and error lines.

Every check here quotes CLI.md; a failure is a CLI bug, not a test to loosen."""
import json
import os
import re

import pytest

from conftest import group_ids, hr32, run_cli, wait_for

COMMANDS = ["create", "addfile", "addfileset", "resume", "suspend", "foreground", "cancel",
            "complete", "abort", "status", "progress", "info", "files", "list", "getprop",
            "setprop", "setpriority", "setretrydelay", "setnoprogresstimeout",
            "setnotifycmdline", "wait", "monitor", "get", "reset", "version"]

GUID_RE = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
# "0x80190194 BG_E_HTTP_ERROR_404: <message>"
ERROR_LINE = re.compile(r"0x([0-9a-f]{8}) ([A-Z][A-Z0-9_]+): \S")

INFO_FIELDS = {"id", "job_id", "name", "description", "owner", "state", "status", "flags",
               "priority", "bytes_transferred", "bytes_total", "files_transferred",
               "files_total", "retries", "error", "created", "modified", "completed", "files"}
FILE_FIELDS = {"index", "url", "local", "bytes_transferred", "bytes_total", "complete"}
ERROR_FIELDS = {"hresult", "name", "message", "context", "file_index", "win32_result",
                "transport_result"}
STATES = {"QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR", "TRANSIENT_ERROR",
          "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED"}


def one_json(out, what):
    """stdout must be exactly one JSON document."""
    assert out.strip(), "%s --json printed nothing" % what
    try:
        return json.loads(out)
    except ValueError as e:
        raise AssertionError("%s --json did not print one JSON document (%s): %r"
                             % (what, e, out[:2000])) from None


def jq(qmgr, *args):
    """Runs `qmgr --json ARGS`; asserts exit 0 and one JSON document; returns it."""
    rc, out, err = qmgr("--json", *args, check=False)
    assert rc == 0, "qmgr --json %s exited %d: %s" % (" ".join(map(str, args)), rc, err)
    return one_json(out, "qmgr %s" % args[0])


def assert_error_line(err, name=None):
    m = ERROR_LINE.search(err)
    assert m, "no `0x%%08x NAME: message` line on stderr: %r" % err
    if name:
        assert m.group(2) == name, (m.group(2), err)
    return m


# ---- --help -----------------------------------------------------------------------------

def test_global_help_lists_every_command(binaries):
    rc, out, err = run_cli(binaries.qmgr, ["--help"], dict(os.environ))
    assert rc == 0 and err == ""
    assert out.startswith("Usage:")
    for cmd in COMMANDS:
        assert re.search(r"^\s+%s\s" % cmd, out, re.M), "qmgr --help does not list %s" % cmd
    for opt in ("--socket", "--json", "--no-autostart"):
        assert opt in out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(binaries, tmp_path, cmd):
    """`qmgr CMD --help` works without a service: usage on stdout, exit 0."""
    env = dict(os.environ, QMGR_NO_AUTOSTART="1", XDG_RUNTIME_DIR=str(tmp_path))
    for argv in ([cmd, "--help"], ["--json", cmd, "--help"], [cmd, "-h"]):
        rc, out, err = run_cli(binaries.qmgr, ["--socket", str(tmp_path / "none.sock")] + argv,
                               env)
        assert rc == 0, (argv, rc, out, err)
        assert err == "", (argv, err)
        assert out.startswith("Usage:") and re.search(r"\b%s\b" % cmd, out), (argv, out)


# ---- JSON of each command ---------------------------------------------------------------

def test_create_json(qmgr):
    doc = jq(qmgr, "create")
    assert set(doc) == {"id", "job_id"}, doc
    assert GUID_RE.match(doc["id"]) and GUID_RE.match(doc["job_id"]), doc
    assert doc["id"] != doc["job_id"]
    # the plain form prints the group GUID alone
    rc, out, err = qmgr("create", "--name", "plain")
    assert GUID_RE.match(out.strip()) and out.count("\n") == 1, out


def test_create_with_id_any_case(qmgr):
    want = "{0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9}"
    doc = jq(qmgr, "create", "--id", want.lower().strip("{}"))
    assert doc["id"] == want


def test_status_json(qmgr):
    gid = jq(qmgr, "create")["id"]
    doc = jq(qmgr, "status", gid)
    assert set(doc) == {"status", "flags", "job_index"}, doc
    assert doc == {"status": 384, "flags": ["INCOMPLETE", "SUSPENDED"], "job_index": 0}
    rc, out, err = qmgr("status", gid)
    assert out.strip() == "SUSPENDED|INCOMPLETE", out


def test_progress_json_fields(nginx, qmgr, dest):
    gid = jq(qmgr, "create")["id"]
    doc = jq(qmgr, "progress", gid)
    assert set(doc) == {"bytes", "total", "percent"}, doc
    assert doc["bytes"] == 0 and doc["percent"] == 0, doc
    qmgr("addfile", gid, nginx.url("small/s012.bin"), dest / "p.bin")
    doc = jq(qmgr, "progress", gid)
    assert doc == {"bytes": 0, "total": None, "percent": 0}  # unknown size: null


def check_file_entry(f, i):
    assert set(f) == FILE_FIELDS, f
    assert f["index"] == i
    assert isinstance(f["url"], str) and isinstance(f["local"], str)
    assert os.path.isabs(f["local"])
    assert isinstance(f["bytes_transferred"], int)
    assert f["bytes_total"] is None or isinstance(f["bytes_total"], int)
    assert isinstance(f["complete"], bool)


def check_info(info):
    assert set(info) == INFO_FIELDS, "info --json fields differ from CLI.md: extra %s, missing %s" \
        % (sorted(set(info) - INFO_FIELDS), sorted(INFO_FIELDS - set(info)))
    assert GUID_RE.match(info["id"]), info["id"]
    assert info["job_id"] is None or GUID_RE.match(info["job_id"]), info["job_id"]
    assert set(info["owner"]) == {"uid", "name"}, info["owner"]
    assert info["state"] in STATES
    assert isinstance(info["status"], int)
    assert isinstance(info["flags"], list)
    assert info["priority"] in ("FOREGROUND", "HIGH", "NORMAL", "LOW")
    for k in ("bytes_transferred", "files_transferred", "files_total", "retries"):
        assert isinstance(info[k], int), (k, info[k])
    assert info["bytes_total"] is None or isinstance(info["bytes_total"], int)
    for k in ("created", "modified"):
        assert isinstance(info[k], str) and ISO_UTC.match(info[k]), (k, info[k])
    assert info["completed"] is None or ISO_UTC.match(info["completed"]), info["completed"]
    if info["error"] is not None:
        assert set(info["error"]) == ERROR_FIELDS, info["error"]
    for i, f in enumerate(info["files"]):
        check_file_entry(f, i)


def test_info_json_exact_fields(nginx, qmgr, dest):
    gid = jq(qmgr, "create", "--name", "exact", "--description", "d")["id"]
    qmgr("addfile", gid, nginx.url("small/s004.bin"), dest / "a.bin")
    qmgr("addfile", gid, nginx.url("small/s005.bin"), dest / "b.bin")
    info = jq(qmgr, "info", gid)
    check_info(info)
    assert info["bytes_total"] is None  # unknown before the server told
    assert [f["bytes_total"] for f in info["files"]] == [None, None]
    assert info["completed"] is None
    qmgr("resume", gid)
    wait_for(lambda: jq(qmgr, "status", gid)["status"] == 0x140, timeout=30,
             what="the group to complete")
    info = jq(qmgr, "info", gid)
    check_info(info)
    total = nginx.sizes["s004.bin"] + nginx.sizes["s005.bin"]
    assert info["bytes_total"] == info["bytes_transferred"] == total
    assert info["state"] == "TRANSFERRED"
    assert ISO_UTC.match(info["completed"] or ""), info["completed"]
    assert all(f["complete"] for f in info["files"])


def test_info_json_error_object(nginx, qmgr, dest):
    gid = jq(qmgr, "create")["id"]
    qmgr("addfile", gid, nginx.url("no/such/file.bin"), dest / "x.bin")
    qmgr("resume", gid)
    info = wait_for(lambda: (lambda i: i if i["state"] == "ERROR" else None)(jq(qmgr, "info", gid)),
                    timeout=30, what="the group to fail")
    check_info(info)
    e = info["error"]
    assert hr32(e["hresult"]) == 0x80190194 and e["name"] == "BG_E_HTTP_ERROR_404", e
    assert e["transport_result"] == 404 and e["file_index"] == 0, e
    assert isinstance(e["message"], str) and e["message"]
    assert isinstance(e["context"], str), e


def test_files_json(nginx, qmgr, dest):
    gid = jq(qmgr, "create")["id"]
    qmgr("addfile", gid, nginx.url("small/s006.bin"), dest / "f.bin")
    doc = jq(qmgr, "files", gid)
    files = doc["files"] if isinstance(doc, dict) else doc
    assert isinstance(files, list) and len(files) == 1, doc
    check_file_entry(files[0], 0)
    assert files[0]["url"] == nginx.url("small/s006.bin")
    assert files[0]["local"] == str(dest / "f.bin")
    rc, out, err = qmgr("files", gid)
    assert len(out.strip().splitlines()) == 1 and "s006.bin" in out


def test_list_json(qmgr):
    a = jq(qmgr, "create", "--name", "one")["id"]
    b = jq(qmgr, "create", "--name", "two")["id"]
    doc = jq(qmgr, "list")
    items = doc.get("groups") if isinstance(doc, dict) else doc
    assert isinstance(items, list), doc
    ids = [it["id"] if isinstance(it, dict) else it for it in items]
    assert ids == [a, b], ids  # creation order, registry form upper case
    rc, out, err = qmgr("list")
    assert a in out and b in out


def test_every_command_prints_one_json_document(nginx, qmgr, dest, tmp_path):
    """CLI.md: with --json every command prints exactly one JSON document on stdout."""
    gid = jq(qmgr, "create", "--name", "every")["id"]
    lst = tmp_path / "list.txt"
    lst.write_text("# comment\n%s %s\n" % (nginx.url("small/s008.bin"), dest / "l.bin"))
    for args in (["addfile", gid, nginx.url("small/s007.bin"), dest / "e.bin"],
                 ["addfileset", gid, lst],
                 ["getprop", gid, "displayname"],
                 ["setprop", gid, "description", "new"],
                 ["setpriority", gid, "high"],
                 ["setretrydelay", gid, "5"],
                 ["setnoprogresstimeout", gid, "3600"],
                 ["suspend", gid],
                 ["foreground", gid],
                 ["status", gid], ["progress", gid], ["info", gid], ["files", gid], ["list"],
                 ["version"],
                 ["resume", gid]):
        jq(qmgr, *args)
    wait_for(lambda: jq(qmgr, "status", gid)["status"] & 0x40, timeout=30,
             what="the group to complete")
    jq(qmgr, "complete", gid)
    for cmd in ("cancel", "abort"):
        g = jq(qmgr, "create")["id"]
        jq(qmgr, cmd, g)
    jq(qmgr, "create")
    jq(qmgr, "reset")
    doc = jq(qmgr, "get", nginx.url("small/s009.bin"), dest / "get.bin")
    assert (dest / "get.bin").stat().st_size == nginx.sizes["s009.bin"]
    assert isinstance(doc, dict)


def test_setnotifycmdline_json(qmgr):
    gid = jq(qmgr, "create")["id"]
    jq(qmgr, "setnotifycmdline", gid, "/bin/true", "arg")


def test_getprop_values(qmgr):
    gid = jq(qmgr, "create", "--name", "props")["id"]
    rc, out, err = qmgr("getprop", gid, "displayname")
    assert out == "props\n"
    rc, out, err = qmgr("getprop", gid, "11")
    assert out == "props\n"
    rc, out, err = qmgr("getprop", gid, "priority")
    assert out.strip() == "1"
    rc, out, err = qmgr("getprop", gid, "remoteuserid", check=False)
    assert rc == 1 and out == ""
    assert_error_line(err, "QM_E_NOTIMPL")


# ---- exit codes and error lines ---------------------------------------------------------

def test_exit_0_1_2(qmgr):
    assert qmgr("list", check=False)[0] == 0
    unknown = "{00000000-0000-4000-8000-000000000000}"
    for args in (["status", unknown], ["info", unknown], ["resume", unknown],
                 ["cancel", unknown]):
        rc, out, err = qmgr(*args, check=False)
        assert rc == 1, (args, rc, out, err)
        assert out == "", (args, out)  # nothing but the answer on stdout
        assert_error_line(err, "QM_E_ITEM_NOT_FOUND")
    for args in (["status"], ["status", "a", "b"], ["create", "--bogus"], ["bogus"],
                 ["addfile", unknown], ["setpriority", unknown, "urgent"],
                 ["getprop", unknown, "nosuchprop"], ["get", "http://x/"]):
        rc, out, err = qmgr(*args, check=False)
        assert rc == 2, (args, rc, out, err)
        assert out == "" and err.strip(), (args, out, err)


def test_exit_3_service_unavailable(binaries, tmp_path):
    env = dict(os.environ, QMGR_NO_AUTOSTART="1", XDG_RUNTIME_DIR=str(tmp_path))
    env.pop("QMGR_SOCKET", None)
    for args in (["list"], ["--json", "info", "x"], ["status", "{00000000-0000-4000-8000-000000000000}"]):
        rc, out, err = run_cli(binaries.qmgr, ["--socket", str(tmp_path / "no.sock")] + args, env)
        assert rc == 3, (args, rc, out, err)
        assert out == ""
        assert_error_line(err, "QM_E_SERVICE_UNAVAILABLE")
    # QMGR_SOCKET is the default socket, and QMGR_NO_AUTOSTART=1 keeps it from being started
    env["QMGR_SOCKET"] = str(tmp_path / "env.sock")
    rc, out, err = run_cli(binaries.qmgr, ["list"], env)
    assert rc == 3, (rc, out, err)


def test_error_line_for_http_404(nginx, qmgr, dest):
    rc, out, err = qmgr("get", nginx.url("missing.bin"), dest / "m.bin", check=False)
    assert rc == 1, (rc, out, err)
    assert "0x80190194 BG_E_HTTP_ERROR_404: " in err, err
    assert not (dest / "m.bin").exists()
    assert group_ids(jq(qmgr, "list")) == []  # the group was aborted


def test_error_line_for_bad_argument(qmgr, dest):
    gid = jq(qmgr, "create")["id"]
    rc, out, err = qmgr("addfile", gid, "ftp://example.org/x", dest / "x", check=False)
    assert rc == 1 and out == "", (rc, out, err)
    m = assert_error_line(err)
    assert m.group(1) == "80070057", err


def test_wait_exit_codes(nginx, qmgr, dest):
    """wait GROUP [--timeout S]: 0 complete, 1 error (printed), 124 timeout."""
    ok = jq(qmgr, "create")["id"]
    qmgr("addfile", ok, nginx.url("small/s010.bin"), dest / "w.bin")
    qmgr("resume", ok)
    rc, out, err = qmgr("wait", ok, "--timeout", "30", check=False)
    assert rc == 0, (rc, out, err)
    bad = jq(qmgr, "create")["id"]
    qmgr("addfile", bad, nginx.url("missing.bin"), dest / "w2.bin")
    qmgr("resume", bad)
    rc, out, err = qmgr("wait", bad, "--timeout", "30", check=False)
    assert rc == 1, (rc, out, err)
    assert "0x80190194 BG_E_HTTP_ERROR_404: " in err, err
    idle = jq(qmgr, "create")["id"]
    qmgr("addfile", idle, nginx.url("small/s011.bin"), dest / "w3.bin")
    rc, out, err = qmgr("wait", idle, "--timeout", "1", check=False)
    assert rc == 124, (rc, out, err)


# ---- GROUP forms ------------------------------------------------------------------------

def test_group_guid_forms(qmgr):
    gid = jq(qmgr, "create", "--name", "forms")["id"]
    bare = gid.strip("{}")
    mixed = "".join(c.lower() if i % 2 else c for i, c in enumerate(gid))
    for form in (gid, gid.lower(), bare, bare.lower(), mixed, "{%s}" % bare.lower()):
        doc = jq(qmgr, "status", form)
        assert doc["status"] == 0x180, form
        assert jq(qmgr, "info", form)["id"] == gid, form
    for broken in ("{" + bare, bare + "}", gid + "x"):
        rc, out, err = qmgr("status", broken, check=False)
        assert rc == 1 and out == "", (broken, rc, out, err)


def test_group_display_name(qmgr):
    gid = jq(qmgr, "create", "--name", "by name")["id"]
    assert jq(qmgr, "info", "by name")["id"] == gid
    qmgr("suspend", "by name")
    rc, out, err = qmgr("status", "no such name", check=False)
    assert rc == 1 and out == "", (rc, out, err)
    assert_error_line(err, "QM_E_ITEM_NOT_FOUND")


def test_ambiguous_name_lists_candidates(qmgr):
    a = jq(qmgr, "create", "--name", "twin")["id"]
    b = jq(qmgr, "create", "--name", "twin")["id"]
    c = jq(qmgr, "create", "--name", "other")["id"]
    for args in (["status", "twin"], ["--json", "info", "twin"], ["abort", "twin"]):
        rc, out, err = qmgr(*args, check=False)
        assert rc == 1, (args, rc, out, err)
        assert out == "", (args, out)
        assert a in err and b in err and c not in err, err
    assert group_ids(jq(qmgr, "list")) == [a, b, c]  # abort touched neither twin


def test_version_names_client_and_service(qmgr):
    doc = jq(qmgr, "version")
    assert set(doc) == {"client", "service"}
    assert doc["client"] == doc["service"]  # this tree built both
    assert re.fullmatch(r"\d+\.\d+\.\d+", doc["service"])
    rc, out, err = qmgr("version", check=False)
    assert rc == 0
    assert "client: %s" % doc["client"] in out and "service: %s" % doc["service"] in out


def test_errors_say_why_in_the_services_words(qmgr, tmp_path):
    gid = jq(qmgr, "create")["id"]
    rc, out, err = qmgr("addfile", gid, "ftp://127.0.0.1/x", str(tmp_path / "x"), check=False)
    assert rc == 1 and out == ""
    assert "0x80070057 QM_E_INVALIDARG: file 0: only http:// and https:// URLs" in err, err
    missing = tmp_path / "no" / "such" / "dir" / "x"
    rc, out, err = qmgr("addfile", gid, "http://127.0.0.1/x", str(missing), check=False)
    assert rc == 1
    assert "0x80070005 QM_E_ACCESSDENIED: file 0: the directory of '%s' does not exist" \
        % missing in err, err
