/**
 * The frame rate players and tools see: a sane rate for the default variable-rate file, and with
 * `fps` a constant-rate file that ffmpeg decodes without a warning and ffprobe reports at N fps.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CaptureClient, Recorder } from '../../../src/clients';
import { CaptureServer } from '../../../src/server';
import { SyntheticDesktop } from '../../../src/sources';
import { Fixture, quietLogger, settle } from '../../support/fixture';
import { solidImage } from '../../support/images';
import { runCli } from '../../support/cli-process';
import { decodeI420, probe, psnr, rgbaToI420, temporaryDirectory } from '../../support/recorder';

const run = promisify(execFile);

/** ffprobe's view of the stream's rate, and the packets' raw durations in ticks. */
async function probeRate(path: string): Promise<{ rFrameRate: string; avgFrameRate: string; timeBase: string; ptsTicks: number[] }> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_packets', '-select_streams', 'v:0', path],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const json = JSON.parse(stdout) as {
    streams: { r_frame_rate: string; avg_frame_rate: string; time_base: string }[];
    packets: { pts: number }[];
  };
  return {
    rFrameRate: json.streams[0].r_frame_rate,
    avgFrameRate: json.streams[0].avg_frame_rate,
    timeBase: json.streams[0].time_base,
    ptsTicks: json.packets.map((packet) => packet.pts),
  };
}

/** What `ffmpeg -i FILE -f null -` says at warning level and above: empty for a clean file. */
async function ffmpegWarnings(path: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostats', '-v', 'warning', '-i', path, '-f', 'null', '-']);
  return stderr.trim();
}

describe('Recording frame rate', function () {
  this.timeout(60_000);

  it("gives the variable-rate file of a busy screen the server's vsync rate, which ffmpeg decodes without a warning", async () => {
    // A busy desktop: every frame a whole-screen change, more than the encoder takes on a
    // shared machine, so frames are skipped and the gaps vary.
    const desktop = new SyntheticDesktop({ width: 640, height: 360, busy: true });
    const server = await CaptureServer.start({ source: desktop, listen: '127.0.0.1:0', vsync: 60, logger: quietLogger });
    const client = new CaptureClient({ address: server.address });
    const out = await temporaryDirectory();
    try {
      const summary = await new Recorder(client, { outDir: out.path }).run({ durationMs: 3000 });
      assert.ok(summary.framesWritten > 30, `${summary.framesWritten} frames`);
      const rate = await probeRate(summary.path);
      assert.equal(rate.rFrameRate, '60/1');
      // Every sample on the 60 Hz grid (1500 ticks of 90 kHz).
      rate.ptsTicks.forEach((pts) => assert.equal(pts % 1500, 0, `pts ${pts} off the 60 Hz grid`));
      assert.equal(await ffmpegWarnings(summary.path), '');
    } finally {
      client.close();
      await server.stop(500);
      await out.remove();
    }
  });

  it('with fps writes a constant-rate file: a sample every period, the picture repeated while still', async () => {
    const fixture = await Fixture.start({ image: solidImage(64, 48, [255, 0, 0]) });
    await fixture.newFrame(solidImage(64, 48, [255, 0, 0]));
    const client = new CaptureClient({ address: fixture.server.address });
    const out = await temporaryDirectory();
    try {
      const changedAtUs: number[] = [];
      const recorder = new Recorder(client, { outDir: out.path, fps: 30, onFrame: ({ timestampUs }) => changedAtUs.push(timestampUs) });
      const running = recorder.run({ durationMs: 2000 });
      await settle(700);
      await fixture.newFrame(solidImage(64, 48, [0, 255, 0]));
      const summary = await running;

      const rate = await probeRate(summary.path);
      // 2 s at 30 fps: 60 slots, each on the grid (3000 ticks of 90 kHz), none missing.
      assert.equal(rate.timeBase, '1/90000');
      assert.deepEqual(
        rate.ptsTicks,
        Array.from({ length: 60 }, (_, slot) => slot * 3000),
      );
      assert.equal(rate.rFrameRate, '30/1');
      assert.equal(rate.avgFrameRate, '30/1');
      assert.equal(summary.framesWritten + summary.framesAgain, 60);
      const video = await probe(summary.path);
      assert.ok(Math.abs(video.durationS - 2) < 1e-3, `duration ${video.durationS} s`);
      assert.equal(await ffmpegWarnings(summary.path), '');

      // The red screen until the change, then green, every slot showing the latest picture.
      assert.equal(
        changedAtUs.length,
        2,
        `changes at ${changedAtUs.join(', ')} us; ${summary.framesDelivered} delivered, ${summary.framesSkipped} skipped`,
      );
      const changeSlot = Math.round(changedAtUs[1] / (1e6 / 30));
      assert.ok(changeSlot > 15 && changeSlot < 45, `change at slot ${changeSlot}`);
      const frames = await decodeI420(summary.path, 64, 48);
      assert.equal(frames.length, 60);
      const red = await rgbaToI420(solidImage(64, 48, [255, 0, 0]).pixels, 64, 48);
      const green = await rgbaToI420(solidImage(64, 48, [0, 255, 0]).pixels, 64, 48);
      frames.forEach((frame, slot) => {
        const expected = slot < changeSlot ? red : green;
        assert.ok(psnr(frame, expected) > 40, `slot ${slot}: ${psnr(frame, expected).toFixed(1)} dB`);
      });
    } finally {
      client.close();
      await fixture.stop();
      await out.remove();
    }
  });

  it('refuses a bad --fps before anything starts, naming the option', async () => {
    for (const [args, message] of [
      [['--fps', '0'], /--fps: must be a whole number from 1 to 240, got "0"/],
      [['--fps', '29.97'], /--fps: must be a whole number from 1 to 240/],
      [['--fps', '30', '--format', 'png'], /--fps: applies to MP4 only/],
    ] as const) {
      const result = await runCli(['record', '--server', '127.0.0.1:9', '--out', '/tmp/screencap-unused', ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
    const help = await runCli(['record', '--help']);
    assert.match(help.stdout, /--fps N/);
  });
});
