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

/**
 * The server ended a channel (FIN or reset) without a protocol error on either side: what a
 * server that exits does, and what spice-server does to its client when another one links.
 */
export class SpiceServerClosedError extends Error {
  override readonly name = 'SpiceServerClosedError';
}

/** Whether a session's end came from the server hanging up rather than from this client. */
export function isServerHangUp(error: Error | undefined): boolean {
  if (error instanceof SpiceServerClosedError) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
