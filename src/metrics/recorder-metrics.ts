/** The recorder's metrics (`serve --record`), from its latest progress report. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RecorderProgress } from '../clients/recorder/recorder-options';

export function watchRecorder(registry: Registry, progress: () => RecorderProgress | undefined, recording: () => boolean): void {
  const registers = [registry];
  new Gauge({
    name: 'screencap_recorder_recording',
    help: 'Whether a recording is running (1) or not (0).',
    registers,
    collect() {
      this.set(recording() ? 1 : 0);
    },
  });
  const counters: [string, string, (p: RecorderProgress) => number][] = [
    ['screencap_recorder_frames_written_total', 'Frames from the server stored in the recording.', (p) => p.framesWritten],
    [
      'screencap_recorder_frames_skipped_total',
      'Frames not written (replaced by a newer one while the encoder was busy, or dropped by rate control).',
      (p) => p.framesSkipped,
    ],
    [
      'screencap_recorder_frames_again_total',
      'Samples that code the last picture again: sharp passes and constant-rate repeats.',
      (p) => p.framesAgain,
    ],
  ];
  for (const [name, help, read] of counters) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(progress() ?? { elapsedMs: 0, framesWritten: 0, framesAgain: 0, framesSkipped: 0, bytesOnDisk: 0, encodeFps: 0 }));
      },
    });
  }
  new Gauge({
    name: 'screencap_recorder_bytes',
    help: 'Size of the recording on disk.',
    registers,
    collect() {
      this.set(progress()?.bytesOnDisk ?? 0);
    },
  });
  new Gauge({
    name: 'screencap_recorder_encode_fps',
    help: 'Frames per second the encoder could take at its measured cost per frame.',
    registers,
    collect() {
      this.set(progress()?.encodeFps ?? 0);
    },
  });
}
