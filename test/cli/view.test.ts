/** `screencap view` and `screencap serve --view ADDR`: the live viewer from the command line, as real processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import sharp from 'sharp';
import WebSocket from 'ws';
import { parseBinaryMessage, type StreamDescription } from '../../src/clients/viewer/wire/stream-messages';
import { CLI, pageUrl, runCli, ServeProcess } from '../support/cli-process';

/** The first messages a viewer gets: their kinds, until the first media segment. */
async function firstMessages(url: string): Promise<string[]> {
  return (await firstMessagesWithDescription(url)).kinds;
}

async function firstMessagesWithDescription(url: string): Promise<{ kinds: string[]; description?: StreamDescription }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}stream`);
  const kinds: string[] = [];
  let description: StreamDescription | undefined;
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        kinds.push(parseBinaryMessage(data).kind);
      } else {
        const message = JSON.parse(data.toString()) as { type: string };
        kinds.push(message.type);
        if (message.type === 'stream') description = message as StreamDescription;
      }
      if (kinds.includes('media')) resolve();
    });
    socket.once('error', reject);
  });
  socket.terminate();
  return { kinds, description };
}

describe('screencap view / serve --view', function () {
  this.timeout(60_000);

  it('documents its options in --help', async () => {
    const help = await runCli(['view', '--help']);
    assert.equal(help.code, 0);
    for (const option of ['--server', '--listen', '--size', '--fps', '--rotation', '--bitrate', '--public'])
      assert.ok(help.stdout.includes(option), `view --help lists ${option}`);
    const serve = await runCli(['serve', '--help']);
    for (const option of ['--view', '--view-size', '--view-fps', '--view-rotation', '--view-bitrate', '--view-public'])
      assert.ok(serve.stdout.includes(option), `serve --help lists ${option}`);
  });

  it('refuses bad values with exit code 2, naming the option, before serving', async () => {
    const cases: [string[], RegExp][] = [
      [['view', '--size', '641x360'], /--size: both sides must be even/],
      [['view', '--size', 'big'], /--size: expected WIDTHxHEIGHT/],
      [['view', '--fps', '0'], /--fps: must be a number from 1 to 60/],
      [['view', '--rotation', '45'], /--rotation: must be 0, 90, 180 or 270/],
      [['view', '--bitrate', '20k'], /--bitrate: a live stream takes from 50k to 50M/],
      [['view', '--listen', '0.0.0.0:0'], /--listen: 0\.0\.0\.0:0 is not a loopback address.*public/],
      [['view', '--listen', 'nowhere'], /--view: expected HOST:PORT|--listen: expected HOST:PORT/],
      [['serve', '--view-size', '640x360'], /--view-size: only applies with --view HOST:PORT/],
      [['serve', '--view', '127.0.0.1:0', '--view-fps', 'fast'], /--view-fps: expected a number, got "fast"/],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected, args.join(' '));
    }
  });

  it('view refuses to start, saying why, when the H.264 encoder cannot be loaded', async () => {
    const result = await runCli(['view', '--listen', '127.0.0.1:0'], { SCREENCAP_NATIVE_ADDON: '/nonexistent/screencap_native.node' });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /the live view needs the H\.264 encoder of the native addon, which cannot be loaded/);
  });

  it('serve --view serves the page, the stream and /frame.png from the server process', async () => {
    const serve = spawn(process.execPath, [
      CLI,
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--size',
      '640x360',
      '--view',
      '127.0.0.1:0',
      '--view-size',
      '320x180',
    ]);
    try {
      const url = await pageUrl(serve);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<video id="screen"/);
      const png = await fetch(`${url}frame.png`);
      const info = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
      assert.deepEqual([info.format, info.width, info.height], ['png', 640, 360]);
      assert.deepEqual((await firstMessages(url)).slice(0, 3), ['stream', 'init', 'media']);
    } finally {
      serve.kill('SIGINT');
      const [code] = await once(serve, 'close');
      assert.equal(code, 0);
    }
  });

  it('view runs as a separate client process of a server', async () => {
    const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '640x360']);
    const view = spawn(process.execPath, [
      CLI,
      'view',
      '--server',
      server.address,
      '--listen',
      '127.0.0.1:0',
      '--size',
      '320x180',
      '--fps',
      '10',
    ]);
    try {
      const url = await pageUrl(view);
      const jpg = await fetch(`${url}frame.jpg`);
      assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
      assert.deepEqual((await firstMessages(url)).slice(0, 3), ['stream', 'init', 'media']);
      const status = (await (await fetch(`${url}status.json`)).json()) as {
        streams: Array<{ settings: { width: number; maxFps: number } }>;
      };
      assert.deepEqual([status.streams[0]?.settings.width, status.streams[0]?.settings.maxFps], [320, 10]);
    } finally {
      view.kill('SIGINT');
      const [code] = await once(view, 'close');
      assert.equal(code, 0);
      await server.stop();
    }
  });

  it('serve --view-public with a token warns that the page has none, and streams 1280x720 by default', async () => {
    /** Runs serve --view-public until the page has streamed; its stderr, and the stream's description. */
    const servePublic = async (extra: string[]) => {
      const serve = spawn(process.execPath, [
        CLI,
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--size',
        '640x360',
        ...extra,
        '--view',
        '127.0.0.1:0',
        '--view-public',
      ]);
      let stderr = '';
      serve.stderr.on('data', (data) => (stderr += data));
      try {
        return { ...(await firstMessagesWithDescription(await pageUrl(serve))), stderr };
      } finally {
        if (serve.exitCode === null) {
          serve.kill('SIGINT');
          const [code] = await once(serve, 'close');
          assert.equal(code, 0);
        }
      }
    };
    const guarded = await servePublic(['--token', 'a-token-of-some-length']);
    assert.match(
      guarded.stderr,
      /WARN .*the live view has no login: anyone who reaches it sees the screen, although the capture server requires a token/,
    );
    assert.deepEqual(guarded.kinds.slice(0, 3), ['stream', 'init', 'media']);
    assert.deepEqual([guarded.description?.width, guarded.description?.height, guarded.description?.maxFps], [1280, 720, 30]);
    // Without a token there is nothing the page would bypass.
    const open = await servePublic([]);
    assert.deepEqual(open.kinds.slice(0, 3), ['stream', 'init', 'media']);
    assert.doesNotMatch(open.stderr, /no login/);
  });
});
