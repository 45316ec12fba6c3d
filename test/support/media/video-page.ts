/**
 * An MP4 file opened in headless Chromium as a user opens one: a page with one <video>, both
 * served over HTTP on 127.0.0.1, loaded until the first picture (or an error).
 */
import type { Browser, Page } from 'playwright-core';
import { startStaticFileServer } from './static-file-server';

const PAGE = `<!doctype html><meta charset="utf-8"><title>recording</title>
<video id="video" muted playsinline preload="auto" src="/display.mp4"></video>`;

/** What the <video> element says of the file once loaded. */
export interface VideoFacts {
  /** MediaError code, or null. */
  error: number | null;
  readyState: number;
  width: number;
  height: number;
  /** Seconds. */
  duration: number;
}

export interface VideoPage {
  page: Page;
  facts: VideoFacts;
  /** Plays until currentTime passes `seconds`. */
  playPast(seconds: number, timeoutMs: number): Promise<void>;
  /** Stops serving the file (the page closes with its browser). */
  close(): Promise<void>;
}

export async function openVideoPage(browser: Browser, mp4Path: string, timeoutMs: number): Promise<VideoPage> {
  const files = await startStaticFileServer({
    '/': { body: PAGE, contentType: 'text/html' },
    '/display.mp4': { path: mp4Path, contentType: 'video/mp4' },
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${files.url}/`);
    await page.waitForFunction(
      () => {
        const video = document.getElementById('video') as HTMLVideoElement;
        return video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA || video.error !== null;
      },
      null,
      { timeout: timeoutMs },
    );
    const facts = await page.evaluate(() => {
      const video = document.getElementById('video') as HTMLVideoElement;
      return {
        error: video.error?.code ?? null,
        readyState: video.readyState,
        width: video.videoWidth,
        height: video.videoHeight,
        duration: video.duration,
      };
    });
    return {
      page,
      facts,
      async playPast(seconds, playTimeoutMs) {
        await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).play());
        await page.waitForFunction((at) => (document.getElementById('video') as HTMLVideoElement).currentTime > at, seconds, {
          timeout: playTimeoutMs,
        });
      },
      close: () => files.close(),
    };
  } catch (error) {
    await files.close();
    throw error;
  }
}
