import { DataStream, type Box } from 'mp4box';

/**
 * The one place where boxes become bytes. Everything is written with mp4box's DataStream
 * (big-endian, grows as needed): mp4box's own box writers where it has them, and the same stream
 * API for the few boxes it can only parse.
 */

/** Runs `write` against a fresh stream and returns exactly the bytes it wrote. */
export function serialise(write: (stream: DataStream) => void): Uint8Array {
  const stream = new DataStream();
  write(stream);
  return new Uint8Array(stream.buffer);
}

/** Serialises mp4box boxes, in order, with mp4box's writers. */
export function serialiseBoxes(boxes: readonly Box[]): Uint8Array {
  return serialise((stream) => {
    for (const box of boxes) box.write(stream);
  });
}
