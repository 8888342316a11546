/**
 * Tests for lib/modules/mam (XEP-0313, XEP-0359): archiving both ways with stanza ids,
 * queries from a fresh resource with @xmpp/client, filters, paging both ways (also while
 * messages arrive), the #extended fields, and the error paths.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { condition, converse, mamServer, NS_MAM, NS_SID, query, stanzaId } from './helpers.js';

const range = (n: number, p = 'm') => Array.from({ length: n }, (_, i) => `${p}${i + 1}`);

describe('mam (XEP-0313) archiving and queries', () => {
  it('archives each message once in both archives, and the delivered message carries the recipient\'s stanza-id', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    const got = await converse(a, b, ['one', 'two', 'three']);
    // a fresh resource of each, with @xmpp/client
    const a2 = await s.xmppjs('alice', 'phone');
    const b2 = await s.xmppjs('bob', 'phone');
    const pa = await query(a2);
    const pb = await query(b2);
    assert.deepEqual(pa.bodies, ['one', 'two', 'three']);
    assert.deepEqual(pb.bodies, ['one', 'two', 'three']);
    assert.equal(pa.complete, true);
    assert.deepEqual(got.map((m) => stanzaId(m, 'bob@localhost')), pb.ids, 'the ids bob saw are his archive\'s');
    assert.equal(pb.first, pb.ids[0]);
    assert.equal(pb.last, pb.ids[2]);
    const r = pb.results[0]!.getChild('result', NS_MAM)!;
    const fwd = r.getChild('forwarded', 'urn:xmpp:forward:0')!;
    assert.match(String(fwd.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(fwd.getChild('message')!.attrs.from, a.jid);
    assert.equal(pb.results[0]!.attrs.from, 'bob@localhost');
    assert.deepEqual(pa.ids, pb.ids, 'a message between two local users has the same id (and position) in both archives');
    assert.equal(new Set(pb.ids).size, 3);
  });

  it('filters by with (bare and full), start and end', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    const c = await s.raw('carol', 'desk');
    await converse(b, a, ['b1']);
    await converse(c, a, ['c1']);
    await converse(a, b, ['a-to-b']);
    assert.deepEqual((await query(a, { with: 'bob@localhost' })).bodies, ['b1', 'a-to-b']);
    assert.deepEqual((await query(a, { with: 'carol@localhost' })).bodies, ['c1']);
    assert.deepEqual((await query(a, { with: c.jid })).bodies, ['c1']);
    assert.deepEqual((await query(a, { with: 'carol@localhost/elsewhere' })).bodies, []);
    const future = new Date(Date.now() + 3600_000).toISOString();
    const past = new Date(Date.now() - 3600_000).toISOString();
    assert.deepEqual((await query(a, { start: future })).bodies, []);
    assert.deepEqual((await query(a, { end: past })).bodies, []);
    assert.deepEqual((await query(a, { start: past, end: future })).bodies, ['b1', 'c1', 'a-to-b']);
  });

  it('pages forwards and backwards without duplicates or gaps, also while messages arrive', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await converse(b, a, range(10));
    // forwards in pages of 3, while new messages keep arriving
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const p = await query(a, {}, { max: 3, ...(after !== undefined ? { after } : {}) });
      seen.push(...p.bodies);
      if (++pages <= 2) await converse(b, a, [`late${pages}`]);
      if (p.complete) break;
      after = p.last;
      assert.ok(pages < 20);
    }
    assert.deepEqual(seen, [...range(10), 'late1', 'late2']);
    // backwards from the end: the last page first, each page oldest-first
    const back: string[][] = [];
    let before = '';
    for (;;) {
      const p = await query(a, {}, { max: 5, before });
      back.push(p.bodies);
      if (p.complete) break;
      before = p.first!;
    }
    assert.deepEqual(back, [['m8', 'm9', 'm10', 'late1', 'late2'], ['m3', 'm4', 'm5', 'm6', 'm7'], ['m1', 'm2']]);
    // flipped: newest first within the page
    assert.deepEqual((await query(a, {}, { max: 3, before: '' }, true)).bodies, ['late2', 'late1', 'm10']);
  });

  it('supports the #extended fields: after-id, before-id, ids, and the metadata query', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await converse(b, a, range(6));
    const all = await query(a);
    assert.deepEqual((await query(a, { 'after-id': all.ids[1]!, 'before-id': all.ids[4]! })).bodies, ['m3', 'm4']);
    assert.deepEqual((await query(a, { ids: [all.ids[5]!, all.ids[0]!] })).bodies, ['m1', 'm6']);
    const meta = await a.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: NS_MAM })));
    const m = meta.getChild('metadata', NS_MAM)!;
    assert.equal(m.getChild('start')?.attrs.id, all.ids[0]);
    assert.equal(m.getChild('end')?.attrs.id, all.ids[5]);
    const c = await s.raw('carol', 'desk');
    const empty = await c.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: NS_MAM })));
    assert.equal(empty.getChild('metadata', NS_MAM)!.getChildElements().length, 0);
    const form = await a.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_MAM })));
    const vars = form.getChild('query', NS_MAM)!.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var);
    for (const v of ['with', 'start', 'end', 'before-id', 'after-id', 'ids']) assert.ok(vars.includes(v), v);
  });

  it('answers bad queries with the XEPs\' errors, and caps a max above the limit', async (t) => {
    const s = await mamServer(t, { max_archive_query_results: 4 });
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await converse(b, a, range(6));
    const rejects = async (q: Promise<unknown>, cond: string) => assert.equal(condition(await q.then(() => undefined, (e: unknown) => e)), cond);
    await rejects(query(a, { with: 'not a jid@' }), 'bad-request');
    await rejects(query(a, { start: 'yesterday' }), 'bad-request');
    await rejects(query(a, { color: 'blue' }), 'bad-request');
    await rejects(query(a, {}, { after: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'item-not-found');
    await rejects(query(a, { 'after-id': 'nonsense' }), 'item-not-found');
    await rejects(query(a, {}, { index: 2 }), 'feature-not-implemented');
    // someone else's id is not in this archive
    const c = await s.raw('carol', 'desk');
    await converse(c, b, ['for bob']);
    const bobs = await query(b, { with: 'carol@localhost' });
    await rejects(query(a, {}, { after: bobs.ids[0]! }), 'item-not-found');
    const capped = await query(a, {}, { max: 1000 });
    assert.equal(capped.bodies.length, 4);
    assert.equal(capped.complete, false);
    const zero = await query(a, {}, { max: 0 });
    assert.equal(zero.bodies.length, 0);
    assert.equal(zero.complete, false);
  });

  it('strips stanza-ids a client sends in our name (XEP-0359 §5)', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await a.send(xml('message', { to: b.jid, type: 'chat' }, xml('body', {}, 'x'),
      xml('stanza-id', { xmlns: NS_SID, by: 'bob@localhost', id: 'forged' }),
      xml('stanza-id', { xmlns: NS_SID, by: 'localhost', id: 'forged2' }),
      xml('stanza-id', { xmlns: NS_SID, by: 'elsewhere.example', id: 'theirs' })));
    const got = await b.next((el) => el.getChildText('body') === 'x');
    const ids = got.getChildren('stanza-id', NS_SID);
    assert.deepEqual(ids.filter((i) => i.attrs.by === 'bob@localhost').length, 1);
    assert.notEqual(stanzaId(got, 'bob@localhost'), 'forged');
    assert.equal(ids.some((i) => i.attrs.id === 'forged2'), false);
    assert.equal(ids.some((i) => i.attrs.id === 'theirs'), true, 'a remote entity\'s id is not ours to judge');
  });

  it('does not archive errors, headlines, chat states alone, or <no-store/> messages', async (t) => {
    const s = await mamServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await a.send(xml('message', { to: b.jid, type: 'headline' }, xml('body', {}, 'news')));
    await a.send(xml('message', { to: b.jid, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await a.send(xml('message', { to: b.jid, type: 'chat' }, xml('body', {}, 'secret'), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    await converse(a, b, ['kept']);
    assert.deepEqual((await query(b)).bodies, ['kept']);
    assert.deepEqual((await query(a)).bodies, ['kept']);
  });
});
