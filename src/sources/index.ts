/** Display sources by name, as the CLI's --source takes them. */
import { FieldError } from '../core/field-error';
import type { Logger } from '../util/logger';
import type { ImageCompressionName, ReclaimPolicy } from './spice';
import type { DisplaySource } from './display-source';
import { ImageSource } from './image/image-source';
import { SyntheticDesktop } from './synthetic/synthetic-desktop';

export type { DisplaySource, DisplaySink, PointerShape, PointerState, Rect, SourceStatus, Surface, SurfaceFormat } from './display-source';
export { LIVE } from './display-source';
export { ImageSource, type StillImage } from './image/image-source';
export { SyntheticDesktop, type SyntheticDesktopOptions } from './synthetic/synthetic-desktop';

export interface SourceOptions {
  /** Size of the synthetic desktop. */
  width?: number;
  height?: number;
  /**
   * SPICE: the server's password (ticket), the CA for spice+tls, the compression to ask for, a
   * dump directory, when to take a session back that another client took.
   */
  spice?: {
    password?: string;
    ca?: Buffer;
    compression?: ImageCompressionName;
    dumpDir?: string;
    reclaim?: ReclaimPolicy;
    /** A share port for the user's own viewer (with a certificate and key for spice+tls). */
    share?: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } };
  };
  logger: Logger;
}

export const SOURCE_FORMS = ['synthetic', 'image:FILE', 'spice://HOST:PORT', 'spice+tls://HOST:PORT'] as const;

/** Makes the source a --source value names; TypeError naming the field when it names none. */
export function createSource(spec: string, options: SourceOptions): DisplaySource {
  if (spec === 'synthetic') return new SyntheticDesktop({ width: options.width, height: options.height });
  if (spec.startsWith('image:') && spec.length > 'image:'.length) return ImageSource.fromFile(spec.slice('image:'.length));
  if (/^spice(\+tls)?:/i.test(spec)) {
    // Loaded only when asked for: the synthetic default needs none of the SPICE client.
    const { parseSpiceUri, SpiceDisplaySource } = require('./spice') as typeof import('./spice');
    const address = parseSpiceUri(spec);
    const spice = options.spice ?? {};
    return new SpiceDisplaySource({
      host: address.host,
      port: address.port,
      password: spice.password,
      tls: address.tls ? { ca: spice.ca } : undefined,
      preferredCompression: spice.compression,
      dumpDir: spice.dumpDir,
      reclaim: spice.reclaim,
      share: spice.share,
      logger: options.logger,
    });
  }
  throw new FieldError('source', `unknown source "${spec}"; expected one of: ${SOURCE_FORMS.join(', ')}`);
}
