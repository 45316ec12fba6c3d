# The screencap native addon: H.264 encoding with the system's openh264, H.264 decoding with
# libavcodec, VP8 decoding with libvpx and pixel work with libyuv. Built by scripts/build-native.sh (run by
# `npm install` / `npm ci`).
{
  "targets": [
    {
      "target_name": "screencap_native",
      "sources": [
        "src/addon.cc",
        "src/arguments.cc",
        "src/bilinear-scale.cc",
        "src/h264-decoder.cc",
        "src/h264-encoder.cc",
        "src/h264-session.cc",
        "src/image-transform.cc",
        "src/indexed-rows.cc",
        "src/lz-decoder.cc",
        "src/lz4-decoder.cc",
        "src/mapped-file.cc",
        "src/pixel-rows.cc",
        "src/pointer-blend.cc",
        "src/quic-decoder.cc",
        "src/rect-copy.cc",
        "src/stream-copy.cc",
        "src/transform-worker.cc",
        "src/video-decoder.cc",
        "src/vp8-decoder.cc",
      ],
      # node-addon-api with C++ exceptions: a thrown Napi::Error becomes a JS exception, which
      # keeps argument checks short.
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "<!@(pkg-config --cflags openh264 vpx libavcodec libavutil)"],
      # libyuv ships no pkg-config file on Debian; its header is in the default include path.
      "libraries": ["<!@(pkg-config --libs openh264 vpx libavcodec libavutil)", "-lyuv"],
    }
  ]
}
