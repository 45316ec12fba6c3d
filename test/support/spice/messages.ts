/**
 * Builders for server display messages, for tests that drive a display channel with exact,
 * hand-made input (spice.proto layouts; pointers are body offsets).
 */

export type RectTuple = [left: number, top: number, right: number, bottom: number];

/** A little-endian byte writer that can patch pointer fields once their target is placed. */
export class BodyWriter {
  private parts: Buffer[] = [];
  private size = 0;

  get offset(): number {
    return this.size;
  }
  bytes(b: Buffer | number[]): this {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
    this.parts.push(buf);
    this.size += buf.length;
    return this;
  }
  u8(v: number): this {
    return this.bytes([v & 255]);
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.bytes(b);
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.bytes(b);
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.bytes(b);
  }
  rect([left, top, right, bottom]: RectTuple): this {
    return this.i32(top).i32(left).i32(bottom).i32(right);
  }
  /** Reserves a u32 pointer; returns a function that points it at the current end. */
  pointer(): () => void {
    const at = this.size;
    this.u32(0);
    return () => this.toBuffer().writeUInt32LE(this.size, at);
  }
  toBuffer(): Buffer {
    if (this.parts.length !== 1) {
      const joined = Buffer.concat(this.parts);
      this.parts = [joined];
    }
    return this.parts[0];
  }
}

export function base(w: BodyWriter, surfaceId: number, box: RectTuple, clip?: RectTuple[]): void {
  w.u32(surfaceId).rect(box);
  if (!clip) w.u8(0);
  else {
    w.u8(1).u32(clip.length);
    for (const r of clip) w.rect(r);
  }
}

/** A 32-bit top-down BITMAP image (pixels 0xAARRGGBB) written at the current offset. */
export function bitmapImage(w: BodyWriter, width: number, height: number, pixels: number[], id = 1n, format = 8): void {
  w.u64(id).u8(0).u8(0).u32(width).u32(height);
  w.u8(format)
    .u8(4 /* TOP_DOWN */)
    .u32(width)
    .u32(height)
    .u32(width * 4)
    .u32(0);
  for (const p of pixels) w.u32(p);
}

/** 1-bit rows, most significant bit first, each padded to a byte; rows given as strings of 0/1. */
export function packBits(rows: string[]): Buffer {
  const width = rows[0].length;
  const stride = (width + 7) >> 3;
  const out = Buffer.alloc(stride * rows.length);
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x++) if (row[x] === '1') out[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
  });
  return out;
}

/** A palette-less 1-bit big-endian BITMAP (a mask), rows given as strings of 0/1. */
export function maskImage(w: BodyWriter, rows: string[]): void {
  const width = rows[0].length;
  const stride = (width + 7) >> 3;
  w.u64(99n).u8(0).u8(0).u32(width).u32(rows.length);
  w.u8(2 /* 1BIT_BE */).u8(4).u32(width).u32(rows.length).u32(stride).u32(0);
  w.bytes(packBits(rows));
}

export function surfaceCreate(id: number, width: number, height: number, primary = true, format = 32): Buffer {
  return new BodyWriter()
    .u32(id)
    .u32(width)
    .u32(height)
    .u32(format)
    .u32(primary ? 1 : 0)
    .toBuffer();
}

/** DRAW_FILL with a solid brush, optionally masked. */
export function drawFill(
  box: RectTuple,
  color: number,
  rop: number,
  options: { clip?: RectTuple[]; mask?: { rows: string[]; invert?: boolean; pos?: [number, number] } } = {},
): Buffer {
  const w = new BodyWriter();
  base(w, 0, box, options.clip);
  w.u8(1).u32(color).u16(rop);
  w.u8(options.mask?.invert ? 1 : 0)
    .i32(options.mask?.pos?.[0] ?? 0)
    .i32(options.mask?.pos?.[1] ?? 0);
  if (options.mask) {
    const place = w.pointer();
    place();
    maskImage(w, options.mask.rows);
  } else w.u32(0);
  return w.toBuffer();
}

/** DRAW_COPY (or DRAW_BLEND) of a 32-bit bitmap. */
export function drawCopy(box: RectTuple, src: { width: number; height: number; pixels: number[] }, srcArea: RectTuple, rop = 8): Buffer {
  const w = new BodyWriter();
  base(w, 0, box);
  const place = w.pointer();
  w.rect(srcArea).u16(rop).u8(0);
  w.u8(0).i32(0).i32(0).u32(0);
  place();
  bitmapImage(w, src.width, src.height, src.pixels);
  return w.toBuffer();
}

export function copyBits(box: RectTuple, srcX: number, srcY: number): Buffer {
  const w = new BodyWriter();
  base(w, 0, box);
  return w.i32(srcX).i32(srcY).toBuffer();
}

export function drawTransparent(box: RectTuple, src: { width: number; height: number; pixels: number[] }, key: number): Buffer {
  const w = new BodyWriter();
  base(w, 0, box);
  const place = w.pointer();
  w.rect([0, 0, src.width, src.height]).u32(key).u32(key);
  place();
  bitmapImage(w, src.width, src.height, src.pixels);
  return w.toBuffer();
}

export function drawAlphaBlend(
  box: RectTuple,
  src: { width: number; height: number; pixels: number[] },
  alpha: number,
  flags: number,
): Buffer {
  const w = new BodyWriter();
  base(w, 0, box);
  w.u8(flags).u8(alpha);
  const place = w.pointer();
  w.rect([0, 0, src.width, src.height]);
  place();
  bitmapImage(w, src.width, src.height, src.pixels, 7n, 9 /* RGBA */);
  return w.toBuffer();
}

/** `codec`: SPICE_VIDEO_CODEC_TYPE (1 MJPEG, 2 VP8, 3 H.264). */
export function streamCreate(
  id: number,
  dest: RectTuple,
  width: number,
  height: number,
  topDown: boolean,
  clip?: RectTuple[],
  codec = 1,
): Buffer {
  const w = new BodyWriter();
  w.u32(0)
    .u32(id)
    .u8(topDown ? 1 : 0)
    .u8(codec)
    .u64(0n)
    .u32(width)
    .u32(height)
    .u32(width)
    .u32(height)
    .rect(dest);
  if (!clip) w.u8(0);
  else {
    w.u8(1).u32(clip.length);
    for (const r of clip) w.rect(r);
  }
  return w.toBuffer();
}

export function streamData(id: number, frame: Buffer): Buffer {
  return new BodyWriter().u32(id).u32(0).u32(frame.length).bytes(frame).toBuffer();
}

/** A SpiceCursor: no cursor, a reference to a cached one, or a shape with its data. */
export type CursorSpec =
  | 'none'
  | { fromCache: bigint }
  | {
      type: number;
      width: number;
      height: number;
      hotX?: number;
      hotY?: number;
      unique?: bigint;
      cacheMe?: boolean;
      data: Buffer;
      flags?: number;
    };

function cursor(w: BodyWriter, spec: CursorSpec): void {
  if (spec === 'none') {
    w.u16(1 /* NONE */);
    return;
  }
  if ('fromCache' in spec) {
    w.u16(4 /* FROM_CACHE */).u64(spec.fromCache).u8(0).u16(0).u16(0).u16(0).u16(0);
    return;
  }
  w.u16(spec.flags ?? (spec.cacheMe ? 2 /* CACHE_ME */ : 0));
  w.u64(spec.unique ?? 0n)
    .u8(spec.type)
    .u16(spec.width)
    .u16(spec.height)
    .u16(spec.hotX ?? 0)
    .u16(spec.hotY ?? 0);
  w.bytes(spec.data);
}

export function cursorInit(x: number, y: number, visible: boolean, spec: CursorSpec): Buffer {
  const w = new BodyWriter();
  w.u16(x & 0xffff)
    .u16(y & 0xffff)
    .u16(0)
    .u16(0)
    .u8(visible ? 1 : 0);
  cursor(w, spec);
  return w.toBuffer();
}

export function cursorSet(x: number, y: number, visible: boolean, spec: CursorSpec): Buffer {
  const w = new BodyWriter();
  w.u16(x & 0xffff)
    .u16(y & 0xffff)
    .u8(visible ? 1 : 0);
  cursor(w, spec);
  return w.toBuffer();
}

export function cursorMove(x: number, y: number): Buffer {
  return new BodyWriter()
    .u16(x & 0xffff)
    .u16(y & 0xffff)
    .toBuffer();
}

export function cursorInvalOne(id: bigint): Buffer {
  return new BodyWriter().u64(id).toBuffer();
}

/** Little-endian 32-bit words, for cursor pixels and palettes. */
export function words(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32LE(v >>> 0, i * 4));
  return out;
}
