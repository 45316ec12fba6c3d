/** `screencap grab`: write one frame of a server's display as PNG. */
import { writeFile } from 'node:fs/promises';
import { CaptureClient } from '../clients/capture-client';
import type { FramePointer } from '../clients/capture-session';
import { takeScreenshot } from '../clients/screenshot/take-screenshot';
import { DEFAULT_LISTEN } from '../server/listen-address';
import { UsageError, type Command } from './command';
import { clientOptions, CLIENT_CONNECTION_OPTIONS } from './client-options';
import { CURSOR_OPTION, parseCursorMode, parseDuration, parseRotation, parseSize } from './option-values';

/** One line about the pointer of a --cursor metadata grab. */
function describePointer(pointer: FramePointer): string {
  const { shape } = pointer;
  const look = shape ? `shape ${shape.id} (${shape.width}x${shape.height}, hot spot ${shape.hotX},${shape.hotY})` : 'no shape';
  return `pointer ${pointer.visible ? 'visible' : 'hidden'} at ${pointer.x},${pointer.y} (display ${pointer.displayX},${pointer.displayY}), ${look}`;
}

export const grabCommand: Command = {
  name: 'grab',
  summary: 'Write one frame of the display as a PNG file (a client of the public gRPC API).',
  options: {
    ...CLIENT_CONNECTION_OPTIONS,
    size: { type: 'string', value: 'WxH', description: 'Image size after rotation', default: 'the display size' },
    rotation: { type: 'string', value: 'DEGREES', description: 'Rotate clockwise by 0, 90, 180 or 270', default: '0' },
    cursor: { ...CURSOR_OPTION, description: `${CURSOR_OPTION.description} (metadata: printed on a second line)` },
    out: { type: 'string', value: 'FILE', description: 'Where to write the PNG (required)' },
    timeout: { type: 'string', value: 'DURATION', description: 'Give up after this long', default: '10s' },
  },
  details: ['Examples:', '  screencap grab --out frame.png', '  screencap grab --cursor hidden --out no-pointer.png', `  screencap grab --server ${DEFAULT_LISTEN} --size 640x360 --rotation 90 --out small.png`].join('\n'),

  async run(values) {
    if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out: required (the PNG file to write)');
    const size = typeof values.size === 'string' ? parseSize(values.size, 'size') : undefined;
    const rotation = parseRotation(String(values.rotation ?? '0'));
    const cursorMode = parseCursorMode(typeof values.cursor === 'string' ? values.cursor : undefined);
    const timeoutMs = parseDuration(String(values.timeout ?? '10s'), 'timeout');
    const client = new CaptureClient(clientOptions(values));
    try {
      const shot = await takeScreenshot(client, { ...size, rotation, cursorMode, signal: AbortSignal.timeout(timeoutMs) });
      await writeFile(values.out, shot.image);
      process.stdout.write(`${values.out}: ${shot.width}x${shot.height}, frame ${shot.frameNumber}, captured ${new Date(shot.captureTimeMs).toISOString()}\n`);
      if (shot.pointer) process.stdout.write(`${describePointer(shot.pointer)}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
