/**
 * The local frame socket: StreamFrames over a Unix socket for clients on the server's machine,
 * spoken here byte for byte as local_frames.proto describes it (gRPC's message framing around
 * LocalFrameRequest and LocalFrameReply). Each request must be answered as GetNextFrame answers
 * it, refused as StreamFrames refuses it, and withdrawn when the connection goes away; bad bytes
 * end their connection alone.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { CaptureClientError } from '../../src/clients';
import type { Status } from '../../src/gen/google/rpc/status.pb';
import { LocalFrameReply, LocalFrameRequest } from '../../src/gen/screencapture/v1/local_frames.pb';
import type { FrameInfo } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { framedMessage, MessageReader } from '../../src/protocol/length-prefixed';
import { LOCAL_REQUEST_LIMIT } from '../../src/server/local-frame-socket';
import { solidImage } from '../support/images';
import { AnswerQueue } from '../support/answer-queue';
import { assertAnsweredAsCalls } from '../support/answered-as-calls';
import { Fixture, settle } from '../support/fixture';

const RED = solidImage(64, 48, [255, 0, 0]);
const GREEN = solidImage(64, 48, [0, 255, 0]);
const BLUE = solidImage(64, 48, [0, 0, 255]);

/** A connection to the local frame socket, with its answers and its end as promises. */
class Connection extends AnswerQueue<FrameInfo> {
  readonly socket: net.Socket;
  private endStatus: Status | undefined;
  /** Once the server closed the connection: the status it sent last, if any, as a client error. */
  readonly closed: Promise<{ status?: Status; error?: CaptureClientError }>;

  constructor(socketPath: string) {
    super('the socket');
    this.socket = net.connect(socketPath);
    const reader = new MessageReader(16 * 1024 * 1024);
    this.socket.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        const reply = LocalFrameReply.decode(message).reply;
        if (reply?.$case === 'status') this.endStatus = reply.value;
        else if (reply?.$case === 'frame') this.push(reply.value);
        else throw new Error('an empty LocalFrameReply');
      }
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () =>
        resolve({ status: this.endStatus, error: this.endStatus && CaptureClientError.fromStatus(this.endStatus) }),
      ),
    );
  }

  static async open(fx: Fixture): Promise<Connection> {
    const socketPath = fx.server.localFrameSocket?.path;
    assert.ok(socketPath, 'the server serves a local frame socket');
    const connection = new Connection(socketPath);
    await new Promise((resolve) => connection.socket.once('connect', resolve));
    return connection;
  }

  request(sessionId: string, releaseToken = '', authorization = ''): void {
    this.socket.write(
      framedMessage(LocalFrameRequest.encode({ request: { sessionId, releaseToken, heldFrames: undefined }, authorization }).finish()),
    );
  }
}

/**
 * A session of two buffers that took its first frame on a connection, with its next request
 * waiting there (the previous frame given back with it) for a frame not latched yet.
 */
async function waitingRequest(fx: Fixture): Promise<{ sessionId: string; connection: Connection }> {
  const { sessionId } = await fx.configuredSession(2);
  const connection = await Connection.open(fx);
  connection.request(sessionId);
  const first = await connection.next();
  connection.request(sessionId, first.releaseToken);
  await settle();
  return { sessionId, connection };
}

describe('local frame socket', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await Fixture.start({ image: RED });
    fx.clock.tick();
    await settle(10);
  });
  afterEach(() => fx.stop());

  it("is offered to loopback clients, private to the server's user, and removed when the server stops", async () => {
    const offered = (await fx.call(fx.capture, fx.capture.openSession, { clientName: 'test' })).localFrameSocket;
    assert.equal(offered, fx.server.localFrameSocket?.path);
    const socket = fs.statSync(offered);
    assert.ok(socket.isSocket(), `${offered} is a socket`);
    assert.equal(socket.mode & 0o777, 0o600);
    assert.equal(socket.uid, process.getuid!());
    const directory = path.dirname(offered);
    assert.equal(fs.statSync(directory).mode & 0o777, 0o700, 'its directory is private');
    await fx.stop();
    assert.equal(fs.existsSync(directory), false, 'the socket and its directory are gone');
    fx = await Fixture.start({ image: RED });
  });

  it('is offered to no one when the server is told not to serve it', async () => {
    const without = await Fixture.start({ image: RED, localFrameSocket: false });
    try {
      assert.equal(without.server.localFrameSocket, undefined);
      assert.equal((await without.call(without.capture, without.capture.openSession, { clientName: 'test' })).localFrameSocket, '');
    } finally {
      await without.stop();
    }
  });

  it('answers each request as GetNextFrame does: the same frames, pixels, damage and buffers', async () => {
    const connection = await Connection.open(fx);
    // The fixture's sessions are INLINE: the pixels go out without a copy, between the reply's
    // prefix and its metadata.
    await assertAnsweredAsCalls(fx, connection);
    assert.equal(fx.server.localFrameSocket?.connections, 1);
    connection.socket.end();
    assert.deepEqual(await connection.closed, { status: undefined, error: undefined }, 'a connection the client ends closes cleanly');
  });

  it('a second request while one waits ends the connection with BAD_HANGING_GET and withdraws the first', async () => {
    const { sessionId, connection } = await waitingRequest(fx);
    connection.request(sessionId);
    const { error } = await connection.closed;
    assert.equal(error?.errorName, 'BAD_HANGING_GET', error?.message);
    assert.equal(error?.code, status.FAILED_PRECONDITION);
    // Nothing waits for the session any more: a call is not a second hanging get.
    const next = fx.getNextFrame(sessionId);
    await fx.newFrame(GREEN);
    assert.equal((await next).frameNumber, 2);
  });

  it('refuses an unknown session, a bad release token and another session, naming the field', async () => {
    const unknown = await Connection.open(fx);
    unknown.request('made-up');
    const unknownRefused = (await unknown.closed).error;
    assert.equal(unknownRefused?.errorName, 'INVALID_ARGS');
    assert.equal(unknownRefused?.field, 'session_id');

    const { sessionId } = await fx.configuredSession(1);
    const badToken = await Connection.open(fx);
    badToken.request(sessionId, 'not-a-token');
    const refused = (await badToken.closed).error;
    assert.equal(refused?.errorName, 'INVALID_ARGS');
    assert.equal(refused?.field, 'release_token');

    const other = await fx.configuredSession(1);
    const mixed = await Connection.open(fx);
    mixed.request(sessionId);
    const frame = await mixed.next();
    mixed.request(other.sessionId);
    assert.equal((await mixed.closed).error?.field, 'session_id');
    // The refusals changed nothing: the session still holds its one buffer, so a call waits.
    const pending = fx.getNextFrame(sessionId);
    await fx.newFrame(GREEN);
    await fx.release(sessionId, frame.releaseToken);
    assert.equal((await pending).frameNumber, 2);
  });

  it('bytes that are not a request end their connection alone, with a bounded reason; the server keeps serving', async () => {
    const { sessionId } = await fx.configuredSession(1);
    const cases: { name: string; bytes: Buffer; reason: RegExp }[] = [
      { name: 'a compressed message', bytes: Buffer.from([1, 0, 0, 0, 1, 0]), reason: /compressed/ },
      // Only the prefix is sent: the length alone must be refused, before any of it is awaited.
      {
        name: 'a message over the limit',
        bytes: Buffer.from([0, 0, 0x10, 0, 0]),
        reason: new RegExp(`1048576 bytes, more than the limit of ${LOCAL_REQUEST_LIMIT}`),
      },
      // Field 1 (request) says 100 bytes follow; 2 do.
      {
        name: 'a message that does not parse',
        bytes: framedMessage(Buffer.from([0x0a, 100, 0x41, 0x41])),
        reason: /is not a LocalFrameRequest/,
      },
    ];
    for (const { name, bytes, reason } of cases) {
      const connection = await Connection.open(fx);
      connection.socket.write(bytes);
      const { error } = await connection.closed;
      assert.equal(error?.errorName, 'INVALID_ARGS', `${name}: ${error?.message}`);
      assert.equal(error?.field, 'message', name);
      assert.match(error!.reason!, reason, name);
      assert.ok(error!.message.length < 1200, `${name}: bounded, ${error!.message.length} characters`);
    }
    const huge = await Connection.open(fx);
    huge.request('s'.repeat(LOCAL_REQUEST_LIMIT));
    assert.equal((await huge.closed).error?.field, 'message', 'a request over the limit');

    const connection = await Connection.open(fx);
    connection.request(sessionId);
    assert.equal((await connection.next()).frameNumber, 1, 'the session is served as before');
    connection.socket.end();
  });

  it('a client that goes on sending after a refusal, and never closes, is closed for it', async () => {
    const socket = net.connect({ path: fx.server.localFrameSocket!.path, allowHalfOpen: true });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    // (once() would reject on the EPIPE the flood below ends with.)
    const closed = new Promise((resolve) => socket.on('close', resolve));
    const ended = once(socket, 'end');
    socket.write(Buffer.from([1, 0, 0, 0, 1, 0]));
    await ended;
    // Keeps sending, and keeps its side open.
    const flood = setInterval(() => {
      try {
        if (socket.writable) socket.write(Buffer.alloc(64 * 1024, 7));
      } catch {
        // EPIPE once the server has closed it: what the test waits for.
      }
    }, 5);
    try {
      const started = Date.now();
      await closed;
      assert.ok(Date.now() - started < 5000, 'closed by the server');
    } finally {
      clearInterval(flood);
    }
    const reply = LocalFrameReply.decode(new MessageReader(4096).push(received)[0]!).reply;
    assert.equal(reply?.$case, 'status');
    assert.match(CaptureClientError.fromStatus(reply!.value as Status).reason!, /compressed/);
  });

  it('closing the connection withdraws a waiting request, as cancelling StreamFrames does', async () => {
    const { sessionId, connection } = await waitingRequest(fx);
    connection.socket.destroy();
    await connection.closed;
    await settle();
    assert.equal(fx.server.localFrameSocket?.connections, 0);
    const next = fx.getNextFrame(sessionId);
    await fx.newFrame(BLUE);
    assert.equal((await next).frameNumber, 2, 'not refused as a second hanging get');
  });

  it('a session closed while a request waits ends the connection with BAD_OPERATION', async () => {
    const { sessionId, connection } = await waitingRequest(fx);
    assert.equal(await connection.answered(), false, 'the request waits for a new frame');
    await fx.call(fx.capture, fx.capture.closeSession, { sessionId });
    const { error } = await connection.closed;
    assert.equal(error?.errorName, 'BAD_OPERATION', error?.message);
  });

  it('refuses connections beyond twice the session limit, saying so', async () => {
    const limited = await Fixture.start({ image: RED, limits: { maxSessions: 1 } });
    try {
      const open = [await Connection.open(limited), await Connection.open(limited)];
      const third = await Connection.open(limited);
      const { status: refusal } = await third.closed;
      assert.equal(refusal?.code, status.RESOURCE_EXHAUSTED);
      assert.match(refusal!.message, /2 connections open, its limit/);
      for (const connection of open) connection.socket.destroy();
    } finally {
      await limited.stop();
    }
  });
});

describe('local frame socket directories of servers that are gone', () => {
  let parent: string;
  let runtimeBefore: string | undefined;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'screencap-runtime-'));
    runtimeBefore = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = parent;
  });
  afterEach(() => {
    if (runtimeBefore === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = runtimeBefore;
    fs.rmSync(parent, { recursive: true, force: true });
  });

  /** A socket directory whose server was killed (SIGKILL) while listening. */
  async function killedServerDirectory(name: string): Promise<string> {
    const directory = path.join(parent, name);
    fs.mkdirSync(directory, { mode: 0o700 });
    const socketPath = path.join(directory, 'frames.sock');
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('ready'))`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await once(child.stdout!, 'data');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    assert.ok(fs.lstatSync(socketPath).isSocket(), 'the killed server left its socket');
    return directory;
  }

  it("the next server to start removes them, and leaves a live server's and anything else alone", async () => {
    const dead = await killedServerDirectory('screencap-frames-dead01');
    // A directory with something besides a socket is not one the server made: left alone.
    const other = await killedServerDirectory('screencap-frames-other1');
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine\n');
    const first = await Fixture.start({ image: RED });
    try {
      const live = path.dirname(first.server.localFrameSocket!.path);
      assert.equal(path.dirname(live), parent, 'made in $XDG_RUNTIME_DIR');
      assert.match(path.basename(live), /^screencap-frames-/);
      assert.equal(fs.existsSync(dead), false, "the killed server's directory is gone");
      assert.equal(fs.existsSync(other), true);
      const second = await Fixture.start({ image: RED });
      try {
        assert.equal(fs.existsSync(live), true, "a live server's directory stays");
        const session = await first.call(first.capture, first.capture.openSession, { clientName: 'test' });
        assert.equal(session.localFrameSocket, first.server.localFrameSocket!.path, 'and its socket still serves');
        const connection = await Connection.open(first);
        connection.socket.end();
        await connection.closed;
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });
});

describe('local frame socket of a server with a bearer token', () => {
  const TOKEN = 'a-token-of-at-least-16-characters';
  let fx: Fixture;
  beforeEach(async () => {
    fx = await Fixture.start({ image: RED, token: TOKEN });
    fx.clock.tick();
    await settle(10);
  });
  afterEach(() => fx.stop());

  it("serves a first request that carries the server's token, and refuses one without it or with another", async () => {
    const { sessionId } = await fx.configuredSession(2);
    for (const [authorization, reason] of [
      ['', /requires "authorization: Bearer <token>"/],
      ['Bearer not-the-token-at-all', /not the server's/],
    ] as const) {
      const refused = await Connection.open(fx);
      refused.request(sessionId, '', authorization);
      const { status: refusal } = await refused.closed;
      assert.equal(refusal?.code, status.UNAUTHENTICATED, authorization);
      assert.match(refusal!.message, reason);
    }
    const connection = await Connection.open(fx);
    connection.request(sessionId, '', `Bearer ${TOKEN}`);
    const first = await connection.next();
    assert.equal(first.frameNumber, 1);
    // Later requests need not carry it.
    connection.request(sessionId, first.releaseToken);
    await fx.newFrame(GREEN);
    assert.equal((await connection.next()).frameNumber, 2);
    connection.socket.end();
  });
});
