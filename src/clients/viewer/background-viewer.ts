/**
 * The live view alongside a server in the same process (`screencap serve --view ADDR`): still a
 * client of the server's public gRPC API, connecting to the address it listens on.
 */
import type { Logger } from '../../util/logger';
import { clientOfLocalServer, type LocalServerConnection } from '../local-server-client';
import type { StreamSettings } from './stream-settings';
import { ViewerServer, type ViewerServerStatus } from './viewer-server';

export interface BackgroundViewer {
  readonly url: string;
  /** Streams and viewers now, as /status.json has them (for metrics). */
  status(): ViewerServerStatus;
  /** Closes every viewer and stream; never rejects. */
  stop(): Promise<void>;
}

export async function startViewer(
  serverAddress: string,
  options: { listen: string; defaults: StreamSettings; public: boolean },
  connection: LocalServerConnection,
  logger: Logger,
): Promise<BackgroundViewer> {
  const client = clientOfLocalServer(serverAddress, connection);
  let viewer: ViewerServer;
  try {
    viewer = await ViewerServer.start({ client, ...options, logger });
  } catch (error) {
    client.close();
    throw error;
  }
  logger.info('serving the live view', { url: viewer.url });
  return {
    url: viewer.url,
    status: () => viewer.status(),
    async stop() {
      await viewer.stop().catch((error: Error) => logger.warn('live view did not stop cleanly', { error: error.message }));
      client.close();
    },
  };
}
