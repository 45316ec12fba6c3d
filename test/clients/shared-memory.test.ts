/** The client library's transports against a real server on loopback: choice, fallback, cleanup. */
import assert from 'node:assert/strict';
import { isFileMappingAvailable } from '../../src/codec/mapped-file';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureClient, CaptureClientError } from '../../src/clients';
import { CaptureServer } from '../../src/server';
import { ImageSource } from '../../src/sources';
import { ManualVsyncClock } from '../../src/scheduler/vsync-clock';
import { patternImage, solidImage } from '../support/images';
import { Fixture, quietLogger, settle } from '../support/fixture';
import { descriptorsOf, mappingsOf } from '../support/shared-memory-files';

const DIRECTORY = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

/** Buffer files of process `pid` still in the directory. */
function filesOf(pid: number): string[] {
  return fs.readdirSync(DIRECTORY).filter((name) => name.startsWith(`screencap-${pid}-`));
}

/** Whether `file` is a buffer file of process `pid`, less those in `besides`. */
const bufferFileOf =
  (pid: number, besides: readonly string[] = []) =>
  (file: string) =>
    file.startsWith(path.join(DIRECTORY, `screencap-${pid}-`)) && !besides.includes(file);

/**
 * This process's mappings of buffer files of process `pid` (all unlinked by now), less those in
 * `besides` (sessions of other tests that were never closed keep theirs).
 */
function mappingsOn(pid: number, besides: readonly string[] = []): string[] {
  return mappingsOf(bufferFileOf(pid, besides));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  // Bounded by the test's timeout; no fixed deadline of its own.
  while (!condition()) await settle(20);
  assert.ok(condition(), what);
}

describe('client library transports', () => {
  before(function () {
    if (!isFileMappingAvailable()) this.skip(); // SHARED_MEMORY maps files through the native addon
  });
  let fx: Fixture;
  let client: CaptureClient;
  beforeEach(async () => {
    fx = await Fixture.start({ image: patternImage(64, 48), limits: { idleTimeoutMs: 400 } });
    fx.clock.tick();
    client = new CaptureClient({ address: fx.server.address });
  });
  afterEach(async () => {
    client.close();
    await fx.stop();
  });

  it('auto uses shared memory on loopback, with the pixels INLINE gives', async () => {
    const shm = await client.openSession();
    const inline = await client.openSession();
    const configuration = { width: 40, height: 30, rotation: 180 as const, pixelFormat: 'bgra8' as const };
    await shm.configure(configuration);
    await inline.configure({ ...configuration, transport: 'inline' });
    assert.equal(shm.transport, 'shared-memory');
    assert.equal(inline.transport, 'inline');
    const [a, b] = await Promise.all([shm.nextFrame(), inline.nextFrame()]);
    assert.equal(a.frameNumber, b.frameNumber);
    assert.deepEqual([a.width, a.height, a.stride, a.pixelFormat], [40, 30, 160, 'bgra8']);
    assert.equal(a.pixels.length, 40 * 30 * 4);
    assert.equal(Buffer.compare(a.pixels, b.pixels), 0);
    await shm.close();
    await inline.close();
  });

  it('frames keep coming through shared memory, each in its buffer until released', async () => {
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, bufferCount: 2, transport: 'shared-memory' });
    const first = await session.nextFrame();
    const firstCopy = Buffer.from(first.pixels);
    await fx.newFrame(solidImage(64, 48, [5, 6, 7]));
    const second = await session.nextFrame();
    assert.notEqual(second.bufferIndex, first.bufferIndex);
    assert.equal(Buffer.compare(first.pixels, firstCopy), 0, 'a held frame keeps its pixels');
    assert.deepEqual([...second.pixels.subarray(0, 4)], [5, 6, 7, 255]);
    await first.release();
    await second.release();
    await session.close();
  });

  it('leaves no file behind: unlinked once the server has it, unmapped with the configuration and the session', async () => {
    const before = mappingsOn(process.pid);
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48, transport: 'shared-memory' });
    assert.deepEqual(filesOf(process.pid), [], 'no name left in the directory');
    assert.equal(mappingsOn(process.pid, before).length, 2, 'the client and the server map it');
    assert.deepEqual(descriptorsOf(bufferFileOf(process.pid)), [], 'and neither holds a descriptor');
    const frame = await session.nextFrame();
    assert.equal(frame.pixels.length, 64 * 48 * 4);
    await frame.release();
    await session.configure({ width: 32, height: 24, transport: 'shared-memory' });
    assert.equal(mappingsOn(process.pid, before).length, 2, 'the earlier collection is unmapped on both sides');
    assert.equal(frame.pixels.length, 0, 'a frame of the earlier configuration is empty, not dangling');
    await session.close();
    await until(() => mappingsOn(process.pid, before).length === 0, "the session's file is unmapped on both sides");
  });

  it('a crashed client leaves no file, and the server lets go when the session expires', async function () {
    const child = spawn(process.execPath, [path.join(__dirname, 'shared-memory-child.js'), fx.server.address], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    const exited = new Promise((resolve) => child.on('close', resolve));
    await until(() => /READY \d+/.test(output) || child.exitCode !== null, 'the child got a frame');
    assert.match(output, /READY 1/);
    const pid = child.pid!;
    assert.deepEqual(filesOf(pid), [], 'the name is gone while the client still runs');
    assert.equal(mappingsOn(pid).length, 1, 'the server maps the file');
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(filesOf(pid), []);
    await until(() => mappingsOn(pid).length === 0, 'the server unmapped the file when the session expired');
  });

  it('auto falls back to INLINE when the server refuses shared memory; shared-memory then fails', async () => {
    const before = mappingsOn(process.pid);
    const refusing = await Fixture.start({ image: solidImage(64, 48, [1, 2, 3]), sharedMemory: false });
    refusing.clock.tick();
    const other = new CaptureClient({ address: refusing.server.address });
    try {
      const session = await other.openSession();
      await session.configure({ width: 64, height: 48 });
      assert.equal(session.transport, 'inline');
      const frame = await session.nextFrame();
      assert.deepEqual([...frame.pixels.subarray(0, 4)], [1, 2, 3, 255]);
      assert.deepEqual(filesOf(process.pid), [], 'the refused file is gone');
      const error = await session.configure({ width: 64, height: 48, transport: 'shared-memory' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof CaptureClientError);
      assert.equal(error.field, 'transport');
      assert.equal(session.transport, 'inline', 'the failed configure changed nothing');
      await frame.release(); // a token of the configuration still in place
    } finally {
      other.close();
      await refusing.stop();
    }
    assert.deepEqual(mappingsOn(process.pid, before), [], 'every buffer file of the test is unmapped');
  });

  it('a configure the server refuses closes the new buffers and keeps the old configuration', async () => {
    const before = mappingsOn(process.pid);
    const session = await client.openSession();
    await session.configure({ width: 64, height: 48 });
    const error = await session.configure({ width: 0, height: 48 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof CaptureClientError && error.field === 'image_size.width');
    assert.equal(mappingsOn(process.pid, before).length, 2, "only the first configuration's file is mapped");
    assert.equal((await session.nextFrame()).frameNumber, 1);
    await session.close();
  });

  it('auto uses INLINE without asking when the address is not loopback', async function () {
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!address) this.skip();
    const server = await CaptureServer.start({
      source: ImageSource.fromPixels(solidImage(64, 48, [4, 5, 6])),
      listen: '0.0.0.0:0',
      insecure: true,
      vsync: new ManualVsyncClock(),
      logger: quietLogger,
    });
    const remote = new CaptureClient({ address: `${address}:${server.address.split(':').pop()}` });
    try {
      const session = await remote.openSession();
      await session.configure({ width: 64, height: 48 });
      assert.equal(session.transport, 'inline');
      await session.close();
    } finally {
      remote.close();
      await server.stop(500);
    }
  });
});
