/**
 * One display's part of a frame: the frame as a client configured for a display sees it. The
 * crop is a frame of its own (the region's pixels packed, its damage and pointer moved into the
 * region's coordinates), so that everything that renders frames (scaling, rotation, the
 * damage-only writes of SHARED_MEMORY and INLINE damage rects) works on it unchanged. It is made
 * once per frame and region, shared by every client of that display, and given back with the
 * frame.
 */
import { copyRects } from '../codec/rect-copy';
import { rectsWithin } from '../core/display';
import type { Rect } from '../core/rect';
import type { Frame } from '../scheduler/frame';
import { PixelPool } from '../scheduler/pixel-pool';

export class FrameCropper {
  private readonly crops = new WeakMap<Frame, Map<string, Frame>>();
  private readonly pool = new PixelPool(4);

  /** `region`'s part of `frame`; `region` must lie inside the frame. The caller holds `frame`. */
  crop(frame: Frame, region: Rect): Frame {
    if (region.x === 0 && region.y === 0 && region.width === frame.width && region.height === frame.height) return frame;
    let crops = this.crops.get(frame);
    if (!crops) {
      crops = new Map();
      this.crops.set(frame, crops);
    }
    const key = `${region.x},${region.y},${region.width}x${region.height}`;
    let crop = crops.get(key);
    if (!crop) {
      crop = this.cropNew(frame, region);
      crops.set(key, crop);
    }
    return crop;
  }

  private cropNew(frame: Frame, region: Rect): Frame {
    const pointer = frame.pointer && { ...frame.pointer, x: frame.pointer.x - region.x, y: frame.pointer.y - region.y };
    return {
      number: frame.number,
      displays: frame.displays,
      captureWallMs: frame.captureWallMs,
      captureMonotonicNs: frame.captureMonotonicNs,
      width: region.width,
      height: region.height,
      format: frame.format,
      pixels: this.pixelsOf(frame, region),
      damage: rectsWithin(frame.damage, region),
      pointer,
      pointerDamage: rectsWithin(frame.pointerDamage, region),
      hold: () => frame.hold(),
      onDispose: (dispose) => frame.onDispose(dispose),
    };
  }

  /** The region's pixels, packed: a view of the frame's rows when it spans them, else a copy. */
  private pixelsOf(frame: Frame, region: Rect): Buffer {
    const stride = frame.width * 4;
    if (region.x === 0 && region.width === frame.width)
      return frame.pixels.subarray(region.y * stride, (region.y + region.height) * stride);
    const buffer = this.pool.acquire(region.width * region.height * 4);
    // A view of the frame starting at the region's corner: its rows are the region's rows, so
    // one rect at the origin copies the whole region.
    const corner = frame.pixels.subarray(region.y * stride + region.x * 4);
    copyRects(corner, stride, buffer.data, region.width * 4, false, [{ x: 0, y: 0, width: region.width, height: region.height }]);
    frame.onDispose(() => buffer.release());
    return buffer.data.subarray(0, region.width * region.height * 4);
  }
}
