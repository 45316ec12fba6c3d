import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, OwnedProcess, portAcceptsConnections, run, waitFor } from './processes';

export interface XspiceOptions {
  compression?: 'off' | 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz' | 'lz4';
  password?: string;
  streaming?: 'off' | 'all' | 'filter';
  /** SpiceVideoCodecs, e.g. 'gstreamer:h264' (the server's own default when unset). */
  videoCodecs?: string;
  jpegWan?: 'auto' | 'never' | 'always';
  zlibGlzWan?: 'auto' | 'never' | 'always';
  width?: number;
  height?: number;
  /** Reuse this SPICE port (a restart test brings the server back where it was). */
  port?: number;
  /** Reuse this X display number. */
  display?: number;
  surfaces?: boolean;
  /** The driver's image cache (the server then sends CACHE_ME and FROM_CACHE images). */
  imageCache?: boolean;
  /** Also serve TLS from a directory holding ca-cert.pem, server-cert.pem and server-key.pem. */
  tlsDir?: string;
  /**
   * Start with the classic stippled root (Xorg -retro) instead of a black one, so that the very
   * first picture of the display is not black either.
   */
  stippledRoot?: boolean;
  /** Monitor heads (the driver's NumHeads; default 1), reported to clients in MONITORS_CONFIG. */
  heads?: number;
}

/** An Xspice server (Xorg with the spiceqxl driver) owned by a test. */
export class Xspice {
  private constructor(
    readonly display: number,
    readonly port: number,
    private readonly dir: string,
    private readonly process: OwnedProcess,
    /** The TLS port, when started with `tlsDir`. */
    readonly tlsPort: number | undefined,
  ) {}

  get displayName(): string {
    return `:${this.display}`;
  }

  /** Environment for X clients drawing into this display. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DISPLAY: this.displayName };
  }

  static async start(options: XspiceOptions = {}): Promise<Xspice> {
    const port = options.port ?? (await freePort());
    const display = options.display ?? pickDisplay();
    const dir = mkdtempSync(join(tmpdir(), 'screencap-xspice-'));
    const tlsPort = options.tlsDir ? await freePort() : undefined;
    const width = options.width ?? 1024;
    const height = options.height ?? 768;
    const lines = [
      'Section "Device"',
      '  Identifier "XSPICE"',
      '  Driver "spiceqxl"',
      `  Option "SpicePort" "${port}"`,
      '  Option "SpiceAddr" "127.0.0.1"',
      options.password === undefined ? '  Option "SpiceDisableTicketing" "True"' : `  Option "SpicePassword" "${options.password}"`,
      `  Option "SpiceImageCompression" "${options.compression ?? 'auto_glz'}"`,
      `  Option "SpiceStreamingVideo" "${options.streaming ?? 'off'}"`,
      ...(options.videoCodecs ? [`  Option "SpiceVideoCodecs" "${options.videoCodecs}"`] : []),
      `  Option "SpiceJpegWanCompression" "${options.jpegWan ?? 'never'}"`,
      `  Option "SpiceZlibGlzWanCompression" "${options.zlibGlzWan ?? 'never'}"`,
      // Debian's driver reads these as zero unless set: the frame buffer must hold the screen and
      // the command buffer, which the frame buffer sits in front of, must be larger still.
      '  Option "FrameBufferSize" "32"',
      '  Option "CommandBufferSize" "128"',
      '  Option "SurfaceBufferSize" "128"',
      `  Option "NumHeads" "${options.heads ?? 1}"`,
      `  Option "EnableSurfaces" "${options.surfaces ? 'True' : 'False'}"`,
      `  Option "EnableImageCache" "${options.imageCache ? 'True' : 'False'}"`,
      ...(options.tlsDir ? [`  Option "SpiceTlsPort" "${tlsPort}"`, `  Option "SpiceX509Dir" "${options.tlsDir}"`] : []),
      'EndSection',
      'Section "InputDevice"\n  Identifier "XSPICE POINTER"\n  Driver "xspice pointer"\nEndSection',
      'Section "InputDevice"\n  Identifier "XSPICE KEYBOARD"\n  Driver "xspice keyboard"\nEndSection',
      'Section "Monitor"\n  Identifier "Monitor0"\nEndSection',
      'Section "Screen"',
      '  Identifier "Screen0"',
      '  Monitor "Monitor0"',
      '  Device "XSPICE"',
      '  DefaultDepth 24',
      `  SubSection "Display"\n    Depth 24\n    Virtual ${width} ${height}\n  EndSubSection`,
      'EndSection',
      'Section "ServerLayout"\n  Identifier "Layout0"\n  Screen "Screen0"\n  InputDevice "XSPICE KEYBOARD"\n  InputDevice "XSPICE POINTER"\nEndSection',
      'Section "ServerFlags"\n  Option "AutoAddDevices" "False"\nEndSection',
    ];
    const config = join(dir, 'xorg.conf');
    writeFileSync(config, `${lines.join('\n')}\n`);
    const args = [
      '-config',
      config,
      '-noreset',
      '-nolisten',
      'tcp',
      '-logfile',
      join(dir, 'xorg.log'),
      ...(options.stippledRoot ? ['-retro'] : []),
    ];
    const proc = new OwnedProcess('Xorg', [...args, `:${display}`], {
      cwd: dir,
    });
    const server = new Xspice(display, port, dir, proc, tlsPort);
    try {
      await waitFor(
        async () => (!proc.running ? false : (await portAcceptsConnections(port)) || undefined),
        20000,
        `Xspice on port ${port}`,
      );
      if (!proc.running) throw new Error(`Xspice exited: ${proc.output.slice(-1500)}`);
      await waitFor(
        async () => {
          try {
            await run('xdpyinfo', [], { env: server.env });
            return true;
          } catch {
            return undefined;
          }
        },
        20000,
        `X display :${display}`,
        200,
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /**
   * Sets the screen size with xrandr. Xspice starts in its first mode (1024x768) whatever the
   * configuration's Virtual size says; the size must be one of its modes (`xrandr` lists them).
   */
  async resize(width: number, height: number): Promise<void> {
    await run('xrandr', ['-s', `${width}x${height}`], { env: this.env });
  }

  /** The X server's pid (spice-server runs inside it). */
  get pid(): number {
    return this.process.child.pid!;
  }

  get running(): boolean {
    return this.process.running;
  }

  /** Stops the server: SIGTERM (a clean exit), or SIGKILL (a crash: no goodbye to the clients, stale lock files). */
  async stop(options: { keepDir?: boolean; signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    if (options.signal === 'SIGKILL') await this.process.kill();
    else await this.process.stop();
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A display number with no lock file and no socket; random start so parallel runs rarely collide. */
export function pickDisplay(): number {
  const start = 100 + Math.floor(Math.random() * 400);
  for (let i = 0; i < 400; i++) {
    const n = 100 + ((start - 100 + i) % 400);
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new Error('no free X display number in 100..499');
}
