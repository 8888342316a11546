/**
 * @module invites_page/page
 * The landing page of an invitation (XEP-0401 §5.2; Prosody's community mod_invites_page):
 * whom the invitation is from, the xmpp: URI to open in an XMPP app, and a link to the web chat
 * page that registers with the token. Everything shown is escaped; the page loads nothing.
 */
import type { Invite } from '../../core/invites-api.js';

/** Escape text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Headers for a page whose URL holds a secret: not cached, not indexed, no Referer to the links it offers. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
});

/** The chat page's link for an invitation: the token and what it is for ride in the fragment (never sent to a server). */
export function chatLink(chatUrl: string, invite: Invite, host: string): string {
  const params = new URLSearchParams({ preauth: invite.token, domain: host });
  if (invite.username !== undefined) params.set('username', invite.username);
  if (invite.type === 'roster') params.set('inviter', invite.jid);
  return `${chatUrl.replace(/#.*$/, '')}#invite&${params.toString()}`;
}

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}'
  + 'a.button{display:inline-block;padding:.6rem 1rem;margin:.3rem 0;border-radius:.4rem;background:#2a6df4;color:#fff;text-decoration:none}'
  + 'code{word-break:break-all;background:#f3f3f3;padding:.1rem .3rem}';

/** The landing page of a valid invitation. */
export function landingPage(invite: Invite, host: string, chatUrl: string | undefined, siteName: string): string {
  const site = escapeHtml(siteName);
  const uri = escapeHtml(invite.uri);
  const heading = invite.type === 'roster'
    ? `${escapeHtml(invite.jid)} has invited you to chat`
    : `You have been invited to join ${site}`;
  const account = invite.username !== undefined
    ? `<p>Your address will be <strong>${escapeHtml(`${invite.username}@${host}`)}</strong>.</p>`
    : '';
  const web = chatUrl !== undefined && invite.allowRegistration
    ? `<h2>In your browser</h2>\n<p><a class="button" id="chat-link" href="${escapeHtml(chatLink(chatUrl, invite, host))}">Create an account on ${site}</a></p>\n`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${heading}</h1>
${account}<h2>With an XMPP app</h2>
<p>Open this invitation in your XMPP app (Conversations, Monal, Gajim, Dino...):</p>
<p><a class="button" id="uri-link" href="${uri}">Open the invitation</a></p>
<p>Or copy it into the app: <code id="uri">${uri}</code></p>
${web}<p>This invitation can be used once and is valid until ${escapeHtml(new Date(invite.expires).toUTCString())}.</p>
</body>
</html>
`;
}
