/**
 * @module session-elements
 * What a session builds or judges without state of its own: `<stream:error/>` (RFC 6120
 * §4.9.2), the verdict on a stream header, and the classification of top-level elements that
 * are not jabber:client stanzas.
 */
import { xml, NS_CLIENT, NS_STREAMS, NS_XMPP_STREAMS, type Element } from './xml.js';
import { defaultTextFor, isStreamErrorCondition } from './stream-errors.js';
import { parseJid } from './jid.js';
import type { CloseReason } from './session-events.js';
import type { SessionState } from './session-view.js';
import type { StreamAttrs } from './transport.js';

const LANG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

/** A stream header's `xml:lang` when it is a well-formed language tag (RFC 6120 §4.7.4). */
export function streamLang(lang: string | undefined): string | undefined {
  return lang !== undefined && LANG.test(lang) ? lang : undefined;
}

/**
 * The served domain a stream header's `to` names, or the close it gets: host-unknown for a
 * missing `to`, a JID that is not a bare domain, or a domain this server does not serve
 * (RFC 6120 §4.7.2, §4.9.3.6).
 */
export function headerDomain(to: string | undefined, served: (domain: string) => boolean): string | CloseReason {
  const jid = parseJid(to);
  const domain = jid && jid.local === undefined && jid.resource === undefined ? jid.domain : undefined;
  if (domain !== undefined && served(domain)) return domain;
  return { condition: 'host-unknown', text: to ? `This server does not serve ${to}` : "The stream header has no 'to' attribute (RFC 6120 §4.7.2)" };
}

/** What the session does with a stream header: open a stream for `domain`, or close. */
export type HeaderVerdict = { readonly domain: string; readonly first: boolean } | { readonly close: CloseReason | string; readonly sendHeader?: string };

/**
 * Judge a stream header (RFC 6120 §4.3, §4.7) given the session's state and the host it
 * already serves (undefined before the first header); `refuse` lets the transport turn a
 * served host away. An unsupported version is answered after our header (RFC 6120 §4.7.5).
 */
export function judgeHeader(attrs: StreamAttrs, state: SessionState, host: string | undefined,
  served: (domain: string) => boolean, refuse: (domain: string) => CloseReason | undefined): HeaderVerdict {
  if (state === 'open') return { close: { condition: 'bad-format', text: 'Unexpected stream header: a stream restart is only allowed after STARTTLS or SASL success (RFC 6120 §4.3.3)' } };
  const domain = headerDomain(attrs.to, served);
  if (typeof domain !== 'string') return { close: domain };
  if (host !== undefined && domain !== host) return { close: { condition: 'not-authorized', text: "The 'to' of a restarted stream must not change" } };
  const first = host === undefined;
  // The transport may take that host's settings, or refuse the host (e.g. not enabled on it).
  const refusal = first ? refuse(domain) : undefined;
  if (refusal !== undefined) return { close: refusal };
  // RFC 6120 §4.7.5: version 1.0 is required for SASL; missing means 0.9.
  const version = /^(\d+)\.\d+$/.exec(attrs.version ?? '');
  if (!version || Number(version[1]) < 1) return { close: 'unsupported-version', sendHeader: domain };
  return { domain, first };
}

/** Text sent when encryption is required but the transport gives no hint of its own. */
export const DEFAULT_INSECURE_HINT = 'Encryption is required (c2s_require_encryption) but this connection is not secure; '
  + 'use TLS, or set consider_websocket_secure / trusted_proxies with X-Forwarded-Proto when behind a TLS-terminating proxy';

/**
 * Why a stream with no features to proceed with ends (RFC 6120 §4.3.2): encryption is required
 * on an insecure connection, or no module offers authentication or resource binding.
 */
export function noFeaturesReason(authenticated: boolean, insecure: boolean, hint: string | undefined): CloseReason {
  if (insecure) return { condition: 'policy-violation', text: hint ?? DEFAULT_INSECURE_HINT };
  const missing = authenticated ? 'resource binding (enable the bind module)' : 'authentication (enable the saslauth module)';
  return { condition: 'undefined-condition', text: `No stream features to proceed with: nothing offers ${missing}` };
}

/** The `<stream:error/>` element for `condition` (an unknown one becomes undefined-condition). */
export function streamErrorElement(condition: string, text?: string, lang?: string): Element {
  const known = isStreamErrorCondition(condition) ? condition : 'undefined-condition';
  const el = xml('stream:error', { 'xmlns:stream': NS_STREAMS }, xml(known, { xmlns: NS_XMPP_STREAMS }));
  el.append(xml('text', { xmlns: NS_XMPP_STREAMS, 'xml:lang': lang ?? 'en' }, text ?? defaultTextFor(known)));
  return el;
}

/** What a top-level element that is not a jabber:client stanza is. */
export type NonStanza =
  | { readonly kind: 'peer-error'; readonly condition: string | undefined }
  | { readonly kind: 'misplaced-stanza' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'nonza'; readonly ns: string; readonly local: string };

/**
 * Sort a top-level element that is not a jabber:client stanza: the peer's stream error, a
 * stanza in another namespace (RFC 6120 §4.8.3), an unknown jabber:client element, or a nonza.
 */
export function classifyNonStanza(el: Element): NonStanza {
  // A prefixed element's namespace comes from its prefix (parsers copy the declaration onto it).
  const name = el.name;
  const colon = name.indexOf(':');
  const local = colon === -1 ? name : name.slice(colon + 1);
  const prefix = colon === -1 ? undefined : name.slice(0, colon);
  const ns = prefix === undefined
    ? el.attrs.xmlns as string | undefined
    : (el.attrs[`xmlns:${prefix}`] as string | undefined) ?? (prefix === 'stream' ? NS_STREAMS : undefined);
  if (ns === NS_STREAMS && local === 'error') {
    const condition = el.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_XMPP_STREAMS && c.name !== 'text')?.name;
    return { kind: 'peer-error', condition };
  }
  if (local === 'message' || local === 'presence' || local === 'iq') return { kind: 'misplaced-stanza' };
  if (ns === undefined || ns === NS_CLIENT) return { kind: 'unknown' };
  return { kind: 'nonza', ns, local };
}
