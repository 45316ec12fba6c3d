/**
 * A program that takes a few frames with nextFrame() (so on the session's stream), releases them,
 * and then either closes its client ('close-client') or closes nothing ('close-nothing'), as
 * careless programs do: either way it must exit on its own. Prints "TOOK <n>" first. The third
 * argument is the transport (default inline; shared-memory takes them on the local frame socket).
 */
import { CaptureClient } from '../../src/clients';

async function run(address: string, ending: string, transport: 'inline' | 'shared-memory'): Promise<void> {
  const client = new CaptureClient({ address });
  const session = await client.openSession({ clientName: 'exiting' });
  await session.configure({ width: 64, height: 48, bufferCount: 2, transport });
  let taken = 0;
  // The test latches a new frame every few milliseconds meanwhile.
  for (let i = 0; i < 3; i++) {
    const frame = await session.nextFrame();
    await frame.release();
    taken++;
  }
  process.stdout.write(`TOOK ${taken}\n`);
  if (ending === 'close-client') client.close();
}

run(process.argv[2]!, process.argv[3]!, (process.argv[4] ?? 'inline') as 'inline' | 'shared-memory').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
