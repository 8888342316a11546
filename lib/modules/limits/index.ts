/**
 * @module limits
 * Bandwidth limits on client input (Prosody's mod_limits, same option shape):
 * `"limits": { "c2s": { "rate": "10kb/s", "burst": "2s" } }`. Each connection gets a token
 * bucket of rate × burst bytes; when a read empties it, reading from that connection pauses
 * until the bucket refills (rounded up to `limits_resolution`), so a flooding client slows
 * down instead of slowing everyone. Nothing is dropped. `unlimited_jids` are exempt once
 * they have authenticated.
 */
import { defineModule, INVALID, option, type InputLimiter, type Session } from '../../core/api.js';

/** One session type's limit: bytes per second and the burst allowance in seconds. */
export interface RateLimit {
  readonly bytesPerSecond: number;
  readonly burstSeconds: number;
}

/** Prosody's defaults when a rate or burst is missing. */
const DEFAULT_RATE = 3000;
const DEFAULT_BURST = 2;
const UNITS: Readonly<Record<string, number>> = { b: 1, k: 1e3, m: 1e6, g: 1e9 };

/** "10kb/s", "10 kb/s", "3000b/s", "1mb/s" (the unit's first letter counts, as in Prosody). */
export function parseRate(text: unknown): number | undefined {
  if (typeof text === 'number') return text > 0 ? text : undefined;
  const m = typeof text === 'string' ? /^(\d+(?:\.\d+)?) ?([a-zA-Z]+)\/s$/.exec(text.trim()) : null;
  const unit = m ? UNITS[m[2]![0]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const rate = Number(m[1]) * unit;
  return rate > 0 ? rate : undefined;
}

/** "2s", "2 s" or 2. */
export function parseBurst(text: unknown): number | undefined {
  if (typeof text === 'number') return text > 0 ? text : undefined;
  const m = typeof text === 'string' ? /^(\d+(?:\.\d+)?) ?s?$/.exec(text.trim()) : null;
  return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
}

function parseLimits(raw: unknown): Readonly<Record<string, RateLimit>> | typeof INVALID {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return INVALID;
  const out: Record<string, RateLimit> = {};
  for (const [type, spec] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof spec !== 'object' || spec === null) return INVALID;
    const { rate, burst } = spec as { rate?: unknown; burst?: unknown };
    const bytesPerSecond = rate === undefined ? DEFAULT_RATE : parseRate(rate);
    const burstSeconds = burst === undefined ? DEFAULT_BURST : parseBurst(burst);
    if (bytesPerSecond === undefined || burstSeconds === undefined) return INVALID;
    out[type] = Object.freeze({ bytesPerSecond, burstSeconds });
  }
  return Object.freeze(out);
}

/** A token bucket over bytes: `take` answers how long to wait before reading more. */
export class TokenBucket implements InputLimiter {
  readonly #rate: number;
  readonly #capacity: number;
  readonly #resolutionMs: number;
  #tokens: number;
  #at = Date.now();

  constructor(limit: RateLimit, resolutionMs: number) {
    this.#rate = limit.bytesPerSecond;
    this.#capacity = limit.bytesPerSecond * limit.burstSeconds;
    this.#tokens = this.#capacity;
    this.#resolutionMs = resolutionMs;
  }

  take(bytes: number): number {
    const now = Date.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    this.#tokens -= bytes;
    if (this.#tokens >= 0) return 0;
    const ms = (-this.#tokens / this.#rate) * 1000;
    return Math.ceil(ms / this.#resolutionMs) * this.#resolutionMs;
  }
}

export default defineModule({
  name: 'limits',
  global: true,
  description: "Bandwidth limits on client connections (Prosody's mod_limits): rate and burst per session type.",
  options: {
    limits: option.custom<Readonly<Record<string, RateLimit>>>({
      default: Object.freeze({ c2s: Object.freeze({ bytesPerSecond: 10_000, burstSeconds: DEFAULT_BURST }) }),
      scope: 'global',
      describe: 'an object of session types ("c2s") to { "rate": "10kb/s", "burst": "2s" }',
      parse: parseLimits,
      doc: 'Input rate per session type, Prosody\'s shape: { "c2s": { "rate": "10kb/s", "burst": "2s" } } (rate units b, kb, mb; burst in seconds, default 2). A connection over its rate is paused, not cut. Default: c2s 10kb/s, as in Prosody\'s default config.',
    }),
    limits_resolution: option.number({
      default: 1, min: 0.01, scope: 'global',
      doc: 'Granularity in seconds of the pauses of a rate-limited connection.',
    }),
    unlimited_jids: option.set({
      default: new Set<string>(), scope: 'global',
      doc: 'Accounts (bare JIDs) exempt from the limits once authenticated.',
    }),
  },

  load(module) {
    const { limits, limits_resolution: resolution } = module.options;
    const c2s = limits.c2s;
    if (c2s === undefined) return;
    const resolutionMs = resolution * 1000;
    // Prosody applies the c2s limit to unauthenticated connections too (session type c2s_unauthed).
    module.hook('session-created', ({ session }: { session: Session }) => {
      session.inputLimiter = new TokenBucket(c2s, resolutionMs);
    });
  },

  addHost(module) {
    const unlimited = module.options.unlimited_jids;
    if (unlimited.size === 0) return;
    module.hook('authentication-success', ({ session }: { session: Session }) => {
      if (session.bareJid !== undefined && unlimited.has(session.bareJid)) session.inputLimiter = undefined;
    });
  },
});
