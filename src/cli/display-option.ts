/** --display: which display (monitor) of the server's desktop a client command shows. */
import type { OptionSpec } from './command';
import { parseNumber } from './option-values';

export const DISPLAY_OPTION: OptionSpec = {
  type: 'string',
  value: 'ID',
  description: 'Only this display (monitor) of the desktop: an id "screencap displays" lists',
  default: 'the whole desktop',
};

export function parseDisplayId(value: string | boolean | undefined, option = 'display'): number | undefined {
  return value === undefined ? undefined : parseNumber(String(value), option, { min: 0, max: 2 ** 32 - 1, integer: true });
}
