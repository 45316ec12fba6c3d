/** --cursor on the client commands, as a user runs them against a served built-in desktop. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseRecordingSettings } from '../../src/cli/recording-options';
import { parseViewingSettings } from '../../src/cli/viewing-options';
import { runCli, ServeProcess } from '../support/cli-process';

describe('screencap --cursor', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'screencap-cursor-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('grab, record and view document it in --help; serve has it for --record and --view', async () => {
    // A recording and a live stream are a picture alone: metadata is grab's (and the API's) only.
    for (const [command, modes] of [
      ['grab', 'embedded\\|metadata\\|hidden'],
      ['record', 'embedded\\|hidden'],
      ['view', 'embedded\\|hidden'],
    ] as const) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      // Help is wrapped to the terminal's width: compare with the line breaks taken out.
      const text = help.stdout.replace(/\s+/g, ' ');
      assert.match(text, new RegExp(`--cursor ${modes} The mouse pointer: [^-]*\\(default embedded\\)`), command);
    }
    const serve = await runCli(['serve', '--help']);
    assert.match(serve.stdout, /--record-cursor embedded\|hidden/);
    assert.match(serve.stdout, /--view-cursor embedded\|hidden/);
  });

  it('record and view pass it on to their sessions, embedded unless told otherwise', () => {
    assert.equal(parseRecordingSettings({}).recorder.cursorMode, 'embedded');
    assert.equal(parseRecordingSettings({ cursor: 'hidden' }).recorder.cursorMode, 'hidden');
    assert.equal(parseRecordingSettings({ 'record-cursor': 'hidden' }, 'record-').recorder.cursorMode, 'hidden');
    assert.equal(parseViewingSettings({}).defaults.cursorMode, 'embedded');
    assert.equal(parseViewingSettings({ 'view-cursor': 'hidden' }, 'view-').defaults.cursorMode, 'hidden');
  });

  it('a bad value is refused with exit code 2, naming the option and the choices', async () => {
    const cases: [string[], RegExp][] = [
      [['grab', '--out', join(dir, 'x.png'), '--cursor', 'shown'], /--cursor: must be embedded or metadata or hidden, got "shown"/],
      [['record', '--out', join(dir, 'rec'), '--cursor', 'on'], /--cursor: must be embedded or hidden, got "on"/],
      [['view', '--cursor', ''], /--cursor: must be embedded or hidden, got ""/],
      [['serve', '--record', join(dir, 'rec2'), '--record-cursor', 'off'], /--record-cursor: must be embedded or hidden, got "off"/],
      // A recording or a stream has nowhere to put the pointer beside the picture.
      [
        ['record', '--out', join(dir, 'rec3'), '--cursor', 'metadata'],
        /--cursor: metadata is for clients that draw the pointer themselves .* use embedded or hidden/,
      ],
      [['serve', '--view', '127.0.0.1:0', '--view-cursor', 'metadata'], /--view-cursor: metadata is for clients .* use embedded or hidden/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  it('grab --cursor metadata prints the pointer, in image and display coordinates; hidden prints none', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '640x360']);
    try {
      const out = join(dir, 'metadata.png');
      const grab = await runCli(['grab', '--server', server.address, '--cursor', 'metadata', '--size', '320x180', '--out', out]);
      assert.equal(grab.code, 0, grab.stderr);
      const line = /^pointer visible at (\d+),(\d+) \(display (\d+),(\d+)\), shape \d+ \((\d+)x(\d+), hot spot \d+,\d+\)$/m.exec(
        grab.stdout,
      );
      assert.ok(line, `a pointer line: ${grab.stdout}`);
      const [x, y, displayX, displayY, width, height] = line.slice(1).map(Number);
      // Half size: the centre of display pixel d lands in image pixel floor((d + 0.5) / 2).
      assert.deepEqual([x, y], [Math.floor((displayX + 0.5) / 2), Math.floor((displayY + 0.5) / 2)]);
      assert.ok(displayX >= 0 && displayX < 640 && displayY >= 0 && displayY < 360, 'on the display');
      assert.deepEqual([width, height], [16, 16], "the desktop's pointer size at 360 lines");
      const info = await sharp(readFileSync(out)).metadata();
      assert.deepEqual([info.width, info.height], [320, 180]);

      const hidden = await runCli(['grab', '--server', server.address, '--cursor', 'hidden', '--out', join(dir, 'hidden.png')]);
      assert.equal(hidden.code, 0, hidden.stderr);
      assert.doesNotMatch(hidden.stdout, /pointer/);
      assert.match(hidden.stdout, /640x360, frame \d+/);
    } finally {
      await server.stop();
    }
  });
});
