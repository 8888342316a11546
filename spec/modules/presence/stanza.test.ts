/**
 * Tests for lib/modules/presence/stanza.ts: presence priorities (RFC 6121 §4.7.2.3: an integer
 * from -128 to 127, absent or invalid meaning 0) and the presence types of RFC 6121 §4.7.1;
 * then the priority a real session takes from what its client sends, and the types a
 * client's broadcast presence may have.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { PRESENCE_TYPES, SUBSCRIPTION_TYPES, parsePriority } from '../../../lib/modules/presence/stanza.js';
import { startImServer } from '../../helpers/im-server.js';

const withPriority = (text: string): ReturnType<typeof xml> => xml('presence', {}, xml('priority', {}, text));

describe('parsePriority (RFC 6121 §4.7.2.3)', () => {
  it('reads integers in range, with an optional sign and surrounding whitespace', () => {
    const cases: [string, number][] = [['0', 0], ['5', 5], ['-1', -1], ['+7', 7], ['127', 127], ['-128', -128], [' 3 ', 3], ['\n-4\t', -4], ['007', 7]];
    for (const [text, want] of cases) assert.equal(parsePriority(withPriority(text)), want, JSON.stringify(text));
  });

  it('clamps out-of-range integers to -128..127', () => {
    const cases: [string, number][] = [['128', 127], ['1000', 127], ['-129', -128], ['-9999', -128], ['+200', 127]];
    for (const [text, want] of cases) assert.equal(parsePriority(withPriority(text)), want, text);
  });

  it('takes anything that is not an integer, and no priority at all, as 0', () => {
    for (const text of ['', ' ', '-', 'high', '1.5', '1e2', '0x10', '--1', '+-1', '1 2', '٣', '１', 'NaN', 'Infinity']) {
      assert.equal(parsePriority(withPriority(text)), 0, JSON.stringify(text));
    }
    assert.equal(parsePriority(xml('presence')), 0);
    assert.equal(parsePriority(xml('presence', {}, xml('status', {}, '5'))), 0);
  });
});

describe('presence types (RFC 6121 §4.7.1)', () => {
  it('allows available (no type) and the seven named types; four of them are subscription types', () => {
    assert.deepEqual([...PRESENCE_TYPES].sort(), [undefined, 'error', 'probe', 'subscribe', 'subscribed', 'unavailable', 'unsubscribe', 'unsubscribed'].sort());
    for (const bad of ['available', 'Subscribe', '', 'invisible', 'chat']) assert.equal(PRESENCE_TYPES.has(bad), false, bad);
    assert.deepEqual([...SUBSCRIPTION_TYPES].sort(), ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);
    for (const t of ['probe', 'unavailable', 'error']) assert.equal(SUBSCRIPTION_TYPES.has(t), false, t);
  });
});

describe('on the wire', () => {
  it("a session's priority follows its broadcast presence; a type that cannot be broadcast is refused", async (t) => {
    const s = await startImServer(['alice']);
    t.after(() => s.stop());
    const alice = await s.raw('alice', 'a');
    const session = () => s.server.sessions.get(alice.jid)!;
    const ping = async (): Promise<void> => { await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))); };
    for (const [text, want] of [['-5', -5], ['300', 127], ['junk', 0], ['42', 42]] as const) {
      await alice.send(withPriority(text));
      await ping();
      assert.equal(session().priority, want, text);
    }
    await alice.send(xml('presence', { type: 'unavailable' }));
    await ping();
    assert.equal(session().priority, 0, 'unavailable resets it');

    for (const type of ['probe', 'subscribe', 'bogus']) {
      await alice.send(xml('presence', { type, id: `p-${type}` }, xml('priority', {}, '9')));
      const err = await alice.next((el) => el.attrs.id === `p-${type}`, `answer to ${type}`);
      assert.equal(err.attrs.type, 'error', type);
      assert.equal(err.getChild('error')?.getChildElements()[0]?.name, 'bad-request');
    }
    assert.equal(session().priority, 0);
    assert.equal(session().presence, undefined, 'none of them made the session available');
  });
});
