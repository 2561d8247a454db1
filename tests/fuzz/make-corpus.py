#!/usr/bin/python3
"""make-corpus.py - writes the seed corpora of the fuzz targets (tests/fuzz/corpus/).

    tests/fuzz/make-corpus.py [--rev REV]   # rewrites the seed-* files, keeps everything else

The method and field tables are read from src/common/proto.c (qmx_fields[], qmx_methods[]),
so every method gets a valid call and a valid reply even after the schema grows (--rev REV
reads proto.c as committed in REV instead of the working tree). Seeds are
named seed-*; files the fuzzer found (crash-*, or minimised inputs) are left alone.
Service seeds name local files under /tmp/qmgr-fuzz (fuzz-service.c creates it; nothing is
ever written there: the loop never runs, so no transfer starts).
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
IFACE = "io.qmgr.Manager."
DIR = "/tmp/qmgr-fuzz"
G1 = "{01234567-89AB-CDEF-0102-030405060708}"
J1 = "{11111111-2222-3333-4444-555555555555}"
G2 = "{FFFFFFFF-0000-4ABC-8000-0000000000FF}"
J2 = "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"


def split_args(s):
    """Top-level comma split of a macro argument list."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def read_schema(rev=None):
    if rev:
        src = subprocess.run(["git", "-C", ROOT, "show", rev + ":src/common/proto.c"],
                             check=True, capture_output=True, text=True).stdout
    else:
        src = open(os.path.join(ROOT, "src/common/proto.c"), encoding="utf-8").read()
    fields = {}  # C id -> (wire name, type)
    for m in re.finditer(r'(?:FIELD|ARRAY)\((\w+), "(\w+)", QMX_T_(\w+)', src):
        fields[m.group(1)] = (m.group(2), m.group(3))
    macros = {"GROUP": ["GROUP_ID"], "JOB": ["GROUP_ID", "JOB_ID"],
              "ERR_FIELDS": ["ERROR_HRESULT", "ERROR_CONTEXT", "ERROR_FILE_INDEX",
                             "ERROR_WIN32", "ERROR_TRANSPORT", "ERROR_MESSAGE"]}

    def bits(expr):
        names = []
        for tok in re.findall(r"B\((\w+)\)|\b(GROUP|JOB|ERR_FIELDS)\b", expr):
            names += [tok[0]] if tok[0] else macros[tok[1]]
        return [fields[n][0] for n in names]

    table = src[src.index("const struct qmx_method qmx_methods"):]
    table = table[:table.index("\n};")]
    methods = []
    for chunk in table.split("METHOD(")[1:]:
        chunk = chunk[:chunk.rindex(")")]
        cid, name, req, opt, rep = split_args(chunk)
        methods.append((name.strip('"'), bits(req), bits(opt), bits(rep)))
    types = {wire: t for wire, t in fields.values()}
    return methods, types


METHODS, TYPES = read_schema(sys.argv[2] if sys.argv[1:2] == ["--rev"] else None)


def call(method, params=None, **extra):
    m = {"method": IFACE + method}
    if params is not None:
        m["parameters"] = params
    m.update(extra)
    return json.dumps(m, separators=(",", ":"), ensure_ascii=False).encode()


def msgs(*parts):
    return b"\0".join(parts) + b"\0"


def files(n, start=0, d=DIR):
    return [{"remote": "http://127.0.0.1:9/f%d?x=1" % i, "local": "%s/f%d.bin" % (d, i)}
            for i in range(start, start + n)]


# A meaningful value for each parameter of a call (method, field) or field alone.
SPECIAL = {
    ("EnumGroups", "flags"): 0, ("EnumJobs", "flags"): 0,
    ("GetProgress", "flags"): 1, ("Job1GetProgress", "flags"): 3,
    ("GetProp", "prop"): 11, ("SetProp", "prop"): 11,
    ("SetProp", "value"): {"str": "fuzz ä name"},
    ("JobSetPriority", "priority"): 2,
}
VALUES = {"group_id": G1, "job_id": J1, "files": files(2), "umask": 0o22, "index": 0,
          "modern": True, "all_users": False, "offset": 0, "limit": 10, "seconds": 60}


def value_for(method, field):
    if (method, field) in SPECIAL:
        return SPECIAL[(method, field)]
    if field in VALUES:
        return VALUES[field]
    return {"GUID": G1, "U32": 1, "I32": 1, "U64": 1, "I64": 1, "BOOL": True, "STR": "s",
            "VARIANT": {"i4": 1}, "GUIDS": [G1], "FILES": files(1)}[TYPES[field]]


def params_for(method, names):
    return {f: value_for(method, f) for f in names}


SETUP = [call("CreateGroup", {"group_id": G1}),
         call("CreateJob", {"group_id": G1, "job_id": J1}),
         call("AddFiles", {"group_id": G1, "job_id": J1, "files": files(2), "umask": 18})]


def service_seeds():
    s = {}
    every = []
    for name, req, opt, rep in METHODS:
        c = call(name, params_for(name, req + opt))
        s["seed-call-" + name] = msgs(c)
        s["seed-flow-" + name] = msgs(*SETUP, c)
        every.append(c)
    # Everything in one input, then the two ways out.
    s["seed-flow-all-complete"] = msgs(*SETUP, *every)
    s["seed-flow-suspend-resume-cancel"] = msgs(
        *SETUP, call("SuspendGroup", {"group_id": G1}), call("ResumeGroup", {"group_id": G1}),
        call("SuspendGroup", {"group_id": G1, "modern": True}),
        call("GetStatus", {"group_id": G1}), call("JobCancel", {"group_id": G1}),
        call("CancelGroup", {"group_id": G1}))
    s["seed-flow-props"] = msgs(
        call("CreateGroup", {"group_id": G2}),
        *[call("SetProp", {"group_id": G2, "prop": p, "value": v}) for p, v in [
            (0, {"i4": 1}), (5, {"ui4": 1}), (6, {"i4": 0x87}), (7, {"str": G1.lower()}),
            (7, {"str": ""}), (11, {"str": "n" * 256}), (12, {"str": "d\u00e9" * 512}),
            (11, None), (1, {"str": "user"}), (12, {"i4": -1})]],
        *[call("GetProp", {"group_id": G2, "prop": p}) for p in range(14)])
    s["seed-flow-two-groups"] = msgs(
        call("CreateGroup", {"group_id": G1}), call("CreateGroup", {"group_id": G2}),
        call("CreateJob", {"group_id": G2, "job_id": J2}),
        call("AddFiles", {"group_id": G2, "job_id": J2, "files": files(3, d=DIR), "umask": 0}),
        call("EnumGroups", {"flags": 0, "all_users": True}),
        call("ListFiles", {"group_id": G2, "offset": 1, "limit": 1}),
        call("JobComplete", {"group_id": G2}), call("GetGroup", {"group_id": G2}))
    s["seed-flow-bad-files"] = msgs(
        call("CreateGroup", {"group_id": G1}), call("CreateJob", {"group_id": G1, "job_id": J1}),
        *[call("AddFiles", {"group_id": G1, "job_id": J1, "umask": 0, "files": [f]}) for f in [
            {"remote": "ftp://h/x", "local": DIR + "/a"},
            {"remote": "http://h/x y", "local": DIR + "/a"},
            {"remote": "http://[::1", "local": DIR + "/a"},
            {"remote": "http://h/x", "local": "relative"},
            {"remote": "http://h/x", "local": DIR + "/"},
            {"remote": "http://h/x", "local": DIR + "/../qmgr-fuzz/./a"},
            {"remote": "http://h/x", "local": DIR + "/nodir/a"},
            {"remote": "http://h/x", "local": DIR},
            {"remote": "http://h/x", "local": DIR + "/" + "\u00e9" * 200 + "/x"},
            {"remote": "http://h/x"},
            {"remote": "http://h/" + "a" * 2300, "local": DIR + "/a"}]],
        call("AddFiles", {"group_id": G1, "job_id": J1, "umask": 0,
                          "files": files(1) + files(1)}),
        call("AddFiles", {"group_id": G1, "job_id": J1, "umask": 0, "files": files(70)}))
    s["seed-flow-limits"] = msgs(*[call("CreateGroup", {"group_id": "{%08X-0000-0000-0000-000000000000}" % i})
                                   for i in range(18)])
    s["seed-flow-stream"] = msgs(call("Ping", {}, more=True), call("Ping", {}, oneway=True),
                                 call("GetStatus", {"group_id": G1}, oneway=True))
    # Malformed messages (TESTING.md C1-C6).
    bad = {
        "empty": b"", "not-json": b"hello", "array": b"[]", "number": b"1",
        "truncated": call("Ping")[:-3], "trailing": call("Ping") + b" x",
        "bom": b"\xef\xbb\xbf" + call("Ping"),
        "invalid-utf8": b'{"method":"io.qmgr.Manager.Pin\xc0\xaf"}',
        "lone-surrogate": b'{"method":"io.qmgr.Manager.Ping","parameters":{"x":"\\ud800"}}',
        "nul-escape": b'{"method":"io.qmgr.Manager.CreateGroup","parameters":{"group_id":"\\u0000"}}',
        "deep": b'{"method":"io.qmgr.Manager.Ping","parameters":' + b"[" * 2000 + b"]" * 2000 + b"}",
        "deep-object": b'{"method":"io.qmgr.Manager.Ping","parameters":' + b'{"a":' * 500 + b"1" + b"}" * 501,
        "dup-keys": b'{"method":"io.qmgr.Manager.GetStatus","parameters":{"group_id":"%s","group_id":"%s"}}'
                    % (G1.encode(), G2.encode()),
        "dup-method": b'{"method":"io.qmgr.Manager.Ping","method":"io.qmgr.Manager.CreateGroup"}',
        "unknown-method": call("Nope", {}), "unknown-key": call("Ping", {}, extra=1),
        "unknown-field": call("Ping", {"x": 1}),
        "missing-field": call("GetStatus", {}),
        "wrong-type": call("GetProgress", {"group_id": G1, "flags": "1"}),
        "huge-number": b'{"method":"io.qmgr.Manager.EnumGroups","parameters":{"flags":18446744073709551616}}',
        "float": b'{"method":"io.qmgr.Manager.EnumGroups","parameters":{"flags":1e309}}',
        "minus-zero": b'{"method":"io.qmgr.Manager.EnumGroups","parameters":{"flags":-0}}',
        "negative": call("GetFile", {"group_id": G1, "job_id": J1, "index": -1}),
        "u32-max": call("ListFiles", {"group_id": G1, "offset": 4294967295, "limit": 4294967295}),
        "guid-forms": msgs(*[call("CreateGroup", {"group_id": g}) for g in [
            G1.lower(), G1[1:-1], "{0}", "{%s}" % ("0" * 36), "{00000000-0000-0000-0000-000000000000}",
            "{0123456G-89AB-CDEF-0102-030405060708}", G1 + " ", G1]]),
        "params-null": b'{"method":"io.qmgr.Manager.Ping","parameters":null}',
        "method-number": b'{"method":7}',
        "variant-forms": msgs(call("CreateGroup", {"group_id": G1}), *[
            call("SetProp", {"group_id": G1, "prop": 6, "value": v}) for v in [
                None, {}, {"i4": 1, "ui4": 2}, {"i4": 2147483648}, {"ui4": -1}, {"str": 1},
                {"bogus": 1}, [1], "s"]]),
        "embedded-nul": b'{"method":"io.qmgr.Manager.Ping"\0}\0' + call("Ping"),
    }
    for k, v in bad.items():
        s["seed-bad-" + k] = v
    return s


def reply(params=None, continues=None):
    r = {}
    if params is not None:
        r["parameters"] = params
    if continues is not None:
        r["continues"] = continues
    return json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()


def error(hr, name="QM_E_FAIL", message="m"):
    p = {"hresult": hr}
    if name is not None:
        p["name"] = name
    if message is not None:
        p["message"] = message
    return json.dumps({"error": "io.qmgr.Manager.Error", "parameters": p},
                      separators=(",", ":")).encode()


RVALUES = {"GUID": G2, "U32": 4294967295, "I32": -2147483648, "U64": None, "I64": -1,
           "BOOL": True, "STR": "v\u00e4lue", "VARIANT": {"str": "x"}, "GUIDS": [G1, G2],
           "FILES": [{"remote": "http://h/a", "local": "/tmp/a", "bytes_total": None,
                      "bytes_transferred": 9007199254740993, "complete": False}]}


def reply_seeds():
    s = {}
    for name, req, opt, rep in METHODS:
        s["seed-reply-" + name] = reply({f: RVALUES[TYPES[f]] for f in rep})
    s["seed-reply-empty"] = b"{}"
    s["seed-reply-continues"] = reply({"version": "1", "owner_uid": 0}, True)
    s["seed-reply-result"] = reply({"result": 0x0004000B})
    s["seed-reply-variants"] = b"\0".join(reply({"value": v}) for v in
                                          [None, {"i4": -1}, {"ui4": 7}, {"str": ""}])
    s["seed-error"] = error(-2147024809, "QM_E_INVALIDARG", "bad")
    s["seed-error-no-message"] = error(-1, None, None)
    s["seed-error-positive"] = error(1)
    s["seed-error-not-string"] = b'{"error":1,"parameters":{"hresult":-1}}'
    s["seed-error-no-params"] = b'{"error":"io.qmgr.Manager.Error"}'
    s["seed-error-long-message"] = error(-1, "X", "\u00e9" * 300)
    s["seed-bad-deep"] = b'{"parameters":' + b"[" * 2000 + b"]" * 2000 + b"}"
    s["seed-bad-dup"] = b'{"parameters":{"count":1,"count":2}}'
    s["seed-bad-huge"] = b'{"parameters":{"bytes_total":99999999999999999999999}}'
    s["seed-bad-utf8"] = b'{"parameters":{"version":"\xed\xa0\x80"}}'
    s["seed-bad-nul"] = b'{"parameters":{"version":"a\\u0000b"}}'
    s["seed-bad-embedded-nul"] = b'{"parameters":{}}\0garbage'
    s["seed-bad-array"] = b"[1,2]"
    return s


def utf8_seeds():
    cases = {
        "ascii": b"hello", "empty": b"", "two-byte": "\u00e9\u00df".encode(),
        "three-byte": "\u20ac\ufffd".encode(), "four-byte": "\U0001F600\U0010FFFF".encode(),
        "overlong-2": b"\xc0\xaf\xc1\xbf", "overlong-3": b"\xe0\x80\xaf\xe0\x9f\xbf",
        "overlong-4": b"\xf0\x80\x80\xaf\xf0\x8f\xbf\xbf", "surrogates": b"\xed\xa0\x80\xed\xbf\xbf",
        "above-max": b"\xf4\x90\x80\x80\xf5\x80\x80\x80", "lone-continuation": b"\x80\xbf",
        "truncated": b"a\xe2\x82", "ff-fe": b"\xff\xfe", "nuls": b"a\0\xc3\xa9\0\xff\0",
        "edges": "\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff\U00010000".encode("utf-8", "surrogatepass"),
    }
    return {"seed-" + k: v for k, v in cases.items()}


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (target, len(seeds)))


def main():
    write("fuzz-service", service_seeds())
    write("fuzz-reply", reply_seeds())
    write("fuzz-utf8", utf8_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
