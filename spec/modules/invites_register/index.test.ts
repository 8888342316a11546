/**
 * Tests for lib/modules/invites_register over real TCP streams (the raw client): with
 * allow_registration off, an account is created only after presenting a valid token
 * (XEP-0445: the preauth iq, or the token inside the registration query); the token is used
 * once; expired, unknown and fixed-name mismatches are refused; a contact invitation leaves the
 * new account and the inviter subscribed both ways; XEP-0379 pre-authenticated subscription
 * between existing accounts is approved for the inviter, who subscribes back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import type { Server } from '../../../lib/index.js';
import type { MapStore } from '../../../lib/core/module-api.js';
import { InviteStore, INVITE_STORE } from '../../../lib/modules/invites/store.js';
import { startImServer, type ImServer } from '../../helpers/im-server.js';
import { rawStream, type RawStream } from '../../helpers/im-clients.js';

const H = 'localhost';
const NS_REGISTER = 'jabber:iq:register';
const NS_PARS = 'urn:xmpp:pars:0';
const MODULES = ['roster', 'saslauth', 'disco', 'ping', 'invites_register'];
const conditionOf = (el: Element): string | undefined => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

/** The host's invitations as the command line writes them: straight to storage. */
function invitesOf(server: Server, now?: () => number): InviteStore {
  const d = server.storage;
  const map: MapStore = {
    get: (u, k) => d.mapGet(H, INVITE_STORE, u, k),
    set: (u, k, v) => d.mapSet(H, INVITE_STORE, u, k, v),
    all: (u) => d.mapAll(H, INVITE_STORE, u) as Record<string, unknown>,
    count: (u) => d.mapCount(H, INVITE_STORE, u),
  };
  return new InviteStore(H, map, 3600, now);
}

let ids = 0;
async function ask(stream: RawStream, iq: Element): Promise<Element> {
  const id = `q${++ids}`;
  iq.attrs.id = id;
  stream.write(iq);
  return stream.next((el) => el.name === 'iq' && el.attrs.id === id, `reply ${id}`);
}
const preauth = (stream: RawStream, token: string) => ask(stream, xml('iq', { type: 'set' }, xml('preauth', { xmlns: NS_PARS, token })));
const register = (stream: RawStream, user: string, ...extra: Element[]) =>
  ask(stream, xml('iq', { type: 'set' }, xml('query', { xmlns: NS_REGISTER }, xml('username', {}, user), xml('password', {}, 'n3w-pass'), ...extra)));

/** A fresh stream: present `token`, then register `user`; both replies. */
async function registerWith(s: ImServer, token: string, user: string): Promise<{ pre: Element; reg: Element | undefined }> {
  const stream = await rawStream(s.port);
  try {
    const pre = await preauth(stream, token);
    const reg = pre.attrs.type === 'result' ? await register(stream, user) : undefined;
    return { pre, reg };
  } finally {
    await stream.close();
  }
}

const subscription = (server: Server, user: string, contact: string) => {
  server.flushWrites();
  return (server.storage.mapGet(H, 'roster_items', user, contact) as { subscription?: string; ask?: string } | undefined);
};

describe('invites_register', () => {
  it('advertises invitations and refuses plain registration while allow_registration is off', async (t) => {
    const s = await startImServer([], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.ok(stream.features.getChild('register', 'urn:xmpp:invite'), 'XEP-0401 feature');
    assert.ok(stream.features.getChild('register', 'urn:xmpp:ibr-token:0'), 'XEP-0445 feature');
    assert.equal(stream.features.getChild('register', 'http://jabber.org/features/iq-register'), undefined, 'no open registration');
    const reply = await register(stream, 'mallory');
    assert.equal(conditionOf(reply), 'service-unavailable');
    const unknown = await preauth(stream, 'AAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(conditionOf(unknown), 'forbidden');
    assert.equal(unknown.getChild('error')?.attrs.type, 'cancel');
    assert.equal(conditionOf(await register(stream, 'mallory')), 'service-unavailable', 'a refused token opens nothing');
    assert.equal(s.server.accounts.exists(H, 'mallory'), false);
  });

  it('registers with a valid token, once', async (t) => {
    const s = await startImServer([], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const invite = invitesOf(s.server).createAccount();
    const first = await registerWith(s, invite.token, 'juliet');
    assert.equal(first.pre.attrs.type, 'result');
    assert.equal(first.reg?.attrs.type, 'result');
    assert.ok(s.server.accounts.verifyPassword(H, 'juliet', 'n3w-pass'));
    assert.equal(s.server.storage.mapGet(H, INVITE_STORE, '', invite.token), undefined, 'the token is used up');
    const second = await registerWith(s, invite.token, 'juliet2');
    assert.equal(conditionOf(second.pre), 'forbidden');
    assert.equal(s.server.accounts.exists(H, 'juliet2'), false);
  });

  it('accepts the token inside the registration query', async (t) => {
    const s = await startImServer([], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const invite = invitesOf(s.server).createAccount();
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    const reply = await register(stream, 'nurse', xml('preauth', { xmlns: NS_PARS, token: invite.token }));
    assert.equal(reply.attrs.type, 'result');
    assert.ok(s.server.accounts.exists(H, 'nurse'));
    assert.equal(invitesOf(s.server).get(invite.token), undefined);
  });

  it('keeps a failed attempt from spending the token, and a fixed-name invitation to its name', async (t) => {
    const s = await startImServer(['taken'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const open = invitesOf(s.server).createAccount();
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    assert.equal((await preauth(stream, open.token)).attrs.type, 'result');
    assert.equal(conditionOf(await register(stream, 'taken')), 'conflict');
    assert.ok(invitesOf(s.server).get(open.token), 'still valid after a conflict');
    assert.equal((await register(stream, 'other')).attrs.type, 'result', 'a second try on the same stream');

    const fixed = invitesOf(s.server).createAccount({ username: 'tybalt' });
    const wrong = await registerWith(s, fixed.token, 'mercutio');
    assert.equal(conditionOf(wrong.reg!), 'not-acceptable');
    assert.match(wrong.reg!.getChild('error')?.getChildText('text') ?? '', /tybalt/);
    assert.equal(s.server.accounts.exists(H, 'mercutio'), false);
    assert.equal((await registerWith(s, fixed.token, 'Tybalt')).reg?.attrs.type, 'result');
  });

  it('refuses an expired token and a contact token that does not allow registration', async (t) => {
    const s = await startImServer(['romeo'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const past = invitesOf(s.server, () => Date.now() - 7200_000).createAccount();
    assert.equal(conditionOf((await registerWith(s, past.token, 'late')).pre), 'forbidden');
    const contactOnly = invitesOf(s.server).createContact('romeo');
    assert.equal(conditionOf((await registerWith(s, contactOnly.token, 'sneaky')).pre), 'forbidden');
    assert.equal(s.server.accounts.exists(H, 'late') || s.server.accounts.exists(H, 'sneaky'), false);
  });

  it('makes registration invitation-only with allow_registration on (registration_invite_only)', async (t) => {
    const s = await startImServer([], { modules_enabled: MODULES, allow_registration: true });
    t.after(() => s.stop());
    const stream = await rawStream(s.port);
    t.after(() => stream.close());
    const reply = await register(stream, 'walkin');
    assert.equal(conditionOf(reply), 'forbidden');
    assert.match(reply.getChild('error')?.getChildText('text') ?? '', /invitation only/);
    const open = await startImServer([], { modules_enabled: MODULES, allow_registration: true, registration_invite_only: false });
    t.after(() => open.stop());
    const s2 = await rawStream(open.port);
    t.after(() => s2.close());
    assert.equal((await register(s2, 'walkin')).attrs.type, 'result');
  });

  it('subscribes the new account and the inviter both ways (contact invitation with ibr=y)', async (t) => {
    const s = await startImServer(['romeo'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const romeo = await s.raw('romeo');
    await romeo.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const invite = invitesOf(s.server).createContact('romeo', { allowRegistration: true });
    assert.equal((await registerWith(s, invite.token, 'juliet')).reg?.attrs.type, 'result');
    await romeo.next((el) => el.name === 'iq' && el.getChild('query')?.getChild('item')?.attrs.jid === `juliet@${H}`
      && el.getChild('query')?.getChild('item')?.attrs.subscription === 'both', 'a roster push: juliet, both');
    assert.equal(subscription(s.server, 'romeo', `juliet@${H}`)?.subscription, 'both');
    assert.equal(subscription(s.server, 'juliet', `romeo@${H}`)?.subscription, 'both');
    assert.equal(invitesOf(s.server).get(invite.token), undefined, 'used');
  });

  it('approves a subscription request carrying the inviter\'s contact token (XEP-0379), once', async (t) => {
    const s = await startImServer(['romeo', 'benvolio', 'paris'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const romeo = await s.raw('romeo');
    const benvolio = await s.raw('benvolio');
    const paris = await s.raw('paris');
    for (const c of [romeo, benvolio, paris]) {
      await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      await c.send(xml('presence'));
    }
    const invite = invitesOf(s.server).createContact('romeo');
    await benvolio.send(xml('presence', { type: 'subscribe', to: `romeo@${H}` }, xml('preauth', { xmlns: NS_PARS, token: invite.token })));
    await benvolio.next((el) => el.name === 'presence' && el.attrs.type === 'subscribed' && el.attrs.from === `romeo@${H}`, 'subscribed from romeo');
    // and romeo asks back, for a mutual subscription
    await benvolio.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === `romeo@${H}`, 'subscribe from romeo');
    assert.equal(subscription(s.server, 'romeo', `benvolio@${H}`)?.subscription, 'from');
    assert.equal(subscription(s.server, 'romeo', `benvolio@${H}`)?.ask, 'subscribe');
    assert.equal(romeo.has((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === `benvolio@${H}`), false,
      'romeo is not asked: the token approved it');

    // The token is spent: the same request from someone else is an ordinary request for romeo to answer.
    await paris.send(xml('presence', { type: 'subscribe', to: `romeo@${H}` }, xml('preauth', { xmlns: NS_PARS, token: invite.token })));
    await romeo.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === `paris@${H}`, 'a plain request from paris');
    assert.notEqual(subscription(s.server, 'romeo', `paris@${H}`)?.subscription, 'from');
  });
});
