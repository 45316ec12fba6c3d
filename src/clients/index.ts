/** The screencap client library: capture frames from a screencap server. */
export { CaptureClient, type CaptureClientOptions, type DisplayInfo } from './capture-client';
export { CaptureSession, type CapturedFrame, type FramePointer, type FrameTransport, type SessionConfiguration } from './capture-session';
export { CaptureClientError, type ErrorName } from './capture-error';
export type { CallSettings } from './unary-call';
export type { CursorMode, Rotation, ScaleMode } from '../render/render-target';
export type { PointerShape, Rect, SurfaceFormat } from '../sources/display-source';
export { takeScreenshot, type Screenshot, type ScreenshotOptions } from './screenshot/take-screenshot';
export { Recorder, type RecorderOptions, type RecorderProgress, type RecordedFrame, type RecordingSummary } from './recorder';
