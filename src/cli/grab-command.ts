/** `screencap grab`: write one frame of a server's display as PNG, JPEG or WebP (or to stdout). */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CaptureClient } from '../clients/capture-client';
import type { FramePointer } from '../clients/capture-session';
import { SCREENSHOT_ENCODINGS, SourceDownError, takeScreenshot, type ScreenshotEncoding } from '../clients/screenshot/take-screenshot';
import { DEFAULT_LISTEN } from '../util/listen-address';
import { rethrowAsUsage, UsageError, type Command } from './command';
import { clientOptions, CLIENT_CONNECTION_OPTIONS } from './client-options';
import { DISPLAY_OPTION, parseDisplayId } from './display-option';
import { CURSOR_OPTION, parseCursorMode, parseDuration, parseNumber, parseRotation, parseSize } from './option-values';

const FORMAT_BY_EXTENSION: Record<string, ScreenshotEncoding> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/** The image format: --format when given, else the output's extension (PNG for stdout). */
function outputFormat(out: string, format: string | undefined): ScreenshotEncoding {
  if (format !== undefined) {
    const chosen = format === 'jpg' ? 'jpeg' : format;
    if (!(SCREENSHOT_ENCODINGS as readonly string[]).includes(chosen)) {
      throw new UsageError(`--format: must be png, jpeg or webp, got "${format}"`);
    }
    return chosen as ScreenshotEncoding;
  }
  if (out === '-') return 'png';
  const extension = extname(out).toLowerCase();
  const byExtension = FORMAT_BY_EXTENSION[extension];
  if (!byExtension) {
    throw new UsageError(
      `--out: cannot tell the image format from ${extension ? `the extension "${extension}"` : 'a name without an extension'}; name the file .png, .jpg or .webp, or give --format png|jpeg|webp`,
    );
  }
  return byExtension;
}

/** One line about the pointer of a --cursor metadata grab. */
function describePointer(pointer: FramePointer): string {
  const { shape } = pointer;
  const look = shape ? `shape ${shape.id} (${shape.width}x${shape.height}, hot spot ${shape.hotX},${shape.hotY})` : 'no shape';
  return `pointer ${pointer.visible ? 'visible' : 'hidden'} at ${pointer.x},${pointer.y} (display ${pointer.displayX},${pointer.displayY}), ${look}`;
}

export const grabCommand: Command = {
  name: 'grab',
  summary: 'Write one frame of the display as a PNG, JPEG or WebP file, or to stdout (a client of the public gRPC API).',
  options: {
    ...CLIENT_CONNECTION_OPTIONS,
    display: DISPLAY_OPTION,
    size: { type: 'string', value: 'WxH', short: 's', description: 'Image size after rotation', default: 'the display size' },
    rotation: { type: 'string', value: 'DEGREES', description: 'Rotate clockwise by 0, 90, 180 or 270', default: '0' },
    cursor: { ...CURSOR_OPTION, description: `${CURSOR_OPTION.description} (metadata: printed on a second line)` },
    out: {
      type: 'string',
      value: 'FILE',
      short: 'o',
      description: 'Where to write the image (required): its extension (.png, .jpg, .webp) picks the format; - writes it to stdout',
    },
    format: {
      type: 'string',
      value: 'png|jpeg|webp',
      description: 'The image format, whatever the name (PNG and WebP are lossless)',
      default: 'from --out, png for stdout',
    },
    quality: {
      type: 'string',
      value: 'N',
      description: 'JPEG quality 1-100 (default 90); for WebP, lossy at this quality instead of lossless',
    },
    timeout: { type: 'string', value: 'DURATION', description: 'Give up after this long', default: '10s' },
    'allow-stale': {
      type: 'boolean',
      description: "Take the latest picture even while the server's source is down (a SPICE server gone): it may be old",
    },
  },
  details: [
    'Examples:',
    '  screencap grab -o frame.png',
    '  screencap grab -o frame.jpg --quality 80',
    '  screencap grab -o - | display',
    '  screencap grab -s 640x360 --format webp -o - > small.webp',
    '  screencap grab --cursor hidden --out no-pointer.png',
    '  screencap grab --display 1 --out second-monitor.png',
    `  screencap grab --server ${DEFAULT_LISTEN} --size 640x360 --rotation 90 --out small.png`,
  ].join('\n'),

  async run(values) {
    if (typeof values.out !== 'string' || values.out === '')
      throw new UsageError('--out: required (the image file to write, or - for stdout)');
    const out = values.out;
    const encoding = outputFormat(out, typeof values.format === 'string' ? values.format : undefined);
    const quality =
      values.quality === undefined ? undefined : parseNumber(String(values.quality), 'quality', { min: 1, max: 100, integer: true });
    const size = typeof values.size === 'string' ? parseSize(values.size, 'size') : undefined;
    const rotation = parseRotation(String(values.rotation ?? '0'));
    const cursorMode = parseCursorMode(typeof values.cursor === 'string' ? values.cursor : undefined);
    const timeoutMs = parseDuration(String(values.timeout ?? '10s'), 'timeout');
    const displayId = parseDisplayId(values.display);
    const client = new CaptureClient(clientOptions(values));
    try {
      const shot = await takeScreenshot(client, {
        ...size,
        rotation,
        displayId,
        cursorMode,
        encoding,
        quality,
        allowStale: values['allow-stale'] === true,
        signal: AbortSignal.timeout(timeoutMs),
      }).catch((error: unknown) => {
        if (error instanceof SourceDownError) throw new Error(`${error.message}; --allow-stale takes it anyway`);
        // An id the server does not list: named as the option that gave it.
        return rethrowAsUsage(error, (field) => (field === 'displayId' ? 'display' : field));
      });
      // With the image on stdout, what would be said there goes to stderr.
      const say = (line: string) => (out === '-' ? process.stderr : process.stdout).write(`${line}\n`);
      if (out === '-')
        await new Promise<void>((resolve, reject) => process.stdout.write(shot.image, (error) => (error ? reject(error) : resolve())));
      else await writeFile(out, shot.image);
      say(
        `${out === '-' ? 'stdout' : out}: ${encoding.toUpperCase()} ${shot.width}x${shot.height}, frame ${shot.frameNumber}, captured ${new Date(shot.captureTimeMs).toISOString()}`,
      );
      if (shot.pointer) say(describePointer(shot.pointer));
      return 0;
    } finally {
      client.close();
    }
  },
};
