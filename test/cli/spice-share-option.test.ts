/** `screencap serve --spice-share`: what bad input says, the help, and the share port of a real serve. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../support/spice/processes';
import { Spicy } from '../support/spice/spicy';
import { Xspice } from '../support/spice/xspice';
import { runCli, ServeProcess } from '../support/cli-process';

describe('screencap serve --spice-share', function () {
  this.timeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-share-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses bad input naming the option and the reason, and --help describes it', async () => {
    const pem = join(dir, 'cert.pem');
    writeFileSync(pem, 'not used\n');
    const cases: [string[], RegExp][] = [
      [['--spice-share', '127.0.0.1:5931'], /--spice-share: only applies to a spice:\/\/ or spice\+tls:\/\/ --source/],
      [
        ['--source', 'spice://127.0.0.1:5930', '--spice-share', 'nonsense'],
        /--spice-share: expected HOST:PORT \(for example 127\.0\.0\.1:50051\), got "nonsense"/,
      ],
      [
        ['--source', 'spice+tls://127.0.0.1:5930', '--spice-share', '127.0.0.1:5931'],
        /--spice-share: a spice\+tls source needs --spice-share-cert and --spice-share-key/,
      ],
      [
        ['--source', 'spice://127.0.0.1:5930', '--spice-share', '127.0.0.1:5931', '--spice-share-cert', pem],
        /--spice-share-cert and --spice-share-key go together/,
      ],
      [
        ['--source', 'spice://127.0.0.1:5930', '--spice-share-cert', pem, '--spice-share-key', pem],
        /--spice-share-cert: only applies with --spice-share HOST:PORT/,
      ],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(['serve', '--listen', '127.0.0.1:0', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected);
    }
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--spice-share HOST:PORT +SPICE: a share port: point your own\s/);
    assert.match(help.stdout, /--spice-share-cert FILE +SPICE: PEM certificate the share\s/);
  });

  it("serves the share port: a viewer linking there gets the VM's session, and screencap says so", async () => {
    const xspice = await Xspice.start({ password: 'ticket' });
    const passwordFile = join(dir, 'ticket');
    writeFileSync(passwordFile, 'ticket\n');
    const sharePort = await freePort();
    let serve: ServeProcess | undefined;
    let spicy: Spicy | undefined;
    try {
      serve = await ServeProcess.start([
        '--listen',
        '127.0.0.1:0',
        '--source',
        `spice://127.0.0.1:${xspice.port}`,
        '--spice-password-file',
        passwordFile,
        '--spice-share',
        `127.0.0.1:${sharePort}`,
      ]);
      await waitFor(() => (/connected to SPICE server/.test(serve!.output.stderr) ? true : undefined), 20000, 'the SPICE connection');
      assert.match(serve.output.stderr, new RegExp(`share port listening address=127\\.0\\.0\\.1:${sharePort}`));
      spicy = await Spicy.start(sharePort, 'ticket');
      await waitFor(
        () => (/a viewer holds the session through the share port/.test(serve!.output.stderr) ? true : undefined),
        20000,
        'the viewer',
      );
      assert.ok(spicy.running);
    } finally {
      await spicy?.stop();
      const code = serve ? await serve.stop() : 0;
      await xspice.stop();
      assert.equal(code, 0, serve?.output.stderr);
    }
  });
});
