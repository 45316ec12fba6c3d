/**
 * Frame callbacks (DisplaySink.onFrameBegin): with a vsync that keeps real time the scheduler
 * calls a source's draw once per frame, halfway between vsyncs, so that what the source draws
 * there never falls between a latch and its deliveries; the synthetic desktop then steps on them
 * instead of a timer of its own.
 */
import assert from 'node:assert/strict';
import { FrameScheduler } from '../../src/scheduler/frame-scheduler';
import type { Frame } from '../../src/scheduler/frame';
import { ManualVsyncClock, TimerVsyncClock, type VsyncClock, type VsyncTick, now } from '../../src/scheduler/vsync-clock';
import { ImageSource, SyntheticDesktop, type DisplaySink } from '../../src/sources';
import { solidImage } from '../support/images';
import { quietLogger, settle } from '../support/fixture';

/** A still image that changes one pixel, and reports it, each time the display calls it to draw. */
class DrawOnFrameBegin extends ImageSource {
  readonly drawnAtNs: bigint[] = [];
  offered = false;
  private stopCallbacks: (() => void) | undefined;

  constructor() {
    super('draws on frame callbacks', async () => solidImage(16, 16, [10, 20, 30]));
  }

  override async start(sink: DisplaySink): Promise<void> {
    await super.start(sink);
    this.offered = sink.onFrameBegin !== undefined;
    this.stopCallbacks = sink.onFrameBegin?.(() => {
      this.drawnAtNs.push(process.hrtime.bigint());
      const pixels = this.surface()!.pixels;
      pixels[0] = (pixels[0]! + 1) & 255;
      sink.damage([{ x: 0, y: 0, width: 1, height: 1 }]);
    });
  }

  override async stop(): Promise<void> {
    this.stopCallbacks?.();
    await super.stop();
  }
}

/** A clock the test drives, vsyncs and halfway points alike, that says it has mid-frames. */
class SteppedClock implements VsyncClock {
  readonly hz = 60;
  readonly midFrames = true;
  private onVsync: ((tick: VsyncTick) => void) | undefined;
  private onMidFrame: (() => void) | undefined;

  start(onVsync: (tick: VsyncTick) => void, onMidFrame?: () => void): void {
    this.onVsync = onVsync;
    this.onMidFrame = onMidFrame;
  }

  stop(): void {
    this.onVsync = undefined;
    this.onMidFrame = undefined;
  }

  tick(): void {
    this.onVsync?.(now());
  }

  midFrame(): void {
    this.onMidFrame?.();
  }
}

describe('frame callbacks', () => {
  it('are called once per frame, between latches, at least a quarter period after the vsync', async () => {
    const hz = 50;
    const source = new DrawOnFrameBegin();
    const scheduler = new FrameScheduler(source, new TimerVsyncClock(hz), { logger: quietLogger });
    const frames: Frame[] = [];
    scheduler.onFrame((frame) => frames.push(frame));
    await scheduler.start();
    await settle(600);
    await scheduler.stop();
    assert.ok(source.offered, 'a timer clock offers frame callbacks');
    assert.ok(source.drawnAtNs.length >= 5, `${source.drawnAtNs.length} draws in 0.6 s at ${hz} Hz`);
    // Each draw damages a pixel, so each vsync after a draw latches: latches and draws alternate,
    // one draw per frame, never two between latches nor one before the first.
    const events = [
      ...frames.map((frame) => ({ at: frame.captureMonotonicNs, kind: 'latch' })),
      ...source.drawnAtNs.map((at) => ({ at, kind: 'draw' })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const quarterNs = BigInt(Math.round(1e9 / hz / 4));
    // Node may fire a timer up to a millisecond early (it rounds to milliseconds).
    const slackNs = 1_000_000n;
    for (let i = 0; i < events.length; i++) {
      const expected = i % 2 === 0 ? 'latch' : 'draw';
      assert.equal(events[i]!.kind, expected, `event ${i}: ${events.map((event) => event.kind).join(' ')}`);
      if (expected === 'draw') {
        const sinceLatchNs = events[i]!.at - events[i - 1]!.at;
        assert.ok(sinceLatchNs >= quarterNs - slackNs, `draw ${(i - 1) / 2}: ${Number(sinceLatchNs) / 1e6} ms after its vsync`);
      }
    }
  });

  it('are not offered by a manual clock, which has no time between its ticks', async () => {
    const source = new DrawOnFrameBegin();
    const clock = new ManualVsyncClock();
    const scheduler = new FrameScheduler(source, clock, { logger: quietLogger });
    await scheduler.start();
    clock.tick();
    await scheduler.stop();
    assert.equal(source.offered, false);
    assert.equal(scheduler.latest()?.number, 1);
  });

  it('the synthetic desktop steps on them, and not on a timer of its own', async () => {
    const clock = new SteppedClock();
    const desktop = new SyntheticDesktop({ width: 320, height: 240, animationFps: 240, windowSpeed: 400 });
    const scheduler = new FrameScheduler(desktop, clock, { logger: quietLogger });
    await scheduler.start();
    try {
      clock.tick();
      assert.equal(scheduler.latest()?.number, 1, 'the first picture');
      // Its own timer at 240 Hz would have stepped ~24 times by now, each moving the window.
      await settle(100);
      clock.tick();
      assert.equal(scheduler.latest()?.number, 1, 'no step, no damage, no frame');
      clock.midFrame();
      clock.tick();
      const stepped = scheduler.latest()!;
      assert.equal(stepped.number, 2, 'a step on the frame callback');
      assert.ok(
        stepped.damage.some((rect) => rect.width * rect.height > 100),
        `the window moved: ${JSON.stringify(stepped.damage)}`,
      );
    } finally {
      await scheduler.stop();
    }
  });

  it("the synthetic desktop at the display's rate steps on every callback, early ones too", async () => {
    const clock = new SteppedClock();
    const desktop = new SyntheticDesktop({ width: 320, height: 240, animationFps: clock.hz, windowSpeed: 2000 });
    const scheduler = new FrameScheduler(desktop, clock, { logger: quietLogger });
    await scheduler.start();
    try {
      clock.tick();
      // Callbacks 10 ms apart where the period is 16.7 ms, as when one timer fires late and the
      // next on time: each still steps (a step is due from half a frame before the period).
      for (let frame = 2; frame <= 4; frame++) {
        await settle(10);
        clock.midFrame();
        clock.tick();
        assert.equal(scheduler.latest()?.number, frame, `callback ${frame - 1} stepped`);
      }
    } finally {
      await scheduler.stop();
    }
  });

  it('the synthetic desktop steps no faster than its animation rate', async function () {
    this.timeout(10_000);
    const clock = new SteppedClock();
    // One step a second; the window moves fast, so that any step changes the picture.
    const desktop = new SyntheticDesktop({ width: 320, height: 240, animationFps: 1, windowSpeed: 2000 });
    const scheduler = new FrameScheduler(desktop, clock, { logger: quietLogger });
    await scheduler.start();
    try {
      clock.tick();
      await settle(50);
      clock.midFrame();
      clock.tick();
      assert.equal(scheduler.latest()?.number, 2, 'the first callback steps');
      await settle(50);
      clock.midFrame();
      clock.tick();
      assert.equal(scheduler.latest()?.number, 2, 'a callback well within the period does not');
      await settle(1000);
      clock.midFrame();
      clock.tick();
      assert.equal(scheduler.latest()?.number, 3, 'one a period later does');
    } finally {
      await scheduler.stop();
    }
  });
});
