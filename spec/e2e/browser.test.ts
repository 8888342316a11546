/**
 * End to end in a real browser: Debian's chromium (playwright-core) opens examples/web as the
 * default configuration serves it at `/`, signs in over XMPP over WebSocket, and chats with
 * another page and with a Node client over TCP; wrong passwords, an unreachable server, a lost
 * connection, a reload and an insecure endpoint each show what the user must see. Over https,
 * the page finds its wss:// endpoint through XEP-0156 host-meta. Its Content-Security-Policy
 * blocks nothing the page does, and stops other sites from framing it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { defaultConfig } from '../../lib/cli/default-config.js';
import { xml } from '../../lib/core/xml.js';
import { ChatPage, TcpRelay, artifactPath, launchChromium } from '../helpers/browser.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/http.js';
import { is, xmppJsClient, type ImClient } from '../helpers/im-clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PW = 'correct horse';

let browser: Browser;
let cert: TestCertificate;
let t: TestServer;
let base: string;
let previousReject: string | undefined;
const pages: ChatPage[] = [];

async function openPage(url = base, selfSigned = false): Promise<ChatPage> {
  const page = await ChatPage.open(browser, url, { selfSigned });
  pages.push(page);
  return page;
}

before(async () => {
  cert = selfSignedCertificate(['localhost']);
  // The Node client signs in over TCP with STARTTLS; @xmpp/client cannot be given a CA.
  previousReject = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  // The default configuration (chat page at /, WebSocket considered secure on loopback HTTP),
  // on port 0 with memory storage; the certificate gives TCP clients STARTTLS. No https
  // listener, so host-meta has no wss:// link and the page uses its own host.
  t = await startTestServer({
    ...defaultConfig(),
    https_ports: [],
    VirtualHost: { localhost: { certificate: cert.certificate, key: cert.key } },
  }, { users: { alice: PW, bob: PW, carol: PW, dave: PW } });
  base = `http://localhost:${t.port('http')}/`;
  browser = await launchChromium();
});

after(async () => {
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
  if (previousReject === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousReject;
  cert?.remove();
});

describe('the chat page in chromium', () => {
  let alice: ChatPage;
  let bob: ChatPage;

  it('is served at / with its bundle, and finds the WebSocket endpoint of its host', async () => {
    const res = await fetch(base);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(await res.text(), /<script type="module" src="app\.bundle\.js">/);
    const bundle = await fetch(new URL('app.bundle.js', base));
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    alice = await openPage();
    assert.equal(await alice.page.inputValue('#service'), `ws://localhost:${t.port('http')}/xmpp-websocket`);
  });

  it('says so in plain words when the password is wrong', async () => {
    await alice.signIn('alice@localhost', 'wrong password');
    assert.equal(await alice.loginError(), 'Wrong address or password.');
    assert.equal((await alice.status()).state, 'offline');
    assert.ok(await alice.page.isVisible('#login-form'), 'the form stays for another try');
    await alice.page.screenshot({ path: artifactPath('browser-login-error.png') });
  });

  it('says so when the server cannot be reached', async () => {
    const relay = new TcpRelay(t.port('http'));
    const port = await relay.listen();
    await relay.cut(); // a port where nothing listens now
    const page = await openPage();
    await page.signIn('alice@localhost', PW, `ws://localhost:${port}/xmpp-websocket`);
    assert.match(await page.loginError(), new RegExp(`^Cannot reach the server at ws://localhost:${port}/xmpp-websocket\\.`));
  });

  it('two pages sign in, add each other, and see each other online', async () => {
    await alice.signIn('alice@localhost', PW);
    assert.equal(await alice.waitForState('online'), 'Online as alice@localhost');
    bob = await openPage();
    await bob.signIn('bob', PW); // a bare name means a user of the page's host
    assert.equal(await bob.waitForState('online'), 'Online as bob@localhost');

    await alice.addContact('bob@localhost');
    await alice.waitForContact('bob@localhost', 'offline'); // in the roster, waiting for approval
    await bob.accept('alice@localhost');
    // Bob's acceptance asks for Alice's presence in return, which her page approves itself.
    await alice.waitForContact('bob@localhost', 'online');
    await bob.waitForContact('alice@localhost', 'online');
    const row = await alice.page.locator('#contacts li[data-jid="bob@localhost"]').textContent();
    assert.doesNotMatch(row ?? '', /waiting for approval/);
  });

  it('the two pages chat', async () => {
    await alice.openConversation('bob@localhost');
    await alice.send('Hello Bob, this is Alice.');
    await bob.page.locator('#contacts li[data-jid="alice@localhost"] .badge').waitFor();
    assert.equal(await bob.unread('alice@localhost'), '1');
    await bob.openConversation('alice@localhost');
    await bob.waitForLine('in', 'Hello Bob, this is Alice.');
    assert.equal(await bob.unread('alice@localhost'), '', 'reading clears the badge');
    await bob.send('Hi Alice! Bob here.');
    await alice.waitForLine('in', 'Hi Alice! Bob here.');
  });

  it('a page chats with a Node client over TCP', async (t2) => {
    const carol: ImClient = await xmppJsClient(t.c2sPort, 'carol', PW, 'node');
    t2.after(() => carol.stop());
    await carol.send(xml('presence')); // available, so chat messages to her bare JID reach this resource (RFC 6121 §8.5.2.1.1)
    await carol.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, 'Carol from Node, over TCP')));
    await alice.waitForContact('carol@localhost');
    await alice.openConversation('carol@localhost');
    await alice.waitForLine('in', 'Carol from Node, over TCP');
    assert.match(await alice.page.locator('#contacts li[data-jid="carol@localhost"]').textContent() ?? '', /not in your contacts/);
    await alice.send('Hello Carol, from the browser');
    const got = await carol.next(is.message('alice@localhost'), 'the reply from the page');
    assert.equal(got.getChildText('body'), 'Hello Carol, from the browser');
    assert.equal(got.attrs.type, 'chat');
    // Someone who is not a contact yet can be added from the conversation.
    await alice.page.click('#peer-add');
    const ask = await carol.next(is.presence('alice@localhost', 'subscribe'), 'the subscription request');
    assert.equal(ask.attrs.type, 'subscribe');
    await alice.page.locator('#contacts li[data-jid="carol@localhost"]', { hasText: 'waiting for approval' }).waitFor();
  });

  it('reloading a page signs in again', async () => {
    const firstJid = [...t.server.sessions.all()].filter((s) => s.username === 'bob').map((s) => s.jid?.full);
    assert.equal(firstJid.length, 1);
    await bob.page.reload();
    assert.equal(await bob.waitForState('online'), 'Online as bob@localhost');
    await bob.waitForContact('alice@localhost', 'online');
    await alice.waitForContact('bob@localhost', 'online');
    const now = [...t.server.sessions.all()].filter((s) => s.username === 'bob').map((s) => s.jid?.full);
    assert.equal(now.length, 1, 'the old session is gone, one new one');
    assert.notEqual(now[0], firstJid[0]);
    await alice.openConversation('bob@localhost');
    await alice.send('Still there after the reload?');
    await bob.openConversation('alice@localhost');
    await bob.waitForLine('in', 'Still there after the reload?');
  });

  it('says when the connection is lost, reconnects, and gets what was sent meanwhile (stream management)', async (t2) => {
    const relay = new TcpRelay(t.port('http'));
    t2.after(() => relay.cut()); // a listening relay would keep the test process alive
    const port = await relay.listen();
    const dave = await openPage();
    await dave.signIn('dave@localhost', PW, `ws://localhost:${port}/xmpp-websocket`);
    await dave.waitForState('online');
    await relay.cut(); // the network goes away, and the server stays unreachable for a while
    assert.equal(await dave.waitForState('reconnecting'), 'Connection lost. Reconnecting…');
    // XEP-0198: what is sent to the page meanwhile waits in its hibernating session ...
    const carol: ImClient = await xmppJsClient(t.c2sPort, 'carol', PW, 'outage');
    t2.after(() => carol.stop());
    const token = `sent during the outage ${Date.now()}`;
    await carol.send(xml('message', { to: 'dave@localhost', type: 'chat' }, xml('body', {}, token)));
    await relay.listen();
    assert.equal(await dave.waitForState('online'), 'Online as dave@localhost');
    // ... and arrives once the page resumed it, exactly once.
    await dave.openConversation('carol@localhost');
    await dave.waitForLine('in', token);
    assert.equal(await dave.page.locator('#messages li.line.in', { hasText: token }).count(), 1);
    assert.equal([...t.server.sessions.all()].filter((s) => s.username === 'dave').length, 1, 'the session was resumed, not replaced');
    await relay.cut();
  });

  it('leaves a screenshot of a conversation', async () => {
    await alice.openConversation('bob@localhost');
    const path = artifactPath('browser-chat.png');
    await alice.page.screenshot({ path });
    assert.deepEqual(pages.flatMap((p) => p.errors), [], 'no uncaught errors in any page');
  });

  it('reports no Content-Security-Policy violation in any page that signed in and chatted', async () => {
    const violations: string[] = [];
    for (const p of pages) {
      // Every console message since the tab opened, across reloads (chromium reports each blocked load or inline script there).
      for (const m of await p.page.consoleMessages({ filter: 'all' })) if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    }
    assert.ok(pages.length >= 4);
    assert.deepEqual(violations, []);
  });

  it('cannot be framed by another site (frame-ancestors \'none\')', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const refused = page.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()) && /Content Security Policy/i.test(m.text()) });
      await page.setContent(`<iframe src="${base}"></iframe>`);
      const message = (await refused).text();
      assert.ok(message.includes(`'${base}'`), message);
      assert.match(message, /frame-ancestors 'none'/);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame);
      assert.equal(await frame.locator('#login-form').count(), 0, 'the chat page did not load in the frame');
    } finally {
      await context.close();
    }
  });
});

describe('the chat page on an endpoint that is not secure', () => {
  it('shows the server\'s explanation instead of failing silently', async (t2) => {
    // As a config file gets it: consider_websocket_secure off, plain ws:// - no sign-in offered.
    const plain = await startTestServer({ modules_enabled: ['roster', 'saslauth', 'websocket', 'http_files'], http_files_dir: defaultConfig().http_files_dir, http_paths: { files: '/' } }, { users: { alice: PW } });
    t2.after(() => plain.stop());
    const page = await openPage(`http://localhost:${plain.port('http')}/`);
    await page.signIn('alice@localhost', PW);
    const error = await page.loginError();
    assert.match(error, /policy violation/);
    assert.match(error, /Encryption is required \(c2s_require_encryption\) but this WebSocket is not secure/);
  });
});

describe('the chat page over https', () => {
  it('finds its wss:// endpoint through host-meta and signs in without consider_websocket_secure', async (t2) => {
    // The endpoint is moved to /ws: only host-meta can tell the page where it is.
    const tls = await startTestServer({
      modules_enabled: ['roster', 'saslauth', 'websocket', 'http_files'],
      http_files_dir: defaultConfig().http_files_dir, http_paths: { files: '/', websocket: '/ws' },
      VirtualHost: { localhost: { certificate: cert.certificate, key: cert.key } },
    }, { users: { alice: PW } });
    t2.after(() => tls.stop());
    const port = tls.port('https');
    const page = await openPage(`https://localhost:${port}/`, true);
    assert.equal(await page.page.inputValue('#service'), `wss://localhost:${port}/ws`);
    await page.signIn('alice@localhost', PW);
    assert.equal(await page.waitForState('online'), 'Online as alice@localhost');
    const session = [...tls.server.sessions.all()].find((s) => s.username === 'alice');
    assert.equal(session?.secure, true, 'secure because the browser used TLS');
  });
});
