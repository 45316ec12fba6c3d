#!/usr/bin/env python3
"""Takes a frame from a screencap server and writes it to a PNG file: a client of the
screencapture.v1 gRPC API in Python, with Debian's python3-grpcio and python3-pil.

    examples/python/generate.sh        # the generated modules, into examples/python/gen
    PYTHONPATH=examples/python/gen python3 examples/python/grab_frame.py --out frame.png

The life of a client (docs/api.md): open a session, register a buffer collection, configure
the session, take frames with the GetNextFrame hanging get, give each back with ReleaseFrame,
and close the session.
"""
import argparse
import os
import secrets
import sys
import zlib

import grpc
from PIL import Image

from screencapture.v1 import allocator_pb2, allocator_pb2_grpc, common_pb2
from screencapture.v1 import screen_capture_pb2 as capture_pb2
from screencapture.v1 import screen_capture_pb2_grpc as capture_pb2_grpc

# A GetNextFrame reply is at most height * stride bytes of pixels and this many more for its
# other fields (ConfigureRequest.max_receive_message_length in the .proto).
REPLY_FIELDS_ROOM = 1024


def parse_size(text):
    try:
        width, height = (int(side) for side in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1920x1080, got {text!r}")
    if not (1 <= width <= 8192 and 1 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"each side must be from 1 to 8192, got {text!r}")
    return width, height


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="127.0.0.1:50051", help="HOST:PORT of the server (default %(default)s)")
    parser.add_argument("--size", type=parse_size, default=(1920, 1080), help="image size WIDTHxHEIGHT (default 1920x1080)")
    parser.add_argument("--out", default="frame.png", help="the PNG file to write (default %(default)s)")
    parser.add_argument("--frames", type=int, default=1, help="take this many frames, each waiting for a new one, and write the last (default 1)")
    parser.add_argument("--transport", choices=("inline", "shared-memory"), default="inline",
                        help="inline: pixels in the reply, works anywhere; shared-memory: in a /dev/shm file, server on this machine (default inline)")
    parser.add_argument("--inline-encoding", choices=("full", "damage-rects"), default="full",
                        help="with inline: full: each reply carries the whole image; damage-rects: only the rectangles changed "
                             "since the frame last taken in the same buffer, deflated, applied to this program's copy (default full)")
    parser.add_argument("--max-receive-bytes", type=int,
                        help="the channel's receive limit (default: what one frame of --size needs)")
    parser.add_argument("--token", default=os.environ.get("SCREENCAP_TOKEN"), help="bearer token, when the server has one (default $SCREENCAP_TOKEN)")
    args = parser.parse_args()
    if args.frames < 1:
        parser.error("--frames: must be at least 1")
    if args.max_receive_bytes is not None and not 1 <= args.max_receive_bytes <= 0xFFFFFFFF:
        parser.error("--max-receive-bytes: must be from 1 to 4294967295")
    return args


class SharedMemoryFile:
    """The client's own buffers for SHARED_MEMORY: a private file in /dev/shm that the server
    writes frames into. Unlinked once the server has opened it, so a crash leaves nothing."""

    def __init__(self, buffer_size, buffer_count):
        self.buffer_size = buffer_size
        self.path = f"/dev/shm/screencap-{secrets.token_hex(16)}"
        # Mode 0600, a new regular file: the server refuses anything else (docs/api.md).
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.ftruncate(self.fd, buffer_size * buffer_count)

    def unlink(self):
        os.unlink(self.path)

    def read(self, offset, length):
        return os.pread(self.fd, length, offset)

    def close(self):
        os.close(self.fd)


def apply_rects(copy, stride, update):
    """Brings this program's copy of a buffer up to the frame of a damage-rects reply (docs/api.md,
    INLINE damage rects): each rect's rows, packed one after another in update.data."""
    data = zlib.decompress(update.data) if update.compression == capture_pb2.INLINE_COMPRESSION_DEFLATE else update.data
    if len(data) != update.uncompressed_size:
        raise RuntimeError(f"rect_update: {len(data)} bytes of rects, not uncompressed_size {update.uncompressed_size}")
    at = 0
    for rect in update.rects:
        row_bytes = rect.width * 4
        for y in range(rect.y, rect.y + rect.height):
            start = y * stride + rect.x * 4
            copy[start:start + row_bytes] = data[at:at + row_bytes]
            at += row_bytes


def grab(args):
    width, height = args.size
    # gRPC refuses a reply larger than the channel's receive limit, and that limit is 4 MiB by
    # default (in Python as in every other gRPC library): less than one 1080p RGBA frame (8.3 MB).
    # So set it to what a frame needs, and tell Configure the same number: a size whose frames
    # cannot arrive is then refused at once with what to do, not on every frame.
    receive_limit = args.max_receive_bytes or width * 4 * height + REPLY_FIELDS_ROOM
    channel = grpc.insecure_channel(args.server, options=[("grpc.max_receive_message_length", receive_limit)])
    capture = capture_pb2_grpc.ScreenCaptureStub(channel)
    allocator = allocator_pb2_grpc.AllocatorStub(channel)
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else None

    session_id = capture.OpenSession(capture_pb2.OpenSessionRequest(client_name="python example"), metadata=metadata, timeout=10).session_id
    shared_memory = None
    try:
        if args.transport == "shared-memory":
            shared_memory = SharedMemoryFile(width * 4 * height, buffer_count=1)
            try:
                import_token = allocator.RegisterBufferCollection(allocator_pb2.RegisterBufferCollectionRequest(
                    session_id=session_id, buffer_count=1, transport=allocator_pb2.BUFFER_TRANSPORT_SHARED_MEMORY,
                    shared_memory=allocator_pb2.SharedMemoryBuffers(path=shared_memory.path, buffer_size=shared_memory.buffer_size),
                ), metadata=metadata, timeout=10).import_token
            finally:
                shared_memory.unlink()  # the server has it open now, or never will
        else:
            import_token = allocator.RegisterBufferCollection(allocator_pb2.RegisterBufferCollectionRequest(
                session_id=session_id, buffer_count=1, transport=allocator_pb2.BUFFER_TRANSPORT_INLINE,
            ), metadata=metadata, timeout=10).import_token

        rects = args.transport == "inline" and args.inline_encoding == "damage-rects"
        encoding = dict(inline_encoding=capture_pb2.INLINE_ENCODING_DAMAGE_RECTS, inline_compression=capture_pb2.INLINE_COMPRESSION_DEFLATE) if rects else {}
        capture.Configure(capture_pb2.ConfigureRequest(
            session_id=session_id,
            import_token=import_token,
            image_size=common_pb2.Size(width=width, height=height),
            pixel_format=capture_pb2.PIXEL_FORMAT_RGBA8,
            max_receive_message_length=receive_limit,
            **encoding,
        ), metadata=metadata, timeout=10)
        # damage-rects: this program's copy of its one buffer (the rects of each reply apply to it).
        copy = bytearray(width * 4 * height) if rects else None

        for _ in range(args.frames):
            # The hanging get: the first call answers at once with the latest frame, each later
            # one when the screen next changes. No timeout: a still screen makes it wait.
            frame = capture.GetNextFrame(capture_pb2.GetNextFrameRequest(session_id=session_id), metadata=metadata)
            size = frame.stride * frame.image_size.height
            if frame.HasField("rect_update"):
                apply_rects(copy, frame.stride, frame.rect_update)
                pixels = bytes(copy)
            else:
                pixels = shared_memory.read(frame.buffer_offset, size) if shared_memory else frame.pixels
            image = Image.frombuffer("RGBA", (frame.image_size.width, frame.image_size.height), pixels, "raw", "RGBA", frame.stride, 1)
            # With one buffer, the next frame waits until this one is given back.
            capture.ReleaseFrame(capture_pb2.ReleaseFrameRequest(session_id=session_id, release_token=frame.release_token), metadata=metadata, timeout=10)

        image.save(args.out, format="PNG")
        print(f"{args.out}: {frame.image_size.width}x{frame.image_size.height}, frame {frame.frame_number}")
        allocator.ReleaseBufferCollection(allocator_pb2.ReleaseBufferCollectionRequest(session_id=session_id, import_token=import_token), metadata=metadata, timeout=10)
    finally:
        capture.CloseSession(capture_pb2.CloseSessionRequest(session_id=session_id), metadata=metadata, timeout=10)
        if shared_memory:
            shared_memory.close()
        channel.close()


def main():
    args = parse_args()
    try:
        grab(args)
    except grpc.RpcError as error:
        # The server's errors say what is wrong and how to fix it ("INVALID_ARGS: image_size: ...").
        print(f"grab_frame.py: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
