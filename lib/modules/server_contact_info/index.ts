/**
 * @module server_contact_info
 * Contact Addresses for XMPP Services (XEP-0157): the `contact_info` option becomes a data
 * form (FORM_TYPE http://jabber.org/network/serverinfo) in the host's disco#info, through the
 * disco module's XEP-0128 extensions. Without `contact_info`, the `admins` are the admin
 * contacts (as Prosody does).
 */
import { defineModule, INVALID, option, parseJid, xml, type Element } from '../../core/api.js';

const NS_DATA = 'jabber:x:data';
const FORM_TYPE = 'http://jabber.org/network/serverinfo';
/** XEP-0157 §4: the address types, each a `<type>-addresses` field. */
export const CONTACT_TYPES = Object.freeze(['abuse', 'admin', 'feedback', 'sales', 'security', 'status', 'support'] as const);
type ContactType = (typeof CONTACT_TYPES)[number];
/** A URI: a scheme, a colon, something (RFC 3986 §3.1): xmpp:, mailto:, https: ... */
const URI = /^[a-z][a-z0-9+.-]*:\S+$/i;

function parseContactInfo(raw: unknown): Readonly<Partial<Record<ContactType, readonly string[]>>> | typeof INVALID {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return INVALID;
  const out: Partial<Record<ContactType, readonly string[]>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(CONTACT_TYPES as readonly string[]).includes(key)) return INVALID;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && URI.test(v))) return INVALID;
    out[key as ContactType] = Object.freeze([...value as string[]]);
  }
  return Object.freeze(out);
}

/** The XEP-0128 form for these addresses (only the types that have some). */
export function contactForm(info: Readonly<Partial<Record<ContactType, readonly string[]>>>): Element {
  return xml('x', { xmlns: NS_DATA, type: 'result' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, FORM_TYPE)),
    ...CONTACT_TYPES.filter((t) => (info[t]?.length ?? 0) > 0).map((t) =>
      xml('field', { var: `${t}-addresses`, type: 'list-multi' }, ...info[t]!.map((uri) => xml('value', {}, uri)))));
}

export default defineModule({
  name: 'server_contact_info',
  description: "Publishes the service's contact addresses in disco#info (XEP-0157).",
  options: {
    contact_info: option.custom<Readonly<Partial<Record<ContactType, readonly string[]>>> | undefined>({
      default: undefined,
      describe: `an object mapping ${CONTACT_TYPES.join(', ')} to arrays of URIs ("xmpp:admin@example.org", "mailto:abuse@example.org", "https://...")`,
      parse: parseContactInfo,
      doc: 'Contact addresses by type (XEP-0157), e.g. { "abuse": ["mailto:abuse@example.org"], "admin": ["xmpp:admin@example.org"] }. Unset: the admins, as xmpp: URIs.',
    }),
    admins: option.array(option.string({ default: '', pattern: /^[^@/\s]+@[^@/\s]+$/, patternText: 'that is a bare JID (user@host)' }), {
      default: [],
      doc: 'The host\'s administrators (Prosody\'s admins); server_contact_info lists them as admin contacts when contact_info is unset.',
    }),
  },
  load(module) {
    const info = module.options.contact_info
      ?? { admin: module.options.admins.filter((jid) => parseJid(jid) !== undefined).map((jid) => `xmpp:${jid}`) };
    module.provides('disco-extension', contactForm(info));
  },
});
