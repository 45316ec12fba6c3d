/** The screencap client library: capture frames from a screencap server. */
export { CaptureClient, type CaptureClientOptions, type DisplayDescription, type DisplayInfo } from './capture-client';
export { CaptureSession, type CapturedFrame, type FramePointer, type FrameTransport, type SessionConfiguration } from './capture-session';
export { CaptureClientError, type ErrorName } from './capture-error';
export type { CallSettings } from './unary-call';
export type { CursorMode, PointerShape } from '../core/pointer';
export type { Rotation, ScaleMode } from '../core/orientation';
export type { Rect } from '../core/rect';
export type { SurfaceFormat } from '../core/pixel-format';
export { FieldError } from '../core/field-error';
export { WHOLE_DESKTOP_DISPLAY_ID } from '../core/display';
export { SourceDownError, takeScreenshot, type Screenshot, type ScreenshotOptions } from './screenshot/take-screenshot';
export { Recorder, type RecorderOptions, type RecorderProgress, type RecordedFrame, type RecordingSummary } from './recorder';
