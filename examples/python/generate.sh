#!/bin/sh
# Generates the Python modules of screencapture.v1 from proto/ (messages and gRPC stubs) into
# OUT (default: examples/python/gen, which git ignores). Needs Debian's protobuf-compiler (protoc)
# and protobuf-compiler-grpc (grpc_python_plugin); python3-grpc-tools' own protoc is too old
# for the protos' proto3 `optional` fields.
#   examples/python/generate.sh [OUT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/gen}
command -v protoc >/dev/null || { echo "generate.sh: protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
plugin=$(command -v grpc_python_plugin) || { echo "generate.sh: grpc_python_plugin not found: apt-get install protobuf-compiler-grpc" >&2; exit 1; }
mkdir -p "$out"
protoc -I "$here/../../proto" --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" \
  screencapture/v1/common.proto screencapture/v1/allocator.proto screencapture/v1/screen_capture.proto
