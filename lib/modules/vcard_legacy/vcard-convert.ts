/**
 * @module vcard_legacy/vcard-convert
 * vcard-temp (XEP-0054) to vCard4 in XML (RFC 6351, as XEP-0292 carries it) and back, for the
 * properties clients show: FN, N, NICKNAME, BDAY, URL, TITLE, ROLE, NOTE (DESC), CATEGORIES,
 * ORG, EMAIL, TEL, ADR, JABBERID (impp), TZ. PHOTO is the avatar bridge's (avatar.ts).
 * Pure functions: elements in, elements out.
 */
import { xml, type Element } from '../../core/api.js';

export const NS_VCARD_TEMP = 'vcard-temp';
export const NS_VCARD4 = 'urn:ietf:params:xml:ns:vcard-4.0';

/** vcard-temp name parts and their RFC 6351 §6.2.2 counterparts, in order. */
const N_PARTS: readonly (readonly [string, string])[] = [
  ['FAMILY', 'surname'], ['GIVEN', 'given'], ['MIDDLE', 'additional'], ['PREFIX', 'prefix'], ['SUFFIX', 'suffix'],
];
/** ADR parts (XEP-0054 §4 / RFC 6351 §6.3.1). */
const ADR_PARTS: readonly (readonly [string, string])[] = [
  ['POBOX', 'pobox'], ['EXTADD', 'ext'], ['STREET', 'street'], ['LOCALITY', 'locality'],
  ['REGION', 'region'], ['PCODE', 'code'], ['CTRY', 'country'],
];
/** Single-valued text properties: vcard-temp name, vCard4 name, vCard4 value type. */
const SIMPLE: readonly (readonly [string, string, string])[] = [
  ['FN', 'fn', 'text'], ['NICKNAME', 'nickname', 'text'], ['BDAY', 'bday', 'date'], ['URL', 'url', 'uri'],
  ['TITLE', 'title', 'text'], ['ROLE', 'role', 'text'], ['NOTE', 'note', 'text'], ['DESC', 'note', 'text'],
  ['TZ', 'tz', 'text'],
];
/** vcard-temp type flags kept as RFC 6351 TYPE parameter values (lower case). */
const EMAIL_TYPES = ['HOME', 'WORK'];
const TEL_TYPES = ['HOME', 'WORK', 'VOICE', 'FAX', 'CELL', 'VIDEO', 'PAGER', 'TEXT'];
const ADR_TYPES = ['HOME', 'WORK'];
/** RFC 6351 tel types that vcard-temp spells differently (XEP-0054 MSG is text). */
const TEL_FROM_V4: Readonly<Record<string, string>> = { textphone: 'TEXT' };

const text = (el: Element | undefined, name: string): string | undefined => {
  const t = el?.getChildText(name);
  return t === null || t === undefined || t.trim() === '' ? undefined : t.trim();
};
const own = (el: Element): string | undefined => {
  const t = el.getText().trim();
  return t === '' ? undefined : t;
};
const elements = (el: Element): Element[] => el.getChildElements();

/** `<parameters><type><text>home</text>...</type></parameters>`, or nothing without types. */
function typeParameters(el: Element, flags: readonly string[]): Element | undefined {
  const types = flags.filter((f) => el.getChild(f) !== undefined).map((f) => f.toLowerCase());
  if (el.getChild('PREF') !== undefined) types.push('pref');
  if (types.length === 0) return undefined;
  const pref = types.includes('pref');
  const kept = types.filter((t) => t !== 'pref');
  return xml('parameters', {},
    kept.length > 0 ? xml('type', {}, ...kept.map((t) => xml('text', {}, t))) : undefined,
    // RFC 6351 §5.3: PREF is an integer 1-100, 1 the most preferred
    pref ? xml('pref', {}, xml('integer', {}, '1')) : undefined);
}

/** The TYPE parameter values of a vCard4 property (lower case), and whether PREF is set. */
function typesOf(prop: Element): { types: string[]; pref: boolean } {
  const params = prop.getChild('parameters');
  const types = (params?.getChild('type')?.getChildren('text') ?? []).map((t) => t.getText().trim().toLowerCase()).filter(Boolean);
  return { types, pref: params?.getChild('pref') !== undefined };
}

/** vCard4 type flags back as vcard-temp empty elements (only those vcard-temp knows). */
function typeFlags(prop: Element, known: readonly string[]): Element[] {
  const { types, pref } = typesOf(prop);
  const flags = types.map((t) => TEL_FROM_V4[t] ?? t.toUpperCase()).filter((t) => known.includes(t));
  if (pref) flags.push('PREF');
  return flags.map((f) => xml(f));
}

/** XEP-0054 vCard to RFC 6351 `<vcard/>`; PHOTO is left to the avatar bridge. */
export function vcardTempToVcard4(vcard: Element): Element {
  const out = xml('vcard', { xmlns: NS_VCARD4 });
  for (const prop of elements(vcard)) {
    const simple = SIMPLE.find(([legacy]) => legacy === prop.name);
    if (simple) {
      const value = own(prop);
      if (value !== undefined) out.append(xml(simple[1], {}, xml(simple[2], {}, value)));
      continue;
    }
    switch (prop.name) {
      case 'N': {
        const parts = N_PARTS.map(([legacy, v4]) => [v4, text(prop, legacy)] as const).filter(([, v]) => v !== undefined);
        if (parts.length > 0) out.append(xml('n', {}, ...parts.map(([v4, v]) => xml(v4, {}, v!))));
        break;
      }
      case 'ORG': {
        const units = [text(prop, 'ORGNAME'), ...prop.getChildren('ORGUNIT').map(own)].filter((v): v is string => v !== undefined);
        if (units.length > 0) out.append(xml('org', {}, ...units.map((u) => xml('text', {}, u))));
        break;
      }
      case 'CATEGORIES': {
        const keywords = prop.getChildren('KEYWORD').map(own).filter((v): v is string => v !== undefined);
        if (keywords.length > 0) out.append(xml('categories', {}, ...keywords.map((k) => xml('text', {}, k))));
        break;
      }
      case 'EMAIL': {
        const address = text(prop, 'USERID');
        if (address !== undefined) out.append(xml('email', {}, typeParameters(prop, EMAIL_TYPES), xml('text', {}, address)));
        break;
      }
      case 'TEL': {
        const number = text(prop, 'NUMBER');
        if (number !== undefined) out.append(xml('tel', {}, typeParameters(prop, TEL_TYPES), xml('uri', {}, `tel:${number}`)));
        break;
      }
      case 'ADR': {
        const parts = ADR_PARTS.map(([legacy, v4]) => xml(v4, {}, text(prop, legacy) ?? ''));
        if (ADR_PARTS.some(([legacy]) => text(prop, legacy) !== undefined)) out.append(xml('adr', {}, typeParameters(prop, ADR_TYPES), ...parts));
        break;
      }
      case 'JABBERID': {
        const jid = own(prop);
        if (jid !== undefined) out.append(xml('impp', {}, xml('uri', {}, `xmpp:${jid}`)));
        break;
      }
      default:
        break; // PHOTO (avatar.ts) and properties vCard4 profiles do not use
    }
  }
  return out;
}

/** RFC 6351 `<vcard/>` to an XEP-0054 vCard (without PHOTO; the bridge adds the avatars). */
export function vcard4ToVcardTemp(vcard4: Element | undefined): Element {
  const out = xml('vCard', { xmlns: NS_VCARD_TEMP });
  if (!vcard4) return out;
  let noted = false;
  for (const prop of elements(vcard4)) {
    const simple = SIMPLE.find(([legacy, v4]) => v4 === prop.name && legacy !== 'DESC');
    if (simple) {
      const value = text(prop, simple[2]);
      if (value === undefined) continue;
      if (simple[0] === 'NOTE') {
        // XEP-0054 has both NOTE and DESC; clients show DESC as the "about" text
        if (noted) continue;
        noted = true;
        out.append(xml('DESC', {}, value));
      } else {
        out.append(xml(simple[0], {}, value));
      }
      continue;
    }
    switch (prop.name) {
      case 'n': {
        const parts = N_PARTS.map(([legacy, v4]) => [legacy, text(prop, v4)] as const).filter(([, v]) => v !== undefined);
        if (parts.length > 0) out.append(xml('N', {}, ...parts.map(([legacy, v]) => xml(legacy, {}, v!))));
        break;
      }
      case 'org': {
        const [name, ...units] = prop.getChildren('text').map(own);
        if (name !== undefined || units.some((u) => u !== undefined)) {
          out.append(xml('ORG', {}, name !== undefined ? xml('ORGNAME', {}, name) : undefined,
            ...units.filter((u): u is string => u !== undefined).map((u) => xml('ORGUNIT', {}, u))));
        }
        break;
      }
      case 'categories': {
        const keywords = prop.getChildren('text').map(own).filter((v): v is string => v !== undefined);
        if (keywords.length > 0) out.append(xml('CATEGORIES', {}, ...keywords.map((k) => xml('KEYWORD', {}, k))));
        break;
      }
      case 'email': {
        const address = text(prop, 'text');
        if (address !== undefined) out.append(xml('EMAIL', {}, ...typeFlags(prop, EMAIL_TYPES), xml('INTERNET'), xml('USERID', {}, address)));
        break;
      }
      case 'tel': {
        const uri = text(prop, 'uri') ?? text(prop, 'text');
        if (uri !== undefined) out.append(xml('TEL', {}, ...typeFlags(prop, TEL_TYPES), xml('NUMBER', {}, uri.replace(/^tel:/i, ''))));
        break;
      }
      case 'adr': {
        const parts = ADR_PARTS.map(([legacy, v4]) => [legacy, text(prop, v4)] as const).filter(([, v]) => v !== undefined);
        if (parts.length > 0) out.append(xml('ADR', {}, ...typeFlags(prop, ADR_TYPES), ...parts.map(([legacy, v]) => xml(legacy, {}, v!))));
        break;
      }
      case 'impp': {
        const uri = text(prop, 'uri');
        if (uri !== undefined && /^xmpp:/i.test(uri) && !out.getChild('JABBERID')) out.append(xml('JABBERID', {}, uri.slice(5)));
        break;
      }
      default:
        break;
    }
  }
  return out;
}
