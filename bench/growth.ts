/**
 * @module bench/growth
 * The growth scenario (issue 18 item 4): our server's CPU per unit of work as the work grows,
 * in rows of steps (messages by concurrent pairs, presence fan-out by contacts, login by roster
 * size, offline delivery by backlog, MAM by archive size, group chat by occupants). Each step
 * prepares its data untimed (bench/setup-growth.ts, server stopped), starts a fresh server,
 * and the load generator reads the server's CPU (/proc) around the measured part only.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PASSWORD, log, measure, type MeasureOptions } from './measure.js';
import { oursConfig } from './targets/ours.js';
import { MUC_DOMAIN } from './targets/prosody.js';
import { GROWTH_PREFIX, OWNER, FIRST_CONTACT, mamContacts } from './scenarios/growth-layout.js';
import type { GrowthPlan } from './setup-growth.js';
import type { Target } from './targets/target.js';
import type { GrowthRowName } from './args.js';
import type { GrowthResult, MessagesResult } from './protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type { GrowthRowName } from './args.js';

/** One step of a row as measured. */
export interface GrowthStep {
  readonly size: number;
  /** Units of work asked for (presence changes, logins, users, queries, messages; messages: msg/s offered). */
  readonly units: number;
  /** What the CPU is divided by. */
  readonly work: number;
  readonly cpuSeconds: number;
  /** Server CPU per unit of work, in the row's unit. */
  readonly perUnit: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly misrouted: number;
  readonly errors: readonly string[];
}

export interface GrowthRow {
  readonly name: GrowthRowName;
  readonly steps: GrowthStep[];
}

/** What each row measures: its default steps, what a step's size is, the unit of its cost. */
export const GROWTH_ROWS: Readonly<Record<GrowthRowName, { sizes: readonly number[]; size: string; unit: string; scale: number }>> = {
  // 9,000 pairs, not 10,000: the open-files hard limit (20,000 per process, not raisable here)
  // caps the server at about 19,900 sockets
  messages: { sizes: [10, 100, 1000, 9000], size: 'concurrent pairs', unit: 'µs per delivered message', scale: 1e6 },
  presence: { sizes: [10, 100, 1000], size: 'online contacts', unit: 'µs per recipient', scale: 1e6 },
  login: { sizes: [10, 100, 1000, 5000], size: 'roster items', unit: 'ms per login', scale: 1e3 },
  offline: { sizes: [10, 100, 1000], size: 'offline messages per user', unit: 'µs per message', scale: 1e6 },
  mam: { sizes: [10_000, 100_000, 1_000_000], size: 'archived messages', unit: 'ms per query', scale: 1e3 },
  muc: { sizes: [10, 100, 1000], size: 'room occupants', unit: 'µs per delivered copy', scale: 1e6 },
};

/** Units of work of one step, so that every step of a row does about `work` units of its cost. */
export function unitsFor(name: GrowthRowName, size: number, work: number): number {
  switch (name) {
    case 'messages': return work; // messages in the measured interval (at the offered rate)
    case 'presence': return Math.max(4, Math.ceil(work / size)); // changes × contacts ≈ work
    case 'login': return Math.max(10, Math.min(200, Math.round(work / (size + 100))));
    case 'offline': return Math.max(1, Math.round(work / 2 / size)); // users × messages ≈ work / 2
    case 'mam': return Math.max(10, Math.round(work / 100));
    case 'muc': return Math.max(4, Math.ceil(work / size)); // messages × occupants ≈ work
  }
}

export interface GrowthOptions {
  readonly rows: readonly GrowthRowName[];
  /** Sizes for every row instead of the defaults (the smoke test's tiny steps). */
  readonly steps?: readonly number[];
  /** Units of work per step (see unitsFor). */
  readonly work: number;
  /** messages: offered msg/s, the same at every step. */
  readonly rate: number;
  /** Leave out each row's largest default step (--quick). */
  readonly quick?: boolean;
}

/** Prepare storage for a step (untimed; the server is stopped). */
async function setup(target: Target, plan: GrowthPlan): Promise<void> {
  if (target.configFile === undefined) throw new Error(`growth: target ${target.name} has no config file to prepare`);
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'build/bench/setup-growth.js'), target.configFile, JSON.stringify(plan)], { maxBuffer: 1 << 20 });
  log(`  prepared: ${stdout.trim()}`);
}

/** Accounts a row needs at its largest step. */
function accounts(name: GrowthRowName, sizes: readonly number[], o: GrowthOptions): number {
  const max = Math.max(...sizes);
  switch (name) {
    case 'messages': return 2 * max;
    case 'presence': case 'login': return FIRST_CONTACT + max;
    case 'offline': return FIRST_CONTACT + Math.max(...sizes.map((s) => unitsFor('offline', s, o.work)));
    case 'mam': return OWNER;
    case 'muc': return max;
  }
}

/** Run the growth rows on our server; each step a fresh server process. */
export async function runGrowth(target: Target, o: GrowthOptions, mo: MeasureOptions): Promise<GrowthRow[]> {
  const out: GrowthRow[] = [];
  const mamConfig = { modules_enabled: [...(oursConfig('').modules_enabled as string[]), 'mam'], archive_expires_after: 'never' };
  for (const name of o.rows) {
    const sizes = o.steps ?? (o.quick ? GROWTH_ROWS[name].sizes.slice(0, -1) : GROWTH_ROWS[name].sizes);
    const prefix = GROWTH_PREFIX[name];
    await setup(target, { prefix, password: PASSWORD, accounts: accounts(name, sizes, o) });
    const row: GrowthRow = { name, steps: [] };
    let archived = 0;
    for (const size of sizes) {
      const units = unitsFor(name, size, o.work);
      if (name === 'presence' || name === 'login') await setup(target, { prefix, password: PASSWORD, rosters: [{ owner: OWNER, first: FIRST_CONTACT, last: FIRST_CONTACT + size - 1 }] });
      if (name === 'mam') {
        await setup(target, { prefix, password: PASSWORD, archive: { owner: OWNER, from: archived, to: size, contacts: mamContacts(size) } });
        archived = size;
      }
      log(`growth ${name} at ${size} ${GROWTH_ROWS[name].size} (${units} units)`);
      try {
        const m = await measure(target, 'growth', 1, (c) => (name === 'messages'
          ? {
            ...c, userPrefix: prefix, scenario: 'messages', pairs: size, window: 10, bodyBytes: 100,
            warmupS: 1, durationS: units / o.rate, rate: o.rate, drainMs: 10_000,
          }
          : { ...c, userPrefix: prefix, scenario: 'growth', kind: name, size, units, ...(name === 'muc' ? { service: MUC_DOMAIN } : {}) }), {
          ...mo, ...(name === 'mam' ? { config: mamConfig } : {}),
        });
        row.steps.push(step(name, size, m.result as MessagesResult | GrowthResult));
        const s = row.steps.at(-1)!;
        log(`  ${s.perUnit.toFixed(2)} ${GROWTH_ROWS[name].unit} (CPU ${s.cpuSeconds.toFixed(2)} s / ${s.work} units); lost ${s.lost}, dup ${s.duplicated}, misrouted ${s.misrouted}`
          + `${s.errors.length ? `; errors: ${s.errors.slice(0, 3).join('; ')}` : ''}`);
      } catch (err) {
        log(`  FAILED: ${(err as Error).message}`);
      }
    }
    out.push(row);
  }
  return out;
}

function step(name: GrowthRowName, size: number, r: MessagesResult | GrowthResult): GrowthStep {
  const scale = GROWTH_ROWS[name].scale;
  if (r.scenario === 'messages') {
    const work = r.deliveredInWindow ?? 0;
    const cpu = r.serverCpu === undefined ? Number.NaN : r.serverCpu.end - r.serverCpu.start;
    return {
      size, units: r.offered ?? 0, work, cpuSeconds: cpu, perUnit: (cpu * scale) / Math.max(1, work),
      lost: r.lost, duplicated: r.duplicated, misrouted: r.misrouted, errors: r.errors,
    };
  }
  return {
    size, units: r.units, work: r.work, cpuSeconds: r.serverCpuSeconds, perUnit: (r.serverCpuSeconds * scale) / Math.max(1, r.work),
    lost: r.lost, duplicated: r.duplicated, misrouted: r.misrouted, errors: r.errors,
  };
}
