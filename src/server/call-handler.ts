/**
 * Wraps a service method so that every error leaves the server the same way: a CaptureError as
 * its gRPC status with the typed detail, anything else logged in full and answered INTERNAL.
 */
import type { sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import type { Logger } from '../util/logger';
import { CaptureError, internalError, toServiceError } from './errors';

export type UnaryMethod<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res;

/**
 * Logs `error` as it deserves: a CaptureError (the client's request refused) at debug, anything
 * else (a fault of the server's) in full. Returns whether it is a CaptureError.
 */
export function logFailure(logger: Logger, method: string, error: unknown): error is CaptureError {
  if (error instanceof CaptureError) {
    logger.debug('call refused', { method, error: error.message });
    return true;
  }
  logger.error('call failed', { method, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return false;
}

/** The status a call of `method` ends with for `error`, logged as it deserves. */
export function statusOf(logger: Logger, method: string, error: unknown): Partial<ServiceError> {
  return logFailure(logger, method, error) ? toServiceError(error) : internalError();
}

export function unaryHandler<Req, Res>(logger: Logger, name: string, method: UnaryMethod<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => method(call.request, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(statusOf(logger, name, error)),
      );
  };
}
