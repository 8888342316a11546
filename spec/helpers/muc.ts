/**
 * Test helper for the muc component: a server with `conference.localhost`, joining a room and
 * waiting for the end of the join sequence (the subject), configuring it, and reading the
 * muc#user parts of a presence.
 */
import assert from 'node:assert/strict';
import { xml, type Element } from '../../lib/core/xml.js';
import type { RawConfig } from '../../lib/index.js';
import type { ImClient } from './im-clients.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const MUC_SERVICE = 'conference.localhost';

/** Config with the muc component (its options in `options`). */
export function mucComponent(options: Record<string, unknown> = {}, extra: RawConfig = {}): RawConfig {
  return { ...extra, Component: { [MUC_SERVICE]: { module: 'muc', ...options } } };
}

/** Join `room` as `nick`; resolves with the self-presence and the subject message (the join's end). */
export async function joinRoom(c: ImClient, room: string, nick: string, x: Element[] = []): Promise<{ self: Element; subject: Element }> {
  await c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }, ...x)));
  const self = await c.next((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}`
    && (el.attrs.type === 'error' || codes(el).includes('110')), `self presence of ${nick}`);
  assert.notEqual(self.attrs.type, 'error', `join of ${nick}: ${self.toString()}`);
  const subject = await c.next((el) => el.name === 'message' && el.attrs.from?.toString().startsWith(room) === true
    && el.getChild('subject') !== undefined && el.getChild('body') === undefined, `subject for ${nick}`);
  return { self, subject };
}

/** Try to join; resolves with the error condition. */
export async function joinRefused(c: ImClient, room: string, nick: string, x: Element[] = []): Promise<string> {
  await c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }, ...x)));
  const err = await c.next((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}`, `answer to ${nick}`);
  assert.equal(err.attrs.type, 'error', `expected a refusal: ${err.toString()}`);
  return errorCondition(err);
}

/** A muc#owner configuration submission. */
export function configureIq(room: string, fields: Record<string, string | string[]>): Element {
  return xml('iq', { type: 'set', to: room }, xml('query', { xmlns: NS_MUC_OWNER },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, ...(Array.isArray(v) ? v : [v]).map((x) => xml('value', {}, x)))))));
}

export const codes = (p: Element): string[] => p.getChild('x', NS_MUC_USER)?.getChildren('status').map((s) => s.attrs.code as string) ?? [];
export const item = (p: Element): Element | undefined => p.getChild('x', NS_MUC_USER)?.getChild('item');
export const occupantId = (el: Element): string | undefined => el.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id as string | undefined;
export const errorCondition = (el: Element): string => el.getChild('error')?.getChildElements()[0]?.name ?? '(none)';
