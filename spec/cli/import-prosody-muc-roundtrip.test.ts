/**
 * The MUC migration round trip with a real Prosody 0.12 (Debian's package): on a temp config
 * with a `muc` Component, an @xmpp/client user creates a room, configures it through the
 * XEP-0045 owner form (persistent, public, non-anonymous, name, description, history length,
 * occupants may change the subject), sets its subject, makes one user a member and bans
 * another; a second, temporary room is left. Prosody stops, `xmpp-server import-prosody` runs
 * as a child process, our server starts on the written config and data, and the room is there:
 * its disco#info and owner form show the configuration, the owner, member and outcast get what
 * their affiliations give them, the subject is sent on join; the temporary room is not.
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
import { NS_MUC, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_USER } from '../../lib/core/muc-api.js';
import { captureLog } from '../helpers/log.js';
import { freePort } from '../helpers/proxies.js';
import { reportedListeners } from '../helpers/server.js';
import { login, prosodyctl, startProsody, xmppJs, type LoggedIn } from './prosody-harness.js';

const CLI = join(import.meta.dirname, '..', '..', 'lib', 'cli', 'main.js');
const PW = { alice: 'alice pw 1', bob: 'bob pw 2', carol: 'carol pw 3' };
const SERVICE = 'conference.localhost';
const ROOM = `garden@${SERVICE}`;
const TEMP = `passing@${SERVICE}`;
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

function prosodyConfig(dir: string, port: number): string {
  return `-- written by the MUC migration test
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
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }
modules_disabled = { "s2s"; "tls" }
authentication = "internal_hashed"

VirtualHost "localhost"

Component "${SERVICE}" "muc"
`;
}

/** XEP-0045 §10.1.3: the owner's configuration form, submitted. */
function configure(room: string, fields: Record<string, string>): Element {
  const all = { FORM_TYPE: 'http://jabber.org/protocol/muc#roomconfig', ...fields };
  return xml('iq', { type: 'set', to: room }, xml('query', { xmlns: NS_MUC_OWNER },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(all).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))))));
}
const formValue = (form: Element | undefined, name: string): string | undefined =>
  form?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
const joinRoom = (c: LoggedIn, nick: string): void => c.send(xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: NS_MUC })));
const selfPresence = (c: LoggedIn, nick: string): Promise<Element> =>
  c.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/${nick}` && el.getChild('x', NS_MUC_USER)?.getChildren('status').some((s) => s.attrs.code === '110') === true, `${nick}'s own presence`);

describe('import-prosody: rooms of a real Prosody 0.12 muc component', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-prosody-muc-'));
  const cfg = join(dir, 'prosody.cfg.lua');
  let server: Server | undefined;
  let port = 0;
  let report = '';

  before(async () => {
    const prosodyPort = await freePort();
    writeFileSync(cfg, prosodyConfig(dir, prosodyPort));
    for (const [user, pw] of Object.entries(PW)) prosodyctl(cfg, 'register', user, 'localhost', pw);
    const prosody = await startProsody(cfg, prosodyPort);
    try {
      const alice = await xmppJs(prosodyPort, 'localhost', 'alice', PW.alice);
      const self = (nick: string) => (el: Element): boolean => el.name === 'presence' && el.attrs.from === nick;
      // XEP-0045 §10.1: Alice creates the room (locked) and configures it
      await alice.c.send(xml('presence', { to: `${ROOM}/Alice` }, xml('x', { xmlns: NS_MUC })));
      await alice.next(self(`${ROOM}/Alice`), 'the new room');
      const done = await alice.c.iqCaller.request(configure(ROOM, {
        'muc#roomconfig_roomname': 'The Garden', 'muc#roomconfig_roomdesc': 'Under the balcony', 'muc#roomconfig_persistentroom': '1',
        'muc#roomconfig_publicroom': '1', 'muc#roomconfig_whois': 'anyone', 'muc#roomconfig_historylength': '15', 'muc#roomconfig_changesubject': '1',
      }));
      assert.equal(done.attrs.type, 'result');
      await alice.c.send(xml('message', { to: ROOM, type: 'groupchat' }, xml('subject', {}, 'Roses and thorns')));
      await alice.next((el) => el.name === 'message' && el.getChildText('subject') === 'Roses and thorns', 'the subject back');
      // §9.5 / §9.1: a member and an outcast (with a reason)
      for (const [jid, affiliation, reason] of [['bob@localhost', 'member', undefined], ['carol@localhost', 'outcast', 'Too loud']] as const) {
        const r = await alice.c.iqCaller.request(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: NS_MUC_ADMIN },
          xml('item', { jid, affiliation }, reason ? xml('reason', {}, reason) : undefined))));
        assert.equal(r.attrs.type, 'result');
      }
      // a temporary room, still open when Prosody stops
      await alice.c.send(xml('presence', { to: `${TEMP}/Alice` }, xml('x', { xmlns: NS_MUC })));
      await alice.next(self(`${TEMP}/Alice`), 'the temporary room');
      await alice.c.iqCaller.request(configure(TEMP, {}));
      await alice.c.stop();
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

  it('carries the component over and reports the room with its affiliations', () => {
    assert.match(report, /^ {2}conference\.localhost: 1 MUC rooms, 3 MUC affiliations$/m);
    // Prosody keeps a temporary room's record only while it swaps it out; none here, so it is simply absent
    assert.doesNotMatch(report, /MUC room 'garden@conference\.localhost'.*not imported/);
  });

  it('the room\'s disco#info shows its name, description, subject and configuration', async () => {
    const bob = await login(port, 'localhost', 'bob', PW.bob, 'PLAIN');
    try {
      const info = await bob.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: NS_DISCO_INFO })));
      assert.equal(info.attrs.type, 'result', String(info));
      const q = info.getChild('query', NS_DISCO_INFO)!;
      assert.equal(q.getChild('identity')?.attrs.name, 'The Garden');
      const features = q.getChildren('feature').map((f) => f.attrs.var);
      for (const f of ['muc_persistent', 'muc_public', 'muc_nonanonymous', 'muc_open', 'muc_unsecured']) assert.ok(features.includes(f), `${f} in ${features.join(' ')}`);
      const form = q.getChild('x', 'jabber:x:data');
      assert.equal(formValue(form, 'muc#roominfo_description'), 'Under the balcony');
      assert.equal(formValue(form, 'muc#roominfo_subject'), 'Roses and thorns');
      assert.equal(formValue(form, 'muc#roominfo_changesubject'), '1');
      // the temporary room did not come over
      const gone = await bob.iq(xml('iq', { type: 'get', to: TEMP }, xml('query', { xmlns: NS_DISCO_INFO })));
      assert.equal(gone.attrs.type, 'error');
    } finally {
      await bob.close();
    }
  });

  it('the owner enters as owner, gets the subject, and reads the configuration in the owner form', async () => {
    const alice = await login(port, 'localhost', 'alice', PW.alice, 'SCRAM-SHA-1');
    try {
      joinRoom(alice, 'Alice');
      const self = await selfPresence(alice, 'Alice');
      assert.equal(self.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.affiliation, 'owner');
      const subject = await alice.next((el) => el.name === 'message' && el.getChild('subject') !== undefined, 'the subject');
      assert.equal(subject.getChildText('subject'), 'Roses and thorns');
      const owner = await alice.iq(xml('iq', { type: 'get', to: ROOM }, xml('query', { xmlns: NS_MUC_OWNER })));
      const form = owner.getChild('query', NS_MUC_OWNER)?.getChild('x', 'jabber:x:data');
      assert.equal(formValue(form, 'muc#roomconfig_roomname'), 'The Garden');
      assert.equal(formValue(form, 'muc#roomconfig_persistentroom'), '1');
      assert.equal(formValue(form, 'muc#roomconfig_publicroom'), '1');
      assert.equal(formValue(form, 'muc#roomconfig_whois'), 'anyone');
      assert.equal(formValue(form, 'muc#roomconfig_historylength'), '15');
    } finally {
      await alice.close();
    }
  });

  it('the member enters as member; the outcast is refused (XEP-0045 §7.2.7)', async () => {
    const bob = await login(port, 'localhost', 'bob', PW.bob, 'PLAIN');
    const carol = await login(port, 'localhost', 'carol', PW.carol, 'PLAIN');
    try {
      joinRoom(bob, 'Bob');
      const self = await selfPresence(bob, 'Bob');
      assert.equal(self.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.affiliation, 'member');
      joinRoom(carol, 'Carol');
      const refused = await carol.next((el) => el.name === 'presence' && el.attrs.type === 'error', 'the refusal');
      assert.equal(refused.getChild('error')?.attrs.type, 'auth');
      assert.ok(refused.getChild('error')?.getChild('forbidden'), String(refused));
    } finally {
      await bob.close();
      await carol.close();
    }
  });
});
