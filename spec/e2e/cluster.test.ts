/**
 * The cluster end to end (issue: several nodes as one service): three `xmpp-server start`
 * processes from examples/cluster/node*.json on one private PostgreSQL and one redis-server,
 * nginx in front running examples/cluster/nginx.conf. Clients on different nodes chat and see
 * each other's presence; a client resumes its stream (XEP-0198) on another node after its
 * node is drained, through nginx; a node killed with SIGKILL while messages flow loses none
 * that the server acknowledged to their sender (XEP-0198 <a h/>): each reaches the recipient
 * live, from offline storage or from the archive, once per stanza-id; the dead node's users
 * go unavailable to their contacts within cluster_node_timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../helpers/engines.js';
import { cli, startClusterNginx, startNode, type ClusterNode } from '../helpers/cluster-nodes.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import type { ProxyProcess } from '../helpers/proxies.js';
import { authenticated, bindResource, resumeSession, smLogin, SM3, type SmClient } from '../helpers/sm-client.js';
import { xmppjsClient } from '../helpers/ws-clients.js';

const PW = 'pw';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

let dir: string;
let pg: PostgresServer;
let redis: RedisServer;
const nodes: ClusterNode[] = [];
let nginx: ProxyProcess | undefined;
let cert: TestCertificate;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xs-cluster-e2e-'));
  pg = await startPostgres();
  redis = await startRedis();
  cert = selfSignedCertificate(['localhost']);
  const engines = { dir, sql: pg.sqlOption(), redisUrl: redis.url, extra: { smacks_hibernation_time: 120, max_archive_query_results: 200 } };
  for (let i = 1; i <= 3; i++) nodes.push(await startNode(i, engines));
  for (const u of USERS) {
    const r = cli(['register', u, 'localhost', PW], nodes[0]!.configFile);
    assert.equal(r.code, 0, r.err);
  }
  nginx = await startClusterNginx(nodes, cert.certificate, cert.key);
});

after(async () => {
  await nginx?.stop();
  for (const n of nodes) await n.stop();
  await redis?.stop();
  pg?.destroy();
  cert?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * A new session (and its presence) reaches the other nodes one Redis round trip later; until
 * then a stanza for the account's bare JID routed there finds it offline (README, cluster).
 */
const settle = (): Promise<void> => wait(500);
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A presence from `from` (of `type`, or available when absent), whatever the attribute order. */
const presence = (from: string, type?: string): RegExp => new RegExp(`<presence\\b(?=[^>]*from=["']${esc(from)}["'])${
  type === undefined ? '(?![^>]*type=)' : `(?=[^>]*type=["']${type}["'])`}[^>]*>`);

/** Wait until `re` is anywhere in what `c` received (consumed or not). */
async function seen(c: SmClient, re: RegExp, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!re.test(c.text())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${re}; received: ${c.text().slice(-600)}`);
    await wait(20);
  }
}

/** Make `a` and `b` mutual contacts (both subscriptions), each logged in with `ca` / `cb`. */
async function befriend(ca: SmClient, a: string, cb: SmClient, b: string): Promise<void> {
  ca.write(`<presence xmlns='jabber:client' to='${b}@localhost' type='subscribe'/>`);
  await cb.expect(presence(`${a}@localhost`, 'subscribe'));
  cb.write(`<presence xmlns='jabber:client' to='${a}@localhost' type='subscribed'/>`);
  cb.write(`<presence xmlns='jabber:client' to='${a}@localhost' type='subscribe'/>`);
  await ca.expect(presence(`${b}@localhost`, 'subscribe'));
  ca.write(`<presence xmlns='jabber:client' to='${b}@localhost' type='subscribed'/>`);
}

/** Every archived message with `withJid` (all pages): [stanza-id, body token] in order. */
async function archived(c: SmClient, withJid: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  let after = '';
  for (let page = 0; page < 100; page++) {
    const q = `q${page}`;
    c.write(`<iq xmlns='jabber:client' type='set' id='${q}'><query xmlns='urn:xmpp:mam:2' queryid='${q}'>`
      + "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
      + `<field var='with'><value>${withJid}</value></field></x>`
      + `<set xmlns='http://jabber.org/protocol/rsm'><max>200</max>${after ? `<after>${after}</after>` : ''}</set></query></iq>`);
    const m = await c.expect(new RegExp(`<iq\\b[^>]*id=["']${q}["'][^>]*>[^]*?</iq>`), 15_000);
    const before = c.text().slice(0, c.text().lastIndexOf(m[0]));
    const results = [...before.matchAll(new RegExp(`<result\\b[^>]*queryid=["']${q}["'][^>]*id=["']([^"']+)["'][^>]*>[^]*?<body>(tok-[^<]+)</body>`, 'g'))];
    for (const r of results) out.push([r[1]!, r[2]!]);
    if (/complete=["']true["']/.test(m[0]) || results.length === 0) return out;
    after = /<last>([^<]+)<\/last>/.exec(m[0])?.[1] ?? '';
    if (after === '') return out;
  }
  return out;
}

describe('three nodes on PostgreSQL and Redis behind nginx', () => {
  it('users on different nodes chat both ways and see each other\'s presence', async () => {
    const { c: alice } = await smLogin('ws', nodes[0]!.ports, 'alice', PW, 'one');
    const { c: bob } = await smLogin('tcp', nodes[1]!.ports, 'bob', PW, 'two');
    alice.write("<presence xmlns='jabber:client'/>");
    bob.write("<presence xmlns='jabber:client'/>");
    await settle();
    await befriend(alice, 'alice', bob, 'bob');
    await seen(alice, presence('bob@localhost/two'));
    await seen(bob, presence('alice@localhost/one'));
    alice.write("<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>tok-c-1</body></message>");
    await bob.expect(/tok-c-1/);
    bob.write("<message xmlns='jabber:client' to='alice@localhost/one' type='chat'><body>tok-c-2</body></message>");
    await alice.expect(/tok-c-2/);
    assert.match(alice.text(), /<stanza-id xmlns="urn:xmpp:sid:0"[^>]*by="alice@localhost"/, 'archived once, with a stanza-id for its owner');

    // Real client libraries through nginx (the balancer picks their nodes).
    const url = `ws://127.0.0.1:${nginx!.httpPort}/xmpp-websocket`;
    const erin = await xmppjsClient(url, 'erin', PW, 'lib');
    const frank = await xmppjsClient(url, 'frank', PW, 'lib');
    erin.sendMessage(frank.jid, 'through the balancer');
    await frank.next((s) => s.kind === 'message' && s.body === 'through the balancer', 10_000);
    await erin.stop();
    await frank.stop();
    alice.write(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    bob.cut();
  });

  it('users on three nodes share one group chat room (one owner node, XEP-0045)', async () => {
    const room = 'lounge@conference.localhost';
    const [n1, n2, n3] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const members: SmClient[] = [];
    for (const [i, [node, user]] of ([[n1, 'alice'], [n2, 'bob'], [n3, 'erin']] as const).entries()) {
      const c = await authenticated(i === 1 ? 'tcp' : 'ws', node.ports, user, PW);
      await bindResource(c, 'muc');
      c.write(`<presence xmlns='jabber:client' to='${room}/${user}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
      // XEP-0045 §7.2.3: self-presence (status 110) once joined; the creator also gets 201
      await c.expect(new RegExp(`<presence\\b(?=[^>]*from=["']${esc(room)}/${user}["'])[^>]*>[^]*?<status code=["']110["']`), 10_000);
      if (i === 0) {
        // an instant room (XEP-0045 §10.1.2)
        c.write(`<iq xmlns='jabber:client' type='set' to='${room}' id='inst'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
        await c.expect(/<iq\b(?=[^>]*id=["']inst["'])(?=[^>]*type=["']result["'])/);
      }
      members.push(c);
    }
    // everyone sees everyone else join, whichever node they are on
    for (const c of members) for (const who of ['alice', 'bob', 'erin']) await seen(c, presence(`${room}/${who}`));
    members[1]!.write(`<message xmlns='jabber:client' to='${room}' type='groupchat'><body>tok-m-1</body></message>`);
    for (const c of members) await seen(c, /tok-m-1/);
    await wait(300);
    for (const c of members) assert.equal(c.text().split('tok-m-1').length - 1, 1, 'each occupant gets the message once');
    for (const c of members) c.cut();
  });

  it('a client resumes its stream on another node after its node is drained (through nginx)', async () => {
    const third = nodes[2]!;
    const { c: carol, id } = await smLogin('ws', third.ports, 'carol', PW, 'tab');
    carol.write("<presence xmlns='jabber:client'/>");
    const { c: dave } = await smLogin('tcp', nodes[0]!.ports, 'dave', PW, 'desk');
    for (let i = 0; i < 3; i++) dave.write(`<message xmlns='jabber:client' to='carol@localhost/tab' type='chat'><body>tok-r-${i}</body></message>`);
    await carol.expect(/tok-r-2/);
    const seen = carol.stanzaCount();
    carol.write(`<a xmlns='${SM3}' h='${seen - 2}'/>`); // two stay unacknowledged
    await third.drain();
    await carol.closed;
    dave.write("<message xmlns='jabber:client' to='carol@localhost/tab' type='chat'><body>tok-r-3</body></message>");

    const proxied = { tcp: 0, ws: nginx!.httpPort };
    const carol2 = await authenticated('ws', proxied, 'carol', PW);
    await resumeSession(carol2, id, seen - 2);
    await carol2.expect(/tok-r-3/);
    assert.deepEqual(carol2.tokens(), ['tok-r-1', 'tok-r-2', 'tok-r-3'], 'what she had not acknowledged, then what came meanwhile');
    carol2.cut();
    dave.cut();
    await third.start(); // back for the next test
  });

  it('kill -9 of a node while messages flow: every acknowledged message reaches the recipient, once; its users go unavailable', async () => {
    const [n1, n2, n3] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    // bob on node 2 receives; alice on node 1 sends; frank on node 3 is bob's contact.
    const { c: bob } = await smLogin('ws', n2.ports, 'bob', PW, 'victim');
    bob.write("<presence xmlns='jabber:client'/>");
    const frank = await authenticated('tcp', n3.ports, 'frank', PW);
    await bindResource(frank, 'watch');
    frank.write("<presence xmlns='jabber:client'/>");
    await settle();
    await befriend(bob, 'bob', frank, 'frank');
    await seen(frank, presence('bob@localhost/victim'));
    const { c: alice } = await smLogin('tcp', n1.ports, 'alice', PW, 'sender');

    let sent = 0;
    let acked = 0;
    const total = 600;
    const flow = (async () => {
      while (sent < total) {
        for (let k = 0; k < 20 && sent < total; k++) {
          alice.write(`<message xmlns='jabber:client' to='bob@localhost/victim' type='chat'><body>tok-k-${sent}</body></message>`);
          sent++;
        }
        alice.write(`<r xmlns='${SM3}'/>`);
        const m = await alice.expect(/<a xmlns="urn:xmpp:sm:3" h="(\d+)"\/>/, 15_000);
        acked = Number(m[1]);
        await wait(5);
      }
    })();
    while (acked < 200) await wait(10);
    await n2.kill();
    const killedAt = Date.now();
    await flow;
    assert.equal(acked, total, 'node 1 acknowledged everything alice sent');

    // bob's contact on node 3 learns he is gone within the timeout (2 s) plus a heartbeat.
    await frank.expect(presence('bob@localhost/victim', 'unavailable'), 10_000);
    assert.ok(Date.now() - killedAt < 8000, 'unavailable within cluster_node_timeout (and a heartbeat)');

    // bob comes back on node 3: what he had live, from offline storage and from the archive.
    const live = bob.tokens();
    const bob2 = await authenticated('ws', n3.ports, 'bob', PW);
    await bindResource(bob2, 'back');
    bob2.write("<presence xmlns='jabber:client'/>");
    await wait(500);
    const history = await archived(bob2, 'alice@localhost');
    const ids = history.map(([sid]) => sid);
    assert.equal(new Set(ids).size, ids.length, 'each archived message once (unique stanza-ids)');
    const got = new Set([...live, ...bob2.tokens(), ...history.map(([, tok]) => tok)]);
    const missing: string[] = [];
    for (let i = 0; i < acked; i++) if (!got.has(`tok-k-${i}`)) missing.push(`tok-k-${i}`);
    assert.deepEqual(missing, [], 'no acknowledged message is lost');
    const archivedTokens = history.map(([, tok]) => tok).filter((t) => t.startsWith('tok-k-'));
    assert.equal(new Set(archivedTokens).size, archivedTokens.length, 'no message archived twice');
    // what node 1 could no longer hand to node 2 went to offline storage: nothing bounced
    assert.doesNotMatch(alice.text(), /<message\b[^>]*type=["']error["']/, 'no message bounced to its sender');
    bob2.cut();
    alice.cut();
    frank.cut();
    await n2.start();
  });
});
