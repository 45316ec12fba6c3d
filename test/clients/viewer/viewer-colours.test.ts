/**
 * The live page shows the screen's colours: a still colour chart from a real capture server,
 * streamed by the viewer server, played by the page in headless Chromium with WebCodecs and with
 * Media Source Extensions, and read back by drawing the page's <video> into a canvas. Untagged,
 * Chromium showed this stream as BT.709 at both sizes (pure green as (0, 215, 1)).
 */
import type { Browser } from 'playwright-core';
import { ImageSource } from '../../../src/sources';
import { createLogger } from '../../../src/util/logger';
import { launchChromium } from '../../support/chromium';
import { swapRedBlue } from '../../support/images';
import { assertChartColours, CHART_SIZES, CHART_TOLERANCE, colourChart, videoPatchColours } from '../../support/colour-chart';
import { openViewer, pageFigures, startViewerStack, type ViewerStack } from '../../support/viewer';
import assert from 'node:assert/strict';

const MODES = ['webcodecs', 'mse'] as const;

describe('live viewer colours in headless Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const { width, height } of CHART_SIZES) {
    describe(`at ${width}x${height}`, () => {
      let stack: ViewerStack;

      before(async () => {
        stack = await startViewerStack({ source: ImageSource.fromPixels(colourChart(width, height)), defaults: { width, height } });
      });
      after(async () => {
        await stack?.stop();
      });

      for (const mode of MODES) {
        it(`shows every patch within 6 levels with ${mode}`, async () => {
          const page = await openViewer(browser, `${stack.viewer.url}?mode=${mode}`, 1);
          try {
            const figures = await pageFigures(page);
            assert.equal(figures.mode, mode);
            assert.deepEqual([figures.width, figures.height], [width, height]);
            assertChartColours(await videoPatchColours(page, '#screen'), CHART_TOLERANCE, `${mode} at ${width}x${height}`);
          } finally {
            await page.close();
          }
        });
      }
    });
  }

  describe("from a source whose pixels are BGRA, as a SPICE guest's", () => {
    const { width, height } = CHART_SIZES[0]!;
    let stack: ViewerStack;
    const configured: string[] = [];

    before(async () => {
      const chart = colourChart(width, height);
      stack = await startViewerStack({
        source: ImageSource.fromPixels({ ...chart, format: 'bgra8', pixels: swapRedBlue(chart.pixels) }),
        defaults: { width, height },
        serverLogger: createLogger('test', {
          level: 'debug',
          sink: (line) => configured.push(...(line.match(/session configured .*/) ?? [])),
        }),
      });
    });
    after(async () => {
      await stack?.stop();
    });

    it(`shows every patch within 6 levels at ${width}x${height}, the frames taken in the source's byte order`, async () => {
      const page = await openViewer(browser, `${stack.viewer.url}?mode=webcodecs`, 1);
      try {
        assertChartColours(await videoPatchColours(page, '#screen'), CHART_TOLERANCE, 'webcodecs, BGRA source');
      } finally {
        await page.close();
      }
      assert.ok(configured.length >= 1, 'the viewer configured a session');
      for (const line of configured) assert.match(line, /format=bgra8\b/);
    });
  });
});
