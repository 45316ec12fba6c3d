/** `screencap record`: record a server's display to an MP4 file (or PNG frames) until stopped. */
import { status } from '@grpc/grpc-js';
import { CaptureClient } from '../clients/capture-client';
import { CaptureClientError } from '../clients/capture-error';
import { ServerWatch, WATCH_EVERY_MS } from '../clients/server-watch';
import type { RecorderProgress, RecordingSummary } from '../clients/recorder';
import { FieldError } from '../core/field-error';
import { DEFAULT_LISTEN } from '../util/listen-address';
import { createLogger } from '../util/logger';
import { UsageError, type Command } from './command';
import { clientOptions, CLIENT_CONNECTION_OPTIONS } from './client-options';
import { resolveRecordingOutput } from './recording-output';
import { parseRecordingSettings, recordingOptionSpecs } from './recording-options';

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** One progress line: what a user watching the recording wants to know. */
export function progressLine(progress: RecorderProgress): string {
  const encode = progress.encodeFps > 0 ? `, encoder ${progress.encodeFps.toFixed(0)} fps` : '';
  // Sharp passes over a still screen and constant-rate repeats: samples beyond the frames.
  const again = progress.framesAgain > 0 ? `, ${progress.framesAgain} re-encoded` : '';
  return (
    `recording ${(progress.elapsedMs / 1000).toFixed(1)} s: ${progress.framesWritten} frames written, ` +
    `${progress.framesSkipped} skipped${again}, ${formatBytes(progress.bytesOnDisk)} on disk${encode}`
  );
}

/**
 * Progress on stderr: rewritten in place on a terminal, one line a second otherwise (a log
 * file would fill with carriage returns).
 */
function progressPrinter(stream: NodeJS.WriteStream): { update(progress: RecorderProgress): void; end(summary: RecordingSummary): void } {
  return {
    update(progress) {
      if (stream.isTTY) stream.write(`\r${progressLine(progress)}\x1b[K`);
      else stream.write(`${progressLine(progress)}\n`);
    },
    end(summary) {
      if (stream.isTTY) stream.write('\n');
      stream.write(`${summary.path}: ${summary.width}x${summary.height}, ${progressLine(summary).replace(/^recording /, '')}\n`);
    },
  };
}

/**
 * Waits until the server answers, saying once why it does not: a recorder started before its
 * server (both started at boot, or the server restarting) records once it is there. False if
 * stopped first; a refusal other than "unreachable" (a wrong token) fails at once.
 */
async function untilServerAnswers(client: CaptureClient, signal: AbortSignal): Promise<boolean> {
  let said = false;
  while (!signal.aborted) {
    try {
      await client.displayInfo({ signal, timeoutMs: 5000 });
      if (said) process.stderr.write(`screencap record: the server at ${client.address} answers: recording\n`);
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      if (!(error instanceof CaptureClientError) || error.code !== status.UNAVAILABLE) throw error;
      if (!said) process.stderr.write(`screencap record: ${error.message}; retrying every ${WATCH_EVERY_MS / 1000} s (Ctrl-C gives up)\n`);
      said = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WATCH_EVERY_MS);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
  return false;
}

export const recordCommand: Command = {
  name: 'record',
  summary: 'Record the display to an MP4 file (H.264) or PNG frames, at the real capture times, until Ctrl-C.',
  options: {
    ...CLIENT_CONNECTION_OPTIONS,
    out: {
      type: 'string',
      value: 'FILE|DIR',
      short: 'o',
      description: 'The MP4 file to write (talk.mp4), or a directory that gets a new dated file each time (required)',
    },
    force: { type: 'boolean', short: 'y', description: 'Overwrite the --out file if it exists' },
    ...recordingOptionSpecs(),
  },
  details: [
    'Examples:',
    '  screencap record -o talk.mp4',
    '  screencap record -o captures/        (captures/screencap-2026-12-07_10-30-00.mp4)',
    `  screencap record --server ${DEFAULT_LISTEN} -o captures/ --duration 30s --size 1280x720`,
    '  screencap record -o frames-run/ --format png',
    '',
    'The file is fragmented MP4, written and synced to disk a fragment at a time, and also once',
    "the screen has stood still for a fragment's length: if the recorder is killed, the file",
    'plays up to about one fragment (plus the frame being encoded) before the kill, whatever the',
    'screen did. Ctrl-C or SIGTERM finishes the file cleanly. --duration',
    'counts from the first frame, so connecting does not shorten the file; a source with no',
    'picture yet (a VM still booting) is waited for.',
    '',
    "By default the file has a frame per change, at its capture time on the server's vsync grid",
    "(players see the display's rate, e.g. 60 fps). --fps N writes a constant-rate file for",
    'editors instead: a frame every 1/N s, the last picture repeated (a few hundred bytes each)',
    'while the screen stands still. Either way, once the screen has stood still for 0.4 s, its',
    'picture is encoded once more at high quality, so that a still screen is sharp.',
  ].join('\n'),

  async run(values) {
    if (typeof values.out !== 'string' || values.out === '')
      throw new UsageError('--out: required (the MP4 file, or a directory, to record into)');
    const { durationMs, recorder: settings } = parseRecordingSettings(values);
    // Loaded here, not at the top: every screencap command (serve included) loads this module.
    const { prepareOutputDirectory, Recorder } = await import('../clients/recorder/index.js');
    const { isH264Available } = await import('../codec/h264/h264-encoder.js');
    const output = resolveRecordingOutput(
      values.out,
      'out',
      (settings.format ?? 'mp4') === 'mp4' && isH264Available() ? 'mp4' : 'png',
      values.force === true,
    );
    try {
      await prepareOutputDirectory(output.outDir);
    } catch (error) {
      throw new UsageError(`--out: ${(error as Error).message}`);
    }

    const printer = progressPrinter(process.stderr);
    const client = new CaptureClient(clientOptions(values));
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const watch = new ServerWatch(client, createLogger('screencap').child('server'));
    try {
      if (!(await untilServerAnswers(client, controller.signal))) {
        process.stderr.write('screencap record: stopped before the server answered: nothing was recorded.\n');
        return 1;
      }
      // From here on, the server or its source going away (and coming back) is said once each.
      watch.start();
      const recorder = new Recorder(client, {
        ...output,
        ...settings,
        progressIntervalMs: process.stderr.isTTY ? 250 : 1000,
        onProgress: (progress) => printer.update(progress),
        onWarning: (message) => process.stderr.write(`screencap record: warning: ${message}\n`),
      });
      const summary = await recorder.run({ signal: controller.signal, durationMs }).catch((error: unknown) => {
        // An id the server does not list: named as the option that gave it.
        if (error instanceof FieldError && error.field === 'displayId') throw new UsageError(`--display: ${error.reason}`);
        throw error;
      });
      printer.end(summary);
      return 0;
    } finally {
      watch.stop();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      client.close();
    }
  },
};
