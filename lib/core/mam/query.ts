/**
 * @module mam/query
 * A MAM query (XEP-0313 §4) read into an archive query: the data form (XEP-0004) with the
 * standard fields and the #extended ones (before-id, after-id, ids), and result set
 * management (XEP-0059: max, after, before, empty before for the last page), or the stanza
 * error the XEPs give for a bad one. Shared by every archive (a user's, a room's): only what
 * a `with` JID selects differs.
 */
import { parseJid, type Jid } from '../jid.js';
import { xml, type Element } from '../xml.js';
import type { Archive } from '../archives.js';
import type { ArchiveQuery } from '../storage/archive.js';
import type { StanzaErrorType } from '../router.js';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_DATA = 'jabber:x:data';

/** What to fetch and how to page it. */
export interface QueryPlan {
  readonly queryId: string | undefined;
  /** The archive query; its limit is one more than the page, to know whether the page is the last. */
  readonly query: ArchiveQuery;
  readonly max: number;
  /** RSM `before`: paging backwards (the page is still sent oldest first, unless flipped). */
  readonly backwards: boolean;
  /** #extended `<flip-page/>`: the page is sent in the other order. */
  readonly flip: boolean;
}

export interface QueryError {
  readonly type: StanzaErrorType;
  readonly condition: string;
  readonly text: string;
}

/** What a `with` JID selects in an archive: a contact (bare JID, and resource), or everything ({}). */
export type WithFilter = Pick<ArchiveQuery, 'with' | 'withResource'>;

export interface QueryOptions {
  /** Largest page (max_archive_query_results); also the most ids one query may name. */
  readonly maxResults: number;
  /**
   * What a valid `with` JID selects (XEP-0313 §4.1.1). By default the contact's bare JID, and
   * its resource when given (a user archive). An error refuses the query.
   */
  readonly with?: (jid: Jid) => WithFilter | QueryError;
}

const contactFilter = (jid: Jid): WithFilter => (jid.resource === undefined ? { with: jid.bare } : { with: jid.bare, withResource: jid.resource });

const bad = (text: string): QueryError => ({ type: 'modify', condition: 'bad-request', text });
const notFound = (text: string): QueryError => ({ type: 'cancel', condition: 'item-not-found', text });

// XEP-0082 DateTime
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseTime(value: string, field: string): number | QueryError {
  const ms = DATETIME.test(value) ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : bad(`'${field}' is not an XEP-0082 date and time`);
}

/** The form's fields by var: their values. */
function formFields(form: Element): Map<string, string[]> | QueryError {
  const fields = new Map<string, string[]>();
  for (const f of form.getChildren('field')) {
    const name = f.attrs.var as string | undefined;
    if (!name) return bad('a form field without var');
    fields.set(name, f.getChildren('value').map((v) => v.text().trim()));
  }
  return fields;
}

const KNOWN = new Set(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);

/** Read a `<query/>` of `user`'s archive. `archive` resolves ids (an unknown one is item-not-found). */
export async function parseQuery(query: Element, archive: Archive, user: string, options: QueryOptions): Promise<QueryPlan | QueryError> {
  const { maxResults } = options;
  const q: { -readonly [K in keyof ArchiveQuery]: ArchiveQuery[K] } = {};
  const known = async (id: string, what: string): Promise<number | QueryError> => {
    const sort = archive.position(id);
    return sort !== undefined && await archive.has(user, sort) ? sort : notFound(`no message with ${what} '${id}' in this archive`);
  };
  const form = query.getChild('x', NS_DATA);
  if (form !== undefined) {
    const fields = formFields(form);
    if (!(fields instanceof Map)) return fields;
    const formType = fields.get('FORM_TYPE')?.[0];
    if (formType !== undefined && formType !== NS_MAM) return bad(`FORM_TYPE must be ${NS_MAM}`);
    for (const name of fields.keys()) if (!KNOWN.has(name)) return bad(`unsupported field '${name}'`);
    const one = (name: string): string | undefined => fields.get(name)?.[0];
    const w = one('with');
    if (w !== undefined) {
      const jid = parseJid(w);
      if (jid === undefined || w === '') return bad("'with' is not a valid JID");
      const filter = (options.with ?? contactFilter)(jid);
      if ('condition' in filter) return filter;
      if (filter.with !== undefined) q.with = filter.with;
      if (filter.withResource !== undefined) q.withResource = filter.withResource;
    }
    for (const name of ['start', 'end'] as const) {
      const v = one(name);
      if (v === undefined) continue;
      const ms = parseTime(v, name);
      if (typeof ms !== 'number') return ms;
      q[name] = ms;
    }
    const afterId = one('after-id');
    if (afterId !== undefined) {
      const s = await known(afterId, 'after-id');
      if (typeof s !== 'number') return s;
      q.after = s;
    }
    const beforeId = one('before-id');
    if (beforeId !== undefined) {
      const s = await known(beforeId, 'before-id');
      if (typeof s !== 'number') return s;
      q.before = s;
    }
    const ids = fields.get('ids');
    if (ids !== undefined) {
      if (ids.length > maxResults) return bad(`at most ${maxResults} ids per query`);
      const sorts: number[] = [];
      for (const id of ids) {
        const s = await known(id, 'id');
        if (typeof s !== 'number') return s;
        sorts.push(s);
      }
      q.ids = sorts;
    }
  }
  // XEP-0059
  const set = query.getChild('set', NS_RSM);
  let max = maxResults;
  let backwards = false;
  if (set !== undefined) {
    if (set.getChild('index') !== undefined) return { type: 'cancel', condition: 'feature-not-implemented', text: 'paging by index is not supported' };
    const m = set.getChildText('max');
    if (m !== null) {
      if (!/^\d+$/.test(m.trim())) return bad('RSM <max/> must be a non-negative integer');
      max = Math.min(Number(m.trim()), maxResults); // XEP-0313 §4.1.3: the server may cap it
    }
    const after = set.getChildText('after');
    if (after !== null) {
      const s = await known(after.trim(), 'RSM after');
      if (typeof s !== 'number') return s;
      q.after = q.after === undefined ? s : Math.max(q.after, s);
    }
    const before = set.getChild('before');
    if (before !== undefined) {
      backwards = true;
      const id = before.text().trim();
      if (id !== '') {
        const s = await known(id, 'RSM before');
        if (typeof s !== 'number') return s;
        q.before = q.before === undefined ? s : Math.min(q.before, s);
      }
    }
  }
  q.limit = max + 1;
  if (backwards) q.reverse = true;
  return {
    queryId: query.attrs.queryid as string | undefined,
    query: q,
    max,
    backwards,
    flip: query.getChild('flip-page') !== undefined,
  };
}

/** The query form (XEP-0313 §4.1.5, with the #extended fields). */
export const FORM_FIELDS: readonly { var: string; type: string }[] = [
  { var: 'FORM_TYPE', type: 'hidden' },
  { var: 'with', type: 'jid-single' },
  { var: 'start', type: 'text-single' },
  { var: 'end', type: 'text-single' },
  { var: 'before-id', type: 'text-single' },
  { var: 'after-id', type: 'text-single' },
  { var: 'ids', type: 'text-multi' },
];

/** The `<query/>` with the query form, the answer to an iq-get (XEP-0313 §4.1.5). */
export function queryFormElement(): Element {
  return xml('query', { xmlns: NS_MAM },
    xml('x', { xmlns: NS_DATA, type: 'form' }, ...FORM_FIELDS.map((f) => xml('field', { var: f.var, type: f.type },
      f.var === 'FORM_TYPE' ? xml('value', {}, NS_MAM) : undefined))));
}
