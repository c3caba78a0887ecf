#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Debian packages Clapboard needs that are missing.
#   build-aux/install-deps.sh run    what building and running needs
#   build-aux/install-deps.sh test   that, plus what the test suite needs
set -eu

what=${1:-run}

build_packages="
  gcc meson ninja-build pkg-config gettext
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsqlite3-dev libsecret-1-dev
"
run_packages="
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-x fonts-dejavu-core
"
test_packages="
  python3 xvfb xauth dbus at-spi2-core python3-gi python3-pyatspi libxtst6 imagemagick
  desktop-file-utils appstream curl libgtk-4-media-gstreamer
"

# The Chinese translation needs a CJK font; most systems have one already.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  run_packages="$run_packages fonts-noto-cjk"
fi

packages="$build_packages $run_packages"
[ "$what" = test ] && packages="$packages $test_packages"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

[ -z "$missing" ] && exit 0

echo "Installing missing packages:$missing" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
