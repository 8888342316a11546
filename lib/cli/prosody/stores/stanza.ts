/**
 * @module cli/prosody/stores/stanza
 * Prosody's stored XML (util.stanza's preserialize: `{ name = ..., attr = { ... }, child... }`
 * with children as tables or strings) to our JSON element form ({n, a, c}). Attributes in a
 * namespace are stored as `namespace|name` by Prosody; the XML namespace becomes `xml:`.
 */
import type { JsonElement } from '../../../core/xml.js';
import { LuaTable, type LuaValue } from '../lua-value.js';

const NS_XML = 'http://www.w3.org/XML/1998/namespace';
const MAX_DEPTH = 100;

/** The element, or a reason it is not one. */
export function toJsonElement(v: LuaValue | undefined, depth = 0): JsonElement | string {
  if (!(v instanceof LuaTable)) return 'it is not a stored XML element';
  if (depth > MAX_DEPTH) return 'it nests too deep';
  const name = v.get('name');
  if (typeof name !== 'string' || name === '') return 'the element has no name';
  const a: Record<string, string> = {};
  const attr = v.get('attr');
  if (attr instanceof LuaTable) {
    for (const [k, val] of attr.fields()) {
      if (typeof val !== 'string') continue;
      const bar = k.indexOf('|');
      if (bar === -1) a[k] = val;
      else if (k.slice(0, bar) === NS_XML) a[`xml:${k.slice(bar + 1)}`] = val;
      else a[k.slice(bar + 1)] = val;
    }
  }
  const c: (JsonElement | string)[] = [];
  for (const child of v.ipairs()) {
    if (typeof child === 'string') c.push(child);
    else {
      const el = toJsonElement(child, depth + 1);
      if (typeof el === 'string') return el;
      c.push(el);
    }
  }
  return { n: name, a, c };
}
