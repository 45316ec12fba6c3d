/**
 * SPICE benchmark (standalone): node dist/bench/spice-decoders.bench.js
 *
 * 1. Decoder throughput, in output megapixels per second, for QUIC, LZ, GLZ and LZ4 on images
 *    captured from a real 1920x1080 Xspice display showing a full-screen picture reduced to 32
 *    colours (the client asks for each codec in turn; the server encodes with it).
 * 2. Frames per second the source sustains while the whole 1920x1080 screen is redrawn in a loop
 *    (xrefresh over a full-screen window), with the compression Xspice uses by default: once for a
 *    photograph (the server sends QUIC) and once for a 32-colour picture (GLZ/LZ).
 * Prints a markdown table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource, type ImageCompressionName } from '../src/sources/spice';
import { GlzWindow } from '../src/sources/spice/decoders/glz-window';
import { QuicDecoder } from '../src/sources/spice/decoders/quic';
import { ImageCache } from '../src/sources/spice/display/image-cache';
import type { ImageDescriptor } from '../src/sources/spice/display/image-descriptor';
import { ImageResolver } from '../src/sources/spice/display/image-resolver';
import { ImageType } from '../src/sources/spice/wire/constants';
import { createLogger } from '../src/util/logger';
import { captureImages } from '../test/spice/helpers/image-capture';
import { delay, OwnedProcess, run, waitFor } from '../test/spice/helpers/processes';
import { RecordingSink } from '../test/spice/helpers/recording-sink';
import { Xspice } from '../test/spice/helpers/xspice';

const WIDTH = 1920;
const HEIGHT = 1080;
const logger = createLogger('bench', { level: 'silent' });

const CODECS = [
  { name: 'QUIC', prefer: 'quic', type: ImageType.QUIC },
  { name: 'LZ', prefer: 'lz', type: ImageType.LZ_RGB },
  { name: 'GLZ', prefer: 'glz', type: ImageType.GLZ_RGB },
  { name: 'LZ4', prefer: 'lz4', type: ImageType.LZ4 },
] as const;

/** Runs `body` with a 1920x1080 Xspice and a source connected to it; stops both afterwards. */
async function withDisplay<T>(
  prefer: ImageCompressionName | undefined,
  body: (server: Xspice, source: SpiceDisplaySource, sink: RecordingSink) => Promise<T>,
): Promise<T> {
  const server = await Xspice.start({ compression: 'auto_glz', width: WIDTH, height: HEIGHT });
  const source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, logger, preferredCompression: prefer });
  const sink = new RecordingSink();
  try {
    await source.start(sink);
    await waitFor(() => source.surface(), 20000, 'surface');
    return await body(server, source, sink);
  } finally {
    await source.stop();
    await server.stop();
  }
}

/**
 * Shows a full-screen photographic picture (xwud, a window at +0+0 the size of the screen), which
 * X redraws whole on every expose. Returns the window's process for stopping.
 */
async function fullScreenPhoto(server: Xspice, dir: string, colors?: number): Promise<OwnedProcess> {
  const png = join(dir, 'photo.png');
  const xwd = join(dir, 'photo.xwd');
  // Reduced to few colours the picture looks like a desktop to the server, which then takes LZ4
  // or LZ where it would pick QUIC for a photograph.
  await run('convert', ['-size', `${WIDTH}x${HEIGHT}`, '-seed', '3', 'plasma:fractal', ...(colors ? ['+dither', '-colors', String(colors)] : []), png]);
  await run('convert', [png, xwd]);
  const window = new OwnedProcess('xwud', ['-in', xwd, '-geometry', '+0+0'], { env: server.env });
  await delay(1500);
  return window;
}

function decodeThroughput(images: ImageDescriptor[], minMs = 1500): { mpps: number; pixels: number } {
  let pixels = 0;
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < minMs || passes < 3) {
    // A fresh resolver per pass: GLZ needs its window rebuilt in order, as a client would.
    const resolver = new ImageResolver(new ImageCache(1 << 26), new GlzWindow(1 << 26), new QuicDecoder(), new Map());
    for (const image of images) {
      const decoded = resolver.resolve(image);
      if (decoded instanceof Promise) throw new Error('unexpected asynchronous decode');
      pixels += decoded.width * decoded.height;
    }
    passes++;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { mpps: pixels / 1e6 / (elapsedMs / 1000), pixels: pixels / passes };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-bench-'));
  const rows: string[] = [];
  try {
    for (const codec of CODECS) {
      const images = await withDisplay(codec.prefer, async (server, source) => {
        const captured = captureImages(source);
        const window = await fullScreenPhoto(server, dir, 32);
        await run('xrefresh', [], { env: server.env });
        await delay(2000);
        await window.stop();
        return captured.map((c) => c.descriptor);
      });
      // GLZ images are decoded as the whole sequence, since later ones refer into earlier ones.
      const relevant = images.filter((i) => i.type === codec.type);
      if (relevant.length === 0) {
        rows.push(`| ${codec.name} decode | no ${codec.name} images were sent | |`);
        continue;
      }
      const bytes = relevant.reduce((n, i) => n + ((i.payload as { data?: Buffer }).data?.length ?? 0), 0);
      const { mpps, pixels } = decodeThroughput(relevant);
      rows.push(`| ${codec.name} decode | ${mpps.toFixed(1)} MP/s | ${relevant.length} images, ${(pixels / 1e6).toFixed(2)} MP, ${(bytes / 1024).toFixed(0)} KiB compressed |`);
    }

    for (const [label, colors] of [['photograph', undefined], ['32-colour picture', 32]] as const) {
      const fps = await withDisplay(undefined, async (server, source, sink) => {
        const window = await fullScreenPhoto(server, dir, colors);
        const display = source.displayChannels()[0];
        const full = WIDTH * HEIGHT;
        let frames = 0;
        let covered = 0;
        const original = sink.damage.bind(sink);
        sink.damage = (rects) => {
          original(rects);
          for (const r of rects) covered += r.width * r.height;
          while (covered >= full) {
            frames++;
            covered -= full;
          }
        };
        const cpuStart = process.cpuUsage();
        const start = Date.now();
        const durationMs = 8000;
        while (Date.now() - start < durationMs) await run('xrefresh', [], { env: server.env });
        await waitFor(() => (!display.busy ? true : undefined), 10000, 'the last batch');
        const elapsed = (Date.now() - start) / 1000;
        const cpu = process.cpuUsage(cpuStart);
        await window.stop();
        return { fps: frames / elapsed, cpu: (cpu.user + cpu.system) / 1e6 / elapsed, counts: display.images.counts };
      });
      const types = Object.entries(fps.counts)
        .map(([t, n]) => `${Object.entries(ImageType).find(([, v]) => v === Number(t))?.[0] ?? t}×${n}`)
        .join(', ');
      rows.push(
        `| Full-screen redraw of a ${label}, ${WIDTH}x${HEIGHT} Xspice (auto_glz) | ${fps.fps.toFixed(1)} frames/s | source process CPU ${(fps.cpu * 100).toFixed(0)}% of one core; images: ${types} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('| Measure | Result | Notes |');
  console.log('| --- | --- | --- |');
  for (const row of rows) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
