/**
 * Argument checks shared by the codec wrappers. Each throws a TypeError that names the field and
 * says what was expected and what came, so a caller's mistake never reaches the native addon.
 */
import { FieldError } from '../core/field-error';
import { BYTES_PER_PIXEL } from '../core/pixel-format';

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** An integer from min to max inclusive. */
export function requireInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FieldError(field, `must be an integer from ${min} to ${max}; got ${describe(value)}.`);
  }
  return value;
}

/** An even integer from min to max inclusive (I420 halves both sides of the picture). */
export function requireEvenInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value % 2 !== 0 || value < min || value > max) {
    throw new FieldError(field, `must be an even integer from ${min} to ${max}; got ${describe(value)}.`);
  }
  return value;
}

/** A finite number from min to max inclusive. */
export function requireNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new FieldError(field, `must be a number from ${min} to ${max}; got ${describe(value)}.`);
  }
  return value;
}

export function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new FieldError(field, `must be a boolean; got ${describe(value)}.`);
  return value;
}

export function requireOneOf<T extends string | number>(value: unknown, field: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    const list = choices.map((choice) => JSON.stringify(choice)).join(', ');
    throw new FieldError(field, `must be one of ${list}; got ${describe(value)}.`);
  }
  return value as T;
}

/**
 * A packed image of `height` rows of `stride` bytes (the last row may stop after its pixels,
 * as a cropped view into a larger surface does). Returns the stride, which defaults to packed.
 */
export function requirePackedImage(
  pixels: unknown,
  field: string,
  width: number,
  height: number,
  stride: unknown,
  strideField: string,
): number {
  if (!Buffer.isBuffer(pixels)) throw new FieldError(field, `must be a Buffer; got ${describe(pixels)}.`);
  const row = width * BYTES_PER_PIXEL;
  const checkedStride = stride === undefined ? row : requireInteger(stride, strideField, row, 0x7fffffff);
  const needed = checkedStride * (height - 1) + row;
  if (pixels.length < needed) {
    throw new FieldError(
      field,
      `must hold at least ${needed} bytes for a ${width}x${height} image with stride ${checkedStride}; got ${pixels.length}.`,
    );
  }
  return checkedStride;
}
