/** What a transform reads: a frame's picture, as latched or with the pointer drawn in. */
import type { Frame } from '../scheduler/frame';

export type Picture = Pick<Frame, 'width' | 'height' | 'format' | 'pixels'>;
