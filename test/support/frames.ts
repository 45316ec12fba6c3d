/** Frames made by tests, outside any scheduler, and a seeded random generator to vary them. */
import type { DisplayFrame, Frame } from '../../src/scheduler/frame';
import type { PointerState } from '../../src/core/pointer';
import type { SurfaceFormat } from '../../src/core/pixel-format';
import type { Rect } from '../../src/core/rect';

/** A frame of these pixels that needs no holding: nothing ever reuses them. */
export function standingFrame(picture: {
  number: number;
  width: number;
  height: number;
  format: SurfaceFormat;
  pixels: Buffer;
  damage?: readonly Rect[];
  pointer?: PointerState;
  pointerDamage?: readonly Rect[];
  displays?: readonly DisplayFrame[];
  captureWallMs?: number;
  captureMonotonicNs?: bigint;
}): Frame {
  return {
    number: picture.number,
    // One display, the whole picture, numbered like the frame.
    displays: picture.displays ?? [
      { id: 0, name: 'desktop', x: 0, y: 0, width: picture.width, height: picture.height, primary: true, frameNumber: picture.number },
    ],
    captureWallMs: picture.captureWallMs ?? 0,
    captureMonotonicNs: picture.captureMonotonicNs ?? 0n,
    width: picture.width,
    height: picture.height,
    format: picture.format,
    pixels: picture.pixels,
    damage: picture.damage ?? [{ x: 0, y: 0, width: picture.width, height: picture.height }],
    pointer: picture.pointer,
    pointerDamage: picture.pointerDamage ?? [],
    hold: () => () => undefined,
    onDispose: () => undefined,
  };
}

/** A latched frame's picture, kept after the scheduler has reused its buffer. */
export function keptFrame(frame: Frame): Frame {
  return standingFrame({ ...frame, pixels: Buffer.from(frame.pixels) });
}

/** A small deterministic generator in [0, 1), so that a failing case can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
