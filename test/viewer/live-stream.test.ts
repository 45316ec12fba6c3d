import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { queueLimitBytes } from '../../src/clients/viewer';
import { parseBinaryMessage, SegmentFlag, type StreamDescription } from '../../src/clients/viewer/wire/stream-messages';
import { ImageSource, SyntheticDesktop } from '../../src/sources';
import { quadrantImage } from '../support/images';
import { decodeI420, probe, psnr, rgbaToI420, temporaryDirectory } from '../recorder/helpers';
import { NoisyScreen, stalledViewer, startViewerStack, type ViewerStack } from './helpers';

/**
 * The viewer server's stream without a browser: real WebSocket clients (the `ws` package) read
 * what a page would, and ffmpeg decodes it.
 */

interface ReceivedSegment {
  flags: number;
  frameNumber: number;
  /** The whole binary message, as sent. */
  message: Buffer;
  /** moof + mdat. */
  segment: Buffer;
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
      else this.segments.push({ flags: parsed.header.flags, frameNumber: parsed.header.frameNumber, message: data, segment: Buffer.from(parsed.segment) });
    });
  }

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
      if (Date.now() > deadline) throw new Error(`got ${this.segments.length} of ${count} segments; messages: ${this.order.slice(0, 10).join(', ')}`);
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
    for (const segment of shared) assert.ok(segment.message.equals(firstByFrame.get(segment.frameNumber)!), `frame ${segment.frameNumber} differs`);
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

  it('keeps a stalled viewer\'s queue bounded, skipping it to keyframes, while another viewer misses nothing', async () => {
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
    assert.ok(slow.queuedBytes <= limit + largestSegment, `queue ${slow.queuedBytes} bytes, limit ${limit} + one segment ${largestSegment}`);
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
    assert.match(String(bad.texts[0]?.message), /^width: must be an even integer/);
    const good = await RecordingViewer.connect(stack.viewer.address, '?size=320x180&fps=10');
    await good.waitForSegments(2);
    good.close();
    assert.equal((good.texts[0] as unknown as StreamDescription).width, 320);
  });

  it('answers only its own pages: another site\'s Origin and a non-loopback Host are refused', async () => {
    stack = await startViewerStack();
    const address = stack.viewer.address;
    const foreign = new WebSocket(`ws://${address}/stream`, { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) => foreign.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
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
});
