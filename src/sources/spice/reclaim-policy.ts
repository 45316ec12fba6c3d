/**
 * What the SPICE source does after another client took the server's session (a SPICE server
 * takes one client at a time, and drops the current one when a new one links):
 * - `never`: keep the last picture and stay off until told (`SpiceDisplaySource.reclaim()`,
 *   SIGHUP to `screencap serve`), so the other client is never thrown off;
 * - `after`: take the session back after `delayMs`, whether or not the other client is still on;
 * - `always`: take it back at once, as after any lost connection.
 * Nothing short of linking tells whether the other client is still connected, and linking takes
 * the session from it; hence no "when it leaves" (docs/spice.md).
 */
import { FieldError } from '../../core/field-error';
export type ReclaimPolicy = { mode: 'never' } | { mode: 'after'; delayMs: number } | { mode: 'always' };

export const DEFAULT_RECLAIM: ReclaimPolicy = Object.freeze({ mode: 'never' });

/** The policy as the command line spells it: never, always, after=DURATION. */
export function describeReclaim(policy: ReclaimPolicy): string {
  return policy.mode === 'after' ? `after=${policy.delayMs / 1000}s` : policy.mode;
}

/** TypeError naming `field` unless `policy` is one of the three forms. */
export function validateReclaim(policy: ReclaimPolicy, field: string): void {
  const mode = (policy as { mode?: unknown } | undefined)?.mode;
  if (mode === 'never' || mode === 'always') return;
  if (mode === 'after') {
    const delayMs = (policy as { delayMs?: unknown }).delayMs;
    if (typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs > 0) return;
    throw new FieldError(`${field}.delayMs`, `must be a positive number of milliseconds, got ${String(delayMs)}`);
  }
  throw new FieldError(`${field}.mode`, `must be 'never', 'after' or 'always', got ${String(mode)}`);
}
