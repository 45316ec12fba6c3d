/**
 * A video stream in a codec screencap did not offer: Xspice's real MJPEG session, with each
 * STREAM_CREATE rewritten to VP9 on the way (spice-server itself streams only in codecs the client
 * offers). The stream is skipped with one WARN, the session stays up, and the lossless picture the
 * server sends when the stream ends is shown exactly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiceDisplaySource } from '../../../src/sources/spice';
import { createLogger } from '../../../src/util/logger';
import { type OwnedProcess, waitFor } from '../../support/spice/processes';
import { RecordingSink } from '../../support/spice/recording-sink';
import { Scene } from '../../support/spice/scene';
import { StreamCodecProxy } from '../../support/spice/stream-codec-proxy';
import { exactAfterStream, startVideo, streamMessages } from '../../support/spice/video-streams';
import { Xspice } from '../../support/spice/xspice';

/** SPICE_VIDEO_CODEC_TYPE_VP9: a codec screencap never offers. */
const VP9 = 4;

describe('SPICE source: a video stream in a codec not offered', function () {
  this.timeout(120_000);
  let server: Xspice | undefined;
  let proxy: StreamCodecProxy | undefined;
  let source: SpiceDisplaySource | undefined;
  let scene: Scene | undefined;
  let animation: OwnedProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-codec-'));
  after(async () => {
    await source?.stop();
    if (animation?.running) animation.child.kill('SIGCONT');
    await animation?.stop();
    await scene?.stop();
    await proxy?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is skipped with one WARN and no reconnect; the lossless repaint after it is shown exactly', async () => {
    server = await Xspice.start({ compression: 'auto_glz', streaming: 'all' });
    proxy = await StreamCodecProxy.start(server.port, VP9);
    const warnings: string[] = [];
    const logger = createLogger('t', { level: 'warn', sink: (line) => warnings.push(line) });
    source = new SpiceDisplaySource({ host: '127.0.0.1', port: proxy.port, logger });
    await source.start(new RecordingSink());
    await waitFor(() => source!.surface(), 20_000, 'the primary surface');
    scene = new Scene(server.env, dir);
    await scene.draw({ photo: false, xterm: false });
    // An endless animation of one picture: the server streams that window.
    animation = await startVideo(server, dir);
    const messages = streamMessages(source.displayChannels()[0]);
    await waitFor(() => (messages.created() > 0 ? true : undefined), 30_000, 'STREAM_CREATE');
    await waitFor(() => (messages.frames() > 5 ? true : undefined), 30_000, 'stream frames');
    assert.ok(proxy.rewritten >= 1, "the server's STREAM_CREATE went through as VP9");

    // The window stands still with its last frame: the server ends the stream and sends its area
    // again, losslessly, which screencap shows pixel for pixel.
    await exactAfterStream(source, server, animation);

    assert.equal(source.connections, 1, 'the session was never dropped');
    assert.equal(source.state, 'connected');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /skipping video streams in VP9, which this client did not offer \(only MJPEG, H264, VP8\)/);
  });
});
