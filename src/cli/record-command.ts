/** `screencap record`: record a server's display to display.mp4 (or PNG frames) until stopped. */
import { CaptureClient } from '../clients/capture-client';
import type { RecorderProgress, RecordingSummary } from '../clients/recorder';
import { DEFAULT_LISTEN } from '../server/listen-address';
import { UsageError, type Command } from './command';
import { clientOptions, CLIENT_CONNECTION_OPTIONS } from './client-options';
import { parseDuration, parseSize } from './option-values';

/** "5M", "800k", "2500000": bits per second. */
function parseBitrate(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
  const scale = { '': 1, k: 1e3, m: 1e6 }[(match?.[2] ?? '').toLowerCase() as '' | 'k' | 'm'];
  const bps = match ? Math.round(Number(match[1]) * scale) : NaN;
  if (!(bps >= 10_000 && bps <= 200_000_000)) {
    throw new UsageError(`--${option}: expected bits per second from 10k to 200M (for example 5M or 800k), got "${text}"`);
  }
  return bps;
}

function parseChoice<T extends string>(text: string, option: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${option}: must be ${choices.join(' or ')}, got "${text}"`);
  return text as T;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** One progress line: what a user watching the recording wants to know. */
export function progressLine(progress: RecorderProgress): string {
  const encode = progress.encodeFps > 0 ? `, encoder ${progress.encodeFps.toFixed(0)} fps` : '';
  return (
    `recording ${(progress.elapsedMs / 1000).toFixed(1)} s: ${progress.framesWritten} frames written, ` +
    `${progress.framesSkipped} skipped, ${formatBytes(progress.bytesOnDisk)} on disk${encode}`
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

export const recordCommand: Command = {
  name: 'record',
  summary: 'Record the display to OUT/display.mp4 (H.264) or PNG frames, at the real capture times, until Ctrl-C.',
  options: {
    ...CLIENT_CONNECTION_OPTIONS,
    out: { type: 'string', value: 'DIR', description: 'Directory to write display.mp4 (or frames/) into (required)' },
    duration: { type: 'string', value: 'DURATION', description: 'Stop after this long', default: 'until Ctrl-C' },
    size: { type: 'string', value: 'WxH', description: 'Recorded size, both sides even', default: 'the display size' },
    format: { type: 'string', value: 'mp4|png', description: 'Output format (png when H.264 is unavailable)', default: 'mp4' },
    bitrate: { type: 'string', value: 'BPS', description: 'H.264 target bitrate, e.g. 5M or 800k', default: '5M' },
    'keyframe-interval': { type: 'string', value: 'DURATION', description: 'Keyframe and fragment interval: the most a crash loses', default: '1s' },
    usage: { type: 'string', value: 'screen|camera', description: 'Tune the encoder for screen content or camera video', default: 'screen' },
  },
  details: [
    'Examples:',
    '  screencap record --out captures/',
    `  screencap record --server ${DEFAULT_LISTEN} --out captures/ --duration 30s --size 1280x720`,
    '  screencap record --out frames-run/ --format png',
    '',
    'The file is fragmented MP4, synced to disk every keyframe interval: if the recorder is',
    'killed, everything but the last fragment still plays. Ctrl-C finishes the file cleanly.',
  ].join('\n'),

  async run(values) {
    if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out: required (the directory to record into)');
    const durationMs = typeof values.duration === 'string' ? parseDuration(values.duration, 'duration') : undefined;
    const size = typeof values.size === 'string' ? parseSize(values.size, 'size') : undefined;
    if (size && (size.width % 2 !== 0 || size.height % 2 !== 0)) {
      throw new UsageError(`--size: both sides must be even (H.264 4:2:0), got ${size.width}x${size.height}`);
    }
    const format = parseChoice(String(values.format ?? 'mp4'), 'format', ['mp4', 'png'] as const);
    const bitrateBps = parseBitrate(String(values.bitrate ?? '5M'), 'bitrate');
    const keyframeIntervalMs = parseDuration(String(values['keyframe-interval'] ?? '1s'), 'keyframe-interval');
    const usage = parseChoice(String(values.usage ?? 'screen'), 'usage', ['screen', 'camera'] as const);
    // Loaded here, not at the top: every screencap command (serve included) loads this module.
    const { prepareOutputDirectory, Recorder } = await import('../clients/recorder/index.js');
    try {
      await prepareOutputDirectory(values.out);
    } catch (error) {
      throw new UsageError(`--out: ${(error as Error).message}`);
    }

    const printer = progressPrinter(process.stderr);
    const client = new CaptureClient(clientOptions(values));
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const timer = durationMs === undefined ? undefined : setTimeout(stop, durationMs);
    try {
      const recorder = new Recorder(client, {
        outDir: values.out,
        ...size,
        format,
        bitrateBps,
        keyframeIntervalMs,
        usage,
        progressIntervalMs: process.stderr.isTTY ? 250 : 1000,
        onProgress: (progress) => printer.update(progress),
        onWarning: (message) => process.stderr.write(`screencap record: warning: ${message}\n`),
      });
      const summary = await recorder.run({ signal: controller.signal });
      printer.end(summary);
      return 0;
    } finally {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      client.close();
    }
  },
};
