/**
 * Expected-vs-received stanza matching with scansion's rules:
 *
 * - Names and namespaces must be equal (a child without `xmlns` inherits its parent's).
 * - Every attribute of the expected element must be on the received one with the same value;
 *   the value `{scansion:any}` accepts any value (the attribute must still be present).
 *   An attribute of the received element that the expected one lacks is a mismatch
 *   (namespace declarations aside): write `id="{scansion:any}"` for a server-generated id.
 * - Text: when the expected element has text, the received text must be equal (surrounding
 *   whitespace ignored), or anything for `{scansion:any}`.
 * - Children: each expected child must match a distinct received child (in any order).
 *   Received children that nothing expects are ignored, unless the element is strict: then
 *   they (and unexpected text) are a mismatch. An element is strict when it says so
 *   (`scansion:strict="true"`, or `"false"` to relax), and by default when its namespace is
 *   a payload namespace (not `jabber:client`): `<message>` may gain a `<delay/>` or a
 *   `<stanza-id/>`, but `<query xmlns='jabber:iq:roster'>` must hold exactly the items listed.
 */
import { NS_CLIENT, type Element } from '../core/xml.js';
import { ANY } from './xml-block.js';
import { prettyXml } from './pretty.js';

/** Where and why a received element does not match. */
export interface Mismatch {
  /** Path of the expected element, e.g. `/iq/query/item[2]`. */
  readonly path: string;
  readonly reason: string;
}

interface Scope {
  readonly ns: string;
  readonly prefixes: ReadonlyMap<string, string>;
}

const ROOT: Scope = { ns: NS_CLIENT, prefixes: new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]) };

function enter(scope: Scope, el: Element): Scope {
  let prefixes: Map<string, string> | undefined;
  for (const [k, v] of Object.entries(el.attrs as Record<string, string>)) {
    if (k.startsWith('xmlns:')) (prefixes ??= new Map(scope.prefixes)).set(k.slice(6), v);
  }
  const ns = (el.attrs as Record<string, string | undefined>).xmlns ?? scope.ns;
  return { ns, prefixes: prefixes ?? scope.prefixes };
}

function qname(el: Element, scope: Scope): { local: string; ns: string } {
  const i = el.name.indexOf(':');
  if (i === -1) return { local: el.name, ns: scope.ns };
  return { local: el.name.slice(i + 1), ns: scope.prefixes.get(el.name.slice(0, i)) ?? `(undeclared prefix ${el.name.slice(0, i)})` };
}

/** Pair results, by expected then received element (the same pair is compared once). */
type Memo = Map<Element, Map<Element, Mismatch | undefined>>;

const isDecl = (k: string): boolean => k === 'xmlns' || k.startsWith('xmlns:');
const elements = (el: Element): Element[] => el.children.filter((c): c is Element => typeof c !== 'string');
const textOf = (el: Element): string => el.children.filter((c): c is string => typeof c === 'string').join('').trim();
const describe = (q: { local: string; ns: string }): string => `<${q.local} xmlns='${q.ns}'>`;

/** Whether `expected` is strict (see the module comment). */
export function isStrict(expected: Element, ns: string): boolean {
  const flag = (expected.attrs as Record<string, string | undefined>)['scansion:strict'];
  if (flag !== undefined) return flag === 'true' || flag === '1';
  return ns !== NS_CLIENT;
}

function compare(e: Element, r: Element, eScope: Scope, rScope: Scope, path: string, memo: Memo, index?: number): Mismatch | undefined {
  const es = enter(eScope, e);
  const rs = enter(rScope, r);
  const eq = qname(e, es);
  const rq = qname(r, rs);
  const here = `${path}/${eq.local}${index === undefined ? '' : `[${index + 1}]`}`;
  if (eq.local !== rq.local || eq.ns !== rq.ns) return { path: here, reason: `expected ${describe(eq)}, got ${describe(rq)}` };
  const ea = e.attrs as Record<string, string | undefined>;
  const ra = r.attrs as Record<string, string | undefined>;
  for (const [k, v] of Object.entries(ea)) {
    if (v === undefined || isDecl(k) || k.startsWith('scansion:')) continue;
    if (ra[k] === undefined) return { path: here, reason: `attribute '${k}' missing (expected '${v}')` };
    if (v !== ANY && ra[k] !== v) return { path: here, reason: `attribute '${k}': expected '${v}', got '${ra[k]}'` };
  }
  for (const [k, v] of Object.entries(ra)) {
    if (v === undefined || isDecl(k)) continue;
    if (ea[k] === undefined) return { path: here, reason: `unexpected attribute ${k}='${v}' (write ${k}="{scansion:any}" to accept any value)` };
  }
  const strict = isStrict(e, eq.ns);
  const et = textOf(e);
  const rt = textOf(r);
  if (et !== '' && et !== ANY && et !== rt) return { path: here, reason: `text: expected ${JSON.stringify(et)}, got ${JSON.stringify(rt)}` };
  if (et === '' && strict && rt !== '') return { path: here, reason: `unexpected text ${JSON.stringify(rt)} in a strict element` };

  const ek = elements(e);
  const rk = elements(r);
  const pair = (i: number, j: number): Mismatch | undefined => {
    let row = memo.get(ek[i]!);
    if (!row) memo.set(ek[i]!, row = new Map());
    if (!row.has(rk[j]!)) row.set(rk[j]!, compare(ek[i]!, rk[j]!, es, rs, here, memo, i));
    return row.get(rk[j]!);
  };
  // Each expected child needs a candidate; report the first that has none.
  for (let i = 0; i < ek.length; i++) {
    if (rk.some((_, j) => pair(i, j) === undefined)) continue;
    const eqc = qname(ek[i]!, enter(es, ek[i]!));
    const sameName = rk.findIndex((c) => { const q = qname(c, enter(rs, c)); return q.local === eqc.local && q.ns === eqc.ns; });
    if (sameName !== -1) return pair(i, sameName);
    return { path: here, reason: `no child ${describe(eqc)} (child ${i + 1} of the expected element)` };
  }
  // Distinct received children for all expected ones (backtracking; blocks are small).
  const used = new Set<number>();
  const assign = (i: number): boolean => {
    if (i === ek.length) return true;
    for (let j = 0; j < rk.length; j++) {
      if (used.has(j) || pair(i, j) !== undefined) continue;
      used.add(j);
      if (assign(i + 1)) return true;
      used.delete(j);
    }
    return false;
  };
  if (!assign(0)) return { path: here, reason: 'the expected children cannot each be paired with a distinct received child' };
  if (strict) {
    const extra = rk.findIndex((_, j) => !used.has(j));
    if (extra !== -1) {
      const q = qname(rk[extra]!, enter(rs, rk[extra]!));
      return { path: here, reason: `unexpected child ${describe(q)} in a strict element (payload namespaces are strict; scansion:strict="false" relaxes)` };
    }
  }
  return undefined;
}

/**
 * Compare a received stanza with the expected one (both top-level elements).
 * @returns undefined when it matches, else where and why not
 */
export function matchStanza(expected: Element, received: Element): Mismatch | undefined {
  return compare(expected, received, ROOT, ROOT, '', new Map());
}

/** A readable report of a mismatch: the reason, then both stanzas indented. */
export function explainMismatch(expected: Element, received: Element, mismatch: Mismatch): string {
  return [
    `mismatch at ${mismatch.path}: ${mismatch.reason}`,
    'expected:',
    prettyXml(expected, '    '),
    'received:',
    prettyXml(received, '    '),
  ].join('\n');
}
