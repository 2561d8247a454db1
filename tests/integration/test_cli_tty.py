"""`qmgr get` under a real terminal (tmux): the progress bar is one line that redraws in
place, shows a percentage and ends at 100 %; and nothing of it appears when the output is not
a terminal.

The download comes from nginx's rate-limited /slow/ location (256 KiB/s), so a 2 MiB file
takes about 8 s and the pane can be sampled while the bar moves. tmux runs on a private
socket in the test's directory; the test kills that server (and only it, with the sleep that
keeps its pane open) at the end.
Needs tmux (Debian package tmux)."""
import os
import re
import shlex
import shutil
import subprocess
import time

import pytest

from conftest import run_cli

SIZE = 2 * 1024 * 1024
PERCENT = re.compile(r"\b(\d{1,3})%")


@pytest.fixture
def slow_file(nginx):
    """A 2 MiB file in nginx's document root; returns its /slow/ URL."""
    name = "tty-%d.bin" % os.getpid()
    path = nginx.data / name
    path.write_bytes(os.urandom(SIZE))
    yield nginx.url("slow/" + name), path
    path.unlink(missing_ok=True)


class Tmux:
    def __init__(self, tmp_path, env):
        self.tmux = shutil.which("tmux")
        if not self.tmux:
            pytest.fail("tmux is not installed: apt-get install tmux")
        self.sock = str(tmp_path / "tmux.sock")
        self.env = dict(env, TERM="xterm-256color")
        self.env.pop("TMUX", None)
        self.started = False

    def run(self, *args, check=True):
        p = subprocess.run([self.tmux, "-S", self.sock] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=30)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    def start(self, command):
        # The command must outlive what the test looks at (end it with a sleep): a pane that
        # dies may be redrawn blank.
        self.run("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "20", "-s", "t",
                 command)
        self.started = True

    def capture(self):
        return self.run("capture-pane", "-p", "-t", "t")

    def kill(self):
        if self.started:
            self.run("kill-server", check=False)
            self.started = False


@pytest.fixture
def tmux(tmp_path, qmgrd):
    t = Tmux(tmp_path, qmgrd.env)
    try:
        yield t
    finally:
        t.kill()


def bar_lines(screen):
    return [l for l in screen.splitlines() if PERCENT.search(l)]


def test_progress_bar_redraws_one_line(binaries, qmgrd, tmux, slow_file, dest, tmp_path):
    url, src = slow_file
    local = dest / "slow.bin"
    done = tmp_path / "exit-status"
    cmd = "%s --socket %s --no-autostart get %s %s; echo $? > %s; exec sleep 600" % (
        shlex.quote(binaries.qmgr), shlex.quote(qmgrd.socket), shlex.quote(url),
        shlex.quote(str(local)), shlex.quote(str(done)))
    tmux.start("sh -c %s" % shlex.quote(cmd))

    screens = []
    deadline = time.monotonic() + 60
    while not done.exists() or not done.read_text().strip():
        assert time.monotonic() < deadline, "qmgr get did not finish:\n" + "\n".join(screens[-3:])
        screens.append(tmux.capture())
        time.sleep(0.4)
    final = tmux.capture()
    status = done.read_text().strip()
    assert status == "0", "qmgr get exited %s; pane:\n%s" % (status, final)
    assert local.read_bytes() == src.read_bytes()

    moving = []
    for s in screens:
        lines = bar_lines(s)
        assert len(lines) <= 1, "the bar scrolled instead of redrawing:\n%s" % s
        if lines:
            moving.append(int(PERCENT.search(lines[0]).group(1)))
    assert any(0 <= p < 100 for p in moving), \
        "never saw the bar in progress (percentages seen: %s)" % moving
    assert moving == sorted(moving), "the percentage went backwards: %s" % moving
    assert len(set(moving)) >= 2, "the bar did not move: %s" % moving
    lines = bar_lines(final)
    assert len(lines) == 1, "want exactly one bar line at the end:\n%s\nscreens before:\n%s" % (
        final, "\n----\n".join(screens[-3:]))
    assert PERCENT.search(lines[0]).group(1) == "100", final
    assert "2.0 MiB" in lines[0], lines[0]
    # nothing but the bar: no error, and the line is not longer than the terminal
    assert len([l for l in final.splitlines() if l.strip()]) == 1, final
    assert "\x1b" not in final


def test_no_bar_when_stderr_is_redirected_on_a_terminal(binaries, qmgrd, tmux, slow_file, dest,
                                                         tmp_path):
    """stdout is the terminal, stderr a file: no bar anywhere."""
    url, src = slow_file
    err = tmp_path / "stderr"
    done = tmp_path / "exit-status"
    cmd = "%s --socket %s --no-autostart get %s %s 2>%s; echo $? > %s; exec sleep 600" % (
        shlex.quote(binaries.qmgr), shlex.quote(qmgrd.socket), shlex.quote(url),
        shlex.quote(str(dest / "r.bin")), shlex.quote(str(err)), shlex.quote(str(done)))
    tmux.start("sh -c %s" % shlex.quote(cmd))
    screens = []
    deadline = time.monotonic() + 60
    while not done.exists() or not done.read_text().strip():
        assert time.monotonic() < deadline, "qmgr get did not finish"
        screens.append(tmux.capture())
        time.sleep(0.5)
    assert done.read_text().strip() == "0"
    for s in screens + [tmux.capture()]:
        assert not bar_lines(s), "a bar appeared on stdout:\n%s" % s
    text = err.read_text()
    assert "%" not in text and "\r" not in text and "\x1b" not in text, repr(text)


def test_no_bar_without_a_terminal(binaries, qmgrd, slow_file, dest):
    url, src = slow_file
    rc, out, err = run_cli(binaries.qmgr, ["--socket", qmgrd.socket, "--no-autostart", "get",
                                           url, dest / "p.bin"], qmgrd.env)
    assert rc == 0, (rc, out, err)
    assert out == "", repr(out)
    assert err == "", "stderr is not a terminal, yet qmgr get wrote %r" % err[:500]
    assert (dest / "p.bin").read_bytes() == src.read_bytes()


def test_json_get_without_a_terminal(binaries, qmgrd, nginx, dest):
    rc, out, err = run_cli(binaries.qmgr, ["--socket", qmgrd.socket, "--no-autostart", "--json",
                                           "get", nginx.url("small/s020.bin"), dest / "j.bin"],
                           qmgrd.env)
    assert rc == 0, (rc, out, err)
    import json
    json.loads(out)
    assert "\r" not in out + err and "%" not in err, (out, err)


def test_monitor_table_redraws_in_place_on_a_terminal(tmux, qmgrd, slow_file, tmp_path):
    """`qmgr monitor` on a terminal: a table of the caller's groups redrawn in place from the
    event stream (issue 5): the group appears, its progress rises, it shows as complete, and
    the screen never scrolls (each group stays one row)."""
    url, _ = slow_file
    argv = [qmgrd.bin.qmgr, "--socket", qmgrd.socket, "--no-autostart", "monitor"]
    tmux.start(" ".join(shlex.quote(a) for a in argv))
    time.sleep(0.5)
    gid = qmgrd.qmgr("create", "--name", "tablegroup", json=True)["id"]
    qmgrd.qmgr("addfile", gid, url, tmp_path / "t.bin")
    qmgrd.qmgr("resume", gid)
    seen, deadline = [], time.time() + 30
    while time.time() < deadline:
        screen = tmux.capture()
        rows = [l for l in screen.splitlines() if "tablegroup" in l]
        assert len(rows) <= 1, screen  # redrawn, never appended
        if rows:
            m = PERCENT.search(rows[0])
            if m:
                seen.append(int(m.group(1)))
            if "TRANSFERRED" in rows[0]:
                break
        time.sleep(0.3)
    else:
        pytest.fail("the table never showed the group TRANSFERRED:\n" + tmux.capture())
    assert any(0 < p < 100 for p in seen), seen   # it moved while we watched
    assert seen == sorted(seen), seen             # and never went backwards
    assert seen[-1] == 100, seen
