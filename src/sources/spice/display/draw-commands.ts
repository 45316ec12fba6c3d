import type { CanvasSurface } from '../canvas/canvas-surface';
import { type Area, drawAreas } from '../canvas/clip';
import * as draw from '../canvas/draw';
import { ROP_COPY, ropFromDescriptor } from '../canvas/rop';
import type { DecodedImage } from '../decoders/decoded-image';
import { DisplayMsg, displayMessageName, Ropd } from '../wire/constants';
import type { SpiceMessage } from '../wire/framing';
import * as msgs from './display-messages';
import type { ImageDescriptor } from './image-descriptor';

/** What a draw command needs of the display channel: its surfaces, its images, its damage. */
export interface DrawTarget {
  /** The surface with this id; a protocol error naming `what` if there is none. */
  surface(id: number, what: string): CanvasSurface;
  /** Resolves the images, then calls `apply`; asynchronous only when one needs a decode. */
  withImages(descs: (ImageDescriptor | undefined)[], apply: (images: (DecodedImage | undefined)[]) => void): void | Promise<void>;
  /** `areas` of `surface` changed. */
  damaged(surface: CanvasSurface, areas: Area[]): void;
}

/** Applies one draw message; returns a promise only when it waits for an image decode. */
export type DrawCommand = (target: DrawTarget, message: SpiceMessage) => void | Promise<void>;

/** QMask flag: draw where the mask is clear instead of where it is set. */
const MASK_INVERS = 1;

function brushImage(brush: msgs.Brush): ImageDescriptor | undefined {
  return brush.type === 'pattern' ? brush.image : undefined;
}

function resolvedBrush(brush: msgs.Brush, surface: CanvasSurface, pattern: DecodedImage | undefined): draw.ResolvedBrush | undefined {
  if (brush.type === 'solid') return { kind: 'solid', color: draw.brushColor(surface, brush.color) };
  if (brush.type === 'pattern' && pattern) return { kind: 'pattern', image: pattern, pos: brush.pos };
  return undefined;
}

/**
 * Runs a draw under its QMask: pixels where the 1-bit mask (shifted by mask.pos, inverted with
 * the INVERS flag) is clear get their old value back.
 */
function masked(
  surface: CanvasSurface,
  areas: Area[],
  box: msgs.SpiceRect,
  mask: msgs.QMask,
  maskImage: DecodedImage | undefined,
  drawIt: () => void,
): void {
  if (!maskImage) {
    drawIt();
    return;
  }
  const W = surface.width;
  const saved = areas.map((a) => {
    const rows: Uint32Array[] = [];
    for (let y = a.y0; y < a.y1; y++) rows.push(surface.pixels.slice(y * W + a.x0, y * W + a.x1));
    return rows;
  });
  drawIt();
  const invert = (mask.flags & MASK_INVERS) !== 0;
  areas.forEach((a, i) => {
    for (let y = a.y0; y < a.y1; y++) {
      const my = mask.pos.y + (y - box.top);
      const row = saved[i][y - a.y0];
      for (let x = a.x0; x < a.x1; x++) {
        const mx = mask.pos.x + (x - box.left);
        const inside = mx >= 0 && my >= 0 && mx < maskImage.width && my < maskImage.height;
        const bit = inside && (maskImage.pixels[my * maskImage.stride + mx] & 0xffffff) !== 0;
        if (bit === invert) surface.pixels[y * W + x] = row[x - a.x0];
      }
    }
  });
}

const fill: DrawCommand = (target, { body }) => {
  const m = msgs.parseDrawFill(body);
  const surface = target.surface(m.base.surfaceId, 'DRAW_FILL');
  return target.withImages([brushImage(m.brush), m.mask.image], ([pattern, maskImage]) => {
    const brush = resolvedBrush(m.brush, surface, pattern);
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    const rop = ropFromDescriptor(m.rop, Ropd.INVERS_BRUSH);
    masked(surface, areas, m.base.box, m.mask, maskImage, () => {
      if (brush) draw.fill(surface, areas, brush, rop);
      else draw.fill(surface, areas, { kind: 'solid', color: 0 }, ropFromDescriptor(m.rop & ~Ropd.OP_PUT, Ropd.INVERS_BRUSH));
    });
    target.damaged(surface, areas);
  });
};

const copy: DrawCommand = (target, { type, body }) => {
  const name = type === DisplayMsg.DRAW_COPY ? 'DRAW_COPY' : 'DRAW_BLEND';
  const m = msgs.parseDrawCopy(body, name);
  const surface = target.surface(m.base.surfaceId, name);
  return target.withImages([m.src, m.mask.image], ([src, maskImage]) => {
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    const rop = ropFromDescriptor(m.rop, Ropd.INVERS_SRC);
    if (src)
      masked(surface, areas, m.base.box, m.mask, maskImage, () =>
        draw.blit(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, rop),
      );
    target.damaged(surface, areas);
  });
};

const opaque: DrawCommand = (target, { body }) => {
  const m = msgs.parseDrawOpaque(body);
  const surface = target.surface(m.base.surfaceId, 'DRAW_OPAQUE');
  return target.withImages([m.src, brushImage(m.brush), m.mask.image], ([src, pattern, maskImage]) => {
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    const brush = resolvedBrush(m.brush, surface, pattern);
    masked(surface, areas, m.base.box, m.mask, maskImage, () => {
      if (src) draw.blit(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, ROP_COPY);
      // As the reference canvas does: the brush is then combined with the copied image,
      // which plays the destination, so INVERS_SRC inverts that input.
      if (brush) draw.fill(surface, areas, brush, ropFromDescriptor(m.rop, Ropd.INVERS_BRUSH, Ropd.INVERS_SRC));
    });
    target.damaged(surface, areas);
  });
};

const rop3: DrawCommand = (target, { body }) => {
  const m = msgs.parseDrawRop3(body);
  const surface = target.surface(m.base.surfaceId, 'DRAW_ROP3');
  return target.withImages([m.src, brushImage(m.brush), m.mask.image], ([src, pattern, maskImage]) => {
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    const source = src ? { image: src, srcArea: m.srcArea, box: m.base.box } : undefined;
    const brush = resolvedBrush(m.brush, surface, pattern);
    masked(surface, areas, m.base.box, m.mask, maskImage, () => draw.rop3(surface, areas, source, brush, m.rop3));
    target.damaged(surface, areas);
  });
};

/** DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS: no source, no brush, only a mask. */
const constant: DrawCommand = (target, { type, body }) => {
  const name = displayMessageName(type);
  const m = msgs.parseDrawMaskOnly(body, name);
  const surface = target.surface(m.base.surfaceId, name);
  return target.withImages([m.mask.image], ([maskImage]) => {
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    const kind = type === DisplayMsg.DRAW_BLACKNESS ? 'black' : type === DisplayMsg.DRAW_WHITENESS ? 'white' : 'invert';
    masked(surface, areas, m.base.box, m.mask, maskImage, () => draw.constantOp(surface, areas, kind));
    target.damaged(surface, areas);
  });
};

const transparent: DrawCommand = (target, { body }) => {
  const m = msgs.parseDrawTransparent(body);
  const surface = target.surface(m.base.surfaceId, 'DRAW_TRANSPARENT');
  return target.withImages([m.src], ([src]) => {
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    if (src) draw.transparent(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, m.srcColor);
    target.damaged(surface, areas);
  });
};

const alphaBlend: DrawCommand = (target, { body }) => {
  const m = msgs.parseDrawAlphaBlend(body);
  const surface = target.surface(m.base.surfaceId, 'DRAW_ALPHA_BLEND');
  return target.withImages([m.src], ([src]) => {
    const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
    if (src) draw.alphaBlend(surface, areas, { image: src, srcArea: m.srcArea, box: m.base.box }, m.alpha, m.alphaFlags);
    target.damaged(surface, areas);
  });
};

const copyBits: DrawCommand = (target, { body }) => {
  const m = msgs.parseCopyBits(body);
  const surface = target.surface(m.base.surfaceId, 'COPY_BITS');
  const areas = drawAreas(m.base.box, m.base.clip, surface.width, surface.height);
  draw.copyBits(surface, areas, m.base.box, m.srcPos);
  target.damaged(surface, areas);
};

/** The draw commands a display channel renders, by message type. */
export const DRAW_COMMANDS: ReadonlyMap<number, DrawCommand> = new Map([
  [DisplayMsg.DRAW_FILL, fill],
  [DisplayMsg.DRAW_COPY, copy],
  [DisplayMsg.DRAW_BLEND, copy],
  [DisplayMsg.DRAW_OPAQUE, opaque],
  [DisplayMsg.DRAW_ROP3, rop3],
  [DisplayMsg.DRAW_BLACKNESS, constant],
  [DisplayMsg.DRAW_WHITENESS, constant],
  [DisplayMsg.DRAW_INVERS, constant],
  [DisplayMsg.DRAW_TRANSPARENT, transparent],
  [DisplayMsg.DRAW_ALPHA_BLEND, alphaBlend],
  [DisplayMsg.COPY_BITS, copyBits],
]);
