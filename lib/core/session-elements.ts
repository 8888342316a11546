/**
 * @module session-elements
 * The elements a session builds or sorts without state: `<stream:error/>` (RFC 6120 §4.9.2)
 * and the classification of top-level elements that are not jabber:client stanzas.
 */
import { xml, NS_CLIENT, NS_STREAMS, NS_XMPP_STREAMS, type Element } from './xml.js';
import { defaultTextFor, isStreamErrorCondition } from './stream-errors.js';
import { parseJid } from './jid.js';
import type { CloseReason } from './session-events.js';

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

/** Text sent when encryption is required but the transport gives no hint of its own. */
export const DEFAULT_INSECURE_HINT = 'Encryption is required (c2s_require_encryption) but this connection is not secure; '
  + 'use TLS, or set consider_websocket_secure / trusted_proxies with X-Forwarded-Proto when behind a TLS-terminating proxy';

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
