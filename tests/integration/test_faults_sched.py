"""Scheduling (QMGR.md §4.4): files of a job in order over reused connections, foreground
before background, background groups of equal priority share the slots in time slices."""
import time

from conftest import fault_group, wait_final, wait_for


def test_files_in_order_over_reused_connections(faultsrv, make_qmgrd, dest):
    svc = make_qmgrd()
    urls = [faultsrv.url("ok", size=2000 + i, seed="s%d" % i) for i in range(40)]
    gid, locals_ = fault_group(svc, dest, urls)
    assert wait_final(svc, gid)["state"] == "TRANSFERRED"
    reqs = faultsrv.requests("/ok/")
    assert [faultsrv.base + r["path"] for r in reqs] == urls  # in order, each once
    conns = {r["conn"] for r in reqs}
    assert len(conns) <= 2, "keep-alive not used: %d connections" % len(conns)
    svc.qmgr("complete", gid)
    for u, local in zip(urls, locals_):
        assert local.read_bytes() == faultsrv.data(u)


def _big_then_small(faultsrv, make_qmgrd, tmp_path, foreground):
    svc = make_qmgrd(max_active_transfers=1)
    (tmp_path / "big").mkdir()
    (tmp_path / "small").mkdir()
    big_url = faultsrv.url("ok", size=3000000, rate=200000, seed="big")
    big, _ = fault_group(svc, tmp_path / "big", [big_url], name="big")
    wait_for(lambda: svc.qmgr("progress", big, json=True)["bytes"] > 0, timeout=10,
             what="the big group to move")
    urls = [faultsrv.url("ok", size=5000, seed="small%d" % i) for i in range(3)]
    small, locals_ = fault_group(svc, tmp_path / "small", urls, name="small", resume=False)
    if foreground:
        svc.qmgr("foreground", small)
    t0 = time.monotonic()
    svc.qmgr("resume", small)
    assert wait_final(svc, small, timeout=12)["state"] == "TRANSFERRED"
    took = time.monotonic() - t0
    assert svc.qmgr("info", big, json=True)["state"] != "TRANSFERRED"
    svc.qmgr("complete", small)
    for u, local in zip(urls, locals_):
        assert local.read_bytes() == faultsrv.data(u)
    # the big group carries on, with a range request from where it stopped
    wait_for(lambda: any(r["range"] for r in faultsrv.requests("seed=big")), timeout=10,
             what="the big group to resume with a Range")
    svc.qmgr("abort", big)
    return took


def test_small_background_group_is_not_starved(faultsrv, make_qmgrd, tmp_path):
    took = _big_then_small(faultsrv, make_qmgrd, tmp_path, foreground=False)
    assert took < 8, took  # one time slice (5 s), not the 15 s of the big group


def test_foreground_group_goes_first(faultsrv, make_qmgrd, tmp_path):
    took = _big_then_small(faultsrv, make_qmgrd, tmp_path, foreground=True)
    assert took < 3, took
