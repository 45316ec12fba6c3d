/**
 * The capture server's Prometheus metrics: sessions, frames latched, frames delivered and
 * skipped per transport, latch-to-delivery latency and render time, and whether the display
 * source is up. Everything comes from the server's own hooks (the scheduler's frame and status
 * listeners, the manager's delivery observer), so the server itself knows nothing of Prometheus.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CaptureServer } from '../server';

/** Seconds: from a fraction of a vsync to several frames late. */
const LATENCY_BUCKETS = [0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.066, 0.1, 0.25, 0.5, 1];
const RENDER_BUCKETS = [0.0001, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.066, 0.1];

export function watchCaptureServer(registry: Registry, server: CaptureServer): () => void {
  const registers = [registry];
  new Gauge({
    name: 'screencap_sessions',
    help: 'Sessions open now.',
    registers,
    collect() {
      this.set(server.manager.sessionCount);
    },
  });
  new Gauge({
    name: 'screencap_source_up',
    help: 'Whether the display source can see its display (1) or is down, serving its last picture (0).',
    registers,
    collect() {
      this.set(server.scheduler.sourceStatus.live ? 1 : 0);
    },
  });
  new Gauge({
    name: 'screencap_display_pixels',
    help: 'Width and height of the latest frame.',
    labelNames: ['side'],
    registers,
    collect() {
      const size = server.scheduler.displaySize();
      this.set({ side: 'width' }, size?.width ?? 0);
      this.set({ side: 'height' }, size?.height ?? 0);
    },
  });
  const latched = new Counter({
    name: 'screencap_frames_latched_total',
    help: 'Frames the scheduler latched (one per vsync with damage at most).',
    registers,
  });
  const delivered = new Counter({
    name: 'screencap_frames_delivered_total',
    help: 'Frames delivered to clients, by transport.',
    labelNames: ['transport'],
    registers,
  });
  const skipped = new Counter({
    name: 'screencap_frames_skipped_total',
    help: 'Frames latched while a client was not waiting for one, which it never got (it got a later one), by transport.',
    labelNames: ['transport'],
    registers,
  });
  const latency = new Histogram({
    name: 'screencap_latch_to_delivery_seconds',
    help: 'From the latch of a frame to its delivery to a client, by transport.',
    labelNames: ['transport'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const render = new Histogram({
    name: 'screencap_render_seconds',
    help: "Rendering a client's pixels (scale, rotate, convert, pointer), per delivery.",
    buckets: RENDER_BUCKETS,
    registers,
  });
  for (const transport of ['inline', 'shared_memory']) {
    delivered.inc({ transport }, 0);
    skipped.inc({ transport }, 0);
  }
  const stopFrames = server.scheduler.onFrame(() => latched.inc());
  const stopDeliveries = server.manager.observeDeliveries({
    delivered(record) {
      delivered.inc({ transport: record.transport });
      if (record.framesSkipped > 0) skipped.inc({ transport: record.transport }, record.framesSkipped);
      latency.observe({ transport: record.transport }, Number(record.latchToDeliveryNs) / 1e9);
      render.observe(Number(record.renderNs) / 1e9);
    },
  });
  return () => {
    stopFrames();
    stopDeliveries();
  };
}
