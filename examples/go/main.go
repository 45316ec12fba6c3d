// Command grabframe takes a frame from a screencap server and writes it to a PNG file: a client
// of the screencapture.v1 gRPC API in Go.
//
//	examples/go/build.sh grabframe    # with Debian's Go packages, offline
//	./grabframe -out frame.png
//
// The life of a client (docs/api.md): open a session, register a buffer collection, configure
// the session, take frames with the GetNextFrame hanging get, give each back with ReleaseFrame,
// and close the session.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "screencap.example/grabframe/screencapturepb"
)

// A GetNextFrame reply is at most height * stride bytes of pixels and this many more for its
// other fields (ConfigureRequest.max_receive_message_length in the .proto).
const replyFieldsRoom = 1024

// The deadline of every call but GetNextFrame, which waits for the screen to change.
const callTimeout = 10 * time.Second

type options struct {
	server          string
	width, height   int
	out             string
	frames          int
	sharedMemory    bool
	maxReceiveBytes int
	token           string
}

func main() {
	opts, err := parseFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "grabframe: %v\n", err)
		os.Exit(2)
	}
	if err := grab(opts); err != nil {
		// The server's errors say what is wrong and how to fix it ("INVALID_ARGS: image_size: ...").
		if s, ok := status.FromError(err); ok {
			fmt.Fprintf(os.Stderr, "grabframe: %v: %s\n", s.Code(), s.Message())
		} else {
			fmt.Fprintf(os.Stderr, "grabframe: %v\n", err)
		}
		os.Exit(1)
	}
}

func parseFlags() (options, error) {
	var opts options
	var size, transport string
	flag.StringVar(&opts.server, "server", "127.0.0.1:50051", "HOST:PORT of the server")
	flag.StringVar(&size, "size", "1920x1080", "image size WIDTHxHEIGHT")
	flag.StringVar(&opts.out, "out", "frame.png", "the PNG file to write")
	flag.IntVar(&opts.frames, "frames", 1, "take this many frames, each waiting for a new one, and write the last")
	flag.StringVar(&transport, "transport", "inline", "inline: pixels in the reply, works anywhere; shared-memory: in a /dev/shm file, server on this machine")
	flag.IntVar(&opts.maxReceiveBytes, "max-receive-bytes", 0, "the channel's receive limit (default: what one frame of -size needs)")
	flag.StringVar(&opts.token, "token", os.Getenv("SCREENCAP_TOKEN"), "bearer token, when the server has one (default $SCREENCAP_TOKEN)")
	flag.Parse()
	sides := strings.Split(strings.ToLower(size), "x")
	if len(sides) == 2 {
		opts.width, _ = strconv.Atoi(sides[0])
		opts.height, _ = strconv.Atoi(sides[1])
	}
	if opts.width < 1 || opts.width > 8192 || opts.height < 1 || opts.height > 8192 {
		return opts, fmt.Errorf("-size: expected WIDTHxHEIGHT, each side from 1 to 8192, got %q", size)
	}
	if transport != "inline" && transport != "shared-memory" {
		return opts, fmt.Errorf("-transport: must be inline or shared-memory, got %q", transport)
	}
	opts.sharedMemory = transport == "shared-memory"
	if opts.frames < 1 {
		return opts, fmt.Errorf("-frames: must be at least 1, got %d", opts.frames)
	}
	if opts.maxReceiveBytes < 0 || opts.maxReceiveBytes > math.MaxInt32 {
		return opts, fmt.Errorf("-max-receive-bytes: must be from 1 to %d, got %d", math.MaxInt32, opts.maxReceiveBytes)
	}
	return opts, nil
}

func grab(opts options) error {
	// gRPC refuses a reply larger than the channel's receive limit, and that limit is 4 MiB by
	// default (in Go as in every other gRPC library): less than one 1080p RGBA frame (8.3 MB).
	// So set it to what a frame needs, and tell Configure the same number: a size whose frames
	// cannot arrive is then refused at once with what to do, not on every frame.
	receiveLimit := opts.maxReceiveBytes
	if receiveLimit == 0 {
		receiveLimit = opts.width*4*opts.height + replyFieldsRoom
	}
	conn, err := grpc.Dial(opts.server, grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(receiveLimit)))
	if err != nil {
		return err
	}
	defer conn.Close()
	capture := pb.NewScreenCaptureClient(conn)
	allocator := pb.NewAllocatorClient(conn)
	base := context.Background()
	if opts.token != "" {
		base = metadata.AppendToOutgoingContext(base, "authorization", "Bearer "+opts.token)
	}
	call := func() (context.Context, context.CancelFunc) { return context.WithTimeout(base, callTimeout) }

	ctx, cancel := call()
	opened, err := capture.OpenSession(ctx, &pb.OpenSessionRequest{ClientName: "go example"})
	cancel()
	if err != nil {
		return err
	}
	sessionID := opened.SessionId
	defer func() {
		ctx, cancel := call()
		defer cancel()
		capture.CloseSession(ctx, &pb.CloseSessionRequest{SessionId: sessionID})
	}()

	register := &pb.RegisterBufferCollectionRequest{SessionId: sessionID, BufferCount: 1, Transport: pb.BufferTransport_BUFFER_TRANSPORT_INLINE}
	var buffers *os.File
	if opts.sharedMemory {
		buffers, err = createBufferFile(int64(opts.width * 4 * opts.height))
		if err != nil {
			return err
		}
		defer buffers.Close()
		register.Transport = pb.BufferTransport_BUFFER_TRANSPORT_SHARED_MEMORY
		register.SharedMemory = &pb.SharedMemoryBuffers{Path: buffers.Name(), BufferSize: uint64(opts.width * 4 * opts.height)}
	}
	ctx, cancel = call()
	registered, err := allocator.RegisterBufferCollection(ctx, register)
	cancel()
	if buffers != nil {
		os.Remove(buffers.Name()) // the server has it open now, or never will
	}
	if err != nil {
		return err
	}

	limit := uint32(receiveLimit)
	ctx, cancel = call()
	_, err = capture.Configure(ctx, &pb.ConfigureRequest{
		SessionId:               sessionID,
		ImportToken:             registered.ImportToken,
		ImageSize:               &pb.Size{Width: uint32(opts.width), Height: uint32(opts.height)},
		PixelFormat:             pb.PixelFormat_PIXEL_FORMAT_RGBA8,
		MaxReceiveMessageLength: &limit,
	})
	cancel()
	if err != nil {
		return err
	}

	var frame *pb.FrameInfo
	var picture *image.NRGBA
	for i := 0; i < opts.frames; i++ {
		// The hanging get: the first call answers at once with the latest frame, each later one
		// when the screen next changes. No deadline: a still screen makes it wait.
		frame, err = capture.GetNextFrame(base, &pb.GetNextFrameRequest{SessionId: sessionID})
		if err != nil {
			return err
		}
		picture, err = frameImage(frame, buffers)
		if err != nil {
			return err
		}
		// With one buffer, the next frame waits until this one is given back.
		ctx, cancel = call()
		_, err = capture.ReleaseFrame(ctx, &pb.ReleaseFrameRequest{SessionId: sessionID, ReleaseToken: frame.ReleaseToken})
		cancel()
		if err != nil {
			return err
		}
	}

	if err := writePNG(opts.out, picture); err != nil {
		return err
	}
	fmt.Printf("%s: %dx%d, frame %d\n", opts.out, picture.Rect.Dx(), picture.Rect.Dy(), frame.FrameNumber)
	ctx, cancel = call()
	defer cancel()
	_, err = allocator.ReleaseBufferCollection(ctx, &pb.ReleaseBufferCollectionRequest{SessionId: sessionID, ImportToken: registered.ImportToken})
	return err
}

// createBufferFile makes the client's own buffers for SHARED_MEMORY: a new private file in
// /dev/shm (mode 0600, not a link: the server refuses anything else; see docs/api.md).
func createBufferFile(size int64) (*os.File, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	path := "/dev/shm/screencap-" + hex.EncodeToString(random)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	if err := file.Truncate(size); err != nil {
		file.Close()
		os.Remove(path)
		return nil, err
	}
	return file, nil
}

// frameImage copies a frame's RGBA pixels out of the reply (INLINE) or the buffer file.
func frameImage(frame *pb.FrameInfo, buffers *os.File) (*image.NRGBA, error) {
	width, height, stride := int(frame.ImageSize.GetWidth()), int(frame.ImageSize.GetHeight()), int(frame.Stride)
	pixels := frame.Pixels
	if buffers != nil {
		pixels = make([]byte, stride*height)
		if _, err := buffers.ReadAt(pixels, int64(frame.BufferOffset)); err != nil {
			return nil, err
		}
	}
	if len(pixels) != stride*height {
		return nil, fmt.Errorf("frame %d: %d bytes of pixels, expected %d", frame.FrameNumber, len(pixels), stride*height)
	}
	// RGBA8 bytes are straight (not premultiplied) alpha: Go's NRGBA.
	return &image.NRGBA{Pix: pixels, Stride: stride, Rect: image.Rect(0, 0, width, height)}, nil
}

func writePNG(path string, picture image.Image) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(file, picture); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}
