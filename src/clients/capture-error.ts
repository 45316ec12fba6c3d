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

  static fromServiceError(error: ServiceError): CaptureClientError {
    const detail = readDetail(error);
    return new CaptureClientError(
      error.details || error.message,
      error.code,
      detail && errorNameFromProto(detail.error),
      detail?.field || undefined,
      detail?.reason,
      { cause: error },
    );
  }
}

function readDetail(error: ServiceError): ScreenCaptureErrorDetail | undefined {
  const raw = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  try {
    const found = Status.decode(raw).details.find((any) => any.typeUrl === ERROR_DETAIL_TYPE_URL);
    return found && ScreenCaptureErrorDetail.decode(found.value);
  } catch {
    return undefined; // A malformed detail leaves the plain status, which still says what happened.
  }
}
