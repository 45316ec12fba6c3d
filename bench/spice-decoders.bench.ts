/**
 * SPICE benchmark (standalone): node dist/bench/spice-decoders.bench.js
 *
 * 1. QUIC decoder throughput, in output megapixels per second, native (the addon, what the source
 *    uses) against the JavaScript decoder, in the same run, on images captured from a real
 *    1920x1080 Xspice display asked for QUIC and showing a full-screen photograph, a screen of
 *    text, or a picture reduced to 32 colours (the best of three alternating rounds each). Checks
 *    that both decoders give the same bytes.
 * 2. LZ, GLZ and LZ4 throughput on the 32-colour picture (the client asks for each codec in turn;
 *    the server encodes with it), each with the addon's decoder and with JavaScript's.
 * 3. Frames per second the source sustains while the whole 1920x1080 screen is redrawn in a loop
 *    (xrefresh over a full-screen window), with the compression Xspice uses by default: once for a
 *    photograph (the server sends QUIC) and once for a 32-colour picture (GLZ/LZ), each also with
 *    the JavaScript decoders the native ones replaced.
 * Xspice starts in its first mode (1024x768) whatever its configuration says, so each display is
 * set to 1920x1080 with xrandr before anything is drawn or captured.
 * Prints markdown tables.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource, type ImageCompressionName } from '../src/sources/spice';
import type { DecodedImage } from '../src/sources/spice/decoders/decoded-image';
import { newImage } from '../src/sources/spice/decoders/decoded-image';
import { decodeGlz } from '../src/sources/spice/decoders/glz';
import { GlzWindow } from '../src/sources/spice/decoders/glz-window';
import { decodeLz } from '../src/sources/spice/decoders/lz';
import { decodeSpiceLz4, defaultLz4Stream, JAVASCRIPT_LZ4_STREAM, type Lz4Stream } from '../src/sources/spice/decoders/lz4';
import type { LzPasses } from '../src/sources/spice/decoders/lz-common';
import { JAVASCRIPT_LZ_PASSES } from '../src/sources/spice/decoders/lz-javascript';
import { NATIVE_LZ_PASSES } from '../src/sources/spice/decoders/lz-native';
import { NativeQuicDecoder, type QuicImageDecoder } from '../src/sources/spice/decoders/native-quic';
import { QuicDecoder } from '../src/sources/spice/decoders/quic';
import type { ImageDescriptor } from '../src/sources/spice/display/image-descriptor';
import { ImageType } from '../src/sources/spice/wire/constants';
import { createLogger } from '../src/util/logger';
import { captureImages } from '../test/support/spice/image-capture';
import { delay, OwnedProcess, run, waitFor } from '../test/support/spice/processes';
import { RecordingSink } from '../test/support/spice/recording-sink';
import { Xspice } from '../test/support/spice/xspice';

const WIDTH = 1920;
const HEIGHT = 1080;
const logger = createLogger('bench', { level: 'silent' });

const CODECS = [
  { name: 'LZ', prefer: 'lz', type: ImageType.LZ_RGB },
  { name: 'GLZ', prefer: 'glz', type: ImageType.GLZ_RGB },
  { name: 'LZ4', prefer: 'lz4', type: ImageType.LZ4 },
] as const;

/** The pictures QUIC is measured on: what a screen shows, from photographic to flat. */
const QUIC_PICTURES = [
  { label: 'photograph', make: (dir: string) => plasmaPng(dir) },
  { label: 'text', make: (dir: string) => textPng(dir) },
  { label: '32-colour picture', make: (dir: string) => plasmaPng(dir, 32) },
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
    await server.resize(WIDTH, HEIGHT);
    await waitFor(
      () => (source.surface()?.width === WIDTH && source.surface()?.height === HEIGHT ? true : undefined),
      20000,
      `the ${WIDTH}x${HEIGHT} surface`,
    );
    return await body(server, source, sink);
  } finally {
    await source.stop();
    await server.stop();
  }
}

/** A seeded plasma, photographic; reduced to few colours it looks like a desktop to the server. */
async function plasmaPng(dir: string, colors?: number): Promise<string> {
  const png = join(dir, `plasma-${colors ?? 'full'}.png`);
  await run('convert', [
    '-size',
    `${WIDTH}x${HEIGHT}`,
    '-seed',
    '3',
    'plasma:fractal',
    ...(colors ? ['+dither', '-colors', String(colors)] : []),
    png,
  ]);
  return png;
}

/** A screen of anti-aliased monospaced text, dark on white, as a terminal or an editor shows it. */
async function textPng(dir: string): Promise<string> {
  const png = join(dir, 'text.png');
  const lines = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8')
    .split('\n')
    .slice(0, 66)
    .join('\n');
  await run('convert', [
    '-size',
    `${WIDTH}x${HEIGHT}`,
    'xc:white',
    '-font',
    'DejaVu-Sans-Mono',
    '-pointsize',
    '13',
    '-fill',
    '#202020',
    '-annotate',
    '+8+16',
    lines,
    png,
  ]);
  return png;
}

/**
 * Shows a picture full screen (xwud, a window at +0+0 the size of the screen), which X redraws
 * whole on every expose. Returns the window's process for stopping.
 */
async function fullScreenPicture(server: Xspice, png: string): Promise<OwnedProcess> {
  const xwd = png.replace(/\.png$/, '.xwd');
  await run('convert', [png, xwd]);
  const window = new OwnedProcess('xwud', ['-in', xwd, '-geometry', '+0+0'], { env: server.env });
  await delay(1500);
  return window;
}

/** The images the server sends while a full-screen picture is shown and redrawn once. */
async function captureRedraw(prefer: ImageCompressionName, png: string): Promise<ImageDescriptor[]> {
  return withDisplay(prefer, async (server, source) => {
    const captured = captureImages(source);
    const window = await fullScreenPicture(server, png);
    await run('xrefresh', [], { env: server.env });
    await delay(2000);
    await window.stop();
    return captured.map((c) => c.descriptor);
  });
}

/** Megapixels decoded per second, and per pass. */
interface Throughput {
  mpps: number;
  pixels: number;
}

/** Decodes `decodeAll` in passes for at least minMs. */
function throughput(decodeAll: () => number, minMs = 1500): Throughput {
  let pixels = 0;
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < minMs || passes < 3) {
    pixels += decodeAll();
    passes++;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { mpps: pixels / 1e6 / (elapsedMs / 1000), pixels: pixels / passes };
}

function quicThroughput(images: Uint8Array[], decoder: QuicImageDecoder): { mpps: number; pixels: number } {
  return throughput(() => {
    let pixels = 0;
    for (const data of images) {
      const decoded = decoder.decode(data);
      pixels += decoded.width * decoded.height;
    }
    return pixels;
  });
}

/** LZ4 images decoded with `stream` (the addon's or JavaScript's). */
function lz4Throughput(images: ImageDescriptor[], stream: Lz4Stream): { mpps: number; pixels: number } {
  return throughput(() => {
    let pixels = 0;
    for (const image of images) {
      const decoded = decodeSpiceLz4((image.payload as { data: Buffer }).data, image.width, image.height, stream);
      pixels += decoded.width * decoded.height;
    }
    return pixels;
  });
}

/**
 * The addon's decoder against JavaScript's, in alternating rounds, the best of three each: on a
 * shared machine a burst of other work then lowers one round, not one decoder's figure.
 */
function nativeAgainstJavascript(native: () => Throughput, javascript: () => Throughput): { native: Throughput; javascript: Throughput } {
  const best = { native: { mpps: 0, pixels: 0 }, javascript: { mpps: 0, pixels: 0 } };
  for (let round = 0; round < 3; round++) {
    const a = javascript();
    const b = native();
    if (a.mpps > best.javascript.mpps) best.javascript = a;
    if (b.mpps > best.native.mpps) best.native = b;
  }
  return best;
}

/**
 * LZ or GLZ images decoded with `passes` (the addon's loops or JavaScript's), the sequence in
 * order with a fresh dictionary window, as a client rebuilds it.
 */
function lzThroughput(images: ImageDescriptor[], passes: LzPasses): { mpps: number; pixels: number } {
  return throughput(() => {
    const window = new GlzWindow(1 << 26);
    let pixels = 0;
    for (const image of images) {
      const data = (image.payload as { data: Buffer }).data;
      const decoded =
        image.type === ImageType.GLZ_RGB
          ? decodeGlz(data, window, undefined, newImage, passes)
          : decodeLz(data, undefined, undefined, newImage, passes);
      pixels += decoded.width * decoded.height;
    }
    return pixels;
  });
}

function samePixels(a: DecodedImage, b: DecodedImage): boolean {
  const bytes = (image: DecodedImage) => Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  return a.width === b.width && a.height === b.height && a.hasAlpha === b.hasAlpha && bytes(a).equals(bytes(b));
}

function compressedBytes(images: ImageDescriptor[]): number {
  return images.reduce((n, i) => n + ((i.payload as { data?: Buffer }).data?.length ?? 0), 0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-bench-'));
  const quicRows: string[] = [];
  const rows: string[] = [];
  try {
    for (const picture of QUIC_PICTURES) {
      const png = await picture.make(dir);
      const images = (await captureRedraw('quic', png))
        .filter((i) => i.type === ImageType.QUIC)
        .map((i) => (i.payload as { data: Buffer }).data);
      if (images.length === 0) throw new Error(`no QUIC images were sent for the ${picture.label}`);
      const javascript = new QuicDecoder();
      const native = new NativeQuicDecoder();
      const different = images.filter((data) => !samePixels(javascript.decode(data), native.decode(data))).length;
      if (different > 0)
        throw new Error(`${different} of ${images.length} QUIC images decode differently natively and in JavaScript (${picture.label})`);
      const { native: fresh, javascript: old } = nativeAgainstJavascript(
        () => quicThroughput(images, native),
        () => quicThroughput(images, javascript),
      );
      const bytes = images.reduce((n, data) => n + data.length, 0);
      quicRows.push(
        `| ${picture.label} | ${fresh.mpps.toFixed(1)} | ${old.mpps.toFixed(1)} | ${(fresh.mpps / old.mpps).toFixed(1)}x | ${images.length} images, ${(fresh.pixels / 1e6).toFixed(2)} MP, ${(bytes / 1024).toFixed(0)} KiB compressed, identical output |`,
      );
    }

    const colours32 = await plasmaPng(dir, 32);
    for (const codec of CODECS) {
      // GLZ images are decoded as the whole sequence, since later ones refer into earlier ones.
      const relevant = (await captureRedraw(codec.prefer, colours32)).filter((i) => i.type === codec.type);
      if (relevant.length === 0) {
        rows.push(`| ${codec.name} decode | no ${codec.name} images were sent | |`);
        continue;
      }
      // The addon's loops (what the source uses) against JavaScript's.
      const { native, javascript } =
        codec.type === ImageType.LZ4
          ? nativeAgainstJavascript(
              () => lz4Throughput(relevant, defaultLz4Stream()),
              () => lz4Throughput(relevant, JAVASCRIPT_LZ4_STREAM),
            )
          : nativeAgainstJavascript(
              () => lzThroughput(relevant, NATIVE_LZ_PASSES),
              () => lzThroughput(relevant, JAVASCRIPT_LZ_PASSES),
            );
      rows.push(
        `| ${codec.name} decode, 32-colour picture | ${native.mpps.toFixed(1)} MP/s (JavaScript ${javascript.mpps.toFixed(1)}, ${(native.mpps / javascript.mpps).toFixed(1)}x) | ${relevant.length} images, ${(native.pixels / 1e6).toFixed(2)} MP, ${(compressedBytes(relevant) / 1024).toFixed(0)} KiB compressed |`,
      );
    }

    const redraws = [
      { label: 'photograph', colors: undefined, javascriptQuic: false },
      { label: 'photograph, JavaScript QUIC decoder', colors: undefined, javascriptQuic: true },
      { label: '32-colour picture', colors: 32, javascriptQuic: false },
      { label: '32-colour picture, JavaScript LZ and GLZ', colors: 32, javascriptQuic: false, javascriptLz: true },
    ] as const;
    for (const redraw of redraws) {
      const { label, colors, javascriptQuic } = redraw;
      const png = await plasmaPng(dir, colors);
      const fps = await withDisplay(undefined, async (server, source, sink) => {
        const window = await fullScreenPicture(server, png);
        const display = source.displayChannels()[0];
        // The comparison with the decoders the source used before the native ones: swapped into
        // the channel's resolver, which no option reaches (the source always takes the fastest).
        if (javascriptQuic) (display.images as unknown as { quic: QuicImageDecoder }).quic = new QuicDecoder();
        if ('javascriptLz' in redraw) (display.images as unknown as { lzPasses: LzPasses }).lzPasses = JAVASCRIPT_LZ_PASSES;
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
  console.log(`QUIC decode at ${WIDTH}x${HEIGHT}, MP/s:`);
  console.log('');
  console.log('| Picture | native | JavaScript | native / JavaScript | Notes |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const row of quicRows) console.log(row);
  console.log('');
  console.log('| Measure | Result | Notes |');
  console.log('| --- | --- | --- |');
  for (const row of rows) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
