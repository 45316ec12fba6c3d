import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { layoutFor, TASKBAR_COLOR, TERMINAL_BACKGROUND } from '../../src/sources/synthetic/desktop-art';
import { CaptureServer } from '../../src/server';
import { ImageSource, SyntheticDesktop } from '../../src/sources';
import { quietLogger } from '../support/fixture';
import { launchChromium } from '../support/chromium';
import { pixelAt, quadrantImage } from '../support/images';
import {
  NoisyScreen,
  openViewer,
  pageFigures,
  percentile,
  rgbOf,
  stalledViewer,
  startViewerStack,
  waitForFrames,
  type ViewerStack,
} from './helpers';

/**
 * The viewer page in real headless Chromium (Debian's), against a real capture server and viewer
 * server in this process, all on 127.0.0.1.
 */

const SIZE = { width: 640, height: 360 };
/** Video through H.264 4:2:0 and back: a flat colour comes back within a few levels. */
const COLOUR_TOLERANCE = 12;

async function screenshotPixels(page: Page): Promise<Buffer> {
  return sharp(await page.screenshot()).ensureAlpha().raw().toBuffer();
}

function assertColourNear(pixels: Buffer, width: number, x: number, y: number, hex: string, what: string): void {
  const actual = pixelAt(pixels, width, x, y).slice(0, 3);
  const expected = rgbOf(hex);
  const off = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])));
  assert.ok(off <= COLOUR_TOLERANCE, `${what} at (${x}, ${y}) is rgb(${actual}), expected ${hex} within ${COLOUR_TOLERANCE}`);
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

  // Capture to display, as the page measured it: reported, and only required to exist and be sane.
  const latencies = after.latenciesMs;
  assert.ok(latencies.length >= 5, `latency samples: ${latencies.length}`);
  assert.ok(latencies.every((value) => Number.isFinite(value) && value > 0), `latencies are positive: min ${Math.min(...latencies)} of ${latencies.join(' ')}`);
  console.log(`      ${mode}: ${latencies.length} frames, capture-to-display latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`);
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
    const stalled = await stalledViewer(stack.viewer.address);
    const stalledStats = () => stack!.viewer.status().viewers.find((viewer) => viewer.id === 4);
    try {
      const deadline = Date.now() + 30_000;
      while ((stalledStats()?.catchUps ?? 0) < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok((stalledStats()?.catchUps ?? 0) >= 1, `the stalled viewer fell behind: ${JSON.stringify(stalledStats())}`);
      const encodedBefore = stack.viewer.status().streams[0].stats.framesEncoded;
      const shownBefore = await Promise.all(pages.map(async (page) => (await pageFigures(page)).framesShown));
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const status = stack.viewer.status();
      const encoded = status.streams[0].stats.framesEncoded - encodedBefore;
      const shown = await Promise.all(pages.map(async (page, i) => (await pageFigures(page)).framesShown - shownBefore[i]));
      assert.equal(status.streams.length, 1, 'all four viewers share one stream');
      assert.equal(status.viewers.length, 4);
      assert.ok(encoded >= 10, `frames encoded in 4 s: ${encoded}`);
      // Each page kept up with the encoder (allowing for frames the compositor merged).
      for (const [i, count] of shown.entries()) assert.ok(count >= encoded * 0.5, `page ${i} showed ${count} of ${encoded} frames encoded`);
      assert.ok(stalledStats()!.segmentsDropped > 0, 'the stalled viewer is skipped, not queued for');
      console.log(`      4 s with a stalled viewer (${stalledStats()!.catchUps} catch-ups): ${encoded} frames encoded, pages showed ${shown.join(', ')}`);
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
    await page.waitForFunction((connects) => window.screencapViewer.connects > connects && window.screencapViewer.state === 'live', during.connects, { timeout: 30_000 });
    const after = await waitForFrames(page, during.framesShown + 10);
    assert.ok(after.streams >= 2, `a new stream started: ${after.streams}`);
    assert.ok(after.framesShown >= during.framesShown + 10);
  });

  it('plays again when only the capture server restarts under a running viewer server', async () => {
    stack = await startViewerStack();
    const page = await openViewer(browser, stack.viewer.url, 5);
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
    assert.ok(after.connects > during.connects - 1 && after.streams >= 2, `reconnected to a new stream: ${JSON.stringify(after)}`);
  });

  it('serves /frame.png as the current screen, pixel for pixel, and /frame.jpg close to it', async () => {
    const image = quadrantImage(320, 240);
    stack = await startViewerStack({ source: ImageSource.fromPixels(image) });
    const png = await fetch(`${stack.viewer.url}frame.png`);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const decoded = await sharp(Buffer.from(await png.arrayBuffer())).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([decoded.info.width, decoded.info.height], [320, 240]);
    assert.ok(decoded.data.equals(image.pixels), 'identical pixels');

    const jpg = await fetch(`${stack.viewer.url}frame.jpg?size=160x120`);
    assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
    const small = await sharp(Buffer.from(await jpg.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([small.info.width, small.info.height, small.info.channels], [160, 120, 3]);
    // Quadrant centres: red, green / blue, white.
    for (const [x, y, rgb] of [[40, 30, [255, 0, 0]], [120, 30, [0, 255, 0]], [40, 90, [0, 0, 255]], [120, 90, [255, 255, 255]]] as const) {
      const at = [...small.data.subarray((y * 160 + x) * 3, (y * 160 + x) * 3 + 3)];
      assert.ok(at.every((value, i) => Math.abs(value - rgb[i]) <= 8), `jpg (${x}, ${y}) = ${at}, expected ${rgb}`);
    }

    const bad = await fetch(`${stack.viewer.url}frame.png?size=0x5`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /^size: expected WIDTHxHEIGHT/);
    assert.equal((await fetch(`${stack.viewer.url}nothing-here`)).status, 404);
    assert.equal((await fetch(stack.viewer.url, { method: 'POST' })).status, 405);
  });
});
