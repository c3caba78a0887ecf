#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what is missing, builds, runs the whole test suite (UI tests under
# Xvfb, on a private session bus), and ends with one line: "N passed, N failed".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CLAPBOARD_TEST_BUILD_DIR:-$top/_build-test}

"$top/build-aux/install-deps.sh" test
[ -f "$build/build.ninja" ] || meson setup "$build" "$top"
meson compile -C "$build"

rm -f "$build/meson-logs/testlog.json"
status=0
xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
  dbus-run-session -- \
  meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || status=$?

/usr/bin/python3 "$top/build-aux/test-summary.py" "$build/meson-logs/testlog.json" || status=1
exit $status
