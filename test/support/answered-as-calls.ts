/**
 * The check every carrier of a frame stream must pass (StreamFrames, the local frame socket):
 * one session takes frames of a red, green, blue and red image on the carrier while another takes
 * them with GetNextFrame calls, each giving its previous frame back with the next request; both
 * must get the same frames, buffers, pixels, damage and capture times.
 */
import assert from 'node:assert/strict';
import type { FrameInfo } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { solidImage } from './images';
import type { Fixture } from './fixture';

/** A frame stream as the check drives it. */
export interface FrameCarrier {
  request(sessionId: string, releaseToken?: string): void;
  next(): Promise<FrameInfo>;
}

/** Runs the check on a fixture showing a red 64x48 image, latched once. */
export async function assertAnsweredAsCalls(fx: Fixture, carrier: FrameCarrier): Promise<void> {
  const viaCarrier = await fx.configuredSession(2);
  const viaCalls = await fx.configuredSession(2);
  const frames: FrameInfo[] = [];
  const calls: FrameInfo[] = [];
  let held = '';
  let heldByCall = '';
  for (const colour of [
    [0, 255, 0],
    [0, 0, 255],
    [255, 0, 0],
  ] as const) {
    // The previous frame goes back with the request, as frames() does it.
    carrier.request(viaCarrier.sessionId, held);
    const call = fx.getNextFrame(viaCalls.sessionId, undefined, heldByCall);
    frames.push(await carrier.next());
    calls.push(await call);
    held = frames.at(-1)!.releaseToken;
    heldByCall = calls.at(-1)!.releaseToken;
    await fx.newFrame(solidImage(64, 48, [...colour]));
  }
  carrier.request(viaCarrier.sessionId, held);
  frames.push(await carrier.next());
  calls.push(await fx.getNextFrame(viaCalls.sessionId, undefined, heldByCall));
  assert.deepEqual(
    frames.map((f) => f.frameNumber),
    [1, 2, 3, 4],
  );
  frames.forEach((frame, i) => {
    const call = calls[i]!;
    assert.equal(frame.frameNumber, call.frameNumber);
    assert.equal(frame.bufferIndex, call.bufferIndex);
    assert.equal(frame.pixels.length, 64 * 48 * 4);
    assert.ok(frame.pixels.equals(call.pixels), `frame ${frame.frameNumber}: the same pixels`);
    assert.deepEqual(frame.damage, call.damage);
    assert.deepEqual(frame.captureMonotonic, call.captureMonotonic);
    assert.deepEqual(frame.imageSize, call.imageSize);
    assert.notEqual(frame.releaseToken, '');
  });
  assert.deepEqual(
    frames.map((f) => [...f.pixels.subarray(0, 4)]),
    [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
      [255, 0, 0, 255],
    ],
    'each frame shows its image',
  );
}
