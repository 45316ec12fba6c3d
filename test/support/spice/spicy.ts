import { OwnedProcess, run, waitFor } from './processes';
import { pickDisplay } from './xspice';

/**
 * spice-gtk's test client (`spicy`, Debian spice-client-gtk) in its own Xvfb: a real viewer a test
 * points at a SPICE port, and types into with xdotool.
 */
export class Spicy {
  private constructor(
    private readonly xvfb: OwnedProcess,
    readonly viewer: OwnedProcess,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `tlsCa`: the port serves TLS, and this PEM file vouches for its certificate. */
  static async start(port: number, password: string, options: { tlsCa?: string } = {}): Promise<Spicy> {
    const display = pickDisplay();
    const env = { ...process.env, DISPLAY: `:${display}` };
    const xvfb = new OwnedProcess('Xvfb', [`:${display}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp']);
    try {
      await waitFor(
        async () =>
          await run('xdpyinfo', [], { env }).then(
            () => true,
            () => undefined,
          ),
        20000,
        `Xvfb :${display}`,
        200,
      );
    } catch (error) {
      await xvfb.stop();
      throw error;
    }
    const address = options.tlsCa ? ['-s', String(port), '--spice-ca-file', options.tlsCa] : ['-p', String(port)];
    const viewer = new OwnedProcess('spicy', ['-h', '127.0.0.1', ...address, '-w', password], { env });
    return new Spicy(xvfb, viewer, env);
  }

  get running(): boolean {
    return this.viewer.running;
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
  }
}
