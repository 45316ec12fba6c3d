/**
 * For the tests of SPICE video streams against Xspice (streaming on): an endless animation for
 * the server to stream, counts of the stream messages screencap applied, the picture compared
 * with `xwd -root` while a stream plays, and the exact picture once it has ended.
 */
import { join } from 'node:path';
import type { SpiceDisplaySource } from '../../../src/sources/spice';
import type { DisplayChannel } from '../../../src/sources/spice/display/display-channel';
import { DisplayMsg } from '../../../src/sources/spice/wire/constants';
import { countDifferences, psnr } from './compare';
import { delay, OwnedProcess, run, waitFor } from './processes';
import { dumpRoot, grabRoot, xwdToRgba } from './xwd';
import type { Xspice } from './xspice';

/** Where the animation's window sits on the screen. */
export const VIDEO = { x: 200, y: 150, width: 256, height: 192 };

/**
 * An endless animation of one picture at VIDEO: the server keeps streaming the window, while
 * `xwd -root`, taken at any moment, shows exactly what the stream encodes.
 */
export async function startVideo(server: Xspice, dir: string): Promise<OwnedProcess> {
  const picture = join(dir, 'video.png');
  await run('convert', ['-size', `${VIDEO.width}x${VIDEO.height}`, '-seed', '3', 'plasma:fractal', picture]);
  return new OwnedProcess('animate', ['-geometry', `+${VIDEO.x}+${VIDEO.y}`, '-delay', '4', '-loop', '0', picture, picture], {
    env: server.env,
  });
}

/** How many stream messages of each kind a display channel has applied. */
export function streamMessages(display: DisplayChannel) {
  const count = (...types: number[]) => types.reduce((sum, type) => sum + (display.messageCounts[type] ?? 0), 0);
  return {
    created: () => count(DisplayMsg.STREAM_CREATE),
    frames: () => count(DisplayMsg.STREAM_DATA, DisplayMsg.STREAM_DATA_SIZED),
    clips: () => count(DisplayMsg.STREAM_CLIP),
    ended: () => count(DisplayMsg.STREAM_DESTROY, DisplayMsg.STREAM_DESTROY_ALL),
  };
}

/**
 * PSNR of screencap's picture against `xwd -root`, over the video area and the whole screen,
 * taken only while the stream plays (frames arrived around the moment and no stream ended, so
 * the area holds stream frames, not the lossless repaint that follows a stream's end). Tries
 * until both reach `minDb` or 30 s pass; returns the last measurement (0 if none was taken).
 */
export async function psnrWhilePlaying(
  source: SpiceDisplaySource,
  server: Xspice,
  minDb: number,
): Promise<{ video: number; screen: number }> {
  const messages = streamMessages(source.displayChannels()[0]);
  let last = { video: 0, screen: 0 };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [frames, ended] = [messages.frames(), messages.ended()];
    const xwd = await dumpRoot(server.env);
    const surface = source.surface()!;
    const snapshot = source.isLatchable() ? { ...surface, pixels: Buffer.from(surface.pixels) } : undefined;
    if (snapshot && messages.ended() === ended && messages.frames() > frames) {
      const root = await xwdToRgba(xwd);
      last = {
        video: psnr(snapshot, root.rgba, root.width, root.height, 4, VIDEO),
        screen: psnr(snapshot, root.rgba, root.width, root.height),
      };
      if (last.video >= minDb && last.screen >= minDb) break;
    }
    await delay(200);
  }
  return last;
}

/**
 * Stops the animation (SIGSTOP: its window stands still with its last frame), waits for the
 * server to end the stream, then for screencap's picture to equal `xwd -root` pixel for pixel
 * (the server repaints the area losslessly).
 */
export async function exactAfterStream(source: SpiceDisplaySource, server: Xspice, animation: OwnedProcess): Promise<void> {
  const messages = streamMessages(source.displayChannels()[0]);
  animation.child.kill('SIGSTOP');
  const ended = messages.ended();
  await waitFor(() => (messages.ended() > ended ? true : undefined), 30_000, 'the stream ended');
  let differences = -1;
  await waitFor(
    async () => {
      const root = await grabRoot(server.env);
      differences = source.isLatchable() ? countDifferences(source.surface()!, root.rgba, root.width, root.height) : -1;
      return differences === 0 ? true : undefined;
    },
    30_000,
    'the picture equal to xwd -root',
    300,
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${differences} pixels differ`);
  });
}
