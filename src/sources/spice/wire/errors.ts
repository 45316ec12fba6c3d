/**
 * A peer sent bytes that do not follow the protocol (truncated, out of range, unknown where the
 * protocol allows no skipping). The connection that carried them is dropped; the process is not.
 */
export class SpiceProtocolError extends Error {
  override readonly name = 'SpiceProtocolError';
}

/** The server refused the link (wrong password, version mismatch, ...). Not retried faster. */
export class SpiceLinkError extends Error {
  override readonly name = 'SpiceLinkError';
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}
