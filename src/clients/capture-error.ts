/**
 * The client library's error: every failed call rejects with a CaptureClientError carrying the
 * gRPC code and, for the server's own refusals, the Fuchsia error name, the field and the reason
 * from the typed status detail.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { Status } from '../gen/google/rpc/status.pb';
import { ScreenCaptureErrorDetail } from '../gen/screencapture/v1/common.pb';
import { errorNameFromProto, ERROR_DETAIL_TYPE_URL, STATUS_DETAILS_KEY, type ErrorName } from '../protocol/error-details';

export type { ErrorName };

export class CaptureClientError extends Error {
  constructor(
    message: string,
    /** The gRPC status code. */
    readonly code: status,
    /** The Fuchsia error name, when the server refused the call itself. */
    readonly errorName?: ErrorName,
    /** The request field concerned, when there is one. */
    readonly field?: string,
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CaptureClientError';
  }

  /**
   * The error for a failed call. `target` (the channel's, e.g. "dns:127.0.0.1:50051") lets a
   * failure to connect say in one line what failed and what to do, instead of grpc-js's text.
   */
  static fromServiceError(error: ServiceError, target?: string): CaptureClientError {
    const detail = readDetail(error);
    return new CaptureClientError(
      (error.code === status.UNAVAILABLE && target !== undefined && connectionProblem(error.details ?? '', target)) ||
        (error.code === status.RESOURCE_EXHAUSTED && !detail && receiveLimitProblem(error.details ?? '')) ||
        error.details ||
        error.message,
      error.code,
      detail && errorNameFromProto(detail.error),
      detail?.field || undefined,
      detail?.reason,
      { cause: error },
    );
  }

  /** The error for a google.rpc.Status the server sent (the local frame socket's end of a stream). */
  static fromStatus(statusMessage: Status): CaptureClientError {
    const detail = detailOf(statusMessage);
    return new CaptureClientError(
      statusMessage.message,
      statusMessage.code as status,
      detail && errorNameFromProto(detail.error),
      detail?.field || undefined,
      detail?.reason,
    );
  }
}

/** "dns:127.0.0.1:50051" or "ipv4:…" -> "127.0.0.1:50051". */
function addressOf(target: string): string {
  return target.replace(/^(dns|ipv4|ipv6|unix):(\/\/\/?)?/, '');
}

/**
 * What a failure to reach the server means, in one line with the fix; undefined when the
 * details are not a connection failure (the server's own UNAVAILABLE, e.g. while it stops).
 */
function connectionProblem(details: string, target: string): string | undefined {
  const address = addressOf(target);
  if (/ECONNREFUSED/.test(details)) {
    return `no screencap server answers at ${address} (connection refused): is \`screencap serve\` running there? (--server sets the address)`;
  }
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(details)) {
    return `cannot resolve the host of ${address}: check --server (HOST:PORT)`;
  }
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(details)) {
    return `cannot reach ${address} (${/E[A-Z]+/.exec(details)![0]}): check --server and the network`;
  }
  if (/wrong version number|SSL routines|certificate|self.signed|handshake/i.test(details)) {
    const reason =
      /:([^:]*(?:wrong version number|certificate[^:.]*|self.signed[^:.]*))/i.exec(details)?.[1]?.trim() ?? 'TLS handshake failed';
    return `TLS with ${address} failed (${reason}): a plain server needs no --tls; a TLS one needs --tls-ca with the authority that signed its certificate`;
  }
  if (/Failed to connect \(/.test(details)) {
    // The TCP connection opened but HTTP/2 never started: what a plain client of a TLS server sees.
    return `cannot connect to ${address} (the connection closed while it was set up): if the server uses TLS, add --tls (and --tls-ca FILE)`;
  }
  if (/No connection established|Connection dropped|ECONNRESET/.test(details)) {
    return `cannot connect to ${address} (${details.replace(/\s*Resolution note:\s*$/, '').slice(0, 200)})`;
  }
  return undefined;
}

/**
 * What grpc-js's refusal of a reply larger than the channel allows means, with the fix; undefined
 * for any other RESOURCE_EXHAUSTED. Sessions declare the limit on Configure, which refuses INLINE
 * sizes that cannot fit, so this is left for servers that predate that check and for the rare
 * frame that brings a large pointer shape (cursor mode 'metadata').
 */
function receiveLimitProblem(details: string): string | undefined {
  const match = /Received message larger than max \((\d+) vs\.? (\d+)\)/.exec(details);
  if (!match) return undefined;
  return (
    `a reply of ${match[1]} bytes is larger than this client's receive limit of ${match[2]} bytes: ` +
    `raise maxReceiveMessageLength (CaptureClientOptions; left out, there is no limit), ` +
    `use transport 'shared-memory' on the server's machine, or configure a smaller size`
  );
}

function readDetail(error: ServiceError): ScreenCaptureErrorDetail | undefined {
  const raw = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  try {
    return detailOf(Status.decode(raw));
  } catch {
    return undefined; // A malformed detail leaves the plain status, which still says what happened.
  }
}

/** The ScreenCaptureErrorDetail among a status's details, if there is one that decodes. */
function detailOf(statusMessage: Status): ScreenCaptureErrorDetail | undefined {
  const found = statusMessage.details.find((any) => any.typeUrl === ERROR_DETAIL_TYPE_URL);
  try {
    return found && ScreenCaptureErrorDetail.decode(found.value);
  } catch {
    return undefined;
  }
}
