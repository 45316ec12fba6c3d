/** `screencap displays` lists a server's displays, and `grab --display` takes one of them. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli, ServeProcess } from '../support/cli-process';

describe('screencap displays and grab --display', function () {
  this.timeout(60_000);
  let dir: string;
  let server: ServeProcess;
  let picture: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'screencap-displays-'));
    const file = join(dir, 'source.png');
    await sharp({ create: { width: 96, height: 64, channels: 4, background: { r: 200, g: 30, b: 90, alpha: 1 } } })
      .composite([{ input: { create: { width: 20, height: 10, channels: 4, background: '#00ff00' } }, left: 5, top: 7 }])
      .png()
      .toFile(file);
    picture = await sharp(file).ensureAlpha(1).raw().toBuffer();
    server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `image:${file}`]);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the one display of a still image: id, size and position, primary, name', async () => {
    const result = await runCli(['displays', '--server', server.address]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '0  96x64+0+0  primary  desktop\n');
  });

  it('grabs display 0, the whole picture', async () => {
    const out = join(dir, 'display-0.png');
    const result = await runCli(['grab', '--server', server.address, '--display', '0', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const grabbed = await sharp(out).ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([grabbed.info.width, grabbed.info.height], [96, 64]);
    assert.ok(grabbed.data.equals(picture), 'the picture, pixel for pixel');
  });

  it('refuses a display the server does not list, naming the ones it does', async () => {
    const result = await runCli(['grab', '--server', server.address, '--display', '3', '--out', join(dir, 'none.png')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--display: no display 3; the server's displays are 0\n/);
  });

  it('refuses a --display that is not an id', async () => {
    const result = await runCli(['grab', '--server', server.address, '--display', 'left', '--out', join(dir, 'none.png')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--display: must be a whole number from 0 to 4294967295, got "left"/);
  });
});
