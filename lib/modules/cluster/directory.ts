/**
 * @module cluster/directory
 * The sessions other nodes hold, in memory, indexed by full JID, by account and by node:
 * the `RemoteDirectory` this node's session registry consults (synchronously, on the stanza
 * path). Kept current by the registry channel; rebuilt from Redis after a reconnection.
 */
import type { RemoteDirectory, Session } from '../../core/api.js';
import { RemoteSession, type RemoteLink } from './remote-session.js';
import type { SessionRecord } from './records.js';

const NONE: readonly Session[] = Object.freeze([]);

export class ClusterDirectory implements RemoteDirectory {
  readonly #link: RemoteLink;
  readonly #byFull = new Map<string, RemoteSession>();
  readonly #byUser = new Map<string, RemoteSession[]>();
  readonly #byNode = new Map<string, Map<string, RemoteSession>>();

  constructor(link: RemoteLink) {
    this.#link = link;
  }

  get(fullJid: string): Session | undefined {
    return this.#byFull.get(fullJid);
  }

  ofUser(host: string, username: string): readonly Session[] {
    return this.#byUser.get(`${username}@${host}`) ?? NONE;
  }

  /** How many remote sessions there are. */
  get size(): number {
    return this.#byFull.size;
  }

  /** The nodes this directory holds sessions of. */
  nodes(): string[] {
    return [...this.#byNode.keys()];
  }

  /** The sessions held by `node`. */
  ofNode(node: string): RemoteSession[] {
    return [...(this.#byNode.get(node)?.values() ?? [])];
  }

  /** A node published a session (new, or changed). A newer bind of the same JID elsewhere replaces the old. */
  set(node: string, record: SessionRecord): RemoteSession {
    const existing = this.#byFull.get(record.full);
    if (existing !== undefined && existing.node === node && existing.id === record.id) {
      existing.update(record);
      return existing;
    }
    if (existing !== undefined) this.#remove(existing);
    const session = new RemoteSession(node, record, this.#link);
    this.#byFull.set(record.full, session);
    const user = `${record.username}@${record.host}`;
    const list = this.#byUser.get(user);
    if (list === undefined) this.#byUser.set(user, [session]);
    else list.push(session);
    let mine = this.#byNode.get(node);
    if (mine === undefined) this.#byNode.set(node, (mine = new Map()));
    mine.set(record.full, session);
    return session;
  }

  /** A node unbound a session. */
  delete(node: string, full: string): RemoteSession | undefined {
    const session = this.#byFull.get(full);
    if (session === undefined || session.node !== node) return undefined;
    this.#remove(session);
    return session;
  }

  /** Drop every session of `node`; returns them. */
  dropNode(node: string): RemoteSession[] {
    const gone = this.ofNode(node);
    for (const s of gone) this.#remove(s);
    this.#byNode.delete(node);
    return gone;
  }

  /** `node`'s complete list: what it no longer lists goes, the rest is set. */
  replaceNode(node: string, records: readonly SessionRecord[]): void {
    const keep = new Set(records.map((r) => r.full));
    for (const s of this.ofNode(node)) if (!keep.has(s.fullJid)) this.#remove(s);
    for (const r of records) this.set(node, r);
  }

  /** Forget everything (the module unloads). */
  clear(): void {
    for (const s of this.#byFull.values()) s.gone();
    this.#byFull.clear();
    this.#byUser.clear();
    this.#byNode.clear();
  }

  #remove(session: RemoteSession): void {
    session.gone();
    if (this.#byFull.get(session.fullJid) === session) this.#byFull.delete(session.fullJid);
    const user = session.bareJid;
    const list = this.#byUser.get(user);
    if (list !== undefined) {
      const i = list.indexOf(session);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.#byUser.delete(user);
    }
    const mine = this.#byNode.get(session.node);
    if (mine?.get(session.fullJid) === session) mine.delete(session.fullJid);
  }
}
