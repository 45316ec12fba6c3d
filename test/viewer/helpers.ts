/**
 * A capture server and a viewer server in this process (real gRPC and HTTP on 127.0.0.1), and
 * what the tests read from the viewer page.
 */
import { randomFillSync } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { CaptureClient } from '../../src/clients/capture-client';
import { DEFAULT_STREAM_SETTINGS, ViewerServer, type StreamSettings } from '../../src/clients/viewer';
import type { ViewerFigures } from '../../src/clients/viewer/wire/stream-messages';
import { CaptureServer } from '../../src/server';
import { ImageSource, SyntheticDesktop, type DisplaySource, type StillImage } from '../../src/sources';
import { quietLogger } from '../support/fixture';

export interface ViewerStack {
  server: CaptureServer;
  client: CaptureClient;
  viewer: ViewerServer;
  stop(): Promise<void>;
}

export async function startViewerStack(options: {
  source?: DisplaySource;
  defaults?: Partial<StreamSettings>;
  /** Reuse these ports (a restart). */
  serverListen?: string;
  viewerListen?: string;
  vsync?: number;
} = {}): Promise<ViewerStack> {
  const source = options.source ?? new SyntheticDesktop({ width: 640, height: 360, animationFps: 30 });
  const server = await CaptureServer.start({ source, listen: options.serverListen ?? '127.0.0.1:0', vsync: options.vsync ?? 30, logger: quietLogger });
  const client = new CaptureClient({ address: server.address });
  const viewer = await ViewerServer.start({
    client,
    listen: options.viewerListen ?? '127.0.0.1:0',
    defaults: { ...DEFAULT_STREAM_SETTINGS, width: 640, height: 360, ...options.defaults },
    logger: quietLogger,
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
    throw new Error(`the page did not show ${atLeast} frames: ${JSON.stringify(await pageFigures(page).catch(() => null))}`, { cause: error });
  }
  return pageFigures(page);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
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
 * A screen of fresh random noise at every step: incompressible, so the stream runs at its full
 * bitrate and a reader that stops reading backs up within seconds (TCP buffers on loopback hold
 * megabytes). Stop it before the server.
 */
export class NoisyScreen {
  readonly source: ImageSource;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly width: number, private readonly height: number) {
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
    return { width: this.width, height: this.height, format: 'rgba8', pixels: randomFillSync(Buffer.alloc(this.width * this.height * 4)) };
  }
}

/** Parses a hex colour such as '#202830'. */
export function rgbOf(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}
