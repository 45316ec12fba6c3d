/**
 * The built-in display: an animated desktop-like scene drawn into an RGBA surface, damaging only
 * what changes. A clock ticks every second in the taskbar, a terminal types text, and a window
 * glides across the screen, bouncing off the edges. A mouse pointer wanders over the terminal
 * and the window, changing shape with what it is over; it is reported to the sink beside the
 * surface (DisplaySink.pointer), as a SPICE cursor channel reports one, not drawn into it.
 *
 * Drawing uses two layers: `base` (wallpaper, terminal text, clock) and the window on top. A
 * change to the base is copied to the surface and the window is re-laid over it where they
 * overlap; a window move restores the base under its old place and draws it at the new one.
 * Everything is row copies and fills; the artwork is rendered once per size by sharp.
 */
import { FieldError } from '../../core/field-error';
import { MAX_IMAGE_SIDE } from '../../core/limits';
import type { DisplaySink, DisplaySource, PointerShape, PointerState, Rect, Surface } from '../display-source';
import { clipToBounds, isEmpty } from '../../core/rect';
import {
  CLOCK_FOREGROUND,
  layoutFor,
  renderWallpaper,
  renderWindow,
  TASKBAR_COLOR,
  TERMINAL_BACKGROUND,
  TERMINAL_FOREGROUND,
  type DesktopLayout,
} from './desktop-art';
import { GlyphAtlas } from './glyph-atlas';
import { renderPointerShapes, type PointerShapes } from './pointer-art';
import { pointerPosition } from './pointer-path';
import { copyRect, fillRect, type RasterImage, type Rgba } from './raster';
import { TypingScript } from './typing-script';

export interface SyntheticDesktopOptions {
  /** Default 1920x1080. Both sides even, 64 to 8192. */
  width?: number;
  height?: number;
  /** How often the scene animates, per second. Default 60. */
  animationFps?: number;
  /** Characters typed per second. Default 15. */
  typingRate?: number;
  /** Window speed in pixels per second along each axis. Default a quarter of the width. */
  windowSpeed?: number;
  /**
   * A stress load for encoders and transports: the wallpaper is textured with fine noise and the
   * whole desktop scrolls sideways at every step, in horizontal bands moving at different speeds
   * (so that no single motion vector or global scroll explains a frame), with the window on top;
   * every frame is a whole-screen change and most pixels differ from the last frame's.
   * Default false: the normal desktop, where little changes from frame to frame.
   */
  busy?: boolean;
  /**
   * A mouse pointer that moves and changes shape, reported beside the surface. Default true;
   * false for a desktop without one (tests that look at the picture at fixed places).
   */
  pointer?: boolean;
}

/** Busy mode: the screen is cut into this many bands; band k scrolls (1 + k mod BUSY_SPEED_STEPS) times as fast as the first. */
const BUSY_BANDS = 8;
const BUSY_SPEED_STEPS = 4;

export const MIN_DISPLAY_SIDE = 64;
export const MAX_DISPLAY_SIDE = MAX_IMAGE_SIDE;

export function validateDisplaySize(width: number, height: number, field: string): void {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < MIN_DISPLAY_SIDE || value > MAX_DISPLAY_SIDE || value % 2 !== 0) {
      throw new FieldError(field, `${name} must be an even whole number from ${MIN_DISPLAY_SIDE} to ${MAX_DISPLAY_SIDE}, got ${value}`);
    }
  }
}

function cssToRgba(hex: string): Rgba {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255, 255];
}

/** Everything that depends on the display size, rebuilt on resize. */
interface Scene {
  layout: DesktopLayout;
  base: RasterImage;
  surface: RasterImage;
  window: RasterImage;
  windowAt: { x: number; y: number };
  /** Whether the window has been drawn into this scene's surface yet. */
  windowDrawn: boolean;
  terminalText: GlyphAtlas;
  clockText: GlyphAtlas;
  terminalColumns: number;
  terminalRows: number;
  /** Undefined without a pointer. */
  pointerShapes: PointerShapes | undefined;
}

export class SyntheticDesktop implements DisplaySource {
  private scene: Scene | undefined;
  private sink: DisplaySink | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Stops the display's frame callbacks, when the desktop steps on them. */
  private stopFrameCallbacks: (() => void) | undefined;
  /** performance.now() of the last step taken on a frame callback. */
  private lastStepAt = 0;
  private startedAt = 0;
  private clockShown = '';
  // Typing state: which line and character, and where the cursor is.
  private readonly script = new TypingScript();
  private scriptChar = 0;
  private typedTotal = 0;
  private cursorRow = 0;
  private cursorColumn = 0;
  private readonly animationFps: number;
  private readonly typingRate: number;
  private readonly windowSpeedOption: number | undefined;
  private readonly busy: boolean;
  private readonly withPointer: boolean;
  /** The pointer state last reported. */
  private pointerShown: PointerState | undefined;
  private width: number;
  private height: number;

  constructor(options: SyntheticDesktopOptions = {}) {
    this.width = options.width ?? 1920;
    this.height = options.height ?? 1080;
    validateDisplaySize(this.width, this.height, 'size');
    this.animationFps = options.animationFps ?? 60;
    if (!(this.animationFps > 0 && this.animationFps <= 240)) {
      throw new FieldError('animationFps', `must be from 1 to 240, got ${options.animationFps}`);
    }
    this.typingRate = options.typingRate ?? 15;
    this.windowSpeedOption = options.windowSpeed;
    this.busy = options.busy ?? false;
    this.withPointer = options.pointer ?? true;
  }

  get description(): string {
    return `synthetic ${this.width}x${this.height}`;
  }

  async start(sink: DisplaySink): Promise<void> {
    if (this.sink) throw new Error('SyntheticDesktop is already started');
    this.scene = await this.buildScene(this.width, this.height);
    this.sink = sink;
    this.startedAt = performance.now();
    this.step();
    this.sink.damage([{ x: 0, y: 0, width: this.width, height: this.height }]);
    const periodMs = 1000 / this.animationFps;
    if (sink.onFrameBegin) {
      // Steps on the display's frame callbacks, at the desktop's own rate or the display's,
      // whichever is slower: a timer of its own would drift against the vsync and now and then
      // draw between a latch and its deliveries, delaying every client's frame. A step is due
      // half a display frame before a whole animation period has passed: at equal rates every
      // callback steps however late the timers run, and at half the display's rate every other.
      this.stopFrameCallbacks = sink.onFrameBegin((framePeriodMs) => {
        const now = performance.now();
        if (now - this.lastStepAt < periodMs - framePeriodMs / 2) return;
        this.lastStepAt = now;
        this.step();
      });
    } else {
      this.timer = setInterval(() => this.step(), periodMs);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopFrameCallbacks?.();
    this.stopFrameCallbacks = undefined;
    this.sink = undefined;
  }

  surface(): Surface | undefined {
    const surface = this.scene?.surface;
    return surface && { width: surface.width, height: surface.height, stride: surface.width * 4, format: 'rgba8', pixels: surface.pixels };
  }

  isLatchable(): boolean {
    return true;
  }

  /**
   * Changes the display's resolution, as a VM or a remote desktop may do. The new scene is
   * drawn, then swapped in at once and reported as whole-surface damage.
   */
  async resize(width: number, height: number): Promise<void> {
    validateDisplaySize(width, height, 'size');
    const scene = await this.buildScene(width, height);
    this.width = width;
    this.height = height;
    this.scene = scene;
    this.clockShown = '';
    this.cursorRow = 0;
    this.cursorColumn = 0;
    this.step();
    this.sink?.damage([{ x: 0, y: 0, width, height }]);
  }

  private async buildScene(width: number, height: number): Promise<Scene> {
    const layout = layoutFor(width, height);
    const fontSize = Math.max(10, Math.round(height / 60));
    const [wallpaper, window, terminalText, clockText, pointerShapes] = await Promise.all([
      renderWallpaper(layout, this.busy),
      renderWindow(layout.window),
      GlyphAtlas.create({ fontSize, foreground: TERMINAL_FOREGROUND, background: TERMINAL_BACKGROUND }),
      GlyphAtlas.create({ fontSize: Math.round(layout.clock.height * 0.6), foreground: CLOCK_FOREGROUND, background: TASKBAR_COLOR }),
      this.withPointer ? renderPointerShapes(height) : undefined,
    ]);
    const base = { width, height, pixels: Buffer.from(wallpaper.pixels) };
    const surface = { width, height, pixels: Buffer.from(wallpaper.pixels) };
    return {
      layout,
      base,
      surface,
      window,
      windowAt: { x: 0, y: 0 },
      windowDrawn: false,
      terminalText,
      clockText,
      terminalColumns: Math.floor(layout.terminal.width / terminalText.cellWidth),
      terminalRows: Math.floor(layout.terminal.height / terminalText.cellHeight),
      pointerShapes,
    };
  }

  /** One animation step: whatever changed since the last one is drawn and reported. */
  private step(): void {
    const scene = this.scene;
    if (!scene) return;
    const elapsedMs = performance.now() - this.startedAt;
    const damage: Rect[] = [];
    const baseChanges: Rect[] = [];
    this.updateClock(scene, baseChanges);
    this.updateTyping(scene, elapsedMs, baseChanges);
    if (this.busy) {
      // The scroll redraws the whole surface from the base and the window: copying the base's
      // changes and the window's move there first would be overwritten at once.
      scene.windowAt = this.windowPosition(scene, elapsedMs);
      scene.windowDrawn = true;
      damage.push(this.scrollEverything(scene, elapsedMs));
    } else {
      for (const rect of baseChanges) damage.push(this.showBase(scene, rect));
      damage.push(...this.moveWindow(scene, elapsedMs));
    }
    const real = damage.filter((r) => !isEmpty(r));
    if (real.length > 0) this.sink?.damage(real);
    this.movePointer(scene, elapsedMs);
  }

  /** Reports the pointer when it moved or changed shape (a few numbers: no pixels are drawn). */
  private movePointer(scene: Scene, elapsedMs: number): void {
    if (!scene.pointerShapes) return;
    const at = pointerPosition(scene.layout, elapsedMs);
    const shape = this.pointerShapeAt(scene, scene.pointerShapes, at);
    const shown = this.pointerShown;
    if (shown && shown.x === at.x && shown.y === at.y && shown.shape === shape) return;
    this.pointerShown = { x: at.x, y: at.y, visible: true, shape };
    this.sink?.pointer(this.pointerShown);
  }

  /** An I-beam over the terminal's text, a hand over the window, an arrow elsewhere. */
  private pointerShapeAt(scene: Scene, shapes: PointerShapes, at: { x: number; y: number }): PointerShape {
    const inside = (r: Rect) => at.x >= r.x && at.x < r.x + r.width && at.y >= r.y && at.y < r.y + r.height;
    if (inside(scene.layout.terminal)) return shapes.ibeam;
    return inside({ ...scene.windowAt, width: scene.window.width, height: scene.window.height }) ? shapes.hand : shapes.arrow;
  }

  private updateClock(scene: Scene, changes: Rect[]): void {
    const text = new Date().toTimeString().slice(0, 8);
    if (text === this.clockShown) return;
    this.clockShown = text;
    const { clock } = scene.layout;
    const atlas = scene.clockText;
    fillRect(scene.base, clock, cssToRgba(TASKBAR_COLOR));
    const x = clock.x + clock.width - (text.length + 1) * atlas.cellWidth;
    const y = clock.y + Math.floor((clock.height - atlas.cellHeight) / 2);
    atlas.drawText(scene.base, x, y, text);
    changes.push(clock);
  }

  private updateTyping(scene: Scene, elapsedMs: number, changes: Rect[]): void {
    const due = Math.floor((elapsedMs / 1000) * this.typingRate);
    let cursorMoved = false;
    while (this.typedTotal < due) {
      this.typedTotal++;
      this.typeNext(scene, changes);
      cursorMoved = true;
    }
    if (cursorMoved) changes.push(this.drawCursor(scene));
  }

  /** Types one character, or ends the line (a newline takes one keystroke's time). */
  private typeNext(scene: Scene, changes: Rect[]): void {
    const line = this.script.currentLine();
    if (this.scriptChar < line.length && this.cursorColumn < scene.terminalColumns) {
      changes.push(this.drawCell(scene, line[this.scriptChar]));
      this.scriptChar++;
      this.cursorColumn++;
      return;
    }
    // End of line: erase the cursor, move down, scroll when the terminal is full.
    changes.push(this.drawCell(scene, ' '));
    this.script.endLine();
    this.scriptChar = 0;
    this.cursorColumn = 0;
    if (this.cursorRow + 1 < scene.terminalRows) this.cursorRow++;
    else changes.push(this.scrollTerminal(scene));
  }

  private cellRect(scene: Scene, column: number, row: number): Rect {
    const atlas = scene.terminalText;
    const { terminal } = scene.layout;
    return {
      x: terminal.x + column * atlas.cellWidth,
      y: terminal.y + row * atlas.cellHeight,
      width: atlas.cellWidth,
      height: atlas.cellHeight,
    };
  }

  /** Draws a character at the cursor (advancing is the caller's); returns the cell. */
  private drawCell(scene: Scene, char: string): Rect {
    const cell = this.cellRect(scene, this.cursorColumn, this.cursorRow);
    scene.terminalText.drawText(scene.base, cell.x, cell.y, char);
    return cell;
  }

  private drawCursor(scene: Scene): Rect {
    const cell = this.cellRect(scene, Math.min(this.cursorColumn, scene.terminalColumns - 1), this.cursorRow);
    return fillRect(scene.base, cell, cssToRgba(TERMINAL_FOREGROUND));
  }

  /** Moves the terminal's text up one row (memmove within the base layer) and clears the last row. */
  private scrollTerminal(scene: Scene): Rect {
    const { terminal } = scene.layout;
    const rowHeight = scene.terminalText.cellHeight;
    const textHeight = scene.terminalRows * rowHeight;
    copyRect(
      scene.base,
      { x: terminal.x, y: terminal.y + rowHeight, width: terminal.width, height: textHeight - rowHeight },
      scene.base,
      terminal.x,
      terminal.y,
    );
    fillRect(
      scene.base,
      { x: terminal.x, y: terminal.y + textHeight - rowHeight, width: terminal.width, height: rowHeight },
      cssToRgba(TERMINAL_BACKGROUND),
    );
    return { x: terminal.x, y: terminal.y, width: terminal.width, height: textHeight };
  }

  /** Copies a changed part of the base layer to the surface, keeping the window on top. */
  private showBase(scene: Scene, rect: Rect): Rect {
    const shown = copyRect(scene.base, rect, scene.surface, rect.x, rect.y);
    const windowRect = { ...scene.windowAt, width: scene.window.width, height: scene.window.height };
    const overlap = clipToBounds(
      { x: shown.x - windowRect.x, y: shown.y - windowRect.y, width: shown.width, height: shown.height },
      windowRect.width,
      windowRect.height,
    );
    if (!isEmpty(overlap)) copyRect(scene.window, overlap, scene.surface, windowRect.x + overlap.x, windowRect.y + overlap.y);
    return shown;
  }

  private windowPosition(scene: Scene, elapsedMs: number): { x: number; y: number } {
    const { width, height, window } = scene.layout;
    const speed = this.windowSpeedOption ?? width / 4;
    const travel = (speed * elapsedMs) / 1000;
    return {
      x: Math.round(bounce(travel, width - window.width)),
      y: Math.round(bounce(travel * 0.7, height - window.height - scene.layout.taskbar.height)),
    };
  }

  private moveWindow(scene: Scene, elapsedMs: number): Rect[] {
    const to = this.windowPosition(scene, elapsedMs);
    const from = scene.windowAt;
    const size = { width: scene.window.width, height: scene.window.height };
    // A still window (windowSpeed 0) is drawn once per scene, then never reported again.
    const isFirstDraw = !scene.windowDrawn;
    if (!isFirstDraw && to.x === from.x && to.y === from.y) return [];
    scene.windowDrawn = true;
    const old = copyRect(scene.base, { ...from, ...size }, scene.surface, from.x, from.y);
    scene.windowAt = to;
    const drawn = copyRect(scene.window, { x: 0, y: 0, ...size }, scene.surface, to.x, to.y);
    return [old, drawn];
  }

  /** Busy mode: the surface becomes the base layer scrolled band by band, with the window on top. */
  private scrollEverything(scene: Scene, elapsedMs: number): Rect {
    const { width, height } = scene.surface;
    const travel = ((this.windowSpeedOption ?? width / 4) * elapsedMs) / 1000;
    const bandHeight = Math.ceil(height / BUSY_BANDS);
    for (let band = 0, y = 0; y < height; band++, y += bandHeight) {
      const rows = Math.min(bandHeight, height - y);
      // Wraps around: the part scrolled off the left comes back on the right.
      const shift = Math.round(travel * (1 + (band % BUSY_SPEED_STEPS))) % width;
      copyRect(scene.base, { x: shift, y, width: width - shift, height: rows }, scene.surface, 0, y);
      copyRect(scene.base, { x: 0, y, width: shift, height: rows }, scene.surface, width - shift, y);
    }
    copyRect(
      scene.window,
      { x: 0, y: 0, width: scene.window.width, height: scene.window.height },
      scene.surface,
      scene.windowAt.x,
      scene.windowAt.y,
    );
    return { x: 0, y: 0, width, height };
  }
}

/** Position along [0, span] of a point moving `travel` pixels and bouncing at both ends. */
function bounce(travel: number, span: number): number {
  if (span <= 0) return 0;
  const phase = travel % (2 * span);
  return phase <= span ? phase : 2 * span - phase;
}
