/** The recorder against a real server: the MP4 and PNG it writes, checked with ffprobe/ffmpeg. */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Recorder, type FrameTransport, type RecordingSummary } from '../../../src/clients';
import { loadNativeAddon, type NativeEncoderOptions } from '../../../src/codec/native-addon';
import { parseMp4, topLevelBoxes } from '../../support/media/mp4-structure';
import { decodeI420, DesktopServer, packedCopy, probe, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';

const RECORD_MS = 3000;

interface KeptFrame {
  index: number;
  timestampUs: number;
  rgba: Buffer;
}

interface Recording {
  summary: RecordingSummary;
  /** Timestamps of all frames written, by index. */
  timestampsUs: number[];
  /** The server's capture time of each frame written, by index, as the frame itself carries it. */
  captureNs: bigint[];
  /** Copies of some frames' pixels. */
  kept: KeptFrame[];
  /** Wall-clock milliseconds from run() to the stop. */
  /**
   * How long the recording ran: from its first frame's capture (the file's time 0; the server
   * runs in this process, on the same monotonic clock) to the stop. Session setup before the
   * first frame is not part of the file, and on a loaded machine it is a good part of 2%.
   */
  wallMs: number;
}

async function record(
  server: DesktopServer,
  options: {
    outDir: string;
    format?: 'mp4' | 'png';
    width?: number;
    height?: number;
    transport?: FrameTransport;
    rateControl?: 'bitrate' | 'quality';
    bitrateBps?: number;
    threads?: number;
    keyframeIntervalMs?: number;
    fragmentDurationMs?: number;
    keepEvery?: number;
    during?: () => Promise<void>;
  },
): Promise<Recording> {
  const timestampsUs: number[] = [];
  const captureNs: bigint[] = [];
  const kept: KeptFrame[] = [];
  const keepEvery = options.keepEvery ?? 15;
  const recorder = new Recorder(server.client, {
    outDir: options.outDir,
    format: options.format,
    width: options.width,
    height: options.height,
    transport: options.transport,
    rateControl: options.rateControl,
    bitrateBps: options.bitrateBps,
    threads: options.threads,
    keyframeIntervalMs: options.keyframeIntervalMs,
    fragmentDurationMs: options.fragmentDurationMs,
    onFrame: ({ index, timestampUs, frame }) => {
      timestampsUs[index] = timestampUs;
      captureNs[index] = frame.captureMonotonicNs;
      if (index % keepEvery === 0)
        kept.push({ index, timestampUs, rgba: packedCopy(frame.pixels, frame.width, frame.height, frame.stride) });
    },
  });
  const controller = new AbortController();
  // Connect first: the recording starts with its first frame, not with the channel's TCP and
  // HTTP/2 handshakes, so the wall clock should not count them either.
  await server.client.displayInfo();
  let stoppedNs = process.hrtime.bigint();
  const timer = setTimeout(() => {
    stoppedNs = process.hrtime.bigint();
    controller.abort();
  }, RECORD_MS);
  const during = options.during?.();
  try {
    const summary = await recorder.run({ signal: controller.signal });
    await during;
    return { summary, timestampsUs, captureNs, kept, wallMs: Number(stoppedNs - captureNs[0]) / 1e6 };
  } finally {
    clearTimeout(timer);
  }
}

/** Each kept source frame and the decoded frame at its index agree to PSNR >= 38 dB. */
async function assertQuality(decoded: Buffer[], kept: KeptFrame[], width: number, height: number): Promise<void> {
  for (const frame of kept) {
    const quality = psnr(decoded[frame.index], await rgbaToI420(frame.rgba, width, height));
    assert.ok(quality >= 38, `frame ${frame.index}: PSNR ${quality.toFixed(1)} dB`);
  }
}

/** Runs `during` and gives back the options each openh264 encoder made meanwhile got from the binding. */
async function nativeEncoderOptions(during: () => Promise<void>): Promise<NativeEncoderOptions[]> {
  const addon = loadNativeAddon();
  const native = addon.H264Encoder;
  const seen: NativeEncoderOptions[] = [];
  addon.H264Encoder = new Proxy(native, {
    construct: (target, args: [NativeEncoderOptions]) => {
      seen.push(args[0]);
      return Reflect.construct(target, args) as object;
    },
  });
  try {
    await during();
  } finally {
    addon.H264Encoder = native;
  }
  return seen;
}

describe('Recorder', function () {
  this.timeout(60_000);
  let server: DesktopServer;
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => {
    server = await DesktopServer.start(320, 240);
    out = await temporaryDirectory();
  });

  afterEach(async () => {
    await server.stop();
    await out.remove();
  });

  it('writes an H.264 MP4 at the display size with the capture timestamps, duration and pixels', async () => {
    const { summary, timestampsUs, captureNs, kept, wallMs } = await record(server, { outDir: out.path });
    assert.equal(summary.format, 'mp4');
    assert.equal(summary.path, join(out.path, 'display.mp4'));
    assert.ok(summary.framesWritten > 60, `only ${summary.framesWritten} frames in 3 s`);
    assert.equal(summary.framesWritten + summary.framesSkipped, summary.framesDelivered);
    // A small picture at 60 Hz: the encoder keeps up, so every frame delivered is in the file.
    assert.equal(summary.framesSkipped, 0);

    const video = await probe(summary.path);
    assert.equal(video.codec, 'h264');
    assert.deepEqual([video.width, video.height], [320, 240]);
    assert.equal(video.ptsS.length, summary.framesDelivered);
    assert.equal(timestampsUs.length, summary.framesWritten);
    assert.equal(captureNs.length, summary.framesWritten);
    assert.equal(timestampsUs[0], 0);
    video.ptsS.forEach((pts, i) => {
      if (i > 0) assert.ok(pts > video.ptsS[i - 1], `pts ${i} (${pts}) does not increase`);
      // The server's own capture times, not what the recorder says it wrote: put on the 60 Hz
      // vsync grid they were latched on. The grid point is counted from the first frame, whose
      // timer may itself have fired late; on a loaded machine two latches can then round into
      // one period and the second shows a period later (docs/recording.md): within a period plus
      // the first frame's lateness, bounded here by half a period more.
      const captureUs = Number(captureNs[i] - captureNs[0]) / 1000;
      assert.ok(Math.abs(pts * 1e6 - captureUs) < 1.5e6 / 60, `pts ${i}: ${pts} s vs capture ${captureUs} us after the first`);
      assert.ok(Math.abs(pts * 60 - Math.round(pts * 60)) < 1e-3, `pts ${i}: ${pts} s is on the 60 Hz grid`);
    });
    // The defaults: a fragment written every second, a keyframe every 5 s (the first frame's, in 3 s).
    assert.equal(video.keyframes, 1);
    assert.ok(video.isKeyframe[0]);
    const fragments = topLevelBoxes(await readFile(summary.path)).filter((box) => box.type === 'moof').length;
    assert.ok(fragments >= 3, `${fragments} fragments in 3 s`);
    assert.ok(Math.abs(video.durationS * 1000 - wallMs) <= wallMs * 0.02, `duration ${video.durationS} s vs ${wallMs} ms recorded`);
    assert.ok(Math.abs(video.durationS * 1e6 - summary.durationUs) <= 1000);

    const decoded = await decodeI420(summary.path, 320, 240);
    assert.equal(decoded.length, summary.framesWritten);
    assert.ok(kept.length >= 5);
    await assertQuality(decoded, kept, 320, 240);
  });

  it('keeps recording at the configured size when the display changes resolution', async () => {
    const { summary, kept } = await record(server, {
      outDir: out.path,
      width: 256,
      height: 144,
      during: async () => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await server.desktop.resize(480, 360);
      },
    });
    const video = await probe(summary.path);
    assert.deepEqual([video.width, video.height], [256, 144]);
    assert.equal(video.ptsS.length, summary.framesWritten);
    // Frames keep coming after the resize, across the whole recording.
    assert.ok(video.ptsS[video.ptsS.length - 1] > 2.5, `last frame at ${video.ptsS[video.ptsS.length - 1]} s`);
    await assertQuality(await decodeI420(summary.path, 256, 144), kept, 256, 144);
  });

  it('writes pixel-exact PNG frames with their capture times', async () => {
    const { summary, timestampsUs, kept } = await record(server, { outDir: out.path, format: 'png', keepEvery: 10 });
    assert.equal(summary.format, 'png');
    const framesDir = join(out.path, 'frames');
    const pngs = (await readdir(framesDir)).filter((name) => name.endsWith('.png')).sort();
    assert.equal(pngs.length, summary.framesWritten);
    assert.equal(pngs[0], 'frame-000001.png');
    const lines = (await readFile(join(framesDir, 'timestamps.txt'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, summary.framesWritten);
    lines.forEach((line, i) => {
      const [name, seconds] = line.split(' ');
      assert.equal(name, pngs[i]);
      assert.ok(Math.abs(Number(seconds) * 1e6 - timestampsUs[i]) <= 1);
    });
    for (const frame of kept) {
      const { data, info } = await sharp(join(framesDir, pngs[frame.index])).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [320, 240]);
      assert.ok(data.equals(frame.rgba), `frame ${frame.index} differs`);
    }
    // The concat list assembles the frames at their real times.
    const concat = await readFile(join(framesDir, 'frames.ffconcat'), 'utf8');
    const durations = [...concat.matchAll(/^duration (\S+)$/gm)].reduce((total, match) => total + Number(match[1]), 0);
    assert.ok(Math.abs(durations * 1e6 - summary.durationUs) < 1000);
  });

  it('refuses bad options naming the field', () => {
    assert.throws(() => new Recorder(server.client, { outDir: out.path, width: 321, height: 240 }), /width: must be an even integer/);
    assert.throws(() => new Recorder(server.client, { outDir: '' }), /outDir/);
    assert.throws(() => new Recorder(server.client, { outDir: out.path, keyframeIntervalMs: 0 }), /keyframeIntervalMs/);
    assert.throws(() => new Recorder(server.client, { outDir: out.path, transport: 'pigeon' as FrameTransport }), /transport: must be/);
    assert.throws(
      () => new Recorder(server.client, { outDir: out.path, width: 4096, height: 4096 }),
      /width x height: must be at most 9437184 pixels/,
    );
    assert.throws(
      () => new Recorder(server.client, { outDir: out.path, keyframeIntervalMs: 120_000 }),
      /keyframeIntervalMs: must be from 1 to 60000/,
    );
    assert.throws(
      () => new Recorder(server.client, { outDir: out.path, rateControl: 'cbr' as 'quality' }),
      /rateControl: must be 'bitrate' or 'quality'/,
    );
    assert.throws(() => new Recorder(server.client, { outDir: out.path, threads: 0 }), /threads: must be an integer from 1 to 4; got 0/);
    assert.throws(
      () => new Recorder(server.client, { outDir: out.path, fragmentDurationMs: 0 }),
      /fragmentDurationMs: must be from 1 to 60000 milliseconds; got 0/,
    );
    assert.throws(
      () => new Recorder(server.client, { outDir: out.path, keyframeIntervalMs: 1000, fragmentDurationMs: 2000 }),
      /fragmentDurationMs: must not exceed keyframeIntervalMs \(1000\), each keyframe starting a fragment; got 2000/,
    );
    // PNG has no H.264 size limit.
    assert.doesNotThrow(() => new Recorder(server.client, { outDir: out.path, format: 'png', width: 4096, height: 4096 }));
  });

  it('starts a fragment with each keyframe, a keyframe interval apart, and writes fragments in between on time', async () => {
    // Keyframes every 1.2 s, fragments every 400 ms: in 3 s, keyframes at the fragment boundaries
    // about 0, 1.2 and 2.4 s, each at the start of a fragment, and some seven fragments.
    const { summary } = await record(server, { outDir: out.path, keyframeIntervalMs: 1200, fragmentDurationMs: 400 });
    const video = await probe(summary.path);
    const bytes = await readFile(summary.path);
    const keyframeTimes = video.ptsS.filter((_, i) => video.isKeyframe[i]);
    assert.ok(keyframeTimes.length >= 2 && keyframeTimes.length <= 3, `keyframes at ${keyframeTimes.join(', ')} s`);
    for (let i = 1; i < keyframeTimes.length; i++) {
      const gap = keyframeTimes[i] - keyframeTimes[i - 1];
      // A keyframe comes at the first fragment boundary 1.2 s after the previous one: 3 fragments of at least 400 ms.
      assert.ok(gap >= 1.2 && gap < 1.2 + 0.4 + 0.1, `keyframes ${gap.toFixed(3)} s apart`);
    }
    const moofs = topLevelBoxes(bytes).filter((box) => box.type === 'moof');
    assert.ok(moofs.length >= 6, `${moofs.length} fragments in 3 s of 400 ms fragments`);
    // Each keyframe is the first sample of a fragment: its random access entries (tfra, in the
    // index finish() writes) name as many fragments as there are keyframes.
    const tfra = parseMp4(bytes).getBox('tfra');
    assert.ok(tfra);
    assert.equal(tfra.entries.length, keyframeTimes.length);
    const decoded = await decodeI420(summary.path, 320, 240);
    assert.equal(decoded.length, summary.framesWritten, 'every frame decodes');
  });

  it('refuses a bad durationMs naming it, writing nothing', async () => {
    const recorder = new Recorder(server.client, { outDir: out.path });
    await assert.rejects(recorder.run({ durationMs: 0 }), /durationMs: must be a positive number of milliseconds/);
    assert.deepEqual(await readdir(out.path), []);
  });

  it('hands its rate control and thread count to openh264, and records in quality mode on two threads', async () => {
    const seen = await nativeEncoderOptions(async () => {
      const { summary } = await record(server, { outDir: out.path, rateControl: 'quality', threads: 2 });
      const video = await probe(summary.path);
      assert.equal(video.codec, 'h264');
      assert.equal(video.ptsS.length, summary.framesWritten);
      assert.ok(summary.framesWritten > 60, `only ${summary.framesWritten} frames in 3 s`);
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].rateControl, 'quality');
    assert.equal(seen[0].threads, 2);
  });

  it('by default codes in camera usage, never lets rate control drop a frame, at 0.1 bit a pixel a frame of the display', async () => {
    const seen = await nativeEncoderOptions(async () => {
      const { summary } = await record(server, { outDir: out.path });
      // 0.1 x 320 x 240 x 60 Hz, the server's vsync.
      assert.equal(summary.bitrateBps, 461_000);
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(
      { usage: seen[0].usage, frameSkip: seen[0].frameSkip, bitrateBps: seen[0].bitrateBps, maxFrameRate: seen[0].maxFrameRate },
      { usage: 'camera', frameSkip: false, bitrateBps: 461_000, maxFrameRate: 60 },
    );
  });

  it('writes every frame it gives the encoder, even far over the bitrate: the quantiser holds the bitrate, not dropped frames', async () => {
    // 10 kbit/s is some 170 bits a frame at 60 Hz: openh264 left to itself drops most frames here.
    const { summary } = await record(server, { outDir: out.path, bitrateBps: 10_000 });
    assert.ok(summary.framesWritten > 60, `only ${summary.framesWritten} frames in 3 s`);
    assert.equal(summary.timing!.framesEncoded, summary.framesWritten + summary.framesAgain);
    const video = await probe(summary.path);
    assert.equal(video.ptsS.length, summary.framesWritten + summary.framesAgain);
  });

  it('records the same with the pixels sent inline, as from a server on another machine', async () => {
    // The server is local, so 'auto' picks shared memory: the other tests cover that path.
    const { summary, kept } = await record(server, { outDir: out.path, transport: 'inline' });
    assert.ok(summary.framesWritten > 60, `only ${summary.framesWritten} frames in 3 s`);
    const video = await probe(summary.path);
    assert.equal(video.ptsS.length, summary.framesWritten);
    const decoded = await decodeI420(summary.path, 320, 240);
    await assertQuality(decoded, kept, 320, 240);
  });
});
