/**
 * Wraps a service method so that every error leaves the server the same way: a CaptureError as
 * its gRPC status with the typed detail, anything else logged in full and answered INTERNAL.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../util/logger';
import { CaptureError, internalError, toServiceError } from './errors';

export type UnaryMethod<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res;

export function unaryHandler<Req, Res>(logger: Logger, name: string, method: UnaryMethod<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => method(call.request, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (error instanceof CaptureError) {
            logger.debug('call refused', { method: name, error: error.message });
            callback(toServiceError(error));
          } else {
            logger.error('call failed', { method: name, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
            callback(internalError());
          }
        },
      );
  };
}
