/**
 * For the tests of the clients in other languages (examples/): a real `screencap serve` showing
 * a 1080p still picture whose every pixel differs, the frame the TypeScript client takes of it,
 * and what it takes to run an example and read the PNG it wrote.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { CaptureClient } from '../../src/clients';
import { ServeProcess } from './cli-process';
import { patternImage } from './images';

export const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

export interface ServedPicture {
  readonly server: ServeProcess;
  /** The frame the TypeScript client took: 1920 x 1080, RGBA, rows packed. */
  readonly reference: Buffer;
}

/** Serves a 1920 x 1080 picture from `dir` and takes the reference frame of it, INLINE. */
export async function servePicture(dir: string): Promise<ServedPicture> {
  const picture = patternImage(1920, 1080);
  const file = join(dir, 'picture.png');
  await sharp(picture.pixels, { raw: { width: 1920, height: 1080, channels: 4 } })
    .png()
    .toFile(file);
  const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--source', `image:${file}`]);
  const client = new CaptureClient({ address: server.address });
  try {
    const session = await client.openSession({ clientName: 'reference' });
    await session.configure({ width: 1920, height: 1080, pixelFormat: 'rgba8', transport: 'inline' });
    const frame = await session.nextFrame({ timeoutMs: 10_000 });
    const reference = Buffer.from(frame.pixels);
    await frame.release();
    await session.close();
    assert.ok(reference.equals(picture.pixels), 'the server shows the picture unchanged');
    return { server, reference };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.close();
  }
}

type ProgramResult = Awaited<ReturnType<typeof runProgram>>;

/**
 * Has an example take three frames of the built-in (animated) desktop at 320 x 180 with one
 * buffer (`takeThree(address, out)` runs it so), and checks that it wrote the third: each frame
 * after the first waits for the screen to change, and with one buffer it comes only once the
 * previous one was released.
 */
export async function takesSuccessiveFrames(
  dir: string,
  takeThree: (address: string, out: string) => Promise<ProgramResult>,
): Promise<void> {
  const server = await ServeProcess.start(['--listen', '127.0.0.1:0', '--size', '320x180']);
  try {
    const out = join(dir, 'third.png');
    const result = await takeThree(server.address, out);
    assert.equal(result.code, 0, result.stderr);
    const reported = new RegExp(`^${out}: 320x180, frame (\\d+)\\n$`).exec(result.stdout);
    assert.ok(reported, result.stdout);
    // Frames are numbered from 1 and each of the three was later than the one before.
    assert.ok(Number(reported[1]) >= 3, `the third frame is number ${reported[1]}`);
    const png = await readPng(out);
    assert.deepEqual([png.width, png.height], [320, 180]);
  } finally {
    await server.stop();
  }
}

/** A PNG's size and its pixels as RGBA. */
export async function readPng(file: string): Promise<{ width: number; height: number; pixels: Buffer }> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: data };
}

/**
 * Runs a program to its end and resolves with its exit code and output (never rejects for a
 * failing exit). A program still running after `timeoutMs` is killed (by its pid).
 */
export function runProgram(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...options.env }, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr: error && code === null ? `${stderr}\n${error.message}` : stderr });
      },
    );
  });
}

/** One language's example, as the cases every example must pass see it. */
export interface ExampleClient {
  /** The test's temporary folder and the picture served (set in its before hook). */
  readonly dir: () => string;
  readonly served: () => ServedPicture;
  /** Runs the example with these options (already spelled with `flag`) against `address`. */
  readonly run: (args: string[], address: string) => Promise<ProgramResult>;
  /** An option as the example spells it: '-transport' in Go, '--transport' in Python. */
  readonly flag: (name: string) => string;
  /** How the example prints a status it got: its name and the status as its gRPC library names it. */
  readonly statusPrefix: string;
  /** More checks of the refused Configure's output (Python's: the docs quote it as it is). */
  readonly alsoOnRefusal?: (result: ProgramResult) => void;
}

/** The cases every example passes: 1080p over both transports, successive frames, a refused size. */
export function exampleClientCases(example: ExampleClient): void {
  const { flag } = example;
  const grabFrame = (args: string[]) => example.run(args, example.served().server.address);

  for (const transport of ['inline', 'shared-memory']) {
    it(`takes a 1080p frame (${transport}) and writes a PNG with the TypeScript client's pixels`, async () => {
      const out = join(example.dir(), `${transport}.png`);
      const result = await grabFrame([flag('transport'), transport, flag('out'), out]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^${out}: 1920x1080, frame \\d+\\n$`));
      const png = await readPng(out);
      assert.deepEqual([png.width, png.height], [1920, 1080]);
      assert.ok(png.pixels.equals(example.served().reference), 'the PNG holds the frame the TypeScript client took');
    });
  }

  it('takes successive frames from a moving screen, releasing each (hanging get, one buffer)', async () => {
    await takesSuccessiveFrames(example.dir(), (address, out) =>
      example.run([flag('size'), '320x180', flag('frames'), '3', flag('out'), out], address),
    );
  });

  it("with gRPC's default 4 MiB receive limit, Configure refuses INLINE 1080p saying how large, the limit and the fix", async () => {
    const out = join(example.dir(), 'too-large.png');
    const result = await grabFrame([flag('max-receive-bytes'), String(4 * 1024 * 1024), flag('out'), out]);
    assert.equal(result.code, 1, result.stdout);
    assert.equal(
      result.stderr,
      `${example.statusPrefix}INVALID_ARGS: image_size: 1920x1080 INLINE frames make GetNextFrame replies of up to 8295424 bytes (8294400 of pixels), ` +
        "more than the client's max_receive_message_length of 4194304 (4 MiB, gRPC's default): raise the channel's max receive message length " +
        "to at least 8295424 and declare it here, use a SHARED_MEMORY collection (on the server's machine), or configure at most 1365x768\n",
    );
    assert.equal(existsSync(out), false, 'no PNG is written');
    example.alsoOnRefusal?.(result);
  });
}
