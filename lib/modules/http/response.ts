/**
 * @module http/response
 * The HttpResponse handlers get: a thin wrapper over Node's ServerResponse that sets
 * Content-Type and Content-Length, renders pages (with their security headers), keeps
 * path redirects on this origin, and ignores writes after the end.
 */
import type { ServerResponse } from 'node:http';
import { DEFAULT_MESSAGES, pageHeaders, type PageContent } from './pages.js';
import type { HttpResponse } from '../../core/http-api.js';

/** Renders a page (the `http-message` event, so other modules may restyle pages). */
export type PageRenderer = (content: PageContent) => string;

const HTML = 'text/html; charset=utf-8';

/** Whether a status never carries a body (RFC 9110 §6.4.1). */
export function isBodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/**
 * A Location value that cannot leave this origin when it is a path. Browsers parse Location
 * as a URL reference against the request URL (RFC 9110 §10.2.2) with the WHATWG URL parser,
 * which drops tabs and newlines, skips leading spaces and controls, and reads a backslash as
 * `/` for http(s): so `//evil.example/`, `/\evil.example/` or `/<TAB>/evil.example/` would name
 * another host (an open redirect). A value that starts like a path gets one leading `/`; any
 * other value (an absolute URL, a relative path) is returned unchanged.
 * @example sameOriginLocation('//evil.example/x/') // '/evil.example/x/'
 */
export function sameOriginLocation(value: string): string {
  const stripped = value.replace(/[\t\n\r]/g, '');
  let start = 0;
  while (start < stripped.length && stripped.charCodeAt(start) <= 0x20) start += 1;
  const parsed = stripped.slice(start);
  return /^[/\\]/.test(parsed) ? parsed.replace(/^[/\\]+/, '/') : value;
}

export class ResponseWriter implements HttpResponse {
  readonly raw: ServerResponse;
  readonly #render: PageRenderer;

  constructor(raw: ServerResponse, render: PageRenderer) {
    this.raw = raw;
    this.#render = render;
  }

  get sent(): boolean {
    return this.raw.headersSent || this.raw.writableEnded;
  }

  status(code: number): this {
    if (!this.raw.headersSent) this.raw.statusCode = code;
    return this;
  }

  header(name: string, value: string | number | readonly string[]): this {
    if (this.raw.headersSent) return this;
    const safe = typeof value === 'string' && name.toLowerCase() === 'location' ? sameOriginLocation(value) : value;
    this.raw.setHeader(name, safe as string | number | string[]);
    return this;
  }

  send(body?: string | Buffer, type?: string): void {
    if (this.sent) return;
    if (body === undefined || isBodiless(this.raw.statusCode)) {
      this.raw.end();
      return;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (type !== undefined) this.raw.setHeader('content-type', type);
    else if (!this.raw.hasHeader('content-type')) this.raw.setHeader('content-type', typeof body === 'string' ? HTML : 'application/octet-stream');
    this.raw.setHeader('content-length', bytes.length);
    this.raw.end(bytes);
  }

  json(value: unknown): void {
    this.send(JSON.stringify(value), 'application/json; charset=utf-8');
  }

  page(code: number, message?: string): void {
    if (this.sent) return;
    this.status(code);
    if (isBodiless(code)) {
      this.raw.end();
      return;
    }
    const html = this.#render({ status: code, message: message ?? DEFAULT_MESSAGES[code] });
    for (const [k, v] of Object.entries(pageHeaders(html))) this.raw.setHeader(k, v);
    this.send(html, HTML);
  }

  end(): void {
    if (!this.raw.writableEnded) this.raw.end();
  }
}
