/** `screencap view`: serve the live view page for a screencap server's display until interrupted. */
import { CaptureClient } from '../clients/capture-client';
import { ServerWatch } from '../clients/server-watch';
import { DEFAULT_LISTEN } from '../util/listen-address';
import { createLogger } from '../util/logger';
import { type Command, rethrowAsUsage } from './command';
import { clientOptions, CLIENT_CONNECTION_OPTIONS } from './client-options';
import { METRICS_OPTION, startMetrics } from './metrics-option';
import { untilStopSignal } from './stop-signal';
import { parseViewingSettings, viewingOptionSpecs } from './viewing-options';

export const DEFAULT_VIEW_LISTEN = '127.0.0.1:8080';

export const viewCommand: Command = {
  name: 'view',
  summary: 'Show the display live in a web browser (H.264 over a WebSocket), as a client of the gRPC API.',
  options: {
    ...CLIENT_CONNECTION_OPTIONS,
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      description: 'Where to serve the page; a non-loopback address needs --public',
      default: DEFAULT_VIEW_LISTEN,
    },
    ...viewingOptionSpecs(),
    metrics: METRICS_OPTION,
  },
  details: [
    'Examples:',
    '  screencap view',
    `  screencap view --server ${DEFAULT_LISTEN} --listen 127.0.0.1:8080 --size 1920x1080 --fps 60`,
    '',
    'Then open http://127.0.0.1:8080 in a browser. The page shows the picture size, frames per',
    'second and capture-to-display latency in a corner, and reconnects by itself. A page may ask',
    'for its own stream: http://127.0.0.1:8080/?size=640x360&fps=15&rotation=90 (viewers with the',
    'same settings share one encoder). Also served: /frame.png and /frame.jpg (the current screen,',
    '?size=WxH to scale) and /status.json (streams, viewers, frames dropped for slow viewers).',
  ].join('\n'),

  async run(values) {
    const logger = createLogger('screencap');
    const viewing = parseViewingSettings(values);
    const { ViewerServer } = await import('../clients/viewer/viewer-server.js');
    const client = new CaptureClient(clientOptions(values));
    let viewer;
    try {
      viewer = await ViewerServer.start({
        client,
        listen: typeof values.listen === 'string' ? values.listen : DEFAULT_VIEW_LISTEN,
        defaults: viewing.defaults,
        public: viewing.public,
        logger: logger.child('viewer'),
      });
    } catch (error) {
      client.close();
      // The viewer calls its address 'view' (as serve's --view does); this command's option is --listen.
      rethrowAsUsage(error, (field) => (field === 'view' ? 'listen' : field));
    }
    const running = viewer;
    let metrics;
    try {
      metrics = await startMetrics(values.metrics, { viewerStatus: () => running.status() });
    } catch (error) {
      await viewer.stop();
      client.close();
      throw error;
    }
    const stopSignal = untilStopSignal(logger); // before the announcement, as serve does
    process.stdout.write(`screencap view of ${client.address}: open ${viewer.url}\n`);
    if (metrics) process.stdout.write(`screencap metrics: ${metrics.url}\n`);
    // The page shows the picture, or that none comes; the terminal says why.
    const watch = new ServerWatch(client, logger.child('server'));
    watch.start();
    await stopSignal;
    watch.stop();
    await metrics?.stop();
    await viewer.stop();
    client.close();
    return 0;
  },
};
