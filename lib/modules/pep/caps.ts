/**
 * @module pep/caps
 * Entity capabilities (XEP-0115) of local clients, for PEP's +notify filtering (XEP-0163 §4):
 * a client's presence maps its full JID to a `ver`; a `ver` not yet known is asked for ONCE
 * (disco#info to node#ver at one of the clients announcing it), verified by recomputing it
 * (§5.4) and cached (bounded, least recently used out). Without a usable hash (legacy caps or
 * an unknown algorithm) the answer is used for that JID only.
 */
import { xml, NS_DISCO_INFO, type Element } from '../../core/api.js';
import { capsVer, cryptoHash } from './caps-hash.js';

export const NS_CAPS = 'http://jabber.org/protocol/caps';

/** What a caps element announces. */
interface Announced { readonly node: string; readonly ver: string; readonly hash: string | undefined }

/** Asks `to` for disco#info at `node`; resolves to the `<query/>` or undefined (error, timeout). */
export type DiscoQuery = (to: string, node: string) => Promise<Element | undefined>;

export class CapsCache {
  readonly #max: number;
  /** Verified ver -> features (LRU order: oldest first). */
  readonly #byVer = new Map<string, ReadonlySet<string>>();
  /** Full JID -> what it announced. */
  readonly #announced = new Map<string, Announced>();
  /** Full JID -> features learnt for it alone (legacy caps). */
  readonly #byJid = new Map<string, ReadonlySet<string>>();
  /** Queries in flight, by ver (or by JID for legacy ones). */
  readonly #inFlight = new Set<string>();
  /** Told when a JID's features become known. */
  readonly #resolved: (jid: string) => void;

  constructor(max: number, resolved: (jid: string) => void) {
    this.#max = max;
    this.#resolved = resolved;
  }

  /** Verified vers held (for tests and metrics). */
  get size(): number { return this.#byVer.size; }

  /** A client's features, when known. */
  features(jid: string): ReadonlySet<string> | undefined {
    const own = this.#byJid.get(jid);
    if (own) return own;
    const a = this.#announced.get(jid);
    if (!a) return undefined;
    const f = this.#byVer.get(a.ver);
    if (f) { this.#byVer.delete(a.ver); this.#byVer.set(a.ver, f); } // LRU touch
    return f;
  }

  /** Whether the JID announced caps (its features may still be on their way). */
  announced(jid: string): boolean { return this.#announced.has(jid); }

  /** A client's available presence: note its caps (XEP-0115 §4), asking for them when new. */
  presence(jid: string, stanza: Element, query: DiscoQuery): void {
    const c = stanza.getChild('c', NS_CAPS);
    const node = c?.attrs.node as string | undefined;
    const ver = c?.attrs.ver as string | undefined;
    if (!c || !node || !ver || ver.length > 256 || node.length > 1024) return;
    const hash = c.attrs.hash as string | undefined;
    const prev = this.#announced.get(jid);
    if (prev?.ver === ver && prev.node === node) return;
    this.#announced.set(jid, { node, ver, hash });
    this.#byJid.delete(jid);
    const verifiable = hash !== undefined && cryptoHash(hash) !== undefined;
    if (verifiable && this.#byVer.has(ver)) { this.#resolved(jid); return; }
    const key = verifiable ? `ver:${ver}` : `jid:${jid}`;
    if (this.#inFlight.has(key)) return; // one query per ver, not per session
    this.#inFlight.add(key);
    void query(jid, `${node}#${ver}`).then((query) => {
      this.#inFlight.delete(key);
      if (!query) return;
      const features = new Set(query.getChildren('feature').map((f) => f.attrs.var as string).filter(Boolean));
      if (verifiable) {
        if (capsVer(query, hash) !== ver) return; // §5.4: a result that does not match is not cached
        this.#byVer.set(ver, features);
        while (this.#byVer.size > this.#max) this.#byVer.delete(this.#byVer.keys().next().value!);
        for (const [j, a] of this.#announced) if (a.ver === ver) this.#resolved(j);
      } else if (this.#announced.get(jid)?.ver === ver) {
        this.#byJid.set(jid, features);
        this.#resolved(jid);
      }
    });
  }

  /** The session ended (or sent unavailable presence): forget it. */
  forget(jid: string): void {
    this.#announced.delete(jid);
    this.#byJid.delete(jid);
  }
}

/** The disco#info request of a caps query (XEP-0115 §6.2). */
export function capsQuery(from: string, to: string, id: string, node: string): Element {
  return xml('iq', { type: 'get', from, to, id }, xml('query', { xmlns: NS_DISCO_INFO, node }));
}
