/**
 * A user's viewer and screencap on the same VM: a SPICE server takes one client at a time, and
 * drops the one it has when another links. A viewer connected straight to the VM (spicy) keeps
 * its session while screencap runs, screencap says it is displaced and serves the last picture,
 * and takes the session back only as --spice-reclaim says.
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { CaptureClient } from '../../../src/clients';
import { takeScreenshot } from '../../../src/clients/screenshot/take-screenshot';
import { ServeProcess } from '../../support/cli-process';
import { healthOf } from '../../support/health';
import { delay, run, waitFor } from '../../support/spice/processes';
import { countConnections, Spicy } from '../../support/spice/spicy';
import { Xspice } from '../../support/spice/xspice';
import { grabRoot } from '../../support/spice/xwd';

const CAPTURE_SERVICE = 'screencapture.v1.ScreenCapture';

/** The picture screencap serves now (stale or not), as packed RGBA. */
async function servedPicture(client: CaptureClient): Promise<Buffer> {
  const shot = await takeScreenshot(client, { allowStale: true });
  return sharp(shot.image).ensureAlpha().raw().toBuffer();
}

/** Waits until screencap serves exactly what the X server shows now (lossless settings). */
async function waitForServedRoot(client: CaptureClient, env: NodeJS.ProcessEnv, what: string): Promise<Buffer> {
  const root = await grabRoot(env);
  await waitFor(async () => ((await servedPicture(client)).equals(root.rgba) ? true : undefined), 30_000, what, 300);
  return root.rgba;
}

/** The serve process's Prometheus samples of `name` (it was started with --metrics). */
async function metric(serve: ServeProcess, name: string): Promise<string> {
  const url = /screencap metrics: (\S+)/.exec(serve.output.stdout)![1];
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

function warningsIn(stderr: string): string[] {
  return stderr.split('\n').filter((line) => / WARN /.test(line));
}

describe("A user's SPICE viewer on the same VM (no share port)", function () {
  this.timeout(180_000);
  let xspice: Xspice | undefined;
  let serve: ServeProcess | undefined;
  let viewer: Spicy | undefined;
  let client: CaptureClient | undefined;
  afterEach(async () => {
    client?.close();
    await viewer?.stop();
    await serve?.stop();
    await xspice?.stop();
    [client, viewer, serve, xspice] = [undefined, undefined, undefined, undefined];
  });

  async function startCapture(args: string[]): Promise<{ xspice: Xspice; serve: ServeProcess; client: CaptureClient }> {
    xspice = await Xspice.start({ compression: 'auto_glz' });
    await run('xsetroot', ['-solid', '#2060a0'], { env: xspice.env });
    serve = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `spice://127.0.0.1:${xspice.port}`, ...args]);
    client = new CaptureClient({ address: serve.address });
    await waitFor(async () => ((await client!.displayInfo()).sourceLive ? true : undefined), 30_000, 'screencap live');
    return { xspice, serve, client };
  }

  it('by default leaves the viewer connected for a minute, reports DISPLACED with the last picture, and takes the session back on SIGHUP', async () => {
    const { xspice, serve, client } = await startCapture(['--metrics', '127.0.0.1:0']);
    const before = await waitForServedRoot(client, xspice.env, 'the first picture');
    const serverPid = serve.child.pid!;
    assert.ok((await countConnections(xspice.port, serverPid)) >= 3, 'screencap holds main, display and cursor');

    viewer = await Spicy.start(xspice.port);
    const displaced = await waitFor(
      async () => {
        const info = await client.displayInfo();
        return info.sourceDisplaced ? info : undefined;
      },
      30_000,
      'screencap displaced',
    );
    assert.equal(displaced.sourceLive, false);
    assert.match(
      displaced.sourceDetail,
      new RegExp(
        `another SPICE client took the session of spice://127\\.0\\.0\\.1:${xspice.port}; serving the last picture, not taking it back until told to`,
      ),
    );
    assert.equal(await healthOf(serve.address, CAPTURE_SERVICE), 'NOT_SERVING');
    assert.equal(await healthOf(serve.address, ''), 'SERVING', 'the process itself is up');
    assert.match(await metric(serve, 'screencap_source_connection_state'), /state="displaced"} 1/);
    assert.equal(await metric(serve, 'screencap_source_up'), 'screencap_source_up 0');
    await waitFor(async () => ((await viewer!.connections()) >= 3 ? true : undefined), 30_000, 'spicy linked');
    await delay(2_000); // every channel spicy opens (main, display, cursor, inputs) is linked by now
    const viewerChannels = await viewer.connections();

    // The VM's screen changes while the viewer has it: screencap keeps the picture it had.
    await run('xsetroot', ['-solid', '#c04010'], { env: xspice.env });
    const after = (await grabRoot(xspice.env)).rgba;
    assert.ok(!after.equals(before), 'the screen changed');
    const frameNumber = (await client.displayInfo()).latestFrameNumber;

    // A minute: the viewer keeps every channel, screencap opens none.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      assert.ok(viewer.running, 'spicy is still running');
      assert.equal(await viewer.connections(), viewerChannels, 'spicy keeps its channels');
      assert.equal(await countConnections(xspice.port, serverPid), 0, 'screencap does not link');
      await delay(2_000);
    }
    const info = await client.displayInfo();
    assert.equal(info.sourceDisplaced, true);
    assert.equal(info.latestFrameNumber, frameNumber, 'no new frame while displaced');
    assert.ok((await servedPicture(client)).equals(before), 'the last picture is served, not a blank or partial one');
    const warnings = warningsIn(serve.output.stderr);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0],
      /another SPICE client took the session of spice:\/\/127\.0\.0\.1:\d+; screencap keeps serving the last picture; use --spice-share .* --spice-reclaim/,
    );

    // The user is done; the operator takes the VM back.
    await viewer.stop();
    viewer = undefined;
    serve.child.kill('SIGHUP');
    await waitFor(async () => ((await client.displayInfo()).sourceLive ? true : undefined), 30_000, 'screencap live again');
    assert.equal(await healthOf(serve.address, CAPTURE_SERVICE), 'SERVING');
    assert.ok((await waitForServedRoot(client, xspice.env, 'the current picture')).equals(after));
  });

  it('with --spice-reclaim always takes the session back at once: the viewer is thrown off', async () => {
    const { xspice, serve, client } = await startCapture(['--spice-reclaim', 'always']);
    viewer = await Spicy.start(xspice.port);
    await waitFor(() => (viewer!.linked ? true : undefined), 30_000, 'spicy linked');
    await waitFor(async () => (!viewer!.running || (await viewer!.connections()) === 0 ? true : undefined), 30_000, 'spicy thrown off');
    await waitFor(
      async () => ((await countConnections(xspice.port, serve.child.pid!)) >= 3 ? true : undefined),
      30_000,
      'screencap linked again',
    );
    await waitFor(async () => ((await client.displayInfo()).sourceLive ? true : undefined), 30_000, 'screencap live again');
    assert.match(serve.output.stderr, /SPICE connection ended; reconnecting/);
    assert.doesNotMatch(serve.output.stderr, /another SPICE client took/, '`always` does not stop to ask why');
  });

  it('with --spice-reclaim after=3s reports DISPLACED, then takes the session back', async () => {
    const { xspice, serve, client } = await startCapture(['--spice-reclaim', 'after=3s']);
    viewer = await Spicy.start(xspice.port);
    const displaced = await waitFor(
      async () => {
        const info = await client.displayInfo();
        return info.sourceDisplaced ? info : undefined;
      },
      30_000,
      'screencap displaced',
    );
    assert.match(displaced.sourceDetail, /serving the last picture, taking it back in 3\.0 s$/);
    await waitFor(() => (viewer!.linked ? true : undefined), 10_000, 'spicy saying its main channel is open');
    await waitFor(async () => ((await client.displayInfo()).sourceLive ? true : undefined), 30_000, 'screencap live again');
    await waitFor(async () => (!viewer!.running || (await viewer!.connections()) === 0 ? true : undefined), 30_000, 'spicy thrown off');
    assert.ok((await countConnections(xspice.port, serve.child.pid!)) >= 3, 'screencap holds the session');
  });
});
