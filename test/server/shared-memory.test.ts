/**
 * The SHARED_MEMORY transport over real gRPC on loopback, with buffer files made the way a
 * client would make them: what the server accepts, what it refuses (and that a refusal changes
 * nothing), where the pixels land, and that the server lets go of the file.
 */
import assert from 'node:assert/strict';
import { isFileMappingAvailable } from '../../src/codec/mapped-file';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { AllocatorClient, BufferTransport } from '../../src/gen/screencapture/v1/allocator.pb';
import { PixelFormat, Rotation, ScreenCaptureClient, type FrameInfo } from '../../src/gen/screencapture/v1/screen_capture.pb';
import { callUnary } from '../../src/clients/unary-call';
import { CaptureServer } from '../../src/server';
import { SharedMemoryFile } from '../../src/server/shared-memory';
import { ImageSource } from '../../src/sources';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { patternImage, pixelAt, solidImage } from '../support/images';
import { Fixture, quietLogger, rejectsWith, settle, track } from '../support/fixture';
import { descriptorsOf, mappingsOf } from '../support/shared-memory-files';

const DIRECTORY = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const FRAME_BYTES = 64 * 48 * 4;

/** A buffer file as a client makes it: private, unique, sized. */
function bufferFile(bytes: number, options: { name?: string; mode?: number; directory?: string } = {}): string {
  const file = path.join(options.directory ?? DIRECTORY, options.name ?? `screencap-test-${randomBytes(8).toString('hex')}`);
  fs.writeFileSync(file, Buffer.alloc(0), { mode: options.mode ?? 0o600, flag: 'wx' });
  fs.chmodSync(file, options.mode ?? 0o600); // the umask may have taken bits off
  fs.truncateSync(file, bytes);
  return file;
}

/** Descriptors of this process open on `file`. */
function openDescriptors(file: string): number {
  return descriptorsOf((target) => target === file).length;
}

/** Mappings of `file` in this process (the server's). */
function mappings(file: string): number {
  return mappingsOf((target) => target === file).length;
}

describe('SHARED_MEMORY transport', () => {
  before(function () {
    if (!isFileMappingAvailable()) this.skip(); // SHARED_MEMORY maps files through the native addon
  });
  let fx: Fixture;
  let files: string[];
  const made = (file: string) => {
    files.push(file);
    return file;
  };

  beforeEach(async () => {
    fx = await Fixture.start({ image: patternImage(64, 48) });
    fx.clock.tick();
    await settle(10);
    files = [];
  });
  afterEach(async () => {
    await fx.stop();
    for (const file of files) fs.rmSync(file, { force: true, recursive: true });
  });

  const register = (sessionId: string, bufferCount: number, sharedMemory: { path: string; bufferSize: number } | undefined) =>
    fx.call(fx.allocator, fx.allocator.registerBufferCollection, {
      sessionId,
      bufferCount,
      transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
      sharedMemory: sharedMemory && { path: sharedMemory.path, bufferSize: String(sharedMemory.bufferSize) },
    });

  const collectionsOf = (sessionId: string) => fx.server.manager.session(sessionId).collections.size;

  it("writes each frame into the client's buffer; the reply carries where, and no pixels", async () => {
    const sessionId = await fx.openSession();
    const file = made(bufferFile(2 * FRAME_BYTES));
    const { importToken } = await register(sessionId, 2, { path: file, bufferSize: FRAME_BYTES });
    await fx.configure(sessionId, importToken);
    const first = await fx.getNextFrame(sessionId);
    assert.equal(first.pixels.length, 0, 'no pixels in the reply');
    assert.equal(first.bufferIndex, 0);
    assert.equal(first.bufferOffset, 0);
    const contents = fs.readFileSync(file);
    assert.equal(Buffer.compare(contents.subarray(0, FRAME_BYTES), patternImage(64, 48).pixels), 0, 'buffer 0 holds the frame');

    // While buffer 0 is held the next frame goes into buffer 1, and buffer 0 is left alone.
    await fx.newFrame(solidImage(64, 48, [1, 2, 3]));
    const second = await fx.getNextFrame(sessionId);
    assert.equal(second.bufferIndex, 1);
    assert.equal(second.bufferOffset, FRAME_BYTES);
    const after = fs.readFileSync(file);
    assert.equal(Buffer.compare(after.subarray(0, FRAME_BYTES), contents.subarray(0, FRAME_BYTES)), 0, 'the held buffer is untouched');
    assert.deepEqual(pixelAt(after.subarray(FRAME_BYTES), 64, 7, 7), [1, 2, 3, 255]);
  });

  it('gives the same pixels as INLINE for the same frame (rotated, scaled, BGRA)', async () => {
    const options = { width: 24, height: 32, rotation: Rotation.ROTATION_CW_90_DEGREES, format: PixelFormat.PIXEL_FORMAT_BGRA8 };
    const inline = await fx.configuredSession(1, options);
    const shmSession = await fx.openSession();
    const bytes = 24 * 32 * 4;
    const file = made(bufferFile(bytes));
    const { importToken } = await register(shmSession, 1, { path: file, bufferSize: bytes });
    await fx.configure(shmSession, importToken, options);
    const [viaInline, viaShm] = await Promise.all([fx.getNextFrame(inline.sessionId), fx.getNextFrame(shmSession)]);
    assert.equal(viaInline.frameNumber, viaShm.frameNumber);
    assert.equal(viaInline.pixels.length, bytes);
    assert.equal(Buffer.compare(fs.readFileSync(file), viaInline.pixels), 0);
  });

  it('refuses bad files with INVALID_ARGS naming the field, and registers nothing', async () => {
    const sessionId = await fx.openSession();
    const good = made(bufferFile(FRAME_BYTES));
    const cases: [string, { path: string; bufferSize: number }][] = [
      ['relative path', { path: path.basename(good), bufferSize: FRAME_BYTES }],
      ['not normalised', { path: `${DIRECTORY}/../${DIRECTORY}/${path.basename(good)}`, bufferSize: FRAME_BYTES }],
      ['no such file', { path: `${DIRECTORY}/screencap-test-missing-${randomBytes(4).toString('hex')}`, bufferSize: FRAME_BYTES }],
      ['outside the allowed directories', { path: '/etc/passwd', bufferSize: FRAME_BYTES }],
    ];
    const wrongName = made(bufferFile(FRAME_BYTES, { name: `other-${randomBytes(8).toString('hex')}` }));
    cases.push(['a name without the prefix', { path: wrongName, bufferSize: FRAME_BYTES }]);
    const link = made(path.join(DIRECTORY, `screencap-test-link-${randomBytes(8).toString('hex')}`));
    fs.symlinkSync(good, link);
    cases.push(['a symbolic link', { path: link, bufferSize: FRAME_BYTES }]);
    const directory = made(path.join(DIRECTORY, `screencap-test-dir-${randomBytes(8).toString('hex')}`));
    fs.mkdirSync(directory);
    cases.push(['a directory', { path: directory, bufferSize: FRAME_BYTES }]);
    const shared = made(bufferFile(FRAME_BYTES, { mode: 0o644 }));
    cases.push(['readable by others', { path: shared, bufferSize: FRAME_BYTES }]);
    const small = made(bufferFile(FRAME_BYTES - 1));
    cases.push(['too small', { path: small, bufferSize: FRAME_BYTES }]);

    for (const [what, sharedMemory] of cases) {
      const error = await rejectsWith(register(sessionId, 1, sharedMemory), 'INVALID_ARGS', 'shared_memory.path');
      assert.ok(error.reason, `${what}: a reason`);
    }
    const symlinkError = await rejectsWith(register(sessionId, 1, { path: link, bufferSize: FRAME_BYTES }), 'INVALID_ARGS');
    assert.match(symlinkError.reason!, /symbolic link/);
    const smallError = await rejectsWith(register(sessionId, 2, { path: good, bufferSize: FRAME_BYTES }), 'INVALID_ARGS');
    assert.match(smallError.reason!, /less than buffer_count x buffer_size/);

    await rejectsWith(register(sessionId, 1, undefined), 'MISSING_ARGS', 'shared_memory');
    await rejectsWith(register(sessionId, 1, { path: '', bufferSize: FRAME_BYTES }), 'MISSING_ARGS', 'shared_memory.path');
    await rejectsWith(register(sessionId, 1, { path: good, bufferSize: 0 }), 'MISSING_ARGS', 'shared_memory.buffer_size');
    await rejectsWith(register(sessionId, 1, { path: good, bufferSize: 2 ** 40 }), 'INVALID_ARGS', 'shared_memory.buffer_size');
    await rejectsWith(
      fx.call(fx.allocator, fx.allocator.registerBufferCollection, {
        sessionId,
        bufferCount: 1,
        transport: BufferTransport.BUFFER_TRANSPORT_INLINE,
        sharedMemory: { path: good, bufferSize: String(FRAME_BYTES) },
      }),
      'INVALID_ARGS',
      'shared_memory',
    );
    assert.equal(collectionsOf(sessionId), 0, 'no collection was registered');
    assert.equal(openDescriptors(good) + openDescriptors(small) + openDescriptors(shared), 0, 'no file left open');
  });

  it('Configure refuses an image that does not fit the buffers, and changes nothing', async () => {
    const sessionId = await fx.openSession();
    const file = made(bufferFile(FRAME_BYTES));
    const { importToken } = await register(sessionId, 1, { path: file, bufferSize: FRAME_BYTES });
    await fx.configure(sessionId, importToken);
    const first = await fx.getNextFrame(sessionId);
    const error = await rejectsWith(fx.configure(sessionId, importToken, { width: 65, height: 48 }), 'INVALID_ARGS', 'image_size');
    assert.match(error.reason!, /65x48 needs .* 12480 bytes per buffer; .* hold 12288/);
    // Still the first configuration: its token is good, and smaller sizes fit.
    await fx.release(sessionId, first.releaseToken);
    await fx.configure(sessionId, importToken, { width: 32, height: 24 });
    const small = await fx.getNextFrame(sessionId);
    assert.deepEqual(small.imageSize, { width: 32, height: 24 });
    assert.equal(small.stride, 128);
  });

  it('maps the file (holding no descriptor) and unmaps it when the collection is released or the session closes', async () => {
    const sessionId = await fx.openSession();
    const a = made(bufferFile(FRAME_BYTES));
    const b = made(bufferFile(FRAME_BYTES));
    const first = await register(sessionId, 1, { path: a, bufferSize: FRAME_BYTES });
    await register(sessionId, 1, { path: b, bufferSize: FRAME_BYTES });
    assert.equal(mappings(a), 1, 'the server maps the file');
    assert.equal(openDescriptors(a) + openDescriptors(b), 0, 'and closes it once mapped');
    await fx.configure(sessionId, first.importToken);
    await fx.getNextFrame(sessionId);
    await fx.call(fx.allocator, fx.allocator.releaseBufferCollection, { sessionId, importToken: first.importToken });
    assert.equal(mappings(a), 0, 'released: unmapped');
    assert.equal(mappings(b), 1);
    await fx.call(fx.capture, fx.capture.closeSession, { sessionId });
    assert.equal(mappings(b), 0, 'session closed: unmapped');
  });

  it('unmaps on server stop', async () => {
    const own = await Fixture.start({ image: patternImage(64, 48) });
    try {
      own.clock.tick();
      const sessionId = await own.openSession();
      const file = made(bufferFile(FRAME_BYTES));
      const { importToken } = await own.call(own.allocator, own.allocator.registerBufferCollection, {
        sessionId,
        bufferCount: 1,
        transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
        sharedMemory: { path: file, bufferSize: String(FRAME_BYTES) },
      });
      await own.configure(sessionId, importToken);
      await own.getNextFrame(sessionId);
      assert.equal(mappings(file), 1);
      await own.stop();
      assert.equal(mappings(file), 0, 'server stopped: unmapped');
    } finally {
      await own.stop();
    }
  });

  it('unmaps only after the writes under way, however early the collection goes', () => {
    const file = made(bufferFile(2 * FRAME_BYTES));
    const mapped = SharedMemoryFile.open({ path: file, bufferSize: String(FRAME_BYTES) }, 2, '127.0.0.1:5000');
    const view = mapped.buffer(1);
    const done = mapped.beginWrite();
    mapped.close();
    assert.equal(mappings(file), 1, 'still mapped while a write is under way');
    view.fill(7);
    assert.equal(fs.readFileSync(file)[FRAME_BYTES], 7, 'the write lands in the file');
    done();
    assert.equal(mappings(file), 0, 'unmapped when it ends');
    assert.equal(view.length, 0, 'and the view of it is empty, not dangling');
    assert.throws(() => mapped.buffer(0), /closed/);
    assert.throws(() => mapped.beginWrite(), /closed/);
  });

  it("writes into one buffer take turns, other buffers' do not wait, and the mapping stays for the queued ones", async () => {
    const file = made(bufferFile(2 * FRAME_BYTES));
    const mapped = SharedMemoryFile.open({ path: file, bufferSize: String(FRAME_BYTES) }, 2, '127.0.0.1:5000');
    // Taken beforehand, as a write under way holds its buffer's memory (close() then refuses new ones).
    const view = mapped.buffer(0);
    const order: string[] = [];
    let finishFirst!: () => void;
    const first = mapped.inTurn(0, async () => {
      order.push('first starts');
      await new Promise<void>((resolve) => (finishFirst = resolve));
      view.fill(1);
      order.push('first ends');
    });
    const second = mapped.inTurn(0, async () => {
      order.push('second starts');
      view.fill(2);
    });
    const other = mapped.inTurn(1, async () => {
      order.push('other buffer');
    });
    await other;
    await settle(10);
    assert.deepEqual(order, ['first starts', 'other buffer'], 'the second write into buffer 0 waits for the first');
    mapped.close();
    assert.equal(mappings(file), 1, 'closed with writes pending: still mapped');
    finishFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first starts', 'other buffer', 'first ends', 'second starts']);
    assert.equal(fs.readFileSync(file)[0], 2, 'the later write is the one that stays');
    assert.equal(mappings(file), 0, 'unmapped once the last write ended');
  });

  it('works from a file unlinked right after registering, like an anonymous VMO', async () => {
    const sessionId = await fx.openSession();
    const file = bufferFile(FRAME_BYTES);
    const fd = fs.openSync(file, 'r');
    try {
      const { importToken } = await register(sessionId, 1, { path: file, bufferSize: FRAME_BYTES });
      fs.unlinkSync(file);
      await fx.configure(sessionId, importToken);
      const frame = await fx.getNextFrame(sessionId);
      const pixels = Buffer.alloc(FRAME_BYTES);
      fs.readSync(fd, pixels, 0, FRAME_BYTES, frame.bufferOffset);
      assert.equal(Buffer.compare(pixels, patternImage(64, 48).pixels), 0);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('keeps the hanging-get rules: a second call is BAD_HANGING_GET, a full set of held buffers waits', async () => {
    const sessionId = await fx.openSession();
    const file = made(bufferFile(FRAME_BYTES));
    const { importToken } = await register(sessionId, 1, { path: file, bufferSize: FRAME_BYTES });
    await fx.configure(sessionId, importToken);
    const first: FrameInfo = await fx.getNextFrame(sessionId);
    const waiting = track(fx.getNextFrame(sessionId));
    await rejectsWith(fx.getNextFrame(sessionId), 'BAD_HANGING_GET');
    await fx.newFrame(solidImage(64, 48, [9, 9, 9]));
    assert.equal(waiting.settled, false, 'the only buffer is held: the call waits');
    assert.deepEqual(
      pixelAt(fs.readFileSync(file), 64, 0, 0),
      pixelAt(patternImage(64, 48).pixels, 64, 0, 0),
      'and the held buffer is not written',
    );
    await fx.release(sessionId, first.releaseToken);
    const second = await waiting.promise;
    assert.equal(second.frameNumber, 2);
    assert.deepEqual(pixelAt(fs.readFileSync(file), 64, 0, 0), [9, 9, 9, 255]);
  });

  describe('from a peer that is not on loopback', () => {
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    let server: CaptureServer;
    let allocator: AllocatorClient;
    let capture: ScreenCaptureClient;
    before(async function () {
      if (!address) this.skip(); // a machine with loopback only has no such peer
      server = await CaptureServer.start({
        source: ImageSource.fromPixels(solidImage(64, 48, [1, 1, 1])),
        listen: '0.0.0.0:0',
        insecure: true,
        vsync: new ManualVsyncClock(),
        logger: quietLogger,
      });
      const port = server.address.split(':').pop();
      allocator = new AllocatorClient(`${address}:${port}`, credentials.createInsecure());
      capture = new ScreenCaptureClient(`${address}:${port}`, credentials.createInsecure());
    });
    after(async () => {
      allocator?.close();
      capture?.close();
      await server?.stop(500);
    });

    it('INVALID_ARGS on transport, before the file is even looked at', async () => {
      const { sessionId } = await callUnary(capture, capture.openSession, { clientName: 'remote' }, undefined);
      const file = made(bufferFile(FRAME_BYTES));
      const error = await rejectsWith(
        callUnary(
          allocator,
          allocator.registerBufferCollection,
          {
            sessionId,
            bufferCount: 1,
            transport: BufferTransport.BUFFER_TRANSPORT_SHARED_MEMORY,
            sharedMemory: { path: file, bufferSize: String(FRAME_BYTES) },
          },
          undefined,
        ),
        'INVALID_ARGS',
        'transport',
      );
      assert.match(error.reason!, new RegExp(`loopback; this call comes from ${address!.replace(/\./g, '\\.')}`));
      assert.equal(openDescriptors(file), 0);
      assert.equal(server.manager.session(sessionId).collections.size, 0);
    });
  });
});
