import { CursorFlag } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import { ByteReader } from '../wire/reader';

/** SpiceCursorHeader: what a shape is, and which of its pixels sits at the pointer position. */
export interface CursorHeader {
  /** The server's id for the shape; the cache key. 0 when the server does not cache it. */
  unique: bigint;
  type: number;
  width: number;
  height: number;
  hotX: number;
  hotY: number;
}

/** SpiceCursor as sent: no cursor (NONE), a reference to a cached one, or a shape with its data. */
export type WireCursor =
  | { kind: 'none' }
  | { kind: 'cached'; unique: bigint }
  | { kind: 'shape'; header: CursorHeader; cacheMe: boolean; data: Buffer };

export interface CursorInit {
  x: number;
  y: number;
  trailLength: number;
  trailFrequency: number;
  visible: boolean;
  cursor: WireCursor;
}

export interface CursorSet {
  x: number;
  y: number;
  visible: boolean;
  cursor: WireCursor;
}

/**
 * SpiceCursor: flags (u16); unless NONE, the header; then the shape data, which runs to the end
 * of the message (spice.proto's `data[] @as_ptr(data_size)` with no size field on the wire).
 */
function readCursor(r: ByteReader): WireCursor {
  const flags = r.u16('cursor.flags');
  if (flags & ~(CursorFlag.NONE | CursorFlag.CACHE_ME | CursorFlag.FROM_CACHE)) {
    throw new SpiceProtocolError(`${r.context}: cursor.flags 0x${flags.toString(16)} has unknown bits`);
  }
  if (flags & CursorFlag.NONE) return { kind: 'none' };
  const header: CursorHeader = {
    unique: r.u64('cursor.header.unique'),
    type: r.u8('cursor.header.type'),
    width: r.u16('cursor.header.width'),
    height: r.u16('cursor.header.height'),
    hotX: r.u16('cursor.header.hot_spot_x'),
    hotY: r.u16('cursor.header.hot_spot_y'),
  };
  if (flags & CursorFlag.FROM_CACHE) return { kind: 'cached', unique: header.unique };
  const data = r.bytes(r.remaining, 'cursor.data');
  return { kind: 'shape', header, cacheMe: (flags & CursorFlag.CACHE_ME) !== 0, data };
}

export function parseCursorInit(body: Buffer): CursorInit {
  const r = new ByteReader(body, 0, 'CURSOR_INIT');
  const x = r.i16('position.x');
  const y = r.i16('position.y');
  const trailLength = r.u16('trail_length');
  const trailFrequency = r.u16('trail_frequency');
  const visible = r.u8('visible') !== 0;
  return { x, y, trailLength, trailFrequency, visible, cursor: readCursor(r) };
}

export function parseCursorSet(body: Buffer): CursorSet {
  const r = new ByteReader(body, 0, 'CURSOR_SET');
  const x = r.i16('position.x');
  const y = r.i16('position.y');
  const visible = r.u8('visible') !== 0;
  return { x, y, visible, cursor: readCursor(r) };
}

/** CURSOR_MOVE's position, read in place: called for every pointer motion, it builds no reader. */
export function cursorMoveX(body: Buffer): number {
  if (body.length < 4) throw new SpiceProtocolError(`CURSOR_MOVE: truncated at position: needs 4 bytes, body has ${body.length}`);
  return body.readInt16LE(0);
}
export function cursorMoveY(body: Buffer): number {
  return body.readInt16LE(2);
}

export function parseCursorTrail(body: Buffer): { length: number; frequency: number } {
  const r = new ByteReader(body, 0, 'CURSOR_TRAIL');
  return { length: r.u16('length'), frequency: r.u16('frequency') };
}

export function parseCursorInvalOne(body: Buffer): bigint {
  return new ByteReader(body, 0, 'CURSOR_INVAL_ONE').u64('id');
}
