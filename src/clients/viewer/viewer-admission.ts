/**
 * Who may use the live viewer, and how many at once: the address it may listen on, the requests
 * it answers (Host and Origin), and the limits on viewers and snapshots.
 */
import type { IncomingMessage } from 'node:http';
import { FieldError } from '../../core/field-error';
import { isLoopback, parseListenAddress, type ListenAddress } from '../../util/listen-address';

export interface AdmissionLimits {
  /** Serving on a non-loopback address: anyone who reaches it sees the screen. */
  public: boolean;
  /** Viewers at once. */
  maxViewers: number;
  /** Snapshots being taken at once. */
  maxSnapshots: number;
}

/** The name part of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost"). */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  if (bracketed) return bracketed[1];
  return host.replace(/:\d+$/, '');
}

/**
 * The address to listen on; a FieldError ('view') when it is malformed, or not a loopback address
 * and `allowPublic` is not set.
 */
export function viewerListenAddress(listen: string, allowPublic: boolean | undefined): ListenAddress {
  const address = parseListenAddress(listen, 'view');
  if (!isLoopback(address.host) && !allowPublic) {
    throw new FieldError(
      'view',
      `${listen} is not a loopback address; anyone who reaches it would see the screen (allow it with the public option)`,
    );
  }
  return address;
}

export class ViewerAdmission {
  /** Viewers admitted but still waiting for their stream to open: they count as viewers. */
  private joining = 0;
  private snapshots = 0;

  constructor(readonly limits: AdmissionLimits) {}

  /**
   * Why a request may not be answered, or undefined when it may. The page shows the screen, so
   * two browser tricks are shut out: another site's script opening the WebSocket (its Origin is
   * not this server), and DNS rebinding (a hostile name resolving to 127.0.0.1: on a loopback
   * address, only loopback names are accepted in Host).
   */
  refusal(request: IncomingMessage): string | undefined {
    const host = request.headers.host;
    if (!host) return 'a Host header is required';
    if (!this.limits.public && !isLoopback(hostName(host))) return `Host ${host} is not this loopback server`;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return `Origin ${origin} is not this server`;
    return undefined;
  }

  /**
   * Why one more viewer may not join `viewers` others, or undefined when it may. Those still
   * waiting for their stream count too: joins arriving together cannot pass the limit.
   */
  viewerRefusal(viewers: number): string | undefined {
    if (viewers + this.joining >= this.limits.maxViewers) return `the viewer server has its maximum of ${this.limits.maxViewers} viewers`;
    return undefined;
  }

  /** A viewer was admitted and waits for its stream; joined() when it has it or gave up. */
  joinStarted(): void {
    this.joining++;
  }

  joined(): void {
    this.joining--;
  }

  /** Takes a snapshot slot; false when `maxSnapshots` are being taken already. */
  startSnapshot(): boolean {
    if (this.snapshots >= this.limits.maxSnapshots) return false;
    this.snapshots++;
    return true;
  }

  snapshotDone(): void {
    this.snapshots--;
  }
}
