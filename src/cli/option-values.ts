/** Parsers for option values shared by commands; each throws UsageError naming the option. */
import { readFileSync } from 'node:fs';
import type { CursorMode } from '../core/pointer';
import type { Rotation } from '../core/orientation';
import { MAX_IMAGE_SIDE } from '../core/limits';
import { rethrowAsUsage, UsageError } from './command';

/**
 * WIDTHxHEIGHT. Each side from 1 to MAX_IMAGE_SIDE (8192), unless `check` (which throws a FieldError naming the
 * field) has the rule of what the size is for, such as the built-in desktop's.
 */
export function parseSize(
  text: string,
  option: string,
  check?: (width: number, height: number, field: string) => void,
): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new UsageError(`--${option}: expected WIDTHxHEIGHT (for example 1280x720), got "${text}"`);
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (check) {
    try {
      check(width, height, option);
    } catch (error) {
      rethrowAsUsage(error);
    }
  } else if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new UsageError(`--${option}: each side must be from 1 to ${MAX_IMAGE_SIDE}, got ${text}`);
  }
  return { width, height };
}

export function parseRotation(text: string, option = 'rotation'): Rotation {
  const value = Number(text);
  if (value !== 0 && value !== 90 && value !== 180 && value !== 270) {
    throw new UsageError(`--${option}: must be 0, 90, 180 or 270 (degrees clockwise), got "${text}"`);
  }
  return value;
}

export function parseNumber(text: string, option: string, range: { min: number; max: number; integer?: boolean }): number {
  const value = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value < range.min ||
    value > range.max ||
    (range.integer && !Number.isInteger(value))
  ) {
    const kind = range.integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${option}: must be ${kind} from ${range.min} to ${range.max}, got "${text}"`);
  }
  return value;
}

/** "30s", "2m", "1500ms", "1h" or plain seconds; returns milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = match ? Number(match[1]) * unit : NaN;
  if (!(ms > 0)) throw new UsageError(`--${option}: expected a positive duration such as 30s, 2m or 1500ms, got "${text}"`);
  return ms;
}

export function readFileOption(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--${option}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The bearer token from --token or, when absent, the SCREENCAP_TOKEN environment variable. */
export function tokenOption(value: string | boolean | undefined): string | undefined {
  const token = typeof value === 'string' ? value : process.env.SCREENCAP_TOKEN;
  return token === '' ? undefined : token;
}

/** "5M", "800k", "2500000": bits per second, from 10k to 200M. */
export function parseBitrate(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
  const scale = { '': 1, k: 1e3, m: 1e6 }[(match?.[2] ?? '').toLowerCase() as '' | 'k' | 'm'];
  const bps = match ? Math.round(Number(match[1]) * scale) : NaN;
  if (!(bps >= 10_000 && bps <= 200_000_000)) {
    throw new UsageError(`--${option}: expected bits per second from 10k to 200M (for example 5M or 800k), got "${text}"`);
  }
  return bps;
}

export function parseChoice<T extends string>(text: string, option: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${option}: must be ${choices.join(' or ')}, got "${text}"`);
  return text as T;
}

const CURSOR_MODES: readonly CursorMode[] = ['embedded', 'metadata', 'hidden'];

/** --cursor and its prefixed forms: one spec and one parser for every command that takes it. */
export const CURSOR_OPTION = {
  type: 'string',
  value: 'embedded|metadata|hidden',
  description: 'The mouse pointer: drawn into the picture as the screen shows it, left out and reported beside each frame, or left out',
  default: 'embedded',
} as const;

export function parseCursorMode(text: string | undefined, option = 'cursor'): CursorMode {
  return parseChoice(text ?? 'embedded', option, CURSOR_MODES);
}

/**
 * --cursor of the commands whose output is a picture alone (a recording, a live stream): nothing
 * carries a pointer beside it, so METADATA would only leave the pointer out, as HIDDEN does.
 */
export const PICTURE_CURSOR_OPTION = {
  type: 'string',
  value: 'embedded|hidden',
  description: 'The mouse pointer: drawn into the picture as the screen shows it, or left out',
  default: 'embedded',
} as const;

export function parsePictureCursorMode(text: string | undefined, option = 'cursor'): 'embedded' | 'hidden' {
  if (text === 'metadata') {
    throw new UsageError(
      `--${option}: metadata is for clients that draw the pointer themselves (grab prints it, the API reports it beside each frame); ` +
        'a recording or a live stream is a picture alone: use embedded or hidden',
    );
  }
  return parseChoice(text ?? 'embedded', option, ['embedded', 'hidden'] as const);
}
