import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnedProcess, run, waitFor } from './processes';
import { pickDisplay } from './xspice';

/**
 * A user's SPICE viewer: spice-gtk's test client (`spicy`, Debian spice-client-gtk) in an Xvfb of
 * its own, which a test points at a SPICE port, types into with xdotool, and whose connections it
 * counts. Both processes are stopped by `stop()`.
 */
export class Spicy {
  private constructor(
    private readonly xvfb: OwnedProcess,
    readonly viewer: OwnedProcess,
    readonly env: NodeJS.ProcessEnv,
    readonly port: number,
    private readonly configDir: string | undefined,
  ) {}

  /**
   * `password`: the ticket, if the server wants one; `tlsCa`: the port serves TLS, and this PEM
   * file vouches for its certificate; `screen`: the Xvfb's size (default 1280x1024); `settings`:
   * the text of spicy's settings file (a GLib key file, e.g. `[ui]\ntoolbar=false`), in a
   * configuration directory of its own rather than the user's.
   */
  static async start(
    port: number,
    password = '',
    options: { tlsCa?: string; screen?: { width: number; height: number }; settings?: string } = {},
  ): Promise<Spicy> {
    const display = pickDisplay();
    let configDir: string | undefined;
    if (options.settings !== undefined) {
      configDir = mkdtempSync(join(tmpdir(), 'screencap-spicy-'));
      mkdirSync(join(configDir, 'spicy'));
      writeFileSync(join(configDir, 'spicy', 'settings'), options.settings);
    }
    const env = { ...process.env, DISPLAY: `:${display}`, ...(configDir === undefined ? {} : { XDG_CONFIG_HOME: configDir }) };
    const screen = options.screen ?? { width: 1280, height: 1024 };
    const xvfb = new OwnedProcess('Xvfb', [`:${display}`, '-screen', '0', `${screen.width}x${screen.height}x24`, '-nolisten', 'tcp']);
    try {
      await waitFor(
        async () => {
          if (!xvfb.running) throw new Error(`Xvfb :${display} exited: ${xvfb.output.slice(-500)}`);
          return run('xdpyinfo', [], { env }).then(
            () => true,
            () => undefined,
          );
        },
        20000,
        `Xvfb :${display}`,
        200,
      );
    } catch (error) {
      await xvfb.stop();
      if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
      throw error;
    }
    const address = options.tlsCa ? ['-s', String(port), '--spice-ca-file', options.tlsCa] : ['-p', String(port)];
    const ticket = password === '' ? [] : ['-w', password];
    const viewer = new OwnedProcess('spicy', ['-h', '127.0.0.1', ...address, ...ticket], { env });
    return new Spicy(xvfb, viewer, env, port, configDir);
  }

  get running(): boolean {
    return this.viewer.running;
  }

  get pid(): number {
    return this.viewer.child.pid!;
  }

  /** The pid of the Xvfb spicy draws into. */
  get xvfbPid(): number {
    return this.xvfb.child.pid!;
  }

  /** spice-gtk said its main channel is open (it logs that once the link is done). */
  get linked(): boolean {
    return this.viewer.output.includes('main channel: opened');
  }

  /** The viewer's established TCP connections to the SPICE port, as the kernel lists them (ss). */
  async connections(): Promise<number> {
    return countConnections(this.port, this.pid);
  }

  /**
   * Clicks the middle of spicy's window (the guest gets the pointer and the click there; there is
   * no window manager, so the click is also what gives the widget the keyboard) and types `text`
   * (xdotool: key events to Xvfb, which spicy turns into SPICE inputs), then Return.
   */
  async clickAndTypeLine(text: string): Promise<void> {
    const window = (await run('xdotool', ['search', '--sync', '--onlyvisible', '--name', '^spice display'], { env: this.env }))
      .toString()
      .trim()
      .split('\n')[0];
    const geometry = (await run('xdotool', ['getwindowgeometry', '--shell', window], { env: this.env })).toString();
    const size = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(geometry)![1]);
    await run(
      'xdotool',
      ['mousemove', '--window', window, '--sync', String(size('WIDTH') >> 1), String(size('HEIGHT') >> 1), 'click', '1'],
      { env: this.env },
    );
    await run('xdotool', ['windowfocus', '--sync', window], { env: this.env });
    await run('xdotool', ['type', '--delay', '60', text], { env: this.env });
    // Separately: xdotool types "\n" as a keysym spicy has no scancode for.
    await run('xdotool', ['key', 'Return'], { env: this.env });
  }

  async stop(): Promise<void> {
    await this.viewer.stop();
    await this.xvfb.stop();
    if (this.configDir !== undefined) rmSync(this.configDir, { recursive: true, force: true });
  }
}

/** Established TCP connections from process `pid` to 127.0.0.1:`port` (ss -tnp). */
export async function countConnections(port: number, pid: number): Promise<number> {
  const out = (await run('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`])).toString();
  return out.split('\n').filter((line) => line.includes(`pid=${pid},`)).length;
}
