import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settleApiAgainstXwd, SpiceCaptureStack } from '../../support/spice/capture-stack';
import { makeCertificates } from '../../support/spice/certificates';
import { describeDifferences } from '../../support/spice/compare';
import { waitFor } from '../../support/spice/processes';
import { setRoot } from '../../support/spice/scene';
import { Spicy } from '../../support/spice/spicy';
import { Xspice } from '../../support/spice/xspice';

describe('SPICE share port in front of a spice+tls server', function () {
  this.timeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'screencap-share-tls-'));
  let server: Xspice | undefined;
  let stack: SpiceCaptureStack | undefined;
  let spicy: Spicy | undefined;

  after(async () => {
    await spicy?.stop();
    await stack?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves TLS with the operator's certificate; a viewer linking with TLS gets the session and screencap follows its picture", async () => {
    const { ca } = await makeCertificates(dir);
    server = await Xspice.start({ tlsDir: dir, password: 'tls ticket' });
    // The operator's certificate for the share port: here the same test CA's server certificate.
    const tls = { cert: readFileSync(join(dir, 'server-cert.pem')), key: readFileSync(join(dir, 'server-key.pem')) };
    stack = await SpiceCaptureStack.start({
      port: server.tlsPort!,
      password: 'tls ticket',
      tls: { ca },
      share: { host: '127.0.0.1', port: 0, tls },
    });
    await waitFor(() => stack!.source.surface(), 20000, 'the first picture');
    const session = await stack.openSession('share-tls', 1024, 768);
    spicy = await Spicy.start(stack.source.sharePort!, 'tls ticket', { tlsCa: join(dir, 'ca-cert.pem') });
    await waitFor(() => (stack!.source.state === 'shared' ? true : undefined), 20000, 'the viewer to hold the session');
    await setRoot(server.env, dir, '#5080a0');
    const { frame, diff, root } = await settleApiAgainstXwd(session, server.env);
    assert.equal(diff, 0, `${diff} pixels differ from xwd -root: ${describeDifferences(frame, root.rgba, root.width, root.height)}`);
    assert.equal(stack.source.state, 'shared');
    assert.ok(spicy.running);
    await session.close();
  });
});
