/** The connection options every client command shares (--server, --token, TLS). */
import type { CaptureClientOptions } from '../clients/capture-client';
import { DEFAULT_LISTEN } from '../util/listen-address';
import type { OptionSpec, ParsedOptions } from './command';
import { readFileOption, tokenOption } from './option-values';

export const CLIENT_CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  server: { type: 'string', value: 'HOST:PORT', description: 'The screencap server', default: DEFAULT_LISTEN },
  token: { type: 'string', value: 'TOKEN', description: 'Bearer token, when the server requires one (or set SCREENCAP_TOKEN)' },
  tls: { type: 'boolean', description: 'Connect with TLS' },
  'tls-ca': { type: 'string', value: 'FILE', description: 'PEM of the authority that signed the server certificate (implies --tls)' },
};

export function clientOptions(values: ParsedOptions): CaptureClientOptions {
  const ca = typeof values['tls-ca'] === 'string' ? readFileOption(values['tls-ca'], 'tls-ca') : undefined;
  return {
    address: typeof values.server === 'string' ? values.server : DEFAULT_LISTEN,
    token: tokenOption(values.token),
    tls: ca ? { ca } : values.tls === true,
  };
}
