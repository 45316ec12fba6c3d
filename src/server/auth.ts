/**
 * Bearer-token check, as a server interceptor: a call without `authorization: Bearer <token>`
 * matching the server's token ends with UNAUTHENTICATED before any handler runs.
 *
 * The health service and server reflection answer without the token, as gRPC deployments expect:
 * load-balancer and orchestrator probes carry no credentials, and reflection only describes the
 * API (the same descriptors the .proto files publish). Every screencapture.v1 call needs it.
 *
 * Refusals are logged at WARN with the peer, at most once per peer per REFUSAL_LOG_EVERY_MS
 * (with the count of the ones in between), so a client retrying in a loop cannot flood the log.
 */
import { timingSafeEqual } from 'node:crypto';
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { Logger } from '../util/logger';
import { peerHost } from './shared-memory';

/** Services that answer without the token: probes and API description. */
export const OPEN_SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

export const REFUSAL_LOG_EVERY_MS = 10_000;
/** Peers remembered for rate limiting; beyond this the oldest is forgotten (a scan cannot grow it). */
const PEERS_REMEMBERED = 1024;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The service part of a method path, "/pkg.Service/Method" -> "pkg.Service". */
function serviceOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/** WARN lines for refused calls, one per peer host per interval. */
export class RefusalLog {
  private readonly peers = new Map<string, { lastLoggedMs: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  refused(peer: string, method: string, reason: string): void {
    const host = peerHost(peer);
    const now = this.now();
    const seen = this.peers.get(host);
    if (seen && now - seen.lastLoggedMs < REFUSAL_LOG_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.peers.delete(host);
    this.peers.set(host, { lastLoggedMs: now, suppressed: 0 });
    if (this.peers.size > PEERS_REMEMBERED) this.peers.delete(this.peers.keys().next().value!);
    this.logger.warn('call refused: bad or missing bearer token', {
      peer,
      method,
      reason,
      suppressed: suppressed > 0 ? suppressed : undefined,
    });
  }
}

/**
 * Why an authorization value ("Bearer <token>") does not carry `token`, as UNAUTHENTICATED's
 * message; undefined when it does. Also the local frame socket's check.
 */
export function bearerTokenRefusal(authorization: string | undefined, token: string): { reason: string; message: string } | undefined {
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  if (given !== undefined && sameSecret(given, token)) return undefined;
  return given === undefined
    ? { reason: 'no token', message: 'UNAUTHENTICATED: this server requires "authorization: Bearer <token>" metadata' }
    : { reason: 'wrong token', message: "UNAUTHENTICATED: the bearer token is not the server's" };
}

export function bearerTokenInterceptor(token: string, logger: Logger): ServerInterceptor {
  const refusals = new RefusalLog(logger);
  return (method, call) => {
    if (OPEN_SERVICES.includes(serviceOf(method.path))) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const header = metadata.get('authorization')[0];
        const refusal = bearerTokenRefusal(typeof header === 'string' ? header : undefined, token);
        if (!refusal) {
          next(metadata);
          return;
        }
        refusals.refused(call.getPeer(), method.path, refusal.reason);
        call.sendStatus({ code: status.UNAUTHENTICATED, details: refusal.message });
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}
