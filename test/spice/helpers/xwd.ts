import { run } from './processes';

/** The root window of an X display as packed RGBA bytes, through xwd and ImageMagick. */
export async function grabRoot(env: NodeJS.ProcessEnv): Promise<{ width: number; height: number; rgba: Buffer }> {
  const xwd = await run('xwd', ['-root', '-silent'], { env });
  const info = (await run('convert', ['xwd:-', '-format', '%w %h', 'info:'], { input: xwd })).toString().trim().split(/\s+/);
  const rgba = await run('convert', ['xwd:-', '-depth', '8', 'rgba:-'], { input: xwd });
  return { width: Number(info[0]), height: Number(info[1]), rgba };
}
