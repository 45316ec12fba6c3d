import { run } from './processes';

/** Adwaita's Xcursor files (Debian adwaita-icon-theme, installed by scripts/setup.sh): ARGB cursors. */
export const ADWAITA_ARROW = '/usr/share/icons/Adwaita/cursors/left_ptr';
export const ADWAITA_HAND = '/usr/share/icons/Adwaita/cursors/hand2';

/** Where the X server says its pointer is (`xdotool getmouselocation`). */
export async function xPointerPosition(env: NodeJS.ProcessEnv): Promise<{ x: number; y: number }> {
  const text = (await run('xdotool', ['getmouselocation'], { env })).toString();
  const match = /x:(\d+) y:(\d+)/.exec(text);
  if (!match) throw new Error(`xdotool getmouselocation: no position in ${JSON.stringify(text)}`);
  return { x: Number(match[1]), y: Number(match[2]) };
}
