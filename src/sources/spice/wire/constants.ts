/**
 * SPICE protocol numbers a display client needs (spice-common's spice.proto, protocol 2.2).
 * Grouped by what they number; values are on the wire, so they never change.
 */

export const LINK_MAGIC = 0x51444552; // "REDQ" read as a little-endian u32
export const PROTOCOL_MAJOR = 2;
export const PROTOCOL_MINOR = 2;

export const ChannelType = { MAIN: 1, DISPLAY: 2, INPUTS: 3, CURSOR: 4 } as const;

/** SpiceLinkReply.error and the link result word. */
export const LinkError: Record<number, string> = {
  0: 'OK',
  1: 'ERROR',
  2: 'INVALID_MAGIC',
  3: 'INVALID_DATA',
  4: 'VERSION_MISMATCH',
  5: 'NEED_SECURED',
  6: 'NEED_UNSECURED',
  7: 'PERMISSION_DENIED',
  8: 'BAD_CONNECTION_ID',
  9: 'CHANNEL_NOT_AVAILABLE',
};
export const LINK_PERMISSION_DENIED = 7;

export const CommonCap = { AUTH_SELECTION: 0, AUTH_SPICE: 1, AUTH_SASL: 2, MINI_HEADER: 3 } as const;
export const AUTH_MECHANISM_SPICE = 1;

export const DisplayCap = {
  SIZED_STREAM: 0,
  MONITORS_CONFIG: 1,
  COMPOSITE: 2,
  A8_SURFACE: 3,
  STREAM_REPORT: 4,
  LZ4: 5,
  PREF_COMPRESSION: 6,
  GL_SCANOUT: 7,
  MULTI_CODEC: 8,
  CODEC_MJPEG: 9,
  CODEC_VP8: 10,
  CODEC_H264: 11,
} as const;

/** Messages every channel shares (server to client). */
export const BaseMsg = {
  MIGRATE: 1,
  MIGRATE_DATA: 2,
  SET_ACK: 3,
  PING: 4,
  WAIT_FOR_CHANNELS: 5,
  DISCONNECTING: 6,
  NOTIFY: 7,
  LIST: 8,
} as const;

/** Messages every channel shares (client to server). */
export const BaseMsgc = { ACK_SYNC: 1, ACK: 2, PONG: 3, DISCONNECTING: 6 } as const;

export const MainMsg = { INIT: 103, CHANNELS_LIST: 104 } as const;
export const MainMsgc = { ATTACH_CHANNELS: 104 } as const;

export const DisplayMsg = {
  MODE: 101,
  MARK: 102,
  RESET: 103,
  COPY_BITS: 104,
  INVAL_LIST: 105,
  INVAL_ALL_PIXMAPS: 106,
  INVAL_PALETTE: 107,
  INVAL_ALL_PALETTES: 108,
  STREAM_CREATE: 122,
  STREAM_DATA: 123,
  STREAM_CLIP: 124,
  STREAM_DESTROY: 125,
  STREAM_DESTROY_ALL: 126,
  DRAW_FILL: 302,
  DRAW_OPAQUE: 303,
  DRAW_COPY: 304,
  DRAW_BLEND: 305,
  DRAW_BLACKNESS: 306,
  DRAW_WHITENESS: 307,
  DRAW_INVERS: 308,
  DRAW_ROP3: 309,
  DRAW_STROKE: 310,
  DRAW_TEXT: 311,
  DRAW_TRANSPARENT: 312,
  DRAW_ALPHA_BLEND: 313,
  SURFACE_CREATE: 314,
  SURFACE_DESTROY: 315,
  STREAM_DATA_SIZED: 316,
  MONITORS_CONFIG: 317,
  DRAW_COMPOSITE: 318,
  STREAM_ACTIVATE_REPORT: 319,
  GL_SCANOUT_UNIX: 320,
  GL_DRAW: 321,
  QUALITY_INDICATOR: 322,
} as const;

export const DisplayMsgc = { INIT: 101, STREAM_REPORT: 102, PREFERRED_COMPRESSION: 103 } as const;

export const ImageType = {
  BITMAP: 0,
  QUIC: 1,
  LZ_PLT: 100,
  LZ_RGB: 101,
  GLZ_RGB: 102,
  FROM_CACHE: 103,
  SURFACE: 104,
  JPEG: 105,
  FROM_CACHE_LOSSLESS: 106,
  ZLIB_GLZ_RGB: 107,
  JPEG_ALPHA: 108,
  LZ4: 109,
} as const;

export const ImageFlag = { CACHE_ME: 1, HIGH_BITS_SET: 2, CACHE_REPLACE_ME: 4 } as const;

export const BitmapFormat = {
  INVALID: 0,
  BIT1_LE: 1,
  BIT1_BE: 2,
  BIT4_LE: 3,
  BIT4_BE: 4,
  BIT8: 5,
  BIT16: 6,
  BIT24: 7,
  BIT32: 8,
  RGBA: 9,
  BIT8_A: 10,
} as const;

export const BitmapFlag = { PAL_CACHE_ME: 1, PAL_FROM_CACHE: 2, TOP_DOWN: 4 } as const;

export const SurfaceFormat = {
  A1: 1,
  A8: 8,
  RGB16_555: 16,
  RGB16_565: 80,
  XRGB32: 32,
  ARGB32: 96,
} as const;

export const SURFACE_FLAG_PRIMARY = 1;

/** Raster-operation descriptor bits (SpiceRopd). */
export const Ropd = {
  INVERS_SRC: 1 << 0,
  INVERS_BRUSH: 1 << 1,
  INVERS_DEST: 1 << 2,
  OP_PUT: 1 << 3,
  OP_OR: 1 << 4,
  OP_AND: 1 << 5,
  OP_XOR: 1 << 6,
  OP_BLACKNESS: 1 << 7,
  OP_WHITENESS: 1 << 8,
  OP_INVERS: 1 << 9,
  INVERS_RES: 1 << 10,
} as const;

export const BrushType = { NONE: 0, SOLID: 1, PATTERN: 2 } as const;
export const ClipType = { NONE: 0, RECTS: 1 } as const;
export const STREAM_FLAG_TOP_DOWN = 1;
export const VideoCodec = { MJPEG: 1, VP8: 2, H264: 3, VP9: 4, H265: 5 } as const;
export const ALPHA_FLAG_SRC_SURFACE_HAS_ALPHA = 2;

/** Image compression choices a client may ask for (PREFERRED_COMPRESSION). */
export const ImageCompression = {
  off: 1,
  auto_glz: 2,
  auto_lz: 3,
  quic: 4,
  glz: 5,
  lz: 6,
  lz4: 7,
} as const;
export type ImageCompressionName = keyof typeof ImageCompression;

/** Names for log lines and dumps. */
export function displayMessageName(type: number): string {
  for (const [name, value] of Object.entries(DisplayMsg)) if (value === type) return name;
  for (const [name, value] of Object.entries(BaseMsg)) if (value === type) return name;
  return `unknown(${type})`;
}

/** Cursor channel messages (server to client). The channel has no client messages of its own. */
export const CursorMsg = {
  INIT: 101,
  RESET: 102,
  SET: 103,
  MOVE: 104,
  HIDE: 105,
  TRAIL: 106,
  INVAL_ONE: 107,
  INVAL_ALL: 108,
} as const;

/** SpiceCursorHeader.type: how a cursor shape's data is laid out. */
export const CursorType = { ALPHA: 0, MONO: 1, COLOR4: 2, COLOR8: 3, COLOR16: 4, COLOR24: 5, COLOR32: 6 } as const;

/** SpiceCursor.flags. NONE: no cursor (no header follows). */
export const CursorFlag = { NONE: 1, CACHE_ME: 2, FROM_CACHE: 4 } as const;
