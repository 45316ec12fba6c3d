/**
 * SIGHUP to `screencap serve`: take a SPICE session back that another client took. With the
 * default --spice-reclaim never this is how an operator retakes the VM once the user's viewer is
 * done (nothing short of taking the session tells whether it is). Returns the unsubscribe.
 */
import type { DisplaySource } from '../sources';
import type { Logger } from '../util/logger';

interface Reclaimable {
  reclaim(): boolean;
}

function isReclaimable(source: DisplaySource): source is DisplaySource & Reclaimable {
  return typeof (source as Partial<Reclaimable>).reclaim === 'function';
}

export function reclaimOnHangUp(source: DisplaySource, logger: Logger): () => void {
  if (!isReclaimable(source)) return () => {};
  const onHangUp = () => {
    if (!source.reclaim()) logger.info('SIGHUP: the display source is not displaced; nothing to take back', { source: source.description });
  };
  process.on('SIGHUP', onHangUp);
  return () => process.off('SIGHUP', onHangUp);
}
