/** --log-level, --log-format and SCREENCAP_LOG, through the real binary. */
import assert from 'node:assert/strict';
import { runCli, ServeProcess } from '../support/cli-process';

describe('screencap logging options', function () {
  this.timeout(60_000);

  it('refuses a bad level or format, from the flags or SCREENCAP_LOG, naming where it came from', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['serve', '--log-level', 'loud'], {}, /--log-level: unknown log level "loud"; expected one of debug, info, warn, error, silent/],
      [['serve', '--log-format=xml'], {}, /--log-format: unknown log format "xml"; expected text or json/],
      [['grab', '--out', 'x.png', '--log-level'], {}, /--log-level: a value is required/],
      [['serve'], { SCREENCAP_LOG: 'verbose' }, /SCREENCAP_LOG: unknown log level "verbose"/],
    ];
    for (const [args, env, expected] of cases) {
      const result = await runCli(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected);
    }
  });

  it('writes one JSON object a line with --log-format json, at the level asked for, before or after the command', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240', '--log-format', 'json']);
    let stderr: string;
    try {
      const grab = await runCli([
        '--log-level',
        'debug',
        'grab',
        '--server',
        server.address,
        '--out',
        '/dev/null',
        '--format',
        'png',
        '--size',
        '64x48',
      ]);
      assert.equal(grab.code, 0, grab.stderr);
    } finally {
      assert.equal(await server.stop(), 0);
      stderr = server.output.stderr;
    }
    const records = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const serving = records.find((record) => record.message === 'serving');
    assert.ok(serving, stderr);
    assert.equal(serving.level, 'info');
    assert.equal(serving.component, 'screencap.server');
    assert.equal(serving.address, server.address);
    assert.match(String(serving.time), /^\d{4}-\d\d-\d\dT/);
    assert.ok(
      records.some((record) => record.message === 'session opened'),
      'a session the grab opened',
    );

    // warn hides the info lines; the flag wins over SCREENCAP_LOG.
    const quiet = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x240', '--log-level', 'warn'], {
      SCREENCAP_LOG: 'debug',
    });
    assert.equal(await quiet.stop(), 0);
    assert.doesNotMatch(quiet.output.stderr, /INFO|DEBUG/);
  });
});
