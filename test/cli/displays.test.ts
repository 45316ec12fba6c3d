/** `screencap displays` lists a server's displays, and grab, record and view `--display` take one of them. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CLI, pageUrl, runCli, ServeProcess } from '../support/cli-process';

describe('screencap displays, and --display on grab, record and view', function () {
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

  for (const display of ['0', 'desktop']) {
    it(`grabs --display ${display}, the whole picture`, async () => {
      const out = join(dir, `display-${display}.png`);
      const result = await runCli(['grab', '--server', server.address, '--display', display, '--out', out]);
      assert.equal(result.code, 0, result.stderr);
      const grabbed = await sharp(out).ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([grabbed.info.width, grabbed.info.height], [96, 64]);
      assert.ok(grabbed.data.equals(picture), 'the picture, pixel for pixel');
    });
  }

  it('refuses a display the server does not list, naming the ones it does', async () => {
    const result = await runCli(['grab', '--server', server.address, '--display', '3', '--out', join(dir, 'none.png')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--display: no display 3; the server's displays are 0, and 4294967295 is the whole desktop\n/);
  });

  it('refuses a --display that is not an id', async () => {
    const result = await runCli(['grab', '--server', server.address, '--display', 'left', '--out', join(dir, 'none.png')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--display: must be a display id \(a whole number "screencap displays" lists\) or "desktop", got "left"/);
  });

  it('records display 0: PNG frames of the picture', async () => {
    const out = join(dir, 'recording');
    const result = await runCli([
      'record',
      '--server',
      server.address,
      '--display',
      '0',
      '--format',
      'png',
      '--duration',
      '0.3s',
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [folder] = readdirSync(out);
    const frames = readdirSync(join(out, folder!)).filter((name) => name.endsWith('.png'));
    assert.ok(frames.length > 0, 'frames written');
    const first = await sharp(join(out, folder!, frames[0]!))
      .ensureAlpha(1)
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([first.info.width, first.info.height], [96, 64]);
    assert.ok(first.data.equals(picture), 'the picture, pixel for pixel');
  });

  it('refuses to record a display the server does not list', async () => {
    const result = await runCli(['record', '--server', server.address, '--display', '2', '--duration', '1s', '--out', join(dir, 'none')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--display: no display 2; the server's displays are 0, and 4294967295 is the whole desktop\n/);
  });

  it("view --display: the page's snapshot is that display", async () => {
    const view = spawn(process.execPath, [CLI, 'view', '--server', server.address, '--listen', '127.0.0.1:0', '--display', '0']);
    try {
      const url = await pageUrl(view);
      const png = Buffer.from(await (await fetch(`${url}frame.png`)).arrayBuffer());
      const snapshot = await sharp(png).ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([snapshot.info.width, snapshot.info.height], [96, 64]);
      assert.ok(snapshot.data.equals(picture), 'the picture, pixel for pixel');
    } finally {
      view.kill('SIGINT');
      const [code] = await once(view, 'close');
      assert.equal(code, 0);
    }
  });
});
