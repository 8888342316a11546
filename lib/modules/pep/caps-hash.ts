/**
 * @module pep/caps-hash
 * The XEP-0115 §5.1 verification string of a disco#info result, its hash, and the §5.4
 * checks a result must pass before its `ver` may be trusted.
 */
import { createHash, getHashes } from 'node:crypto';
import { NS_DISCO_INFO, type Element } from '../../core/api.js';

/** IANA hash names (XEP-0115 §5.1) to node:crypto's, for those this Node build has. */
const HASHES: Readonly<Record<string, string>> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512', md5: 'md5' };
const available = new Set(getHashes());

/** node:crypto's name for an IANA hash name, when supported. */
export function cryptoHash(name: string | undefined): string | undefined {
  const h = name === undefined ? undefined : HASHES[name.toLowerCase()];
  return h !== undefined && available.has(h) ? h : undefined;
}

const esc = (s: string | undefined): string => s ?? '';

/**
 * The verification string S of a disco#info `<query/>` (XEP-0115 §5.1), or undefined when the
 * result may not be used for verification (§5.4: duplicate identities, features or FORM_TYPEs,
 * or a form whose FORM_TYPE is not hidden or has several values).
 */
export function verificationString(query: Element): string | undefined {
  if (query.name !== 'query' || query.attrs.xmlns !== NS_DISCO_INFO) return undefined;
  const identities = query.getChildren('identity').map((i) =>
    `${esc(i.attrs.category as string)}/${esc(i.attrs.type as string)}/${esc(i.attrs['xml:lang'] as string)}/${esc(i.attrs.name as string)}`);
  const features = query.getChildren('feature').map((f) => esc(f.attrs.var as string));
  if (new Set(identities).size !== identities.length || new Set(features).size !== features.length) return undefined;
  let s = identities.sort(compare).map((i) => `${i}<`).join('') + features.sort(compare).map((f) => `${f}<`).join('');
  const forms: { type: string; text: string }[] = [];
  for (const x of query.getChildren('x', 'jabber:x:data')) {
    const fields = x.getChildren('field');
    const ft = fields.filter((f) => f.attrs.var === 'FORM_TYPE');
    if (ft.length === 0) continue; // §5.4 3.6: forms without FORM_TYPE are ignored
    if (ft.length > 1 || ft[0]!.attrs.type !== 'hidden') return undefined;
    const typeValues = ft[0]!.getChildren('value').map((v) => v.getText());
    if (typeValues.length !== 1) return undefined;
    const rest = fields.filter((f) => f.attrs.var !== 'FORM_TYPE')
      .map((f) => ({ v: esc(f.attrs.var as string), values: f.getChildren('value').map((v) => v.getText()).sort(compare) }))
      .sort((a, b) => compare(a.v, b.v));
    forms.push({ type: typeValues[0]!, text: `${typeValues[0]!}<${rest.map((f) => `${f.v}<${f.values.map((v) => `${v}<`).join('')}`).join('')}` });
  }
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  s += forms.sort((a, b) => compare(a.type, b.type)).map((f) => f.text).join('');
  return s;
}

/** XEP-0115 §5.1: "i;octet" ordering (byte-wise on UTF-8). */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The `ver` of a disco#info result with the hash `hash` (IANA name), or undefined when unusable. */
export function capsVer(query: Element, hash: string): string | undefined {
  const algo = cryptoHash(hash);
  const s = verificationString(query);
  if (algo === undefined || s === undefined) return undefined;
  return createHash(algo).update(s, 'utf8').digest('base64');
}
