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
# Only what running needs; the test command builds the rest.
meson compile -C "$build" src/ui/clapboard data/gschemas.compiled

# Uninstalled: the schema compiled in the build tree.
GSETTINGS_SCHEMA_DIR="$build/data" exec "$build/src/ui/clapboard" "$@"
