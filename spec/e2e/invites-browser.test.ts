/**
 * End to end in chromium: a contact invitation's landing page (invites_page) links to the chat
 * page (examples/web, served at / by the default configuration); following the link shows the
 * registration form, which creates the account in-band with the token over WebSocket although
 * allow_registration is off (XEP-0445), signs in, and lists the inviter as a contact (the
 * mutual subscription of XEP-0401). The token leaves the address bar and cannot be used again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { defaultConfig } from '../../lib/cli/default-config.js';
import type { MapStore } from '../../lib/core/module-api.js';
import { InviteStore, INVITE_STORE } from '../../lib/modules/invites/store.js';
import { ChatPage, artifactPath, launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const H = 'localhost';
let browser: Browser;
let t: TestServer;
const pages: ChatPage[] = [];

function invites(): InviteStore {
  const d = t.server.storage;
  const map: MapStore = {
    get: (u, k) => d.mapGet(H, INVITE_STORE, u, k),
    set: (u, k, v) => d.mapSet(H, INVITE_STORE, u, k, v),
    all: (u) => d.mapAll(H, INVITE_STORE, u) as Record<string, unknown>,
    count: (u) => d.mapCount(H, INVITE_STORE, u),
  };
  return new InviteStore(H, map, 3600);
}

/** The chat page link of an invitation's landing page. */
async function chatLinkOf(token: string): Promise<string> {
  const res = await fetch(`http://localhost:${t.port('http')}/invite?${token}`);
  assert.equal(res.status, 200);
  const href = /id="chat-link" href="([^"]+)"/.exec(await res.text())?.[1];
  assert.ok(href, 'the landing page links to the chat page');
  return href.replace(/&#38;/g, '&');
}

before(async () => {
  const base = defaultConfig();
  t = await startTestServer({
    ...base,
    modules_enabled: [...(base.modules_enabled as string[]), 'invites_register', 'invites_page'],
    https_ports: [],
  }, { users: { romeo: 'romeo-pw' } });
  browser = await launchChromium();
});

after(async () => {
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
});

describe('the chat page with an invitation link', () => {
  it('registers with the token, signs in, and lists the inviter as a contact', async () => {
    const invite = invites().createContact('romeo', { allowRegistration: true });
    const link = await chatLinkOf(invite.token);
    assert.ok(link.startsWith(`http://localhost:${t.port('http')}/#invite&`), link);
    const page = await ChatPage.open(browser, link);
    pages.push(page);
    assert.ok(await page.page.isVisible('#register-form'), 'the registration form, not sign-in');
    assert.ok(!(await page.page.isVisible('#login-form')));
    assert.match((await page.page.textContent('#register-intro')) ?? '', /romeo@localhost invited you/);
    await page.page.fill('#register-username', 'Juliet');
    await page.page.fill('#register-password', 'juliet-secret');
    await page.page.click('#create-account');
    await page.waitForState('online');
    await page.waitForContact(`romeo@${H}`);
    await page.page.screenshot({ path: artifactPath('invite-registered.png') });
    assert.ok(t.server.accounts.verifyPassword(H, 'juliet', 'juliet-secret'));
    assert.equal(await page.page.evaluate(() => location.hash), '', 'the token left the address bar');
    assert.equal(invites().get(invite.token), undefined, 'used');
    assert.deepEqual(page.errors, []);
  });

  it('says so when the invitation was already used', async () => {
    const invite = invites().createAccount();
    const link = await chatLinkOf(invite.token);
    assert.ok(invites().use(invite.token));
    const page = await ChatPage.open(browser, link);
    pages.push(page);
    await page.page.fill('#register-username', 'late');
    await page.page.fill('#register-password', 'late-secret');
    await page.page.click('#create-account');
    const error = page.page.locator('#register-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), 'This invitation is invalid, was already used, or has expired.');
    assert.equal(t.server.accounts.exists(H, 'late'), false);
  });
});
