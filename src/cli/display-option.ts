/** --display: which display (monitor) of the server's desktop a client command shows. */
import { WHOLE_DESKTOP_DISPLAY_ID } from '../core/display';
import { type OptionSpec, UsageError } from './command';

export const DISPLAY_OPTION: OptionSpec = {
  type: 'string',
  value: 'ID',
  description: 'Only this display (monitor) of the desktop: an id "screencap displays" lists, or "desktop" for all of them',
  default: 'the primary display',
};

/** The display id an option names: a number, or "desktop" (the whole desktop); undefined (the primary) when absent. */
export function parseDisplayId(value: string | boolean | undefined, option = 'display'): number | undefined {
  if (value === undefined) return undefined;
  if (value === 'desktop') return WHOLE_DESKTOP_DISPLAY_ID;
  const text = String(value);
  if (!/^\d{1,10}$/.test(text) || Number(text) > WHOLE_DESKTOP_DISPLAY_ID) {
    throw new UsageError(`--${option}: must be a display id (a whole number "screencap displays" lists) or "desktop", got "${text}"`);
  }
  return Number(text);
}
