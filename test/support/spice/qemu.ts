import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, OwnedProcess, portAcceptsConnections, waitFor } from './processes';

/** A diskless QEMU (SeaBIOS, or a kernel and initramfs) with a QXL card served over SPICE, owned by a test. */
export class Qemu {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly monitor: string,
    private readonly process: OwnedProcess,
  ) {}

  static async start(
    options: {
      password?: string;
      compression?: string;
      /** Boot this Linux kernel and initramfs (-kernel/-initrd) instead of stopping at SeaBIOS. */
      boot?: { kernel: string; initrd: string; append: string };
      /**
       * A second QXL card (device id `second`, PCI 00:03.0): a second SPICE display channel, which
       * the guest drives as /dev/dri/card1.
       */
      secondQxl?: boolean;
    } = {},
  ): Promise<Qemu> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'screencap-qemu-'));
    const monitor = join(dir, 'monitor.sock');
    const spice = [`port=${port}`, 'addr=127.0.0.1', options.password ? `password=${options.password}` : 'disable-ticketing=on'];
    if (options.compression) spice.push(`image-compression=${options.compression}`);
    const proc = new OwnedProcess('qemu-system-x86_64', [
      '-display',
      'none',
      '-vga',
      'qxl',
      ...(options.secondQxl ? ['-device', 'qxl,id=second'] : []),
      '-m',
      options.boot ? '256' : '64',
      '-nodefaults',
      '-no-user-config',
      '-spice',
      spice.join(','),
      '-monitor',
      `unix:${monitor},server=on,wait=off`,
      '-net',
      'none',
      ...(options.boot ? ['-kernel', options.boot.kernel, '-initrd', options.boot.initrd, '-append', options.boot.append] : []),
    ]);
    const qemu = new Qemu(port, dir, monitor, proc);
    try {
      await waitFor(
        async () => (!proc.running ? false : (await portAcceptsConnections(port)) || undefined),
        30000,
        `QEMU SPICE on ${port}`,
      );
      if (!proc.running) throw new Error(`QEMU exited: ${proc.output.slice(-1500)}`);
    } catch (error) {
      await qemu.stop();
      throw error;
    }
    return qemu;
  }

  /** Sends one HMP command over the monitor socket. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.monitor);
      let out = '';
      socket.on('data', (d) => {
        out += d.toString();
        // The prompt comes back after the command has run.
        if (out.split('(qemu)').length > 2) {
          socket.end();
          resolve(out);
        }
      });
      socket.on('error', reject);
      socket.write(`${line}\n`);
    });
  }

  /** The guest screen through QEMU's own `screendump` (of a display device by its id), as packed RGB. */
  async screendump(device?: string): Promise<{ width: number; height: number; rgb: Buffer }> {
    const file = join(this.dir, `screen-${Date.now()}.ppm`);
    await this.command(device ? `screendump ${file} ${device}` : `screendump ${file}`);
    const ppm = await waitFor(
      () => {
        try {
          return readFileSync(file);
        } catch {
          return undefined;
        }
      },
      5000,
      'the screendump file',
    );
    return parsePpm(ppm);
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Binary PPM (P6, maxval 255). */
export function parsePpm(data: Buffer): { width: number; height: number; rgb: Buffer } {
  const fields: string[] = [];
  let p = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(data[p]))) p++;
    if (data[p] === 0x23) {
      while (data[p] !== 0x0a) p++;
      continue;
    }
    let token = '';
    while (!/\s/.test(String.fromCharCode(data[p]))) token += String.fromCharCode(data[p++]);
    fields.push(token);
  }
  p++;
  if (fields[0] !== 'P6' || fields[3] !== '255') throw new Error(`not a P6/255 PPM: ${fields.join(' ')}`);
  const width = Number(fields[1]);
  const height = Number(fields[2]);
  return { width, height, rgb: data.subarray(p, p + width * height * 3) };
}
