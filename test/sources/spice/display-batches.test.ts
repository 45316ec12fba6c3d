import assert from 'node:assert/strict';
import sharp from 'sharp';
import { FrameScheduler } from '../../../src/scheduler/frame-scheduler';
import { ManualVsyncClock } from '../../../src/scheduler/vsync-clock';
import type { DisplaySink, DisplaySource, Surface } from '../../../src/sources/display-source';
import type { CanvasSurface } from '../../../src/sources/spice/canvas/canvas-surface';
import type { ChannelConnection } from '../../../src/sources/spice/channels/channel-connection';
import { DisplayChannel } from '../../../src/sources/spice/display/display-channel';
import type { SpiceMessage } from '../../../src/sources/spice/wire/framing';
import { createLogger } from '../../../src/util/logger';
import * as m from '../../support/spice/messages';
import { waitFor } from '../../support/spice/processes';

const silent = createLogger('t', { level: 'silent' });
const PUT = 8;
const SURFACE_CREATE = 314;
const DRAW_FILL = 302;
const MARK = 102;
const RESET = 103;
const STREAM_CREATE = 122;
const STREAM_DATA = 123;

/**
 * A display channel fed by hand, exposed to a real frame scheduler the way the SPICE source
 * exposes it: its primary surface, latchable while no batch is being applied.
 */
class HandFedDisplay implements DisplaySource {
  readonly description = 'hand-fed SPICE display';
  readonly display: DisplayChannel;
  readonly primaries: CanvasSurface[] = [];
  marks = 0;
  private sink: DisplaySink | undefined;
  private readonly connection = {
    onMessage: (_message: SpiceMessage) => {},
    isClosed: false,
    closedWith: undefined as Error | undefined,
    send() {},
    pause() {},
    resume() {},
    close(error?: Error) {
      this.closedWith = error;
      this.isClosed = true;
    },
  };

  constructor() {
    this.display = new DisplayChannel(
      this.connection as unknown as ChannelConnection,
      { channelId: 0, logger: silent, serverCaps: [], cacheSizePixels: 1 << 20, glzWindowPixels: 1 << 20 },
      {
        primaryCreated: (surface) => this.primaries.push(surface),
        damage: (rects) => this.sink?.damage(rects),
        mark: () => {
          this.marks++;
          this.sink?.requestFrame();
        },
      },
    );
  }

  /** Messages that arrive together, as one socket read delivers them. */
  feed(...messages: SpiceMessage[]): void {
    for (const message of messages) this.connection.onMessage(message);
    if (this.connection.closedWith) throw this.connection.closedWith;
  }

  async start(sink: DisplaySink): Promise<void> {
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.sink = undefined;
  }
  surface(): Surface | undefined {
    const p = this.display.primary();
    return p && { width: p.width, height: p.height, stride: p.width * 4, format: 'bgra8', pixels: p.buffer };
  }
  isLatchable(): boolean {
    return !this.display.busy;
  }
}

const create = (w = 8, h = 8): SpiceMessage => ({ type: SURFACE_CREATE, body: m.surfaceCreate(0, w, h) });
const fill = (box: m.RectTuple, color: number): SpiceMessage => ({ type: DRAW_FILL, body: m.drawFill(box, color, PUT) });
const mark: SpiceMessage = { type: MARK, body: Buffer.alloc(0) };

/** RGB of a bgra8 pixel. */
function rgbAt(pixels: Buffer, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 4;
  return [pixels[i + 2], pixels[i + 1], pixels[i]];
}

describe('SPICE display channel batches and the frame scheduler', () => {
  let scheduler: FrameScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
  });

  it('reports damage once per batch, after the last message of the batch', async () => {
    const source = new HandFedDisplay();
    const damage: number[] = [];
    await source.start({ damage: (rects) => damage.push(rects.length), requestFrame: () => {}, pointer: () => {} });
    source.feed(create(), fill([0, 0, 2, 2], 0x112233), fill([4, 4, 6, 6], 0x445566), fill([6, 0, 8, 2], 0x778899));
    assert.deepEqual(damage, [], 'nothing is reported while the batch is being applied');
    await Promise.resolve();
    assert.deepEqual(damage, [3], 'one report with the three rectangles');
  });

  it('does not latch while a JPEG stream frame of the batch is being decoded, and latches the whole batch after', async () => {
    const source = new HandFedDisplay();
    const clock = new ManualVsyncClock();
    scheduler = new FrameScheduler(source, clock, { logger: silent });
    await scheduler.start();
    source.feed(create(), fill([0, 0, 8, 8], 0xff0000), mark);
    await waitFor(() => scheduler!.latest(), 5000, 'the MARK frame', 5);
    assert.equal(scheduler.latest()!.number, 1);

    // Damage waiting for the next vsync, then a batch with a JPEG frame and a draw after it.
    source.feed(fill([7, 7, 8, 8], 0xffff00));
    await Promise.resolve();
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .jpeg({ quality: 100 })
      .toBuffer();
    source.feed(
      { type: STREAM_CREATE, body: m.streamCreate(1, [0, 0, 8, 8], 8, 8, true) },
      { type: STREAM_DATA, body: m.streamData(1, jpeg) },
      fill([0, 0, 2, 2], 0x00ff00),
    );
    assert.equal(source.isLatchable(), false, 'the JPEG decode is pending');
    clock.tick();
    clock.tick();
    assert.equal(scheduler.latest()!.number, 1, 'no frame was latched halfway through the batch');

    await waitFor(() => (source.isLatchable() ? true : undefined), 5000, 'the decode', 5);
    clock.tick();
    const frame = scheduler.latest()!;
    assert.equal(frame.number, 2);
    const [r, g, b] = rgbAt(frame.pixels, 8, 4, 4);
    assert.ok(r < 16 && g < 16 && b > 240, `the stream frame is in the latched frame (${r},${g},${b})`);
    assert.deepEqual(rgbAt(frame.pixels, 8, 0, 0), [0, 255, 0], 'and the draw that followed it');
  });

  it('RESET starts a blank primary, unexposed until the next MARK, and leaves the old picture intact', async () => {
    const source = new HandFedDisplay();
    source.feed(create(), fill([0, 0, 8, 8], 0xff0000), mark);
    await Promise.resolve();
    assert.equal(source.marks, 1);
    const [before] = source.primaries;
    source.feed({ type: RESET, body: Buffer.alloc(0) });
    assert.equal(source.primaries.length, 2, 'RESET reports a new primary surface');
    const after = source.primaries[1];
    assert.notEqual(after, before);
    assert.equal(source.display.primary(), after);
    assert.equal(before.pixels[0], 0xffff0000, 'the old picture is left as it was');
    assert.equal(after.pixels[0], 0xff000000);
    source.feed(fill([0, 0, 8, 8], 0x0000ff), mark);
    await Promise.resolve();
    assert.equal(source.marks, 2);
    assert.equal(after.pixels[0], 0xff0000ff);
    assert.equal(before.pixels[0], 0xffff0000);
  });
});
