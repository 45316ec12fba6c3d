/**
 * Serves a Prometheus registry at http://HOST:PORT/metrics (`--metrics HOST:PORT`), with Node's
 * process metrics (CPU, memory, event-loop lag, handles) beside screencap's own.
 */
import { FieldError } from '../core/field-error';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { formatAddress, parseListenAddress } from '../util/listen-address';

export class MetricsEndpoint {
  private constructor(
    private readonly http: Server,
    /** The address actually bound, HOST:PORT. */
    readonly address: string,
  ) {}

  get url(): string {
    return `http://${this.address}/metrics`;
  }

  /** A registry with the process metrics in it, for the metrics of whatever runs in this process. */
  static newRegistry(): Registry {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    return registry;
  }

  /** Listens on `listen` (HOST:PORT; port 0 picks one). Throws a TypeError naming `metrics` for a bad address. */
  static async start(registry: Registry, listen: string): Promise<MetricsEndpoint> {
    const where = parseListenAddress(listen, 'metrics');
    const http = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if ((request.method !== 'GET' && request.method !== 'HEAD') || path !== '/metrics') {
        response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(path === '/metrics' ? 'GET only\n' : 'metrics are at /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        (error: Error) => {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(`collecting the metrics failed: ${error.message}\n`);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', (error) => reject(new FieldError('metrics', `cannot listen on ${listen}: ${error.message}`)));
      http.listen(where.port, where.host, () => resolve());
    });
    const port = (http.address() as { port: number }).port;
    return new MetricsEndpoint(http, formatAddress({ host: where.host, port }));
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
