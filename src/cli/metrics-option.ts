/**
 * --metrics HOST:PORT (serve, view): Prometheus metrics of what runs in this process. Loaded only
 * when asked for: a process without it runs none of prom-client.
 */
import type { OptionSpec } from './command';
import { rethrowAsUsage, UsageError } from './command';

export const METRICS_OPTION: OptionSpec = {
  type: 'string',
  value: 'HOST:PORT',
  description: 'Serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks one); anyone who reaches it reads them',
};

/** What a process can show: each part that runs in it. */
export interface MetricsParts {
  server?: import('../server').CaptureServer;
  source?: import('../sources/display-source').DisplaySource;
  recording?: import('../clients/recorder/background-recording').BackgroundRecording;
  viewerStatus?: () => import('../clients/viewer/viewer-server').ViewerServerStatus;
}

export interface RunningMetrics {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the endpoint when --metrics was given; a bad address is a usage error naming it. */
export async function startMetrics(listen: unknown, parts: MetricsParts): Promise<RunningMetrics | undefined> {
  if (listen === undefined) return undefined;
  if (typeof listen !== 'string' || listen === '') throw new UsageError('--metrics: expected HOST:PORT, for example 127.0.0.1:9464');
  const { MetricsEndpoint } = await import('../metrics/metrics-endpoint.js');
  const registry = MetricsEndpoint.newRegistry();
  const stops: (() => void)[] = [];
  if (parts.server) stops.push((await import('../metrics/capture-server-metrics.js')).watchCaptureServer(registry, parts.server));
  if (parts.source) (await import('../metrics/source-metrics.js')).watchSource(registry, parts.source);
  const recording = parts.recording;
  if (recording)
    (await import('../metrics/recorder-metrics.js')).watchRecorder(
      registry,
      () => recording.progress(),
      () => recording.running(),
    );
  if (parts.viewerStatus) (await import('../metrics/viewer-metrics.js')).watchViewer(registry, parts.viewerStatus);
  let endpoint;
  try {
    endpoint = await MetricsEndpoint.start(registry, listen);
  } catch (error) {
    for (const stop of stops) stop();
    rethrowAsUsage(error);
  }
  return {
    url: endpoint.url,
    async stop() {
      for (const stop of stops) stop();
      await endpoint.stop();
    },
  };
}
