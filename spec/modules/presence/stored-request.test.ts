/**
 * Tests for RFC 6121 §3.1.3 on the wire: a subscription request is delivered "including
 * extended content", both at once to an available contact and, stored, when an offline
 * contact comes online: every child (status, nick, other namespaces, nested content) and the
 * id arrive as sent, with the bare JIDs of both parties.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const A = 'alice@localhost';
const B = 'bob@localhost';

/** A request with extended content: a nick (XEP-0172), a status and an element of another namespace. */
const request = (): Element => xml('presence', { to: B, type: 'subscribe', id: 'sub-1' },
  xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Ali'),
  xml('status', {}, 'let me in'),
  xml('x', { xmlns: 'urn:example:extra', kind: 'card' }, xml('line', {}, 'one'), xml('line', {}, 'two')));

/** The children of a stanza as text, namespaces made explicit. */
const childrenOf = (el: Element): string[] => el.getChildElements().map((c) => serialize(c).replace(/ xmlns="jabber:client"/g, ''));

async function sync(c: ImClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

function assertWhole(got: Element): void {
  assert.equal(got.attrs.from, A);
  assert.equal(got.attrs.to, B);
  assert.equal(got.attrs.id, 'sub-1');
  assert.deepEqual(childrenOf(got), [
    '<nick xmlns="http://jabber.org/protocol/nick">Ali</nick>',
    '<status>let me in</status>',
    '<x xmlns="urn:example:extra" kind="card"><line>one</line><line>two</line></x>',
  ]);
}

describe('subscription requests keep their extended content (RFC 6121 §3.1.3)', () => {
  it('stored while the contact is offline: delivered whole at its initial presence', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    await alice.send(request());
    await sync(alice);
    const bob = await s.xmppjs('bob', 'b');
    await bob.send(xml('presence'));
    assertWhole(await bob.next(is.presence(A, 'subscribe'), 'the stored request'));
  });

  it('to an available contact: delivered whole at once', async (t) => {
    const s = await startImServer(['alice', 'bob']);
    t.after(() => s.stop());
    const bob = await s.raw('bob', 'b');
    await bob.send(xml('presence'));
    await sync(bob);
    const alice = await s.xmppjs('alice', 'a');
    await alice.send(request());
    assertWhole(await bob.next(is.presence(A, 'subscribe'), 'the request'));
  });
});
