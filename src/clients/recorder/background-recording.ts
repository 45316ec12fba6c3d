/**
 * A recording alongside a server in the same process (`screencap serve --record DIR`): still a
 * client of the server's public gRPC API, connecting to the address it listens on.
 */
import type { LogFields, Logger } from '../../util/logger';
import { clientOfLocalServer, type LocalServerConnection } from '../local-server-client';
import { Recorder } from './recorder';
import type { RecorderOptions, RecorderProgress } from './recorder-options';

/** What to record: the directory and the settings `screencap record` also takes. */
export interface BackgroundRecordingOptions
  extends Pick<
    RecorderOptions,
    | 'outDir'
    | 'fileName'
    | 'width'
    | 'height'
    | 'format'
    | 'fps'
    | 'bitrateBps'
    | 'rateControl'
    | 'keyframeIntervalMs'
    | 'usage'
    | 'threads'
  > {
  /** Stop recording (the server keeps serving) this many milliseconds after the first frame; default: until stop(). */
  durationMs?: number;
}

export interface BackgroundRecording {
  /**
   * Resolves with the error if the recording fails (it cannot start, the disk fills up...),
   * so that the server can say so and exit with a failure; never resolves otherwise.
   */
  readonly failed: Promise<Error>;
  /** Stops the recording and finishes the file; resolves to its failure, if it failed. Never rejects. */
  stop(): Promise<Error | undefined>;
  /** The latest progress report (every PROGRESS_LOG_INTERVAL_MS), for metrics; undefined before the first. */
  progress(): RecorderProgress | undefined;
  /** Whether it is still recording (not finished, failed or stopped). */
  running(): boolean;
}

/**
 * How often the server's log says the recording is alive: often enough for an operator watching
 * it, rarely enough not to drown the rest of the log (`screencap record` shows it every second).
 */
const PROGRESS_LOG_INTERVAL_MS = 5000;

/** The progress figures as log fields, the same in the periodic line and the final one. */
function progressFields(progress: RecorderProgress): LogFields {
  return {
    seconds: (progress.elapsedMs / 1000).toFixed(1),
    written: progress.framesWritten,
    skipped: progress.framesSkipped,
    bytes: progress.bytesOnDisk,
    encodeFps: Math.round(progress.encodeFps),
    // Sharp passes and constant-rate repeats (see docs/recording.md), when there are any.
    ...(progress.framesAgain > 0 ? { again: progress.framesAgain } : {}),
  };
}

export async function startRecording(
  serverAddress: string,
  options: BackgroundRecordingOptions,
  connection: LocalServerConnection,
  logger: Logger,
): Promise<BackgroundRecording> {
  const client = clientOfLocalServer(serverAddress, connection);
  const { durationMs, ...settings } = options;
  let latest: RecorderProgress | undefined;
  let finished = false;
  const recorder = new Recorder(client, {
    ...settings,
    progressIntervalMs: PROGRESS_LOG_INTERVAL_MS,
    onWarning: (message) => logger.warn(message),
    onProgress: (progress) => {
      latest = progress;
      logger.info('recording', progressFields(progress));
    },
  });
  const controller = new AbortController();
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => {
    reportFailure = resolve;
  });
  const done = recorder.run({ signal: controller.signal, durationMs }).then(
    (summary): undefined => {
      finished = true;
      latest = summary;
      const { written, ...rest } = progressFields(summary);
      // The bitrate, as the default one depends on the recorded size and rate.
      const bitrate = summary.bitrateBps === undefined ? {} : { bitrateBps: summary.bitrateBps };
      logger.info('recording finished', { path: summary.path, frames: written, ...rest, ...bitrate });
      return undefined;
    },
    (error: unknown): Error => {
      finished = true;
      const failure = error instanceof Error ? error : new Error(String(error));
      logger.error('recording failed', { error: failure.message });
      reportFailure(failure);
      return failure;
    },
  );
  logger.info('recording', { outDir: options.outDir });
  return {
    failed,
    progress: () => latest,
    running: () => !finished,
    async stop() {
      controller.abort();
      const failure = await done;
      client.close();
      return failure;
    },
  };
}
