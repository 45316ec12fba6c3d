/**
 * The capture benchmark's clients in a process of their own, as real SHARED_MEMORY clients (a
 * recorder, a viewer) and most INLINE ones are: forked by the benchmark with the row's client
 * settings (ClientsSettings, as JSON) as its argument, it talks to its parent over the IPC
 * channel:
 *
 *   child  -> parent  { type: 'ready', monotonicNs }   sessions configured, frames flowing;
 *                                                       its clock, to check it is the server's
 *   parent -> child   { type: 'start', latchedAtStart } the measurement window opens
 *   parent -> child   { type: 'end' }                   it closes: the child stops its clients
 *   child  -> parent  { type: 'stats', stats, cpuSeconds, errors } and exits
 *   child  -> parent  { type: 'failed', error }         setting up failed; it exits
 *
 * cpuSeconds is this process's CPU time (all threads) inside the window, which the row adds to
 * the server's.
 */
import { startClients, type ClientsSettings, type ClientStats } from './frame-consumer';

export type ToClients = { type: 'start'; latchedAtStart: number } | { type: 'end'; teardownMs: number };
export type FromClients =
  | { type: 'ready'; monotonicNs: string }
  | { type: 'stats'; stats: ClientStats[]; cpuSeconds: number; errors: string[] }
  | { type: 'failed'; error: string };

function send(message: FromClients): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('capture-clients-process: run by the capture benchmark (fork), with an IPC channel');
  const settings = JSON.parse(process.argv[2] ?? '') as ClientsSettings;
  let clients: Awaited<ReturnType<typeof startClients>>;
  try {
    clients = await startClients(settings);
  } catch (error) {
    await send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  let startCpu: NodeJS.CpuUsage | undefined;
  process.on('message', (message: ToClients) => {
    if (message.type === 'start') {
      clients.window.latchedAtStart = message.latchedAtStart;
      clients.window.startNs = process.hrtime.bigint();
      startCpu = process.cpuUsage();
      return;
    }
    clients.window.endNs = process.hrtime.bigint();
    const used = process.cpuUsage(startCpu);
    void clients.stop(message.teardownMs).then(async (errors) => {
      await send({ type: 'stats', stats: [...clients.stats], cpuSeconds: (used.user + used.system) / 1e6, errors });
      // grpc-js may keep a pooled connection alive for a while: the results are out, so leave.
      process.exit(0);
    });
  });
  await send({ type: 'ready', monotonicNs: String(process.hrtime.bigint()) });
}

main().catch((error: unknown) => {
  process.stderr.write(`capture-clients-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
