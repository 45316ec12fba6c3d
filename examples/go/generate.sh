#!/bin/sh
# Generates the Go package of screencapture.v1 from proto/ (messages and gRPC stubs) into
# OUT/screencapturepb (OUT default: examples/go; git ignores the package). Needs protoc
# (Debian's protobuf-compiler), protoc-gen-go (protoc-gen-go) and protoc-gen-go-grpc
# (protoc-gen-go-grpc).
#   examples/go/generate.sh [OUT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
for tool in protoc:protobuf-compiler protoc-gen-go:protoc-gen-go protoc-gen-go-grpc:protoc-gen-go-grpc; do
  command -v "${tool%%:*}" >/dev/null || { echo "generate.sh: ${tool%%:*} not found: apt-get install ${tool#*:}" >&2; exit 1; }
done
module=screencap.example/grabframe
protos="screencapture/v1/common.proto screencapture/v1/allocator.proto screencapture/v1/screen_capture.proto"
# The protos name no Go package of their own: map each to this example's.
mappings=""
for proto in $protos; do mappings="$mappings,M$proto=$module/screencapturepb"; done
mkdir -p "$out"
protoc -I "$here/../../proto" \
  --go_out="$out" --go_opt="module=$module$mappings" \
  --go-grpc_out="$out" --go-grpc_opt="module=$module$mappings" \
  $protos
