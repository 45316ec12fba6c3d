/** A recording of the built-in desktop plays to its end in ffplay (SDL's dummy drivers: no display needed). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Recorder } from '../../../src/clients';
import { DesktopServer, probe, temporaryDirectory } from '../../support/recorder';

/** Plays `path` in real time to its end; returns ffplay's log, each line prefixed with its level. */
function ffplay(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffplay',
      ['-autoexit', '-loglevel', 'level+info', path],
      { env: { ...process.env, SDL_VIDEODRIVER: 'dummy', SDL_AUDIODRIVER: 'dummy' }, timeout: 30_000 },
      (error, _stdout, stderr) => (error ? reject(error) : resolve(stderr)),
    );
  });
}

describe('A recording in ffplay', function () {
  this.timeout(60_000);

  it('plays to its end without a decoding error', async () => {
    const desktop = await DesktopServer.start(320, 240);
    const out = await temporaryDirectory();
    try {
      const summary = await new Recorder(desktop.client, { outDir: out.path }).run({ durationMs: 2000 });
      const video = await probe(summary.path);
      const log = (await ffplay(summary.path)).split(/[\r\n]+/);
      assert.deepEqual(
        log.filter((line) => /\[(error|fatal|panic)\]/.test(line)),
        [],
      );
      assert.ok(
        log.some((line) => line.includes(`Video: h264`) && line.includes('320x240')),
        log.join('\n'),
      );
      // The status line's first figure is ffplay's playback clock: it reached the file's end.
      const clocks = log
        .map((line) => /^\[info\] +(\d+\.\d+) M-V:/.exec(line)?.[1])
        .filter((clock) => clock !== undefined)
        .map(Number);
      assert.ok(clocks.length > 0, log.join('\n'));
      assert.ok(
        Math.abs(clocks[clocks.length - 1] - video.durationS) <= 0.1,
        `played to ${clocks[clocks.length - 1]} s of ${video.durationS} s`,
      );
    } finally {
      await desktop.stop();
      await out.remove();
    }
  });
});
