/**
 * The live page shows the screen's colours: a still colour chart from a real capture server,
 * streamed by the viewer server, played by the page in headless Chromium with WebCodecs and with
 * Media Source Extensions, and read back by drawing the page's <video> into a canvas. Untagged,
 * Chromium showed this stream as BT.709 at both sizes (pure green as (0, 215, 1)).
 */
import type { Browser } from 'playwright-core';
import { ImageSource } from '../../../src/sources';
import { launchChromium } from '../../support/chromium';
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
});
