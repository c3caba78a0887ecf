#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Plays the same 10 s 1080p30 H.264 + AAC clip with ClapPlayer and with
# GTK's own GtkVideo, each in a 960×600 window on a private Xvfb with the
# cairo renderer, RUNS times each (default 3), and prints per run the CPU
# time of the player's process over the playback, the frames it showed,
# the X server's CPU time meanwhile, then the medians and the ratio
# ClapPlayer / GtkVideo.
#
#   bench/player/run-bench.sh            build dir: _build-player
#   CLAPBOARD_BENCH_BUILD_DIR=… RUNS=5 bench/player/run-bench.sh
#   NICE=-10 bench/player/run-bench.sh   X server and players at a higher
#                                        priority (root), on a machine busy with
#                                        other work
#
# GtkVideo needs GTK's GStreamer media module (Debian: libgtk-4-media-gstreamer).
# It runs with GDK_DEBUG=gl-disable: on Xvfb its GL path shows a black
# picture, so only its memory path (the one ClapPlayer uses) plays video.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${CLAPBOARD_BENCH_BUILD_DIR:-$top/_build-player}
runs=${RUNS:-3}
nice=${NICE:-0}
work=$(mktemp -d)
trap 'kill "$xvfb" 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
xvfb=""

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
meson compile -C "$build" clap-player-bench >/dev/null
bench="$build/tests/player/clap-player-bench"

clip="$build/bench-player-1080p.mp4"
if [ ! -f "$clip" ]; then
  echo "Encoding the 10 s 1080p test clip (once)…" >&2
  gst-launch-1.0 -q \
    videotestsrc num-buffers=300 pattern=smpte \
    ! video/x-raw,width=1920,height=1080,framerate=30/1 \
    ! timeoverlay font-desc="Sans 48" ! videoconvert ! video/x-raw,format=I420 \
    ! x264enc speed-preset=veryfast ! video/x-h264,profile=high \
    ! mp4mux name=mux ! filesink location="$clip.part" \
    audiotestsrc num-buffers=300 samplesperbuffer=1470 ! audio/x-raw,rate=44100 \
    ! audioconvert ! avenc_aac ! mux.
  mv "$clip.part" "$clip"
fi

have_gtk_media=no
for module in /usr/lib/*/gtk-4.0/4.0.0/media/libmedia-gstreamer.so \
              /usr/lib/gtk-4.0/4.0.0/media/libmedia-gstreamer.so; do
  [ -e "$module" ] && have_gtk_media=yes
done
[ $have_gtk_media = yes ] || echo "GTK's GStreamer media module is missing: GtkVideo is skipped" >&2

# A private X server, so that its CPU time can be read too.
nice -n "$nice" Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$work/display" \
  >/dev/null 2>&1 &
xvfb=$!
while [ ! -s "$work/display" ]; do sleep 0.1; done
export DISPLAY=":$(head -n 1 "$work/display")"
export GSK_RENDERER=cairo
ticks=$(getconf CLK_TCK)

xvfb_ticks () {
  awk '{ print $14 + $15 }' "/proc/$xvfb/stat"
}

# One run: NAME, then the command. Appends "NAME cpu frames xcpu" to results.
run () {
  name=$1
  shift
  before=$(xvfb_ticks)
  line=$(nice -n "$nice" dbus-run-session -- "$@" "$clip" 2>/dev/null \
         | grep -E '^(clapplayer|gtkvideo) ' || true)
  after=$(xvfb_ticks)
  xcpu=$(awk -v a="$after" -v b="$before" -v t="$ticks" 'BEGIN { printf "%.2f", (a - b) / t }')
  echo "$line  | Xvfb cpu $xcpu s"
  echo "$line" | awk -v n="$name" -v x="$xcpu" '{
    for (i = 1; i <= NF; i++) {
      if ($i == "cpu") cpu = $(i + 1)
      if ($i == "drawn" || $i == "delivered") frames = $(i + 1)
      if ($i == "dropped") dropped = $(i + 1)
    }
    print n, cpu, frames, (dropped == "" ? "-" : dropped), x
  }' >>"$work/results"
}

echo "load average before: $(cut -d ' ' -f 1-3 /proc/loadavg), nice $nice"
i=1
while [ "$i" -le "$runs" ]; do
  run clap "$bench"
  [ $have_gtk_media = yes ] && run gtk env GDK_DEBUG=gl-disable "$bench" --player gtk
  i=$((i + 1))
done
echo "load average after: $(cut -d ' ' -f 1-3 /proc/loadavg)"

awk '
  function median(list, n,    i, j, t) {
    for (i = 1; i <= n; i++)
      for (j = i + 1; j <= n; j++)
        if (list[j] < list[i]) { t = list[i]; list[i] = list[j]; list[j] = t }
    return (n % 2) ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  { n[$1]++; cpu[$1, n[$1]] = $2; frames[$1, n[$1]] = $3; drop[$1, n[$1]] = $4; x[$1, n[$1]] = $5 }
  END {
    for (p in n) {
      for (i = 1; i <= n[p]; i++) { c[i] = cpu[p, i]; f[i] = frames[p, i]; d[i] = drop[p, i]; xx[i] = x[p, i] }
      mc[p] = median(c, n[p]); mf[p] = median(f, n[p]); mx[p] = median(xx, n[p])
      md[p] = (d[1] == "-") ? "-" : median(d, n[p])
      printf "median %-5s cpu %.2f s  frames shown %s  dropped %s  cpu per frame shown %.1f ms  Xvfb cpu %.2f s  (%d runs)\n",
             p, mc[p], mf[p], md[p], (mf[p] > 0 ? 1000 * mc[p] / mf[p] : 0), mx[p], n[p]
    }
    if (("clap" in mc) && ("gtk" in mc) && mc["gtk"] > 0) {
      printf "CPU ratio ClapPlayer / GtkVideo: %.2f (goal <= 1.2)\n", mc["clap"] / mc["gtk"]
      if (mf["clap"] > 0 && mf["gtk"] > 0)
        printf "CPU per frame shown, ratio: %.2f\n", (mc["clap"] / mf["clap"]) / (mc["gtk"] / mf["gtk"])
    }
  }' "$work/results"
