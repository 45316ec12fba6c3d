/** `screencap serve --record DIR` takes the record command's settings as --record-*: checked first, then applied. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe } from '../support/recorder';
import { runCli, ServeProcess } from '../support/cli-process';

/** The option names a command's --help lists. */
async function helpOptions(command: string): Promise<string[]> {
  const help = await runCli([command, '--help']);
  assert.equal(help.code, 0, help.stderr);
  return [...help.stdout.matchAll(/^ {2}--([\w-]+)/gm)].map((match) => match[1]);
}

/** Resolves once the server's stderr matches `pattern`; rejects if it exits first. */
function waitForOutput(server: ServeProcess, pattern: RegExp): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (pattern.test(server.output.stderr)) {
        clearInterval(timer);
        resolve();
      } else if (server.child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`serve exited: ${server.output.stderr}`));
      }
    }, 100);
  });
}

describe('screencap serve --record options', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'screencap-serve-record-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('offers every recording setting of `record`, prefixed with record-', async () => {
    const record = await helpOptions('record');
    const serve = await helpOptions('serve');
    const settings = ['duration', 'size', 'format', 'bitrate', 'rate-control', 'keyframe-interval', 'fragment', 'usage', 'threads'];
    for (const name of settings) {
      assert.ok(record.includes(name), `record --help lacks --${name}`);
      assert.ok(serve.includes(`record-${name}`), `serve --help lacks --record-${name}`);
    }
  });

  it('refuses bad values with exit code 2, naming the option, before serving', async () => {
    const out = join(dir, 'captures');
    const cases: [string[], RegExp][] = [
      [['--record', out, '--record-size', '321x240'], /--record-size: both sides must be even/],
      [['--record', out, '--record-size', 'big'], /--record-size: expected WIDTHxHEIGHT/],
      [['--record', out, '--record-format', 'gif'], /--record-format: must be mp4 or png/],
      [['--record', out, '--record-bitrate', 'fast'], /--record-bitrate: expected bits per second/],
      [['--record', out, '--record-keyframe-interval', '0'], /--record-keyframe-interval: expected a positive duration/],
      [['--record', out, '--record-keyframe-interval', '2m'], /--record-keyframe-interval: must be from 1ms to 60s/],
      [['--record', out, '--record-fragment', '0.5ms'], /--record-fragment: must be from 1ms to 60s/],
      [['--record', out, '--record-size', '4096x4096'], /--record-size: at most 9437184 pixels for H\.264/],
      [['--record', out, '--record-rate-control', 'cbr'], /--record-rate-control: must be bitrate or quality/],
      [['--record', out, '--record-usage', 'film'], /--record-usage: must be screen or camera/],
      [['--record', out, '--record-threads', '5'], /--record-threads: must be a whole number from 1 to 4, got "5"/],
      [['--record', out, '--record-duration', '0s'], /--record-duration: expected a positive duration/],
      [['--record-size', '640x360'], /--record-size: only applies with --record DIR/],
      [['--record', '/dev/null/captures'], /--record: cannot write to \/dev\/null\/captures: ENOTDIR/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['serve', '--listen', '127.0.0.1:0', '--size', '320x240', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stdout, /serving/, `${args.join(' ')} started the server`);
      assert.equal(existsSync(out), false, `${args.join(' ')} created the recording directory`);
    }
  });

  it('says its encoder defaults in --help, and records at them with no encoder option: 0.1 bit a pixel a frame', async () => {
    const help = await runCli(['record', '--help'], { COLUMNS: '400' });
    assert.match(help.stdout, /--usage screen\|camera .*\(default camera\)/);
    assert.match(
      help.stdout,
      /--bitrate BPS .*\(default 0\.1 bit a pixel a frame at the recorded size and rate: 12\.4M at 1920x1080 and 60 fps/,
    );
    const out = join(dir, 'captures');
    // The built-in desktop at 320x240 and 30 Hz: 0.1 x 320 x 240 x 30 = 230.4 kbit/s.
    const server = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--size',
      '320x240',
      '--vsync',
      '30',
      '--record',
      out,
      '--record-duration',
      '1s',
    ]);
    try {
      await waitForOutput(server, /recording finished/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.match(server.output.stderr, /recording finished .*bitrateBps=230000/);
  });

  it('records with the given size, bitrate and duration while the server keeps serving', async () => {
    const out = join(dir, 'captures');
    const server = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--size',
      '320x240',
      '--record',
      join(out, 'display.mp4'),
      '--record-size',
      '160x120',
      '--record-bitrate',
      '400k',
      '--record-duration',
      '1500ms',
      '--record-keyframe-interval',
      '500ms',
    ]);
    try {
      // The recording ends on its own; the server is still up afterwards.
      await waitForOutput(server, /recording finished/);
      const grab = await runCli(['grab', '--server', server.address, '--out', join(dir, 'frame.png')]);
      assert.equal(grab.code, 0, grab.stderr);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const video = await probe(join(out, 'display.mp4'));
    assert.equal(video.codec, 'h264');
    assert.deepEqual([video.width, video.height], [160, 120]);
    assert.ok(Math.abs(video.durationS - 1.5) < 0.1, `duration ${video.durationS} s`);
    // A keyframe starts every 500 ms fragment: about three in 1.5 s, where the default 1 s gives two.
    assert.ok(video.keyframes >= 3, `${video.keyframes} keyframes`);
  });
});
