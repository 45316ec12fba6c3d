/**
 * The client that a server's own companions use (`serve --record`, `serve --view`): still the
 * public gRPC API, reached through loopback when the server listens on a wildcard address, with
 * the server's token, and its certificate as the authority when it serves TLS.
 */
import { localClientAddress } from '../util/listen-address';
import { CaptureClient } from './capture-client';

export interface LocalServerConnection {
  token?: string;
  /** The server's own certificate (PEM) when it serves TLS. */
  tlsCa?: Buffer;
}

export function clientOfLocalServer(listenAddress: string, connection: LocalServerConnection): CaptureClient {
  return new CaptureClient({
    address: localClientAddress(listenAddress),
    token: connection.token,
    tls: connection.tlsCa ? { ca: connection.tlsCa } : false,
  });
}
