/** Recording a server's display to MP4 (or PNG frames) as a client of the public API. */
export { Recorder, type RecordingSummary } from './recorder';
export {
  prepareOutputDirectory,
  RECORDER_DEFAULTS,
  type RecordedFrame,
  type RecorderOptions,
  type RecorderProgress,
  type RecordingFormat,
} from './recorder-options';
export { MP4_FILE_NAME, type Mp4SinkTiming } from './mp4-frame-sink';
export { FFCONCAT_FILE_NAME, PNG_DIRECTORY_NAME, pngFrameName, TIMESTAMPS_FILE_NAME } from './png-frame-sink';
