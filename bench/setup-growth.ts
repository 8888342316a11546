/**
 * @module bench/setup-growth
 * Untimed preparation for the growth scenario (bench/growth.ts), in our server's storage while
 * the server is stopped: accounts, rosters (subscribed both ways) and a message archive.
 * Usage: node build/bench/setup-growth.js CONFIG PLAN-JSON (a GrowthPlan).
 */
import { loadConfigFile } from '../lib/core/config.js';
import { ACCOUNTS_STORE } from '../lib/core/storage/accounts.js';
import { createServer } from '../lib/index.js';

/** What to prepare; account i is `${prefix}${i}` on the first host. */
export interface GrowthPlan {
  readonly prefix: string;
  readonly password: string;
  /** Accounts 1..accounts exist afterwards. */
  readonly accounts?: number;
  /** Each owner gets items for contacts first..last and each of those one for the owner, all 'both'. */
  readonly rosters?: readonly { readonly owner: number; readonly first: number; readonly last: number }[];
  /** The owner's archive grows from `from` to `to` messages, spread over `contacts` contacts. */
  readonly archive?: { readonly owner: number; readonly from: number; readonly to: number; readonly contacts: number };
}

/** The JID of archive contact `c` (not accounts: nobody logs in as them). */
export const archiveContact = (c: number, host: string): string => `contact${c}@${host}`;

async function prepare(configFile: string, plan: GrowthPlan): Promise<string[]> {
  // never started: no listeners, this process only writes storage
  const server = createServer(await loadConfigFile(configFile));
  const done: string[] = [];
  try {
    const host = server.hostNames[0]!;
    const store = server.storage;
    const name = (i: number): string => `${plan.prefix}${i}`;
    if (plan.accounts !== undefined) {
      // One PBKDF2 derivation, its record copied to every account (the same salt: the load
      // generator derives its keys once too). 18,000 derivations would take minutes.
      if (!server.accounts.exists(host, name(1))) server.accounts.create(host, name(1), plan.password);
      const record = store.get(host, ACCOUNTS_STORE, name(1));
      let created = 0;
      store.transaction(() => {
        for (let i = 2; i <= plan.accounts!; i++) {
          if (store.get(host, ACCOUNTS_STORE, name(i)) !== undefined) continue;
          store.set(host, ACCOUNTS_STORE, name(i), record);
          created++;
        }
      });
      done.push(`${created} accounts`);
    }
    for (const r of plan.rosters ?? []) {
      // the presence module's layout (lib/modules/presence/roster-store.ts): one map row per contact, a version record
      const owner = name(r.owner);
      const ownerJid = `${owner}@${host}`;
      const both = { subscription: 'both', groups: [] as string[] };
      const bump = (user: string): void => {
        const meta = store.get(host, 'roster', user) as { ver?: number } | undefined;
        store.set(host, 'roster', user, { ver: (meta?.ver ?? 0) + 1 });
      };
      store.transaction(() => {
        for (let i = r.first; i <= r.last; i++) {
          store.mapSet(host, 'roster_items', owner, `${name(i)}@${host}`, both);
          store.mapSet(host, 'roster_items', name(i), ownerJid, both);
          bump(name(i));
        }
        bump(owner);
      });
      done.push(`roster of ${owner}: ${store.mapCount(host, 'roster_items', owner)} items`);
    }
    const a = plan.archive;
    if (a !== undefined) {
      const archive = server.archive(host, 'archive');
      const owner = name(a.owner);
      for (let i = a.from; i < a.to; i++) {
        const c = archiveContact(i % a.contacts, host);
        const out = i % 3 === 0;
        const value = out
          ? `<message xmlns="jabber:client" from="${owner}@${host}/desk" to="${c}" type="chat" id="m${i}"><body>message number ${i}</body></message>`
          : `<message xmlns="jabber:client" from="${c}/phone" to="${owner}@${host}" type="chat" id="m${i}"><body>message number ${i}</body></message>`;
        archive.append(owner, { with: c, withResource: out ? undefined : 'phone', value });
        if (i % 10_000 === 9_999) await server.whenStored();
      }
      await server.whenStored();
      done.push(`archive of ${owner}: ${a.to} messages`);
    }
  } finally {
    await server.whenStored();
    server.storage.close();
  }
  return done;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [configFile, planJson] = process.argv.slice(2);
  if (!configFile || !planJson) {
    process.stderr.write('usage: setup-growth.js CONFIG PLAN-JSON\n');
    process.exit(2);
  }
  const done = await prepare(configFile, JSON.parse(planJson) as GrowthPlan);
  process.stdout.write(`${done.join('; ')}\n`);
}
