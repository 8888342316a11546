/**
 * converse.js 14 (the real client, its dist files served from node_modules by a small local
 * server; nothing is fetched from a CDN) in Debian's chromium, against our WebSocket endpoint
 * and muc component: a Node user (stanza over TCP) owns a room with an avatar (XEP-0486); the
 * converse.js user signs in through converse's login form, joins the room through its "Add
 * groupchat" dialog, and the two chat both ways, each message shown or received with the
 * sender's nickname. Converse reads the room's vCard and shows its avatar.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent, Stanzas } from 'stanza';
import type { Browser } from 'playwright-core';
import { artifactPath, launchChromium } from '../helpers/browser.js';
import { ConversePage, ConverseSite } from '../helpers/converse.js';
import { stanzaUser } from '../helpers/muc-clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { nextEvent, stanzaStop } from '../helpers/stanza-client.js';

const PW = 'correct horse battery';
const ROOM = 'lounge@conference.localhost';
/** A 1x1 PNG, and its SHA-1 (XEP-0153 hash). */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let t: TestServer;
let site: ConverseSite;
let browser: Browser;
let bob: Agent;
let alice: ConversePage;

before(async () => {
  site = new ConverseSite({});
  const origin = await site.listen();
  t = await startTestServer({
    modules_enabled: ['saslauth', 'websocket', 'roster', 'disco', 'ping'],
    consider_websocket_secure: true,
    c2s_require_encryption: false,
    allow_unencrypted_plain_auth: true,
    websocket_allowed_origins: [origin],
    Component: { 'conference.localhost': { module: 'muc' } },
  }, { users: { alice: PW, bob: PW } });
  site.configure({
    websocket_url: `ws://127.0.0.1:${t.port('http')}/xmpp-websocket`,
    view_mode: 'overlay', // fullscreen shows sponsors' logos from conversejs.org
    show_controlbox_by_default: true,
    discover_connection_methods: false,
    // muc_search_service stays: without it converse 14's dialog has no room field; its search
    // iq to a remote service gets remote-server-not-found here (an XMPP error, not a download)
    play_sounds: false,
  });
  browser = await launchChromium();
  bob = await stanzaUser({ transport: 'tcp', port: t.c2sPort }, 'bob', PW, 'node');
});

after(async () => {
  await alice?.close().catch(() => undefined);
  await browser?.close();
  if (bob) await stanzaStop(bob);
  await site?.close();
  await t?.stop();
});

describe('converse.js in chromium, in a room with a Node client', () => {
  it('the Node user owns the room and gives it an avatar (XEP-0486)', async () => {
    await bob.joinRoom(ROOM, 'Bob');
    await bob.configureRoom(ROOM, {});
    // stanza's vCard PHOTO data is the BINVAL text (its typing says Buffer)
    await bob.sendIQ({ to: ROOM, type: 'set', vcard: { records: [{ type: 'photo', mediaType: 'image/png', data: PNG }] } } as never);
  });

  it('the converse.js user signs in and joins through converse\'s own dialog', async () => {
    alice = await ConversePage.open(browser, site);
    await alice.signIn('alice@localhost', PW);
    const arrived = nextEvent(bob, 'muc:available', (p) => p.from === `${ROOM}/Alice`, 20_000);
    await alice.joinRoom(ROOM, 'Alice');
    await alice.waitForRoom(ROOM);
    await arrived;
  });

  it('converse.js -> Node: the message reaches the Node user from Alice\'s occupant JID', async () => {
    const got = nextEvent(bob, 'groupchat', (m) => m.body === 'Hello from converse.js', 20_000);
    await alice.sendToRoom(ROOM, 'Hello from converse.js');
    const m = await got as Stanzas.ReceivedMessage;
    assert.equal(m.from, `${ROOM}/Alice`);
    assert.equal(m.type, 'groupchat');
    assert.equal(await alice.waitForRoomMessage(ROOM, 'Hello from converse.js'), 'Alice', 'converse shows its own message from the room');
  });

  it('Node -> converse.js: the page shows the message under Bob\'s nickname', async () => {
    bob.sendMessage({ to: ROOM, type: 'groupchat', body: 'Hi Alice, Bob here <&>' });
    assert.equal(await alice.waitForRoomMessage(ROOM, 'Hi Alice, Bob here <&>'), 'Bob');
  });

  it('converse shows the room\'s avatar from its vCard', async () => {
    assert.ok((await alice.roomAvatar(ROOM)).includes(PNG.slice(0, 40)), 'the room heading shows the PNG');
    await alice.page.screenshot({ path: artifactPath('muc-converse.png') });
  });

  it('loaded nothing from outside loopback, and threw nothing', () => {
    assert.deepEqual(alice.offsite, []);
    assert.deepEqual(alice.errors, []);
  });
});
