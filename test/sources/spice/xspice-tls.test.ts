import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpiceUri, SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { makeCertificates } from '../../support/spice/certificates';
import { run, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Xspice } from '../../support/spice/xspice';

describe('SPICE source over TLS (spice+tls://) against Xspice', function () {
  this.timeout(120000);
  let server: Xspice | undefined;
  let source: SpiceDisplaySource | undefined;
  let ca: Buffer;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-tls-'));

  before(async () => {
    ({ ca } = await makeCertificates(dir));
    server = await Xspice.start({ tlsDir: dir });
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects to the TLS port, verifying the server with the CA, and shows the display', async () => {
    const address = parseSpiceUri(`spice+tls://127.0.0.1:${server!.tlsPort}`);
    assert.equal(address.tls, true);
    source = new SpiceDisplaySource({
      host: address.host,
      port: address.port,
      tls: { ca },
      logger: createLogger('t', { level: 'silent' }),
    });
    assert.match(source.description, /^spice\+tls:\/\//);
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20000, 'the primary surface');
    await run('xsetroot', ['-solid', '#123456'], { env: server!.env });
    await waitFor(
      () => {
        const p = source!.surface()!.pixels;
        return p[0] === 0x56 && p[1] === 0x34 && p[2] === 0x12 ? true : undefined;
      },
      20000,
      'the new root colour over TLS',
    );
  });

  it('refuses a server whose certificate the CA does not vouch for, saying why', async () => {
    source = new SpiceDisplaySource({
      host: '127.0.0.1',
      port: server!.tlsPort!,
      tls: {},
      logger: createLogger('t', { level: 'silent' }),
      reconnect: { initialDelayMs: 100, maxDelayMs: 200 },
    });
    await source.start(new RecordingSink());
    await waitFor(() => source!.lastError, 20000, 'the failure');
    assert.match(source.lastError!.message, /self.signed|unable to (get|verify)/i);
    assert.equal(source.surface(), undefined);
  });
});
