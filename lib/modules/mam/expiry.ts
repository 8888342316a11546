/**
 * @module mam/expiry
 * archive_expires_after: every archive_cleanup_interval, messages older than the expiry are
 * deleted in chunks of 1,000, one chunk per turn of the event loop so that stanzas keep
 * flowing, and at most archive_cleanup_limit per run (the rest waits for the next run).
 */
import type { Archive, ModuleApi } from '../../core/api.js';

const CHUNK = 1000;

interface ExpiryOptions {
  readonly archive_expires_after: number;
  readonly archive_cleanup_interval: number;
  readonly archive_cleanup_limit: number;
}

export function startExpiry(module: ModuleApi<ExpiryOptions>, archive: Archive): void {
  const { archive_expires_after: expiry, archive_cleanup_interval: interval, archive_cleanup_limit: limit } = module.options;
  if (!Number.isFinite(expiry)) return;
  let running = false;
  let stopped = false;
  module.onUnload(() => { stopped = true; });
  const run = (): void => {
    if (running) return;
    running = true;
    const before = Date.now() - expiry * 1000;
    let total = 0;
    const step = async (): Promise<void> => {
      if (stopped) return;
      let n = 0;
      try {
        n = await archive.expire(before, Math.min(CHUNK, limit - total));
      } catch (err) {
        module.log.error({ err }, 'archive expiry failed');
      }
      total += n;
      if (n === CHUNK && total < limit) {
        setImmediate(() => { void step(); });
        return;
      }
      running = false;
      if (total > 0) module.log.info({ deleted: total, limit }, 'expired archived messages');
    };
    void step();
  };
  module.setTimer(Math.min(interval, 60) * 1000, run);
  module.setInterval(interval * 1000, run);
}
