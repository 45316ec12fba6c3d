/** The screencap command line as a user runs it: serve, grab, help, auth, TLS and address rules. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli, ServeProcess } from '../support/cli-process';

const TOKEN = 'test-token-0123456789abcdef';

describe('screencap CLI', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'screencap-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints --help for the program and every command', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Commands:[\s\S]*serve[\s\S]*grab/);
    for (const command of ['serve', 'grab', 'record']) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`Usage: screencap ${command} \\[options\\]`));
      assert.match(help.stdout, /--help/);
    }
  });

  it('rejects bad arguments with exit code 2, naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['serve', '--size', '12by7'], /--size: expected WIDTHxHEIGHT/],
      [['serve', '--vsync', '0'], /--vsync: must be a number from 1 to 240/],
      [['serve', '--source', 'vnc://x'], /--source: unknown source "vnc:\/\/x"/],
      [['serve', '--tls-cert', 'a.pem'], /--tls-cert and --tls-key go together/],
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [
        ['serve', '--source', 'spice://127.0.0.1:5900', '--spice-reclaim', 'sometimes'],
        /--spice-reclaim: must be never, always or after=DURATION/,
      ],
      [
        ['serve', '--source', 'spice://127.0.0.1:5900', '--spice-reclaim', 'after=0s'],
        /--spice-reclaim after: expected a positive duration/,
      ],
      [['grab'], /--out: required/],
      [['grab', '--out', 'x.png', '--rotation', '45'], /--rotation: must be 0, 90, 180 or 270/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  it('serve + grab: a PNG of the synthetic desktop, at the display size and rotated', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '640x360']);
    try {
      const out = join(dir, 'frame.png');
      const grab = await runCli(['grab', '--server', server.address, '--out', out]);
      assert.equal(grab.code, 0, grab.stderr);
      assert.match(grab.stdout, /640x360, frame \d+/);
      const { data, info } = await sharp(readFileSync(out)).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [640, 360]);
      // The taskbar (#202830) runs along the bottom at its left end.
      const i = (358 * 640 + 200) * info.channels;
      assert.deepEqual([data[i], data[i + 1], data[i + 2]], [0x20, 0x28, 0x30]);

      const rotated = join(dir, 'rotated.png');
      const grab90 = await runCli(['grab', '--server', server.address, '--rotation', '90', '--out', rotated]);
      assert.equal(grab90.code, 0, grab90.stderr);
      const r = await sharp(readFileSync(rotated)).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([r.info.width, r.info.height], [360, 640]);
      // Rotated clockwise, the bottom taskbar becomes the left edge.
      const j = (200 * 360 + 1) * r.info.channels;
      assert.deepEqual([r.data[j], r.data[j + 1], r.data[j + 2]], [0x20, 0x28, 0x30]);
      assert.match(server.output.stderr, /session opened session=#1 client=screenshot/);
      assert.match(server.output.stderr, /session closed session=#1 reason="closed by the client"/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('any gRPC tool can call the API through reflection (buf curl), health included', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
    try {
      const buf = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');
      const curl = (path: string) =>
        execFileSync(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--reflect', `http://${server.address}${path}`], {
          encoding: 'utf8',
        });
      const info = JSON.parse(curl('/screencapture.v1.ScreenCapture/GetDisplayInfo'));
      assert.deepEqual(info.displaySize, { width: 320, height: 240 });
      assert.match(info.source, /^synthetic 320x240$/);
      assert.deepEqual(JSON.parse(curl('/grpc.health.v1.Health/Check')), { status: 'SERVING' });
    } finally {
      await server.stop();
    }
  });

  it('with a token, calls without it or with a wrong one get UNAUTHENTICATED', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240'], { SCREENCAP_TOKEN: TOKEN });
    try {
      const out = join(dir, 'auth.png');
      const none = await runCli(['grab', '--server', server.address, '--out', out], { SCREENCAP_TOKEN: '' });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /UNAUTHENTICATED: this server requires "authorization: Bearer <token>"/);
      const wrong = await runCli(['grab', '--server', server.address, '--token', 'wrong-token-wrong-token', '--out', out]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /UNAUTHENTICATED: the bearer token is not the server's/);
      const right = await runCli(['grab', '--server', server.address, '--token', TOKEN, '--out', out]);
      assert.equal(right.code, 0, right.stderr);
    } finally {
      await server.stop();
    }
  });

  it('refuses a non-loopback address without TLS or --insecure', async () => {
    const result = await runCli(['serve', '--listen', '0.0.0.0:0']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--listen: 0\.0\.0\.0:0 is not a loopback address; serving it needs TLS .* or an explicit --insecure/);
  });

  it('serves a non-loopback address with --insecure (reached here through 127.0.0.1)', async () => {
    const server = await ServeProcess.start(['--listen', '0.0.0.0:0', '--insecure', '--size', '320x240']);
    try {
      const grab = await runCli(['grab', '--server', `127.0.0.1:${server.port}`, '--out', join(dir, 'insecure.png')]);
      assert.equal(grab.code, 0, grab.stderr);
    } finally {
      await server.stop();
    }
  });

  it('serves TLS on a non-loopback address; a client trusting the CA connects', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = await ServeProcess.start([
      '--listen',
      '0.0.0.0:0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--size',
      '320x240',
      '--token',
      TOKEN,
    ]);
    try {
      const out = join(dir, 'tls.png');
      const grab = await runCli(['grab', '--server', `127.0.0.1:${server.port}`, '--tls-ca', cert, '--token', TOKEN, '--out', out]);
      assert.equal(grab.code, 0, grab.stderr);
      assert.equal((await sharp(out).metadata()).width, 320);
      const plain = await runCli(['grab', '--server', `127.0.0.1:${server.port}`, '--token', TOKEN, '--out', out, '--timeout', '3s']);
      assert.equal(plain.code, 1, 'a plaintext client cannot talk to the TLS server');
      assert.match(
        plain.stderr,
        /cannot connect to 127\.0\.0\.1:\d+ \(the connection closed while it was set up\): if the server uses TLS, add --tls/,
      );
      // And a TLS client of a plain server is told what is wrong, in one line.
      const plainServer = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240']);
      try {
        const tlsGrab = await runCli(['grab', '--server', plainServer.address, '--tls', '--out', out, '--timeout', '5s']);
        assert.equal(tlsGrab.code, 1);
        assert.equal(
          tlsGrab.stderr,
          `screencap grab: TLS with ${plainServer.address} failed (wrong version number): a plain server needs no --tls; a TLS one needs --tls-ca with the authority that signed its certificate\n`,
        );
      } finally {
        await plainServer.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it('grab reports an unreachable server clearly', async () => {
    writeFileSync(join(dir, 'placeholder'), '');
    const result = await runCli(['grab', '--server', '127.0.0.1:1', '--out', join(dir, 'x.png'), '--timeout', '2s']);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'screencap grab: no screencap server answers at 127.0.0.1:1 (connection refused): is `screencap serve` running there? (--server sets the address)\n',
    );
  });
});
