/**
 * Fuzzes the SPICE display and cursor channels with seeded mutations of real sessions:
 *   npm run fuzz:spice -- --count 10000 --seed 7 --compression auto_glz,quic,lz
 * (or `node dist/test/support/spice/tools/fuzz-sessions.js ...` after a build). It records a session from
 * a real Xspice per image compression (a drawn scene, ARGB and core cursors), then replays its
 * messages into fresh
 * channels, each time with one message truncated, overwritten or given an unknown type. Every
 * replay must end either normally or with a SpiceProtocolError (a diagnosed refusal, not a
 * TypeError or RangeError from a bug), with no exception escaping and no unhandled rejection, and
 * a truncated drawing or cursor message must be detected. After every RECOVERY_CHECK_EVERY
 * mutations and at the end, the clean session must still replay to the live picture and pointer:
 * nothing a bad message did outlives its channel. test/sources/spice/fuzz.test.ts runs a CI-sized count of
 * the same. Exits 1 when anything was found, printing each finding.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointerState } from '../../../../src/core/pointer';
import { SpiceDisplaySource, SpiceProtocolError } from '../../../../src/sources/spice';
import { CursorChannel } from '../../../../src/sources/spice/cursor/cursor-channel';
import { PointerShapeRegistry } from '../../../../src/sources/spice/cursor/pointer-shapes';
import { DisplayChannel } from '../../../../src/sources/spice/display/display-channel';
import { CursorMsg } from '../../../../src/sources/spice/wire/constants';
import { MessageFramer, type SpiceMessage } from '../../../../src/sources/spice/wire/framing';
import { createLogger } from '../../../../src/util/logger';
import { prng } from '../../prng';
import { FakeConnection } from '../fake-connection';
import { readPcapStreams } from '../pcap-reader';
import { delay, run, waitFor } from '../processes';
import { RecordingSink } from '../recording-sink';
import { Scene, setRoot } from '../scene';
import { Xspice, type XspiceOptions } from '../xspice';

type Compression = NonNullable<XspiceOptions['compression']>;
/** Xspice's SpiceImageCompression values (it refuses lz4, which only a client preference gets). */
const COMPRESSIONS: readonly Compression[] = ['off', 'auto_glz', 'auto_lz', 'quic', 'glz', 'lz'];
/** The tool's sessions by default: the three image codec families Xspice sends on its own. */
const DEFAULT_COMPRESSIONS: readonly Compression[] = ['auto_glz', 'quic', 'lz'];

/** The seeds the test uses, and the tool by default. */
export const DISPLAY_SEED = 20261122;
export const CURSOR_SEED = 20261207;
/** How often a long run checks that the clean session still replays exactly. */
const RECOVERY_CHECK_EVERY = 1000;
/** Message types the mutations invent: 100 plus up to this many (display, cursor). */
const DISPLAY_TYPE_RANGE = 230;
const CURSOR_TYPE_RANGE = 10;
/** Drawing messages: a truncated one must close the channel with a protocol error. */
const DRAW_TYPES = new Set([302, 303, 304, 305, 309, 312, 313, 104, 314]);
const TRUNCATION_DETECTED_CURSOR_TYPES = new Set<number>([CursorMsg.INIT, CursorMsg.SET, CursorMsg.MOVE]);

const silent = createLogger('fuzz', { level: 'silent' });

/** A real session's server-to-client messages and what the live client showed at its end. */
export interface RecordedSession {
  display: SpiceMessage[];
  cursor: SpiceMessage[];
  livePixels: Buffer;
  livePointer: PointerState | undefined;
  /** The session's protocol dump, and the port the server listened on (for tshark). */
  pcapPath: string;
  serverPort: number;
}

/** Server-to-client messages of one channel connection in a dump (after its link handshake). */
function channelMessages(fromServer: Buffer): SpiceMessage[] {
  // Server side of a link: header (16), reply (size from the header), result (4).
  const start = 16 + fromServer.readUInt32LE(12) + 4;
  return new MessageFramer(true).push(fromServer.subarray(start)).filter((m) => m.type >= 100);
}

/**
 * Records a session from a real Xspice into `dir` (its protocol dump stays there): a drawn scene,
 * then cursor channel traffic (ARGB cursors set, moved, replaced, hidden by a core cursor).
 */
export async function recordSession(dir: string, compression: Compression = 'auto_glz'): Promise<RecordedSession> {
  const server = await Xspice.start({ compression, width: 640, height: 480 });
  const source = new SpiceDisplaySource({ host: '127.0.0.1', port: server.port, dumpDir: dir, logger: silent });
  const scene = new Scene(server.env, dir);
  let livePixels: Buffer;
  let livePointer: PointerState | undefined;
  try {
    const sink = new RecordingSink();
    await source.start(sink);
    await waitFor(() => source.surface(), 20000, 'surface');
    await scene.draw();
    for (const [index, file] of ['left_ptr', 'hand2'].entries()) {
      await run('xsetroot', ['-xcf', `/usr/share/icons/Adwaita/cursors/${file}`, '32'], { env: server.env });
      for (let k = 0; k < 3; k++) await run('xdotool', ['mousemove', String(100 + 50 * k), String(80 + 40 * index)], { env: server.env });
    }
    // Then over the bare root (not the scene's windows, whose themed cursors are ARGB), the
    // scene's root again with its blank core cursor: the channel hides the pointer.
    await run('xdotool', ['mousemove', '600', '450'], { env: server.env });
    await setRoot(server.env, dir, '#336699');
    await delay(2500);
    livePixels = Buffer.from(source.surface()!.pixels);
    livePointer = sink.pointers.at(-1);
  } finally {
    await source.stop();
    await scene.stop();
    await server.stop();
  }
  const pcapPath = join(dir, readdirSync(dir).find((f) => f.endsWith('.pcap'))!);
  return { ...dumpedMessages(pcapPath), livePixels, livePointer, pcapPath, serverPort: server.port };
}

/** The display and cursor channels' messages in a session's dump. */
function dumpedMessages(pcapPath: string): Pick<RecordedSession, 'display' | 'cursor'> {
  const streams = readPcapStreams(pcapPath);
  if (streams.length !== 3) throw new Error(`expected main, display and cursor connections in the dump, found ${streams.length}`);
  return { display: channelMessages(streams[1].fromServer), cursor: channelMessages(streams[2].fromServer) };
}

/**
 * A session from a dump kept by an earlier run (to fuzz again what found something): the
 * picture and pointer it ends with are its own clean replay's, there being no live client.
 */
async function sessionFromDump(pcapPath: string): Promise<RecordedSession> {
  const messages = dumpedMessages(pcapPath);
  const { display } = await replay(messages.display);
  const primary = display.primary();
  if (!primary) throw new Error(`${pcapPath}: the display channel creates no primary surface`);
  const { cursor } = replayCursor(messages.cursor);
  return { ...messages, livePixels: Buffer.from(primary.buffer), livePointer: cursor.pointer, pcapPath, serverPort: 0 };
}

/** Replays messages into a fresh display channel; resolves once it has applied all it will. */
export async function replay(messages: SpiceMessage[]) {
  const connection = new FakeConnection();
  const display = new DisplayChannel(
    connection.asConnection,
    { channelId: 0, logger: silent, serverCaps: [], cacheSizePixels: 1 << 24, glzWindowPixels: 1 << 23 },
    { primaryCreated: () => {}, damage: () => {}, mark: () => {} },
  );
  for (const m of messages) {
    if (connection.isClosed) break;
    connection.onMessage(m);
  }
  await waitFor(() => (!display.busy ? true : undefined), 10000, 'the replay', 5);
  return { connection, display };
}

/** Replays messages into a fresh cursor channel; it handles each one synchronously. */
export function replayCursor(messages: SpiceMessage[]) {
  const connection = new FakeConnection();
  const cursor = new CursorChannel(connection.asConnection, silent, new PointerShapeRegistry(), { pointer: () => {} });
  for (const m of messages) connection.deliver(m);
  return { connection, cursor };
}

/**
 * One seeded mutation of one message of `messages`: truncated, bytes or a word overwritten, or its
 * type replaced by one of `typeCount` types from 100. Returns the sequence to replay (the messages
 * before it, the mutant, and a few after) and what was done.
 */
function mutate(random: () => number, messages: SpiceMessage[], typeCount: number) {
  const index = Math.floor(random() * messages.length);
  const original = messages[index];
  const body = Buffer.from(original.body);
  let type = original.type;
  const mode = Math.floor(random() * 4);
  let mutated: Buffer = body;
  if (mode === 0 && body.length > 0) mutated = body.subarray(0, Math.floor(random() * body.length));
  else if (mode === 1)
    for (let k = 0; k < 1 + Math.floor(random() * 8); k++)
      mutated[Math.floor(random() * Math.max(body.length, 1))] = Math.floor(random() * 256);
  else if (mode === 2 && body.length >= 4) mutated.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.floor(random() * (body.length - 3)));
  else type = 100 + Math.floor(random() * typeCount);
  const sequence = messages.slice(0, index).concat({ type, body: mutated }, messages.slice(index + 1, index + 5));
  const truncated = mode === 0 && body.length > 0 && mutated.length < body.length;
  return { sequence, type, truncated, index, mode };
}

export interface FuzzReport {
  mutations: number;
  /** Mutations that closed the channel (with a protocol error, unless listed in findings). */
  closed: number;
  /** Everything wrong, one line each: empty when the channel survived every mutation. */
  findings: string[];
  elapsedMs: number;
}

export interface FuzzRun {
  count: number;
  seed: number;
}

/** What is wrong with how a mutated replay ended; undefined when nothing is. */
function judge(
  i: number,
  closedWith: Error | undefined,
  mutation: { type: number; truncated: boolean; index: number; mode: number },
  mustDetect: boolean,
): string | undefined {
  const what = `mutation ${i} (message ${mutation.index}, type ${mutation.type}, mode ${mutation.mode})`;
  // Every failure is a diagnosed protocol error, not a TypeError/RangeError from a bug.
  if (closedWith !== undefined && !(closedWith instanceof SpiceProtocolError)) return `${what}: closed with ${closedWith.stack}`;
  if (mustDetect && !(closedWith instanceof SpiceProtocolError))
    return `${what}: truncated, but the channel did not close with a protocol error`;
  return undefined;
}

/** Whether the clean session still replays to the live picture; a finding when it does not. */
async function displayRecovers(session: RecordedSession, after: number): Promise<string | undefined> {
  const { connection, display } = await replay(session.display);
  const primary = display.primary();
  if (connection.closedWith !== undefined)
    return `after ${after} mutations the clean session closed the channel: ${connection.closedWith.message}`;
  if (!primary || !Buffer.from(primary.buffer).equals(session.livePixels))
    return `after ${after} mutations the clean session no longer replays to the live picture`;
  return undefined;
}

function cursorRecovers(session: RecordedSession, after: number): string | undefined {
  const { connection, cursor } = replayCursor(session.cursor);
  const live = session.livePointer;
  const replayed = cursor.pointer;
  if (connection.closedWith !== undefined)
    return `after ${after} cursor mutations the clean session closed the channel: ${connection.closedWith.message}`;
  const same =
    live !== undefined &&
    replayed !== undefined &&
    replayed.x === live.x &&
    replayed.y === live.y &&
    replayed.visible === live.visible &&
    replayed.shape !== undefined &&
    live.shape !== undefined &&
    replayed.shape.rgba.equals(live.shape.rgba);
  return same ? undefined : `after ${after} cursor mutations the clean session no longer replays to the live pointer`;
}

/** `count` seeded mutations of the display channel's messages. */
export async function fuzzDisplay(session: RecordedSession, { count, seed }: FuzzRun): Promise<FuzzReport> {
  const started = performance.now();
  const random = prng(seed);
  const findings: string[] = [];
  const onUnhandled = (reason: unknown) => findings.push(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  process.on('unhandledRejection', onUnhandled);
  let closed = 0;
  try {
    for (let i = 0; i < count; i++) {
      const mutation = mutate(random, session.display, DISPLAY_TYPE_RANGE);
      let replayed: Awaited<ReturnType<typeof replay>>;
      try {
        replayed = await replay(mutation.sequence);
      } catch (error) {
        findings.push(`mutation ${i}: the replay threw ${error instanceof Error ? error.stack : String(error)}`);
        continue;
      }
      const { closedWith } = replayed.connection;
      if (closedWith) closed++;
      const finding = judge(i, closedWith, mutation, mutation.truncated && DRAW_TYPES.has(mutation.type));
      if (finding) findings.push(finding);
      if ((i + 1) % RECOVERY_CHECK_EVERY === 0) {
        const lost = await displayRecovers(session, i + 1);
        if (lost) findings.push(lost);
      }
    }
    const lost = await displayRecovers(session, count);
    if (lost) findings.push(lost);
    // A rejection of the last replay's work shows up after a turn of the event loop.
    await delay(10);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return { mutations: count, closed, findings, elapsedMs: performance.now() - started };
}

/** `count` seeded mutations of the cursor channel's messages. */
export function fuzzCursor(session: RecordedSession, { count, seed }: FuzzRun): FuzzReport {
  const started = performance.now();
  const random = prng(seed);
  const findings: string[] = [];
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const mutation = mutate(random, session.cursor, CURSOR_TYPE_RANGE);
    const { connection } = replayCursor(mutation.sequence);
    if (connection.closedWith) closed++;
    const finding = judge(i, connection.closedWith, mutation, mutation.truncated && TRUNCATION_DETECTED_CURSOR_TYPES.has(mutation.type));
    if (finding) findings.push(finding);
    if ((i + 1) % RECOVERY_CHECK_EVERY === 0) {
      const lost = cursorRecovers(session, i + 1);
      if (lost) findings.push(lost);
    }
  }
  const lost = cursorRecovers(session, count);
  if (lost) findings.push(lost);
  return { mutations: count, closed, findings, elapsedMs: performance.now() - started };
}

const HELP = `Usage: npm run fuzz:spice -- [--count N] [--seed N] [--compression LIST | --pcap FILE]

Records a session from a real Xspice per image compression, then replays each into fresh SPICE
display and cursor channels N times, with one seeded mutation (a message truncated, overwritten or
retyped) each time. Every replay must end normally or with a protocol error, and the clean session
must still replay to the live picture and pointer afterwards. Exits 1 when anything was found.

  --count N           mutations per session and channel, 1 to 10,000,000 (default 10000)
  --seed N            seed of the mutations, an integer (default ${DISPLAY_SEED} for the display
                      channel and ${CURSOR_SEED} for the cursor channel, the test's)
  --compression LIST  Xspice's image compression of each session, comma-separated, from
                      ${COMPRESSIONS.join(', ')} (default ${DEFAULT_COMPRESSIONS.join(',')})
  --pcap FILE         fuzz the session of a dump a run kept (it keeps the dump of a session with
                      findings) instead of recording new ones
  --help              this text
`;

interface ToolArguments {
  count: number;
  displaySeed: number;
  cursorSeed: number;
  compressions: Compression[];
  pcap: string | undefined;
}

function parseArguments(argv: string[]): ToolArguments {
  let count = 10_000;
  let displaySeed = DISPLAY_SEED;
  let cursorSeed = CURSOR_SEED;
  let compressions = [...DEFAULT_COMPRESSIONS];
  let pcap: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (name === '--help' || name === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    const value = argv[++i];
    const number = Number(value);
    if (name === '--count') {
      if (!Number.isInteger(number) || number < 1 || number > 10_000_000)
        throw new Error(`--count: must be an integer from 1 to 10,000,000, got ${String(value)}`);
      count = number;
    } else if (name === '--seed') {
      if (!Number.isSafeInteger(number)) throw new Error(`--seed: must be an integer, got ${String(value)}`);
      displaySeed = number;
      cursorSeed = number;
    } else if (name === '--compression') {
      const names = String(value ?? '').split(',');
      const unknown = names.find((entry) => !COMPRESSIONS.includes(entry as Compression));
      if (unknown !== undefined) throw new Error(`--compression: "${unknown}" is none of ${COMPRESSIONS.join(', ')}`);
      compressions = names as Compression[];
    } else if (name === '--pcap') {
      if (!value) throw new Error('--pcap: give the path of a dump');
      pcap = value;
    } else {
      throw new Error(`${name}: unknown option (see --help)`);
    }
  }
  return { count, displaySeed, cursorSeed, compressions, pcap };
}

/** Fuzzes one session's channels and prints the figures; true when something was found. */
async function fuzzSession(name: string, session: RecordedSession, args: ToolArguments): Promise<boolean> {
  const display = await fuzzDisplay(session, { count: args.count, seed: args.displaySeed });
  const cursor = fuzzCursor(session, { count: args.count, seed: args.cursorSeed });
  let found = false;
  for (const [channel, report, seed] of [
    ['display', display, args.displaySeed],
    ['cursor', cursor, args.cursorSeed],
  ] as const) {
    console.log(
      `${name} ${channel}: ${report.mutations} mutations (seed ${seed}) in ${(report.elapsedMs / 1000).toFixed(1)} s, ` +
        `${report.closed} closed the channel with a protocol error, ${report.findings.length} findings`,
    );
    for (const finding of report.findings) console.log(`  ${finding}`);
    found ||= report.findings.length > 0;
  }
  return found;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  let failed = false;
  if (args.pcap !== undefined) {
    failed = await fuzzSession(args.pcap, await sessionFromDump(args.pcap), args);
  }
  for (const compression of args.pcap === undefined ? args.compressions : []) {
    const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-fuzz-'));
    let keep = false;
    try {
      const recordStarted = performance.now();
      const session = await recordSession(dir, compression);
      const recordS = ((performance.now() - recordStarted) / 1000).toFixed(1);
      console.log(
        `${compression}: recorded ${session.display.length} display and ${session.cursor.length} cursor messages in ${recordS} s`,
      );
      keep = await fuzzSession(compression, session, args);
      // Each run records its sessions afresh (timing makes them differ): a finding needs its own.
      if (keep) console.log(`  the session is kept: --pcap ${session.pcapPath}`);
      failed ||= keep;
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`RSS after the run: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
}
