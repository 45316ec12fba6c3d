/**
 * The Go client in examples/go, built as docs/clients.md builds it (build.sh: Debian's Go and
 * its gRPC and protobuf packages, offline), against a real `screencap serve` showing a 1080p
 * picture.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES, readPng, runProgram, servePicture, takesSuccessiveFrames, type ServedPicture } from '../support/example-clients';

describe('the Go client example (examples/go)', function () {
  // The first build compiles grpc-go from Debian's sources: a minute or more on a busy machine.
  this.timeout(600_000);
  let dir: string;
  let program: string;
  let served: ServedPicture | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'screencap-go-'));
    program = join(dir, 'grabframe');
    const build = await runProgram(join(EXAMPLES, 'go', 'build.sh'), [program], { timeoutMs: 540_000 });
    assert.equal(build.code, 0, build.stderr);
    served = await servePicture(dir);
  });
  after(async () => {
    await served?.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const grabFrame = (args: string[], address = served!.server.address) => runProgram(program, ['-server', address, ...args], { timeoutMs: 60_000 });

  for (const transport of ['inline', 'shared-memory']) {
    it(`takes a 1080p frame (${transport}) and writes a PNG with the TypeScript client's pixels`, async () => {
      const out = join(dir, `${transport}.png`);
      const result = await grabFrame(['-transport', transport, '-out', out]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^${out}: 1920x1080, frame \\d+\\n$`));
      const png = await readPng(out);
      assert.deepEqual([png.width, png.height], [1920, 1080]);
      assert.ok(png.pixels.equals(served!.reference), 'the PNG holds the frame the TypeScript client took');
    });
  }

  it('takes successive frames from a moving screen, releasing each (hanging get, one buffer)', async () => {
    await takesSuccessiveFrames(dir, (address, out) => grabFrame(['-size', '320x180', '-frames', '3', '-out', out], address));
  });

  it("with gRPC's default 4 MiB receive limit, Configure refuses INLINE 1080p saying how large, the limit and the fix", async () => {
    const out = join(dir, 'too-large.png');
    const result = await grabFrame(['-max-receive-bytes', String(4 * 1024 * 1024), '-out', out]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stderr,
      /^grabframe: InvalidArgument: INVALID_ARGS: image_size: 1920x1080 INLINE frames make GetNextFrame replies of up to 8295424 bytes \(8294400 of pixels\), more than the client's max_receive_message_length of 4194304 \(4 MiB, gRPC's default\): raise the channel's max receive message length to at least 8295424 and declare it here, use a SHARED_MEMORY collection \(on the server's machine\), or configure at most 1365x768\n$/,
    );
    assert.equal(existsSync(out), false, 'no PNG is written');
  });
});
