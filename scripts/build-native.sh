#!/usr/bin/env bash
# Builds the native addon, native/build/Release/screencap_native.node: H.264 encoding with
# the system's openh264, H.264 decoding with libavcodec, VP8 decoding with libvpx and pixel transforms with libyuv. npm runs it as the package's "install"
# script, so `npm install` and `npm ci` build it; running it again does nothing while the addon
# is newer than its sources.
#
# Without openh264, libavcodec, libvpx or libyuv (or without a C++ toolchain) it prints one warning line and exits 0:
# the addon is then absent, src/codec reports H.264 as unavailable and the recorder falls back
# to PNG. With them present, a compile error fails: that is a bug to fix, not a missing package.
set -euo pipefail
cd "$(dirname "$0")/.."

addon=native/build/Release/screencap_native.node

skip() {
  printf 'screencap: warning: native addon not built (%s): H.264 encoding is unavailable, recordings fall back to PNG and SPICE video streams are offered as MJPEG only; install pkg-config, libopenh264-dev, libavcodec-dev, libvpx-dev and libyuv-dev (scripts/setup.sh does), then run bash scripts/build-native.sh\n' "$1" >&2
  exit 0
}

if [ -f "$addon" ] && [ -z "$(find native/binding.gyp native/src -newer "$addon" -type f | head -1)" ]; then
  exit 0
fi

for tool in c++ make python3 pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done
pkg-config --exists openh264 || skip "pkg-config finds no openh264"
pkg-config --exists vpx || skip "pkg-config finds no vpx (libvpx-dev)"
pkg-config --exists libavcodec libavutil || skip "pkg-config finds no libavcodec (libavcodec-dev)"

# Compile and link a program that touches every library, exactly as binding.gyp will.
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/probe.cc" <<'CC'
#include <wels/codec_api.h>
#include <libyuv.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
extern "C" {
#include <libavcodec/avcodec.h>
}
int main() {
  if (vpx_codec_vp8_dx() == nullptr) return 1;
  if (avcodec_find_decoder(AV_CODEC_ID_H264) == nullptr) return 1;
  ISVCEncoder* encoder = nullptr;
  WelsCreateSVCEncoder(&encoder);
  WelsDestroySVCEncoder(encoder);
  unsigned char pixel[4] = {0, 0, 0, 0};
  return libyuv::ARGBCopy(pixel, 4, pixel, 4, 1, 1);
}
CC
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
c++ -o "$probe_dir/probe" "$probe_dir/probe.cc" $(pkg-config --cflags --libs openh264 vpx libavcodec libavutil) -lyuv \
  >/dev/null 2>&1 || skip "openh264, libavcodec, libvpx or libyuv headers/libraries missing"

node -e "require.resolve('node-addon-api')" >/dev/null 2>&1 || skip "node-addon-api not installed (run npm ci)"

# npm passes its bundled node-gyp to lifecycle scripts; when run by hand, find the same one.
node_gyp=${npm_config_node_gyp:-}
if [ -z "$node_gyp" ]; then
  npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")/..
  node_gyp=$npm_dir/node_modules/node-gyp/bin/node-gyp.js
fi
[ -f "$node_gyp" ] || skip "node-gyp not found (it ships with npm)"

# Use the running Node's own headers when it has them: node-gyp would otherwise download them,
# and this machine may have no network.
gyp_args=()
node_prefix=$(node -p "require('path').resolve(process.execPath, '..', '..')")
if [ -f "$node_prefix/include/node/node_api.h" ]; then
  gyp_args+=("--nodedir=$node_prefix")
fi

log="$probe_dir/build.log"
if ! (cd native && node "$node_gyp" configure build --release -j 2 "${gyp_args[@]}") >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  printf 'screencap: error: building the native addon failed (full log above, last 40 lines)\n' >&2
  exit 1
fi
printf 'screencap: built %s\n' "$addon" >&2
