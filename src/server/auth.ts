/**
 * Bearer-token check for every call (ours, health and reflection alike), as a server
 * interceptor: a call without `authorization: Bearer <token>` matching the server's token ends
 * with UNAUTHENTICATED before any handler runs.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptor,
} from '@grpc/grpc-js';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function bearerTokenInterceptor(token: string): ServerInterceptor {
  return (_method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const header = metadata.get('authorization')[0];
        const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
        if (given !== undefined && sameSecret(given, token)) {
          next(metadata);
        } else {
          call.sendStatus({
            code: status.UNAUTHENTICATED,
            details: given === undefined
              ? 'UNAUTHENTICATED: this server requires "authorization: Bearer <token>" metadata'
              : 'UNAUTHENTICATED: the bearer token is not the server\'s',
          });
        }
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}
