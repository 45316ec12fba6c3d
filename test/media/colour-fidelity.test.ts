/**
 * A recording keeps the screen's colours in every decoder: a still colour chart served by a real
 * capture server, recorded by the recorder, then decoded by headless Chromium (a <video> of
 * display.mp4 drawn into a canvas) and by ffmpeg. At 1280x720 Chromium takes untagged video for
 * BT.709, at 640x360 for BT.601: both sizes must come out right, so the file has to say which
 * conversion it was made with.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { CaptureClient, Recorder } from '../../src/clients';
import { CaptureServer } from '../../src/server';
import type { SurfaceFormat } from '../../src/core/pixel-format';
import { ImageSource } from '../../src/sources';
import { createLogger } from '../../src/util/logger';
import { launchChromium } from '../support/chromium';
import { assertChartColours, CHART_SIZES, CHART_TOLERANCE, colourChart, patchColours, videoPatchColours } from '../support/colour-chart';
import { swapRedBlue } from '../support/images';
import { temporaryDirectory } from '../support/recorder';
import { parseMp4 } from '../support/media/mp4-structure';
import { openVideoPage } from '../support/media/video-page';

const run = promisify(execFile);

/**
 * What the recorder wrote, recorded from a chart of `width` x `height` whose source holds its
 * pixels in `order` (a SPICE guest's are BGRA): the recorder asks for the source's own order.
 */
async function recordChart(width: number, height: number, outDir: string, order: SurfaceFormat = 'rgba8'): Promise<string> {
  const chart = colourChart(width, height);
  const configured: string[] = [];
  const server = await CaptureServer.start({
    source: ImageSource.fromPixels(order === 'bgra8' ? { ...chart, format: 'bgra8', pixels: swapRedBlue(chart.pixels) } : chart),
    listen: '127.0.0.1:0',
    vsync: 30,
    logger: createLogger('test', { level: 'debug', sink: (line) => configured.push(...(line.match(/session configured .*/) ?? [])) }),
  });
  const client = new CaptureClient({ address: server.address });
  try {
    const summary = await new Recorder(client, { outDir }).run({ durationMs: 1000 });
    assert.ok(summary.framesWritten >= 1, `frames recorded: ${summary.framesWritten}`);
    assert.equal(configured.length, 1, configured.join('\n'));
    assert.match(configured[0]!, new RegExp(`format=${order}\\b`), "the recorder asked for the source's byte order");
    return summary.path;
  } finally {
    client.close();
    await server.stop(500);
  }
}

/** The first frame as ffmpeg decodes it to RGB (it honours the stream's range and matrix). */
async function ffmpegFirstFrame(path: string): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The colour description ffprobe reads from the stream (the SPS's VUI). */
async function probedColour(path: string): Promise<Record<string, string | undefined>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-select_streams', 'v:0', path]);
  const stream = (JSON.parse(stdout) as { streams: Record<string, string>[] }).streams[0];
  return { range: stream.color_range, matrix: stream.color_space, primaries: stream.color_primaries, transfer: stream.color_transfer };
}

describe('Recorded colours in Chromium and ffmpeg', function () {
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
      let out: Awaited<ReturnType<typeof temporaryDirectory>>;
      let path: string;

      before(async () => {
        out = await temporaryDirectory();
        path = await recordChart(width, height, out.path);
      });
      after(async () => {
        await out?.remove();
      });

      it("declares its colours in the SPS and in the sample entry's colr box", async () => {
        assert.deepEqual(await probedColour(path), { range: 'pc', matrix: 'smpte170m', primaries: 'bt709', transfer: 'iec61966-2-1' });
        const entry = parseMp4(await readFile(path)).getTrackById(1).mdia.minf.stbl.stsd.entries[0];
        const colr = entry.boxes?.find((box) => box.type === 'colr') as
          | {
              colour_type: string;
              colour_primaries: number;
              transfer_characteristics: number;
              matrix_coefficients: number;
              full_range_flag: boolean | number;
            }
          | undefined;
        assert.ok(colr, 'the avc1 sample entry has a colr box');
        assert.deepEqual(
          [colr.colour_type, colr.colour_primaries, colr.transfer_characteristics, colr.matrix_coefficients, Number(colr.full_range_flag)],
          ['nclx', 1, 13, 6, 1],
        );
      });

      it('plays in Chromium with every patch within 6 levels', async () => {
        const video = await openVideoPage(browser, path, 20_000);
        try {
          assert.equal(video.facts.error, null);
          assertChartColours(await videoPatchColours(video.page, '#video'), CHART_TOLERANCE, `Chromium <video> at ${width}x${height}`);
        } finally {
          await video.page.close();
          await video.close();
        }
      });

      it('decodes in ffmpeg with every patch within 6 levels', async () => {
        assertChartColours(patchColours(await ffmpegFirstFrame(path), width, height, 3), CHART_TOLERANCE, `ffmpeg at ${width}x${height}`);
      });
    });
  }

  describe("from a source whose pixels are BGRA, as a SPICE guest's", () => {
    const { width, height } = CHART_SIZES[0]!;
    let out: Awaited<ReturnType<typeof temporaryDirectory>>;
    let path: string;

    before(async () => {
      out = await temporaryDirectory();
      path = await recordChart(width, height, out.path, 'bgra8');
    });
    after(async () => {
      await out?.remove();
    });

    it(`plays in Chromium at ${width}x${height} with every patch within 6 levels`, async () => {
      const video = await openVideoPage(browser, path, 20_000);
      try {
        assert.equal(video.facts.error, null);
        assertChartColours(await videoPatchColours(video.page, '#video'), CHART_TOLERANCE, `Chromium <video>, BGRA source`);
      } finally {
        await video.page.close();
        await video.close();
      }
    });

    it('decodes in ffmpeg with every patch within 6 levels', async () => {
      assertChartColours(patchColours(await ffmpegFirstFrame(path), width, height, 3), CHART_TOLERANCE, 'ffmpeg, BGRA source');
    });
  });
});
