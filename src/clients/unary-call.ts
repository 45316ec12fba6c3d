/** Promise-returning unary calls with cancellation by AbortSignal and the bearer token attached. */
import { Metadata, type CallOptions, type Client, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { CaptureClientError } from './capture-error';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallSettings {
  signal?: AbortSignal;
  /** Milliseconds. */
  timeoutMs?: number;
}

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

export function callUnary<Req, Res>(
  client: Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  token: string | undefined,
  settings: CallSettings = {},
): Promise<Res> {
  const { signal, timeoutMs } = settings;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  const options: Partial<CallOptions> = timeoutMs !== undefined ? { deadline: Date.now() + timeoutMs } : {};
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => {
      call.cancel();
      reject(abortError(signal!));
    };
    const call = method.call(client, request, metadata, options, (error, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return; // already rejected
      if (error) reject(CaptureClientError.fromServiceError(error, client.getChannel().getTarget()));
      else resolve(response);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
