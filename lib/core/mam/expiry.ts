/**
 * @module mam/expiry
 * Archive expiry (Prosody's archive_expires_after, muc_log_expires_after): every interval,
 * items older than the expiry are deleted in chunks of 1,000, one chunk per turn of the event
 * loop so that stanzas keep flowing, and at most `limit` per run (the rest waits for the next
 * run). Durations are read as Prosody writes them ("1w", "6m", "never").
 */
import type { Archive } from '../archives.js';
import type { ModuleApi } from '../module-api.js';
import { INVALID } from '../options.js';

const CHUNK = 1000;

const UNITS: Record<string, number> = { s: 1, h: 3600, d: 86_400, w: 7 * 86_400, m: 30 * 86_400, y: 365 * 86_400 };

/** Prosody's duration syntax: seconds, or '1d', '2w', '3m', '1y'; 'never' (or false) keeps forever. */
export function parseExpiry(raw: unknown): number | typeof INVALID {
  if (raw === 'never' || raw === false) return Infinity;
  if (typeof raw === 'number') return Number.isFinite(raw) && raw > 0 ? raw : INVALID;
  if (typeof raw !== 'string') return INVALID;
  const m = /^(\d+)\s*([shdwmy])$/.exec(raw.trim());
  if (!m) return INVALID;
  const seconds = Number(m[1]) * UNITS[m[2]!]!;
  return seconds > 0 ? seconds : INVALID;
}

export interface ExpirySchedule {
  /** Seconds an item is kept (Infinity: forever, no expiry runs). */
  readonly expiresAfter: number;
  /** Seconds between runs (the first within a minute). */
  readonly interval: number;
  /** Most items one run deletes. */
  readonly limit: number;
}

/** Expire `archive`'s old items in the background while `module` is loaded. */
export function startExpiry(module: Pick<ModuleApi, 'log' | 'setTimer' | 'setInterval' | 'onUnload'>, archive: Archive, schedule: ExpirySchedule): void {
  const { expiresAfter: expiry, interval, limit } = schedule;
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
