/** Runs the screencap CLI as a real process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', '..', 'bin', 'screencap.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'close');
  return { code, stdout, stderr };
}

/** A `screencap serve` process, started on a free port; resolves once it prints its address. */
export class ServeProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly address: string,
    readonly output: { stdout: string; stderr: string },
  ) {}

  /** `nodeFlags` go to node itself, before the script (e.g. --inspect=127.0.0.1:0). */
  static async start(args: string[], env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []): Promise<ServeProcess> {
    const child = spawn(process.execPath, [...nodeFlags, CLI, 'serve', ...args], { env: { ...process.env, ...env } });
    const output = { stdout: '', stderr: '' };
    child.stderr!.on('data', (d) => (output.stderr += d));
    child.stdout!.on('data', (d) => (output.stdout += d));
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', () => {
        const match = / on (\S+)\n/.exec(output.stdout);
        if (match) resolve(match[1]);
      });
      child.on('close', (code) => reject(new Error(`serve exited with ${code} before listening: ${output.stderr}`)));
    });
    return new ServeProcess(child, address, output);
  }

  /** The port, for connecting through 127.0.0.1 when the server listens on another address. */
  get port(): string {
    return this.address.slice(this.address.lastIndexOf(':') + 1);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGINT');
    const [code] = await once(this.child, 'close');
    return code;
  }
}

/** Resolves with the page URL a process prints ("... open http://HOST:PORT/"). */
export function pageUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (data) => {
      stdout += data;
      const match = /open (http:\/\/\S+)\n/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.on('close', (code) => reject(new Error(`exited with ${code} before serving the page; stdout: ${stdout}`)));
  });
}
