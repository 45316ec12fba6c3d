/** `screencap serve --source spice://...` with its SPICE options, against a real Xspice. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readPcapStreams, type TcpStream } from '../support/spice/pcap-reader';
import { waitFor } from '../support/spice/processes';
import { Xspice } from '../support/spice/xspice';
import { runCli, ServeProcess } from '../support/cli-process';

const DISPLAY_CHANNEL = 2;
const PREFERRED_COMPRESSION = 103;
const LZ = 6;

/** The client's mini-header messages on a linked channel: after the link message, the auth mechanism and the ticket. */
function clientMessages(stream: TcpStream): { type: number; body: Buffer }[] {
  const bytes = stream.fromClient;
  let p = 16 + bytes.readUInt32LE(12) + 4 + 128;
  const out = [];
  while (p + 6 <= bytes.length) {
    const size = bytes.readUInt32LE(p + 2);
    out.push({ type: bytes.readUInt16LE(p), body: bytes.subarray(p + 6, p + 6 + size) });
    p += 6 + size;
  }
  return out;
}

describe('screencap serve --source spice:// options', function () {
  this.timeout(120_000);
  let xspice: Xspice | undefined;
  let serve: ServeProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-cli-'));

  afterEach(async () => {
    await serve?.stop();
    await xspice?.stop();
    serve = undefined;
    xspice = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--spice-password-file (right), --spice-compression and --spice-dump: frames are served, LZ is asked for, one pcap is written', async () => {
    xspice = await Xspice.start({ password: 'open sesame' });
    const passwordFile = join(dir, 'ticket');
    writeFileSync(passwordFile, 'open sesame\n');
    const dump = join(dir, 'dump');
    serve = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--source',
      `spice://127.0.0.1:${xspice.port}`,
      '--spice-password-file',
      passwordFile,
      '--spice-compression',
      'lz',
      '--spice-dump',
      dump,
    ]);
    await waitFor(() => (/connected to SPICE server/.test(serve!.output.stderr) ? true : undefined), 20000, 'the SPICE connection');
    const png = join(dir, 'frame.png');
    const grab = await runCli(['grab', '--server', serve.address, '--out', png]);
    assert.equal(grab.code, 0, grab.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [1024, 768]);
    assert.equal(await serve.stop(), 0);
    serve = undefined;

    const files = readdirSync(dump);
    assert.equal(files.length, 1, `one pcap file per run: ${files.join(', ')}`);
    assert.match(files[0], /^spice-.*\.pcap$/);
    const streams = readPcapStreams(join(dump, files[0]));
    const display = streams.find((s) => s.fromClient.length > 21 && s.fromClient[20] === DISPLAY_CHANNEL);
    assert.ok(display, `a display channel stream among ${streams.length}`);
    const preference = clientMessages(display).find((m) => m.type === PREFERRED_COMPRESSION);
    assert.ok(preference, 'the client sent PREFERRED_COMPRESSION');
    assert.equal(preference.body[0], LZ);
  });

  it('--spice-password-file (wrong): keeps serving and logs the refused password', async () => {
    xspice = await Xspice.start({ password: 'open sesame' });
    const passwordFile = join(dir, 'wrong-ticket');
    writeFileSync(passwordFile, 'guess\n');
    serve = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--source',
      `spice://127.0.0.1:${xspice.port}`,
      '--spice-password-file',
      passwordFile,
    ]);
    await waitFor(
      () => (/rejected the password for the main channel \(PERMISSION_DENIED\)/.test(serve!.output.stderr) ? true : undefined),
      20000,
      'the refusal',
    );
    assert.doesNotMatch(serve.output.stderr, /connected to SPICE server/);
    assert.equal(serve.child.exitCode, null, 'the server is still running');
  });
});
