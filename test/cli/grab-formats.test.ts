/** grab writes PNG, JPEG or WebP by the name or --format, to a file or stdout, as ffmpeg users expect. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CLI, runCli, ServeProcess } from '../support/cli-process';

/** A still picture with detail and flat areas: 320x240, opaque. */
async function testPicture(file: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">
    <rect width="320" height="240" fill="#2a9d8f"/><rect x="20" y="20" width="120" height="90" fill="#e76f51"/>
    <text x="30" y="200" font-size="28" fill="#ffffff">grab 0123</text></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
  return await sharp(file).ensureAlpha(1).raw().toBuffer();
}

async function rawOf(image: Buffer): Promise<{ pixels: Buffer; width: number; height: number; format: string }> {
  const meta = await sharp(image).metadata();
  const pixels = await sharp(image).ensureAlpha(1).raw().toBuffer();
  return { pixels, width: meta.width!, height: meta.height!, format: meta.format! };
}

function meanAbsoluteDifference(a: Buffer, b: Buffer): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}

/** The CLI with stdout kept as bytes. */
function runCliBinary(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

describe('screencap grab: image formats and stdout', function () {
  this.timeout(60_000);
  let dir: string;
  let server: ServeProcess;
  let source: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'screencap-grab-'));
    source = await testPicture(join(dir, 'source.png'));
    server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `image:${join(dir, 'source.png')}`]);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks the format from the extension: PNG and WebP exact, JPEG close', async () => {
    const cases: [string, string, number][] = [
      ['frame.png', 'png', 0],
      ['frame.webp', 'webp', 0],
      ['frame.jpg', 'jpeg', 2.5],
      ['frame.JPEG', 'jpeg', 2.5],
    ];
    for (const [name, format, tolerance] of cases) {
      const out = join(dir, name);
      const result = await runCli(['grab', '--server', server.address, '-o', out]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^${out}: ${format.toUpperCase()} 320x240, frame \\d+`));
      const image = await rawOf(readFileSync(out));
      assert.equal(image.format, format, `${name} holds ${format}`);
      assert.deepEqual([image.width, image.height], [320, 240]);
      const difference = meanAbsoluteDifference(image.pixels, source);
      assert.ok(difference <= tolerance, `${name}: mean difference ${difference.toFixed(2)} from the screen`);
    }
  });

  it('--format wins over the name, --quality sets JPEG and lossy WebP, and - writes the image to stdout', async () => {
    const stdout = await runCliBinary(['grab', '--server', server.address, '-o', '-']);
    assert.equal(stdout.code, 0, stdout.stderr);
    assert.equal((await rawOf(stdout.stdout)).format, 'png');
    assert.equal(Buffer.compare((await rawOf(stdout.stdout)).pixels, source), 0, 'the PNG on stdout is the screen');
    assert.match(stdout.stderr, /^stdout: PNG 320x240, frame \d+/, 'what grab says goes to stderr');

    const webp = await runCliBinary(['grab', '--server', server.address, '--format', 'webp', '-s', '160x120', '-o', '-']);
    const small = await rawOf(webp.stdout);
    assert.deepEqual([small.format, small.width, small.height], ['webp', 160, 120]);

    const lowJpeg = join(dir, 'low.jpg');
    const highJpeg = join(dir, 'high.jpg');
    assert.equal((await runCli(['grab', '--server', server.address, '-o', lowJpeg, '--quality', '10'])).code, 0);
    assert.equal((await runCli(['grab', '--server', server.address, '-o', highJpeg, '--quality', '95'])).code, 0);
    assert.ok(readFileSync(lowJpeg).length < readFileSync(highJpeg).length, 'quality 10 is smaller than 95');

    const named = join(dir, 'named.png');
    assert.equal((await runCli(['grab', '--server', server.address, '-o', named, '--format', 'jpeg'])).code, 0);
    assert.equal((await rawOf(readFileSync(named))).format, 'jpeg');
  });

  it('refuses what it cannot write, naming the option and the fix', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['-o', join(dir, 'frame.bmp')],
        /--out: cannot tell the image format from the extension "\.bmp"; name the file \.png, \.jpg or \.webp, or give --format png\|jpeg\|webp/,
      ],
      [['-o', join(dir, 'frame')], /--out: cannot tell the image format from a name without an extension/],
      [['-o', join(dir, 'frame.png'), '--format', 'gif'], /--format: must be png, jpeg or webp, got "gif"/],
      [['-o', join(dir, 'frame.jpg'), '--quality', '0'], /--quality: must be a whole number from 1 to 100, got "0"/],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(['grab', '--server', server.address, ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected);
    }
  });
});
