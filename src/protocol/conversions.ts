/**
 * Conversions between the generated protobuf types and the project's own values, used by both
 * the server and the client library so that the two sides agree by construction.
 */
import type { Duration } from '../gen/google/protobuf/duration.pb';
import type { Timestamp } from '../gen/google/protobuf/timestamp.pb';
import { CursorMode, PixelFormat, Rotation, ScaleMode } from '../gen/screencapture/v1/screen_capture.pb';
import type { CursorMode as Cursor } from '../core/pointer';
import type { Rotation as Degrees, ScaleMode as Fit } from '../core/orientation';
import type { SurfaceFormat } from '../core/pixel-format';

const ROTATIONS: ReadonlyMap<Rotation, Degrees> = new Map([
  [Rotation.ROTATION_UNSPECIFIED, 0],
  [Rotation.ROTATION_CW_0_DEGREES, 0],
  [Rotation.ROTATION_CW_90_DEGREES, 90],
  [Rotation.ROTATION_CW_180_DEGREES, 180],
  [Rotation.ROTATION_CW_270_DEGREES, 270],
] as const);

/** Degrees for a proto rotation; undefined for a value outside the enum. */
export function degreesFromProto(rotation: Rotation): Degrees | undefined {
  return ROTATIONS.get(rotation);
}

export function degreesToProto(degrees: Degrees): Rotation {
  return {
    0: Rotation.ROTATION_CW_0_DEGREES,
    90: Rotation.ROTATION_CW_90_DEGREES,
    180: Rotation.ROTATION_CW_180_DEGREES,
    270: Rotation.ROTATION_CW_270_DEGREES,
  }[degrees];
}

/** The surface format for a proto pixel format; undefined for UNSPECIFIED or unknown values. */
export function formatFromProto(format: PixelFormat): SurfaceFormat | undefined {
  if (format === PixelFormat.PIXEL_FORMAT_RGBA8) return 'rgba8';
  if (format === PixelFormat.PIXEL_FORMAT_BGRA8) return 'bgra8';
  return undefined;
}

export function formatToProto(format: SurfaceFormat): PixelFormat {
  return format === 'rgba8' ? PixelFormat.PIXEL_FORMAT_RGBA8 : PixelFormat.PIXEL_FORMAT_BGRA8;
}

export function scaleModeFromProto(mode: ScaleMode): Fit | undefined {
  if (mode === ScaleMode.SCALE_MODE_UNSPECIFIED || mode === ScaleMode.SCALE_MODE_FIT) return 'fit';
  if (mode === ScaleMode.SCALE_MODE_STRETCH) return 'stretch';
  return undefined;
}

export function scaleModeToProto(mode: Fit): ScaleMode {
  return mode === 'fit' ? ScaleMode.SCALE_MODE_FIT : ScaleMode.SCALE_MODE_STRETCH;
}

/** Milliseconds since the epoch (fractional) to a Timestamp, keeping microseconds. */
export function timestampFromMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
  return { seconds, nanos };
}

export function timestampToMs(timestamp: Timestamp | undefined): number {
  return timestamp ? timestamp.seconds * 1000 + timestamp.nanos / 1e6 : 0;
}

export function durationFromNs(ns: bigint): Duration {
  return { seconds: Number(ns / 1_000_000_000n), nanos: Number(ns % 1_000_000_000n) };
}

export function durationToNs(duration: Duration | undefined): bigint {
  return duration ? BigInt(duration.seconds) * 1_000_000_000n + BigInt(duration.nanos) : 0n;
}

export function durationFromMs(ms: number): Duration {
  return durationFromNs(BigInt(Math.round(ms * 1e6)));
}

const CURSOR_MODES: ReadonlyMap<CursorMode, Cursor> = new Map([
  [CursorMode.CURSOR_MODE_UNSPECIFIED, 'embedded'],
  [CursorMode.CURSOR_MODE_EMBEDDED, 'embedded'],
  [CursorMode.CURSOR_MODE_METADATA, 'metadata'],
  [CursorMode.CURSOR_MODE_HIDDEN, 'hidden'],
] as const);

/** The cursor mode for a proto value (UNSPECIFIED is EMBEDDED); undefined outside the enum. */
export function cursorModeFromProto(mode: CursorMode): Cursor | undefined {
  return CURSOR_MODES.get(mode);
}

export function cursorModeToProto(mode: Cursor): CursorMode {
  return { embedded: CursorMode.CURSOR_MODE_EMBEDDED, metadata: CursorMode.CURSOR_MODE_METADATA, hidden: CursorMode.CURSOR_MODE_HIDDEN }[
    mode
  ];
}
