/**
 * A capture server and a viewer server in this process (real gRPC and HTTP on 127.0.0.1), and
 * what the tests read from the viewer page.
 */
import { randomFillSync } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { CaptureClient } from '../../src/clients/capture-client';
import { DEFAULT_STREAM_SETTINGS, ViewerServer, type StreamSettings, type ViewerServerOptions } from '../../src/clients/viewer';
import type { ViewerFigures } from '../../src/clients/viewer/wire/stream-messages';
import { CaptureServer } from '../../src/server';
import { ImageSource, SyntheticDesktop, type DisplaySource, type StillImage } from '../../src/sources';
import { quietLogger } from './fixture';
import type { Logger } from '../../src/util/logger';

export interface ViewerStack {
  server: CaptureServer;
  client: CaptureClient;
  viewer: ViewerServer;
  stop(): Promise<void>;
}

/** The tests' stream size unless they ask for another: small, so that encoding is cheap. */
const TEST_STREAM_SIZE = { width: 640, height: 360 };

export async function startViewerStack(
  options: {
    source?: DisplaySource;
    /** Over DEFAULT_STREAM_SETTINGS at 640x360; 'as shipped' keeps DEFAULT_STREAM_SETTINGS as they are. */
    defaults?: Partial<StreamSettings> | 'as shipped';
    /** Reuse these ports (a restart). */
    serverListen?: string;
    viewerListen?: string;
    vsync?: number;
    limits?: Pick<ViewerServerOptions, 'maxViewers' | 'maxStreams' | 'maxSnapshots'>;
    /** The capture server's logger (default: silent). */
    serverLogger?: Logger;
  } = {},
): Promise<ViewerStack> {
  const source = options.source ?? new SyntheticDesktop({ width: 640, height: 360, animationFps: 30 });
  const server = await CaptureServer.start({
    source,
    listen: options.serverListen ?? '127.0.0.1:0',
    vsync: options.vsync ?? 30,
    logger: options.serverLogger ?? quietLogger,
  });
  const client = new CaptureClient({ address: server.address });
  const viewer = await ViewerServer.start({
    client,
    listen: options.viewerListen ?? '127.0.0.1:0',
    defaults:
      options.defaults === 'as shipped'
        ? DEFAULT_STREAM_SETTINGS
        : { ...DEFAULT_STREAM_SETTINGS, ...TEST_STREAM_SIZE, ...options.defaults },
    logger: quietLogger,
    ...options.limits,
  });
  const stack: ViewerStack = {
    server,
    client,
    viewer,
    async stop() {
      await viewer.stop();
      client.close();
      // The capture server as it is now: a test may have restarted it.
      await stack.server.stop(500);
    },
  };
  return stack;
}

declare global {
  interface Window {
    screencapViewer: ViewerFigures;
  }
}

/** The page's figures, with what the test reads off the page itself. */
export interface PageFigures extends ViewerFigures {
  currentTime: number;
  overlay: string;
}

export async function pageFigures(page: Page): Promise<PageFigures> {
  return page.evaluate(() => ({
    ...window.screencapViewer,
    latenciesMs: [...window.screencapViewer.latenciesMs],
    latencyErrorsMs: [...window.screencapViewer.latencyErrorsMs],
    currentTime: (document.getElementById('screen') as HTMLVideoElement).currentTime,
    overlay: (document.getElementById('overlay')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
  }));
}

/** Opens the page and waits until it has shown `frames` frames (fails with what it saw). */
export async function openViewer(browser: Browser, url: string, frames = 3): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  await page.goto(url);
  await waitForFrames(page, frames);
  return page;
}

export async function waitForFrames(page: Page, atLeast: number, timeoutMs = 30_000): Promise<PageFigures> {
  try {
    await page.waitForFunction((n) => window.screencapViewer?.framesShown >= n, atLeast, { timeout: timeoutMs, polling: 100 });
  } catch (error) {
    throw new Error(`the page did not show ${atLeast} frames: ${JSON.stringify(await pageFigures(page).catch(() => null))}`, {
      cause: error,
    });
  }
  return pageFigures(page);
}

/** Nearest-rank percentile (p from 0 to 100); NaN for no values. Also used by the viewer benchmark. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms until it holds; fails with `what()` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await sleep(50);
  }
}

/**
 * The id of the one viewer the server has now that was not among `known` (waiting for it to be
 * admitted): a viewer found by what it is, not by the order ids happened to be given in.
 */
export async function newViewerId(viewer: ViewerServer, known: ReadonlySet<number>): Promise<number> {
  const fresh = () =>
    viewer
      .status()
      .viewers.map((stats) => stats.id)
      .filter((id) => !known.has(id));
  await waitUntil(
    () => fresh().length > 0,
    () => `no new viewer beside ${[...known].join(', ')}`,
  );
  const ids = fresh();
  if (ids.length !== 1) throw new Error(`expected one new viewer, found ${ids.join(', ')}`);
  return ids[0];
}

export function viewerIds(viewer: ViewerServer): Set<number> {
  return new Set(viewer.status().viewers.map((stats) => stats.id));
}

/** A viewer that reads nothing: its socket is paused, so the kernel buffers fill and stay full. */
export async function stalledViewer(viewerAddress: string): Promise<WebSocket> {
  const socket = new WebSocket(`ws://${viewerAddress}/stream`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // Pausing stops reading from the TCP socket: the server's writes back up as a slow network's would.
  socket.pause();
  return socket;
}

/**
 * A viewer on a slow link: a WebSocket client that reads everything, but through a TCP relay
 * that passes what the viewer server sends at no more than `bytesPerSecond` (and reads from the
 * server only as fast, so the server's socket backs up as it would over a slow network).
 */
export class ThrottledViewer {
  /** Binary messages received. */
  messages = 0;
  private stalled = false;
  private readonly stalledUpstreams = new Set<Socket>();
  private constructor(
    readonly socket: WebSocket,
    private readonly relay: Server,
    private readonly relayed: Socket[],
  ) {}

  /**
   * Passes nothing until resume() (the server's socket backs up as over a link that stalls).
   * How long that takes to make the server's queue overflow depends on how much the kernel's
   * socket buffers absorb first (loopback autotuning grows them to megabytes), so a test stalls
   * until the server says the viewer fell behind, rather than for a fixed time.
   */
  stall(): void {
    this.stalled = true;
  }

  /** Goes on at the relay's rate, which it is then behind: what backed up passes as fast as it can. */
  resume(): void {
    this.stalled = false;
    for (const upstream of this.stalledUpstreams) upstream.resume();
    this.stalledUpstreams.clear();
  }

  static async connect(viewerAddress: string, bytesPerSecond: number): Promise<ThrottledViewer> {
    const separator = viewerAddress.lastIndexOf(':');
    const [host, port] = [viewerAddress.slice(0, separator), Number(viewerAddress.slice(separator + 1))];
    const relayed: Socket[] = [];
    const relay = createServer((client) => {
      const upstream = connect(port, host);
      relayed.push(client, upstream);
      client.pipe(upstream);
      // A token bucket: after each chunk, pause until the bytes passed fit the rate.
      const startedMs = Date.now();
      let passed = 0;
      upstream.on('data', (chunk: Buffer) => {
        client.write(chunk);
        passed += chunk.length;
        if (viewer.stalled) {
          upstream.pause();
          viewer.stalledUpstreams.add(upstream);
          return;
        }
        const aheadMs = (passed / bytesPerSecond) * 1000 - (Date.now() - startedMs);
        if (aheadMs > 0) {
          upstream.pause();
          setTimeout(() => upstream.resume(), aheadMs);
        }
      });
      for (const socket of [client, upstream])
        socket.on('error', () => undefined).on('close', () => (socket === client ? upstream : client).destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const socket = new WebSocket(`ws://127.0.0.1:${(relay.address() as AddressInfo).port}/stream`);
    const viewer = new ThrottledViewer(socket, relay, relayed);
    socket.on('message', (_data, isBinary) => {
      if (isBinary) viewer.messages++;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return viewer;
  }

  close(): void {
    this.socket.terminate();
    for (const socket of this.relayed) socket.destroy();
    this.relay.close();
  }
}

/**
 * A screen of fresh random noise at every step: incompressible, so the stream runs at its full
 * bitrate and a reader that stops reading backs up within seconds (TCP buffers on loopback hold
 * megabytes). Stop it before the server.
 *
 * A whole screen of new noise is a new scene to the encoder, which then makes every frame a
 * keyframe; with `noisyShare` below 1, only that share of the rows (at the top) changes and the
 * rest stays as it was, so the frames between keyframes are predicted, as on a real screen.
 */
export class NoisyScreen {
  readonly source: ImageSource;
  private timer: NodeJS.Timeout | undefined;
  private readonly pixels: Buffer;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly noisyShare = 1,
  ) {
    this.pixels = randomFillSync(Buffer.alloc(width * height * 4));
    this.source = ImageSource.fromPixels(this.noise());
  }

  start(fps = 30): this {
    this.timer = setInterval(() => this.source.setImage(this.noise()), 1000 / fps);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private noise(): StillImage {
    const pixels = Buffer.from(this.pixels);
    randomFillSync(pixels, 0, Math.round(this.height * this.noisyShare) * this.width * 4);
    return { width: this.width, height: this.height, format: 'rgba8', pixels };
  }
}

/** Parses a hex colour such as '#202830'. */
export function rgbOf(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}
