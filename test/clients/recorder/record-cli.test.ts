/** `screencap record` as a user runs it: argument errors, a timed recording, and kill -9. */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMp4, topLevelBoxes } from '../../support/media/mp4-structure';
import { CLI, runCli, ServeProcess } from '../../support/cli-process';
import { Fixture, settle } from '../../support/fixture';
import { solidImage } from '../../support/images';
import { decodeI420, probe, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';
import { freePort, waitFor } from '../../support/spice/processes';

const run = promisify(execFile);

/** A `screencap record` process whose progress lines (one a second: stderr is a pipe) can be awaited. */
class RecordProcess {
  readonly child: ChildProcess;
  stderr = '';

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'record', ...args]);
    this.child.stderr!.on('data', (data) => (this.stderr += data));
  }

  /** Resolves with the first progress line's figures that `accept` takes; rejects if the process ends first. */
  progress(accept: (elapsedS: number, written: number) => boolean): Promise<{ elapsedS: number; written: number }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = /^recording (\d+\.\d) s: (\d+) frames written/.exec(this.stderr.split('\n').filter(Boolean).pop() ?? '');
        if (match && accept(Number(match[1]), Number(match[2]))) {
          done();
          resolve({ elapsedS: Number(match[1]), written: Number(match[2]) });
        }
      };
      const closed = (code: number | null) => {
        done();
        reject(new Error(`record exited with ${code}: ${this.stderr}`));
      };
      const done = () => {
        this.child.stderr!.off('data', check);
        this.child.off('close', closed);
      };
      this.child.stderr!.on('data', check);
      this.child.on('close', closed);
    });
  }

  /** Sends `signal` and waits for the process to end; its exit code (null when the signal killed it). */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const closed = once(this.child, 'close');
    this.child.kill(signal);
    const [code] = (await closed) as [number | null];
    return code;
  }
}

describe('screencap record', function () {
  this.timeout(60_000);
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => (out = await temporaryDirectory()));
  afterEach(async () => out.remove());

  it('refuses bad arguments before anything starts, naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--out: required/],
      [['--out', '/dev/null/captures'], /--out: cannot write to \/dev\/null\/captures: ENOTDIR/],
      [['--out', out.path, '--duration', '0'], /--duration: expected a positive duration/],
      [['--out', out.path, '--size', '321x240'], /--size: both sides must be even/],
      [['--out', out.path, '--format', 'gif'], /--format: must be mp4 or png/],
      [['--out', out.path, '--bitrate', 'fast'], /--bitrate: expected bits per second/],
      [['--out', out.path, '--usage', 'film'], /--usage: must be screen or camera/],
      [['--out', out.path, '--keyframe-interval', '-1s'], /--keyframe-interval/],
      [['--out', out.path, '--keyframe-interval', '2m'], /--keyframe-interval: must be from 1ms to 60s \(a keyframe starts a fragment\)/],
      [
        ['--out', out.path, '--fragment', '2m'],
        /--fragment: must be from 1ms to 60s \(the MP4 fragment length; longer would defeat crash safety\)/,
      ],
      [
        ['--out', out.path, '--fragment', '3s', '--keyframe-interval', '2s'],
        /--fragment: must not be longer than the keyframe interval \(2000 ms\)/,
      ],
      [['--out', out.path, '--keyframe-interval', '0.5ms'], /--keyframe-interval: must be from 1ms to 60s/],
      [['--out', out.path, '--size', '4096x4096'], /--size: at most 9437184 pixels for H\.264 \(openh264's level 5\.2 limit/],
      [['--out', out.path, '--size', '8192x2304', '--format', 'mp4'], /--size: at most 9437184 pixels/],
      [['--out', out.path, '--size', '8x8'], /--size: at least 16x16 for H\.264/],
      [['--out', out.path, '--rate-control', 'cbr'], /--rate-control: must be bitrate or quality/],
      [['--out', out.path, '--threads', '0'], /--threads: must be a whole number from 1 to 4, got "0"/],
      [['--out', out.path, '--threads', '1.5'], /--threads: must be a whole number from 1 to 4/],
    ];
    for (const [args, message] of cases) {
      // No server listens on this port: a usage error must come before any connection attempt.
      const result = await runCli(['record', '--server', '127.0.0.1:9', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.deepEqual(await readdir(out.path), [], `${args.join(' ')} wrote something`);
    }
  });

  it('records for --duration with a progress line a second, then finishes the file', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    try {
      const result = await runCli(['record', '--server', server.address, '--out', join(out.path, 'display.mp4'), '--duration', '2500ms']);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stderr.trim().split('\n');
      const progress = lines.filter((line) => line.startsWith('recording '));
      assert.ok(progress.length >= 2, result.stderr);
      assert.match(progress[0], /^recording \d+\.\d s: \d+ frames written, \d+ skipped(?:, \d+ re-encoded)?, [\d.]+ (KiB|MiB) on disk/);
      // Once frames are encoded, the line ends with what the encoder could take.
      assert.match(
        progress[progress.length - 1],
        /^recording \d+\.\d s: \d+ frames written, \d+ skipped(?:, \d+ re-encoded)?, [\d.]+ (KiB|MiB) on disk, encoder [1-9]\d* fps$/,
      );
      const summary =
        /display\.mp4: 320x240, ([\d.]+) s: (\d+) frames written, \d+ skipped(?:, \d+ re-encoded)?, [\d.]+ (KiB|MiB) on disk, encoder [1-9]\d* fps$/.exec(
          lines[lines.length - 1],
        );
      assert.ok(summary, result.stderr);
      assert.equal(summary[1], '2.5');
      const video = await probe(join(out.path, 'display.mp4'));
      assert.equal(video.codec, 'h264');
      assert.equal(video.ptsS.length, Number(summary[2]));
      assert.ok(Math.abs(video.durationS - 2.5) < 0.1, `duration ${video.durationS}`);
      // Counted from the first frame, not from before connecting: the file is never shorter than
      // asked, and longer only by the first frame's age when it arrived (at most 50 ms, see Recorder).
      assert.ok(video.durationS >= 2.499 && video.durationS <= 2.56, `duration ${video.durationS} s for --duration 2500ms`);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('leaves a playable file holding all but the last 1.5 s after kill -9', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    const recorder = new RecordProcess(['--server', server.address, '--out', join(out.path, 'display.mp4')]);
    try {
      // Progress lines come once a second with the elapsed time: kill once one says 3 s.
      const { elapsedS } = await recorder.progress((elapsed) => elapsed >= 3);
      assert.equal(await recorder.stop('SIGKILL'), null);
      const path = join(out.path, 'display.mp4');
      const video = await probe(path);
      assert.equal(video.codec, 'h264');
      assert.ok(video.ptsS.length > 0);
      const lastS = video.ptsS[video.ptsS.length - 1];
      assert.ok(lastS >= elapsedS - 1.5, `the file ends at ${lastS} s of at least ${elapsedS} s recorded`);
      // Every packet in the file decodes.
      assert.equal((await decodeI420(path, 320, 240)).length, video.ptsS.length);
    } finally {
      await recorder.stop('SIGKILL');
      await server.stop();
    }
  });
});

describe('screencap record stopped and killed', function () {
  this.timeout(60_000);
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => (out = await temporaryDirectory()));
  afterEach(async () => out.remove());

  it('finishes the file cleanly on Ctrl-C (SIGINT), in quality rate control too', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    const recorder = new RecordProcess(['--server', server.address, '--out', join(out.path, 'display.mp4'), '--rate-control', 'quality']);
    try {
      const { elapsedS } = await recorder.progress((elapsed) => elapsed >= 2);
      assert.equal(await recorder.stop('SIGINT'), 0, recorder.stderr);
      const summary = /display\.mp4: 320x240, ([\d.]+) s: (\d+) frames written/.exec(recorder.stderr);
      assert.ok(summary, recorder.stderr);
      const path = join(out.path, 'display.mp4');
      const video = await probe(path);
      assert.equal(video.codec, 'h264');
      assert.equal(video.ptsS.length, Number(summary[2]));
      assert.ok(video.ptsS.length > 30, `${video.ptsS.length} frames in ${elapsedS} s`);
      // From the first frame to the Ctrl-C, which came right after the progress line said elapsedS.
      // (elapsedS is rounded to 0.1 s.)
      assert.ok(
        video.durationS >= elapsedS - 0.05 && video.durationS < elapsedS + 1.5,
        `duration ${video.durationS} s, ${elapsedS} s when stopped`,
      );
      assert.ok(Math.abs(video.durationS - Number(summary[1])) <= 0.1, `duration ${video.durationS} s, summary ${summary[1]} s`);
      // Finished, not merely cut: the random access index ends the file and the header has the duration.
      const bytes = await readFile(path);
      assert.equal(topLevelBoxes(bytes).at(-1)?.type, 'mfra');
      const { mvhd } = parseMp4(bytes).moov;
      assert.ok(Math.abs(mvhd.duration / mvhd.timescale - video.durationS) < 0.001, `mvhd says ${mvhd.duration / mvhd.timescale} s`);
      assert.equal((await decodeI420(path, 320, 240)).length, video.ptsS.length);
    } finally {
      await recorder.stop('SIGKILL');
      await server.stop();
    }
  });

  it('keeps the last change of a screen that then stands still, after kill -9', async () => {
    const [red, green, blue, white] = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 255],
    ].map((rgb) => solidImage(64, 48, rgb as [number, number, number]));
    // The fixture's clock only latches a frame when told: the screen shows red, but no frame yet.
    const fixture = await Fixture.start({ image: red });
    const recorder = new RecordProcess(['--server', fixture.server.address, '--out', join(out.path, 'display.mp4')]);
    try {
      await recorder.progress(() => true);
      // Three changes, then a still screen for some seconds (three keyframe intervals).
      const changes = [green, blue, white];
      for (const image of changes) {
        await fixture.newFrame(image);
        await settle(300);
      }
      await recorder.progress((_, written) => written === changes.length);
      await settle(3000);
      assert.equal(await recorder.stop('SIGKILL'), null);

      const path = join(out.path, 'display.mp4');
      const video = await probe(path);
      // Every change, each maybe followed by its sharp pass (the same picture again, once it stood still).
      const decoded = await decodeI420(path, 64, 48);
      assert.equal(decoded.length, video.ptsS.length);
      const references = await Promise.all(changes.map((image) => rgbaToI420(image.pixels, 64, 48)));
      const shows = decoded.map((frame, sample) => {
        const change = references.findIndex((reference) => psnr(frame, reference) >= 38);
        assert.ok(change >= 0, `sample ${sample} shows one of the changes`);
        return change;
      });
      const firstSampleOf = changes.map((_, change) => shows.indexOf(change));
      assert.deepEqual(
        firstSampleOf.map((sample) => sample >= 0),
        [true, true, true],
        `every change is in the file: ${shows.join(', ')}`,
      );
      shows.forEach((change, sample) =>
        assert.ok(sample === 0 || change === shows[sample - 1] || change === shows[sample - 1] + 1, `in order: ${shows.join(', ')}`),
      );
      assert.ok(video.ptsS.length <= 2 * changes.length, `${video.ptsS.length} samples for ${changes.length} changes`);
      const gap = video.ptsS[firstSampleOf[2]] - video.ptsS[firstSampleOf[1]];
      assert.ok(gap > 0.3 && gap < 0.8, `the last change came ${gap} s after the one before`);
      // The time the screen then stood still is kept too, up to about a keyframe interval before the kill.
      const stillS = video.durationS - video.ptsS[firstSampleOf[2]];
      assert.ok(stillS >= 1.5, `the file ends ${stillS} s after the last change`);
    } finally {
      await recorder.stop('SIGKILL');
      await fixture.stop();
    }
  });
});

describe('screencap record without H.264, and serve --record', function () {
  this.timeout(60_000);
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => (out = await temporaryDirectory()));
  afterEach(async () => out.remove());

  it('falls back to PNG frames with a warning, and ffmpeg assembles them at their real times', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    try {
      const result = await runCli(['record', '--server', server.address, '--out', out.path, '--duration', '2s'], {
        SCREENCAP_NATIVE_ADDON: join(out.path, 'missing.node'),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /warning: H\.264 encoding is unavailable .*recording PNG frames instead/);
      // A directory gets a new dated folder of frames.
      const frames = /(\S+\/screencap-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-frames): 320x240/.exec(result.stderr)?.[1];
      assert.ok(frames?.startsWith(out.path), result.stderr);
      const written = Number(/-frames: 320x240, [\d.]+ s: (\d+) frames written/.exec(result.stderr)?.[1]);
      assert.ok(written > 10, result.stderr);
      const assembled = join(out.path, 'assembled.mp4');
      await run('ffmpeg', [
        '-v',
        'error',
        '-f',
        'concat',
        '-i',
        join(frames!, 'frames.ffconcat'),
        '-fps_mode',
        'vfr',
        '-pix_fmt',
        'yuv420p',
        assembled,
      ]);
      const video = await probe(assembled);
      assert.deepEqual([video.width, video.height], [320, 240]);
      assert.ok(Math.abs(video.durationS - 2) < 0.1, `assembled duration ${video.durationS} s`);
    } finally {
      await server.stop();
    }
  });

  it('serve --record records the served display until the server stops, logging its progress', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240', '--record', join(out.path, 'display.mp4')]);
    // The operator sees the recording is alive: a progress line at info level every few seconds.
    const progress =
      /INFO +\S*recorder: recording seconds=\d+\.\d written=[1-9]\d* skipped=\d+ bytes=[1-9]\d* encodeFps=[1-9]\d*( again=\d+)?\n/;
    while (!progress.test(server.output.stderr)) {
      assert.equal(server.child.exitCode, null, server.output.stderr);
      await settle(100);
    }
    assert.equal(await server.stop(), 0);
    assert.match(server.output.stderr, /session opened session=#1 client=recorder/);
    assert.match(
      server.output.stderr,
      // The bitrate too, the default one (0.1 bit a pixel a frame of 320x240 at 60 Hz) as for any.
      /recording finished path=\S+display\.mp4 frames=[1-9]\d* seconds=\d+\.\d skipped=\d+ bytes=[1-9]\d* encodeFps=[1-9]\d*( again=\d+)? bitrateBps=461000\n/,
    );
    const video = await probe(join(out.path, 'display.mp4'));
    assert.equal(video.codec, 'h264');
    assert.deepEqual([video.width, video.height], [320, 240]);
    assert.ok(video.durationS > 1.5, `duration ${video.durationS} s`);
  });
});

describe('screencap record --out: a file or a directory, never overwritten unasked', function () {
  this.timeout(60_000);
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;
  let server: ServeProcess;
  before(async () => (server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240'])));
  after(async () => server.stop());
  beforeEach(async () => (out = await temporaryDirectory()));
  afterEach(async () => out.remove());

  it('writes the file named, refuses to overwrite it, and overwrites with -y', async () => {
    const talk = join(out.path, 'talk.mp4');
    const first = await runCli(['record', '--server', server.address, '-o', talk, '--duration', '500ms']);
    assert.equal(first.code, 0, first.stderr);
    const firstSize = statSync(talk).size;
    assert.ok((await probe(talk)).durationS > 0.4);

    const again = await runCli(['record', '--server', server.address, '-o', talk, '--duration', '500ms']);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      new RegExp(`--out: ${talk.replace(/[.]/g, '\\.')} exists; add --force \\(-y\\) to overwrite it, or name another file`),
    );
    assert.equal(statSync(talk).size, firstSize, 'the first recording is untouched');

    const forced = await runCli(['record', '--server', server.address, '-o', talk, '-y', '--duration', '1s']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok((await probe(talk)).durationS > 0.9, 'replaced by the second recording');
  });

  it('gives each recording into a directory a new dated name', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await runCli(['record', '--server', server.address, '-o', out.path, '--duration', '300ms']);
      assert.equal(result.code, 0, result.stderr);
    }
    const files = readdirSync(out.path).sort();
    assert.equal(files.length, 2, files.join(' '));
    for (const file of files) assert.match(file, /^screencap-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(-2)?\.mp4$/);
    const png = await runCli(['record', '--server', server.address, '-o', join(out.path, 'talk.mp4'), '--format', 'png']);
    assert.equal(png.code, 2);
    assert.match(png.stderr, /--out: .*talk\.mp4 is an MP4 file name, but the format is png: name a directory for the PNG frames/);
  });
});

describe('screencap record before its server', function () {
  this.timeout(60_000);
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;
  beforeEach(async () => (out = await temporaryDirectory()));
  afterEach(async () => out.remove());

  it('says once that nobody answers, keeps trying, and records once the server is there', async () => {
    const port = await freePort();
    const file = join(out.path, 'late.mp4');
    const recorder = spawn(process.execPath, [CLI, 'record', '--server', `127.0.0.1:${port}`, '-o', file, '--duration', '1s']);
    let stderr = '';
    recorder.stderr.on('data', (d) => (stderr += d));
    let server: ServeProcess | undefined;
    try {
      await waitFor(() => /retrying every 2 s/.test(stderr) || undefined, 20_000, 'the retry notice');
      await new Promise((resolve) => setTimeout(resolve, 4500)); // two more attempts, said nothing new
      server = await ServeProcess.start(['--listen', `127.0.0.1:${port}`, '--size', '320x240']);
      const [code] = await once(recorder, 'close');
      assert.equal(code, 0, stderr);
      assert.equal(stderr.match(/no screencap server answers at 127\.0\.0\.1:\d+ \(connection refused\)/g)?.length, 1, stderr);
      assert.match(stderr, /the server at 127\.0\.0\.1:\d+ answers: recording/);
      assert.ok(Math.abs((await probe(file)).durationS - 1) < 0.1);
    } finally {
      if (recorder.exitCode === null) recorder.kill('SIGKILL');
      await server?.stop();
    }
  });
});
