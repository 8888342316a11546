/**
 * @module http_files/headers
 * The security headers files are served with: the `http_files_csp` Content-Security-Policy
 * (the chat page's by default), X-Frame-Options matching its frame-ancestors, nosniff and
 * no-referrer.
 */
import { INVALID } from '../../core/api.js';

/**
 * The default policy (CSP3): the page's own scripts, styles, images and fonts only; no plugins,
 * no <base>, forms posting only here; never framed (frame-ancestors, against clickjacking).
 * WebSocket and fetch may go to any host: the chat page connects to the endpoint that XEP-0156
 * host-meta names, which may be on another host.
 */
export const DEFAULT_CSP = "default-src 'self'; connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Parse `http_files_csp`: a policy, or false (or "") for none. Header-safe characters only. */
export function parseCsp(raw: unknown): string | false | typeof INVALID {
  if (raw === false) return false;
  if (typeof raw !== 'string' || !/^[\x20-\x7e]*$/.test(raw)) return INVALID;
  const policy = raw.trim();
  return policy === '' ? false : policy;
}

/**
 * The X-Frame-Options value (RFC 7034) that says what the policy's frame-ancestors says, for
 * browsers without CSP frame-ancestors: DENY for 'none', SAMEORIGIN for 'self'; none otherwise
 * (X-Frame-Options cannot name other origins, and would wrongly forbid what the policy allows).
 */
export function frameOptions(csp: string | false): string | undefined {
  if (csp === false) return undefined;
  for (const directive of csp.split(';')) {
    const [name, ...sources] = directive.trim().toLowerCase().split(/[ \t]+/);
    if (name !== 'frame-ancestors') continue;
    // CSP3 §2.2.1: only the first occurrence of a directive counts.
    if (sources.length === 1 && sources[0] === "'none'") return 'DENY';
    if (sources.length === 1 && sources[0] === "'self'") return 'SAMEORIGIN';
    return undefined;
  }
  return undefined;
}

/** The headers of every file response under policy `csp` (false: no CSP). */
export function fileHeaders(csp: string | false): Record<string, string> {
  const out: Record<string, string> = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  if (csp !== false) out['content-security-policy'] = csp;
  const frame = frameOptions(csp);
  if (frame !== undefined) out['x-frame-options'] = frame;
  return out;
}
