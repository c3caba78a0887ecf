#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Renders the main states of the window into docs/screenshots/, light and
# dark, and light in Simplified Chinese (*-zh_CN.png, from the build's
# translations), under Xvfb: build-aux/screenshots.sh [BUILD_DIR]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
out=$top/docs/screenshots

[ -f "$build/build.ninja" ] || meson setup "$build" "$top"
ninja -C "$build" tests/ui/clapboard-screenshots data/gschemas.compiled clapboard-gmo >/dev/null
mkdir -p "$out"

for style in "" "-dark"; do
  GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory GSK_RENDERER=cairo \
  NO_AT_BRIDGE=1 LC_ALL=${LC_ALL:-C.UTF-8} \
    xvfb-run -a -s "-screen 0 1400x1000x24" dbus-run-session -- \
    "$build/tests/ui/clapboard-screenshots" "$out" "$style"
done

# Simplified Chinese: the catalogue from the build dir, a zh_CN locale if the
# system has one (else C.UTF-8, where LANGUAGE still picks the catalogue).
if ! fc-list :lang=zh | grep -q .; then
  echo "No Chinese font (fc-list :lang=zh): install fonts-noto-cjk." >&2
  exit 1
fi
zh_locale=C.UTF-8
locale -a | grep -qix 'zh_CN.utf-\{0,1\}8' && zh_locale=zh_CN.UTF-8
GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory GSK_RENDERER=cairo \
NO_AT_BRIDGE=1 CLAPBOARD_LOCALEDIR="$build/po" \
LANGUAGE=zh_CN LANG=zh_CN.UTF-8 LC_ALL=$zh_locale \
  xvfb-run -a -s "-screen 0 1400x1000x24" dbus-run-session -- \
  "$build/tests/ui/clapboard-screenshots" "$out" "-zh_CN"
