/**
 * Group chat (XEP-0045) with real client libraries, over WebSocket and over TCP: a stanza user
 * creates a room with the library's own MUC helpers (joinRoom, then configureRoom for an
 * instant room), an @xmpp/client user joins with the XEP's presence, each sees the other
 * arrive, they chat (each gets the other's groupchat message from the sender's occupant JID,
 * and its own back), and the owner kicks the other with stanza's kick(): the kicked user gets
 * its unavailable presence with status 307 and the reason, and the owner sees it leave.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent, Stanzas } from 'stanza';
import { xml, type Element } from '../../lib/core/xml.js';
import { NS_MUC, NS_MUC_USER } from '../../lib/core/muc-api.js';
import { stanzaUser, xmppjsUser, type Endpoint, type XmppJsUser } from '../helpers/muc-clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { nextEvent, stanzaStop } from '../helpers/stanza-client.js';

const PW = 'correct horse battery';
const SERVICE = 'conference.localhost';

let t: TestServer;

before(async () => {
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'disco', 'ping'],
    consider_websocket_secure: true,
    c2s_require_encryption: false,
    allow_unencrypted_plain_auth: true,
    Component: { [SERVICE]: { module: 'muc' } }, // rooms are locked until configured (XEP-0045 §10.1), as by default
  }, { users: { alice: PW, bob: PW, carol: PW, dave: PW } });
});

after(async () => {
  await t?.stop();
});

const statusCodes = (el: Element): string[] => el.getChild('x', NS_MUC_USER)?.getChildren('status').map((s) => String(s.attrs.code)) ?? [];

for (const transport of ['websocket', 'tcp'] as const) {
  describe(`a room over ${transport === 'websocket' ? 'WebSocket' : 'TCP'}: stanza and @xmpp/client`, () => {
    const room = `${transport}-lounge@${SERVICE}`;
    const [ownerName, guestName] = transport === 'websocket' ? ['bob', 'alice'] : ['dave', 'carol'];
    let owner: Agent;
    let guest: XmppJsUser;
    const at = (): Endpoint => (transport === 'websocket' ? { transport, url: `ws://127.0.0.1:${t.port('http')}/xmpp-websocket` } : { transport, port: t.c2sPort });

    before(async () => {
      owner = await stanzaUser(at(), ownerName, PW, 'stanza');
      guest = await xmppjsUser(at(), guestName, PW, 'xmppjs');
      assert.equal(t.server.sessions.get(guest.jid)?.transport.kind, transport);
    });

    after(async () => {
      await guest?.stop();
      if (owner) await stanzaStop(owner);
    });

    it('stanza creates the room with joinRoom (status 201) and makes it an instant room with configureRoom', async () => {
      const self = await owner.joinRoom(room, 'Owner');
      assert.equal(self.from, `${room}/Owner`);
      assert.ok(self.muc?.statusCodes?.includes('201'), `a new room: ${JSON.stringify(self.muc)}`);
      assert.equal((self.muc as { affiliation?: string } | undefined)?.affiliation, 'owner');
      // XEP-0045 §10.1.2: an empty submitted form unlocks the room as it is
      await owner.configureRoom(room, {});
    });

    it('@xmpp/client joins with the XEP\'s presence; each sees the other', async () => {
      const arrived = nextEvent(owner, 'muc:available', (p) => p.from === `${room}/Guest`);
      await guest.send(xml('presence', { to: `${room}/Guest` }, xml('x', { xmlns: NS_MUC })));
      const other = await guest.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Owner`, 'the owner\'s presence');
      assert.equal(other.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.affiliation, 'owner');
      const self = await guest.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Guest`, 'its own presence');
      assert.ok(statusCodes(self).includes('110'), String(self));
      assert.equal(self.attrs.type, undefined);
      await arrived;
    });

    it('they chat: each gets the other\'s groupchat message from the sender\'s occupant JID, and its own back', async () => {
      const ownerGot = nextEvent(owner, 'groupchat', (m) => m.body === 'hello from @xmpp/client');
      const echo = guest.next((el) => el.name === 'message' && el.getChildText('body') === 'hello from @xmpp/client', 'its own message back');
      await guest.send(xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hello from @xmpp/client')));
      const m1 = await ownerGot as Stanzas.ReceivedMessage;
      assert.equal(m1.from, `${room}/Guest`);
      assert.equal(m1.type, 'groupchat');
      assert.equal((await echo).attrs.from, `${room}/Guest`);

      const ownEcho = nextEvent(owner, 'groupchat', (m) => m.body === 'hello from stanza <&>');
      owner.sendMessage({ to: room, type: 'groupchat', body: 'hello from stanza <&>' });
      const m2 = await guest.next((el) => el.name === 'message' && el.getChildText('body') === 'hello from stanza <&>', 'the owner\'s message');
      assert.equal(m2.attrs.from, `${room}/Owner`);
      assert.equal(m2.attrs.type, 'groupchat');
      assert.equal((await ownEcho).from, `${room}/Owner`);
    });

    it('the owner kicks the guest with stanza\'s kick(): the guest gets status 307 and the reason', async () => {
      const gone = nextEvent(owner, 'muc:unavailable', (p) => p.from === `${room}/Guest`);
      const kicked = guest.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Guest` && el.attrs.type === 'unavailable', 'its kick');
      await owner.kick(room, 'Guest', 'Mind your manners');
      const self = await kicked;
      const codes = statusCodes(self);
      assert.ok(codes.includes('307'), String(self));
      assert.ok(codes.includes('110'), 'it is about the guest itself');
      const item = self.getChild('x', NS_MUC_USER)?.getChild('item');
      assert.equal(item?.attrs.role, 'none');
      assert.equal(item?.getChildText('reason'), 'Mind your manners');
      const seen = await gone;
      assert.ok(seen.muc?.statusCodes?.includes('307'), JSON.stringify(seen.muc));
      // out of the room: its messages are refused (XEP-0045 §7.4)
      await guest.send(xml('message', { to: room, type: 'groupchat', id: 'g2' }, xml('body', {}, 'still here?')));
      const err = await guest.next((el) => el.name === 'message' && el.attrs.id === 'g2', 'the refusal');
      assert.equal(err.attrs.type, 'error');
    });
  });
}
