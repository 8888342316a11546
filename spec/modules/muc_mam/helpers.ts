/**
 * Test helper for the muc_mam specs: a server with a muc component running muc_mam, joining
 * rooms, configuring them, speaking in them, and MAM queries to a room JID.
 */
import { xml, type Element } from '../../../lib/core/xml.js';
import type { RawConfig } from '../../../lib/index.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';
import { mamQuery, NS_MAM, NS_RSM, type Form, type Page, type Rsm } from '../mam/helpers.js';

export const MUC = 'conference.localhost';
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_DELAY = 'urn:xmpp:delay';

/** A server with `users` and the muc component (muc_mam enabled, `component` options merged). */
export async function mucServer(t: { after(fn: () => unknown): void }, component: Record<string, unknown> = {}, extra: RawConfig = {},
  users = ['alice', 'bob', 'carol']): Promise<ImServer> {
  const s = await startImServer(users, {
    ...extra,
    Component: { [MUC]: { module: 'muc', modules_enabled: ['muc_mam'], ...component } },
  });
  t.after(() => s.stop());
  return s;
}

/** Join `room` as `nick` (with a `<history/>` request when given); resolves with the own presence and what came before it. */
export async function join(c: ImClient, room: string, nick: string, history?: Record<string, string>): Promise<Element> {
  await c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }, history ? xml('history', history) : undefined)));
  return c.next((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type !== 'error', `own presence in ${room}`);
}

/** Submit the owner configuration form with these muc#roomconfig fields (an instant room when empty). */
export async function configure(c: ImClient, room: string, fields: Record<string, string> = {}): Promise<void> {
  await c.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: NS_MUC_OWNER },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))))));
}

/** Create `room` with `owner` joined as `nick`, configured with `fields`. */
export async function createRoom(owner: ImClient, room: string, nick: string, fields: Record<string, string> = {}): Promise<void> {
  await join(owner, room, nick);
  await configure(owner, room, fields);
}

/** Say `body` in `room` and wait for the reflection; returns it. */
export async function say(c: ImClient, room: string, body: string): Promise<Element> {
  await c.send(xml('message', { to: room, type: 'groupchat', id: `m-${body}` }, xml('body', {}, body)));
  return c.next((el) => el.name === 'message' && el.attrs.type === 'groupchat' && el.getChildText('body') === body && !el.getChild('delay', NS_DELAY), `reflection of ${body}`);
}

/** The room's stanza-id of a groupchat message. */
export function roomStanzaId(el: Element, room: string): string | undefined {
  return el.getChildren('stanza-id', NS_SID).find((s) => s.attrs.by === room)?.attrs.id as string | undefined;
}

let queries = 0;

/** A MAM query of `room`'s archive, with its results collected (they arrive before the iq result). */
export async function roomQuery(c: ImClient, room: string, form: Form = {}, rsm: Rsm = {}, flip = false): Promise<Page & { readonly nicks: string[] }> {
  const queryid = `rq${++queries}`;
  const iq = mamQuery(queryid, form, rsm, flip);
  iq.attrs.to = room;
  const fin = await c.iq(iq);
  const mine = (el: Element): boolean => el.name === 'message' && el.getChild('result', NS_MAM)?.attrs.queryid === queryid;
  const results: Element[] = [];
  while (c.has(mine)) results.push(await c.next(mine));
  const f = fin.getChild('fin', NS_MAM)!;
  const set = f.getChild('set', NS_RSM);
  const inner = (r: Element): Element => r.getChild('result', NS_MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
  return {
    ids: results.map((r) => r.getChild('result', NS_MAM)!.attrs.id as string),
    bodies: results.map((r) => inner(r).getChildText('body') ?? ''),
    nicks: results.map((r) => String(inner(r).attrs.from).split('/')[1] ?? ''),
    results,
    complete: f.attrs.complete === 'true',
    first: set?.getChildText('first') ?? undefined,
    last: set?.getChildText('last') ?? undefined,
  };
}
