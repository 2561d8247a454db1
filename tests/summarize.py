#!/usr/bin/python3
"""summarize.py - count test results of every suite of `make check` and print the total.

    summarize.py --meson LABEL TESTLOG.json RC  --junit LABEL RESULTS.xml RC ...

--meson: a meson testlog.json (one JSON object per test executable). Each unit test
  executable prints "ok NAME" / "FAIL NAME" per case and "unit: N passed, N failed" last;
  the cases are counted. A fuzz corpus replay (tests/fuzz/replay.c) prints "replay: 1 passed,
  0 failed" instead and counts as one test. An executable that did not print its summary line
  (crash, meson timeout) or whose result is not OK although no case failed counts one more
  failure.
  The conformance runner (tests/conformance) prints "conformance: N passed, N failed".
--junit: a pytest --junitxml file; passed = tests - failures - errors - skipped.
--lines: a file of "ok NAME" / "FAIL NAME" lines (the format suite).
RC is the suite command's exit status: a non-zero status with no failure counted, or a
missing log, counts as one failure of that suite (it did not run, or failed outside a test).

Prints one line per suite, then, last, exactly "N passed, N failed". Exits 1 when N failed > 0.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

SUMMARY = re.compile(r"^(?:unit|replay|conformance): (\d+) passed, (\d+) failed$")


def meson_counts(path):
    passed = failed = 0
    notes = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            out = t.get("stdout") or ""
            lines = out.splitlines()
            ok = sum(1 for l in lines if l.startswith("ok "))
            bad = [l for l in lines if l.startswith("FAIL ")]
            summ = [m for m in (SUMMARY.match(l) for l in lines) if m]
            if summ:
                p, q = int(summ[-1].group(1)), int(summ[-1].group(2))
            else:
                p, q = ok, len(bad)
            passed += p
            failed += q
            for l in bad:
                notes.append("%s: %s" % (t.get("name"), l))
            if not summ or (t.get("result") != "OK" and q == 0):
                failed += 1
                notes.append("%s: %s (exit status %s) without a complete summary"
                             % (t.get("name"), t.get("result"), t.get("returncode")))
    return passed, failed, notes


def junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = 0
    notes = []
    for s in suites:
        tests = int(s.get("tests", 0))
        bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped = int(s.get("skipped", 0))
        passed += tests - bad - skipped
        failed += bad
        for case in s.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                notes.append("%s::%s" % (case.get("classname"), case.get("name")))
    return passed, failed, notes


def lines_counts(path):
    """A plain file of `ok NAME` / `FAIL NAME ...` lines (the format suite)."""
    passed = failed = 0
    notes = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("ok "):
                passed += 1
            elif line.startswith("FAIL "):
                failed += 1
                notes.append(line[5:].strip())
    return passed, failed, notes


COUNTERS = {"--meson": meson_counts, "--junit": junit_counts, "--lines": lines_counts}


def main(argv):
    total_p = total_f = 0
    i = 0
    while i < len(argv):
        kind, label, path, rc = argv[i], argv[i + 1], argv[i + 2], int(argv[i + 3])
        i += 4
        try:
            p, f, notes = COUNTERS[kind](path)
        except (OSError, ValueError, ET.ParseError) as e:
            p, f, notes = 0, 0, ["no results: %s" % e]
        if rc != 0 and f == 0:
            f = 1
            notes.append("the suite exited with status %d" % rc)
        total_p += p
        total_f += f
        print("suite %-12s %d passed, %d failed" % (label, p, f))
        for n in notes:
            print("    FAILED %s" % n)
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
