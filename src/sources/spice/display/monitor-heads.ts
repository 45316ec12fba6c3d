/**
 * A guest's monitor heads (MONITORS_CONFIG) as the displays of its desktop. Xspice with NumHeads
 * and a QEMU qxl device with max_outputs lay every head out on one primary surface; a head the
 * guest switched off is left out of the message, or comes with no size.
 */
import type { Display } from '../../../core/display';
import type { MonitorHead } from './display-messages';

export function headsAsDisplays(heads: readonly MonitorHead[]): Display[] {
  const shown = heads.filter((head) => head.width > 0 && head.height > 0).sort((a, b) => a.id - b.id);
  // SPICE does not say which head is primary; the guest's first (head 0 when it is on) is.
  return shown.map((head, index) => ({
    id: head.id,
    name: `head ${head.id}`,
    x: head.x,
    y: head.y,
    width: head.width,
    height: head.height,
    primary: index === 0,
  }));
}
