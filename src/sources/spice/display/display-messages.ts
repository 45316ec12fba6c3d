import { BrushType, ClipType } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import { ByteReader } from '../wire/reader';
import { parseImage, type ImageDescriptor } from './image-descriptor';

/** SpiceRect: edges in surface pixels, right and bottom exclusive. */
export interface SpiceRect {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Clip rectangles, or undefined for "no clip" (the whole box). */
export type Clip = SpiceRect[] | undefined;

export interface DisplayBase {
  surfaceId: number;
  box: SpiceRect;
  clip: Clip;
}

export type Brush = { type: 'none' } | { type: 'solid'; color: number } | { type: 'pattern'; image: ImageDescriptor; pos: Point };

export interface QMask {
  flags: number;
  pos: Point;
  image: ImageDescriptor | undefined;
}

/** Caps the clip rectangle count so that a lying count cannot make us loop for minutes. */
const MAX_CLIP_RECTS = 100_000;

function readRect(r: ByteReader, field: string): SpiceRect {
  const top = r.i32(`${field}.top`);
  const left = r.i32(`${field}.left`);
  const bottom = r.i32(`${field}.bottom`);
  const right = r.i32(`${field}.right`);
  return { top, left, bottom, right };
}

function readPoint(r: ByteReader, field: string): Point {
  const x = r.i32(`${field}.x`);
  const y = r.i32(`${field}.y`);
  return { x, y };
}

function readClip(r: ByteReader, field: string): Clip {
  const type = r.u8(`${field}.type`);
  if (type === ClipType.NONE) return undefined;
  if (type !== ClipType.RECTS) throw new SpiceProtocolError(`${r.context}: ${field}.type ${type} is neither NONE nor RECTS`);
  const count = r.u32(`${field}.num_rects`);
  if (count > MAX_CLIP_RECTS) throw new SpiceProtocolError(`${r.context}: ${field}.num_rects ${count} exceeds ${MAX_CLIP_RECTS}`);
  r.need(count * 16, `${field}.rects`);
  const rects: SpiceRect[] = [];
  for (let i = 0; i < count; i++) rects.push(readRect(r, `${field}.rects[${i}]`));
  return rects;
}

function readBase(r: ByteReader): DisplayBase {
  const surfaceId = r.u32('base.surface_id');
  const box = readRect(r, 'base.box');
  const clip = readClip(r, 'base.clip');
  return { surfaceId, box, clip };
}

function readImagePointer(r: ByteReader, field: string): ImageDescriptor | undefined {
  const offset = r.u32(field);
  return offset === 0 ? undefined : parseImage(r, offset, field);
}

function readBrush(r: ByteReader, field: string): Brush {
  const type = r.u8(`${field}.type`);
  if (type === BrushType.NONE) return { type: 'none' };
  if (type === BrushType.SOLID) return { type: 'solid', color: r.u32(`${field}.color`) };
  if (type === BrushType.PATTERN) {
    const image = readImagePointer(r, `${field}.pattern.pat`);
    const pos = readPoint(r, `${field}.pattern.pos`);
    if (!image) throw new SpiceProtocolError(`${r.context}: ${field}.pattern.pat is null`);
    return { type: 'pattern', image, pos };
  }
  throw new SpiceProtocolError(`${r.context}: ${field}.type ${type} is not a brush type`);
}

function readMask(r: ByteReader, field: string): QMask {
  const flags = r.u8(`${field}.flags`);
  const pos = readPoint(r, `${field}.pos`);
  const image = readImagePointer(r, `${field}.bitmap`);
  return { flags, pos, image };
}

export interface SurfaceCreate {
  surfaceId: number;
  width: number;
  height: number;
  format: number;
  flags: number;
}
export function parseSurfaceCreate(body: Buffer): SurfaceCreate {
  const r = new ByteReader(body, 0, 'SURFACE_CREATE');
  return {
    surfaceId: r.u32('surface_id'),
    width: r.u32('width'),
    height: r.u32('height'),
    format: r.u32('format'),
    flags: r.u32('flags'),
  };
}

export function parseSurfaceDestroy(body: Buffer): number {
  return new ByteReader(body, 0, 'SURFACE_DESTROY').u32('surface_id');
}

export interface DrawFill {
  base: DisplayBase;
  brush: Brush;
  rop: number;
  mask: QMask;
}
export function parseDrawFill(body: Buffer): DrawFill {
  const r = new ByteReader(body, 0, 'DRAW_FILL');
  const base = readBase(r);
  const brush = readBrush(r, 'brush');
  const rop = r.u16('rop_descriptor');
  const mask = readMask(r, 'mask');
  return { base, brush, rop, mask };
}

/** DRAW_COPY and DRAW_BLEND share a layout (SpiceCopy). */
export interface DrawCopy {
  base: DisplayBase;
  src: ImageDescriptor | undefined;
  srcArea: SpiceRect;
  rop: number;
  scaleMode: number;
  mask: QMask;
}
export function parseDrawCopy(body: Buffer, name: string): DrawCopy {
  const r = new ByteReader(body, 0, name);
  const base = readBase(r);
  const src = readImagePointer(r, 'src_bitmap');
  const srcArea = readRect(r, 'src_area');
  const rop = r.u16('rop_descriptor');
  const scaleMode = r.u8('scale_mode');
  const mask = readMask(r, 'mask');
  return { base, src, srcArea, rop, scaleMode, mask };
}

export interface DrawOpaque extends DrawCopy {
  brush: Brush;
}
export function parseDrawOpaque(body: Buffer): DrawOpaque {
  const r = new ByteReader(body, 0, 'DRAW_OPAQUE');
  const base = readBase(r);
  const src = readImagePointer(r, 'src_bitmap');
  const srcArea = readRect(r, 'src_area');
  const brush = readBrush(r, 'brush');
  const rop = r.u16('rop_descriptor');
  const scaleMode = r.u8('scale_mode');
  const mask = readMask(r, 'mask');
  return { base, src, srcArea, brush, rop, scaleMode, mask };
}

export interface DrawRop3 {
  base: DisplayBase;
  src: ImageDescriptor | undefined;
  srcArea: SpiceRect;
  brush: Brush;
  rop3: number;
  scaleMode: number;
  mask: QMask;
}
export function parseDrawRop3(body: Buffer): DrawRop3 {
  const r = new ByteReader(body, 0, 'DRAW_ROP3');
  const base = readBase(r);
  const src = readImagePointer(r, 'src_bitmap');
  const srcArea = readRect(r, 'src_area');
  const brush = readBrush(r, 'brush');
  const rop3 = r.u8('rop3');
  const scaleMode = r.u8('scale_mode');
  const mask = readMask(r, 'mask');
  return { base, src, srcArea, brush, rop3, scaleMode, mask };
}

/** DRAW_BLACKNESS, DRAW_WHITENESS, DRAW_INVERS: a box and a mask. */
export interface DrawMaskOnly {
  base: DisplayBase;
  mask: QMask;
}
export function parseDrawMaskOnly(body: Buffer, name: string): DrawMaskOnly {
  const r = new ByteReader(body, 0, name);
  const base = readBase(r);
  return { base, mask: readMask(r, 'mask') };
}

export interface DrawTransparent {
  base: DisplayBase;
  src: ImageDescriptor | undefined;
  srcArea: SpiceRect;
  srcColor: number;
  trueColor: number;
}
export function parseDrawTransparent(body: Buffer): DrawTransparent {
  const r = new ByteReader(body, 0, 'DRAW_TRANSPARENT');
  const base = readBase(r);
  const src = readImagePointer(r, 'src_bitmap');
  const srcArea = readRect(r, 'src_area');
  const srcColor = r.u32('src_color');
  const trueColor = r.u32('true_color');
  return { base, src, srcArea, srcColor, trueColor };
}

export interface DrawAlphaBlend {
  base: DisplayBase;
  alphaFlags: number;
  alpha: number;
  src: ImageDescriptor | undefined;
  srcArea: SpiceRect;
}
export function parseDrawAlphaBlend(body: Buffer): DrawAlphaBlend {
  const r = new ByteReader(body, 0, 'DRAW_ALPHA_BLEND');
  const base = readBase(r);
  const alphaFlags = r.u8('alpha_flags');
  const alpha = r.u8('alpha');
  const src = readImagePointer(r, 'src_bitmap');
  const srcArea = readRect(r, 'src_area');
  return { base, alphaFlags, alpha, src, srcArea };
}

export interface CopyBits {
  base: DisplayBase;
  srcPos: Point;
}
export function parseCopyBits(body: Buffer): CopyBits {
  const r = new ByteReader(body, 0, 'COPY_BITS');
  const base = readBase(r);
  return { base, srcPos: readPoint(r, 'src_pos') };
}

export interface ResourceId {
  type: number;
  id: bigint;
}
export function parseInvalList(body: Buffer): ResourceId[] {
  const r = new ByteReader(body, 0, 'INVAL_LIST');
  const count = r.u16('count');
  r.need(count * 9, 'resources');
  const out: ResourceId[] = [];
  for (let i = 0; i < count; i++) out.push({ type: r.u8(`resources[${i}].type`), id: r.u64(`resources[${i}].id`) });
  return out;
}

export function parseInvalPalette(body: Buffer): bigint {
  return new ByteReader(body, 0, 'INVAL_PALETTE').u64('id');
}

export interface StreamCreate {
  surfaceId: number;
  id: number;
  flags: number;
  codec: number;
  streamWidth: number;
  streamHeight: number;
  srcWidth: number;
  srcHeight: number;
  dest: SpiceRect;
  clip: Clip;
}
export function parseStreamCreate(body: Buffer): StreamCreate {
  const r = new ByteReader(body, 0, 'STREAM_CREATE');
  const surfaceId = r.u32('surface_id');
  const id = r.u32('id');
  const flags = r.u8('flags');
  const codec = r.u8('codec_type');
  r.u64('stamp');
  const streamWidth = r.u32('stream_width');
  const streamHeight = r.u32('stream_height');
  const srcWidth = r.u32('src_width');
  const srcHeight = r.u32('src_height');
  const dest = readRect(r, 'dest');
  const clip = readClip(r, 'clip');
  return { surfaceId, id, flags, codec, streamWidth, streamHeight, srcWidth, srcHeight, dest, clip };
}

export interface StreamData {
  id: number;
  /** Present for STREAM_DATA_SIZED: this frame's size and destination. */
  sized?: { width: number; height: number; dest: SpiceRect };
  data: Buffer;
}
export function parseStreamData(body: Buffer, sized: boolean): StreamData {
  const r = new ByteReader(body, 0, sized ? 'STREAM_DATA_SIZED' : 'STREAM_DATA');
  const id = r.u32('base.id');
  r.u32('base.multi_media_time');
  let frame: StreamData['sized'];
  if (sized) {
    const width = r.u32('width');
    const height = r.u32('height');
    frame = { width, height, dest: readRect(r, 'dest') };
  }
  const size = r.u32('data_size');
  return { id, sized: frame, data: r.bytes(size, 'data') };
}

export function parseStreamClip(body: Buffer): { id: number; clip: Clip } {
  const r = new ByteReader(body, 0, 'STREAM_CLIP');
  const id = r.u32('id');
  return { id, clip: readClip(r, 'clip') };
}

export function parseStreamDestroy(body: Buffer): number {
  return new ByteReader(body, 0, 'STREAM_DESTROY').u32('id');
}

export interface MonitorHead {
  id: number;
  surfaceId: number;
  width: number;
  height: number;
  x: number;
  y: number;
}
export function parseMonitorsConfig(body: Buffer): MonitorHead[] {
  const r = new ByteReader(body, 0, 'MONITORS_CONFIG');
  const count = r.u16('count');
  r.u16('max_allowed');
  r.need(count * 28, 'heads');
  const heads: MonitorHead[] = [];
  for (let i = 0; i < count; i++) {
    const id = r.u32(`heads[${i}].id`);
    const surfaceId = r.u32(`heads[${i}].surface_id`);
    const width = r.u32(`heads[${i}].width`);
    const height = r.u32(`heads[${i}].height`);
    const x = r.u32(`heads[${i}].x`);
    const y = r.u32(`heads[${i}].y`);
    r.u32(`heads[${i}].flags`);
    heads.push({ id, surfaceId, width, height, x, y });
  }
  return heads;
}

/** DISPLAY_INIT (client): pixmap cache id and size in pixels, GLZ dictionary id and window in pixels. */
export function buildDisplayInit(cacheId: number, cacheSizePixels: number, glzDictId: number, glzWindowPixels: number): Buffer {
  const body = Buffer.alloc(14);
  body.writeUInt8(cacheId, 0);
  body.writeBigInt64LE(BigInt(cacheSizePixels), 1);
  body.writeUInt8(glzDictId, 9);
  body.writeInt32LE(glzWindowPixels, 10);
  return body;
}

export function buildPreferredCompression(value: number): Buffer {
  return Buffer.from([value]);
}
