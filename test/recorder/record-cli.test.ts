/** `screencap record` as a user runs it: argument errors, a timed recording, and kill -9. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, runCli, ServeProcess } from '../support/cli-process';
import { decodeI420, probe, temporaryDirectory } from './helpers';

const run = promisify(execFile);

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
    ];
    for (const [args, message] of cases) {
      // No server listens on this port: a usage error must come before any connection attempt.
      const result = await runCli(['record', '--server', '127.0.0.1:9', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  it('records for --duration with a progress line a second, then finishes the file', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    try {
      const result = await runCli(['record', '--server', server.address, '--out', out.path, '--duration', '2500ms']);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stderr.trim().split('\n');
      const progress = lines.filter((line) => line.startsWith('recording '));
      assert.ok(progress.length >= 2, result.stderr);
      assert.match(progress[0], /^recording \d+\.\d s: \d+ frames written, \d+ skipped, [\d.]+ (KiB|MiB) on disk/);
      const summary = /display\.mp4: 320x240, [\d.]+ s: (\d+) frames written/.exec(lines[lines.length - 1]);
      assert.ok(summary, result.stderr);
      const video = await probe(join(out.path, 'display.mp4'));
      assert.equal(video.codec, 'h264');
      assert.equal(video.ptsS.length, Number(summary[1]));
      assert.ok(Math.abs(video.durationS - 2.5) < 0.1, `duration ${video.durationS}`);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('leaves a playable file holding all but the last 1.5 s after kill -9', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    const recorder = spawn(process.execPath, [CLI, 'record', '--server', server.address, '--out', out.path]);
    try {
      // Progress lines come once a second with the elapsed time: kill once one says 3 s.
      let stderr = '';
      const elapsedS = await new Promise<number>((resolve, reject) => {
        recorder.stderr.on('data', (data) => {
          stderr += data;
          const match = /recording (\d+\.\d) s/g.exec(stderr.split('\n').filter(Boolean).pop() ?? '');
          if (match && Number(match[1]) >= 3) resolve(Number(match[1]));
        });
        recorder.on('close', (code) => reject(new Error(`record exited with ${code}: ${stderr}`)));
      });
      recorder.kill('SIGKILL');
      await once(recorder, 'close');
      const path = join(out.path, 'display.mp4');
      const video = await probe(path);
      assert.equal(video.codec, 'h264');
      assert.ok(video.ptsS.length > 0);
      const lastS = video.ptsS[video.ptsS.length - 1];
      assert.ok(lastS >= elapsedS - 1.5, `the file ends at ${lastS} s of at least ${elapsedS} s recorded`);
      // Every packet in the file decodes.
      assert.equal((await decodeI420(path, 320, 240)).length, video.ptsS.length);
    } finally {
      if (recorder.exitCode === null && recorder.signalCode === null) {
        recorder.kill('SIGKILL');
        await once(recorder, 'close');
      }
      await server.stop();
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
      const frames = join(out.path, 'frames');
      const written = Number(/frames: 320x240, [\d.]+ s: (\d+) frames written/.exec(result.stderr)?.[1]);
      assert.ok(written > 10, result.stderr);
      const assembled = join(out.path, 'assembled.mp4');
      await run('ffmpeg', ['-v', 'error', '-f', 'concat', '-i', join(frames, 'frames.ffconcat'), '-fps_mode', 'vfr', '-pix_fmt', 'yuv420p', assembled]);
      const video = await probe(assembled);
      assert.deepEqual([video.width, video.height], [320, 240]);
      assert.ok(Math.abs(video.durationS - 2) < 0.1, `assembled duration ${video.durationS} s`);
    } finally {
      await server.stop();
    }
  });

  it('serve --record records the served display until the server stops', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240', '--record', out.path]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(await server.stop(), 0);
    assert.match(server.output.stderr, /session opened session=#1 client=recorder/);
    assert.match(server.output.stderr, /recording finished path=\S+display\.mp4 frames=\d+/);
    const video = await probe(join(out.path, 'display.mp4'));
    assert.equal(video.codec, 'h264');
    assert.deepEqual([video.width, video.height], [320, 240]);
    assert.ok(video.durationS > 1.5, `duration ${video.durationS} s`);
  });
});
