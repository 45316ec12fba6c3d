/**
 * FrameInfo on the wire without copying its pixels more than the transport must. The generated
 * codec copies a bytes field on each side (encode into a growing writer, finish(), Buffer.from;
 * decode then Buffer.from again), which for an 8.3 MB frame costs more than the socket does.
 *
 * Protobuf lets fields come in any order and parsers must accept that, so the server sends the
 * pixels field first, encoded once per frame and target however many clients get it, followed
 * by each client's small metadata; and the client keeps the pixels as a view of the message it
 * received. Any protobuf parser reads these messages as plain FrameInfo.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FrameInfo } from '../gen/screencapture/v1/screen_capture.pb';

/** FrameInfo.pixels. */
const PIXELS_FIELD = 10;
/**
 * Room left after the encoded pixels for a reply's metadata (tokens, times, a few damage
 * rectangles: typically under 200 bytes), so that the reply is built in place.
 */
export const METADATA_ROOM = 4096;
const EMPTY = Buffer.alloc(0);

/** Bytes needed for the pixels field of `pixelBytes` of pixels and the room after it (writePixelsFieldHeader). */
export function encodedPixelsSize(pixelBytes: number): number {
  return pixelsFieldHeader(pixelBytes).length + pixelBytes + METADATA_ROOM;
}

function pixelsFieldHeader(pixelBytes: number): Uint8Array {
  return new BinaryWriter().tag(PIXELS_FIELD, WireType.LengthDelimited).uint32(pixelBytes).finish();
}

/**
 * Writes the pixels field's tag and length for `pixelBytes` of pixels at the start of `into`,
 * which must hold encodedPixelsSize(pixelBytes) bytes; returns where the pixels go. The caller
 * writes them there (the field is then header + pixelBytes long); the rest of `into` is the room
 * frameInfoWithPixels() builds replies in.
 */
export function writePixelsFieldHeader(pixelBytes: number, into: Buffer): number {
  const header = pixelsFieldHeader(pixelBytes);
  into.set(header, 0);
  return header.length;
}

/**
 * A FrameInfo message: `encoded` (the pixels field, `fieldLength` bytes, with room after
 * it) followed by `info` without its pixels. The result is a view of `encoded` when the metadata
 * fits its room, and is valid until the next call with the same buffer: the caller hands it to a
 * transport that copies it at once (grpc-js frames every message into a buffer of its own).
 */
export function frameInfoWithPixels(encoded: Buffer, fieldLength: number, info: FrameInfo): Buffer {
  const metadata = FrameInfo.encode({ ...info, pixels: EMPTY }).finish();
  if (fieldLength + metadata.length <= encoded.length) {
    encoded.set(metadata, fieldLength);
    return encoded.subarray(0, fieldLength + metadata.length);
  }
  return Buffer.concat([encoded.subarray(0, fieldLength), metadata]);
}

/**
 * Decodes a FrameInfo whose pixels are a view of `message` rather than a copy. Everything else
 * goes through the generated decoder.
 */
export function decodeFrameInfo(message: Buffer): FrameInfo {
  const reader = new BinaryReader(message);
  const rest: Uint8Array[] = [];
  let restStart = 0;
  let pixels: Buffer = EMPTY;
  while (reader.pos < reader.len) {
    const fieldStart = reader.pos;
    const [field, wireType] = reader.tag();
    if (field === PIXELS_FIELD && wireType === WireType.LengthDelimited) {
      const bytes = reader.bytes();
      // The last occurrence wins, as protobuf says for a repeated scalar field on the wire. A
      // small message may sit in Node's shared buffer pool next to unrelated data, where a
      // caller writing into its pixels would reach that data: copy those, as the generated
      // decoder does. Large messages have their own memory.
      pixels = bytes.length < Buffer.poolSize ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      rest.push(message.subarray(restStart, fieldStart));
      restStart = reader.pos;
    } else {
      reader.skip(wireType, field);
    }
  }
  rest.push(message.subarray(restStart));
  const info = FrameInfo.decode(rest.length === 1 ? rest[0]! : Buffer.concat(rest));
  info.pixels = pixels;
  return info;
}
