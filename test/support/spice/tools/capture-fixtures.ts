/**
 * Captures the decoder fixtures in test/support/spice/fixtures from real Xspice servers:
 *   node dist/test/support/spice/tools/capture-fixtures.js
 * (or `... capture-fixtures.js NAME` for one of them). For each compression setting it shows a
 * small seeded plasma picture (fixtures/photo-64x48.png) twice, with ImageMagick's display or with
 * xwud, and stores, as JSON, the last image the server sent holding it (for GLZ and ZLIB_GLZ, every
 * GLZ-family image of the session up to the last one holding it, since GLZ images refer back into
 * earlier ones). The unit tests decode them and compare with the PNG.
 *
 * Xspice hands the server the picture as a bitmap with alpha whichever viewer shows it (display or
 * xwud), so QUIC comes as RGBA and JPEG as JPEG_ALPHA; the other QUIC types are covered by
 * round trips through test/support/spice/tools/quic-encoder.ts instead.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource, type ImageCompressionName } from '../../../../src/sources/spice';
import { ImageType } from '../../../../src/sources/spice/wire/constants';
import { createLogger } from '../../../../src/util/logger';
import { captureImages, descriptorToJson } from '../image-capture';
import { delay, OwnedProcess, run, waitFor } from '../processes';
import { RecordingSink } from '../recording-sink';
import { Xspice, type XspiceOptions } from '../xspice';

const FIXTURES = join(__dirname, '..', '..', '..', '..', '..', 'test', 'support', 'spice', 'fixtures');
const PHOTO = join(FIXTURES, 'photo-64x48.png');

interface Setting {
  name: string;
  compression: NonNullable<XspiceOptions['compression']>;
  prefer: ImageCompressionName;
  type: number;
  viewer?: 'display' | 'xwud';
  jpegWan?: XspiceOptions['jpegWan'];
  zlibGlzWan?: XspiceOptions['zlibGlzWan'];
}

const SETTINGS: readonly Setting[] = [
  { name: 'bitmap', compression: 'off', prefer: 'off', type: ImageType.BITMAP },
  { name: 'quic', compression: 'quic', prefer: 'quic', type: ImageType.QUIC },
  { name: 'lz', compression: 'lz', prefer: 'lz', type: ImageType.LZ_RGB },
  { name: 'glz', compression: 'glz', prefer: 'glz', type: ImageType.GLZ_RGB },
  { name: 'zlib-glz', compression: 'glz', prefer: 'glz', type: ImageType.ZLIB_GLZ_RGB, viewer: 'xwud', zlibGlzWan: 'always' },
  { name: 'jpeg-alpha', compression: 'auto_glz', prefer: 'auto_glz', type: ImageType.JPEG_ALPHA, jpegWan: 'always' },
  { name: 'lz4', compression: 'auto_glz', prefer: 'lz4', type: ImageType.LZ4 },
];

/** GLZ and ZLIB_GLZ images share one dictionary window: a fixture keeps all of them. */
const GLZ_FAMILY: readonly number[] = [ImageType.GLZ_RGB, ImageType.ZLIB_GLZ_RGB];

function showPhoto(setting: Setting, env: NodeJS.ProcessEnv, geometry: string, xwd: string): OwnedProcess {
  if (setting.viewer === 'xwud') return new OwnedProcess('xwud', ['-in', xwd, '-geometry', geometry], { env });
  return new OwnedProcess('display', ['-geometry', geometry, PHOTO], { env });
}

async function main(): Promise<void> {
  if (!existsSync(PHOTO))
    await run('convert', ['-size', '64x48', '-seed', '11', 'plasma:fractal', '-alpha', 'off', '-depth', '8', '-strip', PHOTO]);
  for (const setting of SETTINGS.filter((s) => !process.argv[2] || s.name === process.argv[2])) {
    const dir = mkdtempSync(join(tmpdir(), 'screencap-fixtures-'));
    const xwd = join(dir, 'photo.xwd');
    if (setting.viewer === 'xwud') await run('convert', [PHOTO, xwd]);
    const server = await Xspice.start({
      compression: setting.compression,
      width: 640,
      height: 480,
      jpegWan: setting.jpegWan,
      zlibGlzWan: setting.zlibGlzWan,
    });
    const source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server.port,
      preferredCompression: setting.prefer,
      logger: createLogger('fixtures', { level: 'silent' }),
    });
    const windows: OwnedProcess[] = [];
    try {
      await source.start(new RecordingSink());
      await waitFor(() => source.surface(), 20000, 'surface');
      const captured = captureImages(source);
      await run('xsetroot', ['-solid', '#202020'], { env: server.env });
      windows.push(showPhoto(setting, server.env, '+10+10', xwd));
      await delay(1500);
      windows.push(showPhoto(setting, server.env, '+150+100', xwd));
      await delay(1500);
      // The picture itself, or its window with a border of a few pixels.
      const fits = (c: (typeof captured)[number]) =>
        c.decoded.width >= 64 && c.decoded.width <= 72 && c.decoded.height >= 48 && c.decoded.height <= 56;
      const targets = captured.filter((c) => c.descriptor.type === setting.type && fits(c));
      if (targets.length === 0) {
        const seen = captured.map((c) => `${c.descriptor.type}:${c.decoded.width}x${c.decoded.height}`).join(' ');
        throw new Error(`${setting.name}: no 64x48 image of type ${setting.type} was sent (sent: ${seen})`);
      }
      const last = captured.lastIndexOf(targets[targets.length - 1]);
      const sequence = GLZ_FAMILY.includes(setting.type)
        ? captured.slice(0, last + 1).filter((c) => GLZ_FAMILY.includes(c.descriptor.type))
        : [captured[last]];
      const file = join(FIXTURES, `${setting.name}.json`);
      writeFileSync(
        file,
        `${JSON.stringify({ server: `Xspice, SpiceImageCompression ${setting.compression}, preferred ${setting.prefer}`, images: sequence.map((c) => descriptorToJson(c.descriptor)) })}\n`,
      );
      console.log(`${file}: ${sequence.length} image(s)`);
    } finally {
      await source.stop();
      await Promise.all(windows.map((w) => w.stop()));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
