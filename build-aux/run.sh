#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The one command a newcomer runs: installs what is missing, builds, and
# starts Clapboard. With no API key it opens on the built-in simulator.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CLAPBOARD_BUILD_DIR:-$top/_build}

"$top/build-aux/install-deps.sh" run
[ -f "$build/build.ninja" ] || meson setup "$build" "$top"
meson compile -C "$build"

if [ -x "$build/src/clapboard" ]; then
  GSETTINGS_SCHEMA_DIR="$build/data" exec "$build/src/clapboard" "$@"
fi

echo "The window is not built yet; starting the simulator instead." >&2
exec "$build/src/sim/clapboard-sim" --port 0 "$@"
