#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fuzzes the parsers that read bytes from the network or from dropped files,
# with clang's libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer:
#   envelope    clap_envelope_parse() (random HTTP status and Content-Type),
#               then clap_task_info_parse() on the data it returns
#   task-info   clap_task_info_parse() on any JSON
#   callback    clap_task_info_parse_callback() (JSON inside JSON strings)
#   media       clap_media_probe_stream() (PNG, JPEG, MP4 and MOV headers)
#   json        clap_untrusted_parse_json(), the size and depth gate
#   catalog     a catalogue file of the person's own, merged and checked
#
# Then every input kept is replayed once with LeakSanitizer (third-party
# leaks suppressed in build-aux/lsan.supp).
#
#   build-aux/fuzz.sh [SECONDS] [--merge] [TARGET…]
#
# Each target runs SECONDS (default 60) from its saved corpus in
# tests/fuzz/corpus/TARGET; what it finds goes to _build-fuzz/found/TARGET.
# With --merge, the inputs that reach new code are added to the saved
# corpus (libFuzzer's -merge=1 keeps the smallest set), to be committed.
# A crash leaves its input in _build-fuzz/crashes/ and the script exits 1:
# fix it, then copy the input into the saved corpus as a regression case
# (`meson test --suite reliability` replays the corpus with gcc).
#
# Needs clang and libFuzzer (Debian 12: clang-14 and libclang-rt-14-dev,
# installed here when missing). The build is its own, in _build-fuzz, with
# little parallelism: other builds share the machine.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CLAPBOARD_FUZZ_BUILD_DIR:-$top/_build-fuzz}
seconds=60
merge=no
targets=""

for arg in "$@"; do
  case "$arg" in
    --merge) merge=yes ;;
    [0-9]*) seconds=$arg ;;
    envelope|task-info|callback|media|json|catalog) targets="$targets $arg" ;;
    *) echo "usage: $0 [SECONDS] [--merge] [envelope|task-info|callback|media|json|catalog]…" >&2
       exit 2 ;;
  esac
done
[ -n "$targets" ] || targets="envelope task-info callback media json catalog"

"$top/build-aux/install-deps.sh" run

missing=""
for p in clang libclang-rt-14-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "Installing missing packages:$missing" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$top" \
    -Dgui=false \
    -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined \
    -Db_lundef=false \
    -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
fi

ninja_targets=""
for t in $targets; do
  ninja_targets="$ninja_targets tests/reliability/fuzz-$t"
done
# shellcheck disable=SC2086
ninja -C "$build" -j2 $ninja_targets

# GLib's slice allocator hides heap errors from ASan; a warning from the
# code under test is a finding.
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly,fatal-warnings
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Leaks are looked for once the fuzzing is over, over every input kept:
# matching the suppressions of third-party leaks (build-aux/lsan.supp)
# needs full stack unwinding on each malloc, ten times slower.
fuzz_asan="detect_leaks=0:abort_on_error=1:symbolize=1"
leak_asan="detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1:symbolize=1"
export LSAN_OPTIONS="suppressions=$top/build-aux/lsan.supp:print_suppressions=0"

status=0
summary=""
mkdir -p "$build/crashes"

for t in $targets; do
  corpus="$top/tests/fuzz/corpus/$t"
  found="$build/found/$t"
  log="$build/fuzz-$t.log"
  mkdir -p "$found"

  echo "== fuzz-$t: $seconds s" >&2
  if ASAN_OPTIONS=$fuzz_asan "$build/tests/reliability/fuzz-$t" "$found" "$corpus" \
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=8192 \
       -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
    tail -n 40 "$log" >&2
  fi

  # Every input kept, saved and found, once more with leak detection.
  if [ "$result" = ok ] &&
     ! ASAN_OPTIONS=$leak_asan "$build/tests/reliability/fuzz-$t" -runs=0 "$corpus" "$found" \
         -artifact_prefix="$build/crashes/$t-" >"$log.leaks" 2>&1; then
    result=LEAK
    status=1
    tail -n 60 "$log.leaks" >&2
  fi

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
  before=$(find "$corpus" -type f | wc -l)

  if [ "$merge" = yes ] && [ "$result" = ok ]; then
    ASAN_OPTIONS=$fuzz_asan "$build/tests/reliability/fuzz-$t" -merge=1 -max_len=8192 \
      "$corpus" "$found" >>"$log" 2>&1
  fi
  after=$(find "$corpus" -type f | wc -l)

  summary="$summary
fuzz-$t: $result, ${execs:-?} runs (${speed:-?}/s), coverage ${cov:-?}, corpus $before -> $after files"
done

echo "$summary" | sed '/^$/d'
[ $status -eq 0 ] || echo "Crash inputs are in $build/crashes/" >&2
exit $status
