/** The live viewer's metrics, read from its status at each scrape: viewers, streams, encoding, drops. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ViewerServerStatus } from '../clients/viewer/viewer-server';

/** A counter whose total is read from elsewhere at each scrape. */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function watchViewer(registry: Registry, status: () => ViewerServerStatus): void {
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  new Gauge({
    name: 'screencap_viewer_viewers',
    help: 'Browsers watching the live view now.',
    registers: [registry],
    collect() {
      this.set(status().viewers.length);
    },
  });
  new Gauge({
    name: 'screencap_viewer_streams',
    help: 'Live-view streams (one encoder each) running now.',
    registers: [registry],
    collect() {
      this.set(status().streams.length);
    },
  });
  // Totals of the streams running now: a stream that closed takes its counts with it, which
  // Prometheus's rate() reads as a counter reset.
  totalCounter(registry, 'screencap_viewer_frames_encoded_total', 'Frames the live-view streams running now encoded.', () =>
    sum(status().streams.map((s) => s.stats.framesEncoded)),
  );
  totalCounter(registry, 'screencap_viewer_bytes_encoded_total', 'H.264 bytes the live-view streams running now produced.', () =>
    sum(status().streams.map((s) => s.stats.bytesEncoded)),
  );
  totalCounter(registry, 'screencap_viewer_keyframes_forced_total', 'Keyframes made early for joining or lagging viewers.', () =>
    sum(status().streams.map((s) => s.stats.forcedKeyframes)),
  );
  totalCounter(
    registry,
    'screencap_viewer_segments_dropped_total',
    'Segments not sent to viewers that fell behind (viewers connected now).',
    () => sum(status().viewers.map((v) => v.segmentsDropped)),
  );
  new Gauge({
    name: 'screencap_viewer_encode_fps',
    help: 'Frames per second each live-view stream encoded over the last second.',
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const stream of status().streams) this.set({ stream: stream.key }, stream.stats.encodeFps);
    },
  });
}
