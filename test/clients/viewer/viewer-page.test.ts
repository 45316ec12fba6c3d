import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { layoutFor, TASKBAR_COLOR, TERMINAL_BACKGROUND } from '../../../src/sources/synthetic/desktop-art';
import { CaptureServer } from '../../../src/server';
import { ImageSource, SyntheticDesktop } from '../../../src/sources';
import { quietLogger } from '../../support/fixture';
import { launchChromium } from '../../support/chromium';
import { pixelAt, quadrantImage, swapRedBlue } from '../../support/images';
import {
  newViewerId,
  NoisyScreen,
  openViewer,
  pageFigures,
  percentile,
  rgbOf,
  sleep,
  stalledViewer,
  startViewerStack,
  viewerIds,
  waitForFrames,
  waitUntil,
  type ViewerStack,
} from '../../support/viewer';
import type { ViewerServer } from '../../../src/clients/viewer';

/**
 * The viewer page in real headless Chromium (Debian's), against a real capture server and viewer
 * server in this process, all on 127.0.0.1.
 */

const SIZE = { width: 640, height: 360 };
/** Video through H.264 4:2:0 and back: a flat colour comes back within a few levels. */
const COLOUR_TOLERANCE = 12;

async function screenshotPixels(page: Page): Promise<Buffer> {
  return sharp(await page.screenshot())
    .ensureAlpha()
    .raw()
    .toBuffer();
}

function assertColourNear(pixels: Buffer, width: number, x: number, y: number, hex: string, what: string): void {
  const actual = pixelAt(pixels, width, x, y).slice(0, 3);
  const expected = rgbOf(hex);
  const off = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])));
  assert.ok(off <= COLOUR_TOLERANCE, `${what} at (${x}, ${y}) is rgb(${actual}), expected ${hex} within ${COLOUR_TOLERANCE}`);
}

/** What the stream and each viewer did over a few seconds: frames encoded, sent, shown. */
interface Period {
  seconds: number;
  encoded: number;
  /** By viewer id, as the server counts. */
  sent: Map<number, number>;
  dropped: Map<number, number>;
  /** By page, as the pages count. */
  shown: number[];
}

async function measurePeriod(viewer: ViewerServer, pages: Page[], durationMs: number): Promise<Period> {
  const read = async () => {
    const status = viewer.status();
    return {
      atMs: Date.now(),
      encoded: status.streams[0].stats.framesEncoded,
      viewers: new Map(status.viewers.map((stats) => [stats.id, stats])),
      shown: await Promise.all(pages.map(async (page) => (await pageFigures(page)).framesShown)),
    };
  };
  const start = await read();
  await sleep(durationMs);
  const end = await read();
  const delta = (field: 'segmentsSent' | 'segmentsDropped') =>
    new Map([...end.viewers].map(([id, stats]) => [id, stats[field] - (start.viewers.get(id)?.[field] ?? 0)]));
  return {
    seconds: (end.atMs - start.atMs) / 1000,
    encoded: end.encoded - start.encoded,
    sent: delta('segmentsSent'),
    dropped: delta('segmentsDropped'),
    shown: end.shown.map((count, i) => count - start.shown[i]),
  };
}

/** Checks that the page plays the built-in desktop live, and reports what it measured. */
async function assertPlaysDesktop(page: Page, mode: string): Promise<void> {
  const before = await waitForFrames(page, 10);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = await pageFigures(page);
  assert.equal(after.mode, mode);
  assert.equal(after.state, 'live');
  assert.deepEqual([after.width, after.height], [SIZE.width, SIZE.height]);
  assert.ok(after.currentTime > before.currentTime, `video currentTime advances: ${before.currentTime} -> ${after.currentTime}`);
  assert.ok(after.framesShown > before.framesShown, `frames shown advance: ${before.framesShown} -> ${after.framesShown}`);
  assert.match(after.overlay, /live 640×360 \d+ fps/);
  assert.match(after.overlay, new RegExp(`\\d+ ms ${mode}$`));

  // The picture is the desktop: its taskbar along the bottom, the terminal's dark background.
  const layout = layoutFor(SIZE.width, SIZE.height);
  const pixels = await screenshotPixels(page);
  assertColourNear(pixels, SIZE.width, SIZE.width / 2, layout.taskbar.y + layout.taskbar.height / 2, TASKBAR_COLOR, 'taskbar');
  const terminal = layout.terminal;
  assertColourNear(pixels, SIZE.width, terminal.x + terminal.width - 8, terminal.y + terminal.height - 8, TERMINAL_BACKGROUND, 'terminal');

  // Capture to display, as the page measured it. A latency can only come out below zero by the
  // clock sync's error when it was measured, which the page keeps beside it (half the best probe
  // round trip so far: the first frames are timed against the first probes); on loopback the
  // best is well under a frame interval. The overlay shows no negative figure.
  const latencies = after.latenciesMs;
  const errors = after.latencyErrorsMs;
  const syncError = after.clockSyncErrorMs;
  assert.ok(latencies.length >= 5, `latency samples: ${latencies.length}`);
  assert.equal(errors.length, latencies.length, 'a sync error for each latency');
  assert.ok(syncError !== null && syncError > 0 && syncError < 1000 / 30, `clock sync error ${syncError} ms`);
  assert.equal(errors.at(-1), syncError, "the last latency's error is the page's current one");
  assert.ok(
    errors.every((error, i) => i === 0 || error <= errors[i - 1]!),
    `the sync error only shrinks as better probes come: ${errors.join(' ')}`,
  );
  const below = latencies.flatMap((value, i) => (Number.isFinite(value) && value > -errors[i]! ? [] : [`${value} (error ${errors[i]})`]));
  assert.deepEqual(below, [], `latencies above minus their sync error, of ${latencies.join(' ')}`);
  assert.doesNotMatch(after.overlay, /-\d+ ms/);
  console.log(
    `      ${mode}: ${latencies.length} frames, capture-to-display latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, clock sync ±${syncError.toFixed(2)} ms`,
  );
}

describe('live viewer page in headless Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let stack: ViewerStack | undefined;

  before(async () => {
    browser = await launchChromium();
  });
  let noise: NoisyScreen | undefined;
  afterEach(async () => {
    noise?.stop();
    noise = undefined;
    for (const context of browser.contexts()) for (const page of context.pages()) await page.close();
    await stack?.stop();
    stack = undefined;
  });
  after(async () => {
    await browser?.close();
  });

  it('plays the built-in desktop with WebCodecs: the video advances, shows the desktop, and the overlay gives size, fps and latency', async () => {
    stack = await startViewerStack();
    const page = await openViewer(browser, stack.viewer.url);
    await assertPlaysDesktop(page, 'webcodecs');
  });

  it('plays it with Media Source Extensions as well (the path for browsers and origins without WebCodecs)', async () => {
    stack = await startViewerStack();
    const page = await openViewer(browser, `${stack.viewer.url}?mode=mse`);
    await assertPlaysDesktop(page, 'mse');
  });

  it('plays to three viewers at once from one encoder, and a stalled viewer does not slow them', async () => {
    // Noise at a high bitrate: the stalled viewer's TCP buffers fill within seconds.
    noise = new NoisyScreen(320, 180).start();
    stack = await startViewerStack({ source: noise.source, defaults: { width: 320, height: 180, bitrateBps: 20_000_000 } });
    const pages = await Promise.all([0, 1, 2].map(() => openViewer(browser, stack!.viewer.url)));
    const pageIds = viewerIds(stack.viewer);
    assert.equal(pageIds.size, 3);
    // The reference: the same stream and pages before anyone stalls.
    const before = await measurePeriod(stack.viewer, pages, 4000);
    const stalled = await stalledViewer(stack.viewer.address);
    try {
      // A page that reconnected meanwhile shows up as a new viewer too: say why it did.
      const stalledId = await newViewerId(stack.viewer, pageIds).catch(async (error: Error) => {
        const why = await Promise.all(
          pages.map(async (page) => {
            const { connects, state, lastReconnectReason } = await pageFigures(page);
            return { connects, state, lastReconnectReason };
          }),
        );
        throw new Error(`${error.message}; the pages: ${JSON.stringify(why)}`);
      });
      const stalledStats = () => stack!.viewer.status().viewers.find((viewer) => viewer.id === stalledId)!;
      await waitUntil(
        () => stalledStats().catchUps >= 1,
        () => `the stalled viewer never fell behind: ${JSON.stringify(stalledStats())}`,
      );
      const during = await measurePeriod(stack.viewer, pages, 4000);
      const status = stack.viewer.status();
      assert.equal(status.streams.length, 1, 'all four viewers share one stream');
      assert.equal(status.viewers.length, 4);
      const rate = (period: Period, count: number) => count / period.seconds;
      // The stream runs as fast as before the stall.
      assert.ok(
        during.encoded > 0 && rate(during, during.encoded) >= 0.75 * rate(before, before.encoded),
        `encoded ${rate(during, during.encoded).toFixed(1)} frames/s during the stall, ${rate(before, before.encoded).toFixed(1)} before`,
      );
      for (const id of pageIds) {
        // The server sent each page every frame encoded meanwhile (give or take one in flight at either end)...
        assert.equal(during.dropped.get(id), 0, `page viewer ${id} had frames dropped`);
        assert.ok(
          Math.abs(during.sent.get(id)! - during.encoded) <= 1,
          `page viewer ${id} was sent ${during.sent.get(id)} of ${during.encoded} frames encoded`,
        );
      }
      for (const [i, count] of during.shown.entries()) {
        // ...and each page kept up with the encoder (allowing for frames the compositor merged),
        assert.ok(count >= during.encoded * 0.5, `page ${i} showed ${count} of ${during.encoded} frames encoded`);
        // showing frames as fast as before the stall.
        assert.ok(
          rate(during, count) >= 0.75 * rate(before, before.shown[i]),
          `page ${i} showed ${rate(during, count).toFixed(1)} frames/s during the stall, ${rate(before, before.shown[i]).toFixed(1)} before`,
        );
      }
      assert.ok(during.dropped.get(stalledId)! > 0, 'the stalled viewer is skipped, not queued for');
      console.log(
        `      ${during.seconds.toFixed(1)} s with a stalled viewer (${stalledStats().catchUps} catch-ups): ${during.encoded} frames encoded (${before.encoded} in ${before.seconds.toFixed(1)} s before), pages showed ${during.shown.join(', ')} (before: ${before.shown.join(', ')})`,
      );
    } finally {
      stalled.terminate();
    }
  });

  it('recovers by itself when the server restarts, and plays again', async () => {
    stack = await startViewerStack();
    const page = await openViewer(browser, stack.viewer.url, 5);
    const serverListen = stack.server.address;
    const viewerListen = stack.viewer.address;
    await stack.stop();
    stack = undefined;
    await page.waitForFunction(() => window.screencapViewer.state !== 'live', null, { timeout: 10_000 });
    const during = await pageFigures(page);
    stack = await startViewerStack({ serverListen, viewerListen });
    await page.waitForFunction(
      (connects) => window.screencapViewer.connects > connects && window.screencapViewer.state === 'live',
      during.connects,
      { timeout: 30_000 },
    );
    const after = await waitForFrames(page, during.framesShown + 10);
    assert.ok(after.streams >= 2, `a new stream started: ${after.streams}`);
    assert.ok(after.framesShown >= during.framesShown + 10);
  });

  it('plays again when only the capture server restarts under a running viewer server', async () => {
    stack = await startViewerStack();
    const page = await openViewer(browser, stack.viewer.url, 5);
    const playing = await pageFigures(page);
    const listen = stack.server.address;
    await stack.server.stop(500);
    await page.waitForFunction(() => window.screencapViewer.state !== 'live', null, { timeout: 10_000 });
    const during = await pageFigures(page);
    // The viewer server's gRPC client reconnects to whoever serves the address next.
    const restarted = await CaptureServer.start({
      source: new SyntheticDesktop({ width: 640, height: 360, animationFps: 30 }),
      listen,
      vsync: 30,
      logger: quietLogger,
    });
    stack.server = restarted;
    const after = await waitForFrames(page, during.framesShown + 10);
    assert.equal(after.state, 'live');
    // The viewer server closed the page's connection when its stream failed; the page opened a
    // new one (perhaps before the capture server was back, so not necessarily after `during`).
    assert.ok(
      after.connects > playing.connects && after.streams > playing.streams,
      `reconnected to a new stream: ${JSON.stringify({ playing, during, after })}`,
    );
  });

  it('serves /frame.png as the current screen, pixel for pixel, and /frame.jpg close to it', async () => {
    const image = quadrantImage(320, 240);
    const source = ImageSource.fromPixels(image);
    stack = await startViewerStack({ source });
    const snapshot = async () => {
      const response = await fetch(`${stack!.viewer.url}frame.png`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/png');
      const decoded = await sharp(Buffer.from(await response.arrayBuffer()))
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      assert.deepEqual([decoded.info.width, decoded.info.height], [320, 240]);
      return {
        pixels: decoded.data,
        captureTimeMs: Number(response.headers.get('x-capture-time-ms')),
        frameNumber: Number(response.headers.get('x-frame-number')),
      };
    };
    const first = await snapshot();
    assert.ok(first.pixels.equals(image.pixels), 'identical pixels');

    const jpg = await fetch(`${stack.viewer.url}frame.jpg?size=160x120`);
    assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
    const small = await sharp(Buffer.from(await jpg.arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([small.info.width, small.info.height, small.info.channels], [160, 120, 3]);
    // Quadrant centres: red, green / blue, white.
    for (const [x, y, rgb] of [
      [40, 30, [255, 0, 0]],
      [120, 30, [0, 255, 0]],
      [40, 90, [0, 0, 255]],
      [120, 90, [255, 255, 255]],
    ] as const) {
      const at = [...small.data.subarray((y * 160 + x) * 3, (y * 160 + x) * 3 + 3)];
      assert.ok(
        at.every((value, i) => Math.abs(value - rgb[i]) <= 8),
        `jpg (${x}, ${y}) = ${at}, expected ${rgb}`,
      );
    }

    // A new picture on the screen: the next snapshot shows it, not the first one again.
    const changed = swapRedBlue(image.pixels);
    // On the capture server's clock (it runs in this process).
    const changedAtMs = performance.timeOrigin + performance.now();
    source.setImage({ ...image, pixels: changed });
    // Wait until the capture server has latched it (a frame after the one snapshotted).
    const session = await stack.client.openSession({ clientName: 'test' });
    await session.configure({ width: 320, height: 240, rotation: 0, pixelFormat: 'rgba8', bufferCount: 1 });
    let latched = await session.nextFrame();
    while (latched.frameNumber <= first.frameNumber) {
      await latched.release();
      latched = await session.nextFrame();
    }
    await latched.release(); // its number and capture time stay readable
    await session.close();
    const second = await snapshot();
    assert.ok(second.pixels.equals(changed), 'the second snapshot shows the new picture');
    // The screen is still again: the snapshot is the very frame latched, with its capture time.
    assert.deepEqual([second.frameNumber, second.captureTimeMs], [latched.frameNumber, latched.captureTimeMs]);
    assert.ok(
      first.captureTimeMs > 0 && first.captureTimeMs < changedAtMs,
      `first captured at ${first.captureTimeMs}, picture changed at ${changedAtMs}`,
    );
    assert.ok(second.captureTimeMs > first.captureTimeMs);

    const bad = await fetch(`${stack.viewer.url}frame.png?size=0x5`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /^size: expected WIDTHxHEIGHT/);
    const huge = await fetch(`${stack.viewer.url}frame.png?size=8000x8000`);
    assert.equal(huge.status, 400);
    assert.match(await huge.text(), /^size: each side must be from 1 to 4096, got 8000x8000/);
    assert.equal((await fetch(`${stack.viewer.url}nothing-here`)).status, 404);
    assert.equal((await fetch(stack.viewer.url, { method: 'POST' })).status, 405);
  });

  it('takes at most four snapshots at once, answering the others 429 with a reason, and serves again after', async () => {
    stack = await startViewerStack({ source: ImageSource.fromPixels(quadrantImage(320, 240)) });
    // Large enough that each takes a while to render and encode: they overlap.
    const answers = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const response = await fetch(`${stack!.viewer.url}frame.png?size=1600x1200`);
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: response.status === 200 ? '' : await response.text(),
        };
      }),
    );
    const served = answers.filter((a) => a.status === 200).length;
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(served + refused.length, 16, `statuses: ${answers.map((a) => a.status).join(' ')}`);
    assert.ok(served >= 4, `served ${served} of 16`);
    assert.ok(refused.length >= 1, `none of 16 at once was refused`);
    for (const answer of refused) {
      assert.equal(answer.retryAfter, '1');
      assert.match(answer.body, /^4 snapshots are being taken already; retry shortly/);
    }
    assert.equal((await fetch(`${stack.viewer.url}frame.png`)).status, 200, 'served again once the burst is over');
  });
});
