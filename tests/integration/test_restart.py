"""The queue survives a restart of the service; one service per state directory."""
import re
import subprocess

from conftest import group_ids, run_cli


def test_group_survives_sigterm_and_restart(nginx, qmgrd, dest):
    q = qmgrd.qmgr
    doc = q("create", "--name", "persist-me", json=True)
    gid = doc["id"]
    files = [(nginx.url("small/s%03d.bin" % i), str(dest / ("f%d.bin" % i))) for i in range(3)]
    for url, local in files:
        q("addfile", gid, url, local)
    before = q("info", gid, json=True)

    qmgrd.restart()  # SIGTERM (asserts exit status 0), then the same state directory

    assert gid.upper() in group_ids(q("list", json=True))
    after = q("info", gid, json=True)
    assert after["id"].upper() == gid.upper()
    assert after["job_id"].upper() == doc["job_id"].upper()
    assert after["name"] == "persist-me"
    assert after["files_total"] == 3
    assert [(f["url"], f["local"]) for f in after["files"]] == files
    assert [f["index"] for f in after["files"]] == [0, 1, 2]
    assert after["status"] == before["status"] == 0x180
    assert after["created"] == before["created"]
    # and it still works: the same group by name
    assert q("status", "persist-me", json=True)["status"] == 0x180


def test_second_service_on_same_state_dir_refuses(qmgrd, binaries):
    other_socket = str(qmgrd.root / "second.sock")
    try:
        p = subprocess.run(qmgrd.argv(socket_path=other_socket), env=qmgrd.env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=15)
    except subprocess.TimeoutExpired:
        raise AssertionError("a second qmgrd on the same state directory kept running")
    assert p.returncode != 0
    assert re.search(r"already (running|in use|locked)", p.stderr, re.I), p.stderr
    # the first one is unharmed
    rc, out, err = run_cli(binaries.qmgr, ["--socket", qmgrd.socket, "--no-autostart", "list"],
                           qmgrd.env)
    assert rc == 0, err
    assert qmgrd.proc.poll() is None
