#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts test cases in meson's testlog.json and prints "N passed, N failed".

A TAP test program counts each of its "ok" / "not ok" lines; a program that
crashed, timed out or failed without a "not ok" counts one failure more; a
program without TAP output counts as one case.
"""
import json
import re
import sys

passed = failed = skipped = 0
failures = []

try:
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
except OSError as e:
    print(f"no test log: {e}", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    out = t.get("stdout") or t.get("stdo") or ""
    ok = nok = 0
    for l in out.splitlines():
        if re.match(r"^ok \d+", l):
            if "# SKIP" in l:
                skipped += 1
            else:
                ok += 1
        elif re.match(r"^not ok \d+", l):
            if "# TODO" in l:
                continue
            nok += 1
            failures.append(f"{t['name']}: {l}")
    result = t.get("result")
    if ok == 0 and nok == 0:
        if result in ("OK", "EXPECTEDFAIL"):
            ok = 1
        elif result == "SKIP":
            skipped += 1
        else:
            nok = 1
            failures.append(f"{t['name']}: {result}")
    elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and nok == 0:
        nok = 1
        failures.append(f"{t['name']}: {result}")
    passed += ok
    failed += nok

for f in failures:
    print(f"FAILED {f}")
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
