/** `screencap serve` without --record loads nothing of the recorder, the encoder or the muxer. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { temporaryDirectory } from '../../support/recorder';

async function loadedModules(args: string[]): Promise<string[]> {
  const child = spawn(process.execPath, [
    join(__dirname, 'loaded-modules-child.js'),
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--size',
    '320x240',
    ...args,
  ]);
  let stdout = '';
  child.stdout.on('data', (data) => {
    stdout += data;
    if (/ on \S+\n/.test(stdout) && child.exitCode === null && !child.killed) setTimeout(() => child.kill('SIGINT'), 500);
  });
  const [code] = await once(child, 'close');
  assert.equal(code, 0, stdout);
  const match = /^LOADED (.*)$/m.exec(stdout);
  assert.ok(match, stdout);
  return JSON.parse(match[1]) as string[];
}

describe('screencap serve and the recorder', function () {
  this.timeout(30_000);

  it('loads no recorder, MP4 or H.264 module without --record', async () => {
    assert.deepEqual(await loadedModules([]), []);
  });

  it('loads them with --record', async () => {
    const out = await temporaryDirectory();
    try {
      const loaded = await loadedModules(['--record', out.path]);
      assert.ok(
        loaded.some((path) => path.includes('recorder.js')),
        loaded.join('\n'),
      );
      assert.ok(
        loaded.some((path) => path.includes('h264-encoder.js')),
        loaded.join('\n'),
      );
    } finally {
      await out.remove();
    }
  });
});
