/** Long-running commands (serve, view) run until Ctrl-C or a service manager's SIGTERM. */
import type { Logger } from '../util/logger';

/** Resolves with the signal's name at the first SIGINT or SIGTERM, and stops listening for them. */
export function untilStopSignal(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info('stopping', { signal });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
