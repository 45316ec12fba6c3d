/** view says when its capture server is away and when it is back: one line each, not per retry. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI, ServeProcess } from '../support/cli-process';
import { freePort, waitFor } from '../support/spice/processes';

describe('screencap view: the capture server watched', function () {
  this.timeout(90_000);

  it('warns once while no server answers, says when it does, and when it goes again', async () => {
    const port = await freePort();
    const view = spawn(process.execPath, [CLI, 'view', '--server', `127.0.0.1:${port}`, '--listen', '127.0.0.1:0']);
    let stderr = '';
    view.stderr.on('data', (d) => (stderr += d));
    let server: ServeProcess | undefined;
    try {
      await waitFor(() => /capture server unreachable/.test(stderr) || undefined, 30_000, 'the unreachable warning');
      assert.match(
        stderr,
        new RegExp(
          `WARN .*capture server unreachable; retrying server=127\\.0\\.0\\.1:${port} reason="no screencap server answers at 127\\.0\\.0\\.1:${port} \\(connection refused\\)`,
        ),
      );
      // Two more retries (2 s apart) say nothing new.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      assert.equal(stderr.match(/unreachable/g)?.length, 1, stderr);

      server = await ServeProcess.start(['--listen', `127.0.0.1:${port}`, '--size', '320x240']);
      await waitFor(() => /capture server reachable again/.test(stderr) || undefined, 30_000, 'the reachable line');
      await server.stop();
      server = undefined;
      await waitFor(
        () => (stderr.match(/capture server unreachable/g)?.length ?? 0) === 2 || undefined,
        30_000,
        'the second unreachable warning',
      );
    } finally {
      await server?.stop();
      view.kill('SIGINT');
      await once(view, 'close');
    }
  });
});
