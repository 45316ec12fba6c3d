/** A recording of the built-in desktop plays in real headless Chromium at its real length. */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/chromium';
import { Recorder } from '../../../src/clients';
import { openVideoPage, type VideoPage } from '../../support/media/video-page';
import { DesktopServer, temporaryDirectory } from '../../support/recorder';

describe('A recording in Chromium', function () {
  this.timeout(60_000);

  it('loads with the recorded size and duration, and plays', async () => {
    const desktop = await DesktopServer.start(320, 240);
    const out = await temporaryDirectory();
    let video: VideoPage | undefined;
    let browser: Browser | undefined;
    try {
      const summary = await new Recorder(desktop.client, { outDir: out.path }).run({ signal: AbortSignal.timeout(2000) });
      browser = await launchChromium();
      video = await openVideoPage(browser, summary.path, 20_000);
      const { facts } = video;
      assert.equal(facts.error, null);
      assert.ok(facts.readyState >= 2);
      assert.deepEqual([facts.width, facts.height], [320, 240]);
      assert.ok(Math.abs(facts.duration * 1e6 - summary.durationUs) <= 1000, `duration ${facts.duration} s vs ${summary.durationUs} us`);
      await video.playPast(0.5, 20_000);
    } finally {
      await browser?.close();
      await video?.close();
      await desktop.stop();
      await out.remove();
    }
  });
});
