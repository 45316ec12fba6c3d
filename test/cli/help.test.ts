/** --version, and help that fits the terminal it is read in. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli-process';
import { wrapParagraphs, twoColumns } from '../../src/cli/help-layout';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
const COMMANDS = ['serve', 'grab', 'record', 'view', 'displays'];

/** Every word of `text`, in order: wrapping may move words to other lines, never split or drop them. */
const words = (text: string): string[] => text.split(/\s+/).filter((word) => word && word !== '\\');

describe('screencap --version and help layout', function () {
  this.timeout(60_000);

  it('prints the package version and what the installation can do', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^screencap ${VERSION.replace(/\./g, '\\.')}\\n`));
      assert.match(result.stdout, new RegExp(`node ${process.version.replace(/\./g, '\\.')};`));
    }
  });

  it('wraps every help text to the terminal width (COLUMNS when piped, else 80), keeping every word whole', async () => {
    for (const columns of [undefined, '60', '100']) {
      const limit = columns === undefined ? 80 : Number(columns);
      const env = columns === undefined ? { COLUMNS: '' } : { COLUMNS: columns };
      for (const args of [['--help'], ...COMMANDS.map((command) => [command, '--help'])]) {
        const { code, stdout } = await runCli(args, env);
        assert.equal(code, 0);
        // Only a single word longer than the line (a URL) may stand out.
        const long = stdout.split('\n').filter((line) => line.length > limit && /\S\s+\S/.test(line.trim()));
        assert.deepEqual(long, [], `${args.join(' ')} at ${limit} columns: lines longer than the terminal`);
      }
    }
    // The same words as laid out for a very wide terminal: nothing split mid-word.
    const narrow = await runCli(['record', '--help'], { COLUMNS: '60' });
    const wide = await runCli(['record', '--help'], { COLUMNS: '1000' });
    assert.deepEqual(words(narrow.stdout), words(wide.stdout));
  });

  it('lays out two columns with hanging indents, and list items under their text', () => {
    assert.deepEqual(twoColumns([['  --size WxH', 'The picture size, both sides even, from 64x64 up to 8192x8192']], 44), [
      '  --size WxH  The picture size, both sides',
      '              even, from 64x64 up to',
      '              8192x8192',
    ]);
    assert.deepEqual(twoColumns([['  --a-very-long-option-name VALUE', 'What it does, in a few words']], 44), [
      '  --a-very-long-option-name VALUE',
      '      What it does, in a few words',
    ]);
    assert.deepEqual(
      wrapParagraphs(
        'A paragraph written\nover three source\nlines ends here:\n  screencap grab --size 640x360 --out frame.png\n- a list item that goes on for longer than the line',
        30,
      ),
      [
        'A paragraph written over three',
        'source lines ends here:',
        '  screencap grab --size \\',
        '    640x360 --out frame.png',
        '- a list item that goes on',
        '  for longer than the line',
      ],
    );
  });
});
