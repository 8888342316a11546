/**
 * Test helper for the mam specs: a server with mam (and carbons), MAM queries with their
 * results collected, and a conversation between two users.
 */
import { xml, type Element } from '../../../lib/core/xml.js';
import type { RawConfig } from '../../../lib/index.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_SID = 'urn:xmpp:sid:0';

export async function mamServer(t: { after(fn: () => unknown): void }, extra: RawConfig = {}, users = ['alice', 'bob', 'carol']): Promise<ImServer> {
  const s = await startImServer(users, { modules_enabled: ['roster', 'saslauth', 'disco', 'ping', 'mam', 'carbons'], ...extra });
  t.after(() => s.stop());
  return s;
}

export interface Form { readonly [field: string]: string | readonly string[] | undefined }
export interface Rsm { readonly max?: number; readonly after?: string; readonly before?: string; readonly index?: number }

/** A `<query/>` iq with a form and RSM. */
export function mamQuery(queryid: string, form: Form = {}, rsm: Rsm = {}, flip = false): Element {
  const fields = Object.entries(form).filter(([, v]) => v !== undefined).map(([k, v]) =>
    xml('field', { var: k }, ...(typeof v === 'string' ? [v] : v as string[]).map((x) => xml('value', {}, x))));
  const x = fields.length > 0
    ? xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)), ...fields)
    : undefined;
  const set = Object.keys(rsm).length > 0 ? xml('set', { xmlns: NS_RSM },
    rsm.max !== undefined ? xml('max', {}, String(rsm.max)) : undefined,
    rsm.after !== undefined ? xml('after', {}, rsm.after) : undefined,
    rsm.before !== undefined ? xml('before', {}, rsm.before) : undefined,
    rsm.index !== undefined ? xml('index', {}, String(rsm.index)) : undefined) : undefined;
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM, queryid }, x, set, flip ? xml('flip-page') : undefined));
}

export interface Page {
  readonly ids: string[];
  readonly bodies: string[];
  readonly results: Element[];
  readonly complete: boolean;
  readonly first?: string;
  readonly last?: string;
}

let queries = 0;

/** Run a query and collect its results (they arrive before the iq result). */
export async function query(c: ImClient, form: Form = {}, rsm: Rsm = {}, flip = false): Promise<Page> {
  const queryid = `q${++queries}`;
  const fin = await c.iq(mamQuery(queryid, form, rsm, flip));
  const results: Element[] = [];
  while (c.has((el) => el.name === 'message' && el.getChild('result', NS_MAM)?.attrs.queryid === queryid)) {
    results.push(await c.next((el) => el.name === 'message' && el.getChild('result', NS_MAM)?.attrs.queryid === queryid));
  }
  const f = fin.getChild('fin', NS_MAM)!;
  const set = f.getChild('set', NS_RSM);
  const inner = (r: Element) => r.getChild('result', NS_MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
  return {
    ids: results.map((r) => r.getChild('result', NS_MAM)!.attrs.id as string),
    bodies: results.map((r) => inner(r).getChildText('body') ?? ''),
    results,
    complete: f.attrs.complete === 'true',
    first: set?.getChildText('first') ?? undefined,
    last: set?.getChildText('last') ?? undefined,
  };
}

/** `from` sends `to` chat messages with these bodies, and `to` receives each. Returns what `to` received. */
export async function converse(from: ImClient, to: ImClient, bodies: readonly string[]): Promise<Element[]> {
  const got: Element[] = [];
  for (const body of bodies) {
    await from.send(xml('message', { to: to.jid, type: 'chat', id: `id-${body}` }, xml('body', {}, body)));
    got.push(await to.next((el) => el.name === 'message' && el.getChildText('body') === body, `message ${body}`));
  }
  return got;
}

/** The stanza-id of a delivered message for `by`. */
export function stanzaId(el: Element, by: string): string | undefined {
  return el.getChildren('stanza-id', NS_SID).find((s) => s.attrs.by === by)?.attrs.id as string | undefined;
}

/** An error's condition from an iq rejection. */
export function condition(err: unknown): string | undefined {
  return (err as { condition?: string }).condition;
}
