module screencap.example/grabframe

go 1.19

// The versions Debian 12 packages (golang-google-grpc-dev, golang-google-protobuf-dev), with
// which build.sh builds the example offline; with a module proxy, `go mod tidy` fills in the rest.
require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
