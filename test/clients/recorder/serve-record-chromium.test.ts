/**
 * Issue 3's "done when", as a user does it: `screencap serve --record DIR` on the built-in 1920x1080
 * desktop for 20 seconds, stopped with Ctrl-C (SIGINT); then display.mp4 plays in real headless
 * Chromium at the length it was recorded, and shows the desktop.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/chromium';
import { layoutFor, TASKBAR_COLOR } from '../../../src/sources/synthetic/desktop-art';
import { openVideoPage, type VideoPage } from '../../support/media/video-page';
import { ServeProcess } from '../../support/cli-process';
import { temporaryDirectory } from '../../support/recorder';

const RECORD_MS = 20_000;
/** The built-in desktop's default size: what a newcomer's `screencap serve` shows. */
const WIDTH = 1920;
const HEIGHT = 1080;
/** Per channel, out of 255: H.264 at 5 Mbit/s and two RGB <-> YUV conversions move flat colour a little. */
const COLOUR_TOLERANCE = 12;

function rgb(hex: string): [number, number, number] {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

describe('screencap serve --record, played in Chromium', function () {
  this.timeout(RECORD_MS + 90_000);

  it('records 20 s of the built-in desktop that play at their real length and show the desktop', async () => {
    const out = await temporaryDirectory();
    let video: VideoPage | undefined;
    let browser: Browser | undefined;
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--record', join(out.path, 'display.mp4')]);
    try {
      // The recording starts with the recorder's session (its first frame follows within a vsync
      // or two), not with the process: the desktop is drawn before the server listens.
      const started = await new Promise<number>((resolve, reject) => {
        const poll = setInterval(() => {
          if (/session opened session=\S+ client=recorder/.test(server.output.stderr)) {
            clearInterval(poll);
            resolve(performance.now());
          } else if (server.child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`serve exited: ${server.output.stderr}`));
          }
        }, 10);
      });
      await new Promise((resolve) => setTimeout(resolve, RECORD_MS - (performance.now() - started)));
      const wallS = (performance.now() - started) / 1000;
      assert.equal(await server.stop(), 0, server.output.stderr);
      assert.match(server.output.stderr, /recording finished path=\S+display\.mp4/);

      browser = await launchChromium();
      video = await openVideoPage(browser, join(out.path, 'display.mp4'), 30_000);
      const { page, facts } = video;
      assert.equal(facts.error, null);
      assert.deepEqual([facts.width, facts.height], [WIDTH, HEIGHT]);
      assert.ok(Math.abs(facts.duration - wallS) <= wallS * 0.02, `duration ${facts.duration} s, recorded for ${wallS.toFixed(2)} s`);
      await video.playPast(1, 30_000);

      // A frame from the middle of the recording, drawn at full size: the taskbar runs along
      // the bottom of the built-in desktop in its colour (the moving window never covers it).
      const { taskbar } = layoutFor(WIDTH, HEIGHT);
      const y = taskbar.y + Math.floor(taskbar.height / 2);
      const points = [Math.round(WIDTH * 0.25), Math.round(WIDTH * 0.5)].map((x) => ({ x, y }));
      const colours = await page.evaluate(
        async ({ points, at }) => {
          const video = document.getElementById('video') as HTMLVideoElement;
          video.pause();
          await new Promise((resolve) => {
            video.addEventListener('seeked', resolve, { once: true });
            video.currentTime = at;
          });
          const canvas = document.createElement('canvas');
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          const context = canvas.getContext('2d', { willReadFrequently: true })!;
          context.drawImage(video, 0, 0);
          return points.map(({ x, y }) => Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3)));
        },
        { points, at: wallS / 2 },
      );
      const expected = rgb(TASKBAR_COLOR);
      colours.forEach((colour, i) => {
        const off = colour.map((value, c) => Math.abs(value - expected[c]));
        assert.ok(
          Math.max(...off) <= COLOUR_TOLERANCE,
          `(${points[i].x}, ${points[i].y}): rgb(${colour.join(', ')}), expected ${TASKBAR_COLOR}`,
        );
      });
    } finally {
      await server.stop();
      await browser?.close();
      await video?.close();
      await out.remove();
    }
  });
});
