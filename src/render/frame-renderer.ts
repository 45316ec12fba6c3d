/**
 * Renders frames into clients' buffers: scale the display into the client's image size, rotate
 * it, convert the byte order. Each distinct target is rendered at most once per frame, however
 * many clients share it (the cache lives on the frame and goes with it), and a frame whose
 * target matches it exactly is handed out as is, without a copy.
 */
import type { Frame } from '../scheduler/frame';
import { targetKey, type RenderTarget } from './render-target';
import { sharpTransform } from './sharp-transform';

/** Turns a frame into the target's pixels: packed, target.width * target.height * 4 bytes. */
export type PixelTransform = (frame: Frame, target: RenderTarget) => Promise<Buffer>;

export class FrameRenderer {
  private readonly cache = new WeakMap<Frame, Map<string, Promise<Buffer>>>();

  constructor(private readonly transform: PixelTransform = sharpTransform) {}

  render(frame: Frame, target: RenderTarget): Promise<Buffer> {
    if (isIdentity(frame, target)) return Promise.resolve(frame.pixels);
    let renders = this.cache.get(frame);
    if (!renders) {
      renders = new Map();
      this.cache.set(frame, renders);
    }
    const key = targetKey(target);
    let rendered = renders.get(key);
    if (!rendered) {
      rendered = this.transform(frame, target);
      renders.set(key, rendered);
      // A failed render is not cached: the next client tries again.
      rendered.catch(() => renders!.delete(key));
    }
    return rendered;
  }
}

function isIdentity(frame: Frame, target: RenderTarget): boolean {
  return target.rotation === 0 && target.width === frame.width && target.height === frame.height && target.format === frame.format;
}
