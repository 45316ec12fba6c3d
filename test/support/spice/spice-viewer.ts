import { run, waitFor, OwnedProcess } from './processes';
import { pickDisplay } from './xspice';

/**
 * A user's SPICE viewer connected straight to a server: spice-gtk's `spicy`, drawing into an
 * Xvfb display of its own. Owned by a test: both processes are stopped by `stop()`.
 */
export class SpiceViewer {
  private constructor(
    private readonly xvfb: OwnedProcess,
    readonly viewer: OwnedProcess,
    readonly spicePort: number,
  ) {}

  static async start(spicePort: number): Promise<SpiceViewer> {
    const display = pickDisplay();
    const xvfb = new OwnedProcess('Xvfb', [`:${display}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {});
    const env = { ...process.env, DISPLAY: `:${display}` };
    let viewer: OwnedProcess | undefined;
    try {
      await waitFor(
        async () => {
          if (!xvfb.running) throw new Error(`Xvfb :${display} exited: ${xvfb.output.slice(-500)}`);
          return run('xdpyinfo', [], { env }).then(
            () => true,
            () => undefined,
          );
        },
        20_000,
        `Xvfb :${display}`,
        200,
      );
      viewer = new OwnedProcess('spicy', ['-h', '127.0.0.1', '-p', String(spicePort)], { env });
      return new SpiceViewer(xvfb, viewer, spicePort);
    } catch (error) {
      await viewer?.stop();
      await xvfb.stop();
      throw error;
    }
  }

  get pid(): number {
    return this.viewer.child.pid!;
  }

  /** spice-gtk said its main channel is open (it logs that once the link is done). */
  get linked(): boolean {
    return this.viewer.output.includes('main channel: opened');
  }

  get running(): boolean {
    return this.viewer.running;
  }

  /** The viewer's established TCP connections to the SPICE port, as the kernel lists them (ss). */
  async connections(): Promise<number> {
    return countConnections(this.spicePort, this.pid);
  }

  async stop(): Promise<void> {
    await this.viewer.stop();
    await this.xvfb.stop();
  }
}

/** Established TCP connections from process `pid` to 127.0.0.1:`port` (ss -tnp). */
export async function countConnections(port: number, pid: number): Promise<number> {
  const out = (await run('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`])).toString();
  return out.split('\n').filter((line) => line.includes(`pid=${pid},`)).length;
}
