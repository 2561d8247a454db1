"""`qmgr get`: one-shot transfers commit byte-identical files and leave nothing behind."""
import os

from conftest import group_ids, sha256_file


def test_get_big_file(nginx, qmgr, dest):
    local = dest / "big.bin"
    qmgr("get", nginx.url("big.bin"), local, timeout=280)
    assert local.stat().st_size == nginx.path("big.bin").stat().st_size
    assert sha256_file(local) == sha256_file(nginx.path("big.bin"))
    # no hidden temporary file next to it
    assert sorted(os.listdir(dest)) == ["big.bin"]
    # `get` completes its group: nothing is left in the queue
    assert group_ids(qmgr("list", json=True)) == []


def test_get_many_small_files_in_one_command(nginx, qmgr, dest):
    names = sorted(nginx.sizes)
    assert len(names) == 100
    args = []
    for n in names:
        args += [nginx.url("small/" + n), dest / n]
    qmgr("get", *args, timeout=280)
    assert sorted(os.listdir(dest)) == names  # exactly these: no temporary files left
    for n in names:
        got = (dest / n).read_bytes()
        want = nginx.path("small/" + n).read_bytes()
        assert len(got) == nginx.sizes[n], n
        assert got == want, n
    assert group_ids(qmgr("list", json=True)) == []
