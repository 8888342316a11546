/**
 * Tests for lib/modules/muc_mam: history on join served from the room archive after a restart
 * on SQLite (with the stanza-ids the broadcast carried, delay stamps, maxstanzas and maxchars),
 * MAM pages of a room that never duplicate or skip while messages keep arriving (real
 * clients: one pages forwards and backwards while another speaks), and the archive of a
 * destroyed room deleted with it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer, tempDataPath } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';
import { configure, createRoom, join, MUC, mucServer, NS_DELAY, NS_MUC, NS_MUC_OWNER, roomQuery, roomStanzaId, say } from './helpers.js';

const ROOM = `lounge@${MUC}`;

/** The history a join delivered: the delayed groupchat messages before the subject. */
async function historyOf(c: ImClient): Promise<Element[]> {
  await c.next((el) => el.name === 'message' && el.getChild('subject') !== undefined, 'the subject');
  const history: Element[] = [];
  const delayed = (el: Element): boolean => el.name === 'message' && el.attrs.type === 'groupchat' && el.getChild('delay', NS_DELAY) !== undefined;
  while (c.has(delayed)) history.push(await c.next(delayed));
  return history;
}

describe('muc_mam', () => {
  it('serves join history from the archive after a restart on SQLite, with the broadcast stanza-ids', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const config = {
      storage: 'sqlite', data_path: dir.path,
      Component: { [MUC]: { module: 'muc', modules_enabled: ['muc_mam'] } },
    };
    const s1 = await startImServer(['alice', 'bob', 'carol'], config);
    const a = await s1.raw('alice', 'desk');
    await createRoom(a, ROOM, 'Alice', { 'muc#roomconfig_persistentroom': '1' });
    const ids: string[] = [];
    for (const body of ['one', 'two', 'three']) ids.push(roomStanzaId(await say(a, ROOM, body), ROOM)!);
    assert.equal(new Set(ids).size, 3, 'every broadcast carries its own room stanza-id');
    await s1.stop();

    const s2 = await startImServer([], config);
    t.after(() => s2.stop());
    const b = await s2.raw('bob', 'desk');
    await join(b, ROOM, 'Bob');
    const history = await historyOf(b);
    assert.deepEqual(history.map((m) => m.getChildText('body')), ['one', 'two', 'three']);
    assert.deepEqual(history.map((m) => roomStanzaId(m, ROOM)), ids, 'the ids the broadcast carried');
    for (const m of history) {
      assert.equal(m.attrs.from, `${ROOM}/Alice`);
      assert.equal(m.attrs.to, b.jid);
      assert.equal(m.getChild('delay', NS_DELAY)?.attrs.from, ROOM);
      assert.match(String(m.getChild('delay', NS_DELAY)?.attrs.stamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }

    const c = await s2.raw('carol', 'desk');
    await join(c, ROOM, 'Carol', { maxstanzas: '2' });
    assert.deepEqual((await historyOf(c)).map((m) => m.getChildText('body')), ['two', 'three'], 'maxstanzas');
    const c2 = await s2.raw('carol', 'other');
    await join(c2, ROOM, 'Carol2', { maxchars: '0' });
    assert.deepEqual(await historyOf(c2), [], 'maxchars 0: no history');
    const c3 = await s2.raw('carol', 'third');
    const oneSize = history[2]!.toString().length;
    await join(c3, ROOM, 'Carol3', { maxchars: String(oneSize + 40) });
    assert.deepEqual((await historyOf(c3)).map((m) => m.getChildText('body')), ['three'], 'maxchars: the newest that fit');

    const four = roomStanzaId(await say(b, ROOM, 'four'), ROOM)!;
    const after = await roomQuery(b, ROOM, {}, { after: ids[2]! });
    assert.deepEqual(after.bodies, ['four'], 'positions made after the restart come after the old ones');
    assert.deepEqual(after.ids, [four]);
  });

  it('sends live messages to a joining session after its history and subject (XEP-0045 §7.2.15-16), even while the archive is read', async (t) => {
    const dir = tempDataPath();
    t.after(() => dir.remove());
    const s = await startImServer(['alice', 'bob'], {
      storage: 'sqlite', data_path: dir.path,
      Component: { [MUC]: { module: 'muc', modules_enabled: ['muc_mam'] } },
    });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'desk');
    await createRoom(a, ROOM, 'Alice');
    await say(a, ROOM, 'before');
    // bob's second session joins and speaks in one write: the room handles the message before
    // the archive (a worker thread away) has answered the history query
    const b1 = await s.raw('bob', 'one');
    await join(b1, ROOM, 'Bob');
    const b2 = await s.raw('bob', 'two');
    b2.stream.write(`<presence to='${ROOM}/Bob'><x xmlns='${NS_MUC}'/></presence>`
      + `<message to='${ROOM}' type='groupchat' id='live'><body>live</body></message>`);
    const live = await b2.next((el) => el.name === 'message' && el.getChildText('body') === 'live', 'the live message');
    const order = b2.received.filter((el) => el.name === 'message').map((el) =>
      el.getChild('subject') !== undefined ? 'subject' : el.getChild('delay', NS_DELAY) ? `history:${el.getChildText('body')}` : `live:${el.getChildText('body')}`);
    assert.deepEqual(order, ['history:before', 'subject', 'live:live']);
    assert.ok(roomStanzaId(live, ROOM), 'the live message carries its room stanza-id');
  });

  it('never duplicates or skips a message across pages while messages arrive, forwards and backwards', async (t) => {
    const s = await mucServer(t);
    const a = await s.xmppjs('alice', 'desk');
    const b = await s.xmppjs('bob', 'desk');
    await createRoom(a, ROOM, 'Alice');
    await join(b, ROOM, 'Bob');
    const sent: string[] = [];
    const speak = async (from: number, n: number): Promise<void> => {
      for (let i = from; i < from + n; i++) sent.push(roomStanzaId(await say(a, ROOM, `m${i}`), ROOM)!);
    };

    // forwards: pages of 7 after the last id seen, while 60 messages are said
    let speaking = speak(0, 60);
    let done = false;
    void speaking.then(() => { done = true; });
    const forward: string[] = [];
    let last: string | undefined;
    for (;;) {
      const wasDone = done;
      const p = await roomQuery(b, ROOM, {}, last === undefined ? { max: 7 } : { max: 7, after: last });
      forward.push(...p.ids);
      if (p.last !== undefined) last = p.last;
      if (p.complete && wasDone) break;
    }
    await speaking;
    assert.deepEqual(forward, sent, 'every message once, in order');

    // backwards: from the last page before the newest, while 40 more are said
    speaking = speak(60, 40);
    const backward: string[] = [];
    let first: string | undefined;
    for (;;) {
      const p = await roomQuery(b, ROOM, {}, { max: 9, before: first ?? '' });
      assert.ok(p.ids.length <= 9);
      backward.unshift(...p.ids);
      if (p.first !== undefined) first = p.first;
      if (p.complete) break;
    }
    await speaking;
    assert.ok(backward.length >= 60);
    assert.deepEqual(backward, sent.slice(0, backward.length), 'every message once, in order, up to where paging began');
    const forwardAgain: string[] = [];
    let after = backward[backward.length - 1]!;
    for (;;) {
      const p = await roomQuery(b, ROOM, {}, { max: 50, after });
      forwardAgain.push(...p.ids);
      if (p.last !== undefined) after = p.last;
      if (p.complete) break;
    }
    assert.deepEqual([...backward, ...forwardAgain], sent, 'the rest, after where backward paging began');
  });

  it('deletes the archive of a destroyed room, as Prosody: a new room of that name starts empty', async (t) => {
    const s = await mucServer(t);
    const a = await s.raw('alice', 'desk');
    await createRoom(a, ROOM, 'Alice', { 'muc#roomconfig_persistentroom': '1' });
    await say(a, ROOM, 'before');
    assert.deepEqual((await roomQuery(a, ROOM)).bodies, ['before']);
    await a.iq(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: NS_MUC_OWNER }, xml('destroy', {}, xml('reason', {}, 'done')))));
    await createRoom(a, ROOM, 'Alice');
    assert.deepEqual((await roomQuery(a, ROOM)).bodies, []);
    await say(a, ROOM, 'after');
    assert.deepEqual((await roomQuery(a, ROOM)).bodies, ['after']);
  });

  it('keeps the real JID of a non-anonymous room\'s messages, shown only while the room is non-anonymous', async (t) => {
    const s = await mucServer(t);
    const a = await s.raw('alice', 'desk');
    const b = await s.raw('bob', 'desk');
    await createRoom(a, ROOM, 'Alice', { 'muc#roomconfig_whois': 'anyone' });
    await join(b, ROOM, 'Bob');
    await say(b, ROOM, 'who am I');
    const realJid = (p: Awaited<ReturnType<typeof roomQuery>>): unknown => p.results[0]!.getChild('result', 'urn:xmpp:mam:2')!
      .getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs.jid;
    assert.equal(realJid(await roomQuery(a, ROOM)), 'bob@localhost');
    await configure(a, ROOM, { 'muc#roomconfig_whois': 'moderators' });
    assert.equal(realJid(await roomQuery(a, ROOM)), undefined, 'hidden once the room is semi-anonymous');
    const c = await s.raw('carol', 'desk');
    await join(c, ROOM, 'Carol');
    const history = await historyOf(c);
    assert.equal(history.length, 1);
    assert.equal(history[0]!.getChild('x', 'http://jabber.org/protocol/muc#user'), undefined, 'and in the history');
  });

  it('expires old room messages in the background (muc_log_expires_after)', async (t) => {
    const s = await mucServer(t, { muc_log_expires_after: 1, muc_log_cleanup_interval: 1 });
    const a = await s.raw('alice', 'desk');
    await createRoom(a, ROOM, 'Alice');
    await say(a, ROOM, 'old');
    assert.equal((await roomQuery(a, ROOM)).bodies.length, 1);
    for (let i = 0; i < 50 && (await roomQuery(a, ROOM)).bodies.length > 0; i++) await sleep(100);
    assert.deepEqual((await roomQuery(a, ROOM)).bodies, []);
  });

  it('logs every room with muc_log_all_rooms, whatever the room says, and hides the switch; muc_log_by_default false logs none', async (t) => {
    const s = await mucServer(t, { muc_log_all_rooms: true, muc_log_by_default: false });
    const a = await s.raw('alice', 'desk');
    await createRoom(a, ROOM, 'Alice', { 'muc#roomconfig_enablelogging': '0' });
    assert.ok(roomStanzaId(await say(a, ROOM, 'kept anyway'), ROOM));
    assert.deepEqual((await roomQuery(a, ROOM)).bodies, ['kept anyway']);
    const form = await a.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: NS_MUC_OWNER })));
    const vars = form.getChild('query', NS_MUC_OWNER)!.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var);
    assert.ok(vars.includes('muc#roomconfig_roomname'));
    assert.ok(!vars.includes('muc#roomconfig_enablelogging') && !vars.includes('muc#roomconfig_enablearchiving'));

    const s2 = await mucServer(t, { muc_log_by_default: false });
    const b = await s2.raw('bob', 'desk');
    await createRoom(b, ROOM, 'Bob');
    assert.equal(roomStanzaId(await say(b, ROOM, 'not kept'), ROOM), undefined);
    assert.deepEqual((await roomQuery(b, ROOM)).bodies, []);
    await configure(b, ROOM, { 'muc#roomconfig_enablearchiving': '1' });
    assert.ok(roomStanzaId(await say(b, ROOM, 'kept now'), ROOM), 'the owner turned archiving on');
    assert.deepEqual((await roomQuery(b, ROOM)).bodies, ['kept now']);
  });
});
