import { FieldError } from '../core/field-error';
/** Parsing and checking of the address the server listens on. */

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:50051';

/** "host:port", "[v6]:port" or ":port"; port 0 picks a free one. */
export function parseListenAddress(text: string, field = 'listen'): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new FieldError(field, `expected HOST:PORT (for example 127.0.0.1:50051), got "${text}"`);
  }
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

export function formatAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Where a client in the same host reaches a server listening on `listen`: a wildcard means loopback. */
export function localClientAddress(listen: string): string {
  const { host, port } = parseListenAddress(listen);
  return host === '0.0.0.0' || host === '::' ? `127.0.0.1:${port}` : listen;
}
