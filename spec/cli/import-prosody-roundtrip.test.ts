/**
 * The migration round trip with a real Prosody 0.12 (Debian's package): a temp config with
 * two VirtualHosts (SCRAM-hashed accounts on `localhost`, plaintext on `plain.localhost`),
 * accounts registered with prosodyctl, two @xmpp/client users who subscribe to each other and
 * store a vCard and private XML, PEP items (a nickname with the default presence access, an
 * XEP-0402 bookmark published with publish-options whitelist/max), a pending request and an
 * offline message for a third. Then
 * Prosody stops, `xmpp-server import-prosody` runs as a child process, our server starts on
 * the written config and data, and the users log in with their old passwords (PLAIN and
 * SCRAM-SHA-1) and find their contacts, vCard, private XML, PEP items and node configuration
 * (the contact reads the nickname, not the whitelisted bookmarks), request and message.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from '../../lib/index.js';
import { Config } from '../../lib/core/config.js';
import { xml, type Element } from '../../lib/core/xml.js';
import { captureLog } from '../helpers/log.js';
import { freePort } from '../helpers/proxies.js';
import { reportedListeners } from '../helpers/server.js';
import { login, prosodyctl, SaslFailure, startProsody, xmppJs } from './prosody-harness.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');
const PW = { alice: 'Alice-pw 1', bob: 'bøb-pw-2', carol: 'carol pw 3' };
const NS_ROSTER = 'jabber:iq:roster';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_NICK = 'http://jabber.org/protocol/nick';
const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';
const ROOM = 'room@conference.localhost';

/** XEP-0163 §3 publish, with XEP-0060 §7.1.5 publish-options when given. */
function publish(node: string, id: string, payload: Element, options?: Record<string, string>): Element {
  const children = [xml('publish', { node }, xml('item', { id }, payload))];
  if (options) {
    const fields = Object.entries({ FORM_TYPE: `${NS_PUBSUB}#publish-options`, ...options })
      .map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)));
    children.push(xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields)));
  }
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, ...children));
}
const getItems = (to: string, node: string): Element => xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node })));
const itemsOf = (r: Element): Element[] => r.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? [];

function prosodyConfig(dir: string, port: number): string {
  return `-- written by the migration test
data_path = "${dir}/prosody-data"
pidfile = "${dir}/prosody.pid"
daemonize = false
${process.getuid?.() === 0 ? 'run_as_root = true' : ''}
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
storage = "internal"
c2s_ports = { ${port} }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
modules_enabled = { "roster"; "saslauth"; "disco"; "vcard"; "private"; "pep"; "offline"; "ping"; "posix" }
modules_disabled = { "s2s"; "tls" }
authentication = "internal_hashed"

VirtualHost "localhost"

VirtualHost "plain.localhost"
  authentication = "internal_plain"
`;
}

const rosterItems = async (c: { iq(el: Element): Promise<Element> }): Promise<Map<string, Element>> => {
  const r = await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
  assert.equal(r.attrs.type, 'result');
  return new Map(r.getChild('query', NS_ROSTER)!.getChildren('item').map((i) => [i.attrs.jid as string, i]));
};

describe('import-prosody: a real Prosody 0.12 data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-prosody-'));
  const cfg = join(dir, 'prosody.cfg.lua');
  let server: Server | undefined;
  let port = 0;
  let report = '';

  before(async () => {
    const prosodyPort = await freePort();
    writeFileSync(cfg, prosodyConfig(dir, prosodyPort));
    prosodyctl(cfg, 'register', 'alice', 'localhost', PW.alice);
    prosodyctl(cfg, 'register', 'bob', 'localhost', PW.bob);
    prosodyctl(cfg, 'register', 'carol', 'plain.localhost', PW.carol);
    const prosody = await startProsody(cfg, prosodyPort);
    try {
      const alice = await xmppJs(prosodyPort, 'localhost', 'alice', PW.alice);
      const bob = await xmppJs(prosodyPort, 'localhost', 'bob', PW.bob);
      await alice.c.send(xml('presence'));
      await bob.c.send(xml('presence'));
      // alice <-> bob: subscription both, through the real protocol
      await alice.c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'bob@localhost', name: 'Bob' }, xml('group', {}, 'Friends')))));
      await alice.c.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
      await bob.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 'subscribe from alice');
      await bob.c.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
      await bob.c.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
      await alice.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 'subscribe from bob');
      await alice.c.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
      // a vCard, private XML, a pending request and an offline message
      await alice.c.iqCaller.request(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice Émile'), xml('NICKNAME', {}, 'al'))));
      // PEP (XEP-0163): a nickname (XEP-0172) and an XEP-0402 bookmark with its publish-options
      await alice.c.iqCaller.request(publish(NS_NICK, 'current', xml('nick', { xmlns: NS_NICK }, 'Ali')));
      await alice.c.iqCaller.request(publish(NS_BOOKMARKS, ROOM, xml('conference', { xmlns: NS_BOOKMARKS, name: 'The Room', autojoin: 'true' }, xml('nick', {}, 'al')), {
        'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist',
      }));
      await bob.c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:private' }, xml('notes', { xmlns: 'urn:example:notes' }, xml('note', {}, 'buy milk')))));
      await alice.c.send(xml('presence', { to: 'carol@plain.localhost', type: 'subscribe' }));
      await alice.c.send(xml('message', { to: 'carol@plain.localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'while you were away')));
      // a round trip on each connection, so Prosody has handled everything sent before
      await alice.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      await bob.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      // Prosody's own view before the migration (@xmpp/client answers roster pushes itself, so ask)
      assert.equal((await rosterItems({ iq: (el) => alice.c.iqCaller.request(el) })).get('bob@localhost')?.attrs.subscription, 'both');
      assert.equal((await rosterItems({ iq: (el) => bob.c.iqCaller.request(el) })).get('alice@localhost')?.attrs.subscription, 'both');
      await alice.c.stop();
      await bob.c.stop();
    } finally {
      await prosody.stop();
    }

    const out = join(dir, 'ours', 'config.json');
    const r = spawnSync(process.execPath, [CLI, 'import-prosody', '--config', cfg, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    report = r.stdout;
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const raw = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const config = new Config({ ...raw, c2s_ports: [0], c2s_interfaces: ['127.0.0.1'], http_ports: [], https_ports: [], scram_iterations: 4096 }, out);
    server = createServer(config, { logger: captureLog('silent').logger });
    await server.start();
    port = reportedListeners(server).find((l) => l.service === 'c2s')!.port;
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports what it imported and what it could not, without any password', () => {
    assert.match(report, /^ {2}localhost: 2 accounts, 2 accounts with SHA-1 keys only, 2 PEP nodes, 2 PEP items, 1 private XML fragments, 2 rosters, 3 roster items, 1 vCards$/m);
    assert.match(report, /^ {2}plain\.localhost: 1 accounts, 1 accounts from plain passwords, 1 offline messages, 1 rosters, 1 pending subscription requests$/m);
    assert.match(report, /module 'posix': not imported: not needed/);
    assert.match(report, /option 'pidfile': not imported/);
    for (const pw of Object.values(PW)) assert.ok(!report.includes(pw), 'no password in the report');
  });

  it('SCRAM-hashed users log in with their old passwords over PLAIN and SCRAM-SHA-1; a wrong one fails', async () => {
    for (const mech of ['PLAIN', 'SCRAM-SHA-1'] as const) {
      const c = await login(port, 'localhost', 'alice', PW.alice, mech);
      assert.ok(!c.mechanisms.includes('SCRAM-SHA-256'), 'SCRAM-SHA-256 is not offered where keys are SHA-1 only');
      await c.close();
      const b = await login(port, 'localhost', 'bob', PW.bob, mech);
      await b.close();
    }
    await assert.rejects(login(port, 'localhost', 'alice', 'wrong', 'PLAIN'), SaslFailure);
    await assert.rejects(login(port, 'localhost', 'alice', 'wrong', 'SCRAM-SHA-1'), SaslFailure);
  });

  it('a plaintext-stored user logs in with PLAIN and SCRAM-SHA-1, and keeps no plaintext', async () => {
    for (const mech of ['PLAIN', 'SCRAM-SHA-1'] as const) (await login(port, 'plain.localhost', 'carol', PW.carol, mech)).close();
    assert.ok(!readFileSync(join(dir, 'ours', 'data', 'xmpp-server.sqlite')).includes(PW.carol));
  });

  it('each sees the other in the roster with subscription both, name and group kept', async () => {
    const alice = await login(port, 'localhost', 'alice', PW.alice, 'SCRAM-SHA-1');
    const bob = await login(port, 'localhost', 'bob', PW.bob, 'PLAIN');
    try {
      const a = await rosterItems(alice);
      assert.equal(a.get('bob@localhost')?.attrs.subscription, 'both');
      assert.equal(a.get('bob@localhost')?.attrs.name, 'Bob');
      assert.deepEqual(a.get('bob@localhost')?.getChildren('group').map((g) => g.getText()), ['Friends']);
      assert.equal(a.get('carol@plain.localhost')?.attrs.ask, 'subscribe', 'the outgoing request is still pending');
      assert.equal((await rosterItems(bob)).get('alice@localhost')?.attrs.subscription, 'both');
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('the vCard and the private XML are there', async () => {
    const bob = await login(port, 'localhost', 'bob', PW.bob, 'SCRAM-SHA-1');
    try {
      const v = await bob.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('vCard', { xmlns: 'vcard-temp' })));
      assert.equal(v.attrs.type, 'result');
      assert.equal(v.getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Alice Émile');
      const p = await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:private' }, xml('notes', { xmlns: 'urn:example:notes' }))));
      assert.equal(p.getChild('query')?.getChild('notes', 'urn:example:notes')?.getChildText('note'), 'buy milk');
    } finally {
      await bob.close();
    }
  });

  it('the PEP items, their ids and payloads and the node configuration survived; a contact reads the nick, not the whitelisted bookmarks', async () => {
    const alice = await login(port, 'localhost', 'alice', PW.alice, 'PLAIN');
    const bob = await login(port, 'localhost', 'bob', PW.bob, 'PLAIN');
    try {
      const nick = itemsOf(await alice.iq(getItems('alice@localhost', NS_NICK)));
      assert.deepEqual(nick.map((i) => i.attrs.id), ['current']);
      assert.equal(nick[0]!.getChild('nick', NS_NICK)?.getText(), 'Ali');
      const marks = itemsOf(await alice.iq(getItems('alice@localhost', NS_BOOKMARKS)));
      assert.deepEqual(marks.map((i) => i.attrs.id), [ROOM]);
      const conf = marks[0]!.getChild('conference', NS_BOOKMARKS)!;
      assert.equal(conf.attrs.name, 'The Room');
      assert.equal(conf.attrs.autojoin, 'true');
      assert.equal(conf.attrs.stamp, undefined, "Prosody's archive stamp is not part of the payload");
      assert.equal(conf.getChildText('nick'), 'al');
      // XEP-0060 §8.2: the owner's view of the configuration
      const cfgReply = await alice.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('pubsub', { xmlns: `${NS_PUBSUB}#owner` }, xml('configure', { node: NS_BOOKMARKS }))));
      assert.equal(cfgReply.attrs.type, 'result', String(cfgReply));
      const field = (name: string): string | undefined => cfgReply.getChild('pubsub')?.getChild('configure')?.getChild('x', 'jabber:x:data')
        ?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
      assert.equal(field('pubsub#access_model'), 'whitelist');
      assert.equal(field('pubsub#send_last_published_item'), 'never');
      // bob has a presence subscription: the nick (presence access) yes, the bookmarks (whitelist) no
      const bobNick = await bob.iq(getItems('alice@localhost', NS_NICK));
      assert.equal(bobNick.attrs.type, 'result', String(bobNick));
      assert.equal(itemsOf(bobNick)[0]?.getChild('nick', NS_NICK)?.getText(), 'Ali');
      const bobMarks = await bob.iq(getItems('alice@localhost', NS_BOOKMARKS));
      assert.equal(bobMarks.attrs.type, 'error', String(bobMarks));
      assert.equal(itemsOf(bobMarks).length, 0);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('the offline user gets the pending request and the stored message at login', async () => {
    const carol = await login(port, 'plain.localhost', 'carol', PW.carol, 'PLAIN');
    try {
      carol.send(xml('presence'));
      const sub = await carol.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 'the pending subscribe');
      assert.match(String(sub.attrs.from), /^alice@localhost/);
      const msg = await carol.next((el) => el.name === 'message', 'the offline message');
      assert.equal(msg.getChildText('body'), 'while you were away');
      assert.ok(msg.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp, 'with its delay stamp');
    } finally {
      await carol.close();
    }
  });
});
