import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { FragmentedMp4Writer } from '../../src/media/mp4';
import { encodeTestVideo, type H264Fixture } from '../support/media/h264-fixture';
import { muxFixture } from '../support/media/mux';
import { irregularTimestamps } from '../support/media/sample-timing';
import { startStaticFileServer, type StaticFileServer } from '../support/media/static-file-server';

/**
 * The writer's files in a real browser: Debian's Chromium, headless, playing them from a plain
 * <video> element served over HTTP, as the viewer and a user's browser would.
 */

const FRAMES = 90;
const PAGE = `<!doctype html><meta charset="utf-8"><title>playback</title>
<video id="finished" muted playsinline preload="auto" src="/finished.mp4"></video>
<video id="crashed" muted playsinline preload="auto" src="/crashed.mp4"></video>
<canvas id="canvas" width="320" height="240"></canvas>`;

interface VideoFacts {
  readyState: number;
  videoWidth: number;
  videoHeight: number;
  duration: number;
  error: number | null;
}

/** Waits until the element has its first frame (readyState >= HAVE_CURRENT_DATA) or fails. */
async function loadedVideo(page: Page, id: string): Promise<VideoFacts> {
  await page.waitForFunction(
    (elementId) => {
      const video = document.getElementById(elementId) as HTMLVideoElement;
      return video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA || video.error !== null;
    },
    id,
    { timeout: 20_000 },
  );
  return page.evaluate((elementId) => {
    const video = document.getElementById(elementId) as HTMLVideoElement;
    return {
      readyState: video.readyState,
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      duration: video.duration,
      error: video.error?.code ?? null,
    };
  }, id);
}

describe('FragmentedMp4Writer output in headless Chromium', function () {
  this.timeout(60_000);
  let directory: string;
  let fixture: H264Fixture;
  let server: StaticFileServer;
  let browser: Browser;
  let page: Page;
  let codec: string;
  const timestamps = irregularTimestamps(FRAMES);
  const stopTimeUs = timestamps[FRAMES - 1] + 33_333;
  /** The crashed copy holds the first two fragments: it ends where the third one starts. */
  let crashedEndUs: number;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'screencap-mp4-chromium-'));
    fixture = await encodeTestVideo(directory, { width: 320, height: 240, frames: FRAMES, gop: 15 });

    const finished = join(directory, 'finished.mp4');
    codec = (await muxFixture(finished, fixture, timestamps, stopTimeUs)).codec;

    // A recording that never finished: the file as it was on disk after its second fragment.
    const crashed = join(directory, 'crashed.mp4');
    const writer = await FragmentedMp4Writer.create(join(directory, 'unfinished.mp4'), {
      width: fixture.width,
      height: fixture.height,
      sps: fixture.sps,
      pps: fixture.pps,
      fragmentDurationMs: 500,
    });
    for (let index = 0; writer.fragmentsWritten < 2; index++) {
      const unit = fixture.accessUnits[index];
      await writer.addSample({ data: unit.avcc, timestampUs: timestamps[index], isKeyframe: unit.isKeyframe });
      if (writer.fragmentsWritten === 2) {
        await copyFile(join(directory, 'unfinished.mp4'), crashed);
        crashedEndUs = timestamps[index];
      }
    }
    await writer.finish();

    server = await startStaticFileServer({
      '/': { body: PAGE, contentType: 'text/html' },
      '/finished.mp4': { path: finished, contentType: 'video/mp4' },
      '/crashed.mp4': { path: crashed, contentType: 'video/mp4' },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${server.url}/`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('says it can play this H.264 profile in MP4, by MSE and by WebCodecs', async () => {
    assert.equal(codec, 'avc1.42c00d');
    const support = await page.evaluate(async (codecString) => {
      const type = `video/mp4; codecs="${codecString}"`;
      return {
        secureContext: window.isSecureContext,
        mediaSource: MediaSource.isTypeSupported(type),
        canPlayType: document.createElement('video').canPlayType(type),
        webCodecs: (await VideoDecoder.isConfigSupported({ codec: codecString, codedWidth: 320, codedHeight: 240 })).supported,
      };
    }, codec);
    assert.deepEqual(support, { secureContext: true, mediaSource: true, canPlayType: 'probably', webCodecs: true });
  });

  it('loads the finished file with the right size and duration, and plays it to the end', async () => {
    const facts = await loadedVideo(page, 'finished');
    assert.equal(facts.error, null);
    assert.ok(facts.readyState >= 2);
    assert.equal(facts.videoWidth, 320);
    assert.equal(facts.videoHeight, 240);
    assert.ok(Math.abs(facts.duration * 1e6 - stopTimeUs) <= 1000, `duration ${facts.duration} s, stop ${stopTimeUs} us`);

    await page.evaluate(() => (document.getElementById('finished') as HTMLVideoElement).play());
    await page.waitForFunction(() => (document.getElementById('finished') as HTMLVideoElement).currentTime > 0.5, null, {
      timeout: 20_000,
    });
    // A decoded picture, not a blank one: the test pattern has many colours.
    const spread = await page.evaluate(() => {
      const video = document.getElementById('finished') as HTMLVideoElement;
      const context = (document.getElementById('canvas') as HTMLCanvasElement).getContext('2d')!;
      context.drawImage(video, 0, 0, 320, 240);
      const { data } = context.getImageData(0, 0, 320, 240);
      let min = 255;
      let max = 0;
      for (let i = 0; i < data.length; i += 4) {
        const luma = (data[i] + data[i + 1] + data[i + 2]) / 3;
        min = Math.min(min, luma);
        max = Math.max(max, luma);
      }
      return max - min;
    });
    assert.ok(spread > 100, `luma spread ${spread}`);

    await page.waitForFunction(() => (document.getElementById('finished') as HTMLVideoElement).ended, null, { timeout: 20_000 });
    const end = await page.evaluate(() => (document.getElementById('finished') as HTMLVideoElement).currentTime);
    assert.ok(Math.abs(end * 1e6 - stopTimeUs) <= 1000, `ended at ${end} s`);
  });

  it('plays a file whose recording never finished, up to its last complete fragment', async () => {
    const facts = await loadedVideo(page, 'crashed');
    assert.equal(facts.error, null);
    assert.equal(facts.videoWidth, 320);
    assert.equal(facts.videoHeight, 240);
    assert.ok(Math.abs(facts.duration * 1e6 - crashedEndUs) <= 1000, `duration ${facts.duration} s, end ${crashedEndUs} us`);
    await page.evaluate(() => (document.getElementById('crashed') as HTMLVideoElement).play());
    await page.waitForFunction(() => (document.getElementById('crashed') as HTMLVideoElement).ended, null, { timeout: 20_000 });
  });
});
