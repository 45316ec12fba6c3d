import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CATCH_UP_KEYFRAME_GAP_MS, queueLimitBytes } from '../../../src/clients/viewer';
import { MEDIA_TIMESCALE, parseBinaryMessage, SegmentFlag, type StreamDescription } from '../../../src/clients/viewer/wire/stream-messages';
import { ImageSource, SyntheticDesktop } from '../../../src/sources';
import { quadrantImage, rotateReference } from '../../support/images';
import { decodeI420, probe, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';
import {
  newViewerId,
  NoisyScreen,
  sleep,
  stalledViewer,
  startViewerStack,
  ThrottledViewer,
  viewerIds,
  waitUntil,
  type ViewerStack,
} from '../../support/viewer';

/**
 * The viewer server's stream without a browser: real WebSocket clients (the `ws` package) read
 * what a page would, and ffmpeg decodes it.
 */

interface ReceivedSegment {
  flags: number;
  frameNumber: number;
  captureTimeMs: number;
  /** The fragment's decode time (the encoder's clock), ms. */
  decodeMs: number;
  /** The whole binary message, as sent. */
  message: Buffer;
  /** moof + mdat. */
  segment: Buffer;
}

/**
 * A fragment's decode time in ms: the 64-bit baseMediaDecodeTime of its one tfdt box (version 1,
 * as the stream writes it: 4 bytes of version and flags after the type, then the time).
 */
function decodeTimeMs(fragment: Buffer): number {
  const at = fragment.indexOf('tfdt');
  assert.ok(at > 0 && fragment[at + 4] === 1, 'a version 1 tfdt box');
  return (Number(fragment.readBigUInt64BE(at + 8)) * 1000) / MEDIA_TIMESCALE;
}

/** A viewer that records every message it gets. */
class RecordingViewer {
  readonly texts: Array<{ type: string } & Record<string, unknown>> = [];
  readonly inits: Buffer[] = [];
  readonly segments: ReceivedSegment[] = [];
  readonly order: string[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const text = JSON.parse(data.toString()) as { type: string };
        this.texts.push(text);
        this.order.push(text.type);
        return;
      }
      const parsed = parseBinaryMessage(data);
      this.order.push(parsed.kind);
      if (parsed.kind === 'init') this.inits.push(Buffer.from(parsed.segment));
      else {
        const { flags, frameNumber, captureTimeMs } = parsed.header;
        const segment = Buffer.from(parsed.segment);
        this.segments.push({ flags, frameNumber, captureTimeMs, decodeMs: decodeTimeMs(segment), message: data, segment });
      }
    });
    socket.on('close', (code) => (this.closeCode = code));
  }

  closeCode: number | undefined;

  static async connect(address: string, query = '', options: WebSocket.ClientOptions = {}): Promise<RecordingViewer> {
    const socket = new WebSocket(`ws://${address}/stream${query}`, options);
    const viewer = new RecordingViewer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return viewer;
  }

  async waitForSegments(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.segments.length < count) {
      if (Date.now() > deadline)
        throw new Error(`got ${this.segments.length} of ${count} segments; messages: ${this.order.slice(0, 10).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The stream as an MP4 file: init segment, then the fragments as received. */
  async writeMp4(path: string): Promise<void> {
    await writeFile(path, Buffer.concat([this.inits[0], ...this.segments.map((s) => s.segment)]));
  }

  close(): void {
    this.socket.terminate();
  }
}

describe('viewer stream (WebSocket clients, ffmpeg)', function () {
  this.timeout(60_000);
  let stack: ViewerStack | undefined;
  let tmp: { path: string; remove(): Promise<void> };

  before(async () => {
    tmp = await temporaryDirectory();
  });
  let noise: NoisyScreen | undefined;
  afterEach(async () => {
    noise?.stop();
    noise = undefined;
    await stack?.stop();
    stack = undefined;
  });
  after(async () => {
    await tmp.remove();
  });

  it('starts each viewer with stream, init segment and a keyframe, and sends every viewer the same bytes', async () => {
    stack = await startViewerStack({ source: new SyntheticDesktop({ width: 640, height: 360, animationFps: 30, busy: true }) });
    const first = await RecordingViewer.connect(stack.viewer.address);
    await first.waitForSegments(5);
    const second = await RecordingViewer.connect(stack.viewer.address);
    await second.waitForSegments(15);
    first.close();
    second.close();

    for (const viewer of [first, second]) {
      assert.deepEqual(viewer.order.slice(0, 3), ['stream', 'init', 'media']);
      assert.ok(viewer.segments[0].flags & SegmentFlag.keyframe, 'the first media segment is a keyframe');
      const description = viewer.texts[0] as unknown as StreamDescription;
      assert.equal(description.width, 640);
      assert.equal(description.height, 360);
      assert.match(description.codec, /^avc1\.42/);
    }
    // Encoded once: a frame both received is byte for byte the same message.
    const firstByFrame = new Map(first.segments.map((s) => [s.frameNumber, s.message]));
    const shared = second.segments.filter((s) => firstByFrame.has(s.frameNumber));
    assert.ok(shared.length >= 3, `frames both viewers got: ${shared.length}`);
    for (const segment of shared)
      assert.ok(segment.message.equals(firstByFrame.get(segment.frameNumber)!), `frame ${segment.frameNumber} differs`);
    const status = stack.viewer.status();
    assert.equal(status.streams.length, 1, 'one stream (one encoder) for both viewers');

    // What the second viewer got is a valid H.264 MP4 with one frame per segment.
    const path = join(tmp.path, 'second.mp4');
    await second.writeMp4(path);
    const probed = await probe(path);
    assert.equal(probed.codec, 'h264');
    assert.equal(probed.width, 640);
    assert.equal(probed.height, 360);
    assert.equal(probed.ptsS.length, second.segments.length);
    for (let i = 1; i < probed.ptsS.length; i++) assert.ok(probed.ptsS[i] > probed.ptsS[i - 1], `pts ${i} increases`);
  });

  it('gives a viewer that joins a still screen the held picture as a repeated keyframe, and it decodes to the screen', async () => {
    const image = quadrantImage(320, 240);
    stack = await startViewerStack({ source: ImageSource.fromPixels(image), defaults: { width: 320, height: 240 } });
    const first = await RecordingViewer.connect(stack.viewer.address);
    await first.waitForSegments(1);
    // Nothing changes on screen from here on: no new frame will be latched.
    const late = await RecordingViewer.connect(stack.viewer.address);
    await late.waitForSegments(1);
    first.close();
    late.close();

    const [segment] = late.segments;
    assert.ok(segment.flags & SegmentFlag.keyframe, 'a keyframe');
    assert.ok(segment.flags & SegmentFlag.repeat, 'marked as a repeat (its capture time is old)');
    assert.equal(segment.frameNumber, first.segments[0].frameNumber, 'the same frame of the display');
    const path = join(tmp.path, 'late.mp4');
    await late.writeMp4(path);
    const [decoded] = await decodeI420(path, 320, 240);
    const quality = psnr(decoded, await rgbaToI420(image.pixels, 320, 240));
    assert.ok(quality >= 38, `PSNR ${quality.toFixed(1)} dB against the screen`);
  });

  it("keeps a stalled viewer's queue bounded, skipping it to keyframes, while another viewer misses nothing", async () => {
    // Noise at a high bitrate fills the stalled viewer's TCP buffers within seconds.
    noise = new NoisyScreen(640, 360).start();
    stack = await startViewerStack({ source: noise.source, defaults: { bitrateBps: 20_000_000 } });
    const fast = await RecordingViewer.connect(stack.viewer.address);
    await fast.waitForSegments(3);
    const stalled = await stalledViewer(stack.viewer.address);
    const stalledStats = () => stack!.viewer.status().viewers.find((viewer) => viewer.id === 2)!;
    const deadline = Date.now() + 30_000;
    // Fallen behind, and a second of frames skipped since.
    while (stalledStats().segmentsDropped < 30 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const slow = stalledStats();
    const fastStats = stack.viewer.status().viewers.find((viewer) => viewer.id === 1)!;
    const largestSegment = Math.max(...fast.segments.map((s) => s.message.length));
    stalled.terminate();
    fast.close();

    assert.equal(slow.catchUps, 1, `the stalled viewer fell behind once and waits for a keyframe: ${JSON.stringify(slow)}`);
    assert.equal(slow.state, 'awaiting-keyframe');
    assert.ok(slow.segmentsDropped >= 30);
    // Its stalling forced no keyframes on the others: only the two joins asked for one.
    const { forcedKeyframes } = stack.viewer.status().streams[0].stats;
    assert.ok(forcedKeyframes <= 2, `keyframes forced: ${forcedKeyframes}`);
    const limit = queueLimitBytes(stack.viewer.status().streams[0].settings.bitrateBps);
    assert.ok(
      slow.queuedBytes <= limit + largestSegment,
      `queue ${slow.queuedBytes} bytes, limit ${limit} + one segment ${largestSegment}`,
    );
    assert.equal(fastStats.segmentsDropped, 0, 'the fast viewer got every frame encoded since it joined');
    assert.equal(fastStats.catchUps, 0);
    // And it got them in order, every one after the first a frame the server delivered later.
    for (let i = 1; i < fast.segments.length; i++) assert.ok(fast.segments[i].frameNumber > fast.segments[i - 1].frameNumber);
  });

  it('refuses bad stream settings with a message naming the field, and keeps serving', async () => {
    stack = await startViewerStack();
    const bad = await RecordingViewer.connect(stack.viewer.address, '?size=641x360');
    const closed = await new Promise<number>((resolve) => bad.socket.once('close', (code) => resolve(code)));
    assert.equal(closed, 1011);
    assert.equal(bad.texts[0]?.type, 'error');
    assert.match(String(bad.texts[0]?.message), /^size: both sides must be even and from 16 to 4096 \(H\.264 4:2:0\), got 641x360$/);
    const good = await RecordingViewer.connect(stack.viewer.address, '?size=320x180&fps=10');
    await good.waitForSegments(2);
    good.close();
    assert.equal((good.texts[0] as unknown as StreamDescription).width, 320);
  });

  it("answers only its own pages: another site's Origin and a non-loopback Host are refused", async () => {
    stack = await startViewerStack();
    const address = stack.viewer.address;
    const foreign = new WebSocket(`ws://${address}/stream`, { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) =>
      foreign.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)),
    );
    assert.equal(status, 403);
    // fetch() will not send another Host; node:http will, as a rebinding browser would.
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get({ host, port, path: '/frame.png', headers: { host: 'evil.example' } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /Host evil\.example is not this loopback server/);
    // Its own origin, and clients that send none, are served.
    const own = await RecordingViewer.connect(address, '', { origin: `http://${address}` });
    await own.waitForSegments(1);
    own.close();
    assert.equal((await fetch(`http://localhost:${address.split(':')[1]}/status.json`)).status, 200);
  });
  it('closes a stream whose viewers all left while it was opening, and counts viewers still joining against the limit', async () => {
    stack = await startViewerStack({ limits: { maxViewers: 2, maxStreams: 4 } });
    const viewer = stack.viewer;
    // Each round opens as many differently-configured streams as allowed, each by a viewer that
    // leaves as soon as it is connected: before its stream has opened (a gRPC session to open and
    // configure), so that no viewer ever joins it.
    for (const round of [1, 2]) {
      await Promise.all(
        [5, 6, 7, 8].map(async (fps) => {
          const quitter = await RecordingViewer.connect(viewer.address, `?fps=${fps}`);
          quitter.close();
        }),
      );
      assert.ok(viewer.status().streams.length > 0, `round ${round}: the streams were started`);
      await waitUntil(
        () => viewer.status().streams.length === 0,
        () => `round ${round}: streams still open ${JSON.stringify(viewer.status().streams.map((s) => s.key))}`,
        15_000,
      );
      assert.equal(viewer.status().viewers.length, 0);
    }

    // Five joining a new stream at once, with room for two: the three others are refused, though
    // nobody had joined yet when each arrived.
    const joiners = await Promise.all([0, 1, 2, 3, 4].map(() => RecordingViewer.connect(viewer.address, '?fps=9')));
    await waitUntil(
      () => joiners.every((j) => j.texts.length > 0),
      () => `answers: ${joiners.map((j) => j.texts[0]?.type).join(', ')}`,
    );
    const admitted = joiners.filter((j) => j.texts[0].type === 'stream');
    const refused = joiners.filter((j) => j.texts[0].type === 'error');
    assert.equal(admitted.length, 2, `admitted ${admitted.length} of 5 with room for 2`);
    assert.equal(refused.length, 3);
    for (const j of refused) assert.match(String(j.texts[0].message), /maximum of 2 viewers/);
    await waitUntil(
      () => refused.every((j) => j.closeCode !== undefined),
      () => 'refused viewers closed',
    );
    for (const j of refused) assert.equal(j.closeCode, 1013);
    assert.equal(viewer.status().viewers.length, 2);
    for (const j of joiners) j.close();
  });

  /**
   * Noise over half the screen at a high bitrate (a stream that backs up within seconds when not
   * read), one viewer reading everything, and the stream's measured rate in bytes a second.
   */
  async function startNoisyStreamWithViewer(): Promise<{ fast: RecordingViewer; fastId: number; bytesPerSecond: number }> {
    noise = new NoisyScreen(640, 360, 0.5).start();
    stack = await startViewerStack({ source: noise.source, defaults: { bitrateBps: 20_000_000 } });
    const fast = await RecordingViewer.connect(stack.viewer.address);
    await fast.waitForSegments(3);
    const fastId = [...viewerIds(stack.viewer)][0];
    const streamStats = () => stack!.viewer.status().streams[0].stats;
    const bytesBefore = streamStats().bytesEncoded;
    await sleep(1000);
    return { fast, fastId, bytesPerSecond: streamStats().bytesEncoded - bytesBefore };
  }

  it('makes a viewer that keeps falling behind wait for its keyframes, spaced out, while another viewer gets every frame', async () => {
    // Noise over half the screen, at a high bitrate; the throttled viewer reads a quarter of what
    // the stream sent when measured, not nothing: it falls behind, catches up, falls behind again,
    // and so on, faster than the keyframes a catch-up may ask for. Its first fall comes from a
    // stall: on a loaded machine the encoder may slow to what a throttled reader keeps up with,
    // and the kernel's socket buffers absorb megabytes before the server's queue fills.
    const { fast, fastId, bytesPerSecond } = await startNoisyStreamWithViewer();
    const throttled = await ThrottledViewer.connect(stack!.viewer.address, bytesPerSecond / 4);
    try {
      const throttledId = await newViewerId(stack!.viewer, new Set([fastId]));
      const stats = (id: number) => stack!.viewer.status().viewers.find((viewer) => viewer.id === id)!;
      // Measured from its first fall, over two more catch-ups: each one waits for a keyframe.
      throttled.stall();
      await waitUntil(
        () => stats(throttledId).catchUps >= 1,
        () => `the throttled viewer never fell behind: ${JSON.stringify(stats(throttledId))}`,
        60_000,
      );
      throttled.resume();
      const from = { segment: fast.segments.length, throttledMessages: throttled.messages };
      await waitUntil(
        () => stats(throttledId).catchUps >= 3,
        () => `the throttled viewer fell behind only ${stats(throttledId).catchUps} times`,
        45_000,
      );
      const slow = stats(throttledId);
      const fastStats = stats(fastId);
      const window = fast.segments.slice(from.segment);

      assert.ok(throttled.messages > from.throttledMessages, 'the throttled viewer kept receiving');
      assert.ok(slow.segmentsSent > 0 && slow.segmentsDropped > 0);
      // Each catch-up got a keyframe no sooner than the gap after the previous keyframe: the
      // encoder's own timestamps, as the fast viewer received them.
      const keyframes = window.filter((s) => s.flags & SegmentFlag.keyframe);
      const gaps = keyframes.slice(1).map((k, i) => k.decodeMs - keyframes[i].decodeMs);
      assert.ok(keyframes.length >= 2, `keyframes while it fell behind twice more: ${keyframes.length}`);
      for (const gap of gaps)
        assert.ok(
          gap >= CATCH_UP_KEYFRAME_GAP_MS - 1,
          `keyframes ${gap.toFixed(0)} ms apart (gaps: ${gaps.map((g) => g.toFixed(0)).join(' ')})`,
        );
      // The other viewer was sent every frame encoded, in order.
      assert.equal(fastStats.segmentsDropped, 0, 'the fast viewer got every frame');
      assert.equal(fastStats.catchUps, 0);
      for (let i = 1; i < window.length; i++) assert.ok(window[i].frameNumber > window[i - 1].frameNumber);
      const spanS = (window[window.length - 1].decodeMs - window[0].decodeMs) / 1000;
      console.log(
        `      stream ${(bytesPerSecond / 1e6).toFixed(1)} MB/s, throttled to a quarter; ${slow.catchUps} catch-ups; over ${spanS.toFixed(1)} s the fast viewer got ${(window.length / spanS).toFixed(1)} frames/s, keyframes ${gaps.map((g) => (g / 1000).toFixed(1)).join(', ')} s apart`,
      );
    } finally {
      throttled.close();
      fast.close();
    }
  });

  it('gives a viewer that stalls once (a hiccup) its keyframe as soon as a joining viewer, not after the slow-link spacing', async () => {
    const { fast, fastId, bytesPerSecond } = await startNoisyStreamWithViewer();
    // Four times the stream's rate: never throttled but for the stall.
    const hiccuping = await ThrottledViewer.connect(stack!.viewer.address, bytesPerSecond * 4);
    try {
      const id = await newViewerId(stack!.viewer, new Set([fastId]));
      const statsOf = (viewerId: number) => stack!.viewer.status().viewers.find((viewer) => viewer.id === viewerId)!;
      const stats = () => statsOf(id);
      await waitUntil(
        () => stats().segmentsSent > 0,
        () => 'the viewer never started',
      );
      assert.equal(stats().lastKeyframeRequest, 'join');
      // One stall, as long as it takes the server's queue to overflow (the kernel's buffers
      // absorb megabytes first), then the link is good again.
      hiccuping.stall();
      await waitUntil(
        () => stats().catchUps === 1,
        () => `the stalled viewer never fell behind: ${JSON.stringify(stats())}`,
        60_000,
      );
      hiccuping.resume();
      const sentAtFall = stats().segmentsSent;
      await waitUntil(
        () => stats().segmentsSent > sentAtFall,
        () => `the viewer never played again: ${JSON.stringify(stats())}`,
      );
      assert.equal(stats().catchUps, 1, 'one fall');
      // Asked as a hiccup: its keyframe is due MIN_FORCED_KEYFRAME_GAP_MS after the last one,
      // as for a joining viewer, where a viewer that keeps falling behind waits
      // CATCH_UP_KEYFRAME_GAP_MS (the slow-link test above holds that spacing).
      assert.equal(stats().lastKeyframeRequest, 'hiccup', JSON.stringify(stats()));
      assert.equal(statsOf(fastId).segmentsDropped, 0, 'the other viewer got every frame');
      assert.ok(fast.segments.length > 0);
    } finally {
      hiccuping.close();
      fast.close();
    }
  });

  it('streams rotated: a 90-degree stream of a 320x240 screen is 240x320 with the picture turned clockwise', async () => {
    const image = quadrantImage(320, 240);
    stack = await startViewerStack({ source: ImageSource.fromPixels(image) });
    const viewer = await RecordingViewer.connect(stack.viewer.address, '?size=240x320&rotation=90');
    await viewer.waitForSegments(1);
    viewer.close();
    const description = viewer.texts[0] as unknown as StreamDescription;
    assert.deepEqual([description.width, description.height, description.displayWidth, description.displayHeight], [240, 320, 320, 240]);
    const path = join(tmp.path, 'rotated.mp4');
    await viewer.writeMp4(path);
    const [decoded] = await decodeI420(path, 240, 320);
    const expected = await rgbaToI420(rotateReference(image, 90), 240, 320);
    // The screen's top-left quadrant (red) is now top-right, its bottom-left (blue) top-left.
    const lumaAt = (i420: Buffer, x: number, y: number) => i420[y * 240 + x];
    for (const [x, y, what] of [
      [180, 80, 'red'],
      [60, 80, 'blue'],
      [60, 240, 'white'],
      [180, 240, 'green'],
    ] as const) {
      assert.ok(
        Math.abs(lumaAt(decoded, x, y) - lumaAt(expected, x, y)) <= 6,
        `${what} at (${x}, ${y}): luma ${lumaAt(decoded, x, y)}, expected ${lumaAt(expected, x, y)}`,
      );
    }
    const quality = psnr(decoded, expected);
    assert.ok(quality >= 38, `PSNR ${quality.toFixed(1)} dB against the screen turned 90 degrees`);
  });

  it('streams at 1280x720 when nothing else is asked for', async () => {
    stack = await startViewerStack({ defaults: 'as shipped' });
    const viewer = await RecordingViewer.connect(stack.viewer.address);
    await viewer.waitForSegments(2);
    viewer.close();
    const description = viewer.texts[0] as unknown as StreamDescription;
    assert.deepEqual([description.width, description.height, description.maxFps], [1280, 720, 30]);
    const path = join(tmp.path, 'default.mp4');
    await viewer.writeMp4(path);
    const probed = await probe(path);
    assert.deepEqual([probed.codec, probed.width, probed.height], ['h264', 1280, 720]);
  });

  it("sends no more frames than the frame-rate cap, by the frames' own capture times", async () => {
    // The display changes at every 30 Hz vsync; the stream is capped at 10.
    stack = await startViewerStack({ source: new SyntheticDesktop({ width: 640, height: 360, animationFps: 30, busy: true }) });
    const viewer = await RecordingViewer.connect(stack.viewer.address, '?size=320x180&fps=10');
    await viewer.waitForSegments(26);
    viewer.close();
    // After the first (its keyframe may have waited for the join); repeats carry old capture times.
    const frames = viewer.segments.slice(1).filter((s) => !(s.flags & SegmentFlag.repeat));
    const spanMs = frames[frames.length - 1].captureTimeMs - frames[0].captureTimeMs;
    const fps = ((frames.length - 1) * 1000) / spanMs;
    // Pulls are at least 100 ms apart on average; a frame may be up to one vsync older than its
    // pull, so over 2.5 s the rate may read a little above 10, never near the display's 30.
    assert.ok(fps <= 10 * 1.1, `${fps.toFixed(2)} frames/s over ${frames.length} frames, ${spanMs.toFixed(0)} ms of capture time`);
    const encoded = stack.viewer.status().streams[0]?.stats;
    console.log(
      `      capped at 10: ${fps.toFixed(2)} frames/s by capture time (${frames.length} frames over ${(spanMs / 1000).toFixed(2)} s); encoder ${JSON.stringify(encoded)}`,
    );
  });

  it('encodes a picture that stopped changing once more, sharp, as a keyframe', async () => {
    // The built-in desktop with only its clock changing, one animation step a second (a window
    // that does not move is still redrawn at every step), streamed at the lowest bitrate.
    const desktop = new SyntheticDesktop({ width: 640, height: 360, typingRate: 0, windowSpeed: 0, animationFps: 1 });
    stack = await startViewerStack({ source: desktop, defaults: { width: 640, height: 360, bitrateBps: 50_000 } });
    const viewer = await RecordingViewer.connect(stack.viewer.address);
    const session = await stack.client.openSession({ clientName: 'screen' });
    try {
      await session.configure({ width: 640, height: 360, pixelFormat: 'rgba8', bufferCount: 2 });
      // A sharp pass: a repeated keyframe of the frame the segment before it carried. Compared
      // against the screen as the server has it, while the clock still shows the same second.
      const report: string[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        const seen = viewer.segments.length;
        await waitUntil(
          () =>
            viewer.segments
              .slice(Math.max(seen, 1))
              .some((s, i, rest) => isSharpPass(s, i === 0 ? viewer.segments[Math.max(seen, 1) - 1] : rest[i - 1])),
          () => `no sharp pass in ${viewer.segments.length} segments`,
          10_000,
        );
        const screen = await session.nextFrame();
        const rgba = Buffer.from(screen.pixels.subarray(0, 640 * 360 * 4));
        const frameNumber = screen.frameNumber;
        await screen.release();
        const sharpAt = viewer.segments.findIndex(
          (s, i) => i > 0 && isSharpPass(s, viewer.segments[i - 1]) && s.frameNumber === frameNumber,
        );
        if (sharpAt < 0) continue;
        const path = join(tmp.path, 'sharp.mp4');
        await writeFile(path, Buffer.concat([viewer.inits[0], ...viewer.segments.slice(0, sharpAt + 1).map((s) => s.segment)]));
        const frames = await decodeI420(path, 640, 360);
        const reference = await rgbaToI420(rgba, 640, 360);
        const sharp = psnr(frames[sharpAt], reference);
        const before = psnr(frames[sharpAt - 1], reference);
        report.push(`frame ${frameNumber}: ${before.toFixed(1)} dB, then ${sharp.toFixed(1)} dB`);
        assert.ok(sharp >= 42, report.join('; '));
        assert.ok(sharp > before, report.join('; '));
        viewer.close();
        return;
      }
      assert.fail(`no sharp pass matched the screen's frame: ${report.join('; ')}`);
    } finally {
      await session.close();
      viewer.close();
    }
  });
});

/** A segment that encodes the previous segment's frame again as a keyframe: the sharp pass over a still screen. */
function isSharpPass(segment: ReceivedSegment, previous: ReceivedSegment): boolean {
  return (
    (segment.flags & SegmentFlag.repeat) !== 0 &&
    (segment.flags & SegmentFlag.keyframe) !== 0 &&
    segment.frameNumber === previous.frameNumber
  );
}
