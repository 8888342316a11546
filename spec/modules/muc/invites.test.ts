/**
 * The invitations a component remembers to report bounces (XEP-0045 §7.8.2): bounded, matched
 * by room, invitee and id, each bounce reported once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJid } from '../../../lib/core/jid.js';
import { xml } from '../../../lib/core/xml.js';
import { SentInvitations } from '../../../lib/modules/muc/invites.js';

const bounce = (id: string) => xml('message', { type: 'error', id, from: 'juliet@example.org', to: 'room@muc.example.org' });
const juliet = parseJid('juliet@example.org/balcony')!;

describe('muc sent invitations', () => {
  it('reports a bounce to the inviter once, matched by room, invitee and id', () => {
    const sent = new SentInvitations(10);
    sent.remember('room@muc.example.org', 'juliet@example.org', 'i1', 'romeo@example.org/garden');
    assert.equal(sent.bounced('other@muc.example.org', bounce('i1'), juliet), undefined);
    assert.equal(sent.bounced('room@muc.example.org', bounce('i2'), juliet), undefined);
    const reply = sent.bounced('room@muc.example.org', bounce('i1'), juliet);
    assert.equal(reply?.attrs.to, 'romeo@example.org/garden');
    assert.equal(reply?.getChild('error')?.getChild('item-not-found')?.name, 'item-not-found');
    assert.equal(reply?.getChild('x')?.getChild('invite')?.attrs.to, 'juliet@example.org');
    assert.equal(sent.bounced('room@muc.example.org', bounce('i1'), juliet), undefined, 'reported once');
  });

  it('forgets the oldest beyond its bound', () => {
    const sent = new SentInvitations(2);
    for (const id of ['a', 'b', 'c']) sent.remember('room@muc.example.org', 'juliet@example.org', id, 'romeo@example.org/garden');
    assert.equal(sent.bounced('room@muc.example.org', bounce('a'), juliet), undefined);
    assert.ok(sent.bounced('room@muc.example.org', bounce('b'), juliet));
    assert.ok(sent.bounced('room@muc.example.org', bounce('c'), juliet));
  });
});
