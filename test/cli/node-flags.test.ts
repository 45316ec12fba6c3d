/** The command's Node flags (src/cli/node-flags.ts) are the ones its launcher and npm start pass. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NODE_FLAGS } from '../../src/cli/node-flags';
import { CLI } from '../support/cli-process';

const ROOT = join(__dirname, '..', '..', '..');

describe('the command runs with its Node flags', () => {
  it("bin/screencap.js's first line passes exactly NODE_FLAGS to node", () => {
    const [first] = readFileSync(CLI, 'utf8').split('\n');
    assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('npm start runs the launcher itself, so that its first line applies', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.start!, /\.\/bin\/screencap\.js serve$/);
  });

  it('run as a program (as npm start and node_modules/.bin run it), the launcher starts', async () => {
    const { stdout } = await promisify(execFile)(CLI, ['--version']);
    assert.match(stdout, /^screencap \d/);
  });
});
