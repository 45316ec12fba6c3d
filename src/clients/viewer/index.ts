/** The live viewer: a web page showing the screen, fed over a WebSocket by one encoder per stream settings. */
export { CATCH_UP_KEYFRAME_GAP_MS, LIVE_KEYFRAME_INTERVAL_MS as KEYFRAME_INTERVAL_MS } from '../../media/keyframe-policy';
export { LiveStream, type LiveStreamStats, type PublishedSegment } from './live-stream';
export { DEFAULT_STREAM_SETTINGS, checkStreamSettings, type StreamSettings } from './stream-settings';
export { queueLimitBytes, type ViewerStats } from './viewer-connection';
export { ViewerServer, type ViewerServerOptions, type ViewerServerStatus } from './viewer-server';
