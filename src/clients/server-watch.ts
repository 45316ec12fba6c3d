/**
 * Keeps an eye on the capture server for long-running clients (`view`, `record`): asks for the
 * display's info every few seconds and logs each change an operator needs to know about: the
 * server unreachable (and why, with the fix), reachable again, its source down (and why), live
 * again. One line per change, not per attempt, so a long outage does not flood the log; the
 * client itself keeps retrying whatever it does, this only makes it visible.
 */
import type { Logger } from '../util/logger';
import type { CaptureClient, DisplayInfo } from './capture-client';

export const WATCH_EVERY_MS = 2000;

type Reachability = 'unknown' | 'reachable' | 'unreachable';

export class ServerWatch {
  private timer: NodeJS.Timeout | undefined;
  private reachability: Reachability = 'unknown';
  private sourceLive: boolean | undefined;
  private stopped = false;

  constructor(
    private readonly client: CaptureClient,
    private readonly logger: Logger,
    private readonly everyMs = WATCH_EVERY_MS,
  ) {}

  /** Checks now, then every `everyMs` until stop(). */
  start(): void {
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async check(): Promise<void> {
    let info: DisplayInfo | undefined;
    let failure: Error | undefined;
    try {
      info = await this.client.displayInfo({ timeoutMs: Math.max(1000, this.everyMs) });
    } catch (error) {
      failure = error as Error;
    }
    if (this.stopped) return;
    if (failure) this.unreachable(failure);
    else this.reachable(info!);
    this.timer = setTimeout(() => void this.check(), this.everyMs);
  }

  private unreachable(error: Error): void {
    if (this.reachability !== 'unreachable') {
      this.logger.warn('capture server unreachable; retrying', {
        server: this.client.address,
        reason: error.message,
        retry_every_s: this.everyMs / 1000,
      });
    }
    this.reachability = 'unreachable';
    this.sourceLive = undefined;
  }

  private reachable(info: DisplayInfo): void {
    if (this.reachability === 'unreachable') this.logger.info('capture server reachable again', { server: this.client.address });
    this.reachability = 'reachable';
    if (!info.sourceLive && this.sourceLive !== false) {
      const what = info.sourceDisplaced ? 'taken over by another client' : 'down';
      this.logger.warn(`capture server's display source is ${what}; its picture may be stale`, {
        source: info.source,
        reason: info.sourceDetail,
      });
    } else if (info.sourceLive && this.sourceLive === false) {
      this.logger.info("capture server's display source is live again", { source: info.source });
    }
    this.sourceLive = info.sourceLive;
  }
}
