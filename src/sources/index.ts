/** Display sources by name, as the CLI's --source takes them. */
import type { Logger } from '../util/logger';
import type { DisplaySource } from './display-source';
import { ImageSource } from './image/image-source';
import { SyntheticDesktop } from './synthetic/synthetic-desktop';

export type { DisplaySource, DisplaySink, Rect, Surface, SurfaceFormat } from './display-source';
export { ImageSource, type StillImage } from './image/image-source';
export { SyntheticDesktop, type SyntheticDesktopOptions } from './synthetic/synthetic-desktop';

export interface SourceOptions {
  /** Size of the synthetic desktop. */
  width?: number;
  height?: number;
  logger: Logger;
}

export const SOURCE_FORMS = ['synthetic', 'image:FILE'] as const;

/** Makes the source a --source value names; TypeError naming the field when it names none. */
export function createSource(spec: string, options: SourceOptions): DisplaySource {
  if (spec === 'synthetic') return new SyntheticDesktop({ width: options.width, height: options.height });
  if (spec.startsWith('image:') && spec.length > 'image:'.length) return ImageSource.fromFile(spec.slice('image:'.length));
  throw new TypeError(`source: unknown source "${spec}"; expected one of: ${SOURCE_FORMS.join(', ')}`);
}
