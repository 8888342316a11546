/**
 * Tests for lib/modules/csi_simple/importance.ts: which stanzas wait for an inactive client
 * (Prosody's mod_csi_simple rules plus the standalone chat state and full-JID rules) and the
 * csi_important_payloads notation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { assess, isStandaloneChatState, parsePayload, NS_CHATSTATES } from '../../../lib/modules/csi_simple/importance.js';

const FULL = 'alice@localhost/phone';
const BARE = 'alice@localhost';

const msg = (attrs: Record<string, string>, ...children: Element[]): Element => xml('message', { from: 'bob@localhost/pc', to: BARE, ...attrs }, ...children);
const body = (text = 'hi'): Element => xml('body', {}, text);
const state = (name = 'composing'): Element => xml(name, { xmlns: NS_CHATSTATES });
const verdict = (el: Element, payloads = [] as ReturnType<typeof parsePayload>[]): string => {
  const v = assess(el, FULL, payloads.filter((p) => p !== undefined));
  return v.hold ? `hold:${v.kind}` : 'flush';
};

describe('assess: what waits for an inactive client', () => {
  it('never holds nonzas or iq stanzas', () => {
    assert.equal(verdict(xml('r', { xmlns: 'urn:xmpp:sm:3' })), 'flush');
    assert.equal(verdict(xml('iq', { type: 'set', to: FULL, id: '1' }, xml('query', { xmlns: 'jabber:iq:roster' }))), 'flush');
    assert.equal(verdict(xml('iq', { type: 'result', id: '2' })), 'flush');
  });

  it('holds presence updates and errors; subscription stanzas go at once (RFC 6121 §3)', () => {
    assert.equal(verdict(xml('presence', { from: 'bob@localhost/pc' })), 'hold:presence');
    assert.equal(verdict(xml('presence', { from: 'bob@localhost/pc', type: 'unavailable' })), 'hold:presence');
    assert.equal(verdict(xml('presence', { from: 'bob@localhost/pc', to: FULL })), 'hold:presence', 'directed presence too');
    assert.equal(verdict(xml('presence', { from: 'bob@localhost', type: 'error' })), 'hold:other');
    for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']) {
      assert.equal(verdict(xml('presence', { from: 'bob@localhost', type })), 'flush', type);
    }
  });

  it('holds standalone chat states (XEP-0085 §5.6), even to the full JID; a body makes a message important', () => {
    assert.equal(verdict(msg({ type: 'chat' }, state())), 'hold:chatstate');
    assert.equal(verdict(msg({ type: 'chat', to: FULL }, state('paused'))), 'hold:chatstate');
    assert.equal(verdict(msg({ type: 'chat' }, xml('thread', {}, 't1'), state(), xml('no-store', { xmlns: 'urn:xmpp:hints' }), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'x' }))), 'hold:chatstate');
    assert.equal(verdict(msg({ type: 'chat' }, body(), state('active'))), 'flush');
    assert.equal(verdict(msg({ type: 'groupchat', to: FULL }, state())), 'hold:chatstate');
  });

  it('isStandaloneChatState needs a chat state and nothing else of substance', () => {
    assert.equal(isStandaloneChatState(msg({}, state())), true);
    assert.equal(isStandaloneChatState(msg({})), false);
    assert.equal(isStandaloneChatState(msg({}, state(), xml('received', { xmlns: 'urn:xmpp:receipts', id: 'r' }))), false);
    assert.equal(isStandaloneChatState(msg({}, state(), xml('x', { xmlns: 'urn:example' }))), false);
  });

  it('flushes for encrypted payloads, subjects, invitations, calls and errors (Prosody)', () => {
    const cases: [string, Element][] = [
      ['axolotl', xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })],
      ['omemo 2', xml('encrypted', { xmlns: 'urn:xmpp:omemo:2' })],
      ['eme', xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: 'urn:xmpp:omemo:2' })],
      ['openpgp', xml('openpgp', { xmlns: 'urn:xmpp:openpgp:0' })],
      ['subject', xml('subject', {}, 'topic')],
      ['direct invitation', xml('x', { xmlns: 'jabber:x:conference', jid: 'room@muc' })],
      ['mediated invitation', xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('invite', { from: 'bob@localhost' }))],
      ['call', xml('propose', { xmlns: 'urn:xmpp:jingle-message:0', id: 'c' })],
    ];
    for (const [what, child] of cases) assert.equal(verdict(msg({ type: 'chat' }, child)), 'flush', what);
    assert.equal(verdict(msg({ type: 'error' }, xml('error', { type: 'cancel' }))), 'flush', 'delivery failure');
    assert.equal(verdict(msg({ type: 'groupchat', to: FULL }, xml('subject', {}, 'topic'))), 'flush');
  });

  it('a body-less message waits unless addressed to this very resource (not a groupchat or headline)', () => {
    const receipt = xml('received', { xmlns: 'urn:xmpp:receipts', id: 'r1' });
    assert.equal(verdict(msg({ type: 'chat' }, receipt)), 'hold:other', 'to the bare JID: Prosody holds it');
    assert.equal(verdict(msg({ type: 'chat', to: FULL }, receipt)), 'flush', 'to the full JID');
    assert.equal(verdict(msg({ type: 'groupchat', to: FULL }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'm' }))), 'hold:other');
    assert.equal(verdict(msg({ type: 'headline', to: FULL }, xml('event', { xmlns: 'http://jabber.org/protocol/pubsub#event' }))), 'hold:other');
    assert.equal(verdict(msg({ type: 'headline', to: FULL }, body('announcement'))), 'flush', 'a body always counts');
  });

  it('judges a received carbon by the message it carries; a sent carbon is important (XEP-0280)', () => {
    const carbon = (name: string, inner: Element): Element => msg({ to: FULL, from: BARE },
      xml(name, { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)));
    const inner = (...children: Element[]): Element => xml('message', { xmlns: 'jabber:client', from: 'bob@localhost/pc', to: 'alice@localhost/laptop', type: 'chat' }, ...children);
    assert.equal(verdict(carbon('received', inner(state()))), 'hold:chatstate');
    assert.equal(verdict(carbon('received', inner(xml('received', { xmlns: 'urn:xmpp:receipts', id: 'r' })))), 'hold:other', 'not judged by the carbon\'s own full-JID address');
    assert.equal(verdict(carbon('received', inner(body()))), 'flush');
    assert.equal(verdict(carbon('sent', inner(state()))), 'flush');
  });

  it('csi_important_payloads: "{ns}" matches any child in the namespace, "{ns}name" only that element', () => {
    const ns = parsePayload('{urn:example:alerts}');
    const named = parsePayload('{urn:example:priority}urgent');
    assert.deepEqual(ns, { ns: 'urn:example:alerts', name: undefined });
    assert.deepEqual(named, { ns: 'urn:example:priority', name: 'urgent' });
    assert.equal(verdict(msg({ type: 'chat' }, xml('alarm', { xmlns: 'urn:example:alerts' })), [ns]), 'flush');
    assert.equal(verdict(msg({ type: 'chat' }, xml('urgent', { xmlns: 'urn:example:priority' })), [named]), 'flush');
    assert.equal(verdict(msg({ type: 'chat' }, xml('normal', { xmlns: 'urn:example:priority' })), [named]), 'hold:other');
    assert.equal(verdict(msg({ type: 'chat' }, xml('alarm', { xmlns: 'urn:example:alerts' }))), 'hold:other', 'not without the option');
    for (const bad of ['urn:example', '{}', '{a}b/c', '{a}{b}', '']) assert.equal(parsePayload(bad), undefined, bad);
  });
});
