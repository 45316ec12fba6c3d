/**
 * A recording alongside a server in the same process (`screencap serve --record DIR`): still a
 * client of the server's public gRPC API, connecting to the address it listens on.
 */
import type { Logger } from '../../util/logger';
import { clientOfLocalServer, type LocalServerConnection } from '../local-server-client';
import { Recorder } from './recorder';
import type { RecorderOptions } from './recorder-options';

/** What to record: the directory and the settings `screencap record` also takes. */
export interface BackgroundRecordingOptions
  extends Pick<RecorderOptions, 'outDir' | 'width' | 'height' | 'format' | 'bitrateBps' | 'keyframeIntervalMs' | 'usage'> {
  /** Stop recording (the server keeps serving) after this many milliseconds; default: until stop(). */
  durationMs?: number;
}

export interface BackgroundRecording {
  /** Stops the recording and finishes the file; never rejects (failures are logged). */
  stop(): Promise<void>;
}

export async function startRecording(
  serverAddress: string,
  options: BackgroundRecordingOptions,
  connection: LocalServerConnection,
  logger: Logger,
): Promise<BackgroundRecording> {
  const client = clientOfLocalServer(serverAddress, connection);
  const { durationMs, ...settings } = options;
  const recorder = new Recorder(client, {
    ...settings,
    onWarning: (message) => logger.warn(message),
    onProgress: (progress) => logger.debug('recording', { ...progress }),
  });
  const controller = new AbortController();
  const timer = durationMs === undefined ? undefined : setTimeout(() => controller.abort(), durationMs);
  const done = recorder.run({ signal: controller.signal }).then(
    (summary) => logger.info('recording finished', { path: summary.path, frames: summary.framesWritten, skipped: summary.framesSkipped, seconds: summary.durationUs / 1e6 }),
    (error: unknown) => logger.error('recording failed', { error: error instanceof Error ? error.message : String(error) }),
  );
  logger.info('recording', { outDir: options.outDir });
  return {
    async stop() {
      clearTimeout(timer);
      controller.abort();
      await done;
      client.close();
    },
  };
}
