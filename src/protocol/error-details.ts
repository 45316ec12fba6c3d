/**
 * The error vocabulary shared by server and clients: the Fuchsia error names, their gRPC codes,
 * and where the typed detail travels (google.rpc.Status in grpc-status-details-bin).
 */
import { status } from '@grpc/grpc-js';
import { ScreenCaptureError } from '../gen/screencapture/v1/common.pb';

export type ErrorName = 'MISSING_ARGS' | 'INVALID_ARGS' | 'BAD_HANGING_GET' | 'BAD_OPERATION' | 'LIMIT_EXCEEDED';

export const ERROR_CODES: Record<ErrorName, { grpc: status; proto: ScreenCaptureError }> = {
  MISSING_ARGS: { grpc: status.INVALID_ARGUMENT, proto: ScreenCaptureError.SCREEN_CAPTURE_ERROR_MISSING_ARGS },
  INVALID_ARGS: { grpc: status.INVALID_ARGUMENT, proto: ScreenCaptureError.SCREEN_CAPTURE_ERROR_INVALID_ARGS },
  BAD_HANGING_GET: { grpc: status.FAILED_PRECONDITION, proto: ScreenCaptureError.SCREEN_CAPTURE_ERROR_BAD_HANGING_GET },
  BAD_OPERATION: { grpc: status.FAILED_PRECONDITION, proto: ScreenCaptureError.SCREEN_CAPTURE_ERROR_BAD_OPERATION },
  LIMIT_EXCEEDED: { grpc: status.RESOURCE_EXHAUSTED, proto: ScreenCaptureError.SCREEN_CAPTURE_ERROR_LIMIT_EXCEEDED },
};

export function errorNameFromProto(error: ScreenCaptureError): ErrorName | undefined {
  return (Object.keys(ERROR_CODES) as ErrorName[]).find((name) => ERROR_CODES[name].proto === error);
}

export const ERROR_DETAIL_TYPE_URL = 'type.googleapis.com/screencapture.v1.ScreenCaptureErrorDetail';
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
