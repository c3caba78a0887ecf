#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds Clapboard with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer in its own directory and runs the test suites
# under them. Any heap error, leak of Clapboard's own memory or undefined
# behaviour fails the test that met it (child processes too: clapboard-cli
# and clapboard-sim are sanitized builds, and a leak makes them exit 23).
#
#   build-aux/sanitize.sh [--no-ui] [--ui-leaks] [SUITE…]
#
# Default suites: core sim cli reliability, then player and ui under Xvfb
# (--no-ui skips those two). Leaks inside third-party libraries are
# suppressed in build-aux/lsan.supp; ASan's and UBSan's own reports are
# never muted. The player and ui suites run with heap and undefined
# behaviour checks but without leak checks: GTK 4.8 and GIO lose memory
# in frames that have no symbol on Debian 12, which no suppression can
# tell from Clapboard's own. --ui-leaks checks them too, with
# build-aux/lsan-gtk.supp added, and lists what is left.
# The results and the time taken are in docs/reliability.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CLAPBOARD_ASAN_BUILD_DIR:-$top/_build-asan}
ui=yes
ui_leaks=0
suites=""

for arg in "$@"; do
  case "$arg" in
    --no-ui) ui=no ;;
    --ui-leaks) ui_leaks=1 ;;
    -*) echo "usage: $0 [--no-ui] [--ui-leaks] [SUITE…]" >&2; exit 2 ;;
    *) suites="$suites $arg" ;;
  esac
done

"$top/build-aux/install-deps.sh" test

gui=true
[ "$ui" = yes ] || gui=false
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" \
    -Dgui=$gui \
    -Dbuildtype=debug \
    -Db_sanitize=address,undefined \
    -Db_lundef=false
else
  meson configure "$build" -Dgui=$gui
fi
ninja -C "$build" -j2

# GLib's slice allocator would hide heap errors from ASan. Full unwinding
# on malloc lets the suppressions see frames inside libraries built
# without frame pointers. UBSan stops at the first error.
export G_SLICE=always-malloc
# the tests' waits for the player and the service, stretched for the slowdown
export CLAPBOARD_TEST_TIMEOUT_FACTOR=4
export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$top/build-aux/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

status=0
started=$(date +%s)

# The player and UI suites add GTK's and GStreamer's own leaks.
gtk_supp="$build/lsan-gtk.supp"
cat "$top/build-aux/lsan.supp" "$top/build-aux/lsan-gtk.supp" >"$gtk_supp"
gtk_lsan="suppressions=$gtk_supp:print_suppressions=0"
gtk_asan=$(echo "$ASAN_OPTIONS" | sed "s/detect_leaks=1/detect_leaks=$ui_leaks/")
# Without leak checks, full stacks at every malloc only slow GTK and
# GStreamer down (the window tests timed out waiting for the player); the
# heap checks are the same with the fast unwinder.
if [ "$ui_leaks" = 0 ]; then
  gtk_asan=$(echo "$gtk_asan" | sed "s/fast_unwind_on_malloc=0/fast_unwind_on_malloc=1/")
fi

run_suites () {
  # shellcheck disable=SC2046
  meson test -C "$build" --print-errorlogs --num-processes 1 --timeout-multiplier 4 \
    $(for s in "$@"; do printf -- '--suite %s ' "$s"; done) || status=1
}

if [ -n "$suites" ]; then
  # shellcheck disable=SC2086
  set -- $suites
  case " $suites " in
    *" ui "*|*" player "*)
      ASAN_OPTIONS=$gtk_asan LSAN_OPTIONS=$gtk_lsan xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
        dbus-run-session -- meson test -C "$build" --print-errorlogs --num-processes 1 --timeout-multiplier 4 \
        $(for s in "$@"; do printf -- '--suite %s ' "$s"; done) || status=1 ;;
    *) run_suites "$@" ;;
  esac
else
  run_suites core sim cli reliability
  if [ "$ui" = yes ]; then
    ASAN_OPTIONS=$gtk_asan LSAN_OPTIONS=$gtk_lsan xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
      dbus-run-session -- meson test -C "$build" --print-errorlogs --num-processes 1 \
      --timeout-multiplier 4 --suite player --suite ui || status=1
  fi
fi

echo "Sanitized tests: $(( $(date +%s) - started )) s, $( [ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
