/**
 * @module websocket/page
 * The page a plain GET of the WebSocket endpoint answers with (Prosody's "It works!"): the
 * configured text, the URL to give a client, and a warning when the endpoint is not secure;
 * and the security headers it is sent with.
 */
import { createHash } from 'node:crypto';
import type { HttpRequest } from '../../core/http-api.js';
import type { WebSocketOptions } from './options.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE = 'body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}h1{font-size:1.4em}.warning{color:#a40000}';

/**
 * The page's policy (CSP3): nothing loaded, no script, only its own inline style (by hash,
 * CSP3 §8.3), no <base>, no forms, never framed (frame-ancestors, against clickjacking).
 */
const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; `
  + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * A `websocket_get_response_body` is the operator's own HTML, which may use inline styles or
 * scripts: its policy only forbids framing, plugins and <base>.
 */
const CUSTOM_CSP = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The ws:// or wss:// URL of the endpoint as this request reached it. */
export function endpointUrl(req: HttpRequest): string {
  const url = new URL(req.url.href);
  url.protocol = req.secure ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  return url.href;
}

/** Whether sessions through this request would be secure (what the page warns about). */
export function consideredSecure(req: HttpRequest, options: WebSocketOptions): boolean {
  return options.consider_websocket_secure || req.secure;
}

/**
 * The info page: `websocket_get_response_body` verbatim when set, else a small page with
 * `websocket_get_response_text`, the endpoint URL and, when sessions here would not be secure,
 * a warning naming the settings that fix it.
 */
export function infoPage(req: HttpRequest, options: WebSocketOptions): string {
  if (options.websocket_get_response_body !== undefined) return options.websocket_get_response_body;
  const secure = consideredSecure(req, options);
  const warning = secure
    ? ''
    : '\n<p class="warning"><strong>Warning:</strong> this endpoint is not considered secure, so clients will not be '
      + 'offered authentication while encryption is required. Use wss://, or behind a TLS-terminating proxy list it in '
      + '<code>trusted_proxies</code> and send <code>X-Forwarded-Proto: https</code> (or set <code>consider_websocket_secure</code>).</p>';
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>XMPP over WebSocket</title>
<style>${STYLE}</style></head>
<body>
<h1>XMPP over WebSocket</h1>
<p>${escapeHtml(options.websocket_get_response_text)}</p>
<p><code>${escapeHtml(endpointUrl(req))}</code> (subprotocol <code>xmpp</code>, RFC 7395)</p>${warning}
</body>
</html>
`;
}

/**
 * The headers the info page is sent with: its Content-Security-Policy, X-Frame-Options DENY
 * (RFC 7034, for browsers without frame-ancestors), nosniff and no referrer.
 */
export function infoPageHeaders(options: WebSocketOptions): Record<string, string> {
  return {
    'content-security-policy': options.websocket_get_response_body === undefined ? PAGE_CSP : CUSTOM_CSP,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
