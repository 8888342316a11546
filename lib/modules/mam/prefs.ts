/**
 * @module mam/prefs
 * Archiving preferences (XEP-0441, formerly XEP-0313 §6): a default (always, roster, never)
 * and lists of bare JIDs always or never archived; `never` wins over `always`.
 */
import { xml, parseJid, type Element } from '../../core/api.js';
import { NS_MAM } from '../../core/mam-api.js';
import type { ArchivePolicy } from './options.js';

export interface Prefs {
  readonly default: ArchivePolicy;
  readonly always: readonly string[];
  readonly never: readonly string[];
}

/** The `<prefs/>` element for stored (or default) preferences. */
export function prefsElement(p: Prefs): Element {
  return xml('prefs', { xmlns: NS_MAM, default: p.default },
    xml('always', {}, ...p.always.map((j) => xml('jid', {}, j))),
    xml('never', {}, ...p.never.map((j) => xml('jid', {}, j))));
}

/** Preferences from a client's `<prefs/>`, or an error text when they are invalid. */
export function parsePrefs(el: Element, maxJids: number): Prefs | string {
  const d = el.attrs.default as string | undefined;
  if (d !== 'always' && d !== 'roster' && d !== 'never') return "the 'default' attribute must be always, roster or never";
  const list = (name: string): string[] | string => {
    const out: string[] = [];
    for (const j of el.getChild(name)?.getChildren('jid') ?? []) {
      const jid = parseJid(j.text().trim());
      if (jid === undefined) return `invalid JID in <${name}/>`;
      if (!out.includes(jid.bare)) out.push(jid.bare);
    }
    return out.length > maxJids ? `too many JIDs in <${name}/> (at most ${maxJids})` : out;
  };
  const always = list('always');
  if (typeof always === 'string') return always;
  const never = list('never');
  if (typeof never === 'string') return never;
  return { default: d, always, never };
}

/** Whether a message with `contact` (a bare JID) is archived under these preferences. */
export function shouldArchive(p: Prefs, contact: string, inRoster: () => boolean): boolean {
  if (p.never.length > 0 && p.never.includes(contact)) return false;
  if (p.always.length > 0 && p.always.includes(contact)) return true;
  if (p.default === 'always') return true;
  if (p.default === 'never') return false;
  return inRoster();
}
