/** serve as a new user meets it: what a bad --size or image says, and the start line said once. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../support/cli-process';

describe('screencap serve: errors that name the input, and one start line', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'screencap-serve-errors-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a bad --size with the desktop's real rule, and a bad image naming the file and what is wrong", async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a picture\n');
    const cases: [string[], RegExp][] = [
      [['--size', '0x0'], /--size: width must be an even whole number from 64 to 8192, got 0/],
      [['--size', '9000x100'], /--size: width must be an even whole number from 64 to 8192, got 9000/],
      [['--source', `image:${join(dir, 'missing.png')}`], new RegExp(`--source: image:${join(dir, 'missing.png')}: no such file`)],
      [['--source', `image:${dir}`], new RegExp(`--source: image:${dir}: not a file`)],
      [
        ['--source', `image:${text}`],
        new RegExp(`--source: image:${text}: not an image that can be decoded \\(14 bytes: .*\\); PNG, JPEG`),
      ],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(['serve', '--listen', '127.0.0.1:0', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected);
      assert.equal(result.stdout, '', 'nothing was served');
    }
  });

  it('says where it serves once on a terminal (the log line), and on stdout when piped', async () => {
    // A terminal for both stdout and stderr, as a user running it by hand has (script(1)).
    const command = `${process.execPath} ${CLI} serve --size 320x240 --listen 127.0.0.1:0`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${output}`)), 30_000);
      child.stdout.on('data', () => {
        if (/serving/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin.write('\x03'); // Ctrl-C, through the terminal
    await once(child, 'close');
    assert.equal(output.match(/127\.0\.0\.1:\d+/g)?.length, 1, `the address once: ${output}`);
    assert.match(output, /INFO .*serving address=127\.0\.0\.1:\d+/);
  });
});
