/**
 * Values a client sent, quoted back in an error. Every such quote is bounded: an error's message
 * travels in the response's header block (grpc-message, and again in grpc-status-details-bin),
 * and a header block over HTTP/2's limit is not delivered at all: the client gets nothing and
 * every later call on that connection hangs. So a long value is quoted by a prefix and its length.
 */

/** Characters of a client's value quoted in an error; the rest is counted, not repeated. */
export const QUOTED_PREFIX_CHARS = 80;

/** `"abc"`, or `"abcd…" (32768 characters)` for a value longer than the prefix. */
export function quoteClientValue(value: string): string {
  if (value.length <= QUOTED_PREFIX_CHARS) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTED_PREFIX_CHARS))}… (${value.length} characters)`;
}
