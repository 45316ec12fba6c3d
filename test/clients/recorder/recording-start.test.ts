/**
 * A recording that cannot start says why, on the terminal and in the exit status: here a display
 * too small for H.264 (openh264 refuses sides below 16), from `screencap record` and from
 * `screencap serve --record`, whose recorder used to fail with one log line while serve went on.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli, ServeProcess } from '../../support/cli-process';
import { temporaryDirectory } from '../../support/recorder';

const run = promisify(execFile);

describe('A recording that cannot start', function () {
  this.timeout(60_000);
  let out: Awaited<ReturnType<typeof temporaryDirectory>>;
  let tiny: string;

  beforeEach(async () => {
    out = await temporaryDirectory();
    tiny = join(out.path, 'tiny.png');
    await run('convert', ['-size', '8x8', 'xc:red', tiny]);
  });
  afterEach(async () => out.remove());

  it('screencap record exits 1 naming the reason', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `image:${tiny}`]);
    try {
      const result = await runCli([
        'record',
        '--server',
        server.address,
        '--out',
        join(out.path, 'rec', 'display.mp4'),
        '--duration',
        '2s',
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /screencap record: the display is 8x8, too small to record as H\.264 \(at least 16x16\)/);
      assert.equal(existsSync(join(out.path, 'rec', 'display.mp4')), false);
    } finally {
      await server.stop();
    }
  });

  it('screencap serve --record stops with exit status 1 and the reason on stderr', async () => {
    const server = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--source',
      `image:${tiny}`,
      '--record',
      join(out.path, 'rec', 'display.mp4'),
    ]);
    const code = server.child.exitCode ?? ((await once(server.child, 'close')) as [number | null])[0];
    assert.equal(code, 1, server.output.stderr);
    assert.match(
      server.output.stderr,
      /screencap serve: --record \S+: recording failed: the display is 8x8, too small to record as H\.264/,
    );
  });
});
