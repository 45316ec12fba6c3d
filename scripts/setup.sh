#!/usr/bin/env bash
# Sets up everything screencap needs on a fresh clone, and does nothing (quietly) when all of it
# is already there: Debian packages, npm packages (npm ci), generated code, the native addon and
# the TypeScript build. Run by `npm start`, `npm test` and `npm run bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages: the H.264 encoder and decoder (openh264, libavcodec), the VP8 decoder and
# colour conversion (the native addon); GStreamer's videoconvert, vp8enc and x264enc, which spice-server encodes H.264 and
# VP8 streams with (the stream codec tests); ffmpeg/ffprobe
# (tests), Chromium (viewer tests), SPICE servers (Xspice, QEMU) and X tools to draw into them,
# fonts for the built-in desktop, tshark (its SPICE dissector reads the source's protocol dumps),
# Adwaita's Xcursor files (ARGB pointer shapes for the SPICE cursor tests), and a Debian kernel,
# busybox and libdrm's modetest for a QEMU guest that sets a hardware cursor through the qxl driver;
# systemd's systemd-analyze checks the unit in docs/deploy.md; spice-gtk's spicy under Xvfb is the
# user's own viewer on the same VM in the displacement and share-port tests, and iproute2's ss
# counts its connections; Xlib's headers build the recording benchmark's scrolling page
# (bench/support/scroll-page.c).
# The client examples in other languages (examples/, docs/clients.md): protoc and its Python and Go
# plugins, Python's gRPC and PIL, and Go with Debian's gRPC and protobuf sources (protobuf 1.5,
# which replaces 1.3: grpc-go needs it for messages of today's protoc-gen-go).
debian_packages=(
  pkg-config libopenh264-dev libavcodec-dev libvpx-dev libyuv-dev ffmpeg chromium
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  xserver-xspice qemu-system-x86 x11-apps x11-xserver-utils x11-utils xdotool xterm imagemagick
  fonts-dejavu-core openssl tshark systemd adwaita-icon-theme linux-image-amd64 busybox-static libdrm-tests
  spice-client-gtk xvfb iproute2 libx11-dev
  protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf python3-pil
  golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc
)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: reinstall when package-lock.json changed since the last install.
stamp=node_modules/.screencap-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  cp package-lock.json "$stamp"
fi

# The native addon (H.264, libyuv): rebuilt when its sources changed; a no-op when up to date,
# a warning and no addon when openh264/libyuv are missing (the recorder then writes PNG).
bash scripts/build-native.sh

# Generated code is committed; regenerate only when a proto is newer than it.
if [ -n "$(find proto buf.gen.yaml -newer src/gen/descriptors.binpb 2>/dev/null | head -1)" ]; then
  say "protos changed: regenerating src/gen"
  bash scripts/generate.sh
fi

# TypeScript build: when any source is newer than the last build.
if [ ! -f dist/.build-stamp ] || [ -n "$(find src test bench tsconfig.json package.json -newer dist/.build-stamp -type f 2>/dev/null | head -1)" ]; then
  say "building (tsc)"
  bash scripts/build-ts.sh
fi
