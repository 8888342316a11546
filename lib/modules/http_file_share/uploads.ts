/**
 * @module http_file_share/uploads
 * What the component keeps: one record per slot (owner, name, size, type, times) in a map
 * store, the slots in creation order in a list store (what expiry walks), each user's recent
 * slot sizes (the daily quota), the files under `<data_path>/http_file_share/<host>/<slot id>`,
 * and the secret that signs slot tokens. Slot ids are random; no name from a client ever
 * becomes a path.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListStore, MapStore, ModuleApi } from '../../core/api.js';

/** One slot: what was asked for, and whether its file has arrived. */
export interface SlotRecord {
  /** The uploader's bare JID. */
  readonly owner: string;
  readonly name: string;
  readonly size: number;
  readonly type: string;
  /** When the slot was handed out (ms). */
  readonly created: number;
  /** The PUT is refused after this time (ms). */
  readonly deadline: number;
  /** When the file was stored (ms); absent until then. */
  readonly uploaded?: number;
}

/** Random, URL-safe, 144 bits: the only name a stored file ever gets. */
const SLOT_ID = /^[A-Za-z0-9_-]{24}$/;
const DAY_MS = 86_400_000;
/** The storage "user" of component-wide records (the component has no accounts). */
const ALL = '';

export function isSlotId(id: string): boolean {
  return SLOT_ID.test(id);
}

export class Uploads {
  readonly dir: string;
  readonly #slots: MapStore<SlotRecord>;
  readonly #order: ListStore<string>;
  readonly #recent: MapStore<{ size: number; created: number }>;
  readonly #secret: string;
  /** Bytes of every slot on record (for the global quota). */
  #total = 0;

  constructor(module: Pick<ModuleApi, 'host' | 'server' | 'openMap' | 'openList' | 'openStore'>, secret: string | undefined) {
    this.dir = join(module.server.dataPath, 'http_file_share', encodeURIComponent(module.host));
    this.#slots = module.openMap<SlotRecord>('http_file_share');
    this.#order = module.openList<string>('http_file_share_order');
    this.#recent = module.openMap('http_file_share_recent');
    if (secret === undefined) {
      const store = module.openStore<string>('http_file_share_secret');
      secret = store.get(ALL);
      if (typeof secret !== 'string') {
        secret = randomBytes(32).toString('base64url');
        store.set(ALL, secret);
      }
    }
    this.#secret = secret;
    for (let after: number | undefined; ;) {
      const page = this.#order.items(ALL, 1000, after);
      if (page.length === 0) break;
      for (const item of page) this.#total += this.#slots.get(ALL, item.value)?.size ?? 0;
      after = page[page.length - 1]!.id;
    }
  }

  get total(): number {
    return this.#total;
  }

  get(id: string): SlotRecord | undefined {
    return isSlotId(id) ? this.#slots.get(ALL, id) : undefined;
  }

  /** The stored file of a slot (the id is checked: only our own names reach the file system). */
  path(id: string): string {
    if (!isSlotId(id)) throw new Error('not a slot id');
    return join(this.dir, id);
  }

  /** A temporary name next to the file, unique per attempt (the folder is made on first use). */
  tempPath(id: string): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    return `${this.path(id)}.${randomBytes(6).toString('hex')}.part`;
  }

  /** Record a new slot; returns its id. */
  create(slot: Omit<SlotRecord, 'uploaded'>): string {
    const id = randomBytes(18).toString('base64url');
    this.#slots.set(ALL, id, slot);
    this.#order.append(ALL, id);
    this.#recent.set(slot.owner, id, { size: slot.size, created: slot.created });
    this.#total += slot.size;
    return id;
  }

  markUploaded(id: string, when: number): void {
    const slot = this.get(id);
    if (slot) this.#slots.set(ALL, id, { ...slot, uploaded: when });
  }

  /**
   * The bytes `owner` requested in the 24 hours before `now`, and when enough of them leave the
   * window for `size` more to fit in `quota` (entries older than a day are dropped on the way).
   */
  usage(owner: string, now: number, size: number, quota: number): { used: number; fitsAt: number | undefined } {
    const entries = Object.entries(this.#recent.all(owner));
    const live: { size: number; created: number }[] = [];
    for (const [id, e] of entries) {
      if (e.created <= now - DAY_MS) this.#recent.set(owner, id, undefined);
      else live.push(e);
    }
    live.sort((a, b) => a.created - b.created);
    let used = live.reduce((sum, e) => sum + e.size, 0);
    if (used + size <= quota) return { used, fitsAt: undefined };
    if (size > quota) return { used, fitsAt: undefined };
    for (const e of live) {
      used -= e.size;
      if (used + size <= quota) return { used: used + e.size, fitsAt: e.created + DAY_MS };
    }
    return { used, fitsAt: undefined };
  }

  /** The token that authorizes the PUT of a slot (HMAC-SHA256 over what the slot allows). */
  token(id: string, slot: SlotRecord): string {
    return createHmac('sha256', this.#secret)
      .update([id, slot.owner, slot.size, slot.type, slot.deadline].join('\n'))
      .digest('base64url');
  }

  verify(id: string, slot: SlotRecord, token: string): boolean {
    const expected = Buffer.from(this.token(id, slot));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * Delete at most `max` slots created at or before `before` (ms), oldest first: their files,
   * then their records. Returns how many went and whether older ones remain.
   */
  async expire(before: number, max: number): Promise<{ deleted: number; more: boolean }> {
    const page = this.#order.items(ALL, max + 1);
    const due = page.slice(0, max).filter((item) => item.when <= before);
    const ids: number[] = [];
    for (const item of due) {
      const slot = this.#slots.get(ALL, item.value);
      if (isSlotId(item.value)) {
        try {
          await rm(this.path(item.value), { force: true });
        } catch {
          continue; // kept on record: retried next run
        }
      }
      this.#slots.set(ALL, item.value, undefined);
      if (slot) {
        this.#recent.set(slot.owner, item.value, undefined);
        this.#total -= slot.size;
      }
      ids.push(item.id);
    }
    if (ids.length > 0) this.#order.remove(ALL, ids);
    const more = due.length === max && page.length > max && page[max]!.when <= before;
    return { deleted: ids.length, more };
  }
}
