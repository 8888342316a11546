/**
 * Tests for lib/modules/cluster: routing between nodes. Three real servers in this process
 * share one SQLite file and a private redis-server; @xmpp/client and the raw client log in
 * to different nodes and exchange messages (full and bare JID), presence, carbons and iq.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { redisAvailable } from '../../helpers/engines.js';
import { befriend, startCluster, until, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { is, type ImClient } from '../../helpers/im-clients.js';

const skip = redisAvailable();
const NS_CARBONS = 'urn:xmpp:carbons:2';
const body = (text: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === text;
const chat = (to: string, text: string, type = 'chat') => xml('message', { to, type, id: `m-${text}` }, xml('body', {}, text));

describe('cluster: routing between nodes', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;
  let n3: ClusterNodeHandle;

  before(async () => {
    cluster = await startCluster();
    n1 = await cluster.node('n1');
    cluster.users(n1.server, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    befriend(n1.server, 'alice', 'bob');
    n2 = await cluster.node('n2');
    n3 = await cluster.node('n3');
  });
  after(() => cluster.stop());

  /** Wait until every node sees `jid` bound (through Redis). */
  const everywhere = (jid: string) => until(() => [n1, n2, n3].every((n) => n.server.sessions.get(jid) !== undefined), `${jid} is known on every node`);

  it('delivers messages both ways between nodes, to full and bare JIDs', async () => {
    const a = await n1.xmppjs('carol', 'laptop');
    const b = await n2.raw('dave', 'phone');
    await a.send(xml('presence'));
    await b.send(xml('presence'));
    await everywhere(a.jid);
    await everywhere(b.jid);
    await until(() => n1.server.sessions.available('localhost', 'dave').length === 1, 'dave is available on n1');
    await a.send(chat(b.jid, 'to full'));
    const got = await b.next(body('to full'), 'the message on n2');
    assert.equal(got.attrs.from, a.jid);
    await a.send(chat('dave@localhost', 'to bare'));
    await b.next(body('to bare'), 'the bare-JID message on n2');
    await until(() => n2.server.sessions.available('localhost', 'carol').length === 1, 'carol is available on n2');
    await b.send(chat(a.jid, 'reply full'));
    await a.next(body('reply full'), 'the reply on n1');
    await b.send(chat('carol@localhost', 'reply bare'));
    await a.next(body('reply bare'), 'the bare reply on n1');
  });

  it('shows presence to contacts on other nodes, and answers their probes with it', async () => {
    const a = await n1.xmppjs('alice', 'desk');
    await a.send(xml('presence', {}, xml('status', {}, 'at my desk')));
    await everywhere(a.jid);
    // bob logs in later on n2: his initial presence probes alice, whose presence n1 published
    const b = await n2.raw('bob', 'phone');
    await b.send(xml('presence'));
    const seen = await b.next(is.presence(a.jid), "alice's presence (probe answered from the registry)");
    assert.equal(seen.getChildText('status'), 'at my desk');
    await a.next(is.presence(b.jid), "bob's initial presence on n1");
    await a.send(xml('presence', {}, xml('show', {}, 'away')));
    const update = await b.next((el) => el.name === 'presence' && el.attrs.from === a.jid && el.getChildText('show') === 'away', 'the update');
    assert.equal(update.attrs.type, undefined);
    await b.stop();
    await a.next(is.presence(b.jid, 'unavailable'), 'bob going offline, seen on n1');
    await a.stop();
  });

  it('copies messages (carbons) to a resource of the same account on another node', async () => {
    const e1 = await n1.raw('erin', 'one');
    const e2 = await n3.xmppjs('erin', 'two');
    const f = await n2.raw('frank', 'pc');
    for (const c of [e1, e2, f]) await c.send(xml('presence'));
    await e2.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: NS_CARBONS })));
    await until(() => n1.server.sessions.get(e2.jid)?.data.carbons === true, 'the carbons flag reached n1');
    await until(() => n2.server.sessions.get(e2.jid)?.data.carbons === true, 'the carbons flag reached n2');
    await everywhere(e1.jid);
    await everywhere(f.jid);
    // sent from n1: the sent carbon goes to n3
    await e1.send(chat(f.jid, 'sent copy'));
    await f.next(body('sent copy'), 'the original');
    const sent = await e2.next((el) => el.getChild('sent', NS_CARBONS) !== undefined, 'a sent carbon on n3');
    assert.equal(sent.attrs.from, 'erin@localhost');
    // received on n1 from n2: the received carbon goes to n3
    await f.send(chat(e1.jid, 'received copy'));
    await e1.next(body('received copy'), 'the original');
    const received = await e2.next((el) => el.getChild('received', NS_CARBONS) !== undefined, 'a received carbon on n3');
    const inner = received.getChild('received', NS_CARBONS)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    assert.equal(inner.getChildText('body'), 'received copy');
    for (const c of [e1, e2, f]) await c.stop();
  });

  it('carries an iq to a full JID on another node and its result back', async () => {
    const a = await n1.raw('carol', 'iq-asker');
    const b = await n3.raw('dave', 'iq-answerer');
    await everywhere(a.jid);
    await everywhere(b.jid);
    const asked = a.iq(xml('iq', { type: 'get', to: b.jid, id: 'ver1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    const request = await b.next((el) => el.name === 'iq' && el.attrs.id === 'ver1', 'the request on n3');
    assert.equal(request.attrs.from, a.jid);
    await b.send(xml('iq', { type: 'result', id: 'ver1', to: a.jid }, xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'raw'))));
    const result = await asked;
    assert.equal(result.getChild('query')?.getChildText('name'), 'raw');
    await a.stop();
    await b.stop();
  });

  it('sends a normal message to the bare JID to the highest-priority resource, on whichever node', async () => {
    const low = await n1.raw('bob', 'low');
    const high = await n2.raw('bob', 'high');
    const sender = await n3.raw('carol', 'sender');
    await low.send(xml('presence', {}, xml('priority', {}, '1')));
    await high.send(xml('presence', {}, xml('priority', {}, '5')));
    await until(() => n3.server.sessions.available('localhost', 'bob').map((s) => s.priority).sort().join() === '1,5', 'both priorities known on n3');
    await sender.send(chat('bob@localhost', 'to the top', 'normal'));
    await high.next(body('to the top'), 'the message at priority 5 (n2)');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(low.has(body('to the top')), false, 'not at priority 1');
    // the other way round: the top resource now on n1
    await low.send(xml('presence', {}, xml('priority', {}, '9')));
    await until(() => n3.server.sessions.get(low.jid)?.priority === 9, 'the new priority known on n3');
    await sender.send(chat('bob@localhost', 'to the new top', 'normal'));
    await low.next(body('to the new top'), 'the message at priority 9 (n1)');
    for (const c of [low, high, sender] as ImClient[]) await c.stop();
  });

  it('keeps one holder per full JID: a bind on another node replaces the old session (conflict)', async () => {
    const first = await n1.raw('frank', 'same');
    await everywhere(first.jid);
    const second = await n2.raw('frank', 'same');
    const error = await first.next((el) => el.name === 'stream:error', 'a stream error on n1');
    assert.ok(error.getChild('conflict', 'urn:ietf:params:xml:ns:xmpp-streams'), 'RFC 6120 §7.7.2.2: the old session gets <conflict/>');
    await first.stop();
    await until(() => n3.server.sessions.get(second.jid) !== undefined && n1.server.sessions.get(second.jid) !== undefined, 'the new holder known');
    assert.equal((n1.server.sessions.get(second.jid) as { node?: string } | undefined)?.node, 'n2');
    await second.stop();
  });

  it('forgets the sessions of a node that stops cleanly, at once', async () => {
    const n4 = await cluster.node('n4');
    const c = await n4.raw('alice', 'short');
    const contact = await n1.raw('bob', 'watcher');
    await contact.send(xml('presence'));
    await until(() => n4.server.sessions.get(contact.jid)?.presence !== undefined, "the watcher's presence known on n4");
    await c.send(xml('presence'));
    await contact.next(is.presence(c.jid), "alice's presence from n4");
    await everywhere(c.jid);
    await n4.stop();
    await contact.next(is.presence(c.jid, 'unavailable'), 'her unavailable presence as n4 stops', 2000);
    await until(() => n1.server.sessions.get(c.jid) === undefined && n2.server.sessions.get(c.jid) === undefined, 'n4\'s session forgotten', 1000);
    await contact.stop();
  });
});
