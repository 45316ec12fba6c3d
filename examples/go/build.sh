#!/bin/sh
# Builds the example into OUT (default: ./grabframe) with Debian's Go packages (golang-go,
# golang-google-grpc-dev, golang-google-protobuf-dev), offline: Debian installs Go libraries as
# source in /usr/share/gocode, for GOPATH mode, not as modules a proxy would serve. The generated
# package goes into a temporary GOPATH beside this example's source and is removed afterwards.
#   examples/go/build.sh [OUT]
set -eu
command -v go >/dev/null || { echo "build.sh: go not found: apt-get install golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-grabframe}")
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
package="$gopath/src/screencap.example/grabframe"
mkdir -p "$package"
cp "$here/main.go" "$package/"
"$here/generate.sh" "$package"
cd "$package"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= go build -o "$out" .
