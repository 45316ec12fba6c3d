/** A recording of the built-in desktop plays in real headless Chromium at its real length. */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/chromium';
import { Recorder } from '../../../src/clients';
import { startStaticFileServer, type StaticFileServer } from '../../support/media/static-file-server';
import { DesktopServer, temporaryDirectory } from '../../support/recorder';

const PAGE = `<!doctype html><meta charset="utf-8"><title>recording</title>
<video id="video" muted playsinline preload="auto" src="/display.mp4"></video>`;

describe('A recording in Chromium', function () {
  this.timeout(60_000);

  it('loads with the recorded size and duration, and plays', async () => {
    const desktop = await DesktopServer.start(320, 240);
    const out = await temporaryDirectory();
    let files: StaticFileServer | undefined;
    let browser: Browser | undefined;
    try {
      const summary = await new Recorder(desktop.client, { outDir: out.path }).run({ signal: AbortSignal.timeout(2000) });
      files = await startStaticFileServer({
        '/': { body: PAGE, contentType: 'text/html' },
        '/display.mp4': { path: summary.path, contentType: 'video/mp4' },
      });
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${files.url}/`);
      await page.waitForFunction(
        () => {
          const video = document.getElementById('video') as HTMLVideoElement;
          return video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA || video.error !== null;
        },
        null,
        { timeout: 20_000 },
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
      assert.equal(facts.error, null);
      assert.ok(facts.readyState >= 2);
      assert.deepEqual([facts.width, facts.height], [320, 240]);
      assert.ok(Math.abs(facts.duration * 1e6 - summary.durationUs) <= 1000, `duration ${facts.duration} s vs ${summary.durationUs} us`);
      await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).play());
      await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 0.5, null, { timeout: 20_000 });
    } finally {
      await browser?.close();
      await files?.close();
      await desktop.stop();
      await out.remove();
    }
  });
});
