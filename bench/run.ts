/**
 * Runs the benchmarks: every *.bench.js next to this file, each in a child process of its own (so
 * that one benchmark's heap, sockets and native threads do not skew the next), capture first and
 * then the others alphabetically. Each benchmark prints its own markdown table on stdout, which is
 * passed through untouched; the runner's own lines go to stderr, so `npm run bench > out.md`
 * gives clean markdown.
 *
 *   node dist/bench/run.js [--only NAME] [--timeout SECONDS]
 *
 * Exits non-zero when any benchmark failed (non-zero exit, killed by a signal, or timed out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from '../src/cli/node-flags';

const SUFFIX = '.bench.js';
/** Runs first: it is the reference the other figures are read against. */
const FIRST = 'capture';
const DEFAULT_TIMEOUT_S = 600;
/** After SIGTERM, how long a timed-out benchmark gets to clean up before SIGKILL. */
const KILL_GRACE_MS = 5000;

const USAGE = `usage: node dist/bench/run.js [--only NAME] [--timeout SECONDS]

Runs every benchmark (dist/bench/*${SUFFIX}) in a child process, capture first, then the others
alphabetically, and passes their markdown tables through to stdout.

  --only NAME          run just this benchmark (e.g. capture, encoder, recording)
  --timeout SECONDS    give up on a benchmark after this long (default ${DEFAULT_TIMEOUT_S})
  --help               show this text
`;

interface Options {
  only: string | undefined;
  timeoutMs: number;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options | 'help' {
  const options: Options = { only: undefined, timeoutMs: DEFAULT_TIMEOUT_S * 1000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag}: needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--only':
        options.only = benchName(value());
        break;
      case '--timeout': {
        const text = value();
        const seconds = Number(text);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout: must be a positive number of seconds, got ${text}`);
        options.timeoutMs = seconds * 1000;
        break;
      }
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return options;
}

/** "capture", "capture.bench", "capture.bench.js" and "bench/capture.bench.ts" all name one benchmark. */
function benchName(text: string): string {
  return path
    .basename(text)
    .replace(/\.(js|ts)$/, '')
    .replace(/\.bench$/, '');
}

/** The benchmarks present, in running order. */
function discover(directory: string): string[] {
  const names = readdirSync(directory)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
  return names.includes(FIRST) ? [FIRST, ...names.filter((name) => name !== FIRST)] : names;
}

interface Outcome {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

/** The benchmark running now, so that stopping the runner does not leave it orphaned. */
let running: ChildProcess | undefined;

function runOne(directory: string, name: string, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // With the command's own Node flags, so that the benchmarks measure what it does.
    const child = spawn(process.execPath, [...NODE_FLAGS, path.join(directory, name + SUFFIX)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    running = child;
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    const finish = (ok: boolean, detail: string) => {
      running = undefined;
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ name, ok, detail, seconds: (performance.now() - started) / 1000 });
    };
    child.once('error', (error) => finish(false, `could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (timedOut) finish(false, `timed out after ${timeoutMs / 1000} s`);
      else if (signal) finish(false, `killed by ${signal}`);
      else if (code !== 0) finish(false, `exit code ${code}`);
      else finish(true, 'ok');
    });
  });
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const directory = __dirname;
  const available = discover(directory);
  let selected = available;
  if (options.only !== undefined) {
    if (!available.includes(options.only)) {
      process.stderr.write(`bench: --only: no benchmark named "${options.only}"; available: ${available.join(', ') || '(none)'}\n`);
      return 2;
    }
    selected = [options.only];
  }
  if (selected.length === 0) {
    process.stderr.write(`bench: no benchmarks (*${SUFFIX}) in ${directory}; build first (npx tsc -p tsconfig.json)\n`);
    return 1;
  }

  const outcomes: Outcome[] = [];
  for (const [i, name] of selected.entries()) {
    process.stderr.write(`bench: [${i + 1}/${selected.length}] ${name}\n`);
    const outcome = await runOne(directory, name, options.timeoutMs);
    outcomes.push(outcome);
    process.stderr.write(`bench: ${name}: ${outcome.detail} (${outcome.seconds.toFixed(1)} s)\n`);
    // Keeps the tables of consecutive benchmarks apart in the combined markdown.
    if (i < selected.length - 1) process.stdout.write('\n');
  }

  const failed = outcomes.filter((outcome) => !outcome.ok);
  process.stderr.write(
    failed.length === 0
      ? `bench: all ${outcomes.length} passed\n`
      : `bench: ${failed.length} of ${outcomes.length} failed: ${failed.map((o) => `${o.name} (${o.detail})`).join(', ')}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running?.kill(signal);
    process.stderr.write(`bench: stopped by ${signal}\n`);
    process.exit(1);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
