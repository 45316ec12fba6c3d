/** The display a client asked for by id, among those the server lists. */
import { FieldError } from '../core/field-error';
import type { DisplayDescription } from './capture-client';

/** The display `id` of `displays`; a FieldError on displayId naming the listed ids otherwise. */
export function chosenDisplay(displays: readonly DisplayDescription[], id: number): DisplayDescription {
  const found = displays.find((candidate) => candidate.id === id);
  if (found) return found;
  const listed = displays.length === 0 ? 'the server lists none' : `the server's displays are ${displays.map((d) => d.id).join(', ')}`;
  throw new FieldError('displayId', `no display ${id}; ${listed}`);
}
