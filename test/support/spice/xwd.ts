import { run, waitFor } from './processes';

/** The root window of an X display as packed RGBA bytes, through xwd and ImageMagick. */
export async function grabRoot(env: NodeJS.ProcessEnv): Promise<{ width: number; height: number; rgba: Buffer }> {
  return xwdToRgba(await dumpRoot(env));
}

/**
 * The root window as an xwd dump: quick, for taking the picture at a given moment. xwd walks the
 * window tree for the visuals of the windows on screen, and fails with BadWindow when a window
 * goes away meanwhile (an application closing, a menu); the dump is then taken again.
 */
export async function dumpRoot(env: NodeJS.ProcessEnv): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run('xwd', ['-root', '-silent'], { env });
    } catch (error) {
      if (attempt === 5 || !(error instanceof Error) || !/BadWindow/.test(error.message)) throw error;
    }
  }
}

/** An xwd dump as packed RGBA bytes. */
export async function xwdToRgba(xwd: Buffer): Promise<{ width: number; height: number; rgba: Buffer }> {
  const info = (await run('convert', ['xwd:-', '-format', '%w %h', 'info:'], { input: xwd })).toString().trim().split(/\s+/);
  const rgba = await run('convert', ['xwd:-', '-depth', '8', 'rgba:-'], { input: xwd });
  return { width: Number(info[0]), height: Number(info[1]), rgba };
}

/** The root window once it has stopped changing: the first of two dumps a second apart that are the same. */
export async function waitForStillRoot(env: NodeJS.ProcessEnv, what: string, timeoutMs = 60_000): Promise<Buffer> {
  let previous: Buffer | undefined;
  return waitFor(
    async () => {
      const dump = await dumpRoot(env);
      const same = previous !== undefined && dump.equals(previous);
      previous = dump;
      return same ? dump : undefined;
    },
    timeoutMs,
    what,
    1000,
  );
}
