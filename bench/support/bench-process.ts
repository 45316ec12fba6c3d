/**
 * What every benchmark process shares: progress lines on stderr under the benchmark's name (the
 * table goes to stdout alone), and running `main` to an exit code.
 */

/** A logger that writes `NAME: message` lines to stderr. */
export function benchLogger(name: string): (message: string) => void {
  return (message) => void process.stderr.write(`${name}: ${message}\n`);
}

/**
 * Runs a benchmark's main when its file is the entry point (`require.main === entry`), and exits
 * with its code; a throw is logged with its stack and exits 1. The exit is explicit because
 * grpc-js and worker pools may keep the process alive once the results are out.
 */
export function runBenchmark(entry: NodeModule, log: (message: string) => void, main: () => Promise<number>): void {
  if (require.main !== entry) return;
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
