import { createFile, MP4BoxBuffer, type ISOFile } from 'mp4box';

/** Reading our files back: a plain top-level box walk, and mp4box's parser for the details. */

export interface TopLevelBox {
  type: string;
  offset: number;
  size: number;
}

/** The top-level boxes of a file (32-bit sizes only, which is all the writer produces). */
export function topLevelBoxes(bytes: Uint8Array): TopLevelBox[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: TopLevelBox[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const size = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    if (size < 8) throw new Error(`Box ${type} at ${offset} has size ${size}.`);
    boxes.push({ type, offset, size });
    offset += size;
  }
  return boxes;
}

/** The whole file parsed by mp4box. */
export function parseMp4(bytes: Uint8Array): ISOFile {
  const file = createFile();
  const copy = bytes.slice().buffer;
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy, 0), true);
  file.flush();
  return file;
}
