/**
 * The live view alongside a server in the same process (`screencap serve --view ADDR`): still a
 * client of the server's public gRPC API, connecting to the address it listens on.
 */
import { localClientAddress } from '../../server/listen-address';
import type { Logger } from '../../util/logger';
import { CaptureClient } from '../capture-client';
import type { StreamSettings } from './stream-settings';
import { ViewerServer } from './viewer-server';

export interface BackgroundViewer {
  readonly url: string;
  /** Closes every viewer and stream; never rejects. */
  stop(): Promise<void>;
}

export async function startViewer(
  serverAddress: string,
  options: { listen: string; defaults: StreamSettings; public: boolean },
  connection: { token?: string; tlsCa?: Buffer },
  logger: Logger,
): Promise<BackgroundViewer> {
  const client = new CaptureClient({
    address: localClientAddress(serverAddress),
    token: connection.token,
    tls: connection.tlsCa ? { ca: connection.tlsCa } : false,
  });
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
    async stop() {
      await viewer.stop().catch((error: Error) => logger.warn('live view did not stop cleanly', { error: error.message }));
      client.close();
    },
  };
}
