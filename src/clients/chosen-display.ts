/** The display a client asked for, among those the server lists. */
import { WHOLE_DESKTOP_DISPLAY_ID } from '../core/display';
import { FieldError } from '../core/field-error';
import type { DisplayDescription, DisplayInfo } from './capture-client';

/** The display `id` of `displays`; a FieldError on displayId naming the listed ids otherwise. */
export function chosenDisplay(displays: readonly DisplayDescription[], id: number): DisplayDescription {
  const found = displays.find((candidate) => candidate.id === id);
  if (found) return found;
  const listed = displays.length === 0 ? 'the server lists none' : `the server's displays are ${displays.map((d) => d.id).join(', ')}`;
  throw new FieldError('displayId', `no display ${id}; ${listed}, and ${WHOLE_DESKTOP_DISPLAY_ID} is the whole desktop`);
}

/**
 * The size of what a session configured with `displayId` shows: that display; the primary one
 * when it names none (the whole desktop from a server that lists no displays); the whole desktop
 * for WHOLE_DESKTOP_DISPLAY_ID.
 */
export function shownSize(info: DisplayInfo, displayId: number | undefined): { width: number; height: number } {
  if (displayId === WHOLE_DESKTOP_DISPLAY_ID) return info;
  if (displayId === undefined) return info.displays.find((display) => display.primary) ?? info;
  return chosenDisplay(info.displays, displayId);
}
