/**
 * @module http/pages
 * The small HTML pages the http module answers with (errors, info pages), the security headers
 * they are sent with, and HTML escaping. Pages name no software or version and echo no request
 * data except escaped text.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** What a page says: the status, an optional title (default: the status text) and message. */
export interface PageContent {
  readonly status?: number;
  readonly title?: string;
  readonly message?: string;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The reason phrase of a status ("Not Found"), or "Status <n>". */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? `Status ${status}`;
}

const PAGE_STYLE = 'body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}h1{font-size:1.4em}';

/**
 * A complete small HTML page.
 * @example renderPage({ status: 404, message: 'No app is served at this path.' })
 */
export function renderPage(content: PageContent): string {
  const status = content.status ?? 200;
  const title = escapeHtml(content.title ?? (status === 200 ? 'OK' : `${status} ${statusText(status)}`));
  const message = content.message === undefined ? '' : `\n<p>${escapeHtml(content.message)}</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>
<style>${PAGE_STYLE}</style></head>
<body>
<h1>${title}</h1>${message}
</body>
</html>
`;
}

/** Default messages for the statuses the module itself produces. */
export const DEFAULT_MESSAGES: Readonly<Record<number, string>> = Object.freeze({
  400: 'The request could not be understood.',
  404: 'Nothing is served at this address.',
  405: 'This method is not allowed here.',
  408: 'The request took too long.',
  413: 'The request body is larger than this server accepts.',
  426: 'This resource needs a protocol upgrade.',
  431: 'The request headers are larger than this server accepts.',
  500: 'The server failed to answer this request.',
  503: 'The server is shutting down.',
});

// The text of each inline <style> element (a raw text element: it ends at the first `</style`).
const INLINE_STYLE = /<style\b[^>]*>([\s\S]*?)<\/style[\s/>]/gi;

/**
 * The headers a page of the module is sent with: a Content-Security-Policy that lets the page
 * load nothing and run no script, allows exactly its own inline styles by hash (CSP3 §8.3, so a
 * page restyled through `http-message` keeps its look), and forbids framing (CSP3
 * frame-ancestors; X-Frame-Options, RFC 7034, for older browsers), MIME sniffing and referrers.
 */
export function pageHeaders(html: string): Record<string, string> {
  const hashes = new Set<string>();
  for (const m of html.matchAll(INLINE_STYLE)) hashes.add(`'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  const style = hashes.size > 0 ? `style-src ${[...hashes].join(' ')}; ` : '';
  return {
    'content-security-policy': `default-src 'none'; ${style}object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
