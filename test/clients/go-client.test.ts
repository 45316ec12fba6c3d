/**
 * The Go client in examples/go, built as docs/clients.md builds it (build.sh: Debian's Go and
 * its gRPC and protobuf packages, offline), against a real `screencap serve` showing a 1080p
 * picture.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES, exampleClientCases, runProgram, servePicture, type ServedPicture } from '../support/example-clients';

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

  exampleClientCases({
    dir: () => dir,
    served: () => served!,
    run: (args, address) => runProgram(program, ['-server', address, ...args], { timeoutMs: 60_000 }),
    flag: (name) => `-${name}`,
    statusPrefix: 'grabframe: InvalidArgument: ',
  });
});
