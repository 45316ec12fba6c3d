/**
 * Configure's check of an INLINE configuration against the receive limit the client declared
 * (ConfigureRequest.max_receive_message_length). gRPC libraries refuse a message larger than
 * their channel's limit (4 MiB by default in every language) with a bare RESOURCE_EXHAUSTED on
 * each GetNextFrame, which says neither that the frame size is the cause nor what to change;
 * Configure knows the size and can say both before any frame is sent.
 */
import type { RenderTarget } from '../render/render-target';
import { invalid } from './errors';

/**
 * A GetNextFrame reply's bytes beside its pixels, at most: the pixels field's tag and length,
 * numbers, times, the release token, up to 16 damage rectangles and a pointer without shape come
 * to some 500 bytes. A pointer shape (CURSOR_MODE_METADATA) is not counted: it rides along in a
 * few frames only, and its size is the source's.
 */
export const REPLY_FIELDS_ROOM = 1024;

/** gRPC's default receive limit, the same in grpc-js, Python, Go, Java and C++. */
const GRPC_DEFAULT_RECEIVE_LIMIT = 4 * 1024 * 1024;

/** The largest GetNextFrame reply of an INLINE configuration, pointer shapes aside. */
export function inlineReplyBytes(target: Pick<RenderTarget, 'width' | 'height'>): number {
  return target.width * 4 * target.height + REPLY_FIELDS_ROOM;
}

/**
 * Throws INVALID_ARGS on image_size when `target`'s INLINE frames would not fit in the client's
 * declared receive limit; does nothing when the client declared none.
 */
export function checkReceiveLimit(target: Pick<RenderTarget, 'width' | 'height'>, receiveLimit: number | undefined): void {
  if (receiveLimit === undefined) return;
  const replyBytes = inlineReplyBytes(target);
  if (replyBytes <= receiveLimit) return;
  const which = receiveLimit === GRPC_DEFAULT_RECEIVE_LIMIT ? " (4 MiB, gRPC's default)" : '';
  const smaller = largestFitting(target, receiveLimit);
  throw invalid(
    'image_size',
    `${target.width}x${target.height} INLINE frames make GetNextFrame replies of up to ${replyBytes} bytes ` +
      `(${target.width * 4 * target.height} of pixels), more than the client's max_receive_message_length of ${receiveLimit}${which}: ` +
      `raise the channel's max receive message length to at least ${replyBytes} and declare it here, ` +
      `use a SHARED_MEMORY collection (on the server's machine)` +
      (smaller ? `, or configure at most ${smaller.width}x${smaller.height}` : ` (no INLINE image fits in ${receiveLimit} bytes)`),
  );
}

/**
 * About the largest size of `target`'s aspect ratio (height rounded to the nearest pixel) whose
 * replies fit in `receiveLimit`, if any.
 */
function largestFitting(
  target: Pick<RenderTarget, 'width' | 'height'>,
  receiveLimit: number,
): { width: number; height: number } | undefined {
  const scale = Math.sqrt(Math.max(0, receiveLimit - REPLY_FIELDS_ROOM) / (target.width * 4 * target.height));
  // The square root is a float: start a pixel above it and step down to the first that fits.
  for (let width = Math.min(target.width, Math.floor(target.width * scale) + 1); width >= 1; width--) {
    const height = Math.round((width * target.height) / target.width);
    if (height >= 1 && inlineReplyBytes({ width, height }) <= receiveLimit) return { width, height };
  }
  return undefined;
}
