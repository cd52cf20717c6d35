// Graceful shutdown, the same for every service: on SIGTERM/SIGINT (once), log why, run the service's
// steps in order — each finishes its in-flight work before the next closes what it depends on — then
// exit. A service may also call the returned function itself (e.g. when its worker fails).
import type { Logger } from './logger.js';

export type Shutdown = (reason: string, exitCode?: number) => Promise<void>;

export function onShutdown(log: Logger, what: string, steps: () => Promise<void>): Shutdown {
  let stopping = false;
  const shutdown: Shutdown = async (reason, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: reason }, `stopping: ${what}`);
    await steps();
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return shutdown;
}
