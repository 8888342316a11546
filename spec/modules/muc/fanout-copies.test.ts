/**
 * The room's copies are ordinary stanzas on the recipient's host: a private message (XEP-0045
 * §7.5) to a nick joined from two sessions is one prepared broadcast (core fanout), and the
 * recipient's archive (mam) adds its own `<stanza-id/>` to each copy in place (XEP-0359);
 * each session gets its copy with that one id, the shared content is not changed for the
 * other. A recipient who blocked the room (XEP-0191) gets no copy, since each copy is routed.
 * A groupchat message to the same two sessions carries no user archive id.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { wsLogin, type WsProbe } from '../../helpers/ws-probe.js';

const ROOM = 'pair@conference.localhost';
let t: TestServer;
let romeo: { probe: WsProbe; jid: string };
let mercutio: { probe: WsProbe; jid: string };
const juliet: { probe: WsProbe; jid: string }[] = [];

async function join(c: { probe: WsProbe }, nick: string): Promise<void> {
  c.probe.sendText(`<presence xmlns='jabber:client' to='${ROOM}/${nick}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
  await c.probe.until(new RegExp(`^<presence [^>]*from="${ROOM}/${nick}"[\\s\\S]*<status code="110"/>`));
}

before(async () => {
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'mam', 'message', 'blocklist', 'ping'],
    consider_websocket_secure: true,
    Component: { 'conference.localhost': { module: 'muc', muc_room_locking: false } },
  }, { users: { romeo: 'pw', juliet: 'pw', mercutio: 'pw' } });
  const port = t.port('http');
  romeo = await wsLogin(port, 'romeo', 'pw', { resource: 'garden' });
  juliet.push(await wsLogin(port, 'juliet', 'pw', { resource: 'balcony' }));
  juliet.push(await wsLogin(port, 'juliet', 'pw', { resource: 'phone' }));
  mercutio = await wsLogin(port, 'mercutio', 'pw', { resource: 'street' });
  await join(romeo, 'romeo');
  await join(mercutio, 'mercutio');
  for (const j of juliet) await join(j, 'juliet');
});

after(async () => {
  romeo?.probe.destroy();
  mercutio?.probe.destroy();
  for (const j of juliet) j.probe.destroy();
  await t?.stop();
});

describe('copies of one room stanza to two sessions of one nick', () => {
  it('a private message: each session gets its own archive id on its own copy', async () => {
    romeo.probe.sendText(`<message xmlns='jabber:client' to='${ROOM}/juliet' type='chat' id='pm1'><body>wherefore</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`);
    const ids: string[] = [];
    for (const j of juliet) {
      const text = (await j.probe.until(/^<message [^>]*id="pm1"/)).input;
      assert.ok(text.includes(` to="${j.jid}"`), text);
      assert.match(text, new RegExp(`from="${ROOM}/romeo"`));
      assert.match(text, /<body>wherefore<\/body>/);
      const sids = [...text.matchAll(/<stanza-id xmlns="urn:xmpp:sid:0" by="juliet@localhost" id="([^"]+)"\/>/g)].map((m) => m[1]!);
      assert.equal(sids.length, 1, `one archive id on ${j.jid}'s copy: ${text}`);
      ids.push(sids[0]!);
    }
    assert.equal(ids.length, 2);
  });

  it('a recipient who blocked the room (XEP-0191) does not get its copy; the others do', async () => {
    mercutio.probe.sendText(`<iq xmlns='jabber:client' type='set' id='blk'><block xmlns='urn:xmpp:blocking'><item jid='${ROOM}'/></block></iq>`);
    await mercutio.probe.until(/^<iq [^>]*id="blk"[^>]*type="result"|^<iq [^>]*type="result"[^>]*id="blk"/);
    romeo.probe.sendText(`<message xmlns='jabber:client' to='${ROOM}' type='groupchat' id='gc0'><body>not for mercutio</body></message>`);
    for (const j of juliet) await j.probe.until(/^<message [^>]*id="gc0"/);
    // every copy was routed when the message was handled; a ping answered after it on the same
    // connection shows that nothing for mercutio was on its way
    mercutio.probe.sendText(`<iq xmlns='jabber:client' type='get' id='after' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await mercutio.probe.until(/^<iq [^>]*id="after"/);
    assert.equal(mercutio.probe.messages.some((m) => m.includes('id="gc0"')), false, mercutio.probe.messages.join('\n'));
  });

  it('a groupchat message: both sessions get it, without a user archive id (XEP-0313 §4.1.1)', async () => {
    romeo.probe.sendText(`<message xmlns='jabber:client' to='${ROOM}' type='groupchat' id='gc1'><body>to both</body></message>`);
    for (const j of juliet) {
      const text = (await j.probe.until(/^<message [^>]*id="gc1"/)).input;
      assert.ok(text.includes(` to="${j.jid}"`), text);
      assert.doesNotMatch(text, /by="juliet@localhost"/);
    }
  });
});
