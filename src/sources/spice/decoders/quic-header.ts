import { SpiceProtocolError } from '../wire/errors';
import { checkDimensions } from './decoded-image';

/** QUIC image types (spice-common quic.h). */
export const QuicImageType = { INVALID: 0, GRAY: 1, RGB16: 2, RGB24: 3, RGB32: 4, RGBA: 5 } as const;

const QUIC_MAGIC = 0x43495551; // "QUIC"
/** Five little-endian 32-bit words: magic, version, type, width, height. */
export const QUIC_HEADER_BYTES = 20;

export interface QuicHeader {
  type: number;
  width: number;
  height: number;
}

/**
 * Reads and checks a QUIC image's header, so that both decoders (JavaScript and native) refuse
 * the same images with the same messages before any pixels are allocated.
 */
export function readQuicHeader(data: Uint8Array, expected?: { width: number; height: number }): QuicHeader {
  if (data.length < QUIC_HEADER_BYTES) throw new SpiceProtocolError(`QUIC: ${data.length} bytes cannot hold a header`);
  const view = new DataView(data.buffer, data.byteOffset, QUIC_HEADER_BYTES);
  const magic = view.getUint32(0, true);
  if (magic !== QUIC_MAGIC) throw new SpiceProtocolError(`QUIC: bad magic 0x${magic.toString(16)}`);
  const version = view.getUint32(4, true);
  if (version !== 0) throw new SpiceProtocolError(`QUIC: unsupported version 0x${version.toString(16)}`);
  const type = view.getUint32(8, true);
  const width = view.getUint32(12, true);
  const height = view.getUint32(16, true);
  checkDimensions(width, height, 'QUIC', expected);
  if (type < QuicImageType.GRAY || type > QuicImageType.RGBA) {
    throw new SpiceProtocolError(`QUIC: image type ${type} is not a QUIC image type`);
  }
  return { type, width, height };
}
