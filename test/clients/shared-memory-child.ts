/**
 * A client that takes a frame over shared memory and then waits to be killed: the crash case of
 * shared-memory.test.ts. Prints "READY <frame number>" once it holds a frame.
 */
import { CaptureClient } from '../../src/clients';

async function run(address: string): Promise<void> {
  const client = new CaptureClient({ address });
  const session = await client.openSession({ clientName: 'crashing' });
  await session.configure({ width: 64, height: 48, transport: 'shared-memory' });
  const frame = await session.nextFrame();
  process.stdout.write(`READY ${frame.frameNumber}\n`);
  setInterval(() => undefined, 60_000); // until SIGKILL
}

run(process.argv[2]!).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
