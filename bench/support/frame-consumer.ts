/**
 * One capture client's loop in the capture benchmark, and what it counts: frames, skipped
 * frames, bytes, and latch-to-client latency inside the measurement window. Shared by the rows
 * whose clients run in the benchmark's own process and those whose clients run in a child
 * process (capture-clients-process.ts).
 */
import { setMaxListeners } from 'node:events';
import { CaptureClient, type CaptureSession } from '../../src/clients';

export interface ClientStats {
  frames: number;
  /** Frames latched in the window that this client never received. */
  skipped: number;
  bytes: number;
  /** Image bytes the replies carried (CapturedFrame.transferBytes). */
  wireBytes: number;
  /** Frame number of the last frame received, inside the window or not; 0 before the first. */
  lastFrame: number;
  /** What the first frame in the window is compared with to count the skipped ones. */
  baselineFrame: number;
  latenciesMs: number[];
}

/** The measurement window on the monotonic clock; frames received outside it are not counted. */
export interface Window {
  startNs?: bigint;
  endNs?: bigint;
  /** The newest frame when the window opened. */
  latchedAtStart: number;
}

export function emptyStats(): ClientStats {
  return { frames: 0, skipped: 0, bytes: 0, wireBytes: 0, lastFrame: 0, baselineFrame: 0, latenciesMs: [] };
}

/**
 * Takes frames until `signal` aborts, counting those received inside `window`. Latency is from
 * the frame's latch (captureMonotonicNs, the server's process.hrtime.bigint()) to the moment the
 * iterator hands it over, on this process's process.hrtime.bigint(): CLOCK_MONOTONIC on Linux,
 * one clock for every process of the machine.
 */
export async function consume(
  session: CaptureSession,
  stats: ClientStats,
  window: Window,
  expectedBytes: number,
  signal: AbortSignal,
): Promise<void> {
  for await (const frame of session.frames({ signal })) {
    const receivedNs = process.hrtime.bigint();
    if (frame.pixels.length !== expectedBytes) {
      throw new Error(`frame ${frame.frameNumber} has ${frame.pixels.length} bytes of pixels, expected ${expectedBytes}`);
    }
    const inWindow =
      window.startNs !== undefined && receivedNs >= window.startNs && (window.endNs === undefined || receivedNs < window.endNs);
    if (inWindow) {
      if (stats.frames === 0) {
        // A slow client may get its first frame ever inside the window; frames latched before
        // the window opened are not counted against it either way.
        stats.baselineFrame = Math.max(stats.lastFrame, window.latchedAtStart);
      }
      stats.frames++;
      stats.bytes += frame.pixels.length;
      stats.wireBytes += frame.transferBytes ?? 0;
      stats.latenciesMs.push(Number(receivedNs - frame.captureMonotonicNs) / 1e6);
      stats.skipped += Math.max(0, frame.frameNumber - stats.baselineFrame - 1);
      stats.baselineFrame = frame.frameNumber;
    }
    stats.lastFrame = frame.frameNumber;
  }
}

/** What every client of a row asks for. */
export interface ClientsSettings {
  address: string;
  width: number;
  height: number;
  transport: 'inline' | 'shared-memory';
  inlineEncoding: 'full' | 'damage-rects';
  count: number;
  /** Bound on each setup and teardown call. */
  callTimeoutMs: number;
}

/** A row's clients, taking frames. */
export interface RunningClients {
  readonly stats: readonly ClientStats[];
  /** Set by the caller to open and close the measurement window. */
  readonly window: Window;
  /** Ends the loops and closes the sessions; resolves to what failed, if anything. */
  stop(teardownMs: number): Promise<string[]>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves to 'timeout' if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens `settings.count` sessions, each with a CaptureClient of its own as separate programs
 * would have (grpc-js may still multiplex them over one connection, since their channel options
 * are identical), configures them, and starts their loops. Throws when a session cannot be
 * opened or configured, or gets another transport than asked for.
 */
export async function startClients(settings: ClientsSettings): Promise<RunningClients> {
  const clients = Array.from({ length: settings.count }, () => new CaptureClient({ address: settings.address }));
  const sessions: CaptureSession[] = [];
  const controller = new AbortController();
  // Every client's pending call listens on the one signal: that is not a leak.
  setMaxListeners(settings.count + 10, controller.signal);
  const errors: string[] = [];
  const closeAll = async (teardownMs: number) => {
    controller.abort();
    const closed = await within(
      Promise.allSettled(sessions.map((session) => session.close({ timeoutMs: settings.callTimeoutMs }))),
      teardownMs,
    );
    if (closed === 'timeout') errors.push(`sessions did not close within ${teardownMs} ms`);
    else for (const outcome of closed) if (outcome.status === 'rejected') errors.push(`CloseSession: ${errorText(outcome.reason)}`);
    for (const client of clients) client.close();
  };
  const window: Window = { latchedAtStart: 0 };
  const stats: ClientStats[] = [];
  let loops: Promise<void>[] = [];
  try {
    const opened = await Promise.allSettled(
      clients.map((client, i) => client.openSession({ clientName: `bench-${i + 1}`, timeoutMs: settings.callTimeoutMs })),
    );
    for (const outcome of opened) {
      if (outcome.status === 'fulfilled') sessions.push(outcome.value);
      else throw new Error(`OpenSession: ${errorText(outcome.reason)}`);
    }
    await Promise.all(
      sessions.map((session) =>
        session.configure(
          {
            width: settings.width,
            height: settings.height,
            pixelFormat: 'rgba8',
            bufferCount: 2,
            transport: settings.transport,
            inlineEncoding: settings.inlineEncoding,
          },
          { timeoutMs: settings.callTimeoutMs },
        ),
      ),
    );
    const used = sessions.find((session) => session.transport !== settings.transport);
    if (used) throw new Error(`asked for ${settings.transport}, got ${used.transport}`);
    const expectedBytes = settings.width * settings.height * 4;
    stats.push(...sessions.map(() => emptyStats()));
    loops = sessions.map((session, i) =>
      consume(session, stats[i]!, window, expectedBytes, controller.signal).catch((error: unknown) => {
        errors.push(`client ${i + 1}: ${errorText(error)}`);
      }),
    );
  } catch (error) {
    await closeAll(settings.callTimeoutMs);
    throw error;
  }
  return {
    stats,
    window,
    async stop(teardownMs: number): Promise<string[]> {
      controller.abort();
      if ((await within(Promise.all(loops), teardownMs)) === 'timeout') {
        errors.push(`clients did not stop within ${teardownMs} ms of the end of the row`);
      }
      await closeAll(teardownMs);
      return errors;
    },
  };
}
