#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Renders the main states of the window into docs/screenshots/, light and
# dark, under Xvfb: build-aux/screenshots.sh [BUILD_DIR]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
out=$top/docs/screenshots

[ -f "$build/build.ninja" ] || meson setup "$build" "$top"
ninja -C "$build" tests/ui/clapboard-screenshots data/gschemas.compiled >/dev/null
mkdir -p "$out"

for style in "" "-dark"; do
  GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory GSK_RENDERER=cairo \
  NO_AT_BRIDGE=1 LC_ALL=${LC_ALL:-C.UTF-8} \
    xvfb-run -a -s "-screen 0 1400x1000x24" dbus-run-session -- \
    "$build/tests/ui/clapboard-screenshots" "$out" "$style"
done
