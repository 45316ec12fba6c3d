import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OwnedProcess, run } from './processes';

/**
 * Paints the root window one colour and gives it a blank cursor: Xspice draws a software cursor
 * into the frame buffer that xwd leaves out. `dir` receives the cursor bitmap.
 */
export async function setRoot(env: NodeJS.ProcessEnv, dir: string, colour: string): Promise<void> {
  const blank = join(dir, 'blank.xbm');
  writeFileSync(
    blank,
    '#define blank_width 8\n#define blank_height 8\n#define blank_x_hot 0\n#define blank_y_hot 0\nstatic unsigned char blank_bits[] = {\n   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};\n',
  );
  await run('xsetroot', ['-solid', colour, '-cursor', blank, blank], { env });
}

/**
 * Known content drawn into an X display with ordinary X clients: a solid root, a photographic
 * image (ImageMagick's display of a seeded plasma, so QUIC/JPEG get chosen where the server picks
 * by content), an xterm with text, and that xterm moved with xdotool.
 */
export class Scene {
  private readonly clients: OwnedProcess[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  async draw(options: { photo?: boolean; xterm?: boolean } = {}): Promise<void> {
    await setRoot(this.env, this.dir, '#336699');
    await run('xdotool', ['mousemove', '1023', '767'], { env: this.env });
    if (options.photo !== false) {
      const photo = join(this.dir, 'photo.png');
      await run('convert', ['-size', '320x240', '-seed', '7', 'plasma:fractal', photo]);
      this.clients.push(new OwnedProcess('display', ['-geometry', '+40+40', photo], { env: this.env }));
    }
    if (options.xterm !== false) {
      this.clients.push(
        new OwnedProcess('xterm', ['-geometry', '40x8+420+60', '-e', 'sh', '-c', 'echo screencap SPICE test; seq 1 5; sleep 600'], {
          env: this.env,
        }),
      );
    }
  }

  /**
   * A burst of motion: a full-screen xterm that scrolls lines of numbers for a few seconds, then
   * stands still (the screen's last busy frames are what a damage-driven encoder blurs).
   */
  scrollTerminal(): void {
    const script = 'i=0; while [ $i -lt 200 ]; do seq $i $((i + 30)) | tr "\\n" " "; echo; i=$((i + 1)); sleep 0.01; done; sleep 600';
    this.clients.push(new OwnedProcess('xterm', ['-geometry', '120x45+0+0', '-e', 'sh', '-c', script], { env: this.env }));
  }

  /** Moves the xterm (COPY_BITS / redraws), once it has a window. */
  async moveXterm(x: number, y: number): Promise<void> {
    await run('xdotool', ['search', '--sync', '--class', 'xterm', 'windowmove', String(x), String(y)], { env: this.env });
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.stop()));
  }
}
