"""The manual pages (man/), the systemd units and the bash completion (dist/), and what
`meson install` puts where.

Each page must render with groff and man without a single warning, describe what the
programs really offer (every command of `qmgr --help`, every setting of `qmgrd --help`, every
function of qmgr.h), and its example program must compile.
Needs groff-base and man-db (Debian); a missing tool fails the test with the package to
install rather than skipping it.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, REPO, base_env, run_cli

MAN_SRC = REPO / "man"
PAGES = ["qmgr.1", "qmgrd.8", "qmgr.3"]

CLI_COMMANDS = ["create", "addfile", "addfileset", "resume", "suspend", "foreground", "cancel",
                "complete", "abort", "status", "progress", "info", "files", "list", "getprop",
                "setprop", "setpriority", "setretrydelay", "setnoprogresstimeout",
                "setnotifycmdline", "wait", "monitor", "get", "reset", "version"]
QMGRD_KEYS = ["socket", "state_dir", "ca_file", "log_level", "max_active_transfers",
              "min_retry_delay", "no_progress_timeout", "checkpoint_bytes", "checkpoint_seconds",
              "max_groups_per_user", "max_files_per_job", "low_speed_time", "connect_timeout",
              "max_connections_per_user", "client_message_timeout"]


def need(tool, package):
    path = shutil.which(tool)
    if not path:
        pytest.fail("%s is not installed: apt-get install %s" % (tool, package))
    return path


def page_paths(name):
    """The source page and the one meson configured (version and paths filled in)."""
    out = [MAN_SRC / name]
    built = BUILD / "man" / name
    if not built.exists():
        pytest.fail("%s is missing: build first (ninja -C %s)" % (built, BUILD))
    out.append(built)
    return out


def render(path, width=80):
    """`man -l PATH` as text; returns (returncode, text, warnings)."""
    man = need("man", "man-db")
    env = dict(os.environ, MANWIDTH=str(width), MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8",
               MAN_KEEP_FORMATTING="")
    env.pop("MANROFFOPT", None)
    p = subprocess.run([man, "--warnings=all", "-l", str(path)], env=env, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def plain(text):
    """Rendered text without overstriking and with hyphenated line breaks joined."""
    text = re.sub(r".\x08", "", text)
    text = re.sub(r"\u2010\n\s*", "", text).replace("\u2010", "-")
    return re.sub(r"-\n\s+", "-", text)


@pytest.mark.parametrize("name", PAGES)
def test_groff_renders_without_warnings(name):
    groff = need("groff", "groff-base")
    for path in page_paths(name):
        p = subprocess.run([groff, "-t", "-man", "-ww", "-z", str(path)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stderr == "", "%s: groff says:\n%s" % (path, p.stderr)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width", [80, 100])
def test_man_renders_without_warnings(name, width):
    for path in page_paths(name):
        rc, out, err = render(path, width)
        assert rc == 0 and err == "", "%s (width %d): man says:\n%s" % (path, width, err)
        assert "NAME" in out and "SYNOPSIS" in out and "SEE ALSO" in out


def test_configured_pages_have_no_placeholders():
    for name in PAGES:
        text = (BUILD / "man" / name).read_text()
        assert not re.search(r"@[A-Z_]+@", text), "%s: unreplaced placeholder" % name


def test_tbl_hint_where_tables_are_used():
    """man(1) runs tbl only when the first line says so."""
    for name in PAGES:
        text = (MAN_SRC / name).read_text()
        if ".TS" in text:
            assert text.startswith("'\\\" t"), "%s uses tbl but lacks the '\\\" t line" % name


def test_qmgr1_covers_the_cli(binaries):
    rc, out, err = render(BUILD / "man" / "qmgr.1", 200)
    text = plain(out)
    rc, usage, _ = run_cli(binaries.qmgr, ["--help"], dict(os.environ))
    assert rc == 0
    listed = re.findall(r"^  ([a-z]+)\s", usage, re.M)
    for cmd in set(CLI_COMMANDS) | set(listed):
        assert re.search(r"^\s+%s\b" % cmd, text, re.M), "qmgr(1) does not describe `%s`" % cmd
    for opt in ("--socket", "--json", "--no-autostart", "--help", "--version", "--all-users",
                "--name", "--description", "--id", "--foreground", "--timeout"):
        assert opt in text, "qmgr(1) does not mention %s" % opt
    for env in ("QMGR_SOCKET", "QMGR_NO_AUTOSTART", "QMGR_QMGRD"):
        assert env in text, "qmgr(1) ENVIRONMENT lacks %s" % env
    for section in ("EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "JSON OUTPUT"):
        assert re.search(r"^%s$" % section, text, re.M), "qmgr(1) lacks %s" % section
    exit_section = text.split("EXIT STATUS", 1)[1].split("ENVIRONMENT", 1)[0]
    for code in ("0", "1", "2", "3", "124"):
        assert re.search(r"^\s+%s\s*$" % code, exit_section, re.M) or \
            re.search(r"^\s+%s\s{2,}\S" % code, exit_section, re.M), \
            "qmgr(1) EXIT STATUS lacks %s" % code
    for field in ("job_id", "owner", "bytes_transferred", "bytes_total", "files_transferred",
                  "files_total", "retries", "created", "modified", "completed", "file_index",
                  "win32_result", "transport_result"):
        assert field in text, "qmgr(1) JSON OUTPUT lacks %s" % field


# a .TP entry of the CONFIGURATION section: the key at the left margin, its text after it
KEY_RE = r"^ {7}%s(?:\n| +)(.*?)(?=^ {7}[a-z_]+(?:\n| )|\Z)"


def test_qmgrd8_covers_every_setting(binaries):
    rc, out, err = render(BUILD / "man" / "qmgrd.8", 200)
    text = plain(out)
    rc, usage, _ = run_cli(binaries.qmgrd, ["--help"], dict(os.environ))
    assert rc == 0
    rc, version, _ = run_cli(binaries.qmgrd, ["--version"], dict(os.environ))
    assert rc == 0 and re.fullmatch(r"qmgrd \d+\.\d+\.\d+\n", version), version
    listed = set(re.findall(r"^  ([a-z_]+)$", usage.split("Settings", 1)[1], re.M))
    assert listed >= set(QMGRD_KEYS), "qmgrd --help does not list %s" % (set(QMGRD_KEYS) - listed)
    keys = set(QMGRD_KEYS) | listed
    config = text.split("CONFIGURATION", 1)[1].split("LOGGING", 1)[0]
    for key in sorted(keys):
        m = re.search(KEY_RE % key, config, re.M | re.S)
        assert m, "qmgrd(8) CONFIGURATION does not describe `%s`" % key
        assert "Default" in m.group(1), "qmgrd(8): `%s` has no default" % key
    for opt in ("--user", "--system", "--socket", "--state-dir", "--config", "--foreground",
                "--log-level", "--help", "--version"):
        assert opt in text, "qmgrd(8) does not mention %s" % opt
    assert "not supported yet" in text.split("--system", 1)[1][:1500]
    for sig in ("SIGTERM", "SIGINT", "SIGHUP"):
        assert sig in text.split("SIGNALS", 1)[1], "qmgrd(8) SIGNALS lacks %s" % sig
    for section in ("FILES", "EXIT STATUS", "LOGGING", "EXAMPLES"):
        assert re.search(r"^%s$" % section, text, re.M), "qmgrd(8) lacks %s" % section
    # the defaults the page states are the ones the code has
    for key, value in (("min_retry_delay", "600"), ("max_active_transfers", "4"),
                       ("no_progress_timeout", "1209600"), ("checkpoint_bytes", "67108864"),
                       ("checkpoint_seconds", "5"), ("max_groups_per_user", "1000"),
                       ("max_files_per_job", "100000"), ("low_speed_time", "60"),
                       ("connect_timeout", "30"), ("max_connections_per_user", "256"),
                       ("client_message_timeout", "30")):
        m = re.search(KEY_RE % key, config, re.M | re.S)
        assert re.search(r"Default:\s+%s\b" % value, m.group(1)), (key, value, m.group(1))


def header_functions():
    header = (REPO / "include" / "qmgr.h").read_text()
    return sorted(set(re.findall(r"^QM_API\s+[^;(]*?\b(qm_[a-z0-9_]+)\s*\(", header, re.M)))


def test_qmgr3_names_every_function():
    rc, out, err = render(BUILD / "man" / "qmgr.3", 200)
    text = plain(out)
    funcs = header_functions()
    assert len(funcs) > 60, funcs
    missing = [f for f in funcs if not f.endswith("_ref") and not re.search(r"\b%s\b" % f, text)]
    assert not missing, "qmgr(3) does not name %s" % missing
    for word in ("qm_hresult", "QM_SUCCEEDED", "qm_free", "pkg-config qmgr", "thread",
                 "qm_qmgr_dispatch", "CONVENTIONS"):
        assert word in text, "qmgr(3) lacks %s" % word
    # the method table of QMGR.md section 3, row by row
    for method, func in (("CreateGroup", "qm_qmgr_create_group"), ("GetGroup", "qm_qmgr_get_group"),
                         ("EnumGroups", "qm_qmgr_enum_groups"), ("GetProp", "qm_group_get_prop"),
                         ("SetProp", "qm_group_set_prop"), ("get_Size", "qm_group_get_size"),
                         ("get_GroupID", "qm_group_get_id"), ("CancelJob", "qm_job1_cancel"),
                         ("QueryNewJobInterface", "qm_group_query_new_job_interface"),
                         ("SetNotificationPointer", "qm_group_set_notification_pointer"),
                         ("AddFiles", "qm_job1_add_files"), ("get_JobID", "qm_job1_get_id")):
        assert re.search(r"::%s\s+%s\b" % (method, func), text), (method, func)


def test_qmgr3_example_compiles(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.fail("no C compiler: apt-get install gcc")
    rc, out, err = render(BUILD / "man" / "qmgr.3", 200)
    text = plain(out)
    example = text.split("\nEXAMPLES\n", 1)[1].split("\nFILES\n", 1)[0]
    lines = example.splitlines()
    start = next(i for i, l in enumerate(lines) if "#include" in l)
    code = "\n".join(l[11:] if l.startswith(" " * 11) else l.strip() for l in lines[start:])
    src = tmp_path / "example.c"
    src.write_text(code + "\n")
    p = subprocess.run([cc, "-std=c17", "-Wall", "-Wextra", "-Werror", "-I", str(REPO / "include"),
                        str(src), "-L", str(BUILD / "src" / "lib"), "-lqmgr",
                        "-o", str(tmp_path / "example")], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, "the qmgr(3) example does not build:\n%s\n%s" % (p.stderr, code)


# ---- meson install ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not (BUILD / "meson-private").is_dir():
        pytest.fail("%s is not a meson build directory" % BUILD)
    meson = need("meson", "meson")
    dest = tmp_path_factory.mktemp("destdir")
    p = subprocess.run([meson, "install", "-C", str(BUILD), "--destdir", str(dest),
                        "--no-rebuild", "--quiet"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([meson, "introspect", str(BUILD), "--buildoptions"], capture_output=True,
                       text=True, timeout=60)
    import json
    opts = {o["name"]: o["value"] for o in json.loads(p.stdout)}
    prefix = Path(opts["prefix"])
    root = dest / prefix.relative_to("/")
    yield {"dest": dest, "prefix": prefix, "root": root, "opts": opts}
    shutil.rmtree(dest, ignore_errors=True)


def test_install_tree(installed):
    root, opts = installed["root"], installed["opts"]
    want = [
        Path(opts["bindir"]) / "qmgr",
        Path(opts["bindir"]) / "qmgrd",
        Path(opts["includedir"]) / "qmgr.h",
        Path(opts["libdir"]) / "pkgconfig" / "qmgr.pc",
        Path(opts["mandir"]) / "man1" / "qmgr.1",
        Path(opts["mandir"]) / "man8" / "qmgrd.8",
        Path(opts["mandir"]) / "man3" / "qmgr.3",
        Path(opts["datadir"]) / "bash-completion" / "completions" / "qmgr",
        Path("lib/systemd/system/qmgrd.service"),
        Path("lib/systemd/user/qmgrd.service"),
    ]
    missing = [str(p) for p in want if not (root / p).exists()]
    assert not missing, "meson install did not install %s" % missing
    libs = list((root / opts["libdir"]).glob("libqmgr.so*"))
    assert libs, "libqmgr.so is not installed"


def test_installed_units(installed):
    root, prefix, opts = installed["root"], installed["prefix"], installed["opts"]
    bindir = prefix / opts["bindir"]
    user = (root / "lib/systemd/user/qmgrd.service").read_text()
    system = (root / "lib/systemd/system/qmgrd.service").read_text()
    assert re.search(r"^ExecStart=%s/qmgrd --user --foreground$" % re.escape(str(bindir)),
                     user, re.M), user
    assert re.search(r"^ExecStart=%s/qmgrd --system\b" % re.escape(str(bindir)), system, re.M)
    assert "not supported yet" in system.lower(), "the system unit must say --system is unsupported"
    for text in (user, system):
        assert "@" not in text.replace("man:", ""), "unreplaced placeholder:\n" + text
        for section in ("[Unit]", "[Service]", "[Install]"):
            assert section in text
        assert "Documentation=man:qmgrd(8)" in text
    analyze = shutil.which("systemd-analyze")
    if analyze:
        for path in (root / "lib/systemd/user/qmgrd.service",
                     root / "lib/systemd/system/qmgrd.service"):
            p = subprocess.run([analyze, "verify", "--man=no", str(path)], capture_output=True,
                               text=True, timeout=60)
            # the binary is not installed at its final place: only that may be reported
            bad = [l for l in (p.stdout + p.stderr).splitlines()
                   if l.strip() and "is not executable" not in l and "No such file" not in l]
            assert not bad, "\n".join(bad)


def test_installed_pc_file(installed):
    root, opts = installed["root"], installed["opts"]
    pc = (root / opts["libdir"] / "pkgconfig" / "qmgr.pc").read_text()
    assert "Name: qmgr" in pc
    assert "-lqmgr" in pc


# ---- bash completion --------------------------------------------------------------------

COMPLETE = r"""
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
_qmgr qmgr "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def complete(words, env=None):
    bash = need("bash", "bash")
    p = subprocess.run([bash, "--norc", "--noprofile", "-c", COMPLETE, "complete",
                        str(REPO / "dist" / "qmgr.bash-completion")] + words,
                       env=env or dict(os.environ), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [l for l in p.stdout.splitlines() if l]


def test_completion_commands_and_options():
    assert complete(["qmgr", "sta"]) == ["status"]
    assert sorted(complete(["qmgr", "set"])) == ["setnoprogresstimeout", "setnotifycmdline",
                                                  "setpriority", "setprop", "setretrydelay"]
    assert set(complete(["qmgr", ""])) == set(CLI_COMMANDS)
    assert complete(["qmgr", "--js"]) == ["--json"]
    assert complete(["qmgr", "--json", "pro"]) == ["progress"]
    assert "--description" in complete(["qmgr", "create", "--"])
    assert complete(["qmgr", "list", "--a"]) == ["--all-users"]
    assert complete(["qmgr", "setpriority", "{X}", "h"]) == ["high"]
    assert complete(["qmgr", "getprop", "{X}", "disp"]) == ["displayname"]


def test_completion_group_guids(qmgr, qmgrd):
    gid = qmgr("create", "--name", "complete-me", json=True)["id"]
    env = dict(qmgrd.env, PATH="%s:%s" % (BUILD / "src" / "cli", os.environ.get("PATH", "")),
               QMGR_SOCKET=qmgrd.socket)
    assert complete(["qmgr", "info", ""], env) == [gid]
    assert complete(["qmgr", "--socket", qmgrd.socket, "resume", "{"], env) == [gid]
    assert complete(["qmgr", "info", gid, ""], env) == []


def test_completion_never_starts_the_service(binaries, tmp_path):
    env = base_env(tmp_path)
    env.pop("QMGR_NO_AUTOSTART", None)
    env["QMGR_QMGRD"] = "/bin/false"
    env["PATH"] = "%s:%s" % (BUILD / "src" / "cli", os.environ.get("PATH", ""))
    assert complete(["qmgr", "info", ""], env) == []
    assert not list((tmp_path / "run").rglob("*.sock"))
