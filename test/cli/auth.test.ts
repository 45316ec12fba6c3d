/** A server with a token: probes and reflection answer without it; refusals are logged, rate-limited. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { callUnary } from '../../src/clients/unary-call';
import { ScreenCaptureClient } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { ServeProcess } from '../support/cli-process';

const run = promisify(execFile);
const TOKEN = 'test-token-0123456789abcdef';
const BUF = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');

describe('serve --token: what needs the token, and what the log says', function () {
  this.timeout(60_000);
  let server: ServeProcess;
  before(async () => {
    server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240', '--token', TOKEN]);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  const curl = (path: string, headers: string[] = []) =>
    run(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--reflect', ...headers, `http://${server.address}${path}`], {
      encoding: 'utf8',
    });

  it('answers health probes and reflection without the token, and nothing else', async () => {
    // No token at all: the health check and the reflection it needs both answer.
    const health = await curl('/grpc.health.v1.Health/Check');
    assert.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
    // Reflection answers too, so the call itself is what is refused: UNAUTHENTICATED.
    const refused = await curl('/screencapture.v1.ScreenCapture/GetDisplayInfo').then(
      () => assert.fail('GetDisplayInfo answered without the token'),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(refused, /unauthenticated/i);
    // With the token as a plain header (no --reflect-header needed), the call is served.
    const info = await curl('/screencapture.v1.ScreenCapture/GetDisplayInfo', ['-H', `authorization: Bearer ${TOKEN}`]);
    assert.deepEqual(JSON.parse(info.stdout).displaySize, { width: 320, height: 240 });
  });

  it('logs refused calls at WARN with the peer, once per peer however many come', async () => {
    // A server of its own: the refusals above would count against this peer's interval.
    const fresh = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240', '--token', TOKEN]);
    const client = new ScreenCaptureClient(fresh.address, credentials.createInsecure());
    try {
      for (let i = 0; i < 20; i++) {
        await callUnary(client, client.openSession, { clientName: 'no-token' }, undefined).then(
          () => assert.fail('a session opened without the token'),
          (error: Error) => assert.match(error.message, /UNAUTHENTICATED/),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = fresh.output.stderr.split('\n').filter((line) => line.includes('call refused'));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(
        lines[0],
        /WARN .*call refused: bad or missing bearer token peer=127\.0\.0\.1:\d+ method=\/screencapture\.v1\.ScreenCapture\/OpenSession reason="no token"/,
      );
    } finally {
      client.close();
      assert.equal(await fresh.stop(), 0);
    }
  });
});
