/** The SPICE display source: a SPICE client that feeds the frame scheduler. */
export { SpiceDisplaySource, type SpiceDisplaySourceOptions, type SpiceSourceState } from './spice-display-source';
export { parseSpiceUri, type SpiceAddress } from './uri';
export { SpiceLinkError, SpiceProtocolError } from './wire/errors';
export type { ImageCompressionName } from './wire/constants';
export type { ReclaimPolicy } from './reclaim-policy';
