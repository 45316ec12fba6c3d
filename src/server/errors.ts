/**
 * The service's one error convention. Handlers throw CaptureError with a Fuchsia error name, the
 * request field it concerns and the reason; the service edge turns it into a gRPC status whose
 * message starts with the Fuchsia name, with a ScreenCaptureErrorDetail in the standard
 * grpc-status-details-bin trailer. Anything else is an internal fault: logged in full, and the
 * peer gets INTERNAL without the internals.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Any } from '../gen/google/protobuf/any.pb';
import { Status } from '../gen/google/rpc/status.pb';
import { ScreenCaptureErrorDetail } from '../gen/screencapture/v1/common.pb';
import { ERROR_CODES, ERROR_DETAIL_TYPE_URL, STATUS_DETAILS_KEY, type ErrorName } from '../protocol/error-details';

/**
 * The longest reason an error carries. Reasons quote client values through quoteClientValue
 * (client-value.ts) and stay far below this; this is the net under that rule, because a reason
 * too long for the response's header block would leave the client with no answer at all and
 * hang its connection.
 */
export const MAX_REASON_CHARS = 1024;

function bounded(reason: string): string {
  if (reason.length <= MAX_REASON_CHARS) return reason;
  return `${reason.slice(0, MAX_REASON_CHARS)}… (${reason.length - MAX_REASON_CHARS} more characters)`;
}

export class CaptureError extends Error {
  /** Why, in a sentence; at most MAX_REASON_CHARS (and a few) characters. */
  readonly reason: string;

  constructor(
    readonly errorName: ErrorName,
    /** Request field path, e.g. "image_size.width"; empty when the error is about no field. */
    readonly field: string,
    reason: string,
  ) {
    const short = bounded(reason);
    super(field ? `${errorName}: ${field}: ${short}` : `${errorName}: ${short}`);
    this.reason = short;
    this.name = 'CaptureError';
  }
}

export const missing = (field: string) => new CaptureError('MISSING_ARGS', field, 'is required');
export const invalid = (field: string, reason: string) => new CaptureError('INVALID_ARGS', field, reason);
export const badOperation = (reason: string, field = '') => new CaptureError('BAD_OPERATION', field, reason);

/** The google.rpc.Status for a CaptureError: its code, message and typed detail. */
export function rpcStatus(error: CaptureError): Status {
  const detail = ScreenCaptureErrorDetail.encode({
    error: ERROR_CODES[error.errorName].proto,
    field: error.field,
    reason: error.reason,
  }).finish();
  return {
    code: ERROR_CODES[error.errorName].grpc,
    message: error.message,
    details: [Any.fromPartial({ typeUrl: ERROR_DETAIL_TYPE_URL, value: Buffer.from(detail) })],
  };
}

/** The gRPC error for a CaptureError (message, code, and its Status in the details trailer). */
export function toServiceError(error: CaptureError): Partial<ServiceError> {
  const statusProto = rpcStatus(error);
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode(statusProto).finish()));
  return { code: statusProto.code, details: error.message, metadata };
}

const INTERNAL_MESSAGE = 'internal error; the server log has the details';

export function internalError(): Partial<ServiceError> {
  return { code: status.INTERNAL, details: INTERNAL_MESSAGE };
}

/** internalError() as a google.rpc.Status. */
export function internalStatus(): Status {
  return { code: status.INTERNAL, message: INTERNAL_MESSAGE, details: [] };
}
