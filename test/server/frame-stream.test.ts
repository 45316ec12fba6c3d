/**
 * StreamFrames: GetNextFrame's hanging get on one bidirectional stream. Each request must be
 * answered as the unary call answers it, refused as the unary call is refused, and withdrawn
 * when the stream goes away.
 */
import assert from 'node:assert/strict';
import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { CaptureClientError } from '../../src/clients';
import type { FrameInfo, GetNextFrameRequest } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { solidImage } from '../support/images';
import { AnswerQueue } from '../support/answer-queue';
import { assertAnsweredAsCalls } from '../support/answered-as-calls';
import { Fixture, settle } from '../support/fixture';

const RED = solidImage(64, 48, [255, 0, 0]);
const GREEN = solidImage(64, 48, [0, 255, 0]);
const BLUE = solidImage(64, 48, [0, 0, 255]);

/** A StreamFrames call with its answers and its end as promises. */
class Stream extends AnswerQueue<FrameInfo> {
  readonly call: ClientDuplexStream<GetNextFrameRequest, FrameInfo>;
  /** The status the stream ended with (OK included). */
  readonly ended: Promise<{ code: status; error?: CaptureClientError }>;

  constructor(fx: Fixture) {
    super('the stream');
    this.call = fx.capture.streamFrames(new Metadata());
    this.call.on('data', (info: FrameInfo) => this.push(info));
    this.ended = new Promise((resolve) => {
      this.call.on('error', (error: ServiceError) => resolve({ code: error.code, error: CaptureClientError.fromServiceError(error) }));
      this.call.on('status', (s: { code: status }) => {
        if (s.code === status.OK) resolve({ code: s.code });
      });
    });
  }

  request(sessionId: string, releaseToken = ''): void {
    this.call.write({ sessionId, releaseToken, heldFrames: undefined });
  }
}

/**
 * A session of two buffers that took its first frame on a stream, with its next request waiting
 * there (the previous frame given back with it) for a frame not latched yet.
 */
async function waitingRequest(fx: Fixture): Promise<{ sessionId: string; stream: Stream }> {
  const { sessionId } = await fx.configuredSession(2);
  const stream = new Stream(fx);
  stream.request(sessionId);
  const first = await stream.next();
  stream.request(sessionId, first.releaseToken);
  return { sessionId, stream };
}

describe('StreamFrames', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await Fixture.start({ image: RED });
    fx.clock.tick();
    await settle(10);
  });
  afterEach(() => fx.stop());

  it('answers each request as GetNextFrame does: the same frames, pixels, damage and buffers', async () => {
    const stream = new Stream(fx);
    await assertAnsweredAsCalls(fx, stream);
    stream.call.end();
    assert.equal((await stream.ended).code, status.OK, 'a stream the client ends closes cleanly');
  });

  it('a second request while one waits ends the stream with BAD_HANGING_GET and withdraws the first', async () => {
    const { sessionId, stream } = await waitingRequest(fx);
    await settle();
    stream.request(sessionId);
    const { error } = await stream.ended;
    assert.equal(error?.errorName, 'BAD_HANGING_GET', error?.message);
    // Nothing waits for the session any more: a call is not a second hanging get, and gets
    // the next frame.
    const next = fx.getNextFrame(sessionId);
    await fx.newFrame(GREEN);
    assert.equal((await next).frameNumber, 2);
  });

  it('refuses an unknown session, a bad release token and another session, naming the field', async () => {
    const unknown = new Stream(fx);
    unknown.request('made-up');
    assert.equal((await unknown.ended).error?.field, 'session_id');

    const { sessionId } = await fx.configuredSession(1);
    const badToken = new Stream(fx);
    badToken.request(sessionId, 'not-a-token');
    const refused = (await badToken.ended).error;
    assert.equal(refused?.errorName, 'INVALID_ARGS');
    assert.equal(refused?.field, 'release_token');

    const other = await fx.configuredSession(1);
    const mixed = new Stream(fx);
    mixed.request(sessionId);
    const frame = await mixed.next();
    mixed.request(other.sessionId);
    assert.equal((await mixed.ended).error?.field, 'session_id');
    // The refusals changed nothing: the session still holds its one buffer, so a call waits.
    const pending = fx.getNextFrame(sessionId);
    await fx.newFrame(GREEN);
    await fx.release(sessionId, frame.releaseToken);
    assert.equal((await pending).frameNumber, 2);
  });

  it('a request that does not parse, or a huge one, ends its stream alone: the server keeps serving', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const bytes = (value: Buffer) => value;
    const path = '/screencapture.v1.ScreenCapture/StreamFrames';
    const garbage = fx.capture.makeBidiStreamRequest(path, bytes, bytes, new Metadata());
    const ended = new Promise<ServiceError>((resolve) => garbage.on('error', resolve));
    // Field 1 (session_id) says 100 bytes follow; 2 do.
    garbage.write(Buffer.from([0x0a, 100, 0x41, 0x41]));
    const parseError = await ended;
    assert.notEqual(parseError.code, status.OK);
    assert.ok(parseError.details.length < 1200, parseError.details);

    const huge = new Stream(fx);
    huge.request('s'.repeat(64 * 1024));
    const refused = (await huge.ended).error;
    assert.equal(refused?.field, 'session_id');
    assert.ok(refused!.message.length < 1200, `bounded: ${refused!.message.length} characters`);

    const stream = new Stream(fx);
    stream.request(sessionId);
    assert.equal((await stream.next()).frameNumber, 1, 'the session is served as before');
    stream.call.end();
  });

  it('ends with BAD_OPERATION when the session is reconfigured while a request waits', async () => {
    const { sessionId, stream } = await waitingRequest(fx);
    assert.equal(await stream.answered(), false, 'no new frame: the request waits');
    await fx.configure(sessionId, await fx.register(sessionId, 2));
    assert.equal((await stream.ended).error?.errorName, 'BAD_OPERATION');
  });

  for (const how of ['ended', 'cancelled'] as const) {
    it(`a stream ${how} by the client withdraws its waiting request, and the session may idle out`, async () => {
      await fx.stop();
      fx = await Fixture.start({ image: RED, limits: { idleTimeoutMs: 300 } });
      fx.clock.tick();
      await settle(10);
      const { sessionId, stream } = await waitingRequest(fx);
      // A waiting request keeps the session alive past its idle timeout...
      await settle(450);
      assert.equal(fx.server.manager.sessionCount, 1);
      if (how === 'ended') stream.call.end();
      else stream.call.cancel();
      await settle();
      // ...and once withdrawn, the next call is not a second hanging get...
      const call = fx.getNextFrame(sessionId);
      await fx.newFrame(GREEN);
      assert.equal((await call).frameNumber, 2);
      // ...and with no call left, the session expires.
      await settle(700);
      assert.equal(fx.server.manager.sessionCount, 0);
    });
  }

  it('lets go of every frame it sent: each latched frame is disposed once answered and replaced', async () => {
    let latched = 0;
    let disposed = 0;
    fx.server.scheduler.onFrame((frame) => {
      latched++;
      frame.onDispose(() => disposed++);
    });
    const { sessionId } = await fx.configuredSession(2);
    const stream = new Stream(fx);
    let held = '';
    const images = [GREEN, BLUE, RED];
    for (let i = 0; i < 200; i++) {
      stream.request(sessionId, held);
      const frame = await stream.next();
      assert.equal(frame.frameNumber, i + 1);
      held = frame.releaseToken;
      fx.source.setImage(images[i % 3]!);
      fx.clock.tick();
    }
    stream.call.end();
    await stream.ended;
    await settle();
    assert.equal(latched, 200);
    // All but the latest, which the scheduler keeps.
    assert.equal(disposed, 199);
  });
});
