/**
 * A SPICE source that cannot see its display says so: GetDisplayInfo reports it DOWN with the
 * reason, the health service takes the capture service out (NOT_SERVING), and grab refuses the
 * stale picture unless asked for it; all of it comes back when the server does.
 */
import assert from 'node:assert/strict';
import { CaptureClient } from '../../../src/clients';
import { CaptureServer } from '../../../src/server';
import { MetricsEndpoint } from '../../../src/metrics/metrics-endpoint';
import { watchCaptureServer } from '../../../src/metrics/capture-server-metrics';
import { watchSource } from '../../../src/metrics/source-metrics';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { quietLogger } from '../../support/fixture';
import { healthOf } from '../../support/health';
import { runCli } from '../../support/cli-process';
import { freePort, waitFor } from '../../support/spice/processes';
import { Xspice } from '../../support/spice/xspice';

describe('SPICE source down: reported, not served as if fresh', function () {
  this.timeout(120_000);
  let server: CaptureServer | undefined;
  let client: CaptureClient | undefined;
  let xspice: Xspice | undefined;
  after(async () => {
    client?.close();
    await server?.stop(500);
    await xspice?.stop();
  });

  it('is DOWN with the reason while the SPICE server is away, LIVE once it is there, DOWN again after it dies', async () => {
    const port = await freePort();
    const source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port,
      reconnect: { initialDelayMs: 100, maxDelayMs: 300 },
      logger: quietLogger,
    });
    server = await CaptureServer.start({ source, listen: '127.0.0.1:0', logger: quietLogger });
    client = new CaptureClient({ address: server.address });
    const registry = MetricsEndpoint.newRegistry();
    watchCaptureServer(registry, server);
    watchSource(registry, source);
    const metric = async (name: string) =>
      (await registry.getSingleMetricAsString(name))
        .split('\n')
        .filter((line) => !line.startsWith('#'))
        .join('\n');

    // Nobody listens on the port yet. Between attempts the detail says when the next one is;
    // during one, that it is connecting and why the last failed: both name the refusal.
    const down = await waitFor(
      async () => {
        const info = await client!.displayInfo();
        return !info.sourceLive && /reconnecting in \d+\.\d s/.test(info.sourceDetail) ? info : undefined;
      },
      20_000,
      'the source reported down, waiting to reconnect',
    );
    assert.match(down.sourceDetail, /refused/i);
    assert.equal(await healthOf(server.address, 'screencapture.v1.ScreenCapture'), 'NOT_SERVING');
    assert.equal(await healthOf(server.address, ''), 'SERVING', 'the process itself is up');
    assert.equal(await metric('screencap_source_up'), 'screencap_source_up 0');
    const refused = await runCli(['grab', '--server', server.address, '-o', '/dev/null', '--format', 'png']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `display source spice://127\\.0\\.0\\.1:${port} is down \\(.*ECONNREFUSED.*\\): its latest picture may be stale; --allow-stale takes it anyway`,
      ),
    );

    // The VM (here Xspice) comes up on that port: the source connects and is live.
    xspice = await Xspice.start({ port });
    await waitFor(async () => ((await client!.displayInfo()).sourceLive ? true : undefined), 30_000, 'the source live');
    await waitFor(async () => ((await client!.displayInfo()).latestFrameNumber > 0 ? true : undefined), 30_000, 'a first frame');
    assert.equal((await client.displayInfo()).sourceDetail, '');
    assert.equal(await healthOf(server.address, 'screencapture.v1.ScreenCapture'), 'SERVING');
    assert.equal(await metric('screencap_source_up'), 'screencap_source_up 1');
    assert.match(await metric('screencap_source_connection_state'), /state="connected"} 1/);
    const received = Number(/ (\d+)$/.exec(await metric('screencap_source_received_bytes_total'))![1]);
    assert.ok(received > 10_000, `${received} bytes from Xspice: its first (compressed) picture and more`);
    const live = await runCli(['grab', '--server', server.address, '-o', '/dev/null', '--format', 'png']);
    assert.equal(live.code, 0, live.stderr);

    // It dies: down again, and the last picture is there for whoever asks for it knowingly.
    await xspice.stop({ signal: 'SIGKILL' });
    xspice = undefined;
    await waitFor(async () => (!(await client!.displayInfo()).sourceLive ? true : undefined), 30_000, 'the source down again');
    assert.equal(await healthOf(server.address, 'screencapture.v1.ScreenCapture'), 'NOT_SERVING');
    assert.equal((await runCli(['grab', '--server', server.address, '-o', '/dev/null', '--format', 'png'])).code, 1);
    const stale = await runCli(['grab', '--server', server.address, '-o', '/dev/null', '--format', 'png', '--allow-stale']);
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stdout, /PNG 1024x768/);
  });
});
