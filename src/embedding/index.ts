/**
 * `screencap/server`: the capture server and its display sources, for programs that embed them
 * rather than run `screencap serve`. The client library is the package's main entry
 * (`screencap`).
 */
export { CaptureServer, type CaptureServerOptions, DEFAULT_LIMITS, type ServerLimits } from '../server';
export { ManualVsyncClock, TimerVsyncClock, type VsyncClock, type VsyncTick } from '../scheduler/vsync-clock';
export {
  createSource,
  ImageSource,
  SyntheticDesktop,
  type DisplaySink,
  type DisplaySource,
  type PointerShape,
  type PointerState,
  type SourceOptions,
  type StillImage,
  type Surface,
  type SyntheticDesktopOptions,
} from '../sources';
export {
  parseSpiceUri,
  SpiceDisplaySource,
  SpiceLinkError,
  SpiceProtocolError,
  type ImageCompressionName,
  type SpiceDisplaySourceOptions,
} from '../sources/spice';
export { createLogger, type Logger, type LogLevel } from '../util/logger';
