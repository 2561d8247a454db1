"""SIGHUP reloads the configuration (CLI.md, qmgrd): the new settings take effect at once, in
the running service; a file with an error leaves every current setting in force; the socket
and the state directory cannot change without a restart."""
import os
import signal
import time

import pytest

from conftest import Service, fault_group, wait_for


class ConfService(Service):
    """A private qmgrd whose settings all come from its config file (the command line would
    win over the file, so it names nothing but the file)."""

    def __init__(self, binaries, root):
        super().__init__(binaries, root)
        self.conf = root / "qmgrd.conf"

    def argv(self, state_dir=None, socket_path=None):
        return [self.bin.qmgrd, "--foreground", "--config", str(self.conf)]

    def write_conf(self, **settings):
        base = {"socket": self.socket, "state_dir": self.state_dir, "min_retry_delay": 1,
                "checkpoint_seconds": 1, "low_speed_time": 2, "connect_timeout": 2}
        base.update(settings)
        self.conf.write_text("".join("%s = %s\n" % kv for kv in base.items()))

    def sighup(self, expect):
        """Sends SIGHUP and waits for one more log line containing expect."""
        before = self.log_text().count(expect)
        os.kill(self.pid, signal.SIGHUP)
        wait_for(lambda: self.log_text().count(expect) > before, timeout=5,
                 what="qmgrd to log %r after SIGHUP" % expect)


@pytest.fixture
def confsvc(make_service):
    return make_service(ConfService)


def _one_of_two_moving(svc, faultsrv, tmp_path, **conf):
    """Starts svc with max_active_transfers = 1 (and conf) in its file, and two groups of one
    file that takes about 50 s (the tests abort them long before); returns their ids once
    one of them moves and the other waits."""
    svc.write_conf(max_active_transfers=1, **conf)
    svc.start()
    gids = []
    for i in range(2):
        d = tmp_path / ("d%d" % i)
        d.mkdir()
        url = faultsrv.url("ok", size=2000000, rate=40000, seed="slow%d" % i)
        gids.append(fault_group(svc, d, [url], name="slow%d" % i)[0])
    _moving(svc, gids, 1)
    return gids


def _states(svc, gids):
    return sorted(svc.qmgr("info", g, json=True)["state"] for g in gids)


def _moving(svc, gids, n, timeout=4):
    """Waits until n of the groups transfer, and checks for a second that no more do."""
    wait_for(lambda: _states(svc, gids).count("TRANSFERRING") == n, timeout=timeout,
             what="%d group(s) transferring" % n)
    time.sleep(1.0)
    assert _states(svc, gids).count("TRANSFERRING") == n, _states(svc, gids)


def test_sighup_applies_new_settings_at_once(confsvc, faultsrv, tmp_path):
    svc = confsvc
    gids = _one_of_two_moving(svc, faultsrv, tmp_path, log_level="info")
    assert "<7>" not in svc.log_text()

    svc.write_conf(max_active_transfers=2, log_level="debug")
    svc.sighup("SIGHUP: configuration reloaded from %s" % svc.conf)
    _moving(svc, gids, 2, timeout=3)  # the second slot is used at once, not at a slice's end
    svc.qmgr("list")
    assert "<7>" in svc.log_text().split("SIGHUP: configuration reloaded")[-1]
    for g in gids:
        svc.qmgr("abort", g)


def test_sighup_with_a_bad_file_changes_nothing(confsvc, faultsrv, tmp_path):
    svc = confsvc
    gids = _one_of_two_moving(svc, faultsrv, tmp_path)

    # a bad value, after a good one that must not be applied either
    svc.conf.write_text(svc.conf.read_text() + "max_active_transfers = 3\nlog_level = loud\n")
    svc.sighup("SIGHUP: the configuration was not reloaded; the current one stays")
    log = svc.log_text()
    assert "<3>SIGHUP: %s:" % svc.conf in log and "bad setting 'log_level'" in log, log
    _moving(svc, gids, 1)
    # a file that is gone
    svc.conf.unlink()
    svc.sighup("SIGHUP: the configuration was not reloaded; the current one stays")
    assert "cannot open config file" in svc.log_text()
    _moving(svc, gids, 1)
    assert svc.proc.poll() is None
    for g in gids:
        svc.qmgr("abort", g)


def test_sighup_keeps_the_socket_and_state_directory(confsvc, faultsrv, tmp_path):
    svc = confsvc
    gids = _one_of_two_moving(svc, faultsrv, tmp_path)

    other = tmp_path / "other"
    svc.write_conf(max_active_transfers=2, socket=other / "s.sock", state_dir=other / "state")
    svc.sighup("SIGHUP: configuration reloaded")
    log = svc.log_text()
    assert "<4>SIGHUP: socket cannot change while qmgrd runs" in log, log
    assert "<4>SIGHUP: state_dir cannot change while qmgrd runs" in log, log
    assert not other.exists()
    _moving(svc, gids, 2, timeout=3)  # the rest of the file is applied
    assert len(svc.qmgr("list", json=True)["groups"]) == 2  # still on its socket, with its queue
    for g in gids:
        svc.qmgr("abort", g)
