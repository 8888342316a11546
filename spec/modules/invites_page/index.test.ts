/**
 * Tests for lib/modules/invites_page and lib/modules/invites_adhoc over real sockets: users
 * create invitations with the XEP-0050 commands (listed in disco#items; gated by
 * allow_user_invites / allow_contact_invites; bounded by max_invites_per_user), whose result
 * names the landing page; the page (HTTP) shows the xmpp: URI and the chat page link, escapes
 * what it shows, keeps the token out of Referer and caches, and answers 404 for bad tokens.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const H = 'localhost';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const MODULES = ['roster', 'saslauth', 'disco', 'invites_register', 'invites_adhoc', 'invites_page'];

const execute = (c: ImClient, node: string) =>
  c.iq(xml('iq', { type: 'set', to: H }, xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' })));
const field = (reply: Element, name: string) =>
  reply.getChild('command', NS_COMMANDS)?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;

describe('invites_adhoc and invites_page', () => {
  it('lists and runs the invitation commands, within max_invites_per_user', async (t) => {
    const s = await startImServer(['romeo'], { modules_enabled: MODULES, allow_user_invites: true, max_invites_per_user: 2 });
    t.after(() => s.stop());
    const romeo = await s.raw('romeo');
    const items = await romeo.iq(xml('iq', { type: 'get', to: H }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS })));
    assert.deepEqual(items.getChild('query')!.getChildren('item').map((i) => i.attrs.node), ['urn:xmpp:invite#invite', 'urn:xmpp:invite#create']);

    const account = await execute(romeo, 'urn:xmpp:invite#invite');
    assert.equal(account.getChild('command')?.attrs.status, 'completed');
    assert.match(field(account, 'uri') ?? '', new RegExp(`^xmpp:${H}\\?register;preauth=[A-Za-z0-9_-]{24}$`));
    assert.match(field(account, 'landing-url') ?? '', /^http:\/\/localhost:\d+\/invite\?[A-Za-z0-9_-]{24}$/);
    assert.ok(!Number.isNaN(Date.parse(field(account, 'expire') ?? '')));

    const contact = await execute(romeo, 'urn:xmpp:invite#create');
    assert.match(field(contact, 'uri') ?? '', new RegExp(`^xmpp:romeo@${H}\\?roster;preauth=[A-Za-z0-9_-]{24};ibr=y$`));

    await assert.rejects(execute(romeo, 'urn:xmpp:invite#create'), (err: { condition?: string }) => err.condition === 'resource-constraint');
  });

  it('offers only contact invitations by default (allow_user_invites off; Prosody\'s defaults)', async (t) => {
    const s = await startImServer(['romeo'], { modules_enabled: MODULES });
    t.after(() => s.stop());
    const romeo = await s.raw('romeo');
    const items = await romeo.iq(xml('iq', { type: 'get', to: H }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS })));
    assert.deepEqual(items.getChild('query')!.getChildren('item').map((i) => i.attrs.node), ['urn:xmpp:invite#create']);
    await assert.rejects(execute(romeo, 'urn:xmpp:invite#invite'), (err: { condition?: string }) => err.condition === 'service-unavailable');
    const contact = await execute(romeo, 'urn:xmpp:invite#create');
    assert.doesNotMatch(field(contact, 'uri') ?? '', /ibr=y/, 'no account creation without allow_user_invites');
  });

  it('serves the landing page: the URI, the chat link, escaped, not cached; 404 for bad tokens', async (t) => {
    const s = await startImServer(['romeo'], {
      modules_enabled: [...MODULES, 'http', 'http_files'], allow_user_invites: true,
      http_files_dir: '.', site_name: 'Verona <b>&"Co"</b>',
    });
    t.after(() => s.stop());
    const romeo = await s.raw('romeo');
    const reply = await execute(romeo, 'urn:xmpp:invite#create');
    const landing = field(reply, 'landing-url')!;
    const uri = field(reply, 'uri')!;
    const token = /preauth=([A-Za-z0-9_-]+)/.exec(uri)![1]!;
    const res = await fetch(landing);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await res.text();
    assert.ok(html.includes(`href="${uri}"`), 'the xmpp: URI as a link');
    assert.ok(html.includes(`romeo@${H} has invited you to chat`));
    assert.ok(html.includes('Verona &#60;b&#62;&#38;&#34;Co&#34;&#60;/b&#62;'), 'site_name escaped');
    assert.ok(!html.includes('<b>'), 'nothing unescaped');
    const chat = /id="chat-link" href="([^"]+)"/.exec(html)?.[1]?.replace(/&#38;/g, '&');
    assert.equal(chat, `http://localhost:${new URL(landing).port}/files#invite&preauth=${token}&domain=${H}&inviter=romeo%40${H}`);

    for (const bad of ['', '?', '?nope', '?%E0%A4%A', `?${token}x`, '?<script>']) {
      const r = await fetch(`${landing.split('?')[0]}${bad}`);
      assert.equal(r.status, 404, bad);
      assert.ok(!(await r.text()).includes('<script>'));
    }
  });
});
