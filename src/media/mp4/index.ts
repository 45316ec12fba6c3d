/** Fragmented MP4 writing for the recorder. The avcC record and codec string come from src/codec/h264/avc. */
export {
  DEFAULT_FRAGMENT_DURATION_MS,
  DEFAULT_TIMESCALE,
  FragmentedMp4Writer,
  type FragmentedMp4WriterOptions,
  type FragmentedMp4WriterState,
  type VideoSample,
} from './fragmented-mp4-writer';
