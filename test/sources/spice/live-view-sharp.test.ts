/**
 * The live view of a real Xspice desktop after a burst of motion: once the screen stands still,
 * the stream encodes its picture once more, sharp, and what a viewer decodes last matches the
 * X server's own picture (`xwd -root`).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { parseBinaryMessage, SegmentFlag } from '../../../src/clients/viewer/wire/stream-messages';
import { createSource } from '../../../src/sources';
import { decodeI420, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';
import { quietLogger } from '../../support/fixture';
import { startViewerStack, type ViewerStack } from '../../support/viewer';
import { delay } from '../../support/spice/processes';
import { Scene } from '../../support/spice/scene';
import { waitForStillRoot, xwdToRgba } from '../../support/spice/xwd';
import { Xspice } from '../../support/spice/xspice';

const WIDTH = 1024;
const HEIGHT = 768;

interface Segment {
  flags: number;
  frameNumber: number;
  bytes: Buffer;
}

describe('Live view of a SPICE display that stops moving', function () {
  this.timeout(120_000);
  let xspice: Xspice | undefined;
  let scene: Scene | undefined;
  let stack: ViewerStack | undefined;
  let socket: WebSocket | undefined;
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>> | undefined;

  after(async () => {
    socket?.terminate();
    await stack?.stop();
    await scene?.stop();
    await xspice?.stop();
    await tmp?.remove();
  });

  it('ends a burst of terminal scrolling with a sharp keyframe that matches xwd -root', async () => {
    tmp = await temporaryDirectory();
    xspice = await Xspice.start({ width: WIDTH, height: HEIGHT });
    scene = new Scene(xspice.env, tmp.path);
    await scene.draw({ photo: false, xterm: false });
    const source = createSource(`spice://127.0.0.1:${xspice.port}`, { width: WIDTH, height: HEIGHT, logger: quietLogger });
    // A low bitrate, so that the burst's frames are visibly soft.
    stack = await startViewerStack({ source, defaults: { width: WIDTH, height: HEIGHT, bitrateBps: 1_000_000, maxFps: 30 } });
    const inits: Buffer[] = [];
    const segments: Segment[] = [];
    socket = new WebSocket(`ws://${stack.viewer.address}/stream`);
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      const message = parseBinaryMessage(data);
      if (message.kind === 'init') inits.push(Buffer.from(message.segment));
      else segments.push({ flags: message.header.flags, frameNumber: message.header.frameNumber, bytes: Buffer.from(message.segment) });
    });
    await new Promise<void>((resolve, reject) => {
      socket!.once('open', () => resolve());
      socket!.once('error', reject);
    });

    scene.scrollTerminal();
    const still = await waitForStillRoot(xspice.env, 'the terminal to stop scrolling');
    // Long enough for the sharp pass (0.4 s of stillness) to reach the viewer.
    await delay(1500);
    socket.terminate();

    assert.ok(segments.length > 3, `${segments.length} segments`);
    const last = segments[segments.length - 1];
    const before = segments[segments.length - 2];
    assert.ok(last.flags & SegmentFlag.keyframe && last.flags & SegmentFlag.repeat, 'the last segment re-encodes a picture as a keyframe');
    assert.equal(last.frameNumber, before.frameNumber, 'of the frame the segment before carried');
    const path = join(tmp.path, 'view.mp4');
    await writeFile(path, Buffer.concat([inits[0], ...segments.map((segment) => segment.bytes)]));
    const frames = await decodeI420(path, WIDTH, HEIGHT);
    assert.equal(frames.length, segments.length);
    const root = await xwdToRgba(still);
    const screen = await rgbaToI420(root.rgba, WIDTH, HEIGHT);
    const sharp = psnr(frames[frames.length - 1], screen);
    const soft = psnr(frames[frames.length - 2], screen);
    assert.ok(
      sharp >= 42,
      `the still screen as viewers see it vs xwd -root: ${sharp.toFixed(1)} dB (before the sharp pass ${soft.toFixed(1)} dB)`,
    );
  });
});
