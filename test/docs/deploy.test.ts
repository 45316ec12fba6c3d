/** The systemd unit in docs/deploy.md is one systemd accepts, and as sandboxed as the page says. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NODE_FLAGS } from '../../src/cli/node-flags';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

describe('docs/deploy.md: the systemd unit', function () {
  this.timeout(60_000);
  let dir: string;
  let unit: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'screencap-unit-'));
    const page = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const block = /```ini\n([\s\S]*?)```/.exec(page);
    assert.ok(block, 'docs/deploy.md has the unit in an ini block');
    unit = join(dir, 'screencap.service');
    writeFileSync(unit, block[1]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes systemd-analyze verify, and runs the serve command with JSON logs', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', '--man=no', unit]);
    assert.equal(stderr.trim(), '', 'no complaint from systemd');
    const command = readFileSync(unit, 'utf8').match(/^ExecStart=(.*)$/m)?.[1] ?? '';
    // With the command's own Node flags, as bin/screencap.js runs it.
    assert.ok(command.startsWith(`/usr/bin/node ${NODE_FLAGS.join(' ')} /`), command);
    assert.match(command, /\/bin\/screencap\.js serve .*--log-format json$/);
  });

  it('rates 2.0 or better in systemd-analyze security', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=20', unit]).catch(
      (error: { stdout: string }) => assert.fail(`exposure above 2.0:\n${error.stdout.split('\n').slice(-3).join('\n')}`),
    );
    const exposure = Number(/Overall exposure level for screencap\.service: ([\d.]+)/.exec(stdout)?.[1]);
    assert.ok(exposure <= 2.0, `exposure ${exposure}`);
    assert.match(
      readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8'),
      new RegExp(`rates this unit ${exposure.toFixed(1).replace('.', '\\.')}`),
      'the page quotes the rating',
    );
  });
});
