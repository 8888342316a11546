/**
 * Reading muc#admin requests, registration and voice request forms: what a conversation
 * script shows only one case of (JID and nickname normalisation, each malformed item's error).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseElement as parse } from '../../../lib/core/xml-frame.js';
import type { Element } from '../../../lib/core/xml.js';
import { isRefusal, parseAdminItems, parseListRequest } from '../../../lib/modules/muc/admin-items.js';
import { registrationForm, submittedNick } from '../../../lib/modules/muc/register-form.js';
import { approvalForm, readVoiceForm } from '../../../lib/modules/muc/voice-form.js';

/** Parse test XML (it is well-formed). */
const parseElement = (text: string): Element => parse(text)!;
const ADMIN = 'http://jabber.org/protocol/muc#admin';
const query = (items: string) => parseElement(`<query xmlns='${ADMIN}'>${items}</query>`);
const condition = (v: unknown): string => (isRefusal(v) ? v.condition : 'ok');

describe('muc#admin items', () => {
  it('normalises JIDs and nicknames (a full JID names its bare JID for affiliations, §10.3)', () => {
    const items = parseAdminItems(query(`<item affiliation='member' jid='Juliet@Example.COM/balcony' nick='Jules'><reason>why</reason></item>
      <item role='visitor' jid='romeo@example.com/garden'/><item role='none' nick='Mercutio'/>`), 10);
    assert.ok(!isRefusal(items));
    assert.deepEqual(items, [
      { kind: 'affiliation', affiliation: 'member', jid: 'juliet@example.com', nick: 'Jules', reason: 'why' },
      { kind: 'role', role: 'visitor', nick: undefined, jid: 'romeo@example.com/garden', reason: undefined },
      { kind: 'role', role: 'none', nick: 'Mercutio', jid: undefined, reason: undefined },
    ]);
  });

  it("keeps nick='' on an affiliation item (§9.5: unset the reserved nickname)", () => {
    const items = parseAdminItems(query(`<item affiliation='member' jid='a@b' nick=''/>`), 10);
    assert.ok(!isRefusal(items));
    assert.equal(items[0]!.nick, '');
  });

  it('refuses each kind of bad item with its condition', () => {
    const cases: [string, string][] = [
      ['', 'bad-request'],
      [`<item/>`, 'bad-request'],
      [`<item affiliation='member' role='participant' nick='x' jid='a@b'/>`, 'bad-request'],
      [`<item affiliation='king' jid='a@b'/>`, 'bad-request'],
      [`<item role='jester' nick='x'/>`, 'bad-request'],
      [`<item affiliation='member'/>`, 'bad-request'],
      [`<item role='none'/>`, 'bad-request'],
      [`<item affiliation='member' jid='@b'/>`, 'jid-malformed'],
      [`<item role='none' nick=''/>`, 'jid-malformed'],
      [`<item affiliation='member' jid='a@b'/><item role='none' nick='x'/><item role='none' nick='y'/>`, 'not-acceptable'],
    ];
    for (const [items, expected] of cases) assert.equal(condition(parseAdminItems(query(items), 2)), expected, items);
  });

  it('reads list requests: one affiliation (not none) or one role (not none)', () => {
    assert.deepEqual(parseListRequest(query(`<item affiliation='outcast'/>`)), { kind: 'affiliation', affiliation: 'outcast' });
    assert.deepEqual(parseListRequest(query(`<item role='participant'/>`)), { kind: 'role', role: 'participant' });
    for (const bad of [`<item affiliation='none'/>`, `<item role='none'/>`, `<item/>`, `<item role='moderator'/><item role='visitor'/>`, '']) {
      assert.equal(condition(parseListRequest(query(bad))), 'bad-request', bad);
    }
  });
});

describe('muc registration and voice forms', () => {
  const submit = (type: string, formType: string, nick?: string) => parseElement(`<query xmlns='jabber:iq:register'>
    <x xmlns='jabber:x:data' type='${type}'><field var='FORM_TYPE'><value>${formType}</value></field>
    ${nick === undefined ? '' : `<field var='muc#register_roomnick'><value>${nick}</value></field>`}</x></query>`);

  it('reads the nickname of a submitted muc#register form, normalised', () => {
    assert.equal(submittedNick(submit('submit', 'http://jabber.org/protocol/muc#register', 'Thirdwitch')), 'Thirdwitch');
    assert.equal(condition(submittedNick(submit('submit', 'http://jabber.org/protocol/muc#register'))), 'bad-request');
    assert.equal(condition(submittedNick(submit('submit', 'http://jabber.org/protocol/muc#register', ''))), 'bad-request');
    assert.equal(condition(submittedNick(submit('submit', 'urn:other', 'x'))), 'bad-request');
    assert.equal(condition(submittedNick(submit('form', 'http://jabber.org/protocol/muc#register', 'x'))), 'bad-request');
    assert.equal(condition(submittedNick(parseElement(`<query xmlns='jabber:iq:register'/>`))), 'bad-request');
  });

  it('asks for a required nickname', () => {
    const form = registrationForm('Dark Cave');
    assert.equal(form.getChildText('title'), 'Dark Cave registration');
    assert.ok(form.getChildByAttr('var', 'muc#register_roomnick')?.getChild('required'));
  });

  it('builds the approval form and reads it back (§8.6)', () => {
    const form = approvalForm('hag66@shakespeare.lit/pda', 'thirdwitch');
    assert.deepEqual(readVoiceForm(form), { role: 'participant', jid: 'hag66@shakespeare.lit/pda', nick: 'thirdwitch', allow: false, submitted: false });
    const approval = parseElement(`<x xmlns='jabber:x:data' type='submit'>
      <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>
      <field var='muc#roomnick'><value>thirdwitch</value></field><field var='muc#request_allow'><value>1</value></field></x>`);
    assert.equal(readVoiceForm(approval)?.allow, true);
    assert.equal(readVoiceForm(parseElement(`<x xmlns='jabber:x:data' type='submit'/>`)), undefined);
  });
});
